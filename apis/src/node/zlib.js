// node:zlib — deflate, gzip and brotli, compressed by the host (zlib.rs):
// the one-call functions (`gzipSync`, and `gzip` with a callback) and the
// Transform streams (`createGzip`). Callbacks run on a microtask: the work
// is done by the time the call returns, as nothing here waits for a pool.
(function () {
"use strict";
const { require, ops } = globalThis[Symbol.for("isola.node")].enter("zlib");
const { codes: { ERR_INVALID_ARG_TYPE }, validateFunction, notImplemented } = require("internal/errors");
const { Buffer, kMaxLength } = require("buffer");

// The host's codecs, numbered as zlib.rs numbers them.
const DEFLATE = 1, INFLATE = 2, GZIP = 3, GUNZIP = 4, DEFLATERAW = 5, INFLATERAW = 6, UNZIP = 7,
  BROTLI_ENCODE = 8, BROTLI_DECODE = 9;
const NO_FLUSH = 0, SYNC_FLUSH = 1, FINISH = 2;

const constants = Object.freeze({
  Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
  Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3,
  Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
  Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1,
  Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0, ZLIB_VERNUM: 4865,
  DEFLATE, INFLATE, GZIP, GUNZIP, DEFLATERAW, INFLATERAW, UNZIP, BROTLI_DECODE, BROTLI_ENCODE,
  Z_MIN_WINDOWBITS: 8, Z_MAX_WINDOWBITS: 15, Z_DEFAULT_WINDOWBITS: 15,
  Z_MIN_CHUNK: 64, Z_MAX_CHUNK: Infinity, Z_DEFAULT_CHUNK: 16384,
  Z_MIN_MEMLEVEL: 1, Z_MAX_MEMLEVEL: 9, Z_DEFAULT_MEMLEVEL: 8,
  Z_MIN_LEVEL: -1, Z_MAX_LEVEL: 9, Z_DEFAULT_LEVEL: -1,
  BROTLI_OPERATION_PROCESS: 0, BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2,
  BROTLI_OPERATION_EMIT_METADATA: 3,
  BROTLI_PARAM_MODE: 0, BROTLI_MODE_GENERIC: 0, BROTLI_MODE_TEXT: 1, BROTLI_MODE_FONT: 2,
  BROTLI_DEFAULT_MODE: 0, BROTLI_PARAM_QUALITY: 1, BROTLI_MIN_QUALITY: 0, BROTLI_MAX_QUALITY: 11,
  BROTLI_DEFAULT_QUALITY: 11, BROTLI_PARAM_LGWIN: 2, BROTLI_MIN_WINDOW_BITS: 10,
  BROTLI_MAX_WINDOW_BITS: 24, BROTLI_LARGE_MAX_WINDOW_BITS: 30, BROTLI_DEFAULT_WINDOW: 22,
  BROTLI_PARAM_LGBLOCK: 3, BROTLI_MIN_INPUT_BLOCK_BITS: 16, BROTLI_MAX_INPUT_BLOCK_BITS: 24,
  BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING: 4, BROTLI_PARAM_SIZE_HINT: 5,
  BROTLI_PARAM_LARGE_WINDOW: 6, BROTLI_PARAM_NPOSTFIX: 7, BROTLI_PARAM_NDIRECT: 8,
  BROTLI_DECODER_RESULT_ERROR: 0, BROTLI_DECODER_RESULT_SUCCESS: 1,
  BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT: 2, BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: 3,
  BROTLI_DECODER_PARAM_DISABLE_RING_BUFFER_REALLOCATION: 0, BROTLI_DECODER_PARAM_LARGE_WINDOW: 1,
});

const codes = { __proto__: null };
for (const name of ["Z_OK", "Z_STREAM_END", "Z_NEED_DICT", "Z_ERRNO", "Z_STREAM_ERROR", "Z_DATA_ERROR",
  "Z_MEM_ERROR", "Z_BUF_ERROR", "Z_VERSION_ERROR"]) {
  codes[name] = constants[name];
  codes[constants[name]] = name;
}
Object.freeze(codes);

/**
 * The host's failure as Node's error: output over the limit is
 * ERR_BUFFER_TOO_LARGE; data the codec cannot read is a zlib error with
 * `code` and `errno`.
 */
function zlibError(error) {
  if (error instanceof RangeError) {
    error.code = "ERR_BUFFER_TOO_LARGE";
    return error;
  }
  const code = error.message === "unexpected end of file" ? "Z_BUF_ERROR" : "Z_DATA_ERROR";
  const out = new Error(error.message);
  out.errno = constants[code];
  out.code = code;
  return out;
}

function bytesOf(input, name = "buffer") {
  if (typeof input === "string") return Buffer.from(input);
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new ERR_INVALID_ARG_TYPE(name, ["string", "Buffer", "TypedArray", "DataView", "ArrayBuffer"], input);
}

/** The host codec's settings for `mode` from Node's options. */
function start(mode, options = {}) {
  const params = options.params ?? {};
  const quality = params[constants.BROTLI_PARAM_QUALITY] ?? constants.BROTLI_DEFAULT_QUALITY;
  const window = params[constants.BROTLI_PARAM_LGWIN] ?? constants.BROTLI_DEFAULT_WINDOW;
  const level = options.level ?? constants.Z_DEFAULT_COMPRESSION;
  return ops.zlibNew(mode, level, quality, window);
}

/** Runs `input` through a new codec of `mode`, to its end. */
function processAll(mode, input, options) {
  const bytes = bytesOf(input);
  const rid = start(mode, options);
  const max = options?.maxOutputLength ?? kMaxLength;
  let out;
  try {
    out = ops.zlibWrite(rid, bytes, FINISH, max);
  } catch (error) {
    throw zlibError(error);
  } finally {
    ops.zlibClose(rid);
  }
  const buffer = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  return options?.info ? { buffer, engine: undefined } : buffer;
}

function syncFunction(mode) {
  return (input, options) => processAll(mode, input, options);
}

function callbackFunction(mode) {
  return (input, options, callback) => {
    if (typeof options === "function") [options, callback] = [{}, options];
    validateFunction(callback, "callback");
    let result, failure = null;
    try {
      result = processAll(mode, input, options);
    } catch (error) {
      failure = error;
    }
    queueMicrotask(() => (failure ? callback(failure) : callback(null, result)));
  };
}

// The stream classes, on node:stream's Transform.
const { Transform } = require("stream");
const codecs = new FinalizationRegistry((rid) => ops.zlibClose(rid));

class ZlibBase extends Transform {
  #rid;
  #mode;
  #maxOutput;
  bytesWritten = 0;

  constructor(mode, options = {}) {
    super({ ...options, decodeStrings: true });
    this.#mode = mode;
    this.#maxOutput = options.maxOutputLength ?? kMaxLength;
    this.#rid = start(mode, options);
    this._defaultFlushFlag = options.flush ?? constants.Z_NO_FLUSH;
    codecs.register(this, this.#rid, this);
  }

  get _handle() {
    return this.#rid === null ? null : {};
  }

  #run(bytes, flush) {
    const out = ops.zlibWrite(this.#rid, bytes, flush, this.#maxOutput);
    this.bytesWritten += bytes.length;
    if (out.length > 0) this.push(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  }

  _transform(chunk, encoding, callback) {
    try {
      this.#run(bytesOf(chunk, "chunk"), NO_FLUSH);
      callback();
    } catch (error) {
      callback(zlibError(error));
    }
  }

  _flush(callback) {
    try {
      this.#run(new Uint8Array(0), FINISH);
      this.#close();
      callback();
    } catch (error) {
      callback(zlibError(error));
    }
  }

  _destroy(error, callback) {
    this.#close();
    callback(error);
  }

  #close() {
    if (this.#rid !== null) {
      codecs.unregister(this);
      ops.zlibClose(this.#rid);
      this.#rid = null;
    }
  }

  /** Writes out what the codec holds so far (Z_SYNC_FLUSH by default). */
  flush(kind, callback) {
    if (typeof kind === "function") [kind, callback] = [undefined, kind];
    if (this.#rid !== null) {
      try {
        this.#run(new Uint8Array(0), SYNC_FLUSH);
      } catch (error) {
        this.destroy(zlibError(error));
      }
    }
    if (callback) queueMicrotask(callback);
  }

  close(callback) {
    if (callback) this.once("close", callback);
    this.destroy();
  }

  reset() {
    this.#close();
    this.#rid = start(this.#mode, {});
    codecs.register(this, this.#rid, this);
  }
}
ZlibBase.prototype.params = notImplemented("zlib.params");

function streamClass(name, mode) {
  const cls = {
    [name]: class extends ZlibBase {
      constructor(options) {
        super(mode, options);
      }
    },
  }[name];
  return cls;
}

const Deflate = streamClass("Deflate", DEFLATE);
const Inflate = streamClass("Inflate", INFLATE);
const Gzip = streamClass("Gzip", GZIP);
const Gunzip = streamClass("Gunzip", GUNZIP);
const DeflateRaw = streamClass("DeflateRaw", DEFLATERAW);
const InflateRaw = streamClass("InflateRaw", INFLATERAW);
const Unzip = streamClass("Unzip", UNZIP);
const BrotliCompress = streamClass("BrotliCompress", BROTLI_ENCODE);
const BrotliDecompress = streamClass("BrotliDecompress", BROTLI_DECODE);

function crc32(data, value = 0) {
  return ops.zlibCrc32(bytesOf(data, "data"), value);
}

const exports = {
  constants,
  codes,
  crc32,
  Deflate, Inflate, Gzip, Gunzip, DeflateRaw, InflateRaw, Unzip, BrotliCompress, BrotliDecompress,
  createDeflate: (o) => new Deflate(o),
  createInflate: (o) => new Inflate(o),
  createGzip: (o) => new Gzip(o),
  createGunzip: (o) => new Gunzip(o),
  createDeflateRaw: (o) => new DeflateRaw(o),
  createInflateRaw: (o) => new InflateRaw(o),
  createUnzip: (o) => new Unzip(o),
  createBrotliCompress: (o) => new BrotliCompress(o),
  createBrotliDecompress: (o) => new BrotliDecompress(o),
};
for (const [name, mode] of [["deflate", DEFLATE], ["inflate", INFLATE], ["gzip", GZIP], ["gunzip", GUNZIP],
  ["deflateRaw", DEFLATERAW], ["inflateRaw", INFLATERAW], ["unzip", UNZIP],
  ["brotliCompress", BROTLI_ENCODE], ["brotliDecompress", BROTLI_DECODE]]) {
  exports[name] = callbackFunction(mode);
  exports[`${name}Sync`] = syncFunction(mode);
}
// Node's module also carries the constants at its top level.
for (const key of Object.keys(constants)) {
  if (key.startsWith("Z_")) exports[key] = constants[key];
}
return exports;
})();
