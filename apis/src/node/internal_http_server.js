// node:http's Server and ServerResponse. A Server never opens a socket:
// listen() enters it in a table by port, and `cloudflare:node`'s handler
// hands it the Worker's requests: each web `Request` becomes an
// IncomingMessage, and what the ServerResponse writes becomes a web
// `Response`, given back as soon as its head is settled (writeHead(), or
// the first write() or end()) with a body that streams what follows.
// Differences from Node: no Date, Connection, Keep-Alive or
// Transfer-Encoding fields are added (the host frames the response), 1xx
// statuses cannot be sent, and a body past its Content-Length is cut off.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/http_server");
const {
  codes: {
    ERR_HTTP_HEADERS_SENT,
    ERR_HTTP_INVALID_STATUS_CODE,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_CHAR,
    ERR_METHOD_NOT_IMPLEMENTED,
    ERR_OPTION_NOT_IMPLEMENTED,
    ERR_OUT_OF_RANGE,
    ERR_SERVER_ALREADY_LISTEN,
    ERR_SOCKET_BAD_PORT,
  },
  validateBoolean,
  validateFunction,
  validateInteger,
  validateNumber,
  validateObject,
} = require("internal/errors");
const { EventEmitter } = require("events");
const { Buffer } = require("buffer");
const stream = require("stream");
const { STATUS_CODES, checkInvalidHeaderChar, parseUniqueHeadersOption } = require("internal/http_common");
const { OutgoingMessage, headerPairs, kOutHeaders, kUniqueHeaders, renderHead } = require("internal/http_outgoing");
const { IncomingMessage, fillMessage } = require("internal/http_incoming");

/** port -> { fetch(request, env, ctx) } of the Server listening there. */
const portMapper = new Map();

const kIncomingMessage = Symbol("IncomingMessage");
const kServerResponse = Symbol("ServerResponse");
const kResponse = Symbol("kResponse");

// Fields that describe a Node socket's framing, not the message: the host
// frames the Response itself.
const CONNECTION_FIELDS = new Set(["connection", "keep-alive", "transfer-encoding"]);

function defaultHighWaterMark() {
  return stream.getDefaultHighWaterMark?.(false) ?? 65536;
}

/** Node's port check for listen(): an integer 0-65535, or such a string. */
function validatePort(port, name) {
  if ((typeof port !== "number" && typeof port !== "string") ||
      (typeof port === "string" && port.trim().length === 0) ||
      +port !== (+port >>> 0) || port > 0xffff) {
    throw new ERR_SOCKET_BAD_PORT(name, port, true);
  }
  return port | 0;
}

/** listen()'s arguments as Node's net module reads them: [options, callback]. */
function normalizeListenArgs(args) {
  const callback = typeof args[args.length - 1] === "function" ? args[args.length - 1] : null;
  const first = args[0];
  let options = {};
  if (first !== null && typeof first === "object") {
    options = first;
  } else if (typeof first === "string" && !(Number(first) >= 0)) {
    options.path = first;
  } else {
    options.port = first;
    if (args.length > 1 && typeof args[1] === "string") options.host = args[1];
  }
  return [options, callback];
}

/** A stand-in for the connection's socket: what Express and its helpers read. */
function makeSocket(message, headers, localPort) {
  const socket = new EventEmitter();
  const connectingIp = headers.get("cf-connecting-ip");
  const family = connectingIp && connectingIp.includes(":") ? "IPv6" : "IPv4";
  // A client's port: somewhere in the ephemeral range.
  const remotePort = (Math.random() * 0x8000) | 0x8000;
  const whileOpen = (value) => () => (message.destroyed ? undefined : value);
  Object.defineProperties(socket, {
    encrypted: { value: headers.get("x-forwarded-proto") === "https", configurable: true },
    readable: { get: () => message.readable, configurable: true },
    remoteFamily: { get: whileOpen(family), configurable: true },
    remoteAddress: { get: whileOpen(connectingIp ?? "127.0.0.1"), configurable: true },
    remotePort: { get: whileOpen(remotePort), configurable: true },
    localAddress: { value: headers.get("host") ?? "127.0.0.1", configurable: true },
    localPort: { value: localPort, configurable: true },
    destroy: { value: (error) => message.destroy(error), configurable: true },
    setTimeout: { value() { return this; }, configurable: true },
    setNoDelay: { value() { return this; }, configurable: true },
    setKeepAlive: { value() { return this; }, configurable: true },
  });
  return socket;
}

