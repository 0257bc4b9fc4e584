// The synchronous functions of node:fs over the virtual file system
// (internal_fs_vfs.js). Every other form (callbacks, promises, streams) is
// built on these. Errors follow workerd: e.g. writes outside /tmp fail with
// EPERM, and mkdir of an existing directory is not an error.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/fs_sync");
const {
  codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE, ERR_UNSUPPORTED_OPERATION, ERR_FS_EISDIR,
    ERR_FS_CP_EINVAL, ERR_FS_CP_DIR_TO_NON_DIR, ERR_FS_CP_NON_DIR_TO_DIR, ERR_FS_CP_EEXIST, ERR_FS_FILE_TOO_LARGE },
  validateBoolean, validateFunction, validateInteger, validateObject, validateString, validateUint32,
} = require("internal/errors");
const vfs = require("internal/fs_vfs");
const { statsOf, statFs, Dirent, Dir, Stats } = require("internal/fs_stats");
const { fsError, toPathString, absolute, lookup, creationPoint, listEntry, constants } = vfs;
const { F_OK, W_OK, X_OK, COPYFILE_EXCL } = constants;

const getBuffer = () => require("buffer").Buffer;
const kMaxLength = 2 ** 31 - 1;

// ---- Argument helpers ----

/** `options` as an object: a string is the encoding. */
function getOptions(options, defaults = {}) {
  if (options === null || options === undefined || typeof options === "function") return { ...defaults };
  if (typeof options === "string") options = { encoding: options };
  else if (typeof options !== "object") throw new ERR_INVALID_ARG_TYPE("options", ["string", "Object"], options);
  const out = { ...defaults, ...options };
  if (out.encoding !== undefined && out.encoding !== null && out.encoding !== "buffer" &&
      !getBuffer().isEncoding(out.encoding)) {
    throw new ERR_INVALID_ARG_VALUE("options.encoding", out.encoding);
  }
  return out;
}

function pathArg(path, name = "path") {
  return absolute(toPathString(path, name));
}

function validateFd(fd, name = "fd") {
  validateInt32Fd(fd, name);
  return fd;
}
function validateInt32Fd(fd, name) {
  if (typeof fd !== "number") throw new ERR_INVALID_ARG_TYPE(name, "number", fd);
  validateInteger(fd, name, 0, 2147483647);
}

function isFd(value) {
  return typeof value === "number";
}

/** Data to write as bytes: strings encoded, views taken as they are. */
function toBytes(data, encoding = "utf8", name = "data") {
  if (typeof data === "string") return new Uint8Array(getBuffer().from(data, encoding ?? "utf8"));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ERR_INVALID_ARG_TYPE(name, ["string", "Buffer", "TypedArray", "DataView"], data);
}

function encodeResult(bytes, encoding) {
  const buf = getBuffer().from(bytes);
  return encoding && encoding !== "buffer" ? buf.toString(encoding) : buf;
}

function encodeName(name, encoding) {
  return encoding === "buffer" ? getBuffer().from(name) : name;
}

function mustFind(abs, syscall, follow = true) {
  const entry = lookup(abs, follow);
  if (!entry) throw fsError("ENOENT", syscall, abs);
  return entry;
}

function basename(abs) {
  return abs.slice(abs.lastIndexOf("/") + 1);
}

// ---- Reading and writing whole files ----

function readFileSync(path, options) {
  const { encoding, flag = "r" } = getOptions(options, { flag: "r" });
  let bytes;
  if (isFd(path)) {
    const chunks = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(65536);
      const n = vfs.readFd(validateFd(path), chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (vfs.getFd(path, "read").entry.area === "dev") break;
    }
    bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.length; }
  } else {
    const abs = pathArg(path);
    const flags = vfs.parseFlags(flag);
    if (flags & (constants.O_CREAT | constants.O_WRONLY | constants.O_RDWR)) {
      const fd = vfs.openPath(abs, flags, "readAll");
      vfs.closeFd(fd);
    }
    bytes = vfs.contents(mustFind(abs, "readAll"));
  }
  if (bytes.length > kMaxLength) throw new ERR_FS_FILE_TOO_LARGE(bytes.length);
  return encodeResult(bytes, encoding);
}

