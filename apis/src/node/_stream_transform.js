// node:_stream_transform — the legacy name of stream.Transform (Node's module.exports is the class).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_stream_transform");
return { default: require("stream").Transform };
})();
