// Two CommonJS modules that require each other: each sees the other's
// exports as they stand when it asks.
exports.name = "ping";
const pong = require("./pong.cjs");
exports.pongSawPing = pong.sawPing;
exports.pong = pong.name;