class ServerResponse extends OutgoingMessage {
  #controller = null;
  #pendingCallback = null;
  #limit = null;
  #sent = 0;
  #resolve;
  #reject;

  constructor(req, options = {}) {
    super(options);
    this.req = req;
    this.statusCode = 200;
    this.statusMessage = undefined;
    if (req?.method === "HEAD") this._hasBody = false;
    const promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Only a Server's request handling waits on this.
    promise.catch(() => {});
    this[kResponse] = promise;
  }

  _implicitHeader() {
    this.writeHead(this.statusCode);
  }

  writeHead(statusCode, reason, obj) {
    if (this._header) throw new ERR_HTTP_HEADERS_SENT("write");
    const original = statusCode;
    statusCode |= 0;
    // A web Response cannot carry a 1xx status.
    if (statusCode < 200 || statusCode > 999) throw new ERR_HTTP_INVALID_STATUS_CODE(original);
    if (typeof reason === "string") {
      this.statusMessage = reason;
    } else {
      this.statusMessage ||= STATUS_CODES[statusCode] || "unknown";
      obj ??= reason;
    }
    this.statusCode = statusCode;

    let headers;
    if (this[kOutHeaders]) {
      // Fields set before, and those given here on top.
      if (Array.isArray(obj)) {
        if (obj.length % 2 !== 0) throw new ERR_INVALID_ARG_VALUE("headers", obj);
        for (let i = 0; i < obj.length; i += 2) this.removeHeader(`${obj[i]}`);
        for (let i = 0; i < obj.length; i += 2) this.appendHeader(`${obj[i]}`, obj[i + 1]);
      } else if (obj) {
        for (const key of Object.keys(obj)) if (obj[key]) this.setHeader(key, obj[key]);
      }
      headers = this[kOutHeaders];
    } else {
      headers = obj ?? null;
    }
    if (checkInvalidHeaderChar(this.statusMessage)) throw new ERR_INVALID_CHAR("statusMessage");
    if (statusCode === 204 || statusCode === 304) this._hasBody = false;

    const pairs = headerPairs(this, headers);
    let hasLength = false;
    let hasEncoding = false;
    for (const pair of pairs) {
      const name = pair[0].toLowerCase();
      if (name === "content-length") {
        hasLength = true;
        this.#limit = Number.parseInt(pair[1], 10);
        if (!Number.isFinite(this.#limit)) this.#limit = null;
      } else if (name === "transfer-encoding") {
        hasEncoding = true;
      }
    }
    // The length is known when end() brings the whole body.
    if (this._hasBody && !hasLength && !hasEncoding && !this._removedContLen &&
        typeof this._contentLength === "number") {
      pairs.push(["Content-Length", String(this._contentLength)]);
      this.#limit = this._contentLength;
    }
    // Node writes a Content-Disposition of a message of known length as
    // latin1 bytes, which readers take as UTF-8.
    if (hasLength || typeof this._contentLength === "number") {
      for (const pair of pairs) {
        if (pair[0].toLowerCase() === "content-disposition") pair[1] = Buffer.from(pair[1], "latin1").toString();
      }
    }
    this._header = renderHead(`HTTP/1.1 ${statusCode} ${this.statusMessage}`, pairs);
    this.#respond(pairs);
    return this;
  }

  writeHeader(statusCode, reason, obj) {
    return this.writeHead(statusCode, reason, obj);
  }

  #respond(pairs) {
    const headers = new Headers();
    for (const [name, value] of pairs) {
      if (!CONNECTION_FIELDS.has(name.toLowerCase())) headers.append(name, value);
    }
    let body = null;
    // A 205 Response can carry no body: what is written is dropped.
    if (this._hasBody && this.statusCode !== 205) {
      body = new ReadableStream({
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => this.#resume(),
        cancel: () => {
          // The client went away.
          this.#controller = null;
          this.#resume();
          this.destroy();
        },
      }, { highWaterMark: this.writableHighWaterMark, size: (chunk) => chunk.byteLength });
    }
    try {
      this.#resolve(new Response(body, { status: this.statusCode, statusText: this.statusMessage, headers }));
    } catch (error) {
      // Statuses from 600 on are not a Response's.
      this.#controller = null;
      this.#reject(error);
    }
  }

  #resume() {
    const callback = this.#pendingCallback;
    this.#pendingCallback = null;
    callback?.();
  }

