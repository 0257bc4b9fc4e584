// node:timers — Node's timer functions, whose handles are `Timeout`
// objects (`ref`, `unref`, `refresh`, usable as numbers), over the Worker's
// own timers. `ref`/`unref` change nothing: a Worker's timers never keep a
// process alive.
(function () {
"use strict";
const { require, timers } = globalThis[Symbol.for("isola.node")].enter("timers");
const { validateFunction } = require("internal/errors");

// The Workers' own timers (not the globals, which may be these functions).
const { setTimeout: schedule, clearTimeout: unschedule, setInterval: repeat, clearInterval: unrepeat } =
  timers;

class Timeout {
  #id;
  #start;
  #referenced = true;

  constructor(start) {
    this.#start = start;
    this.#id = start();
  }

  ref() {
    this.#referenced = true;
    return this;
  }
  unref() {
    this.#referenced = false;
    return this;
  }
  hasRef() {
    return this.#referenced;
  }
  refresh() {
    this.close();
    this.#id = this.#start();
    return this;
  }
  close() {
    unschedule(this.#id);
    unrepeat(this.#id);
    return this;
  }
  [Symbol.toPrimitive]() {
    return this.#id;
  }
  [Symbol.dispose]() {
    this.close();
  }
}

class Immediate extends Timeout {}

function setTimeout(callback, delay, ...args) {
  validateFunction(callback, "callback");
  return new Timeout(() => schedule(callback, delay, ...args));
}
function setInterval(callback, delay, ...args) {
  validateFunction(callback, "callback");
  return new Timeout(() => repeat(callback, delay, ...args));
}
function setImmediate(callback, ...args) {
  validateFunction(callback, "callback");
  return new Immediate(() => schedule(callback, 0, ...args));
}
function clear(handle) {
  if (handle instanceof Timeout) {
    handle.close();
  } else if (handle !== undefined && handle !== null) {
    unschedule(handle);
    unrepeat(handle);
  }
}

// The deprecated handle functions, as workerd keeps them: `active`
// restarts a Timeout, `unenroll` clears one (or a numeric id), and
// `enroll` refuses.
function active(timer) {
  if (timer instanceof Timeout) timer.refresh();
}
function unenroll(timer) {
  if (timer instanceof Timeout) {
    timer.close();
  } else if (typeof timer === "number") {
    unschedule(timer);
  }
}
function enroll(_item, _msecs) {
  throw new Error("Not implemented. Please use setTimeout() instead.");
}

const exports = {
  setTimeout,
  clearTimeout: clear,
  setInterval,
  clearInterval: clear,
  setImmediate,
  clearImmediate: clear,
  Timeout,
  active,
  unenroll,
  enroll,
};
Object.defineProperty(exports, "promises", {
  get: () => require("timers/promises"),
  enumerable: true,
});
return exports;
})();
