// The iterator helpers of Readable.prototype: map, filter, flatMap, take,
// drop (which Readable wraps into new streams with Readable.from), forEach,
// toArray, some, every, find, reduce (which return promises), and compose.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/stream_operators");
const {
  AbortError,
  codes: { ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE },
  validateAbortSignal,
  validateFunction,
  validateInteger,
  validateObject,
} = require("internal/errors");
const { ReduceAwareErrMissingArgs, isNodeStream, isWritable, nop } = require("internal/stream_utils");

const kEmpty = Symbol("kEmpty");
const kEof = Symbol("kEof");

function validateOptions(options) {
  if (options != null) validateObject(options, "options");
  if (options?.signal != null) validateAbortSignal(options.signal, "options.signal");
}

function map(fn, options) {
  validateFunction(fn, "fn");
  validateOptions(options);
  let concurrency = 1;
  if (options?.concurrency != null) concurrency = Math.floor(options.concurrency);
  // By default as many results wait as run.
  let highWaterMark = concurrency - 1;
  if (options?.highWaterMark != null) highWaterMark = Math.floor(options.highWaterMark);
  validateInteger(concurrency, "options.concurrency", 1);
  validateInteger(highWaterMark, "options.highWaterMark", 0);
  const signal = options?.signal ?? new AbortController().signal;
  return mapChunks(this, fn, signal, concurrency, highWaterMark + concurrency);
}

/** Runs `fn` on up to `concurrency` chunks at once and yields the results
 * in the chunks' order, holding at most `limit` of them. */
async function* mapChunks(stream, fn, signal, concurrency, limit) {
  // Promises of results in order; kEof marks the end of the source.
  const queue = [];
  let running = 0;
  let done = false;
  let wakeConsumer = null;
  let wakeProducer = null;

  const notifyConsumer = () => {
    if (wakeConsumer) {
      wakeConsumer();
      wakeConsumer = null;
    }
  };
  const maybeResume = () => {
    if (wakeProducer && !done && running < concurrency && queue.length < limit) {
      wakeProducer();
      wakeProducer = null;
    }
  };
  const settled = () => {
    running -= 1;
    maybeResume();
  };
  const failed = () => {
    done = true;
    settled();
  };

  async function produce() {
    try {
      for await (const chunk of stream) {
        if (done) return;
        if (signal.aborted) throw new AbortError();
        let result;
        try {
          result = fn(chunk, { signal });
          if (result === kEmpty) continue;
          result = Promise.resolve(result);
        } catch (err) {
          result = Promise.reject(err);
        }
        running += 1;
        result.then(settled, failed);
        queue.push(result);
        notifyConsumer();
        if (!done && (queue.length >= limit || running >= concurrency)) {
          await new Promise((resolve) => {
            wakeProducer = resolve;
          });
        }
      }
      queue.push(kEof);
    } catch (err) {
      const result = Promise.reject(err);
      result.then(settled, failed);
      queue.push(result);
    } finally {
      done = true;
      notifyConsumer();
    }
  }
  produce();

  try {
    while (true) {
      while (queue.length > 0) {
        const value = await queue[0];
        if (value === kEof) return;
        if (signal.aborted) throw new AbortError();
        if (value !== kEmpty) yield value;
        queue.shift();
        maybeResume();
      }
      await new Promise((resolve) => {
        wakeConsumer = resolve;
      });
    }
  } finally {
    done = true;
    if (wakeProducer) {
      wakeProducer();
      wakeProducer = null;
    }
  }
}

function filter(fn, options) {
  validateFunction(fn, "fn");
  const keep = async (value, opts) => ((await fn(value, opts)) ? value : kEmpty);
  return Reflect.apply(map, this, [keep, options]);
}

function flatMap(fn, options) {
  const values = Reflect.apply(map, this, [fn, options]);
  return (async function* () {
    for await (const value of values) yield* value;
  })();
}

/** `number` as a count: NaN is 0, negative numbers throw. */
function toCount(number) {
  number = Number(number);
  if (Number.isNaN(number)) return 0;
  if (number < 0) throw new ERR_OUT_OF_RANGE("number", ">= 0", number);
  return number;
}

function take(number, options) {
  validateOptions(options);
  number = toCount(number);
  const stream = this;
  return (async function* () {
    if (options?.signal?.aborted) throw new AbortError();
    if (number <= 0) return;
    for await (const value of stream) {
      if (options?.signal?.aborted) throw new AbortError();
      if (number-- > 0) yield value;
      // Stop without waiting for another chunk.
      if (number <= 0) return;
    }
  })();
}

function drop(number, options) {
  validateOptions(options);
  number = toCount(number);
  const stream = this;
  return (async function* () {
    if (options?.signal?.aborted) throw new AbortError();
    for await (const value of stream) {
      if (options?.signal?.aborted) throw new AbortError();
      if (number-- <= 0) yield value;
    }
  })();
}

async function forEach(fn, options) {
  validateFunction(fn, "fn");
  const each = async (value, opts) => {
    await fn(value, opts);
    return kEmpty;
  };
  for await (const unused of Reflect.apply(map, this, [each, options]));
}

async function toArray(options) {
  validateOptions(options);
  const result = [];
  for await (const value of this) {
    if (options?.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
    result.push(value);
  }
  return result;
}

async function some(fn, options) {
  for await (const unused of Reflect.apply(filter, this, [fn, options])) return true;
  return false;
}

async function every(fn, options) {
  validateFunction(fn, "fn");
  return !(await Reflect.apply(some, this, [async (...args) => !(await fn(...args)), options]));
}

async function find(fn, options) {
  for await (const value of Reflect.apply(filter, this, [fn, options])) return value;
  return undefined;
}

async function reduce(reducer, initialValue, options) {
  validateFunction(reducer, "reducer");
  validateOptions(options);
  let hasInitialValue = arguments.length > 1;
  if (options?.signal?.aborted) {
    const err = new AbortError(undefined, { cause: options.signal.reason });
    this.once("error", nop);
    await new Promise((resolve) => require("internal/stream_eos").eos(this.destroy(err), () => resolve()));
    throw err;
  }
  // The reducer's signal aborts with the caller's, and once reduce is over.
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  options?.signal?.addEventListener("abort", onAbort, { once: true });
  let gotAny = false;
  try {
    for await (const value of this) {
      gotAny = true;
      if (options?.signal?.aborted) throw new AbortError();
      if (!hasInitialValue) {
        initialValue = value;
        hasInitialValue = true;
      } else {
        initialValue = await reducer(initialValue, value, { signal: ac.signal });
      }
    }
    if (!gotAny && !hasInitialValue) throw new ReduceAwareErrMissingArgs();
  } finally {
    ac.abort();
    options?.signal?.removeEventListener("abort", onAbort);
  }
  return initialValue;
}

/** Readable.prototype.compose: this stream piped through `stream`, as one Duplex. */
function compose(stream, options) {
  validateOptions(options);
  if (isNodeStream(stream) && !isWritable(stream)) throw new ERR_INVALID_ARG_VALUE("stream", stream, "must be writable");
  const composed = require("internal/stream_pipeline").compose(this, stream);
  if (options?.signal) require("internal/stream_eos").addAbortSignalNoValidate(options.signal, composed);
  return composed;
}

return {
  streamReturning: { drop, filter, flatMap, map, take },
  promiseReturning: { every, forEach, reduce, toArray, some, find },
  compose,
};
})();
