// node:net's Socket: a Duplex over a Workers TCP socket (`connect()` of
// cloudflare:sockets). Its readable side reads the socket's ReadableStream,
// its writable side writes to the WritableStream; 'connect' and 'ready'
// come when the socket's `opened` resolves. Differences from Node: there is
// no DNS step of our own (the host resolves the name; 'lookup' is emitted
// only when a `lookup` function is given), no IPC paths or file
// descriptors, setNoDelay/setKeepAlive/ref/unref change nothing,
// resetAndDestroy() closes without a reset, remoteAddress is what `opened`
// reports (the host name when it reports nothing), and without
// allowHalfOpen the host ends the writing side as soon as the other side
// ends, so writes made after that are dropped (as in workerd).
(function () {
"use strict";
const node = globalThis[Symbol.for("isola.node")].enter("internal/net_socket");
const { require } = node;
const {
  AbortError,
  codes: {
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_IP_ADDRESS,
    ERR_METHOD_NOT_IMPLEMENTED,
    ERR_MISSING_ARGS,
    ERR_OPTION_NOT_IMPLEMENTED,
    ERR_OUT_OF_RANGE,
    ERR_SOCKET_CLOSED,
    ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
    ERR_SOCKET_CONNECTING,
  },
  validateAbortSignal,
  validateBoolean,
  validateFunction,
  validateInt32,
  validateNumber,
} = require("internal/errors");
const { Buffer } = require("buffer");
const { Duplex } = require("stream");
const { isIP, validatePort } = require("internal/net_address");

const kHandle = Symbol("kHandle");
const kPeer = Symbol("kPeer");
const kLocal = Symbol("kLocal");
const kTimer = Symbol("kTimer");
const kTimeoutMs = Symbol("kTimeoutMs");
const kBytesRead = Symbol("kBytesRead");
const kBytesWritten = Symbol("kBytesWritten");
const kPending = Symbol("kPending");
const kOnread = Symbol("kOnread");
const kOnreadPaused = Symbol("kOnreadPaused");
const kAfterConnect = Symbol("kAfterConnect");
const kAttempt = Symbol("kAttempt");
// Emitted (before 'connect') when the handle has opened.
const kConnected = Symbol("kConnected");
const normalizedArgs = Symbol("normalizedArgs");

// The longest delay a timer takes (2^31 - 1 ms).
const TIMEOUT_MAX = 2147483647;

/** The Workers socket API: connect(address, options) as in cloudflare:sockets. */
function socketsApi() {
  const sockets = node.sockets;
  if (typeof sockets?.connect !== "function") {
    throw new ERR_METHOD_NOT_IMPLEMENTED("connect");
  }
  return sockets;
}

function Socket(options) {
  if (!(this instanceof Socket)) return new Socket(options);
  if (typeof options === "number") options = { fd: options };
  options = { ...options };
  if (options.objectMode) {
    throw new ERR_INVALID_ARG_VALUE("options.objectMode", options.objectMode, "is not supported");
  }
  for (const name of ["readableObjectMode", "writableObjectMode"]) {
    if (options[name]) throw new ERR_INVALID_ARG_VALUE(`options.${name}`, options[name], "is not supported");
  }
  if (options.keepAliveInitialDelay !== undefined) {
    validateNumber(options.keepAliveInitialDelay, "options.keepAliveInitialDelay");
  }
  // A Worker has no file descriptors to wrap.
  if (options.fd !== undefined) throw new ERR_OPTION_NOT_IMPLEMENTED("options.fd");
  const { signal, onread } = options;
  if (signal !== undefined) validateAbortSignal(signal, "signal");

  Duplex.call(this, {
    ...options,
    signal: undefined,
    allowHalfOpen: Boolean(options.allowHalfOpen),
    // 'close' is ours to emit, with its hadError argument.
    emitClose: false,
    autoDestroy: true,
    decodeStrings: false,
    readable: true,
    writable: true,
  });

  this.connecting = false;
  this._hadError = false;
  this._host = null;
  // A TLSSocket over another socket: that socket.
  this._parentWrap = null;
  this[kHandle] = null;
  this[kPeer] = null;
  this[kLocal] = null;
  this[kTimer] = null;
  this[kTimeoutMs] = 0;
  this[kBytesRead] = 0;
  this[kBytesWritten] = 0;
  this[kPending] = null;
  this[kAttempt] = null;
  this[kOnreadPaused] = false;
  this.autoSelectFamilyAttemptedAddresses = [];

  // onread: data goes to callback(nread, buffer) instead of 'data' events.
  this[kOnread] = null;
  if (onread !== null && typeof onread === "object" && typeof onread.callback === "function" &&
      (onread.buffer instanceof Uint8Array || typeof onread.buffer === "function")) {
    const { buffer, callback } = onread;
    this[kOnread] = { buffer: typeof buffer === "function" ? buffer : () => buffer, callback };
  }

  this.on("end", onReadableEnd);

  if (signal !== undefined) {
    const abort = () => this.destroy(new AbortError(undefined, { cause: signal.reason }));
    if (signal.aborted) queueMicrotask(abort);
    else {
      signal.addEventListener("abort", abort, { once: true });
      this.once("close", () => signal.removeEventListener("abort", abort));
    }
  }
}
Object.setPrototypeOf(Socket.prototype, Duplex.prototype);
Object.setPrototypeOf(Socket, Duplex);

// --- connecting ---

function isPipeName(value) {
  return typeof value === "string" && !(Number(value) >= 0);
}

/** connect()'s arguments as [options, callback]: (options[, cb]),
 * (path[, cb]) or ([port][, host][, cb]). */
function _normalizeArgs(args) {
  let options = {};
  const first = args[0];
  if (args.length === 0) {
    // Nothing to read.
  } else if (first !== null && typeof first === "object") {
    options = first;
  } else if (isPipeName(first)) {
    options.path = first;
  } else {
    options.port = first;
    if (args.length > 1 && typeof args[1] === "string") options.host = args[1];
  }
  const last = args[args.length - 1];
  const result = [options, typeof last === "function" ? last : null];
  result[normalizedArgs] = true;
  return result;
}

Socket.prototype.connect = function (...args) {
  const normalized = Array.isArray(args[0]) && args[0][normalizedArgs] ? args[0] : _normalizeArgs(args);
  const [options, cb] = normalized;
  if (this.connecting) throw new ERR_SOCKET_CONNECTING();
  if (this.write !== Socket.prototype.write) this.write = Socket.prototype.write;
  if (options.port === undefined && options.path == null) {
    throw new ERR_MISSING_ARGS(["options", "port", "path"]);
  }
  // IPC sockets (Unix domain sockets, named pipes) do not exist in a Worker.
  if (options.path != null) throw new ERR_INVALID_ARG_VALUE("path", options.path, "is not supported");

  const { localAddress, localPort, lookup, autoSelectFamily, autoSelectFamilyAttemptTimeout } = options;
  if (localAddress && !isIP(localAddress)) throw new ERR_INVALID_IP_ADDRESS(localAddress);
  if (localPort) validateNumber(localPort, "options.localPort");
  let { port } = options;
  if (typeof port !== "number" && typeof port !== "string") {
    throw new ERR_INVALID_ARG_TYPE("options.port", ["number", "string"], port);
  }
  port = validatePort(port, "Port");
  const host = options.host || "localhost";
  if (typeof host !== "string") throw new ERR_INVALID_ARG_TYPE("hostname", "string", host);
  if (lookup != null) validateFunction(lookup, "options.lookup");
  // Accepted for the libraries that set them; the host picks the family.
  if (autoSelectFamily != null) validateBoolean(autoSelectFamily, "options.autoSelectFamily");
  if (autoSelectFamilyAttemptTimeout != null) {
    validateInt32(autoSelectFamilyAttemptTimeout, "options.autoSelectFamilyAttemptTimeout", 1);
  }

  if (cb !== null) this.once("connect", cb);

  // A destroyed socket may connect again, as a fresh one.
  const old = this[kHandle];
  if (old !== null) {
    this[kHandle] = null;
    closeHandle(old).catch(() => {});
  }
  if (this.destroyed) this._undestroy();
  this[kPeer] = null;
  this[kLocal] = null;
  this[kBytesRead] = 0;
  this[kBytesWritten] = 0;
  this.connecting = true;
  this._unrefTimer();

  // Started from a microtask, as Node starts it after its lookup, so that
  // listeners added after connect() see every event.
  const attempt = Symbol("attempt");
  this[kAttempt] = attempt;
  queueMicrotask(() => {
    if (this[kAttempt] !== attempt || !this.connecting) return;
    if (isIP(host) === 0 && lookup != null) {
      lookup(host, { family: options.family || 0, hints: options.hints }, (err, address, addressFamily) => {
        this.emit("lookup", err, address, addressFamily, host);
        if (this[kAttempt] !== attempt || !this.connecting) return;
        if (err) this.destroy(err);
        else if (!isIP(address)) this.destroy(new ERR_INVALID_IP_ADDRESS(address));
        else openHandle(this, address, port);
      });
    } else {
      openHandle(this, host, port);
    }
  });
  return this;
};

/** Opens the Workers socket to host:port and makes it this socket's handle. */
function openHandle(socket, host, port) {
  const family = isIP(host);
  socket._host = host;
  socket[kPeer] = { address: host, port, family: family === 4 ? "IPv4" : family === 6 ? "IPv6" : undefined };
  socket.autoSelectFamilyAttemptedAddresses = [family === 6 ? `[${host}]:${port}` : `${host}:${port}`];
  socket.emit("connectionAttempt", host, port, family);
  if (!socket.connecting) return;
  let inner;
  try {
    inner = socketsApi().connect({ hostname: host, port }, {
      // A TLSSocket connects with TLS from the start; a plain one may be
      // upgraded later by tls.connect({ socket }).
      secureTransport: socket.encrypted ? "on" : "starttls",
      allowHalfOpen: socket.allowHalfOpen,
    });
  } catch (err) {
    socket.destroy(err);
    return;
  }
  attachHandle(socket, inner, { host, port, family, secureTransport: socket.encrypted ? "on" : "starttls" });
}

/** Makes `inner` (a Workers socket) the handle of `socket`; 'connect' (when
 * `emitConnect`) and reading follow once it has opened. */
function attachHandle(socket, inner, { host, port, family, secureTransport, emitConnect = true }) {
  const handle = {
    socket: inner,
    reader: inner.readable.getReader(),
    writer: inner.writable.getWriter(),
    secureTransport,
    upgraded: false,
    opened: false,
    reading: false,
    readEnded: false,
    bytesRead: 0,
    bytesWritten: 0,
  };
  socket[kHandle] = handle;
  inner.opened.then(
    (info) => {
      handle.opened = true;
      onOpened(socket, handle, info, emitConnect);
    },
    (err) => {
      if (socket[kHandle] !== handle || socket.destroyed) return;
      socket.emit("connectionAttemptFailed", host, port, family, err);
      socket.destroy(err);
    },
  );
  inner.closed.then(undefined, (err) => {
    if (socket[kHandle] === handle && !handle.upgraded && !socket.destroyed) socket.destroy(err);
  });
  return handle;
}

/** "1.2.3.4:80", "[::1]:80" or a bare address (what `opened` reports) as
 * { address, port, family }; null when it is none of these. */
function parseEndpoint(text) {
  if (typeof text !== "string") return null;
  let address = text;
  let port;
  if (!isIP(text)) {
    const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^(.+):(\d+)$/.exec(text);
    if (!match) return null;
    address = match[1];
    port = Number(match[2]);
  }
  const family = isIP(address);
  if (family === 0) return null;
  return { address, port, family: family === 4 ? "IPv4" : "IPv6" };
}

function onOpened(socket, handle, info, emitConnect) {
  if (socket[kHandle] !== handle || socket.destroyed) return;
  const remote = parseEndpoint(info?.remoteAddress);
  if (remote) socket[kPeer] = { ...remote, port: remote.port ?? socket[kPeer]?.port };
  socket[kLocal] = parseEndpoint(info?.localAddress);
  socket.connecting = false;
  socket._unrefTimer();
  flushPending(socket);
  socket.emit(kConnected);
  if (emitConnect) {
    socket.emit("connect");
    socket.emit("ready");
  }
  socket[kAfterConnect]?.();
  // Read ahead up to the high-water mark, as Node does, paused or not.
  startReading(socket);
}

// --- reading ---

Socket.prototype._read = function () {
  // Reading starts once connected (see onOpened).
  if (!this.connecting && this[kHandle] !== null && this[kOnread] === null) startReading(this);
};

/** Reads the handle until the Readable has enough buffered (or, with
 * onread, until its callback returns false or the socket is paused). */
async function startReading(socket) {
  const handle = socket[kHandle];
  if (handle === null || handle.reading || handle.upgraded) return;
  handle.reading = true;
  try {
    for (;;) {
      const { value, done } = await handle.reader.read();
      if (socket[kHandle] !== handle || handle.upgraded || socket.destroyed) return;
      if (done) {
        handle.readEnded = true;
        socket.push(null);
        return;
      }
      if (value.byteLength === 0) continue;
      handle.bytesRead += value.byteLength;
      socket._unrefTimer();
      const onread = socket[kOnread];
      if (onread !== null) {
        if (deliverOnread(socket, onread, value) === false || socket[kOnreadPaused]) return;
        continue;
      }
      if (!socket.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))) return;
    }
  } catch (err) {
    if (socket[kHandle] === handle && !handle.upgraded && !socket.destroyed) socket.destroy(err);
  } finally {
    handle.reading = false;
  }
}

