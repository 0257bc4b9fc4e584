// node:stream — Node's streams: Readable, Writable, Duplex, Transform,
// PassThrough, pipeline, finished, compose and the rest, with the legacy
// `Stream` constructor as the default export carrying them all, as Node's
// module.exports does. Differences from Node: callbacks Node defers with
// process.nextTick run from queueMicrotask here (no separate nextTick
// queue), and stream state objects hold plain fields, not bit flags.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("stream");
const { Stream } = require("internal/stream_legacy");
const { Readable } = require("internal/stream_readable");
const { Writable } = require("internal/stream_writable");
const { Duplex, Transform, PassThrough, duplexPair } = require("internal/stream_duplex");
const { pipeline, compose } = require("internal/stream_pipeline");
const { eos, addAbortSignal } = require("internal/stream_eos");
const { destroyer } = require("internal/stream_destroy");
const utils = require("internal/stream_utils");

const promises = require("stream/promises");
const getPromises = () => promises;
const customPromisify = Symbol.for("nodejs.util.promisify.custom");

// pipeline and finished promisify to their stream/promises versions.
Object.defineProperty(pipeline, customPromisify, {
  get: () => getPromises().pipeline,
  enumerable: true,
  configurable: true,
});
Object.defineProperty(eos, customPromisify, {
  get: () => getPromises().finished,
  enumerable: true,
  configurable: true,
});

const named = {
  isDestroyed: utils.isDestroyed,
  isDisturbed: utils.isDisturbed,
  isErrored: utils.isErrored,
  isReadable: utils.isReadable,
  isWritable: utils.isWritable,
  Readable,
  Writable,
  Duplex,
  Transform,
  PassThrough,
  duplexPair,
  pipeline,
  addAbortSignal,
  finished: eos,
  destroy: destroyer,
  compose,
  setDefaultHighWaterMark: utils.setDefaultHighWaterMark,
  getDefaultHighWaterMark: utils.getDefaultHighWaterMark,
};
const value = (v) => ({ value: v, writable: true, enumerable: true, configurable: true });
for (const [key, v] of Object.entries(named)) Object.defineProperty(Stream, key, value(v));
Object.defineProperty(Stream, "promises", {
  get: getPromises,
  enumerable: true,
  configurable: true,
});
Object.defineProperty(Stream, "Stream", value(Stream));
Object.defineProperty(Stream, "_isArrayBufferView", value(utils.isArrayBufferView));
Object.defineProperty(Stream, "_isUint8Array", value(utils.isUint8Array));
Object.defineProperty(Stream, "_uint8ArrayToBuffer", value(utils.uint8ArrayToBuffer));

return {
  default: Stream,
  ...named,
  promises,
  Stream,
  _isArrayBufferView: utils.isArrayBufferView,
  _isUint8Array: utils.isUint8Array,
  _uint8ArrayToBuffer: utils.uint8ArrayToBuffer,
};
})();
