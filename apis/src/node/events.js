// node:events — Node's EventEmitter and helpers. Differences from Node: the
// stack of a thrown 'error' is not extended with where it was emitted;
// getEventListeners() on an EventTarget reads the runtime's (deno_web's)
// listener list; the MaxListeners warning goes to process.emitWarning when
// node:process offers it, otherwise to console.warn; rejections captured by
// `captureRejections` are re-emitted from a microtask (Node: nextTick).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("events");
const {
  AbortError,
  codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_THIS, ERR_UNHANDLED_ERROR },
  validateAbortSignal,
  validateBoolean,
  validateFunction,
  validateInteger,
  validateNumber,
  validateString,
} = require("internal/errors");

const kCapture = Symbol("kCapture");
const kErrorMonitor = Symbol("events.errorMonitor");
const kRejection = Symbol.for("nodejs.rejection");
const kMaxEventTargetListeners = Symbol("events.maxEventTargetListeners");
const kMaxEventTargetListenersWarned = Symbol("events.maxEventTargetListenersWarned");
const kAsyncResource = Symbol("kAsyncResource");
const kDispose = Symbol.dispose ?? Symbol.for("nodejs.dispose");

let defaultMaxListeners = 10;

/** `util.inspect` when node:util is there, else a plain rendering. */
function inspect(value) {
  try {
    const util = require("util");
    if (typeof util.inspect === "function") return util.inspect(value);
  } catch {
    // node:util is not available: fall through.
  }
  if (typeof value === "string") return `'${value}'`;
  try {
    return typeof value === "object" && value !== null ? JSON.stringify(value) ?? String(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function emitWarning(warning) {
  try {
    const process = require("process");
    if (typeof process.emitWarning === "function") {
      process.emitWarning(warning);
      return;
    }
  } catch {
    // node:process is not available: fall through.
  }
  console.warn(`(node) ${warning.name}: ${warning.message}`);
}

function checkListener(listener) {
  if (typeof listener !== "function") throw new ERR_INVALID_ARG_TYPE("listener", "Function", listener);
}

function isEventTarget(value) {
  return typeof EventTarget === "function" && value instanceof EventTarget;
}

// EventEmitter is a plain function (not a class) so that old-style
// subclasses can call `EventEmitter.call(this)`.
function EventEmitter(opts) {
  EventEmitter.init.call(this, opts);
}

// Like Node, listeners live in `this._events` (null-prototype object, one
// function or an array per event name): some npm packages read it directly.
EventEmitter.prototype._events = undefined;
EventEmitter.prototype._eventsCount = 0;
EventEmitter.prototype._maxListeners = undefined;
Object.defineProperty(EventEmitter.prototype, kCapture, { value: false, writable: true });

function init(opts) {
  if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
    this._events = { __proto__: null };
    this._eventsCount = 0;
  }
  this._maxListeners ??= undefined;
  // workerd gives every emitter an own `domain: null` (Node only does so
  // while node:domain is in use).
  this.domain = null;
  if (opts?.captureRejections) {
    validateBoolean(opts.captureRejections, "options.captureRejections");
    this[kCapture] = Boolean(opts.captureRejections);
  } else {
    // Own property either way, so the prototype's default is read once.
    this[kCapture] = EventEmitter.prototype[kCapture];
  }
}

function maxListenersOf(emitter) {
  return emitter._maxListeners === undefined ? defaultMaxListeners : emitter._maxListeners;
}

const proto = {
  setMaxListeners(n) {
    validateNumber(n, "setMaxListeners", 0);
    this._maxListeners = n;
    return this;
  },

  getMaxListeners() {
    return maxListenersOf(this);
  },

  emit(type, ...args) {
    let doError = type === "error";
    const events = this._events;
    if (events !== undefined) {
      if (doError && events[kErrorMonitor] !== undefined) this.emit(kErrorMonitor, ...args);
      doError = doError && events.error === undefined;
    } else if (!doError) {
      return false;
    }

    if (doError) {
      const er = args[0];
      if (er instanceof Error) throw er;
      const err = new ERR_UNHANDLED_ERROR(inspect(er));
      err.context = er;
      throw err;
    }

    const handler = events[type];
    if (handler === undefined) return false;
    if (typeof handler === "function") {
      const result = Reflect.apply(handler, this, args);
      if (result !== undefined && result !== null) addCatch(this, result, type, args);
    } else {
      // A copy: listeners added or removed while emitting do not change this round.
      for (const listener of handler.slice()) {
        const result = Reflect.apply(listener, this, args);
        if (result !== undefined && result !== null) addCatch(this, result, type, args);
      }
    }
    return true;
  },

  addListener(type, listener) {
    return addListener(this, type, listener, false);
  },

  prependListener(type, listener) {
    return addListener(this, type, listener, true);
  },

  once(type, listener) {
    checkListener(listener);
    this.on(type, onceWrap(this, type, listener));
    return this;
  },

  prependOnceListener(type, listener) {
    checkListener(listener);
    this.prependListener(type, onceWrap(this, type, listener));
    return this;
  },

  removeListener(type, listener) {
    checkListener(listener);
    const events = this._events;
    if (events === undefined) return this;
    const list = events[type];
    if (list === undefined) return this;

    if (list === listener || list.listener === listener) {
      if (--this._eventsCount === 0) {
        this._events = { __proto__: null };
      } else {
        delete events[type];
        if (events.removeListener) this.emit("removeListener", type, list.listener || listener);
      }
    } else if (typeof list !== "function") {
      let position = -1;
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i] === listener || list[i].listener === listener) {
          position = i;
          break;
        }
      }
      if (position < 0) return this;
      list.splice(position, 1);
      if (list.length === 1) events[type] = list[0];
      if (events.removeListener !== undefined) this.emit("removeListener", type, listener);
    }
    return this;
  },

  removeAllListeners(type) {
    const events = this._events;
    if (events === undefined) return this;

    // Without 'removeListener' listeners there is nobody to tell.
    if (events.removeListener === undefined) {
      if (arguments.length === 0) {
        this._events = { __proto__: null };
        this._eventsCount = 0;
      } else if (events[type] !== undefined) {
        if (--this._eventsCount === 0) this._events = { __proto__: null };
        else delete events[type];
      }
      return this;
    }

    if (arguments.length === 0) {
      for (const key of Reflect.ownKeys(events)) {
        if (key !== "removeListener") this.removeAllListeners(key);
      }
      this.removeAllListeners("removeListener");
      this._events = { __proto__: null };
      this._eventsCount = 0;
      return this;
    }

    const listeners = events[type];
    if (typeof listeners === "function") {
      this.removeListener(type, listeners);
    } else if (listeners !== undefined) {
      // Last first, so 'removeListener' is emitted in reverse order like Node.
      for (let i = listeners.length - 1; i >= 0; i--) this.removeListener(type, listeners[i]);
    }
    return this;
  },

  listeners(type) {
    return listenersOf(this, type, true);
  },

  rawListeners(type) {
    return listenersOf(this, type, false);
  },

  listenerCount(type, listener) {
    const handler = this._events?.[type];
    if (handler === undefined) return 0;
    if (typeof handler === "function") {
      if (listener != null) return listener === handler || listener === handler.listener ? 1 : 0;
      return 1;
    }
    if (listener != null) {
      return handler.filter((l) => l === listener || l.listener === listener).length;
    }
    return handler.length;
  },

  eventNames() {
    return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
  },
};

