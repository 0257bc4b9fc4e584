// node:tls — TLS client sockets over the Workers socket API, as workerd has
// them (see internal_net_tls.js): connect, TLSSocket, checkServerIdentity,
// SecureContext. A Worker cannot serve TLS, so Server and createServer
// throw, as do getCiphers and createSecurePair; the host holds the trust
// store, so rootCertificates is empty.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("tls");
const { codes: { ERR_METHOD_NOT_IMPLEMENTED } } = require("internal/errors");
const { EventEmitter } = require("events");
const {
  SecureContext,
  TLSSocket,
  checkServerIdentity,
  connect,
  convertALPNProtocols,
  createSecureContext,
} = require("internal/net_tls");

// A function, so that code declaring subclasses still loads; making one throws.
function Server() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("Server");
}
Object.setPrototypeOf(Server.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Server, EventEmitter);

function createServer() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("createServer");
}

function getCiphers() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("getCiphers");
}

function createSecurePair() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("createSecurePair");
}

const constants = {
  // Renegotiation limits, as Node documents them (the host allows none).
  CLIENT_RENEG_LIMIT: 3,
  CLIENT_RENEG_WINDOW: 600,
  // The host chooses the ciphers and curves.
  DEFAULT_CIPHERS: "",
  DEFAULT_ECDH_CURVE: "auto",
  DEFAULT_MIN_VERSION: "TLSv1.2",
  DEFAULT_MAX_VERSION: "TLSv1.3",
  rootCertificates: Object.freeze([]),
};

const tls = {
  ...constants,
  SecureContext,
  Server,
  TLSSocket,
  checkServerIdentity,
  connect,
  convertALPNProtocols,
  createSecureContext,
  createSecurePair,
  createServer,
  getCiphers,
};

return { ...tls, default: tls };
})();