/** Copies `bytes` into the onread buffer(s) and calls the callback with
 * each fill; false when it asked to stop. */
function deliverOnread(socket, onread, bytes) {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const target = onread.buffer();
    if (!(target instanceof Uint8Array) || target.byteLength === 0) return false;
    const n = Math.min(target.byteLength, bytes.byteLength - offset);
    target.set(bytes.subarray(offset, offset + n));
    offset += n;
    const buffer = Buffer.from(target.buffer, target.byteOffset, target.byteLength);
    if (onread.callback.call(socket, n, buffer) === false) {
      socket[kOnreadPaused] = true;
      return false;
    }
  }
  return true;
}

// With onread, pause() and resume() stop and restart the reading itself.
Socket.prototype.pause = function () {
  if (this[kOnread] !== null) this[kOnreadPaused] = true;
  return Duplex.prototype.pause.call(this);
};

Socket.prototype.resume = function () {
  if (this[kOnread] !== null) {
    this[kOnreadPaused] = false;
    if (!this.connecting && this[kHandle] !== null) startReading(this);
  }
  return Duplex.prototype.resume.call(this);
};

// --- writing ---

/** Bytes of a chunk written with `encoding`. */
function toBytes(chunk, encoding) {
  if (typeof chunk === "string") return Buffer.from(chunk, encoding);
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new ERR_INVALID_ARG_TYPE("chunk", ["string", "Buffer", "TypedArray", "DataView"], chunk);
}