// Plain enumerable properties in Node's order; `on` and `off` are aliases.
for (const name of Object.keys(proto)) {
  Object.defineProperty(EventEmitter.prototype, name, {
    value: proto[name], writable: true, enumerable: true, configurable: true,
  });
  if (name === "addListener") {
    Object.defineProperty(EventEmitter.prototype, "on", {
      value: proto.addListener, writable: true, enumerable: true, configurable: true,
    });
  } else if (name === "removeListener") {
    Object.defineProperty(EventEmitter.prototype, "off", {
      value: proto.removeListener, writable: true, enumerable: true, configurable: true,
    });
  }
}

function addListener(target, type, listener, prepend) {
  checkListener(listener);
  let events = target._events;
  if (events === undefined) {
    events = target._events = { __proto__: null };
    target._eventsCount = 0;
  } else {
    if (events.newListener !== undefined) {
      target.emit("newListener", type, listener.listener ?? listener);
      // A 'newListener' listener may have replaced `_events`.
      events = target._events;
    }
  }

  let existing = events[type];
  if (existing === undefined) {
    events[type] = listener;
    ++target._eventsCount;
    return target;
  }
  if (typeof existing === "function") {
    existing = events[type] = prepend ? [listener, existing] : [existing, listener];
  } else if (prepend) {
    existing.unshift(listener);
  } else {
    existing.push(listener);
  }

  // Warn once per listener array (a fresh array after removal warns again).
  const max = maxListenersOf(target);
  if (max > 0 && existing.length > max && !existing.warned) {
    existing.warned = true;
    const warning = new Error(
      `Possible EventEmitter memory leak detected. ${existing.length} ${String(type)} listeners ` +
      `added to [${target.constructor?.name || "Object"}]. MaxListeners is ${max}. ` +
      "Use emitter.setMaxListeners() to increase limit");
    warning.name = "MaxListenersExceededWarning";
    warning.emitter = target;
    warning.type = type;
    warning.count = existing.length;
    emitWarning(warning);
  }
  return target;
}

