// stream.pipeline() and stream.compose(). A pipeline pipes each stage into
// the next (node streams, web streams, iterables, and functions taking
// the previous stage's output as an async iterable), destroys every stage
// when one fails, and calls back once with the first error.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/stream_pipeline");
const {
  AbortError,
  codes: {
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_RETURN_VALUE,
    ERR_MISSING_ARGS,
    ERR_STREAM_DESTROYED,
    ERR_STREAM_PREMATURE_CLOSE,
  },
  validateAbortSignal,
  validateFunction,
} = require("internal/errors");
const destroyImpl = require("internal/stream_destroy");
const { eos } = require("internal/stream_eos");
const { Duplex, PassThrough } = require("internal/stream_duplex");
const { Readable } = require("internal/stream_readable");
const {
  aggregateTwoErrors,
  defer,
  isIterable,
  isNodeStream,
  isReadable,
  isReadableFinished,
  isReadableNodeStream,
  isReadableStream,
  isTransformStream,
  isWebStream,
  isWritable,
  isWritableStream,
  kDispose,
  nop,
  once,
} = require("internal/stream_utils");

/** Destroys `stream` (unless it finished) when the pipeline fails. */
function stageDestroyer(stream, reading, writing) {
  let finished = false;
  stream.on("close", () => {
    finished = true;
  });
  const cleanup = eos(stream, { readable: reading, writable: writing }, (err) => {
    finished = !err;
  });
  return {
    destroy(err) {
      if (finished) return;
      finished = true;
      destroyImpl.destroyer(stream, err || new ERR_STREAM_DESTROYED("pipe"));
    },
    cleanup,
  };
}

function popCallback(streams) {
  // The callback is required: a promise is what stream/promises is for.
  validateFunction(streams[streams.length - 1], "streams[stream.length - 1]");
  return streams.pop();
}

/** The value as an async iterable: a node Readable is iterated. */
function makeAsyncIterable(value) {
  if (isIterable(value)) return value;
  if (isReadableNodeStream(value)) {
    return (async function* () {
      yield* Readable.prototype[Symbol.asyncIterator].call(value);
    })();
  }
  throw new ERR_INVALID_ARG_TYPE("val", ["Readable", "Iterable", "AsyncIterable"], value);
}

/** Writes what `iterable` yields to a node Writable, minding backpressure. */
async function pumpToNode(iterable, writable, finish, { end }) {
  let error;
  let onresolve = null;
  const resume = (err) => {
    if (err) error = err;
    if (onresolve) {
      const callback = onresolve;
      onresolve = null;
      callback();
    }
  };
  const wait = () => new Promise((resolve, reject) => {
    if (error) {
      reject(error);
    } else {
      onresolve = () => {
        if (error) reject(error);
        else resolve();
      };
    }
  });
  writable.on("drain", resume);
  const cleanup = eos(writable, { readable: false }, resume);
  try {
    if (writable.writableNeedDrain) await wait();
    for await (const chunk of iterable) {
      if (!writable.write(chunk)) await wait();
    }
    if (end) {
      writable.end();
      await wait();
    }
    finish();
  } catch (err) {
    finish(error !== err ? aggregateTwoErrors(error, err) : err);
  } finally {
    cleanup();
    writable.off("drain", resume);
  }
}

/** Writes what `readable` yields to a web WritableStream (or a TransformStream's writable side). */
async function pumpToWeb(readable, writable, finish, { end }) {
  if (isTransformStream(writable)) writable = writable.writable;
  const writer = writable.getWriter();
  try {
    for await (const chunk of readable) {
      await writer.ready;
      writer.write(chunk).catch(nop);
    }
    await writer.ready;
    if (end) await writer.close();
    finish();
  } catch (err) {
    try {
      await writer.abort(err);
      finish(err);
    } catch (abortErr) {
      finish(abortErr);
    }
  }
}

/** Pipes node stream `src` into `dst`; `finish` is called twice (source and
 * destination done), `fail` when the destination closes early. */
function pipeNode(src, dst, finish, fail, { end }) {
  let ended = false;
  dst.on("close", () => {
    // The destination closed before the source was done.
    if (!ended) fail(new ERR_STREAM_PREMATURE_CLOSE());
  });
  src.pipe(dst, { end: false });
  if (end) {
    const endFn = () => {
      ended = true;
      dst.end();
    };
    if (isReadableFinished(src)) defer(endFn);
    else src.once("end", endFn);
  } else {
    finish();
  }
  eos(src, { readable: true, writable: false }, (err) => {
    const r = src._readableState;
    if (err && err.code === "ERR_STREAM_PREMATURE_CLOSE" && r?.ended && !r.errored && !r.errorEmitted) {
      // Closed after ending but before 'end' was emitted: wait for 'end'.
      src.once("end", finish).once("error", finish);
    } else {
      finish(err);
    }
  });
  return eos(dst, { readable: false, writable: true }, finish);
}

function pipeline(...streams) {
  return pipelineImpl(streams, once(popCallback(streams)));
}

