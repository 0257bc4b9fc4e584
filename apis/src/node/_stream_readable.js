// node:_stream_readable — the legacy name of stream.Readable (the default is the class; its
// statics are named exports too, as on workerd).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_stream_readable");
const { Readable } = require("stream");
return { default: Readable, Readable, ReadableState: Readable.ReadableState, from: Readable.from, fromWeb: Readable.fromWeb, toWeb: Readable.toWeb, wrap: Readable.wrap };
})();
