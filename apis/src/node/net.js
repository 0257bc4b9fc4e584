// node:net — TCP client sockets over the Workers socket API (connect() of
// cloudflare:sockets), as workerd has them: Socket/connect/createConnection,
// isIP, SocketAddress and BlockList. A Worker cannot listen, so Server and
// createServer throw ERR_METHOD_NOT_IMPLEMENTED; automatic family selection
// cannot be turned on. See internal_net_socket.js for how sockets differ
// from Node's.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("net");
const {
  codes: { ERR_INVALID_ARG_VALUE, ERR_METHOD_NOT_IMPLEMENTED },
  validateBoolean,
  validateInt32,
} = require("internal/errors");
const { EventEmitter } = require("events");
const { BlockList, SocketAddress, isIP, isIPv4, isIPv6 } = require("internal/net_address");
const { Socket, connect, _normalizeArgs } = require("internal/net_socket");

// A function, so that code declaring subclasses still loads; making one throws.
function Server() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("Server");
}
Object.setPrototypeOf(Server.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Server, EventEmitter);

function createServer() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("createServer");
}

// The host picks the address family itself: automatic selection is off and
// cannot be turned on.
function getDefaultAutoSelectFamily() {
  return false;
}

function setDefaultAutoSelectFamily(value) {
  validateBoolean(value, "value");
  if (value) throw new ERR_INVALID_ARG_VALUE("value", value, "is not supported");
}

// Kept only to be read back: nothing uses it.
let autoSelectFamilyAttemptTimeout = 10;

function getDefaultAutoSelectFamilyAttemptTimeout() {
  return autoSelectFamilyAttemptTimeout;
}

function setDefaultAutoSelectFamilyAttemptTimeout(value) {
  validateInt32(value, "value", 1);
  autoSelectFamilyAttemptTimeout = Math.max(value, 10);
}

const net = {
  BlockList,
  SocketAddress,
  Server,
  Socket,
  Stream: Socket,
  connect,
  createConnection: connect,
  createServer,
  getDefaultAutoSelectFamily,
  setDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout,
  setDefaultAutoSelectFamilyAttemptTimeout,
  isIP,
  isIPv4,
  isIPv6,
  _normalizeArgs,
};

return { ...net, default: net };
})();
