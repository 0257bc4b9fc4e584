// node:http's IncomingMessage: a Readable whose bytes come from a web
// `ReadableStream` (a fetch() Response's body for a client, a Request's
// body for a server) and whose header fields come from a `Headers` list.
// Differences from Node: `rawHeaders` names are lower case (a `Headers`
// list keeps no case), and there are never trailers.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/http_incoming");
const { Readable } = require("stream");
const { Buffer } = require("buffer");
const { addHeaderLine, rawHeadersOf } = require("internal/http_common");

const kHeaders = Symbol("kHeaders");
const kHeadersDistinct = Symbol("kHeadersDistinct");
const kHeadersCount = Symbol("kHeadersCount");
const kSource = Symbol("kSource");
const kReader = Symbol("kReader");
const kReading = Symbol("kReading");
/** Called on each chunk received (the client's idle timer). */
const kOnActivity = Symbol("kOnActivity");
/** The ClientRequest a client's response belongs to. */
const kRequest = Symbol("kRequest");

function toBuffer(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

class IncomingMessage extends Readable {
  constructor(socket) {
    super();
    this.socket = socket;
    this.httpVersionMajor = null;
    this.httpVersionMinor = null;
    this.httpVersion = null;
    this.complete = false;
    this.rawHeaders = [];
    this.rawTrailers = [];
    this.joinDuplicateHeaders = false;
    this.aborted = false;
    this.upgrade = null;
    this.url = "";
    this.method = null;
    this.statusCode = null;
    this.statusMessage = null;
    this.client = socket;
    this._consuming = false;
    this._dumped = false;
    this._paused = false;
    this[kHeaders] = null;
    this[kHeadersDistinct] = null;
    this[kHeadersCount] = 0;
    this[kSource] = null;
    this[kReader] = null;
    this[kReading] = false;
  }

  get connection() {
    return this.socket;
  }
  set connection(value) {
    this.socket = value;
  }

  get headers() {
    if (this[kHeaders] === null) {
      const headers = {};
      const raw = this.rawHeaders;
      for (let i = 0; i < this[kHeadersCount]; i += 2) {
        addHeaderLine(raw[i], raw[i + 1], headers, this.joinDuplicateHeaders);
      }
      this[kHeaders] = headers;
    }
    return this[kHeaders];
  }
  set headers(value) {
    this[kHeaders] = value;
  }

  get headersDistinct() {
    if (this[kHeadersDistinct] === null) {
      const headers = {};
      const raw = this.rawHeaders;
      for (let i = 0; i < this[kHeadersCount]; i += 2) {
        const name = raw[i].toLowerCase();
        if (!Object.hasOwn(headers, name)) headers[name] = [raw[i + 1]];
        else headers[name].push(raw[i + 1]);
      }
      this[kHeadersDistinct] = headers;
    }
    return this[kHeadersDistinct];
  }
  set headersDistinct(value) {
    this[kHeadersDistinct] = value;
  }

  // A fetch() exchange carries no trailers.
  get trailers() {
    return {};
  }
  set trailers(_value) {}
  get trailersDistinct() {
    return {};
  }
  set trailersDistinct(_value) {}

  /** Node's parser hook: one header line into `dest`. */
  _addHeaderLine(field, value, dest) {
    addHeaderLine(field, value, dest, this.joinDuplicateHeaders);
  }

  /** Node's parser hook: the whole flat list of header lines. */
  _addHeaderLines(headers, n) {
    if (Array.isArray(headers) && !this.complete) {
      this.rawHeaders = headers;
      this[kHeadersCount] = n;
      this[kHeaders] = null;
      this[kHeadersDistinct] = null;
    }
  }

  setTimeout(msecs, callback) {
    if (callback) this.on("timeout", callback);
    // A client's response times out with its request.
    this[kRequest]?.setTimeout(msecs);
    return this;
  }

  /** Discards the body: what Node does with a response nobody listens to. */
  _dump() {
    if (!this._dumped) {
      this._dumped = true;
      this.removeAllListeners("data");
      this.resume();
    }
  }

  _read() {
    if (!this._consuming) this._consuming = true;
    if (this[kSource] === null) {
      this.complete = true;
      this.push(null);
      return;
    }
    pump(this);
  }

  _destroy(error, callback) {
    if (!this.readableEnded || !this.complete) {
      this.aborted = true;
      this.emit("aborted");
    }
    // Let the sender know nobody reads the rest.
    const reader = this[kReader];
    const source = this[kSource];
    if (!this.complete) {
      if (reader) reader.cancel(error ?? undefined).catch(() => {});
      else if (source && !source.locked) source.cancel(error ?? undefined).catch(() => {});
    }
    // As in Node, a destroyed message reports its error only to listeners.
    queueMicrotask(() => callback(this.listenerCount("error") > 0 ? error : undefined));
  }
}

/** Reads the body stream into the Readable until it is full or ends. */
async function pump(message) {
  if (message[kReading]) return;
  message[kReading] = true;
  try {
    message[kReader] ??= message[kSource].getReader();
    const reader = message[kReader];
    for (;;) {
      let result;
      try {
        result = await reader.read();
      } catch (error) {
        if (!message.destroyed) message.destroy(error);
        return;
      }
      if (message.destroyed) return;
      // push() runs the 'data' listeners: what they throw is theirs, and
      // surfaces as an uncaught error rather than failing the body.
      try {
        if (result.done) {
          message.complete = true;
          message.push(null);
          return;
        }
        message[kOnActivity]?.();
        if (result.value.byteLength > 0 && !message.push(toBuffer(result.value))) return;
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
        return;
      }
    }
  } finally {
    message[kReading] = false;
  }
}

/** Gives `message` its header lines (from a `Headers` list) and body. */
function fillMessage(message, headers, body) {
  const raw = rawHeadersOf(headers);
  message._addHeaderLines(raw, raw.length);
  message.httpVersionMajor = 1;
  message.httpVersionMinor = 1;
  message.httpVersion = "1.1";
  message[kSource] = body ?? null;
}

return {
  IncomingMessage,
  fillMessage,
  kOnActivity,
  kRequest,
};
})();
