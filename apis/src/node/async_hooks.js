// node:async_hooks — AsyncLocalStorage and AsyncResource, over the
// engine's async context: a value that follows promise reactions and that
// the host's timers and callbacks carry along, as workerd's does. The
// context is an immutable map from each storage to its store, replaced
// (never changed) when a storage runs or enters. `createHook` gives hooks
// that never fire, as on workerd.
(function () {
"use strict";
const { require, asyncContext } = globalThis[Symbol.for("isola.node")].enter("async_hooks");
const { validateFunction, validateObject } = require("internal/errors");

function current() {
  return asyncContext.get() ?? null;
}

/** The context with `key` mapped to `value`. */
function withEntry(context, key, value) {
  const next = { __proto__: null };
  if (context !== null) {
    for (const k of Object.getOwnPropertySymbols(context)) next[k] = context[k];
  }
  next[key] = value;
  return next;
}

/** Calls `fn` with `context` as the current context, then restores it. */
function runIn(context, fn, thisArg, args) {
  const previous = current();
  asyncContext.set(context);
  try {
    return Reflect.apply(fn, thisArg, args);
  } finally {
    asyncContext.set(previous);
  }
}

class AsyncLocalStorage {
  #key = Symbol("AsyncLocalStorage");

  static bind(fn) {
    return new AsyncResource("bound-anonymous-fn").bind(fn);
  }

  static snapshot() {
    const context = current();
    return function runInAsyncScope(fn, ...args) {
      return runIn(context, fn, this, args);
    };
  }

  run(store, fn, ...args) {
    return runIn(withEntry(current(), this.#key, store), fn, undefined, args);
  }

  exit(fn, ...args) {
    return this.run(undefined, fn, ...args);
  }

  getStore() {
    const context = current();
    return context === null ? undefined : context[this.#key];
  }

  enterWith(store) {
    asyncContext.set(withEntry(current(), this.#key, store));
  }

  disable() {
    if (this.getStore() !== undefined) this.enterWith(undefined);
  }
}

let nextId = 1;

class AsyncResource {
  #context;
  #asyncId = nextId++;
  #triggerAsyncId;
  type;

  constructor(type, options = {}) {
    if (typeof type !== "string") {
      const { codes } = require("internal/errors");
      throw new codes.ERR_INVALID_ARG_TYPE("type", "string", type);
    }
    const trigger = typeof options === "number" ? options : options?.triggerAsyncId;
    this.#triggerAsyncId = trigger ?? 0;
    this.#context = current();
    this.type = type;
  }

  static bind(fn, type, thisArg) {
    return new AsyncResource(type || fn.name || "bound-anonymous-fn").bind(fn, thisArg);
  }

  runInAsyncScope(fn, thisArg, ...args) {
    return runIn(this.#context, fn, thisArg, args);
  }

  bind(fn, thisArg) {
    validateFunction(fn, "fn");
    const resource = this;
    const bound = thisArg === undefined
      ? function (...args) {
        return resource.runInAsyncScope(fn, this, ...args);
      }
      : (...args) => resource.runInAsyncScope(fn, thisArg, ...args);
    Object.defineProperties(bound, {
      length: { value: fn.length, configurable: true },
      asyncResource: { value: this, configurable: true, enumerable: true, writable: true },
    });
    return bound;
  }

  emitDestroy() {
    return this;
  }

  asyncId() {
    return this.#asyncId;
  }

  triggerAsyncId() {
    return this.#triggerAsyncId;
  }
}

/** Hooks that are never called: nothing here reports async resources. */
function createHook(callbacks) {
  validateObject(callbacks, "callbacks");
  const hook = {
    enable: () => hook,
    disable: () => hook,
  };
  return hook;
}

const exports = {
  AsyncLocalStorage,
  AsyncResource,
  createHook,
  executionAsyncId: () => 0,
  triggerAsyncId: () => 0,
  executionAsyncResource: () => ({}),
  asyncWrapProviders: Object.freeze({ __proto__: null }),
};
return exports;
})();
