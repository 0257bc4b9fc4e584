// node:http's ClientRequest, over the Worker's fetch(): the body written is
// gathered and sent when end() is called, and the fetch() Response becomes
// the 'response' IncomingMessage, its body streamed. Differences from Node:
// there is no socket ('socket' is never emitted), the Host header and the
// framing fields (Connection, Content-Length, Transfer-Encoding, ...) are
// fetch()'s to set, redirects are not followed, a GET or HEAD request sends
// no body, and a path that would name another host is refused (as workerd
// refuses it).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/http_client");
const {
  AbortError,
  codes: {
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_HTTP_TOKEN,
    ERR_INVALID_PROTOCOL,
    ERR_INVALID_URL,
    ERR_OPTION_NOT_IMPLEMENTED,
    ERR_OUT_OF_RANGE,
    ERR_UNESCAPED_CHARACTERS,
  },
  validateAbortSignal,
  validateBoolean,
  validateFunction,
  validateInteger,
  validateNumber,
  validateString,
} = require("internal/errors");
const { Buffer } = require("buffer");
const { urlToHttpOptions } = require("url");
const { STATUS_CODES, checkIsHttpToken, parseUniqueHeadersOption } = require("internal/http_common");
const { OutgoingMessage, headerPairs, kOutHeaders, kUniqueHeaders, renderHead } = require("internal/http_outgoing");
const { IncomingMessage, fillMessage, kOnActivity, kRequest } = require("internal/http_incoming");
const { globalAgent } = require("internal/http_agent");

const INVALID_PATH = /[^\u0021-\u00ff]/;
// A path that starts a new authority (`//host`, `\\host`) or is a whole URL
// (`scheme:...`) would send the request elsewhere once resolved against the
// host's URL.
const AUTHORITY_OVERRIDE = /^(?:[/\\]{2}|[^/\\]*:)/;
// Fields fetch() derives from the URL and the body itself.
const FETCH_OWNED_FIELDS = new Set([
  "connection", "content-length", "expect", "host", "keep-alive", "transfer-encoding",
]);

function isURL(value) {
  return Boolean(value?.href && value.protocol && value.auth === undefined && value.path === undefined);
}

function parseUrl(input) {
  try {
    return new URL(input);
  } catch {
    const error = new ERR_INVALID_URL();
    error.input = input;
    throw error;
  }
}

function validateHost(host, name) {
  if (host != null && typeof host !== "string") {
    throw new ERR_INVALID_ARG_TYPE(`options.${name}`, ["string", "undefined", "null"], host);
  }
  return host;
}

function getTimerDuration(msecs, name) {
  validateNumber(msecs, name);
  if (msecs < 0 || !Number.isFinite(msecs)) {
    throw new ERR_OUT_OF_RANGE(name, "a non-negative finite number", msecs);
  }
  return msecs;
}

/** The error Node's client reports when a connection ends too soon. */
function connectionReset(message) {
  const error = new Error(message);
  error.code = "ECONNRESET";
  return error;
}