function writeBytes(socket, bytes, cb) {
  // Held until the connection opens (the Writable sends no more meanwhile).
  if (socket.connecting) {
    socket[kPending] = { bytes, cb };
    return;
  }
  const handle = socket[kHandle];
  if (handle === null || handle.upgraded) {
    cb(new ERR_SOCKET_CLOSED());
    return;
  }
  socket._unrefTimer();
  // Counted when handed over, as Node counts bytes dispatched.
  handle.bytesWritten += bytes.byteLength;
  handle.writer.write(bytes).then(
    () => {
      socket._unrefTimer();
      cb();
    },
    // A write cut short by destroy() is not an error of its own; nor is one
    // after the other side ended when the host, without allowHalfOpen, has
    // ended this side too (Node would have ended it next), as in workerd.
    (err) => {
      const dropped = socket[kHandle] !== handle || (handle.readEnded && !socket.allowHalfOpen);
      cb(dropped ? undefined : err);
    },
  );
}

function flushPending(socket) {
  const pending = socket[kPending];
  if (pending === null) return;
  socket[kPending] = null;
  writeBytes(socket, pending.bytes, pending.cb);
}

Socket.prototype._write = function (chunk, encoding, cb) {
  let bytes;
  try {
    bytes = toBytes(chunk, encoding);
  } catch (err) {
    cb(err);
    return;
  }
  writeBytes(this, bytes, cb);
};

