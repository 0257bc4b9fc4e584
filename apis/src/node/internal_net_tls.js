// node:tls's client side, as workerd has it: a TLSSocket is a net.Socket
// whose Workers socket speaks TLS, either from the start (secureTransport
// "on") or upgraded from a plain net.Socket with startTls() when
// tls.connect() is given `socket`. The host does the handshake and checks
// the certificate, so 'secureConnect' comes when the socket has opened and
// `authorized` is then true; what the host cannot do (servers, client
// certificates, ALPN, PSK, skipping verification, reading certificates)
// throws. Also checkServerIdentity, convertALPNProtocols, SecureContext.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/net_tls");
const {
  codes: {
    ERR_METHOD_NOT_IMPLEMENTED,
    ERR_OPTION_NOT_IMPLEMENTED,
    ERR_OUT_OF_RANGE,
    ERR_TLS_CERT_ALTNAME_FORMAT,
    ERR_TLS_CERT_ALTNAME_INVALID,
    ERR_TLS_HANDSHAKE_TIMEOUT,
    ERR_TLS_INVALID_CONTEXT,
  },
  validateBuffer,
  validateFunction,
  validateInt32,
  validateInteger,
  validateNumber,
  validateObject,
  validateString,
  validateUint32,
} = require("internal/errors");
const { Buffer } = require("buffer");
const { formatIPv6, isIP, isIPv4, parseIPv6 } = require("internal/net_address");
const { Socket, _normalizeArgs, internals } = require("internal/net_socket");
const { attachHandle, kAfterConnect, kHandle, kLocal, kPeer } = internals;

const kConnectOptions = Symbol("kConnectOptions");
const kHandshakeTimeout = Symbol("kHandshakeTimeout");

// --- SecureContext ---

// Only a token: the host keeps the TLS settings, so there is nothing to
// configure (and `context` is undefined).
function SecureContext(secureProtocol, secureOptions, minVersion, maxVersion) {
  if (!(this instanceof SecureContext)) {
    return new SecureContext(secureProtocol, secureOptions, minVersion, maxVersion);
  }
  if (secureOptions !== undefined) validateInteger(secureOptions, "secureOptions");
  this.context = undefined;
}

function createSecureContext(options = {}) {
  return new SecureContext(options.secureProtocol, options.secureOptions, options.minVersion, options.maxVersion);
}

/** Node's legacy certificate object made friendlier: infoAccess as an
 * object of arrays, the issuer chain likewise. */
function translatePeerCertificate(cert) {
  if (!cert) return null;
  if (cert.issuerCertificate != null && cert.issuerCertificate !== cert) {
    cert.issuerCertificate = translatePeerCertificate(cert.issuerCertificate);
  }
  if (cert.infoAccess != null) {
    const text = String(cert.infoAccess);
    const info = { __proto__: null };
    for (const line of text.split("\n")) {
      const colon = line.indexOf(":");
      if (colon === -1) continue;
      const key = line.slice(0, colon);
      let value = line.slice(colon + 1);
      if (value.startsWith('"')) value = JSON.parse(value);
      (info[key] ??= []).push(value);
    }
    cert.infoAccess = info;
  }
  return cert;
}

// --- TLSSocket ---

/** Options a Worker's TLS cannot honour; each throws ERR_OPTION_NOT_IMPLEMENTED. */
function checkOptions(options) {
  if (options.enableTrace) throw new ERR_OPTION_NOT_IMPLEMENTED("options.enableTrace");
  if (options.isServer) throw new ERR_OPTION_NOT_IMPLEMENTED("options.isServer");
  if (options.server) throw new ERR_OPTION_NOT_IMPLEMENTED("options.server");
  if (options.requestCert) throw new ERR_OPTION_NOT_IMPLEMENTED("options.requestCert");
  // The host always verifies the server's certificate.
  if (options.rejectUnauthorized === false) throw new ERR_OPTION_NOT_IMPLEMENTED("options.rejectUnauthorized");
  if (options.ALPNProtocols !== undefined) throw new ERR_OPTION_NOT_IMPLEMENTED("options.ALPNProtocols");
  if (options.SNICallback !== undefined) throw new ERR_OPTION_NOT_IMPLEMENTED("options.SNICallback");
  if (options.requestOCSP) throw new ERR_OPTION_NOT_IMPLEMENTED("options.requestOCSP");
  if (options.secureContext !== undefined && !(options.secureContext instanceof SecureContext)) {
    throw new ERR_TLS_INVALID_CONTEXT("context");
  }
  if (options.pskCallback !== undefined) throw new ERR_OPTION_NOT_IMPLEMENTED("options.pskCallback");
  // Accepted, though the host checks the name itself and never calls it.
  if (options.checkServerIdentity !== undefined) {
    validateFunction(options.checkServerIdentity, "options.checkServerIdentity");
  }
}

