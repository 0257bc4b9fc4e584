// node:_stream_writable — the legacy name of stream.Writable (Node's module.exports is the class).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_stream_writable");
return { default: require("stream").Writable };
})();
