// node:_stream_passthrough — the legacy name of stream.PassThrough (the default is the class; its
// statics are named exports too, as on workerd).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_stream_passthrough");
const { PassThrough } = require("stream");
return { default: PassThrough, PassThrough };
})();
