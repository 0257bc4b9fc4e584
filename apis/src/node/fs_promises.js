// node:fs/promises — the promise forms of node:fs over workerd's virtual file
// system (/bundle, /tmp, /dev), with FileHandle. The work is done
// synchronously underneath (internal_fs_sync.js); the promise settles after.
// `watch` rejects with ERR_UNSUPPORTED_OPERATION, as on workerd.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("fs/promises");
const { codes: { ERR_INVALID_ARG_TYPE, ERR_FILE_HANDLE_CLOSED }, validateObject } = require("internal/errors");
const vfs = require("internal/fs_vfs");
const sync = require("internal/fs_sync");

const getBuffer = () => require("buffer").Buffer;

/** Runs `fn` now and answers a promise of its result. */
function settle(fn, ...args) {
  try {
    return Promise.resolve(fn(...args));
  } catch (err) {
    return Promise.reject(err);
  }
}

const kFd = Symbol("kFd");
const kClosePromise = Symbol("kClosePromise");

/** An open file, as fs/promises.open() gives it. */
class FileHandle extends require("events").EventEmitter {
  constructor(fd) {
    super();
    this[kFd] = fd;
    this[kClosePromise] = null;
  }
  get fd() {
    return this[kFd];
  }
  /** The fd, or a rejection when the handle is closed. */
  #use() {
    if (this[kFd] === -1) throw new ERR_FILE_HANDLE_CLOSED();
    return this[kFd];
  }
  close() {
    if (this[kFd] === -1) return this[kClosePromise] ?? Promise.resolve();
    const fd = this[kFd];
    this[kFd] = -1;
    this[kClosePromise] = settle(() => {
      vfs.closeFd(fd);
      queueMicrotask(() => this.emit("close"));
    });
    return this[kClosePromise];
  }
  read(buffer, offset, length, position) {
    return settle(() => {
      const fd = this.#use();
      if (buffer === undefined || buffer === null || (!ArrayBuffer.isView(buffer) && typeof buffer === "object")) {
        // read(options) / read()
        const opts = buffer ?? {};
        const target = opts.buffer ?? getBuffer().alloc(16384);
        const bytesRead = sync.readSync(fd, target, opts.offset ?? 0,
          opts.length ?? target.byteLength - (opts.offset ?? 0), opts.position ?? null);
        return { bytesRead, buffer: target };
      }
      if (offset !== null && typeof offset === "object") {
        const bytesRead = sync.readSync(fd, buffer, offset);
        return { bytesRead, buffer };
      }
      const bytesRead = sync.readSync(fd, buffer, offset ?? 0, length ?? buffer.byteLength - (offset ?? 0), position ?? null);
      return { bytesRead, buffer };
    });
  }
  readv(buffers, position) {
    return settle(() => ({ bytesRead: sync.readvSync(this.#use(), buffers, position), buffers }));
  }
  readFile(options) {
    return settle(() => sync.readFileSync(this.#use(), options));
  }
  write(data, offsetOrOptions, length, position) {
    return settle(() => {
      const fd = this.#use();
      if (typeof data === "string") {
        return { bytesWritten: sync.writeSync(fd, data, offsetOrOptions, length), buffer: data };
      }
      return { bytesWritten: sync.writeSync(fd, data, offsetOrOptions, length, position), buffer: data };
    });
  }
  writev(buffers, position) {
    return settle(() => ({ bytesWritten: sync.writevSync(this.#use(), buffers, position), buffers }));
  }
  async writeFile(data, options) {
    const fd = this.#use();
    sync.writeFileSync(fd, await collect(data), options);
  }
  async appendFile(data, options) {
    const fd = this.#use();
    sync.appendFileSync(fd, await collect(data), options);
  }
  stat(options) {
    return settle(() => sync.fstatSync(this.#use(), options));
  }
  truncate(len = 0) {
    return settle(() => sync.ftruncateSync(this.#use(), len));
  }
  sync() {
    return settle(() => sync.fsyncSync(this.#use()));
  }
  datasync() {
    return settle(() => sync.fdatasyncSync(this.#use()));
  }
  chmod(mode) {
    return settle(() => sync.fchmodSync(this.#use(), mode));
  }
  chown(uid, gid) {
    return settle(() => sync.fchownSync(this.#use(), uid, gid));
  }
  utimes(atime, mtime) {
    return settle(() => sync.futimesSync(this.#use(), atime, mtime));
  }
  createReadStream(options = {}) {
    return require("internal/fs_streams").createReadStream(undefined, { ...options, fd: this.#use() });
  }
  createWriteStream(options = {}) {
    return require("internal/fs_streams").createWriteStream(undefined, { ...options, fd: this.#use() });
  }
  readLines(options = {}) {
    const stream = this.createReadStream(options);
    return require("readline").createInterface({ input: stream, crlfDelay: Infinity });
  }
  readableWebStream(options = {}) {
    validateObject(options, "options");
    const fd = this.#use();
    let position = 0;
    return new ReadableStream({
      type: "bytes",
      pull: (controller) => {
        const chunk = new Uint8Array(16384);
        const n = vfs.readFd(fd, chunk, 0, chunk.length, position);
        position += n;
        if (n === 0) {
          controller.close();
          controller.byobRequest?.respond(0);
        } else controller.enqueue(chunk.subarray(0, n));
      },
    });
  }
  [Symbol.asyncDispose ?? Symbol.for("nodejs.asyncDispose")]() {
    return this.close();
  }
}

/** writeFile data: strings and views pass through; iterables of chunks
 * (a Readable, an async generator) are gathered into one Buffer. */
async function collect(data) {
  if (typeof data === "string" || ArrayBuffer.isView(data)) return data;
  if (data && (typeof data[Symbol.asyncIterator] === "function" || typeof data[Symbol.iterator] === "function")) {
    const chunks = [];
    for await (const chunk of data) {
      chunks.push(typeof chunk === "string" ? getBuffer().from(chunk) : getBuffer().from(sync.toBytes(chunk)));
    }
    return getBuffer().concat(chunks);
  }
  throw new ERR_INVALID_ARG_TYPE("data", ["string", "Buffer", "TypedArray", "DataView", "AsyncIterable", "Iterable",
    "Stream"], data);
}

/** The path or FileHandle a promise function was given, as sync takes it. */
function target(pathOrHandle) {
  return pathOrHandle instanceof FileHandle ? pathOrHandle.fd : pathOrHandle;
}

const access = (path, mode) => settle(sync.accessSync, path, mode);
const appendFile = async (path, data, options) => sync.appendFileSync(target(path), await collect(data), options);
const writeFile = async (path, data, options) => {
  if (options?.signal?.aborted) throw options.signal.reason ?? new (require("internal/errors").AbortError)();
  sync.writeFileSync(target(path), await collect(data), options);
};
const readFile = (path, options) => settle(() => {
  if (options?.signal?.aborted) throw options.signal.reason ?? new (require("internal/errors").AbortError)();
  return sync.readFileSync(target(path), options);
});
const chmod = (path, mode) => settle(sync.chmodSync, path, mode);
const chown = (path, uid, gid) => settle(sync.chownSync, path, uid, gid);
const lchmod = (path, mode) => settle(sync.lchmodSync, path, mode);
const lchown = (path, uid, gid) => settle(sync.lchownSync, path, uid, gid);
const lutimes = (path, atime, mtime) => settle(sync.lutimesSync, path, atime, mtime);
const utimes = (path, atime, mtime) => settle(sync.utimesSync, path, atime, mtime);
const copyFile = (src, dest, mode) => settle(sync.copyFileSync, src, dest, mode);
const cp = (src, dest, options) => settle(sync.cpSync, src, dest, options);
const link = (existingPath, newPath) => settle(sync.linkSync, existingPath, newPath);
const symlink = (target, path, type) => settle(sync.symlinkSync, target, path, type);
const lstat = (path, options) => settle(sync.lstatSync, path, options);
const stat = (path, options) => settle(sync.statSync, path, options);
const statfs = (path, options) => settle(sync.statfsSync, path, options);
const mkdir = (path, options) => settle(sync.mkdirSync, path, options);
const mkdtemp = (prefix, options) => settle(sync.mkdtempSync, prefix, options);
const open = (path, flags, mode) => settle(() => new FileHandle(sync.openSync(path, flags, mode)));
const opendir = (path, options) => settle(sync.opendirSync, path, options);
const readdir = (path, options) => settle(sync.readdirSync, path, options);
const readlink = (path, options) => settle(sync.readlinkSync, path, options);
const realpath = (path, options) => settle(sync.realpathSync, path, options);
const rename = (oldPath, newPath) => settle(sync.renameSync, oldPath, newPath);
const rmdir = (path, options) => settle(sync.rmdirSync, path, options);
const rm = (path, options) => settle(sync.rmSync, path, options);
const truncate = (path, len) => settle(sync.truncateSync, path, len);
const unlink = (path) => settle(sync.unlinkSync, path);
const watch = () => settle(sync.unsupported);
async function* glob(pattern, options) {
  yield* sync.globSync(pattern, options);
}

const constants = vfs.constants;

const exports = {
  FileHandle, access, appendFile, chmod, chown, constants, copyFile, cp, glob, lchmod, lchown, link,
  lstat, lutimes, mkdir, mkdtemp, open, opendir, readFile, readdir, readlink, realpath, rename, rm,
  rmdir, stat, statfs, symlink, truncate, unlink, utimes, watch, writeFile,
};
return { ...exports, default: { ...exports } };
})();
