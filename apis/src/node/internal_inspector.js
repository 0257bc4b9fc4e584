// What node:inspector and node:inspector/promises share: a Worker has no
// inspector to talk to, so as in workerd the inspector console does
// nothing, Session cannot be constructed and the Network reporters throw
// ERR_METHOD_NOT_IMPLEMENTED. Each call makes a fresh set, one per module.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/inspector");
const { EventEmitter } = require("events");
const { codes: { ERR_METHOD_NOT_IMPLEMENTED } } = require("internal/errors");

const CONSOLE_METHODS = [
  "debug", "error", "info", "log", "warn", "dir", "dirxml", "table", "trace",
  "group", "groupCollapsed", "groupEnd", "clear", "count", "countReset",
  "assert", "profile", "profileEnd", "time", "timeLog", "timeStamp",
];

const NETWORK_EVENTS = [
  "requestWillBeSent", "dataReceived", "dataSent", "responseReceived",
  "loadingFinished", "loadingFailed", "webSocketCreated",
  "webSocketHandshakeResponseReceived", "webSocketClosed",
];

/** A method called `name` that throws ERR_METHOD_NOT_IMPLEMENTED for `label`. */
function throwing(name, label) {
  return {
    [name]() {
      throw new ERR_METHOD_NOT_IMPLEMENTED(label);
    },
  }[name];
}

function stubs() {
  const noop = () => {};
  const console = {};
  for (const name of CONSOLE_METHODS) console[name] = noop;

  const Network = {};
  for (const name of NETWORK_EVENTS) Network[name] = throwing(name, `Network.${name}`);

  class Session extends EventEmitter {
    constructor() {
      super();
      throw new ERR_METHOD_NOT_IMPLEMENTED("Session");
    }
  }
  for (const name of ["connect", "connectToMainThread", "disconnect", "post"]) {
    Object.defineProperty(Session.prototype, name, {
      value: throwing(name, `Session.${name}`),
      writable: true,
      configurable: true,
    });
  }
  return { console, Network, Session };
}

return { stubs, throwing };
})();