function TLSSocket(socket, options) {
  if (!(this instanceof TLSSocket)) return new TLSSocket(socket, options);
  const tlsOptions = { ...options };
  checkOptions(tlsOptions);
  // TLS needs the host's socket underneath: another kind of stream cannot
  // be wrapped.
  if (socket && !(socket instanceof Socket)) throw new ERR_OPTION_NOT_IMPLEMENTED("options.socket");

  this._tlsOptions = tlsOptions;
  this._secureEstablished = false;
  this._securePending = false;
  this._newSessionPending = false;
  this._controlReleased = false;
  this.secureConnecting = true;
  this.servername = tlsOptions.servername ?? null;
  this.authorized = false;
  this.authorizationError = null;
  this.alpnProtocol = null;

  Socket.call(this, {
    allowHalfOpen: socket ? socket.allowHalfOpen : tlsOptions.allowHalfOpen,
    highWaterMark: tlsOptions.highWaterMark,
    onread: socket ? null : tlsOptions.onread,
    signal: tlsOptions.signal,
  });
  // Read by net.Socket#connect: a TLSSocket connects with TLS from the start.
  this.encrypted = true;
  this.ssl = null;
  this._parentWrap = socket || null;
  this[kHandshakeTimeout] = () => this._handleTimeout();

  // Opened by its own connect(): secure once the host's socket has opened.
  this[kAfterConnect] = () => this._finishInit();
  if (socket) socket.once("close", () => this.destroy());

  const timeout = tlsOptions.handshakeTimeout;
  if (timeout > 0) this.setTimeout(timeout, this[kHandshakeTimeout]);
}
Object.setPrototypeOf(TLSSocket.prototype, Socket.prototype);
Object.setPrototypeOf(TLSSocket, Socket);

TLSSocket.prototype._destroy = function (err, cb) {
  // The socket underneath goes with this one (and closes first), as in Node.
  const parent = this._parentWrap;
  if (parent && !parent.destroyed) parent.destroy();
  Socket.prototype._destroy.call(this, err, cb);
};

TLSSocket.prototype._finishInit = function () {
  if (this.destroyed) return;
  this._secureEstablished = true;
  if (this._tlsOptions.handshakeTimeout > 0) this.setTimeout(0, this[kHandshakeTimeout]);
  this.emit("secure");
};

// A handshake that takes too long fails the socket.
TLSSocket.prototype._handleTimeout = function () {
  const error = new ERR_TLS_HANDSHAKE_TIMEOUT();
  if (this._secureEstablished) this._emitTLSError(error);
  else this.destroy(error);
};

TLSSocket.prototype._emitTLSError = function (err) {
  const error = this._tlsError(err);
  if (error) this.emit("error", error);
};

TLSSocket.prototype._tlsError = function (err) {
  this.emit("_tlsError", err);
  return this._controlReleased ? err : null;
};

TLSSocket.prototype._releaseControl = function () {
  if (this._controlReleased) return false;
  this._controlReleased = true;
  return true;
};

/** Upgrades the plain socket this one wraps (once it is connected) with the
 * host's startTls(), and takes over its connection. */
TLSSocket.prototype._start = function () {
  const parent = this._parentWrap;
  if (parent === null || this.destroyed) return;
  if (parent.connecting || parent[kHandle] === null) {
    // Connects along with the socket underneath, as in Node.
    this.connecting = true;
    parent.once("connect", () => {
      if (this.destroyed) return;
      this.emit("connect");
      this._start();
    });
    return;
  }
  const handle = parent[kHandle];
  if (handle.secureTransport !== "starttls" || handle.upgraded) {
    this.destroy(new ERR_METHOD_NOT_IMPLEMENTED("startTls"));
    return;
  }
  // The plain socket stops reading and writing: the TLS one owns the connection now.
  handle.upgraded = true;
  for (const side of [handle.reader, handle.writer]) {
    try {
      side.releaseLock();
    } catch {
      // Older streams refuse while a read is pending; startTls() does not mind.
    }
  }
  let inner;
  try {
    inner = handle.socket.startTls(this.servername != null ? { expectedServerHostname: this.servername } : undefined);
  } catch (err) {
    this.destroy(err);
    return;
  }
  this.connecting = true;
  this._host = parent._host;
  this[kPeer] = parent[kPeer];
  this[kLocal] = parent[kLocal];
  const peer = parent[kPeer] ?? {};
  // Writes made meanwhile are held until the upgraded socket has opened.
  attachHandle(this, inner, {
    host: peer.address,
    port: peer.port,
    family: isIP(peer.address ?? ""),
    secureTransport: "on",
    emitConnect: false,
  });
};

