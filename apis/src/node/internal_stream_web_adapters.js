// Readable/Writable/Duplex .toWeb() and .fromWeb(): node streams over the
// runtime's global ReadableStream/WritableStream and back. Bytes cross as
// Uint8Array (a Buffer read from a node stream is copied).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/stream_web_adapters");
const {
  AbortError,
  codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_STREAM_PREMATURE_CLOSE },
  validateBoolean,
  validateObject,
} = require("internal/errors");
const { Buffer } = require("buffer");
const { destroyer } = require("internal/stream_destroy");
const { eos } = require("internal/stream_eos");
const { Readable } = require("internal/stream_readable");
const { Writable } = require("internal/stream_writable");
const { Duplex } = require("internal/stream_duplex");
const {
  defer,
  deferred,
  isDestroyed,
  isReadable,
  isReadableStream,
  isWritable,
  isWritableEnded,
  isWritableStream,
  nop,
} = require("internal/stream_utils");

/** A premature close seen from the web side is an abort. */
function webError(error) {
  if (error?.code === "ERR_STREAM_PREMATURE_CLOSE") return new AbortError(undefined, { cause: error });
  return error;
}

function validateEncoding(encoding) {
  if (encoding !== undefined && !Buffer.isEncoding(encoding)) {
    throw new ERR_INVALID_ARG_VALUE(encoding, "options.encoding");
  }
}

