// stream.finished (Node's end-of-stream) and stream.addAbortSignal, for
// node streams and web streams.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/stream_eos");
const {
  AbortError,
  codes: { ERR_INVALID_ARG_TYPE, ERR_STREAM_PREMATURE_CLOSE },
  validateAbortSignal,
  validateFunction,
  validateObject,
} = require("internal/errors");
const {
  defer,
  isClosed,
  isNodeStream,
  isReadable,
  isReadableErrored,
  isReadableFinished,
  isReadableNodeStream,
  isReadableStream,
  isWebStream,
  isWritable,
  isWritableErrored,
  isWritableFinished,
  isWritableNodeStream,
  isWritableStream,
  kDispose,
  nop,
  once,
  willEmitClose,
} = require("internal/stream_utils");

let addAbortListener;
function onAbort(signal, listener) {
  addAbortListener ??= require("events").addAbortListener;
  return addAbortListener(signal, listener);
}

/** Calls `callback(err)` once `stream` has ended, finished, errored or
 * closed early; returns a function that stops watching. */
function eos(stream, options, callback) {
  if (arguments.length === 2) {
    callback = options;
    options = {};
  } else if (options == null) {
    options = {};
  } else {
    validateObject(options, "options");
  }
  validateFunction(callback, "callback");
  validateAbortSignal(options.signal, "options.signal");
  callback = once(callback);

  if (isReadableStream(stream) || isWritableStream(stream)) return eosWeb(stream, options, callback);
  if (!isNodeStream(stream)) {
    throw new ERR_INVALID_ARG_TYPE("stream", ["ReadableStream", "WritableStream", "Stream"], stream);
  }

  const readable = options.readable ?? isReadableNodeStream(stream);
  const writable = options.writable ?? isWritableNodeStream(stream);
  const wState = stream._writableState;
  const rState = stream._readableState;

  // When the stream will emit 'close' itself, wait for that rather than
  // answering on 'end'/'finish', so that the caller sees it settled.
  let waitClose = willEmitClose(stream) &&
    isReadableNodeStream(stream) === readable && isWritableNodeStream(stream) === writable;
  let writableFinished = isWritableFinished(stream, false);
  let readableFinished = isReadableFinished(stream, false);
  let closed = isClosed(stream);

  const onfinish = () => {
    writableFinished = true;
    if (stream.destroyed) waitClose = false;
    if (waitClose && (!stream.readable || readable)) return;
    if (!readable || readableFinished) callback.call(stream);
  };
  const onend = () => {
    readableFinished = true;
    if (stream.destroyed) waitClose = false;
    if (waitClose && (!stream.writable || writable)) return;
    if (!writable || writableFinished) callback.call(stream);
  };
  // Streams without _writableState (old-style) signal the end with 'end'/'close'.
  const onlegacyfinish = () => {
    if (!stream.writable) onfinish();
  };
  const onerror = (err) => callback.call(stream, err);
  const onclose = () => {
    closed = true;
    const errored = isWritableErrored(stream) || isReadableErrored(stream);
    if (errored && typeof errored !== "boolean") return callback.call(stream, errored);
    if (readable && !readableFinished && isReadableNodeStream(stream, true) && !isReadableFinished(stream, false)) {
      return callback.call(stream, new ERR_STREAM_PREMATURE_CLOSE());
    }
    if (writable && !writableFinished && !isWritableFinished(stream, false)) {
      return callback.call(stream, new ERR_STREAM_PREMATURE_CLOSE());
    }
    callback.call(stream);
  };
  const onclosed = () => {
    closed = true;
    const errored = isWritableErrored(stream) || isReadableErrored(stream);
    if (errored && typeof errored !== "boolean") return callback.call(stream, errored);
    callback.call(stream);
  };

  if (writable && !wState) {
    stream.on("end", onlegacyfinish);
    stream.on("close", onlegacyfinish);
  }
  if (!waitClose && typeof stream.aborted === "boolean") stream.on("aborted", onclose);
  stream.on("end", onend);
  stream.on("finish", onfinish);
  if (options.error !== false) stream.on("error", onerror);
  stream.on("close", onclose);

  // Already over: answer from a microtask.
  if (closed) {
    defer(onclose);
  } else if (wState?.errorEmitted || rState?.errorEmitted) {
    if (!waitClose) defer(onclosed);
  } else if (!readable && (!waitClose || isReadable(stream)) && (writableFinished || isWritable(stream) === false)) {
    defer(onclosed);
  } else if (!writable && (!waitClose || isWritable(stream)) && (readableFinished || isReadable(stream) === false)) {
    defer(onclosed);
  }

  const cleanup = () => {
    callback = nop;
    stream.removeListener("aborted", onclose);
    stream.removeListener("end", onlegacyfinish);
    stream.removeListener("close", onlegacyfinish);
    stream.removeListener("end", onend);
    stream.removeListener("finish", onfinish);
    stream.removeListener("error", onerror);
    stream.removeListener("close", onclose);
  };

  if (options.signal && !closed) {
    const signal = options.signal;
    const abort = () => {
      const endCallback = callback;
      cleanup();
      endCallback.call(stream, new AbortError(undefined, { cause: signal.reason }));
    };
    if (signal.aborted) {
      defer(abort);
    } else {
      const disposable = onAbort(signal, abort);
      const original = callback;
      callback = once((...args) => {
        disposable[kDispose]();
        Reflect.apply(original, stream, args);
      });
    }
  }
  return cleanup;
}

