// node:http's OutgoingMessage, what ClientRequest and ServerResponse share:
// a Writable that keeps the header fields until they are sent (on the first
// write, on end(), or when the subclass sends them itself) and then hands
// the body on to the subclass's `_write`. Differences from Node: it is a
// stream.Writable (Node's is a legacy Stream), no raw HTTP/1.1 is framed,
// and trailers cannot be sent.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/http_outgoing");
const {
  codes: {
    ERR_HTTP_BODY_NOT_ALLOWED,
    ERR_HTTP_CONTENT_LENGTH_MISMATCH,
    ERR_HTTP_HEADERS_SENT,
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_METHOD_NOT_IMPLEMENTED,
    ERR_STREAM_ALREADY_FINISHED,
    ERR_STREAM_CANNOT_PIPE,
    ERR_STREAM_DESTROYED,
    ERR_STREAM_NULL_VALUES,
    ERR_STREAM_WRITE_AFTER_END,
  },
  validateString,
} = require("internal/errors");
const { Writable } = require("stream");
const { Buffer } = require("buffer");
const { validateHeaderName, validateHeaderValue } = require("internal/http_common");

/** lower-cased name -> [name as set, value] */
const kOutHeaders = Symbol("kOutHeaders");
const kUniqueHeaders = Symbol("kUniqueHeaders");
const kRejectNonStandardBodyWrites = Symbol("kRejectNonStandardBodyWrites");
const kBytesWritten = Symbol("kBytesWritten");

const noop = () => {};

function byteLengthOf(chunk, encoding) {
  return typeof chunk === "string" ? Buffer.byteLength(chunk, encoding || "utf8") : chunk.byteLength;
}

/** Reports a failed write the way Node's OutgoingMessage does: to the
 * callback, and as 'error' unless the message is destroyed by then. */
function reportWriteError(message, error, callback) {
  if (message.destroyed) {
    queueMicrotask(() => callback(error));
    return;
  }
  queueMicrotask(() => {
    callback(error);
    if (!message.destroyed) message.emit("error", error);
  });
}

class OutgoingMessage extends Writable {
  constructor(options) {
    super({
      highWaterMark: options?.highWaterMark,
      autoDestroy: options?.autoDestroy ?? true,
    });
    this[kOutHeaders] = null;
    this[kUniqueHeaders] = null;
    this[kRejectNonStandardBodyWrites] = options?.rejectNonStandardBodyWrites ?? false;
    this[kBytesWritten] = 0;
    this.finished = false;
    this.sendDate = false;
    this.chunkedEncoding = false;
    this.useChunkedEncodingByDefault = true;
    this.shouldKeepAlive = true;
    this.maxRequestsOnConnectionReached = false;
    this.strictContentLength = false;
    this.socket = null;
    this._header = null;
    this._headerSent = false;
    this._hasBody = true;
    this._contentLength = null;
    this._closed = false;
    this._last = false;
    this._removedConnection = false;
    this._removedContLen = false;
    this._removedTE = false;
  }

  get connection() {
    return this.socket;
  }
  set connection(value) {
    this.socket = value;
  }

  get headersSent() {
    return !!this._header;
  }

  get writableEnded() {
    return this.finished;
  }

  setHeader(name, value) {
    if (this._header) throw new ERR_HTTP_HEADERS_SENT("set");
    validateHeaderName(name);
    validateHeaderValue(name, value);
    this[kOutHeaders] ??= { __proto__: null };
    this[kOutHeaders][name.toLowerCase()] = [name, value];
    return this;
  }

  /** Sets every field of a `Headers` or `Map`; `set-cookie`s stay apart. */
  setHeaders(headers) {
    if (this._header) throw new ERR_HTTP_HEADERS_SENT("set");
    if (!headers || Array.isArray(headers) || typeof headers.keys !== "function" ||
        typeof headers.get !== "function") {
      throw new ERR_INVALID_ARG_TYPE("headers", ["Headers", "Map"], headers);
    }
    const cookies = [];
    for (const [name, value] of headers) {
      if (name === "set-cookie") {
        if (Array.isArray(value)) cookies.push(...value);
        else cookies.push(value);
      } else {
        this.setHeader(name, value);
      }
    }
    if (cookies.length > 0) this.setHeader("set-cookie", cookies);
    return this;
  }