  _write(chunk, _encoding, callback) {
    const controller = this.#controller;
    if (controller === null) {
      callback();
      return;
    }
    let bytes = chunk;
    if (this.#limit !== null) {
      const room = this.#limit - this.#sent;
      if (room <= 0) {
        callback();
        return;
      }
      if (bytes.byteLength > room) bytes = bytes.subarray(0, room);
    }
    this.#sent += bytes.byteLength;
    // A copy: the writer may reuse its buffer once called back.
    if (bytes.byteLength > 0) controller.enqueue(new Uint8Array(bytes));
    // Backpressure: the next write waits until the reader wants more.
    if (controller.desiredSize > 0) callback();
    else this.#pendingCallback = callback;
  }

  _final(callback) {
    const controller = this.#controller;
    this.#controller = null;
    try {
      controller?.close();
    } catch {
      // Already cancelled.
    }
    callback();
  }

  _destroy(error, callback) {
    if (!this._header) {
      this.#reject(error ?? new Error("The response was destroyed before it was sent"));
    } else if (this.#controller !== null) {
      const controller = this.#controller;
      this.#controller = null;
      try {
        controller.error(error ?? new Error("The response was destroyed before it ended"));
      } catch {
        // Already closed.
      }
    }
    // As Node's, a destroyed response reports no 'error' of its own.
    callback();
  }

  setTimeout(_msecs, callback) {
    if (callback) this.once("timeout", callback);
    return this;
  }

  assignSocket(_socket) {
    throw new ERR_METHOD_NOT_IMPLEMENTED("assignSocket");
  }
  detachSocket(_socket) {
    throw new ERR_METHOD_NOT_IMPLEMENTED("detachSocket");
  }
  writeContinue(_callback) {
    throw new ERR_METHOD_NOT_IMPLEMENTED("writeContinue");
  }
  writeProcessing(_callback) {
    throw new ERR_METHOD_NOT_IMPLEMENTED("writeProcessing");
  }
  writeEarlyHints(_hints, _callback) {
    throw new ERR_METHOD_NOT_IMPLEMENTED("writeEarlyHints");
  }
}

/** Node's server options, checked; those a fetch() handler cannot honour throw. */
function storeOptions(server, options) {
  server[kIncomingMessage] = options.IncomingMessage || IncomingMessage;
  server[kServerResponse] = options.ServerResponse || ServerResponse;
  if (options.maxHeaderSize !== undefined) {
    validateInteger(options.maxHeaderSize, "maxHeaderSize", 0);
    throw new ERR_OPTION_NOT_IMPLEMENTED("maxHeaderSize");
  }
  if (options.insecureHTTPParser !== undefined) {
    validateBoolean(options.insecureHTTPParser, "options.insecureHTTPParser");
  }
  const { requestTimeout, headersTimeout } = options;
  if (requestTimeout !== undefined) validateInteger(requestTimeout, "requestTimeout", 0);
  server.requestTimeout = requestTimeout ?? 300_000;
  if (headersTimeout !== undefined) validateInteger(headersTimeout, "headersTimeout", 0);
  server.headersTimeout = headersTimeout ?? Math.min(60_000, server.requestTimeout);
  if (server.requestTimeout > 0 && server.headersTimeout > 0 && server.headersTimeout > server.requestTimeout) {
    throw new ERR_OUT_OF_RANGE("headersTimeout", "<= requestTimeout", headersTimeout);
  }
  for (const name of ["keepAliveTimeout", "keepAliveTimeoutBuffer", "connectionsCheckingInterval"]) {
    if (options[name] !== undefined) {
      validateInteger(options[name], name, name === "keepAliveTimeoutBuffer" ? undefined : 0);
      throw new ERR_OPTION_NOT_IMPLEMENTED(name);
    }
  }
  for (const name of ["requireHostHeader", "joinDuplicateHeaders", "rejectNonStandardBodyWrites"]) {
    if (options[name] !== undefined) validateBoolean(options[name], `options.${name}`);
  }
  server.requireHostHeader = options.requireHostHeader ?? true;
  server.joinDuplicateHeaders = options.joinDuplicateHeaders ?? false;
  server.rejectNonStandardBodyWrites = options.rejectNonStandardBodyWrites ?? false;
}

class Server extends EventEmitter {
  #port = null;

