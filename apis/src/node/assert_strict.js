// node:assert/strict — assert.strict: the assert function whose equal,
// deepEqual, notEqual and notDeepEqual are the strict comparisons.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("assert/strict");
const { strict } = require("assert");

const exports = { default: strict };
for (const key of Object.keys(strict)) exports[key] = strict[key];
return exports;
})();