  appendHeader(name, value) {
    if (this._header) throw new ERR_HTTP_HEADERS_SENT("append");
    validateHeaderName(name);
    validateHeaderValue(name, value);
    const key = name.toLowerCase();
    const entry = this[kOutHeaders]?.[key];
    if (!entry) return this.setHeader(name, value);
    if (!Array.isArray(entry[1])) entry[1] = [entry[1]];
    if (Array.isArray(value)) entry[1].push(...value);
    else entry[1].push(value);
    return this;
  }

  getHeader(name) {
    validateString(name, "name");
    return this[kOutHeaders]?.[name.toLowerCase()]?.[1];
  }

  hasHeader(name) {
    validateString(name, "name");
    return this[kOutHeaders] !== null && this[kOutHeaders][name.toLowerCase()] !== undefined;
  }

  removeHeader(name) {
    validateString(name, "name");
    if (this._header) throw new ERR_HTTP_HEADERS_SENT("remove");
    const key = name.toLowerCase();
    if (key === "connection") this._removedConnection = true;
    else if (key === "content-length") this._removedContLen = true;
    else if (key === "transfer-encoding") this._removedTE = true;
    else if (key === "date") this.sendDate = false;
    if (this[kOutHeaders] !== null) delete this[kOutHeaders][key];
  }

  getHeaderNames() {
    return this[kOutHeaders] === null ? [] : Object.keys(this[kOutHeaders]);
  }

  getRawHeaderNames() {
    return this[kOutHeaders] === null ? [] : Object.values(this[kOutHeaders]).map((entry) => entry[0]);
  }

  getHeaders() {
    const headers = { __proto__: null };
    for (const key in this[kOutHeaders]) headers[key] = this[kOutHeaders][key][1];
    return headers;
  }

  /** The fields by their names as set, as Node's `_renderHeaders()`. */
  _renderHeaders() {
    if (this._header) throw new ERR_HTTP_HEADERS_SENT("render");
    const headers = {};
    for (const key in this[kOutHeaders]) {
      const [name, value] = this[kOutHeaders][key];
      headers[name] = value;
    }
    return headers;
  }

  flushHeaders() {
    if (!this._header) this._implicitHeader();
  }

  _implicitHeader() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("_implicitHeader()");
  }

  addTrailers(_headers) {
    throw new ERR_METHOD_NOT_IMPLEMENTED("addTrailers");
  }

  setTimeout(_msecs, callback) {
    if (callback) this.once("timeout", callback);
    return this;
  }

  pipe(destination) {
    this.emit("error", new ERR_STREAM_CANNOT_PIPE());
    return destination;
  }

  write(chunk, encoding, callback) {
    if (typeof encoding === "function") {
      callback = encoding;
      encoding = null;
    }
    return writeChunk(this, chunk, encoding, callback, false);
  }

  end(chunk, encoding, callback) {
    if (typeof chunk === "function") {
      callback = chunk;
      chunk = null;
      encoding = null;
    } else if (typeof encoding === "function") {
      callback = encoding;
      encoding = null;
    }
    if (chunk) {
      if (this.finished) {
        reportWriteError(this, new ERR_STREAM_WRITE_AFTER_END(), typeof callback === "function" ? callback : noop);
        return this;
      }
      writeChunk(this, chunk, encoding, null, true);
    } else if (this.finished) {
      if (typeof callback === "function") {
        if (!this.writableFinished) this.once("finish", callback);
        else queueMicrotask(() => callback(new ERR_STREAM_ALREADY_FINISHED("end")));
      }
      return this;
    } else if (!this._header) {
      this._contentLength = 0;
      this._implicitHeader();
    }
    if (typeof callback === "function") this.once("finish", callback);
    if (strictLengthApplies(this) && this[kBytesWritten] !== this._contentLength) {
      throw new ERR_HTTP_CONTENT_LENGTH_MISMATCH(this[kBytesWritten], this._contentLength);
    }
    this.finished = true;
    Writable.prototype.end.call(this);
    return this;
  }

  _write(_chunk, _encoding, callback) {
    callback();
  }
}