  constructor(options, requestListener) {
    super();
    if (typeof options === "function") {
      requestListener = options;
      options = {};
    } else if (options == null) {
      options = {};
    } else {
      validateObject(options, "options");
    }
    storeOptions(this, options);
    this.highWaterMark = defaultHighWaterMark();
    if (options.highWaterMark !== undefined) {
      validateNumber(options.highWaterMark, "options.highWaterMark");
      if (options.highWaterMark > 0) this.highWaterMark = options.highWaterMark;
    }
    this.httpAllowHalfOpen = false;
    this.timeout = 0;
    this.maxHeadersCount = null;
    this.maxRequestsPerSocket = 0;
    this.keepAliveTimeout = 5000;
    this.keepAliveTimeoutBuffer = 1000;
    this.connectionsCheckingInterval = 30_000;
    this[kUniqueHeaders] = parseUniqueHeadersOption(options.uniqueHeaders);
    if (requestListener) this.on("request", requestListener);
  }

  /** Enters the server in the port table; port 0 (or none) picks a free one. */
  listen(...args) {
    const [options, callback] = normalizeListenArgs(args);
    let port = 0;
    if (typeof options.port === "number" || typeof options.port === "string") {
      port = validatePort(options.port, "options.port");
    }
    if (this.#port !== null || portMapper.has(port)) throw new ERR_SERVER_ALREADY_LISTEN();
    if (port === 0) port = freePort();
    if (callback) this.once("listening", callback);
    this.#port = port;
    portMapper.set(port, { fetch: (request, env, ctx) => this.#handle(request, env, ctx) });
    queueMicrotask(() => this.emit("listening"));
    return this;
  }

  close(callback) {
    this.closeIdleConnections();
    if (this.#port !== null) {
      portMapper.delete(this.#port);
      this.#port = null;
    }
    if (typeof callback === "function") this.once("close", callback);
    queueMicrotask(() => this.emit("close"));
    return this;
  }

  async [Symbol.asyncDispose]() {
    await new Promise((resolve) => this.close(resolve));
  }

  get listening() {
    return this.#port !== null;
  }

  address() {
    return this.#port === null ? null : { port: this.#port, family: "IPv4", address: "127.0.0.1" };
  }

  get maxConnections() {
    return Infinity;
  }

  get connections() {
    return 0;
  }

  getConnections(callback) {
    if (callback !== undefined) {
      validateFunction(callback, "callback");
      queueMicrotask(() => callback(null, 0));
    }
    return this;
  }

  setTimeout(msecs, callback) {
    if (typeof msecs === "function") {
      callback = msecs;
    } else if (typeof msecs === "number") {
      this.timeout = msecs;
    }
    if (typeof callback === "function") this.once("timeout", callback);
    return this;
  }

  // There are no connections of our own to close, nor an event loop to hold.
  closeAllConnections() {}
  closeIdleConnections() {}
  ref() {
    return this;
  }
  unref() {
    return this;
  }

  /** Serves one web Request: resolves with the Response once its head is settled. */
  #handle(request, env, ctx) {
    const req = new this[kIncomingMessage]();
    const socket = makeSocket(req, request.headers, this.#port);
    req.socket = socket;
    req.client = socket;
    const url = new URL(request.url);
    req.url = url.pathname + url.search;
    req.method = request.method;
    req.joinDuplicateHeaders = this.joinDuplicateHeaders;
    fillMessage(req, request.headers, request.body);
    // An HTTP/1.1 request always names its host.
    if (!request.headers.has("host")) {
      req.rawHeaders.push("host", url.host);
      req._addHeaderLines(req.rawHeaders, req.rawHeaders.length);
    }
    req.cloudflare = { cf: request.cf, env, ctx };
    const res = new this[kServerResponse](req, {
      highWaterMark: this.highWaterMark,
      rejectNonStandardBodyWrites: this.rejectNonStandardBodyWrites,
    });
    res[kUniqueHeaders] = this[kUniqueHeaders];
    try {
      this.emit("connection", socket);
      this.emit("request", req, res);
    } catch (error) {
      res.destroy(error);
      return Promise.reject(error);
    }
    return res[kResponse];
  }
}

function freePort() {
  for (let i = 0; i < 10; i++) {
    const port = 1 + Math.floor(Math.random() * 65535);
    if (!portMapper.has(port)) return port;
  }
  throw new Error("Failed to find a free port after 10 attempts");
}

function _connectionListener() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("_connectionListener");
}

return {
  Server,
  ServerResponse,
  _connectionListener,
  kIncomingMessage,
  kServerResponse,
  portMapper,
};
})();