/** Writes `data` to a path or fd, the way writeFileSync / appendFileSync do. */
function writeAll(path, data, options, defaultFlag) {
  const { encoding = "utf8", flag = defaultFlag } = getOptions(options, { encoding: "utf8", flag: defaultFlag });
  const bytes = toBytes(data, encoding);
  if (isFd(path)) return vfs.writeFd(validateFd(path), bytes, null);
  const abs = pathArg(path);
  const flags = vfs.parseFlags(flag);
  const entry = lookup(abs, true);
  if (entry && entry.area !== "tmp") {
    if (entry.area === "dev" && entry.type === "chr" && entry.device !== "full") return bytes.length;
    throw entry.type === "dir" && entry.area === "tmp" ? fsError("EISDIR", "writeAll") : fsError("EPERM", "writeAll");
  }
  const fd = vfs.openPath(abs, flags, "writeAll");
  try {
    return vfs.writeFd(fd, bytes, null);
  } finally {
    vfs.closeFd(fd);
  }
}

// Both answer the number of bytes written, as workerd's do.
function writeFileSync(path, data, options) {
  return writeAll(path, data, options, "w");
}

function appendFileSync(path, data, options) {
  return writeAll(path, data, options, "a");
}

// ---- Looking things up ----

function existsSync(path) {
  try {
    return lookup(pathArg(path), true) !== null;
  } catch {
    return false;
  }
}

function accessSync(path, mode = F_OK) {
  const abs = pathArg(path);
  validateInteger(mode, "mode", 0, 7);
  const entry = lookup(abs, true);
  const writable = entry && (entry.area === "tmp" || entry.area === "dev");
  // workerd answers ENOENT for a check the entry cannot pass.
  if (!entry || ((mode & W_OK) && !writable) || ((mode & X_OK) && entry.type !== "dir")) {
    throw fsError("ENOENT", "access", abs);
  }
}

function statSync(path, options = { bigint: false, throwIfNoEntry: true }) {
  return statWith(path, options, true, "stat");
}
function lstatSync(path, options = { bigint: false, throwIfNoEntry: true }) {
  return statWith(path, options, false, "lstat");
}
function statWith(path, options, follow, syscall) {
  const abs = pathArg(path);
  const { bigint = false, throwIfNoEntry = true } = options ?? {};
  const entry = lookup(abs, follow);
  if (!entry) {
    if (throwIfNoEntry === false) return undefined;
    throw fsError("ENOENT", syscall, abs);
  }
  return statsOf(entry, bigint);
}

