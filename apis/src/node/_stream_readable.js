// node:_stream_readable — the legacy name of stream.Readable (Node's module.exports is the class).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_stream_readable");
return { default: require("stream").Readable };
})();
