// node:stream/web — the runtime's web stream classes (the globals), under
// the names Node gives them. A class the runtime lacks is undefined.
(function () {
"use strict";
globalThis[Symbol.for("isola.node")].enter("stream/web");
const names = [
  "ReadableStream",
  "ReadableStreamDefaultReader",
  "ReadableStreamBYOBReader",
  "ReadableStreamBYOBRequest",
  "ReadableByteStreamController",
  "ReadableStreamDefaultController",
  "TransformStream",
  "TransformStreamDefaultController",
  "WritableStream",
  "WritableStreamDefaultWriter",
  "WritableStreamDefaultController",
  "ByteLengthQueuingStrategy",
  "CountQueuingStrategy",
  "TextEncoderStream",
  "TextDecoderStream",
  "CompressionStream",
  "DecompressionStream",
];
const exports = {};
for (const name of names) exports[name] = globalThis[name];
return exports;
})();
