// `path.win32`: Windows path rules (drive letters, UNC roots, `\` and `/`
// both separators), plus the helpers that `path.js`'s POSIX rules share.
// Internal: `path.js` reaches it with `require("internal/path_win32")`.
// Relative paths resolve against "/", as on workerd, and there are no
// per-drive working directories, so a drive-relative path ("C:foo")
// resolves against it as Node does on a POSIX host.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/path_win32");
const { validateObject, validateString } = require("internal/errors");

const CWD = "/";
const RESERVED = new Set([
  "CON", "PRN", "AUX", "NUL",
  "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
  "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
  "COM\xb9", "COM\xb2", "COM\xb3", "LPT\xb9", "LPT\xb2", "LPT\xb3",
]);

const isWinSep = (c) => c === "/" || c === "\\";
const isPosixSep = (c) => c === "/";
const isLetter = (c) => c !== undefined && /^[A-Za-z]$/.test(c);
/** Whether `path` starts with a drive letter and a colon ("C:"). */
const hasDrive = (path) => path[1] === ":" && isLetter(path[0]);
/** Node's check for a reserved device name before the first colon. */
const isReserved = (path) => RESERVED.has(path.slice(0, path.indexOf(":")).toUpperCase());

/**
 * Resolves "." and ".." among the `isSep`-separated names of `path`,
 * joining what is left with `sep`. Empty names are dropped; a ".." that
 * climbs above the start is kept only when `allowAboveRoot`.
 */
function normalizeNames(path, allowAboveRoot, sep, isSep) {
  const out = [];
  let name = "";
  for (let i = 0; i <= path.length; i++) {
    const c = path[i];
    if (i < path.length && !isSep(c)) {
      name += c;
      continue;
    }
    if (name === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (allowAboveRoot) out.push("..");
    } else if (name !== "" && name !== ".") {
      out.push(name);
    }
    name = "";
  }
  return out.join(sep);
}

/**
 * The last name of `path` at or after `lo`: `{ start, end }`, with `end`
 * -1 when there is none (only separators). Trailing separators are skipped.
 */
function lastName(path, lo, isSep) {
  let end = path.length;
  while (end > lo && isSep(path[end - 1])) end--;
  if (end === lo) return { start: lo, end: -1 };
  let start = end;
  while (start > lo && !isSep(path[start - 1])) start--;
  return { start, end };
}

/** `basename` from the name at or after `lo`, with Node's `suffix` quirks. */
function basenameFrom(path, suffix, lo, isSep) {
  const { start, end } = lastName(path, lo, isSep);
  if (suffix === undefined || suffix.length === 0 || suffix.length > path.length) {
    return end === -1 ? "" : path.slice(start, end);
  }
  if (suffix === path) return "";
  if (end === -1) return path.slice(lo);
  const name = path.slice(start, end);
  if (suffix.length <= name.length) {
    return name.endsWith(suffix) && name !== suffix ? name.slice(0, name.length - suffix.length) : name;
  }
  // A suffix longer than the name that ends with the whole name: Node then
  // returns everything from the name on, trailing separators included.
  return suffix.endsWith(name) ? path.slice(start) : name;
}

/** The extension of `name`, where `name` is "..": none; a leading dot doesn't count. */
function extOf(name) {
  const dot = name.lastIndexOf(".");
  return dot <= 0 || name === ".." ? "" : name.slice(dot);
}

function formatPath(sep, pathObject) {
  validateObject(pathObject, "pathObject");
  const dir = pathObject.dir || pathObject.root;
  let base = pathObject.base;
  if (!base) {
    const ext = pathObject.ext ? (pathObject.ext[0] === "." ? pathObject.ext : `.${pathObject.ext}`) : "";
    base = `${pathObject.name || ""}${ext}`;
  }
  if (!dir) return base;
  return dir === pathObject.root ? `${dir}${base}` : `${dir}${sep}${base}`;
}

/**
 * Matches a UNC root ("\\server\share") at the start of `path`: two
 * separators, a server name, separators, a share name. Returns
 * `{ server, share, shareEnd }` or null.
 */
