// node:fs — workerd's virtual file system: /bundle (the Worker's own files,
// read-only), /tmp (writable, in memory), /dev (null, zero, full, random).
// Sync functions do the work (internal_fs_sync.js); the callback forms call
// them and answer from a microtask. watch/watchFile/unwatchFile throw
// ERR_UNSUPPORTED_OPERATION, as on workerd.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("fs");
const { validateFunction } = require("internal/errors");
const vfs = require("internal/fs_vfs");
const sync = require("internal/fs_sync");
const { Stats, Dirent, Dir } = require("internal/fs_stats");
const { ReadStream, WriteStream, createReadStream, createWriteStream } = require("internal/fs_streams");
const promises = require("fs/promises");

const getBuffer = () => require("buffer").Buffer;

/** Calls `callback(err, ...results)` from a microtask. */
function answer(callback, err, ...results) {
  queueMicrotask(() => (err ? callback(err) : callback(null, ...results)));
}

/** The callback form of a sync function: the last argument is the callback,
 * called with (err, result). */
function withCallback(fn) {
  return function (...args) {
    const callback = args.pop();
    validateFunction(callback, "cb");
    let result;
    try {
      result = fn(...args);
    } catch (err) {
      answer(callback, err);
      return;
    }
    if (result === undefined) answer(callback, null);
    else answer(callback, null, result);
  };
}

const access = withCallback(sync.accessSync);
const appendFile = withCallback(sync.appendFileSync);
const chmod = withCallback(sync.chmodSync);
const chown = withCallback(sync.chownSync);
const copyFile = withCallback(sync.copyFileSync);
const cp = withCallback(sync.cpSync);
const fchmod = withCallback(sync.fchmodSync);
const fchown = withCallback(sync.fchownSync);
const fdatasync = withCallback(sync.fdatasyncSync);
const fstat = withCallback(sync.fstatSync);
const fsync = withCallback(sync.fsyncSync);
const ftruncate = withCallback(sync.ftruncateSync);
const futimes = withCallback(sync.futimesSync);
const lchmod = withCallback(sync.lchmodSync);
const lchown = withCallback(sync.lchownSync);
const lutimes = withCallback(sync.lutimesSync);
const link = withCallback(sync.linkSync);
const lstat = withCallback(sync.lstatSync);
const mkdir = withCallback(sync.mkdirSync);
const mkdtemp = withCallback(sync.mkdtempSync);
const open = withCallback(sync.openSync);
const opendir = withCallback(sync.opendirSync);
const readdir = withCallback(sync.readdirSync);
const readFile = withCallback(sync.readFileSync);
const readlink = withCallback(sync.readlinkSync);
const realpath = withCallback(sync.realpathSync);
realpath.native = realpath;
const rename = withCallback(sync.renameSync);
const rmdir = withCallback(sync.rmdirSync);
const rm = withCallback(sync.rmSync);
const stat = withCallback(sync.statSync);
const statfs = withCallback(sync.statfsSync);
const symlink = withCallback(sync.symlinkSync);
const truncate = withCallback(sync.truncateSync);
const unlink = withCallback(sync.unlinkSync);
const utimes = withCallback(sync.utimesSync);
const writeFile = withCallback(sync.writeFileSync);
const glob = withCallback(sync.globSync);

/** close(fd[, callback]): the callback may be left out. */
function close(fd, callback = () => {}) {
  validateFunction(callback, "cb");
  try {
    sync.closeSync(fd);
  } catch (err) {
    answer(callback, err);
    return;
  }
  answer(callback, null);
}

/** exists(path, callback): the callback gets only a boolean. */
function exists(path, callback) {
  validateFunction(callback, "cb");
  const found = sync.existsSync(path);
  queueMicrotask(() => callback(found));
}

/** read(fd, buffer, offset, length, position, cb), read(fd, options, cb),
 * read(fd, buffer, options, cb) or read(fd, cb): cb(err, bytesRead, buffer). */
