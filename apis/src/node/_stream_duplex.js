// node:_stream_duplex — the legacy name of stream.Duplex (the default is the class; its
// statics are named exports too, as on workerd).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_stream_duplex");
const { Duplex } = require("stream");
return { default: Duplex, Duplex, from: Duplex.from, fromWeb: Duplex.fromWeb, toWeb: Duplex.toWeb };
})();