function concat(chunks) {
  if (chunks.length === 1) return new Uint8Array(chunks[0]);
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

class ClientRequest extends OutgoingMessage {
  #port;
  #chunks = [];
  #controller = new AbortController();
  #timer = null;
  #sent = false;

  constructor(input, options, cb) {
    super({ autoDestroy: false });

    let fromUrl = null;
    if (typeof input === "string") {
      fromUrl = urlToHttpOptions(parseUrl(input));
    } else if (isURL(input)) {
      fromUrl = urlToHttpOptions(input);
    } else {
      cb = options;
      options = input;
    }
    if (typeof options === "function") {
      cb = options;
      options = fromUrl ?? {};
    } else {
      options = Object.assign(fromUrl ?? {}, options);
    }

    if (options.path) {
      const path = String(options.path);
      if (INVALID_PATH.test(path)) throw new ERR_UNESCAPED_CHARACTERS("Request path");
      if (AUTHORITY_OVERRIDE.test(path)) {
        throw new ERR_INVALID_ARG_VALUE("options.path", path, "must be a path-only request target");
      }
    }

    let agent = options.agent;
    const defaultAgent = options._defaultAgent || globalAgent;
    if (agent === false) {
      agent = new defaultAgent.constructor();
    } else if (agent === null || agent === undefined) {
      if (typeof options.createConnection !== "function") agent = defaultAgent;
    } else if (typeof agent.addRequest !== "function") {
      throw new ERR_INVALID_ARG_TYPE("options.agent", ["Agent-like Object", "undefined", "false"], agent);
    }
    this.agent = agent;

    const protocol = options.protocol || defaultAgent.protocol;
    const expectedProtocol = this.agent?.protocol || defaultAgent.protocol;
    if (protocol !== expectedProtocol) throw new ERR_INVALID_PROTOCOL(protocol, expectedProtocol);
    const defaultPort = options.defaultPort || this.agent?.defaultPort;
    const port = options.port || defaultPort || 80;
    const host = validateHost(options.hostname, "hostname") || validateHost(options.host, "host") || "localhost";
    const setHost = options.setHost !== undefined ? Boolean(options.setHost) : options.setDefaultHeaders !== false;

    if (options.timeout !== undefined) this.timeout = getTimerDuration(options.timeout, "timeout");
    const signal = options.signal;
    validateAbortSignal(signal, "options.signal");

    let method = options.method;
    if (method != null && typeof method !== "string") {
      throw new ERR_INVALID_ARG_TYPE("options.method", "string", method);
    }
    if (method) {
      if (!checkIsHttpToken(method)) throw new ERR_INVALID_HTTP_TOKEN("Method", method);
      method = method.toUpperCase();
    } else {
      method = "GET";
    }

    // What a fetch() cannot do: its own parser limits, sockets and lookups.
    if (options.maxHeaderSize !== undefined) {
      validateInteger(options.maxHeaderSize, "maxHeaderSize", 0);
      throw new ERR_OPTION_NOT_IMPLEMENTED("options.maxHeaderSize");
    }
    if (options.insecureHTTPParser !== undefined) {
      validateBoolean(options.insecureHTTPParser, "options.insecureHTTPParser");
    }
    if (options.createConnection !== undefined) {
      validateFunction(options.createConnection, "options.createConnection");
      throw new ERR_OPTION_NOT_IMPLEMENTED("options.createConnection");
    }
    if (options.lookup !== undefined) {
      validateFunction(options.lookup, "options.lookup");
      throw new ERR_OPTION_NOT_IMPLEMENTED("options.lookup");
    }
    if (options.socketPath !== undefined) {
      validateString(options.socketPath, "options.socketPath");
      throw new ERR_OPTION_NOT_IMPLEMENTED("options.socketPath");
    }
    if (options.joinDuplicateHeaders !== undefined) {
      validateBoolean(options.joinDuplicateHeaders, "options.joinDuplicateHeaders");
    }

    this.method = method;
    this.path = options.path || "/";
    this.host = host;
    this.protocol = protocol;
    this.#port = port;
    this.joinDuplicateHeaders = options.joinDuplicateHeaders;
    this.aborted = false;
    this.res = null;
    this.reusedSocket = false;
    this.maxHeadersCount = null;
    this.useChunkedEncodingByDefault = !["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"].includes(method);
    this[kUniqueHeaders] = parseUniqueHeadersOption(options.uniqueHeaders);
    if (cb) this.once("response", cb);

    const headers = options.headers;
    if (!Array.isArray(headers)) {
      if (headers != null) {
        if (headers.host !== undefined) validateString(headers.host, "options.headers.host");
        for (const name of Object.keys(headers)) this.setHeader(name, headers[name]);
      }
      if (host && !this.getHeader("host") && setHost) {
        let hostHeader = host;
        // An IPv6 address goes in brackets (RFC 3986 3.2.2).
        const colon = hostHeader.indexOf(":");
        if (colon !== -1 && hostHeader.includes(":", colon + 1) && hostHeader[0] !== "[") {
          hostHeader = `[${hostHeader}]`;
        }
        if (port && +port !== defaultPort) hostHeader += `:${port}`;
        this.setHeader("Host", hostHeader);
      }
      if (options.auth && !this.getHeader("Authorization")) {
        this.setHeader("Authorization", `Basic ${Buffer.from(options.auth).toString("base64")}`);
      }
    } else {
      if (headers.length % 2 !== 0) throw new ERR_INVALID_ARG_VALUE("headers", headers);
      for (let i = 0; i < headers.length; i += 2) this.appendHeader(headers[i], headers[i + 1]);
    }

    // fetch() cannot wait for a "100 Continue": the body may follow at once.
    if (/(?:^|\W)100-continue(?:$|\W)/i.test(String(this.getHeader("expect") ?? ""))) {
      this._implicitHeader();
      queueMicrotask(() => this.emit("continue"));
    }

    if (signal) {
      const onAbort = () => this.destroy(new AbortError(undefined, { cause: signal.reason }));
      if (signal.aborted) {
        onAbort();
      } else {
        signal.addEventListener("abort", onAbort, { once: true });
        this.once("close", () => signal.removeEventListener("abort", onAbort));
      }
    }
  }

  _implicitHeader() {
    this._header = renderHead(`${this.method} ${this.path} HTTP/1.1`, headerPairs(this));
  }

  _write(chunk, _encoding, callback) {
    this.#chunks.push(chunk);
    callback();
  }

  _final(callback) {
    callback();
    this.#send();
  }

  #url() {
    if (AUTHORITY_OVERRIDE.test(this.path)) {
      throw new ERR_INVALID_ARG_VALUE("options.path", this.path, "must be a path-only request target");
    }
    let host = this.host;
    if (host.includes(":") && host[0] !== "[") host = `[${host}]`;
    const url = new URL(`${this.protocol}//${host}`);
    url.port = String(this.#port);
    return this.path === "/" ? url : new URL(this.path, url);
  }

  #fetchHeaders() {
    const headers = [];
    if (this.joinDuplicateHeaders) {
      for (const key in this[kOutHeaders]) {
        if (FETCH_OWNED_FIELDS.has(key)) continue;
        const [name, value] = this[kOutHeaders][key];
        headers.push([name, Array.isArray(value) ? value.join(", ") : String(value)]);
      }
      return headers;
    }
    for (const pair of headerPairs(this)) {
      if (!FETCH_OWNED_FIELDS.has(pair[0].toLowerCase())) headers.push(pair);
    }
    return headers;
  }

  #send() {
    if (this.destroyed) return;
    this.#sent = true;
    let pending;
    try {
      const init = {
        method: this.method,
        headers: this.#fetchHeaders(),
        signal: this.#controller.signal,
        redirect: "manual",
      };
      // fetch() refuses a body on GET and HEAD.
      if (this.method !== "GET" && this.method !== "HEAD" && this.#chunks.length > 0) {
        init.body = concat(this.#chunks);
      }
      this.#chunks = [];
      pending = fetch(this.#url(), init);
    } catch (error) {
      pending = Promise.reject(error);
    }
    this.#armTimer();
    pending.then((response) => {
      try {
        this.#onResponse(response);
      } catch (error) {
        // Thrown by a 'response' listener: an uncaught error, as in Node.
        queueMicrotask(() => {
          throw error;
        });
      }
    }, (error) => {
      if (!this.destroyed) this.destroy(error);
    });
  }

  #onResponse(response) {
    if (this.destroyed) {
      response.body?.cancel().catch(() => {});
      return;
    }
    const res = new IncomingMessage(null);
    res.statusCode = response.status;
    res.statusMessage = response.statusText || STATUS_CODES[response.status] || "";
    res.joinDuplicateHeaders = this.joinDuplicateHeaders ?? false;
    fillMessage(res, response.headers, response.body);
    res.req = this;
    res[kRequest] = this;
    res[kOnActivity] = () => this.#armTimer();
    this.res = res;
    this.#armTimer();
    // The request closes once its response has been read or dropped.
    res.once("end", () => this.destroy());
    res.once("close", () => this.destroy());
    if (this.aborted || !this.emit("response", res)) res._dump();
  }

  #armTimer() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.timeout || !this.#sent || this.destroyed || this.res?.complete) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.emit("timeout");
      this.res?.emit("timeout");
    }, this.timeout);
  }

  setTimeout(msecs, callback) {
    if (callback) this.once("timeout", callback);
    this.timeout = getTimerDuration(msecs, "msecs");
    this.#armTimer();
    return this;
  }

  clearTimeout(callback) {
    return this.setTimeout(0, callback);
  }

  setNoDelay(_noDelay) {}
  setSocketKeepAlive(_enable, _initialDelay) {}
  onSocket(_socket) {}

  abort() {
    if (this.aborted) return;
    this.aborted = true;
    // 'abort' comes first: _destroy() emits it before the hang-up error.
    if (this.destroyed) queueMicrotask(() => this.emit("abort"));
    else this.destroy();
  }

  _destroy(error, callback) {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#controller.abort();
    const res = this.res;
    if (res && !res.complete && !res.destroyed) res.destroy(connectionReset("aborted"));
    // Closed before any response: Node's client calls that a hang-up.
    if (!res && !error) error = connectionReset("socket hang up");
    if (this.aborted) {
      queueMicrotask(() => {
        this.emit("abort");
        callback(error);
      });
    } else {
      callback(error);
    }
  }
}

return { ClientRequest };
})();
