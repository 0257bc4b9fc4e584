// node:zlib — deflate, gzip, brotli and zstd, compressed by the host (zlib.rs):
// the one-call functions (`gzipSync`, and `gzip` with a callback) and the
// Transform streams (`createGzip`). Callbacks run on a microtask: the work
// is done by the time the call returns, as nothing here waits for a pool.
(function () {
"use strict";
const { require, ops } = globalThis[Symbol.for("isola.node")].enter("zlib");
const { codes: { ERR_INVALID_ARG_TYPE }, notImplemented } = require("internal/errors");
const { Buffer, kMaxLength } = require("buffer");
const { later } = require("internal/callbacks");

// The host's codecs, numbered as zlib.rs numbers them.
const DEFLATE = 1, INFLATE = 2, GZIP = 3, GUNZIP = 4, DEFLATERAW = 5, INFLATERAW = 6, UNZIP = 7,
  BROTLI_ENCODE = 8, BROTLI_DECODE = 9, ZSTD_ENCODE = 10, ZSTD_DECODE = 11;
const NO_FLUSH = 0, SYNC_FLUSH = 1, FINISH = 2;

// Node's constants (zlib's, brotli's and zstd's), by the values Node gives.
const constants = Object.freeze({
  Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
  Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3,
  Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6, Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1,
  Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1, Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3,
  Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0, ZLIB_VERNUM: 4897, DEFLATE: 1, INFLATE: 2, GZIP: 3, GUNZIP: 4,
  DEFLATERAW: 5, INFLATERAW: 6, UNZIP: 7, BROTLI_DECODE: 8, BROTLI_ENCODE: 9, Z_MIN_WINDOWBITS: 8,
  Z_MAX_WINDOWBITS: 15, Z_DEFAULT_WINDOWBITS: 15, Z_MIN_CHUNK: 64, Z_MAX_CHUNK: 134217728,
  Z_DEFAULT_CHUNK: 16384, Z_MIN_MEMLEVEL: 1, Z_MAX_MEMLEVEL: 9, Z_DEFAULT_MEMLEVEL: 8,
  Z_MIN_LEVEL: -1, Z_MAX_LEVEL: 9, Z_DEFAULT_LEVEL: -1, BROTLI_OPERATION_PROCESS: 0,
  BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2, BROTLI_OPERATION_EMIT_METADATA: 3,
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
  BROTLI_DECODER_NO_ERROR: 0, BROTLI_DECODER_SUCCESS: 1, BROTLI_DECODER_NEEDS_MORE_INPUT: 2,
  BROTLI_DECODER_NEEDS_MORE_OUTPUT: 3, BROTLI_DECODER_ERROR_FORMAT_EXUBERANT_NIBBLE: -1,
  BROTLI_DECODER_ERROR_FORMAT_RESERVED: -2, BROTLI_DECODER_ERROR_FORMAT_EXUBERANT_META_NIBBLE: -3,
  BROTLI_DECODER_ERROR_FORMAT_SIMPLE_HUFFMAN_ALPHABET: -4,
  BROTLI_DECODER_ERROR_FORMAT_SIMPLE_HUFFMAN_SAME: -5, BROTLI_DECODER_ERROR_FORMAT_CL_SPACE: -6,
  BROTLI_DECODER_ERROR_FORMAT_HUFFMAN_SPACE: -7,
  BROTLI_DECODER_ERROR_FORMAT_CONTEXT_MAP_REPEAT: -8,
  BROTLI_DECODER_ERROR_FORMAT_BLOCK_LENGTH_1: -9, BROTLI_DECODER_ERROR_FORMAT_BLOCK_LENGTH_2: -10,
  BROTLI_DECODER_ERROR_FORMAT_TRANSFORM: -11, BROTLI_DECODER_ERROR_FORMAT_DICTIONARY: -12,
  BROTLI_DECODER_ERROR_FORMAT_WINDOW_BITS: -13, BROTLI_DECODER_ERROR_FORMAT_PADDING_1: -14,
  BROTLI_DECODER_ERROR_FORMAT_PADDING_2: -15, BROTLI_DECODER_ERROR_FORMAT_DISTANCE: -16,
  BROTLI_DECODER_ERROR_DICTIONARY_NOT_SET: -19, BROTLI_DECODER_ERROR_INVALID_ARGUMENTS: -20,
  BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES: -21, BROTLI_DECODER_ERROR_ALLOC_TREE_GROUPS: -22,
  BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MAP: -25, BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_1: -26,
  BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_2: -27, BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES: -30,
  BROTLI_DECODER_ERROR_UNREACHABLE: -31, ZSTD_ENCODE: 10, ZSTD_DECODE: 11, ZSTD_COMPRESS: 10,
  ZSTD_DECOMPRESS: 11, ZSTD_e_continue: 0, ZSTD_e_flush: 1, ZSTD_e_end: 2,
  ZSTD_c_compressionLevel: 100, ZSTD_c_windowLog: 101, ZSTD_c_hashLog: 102, ZSTD_c_chainLog: 103,
  ZSTD_c_searchLog: 104, ZSTD_c_minMatch: 105, ZSTD_c_targetLength: 106, ZSTD_c_strategy: 107,
  ZSTD_c_enableLongDistanceMatching: 160, ZSTD_c_ldmHashLog: 161, ZSTD_c_ldmMinMatch: 162,
  ZSTD_c_ldmBucketSizeLog: 163, ZSTD_c_ldmHashRateLog: 164, ZSTD_c_contentSizeFlag: 200,
  ZSTD_c_checksumFlag: 201, ZSTD_c_dictIDFlag: 202, ZSTD_c_nbWorkers: 400, ZSTD_c_jobSize: 401,
  ZSTD_c_overlapLog: 402, ZSTD_d_windowLogMax: 100, ZSTD_fast: 1, ZSTD_dfast: 2, ZSTD_greedy: 3,
  ZSTD_lazy: 4, ZSTD_lazy2: 5, ZSTD_btlazy2: 6, ZSTD_btopt: 7, ZSTD_btultra: 8, ZSTD_btultra2: 9,
  ZSTD_CLEVEL_DEFAULT: 3, ZSTD_error_no_error: 0, ZSTD_error_GENERIC: 1,
  ZSTD_error_prefix_unknown: 10, ZSTD_error_version_unsupported: 12,
  ZSTD_error_frameParameter_unsupported: 14, ZSTD_error_frameParameter_windowTooLarge: 16,
  ZSTD_error_corruption_detected: 20, ZSTD_error_checksum_wrong: 22,
  ZSTD_error_literals_headerWrong: 24, ZSTD_error_dictionary_corrupted: 30,
  ZSTD_error_dictionary_wrong: 32, ZSTD_error_dictionaryCreation_failed: 34,
  ZSTD_error_parameter_unsupported: 40, ZSTD_error_parameter_combination_unsupported: 41,
  ZSTD_error_parameter_outOfBound: 42, ZSTD_error_tableLog_tooLarge: 44,
  ZSTD_error_maxSymbolValue_tooLarge: 46, ZSTD_error_maxSymbolValue_tooSmall: 48,
  ZSTD_error_stabilityCondition_notRespected: 50, ZSTD_error_stage_wrong: 60,
  ZSTD_error_init_missing: 62, ZSTD_error_memory_allocation: 64, ZSTD_error_workSpace_tooSmall: 66,
  ZSTD_error_dstSize_tooSmall: 70, ZSTD_error_srcSize_wrong: 72, ZSTD_error_dstBuffer_null: 74,
  ZSTD_error_noForwardProgress_destFull: 80, ZSTD_error_noForwardProgress_inputEmpty: 82,
});

const codes = { __proto__: null };
for (const name of ["Z_OK", "Z_STREAM_END", "Z_NEED_DICT", "Z_ERRNO", "Z_STREAM_ERROR", "Z_DATA_ERROR",
  "Z_MEM_ERROR", "Z_BUF_ERROR", "Z_VERSION_ERROR"]) {
  codes[name] = constants[name];
  codes[constants[name]] = name;
}
Object.freeze(codes);

/**
 * The host's failure as workerd reports it: a RangeError for output over
 * the limit, an Error with zlib's words for data the codec cannot read.
 */
function zlibError(error) {
  return error instanceof RangeError ? error : new Error(error.message);
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
  const quality = mode === ZSTD_ENCODE
    ? params[constants.ZSTD_c_compressionLevel] ?? constants.ZSTD_CLEVEL_DEFAULT
    : params[constants.BROTLI_PARAM_QUALITY] ?? constants.BROTLI_DEFAULT_QUALITY;
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
    later(callback, () => processAll(mode, input, options));
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
const ZstdCompress = streamClass("ZstdCompress", ZSTD_ENCODE);
const ZstdDecompress = streamClass("ZstdDecompress", ZSTD_DECODE);

function crc32(data, value = 0) {
  return ops.zlibCrc32(bytesOf(data, "data"), value);
}

const exports = {
  constants,
  codes,
  crc32,
  Deflate, Inflate, Gzip, Gunzip, DeflateRaw, InflateRaw, Unzip, BrotliCompress, BrotliDecompress,
  ZstdCompress, ZstdDecompress,
  createDeflate: (o) => new Deflate(o),
  createInflate: (o) => new Inflate(o),
  createGzip: (o) => new Gzip(o),
  createGunzip: (o) => new Gunzip(o),
  createDeflateRaw: (o) => new DeflateRaw(o),
  createInflateRaw: (o) => new InflateRaw(o),
  createUnzip: (o) => new Unzip(o),
  createBrotliCompress: (o) => new BrotliCompress(o),
  createBrotliDecompress: (o) => new BrotliDecompress(o),
  createZstdCompress: (o) => new ZstdCompress(o),
  createZstdDecompress: (o) => new ZstdDecompress(o),
};
for (const [name, mode] of [["deflate", DEFLATE], ["inflate", INFLATE], ["gzip", GZIP], ["gunzip", GUNZIP],
  ["deflateRaw", DEFLATERAW], ["inflateRaw", INFLATERAW], ["unzip", UNZIP],
  ["brotliCompress", BROTLI_ENCODE], ["brotliDecompress", BROTLI_DECODE],
  ["zstdCompress", ZSTD_ENCODE], ["zstdDecompress", ZSTD_DECODE]]) {
  exports[name] = callbackFunction(mode);
  exports[`${name}Sync`] = syncFunction(mode);
}
// The module also carries the constants at its top level, but for zstd's
// parameters and strategies and one of brotli's, as workerd's does.
for (const [name, value] of Object.entries(constants)) {
  if (!/^ZSTD_(c_|d_|e_|fast|dfast|greedy|lazy|bt|CLEVEL)/.test(name) && name !== "BROTLI_PARAM_SIZE_HINT") {
    exports[name] = value;
  }
}
return exports;
})();