function matchUnc(path) {
  if (!isWinSep(path[0]) || !isWinSep(path[1])) return null;
  let j = 2;
  while (j < path.length && !isWinSep(path[j])) j++;
  if (j === 2 || j === path.length) return null;
  const server = path.slice(2, j);
  while (j < path.length && isWinSep(path[j])) j++;
  if (j === path.length) return null;
  const shareStart = j;
  while (j < path.length && !isWinSep(path[j])) j++;
  return { server, share: path.slice(shareStart, j), shareEnd: j };
}

/**
 * The root of `path` as `resolve` sees it: `{ device, end, absolute }`,
 * `end` being where the rest of the path starts. "\\.\" and "\\?\" are
 * device namespaces, whose device is just the prefix.
 */
function resolveRoot(path) {
  if (isWinSep(path[0])) {
    const unc = matchUnc(path);
    if (unc === null) return { device: "", end: 1, absolute: true };
    if (unc.server === "." || unc.server === "?") return { device: `\\\\${unc.server}`, end: 4, absolute: true };
    return { device: `\\\\${unc.server}\\${unc.share}`, end: unc.shareEnd, absolute: true };
  }
  if (path.length > 1 && hasDrive(path)) {
    const absolute = isWinSep(path[2]);
    return { device: path.slice(0, 2), end: absolute ? 3 : 2, absolute };
  }
  return { device: "", end: 0, absolute: false };
}

function resolve(...args) {
  let device = "";
  let tail = "";
  let absolute = false;
  for (let i = args.length - 1; i >= -1; i--) {
    let path;
    if (i >= 0) {
      path = args[i];
      validateString(path, `paths[${i}]`);
      if (path.length === 0) continue;
    } else {
      // Out of arguments: the working directory. Windows would use the
      // drive's own one for a drive-relative path; there is only one here.
      path = CWD;
    }
    const root = resolveRoot(path);
    if (root.device !== "") {
      if (device === "") device = root.device;
      else if (root.device.toLowerCase() !== device.toLowerCase()) continue; // another drive
    }
    if (absolute) {
      if (device !== "") break;
    } else {
      tail = `${path.slice(root.end)}\\${tail}`;
      absolute = root.absolute;
      if (absolute && device !== "") break;
    }
  }
  tail = normalizeNames(tail, !absolute, "\\", isWinSep);
  return absolute ? `${device}\\${tail}` : `${device}${tail}` || ".";
}

function normalize(path) {
  validateString(path, "path");
  const len = path.length;
  if (len === 0) return ".";
  if (len === 1) return path === "/" ? "\\" : path;
  let device;
  let rootEnd = 0;
  let absolute = false;
  if (isWinSep(path[0])) {
    absolute = true;
    rootEnd = 1;
    const unc = matchUnc(path);
    if (unc !== null) {
      if (unc.server === "." || unc.server === "?") {
        device = `\\\\${unc.server}`;
        rootEnd = 4;
      } else if (unc.shareEnd === len) {
        return `\\\\${unc.server}\\${unc.share}\\`; // nothing but the UNC root
      } else {
        device = `\\\\${unc.server}\\${unc.share}`;
        rootEnd = unc.shareEnd;
      }
    }
  } else {
    const colon = path.indexOf(":");
    if (colon === 1 && isLetter(path[0])) {
      device = path.slice(0, 2);
      rootEnd = 2;
      if (len > 2 && isWinSep(path[2])) {
        absolute = true;
        rootEnd = 3;
      }
    } else if (colon > 0 && isReserved(path)) {
      device = path.slice(0, colon + 1); // "CON:" and the like
      rootEnd = colon + 1;
    }
  }

  let tail = rootEnd < len ? normalizeNames(path.slice(rootEnd), !absolute, "\\", isWinSep) : "";
  if (tail.length === 0 && !absolute) tail = ".";
  if (tail.length > 0 && isWinSep(path[len - 1])) tail += "\\";
  // A relative path must not come out looking like a drive ("C:") or a
  // stream name: prefix ".\" then (CVE-2024-36139).
  if (!absolute && device === undefined && path.includes(":")) {
    if (tail.length >= 2 && hasDrive(tail)) return `.\\${tail}`;
    for (let i = path.indexOf(":"); i !== -1; i = path.indexOf(":", i + 1)) {
      if (i === len - 1 || isWinSep(path[i + 1])) return `.\\${tail}`;
    }
  }
  if (isReserved(path)) return `.\\${device ?? ""}${tail}`;
  if (device === undefined) return absolute ? `\\${tail}` : tail;
  return absolute ? `${device}\\${tail}` : `${device}${tail}`;
}