function pipelineImpl(streams, callback, opts) {
  if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0];
  if (streams.length < 2) throw new ERR_MISSING_ARGS("streams");

  const ac = new AbortController();
  const signal = ac.signal;
  const outerSignal = opts?.signal;
  // Undone on success, so the last stream is left as the caller's.
  const lastStreamCleanup = [];
  validateAbortSignal(outerSignal, "options.signal");

  const abort = () => finishImpl(new AbortError(undefined, { cause: outerSignal?.reason }));
  let disposable;
  if (outerSignal) disposable = require("events").addAbortListener(outerSignal, abort);

  let error;
  let value;
  const destroys = [];
  let finishCount = 0;

  function finish(err) {
    finishImpl(err, --finishCount === 0);
  }

  function finishImpl(err, final) {
    if (err && (!error || error.code === "ERR_STREAM_PREMATURE_CLOSE")) error = err;
    if (!error && !final) return;
    while (destroys.length) destroys.shift()(error);
    disposable?.[kDispose]();
    ac.abort();
    if (final) {
      if (!error) for (const fn of lastStreamCleanup) fn();
      defer(callback, error, value);
    }
  }

  let ret;
  for (let i = 0; i < streams.length; i++) {
    const stream = streams[i];
    const reading = i < streams.length - 1;
    const writing = i > 0;
    const end = reading || opts?.end !== false;
    const isLastStream = i === streams.length - 1;

    if (isNodeStream(stream)) {
      if (end) {
        const { destroy, cleanup } = stageDestroyer(stream, reading, writing);
        destroys.push(destroy);
        if (isReadable(stream) && isLastStream) lastStreamCleanup.push(cleanup);
      }
      // An error fails the pipeline at once (even one after the stream did
      // its part); the callback still waits for every stage to settle.
      const onError = (err) => {
        if (err && err.name !== "AbortError" && err.code !== "ERR_STREAM_PREMATURE_CLOSE") finishImpl(err, false);
      };
      stream.on("error", onError);
      if (isReadable(stream) && isLastStream) lastStreamCleanup.push(() => stream.removeListener("error", onError));
    }

    if (i === 0) {
      if (typeof stream === "function") {
        ret = stream({ signal });
        if (!isIterable(ret)) throw new ERR_INVALID_RETURN_VALUE("Iterable, AsyncIterable or Stream", "source", ret);
      } else if (isIterable(stream) || isReadableNodeStream(stream) || isTransformStream(stream)) {
        ret = stream;
      } else {
        ret = Duplex.from(stream);
      }
    } else if (typeof stream === "function") {
      ret = makeAsyncIterable(isTransformStream(ret) ? ret.readable : ret);
      ret = stream(ret, { signal });
      if (reading) {
        if (!isIterable(ret, true)) throw new ERR_INVALID_RETURN_VALUE("AsyncIterable", `transform[${i - 1}]`, ret);
      } else {
        // The last stage is a function: what it returns (a promise, or an
        // iterable) is written to a PassThrough, which the pipeline returns.
        const pt = new PassThrough({ objectMode: true });
        const then = ret?.then;
        if (typeof then === "function") {
          finishCount++;
          Reflect.apply(then, ret, [
            (val) => {
              value = val;
              if (val != null) pt.write(val);
              if (end) pt.end();
              defer(finish);
            },
            (err) => {
              pt.destroy(err);
              defer(finish, err);
            },
          ]);
        } else if (isIterable(ret, true)) {
          finishCount++;
          pumpToNode(ret, pt, finish, { end });
        } else if (isReadableStream(ret) || isTransformStream(ret)) {
          finishCount++;
          pumpToNode(ret.readable || ret, pt, finish, { end });
        } else {
          throw new ERR_INVALID_RETURN_VALUE("AsyncIterable or Promise", "destination", ret);
        }
        ret = pt;
        const { destroy, cleanup } = stageDestroyer(ret, false, true);
        destroys.push(destroy);
        if (isLastStream) lastStreamCleanup.push(cleanup);
      }
    } else if (isNodeStream(stream)) {
      if (isReadableNodeStream(ret)) {
        finishCount += 2;
        const cleanup = pipeNode(ret, stream, finish, (err) => finishImpl(err, false), { end });
        if (isReadable(stream) && isLastStream) lastStreamCleanup.push(cleanup);
      } else if (isTransformStream(ret) || isReadableStream(ret)) {
        finishCount++;
        pumpToNode(ret.readable || ret, stream, finish, { end });
      } else if (isIterable(ret)) {
        finishCount++;
        pumpToNode(ret, stream, finish, { end });
      } else {
        throw new ERR_INVALID_ARG_TYPE("val",
          ["Readable", "Iterable", "AsyncIterable", "ReadableStream", "TransformStream"], ret);
      }
      ret = stream;
    } else if (isWebStream(stream)) {
      if (isReadableNodeStream(ret)) {
        finishCount++;
        pumpToWeb(makeAsyncIterable(ret), stream, finish, { end });
      } else if (isReadableStream(ret) || isIterable(ret)) {
        finishCount++;
        pumpToWeb(ret, stream, finish, { end });
      } else if (isTransformStream(ret)) {
        finishCount++;
        pumpToWeb(ret.readable, stream, finish, { end });
      } else {
        throw new ERR_INVALID_ARG_TYPE("val",
          ["Readable", "Iterable", "AsyncIterable", "ReadableStream", "TransformStream"], ret);
      }
      ret = stream;
    } else {
      ret = Duplex.from(stream);
    }
  }

  if (signal?.aborted || outerSignal?.aborted) defer(abort);
  return ret;
}

