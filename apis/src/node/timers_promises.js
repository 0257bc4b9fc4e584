// node:timers/promises — timers as promises and async iterators, with
// AbortSignal support, as Node has them.
(function () {
"use strict";
const { require, timers } = globalThis[Symbol.for("isola.node")].enter("timers/promises");
const { validateObject } = require("internal/errors");

function aborted(signal) {
  const error = new DOMException("The operation was aborted", "AbortError");
  error.code = "ABORT_ERR";
  error.cause = signal.reason;
  return error;
}

function checkOptions(options) {
  validateObject(options, "options");
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    const { codes } = require("internal/errors");
    throw new codes.ERR_INVALID_ARG_TYPE("options.signal", "AbortSignal", signal);
  }
  return signal;
}

function later(delay, value, options = {}) {
  let signal;
  try {
    signal = checkOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  if (signal?.aborted) return Promise.reject(aborted(signal));
  return new Promise((resolve, reject) => {
    const id = timers.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    }, delay);
    function onAbort() {
      timers.clearTimeout(id);
      reject(aborted(signal));
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function setTimeout(delay, value, options) {
  return later(delay, value, options);
}
function setImmediate(value, options) {
  return later(0, value, options);
}

async function* setInterval(delay, value, options = {}) {
  const signal = checkOptions(options);
  if (signal?.aborted) throw aborted(signal);
  let pending = 0;
  let wake = null;
  const id = timers.setInterval(() => {
    pending++;
    wake?.();
  }, delay);
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    while (true) {
      if (pending === 0) {
        await new Promise((resolve) => (wake = resolve));
        wake = null;
      }
      if (signal?.aborted) throw aborted(signal);
      pending--;
      yield value;
    }
  } finally {
    timers.clearInterval(id);
    signal?.removeEventListener("abort", onAbort);
  }
}

const scheduler = {
  wait: (delay, options) => later(delay, undefined, options),
  yield: () => later(0),
};

return { setTimeout, setImmediate, setInterval, scheduler };
})();