TLSSocket.prototype.setServername = function (name) {
  validateString(name, "name");
  this.servername = name;
};

TLSSocket.prototype.renegotiate = function (options, callback) {
  validateObject(options, "options");
  if (callback !== undefined) validateFunction(callback, "callback");
  return false;
};

TLSSocket.prototype.exportKeyingMaterial = function (length, label, context) {
  validateUint32(length, "length", true);
  validateString(label, "label");
  if (context !== undefined) validateBuffer(context, "context");
  throw new ERR_METHOD_NOT_IMPLEMENTED("exportKeyingMaterial");
};

TLSSocket.prototype.setMaxSendFragment = function (size) {
  validateInt32(size, "size");
  return false;
};

TLSSocket.prototype.disableRenegotiation = function () {};
TLSSocket.prototype.setSession = function () {};

// The host does not show the certificates.
for (const name of ["getPeerCertificate", "getCertificate", "getPeerX509Certificate", "getX509Certificate", "setKeyCert"]) {
  TLSSocket.prototype[name] = function () {
    throw new ERR_METHOD_NOT_IMPLEMENTED(name);
  };
}

// Nor the session's details: these all answer null.
for (const name of ["getCipher", "getSharedSigalgs", "getEphemeralKeyInfo", "getFinished", "getPeerFinished",
  "getProtocol", "getSession", "getTLSTicket", "isSessionReused", "enableTrace"]) {
  TLSSocket.prototype[name] = function () {
    return null;
  };
}

// --- connect ---

/** ([port][, host][, options][, cb]) or (options[, cb]) as [options, cb]. */
function normalizeConnectArgs(args) {
  const [options, cb] = _normalizeArgs(args);
  // Options after a port and host are merged in (their host wins).
  if (args[1] !== null && typeof args[1] === "object") Object.assign(options, args[1]);
  else if (args[2] !== null && typeof args[2] === "object") Object.assign(options, args[2]);
  return [options, cb];
}

function onConnectSecure() {
  this.authorized = true;
  this.secureConnecting = false;
  this.removeListener("end", onConnectEnd);
  this.emit("secureConnect");
}

function onConnectEnd() {
  if (this._hadError) return;
  this._hadError = true;
  const options = this[kConnectOptions] ?? {};
  const error = new Error("Client network socket disconnected before secure TLS connection was established");
  error.code = "ECONNRESET";
  error.path = options.path;
  error.host = options.host;
  error.port = options.port;
  error.localAddress = options.localAddress;
  this.destroy(error);
}

function connect(...args) {
  const [options, cb] = normalizeConnectArgs(args);
  if (options.minDHSize !== undefined) {
    validateNumber(options.minDHSize, "options.minDHSize", 1);
    throw new ERR_OPTION_NOT_IMPLEMENTED("options.minDHSize");
  }
  const socket = new TLSSocket(options.socket, {
    ...options,
    rejectUnauthorized: options.rejectUnauthorized === undefined ? true : Boolean(options.rejectUnauthorized),
  });
  socket[kConnectOptions] = options;
  if (cb) socket.once("secureConnect", cb);
  socket.on("secure", onConnectSecure);
  socket.prependListener("end", onConnectEnd);
  if (options.socket) {
    socket._start();
  } else {
    if (options.timeout) socket.setTimeout(options.timeout);
    socket.connect(options);
  }
  socket._releaseControl();
  return socket;
}

// --- certificate names ---

