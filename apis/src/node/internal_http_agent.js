// node:http's and node:https's Agent. Requests go out through fetch(),
// which pools its own connections, so an Agent only carries its options,
// protocol and default port: it is accepted everywhere and changes nothing.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/http_agent");
const {
  codes: { ERR_METHOD_NOT_IMPLEMENTED },
  validateNumber,
  validateOneOf,
} = require("internal/errors");
const { EventEmitter } = require("events");

class Agent extends EventEmitter {
  static defaultMaxSockets = Infinity;

  constructor(options) {
    super();
    this.options = { __proto__: null, ...options };
    const opts = this.options;
    this.defaultPort = opts.defaultPort || 80;
    this.protocol = opts.protocol || "http:";
    opts.path = null;
    if (!("proxyEnv" in opts)) opts.proxyEnv = undefined;
    if (opts.noDelay === undefined) opts.noDelay = true;
    this.requests = { __proto__: null };
    this.sockets = { __proto__: null };
    this.freeSockets = { __proto__: null };
    this.keepAliveMsecs = opts.keepAliveMsecs || 1000;
    this.keepAlive = opts.keepAlive || false;
    this.maxSockets = opts.maxSockets || Agent.defaultMaxSockets;
    this.maxFreeSockets = opts.maxFreeSockets || 256;
    this.scheduling = opts.scheduling || "lifo";
    this.maxTotalSockets = opts.maxTotalSockets;
    this.totalSocketCount = 0;
    validateOneOf(this.scheduling, "scheduling", ["fifo", "lifo"]);
    if (this.maxTotalSockets !== undefined) validateNumber(this.maxTotalSockets, "maxTotalSockets", 1);
    else this.maxTotalSockets = Infinity;
  }

  /** The key Node pools a request's sockets under. */
  getName(options = {}) {
    let name = `${options.host || "localhost"}:`;
    if (options.port) name += options.port;
    name += ":";
    if (options.localAddress) name += options.localAddress;
    if (options.family === 4 || options.family === 6) name += `:${options.family}`;
    if (options.socketPath) name += `:${options.socketPath}`;
    return name;
  }

  createConnection() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("createConnection");
  }

  // Socket pooling is fetch()'s: these do nothing.
  addRequest(_request, _options) {}
  createSocket(_request, _options, _callback) {}
  removeSocket(_socket, _options) {}
  keepSocketAlive(_socket) {
    return false;
  }
  reuseSocket(_socket, _request) {}
  destroy() {}
}

// The TLS options that name an https pool, in Node's order.
const TLS_NAME_OPTIONS = [
  "ca", "cert", "clientCertEngine", "ciphers", "key", "pfx", "rejectUnauthorized",
  "servername", "minVersion", "maxVersion", "secureProtocol", "crl", "honorCipherOrder",
  "ecdhCurve", "dhparam", "secureOptions", "sessionIdContext", "sigalgs",
  "privateKeyIdentifier", "privateKeyEngine",
];
// Options whose `false`/`0` still counts.
const DEFINED_COUNTS = new Set(["rejectUnauthorized", "honorCipherOrder", "secureOptions"]);

class HttpsAgent extends Agent {
  constructor(options) {
    const opts = { ...options };
    opts.defaultPort ??= 443;
    opts.protocol ??= "https:";
    super(opts);
    this.maxCachedSessions = this.options.maxCachedSessions ?? 100;
  }

  getName(options = {}) {
    let name = super.getName(options);
    for (const key of TLS_NAME_OPTIONS) {
      name += ":";
      const value = options[key];
      if (key === "servername") {
        if (value && value !== options.host) name += value;
      } else if (DEFINED_COUNTS.has(key) ? value !== undefined : value) {
        name += key === "sigalgs" ? JSON.stringify(value) : value;
      }
    }
    return name;
  }
}

// The agents Node's modules start with.
const globalAgent = new Agent({ keepAlive: true, scheduling: "lifo", timeout: 5000 });
const httpsGlobalAgent = new HttpsAgent({ keepAlive: true, scheduling: "lifo", timeout: 5000 });

return { Agent, HttpsAgent, globalAgent, httpsGlobalAgent };
})();
