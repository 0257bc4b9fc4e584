// node:module — as workerd has it: createRequire, isBuiltin and
// builtinModules work; the loader's internals (Module, _load, register,
// source maps...) throw ERR_METHOD_NOT_IMPLEMENTED, and the compile cache
// calls do nothing. Difference from workerd: a require made by
// createRequire reaches the runtime's `node:` modules only; a Worker's own
// modules (and `cloudflare:` ones) answer "No such module".
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("module");
const { codes: { ERR_INVALID_ARG_VALUE, ERR_METHOD_NOT_IMPLEMENTED } } = require("internal/errors");
// The runtime's loader for `node:` modules, kept under its own name since
// the functions made by createRequire are called `require` too.
const loadBuiltin = require;

// What `node:module`'s builtinModules lists in workerd (frozen).
const builtinModules = Object.freeze([
  "_http_agent", "_http_client", "_http_common", "_http_incoming",
  "_http_outgoing", "_http_server", "_stream_duplex", "_stream_passthrough",
  "_stream_readable", "_stream_transform", "_stream_wrap", "_stream_writable",
  "_tls_common", "_tls_wrap", "assert", "assert/strict", "async_hooks",
  "buffer", "child_process", "cluster", "console", "constants", "crypto",
  "dgram", "diagnostics_channel", "dns", "dns/promises", "domain", "events",
  "fs", "fs/promises", "http", "http2", "https", "inspector",
  "inspector/promises", "module", "net", "os", "path", "path/posix",
  "path/win32", "perf_hooks", "process", "punycode", "querystring",
  "readline", "readline/promises", "repl", "stream", "stream/consumers",
  "stream/promises", "stream/web", "string_decoder", "sys", "timers",
  "timers/promises", "tls", "trace_events", "tty", "url", "util",
  "util/types", "v8", "vm", "wasi", "worker_threads", "zlib",
]);
// The names workerd recognises as Node's without the `node:` prefix: the
// list above and `sqlite`.
const bareBuiltins = new Set([...builtinModules, "sqlite"]);

/** A function called `name` that throws ERR_METHOD_NOT_IMPLEMENTED for `label`. */
function unavailable(name, label = `module.${name}`) {
  return {
    [name]() {
      throw new ERR_METHOD_NOT_IMPLEMENTED(label);
    },
  }[name];
}

/** The `node:` name a specifier stands for, or undefined when it names no
 * built-in: bare Node names gain the prefix, `sys` is `util`. */
function builtinName(specifier) {
  if (specifier === "sys" || specifier === "node:sys") return "node:util";
  if (bareBuiltins.has(specifier)) return `node:${specifier}`;
  return specifier.startsWith("node:") ? specifier : undefined;
}

function isBuiltin(specifier) {
  return builtinName(String(specifier)) !== undefined;
}

/** Resolves `specifier` against the directory of `referrer` (path parts),
 * `.` and `..` included, the way workerd names a bundle module. */
function bundlePath(referrer, specifier) {
  const parts = referrer.length === 0 ? [] : referrer.slice(0, -1);
  if (specifier.startsWith("/")) {
    // From the root only when there is a referrer to be relative to.
    if (referrer.length === 0) throw new Error(`Invalid specifier path: ${specifier}`);
    parts.length = 0;
  }
  for (const part of specifier.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) throw new Error(`Invalid specifier path: ${specifier}`);
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join("/");
}

