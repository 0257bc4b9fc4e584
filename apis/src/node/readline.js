// node:readline — a Worker has no terminal: as in workerd, interfaces read
// nothing (questions are answered with ""), and the cursor functions do
// nothing and return false.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("readline");
const { Interface, promises } = require("internal/readline");

return {
  clearLine: () => false,
  clearScreenDown: () => false,
  createInterface: () => new Interface(),
  cursorTo: () => false,
  emitKeypressEvents: () => {},
  moveCursor: () => false,
  Interface,
  promises: { ...promises },
};
})();
