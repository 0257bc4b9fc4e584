// node:_tls_common — Node's legacy module behind node:tls: SecureContext,
// createSecureContext and translatePeerCertificate (see internal_net_tls.js).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("_tls_common");
const { SecureContext, createSecureContext, translatePeerCertificate } = require("internal/net_tls");

const mod = { SecureContext, createSecureContext, translatePeerCertificate };
return { ...mod, default: mod };
})();
