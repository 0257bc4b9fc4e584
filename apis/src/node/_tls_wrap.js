// node:_tls_wrap — Node's legacy module behind node:tls: TLSSocket and
// connect (see internal_net_tls.js).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_tls_wrap");
const { TLSSocket, connect } = require("internal/net_tls");

const mod = { TLSSocket, connect };
return { ...mod, default: mod };
})();
