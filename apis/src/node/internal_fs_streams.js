// fs.ReadStream and fs.WriteStream: node:stream streams over the virtual file
// system's file descriptors. The reads and writes are synchronous
// underneath; only the stream machinery around them is asynchronous.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/fs_streams");
const { codes: { ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE }, validateFunction, validateInteger } =
  require("internal/errors");
const { Readable, Writable } = require("stream");
const vfs = require("internal/fs_vfs");
const sync = require("internal/fs_sync");

function streamOptions(options) {
  if (options === undefined || options === null) return {};
  if (typeof options === "string") return { encoding: options };
  if (typeof options !== "object") throw new ERR_INVALID_ARG_TYPE("options", ["string", "Object"], options);
  return options;
}

/** The fd option as a number: a FileHandle gives its own. */
function fdOf(options) {
  const fd = options.fd;
  if (fd === undefined || fd === null) return null;
  if (typeof fd === "object" && typeof fd.fd === "number") return fd.fd;
  sync.validateFd(fd, "fd");
  return fd;
}

function closeFd(stream, err, callback) {
  if (stream.fd !== null && stream.autoClose !== false) {
    vfs.closeFd(stream.fd);
    stream.fd = null;
    queueMicrotask(() => stream.emit("close"));
  }
  callback(err);
}

class ReadStream extends Readable {
  constructor(path, options) {
    if (!(new.target)) return new ReadStream(path, options);
    options = streamOptions(options);
    const fd = fdOf(options);
    super({ highWaterMark: options.highWaterMark ?? 64 * 1024, encoding: options.encoding ?? null,
      signal: options.signal, emitClose: false, autoDestroy: options.autoClose !== false });
    this.fd = fd;
    this.path = fd === null ? (typeof path === "string" ? path : vfs.toPathString(path)) : undefined;
    if (fd === null) sync.pathArg(path);
    this.flags = options.flags ?? "r";
    this.mode = options.mode ?? 0o666;
    this.start = options.start;
    this.end = options.end ?? Infinity;
    this.pos = undefined;
    this.bytesRead = 0;
    this.autoClose = options.autoClose ?? true;
    if (this.start !== undefined) {
      validateInteger(this.start, "start", 0);
      this.pos = this.start;
    }
    if (this.end !== Infinity) {
      validateInteger(this.end, "end", 0);
      if (this.start !== undefined && this.start > this.end) {
        throw new ERR_OUT_OF_RANGE("start", `<= "end" (here: ${this.end})`, this.start);
      }
    }
  }
  _read(size) {
    const wanted = Math.min(size, this.end === Infinity ? size : this.end - (this.pos ?? this.bytesRead) + 1);
    if (wanted <= 0) {
      this.push(null);
      return;
    }
    const chunk = new Uint8Array(wanted);
    let n;
    try {
      n = vfs.readFd(this.fd, chunk, 0, wanted, this.pos ?? null);
    } catch (err) {
      this.destroy(err);
      return;
    }
    if (this.pos !== undefined) this.pos += n;
    this.bytesRead += n;
    if (n === 0) this.push(null);
    else this.push(require("buffer").Buffer.from(chunk.buffer, 0, n));
  }
  close(callback) {
    if (typeof callback === "function") require("stream").finished(this, callback);
    this.destroy();
  }
}

class WriteStream extends Writable {
  constructor(path, options) {
    if (!(new.target)) return new WriteStream(path, options);
    options = streamOptions(options);
    const fd = fdOf(options);
    super({ highWaterMark: options.highWaterMark, decodeStrings: true,
      defaultEncoding: options.encoding ?? "utf8", signal: options.signal, emitClose: false,
      autoDestroy: options.autoClose !== false });
    this.fd = fd;
    this.path = fd === null ? (typeof path === "string" ? path : vfs.toPathString(path)) : undefined;
    if (fd === null) sync.pathArg(path);
    this.flags = options.flags ?? "w";
    this.mode = options.mode ?? 0o666;
    this.start = options.start;
    this.pos = undefined;
    this.bytesWritten = 0;
    this.autoClose = options.autoClose ?? true;
    if (this.start !== undefined) {
      validateInteger(this.start, "start", 0);
      this.pos = this.start;
    }
    if (options.encoding) this.setDefaultEncoding(options.encoding);
  }
  _write(chunk, encoding, callback) {
    try {
      const bytes = sync.toBytes(chunk, encoding, "chunk");
      const n = vfs.writeFd(this.fd, bytes, this.pos ?? null);
      if (this.pos !== undefined) this.pos += n;
      this.bytesWritten += n;
    } catch (err) {
      callback(err);
      return;
    }
    callback();
  }
  _writev(chunks, callback) {
    for (const { chunk, encoding } of chunks) {
      let failed = null;
      this._write(chunk, encoding, (err) => { failed = err ?? null; });
      if (failed) {
        callback(failed);
        return;
      }
    }
    callback();
  }
  close(callback) {
    if (callback !== undefined) validateFunction(callback, "callback");
    if (this.closed || this.destroyed) {
      if (callback) queueMicrotask(() => callback());
      return;
    }
    if (callback) this.once("close", () => callback());
    this.end();
  }
  destroySoon() {
    this.end();
  }
}

// What both kinds of file stream do alike: open their file when made
// (unless given an fd), say whether it is open yet, and close it when
// destroyed.
const fileStreamMethods = {
  get pending() {
    return this.fd === null;
  },
  _construct(callback) {
    if (this.fd !== null) {
      callback();
      return;
    }
    try {
      this.fd = sync.openSync(this.path, this.flags, this.mode);
    } catch (err) {
      callback(err);
      return;
    }
    this.emit("open", this.fd);
    this.emit("ready");
    callback();
  },
  _destroy(err, callback) {
    closeFd(this, err, callback);
  },
};
for (const FileStream of [ReadStream, WriteStream]) {
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(fileStreamMethods))) {
    // Non-enumerable, as class members are.
    Object.defineProperty(FileStream.prototype, name, { ...descriptor, enumerable: false });
  }
}

function createReadStream(path, options) {
  return new ReadStream(path, options);
}
function createWriteStream(path, options) {
  return new WriteStream(path, options);
}

return { ReadStream, WriteStream, createReadStream, createWriteStream };
})();