/** Lower-cases ASCII letters only (String#toLowerCase knows locales). */
function asciiLower(text) {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

const withoutTrailingDot = (host) => host.replace(/\.$/, "");
const labelsOf = (host) => asciiLower(withoutTrailingDot(host)).split(".");

/** Whether the host's labels match a certificate name, which may carry one
 * `*` in its first label (RFC 6125: not in a punycode label, not over a
 * bare public suffix). */
function nameMatches(hostLabels, pattern) {
  if (!pattern) return false;
  const labels = labelsOf(pattern);
  if (labels.length !== hostLabels.length || labels.includes("")) return false;
  // Names with non-ASCII, spaces or control characters never match.
  if (labels.some((label) => /[^\u0021-\u007f]/.test(label))) return false;
  for (let i = labels.length - 1; i > 0; i--) {
    if (labels[i] !== hostLabels[i]) return false;
  }
  const first = labels[0];
  const host = hostLabels[0];
  const stars = first.split("*").length - 1;
  if (stars === 0 || first.includes("xn--")) return first === host;
  if (stars > 1 || labels.length <= 2) return false;
  const [prefix, suffix] = first.split("*");
  return prefix.length + suffix.length <= host.length && host.startsWith(prefix) && host.endsWith(suffix);
}

// A JSON string at the start of the text (OpenSSL quotes names holding
// separators or unusual characters that way).
const JSON_STRING = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/;

/** Splits a subjectaltname string ("DNS:a, IP Address:1.2.3.4") into its
 * entries, decoding quoted parts. */
function splitAltNames(text) {
  if (!text.includes('"')) return text.split(", ");
  const names = [];
  let current = "";
  let i = 0;
  while (i < text.length) {
    const comma = text.indexOf(",", i);
    const quote = text.indexOf('"', i);
    if (quote !== -1 && (comma === -1 || quote < comma)) {
      current += text.slice(i, quote);
      const match = JSON_STRING.exec(text.slice(quote));
      if (!match) throw new ERR_TLS_CERT_ALTNAME_FORMAT();
      current += JSON.parse(match[0]);
      i = quote + match[0].length;
    } else if (comma !== -1) {
      names.push(current + text.slice(i, comma));
      current = "";
      i = comma + 2;
    } else {
      current += text.slice(i);
      i = text.length;
    }
  }
  names.push(current);
  return names;
}

function canonicalIp(text) {
  if (isIPv4(text)) return text;
  const groups = parseIPv6(text);
  return groups === null ? undefined : formatIPv6(groups);
}

/** undefined when `cert` (as getPeerCertificate() gives it) is for
 * `hostname`, else the ERR_TLS_CERT_ALTNAME_INVALID error saying why not. */
function checkServerIdentity(hostname, cert) {
  const subject = cert.subject;
  const altNames = cert.subjectaltname;
  const dnsNames = [];
  const ips = [];
  hostname = withoutTrailingDot(`${hostname}`);
  if (altNames) {
    for (const name of splitAltNames(altNames)) {
      if (name.startsWith("DNS:")) dnsNames.push(name.slice(4));
      else if (name.startsWith("IP Address:")) ips.push(canonicalIp(name.slice(11)));
    }
  }
  let valid = false;
  let reason = "Unknown reason";
  if (isIP(hostname)) {
    valid = ips.includes(canonicalIp(hostname));
    if (!valid) reason = `IP: ${hostname} is not in the cert's list: ${ips.join(", ")}`;
  } else if (dnsNames.length > 0 || subject?.CN) {
    const hostLabels = labelsOf(hostname);
    if (dnsNames.length > 0) {
      valid = dnsNames.some((name) => nameMatches(hostLabels, name));
      if (!valid) reason = `Host: ${hostname}. is not in the cert's altnames: ${altNames}`;
    } else {
      // The common name counts only when there are no DNS names.
      const cn = subject.CN;
      valid = Array.isArray(cn) ? cn.some((name) => nameMatches(hostLabels, name)) : nameMatches(hostLabels, cn);
      if (!valid) reason = `Host: ${hostname}. is not cert's CN: ${cn}`;
    }
  } else {
    reason = "Cert does not contain a DNS name";
  }
  return valid ? undefined : new ERR_TLS_CERT_ALTNAME_INVALID(reason, hostname, cert);
}

/** Puts in `out.ALPNProtocols` the wire form of a protocol list: each name
 * after its length byte. A buffer given is copied as it is. */
function convertALPNProtocols(protocols, out) {
  if (Array.isArray(protocols)) {
    const names = protocols.map((name, i) => {
      const bytes = Buffer.from(name);
      if (bytes.length > 255) {
        const error = new ERR_OUT_OF_RANGE("protocol", "<= 255", bytes.length);
        error.message = `The byte length of the protocol at index ${i} exceeds the maximum length. ` +
          `It must be <= 255. Received ${bytes.length}`;
        throw error;
      }
      return Buffer.concat([Buffer.from([bytes.length]), bytes]);
    });
    out.ALPNProtocols = Buffer.concat(names);
  } else if (ArrayBuffer.isView(protocols)) {
    out.ALPNProtocols = Buffer.from(new Uint8Array(protocols.buffer, protocols.byteOffset, protocols.byteLength));
  }
}

return {
  SecureContext,
  TLSSocket,
  checkServerIdentity,
  connect,
  convertALPNProtocols,
  createSecureContext,
  translatePeerCertificate,
};
})();
