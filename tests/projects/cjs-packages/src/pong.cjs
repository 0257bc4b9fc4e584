exports.name = "pong";
const ping = require("./ping.cjs");
exports.sawPing = ping.name ?? null;