function onceWrap(target, type, listener) {
  let fired = false;
  function wrapper(...args) {
    if (fired) return undefined;
    target.removeListener(type, wrapper);
    fired = true;
    return Reflect.apply(listener, target, args);
  }
  wrapper.listener = listener;
  return wrapper;
}

function listenersOf(target, type, unwrap) {
  const handler = target._events?.[type];
  if (handler === undefined) return [];
  if (typeof handler === "function") return [unwrap ? handler.listener || handler : handler];
  return unwrap ? handler.map((l) => l.listener || l) : handler.slice();
}

// captureRejections: a listener's rejected promise becomes an 'error' event
// (or a call of the emitter's Symbol.for('nodejs.rejection') method).
function addCatch(emitter, promise, type, args) {
  if (!emitter[kCapture]) return;
  try {
    const then = promise.then;
    if (typeof then === "function") {
      Reflect.apply(then, promise, [undefined, (err) => {
        queueMicrotask(() => emitRejection(emitter, err, type, args));
      }]);
    }
  } catch (err) {
    emitter.emit("error", err);
  }
}

function emitRejection(emitter, err, type, args) {
  if (typeof emitter[kRejection] === "function") {
    emitter[kRejection](err, type, ...args);
    return;
  }
  // Turned off meanwhile so that an async 'error' listener cannot loop.
  const previous = emitter[kCapture];
  try {
    emitter[kCapture] = false;
    emitter.emit("error", err);
  } finally {
    emitter[kCapture] = previous;
  }
}

// ---- Helpers that accept an EventEmitter or an EventTarget ----

function agnosticAdd(emitter, name, listener, flags) {
  if (typeof emitter.on === "function") {
    if (flags?.once) emitter.once(name, listener);
    else emitter.on(name, listener);
  } else if (typeof emitter.addEventListener === "function") {
    emitter.addEventListener(name, listener, flags);
  } else {
    throw new ERR_INVALID_ARG_TYPE("emitter", "EventEmitter", emitter);
  }
}

function agnosticRemove(emitter, name, listener, flags) {
  if (typeof emitter.removeListener === "function") {
    emitter.removeListener(name, listener);
  } else if (typeof emitter.removeEventListener === "function") {
    emitter.removeEventListener(name, listener, flags);
  } else {
    throw new ERR_INVALID_ARG_TYPE("emitter", "EventEmitter", emitter);
  }
}

function abortErrorFor(signal) {
  return new AbortError(undefined, { cause: signal?.reason });
}

// Like Node 20, `options` is not type-checked (Node 22 does).
async function once(emitter, name, options = {}) {
  const signal = options?.signal;
  validateAbortSignal(signal, "options.signal");
  if (signal?.aborted) throw abortErrorFor(signal);
  return new Promise((resolve, reject) => {
    const errorListener = (err) => {
      agnosticRemove(emitter, name, resolver);
      if (signal != null) agnosticRemove(signal, "abort", abortListener);
      reject(err);
    };
    const resolver = (...args) => {
      if (typeof emitter.removeListener === "function") emitter.removeListener("error", errorListener);
      if (signal != null) agnosticRemove(signal, "abort", abortListener);
      resolve(args);
    };
    const abortListener = () => {
      agnosticRemove(emitter, name, resolver);
      agnosticRemove(emitter, "error", errorListener);
      reject(abortErrorFor(signal));
    };
    agnosticAdd(emitter, name, resolver, { once: true });
    if (name !== "error" && typeof emitter.on === "function") emitter.once("error", errorListener);
    if (signal != null) agnosticAdd(signal, "abort", abortListener, { once: true });
  });
}

