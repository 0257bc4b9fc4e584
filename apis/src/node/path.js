// node:path — the POSIX rules, with `path.win32` (internal_path_win32.js)
// alongside. Relative paths resolve against "/", as on workerd (whose
// `process.cwd()` is "/bundle" all the same). `matchesGlob` throws, as
// workerd's does.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("path");
const { validateString } = require("internal/errors");
const { win32, normalizeNames, lastName, basenameFrom, extOf, formatPath, isPosixSep } =
  require("internal/path_win32");

const CWD = "/";

function resolve(...args) {
  let resolved = "";
  let absolute = false;
  // Right to left, stopping at the first absolute path.
  for (let i = args.length - 1; i >= 0 && !absolute; i--) {
    const path = args[i];
    validateString(path, `paths[${i}]`);
    if (path.length === 0) continue;
    resolved = `${path}/${resolved}`;
    absolute = path[0] === "/";
  }
  if (!absolute) {
    resolved = `${CWD}/${resolved}`;
    absolute = true;
  }
  return `/${normalizeNames(resolved, false, "/", isPosixSep)}`;
}

function normalize(path) {
  validateString(path, "path");
  if (path.length === 0) return ".";
  const absolute = path[0] === "/";
  const trailing = path[path.length - 1] === "/";
  let out = normalizeNames(path, !absolute, "/", isPosixSep);
  if (out.length === 0) {
    if (absolute) return "/";
    return trailing ? "./" : ".";
  }
  if (trailing) out += "/";
  return absolute ? `/${out}` : out;
}

function isAbsolute(path) {
  validateString(path, "path");
  return path[0] === "/";
}

function join(...args) {
  const parts = [];
  for (const arg of args) {
    validateString(arg, "path");
    if (arg.length > 0) parts.push(arg);
  }
  return parts.length === 0 ? "." : normalize(parts.join("/"));
}

function relative(from, to) {
  validateString(from, "from");
  validateString(to, "to");
  if (from === to) return "";
  from = resolve(from);
  to = resolve(to);
  if (from === to) return "";
  // Both are now normalized absolute paths: compare them name by name.
  const fromNames = from === "/" ? [] : from.slice(1).split("/");
  const toNames = to === "/" ? [] : to.slice(1).split("/");
  let common = 0;
  while (common < fromNames.length && common < toNames.length && fromNames[common] === toNames[common]) common++;
  const ups = fromNames.slice(common).map(() => "..");
  return [...ups, ...toNames.slice(common)].join("/");
}

function toNamespacedPath(path) {
  return path; // only Windows has namespaced paths
}

function dirname(path) {
  validateString(path, "path");
  if (path.length === 0) return ".";
  const rooted = path[0] === "/";
  // The separator before the last name, skipping trailing separators; the
  // first character is never taken for it.
  let i = path.length - 1;
  while (i >= 1 && path[i] === "/") i--;
  while (i >= 1 && path[i] !== "/") i--;
  if (i < 1) return rooted ? "/" : ".";
  if (rooted && i === 1) return "//";
  return path.slice(0, i);
}

function basename(path, suffix) {
  if (suffix !== undefined) validateString(suffix, "suffix");
  validateString(path, "path");
  return basenameFrom(path, suffix, 0, isPosixSep);
}

function extname(path) {
  validateString(path, "path");
  const { start, end } = lastName(path, 0, isPosixSep);
  return end === -1 ? "" : extOf(path.slice(start, end));
}

function parse(path) {
  validateString(path, "path");
  const ret = { root: "", dir: "", base: "", ext: "", name: "" };
  if (path.length === 0) return ret;
  const absolute = path[0] === "/";
  const lo = absolute ? 1 : 0;
  if (absolute) ret.root = "/";
  const { start, end } = lastName(path, lo, isPosixSep);
  if (end !== -1) {
    ret.base = path.slice(start, end);
    // Node counts "/.." (the name right after the root) as having the
    // extension "." and the name ".".
    ret.ext = absolute && start === 1 && ret.base === ".." ? "." : extOf(ret.base);
    ret.name = ret.base.slice(0, ret.base.length - ret.ext.length);
  }
  ret.dir = start > lo ? path.slice(0, start - 1) : ret.root;
  return ret;
}

const posix = {
  resolve,
  normalize,
  isAbsolute,
  join,
  relative,
  toNamespacedPath,
  dirname,
  basename,
  extname,
  format: (pathObject) => formatPath("/", pathObject),
  parse,
  sep: "/",
  delimiter: ":",
  win32,
  posix: null,
  matchesGlob(_path, _pattern) {
    throw new Error("path.posix.matchesGlob() is not implemented.");
  },
};
posix.posix = posix;
win32.posix = posix;

return { ...posix, default: posix };
})();
