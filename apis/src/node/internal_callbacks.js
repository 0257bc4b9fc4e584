// The callback form of synchronous work: `compute` runs now, and
// `callback(error)` or `callback(null, result)` runs on a microtask, as a
// Node callback never runs before the call that takes it returns.
// Internal: reached with require("internal/callbacks").
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/callbacks");
const { validateFunction } = require("internal/errors");

function later(callback, compute) {
  validateFunction(callback, "callback");
  let result, failure = null;
  try {
    result = compute();
  } catch (error) {
    failure = error;
  }
  queueMicrotask(() => (failure ? callback(failure) : callback(null, result)));
}

return { later };
})();
