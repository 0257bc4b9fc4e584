// node:stream's Duplex (a Readable that is also a Writable), Transform
// (whose writes are turned into reads by _transform), PassThrough, and
// duplexPair().
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/stream_duplex");
const {
  codes: { ERR_METHOD_NOT_IMPLEMENTED },
} = require("internal/errors");
const { Readable } = require("internal/stream_readable");
const { Writable } = require("internal/stream_writable");
const { defer, getHighWaterMark } = require("internal/stream_utils");

function Duplex(options) {
  if (!(this instanceof Duplex)) return new Duplex(options);
  Readable.call(this, options);
  Writable.call(this, options);
  if (options) {
    this.allowHalfOpen = options.allowHalfOpen !== false;
    if (options.readable === false) {
      const r = this._readableState;
      r.readable = false;
      r.ended = true;
      r.endEmitted = true;
    }
    if (options.writable === false) {
      const w = this._writableState;
      w.writable = false;
      w.ending = true;
      w.ended = true;
      w.finished = true;
    }
  } else {
    this.allowHalfOpen = true;
  }
}
Object.setPrototypeOf(Duplex.prototype, Readable.prototype);
Object.setPrototypeOf(Duplex, Readable);

// Writable's methods that Readable does not have already.
for (const method of Object.keys(Writable.prototype)) {
  if (!Duplex.prototype[method]) Duplex.prototype[method] = Writable.prototype[method];
}
// Writable's destroy also fails buffered writes.
Duplex.prototype.destroy = Writable.prototype.destroy;

{
  const writableProps = ["writable", "writableHighWaterMark", "writableObjectMode", "writableBuffer",
    "writableLength", "writableFinished", "writableCorked", "writableEnded", "writableNeedDrain"];
  for (const name of writableProps) {
    Object.defineProperty(Duplex.prototype, name, Object.getOwnPropertyDescriptor(Writable.prototype, name));
  }
  Object.defineProperty(Duplex.prototype, "destroyed", {
    get() {
      if (this._readableState === undefined || this._writableState === undefined) return false;
      return this._readableState.destroyed && this._writableState.destroyed;
    },
    set(value) {
      if (this._readableState && this._writableState) {
        this._readableState.destroyed = value;
        this._writableState.destroyed = value;
      }
    },
    enumerable: false,
    configurable: true,
  });
}

Duplex.fromWeb = function (pair, options) {
  return require("internal/stream_web_adapters").newStreamDuplexFromReadableWritablePair(pair, options);
};
Duplex.toWeb = function (duplex) {
  return require("internal/stream_web_adapters").newReadableWritablePairFromDuplex(duplex);
};
Duplex.from = function (body) {
  return require("internal/stream_duplexify").duplexify(body, "body");
};

// --- Transform ---

const kCallback = Symbol("kCallback");

function Transform(options) {
  if (!(this instanceof Transform)) return new Transform(options);
  // With no room on the readable side, every write would wait: give the
  // writable side no room either, so writes report backpressure at once.
  const readableHighWaterMark = options ? getHighWaterMark(options, "readableHighWaterMark", true, false) : null;
  if (readableHighWaterMark === 0) {
    options = {
      ...options,
      highWaterMark: null,
      readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark || 0,
    };
  }
  Duplex.call(this, options);
  // Pushes from _transform may emit 'data' at once.
  this._readableState.sync = false;
  // The write callback held back until the reader wants more.
  this[kCallback] = null;
  if (options) {
    if (typeof options.transform === "function") this._transform = options.transform;
    if (typeof options.flush === "function") this._flush = options.flush;
  }
  // Subclasses that override _final still get _flush called, on 'prefinish'.
  this.on("prefinish", prefinish);
}
Object.setPrototypeOf(Transform.prototype, Duplex.prototype);
Object.setPrototypeOf(Transform, Duplex);

function final(cb) {
  if (typeof this._flush === "function" && !this.destroyed) {
    this._flush((er, data) => {
      if (er) {
        if (cb) cb(er);
        else this.destroy(er);
        return;
      }
      if (data != null) this.push(data);
      this.push(null);
      if (cb) cb();
    });
  } else {
    this.push(null);
    if (cb) cb();
  }
}

function prefinish() {
  if (this._final !== final) final.call(this);
}

Transform.prototype._final = final;

Transform.prototype._transform = function () {
  throw new ERR_METHOD_NOT_IMPLEMENTED("_transform()");
};

Transform.prototype._write = function (chunk, encoding, callback) {
  const r = this._readableState;
  const w = this._writableState;
  const length = r.length;
  this._transform(chunk, encoding, (err, val) => {
    if (err) {
      callback(err);
      return;
    }
    if (val != null) this.push(val);
    if (r.ended) {
      // push(null) from _transform: let the ended state settle first.
      defer(callback);
    } else if (w.ended || length === r.length || r.length < r.highWaterMark) {
      callback();
    } else {
      // The readable side is full: take the next write once it is read.
      this[kCallback] = callback;
    }
  });
};

Transform.prototype._read = function () {
  if (this[kCallback]) {
    const callback = this[kCallback];
    this[kCallback] = null;
    callback();
  }
};

// --- PassThrough ---

function PassThrough(options) {
  if (!(this instanceof PassThrough)) return new PassThrough(options);
  Transform.call(this, options);
}
Object.setPrototypeOf(PassThrough.prototype, Transform.prototype);
Object.setPrototypeOf(PassThrough, Transform);

PassThrough.prototype._transform = function (chunk, encoding, cb) {
  cb(null, chunk);
};

// --- duplexPair ---

const kOtherSide = Symbol("kOtherSide");
const kWriteCallback = Symbol("kWriteCallback");

/** One end of a duplexPair: what is written to it is read from the other. */
class DuplexSide extends Duplex {
  constructor(options) {
    super(options);
    this[kOtherSide] = null;
    this[kWriteCallback] = null;
  }

  _read() {
    const callback = this[kWriteCallback];
    if (callback) {
      this[kWriteCallback] = null;
      callback();
    }
  }

  _write(chunk, encoding, callback) {
    if (chunk.length === 0) {
      defer(callback);
    } else {
      // The write completes once the other side reads.
      this[kOtherSide].push(chunk);
      this[kOtherSide][kWriteCallback] = callback;
    }
  }

  _final(callback) {
    this[kOtherSide].on("end", callback);
    this[kOtherSide].push(null);
  }
}

function duplexPair(options) {
  const side0 = new DuplexSide(options);
  const side1 = new DuplexSide(options);
  side0[kOtherSide] = side1;
  side1[kOtherSide] = side0;
  return [side0, side1];
}

return { Duplex, PassThrough, Transform, duplexPair };
})();
