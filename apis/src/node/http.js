// node:http — Node's HTTP client over the Worker's fetch(), and a Server
// that serves the Worker's own requests through `cloudflare:node`'s
// httpServerHandler() (it listens on no socket). The parts and their
// differences from Node are described in the internal_http_*.js files.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("http");
const { codes: { ERR_METHOD_NOT_IMPLEMENTED }, validateInteger } = require("internal/errors");
const { METHODS, STATUS_CODES, validateHeaderName, validateHeaderValue } = require("internal/http_common");
const { OutgoingMessage } = require("internal/http_outgoing");
const { IncomingMessage } = require("internal/http_incoming");
const { Agent, globalAgent } = require("internal/http_agent");
const { ClientRequest } = require("internal/http_client");
const { Server, ServerResponse, _connectionListener } = require("internal/http_server");

function request(url, options, callback) {
  return new ClientRequest(url, options, callback);
}

function get(url, options, callback) {
  const req = request(url, options, callback);
  req.end();
  return req;
}

function createServer(options, requestListener) {
  return new Server(options, requestListener);
}

// Node's default limit on a response's head (16 KiB).
const maxHeaderSize = 16384;

function setMaxIdleHTTPParsers(max) {
  validateInteger(max, "max", 1);
  throw new ERR_METHOD_NOT_IMPLEMENTED("setMaxIdleHTTPParsers");
}

const http = {
  METHODS,
  STATUS_CODES,
  Agent,
  ClientRequest,
  IncomingMessage,
  OutgoingMessage,
  Server,
  ServerResponse,
  _connectionListener,
  createServer,
  get,
  globalAgent,
  maxHeaderSize,
  request,
  setMaxIdleHTTPParsers,
  validateHeaderName,
  validateHeaderValue,
  // workerd hands out the global WebSocket classes here.
  WebSocket: globalThis.WebSocket,
  CloseEvent: globalThis.CloseEvent,
  MessageEvent: globalThis.MessageEvent,
};

return { ...http, default: http };
})();
