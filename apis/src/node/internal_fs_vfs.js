// The virtual file system behind node:fs, laid out as workerd's: `/bundle`
// (the Worker's own files, read-only, from the host), `/tmp` (writable, an
// in-memory tree held here), `/dev` (null, zero, full, random) and `/`
// holding those three. Also the fd table, path checks and the system errors.
// Internal: node:fs and node:fs/promises reach it with
// `require("internal/fs_vfs")`.
(function () {
"use strict";
const { require, bundle, invocation } = globalThis[Symbol.for("isola.node")].enter("internal/fs_vfs");
const { codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE } } = require("internal/errors");

// Linux's values, as workerd reports them.
const constants = {
  UV_FS_SYMLINK_DIR: 1, UV_FS_SYMLINK_JUNCTION: 2, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2,
  UV_DIRENT_UNKNOWN: 0, UV_DIRENT_FILE: 1, UV_DIRENT_DIR: 2, UV_DIRENT_LINK: 3, UV_DIRENT_FIFO: 4,
  UV_DIRENT_SOCKET: 5, UV_DIRENT_CHAR: 6, UV_DIRENT_BLOCK: 7,
  EXTENSIONLESS_FORMAT_JAVASCRIPT: 0, EXTENSIONLESS_FORMAT_WASM: 1,
  S_IFMT: 61440, S_IFREG: 32768, S_IFDIR: 16384, S_IFCHR: 8192, S_IFBLK: 24576, S_IFIFO: 4096,
  S_IFLNK: 40960, S_IFSOCK: 49152, O_CREAT: 64, O_EXCL: 128, UV_FS_O_FILEMAP: 0, O_NOCTTY: 256,
  O_TRUNC: 512, O_APPEND: 1024, O_DIRECTORY: 65536, O_NOATIME: 262144, O_NOFOLLOW: 131072,
  O_SYNC: 1052672, O_DSYNC: 4096, O_DIRECT: 16384, O_NONBLOCK: 2048,
  S_IRWXU: 448, S_IRUSR: 256, S_IWUSR: 128, S_IXUSR: 64, S_IRWXG: 56, S_IRGRP: 32, S_IWGRP: 16,
  S_IXGRP: 8, S_IRWXO: 7, S_IROTH: 4, S_IWOTH: 2, S_IXOTH: 1,
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
  UV_FS_COPYFILE_EXCL: 1, COPYFILE_EXCL: 1, UV_FS_COPYFILE_FICLONE: 2, COPYFILE_FICLONE: 2,
  UV_FS_COPYFILE_FICLONE_FORCE: 4, COPYFILE_FICLONE_FORCE: 4,
};
const { O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND } = constants;

// ---- System errors, worded as workerd words them ----

const ERRNO = {
  ENOENT: [-2, "no such file or directory"], EPERM: [-1, "operation not permitted"],
  EISDIR: [-21, "illegal operation on a directory"], ENOTDIR: [-20, "not a directory"],
  ENOTEMPTY: [-39, "directory not empty"], EEXIST: [-17, "file already exists"],
  EBADF: [-9, "bad file descriptor"], EINVAL: [-22, "invalid argument"],
  ELOOP: [-40, "too many symbolic links encountered"], EACCES: [-13, "permission denied"],
  EFBIG: [-27, "file too large"],
};

/** An Error like workerd's fs errors: "no such file or directory, stat '/x'"
 * with `code`, `errno`, `syscall` and (when given) `path`. */
function fsError(code, syscall, path, message) {
  const [errno, text] = ERRNO[code];
  const err = new Error(message ?? (path === undefined ? text : `${text}, ${syscall} '${path}'`));
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

// ---- Paths ----

const CWD = "/bundle";

/** Checks a path argument (string, Buffer/Uint8Array or file: URL) and
 * returns it as a string. */
function toPathString(path, name = "path") {
  if (typeof path === "string") {
    // fall through
  } else if (path instanceof Uint8Array) {
    path = new TextDecoder().decode(path);
  } else if (path instanceof URL || (path && typeof path === "object" && path.href && path.protocol)) {
    path = require("url").fileURLToPath(path);
  } else {
    throw new ERR_INVALID_ARG_TYPE(name, ["string", "Buffer", "URL"], path);
  }
  if (path.includes("\0")) {
    throw new ERR_INVALID_ARG_VALUE(name, path.replace(/\0/g, "\\x00"), "must not contain null bytes");
  }
  return path;
}

/** The absolute, normalized form of a path (relative ones start at /bundle). */
function absolute(path) {
  const parts = [];
  for (const name of (path.startsWith("/") ? path : `${CWD}/${path}`).split("/")) {
    if (name === "" || name === ".") continue;
    if (name === "..") parts.pop();
    else parts.push(name);
  }
  return `/${parts.join("/")}`;
}

function split(abs) {
  return abs === "/" ? [] : abs.slice(1).split("/");
}

// ---- The /tmp tree ----

function newDir() {
  return { type: "dir", children: new Map(), mtimeMs: Date.now() };
}
function newFile(data = new Uint8Array(0)) {
  return { type: "file", data, size: data.length, mtimeMs: Date.now() };
}

// /tmp lasts one request, as on workerd: each invocation (request, RPC
// call, cron run) has a tree of its own, gone with it; top-level code
// shares one.
const tmpTrees = new WeakMap();
const TOP_LEVEL = {};
function tmpRoot() {
  const key = invocation() ?? TOP_LEVEL;
  let tree = tmpTrees.get(key);
  if (tree === undefined) {
    tree = newDir();
    tmpTrees.set(key, tree);
  }
  return tree;
}

const DEVICES = ["null", "zero", "full", "random"];

// An entry is what a path names:
//   { area: "root" | "bundle" | "dev" | "tmp", path, type: "dir" | "file" | "link" | "chr",
//     node (tmp), parent (tmp dir node), name, rel (bundle), device (dev) }

/** Looks up `abs`; follows symlinks (the last one only when `follow`).
 * Returns null when there is nothing there. */
function lookup(abs, follow = true, depth = 0) {
  if (depth > 40) throw fsError("ELOOP", "stat", abs);
  const parts = split(abs);
  if (parts.length === 0) return { area: "root", path: "/", type: "dir" };
  const [top, ...rest] = parts;
  if (top === "bundle") {
    const rel = rest.join("/");
    const info = bundle.stat(rel);
    if (!info) return null;
    return { area: "bundle", path: abs, rel, type: info.kind === "directory" ? "dir" : "file",
      size: info.size ?? 0, mtimeMs: info.mtimeMs ?? 0 };
  }
  if (top === "dev") {
    if (rest.length === 0) return { area: "dev", path: abs, type: "dir" };
    if (rest.length === 1 && DEVICES.includes(rest[0])) return { area: "dev", path: abs, type: "chr", device: rest[0] };
    return null;
  }
  if (top !== "tmp") return null;
  let node = tmpRoot();
  let parent = null;
  for (let i = 0; i < rest.length; i++) {
    if (node.type !== "dir") return null;
    parent = node;
    node = node.children.get(rest[i]);
    if (!node) return null;
    if (node.type === "link" && (follow || i < rest.length - 1)) {
      const base = `/tmp/${rest.slice(0, i).join("/")}`;
      const target = node.target.startsWith("/") ? node.target : `${base}/${node.target}`;
      return lookup(absolute([target, ...rest.slice(i + 1)].join("/")), follow, depth + 1);
    }
  }
  return { area: "tmp", path: abs, type: node.type, node, parent, name: rest[rest.length - 1] };
}

/** The tmp directory node where `abs` would be created, and its last name.
 * Throws EPERM outside /tmp and ENOENT when the parent is missing. */
function creationPoint(abs, syscall, errPath = abs) {
  const parts = split(abs);
  if (parts[0] !== "tmp" || parts.length < 2) {
    if (parts.length === 1 && parts[0] === "tmp") return null;
    throw fsError("EPERM", syscall);
  }
  const name = parts.pop();
  const dir = lookup(`/${parts.join("/")}`, true);
  if (!dir) throw fsError("ENOENT", syscall, errPath);
  if (dir.type !== "dir") throw fsError("ENOTDIR", syscall, errPath);
  if (dir.area !== "tmp") throw fsError("EPERM", syscall);
  return { dir: dir.node, name };
}

/** The names in a directory entry, as [name, type] pairs. */
function listEntry(entry, syscall = "readdir") {
  if (entry.type !== "dir") throw fsError("ENOTDIR", syscall, entry.path);
  switch (entry.area) {
    case "root": return [["bundle", "dir"], ["tmp", "dir"], ["dev", "dir"]];
    case "dev": return DEVICES.map((name) => [name, "chr"]);
    case "bundle":
      return bundle.list(entry.rel).map(([name, kind]) => [name, kind === "directory" ? "dir" : "file"]);
    default:
      return [...entry.node.children].map(([name, node]) => [name, node.type]);
  }
}

/** The bytes of a file entry (a copy for bundle files, the live buffer's
 * used part for tmp ones). */
function contents(entry, syscall = "readAll") {
  if (entry.type === "dir") throw fsError("EISDIR", syscall);
  if (entry.area === "bundle") return bundle.read(entry.rel);
  if (entry.area === "dev") return new Uint8Array(0);
  return entry.node.data.subarray(0, entry.node.size);
}

/** Writes `bytes` into a tmp file node at `pos`, growing it as needed. */
function writeAt(node, bytes, pos) {
  const end = pos + bytes.length;
  if (end > node.data.length) {
    const grown = new Uint8Array(Math.max(end, node.data.length * 2, 64));
    grown.set(node.data.subarray(0, node.size));
    node.data = grown;
  }
  if (pos > node.size) node.data.fill(0, node.size, pos);
  node.data.set(bytes, pos);
  node.size = Math.max(node.size, end);
  node.mtimeMs = Date.now();
}

function truncateNode(node, len) {
  if (len > node.size) writeAt(node, new Uint8Array(len - node.size), node.size);
  else {
    node.size = len;
    node.mtimeMs = Date.now();
  }
}

// ---- File descriptors ----

// One table per isolate, as workerd has it; 0-2 are stdin, stdout, stderr.
const fds = new Map();
let nextFd = 3;

const FLAGS = {
  r: 0, rs: 0, sr: 0, "r+": O_RDWR, "rs+": O_RDWR, "sr+": O_RDWR,
  w: O_TRUNC | O_CREAT | O_WRONLY, wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  "w+": O_TRUNC | O_CREAT | O_RDWR, "wx+": O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  "xw+": O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY, ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL, as: O_APPEND | O_CREAT | O_WRONLY,
  sa: O_APPEND | O_CREAT | O_WRONLY, "a+": O_APPEND | O_CREAT | O_RDWR,
  "ax+": O_APPEND | O_CREAT | O_RDWR | O_EXCL, "xa+": O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  "as+": O_APPEND | O_CREAT | O_RDWR, "sa+": O_APPEND | O_CREAT | O_RDWR,
};

function parseFlags(flags = "r") {
  if (typeof flags === "number") return flags;
  if (typeof flags === "string" && Object.hasOwn(FLAGS, flags)) return FLAGS[flags];
  throw new ERR_INVALID_ARG_VALUE("flags", flags);
}

/** Opens `abs` with numeric `flags`; returns the fd. */
function openPath(abs, flags, syscall = "open") {
  const access = flags & 3;
  const writable = access === O_WRONLY || access === O_RDWR;
  let entry = lookup(abs, true);
  if (entry && (flags & O_CREAT) && (flags & O_EXCL)) throw fsError("EEXIST", syscall, abs);
  if (!entry) {
    if (!(flags & O_CREAT)) throw fsError("ENOENT", syscall, abs);
    const at = creationPoint(abs, syscall);
    const node = newFile();
    at.dir.children.set(at.name, node);
    entry = lookup(abs, true);
  }
  if (writable && entry.area !== "tmp" && entry.area !== "dev") throw fsError("EPERM", syscall);
  if (writable && entry.type === "dir") throw fsError("EISDIR", syscall);
  if (writable && (flags & O_TRUNC) && entry.area === "tmp") truncateNode(entry.node, 0);
  const fd = nextFd++;
  fds.set(fd, {
    entry, path: abs, position: 0,
    readable: access === 0 || access === O_RDWR, writable, append: Boolean(flags & O_APPEND),
    // Bundle files are read once, when first read through this fd.
    bytes: null,
  });
  return fd;
}

function getFd(fd, syscall) {
  const file = fds.get(fd);
  if (!file) throw fsError("EBADF", syscall);
  return file;
}

function closeFd(fd) {
  fds.delete(fd);
}

/** Reads up to `length` bytes at `pos` (or the fd's position when null) into
 * `target` at `offset`; returns how many. */
function readFd(fd, target, offset, length, pos) {
  const file = getFd(fd, "read");
  if (!file.readable) throw fsError("EBADF", "read");
  const { entry } = file;
  if (entry.type === "dir") throw fsError("EISDIR", "read");
  let n;
  if (entry.area === "dev") {
    if (entry.device === "null") n = 0;
    else if (entry.device === "random") {
      n = length;
      const view = new Uint8Array(target.buffer, target.byteOffset + offset, length);
      for (let i = 0; i < n; i += 65536) crypto.getRandomValues(view.subarray(i, Math.min(n, i + 65536)));
    } else {
      n = length;
      target.fill(0, offset, offset + length);
    }
    return n;
  }
  const usePosition = pos === null || pos === undefined || pos < 0;
  const start = usePosition ? file.position : Number(pos);
  let data;
  if (entry.area === "bundle") data = file.bytes ??= bundle.read(entry.rel);
  else data = entry.node.data.subarray(0, entry.node.size);
  n = Math.max(0, Math.min(length, data.length - start));
  target.set(data.subarray(start, start + n), offset);
  if (usePosition) file.position += n;
  return n;
}

/** Writes `bytes` at `pos` (or the fd's position); returns how many. */
function writeFd(fd, bytes, pos) {
  if (fd === 1 || fd === 2) {
    const text = new TextDecoder().decode(bytes).replace(/\n$/, "");
    (fd === 1 ? console.log : console.error)(text);
    return bytes.length;
  }
  const file = getFd(fd, "write");
  if (!file.writable) throw fsError("EBADF", "write");
  const { entry } = file;
  if (entry.area === "dev") {
    if (entry.device === "full") throw fsError("EPERM", "write");
    return bytes.length;
  }
  const node = entry.node;
  const usePosition = pos === null || pos === undefined || pos < 0;
  const start = file.append ? node.size : usePosition ? file.position : Number(pos);
  writeAt(node, bytes, start);
  if (usePosition || file.append) file.position = start + bytes.length;
  return bytes.length;
}

// ---- Changes to the tree ----

function removeEntry(entry, syscall) {
  if (entry.area !== "tmp" || !entry.parent) throw fsError("EPERM", syscall);
  entry.parent.children.delete(entry.name);
}

let tempCounter = 0;
function nextTempSuffix() {
  return String(tempCounter++);
}

return {
  constants,
  fsError,
  toPathString,
  absolute,
  lookup,
  creationPoint,
  listEntry,
  contents,
  writeAt,
  truncateNode,
  newDir,
  newFile,
  parseFlags,
  openPath,
  getFd,
  closeFd,
  readFd,
  writeFd,
  fds,
  removeEntry,
  nextTempSuffix,
};
})();