function on(emitter, event, options = {}) {
  options ??= {};
  const signal = options.signal;
  validateAbortSignal(signal, "options.signal");
  if (signal?.aborted) throw abortErrorFor(signal);
  const highWaterMark = options.highWaterMark ?? options.highWatermark ?? Number.MAX_SAFE_INTEGER;
  validateInteger(highWaterMark, "options.highWaterMark", 1);
  const lowWaterMark = options.lowWaterMark ?? options.lowWatermark ?? 1;
  validateInteger(lowWaterMark, "options.lowWaterMark", 1);

  const events = []; // received, not yet asked for
  const waiting = []; // asked for, not yet received: { resolve, reject }
  let error = null;
  let finished = false;
  let paused = false;

  const result = (value, done) => ({ value, done });

  const eventHandler = (...args) => {
    if (waiting.length > 0) {
      waiting.shift().resolve(result(args, false));
      return;
    }
    events.push(args);
    if (!paused && events.length > highWaterMark && typeof emitter.pause === "function") {
      paused = true;
      emitter.pause();
    }
  };

  const closeHandler = () => {
    removeAll();
    finished = true;
    const done = result(undefined, true);
    while (waiting.length > 0) waiting.shift().resolve(done);
    return Promise.resolve(done);
  };

  const errorHandler = (err) => {
    if (waiting.length > 0) waiting.shift().reject(err);
    else error = err;
    closeHandler();
  };

  const abortListener = () => errorHandler(abortErrorFor(signal));

  const closeEvents = options.close;
  function removeAll() {
    agnosticRemove(emitter, event, eventHandler);
    agnosticRemove(emitter, "error", errorHandler);
    if (closeEvents?.length) for (const name of closeEvents) agnosticRemove(emitter, name, closeHandler);
    if (signal) signal.removeEventListener("abort", abortListener);
  }

  const iterator = {
    next() {
      if (events.length > 0) {
        const value = events.shift();
        if (paused && events.length < lowWaterMark) {
          emitter.resume();
          paused = false;
        }
        return Promise.resolve(result(value, false));
      }
      if (error) {
        const p = Promise.reject(error);
        error = null;
        return p;
      }
      if (finished) return closeHandler();
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      return closeHandler();
    },
    throw(err) {
      if (!err || !(err instanceof Error)) {
        throw new ERR_INVALID_ARG_TYPE("EventEmitter.AsyncIterator", "Error", err);
      }
      errorHandler(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  Object.setPrototypeOf(iterator, Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype));

  agnosticAdd(emitter, event, eventHandler);
  if (event !== "error" && typeof emitter.on === "function") emitter.on("error", errorHandler);
  if (closeEvents?.length) for (const name of closeEvents) agnosticAdd(emitter, name, closeHandler);
  if (signal) signal.addEventListener("abort", abortListener, { once: true });
  return iterator;
}

// The runtime's EventTarget keeps its listeners under a private symbol as
// `{ listeners: { [type]: [{ callback, ... }] } }`; find that record.
function eventTargetListeners(target, type) {
  for (const key of Object.getOwnPropertySymbols(target)) {
    const data = target[key];
    if (data !== null && typeof data === "object" && data.listeners !== null &&
        typeof data.listeners === "object" && "mode" in data) {
      const list = data.listeners[type];
      return Array.isArray(list) ? list.map((entry) => entry.callback) : [];
    }
  }
  return [];
}

function getEventListeners(emitterOrTarget, type) {
  if (typeof emitterOrTarget?.listeners === "function") return emitterOrTarget.listeners(type);
  if (isEventTarget(emitterOrTarget)) return eventTargetListeners(emitterOrTarget, type);
  throw new ERR_INVALID_ARG_TYPE("emitter", ["EventEmitter", "EventTarget"], emitterOrTarget);
}

function getMaxListeners(emitterOrTarget) {
  if (typeof emitterOrTarget?.getMaxListeners === "function") return maxListenersOf(emitterOrTarget);
  if (isEventTarget(emitterOrTarget)) return emitterOrTarget[kMaxEventTargetListeners] ?? defaultMaxListeners;
  throw new ERR_INVALID_ARG_TYPE("emitter", ["EventEmitter", "EventTarget"], emitterOrTarget);
}

function setMaxListeners(n = defaultMaxListeners, ...eventTargets) {
  validateNumber(n, "setMaxListeners", 0);
  if (eventTargets.length === 0) {
    defaultMaxListeners = n;
    return;
  }
  for (const target of eventTargets) {
    if (isEventTarget(target)) {
      target[kMaxEventTargetListeners] = n;
      target[kMaxEventTargetListenersWarned] = false;
    } else if (typeof target?.setMaxListeners === "function") {
      target.setMaxListeners(n);
    } else {
      throw new ERR_INVALID_ARG_TYPE("eventTargets", ["EventEmitter", "EventTarget"], target);
    }
  }
}

function listenerCount(emitter, type) {
  if (typeof emitter.listenerCount === "function") return emitter.listenerCount(type);
  return Reflect.apply(EventEmitter.prototype.listenerCount, emitter, [type]);
}

function addAbortListener(signal, listener) {
  if (signal === undefined) throw new ERR_INVALID_ARG_TYPE("signal", "AbortSignal", signal);
  validateAbortSignal(signal, "signal");
  validateFunction(listener, "listener");
  let remove;
  if (signal.aborted) {
    queueMicrotask(() => listener());
  } else {
    signal.addEventListener("abort", listener, { once: true });
    remove = () => signal.removeEventListener("abort", listener);
  }
  return { __proto__: null, [kDispose]() { remove?.(); } };
}

// The async context comes from node:async_hooks when the runtime has it;
// otherwise listeners simply run in the caller's context.
function makeAsyncResource(emitter, name, options) {
  let AsyncResource;
  try {
    AsyncResource = require("async_hooks").AsyncResource;
  } catch {
    AsyncResource = undefined;
  }
  if (typeof AsyncResource === "function") {
    const resource = new AsyncResource(name, options);
    Object.defineProperty(resource, "eventEmitter", { value: emitter, configurable: true });
    return resource;
  }
  return {
    eventEmitter: emitter,
    runInAsyncScope(fn, thisArg, ...args) { return Reflect.apply(fn, thisArg, args); },
    emitDestroy() { return this; },
    asyncId() { return -1; },
    triggerAsyncId() { return -1; },
  };
}

class EventEmitterAsyncResource extends EventEmitter {
  constructor(options = undefined) {
    let name;
    if (typeof options === "string") {
      name = options;
      options = undefined;
    } else {
      if (new.target === EventEmitterAsyncResource) validateString(options?.name, "options.name");
      name = options?.name || new.target.name;
    }
    super(options);
    this[kAsyncResource] = makeAsyncResource(this, name, options);
  }

  emit(event, ...args) {
    const resource = this.asyncResource;
    return resource.runInAsyncScope(super.emit, this, event, ...args);
  }

  emitDestroy() {
    this.asyncResource.emitDestroy();
  }

  get asyncId() {
    return this.asyncResource.asyncId();
  }

  get triggerAsyncId() {
    return this.asyncResource.triggerAsyncId();
  }

  get asyncResource() {
    if (this[kAsyncResource] === undefined) throw new ERR_INVALID_THIS("EventEmitterAsyncResource");
    return this[kAsyncResource];
  }
}

// Static properties, in Node's order.
const value = (v) => ({ value: v, writable: true, enumerable: true, configurable: true });
Object.defineProperties(EventEmitter, {
  addAbortListener: value(addAbortListener),
  once: value(once),
  on: value(on),
  getEventListeners: value(getEventListeners),
  getMaxListeners: value(getMaxListeners),
  EventEmitter: value(EventEmitter),
  usingDomains: value(false),
  captureRejectionSymbol: value(kRejection),
  captureRejections: {
    get() {
      return EventEmitter.prototype[kCapture];
    },
    set(v) {
      validateBoolean(v, "EventEmitter.captureRejections");
      EventEmitter.prototype[kCapture] = v;
    },
    enumerable: true,
    configurable: false,
  },
  EventEmitterAsyncResource: value(EventEmitterAsyncResource),
  errorMonitor: value(kErrorMonitor),
  defaultMaxListeners: {
    get() {
      return defaultMaxListeners;
    },
    set(v) {
      validateNumber(v, "defaultMaxListeners", 0);
      defaultMaxListeners = v;
    },
    enumerable: true,
    configurable: false,
  },
  kMaxEventTargetListeners: { value: kMaxEventTargetListeners },
  kMaxEventTargetListenersWarned: { value: kMaxEventTargetListenersWarned },
  setMaxListeners: value(setMaxListeners),
  init: value(init),
  listenerCount: value(listenerCount),
});

const exports = { default: EventEmitter };
for (const key of Reflect.ownKeys(EventEmitter)) {
  // `init` stays a property of EventEmitter only, as in workerd.
  if (typeof key !== "string" || ["length", "name", "prototype", "init"].includes(key) || key.startsWith("kMax")) continue;
  // Accessors (captureRejections, defaultMaxListeners) stay live.
  Object.defineProperty(exports, key, { ...Object.getOwnPropertyDescriptor(EventEmitter, key), enumerable: true, configurable: true });
}
return exports;
})();
