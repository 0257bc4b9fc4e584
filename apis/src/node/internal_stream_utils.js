// What the node:stream modules share: the tests Node uses to tell kinds of
// streams apart (duck-typed, so other libraries' streams work too), the
// default high water marks, and small helpers.
//
// Node defers much of its stream work with process.nextTick; this runtime
// has no separate nextTick queue, so the stream modules use queueMicrotask
// (`defer` below). The order of events a stream emits is the same; only
// their timing relative to other promise reactions may differ.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/stream_utils");
const {
  codes: { ERR_INVALID_ARG_VALUE, ERR_MISSING_ARGS },
  validateInteger,
} = require("internal/errors");
const { Buffer } = require("buffer");

// Shared with Node (Symbol.for) where other code may look for them.
const kIsDestroyed = Symbol.for("nodejs.stream.destroyed");
const kIsErrored = Symbol("kIsErrored");
const kIsReadable = Symbol("kIsReadable");
const kIsWritable = Symbol("kIsWritable");
const kIsDisturbed = Symbol("kIsDisturbed");
/** Emitted (as an event name) once a stream's _construct has finished. */
const kConstruct = Symbol("kConstruct");
/** Emitted when destroy() was called before _construct finished. */
const kDestroy = Symbol("kDestroy");
const kOnFinished = Symbol("kOnFinished");
const kAsyncDispose = Symbol.asyncDispose ?? Symbol.for("nodejs.asyncDispose");
const kDispose = Symbol.dispose ?? Symbol.for("nodejs.dispose");
const kRejection = Symbol.for("nodejs.rejection");

/** Runs `fn(...args)` after the current job: Node's process.nextTick. */
function defer(fn, ...args) {
  queueMicrotask(() => fn(...args));
}

function nop() {}

/** `fn` that runs at most once. */
function once(fn) {
  let called = false;
  return function (...args) {
    if (called) return;
    called = true;
    return Reflect.apply(fn, this, args);
  };
}

/** A promise with its resolve and reject functions. */
function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One error out of two, as Node reports a second failure that happened while handling a first. */
function aggregateTwoErrors(inner, outer) {
  if (inner && outer && inner !== outer) {
    if (Array.isArray(outer.errors)) {
      outer.errors.push(inner);
      return outer;
    }
    const err = new AggregateError([outer, inner], outer.message);
    err.code = outer.code;
    return err;
  }
  return inner || outer;
}

// --- Default high water marks (Node 22: 64 KiB of bytes, 16 objects). ---

let defaultBytes = 64 * 1024;
let defaultObjects = 16;

function getDefaultHighWaterMark(objectMode) {
  return objectMode ? defaultObjects : defaultBytes;
}

function setDefaultHighWaterMark(objectMode, value) {
  validateInteger(value, "value", 0);
  if (objectMode) defaultObjects = value;
  else defaultBytes = value;
}

/** The high water mark `options` ask for (`highWaterMark`, or for one side
 * of a Duplex `readableHighWaterMark`/`writableHighWaterMark`), else the default. */
function getHighWaterMark(options, duplexKey, isDuplex, objectMode) {
  let hwm = options?.highWaterMark;
  if (hwm == null && isDuplex) hwm = options?.[duplexKey];
  if (hwm != null) {
    if (!Number.isInteger(hwm) || hwm < 0) {
      const name = options.highWaterMark != null || !isDuplex ? "options.highWaterMark" : `options.${duplexKey}`;
      throw new ERR_INVALID_ARG_VALUE(name, hwm);
    }
    return Math.floor(hwm);
  }
  return getDefaultHighWaterMark(objectMode);
}

// --- Chunks ---

function isUint8Array(value) {
  return value instanceof Uint8Array;
}

function isArrayBufferView(value) {
  return ArrayBuffer.isView(value);
}