// --- Web streams ---

// The runtime's web streams (deno_web's, like Node's own) carry a deferred
// that settles when the stream closes or errors, and the function that
// errors them, under these names.
const kIsClosedPromise = Symbol.for("nodejs.webstream.isClosedPromise");
const kControllerErrorFunction = Symbol.for("nodejs.webstream.controllerErrorFunction");

/** The promise that settles when the web stream does: its own, else one fed
 * by the readers and writers taken from it from now on. */
function webClosedPromise(stream) {
  const own = stream[kIsClosedPromise]?.promise;
  if (own) return own;
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const follow = (closedPromise) => closedPromise.then(resolve, (err) => {
    // A released lock rejects `closed` with a TypeError: not the stream's end.
    if (!(err instanceof TypeError && stream.locked === false)) reject(err);
  });
  const name = isReadableStream(stream) ? "getReader" : "getWriter";
  const original = stream[name];
  Object.defineProperty(stream, name, {
    value(...args) {
      const handle = Reflect.apply(original, this, args);
      follow(handle.closed);
      return handle;
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(stream, kIsClosedPromise, { value: { promise }, configurable: true });
  return promise;
}

function eosWeb(stream, options, callback) {
  let aborted = false;
  if (options.signal) {
    const signal = options.signal;
    const abort = () => {
      aborted = true;
      callback.call(stream, new AbortError(undefined, { cause: signal.reason }));
    };
    if (signal.aborted) {
      defer(abort);
    } else {
      const disposable = onAbort(signal, abort);
      const original = callback;
      callback = once((...args) => {
        disposable[kDispose]();
        Reflect.apply(original, stream, args);
      });
    }
  }
  const settle = (...args) => {
    if (!aborted) defer(() => Reflect.apply(callback, stream, args));
  };
  webClosedPromise(stream).then(() => settle(), settle);
  return nop;
}

// --- addAbortSignal ---

function addAbortSignal(signal, stream) {
  validateAbortSignal(signal, "signal");
  if (!isNodeStream(stream) && !isWebStream(stream)) {
    throw new ERR_INVALID_ARG_TYPE("stream", ["ReadableStream", "WritableStream", "Stream"], stream);
  }
  return addAbortSignalNoValidate(signal, stream);
}

/** Destroys (a node stream) or errors (a web stream) `stream` when `signal` aborts. */
function addAbortSignalNoValidate(signal, stream) {
  if (typeof signal !== "object" || signal === null || !("aborted" in signal)) return stream;
  const abort = () => {
    const err = new AbortError(undefined, { cause: signal.reason });
    if (isNodeStream(stream)) {
      stream.destroy(err);
    } else if (typeof stream[kControllerErrorFunction] === "function") {
      stream[kControllerErrorFunction](err);
    } else if (!stream.locked) {
      // Without the runtime's hook a web stream can only be cancelled or aborted.
      if (typeof stream.cancel === "function") stream.cancel(err).catch(nop);
      else if (typeof stream.abort === "function") stream.abort(err).catch(nop);
    }
  };
  if (signal.aborted) {
    abort();
  } else {
    const disposable = onAbort(signal, abort);
    if (isNodeStream(stream) || isReadableStream(stream) || isWritableStream(stream)) {
      eos(stream, () => disposable[kDispose]());
    }
  }
  return stream;
}

return { addAbortSignal, addAbortSignalNoValidate, eos, finished: eos };
})();
