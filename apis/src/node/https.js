// node:https — node:http's client for https: URLs (port 443 by default),
// over the Worker's fetch(), which does the TLS; its Server is node:http's
// (TLS is the host's), and the calls about TLS contexts throw
// ERR_METHOD_NOT_IMPLEMENTED, as in workerd.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("https");
const { codes: { ERR_INVALID_URL, ERR_METHOD_NOT_IMPLEMENTED } } = require("internal/errors");
const { urlToHttpOptions } = require("url");
const { HttpsAgent: Agent, httpsGlobalAgent: globalAgent } = require("internal/http_agent");
const { ClientRequest } = require("internal/http_client");
const { Server: HttpServer } = require("internal/http_server");

class Server extends HttpServer {
  addContext() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("addContext");
  }
  getTicketKeys() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("getTicketKeys");
  }
  setSecureContext() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("setSecureContext");
  }
  setTicketKeys() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("setTicketKeys");
  }
}

function isURL(value) {
  return Boolean(value?.href && value.protocol && value.auth === undefined && value.path === undefined);
}

function request(...args) {
  let options = {};
  if (typeof args[0] === "string") {
    const input = args.shift();
    let url;
    try {
      url = new URL(input);
    } catch {
      const error = new ERR_INVALID_URL();
      error.input = input;
      throw error;
    }
    options = urlToHttpOptions(url);
  } else if (isURL(args[0])) {
    options = urlToHttpOptions(args.shift());
  }
  if (args.length > 0 && typeof args[0] !== "function") Object.assign(options, args.shift());
  // https' agent sets the expected protocol and default port.
  options._defaultAgent = globalAgent;
  return new ClientRequest(options, ...args);
}

function get(input, options, callback) {
  const req = request(input, options, callback);
  req.end();
  return req;
}

function createServer(options, requestListener) {
  return new Server(options, requestListener);
}

const https = { Agent, Server, createServer, get, globalAgent, request };

return { ...https, default: https };
})();