function fstatSync(fd, options = { bigint: false }) {
  validateFd(fd);
  if (fd <= 2) return new Stats(0, 0o100666, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  const file = vfs.getFd(fd, "fstat");
  return statsOf(file.entry.area === "tmp" ? lookup(file.path, true) ?? file.entry : file.entry, options?.bigint);
}

function realpathSync(path, options) {
  const { encoding } = getOptions(options);
  const entry = lookup(pathArg(path), true);
  if (!entry) throw fsError("ENOENT", "readlink", pathArg(path));
  return encodeName(entry.path, encoding);
}
realpathSync.native = realpathSync;

function readlinkSync(path, options) {
  const { encoding } = getOptions(options);
  const abs = pathArg(path);
  const entry = mustFind(abs, "readlink", false);
  if (entry.type !== "link") throw fsError("EINVAL", "readlink");
  return encodeName(entry.node.target, encoding);
}

function readdirSync(path, options) {
  const { encoding, withFileTypes = false, recursive = false } = getOptions(options);
  const abs = pathArg(path);
  validateBoolean(withFileTypes, "options.withFileTypes");
  validateBoolean(recursive, "options.recursive");
  const out = [];
  const walk = (dirPath, prefix) => {
    const entry = mustFind(dirPath, "readdir");
    for (const [name, type] of listEntry(entry)) {
      const childPath = dirPath === "/" ? `/${name}` : `${dirPath}/${name}`;
      if (withFileTypes) out.push(new Dirent(encodeName(name, encoding), type, dirPath));
      else out.push(encodeName(prefix + name, encoding));
      if (recursive && type === "dir") walk(childPath, `${prefix}${name}/`);
    }
  };
  walk(abs, "");
  return out;
}

function opendirSync(path, options) {
  const { encoding } = getOptions(options);
  const abs = pathArg(path);
  const entry = mustFind(abs, "opendir");
  const dirents = listEntry(entry, "opendir").map(([name, type]) => new Dirent(encodeName(name, encoding), type, abs));
  return new Dir(abs, dirents);
}

// ---- Changing the tree ----

function mkdirSync(path, options) {
  const abs = pathArg(path);
  let recursive = false;
  if (typeof options === "number" || typeof options === "string") {
    if (typeof options === "string") throw new ERR_INVALID_ARG_TYPE("options", ["Object", "number"], options);
  } else if (options !== undefined && options !== null) {
    validateObject(options, "options");
    recursive = options.recursive ?? false;
    validateBoolean(recursive, "options.recursive");
  }
  const existing = lookup(abs, true);
  if (existing) {
    if (existing.type !== "dir") throw fsError("EEXIST", "mkdir", abs);
    return undefined;
  }
  if (!recursive) {
    const at = creationPoint(abs, "mkdir", basename(abs));
    at.dir.children.set(at.name, vfs.newDir());
    at.dir.mtimeMs = Date.now();
    return undefined;
  }
  // Create each missing directory from the top; answer the first one made.
  const parts = abs.split("/").slice(1);
  let first;
  for (let i = 1; i <= parts.length; i++) {
    const sub = `/${parts.slice(0, i).join("/")}`;
    const found = lookup(sub, true);
    if (found) {
      if (found.type !== "dir") throw fsError("ENOTDIR", "mkdir", abs);
      continue;
    }
    const at = creationPoint(sub, "mkdir", basename(sub));
    at.dir.children.set(at.name, vfs.newDir());
    first ??= sub;
  }
  return first;
}

function mkdtempSync(prefix, options) {
  const { encoding } = getOptions(options);
  prefix = toPathString(prefix, "prefix");
  for (;;) {
    const abs = absolute(`${prefix}${vfs.nextTempSuffix()}`);
    if (lookup(abs, false)) continue;
    const at = creationPoint(abs, "mkdir");
    if (!at) throw fsError("EINVAL", "mkdtemp");
    at.dir.children.set(at.name, vfs.newDir());
    return encodeName(abs, encoding);
  }
}

function rmSync(path, options) {
  const abs = pathArg(path);
  const { recursive = false, force = false } = options ?? {};
  if (options !== undefined) {
    validateObject(options, "options");
    validateBoolean(recursive, "options.recursive");
    validateBoolean(force, "options.force");
  }
  const entry = lookup(abs, false);
  if (!entry) return;
  if (entry.area !== "tmp" || !entry.parent) throw fsError("EPERM", "rm");
  if (entry.type === "dir" && entry.node.children.size > 0 && !recursive) {
    throw fsError("ENOTEMPTY", "rm", entry.name);
  }
  vfs.removeEntry(entry, "rm");
}

function rmdirSync(path, options) {
  const abs = pathArg(path);
  const recursive = options?.recursive ?? false;
  const entry = mustFind(abs, "rmdir", false);
  if (entry.area !== "tmp" || !entry.parent) throw fsError("EPERM", "rm");
  if (entry.type !== "dir") throw fsError("ENOTDIR", "rmdir", abs);
  if (entry.node.children.size > 0 && !recursive) throw fsError("ENOTEMPTY", "rm", entry.name);
  vfs.removeEntry(entry, "rm");
}

function unlinkSync(path) {
  const abs = pathArg(path);
  const entry = mustFind(abs, "unlink", false);
  if (entry.type === "dir") throw fsError("EISDIR", "unlink", undefined, "Cannot unlink a directory");
  vfs.removeEntry(entry, "unlink");
}

function renameSync(oldPath, newPath) {
  const from = pathArg(oldPath, "oldPath");
  const to = pathArg(newPath, "newPath");
  const entry = mustFind(from, "rename", false);
  if (entry.area !== "tmp" || !entry.parent) throw fsError("EPERM", "rename");
  const at = creationPoint(to, "rename");
  if (!at) throw fsError("EPERM", "rename");
  if (entry.type === "dir" && (to === from || to.startsWith(`${from}/`))) throw fsError("EINVAL", "rename", from);
  const target = at.dir.children.get(at.name);
  if (target && target.type === "dir" && entry.type !== "dir") throw fsError("EISDIR", "rename", to);
  if (target && target.type === "dir" && target.children.size > 0) throw fsError("ENOTEMPTY", "rename", to);
  entry.parent.children.delete(entry.name);
  at.dir.children.set(at.name, entry.node);
}

function copyFileSync(src, dest, mode = 0) {
  const from = pathArg(src, "src");
  const to = pathArg(dest, "dest");
  validateInteger(mode, "mode", 0, 7);
  const entry = mustFind(from, "copyFile");
  if (entry.type === "dir") throw fsError("EISDIR", "copyFile", from);
  const existing = lookup(to, true);
  if (existing && (mode & COPYFILE_EXCL)) throw fsError("EEXIST", "copyFile", to);
  if (existing && existing.type === "dir") throw fsError("EISDIR", "copyFile", to);
  if (existing && existing.area !== "tmp") throw fsError("EPERM", "copy");
  const bytes = vfs.contents(entry, "copyFile").slice();
  if (existing) {
    existing.node.data = bytes;
    existing.node.size = bytes.length;
    existing.node.mtimeMs = Date.now();
    return;
  }
  const at = creationPoint(to, "copy");
  if (!at) throw fsError("EPERM", "copy");
  at.dir.children.set(at.name, vfs.newFile(bytes));
}

function cpSync(src, dest, options) {
  const from = pathArg(src, "src");
  const to = pathArg(dest, "dest");
  const opts = options ?? {};
  if (options !== undefined) validateObject(options, "options");
  const { recursive = false, force = true, errorOnExist = false, filter, dereference = false } = opts;
  if (filter !== undefined) validateFunction(filter, "options.filter");
  if (from === to || to.startsWith(`${from}/`)) {
    throw new ERR_FS_CP_EINVAL(`Invalid src or dest: cp returned EINVAL (src and dest cannot be the same) ${to}`);
  }
  const copyOne = (s, d, top) => {
    if (filter && !filter(s, d)) return;
    const entry = mustFind(s, "cp", dereference || top);
    const existing = lookup(d, true);
    if (entry.type === "dir") {
      if (!recursive) throw new ERR_FS_EISDIR();
      if (existing && existing.type !== "dir") {
        throw new ERR_FS_CP_DIR_TO_NON_DIR(`Cannot overwrite non-directory ${d} with directory ${s}`);
      }
      if (!existing) mkdirSync(d);
      for (const [name] of listEntry(entry)) copyOne(`${s}/${name}`, `${d}/${name}`, false);
      return;
    }
    if (existing && existing.type === "dir") {
      throw new ERR_FS_CP_NON_DIR_TO_DIR(`Cannot overwrite directory ${d} with non-directory ${s}`);
    }
    if (existing && !force) {
      if (errorOnExist) throw new ERR_FS_CP_EEXIST(`Target already exists: cp returned EEXIST (${d} already exists)`);
      return;
    }
    if (entry.type === "link") {
      if (existing) unlinkSync(d);
      symlinkSync(entry.node.target, d);
      return;
    }
    copyFileSync(s, d);
  };
  copyOne(from, to, true);
}

function symlinkSync(target, path, type) {
  const to = toPathString(target, "target");
  const abs = pathArg(path);
  if (type !== undefined && type !== null) validateString(type, "type");
  if (lookup(abs, false)) throw fsError("EEXIST", "symlink", abs);
  const at = creationPoint(abs, "symlink");
  if (!at) throw fsError("EEXIST", "symlink", abs);
  at.dir.children.set(at.name, { type: "link", target: to, mtimeMs: Date.now() });
}

function linkSync(existingPath, newPath) {
  const from = pathArg(existingPath, "existingPath");
  const to = pathArg(newPath, "newPath");
  const entry = mustFind(from, "link");
  if (entry.type === "dir") throw fsError("EPERM", "link");
  if (lookup(to, false)) throw fsError("EEXIST", "link", to);
  const at = creationPoint(to, "link");
  if (!at) throw fsError("EEXIST", "link", to);
  // A tmp file is shared by both names; a bundle file is copied in.
  at.dir.children.set(at.name, entry.area === "tmp" ? entry.node : vfs.newFile(vfs.contents(entry, "link").slice()));
}

function truncateSync(path, len = 0) {
  if (isFd(path)) return ftruncateSync(path, len);
  const abs = pathArg(path);
  validateInteger(len, "len");
  const entry = mustFind(abs, "open");
  if (entry.type === "dir") throw fsError("EISDIR", "open");
  if (entry.area === "dev") return undefined;
  if (entry.area !== "tmp") throw fsError("EPERM", "open");
  vfs.truncateNode(entry.node, Math.max(0, len));
  return undefined;
}

function ftruncateSync(fd, len = 0) {
  validateFd(fd);
  validateInteger(len, "len");
  const file = vfs.getFd(fd, "ftruncate");
  if (!file.writable) throw fsError("EBADF", "ftruncate");
  if (file.entry.area === "tmp") vfs.truncateNode(file.entry.node, Math.max(0, len));
}

// ---- File descriptors ----

function openSync(path, flags = "r", mode = 0o666) {
  const abs = pathArg(path);
  if (mode !== undefined && mode !== null && typeof mode !== "number" && typeof mode !== "string") {
    throw new ERR_INVALID_ARG_TYPE("mode", ["number", "string"], mode);
  }
  return vfs.openPath(abs, vfs.parseFlags(flags ?? "r"));
}

function closeSync(fd) {
  validateFd(fd);
  vfs.closeFd(fd);
}

function validateBufferArg(buffer) {
  if (!ArrayBuffer.isView(buffer)) throw new ERR_INVALID_ARG_TYPE("buffer", ["Buffer", "TypedArray", "DataView"], buffer);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function validatePosition(position) {
  if (position === null || position === undefined) return null;
  if (typeof position === "bigint") return Number(position);
  if (typeof position !== "number") throw new ERR_INVALID_ARG_TYPE("position", ["integer", "bigint"], position);
  if (position === -1) return null;
  validateInteger(position, "position", -1);
  return position;
}

/** readSync(fd, buffer, offset?, length?, position?) or
 * readSync(fd, buffer, { offset, length, position }). */
function readSync(fd, buffer, offsetOrOptions, length, position) {
  validateFd(fd);
  const view = validateBufferArg(buffer);
  let offset = offsetOrOptions;
  if (offsetOrOptions !== null && typeof offsetOrOptions === "object") {
    ({ offset = 0, length = view.byteLength - offset, position = null } = offsetOrOptions);
  } else if (offsetOrOptions === undefined) {
    offset = 0;
  }
  offset ??= 0;
  validateInteger(offset, "offset", 0);
  length ??= view.byteLength - offset;
  if (length === 0) return 0;
  if (offset > view.byteLength) throw new ERR_OUT_OF_RANGE("offset", `<= ${view.byteLength}`, offset);
  validateInteger(length, "length", 0);
  if (offset + length > view.byteLength) {
    throw new ERR_OUT_OF_RANGE("length", `<= ${view.byteLength - offset}`, length);
  }
  return vfs.readFd(fd, view, offset, length, validatePosition(position));
}

/** writeSync(fd, buffer, offset?, length?, position?) or
 * writeSync(fd, string, position?, encoding?). */
function writeSync(fd, data, offsetOrOptions, length, position) {
  validateFd(fd);
  if (typeof data === "string") {
    const encoding = typeof length === "string" ? length : "utf8";
    return vfs.writeFd(fd, toBytes(data, encoding, "buffer"), validatePosition(offsetOrOptions ?? null));
  }
  const view = validateBufferArg(data);
  let offset = offsetOrOptions;
  if (offsetOrOptions !== null && typeof offsetOrOptions === "object") {
    ({ offset = 0, length = view.byteLength - offset, position = null } = offsetOrOptions);
  }
  offset ??= 0;
  validateInteger(offset, "offset", 0, view.byteLength);
  length ??= view.byteLength - offset;
  validateInteger(length, "length", 0, view.byteLength - offset);
  return vfs.writeFd(fd, view.subarray(offset, offset + length), validatePosition(position));
}

function readvSync(fd, buffers, position = null) {
  validateFd(fd);
  if (!Array.isArray(buffers)) throw new ERR_INVALID_ARG_TYPE("buffers", "ArrayBufferView[]", buffers);
  let pos = validatePosition(position);
  let total = 0;
  for (const buffer of buffers) {
    const view = validateBufferArg(buffer);
    const n = vfs.readFd(fd, view, 0, view.byteLength, pos);
    total += n;
    if (pos !== null) pos += n;
    if (n < view.byteLength) break;
  }
  return total;
}

function writevSync(fd, buffers, position = null) {
  validateFd(fd);
  if (!Array.isArray(buffers)) throw new ERR_INVALID_ARG_TYPE("buffers", "ArrayBufferView[]", buffers);
  let pos = validatePosition(position);
  let total = 0;
  for (const buffer of buffers) {
    const n = vfs.writeFd(fd, validateBufferArg(buffer), pos);
    total += n;
    if (pos !== null) pos += n;
  }
  return total;
}

function fsyncSync(fd) {
  validateFd(fd);
  if (fd > 2) vfs.getFd(fd, "sync");
}
function fdatasyncSync(fd) {
  validateFd(fd);
  if (fd > 2) vfs.getFd(fd, "datasync");
}

// ---- Owners, modes and times: kept only as far as workerd keeps them ----

function chmodSync(path, mode) {
  pathArg(path);
  validateMode(mode);
}
function lchmodSync(path, mode) {
  chmodSync(path, mode);
}
function fchmodSync(fd, mode) {
  validateFd(fd);
  validateMode(mode);
  if (fd > 2) vfs.getFd(fd, "fchmod");
}
function validateMode(mode) {
  if (typeof mode === "string" && /^[0-7]+$/.test(mode)) return;
  if (typeof mode !== "number" && typeof mode !== "string") throw new ERR_INVALID_ARG_TYPE("mode", ["number", "string"], mode);
  if (typeof mode === "string") throw new ERR_INVALID_ARG_VALUE("mode", mode, "must be a 32-bit unsigned integer or an octal string");
  validateUint32(mode, "mode");
}
function chownSync(path, uid, gid) {
  pathArg(path);
  validateInteger(uid, "uid", -1, 4294967295);
  validateInteger(gid, "gid", -1, 4294967295);
}
function lchownSync(path, uid, gid) {
  chownSync(path, uid, gid);
}
function fchownSync(fd, uid, gid) {
  validateFd(fd);
  validateInteger(uid, "uid", -1, 4294967295);
  validateInteger(gid, "gid", -1, 4294967295);
  if (fd > 2) vfs.getFd(fd, "fchown");
}

/** A time argument in ms. workerd takes numbers as milliseconds (Node: seconds). */
function toMs(time, name) {
  if (time instanceof Date) {
    if (Number.isNaN(time.getTime())) throw new TypeError("The value cannot be converted to a valid date");
    return time.getTime();
  }
  if (typeof time === "number" || typeof time === "bigint") return Number(time);
  throw new ERR_INVALID_ARG_TYPE(name, ["string", "number", "Date"], time);
}
function setTime(entry, atime, mtime) {
  toMs(atime, "atime");
  const ms = toMs(mtime, "mtime");
  if (entry.area === "tmp") entry.node.mtimeMs = ms;
}
function utimesSync(path, atime, mtime) {
  setTime(mustFind(pathArg(path), "utime"), atime, mtime);
}
function lutimesSync(path, atime, mtime) {
  setTime(mustFind(pathArg(path), "lutime", false), atime, mtime);
}
function futimesSync(fd, atime, mtime) {
  validateFd(fd);
  setTime(vfs.getFd(fd, "futime").entry, atime, mtime);
}

function statfsSync(path, options = { bigint: false }) {
  pathArg(path);
  return statFs(options?.bigint);
}

// ---- glob ----

/** A RegExp for one glob path segment. */
function segmentRegExp(segment) {
  let src = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "*") src += "[^/]*";
    else if (c === "?") src += "[^/]";
    else if (c === "[") {
      const end = segment.indexOf("]", i + 1);
      if (end < 0) src += "\\[";
      else {
        src += `[${segment.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "{") {
      const end = segment.indexOf("}", i + 1);
      if (end < 0) src += "\\{";
      else {
        src += `(?:${segment.slice(i + 1, end).split(",").map((s) => s.replace(/[.+^$()|\\]/g, "\\$&").replace(/\*/g, "[^/]*")).join("|")})`;
        i = end;
      }
    } else src += c.replace(/[.+^$()|\\]/g, "\\$&");
  }
  return new RegExp(`^${src}$`);
}

function globSync(pattern, options = {}) {
  const patterns = Array.isArray(pattern) ? pattern : [pattern];
  validateObject(options, "options");
  const cwd = options.cwd === undefined ? "/bundle" : pathArg(options.cwd, "options.cwd");
  const exclude = typeof options.exclude === "function" ? options.exclude : null;
  const results = new Set();
  const walk = (dir, shown, segments) => {
    if (segments.length === 0) return;
    const [segment, ...rest] = segments;
    const entry = lookup(dir, true);
    if (!entry || entry.type !== "dir") return;
    const children = listEntry(entry);
    if (segment === "**") {
      walk(dir, shown, rest);
      if (rest.length === 0) for (const [name] of children) results.add(shown + name);
      for (const [name, type] of children) {
        if (type === "dir") walk(`${dir === "/" ? "" : dir}/${name}`, `${shown}${name}/`, segments);
      }
      return;
    }
    const re = segmentRegExp(segment);
    for (const [name, type] of children) {
      if (!re.test(name) || (name.startsWith(".") && !segment.startsWith("."))) continue;
      if (exclude && exclude(name)) continue;
      if (rest.length === 0) results.add(shown + name);
      else if (type === "dir" || type === "link") walk(`${dir === "/" ? "" : dir}/${name}`, `${shown}${name}/`, rest);
    }
  };
  for (const p of patterns) {
    validateString(p, "pattern");
    const isAbs = p.startsWith("/");
    walk(isAbs ? "/" : cwd, isAbs ? "/" : "", p.split("/").filter((s) => s !== "" && s !== "."));
  }
  return [...results];
}

function openAsBlob(path, options = {}) {
  validateObject(options, "options");
  const bytes = readFileSync(path);
  return Promise.resolve(new Blob([bytes], { type: options.type ?? "" }));
}

/** watch, watchFile, unwatchFile: workerd has no change notification. */
function unsupported() {
  throw new ERR_UNSUPPORTED_OPERATION();
}

return {
  getOptions, toBytes, validateFd, pathArg, encodeResult,
  readFileSync, writeFileSync, appendFileSync, existsSync, accessSync, statSync, lstatSync, fstatSync,
  realpathSync, readlinkSync, readdirSync, opendirSync, mkdirSync, mkdtempSync, rmSync, rmdirSync,
  unlinkSync, renameSync, copyFileSync, cpSync, symlinkSync, linkSync, truncateSync, ftruncateSync,
  openSync, closeSync, readSync, writeSync, readvSync, writevSync, fsyncSync, fdatasyncSync,
  chmodSync, lchmodSync, fchmodSync, chownSync, lchownSync, fchownSync, utimesSync, lutimesSync,
  futimesSync, statfsSync, globSync, openAsBlob, unsupported,
};
})();
