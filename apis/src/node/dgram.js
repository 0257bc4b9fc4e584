// node:dgram — a Worker cannot send or receive UDP. As in workerd, sockets
// can be created (their type and callback are checked) but every operation
// does nothing: nothing is bound, sent or received, and sizes read as 0.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("dgram");
const { EventEmitter } = require("events");
const { validateFunction, validateObject } = require("internal/errors");
const kAsyncDispose = Symbol.asyncDispose ?? Symbol.for("nodejs.asyncDispose");

// A function constructor, like Node's, so `Socket.call(this)` style
// subclassing keeps working.
function Socket(type, callback) {
  EventEmitter.call(this);
  if (typeof type === "string") type = { type };
  validateObject(type, "type");
  if (callback !== undefined) validateFunction(callback, "callback");
  return this;
}
Object.setPrototypeOf(Socket.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Socket, EventEmitter);

function createSocket(type, callback) {
  return new Socket(type, callback);
}

Object.assign(Socket.prototype, {
  bind() { return this; },
  connect() {},
  disconnect() {},
  sendto() {},
  send() {},
  close() { return this; },
  address() { return {}; },
  remoteAddress() { return {}; },
  setBroadcast() {},
  setTTL() {},
  setMulticastTTL() {},
  setMulticastLoopback() {},
  setMulticastInterface() {},
  addMembership() {},
  dropMembership() {},
  addSourceSpecificMembership() {},
  dropSourceSpecificMembership() {},
  ref() { return this; },
  unref() { return this; },
  setRecvBufferSize() {},
  setSendBufferSize() {},
  getRecvBufferSize() { return 0; },
  getSendBufferSize() { return 0; },
  getSendQueueSize() { return 0; },
  getSendQueueCount() { return 0; },
});
Socket.prototype[kAsyncDispose] = async function () {};

return { createSocket, Socket };
})();
