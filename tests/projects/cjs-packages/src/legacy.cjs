// A CommonJS module of the project's own.
const settings = require("./settings.json");
const ms = require("ms");
const format = require("./format.mjs");
const ping = require("./ping.cjs");

function greet(name) {
  return `${settings.greeting}, ${name}`;
}

module.exports = {
  greet,
  limit: settings.limits.items,
  timeout: ms("2 minutes"),
  shouted: format.shout("hi"),
  formatDefault: format.default,
  formatIsModule: format.__esModule === true,
  cycle: [ping.name, ping.pong, ping.pongSawPing],
};
