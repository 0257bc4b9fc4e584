// node:_stream_writable — the legacy name of stream.Writable (the default is the class; its
// statics are named exports too, as on workerd).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_stream_writable");
const { Writable } = require("stream");
return { default: Writable, Writable, WritableState: Writable.WritableState, fromWeb: Writable.fromWeb, toWeb: Writable.toWeb };
})();
