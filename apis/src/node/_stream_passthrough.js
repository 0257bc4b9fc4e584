// node:_stream_passthrough — the legacy name of stream.PassThrough (Node's module.exports is the class).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_stream_passthrough");
return { default: require("stream").PassThrough };
})();