function strictLengthApplies(message) {
  return message.strictContentLength && message._contentLength != null && message._hasBody &&
    !message._removedContLen && !message.chunkedEncoding && !message.hasHeader("transfer-encoding");
}

function writeChunk(message, chunk, encoding, callback, fromEnd) {
  if (typeof callback !== "function") callback = noop;
  if (chunk === null) throw new ERR_STREAM_NULL_VALUES();
  if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
    throw new ERR_INVALID_ARG_TYPE("chunk", ["string", "Buffer", "Uint8Array"], chunk);
  }
  let error;
  if (message.finished) error = new ERR_STREAM_WRITE_AFTER_END();
  else if (message.destroyed) error = new ERR_STREAM_DESTROYED("write");
  if (error) {
    reportWriteError(message, error, callback);
    return false;
  }
  let length;
  if (message.strictContentLength) {
    length = byteLengthOf(chunk, encoding);
    const total = message[kBytesWritten] + length;
    if (strictLengthApplies(message) &&
        (fromEnd ? total !== message._contentLength : total > message._contentLength)) {
      throw new ERR_HTTP_CONTENT_LENGTH_MISMATCH(total, message._contentLength);
    }
    message[kBytesWritten] = total;
  }
  if (!message._header) {
    // The whole body comes with end(): its length is known.
    if (fromEnd) message._contentLength = length ?? byteLengthOf(chunk, encoding);
    message._implicitHeader();
  }
  if (!message._hasBody) {
    if (message[kRejectNonStandardBodyWrites]) throw new ERR_HTTP_BODY_NOT_ALLOWED();
    queueMicrotask(callback);
    return true;
  }
  return Writable.prototype.write.call(message, chunk, encoding || undefined, callback);
}

/**
 * The header fields as [name, value] pairs, as they go out: from the fields
 * set on `message`, or from `headers` (an object, a flat list or a list of
 * pairs, checked here). A list value is one line per item, except for
 * `cookie` and the `uniqueHeaders`, whose items are joined with "; ".
 */
function headerPairs(message, headers) {
  const pairs = [];
  const add = (name, value, validate) => {
    if (validate) validateHeaderName(name);
    if (Array.isArray(value)) {
      const lower = name.toLowerCase();
      const joined = (value.length >= 2 && lower === "cookie") || message[kUniqueHeaders]?.has(lower);
      if (!joined) {
        for (const item of value) {
          if (validate) validateHeaderValue(name, item);
          pairs.push([name, String(item)]);
        }
        return;
      }
      value = value.join("; ");
    }
    if (validate) validateHeaderValue(name, value);
    pairs.push([name, String(value)]);
  };
  if (headers == null || headers === message[kOutHeaders]) {
    for (const key in message[kOutHeaders]) {
      const [name, value] = message[kOutHeaders][key];
      add(name, value, false);
    }
  } else if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [name, value] of headers) add(name, value, true);
    } else {
      if (headers.length % 2 !== 0) throw new ERR_INVALID_ARG_VALUE("headers", headers);
      for (let i = 0; i < headers.length; i += 2) add(headers[i], headers[i + 1], true);
    }
  } else {
    for (const name of Object.keys(headers)) add(name, headers[name], true);
  }
  return pairs;
}

/** Node's `_header`: the head of the message as HTTP/1.1 would write it. */
function renderHead(firstLine, pairs) {
  let head = `${firstLine}\r\n`;
  for (const [name, value] of pairs) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}

return {
  OutgoingMessage,
  headerPairs,
  kOutHeaders,
  kUniqueHeaders,
  renderHead,
};
})();