function parseURL(text, base) {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

const INVALID_PATH = "The argument must be a file URL object, a file URL string, or an absolute path string.";

function createRequire(path) {
  const text = `${path}`;
  if (!text.startsWith("/") && !text.startsWith("file:")) {
    throw new ERR_INVALID_ARG_VALUE("path", text, INVALID_PATH);
  }
  // Only file: URLs and absolute paths name a place to require from.
  let url = parseURL(text);
  if (url) {
    if (url.protocol !== "file:") throw new TypeError(INVALID_PATH);
  } else {
    url = parseURL(text, "file:///");
    if (!url) throw new TypeError(INVALID_PATH);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new Error("The specifier must not have query string parameters or hash fragments.");
  }
  const referrer = url.pathname.split("/").slice(1);
  if (referrer.length === 1 && referrer[0] === "") referrer.length = 0;

  return function require(id) {
    const specifier = String(id);
    const name = builtinName(specifier);
    if (name === undefined || !bareBuiltins.has(name.slice(5))) {
      const target = name ?? bundlePath(referrer, specifier);
      throw new Error(`No such module "${target}".`);
    }
    const bare = name.slice(5);
    // A module the Worker may not use throws workerd's "No such module".
    const exports = loadBuiltin(bare === "sys" ? "util" : bare);
    return Object.hasOwn(exports, "default") ? exports.default : exports;
  };
}
const _extensions = {
  ".js": unavailable(".js", "module._extensions.js"),
  ".json": unavailable(".json", "module._extensions.json"),
  ".node": unavailable(".node", "module._extensions.node"),
};

// Node hangs these off createRequire; workerd does too.
const fixed = (value) => ({ value, writable: true, enumerable: true });
Object.defineProperties(createRequire, {
  resolve: fixed(unavailable("resolve", "module.createRequire.resolve")),
  paths: fixed(unavailable("paths", "module.createRequire.resolve.paths")),
  cache: fixed(Object.create(null)),
  extensions: fixed(_extensions),
  main: fixed(undefined),
});

const constants = Object.freeze({
  __proto__: null,
  compileCacheStatus: Object.freeze({ __proto__: null, FAILED: 0, ENABLED: 1, ALREADY_ENABLED: 2, DISABLED: 3 }),
});

// Constructors in Node, so plain functions here: `new` reaches the throw.
function Module() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("module.Module");
}
function SourceMap() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("module.SourceMap");
}
// Present so code that patches the loader finds them; they do nothing.
Module.prototype.load = function load() {};
Module.prototype.require = function require() {};
Module.prototype._compile = function _compile() {};
Object.defineProperty(Module.prototype, "isPreloading", {
  get() {
    return false;
  },
});

const named = {
  enableCompileCache() {},
  getCompileCacheDir() {
    return undefined;
  },
  _extensions,
  createRequire,
  isBuiltin,
  builtinModules,
  register: unavailable("register"),
  runMain: unavailable("runMain"),
  syncBuiltinESMExports: unavailable("syncBuiltinESMExports"),
  wrap: unavailable("wrap"),
  globalPaths: [],
  constants,
  _cache: Object.create(null),
  _pathCache: Object.create(null),
  _debug: unavailable("_debug"),
  _findPath: unavailable("_findPath"),
  _initPaths: unavailable("_initPaths"),
  _load: unavailable("_load"),
  _preloadModules: unavailable("_preloadModules"),
  _resolveFilename: unavailable("_resolveFilename"),
  _resolveLookupPaths: unavailable("_resolveLookupPaths"),
  _nodeModulePaths: unavailable("_nodeModulePaths"),
  findSourceMap: unavailable("findSourceMap"),
  findPackageJSON: unavailable("findPackageJSON"),
  flushCompileCache() {},
  getSourceMapsSupport() {
    return Object.freeze({ __proto__: null, enabled: false, nodeModules: false, generatedCode: false });
  },
  setSourceMapsSupport: unavailable("setSourceMapsSupport"),
  stripTypeScriptTypes: unavailable("stripTypeScriptTypes"),
  registerHooks: unavailable("registerHooks"),
  SourceMap,
  Module,
};

// `require("module")` is the Module function carrying everything else, as in
// Node: fixed (non-configurable) but writable properties.
for (const [key, value] of Object.entries(named)) {
  Object.defineProperty(Module, key, fixed(value));
}

return { default: Module, ...named };
})();