function isAbsolute(path) {
  validateString(path, "path");
  return isWinSep(path[0]) || (path.length > 2 && hasDrive(path) && isWinSep(path[2]));
}

function join(...args) {
  let joined;
  let first;
  for (const arg of args) {
    validateString(arg, "path");
    if (arg.length === 0) continue;
    if (joined === undefined) joined = first = arg;
    else joined += `\\${arg}`;
  }
  if (joined === undefined) return ".";
  // Only a first argument that starts with exactly two separators and a
  // name may make a UNC root; otherwise collapse leading separators to one
  // so that normalize() does not mistake the result for one.
  const looksUnc = isWinSep(first[0]) && isWinSep(first[1]) && first.length > 2 && !isWinSep(first[2]);
  if (!looksUnc) {
    let n = 0;
    while (n < joined.length && isWinSep(joined[n])) n++;
    if (n >= 2) joined = `\\${joined.slice(n)}`;
  }
  return normalize(joined);
}

function relative(from, to) {
  validateString(from, "from");
  validateString(to, "to");
  if (from === to) return "";
  const fromOrig = resolve(from);
  const toOrig = resolve(to);
  if (fromOrig === toOrig) return "";
  const fromLower = fromOrig.toLowerCase();
  const toLower = toOrig.toLowerCase();
  if (fromLower === toLower) return "";
  if (fromLower.length !== fromOrig.length || toLower.length !== toOrig.length) {
    return relativeByNames(fromOrig, toOrig);
  }
  return relativeByChars(fromLower, toLower, toOrig);
}

/** `relative` when lower-casing changes lengths: compares whole names. */
function relativeByNames(fromOrig, toOrig) {
  const fromNames = fromOrig.split("\\");
  const toNames = toOrig.split("\\");
  if (fromNames[fromNames.length - 1] === "") fromNames.pop();
  if (toNames[toNames.length - 1] === "") toNames.pop();
  const shorter = Math.min(fromNames.length, toNames.length);
  let i = 0;
  while (i < shorter && fromNames[i].toLowerCase() === toNames[i].toLowerCase()) i++;
  if (i === 0) return toOrig;
  if (i === shorter) {
    if (toNames.length > shorter) return toNames.slice(i).join("\\");
    if (fromNames.length > shorter) return "..\\".repeat(fromNames.length - 1 - i) + "..";
    return "";
  }
  return "..\\".repeat(fromNames.length - i) + toNames.slice(i).join("\\");
}

/**
 * `relative` comparing lower-cased resolved paths character by character,
 * as Node does, with its quirks (a name that merely starts like another
 * still counts as a shared prefix).
 */
function relativeByChars(from, to, toOrig) {
  const trim = (s) => {
    let start = 0;
    while (start < s.length && s[start] === "\\") start++;
    let end = s.length;
    while (end - 1 > start && s[end - 1] === "\\") end--;
    return [start, end];
  };
  const [fromStart, fromEnd] = trim(from);
  let [toStart, toEnd] = trim(to);
  const fromLen = fromEnd - fromStart;
  const toLen = toEnd - toStart;
  const length = Math.min(fromLen, toLen);
  let lastCommonSep = -1;
  let i = 0;
  for (; i < length; i++) {
    const c = from[fromStart + i];
    if (c !== to[toStart + i]) break;
    if (c === "\\") lastCommonSep = i;
  }
  if (i !== length) {
    if (lastCommonSep === -1) return toOrig; // nothing in common, not even the root
  } else {
    if (toLen > length) {
      if (to[toStart + i] === "\\") return toOrig.slice(toStart + i + 1); // `from` is a parent of `to`
      if (i === 2) return toOrig.slice(toStart + i); // `from` is a drive root
    }
    if (fromLen > length) {
      if (from[fromStart + i] === "\\") lastCommonSep = i; // `to` is a parent of `from`
      else if (i === 2) lastCommonSep = 3; // `to` is a drive root
    }
    if (lastCommonSep === -1) lastCommonSep = 0;
  }
  const ups = [];
  for (let k = fromStart + lastCommonSep + 1; k <= fromEnd; k++) {
    if (k === fromEnd || from[k] === "\\") ups.push("..");
  }
  toStart += lastCommonSep;
  if (ups.length > 0) return `${ups.join("\\")}${toOrig.slice(toStart, toEnd)}`;
  if (toOrig[toStart] === "\\") toStart++;
  return toOrig.slice(toStart, toEnd);
}