function read(fd, ...args) {
  const callback = args.pop();
  validateFunction(callback, "cb");
  let [buffer, offset, length, position] = args;
  if (buffer === undefined || (buffer !== null && typeof buffer === "object" && !ArrayBuffer.isView(buffer))) {
    const opts = buffer ?? {};
    buffer = opts.buffer ?? getBuffer().alloc(16384);
    offset = opts.offset ?? 0;
    length = opts.length ?? buffer.byteLength - offset;
    position = opts.position ?? null;
  }
  try {
    const n = sync.readSync(fd, buffer, offset, length, position);
    answer(callback, null, n, buffer);
  } catch (err) {
    answer(callback, err);
  }
}

/** write(fd, buffer, ..., cb) / write(fd, string, ..., cb): cb(err, written, data). */
function write(fd, data, ...args) {
  const callback = args.pop();
  validateFunction(callback, "cb");
  try {
    const n = sync.writeSync(fd, data, ...args);
    answer(callback, null, n, data);
  } catch (err) {
    answer(callback, err);
  }
}

function readv(fd, buffers, position, callback) {
  if (typeof position === "function") [position, callback] = [null, position];
  validateFunction(callback, "cb");
  try {
    answer(callback, null, sync.readvSync(fd, buffers, position), buffers);
  } catch (err) {
    answer(callback, err);
  }
}

function writev(fd, buffers, position, callback) {
  if (typeof position === "function") [position, callback] = [null, position];
  validateFunction(callback, "cb");
  try {
    answer(callback, null, sync.writevSync(fd, buffers, position), buffers);
  } catch (err) {
    answer(callback, err);
  }
}

const watch = sync.unsupported;
const watchFile = sync.unsupported;
const unwatchFile = sync.unsupported;

const { constants } = vfs;
const { F_OK, R_OK, W_OK, X_OK } = constants;

const fs = {
  constants, F_OK, R_OK, W_OK, X_OK, promises, Dirent, Dir, Stats, ReadStream, WriteStream,
  FileReadStream: ReadStream, FileWriteStream: WriteStream, createReadStream, createWriteStream,
  access, appendFile, chmod, chown, close, copyFile, cp, exists, fchmod, fchown, fdatasync, fstat,
  fsync, ftruncate, futimes, glob, lchmod, lchown, link, lstat, lutimes, mkdir, mkdtemp, open,
  opendir, read, readdir, readFile, readlink, readv, realpath, rename, rm, rmdir, stat, statfs,
  symlink, truncate, unlink, unwatchFile, utimes, watch, watchFile, write, writeFile, writev,
  accessSync: sync.accessSync, existsSync: sync.existsSync, appendFileSync: sync.appendFileSync,
  chmodSync: sync.chmodSync, chownSync: sync.chownSync, closeSync: sync.closeSync,
  copyFileSync: sync.copyFileSync, cpSync: sync.cpSync, fchmodSync: sync.fchmodSync,
  fchownSync: sync.fchownSync, fdatasyncSync: sync.fdatasyncSync, fstatSync: sync.fstatSync,
  fsyncSync: sync.fsyncSync, ftruncateSync: sync.ftruncateSync, futimesSync: sync.futimesSync,
  globSync: sync.globSync, lchmodSync: sync.lchmodSync, lchownSync: sync.lchownSync,
  lutimesSync: sync.lutimesSync, linkSync: sync.linkSync, lstatSync: sync.lstatSync,
  mkdirSync: sync.mkdirSync, mkdtempSync: sync.mkdtempSync, opendirSync: sync.opendirSync,
  openSync: sync.openSync, readdirSync: sync.readdirSync, readFileSync: sync.readFileSync,
  readlinkSync: sync.readlinkSync, readSync: sync.readSync, readvSync: sync.readvSync,
  realpathSync: sync.realpathSync, renameSync: sync.renameSync, rmdirSync: sync.rmdirSync,
  rmSync: sync.rmSync, statSync: sync.statSync, statfsSync: sync.statfsSync,
  symlinkSync: sync.symlinkSync, truncateSync: sync.truncateSync, unlinkSync: sync.unlinkSync,
  utimesSync: sync.utimesSync, writeFileSync: sync.writeFileSync, writeSync: sync.writeSync,
  writevSync: sync.writevSync, openAsBlob: sync.openAsBlob,
};

return { ...fs, default: fs };
})();