// Several buffered writes go out as one: fewer trips through the host.
Socket.prototype._writev = function (chunks, cb) {
  let parts;
  try {
    parts = chunks.map(({ chunk, encoding }) => toBytes(chunk, encoding));
  } catch (err) {
    cb(err);
    return;
  }
  writeBytes(this, Buffer.concat(parts), cb);
};

Socket.prototype._final = function (cb) {
  if (this.connecting) {
    this.once(kConnected, () => this._final(cb));
    return;
  }
  const handle = this[kHandle];
  if (handle === null || handle.upgraded) {
    cb();
    return;
  }
  // Once the other side has ended (and, without allowHalfOpen, the host has
  // ended this side too), a failing close() loses nothing: as Node ignores
  // ENOTCONN from shutdown, it is no error.
  handle.writer.close().then(
    () => cb(),
    (err) => cb(this[kHandle] === handle && !handle.readEnded ? err : undefined),
  );
};

/** write() once the other side has ended and allowHalfOpen is false: an
 * EPIPE error, as writing to a closed connection gives in Node. */
function writeAfterFIN(chunk, encoding, cb) {
  if (!this.writableEnded) return Duplex.prototype.write.call(this, chunk, encoding, cb);
  if (typeof encoding === "function") cb = encoding;
  const err = new Error("This socket has been ended by the other party");
  err.code = "EPIPE";
  if (typeof cb === "function") queueMicrotask(() => cb(err));
  this.destroy(err);
  return false;
}

