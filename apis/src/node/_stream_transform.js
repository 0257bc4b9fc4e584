// node:_stream_transform — the legacy name of stream.Transform (the default is the class; its
// statics are named exports too, as on workerd).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_stream_transform");
const { Transform } = require("stream");
return { default: Transform, Transform };
})();
