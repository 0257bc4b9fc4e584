// node:process — the `process` of a Worker: an EventEmitter with `env`
// (the Worker's vars and secrets when its compatibility flags say so),
// `nextTick`, `hrtime` and the values libraries check. There is no host
// process behind it: the working directory is `/bundle`, where workerd
// puts a Worker's modules, and what would reach the machine throws.
(function () {
"use strict";
const node = globalThis[Symbol.for("isola.node")].enter("process");
const { require } = node;
const { EventEmitter } = require("events");
const { notImplemented, validateFunction } = require("internal/errors");

const process = new EventEmitter();

const env = {};
if (node.processEnv()) Object.assign(env, node.variables());

function nextTick(callback, ...args) {
  validateFunction(callback, "callback");
  queueMicrotask(() => callback(...args));
}

const NANOS = 1e9;
function hrtime(previous) {
  const now = performance.now();
  const seconds = Math.floor(now / 1e3);
  const nanos = Math.floor((now % 1e3) * 1e6);
  if (previous === undefined) return [seconds, nanos];
  const diff = (seconds - previous[0]) * NANOS + nanos - previous[1];
  return [Math.floor(diff / NANOS), diff % NANOS];
}
hrtime.bigint = () => BigInt(Math.floor(performance.now() * 1e6));

function emitWarning(warning, type, code) {
  if (typeof type === "object" && type !== null) {
    ({ type, code } = type);
  }
  const name = warning instanceof Error ? warning.name : type || "Warning";
  const message = warning instanceof Error ? warning.message : String(warning);
  process.emit("warning", warning instanceof Error ? warning : Object.assign(new Error(message), { name, code }));
  console.warn(`(node) ${code ? `[${code}] ` : ""}${name}: ${message}`);
}

const named = {
  env,
  argv: [],
  argv0: "",
  execArgv: [],
  execPath: "",
  exitCode: undefined,
  version: "v22.14.0",
  versions: { node: "22.14.0" },
  release: { name: "node" },
  platform: "linux",
  arch: "x64",
  title: "workerd",
  pid: 1,
  ppid: 0,
  features: { inspector: false, ipv6: true, tls: true },
  config: { target_defaults: {}, variables: {} },
  allowedNodeEnvironmentFlags: new Set(),
  nextTick,
  hrtime,
  emitWarning,
  cwd: () => "/bundle",
  chdir: notImplemented("process.chdir"),
  umask: () => 0o22,
  uptime: () => performance.now() / 1e3,
  memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 }),
  cpuUsage: () => ({ user: 0, system: 0 }),
  resourceUsage: notImplemented("process.resourceUsage"),
  getBuiltinModule(name) {
    const bare = String(name).replace(/^node:/, "");
    try {
      return require(bare).default ?? require(bare);
    } catch {
      return undefined;
    }
  },
  exit: notImplemented("process.exit"),
  abort: notImplemented("process.abort"),
  kill: notImplemented("process.kill"),
};
Object.assign(process, named);

return { default: process, ...named };
})();