function toNamespacedPath(path) {
  if (typeof path !== "string" || path.length === 0) return path;
  const resolved = resolve(path);
  if (resolved.length <= 2) return path;
  if (resolved[0] === "\\") {
    if (resolved[1] === "\\" && resolved[2] !== "?" && resolved[2] !== ".") {
      return `\\\\?\\UNC\\${resolved.slice(2)}`; // a UNC path, made a long one
    }
  } else if (hasDrive(resolved) && resolved[2] === "\\") {
    return `\\\\?\\${resolved}`;
  }
  return resolved;
}

/**
 * Where the root of `path` ends for dirname and parse: after a drive
 * ("C:" or "C:\"), after a lone separator, or after a UNC root and the
 * separator that follows it. `whole` is set when the path is only a UNC
 * root; `end` is 0 when there is no root.
 */
function rootOf(path) {
  if (isWinSep(path[0])) {
    const unc = matchUnc(path);
    if (unc === null) return { end: 1, whole: false };
    if (unc.shareEnd === path.length) return { end: unc.shareEnd, whole: true };
    return { end: unc.shareEnd + 1, whole: false };
  }
  if (hasDrive(path)) return { end: path.length > 2 && isWinSep(path[2]) ? 3 : 2, whole: false };
  return { end: 0, whole: false };
}

function dirname(path) {
  validateString(path, "path");
  const len = path.length;
  if (len === 0) return ".";
  if (len === 1) return isWinSep(path) ? path : ".";
  const root = rootOf(path);
  if (root.whole) return path;
  // The separator before the last name, skipping trailing separators.
  let i = len - 1;
  while (i >= root.end && isWinSep(path[i])) i--;
  while (i >= root.end && !isWinSep(path[i])) i--;
  if (i >= root.end) return path.slice(0, i);
  return root.end === 0 ? "." : path.slice(0, root.end);
}

function basename(path, suffix) {
  if (suffix !== undefined) validateString(suffix, "suffix");
  validateString(path, "path");
  return basenameFrom(path, suffix, path.length >= 2 && hasDrive(path) ? 2 : 0, isWinSep);
}

function extname(path) {
  validateString(path, "path");
  const { start, end } = lastName(path, path.length >= 2 && hasDrive(path) ? 2 : 0, isWinSep);
  return end === -1 ? "" : extOf(path.slice(start, end));
}

function parse(path) {
  validateString(path, "path");
  const ret = { root: "", dir: "", base: "", ext: "", name: "" };
  const len = path.length;
  if (len === 0) return ret;
  if (len === 1) {
    if (isWinSep(path)) ret.root = ret.dir = path;
    else ret.base = ret.name = path;
    return ret;
  }
  if (hasDrive(path) && (len === 2 || (len === 3 && isWinSep(path[2])))) {
    ret.root = ret.dir = path; // only a drive root
    return ret;
  }
  const rootEnd = rootOf(path).end;
  ret.root = path.slice(0, rootEnd);
  const { start, end } = lastName(path, rootEnd, isWinSep);
  if (end !== -1) {
    ret.base = path.slice(start, end);
    ret.ext = extOf(ret.base);
    ret.name = ret.base.slice(0, ret.base.length - ret.ext.length);
  }
  ret.dir = start > 0 && start !== rootEnd ? path.slice(0, start - 1) : ret.root;
  return ret;
}

const win32 = {
  resolve,
  normalize,
  isAbsolute,
  join,
  relative,
  toNamespacedPath,
  dirname,
  basename,
  extname,
  format: (pathObject) => formatPath("\\", pathObject),
  parse,
  sep: "\\",
  delimiter: ";",
  win32: null,
  posix: null,
  matchesGlob(_path, _pattern) {
    throw new Error("path.win32.matchesGlob() is not implemented.");
  },
};
win32.win32 = win32;

return {
  win32,
  normalizeNames,
  lastName,
  basenameFrom,
  extOf,
  formatPath,
  isPosixSep,
};
})();
