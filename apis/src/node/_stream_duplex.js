// node:_stream_duplex — the legacy name of stream.Duplex (Node's module.exports is the class).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_stream_duplex");
return { default: require("stream").Duplex };
})();