function onReadableEnd() {
  if (!this.allowHalfOpen) this.write = writeAfterFIN;
}

// --- closing ---

Socket.prototype._destroy = function (err, cb) {
  this.connecting = false;
  for (let s = this; s != null; s = s._parentWrap) clearTimer(s);
  const handle = this[kHandle];
  const pending = this[kPending];
  this[kHandle] = null;
  this[kPending] = null;
  if (handle !== null) {
    this[kBytesRead] = handle.bytesRead;
    this[kBytesWritten] = handle.bytesWritten;
  }
  cb(err);
  // 'close' after 'error' (which cb has queued), once the handle has closed;
  // then a write still waiting for the connection fails, as in Node.
  const hadError = err != null;
  const emitClose = () => {
    this.emit("close", hadError);
    pending?.cb(new ERR_SOCKET_CLOSED_BEFORE_CONNECTION());
  };
  if (handle === null || handle.upgraded) {
    queueMicrotask(emitClose);
    return;
  }
  closeHandle(handle).then(emitClose, emitClose);
};

/** Closes the host's socket; one still opening is closed again once open,
 * in case the host's close() does not reach a connection not yet made. */
function closeHandle(handle) {
  const inner = handle.socket;
  if (!handle.opened) inner.opened.then(() => inner.close(), () => {}).catch(() => {});
  try {
    return Promise.resolve(inner.close());
  } catch {
    return Promise.resolve();
  }
}

Socket.prototype._reset = function () {
  return this.destroy();
};

// The host gives no way to send a TCP reset: this closes the socket.
Socket.prototype.resetAndDestroy = function () {
  if (this[kHandle] === null) {
    this.destroy(new ERR_SOCKET_CLOSED());
  } else if (this.connecting) {
    this.once("connect", () => this._reset());
  } else {
    this._reset();
  }
  return this;
};

Socket.prototype.destroySoon = function () {
  if (this.writable) this.end();
  if (this.writableFinished) this.destroy();
  else this.once("finish", () => this.destroy());
};

// --- timeouts ---

function clearTimer(socket) {
  if (socket[kTimer] !== null) {
    clearTimeout(socket[kTimer]);
    socket[kTimer] = null;
  }
}

function armTimer(socket) {
  clearTimer(socket);
  if (socket[kTimeoutMs] > 0) socket[kTimer] = setTimeout(() => socket._onTimeout(), socket[kTimeoutMs]);
}

