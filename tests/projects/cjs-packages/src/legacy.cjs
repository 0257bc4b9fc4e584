// A CommonJS module of the project's own.
const settings = require("./settings.json");
const ms = require("ms");

function greet(name) {
  return `${settings.greeting}, ${name}`;
}

module.exports = {
  greet,
  limit: settings.limits.items,
  timeout: ms("2 minutes"),
};