/** A Buffer over the same memory as `chunk`. */
function uint8ArrayToBuffer(chunk) {
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

// --- Readable's buffer ---

/** The buffered chunks: an array read from `head`, compacted now and then,
 * so taking chunks off the front stays cheap. */
class ChunkQueue {
  #items = [];
  #head = 0;

  get length() {
    return this.#items.length - this.#head;
  }
  push(chunk) {
    this.#items.push(chunk);
  }
  unshift(chunk) {
    if (this.#head > 0) this.#items[--this.#head] = chunk;
    else this.#items.unshift(chunk);
  }
  first() {
    return this.#items[this.#head];
  }
  shift() {
    const chunk = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return chunk;
  }
  clear() {
    this.#items = [];
    this.#head = 0;
  }
  /** The chunks, oldest first. */
  toArray() {
    return this.#items.slice(this.#head);
  }
  [Symbol.iterator]() {
    return this.toArray()[Symbol.iterator]();
  }

  /** Takes `n` bytes (or characters, for strings) off the front. */
  consume(n, strings) {
    const first = this.first();
    if (n < first.length) {
      this.#items[this.#head] = first.slice(n);
      return first.slice(0, n);
    }
    if (n === first.length) return this.shift();
    if (strings) {
      let out = "";
      while (out.length < n) {
        const chunk = this.first();
        const want = n - out.length;
        if (want >= chunk.length) {
          out += this.shift();
        } else {
          out += chunk.slice(0, want);
          this.#items[this.#head] = chunk.slice(want);
        }
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.first();
      const want = n - filled;
      if (want >= chunk.length) {
        out.set(chunk, filled);
        filled += chunk.length;
        this.shift();
      } else {
        out.set(chunk.subarray(0, want), filled);
        filled += want;
        this.#items[this.#head] = chunk.subarray(want);
      }
    }
    return out;
  }
}

// --- Telling streams apart, as Node's internal/streams/utils does ---

function isReadableNodeStream(obj, strict = false) {
  return !!(obj && typeof obj.pipe === "function" && typeof obj.on === "function" &&
    (!strict || (typeof obj.pause === "function" && typeof obj.resume === "function")) &&
    (!obj._writableState || obj._readableState?.readable !== false) &&
    (!obj._writableState || obj._readableState));
}

function isWritableNodeStream(obj) {
  return !!(obj && typeof obj.write === "function" && typeof obj.on === "function" &&
    (!obj._readableState || obj._writableState?.writable !== false));
}

function isDuplexNodeStream(obj) {
  return !!(obj && typeof obj.pipe === "function" && obj._readableState &&
    typeof obj.on === "function" && typeof obj.write === "function");
}

function isNodeStream(obj) {
  return !!obj && (obj._readableState || obj._writableState ||
    (typeof obj.write === "function" && typeof obj.on === "function") ||
    (typeof obj.pipe === "function" && typeof obj.on === "function"));
}

function isReadableStream(obj) {
  return !!(obj && !isNodeStream(obj) && typeof obj.pipeThrough === "function" &&
    typeof obj.getReader === "function" && typeof obj.cancel === "function");
}

function isWritableStream(obj) {
  return !!(obj && !isNodeStream(obj) && typeof obj.getWriter === "function" && typeof obj.abort === "function");
}

function isTransformStream(obj) {
  return !!(obj && !isNodeStream(obj) && typeof obj.readable === "object" && typeof obj.writable === "object");
}

function isWebStream(obj) {
  return isReadableStream(obj) || isWritableStream(obj) || isTransformStream(obj);
}

function isIterable(obj, isAsync) {
  if (obj == null) return false;
  if (isAsync === true) return typeof obj[Symbol.asyncIterator] === "function";
  if (isAsync === false) return typeof obj[Symbol.iterator] === "function";
  return typeof obj[Symbol.asyncIterator] === "function" || typeof obj[Symbol.iterator] === "function";
}

function isDestroyed(stream) {
  if (!isNodeStream(stream)) return null;
  const state = stream._writableState || stream._readableState;
  return !!(stream.destroyed || stream[kIsDestroyed] || state?.destroyed);
}

function isWritableEnded(stream) {
  if (!isWritableNodeStream(stream)) return null;
  if (stream.writableEnded === true) return true;
  const state = stream._writableState;
  if (state?.errored) return false;
  if (typeof state?.ended !== "boolean") return null;
  return state.ended;
}

function isWritableFinished(stream, strict) {
  if (!isWritableNodeStream(stream)) return null;
  if (stream.writableFinished === true) return true;
  const state = stream._writableState;
  if (state?.errored) return false;
  if (typeof state?.finished !== "boolean") return null;
  return !!(state.finished || (strict === false && state.ended === true && state.length === 0));
}

function isReadableEnded(stream) {
  if (!isReadableNodeStream(stream)) return null;
  if (stream.readableEnded === true) return true;
  const state = stream._readableState;
  if (!state || state.errored) return false;
  if (typeof state.ended !== "boolean") return null;
  return state.ended;
}

function isReadableFinished(stream, strict) {
  if (!isReadableNodeStream(stream)) return null;
  const state = stream._readableState;
  if (state?.errored) return false;
  if (typeof state?.endEmitted !== "boolean") return null;
  return !!(state.endEmitted || (strict === false && state.ended === true && state.length === 0));
}

// deno_web shows a web stream's state ({ state, disturbed }) under this
// name, for Node's stream utilities.
const kWebState = Symbol.for("nodejs.webstreams.kState");

/** A web stream's { state, disturbed }, or undefined where the runtime does not show it. */
function webState(stream) {
  if (!isReadableStream(stream) && !isWritableStream(stream)) return undefined;
  try {
    return stream[kWebState] ?? undefined;
  } catch {
    return undefined;
  }
}

function isReadable(stream) {
  if (stream && stream[kIsReadable] != null) return stream[kIsReadable];
  if (isReadableStream(stream) && webState(stream)) return webState(stream).state === "readable";
  if (typeof stream?.readable !== "boolean") return null;
  if (isDestroyed(stream)) return false;
  return isReadableNodeStream(stream) && stream.readable && !isReadableFinished(stream);
}

function isWritable(stream) {
  if (stream && stream[kIsWritable] != null) return stream[kIsWritable];
  if (isWritableStream(stream) && webState(stream)) return webState(stream).state === "writable";
  if (typeof stream?.writable !== "boolean") return null;
  if (isDestroyed(stream)) return false;
  return isWritableNodeStream(stream) && stream.writable && !isWritableEnded(stream);
}

/** Whether nothing more will happen on the stream's readable and writable sides. */
function isFinished(stream, opts) {
  if (!isNodeStream(stream)) return null;
  if (isDestroyed(stream)) return true;
  if (opts?.readable !== false && isReadable(stream)) return false;
  if (opts?.writable !== false && isWritable(stream)) return false;
  return true;
}

function isWritableErrored(stream) {
  if (!isNodeStream(stream)) return null;
  if (stream.writableErrored) return stream.writableErrored;
  return stream._writableState?.errored ?? null;
}

function isReadableErrored(stream) {
  if (!isNodeStream(stream)) return null;
  if (stream.readableErrored) return stream.readableErrored;
  return stream._readableState?.errored ?? null;
}

function isClosed(stream) {
  if (!isNodeStream(stream)) return null;
  if (typeof stream.closed === "boolean") return stream.closed;
  const w = stream._writableState;
  const r = stream._readableState;
  if (typeof w?.closed === "boolean" || typeof r?.closed === "boolean") return w?.closed || r?.closed;
  return null;
}

/** Whether the stream will emit 'close' by itself once done. */
function willEmitClose(stream) {
  if (!isNodeStream(stream)) return null;
  const state = stream._writableState || stream._readableState;
  return !!(state && state.autoDestroy && state.emitClose && state.closed === false);
}

function isDisturbed(stream) {
  const web = webState(stream);
  if (web && isReadableStream(stream)) return !!web.disturbed;
  return !!(stream && (stream[kIsDisturbed] ?? (stream.readableDidRead || stream.readableAborted)));
}

function isErrored(stream) {
  const web = webState(stream);
  if (web) return web.state === "errored";
  return !!(stream && (stream[kIsErrored] ?? stream.readableErrored ?? stream.writableErrored ??
    stream._readableState?.errorEmitted ?? stream._writableState?.errorEmitted ??
    stream._readableState?.errored ?? stream._writableState?.errored));
}

/** Adds `fn` before the other listeners of `event`. */
function prependListener(emitter, event, fn) {
  if (typeof emitter.prependListener === "function") return emitter.prependListener(event, fn);
  // Old-style emitters without prependListener.
  if (!emitter._events || !emitter._events[event]) emitter.on(event, fn);
  else if (Array.isArray(emitter._events[event])) emitter._events[event].unshift(fn);
  else emitter._events[event] = [fn, emitter._events[event]];
}

/** Node's ERR_MISSING_ARGS('reduce') with the wording its reduce() uses. */
class ReduceAwareErrMissingArgs extends ERR_MISSING_ARGS {
  constructor() {
    super("reduce");
    this.message = "Reduce of an empty stream requires an initial value";
  }
}

return {
  ChunkQueue,
  ReduceAwareErrMissingArgs,
  aggregateTwoErrors,
  defer,
  deferred,
  getDefaultHighWaterMark,
  getHighWaterMark,
  isArrayBufferView,
  isClosed,
  isDestroyed,
  isDisturbed,
  isDuplexNodeStream,
  isErrored,
  isFinished,
  isIterable,
  isNodeStream,
  isReadable,
  isReadableEnded,
  isReadableErrored,
  isReadableFinished,
  isReadableNodeStream,
  isReadableStream,
  isTransformStream,
  isUint8Array,
  isWebStream,
  isWritable,
  isWritableEnded,
  isWritableErrored,
  isWritableFinished,
  isWritableNodeStream,
  isWritableStream,
  kAsyncDispose,
  kConstruct,
  kDestroy,
  kDispose,
  kIsDestroyed,
  kIsDisturbed,
  kIsErrored,
  kIsReadable,
  kIsWritable,
  kOnFinished,
  kRejection,
  nop,
  once,
  prependListener,
  setDefaultHighWaterMark,
  uint8ArrayToBuffer,
  willEmitClose,
};
})();
