// node:process — the `process` of a Worker, shaped as workerd's: an
// EventEmitter with `env` (the Worker's vars and secrets when its
// compatibility flags say so), `nextTick`, `hrtime`, the values libraries
// check, and stdout/stderr that write their lines to the console. There is
// no host process behind it: the working directory is `/bundle`, where
// workerd puts a Worker's modules, there are no files to read, and what
// would reach the machine throws (ERR_METHOD_NOT_IMPLEMENTED or EPERM).
(function () {
"use strict";
const node = globalThis[Symbol.for("isola.node")].enter("process");
const { require } = node;
const { EventEmitter } = require("events");
const {
  codes: { ERR_EPERM, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_METHOD_NOT_IMPLEMENTED, ERR_OUT_OF_RANGE },
  notImplemented,
} = require("internal/errors");

const env = {};
if (node.processEnv()) Object.assign(env, node.variables());

const noop = () => {};
const CWD = "/bundle";

// workerd's queueMicrotask stand-in: no nextTick queue, no argument check.
function nextTick(callback, ...args) {
  queueMicrotask(() => callback(...args));
}

// Wall-clock based, as workerd's (whose clock only moves on I/O).
function hrtime(time) {
  if (time !== undefined) {
    if (!Array.isArray(time)) throw new ERR_INVALID_ARG_TYPE("time", "tuple of integers", time);
    if (time.length !== 2) throw new ERR_OUT_OF_RANGE("time", "2", time);
  }
  const now = Date.now();
  let seconds = Math.floor(now / 1e3);
  let nanos = (now % 1e3) * 1e6;
  if (time !== undefined) {
    seconds -= time[0];
    nanos -= time[1];
    if (nanos < 0) {
      seconds -= 1;
      nanos += 1e9;
    }
  }
  return [seconds, nanos];
}
hrtime.bigint = () => BigInt(Date.now()) * 1000000n;

/** emitWarning(warning[, type[, code]][, ctor]) or (warning, options):
 *  the warning is emitted as a "warning" event from a microtask. */
function emitWarning(warning, options, codeOrCtor, maybeCtor) {
  let type = "Warning";
  let code;
  let detail;
  let ctor;
  if (typeof options === "object" && !Array.isArray(options)) {
    if (options.type) type = options.type;
    if (options.code) code = options.code;
    if (options.detail) detail = options.detail;
    ctor = options.ctor;
  } else if (typeof options === "string") {
    type = options;
    if (typeof codeOrCtor === "string") {
      code = codeOrCtor;
      if (typeof maybeCtor === "function") ctor = maybeCtor;
      else if (maybeCtor !== undefined) throw new ERR_INVALID_ARG_TYPE("ctor", "function", maybeCtor);
    } else if (typeof codeOrCtor === "function") {
      ctor = codeOrCtor;
    } else if (codeOrCtor !== undefined) {
      throw new ERR_INVALID_ARG_TYPE("ctor", "function", codeOrCtor);
    }
  } else if (typeof options === "function") {
    ctor = options;
  } else if (options !== undefined) {
    throw new ERR_INVALID_ARG_TYPE("options", "object", options);
  }

  let err;
  if (typeof warning === "string") {
    err = new (ctor || Error)(warning);
    err.name = type;
  } else if (warning instanceof Error) {
    err = warning;
    if (type !== "Warning") err.name = type;
  } else {
    throw new ERR_INVALID_ARG_TYPE("warning", "string or Error", warning);
  }
  if (code) err.code = code;
  if (detail && typeof detail === "string") err.detail = detail;
  if (typeof Error.captureStackTrace === "function") Error.captureStackTrace(err, ctor || emitWarning);
  queueMicrotask(() => process.emit("warning", err));
}

// Validated, then ignored: there are no file permissions to mask.
function umask(mask) {
  if (mask !== undefined) {
    const why = "must be a 32-bit unsigned integer or an octal string";
    if (typeof mask === "string") {
      if (!/^[0-7]+$/.test(mask)) throw new ERR_INVALID_ARG_VALUE("mask", mask, why);
      mask = Number.parseInt(mask, 8);
    } else if (typeof mask !== "number") {
      throw new ERR_INVALID_ARG_TYPE("mask", "number", mask);
    }
    if (!Number.isInteger(mask) || mask < 0 || mask > 0xffffffff) throw new ERR_INVALID_ARG_VALUE("mask", mask, why);
  }
  return 0o22;
}

/** Reads a .env file into process.env. There are no files here (unless a
 *  node:fs turns up), so it fails as workerd does for a missing one. */
function loadEnvFile(path = ".env") {
  const file = path instanceof URL ? path : path.toString();
  const fs = process.getBuiltinModule("fs");
  if (typeof fs?.readFileSync === "function") {
    Object.assign(process.env, require("util").parseEnv(fs.readFileSync(file, "utf8")));
    return;
  }
  const where = file instanceof URL ? require("url").fileURLToPath(file) : require("path").resolve(CWD, file);
  const err = new Error(`no such file or directory, readAll '${where}'`);
  throw Object.assign(err, { syscall: "readAll", code: "ENOENT", path: where });
}

// Only user and group 0 exist, as on workerd's virtual file system.
function onlyRoot(syscall) {
  return function (id) {
    if (id !== 0) throw new ERR_EPERM({ syscall });
  };
}
function refuse(syscall) {
  return function () {
    throw new ERR_EPERM({ syscall });
  };
}

// ---- stdin, stdout and stderr: made with node:stream on first use ----

/** Writes text to `log` a line at a time; a partial line waits for the
 *  rest of the current job's writes, then goes out alone. */
function lineWriter(log) {
  const decoder = new TextDecoder();
  let pending = "";
  let flushing = false;
  const flush = () => {
    flushing = false;
    if (pending !== "") log(pending);
    pending = "";
  };
  return (bytes) => {
    const lines = (pending + decoder.decode(bytes, { stream: true })).split("\n");
    pending = lines.pop();
    for (const line of lines) log(line);
    if (pending !== "" && !flushing) {
      flushing = true;
      queueMicrotask(flush);
    }
  };
}

// What Node's stdio (sockets there) carry and code reads.
const SOCKET_FIELDS = {
  allowHalfOpen: false,
  bufferSize: 0,
  bytesRead: 0,
  bytesWritten: 0,
  connecting: false,
  pending: false,
  readableAborted: false,
  readableDidRead: false,
  readableEnded: false,
  readableHighWaterMark: 16384,
  readableLength: 0,
  readableObjectMode: false,
  readyState: "open",
};

let stdio;
function getStdio(name) {
  if (stdio === undefined) {
    const { Readable, Writable } = require("stream");

    // stdin reads as `< /dev/null` would: it ends at once.
    class ReadStream extends Readable {
      _read() {
        this.push(null);
      }
    }
    const stdin = Object.assign(new ReadStream(), {
      fd: 0, allowHalfOpen: false, bufferSize: 0, connecting: false, readyState: "open",
    });

    class SyncWriteStream extends Writable {
      #write;
      constructor(fd, log) {
        super({ autoDestroy: true });
        this.#write = lineWriter(log);
        Object.assign(this, { fd, readable: false, _type: "fs", _isStdio: true }, SOCKET_FIELDS);
      }
      _write(chunk, encoding, callback) {
        this.#write(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk);
        callback();
      }
    }
    stdio = {
      stdin,
      stdout: new SyncWriteStream(1, (line) => console.log(line)),
      stderr: new SyncWriteStream(2, (line) => console.error(line)),
    };
    for (const [key, value] of Object.entries(stdio)) {
      Object.defineProperty(process, key, { value, writable: true, enumerable: true, configurable: true });
    }
  }
  return stdio[name];
}

// ---- The object, its members in workerd's order ----

const VERSION = "22.19.0";
// The libraries' versions are empty strings, as in workerd.
const LIBRARIES = [
  "v8", "modules", "zlib", "brotli", "zstd", "ares", "napi", "llhttp", "nghttp2", "acorn", "ada",
  "simdutf", "nbytes", "ncrypto", "uvwasi", "uv", "openssl", "sqlite", "icu", "undici", "simdjson",
  "unicode", "cldr", "tz", "cjs_module_lexer", "amaro", "merve",
];
const versions = { node: VERSION, ...Object.fromEntries(LIBRARIES.map((name) => [name, ""])) };

const stdioAccessor = (name) => ({
  get: () => getStdio(name),
  set(value) {
    getStdio(name);
    process[name] = value;
  },
  enumerable: true,
  configurable: true,
});

const process = {
  assert: (...args) => require("assert").ok(...args),
  version: `v${VERSION}`,
  versions,
  title: "workerd",
  argv: ["workerd"],
  argv0: "workerd",
  execArgv: [],
  arch: "x64",
  platform: "linux",
  config: { target_defaults: {}, variables: {} },
  pid: 1,
  ppid: 0,
  getegid: () => 0,
  getgid: () => 0,
  getgroups: () => [0],
  geteuid: () => 0,
  getuid: () => 0,
  setegid: onlyRoot("setegid"),
  setgid: onlyRoot("setgid"),
  setgroups: refuse("setgroups"),
  seteuid: onlyRoot("seteuid"),
  setuid: onlyRoot("setuid"),
  initgroups: refuse("initgroups"),
  setSourceMapsEnabled: noop,
  getSourceMapsSupport: () => ({ enabled: false, nodeModules: false, generatedCode: false }),
  nextTick,
  emitWarning,
  env,
  exit: notImplemented("process.exit"),
  abort: notImplemented("process.abort"),
  getBuiltinModule(name) {
    const bare = String(name).replace(/^node:/, "");
    try {
      return require(bare).default ?? require(bare);
    } catch {
      return undefined;
    }
  },
  features: Object.freeze({
    cached_builtins: true,
    debug: false,
    inspector: false,
    ipv6: true,
    openssl_is_boringssl: true,
    require_module: false,
    tls: true,
    tls_alpn: true,
    tls_ocsp: true,
    tls_sni: true,
    typescript: false,
    uv: true,
  }),
  allowedNodeEnvironmentFlags: new Set(),
  kill: notImplemented("process.kill"),
  ref: noop,
  unref: noop,
  chdir: notImplemented("process.chdir"),
  cwd: () => CWD,
  umask,
  hrtime,
  uptime: () => 0,
  loadEnvFile,
  exitCode: undefined,
  channel: null,
  connected: false,
  binding: notImplemented("process.binding"),
  debugPort: 0,
  dlopen: notImplemented("process.dlopen"),
  finalization: {
    register: notImplemented("process.finalization.register"),
    registerBeforeExit: notImplemented("process.finalization.registerBeforeExit"),
    unregister: notImplemented("process.finalization.unregister"),
  },
  getActiveResourcesInfo: notImplemented("process.getActiveResourcesInfo"),
  setUncaughtExceptionCaptureCallback: notImplemented("process.setUncaughtExceptionCaptureCallback"),
  hasUncaughtExceptionCaptureCallback: notImplemented("process.hasUncaughtExceptionCaptureCallback"),
  memoryUsage: () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }),
  noDeprecation: false,
  permission: { has: notImplemented("process.permission.has") },
  release: { name: "node", lts: true, sourceUrl: "", headersUrl: "" },
  report: {
    compact: false,
    directory: "",
    filename: "",
    // Some packages call it and expect an object back.
    getReport: () => ({}),
    reportOnFatalError: false,
    reportOnSignal: false,
    reportOnUncaughtException: false,
    excludeNetwork: false,
    excludeEnv: false,
    signal: "SIGUSR2",
    writeReport: notImplemented("process.report.writeReport"),
  },
  resourceUsage: () => ({
    userCPUTime: 0,
    systemCPUTime: 0,
    maxRSS: 0,
    sharedMemorySize: 0,
    unsharedDataSize: 0,
    unsharedStackSize: 0,
    minorPageFault: 0,
    majorPageFault: 0,
    swappedOut: 0,
    fsRead: 0,
    fsWrite: 0,
    ipcSent: 0,
    ipcReceived: 0,
    signalsCount: 0,
    voluntaryContextSwitches: 0,
    involuntaryContextSwitches: 0,
  }),
  send: () => false,
  traceDeprecation: false,
  throwDeprecation: false,
  sourceMapsEnabled: false,
  stdin: undefined, // accessors, below: the streams are made on first use
  stdout: undefined,
  stderr: undefined,
  threadCpuUsage: notImplemented("process.threadCpuUsage"),
  cpuUsage: notImplemented("process.cpuUsage"),
  execPath: "",
  constrainedMemory: () => 0,
  availableMemory: () => 0,
  execve: notImplemented("process.execve"),
  openStdin: () => process.stdin,
  _rawDebug: (...args) => console.log(...args),
  moduleLoadList: [],
  _linkedBinding: notImplemented("process._linkedBinding"),
  domain: null,
  _exiting: false,
  _getActiveRequests: () => [],
  _getActiveHandles: () => [],
  reallyExit: (code) => process.exit(code || 0),
  _kill: notImplemented("process._kill"),
  _fatalException: () => false,
  _tickCallback: noop,
  _debugProcess: noop,
  _debugEnd: noop,
  _startProfilerIdleNotifier: noop,
  _stopProfilerIdleNotifier: noop,
  _preload_modules: [],
  _disconnect: undefined,
  _handleQueue: undefined,
  _pendingMessage: undefined,
  _channel: undefined,
  _send: undefined,
};
for (const name of ["stdin", "stdout", "stderr"]) Object.defineProperty(process, name, stdioAccessor(name));

Object.setPrototypeOf(process, EventEmitter.prototype);
EventEmitter.call(process);
Object.defineProperty(process, Symbol.toStringTag, { value: "process", configurable: true });

// Rejection events are relayed from the global scope's only once a
// listener for them is added.
const relayed = new Set();
process.on("newListener", (name) => {
  if (relayed.has(name) || typeof globalThis.addEventListener !== "function") return;
  if (name === "unhandledRejection") {
    globalThis.addEventListener("unhandledrejection", (event) => process.emit(name, event.reason, event.promise));
  } else if (name === "rejectionHandled") {
    globalThis.addEventListener("rejectionhandled", (event) => process.emit(name, event.promise));
  } else {
    return;
  }
  relayed.add(name);
});

// The named exports: every member (EventEmitter's fields too), the stdio
// streams still made only when read.
const exports = { default: process };
for (const key of Object.keys(process)) {
  const { get } = Object.getOwnPropertyDescriptor(process, key);
  if (get) Object.defineProperty(exports, key, { get: () => process[key], enumerable: true, configurable: true });
  else exports[key] = process[key];
}
return exports;
})();