// --- compose ---

/** Joins streams into one Duplex: writes go to the first, reads come from the last. */
function compose(...streams) {
  if (streams.length === 0) throw new ERR_MISSING_ARGS("streams");
  if (streams.length === 1) return Duplex.from(streams[0]);
  const given = [...streams];
  if (typeof streams[0] === "function") streams[0] = Duplex.from(streams[0]);
  const last = streams.length - 1;
  if (typeof streams[last] === "function") streams[last] = Duplex.from(streams[last]);

  for (let n = 0; n < streams.length; ++n) {
    const s = streams[n];
    if (!isNodeStream(s) && !isWebStream(s)) continue;
    if (n < last && !(isReadable(s) || isReadableStream(s) || isTransformStream(s))) {
      throw new ERR_INVALID_ARG_VALUE(`streams[${n}]`, given[n], "must be readable");
    }
    if (n > 0 && !(isWritable(s) || isWritableStream(s) || isTransformStream(s))) {
      throw new ERR_INVALID_ARG_VALUE(`streams[${n}]`, given[n], "must be writable");
    }
  }

  let ondrain;
  let onfinish;
  let onreadable;
  let onclose;
  let d;

  function onfinished(err) {
    const cb = onclose;
    onclose = null;
    if (cb) cb(err);
    else if (err) d.destroy(err);
    else if (!readable && !writable) d.destroy();
  }

  const head = streams[0];
  const tail = pipeline(streams, onfinished);
  const writable = !!(isWritable(head) || isWritableStream(head) || isTransformStream(head));
  const readable = !!(isReadable(tail) || isReadableStream(tail) || isTransformStream(tail));

  d = new Duplex({
    writableObjectMode: !!head?.writableObjectMode,
    readableObjectMode: !!tail?.readableObjectMode,
    writable,
    readable,
  });

  let tailDone = null;
  if (writable) {
    if (isNodeStream(head)) {
      d._write = function (chunk, encoding, callback) {
        if (head.write(chunk, encoding)) callback();
        else ondrain = callback;
      };
      d._final = function (callback) {
        head.end();
        onfinish = callback;
      };
      head.on("drain", () => {
        if (ondrain) {
          const cb = ondrain;
          ondrain = null;
          cb();
        }
      });
    } else {
      const writer = (isTransformStream(head) ? head.writable : head).getWriter();
      d._write = async function (chunk, encoding, callback) {
        try {
          await writer.ready;
          writer.write(chunk).catch(nop);
          callback();
        } catch (err) {
          callback(err);
        }
      };
      d._final = async function (callback) {
        try {
          await writer.ready;
          writer.close().catch(nop);
          onfinish = callback;
        } catch (err) {
          callback(err);
        }
      };
    }
    // The composed stream finishes when the last stage does.
    tailDone = () => {
      if (onfinish) {
        const cb = onfinish;
        onfinish = null;
        cb();
      }
    };
    if (isNodeStream(tail)) eos(tail, tailDone);
  }

  if (readable) {
    if (isNodeStream(tail)) {
      tail.on("readable", () => {
        if (onreadable) {
          const cb = onreadable;
          onreadable = null;
          cb();
        }
      });
      tail.on("end", () => d.push(null));
      d._read = function () {
        while (true) {
          const chunk = tail.read();
          if (chunk === null) {
            onreadable = d._read;
            return;
          }
          if (!d.push(chunk)) return;
        }
      };
    } else {
      const reader = (isTransformStream(tail) ? tail.readable : tail).getReader();
      // The reader sees the web tail end: that is when the composed stream finishes.
      reader.closed.then(() => tailDone?.(), () => tailDone?.());
      d._read = async function () {
        while (true) {
          try {
            const { value, done } = await reader.read();
            if (done) {
              d.push(null);
              return;
            }
            if (!d.push(value)) return;
          } catch {
            return;
          }
        }
      };
    }
  } else if (tailDone && !isNodeStream(tail)) {
    eos(isTransformStream(tail) ? tail.readable : tail, tailDone);
  }

  d._destroy = function (err, callback) {
    if (!err && onclose !== null) err = new AbortError();
    onreadable = null;
    ondrain = null;
    onfinish = null;
    if (onclose === null) {
      callback(err);
    } else {
      onclose = callback;
      if (isNodeStream(tail)) destroyImpl.destroyer(tail, err);
    }
  };
  return d;
}

return { compose, pipeline, pipelineImpl };
})();
