// node:readline/promises — as in workerd: an Interface whose questions
// resolve to "", and a Readline whose edits do nothing.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("readline/promises");
const { promises } = require("internal/readline");

return { ...promises };
})();
