// Readable.from(): a Readable (object mode, highWaterMark 1 by default)
// that reads an iterable or async iterable, awaiting promises a sync
// iterable yields. A string or Buffer is pushed whole, as one chunk.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/stream_from");
const {
  codes: { ERR_INVALID_ARG_TYPE, ERR_STREAM_NULL_VALUES },
} = require("internal/errors");
const { Buffer } = require("buffer");
const { defer } = require("internal/stream_utils");

function from(Readable, iterable, opts) {
  if (typeof iterable === "string" || iterable instanceof Buffer) {
    return new Readable({
      objectMode: true,
      ...opts,
      read() {
        this.push(iterable);
        this.push(null);
      },
    });
  }

  let iterator;
  let isAsync;
  if (iterable && typeof iterable[Symbol.asyncIterator] === "function") {
    isAsync = true;
    iterator = iterable[Symbol.asyncIterator]();
  } else if (iterable && typeof iterable[Symbol.iterator] === "function") {
    isAsync = false;
    iterator = iterable[Symbol.iterator]();
  } else {
    throw new ERR_INVALID_ARG_TYPE("iterable", ["Iterable"], iterable);
  }

  const readable = new Readable({ objectMode: true, highWaterMark: 1, ...opts });
  // True while a pull loop runs; _read calls during it are no-ops.
  let reading = false;

  readable._read = function () {
    if (!reading) {
      reading = true;
      pull();
    }
  };

  readable._destroy = function (error, cb) {
    close(error).then(
      () => defer(cb, error),
      (e) => defer(cb, e || error),
    );
  };

  /** Ends the iterator early: throw() on an error (when it has one), else return(). */
  async function close(error) {
    const hadError = error !== undefined && error !== null;
    if (hadError && typeof iterator.throw === "function") {
      const { value, done } = await iterator.throw(error);
      await value;
      if (done) return;
    }
    if (typeof iterator.return === "function") {
      const { value } = await iterator.return();
      await value;
    }
  }

  /** Pushes values until the buffer is full (push() says false) or the iterator ends. */
  async function pull() {
    for (;;) {
      try {
        // A sync iterator's plain values are pushed without awaiting, so they
        // are buffered before _read returns; the promises it yields are awaited.
        let { value, done } = isAsync ? await iterator.next() : iterator.next();
        if (done) {
          readable.push(null);
          return;
        }
        if (!isAsync && value && typeof value.then === "function") value = await value;
        if (value === null) {
          reading = false;
          throw new ERR_STREAM_NULL_VALUES();
        }
        if (readable.push(value)) continue;
        reading = false;
      } catch (err) {
        readable.destroy(err);
      }
      return;
    }
  }

  return readable;
}

return { from };
})();
