// Stats, Dirent and Dir for node:fs, filled in from the virtual file system
// (internal_fs_vfs.js). As on workerd, inode, device, owner and block
// numbers are 0 and only the modification time is kept (ctime follows it;
// atime and birthtime are the epoch).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/fs_stats");
const { codes: { ERR_DIR_CLOSED, ERR_DIR_CONCURRENT_OPERATION }, validateFunction } = require("internal/errors");
const { later } = require("internal/callbacks");
const vfs = require("internal/fs_vfs");
const { S_IFMT, S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFLNK, S_IFSOCK } = vfs.constants;

// The mode bits workerd gives each kind of entry.
const MODES = {
  "root:dir": 0o40444, "bundle:dir": 0o40444, "bundle:file": 0o100444,
  "tmp:dir": 0o40666, "tmp:file": 0o100666, "tmp:link": 0o120444,
  "dev:dir": 0o40444, "dev:chr": 0o20666,
};

function isKind(mode, kind) {
  return (Number(mode) & S_IFMT) === kind;
}

class StatsBase {
  isFile() { return isKind(this.mode, S_IFREG); }
  isDirectory() { return isKind(this.mode, S_IFDIR); }
  isSymbolicLink() { return isKind(this.mode, S_IFLNK); }
  isCharacterDevice() { return isKind(this.mode, S_IFCHR); }
  isBlockDevice() { return isKind(this.mode, S_IFBLK); }
  isFIFO() { return isKind(this.mode, S_IFIFO); }
  isSocket() { return isKind(this.mode, S_IFSOCK); }
}

const TIMES = ["atime", "mtime", "ctime", "birthtime"];

/** Node's fs.Stats: numbers, with Date fields for the times. */
class Stats extends StatsBase {
  constructor(dev, mode, nlink, uid, gid, rdev, blksize, ino, size, blocks,
    atimeMs, mtimeMs, ctimeMs, birthtimeMs) {
    super();
    Object.assign(this, { dev, ino, mode, nlink, uid, gid, rdev, size, blksize, blocks });
    const ms = [atimeMs, mtimeMs, ctimeMs, birthtimeMs];
    TIMES.forEach((name, i) => { this[`${name}Ms`] = ms[i]; });
    TIMES.forEach((name, i) => { this[`${name}Ns`] = ms[i] * 1e6; });
    TIMES.forEach((name, i) => { this[name] = new Date(ms[i]); });
  }
}

/** The `{ bigint: true }` form: bigints, plus nanosecond fields. */
class BigIntStats extends StatsBase {
  constructor(dev, mode, nlink, uid, gid, rdev, blksize, ino, size, blocks,
    atimeMs, mtimeMs, ctimeMs, birthtimeMs) {
    super();
    const big = (n) => BigInt(Math.trunc(n));
    Object.assign(this, {
      dev: big(dev), ino: big(ino), mode: big(mode), nlink: big(nlink), uid: big(uid), gid: big(gid),
      rdev: big(rdev), size: big(size), blksize: big(blksize), blocks: big(blocks),
    });
    const ms = [atimeMs, mtimeMs, ctimeMs, birthtimeMs];
    TIMES.forEach((name, i) => { this[`${name}Ms`] = big(ms[i]); });
    TIMES.forEach((name, i) => { this[`${name}Ns`] = big(ms[i]) * 1000000n; });
    TIMES.forEach((name, i) => { this[name] = new Date(Math.trunc(ms[i])); });
  }
}

/** The Stats of a looked-up entry. */
function statsOf(entry, bigint = false) {
  const mode = MODES[`${entry.area}:${entry.type}`] ?? 0;
  let size = 0;
  let mtimeMs = 0;
  if (entry.area === "bundle") {
    size = entry.type === "file" ? entry.size : 0;
    mtimeMs = entry.mtimeMs;
  } else if (entry.area === "tmp") {
    mtimeMs = entry.node.mtimeMs;
    if (entry.type === "file") size = entry.node.size;
    else if (entry.type === "link") size = new TextEncoder().encode(entry.node.target).length;
  }
  const dev = entry.area === "dev" && entry.type === "chr" ? 1 : 0;
  const Ctor = bigint ? BigIntStats : Stats;
  return new Ctor(dev, mode, 1, 0, 0, 0, 0, 0, size, 0, 0, mtimeMs, mtimeMs, 0);
}

/** Node's fs.StatFs; workerd answers zeros. */
function statFs(bigint = false) {
  const zero = bigint ? 0n : 0;
  return { type: zero, bsize: zero, blocks: zero, bfree: zero, bavail: zero, files: zero, ffree: zero };
}

// ---- Dirent ----

const kType = Symbol("type");
const DIRENT_MODES = { file: S_IFREG, dir: S_IFDIR, link: S_IFLNK, chr: S_IFCHR };

/** A directory entry, as readdir({ withFileTypes: true }) and Dir give it. */
class Dirent {
  constructor(name, type, parentPath) {
    this.name = name;
    this.parentPath = parentPath;
    this[kType] = typeof type === "number" ? type : DIRENT_MODES[type] ?? 0;
  }
  isFile() { return this[kType] === S_IFREG; }
  isDirectory() { return this[kType] === S_IFDIR; }
  isSymbolicLink() { return this[kType] === S_IFLNK; }
  isCharacterDevice() { return this[kType] === S_IFCHR; }
  isBlockDevice() { return this[kType] === S_IFBLK; }
  isFIFO() { return this[kType] === S_IFIFO; }
  isSocket() { return this[kType] === S_IFSOCK; }
}

// ---- Dir ----

const kEntries = Symbol("entries");
const kClosed = Symbol("closed");
const kPath = Symbol("path");

/** What opendir gives: the directory's entries, read one at a time. The
 * listing is taken when the Dir is opened. */
class Dir {
  constructor(path, entries) {
    this[kPath] = path;
    this[kEntries] = entries;
    this[kClosed] = false;
  }
  get path() { return this[kPath]; }

  readSync() {
    if (this[kClosed]) throw new ERR_DIR_CLOSED();
    return this[kEntries].shift() ?? null;
  }
  read(callback) {
    if (callback === undefined) {
      try {
        return Promise.resolve(this.readSync());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    later(callback, () => this.readSync());
    return undefined;
  }
  closeSync() {
    if (this[kClosed]) throw new ERR_DIR_CLOSED();
    this[kClosed] = true;
  }
  close(callback) {
    if (callback === undefined) {
      try {
        this.closeSync();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    validateFunction(callback, "callback");
    let error = null;
    try {
      this.closeSync();
    } catch (err) {
      error = err;
    }
    queueMicrotask(() => callback(error));
    return undefined;
  }
  async *entries() {
    try {
      while (true) {
        const entry = this.readSync();
        if (entry === null) break;
        yield entry;
      }
    } finally {
      if (!this[kClosed]) this.closeSync();
    }
  }
  [Symbol.asyncIterator]() {
    return this.entries();
  }
  [Symbol.dispose ?? Symbol.for("nodejs.dispose")]() {
    if (!this[kClosed]) this.closeSync();
  }
  async [Symbol.asyncDispose ?? Symbol.for("nodejs.asyncDispose")]() {
    if (!this[kClosed]) this.closeSync();
  }
}
void ERR_DIR_CONCURRENT_OPERATION;

return { Stats, BigIntStats, statsOf, statFs, Dirent, Dir };
})();