function getTimerDuration(msecs, name) {
  validateNumber(msecs, name);
  if (msecs < 0 || !Number.isFinite(msecs)) {
    throw new ERR_OUT_OF_RANGE(name, "a non-negative finite number", msecs);
  }
  return Math.min(msecs, TIMEOUT_MAX);
}

Socket.prototype.setTimeout = function (msecs, callback) {
  if (this.destroyed) return this;
  this.timeout = msecs;
  msecs = getTimerDuration(msecs, "msecs");
  if (callback !== undefined) validateFunction(callback, "callback");
  this[kTimeoutMs] = msecs;
  armTimer(this);
  if (callback !== undefined) {
    if (msecs === 0) this.removeListener("timeout", callback);
    else this.once("timeout", callback);
  }
  return this;
};

Socket.prototype._onTimeout = function () {
  this[kTimer] = null;
  this.emit("timeout");
};

/** Activity: restarts the idle timers of this socket and those under it. */
Socket.prototype._unrefTimer = function () {
  for (let s = this; s != null; s = s._parentWrap) {
    if (s[kTimeoutMs] > 0) armTimer(s);
  }
};

// --- options that the host does not offer ---

Socket.prototype.setNoDelay = function () {
  return this;
};
Socket.prototype.setKeepAlive = function () {
  return this;
};
Socket.prototype.ref = function () {
  return this;
};
Socket.prototype.unref = function () {
  return this;
};

// --- addresses and counters ---

Socket.prototype._getpeername = function () {
  return this[kPeer] === null ? {} : { ...this[kPeer] };
};

Socket.prototype._getsockname = function () {
  if (this[kHandle] === null) return {};
  // The host may not say which local address it used.
  return { ...(this[kLocal] ?? { address: "0.0.0.0", port: 0, family: "IPv4" }) };
};

Socket.prototype.address = function () {
  return this._getsockname();
};

function getter(get) {
  return { get, enumerable: false, configurable: true };
}

Object.defineProperties(Socket.prototype, {
  _connecting: getter(function () {
    return this.connecting;
  }),
  pending: getter(function () {
    return this[kHandle] === null || this.connecting;
  }),
  readyState: getter(function () {
    if (this.connecting) return "opening";
    if (this.readable && this.writable) return "open";
    if (this.readable) return "readOnly";
    if (this.writable) return "writeOnly";
    return "closed";
  }),
  bufferSize: getter(function () {
    return this[kHandle] === null ? undefined : this.writableLength;
  }),
  bytesRead: getter(function () {
    return this[kHandle] === null ? this[kBytesRead] : this[kHandle].bytesRead;
  }),
  _bytesDispatched: getter(function () {
    return this[kHandle] === null ? this[kBytesWritten] : this[kHandle].bytesWritten;
  }),
  // Written so far plus what is still queued, as Node counts it.
  bytesWritten: getter(function () {
    let bytes = this._bytesDispatched;
    const pending = this[kPending];
    if (pending !== null) bytes += pending.bytes.byteLength;
    for (const { chunk, encoding } of this.writableBuffer ?? []) {
      bytes += typeof chunk === "string" ? Buffer.byteLength(chunk, encoding) : chunk.byteLength;
    }
    return bytes;
  }),
  remoteAddress: getter(function () {
    return this._getpeername().address;
  }),
  remoteFamily: getter(function () {
    return this._getpeername().family;
  }),
  remotePort: getter(function () {
    return this._getpeername().port;
  }),
  localAddress: getter(function () {
    return this._getsockname().address;
  }),
  localPort: getter(function () {
    return this._getsockname().port;
  }),
  localFamily: getter(function () {
    return this._getsockname().family;
  }),
});

function connect(...args) {
  const normalized = _normalizeArgs(args);
  const [options] = normalized;
  const socket = new Socket(options);
  if (options.timeout) socket.setTimeout(options.timeout);
  return socket.connect(normalized);
}

return {
  Socket,
  connect,
  _normalizeArgs,
  // For node:tls.
  internals: { attachHandle, kAfterConnect, kHandle, kPeer, kLocal },
};
})();