/** The bytes a Writable wants for `chunk`, as a Uint8Array the web side can keep. */
function toBytes(chunk, encoding) {
  if (typeof chunk !== "string") return chunk;
  if (!encoding || encoding === "utf8" || encoding === "utf-8") return new TextEncoder().encode(chunk);
  const buf = Buffer.from(chunk, encoding);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

// --- node Writable → WritableStream ---

function newWritableStreamFromStreamWritable(streamWritable) {
  if (typeof streamWritable?._writableState !== "object") {
    throw new ERR_INVALID_ARG_TYPE("streamWritable", "stream.Writable", streamWritable);
  }
  if (isDestroyed(streamWritable) || !isWritable(streamWritable)) {
    const writable = new WritableStream();
    writable.close();
    return writable;
  }
  const highWaterMark = streamWritable.writableHighWaterMark;
  const strategy = streamWritable.writableObjectMode
    ? new CountQueuingStrategy({ highWaterMark })
    : { highWaterMark, size: (chunk) => chunk?.byteLength ?? chunk?.length ?? 1 };

  let controller;
  let backpressure;
  let closed;

  const onDrain = () => backpressure?.resolve();
  const cleanup = eos(streamWritable, (error) => {
    error = webError(error);
    cleanup();
    // Errors from here on are the web stream's to report.
    streamWritable.on("error", nop);
    if (error != null) {
      backpressure?.reject(error);
      if (closed !== undefined) {
        closed.reject(error);
        closed = undefined;
      }
      controller?.error(error);
      controller = undefined;
      return;
    }
    if (closed !== undefined) {
      closed.resolve();
      closed = undefined;
      return;
    }
    controller?.error(new AbortError());
    controller = undefined;
  });
  streamWritable.on("drain", onDrain);

  const writable = new WritableStream({
    start(c) {
      controller = c;
    },
    write(chunk) {
      if (streamWritable.writableNeedDrain || !streamWritable.write(chunk)) {
        backpressure = deferred();
        return backpressure.promise.finally(() => {
          backpressure = undefined;
        });
      }
    },
    abort(reason) {
      destroyer(streamWritable, reason);
    },
    close() {
      if (closed === undefined && !isWritableEnded(streamWritable)) {
        closed = deferred();
        streamWritable.end();
        return closed.promise;
      }
      controller = undefined;
      return Promise.resolve();
    },
  }, strategy);
  return writable;
}

// --- WritableStream → node Writable ---

function newStreamWritableFromWritableStream(writableStream, options = {}) {
  if (!isWritableStream(writableStream)) {
    throw new ERR_INVALID_ARG_TYPE("writableStream", "WritableStream", writableStream);
  }
  validateObject(options, "options");
  const { highWaterMark, decodeStrings = true, objectMode = false, signal } = options;
  validateBoolean(objectMode, "options.objectMode");
  validateBoolean(decodeStrings, "options.decodeStrings");

  const writer = writableStream.getWriter();
  let closed = false;
  // Strings left undecoded (decodeStrings: false) go to the web stream as they are.
  const bytesFor = (chunk, encoding) => (decodeStrings && !objectMode ? toBytes(chunk, encoding) : chunk);

  const writable = new Writable({
    highWaterMark,
    objectMode,
    decodeStrings,
    signal,
    writev(chunks, callback) {
      const done = (error) => {
        try {
          callback(error);
        } catch (err) {
          defer(() => destroyer(writable, err));
        }
      };
      writer.ready.then(
        () => Promise.all(chunks.map(({ chunk, encoding }) => writer.write(bytesFor(chunk, encoding)))).then(() => done(), done),
        done,
      );
    },
    write(chunk, encoding, callback) {
      chunk = bytesFor(chunk, encoding);
      const done = (error) => {
        try {
          callback(error);
        } catch (err) {
          destroyer(writable, err);
        }
      };
      writer.ready.then(() => writer.write(chunk).then(() => done(), done), done);
    },
    destroy(error, callback) {
      const done = () => {
        try {
          callback(error);
        } catch (err) {
          defer(() => {
            throw err;
          });
        }
      };
      if (!closed) {
        if (error != null) writer.abort(error).then(done, done);
        else writer.close().then(done, done);
        return;
      }
      done();
    },
    final(callback) {
      const done = (error) => {
        try {
          callback(error);
        } catch (err) {
          defer(() => destroyer(writable, err));
        }
      };
      if (!closed) writer.close().then(() => done(), done);
    },
  });

  writer.closed.then(
    () => {
      closed = true;
      if (!isWritableEnded(writable)) destroyer(writable, new ERR_STREAM_PREMATURE_CLOSE());
    },
    (error) => {
      closed = true;
      destroyer(writable, error);
    },
  );
  return writable;
}

// --- node Readable → ReadableStream ---

function newReadableStreamFromStreamReadable(streamReadable, options = {}) {
  if (typeof streamReadable?._readableState !== "object") {
    throw new ERR_INVALID_ARG_TYPE("streamReadable", "stream.Readable", streamReadable);
  }
  if (isDestroyed(streamReadable) || !isReadable(streamReadable)) {
    const readable = new ReadableStream();
    readable.cancel();
    return readable;
  }
  const objectMode = streamReadable.readableObjectMode;
  const highWaterMark = streamReadable.readableHighWaterMark;
  let strategy = options?.strategy;
  if (!strategy) {
    strategy = objectMode
      ? new CountQueuingStrategy({ highWaterMark })
      : { highWaterMark, size: (chunk) => chunk?.byteLength ?? chunk?.length ?? 1 };
  }

  let controller;

  function onData(chunk) {
    // The web side gets its own copy of the bytes.
    if (Buffer.isBuffer(chunk) && !objectMode) chunk = new Uint8Array(chunk);
    controller.enqueue(chunk);
    if (controller.desiredSize <= 0) streamReadable.pause();
  }

  const cleanup = eos(streamReadable, (error) => {
    error = webError(error);
    cleanup();
    streamReadable.on("error", nop);
    if (error) {
      try {
        controller.error(error);
      } catch {
        // Already cancelled.
      }
      return;
    }
    try {
      controller.close();
    } catch {
      // Already cancelled.
    }
  });
  streamReadable.on("data", onData);

  const readable = new ReadableStream({
    start(c) {
      controller = c;
    },
    pull() {
      streamReadable.resume();
    },
    cancel(reason) {
      destroyer(streamReadable, reason);
    },
  }, strategy);
  return readable;
}

// --- ReadableStream → node Readable ---

function newStreamReadableFromReadableStream(readableStream, options = {}) {
  if (!isReadableStream(readableStream)) {
    throw new ERR_INVALID_ARG_TYPE("readableStream", "ReadableStream", readableStream);
  }
  validateObject(options, "options");
  const { highWaterMark, encoding, objectMode = false, signal } = options;
  validateEncoding(encoding);
  validateBoolean(objectMode, "options.objectMode");

  const reader = readableStream.getReader();
  let closed = false;

  const readable = new Readable({
    objectMode,
    highWaterMark,
    encoding,
    signal,
    read() {
      reader.read().then(
        (chunk) => {
          if (chunk.done) readable.push(null);
          else readable.push(chunk.value);
        },
        (error) => destroyer(readable, error),
      );
    },
    destroy(error, callback) {
      const done = () => {
        try {
          callback(error);
        } catch (err) {
          defer(() => {
            throw err;
          });
        }
      };
      if (!closed) {
        reader.cancel(error).then(done, done);
        return;
      }
      done();
    },
  });

  reader.closed.then(
    () => {
      closed = true;
    },
    (error) => {
      closed = true;
      destroyer(readable, error);
    },
  );
  return readable;
}

// --- Duplex ↔ { readable, writable } ---

function newReadableWritablePairFromDuplex(duplex) {
  if (typeof duplex?._writableState !== "object" || typeof duplex?._readableState !== "object") {
    throw new ERR_INVALID_ARG_TYPE("duplex", "stream.Duplex", duplex);
  }
  if (isDestroyed(duplex)) {
    const writable = new WritableStream();
    const readable = new ReadableStream();
    writable.close();
    readable.cancel();
    return { readable, writable };
  }
  let writable;
  if (isWritable(duplex)) {
    writable = newWritableStreamFromStreamWritable(duplex);
  } else {
    writable = new WritableStream();
    writable.close();
  }
  let readable;
  if (isReadable(duplex)) {
    readable = newReadableStreamFromStreamReadable(duplex);
  } else {
    readable = new ReadableStream();
    readable.cancel();
  }
  return { writable, readable };
}

function newStreamDuplexFromReadableWritablePair(pair = {}, options = {}) {
  validateObject(pair, "pair");
  const { readable: readableStream, writable: writableStream } = pair;
  if (!isReadableStream(readableStream)) {
    throw new ERR_INVALID_ARG_TYPE("pair.readable", "ReadableStream", readableStream);
  }
  if (!isWritableStream(writableStream)) {
    throw new ERR_INVALID_ARG_TYPE("pair.writable", "WritableStream", writableStream);
  }
  validateObject(options, "options");
  const { allowHalfOpen = false, objectMode = false, encoding, decodeStrings = true, highWaterMark, signal } = options;
  validateBoolean(objectMode, "options.objectMode");
  validateEncoding(encoding);

  const writer = writableStream.getWriter();
  const reader = readableStream.getReader();
  const bytesFor = (chunk, enc) => (decodeStrings && !objectMode ? toBytes(chunk, enc) : chunk);
  let writableClosed = false;
  let readableClosed = false;

  const duplex = new Duplex({
    allowHalfOpen,
    highWaterMark,
    objectMode,
    encoding,
    decodeStrings,
    signal,
    writev(chunks, callback) {
      const done = (error) => {
        try {
          callback(error);
        } catch (err) {
          defer(() => destroyer(duplex, err));
        }
      };
      writer.ready.then(
        () => Promise.all(chunks.map(({ chunk, encoding: enc }) => writer.write(bytesFor(chunk, enc)))).then(() => done(), done),
        done,
      );
    },
    write(chunk, enc, callback) {
      chunk = bytesFor(chunk, enc);
      const done = (error) => {
        try {
          callback(error);
        } catch (err) {
          destroyer(duplex, err);
        }
      };
      writer.ready.then(() => writer.write(chunk).then(() => done(), done), done);
    },
    final(callback) {
      const done = (error) => {
        try {
          callback(error);
        } catch (err) {
          defer(() => destroyer(duplex, err));
        }
      };
      if (!writableClosed) writer.close().then(() => done(), done);
    },
    read() {
      reader.read().then(
        (chunk) => {
          if (chunk.done) duplex.push(null);
          else duplex.push(chunk.value);
        },
        (error) => destroyer(duplex, error),
      );
    },
    destroy(error, callback) {
      const done = () => {
        try {
          callback(error);
        } catch (err) {
          defer(() => {
            throw err;
          });
        }
      };
      const closeWriter = async () => {
        if (!writableClosed) await writer.abort(error);
      };
      const closeReader = async () => {
        if (!readableClosed) await reader.cancel(error);
      };
      if (!writableClosed || !readableClosed) {
        Promise.all([closeWriter(), closeReader()]).then(done, done);
        return;
      }
      done();
    },
  });

  writer.closed.then(
    () => {
      writableClosed = true;
      if (!isWritableEnded(duplex)) destroyer(duplex, new ERR_STREAM_PREMATURE_CLOSE());
    },
    (error) => {
      writableClosed = true;
      readableClosed = true;
      destroyer(duplex, error);
    },
  );
  reader.closed.then(
    () => {
      readableClosed = true;
    },
    (error) => {
      writableClosed = true;
      readableClosed = true;
      destroyer(duplex, error);
    },
  );
  return duplex;
}

return {
  newReadableStreamFromStreamReadable,
  newReadableWritablePairFromDuplex,
  newStreamDuplexFromReadableWritablePair,
  newStreamReadableFromReadableStream,
  newStreamWritableFromWritableStream,
  newWritableStreamFromStreamWritable,
};
})();
