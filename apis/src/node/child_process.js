// node:child_process — a Worker cannot start processes: as in workerd,
// every way of starting one checks its arguments and then throws
// ERR_METHOD_NOT_IMPLEMENTED, and ChildProcess cannot be constructed.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("child_process");
const { EventEmitter } = require("events");
const {
  codes: { ERR_METHOD_NOT_IMPLEMENTED },
  validateArray,
  validateFunction,
  validateObject,
  validateString,
} = require("internal/errors");

const kDispose = Symbol.dispose ?? Symbol.for("nodejs.dispose");

class ChildProcess extends EventEmitter {
  constructor() {
    super();
    throw new ERR_METHOD_NOT_IMPLEMENTED("child_process.ChildProcess");
  }
  // Never reached through an instance, but present for code that inspects
  // the prototype.
  kill() {
    return false;
  }
  send() {
    return false;
  }
  disconnect() {}
  unref() {}
  ref() {}
  [kDispose]() {
    this.kill();
  }
}

/** A function called `name` that throws ERR_METHOD_NOT_IMPLEMENTED. */
function unavailable(name) {
  return {
    [name]() {
      throw new ERR_METHOD_NOT_IMPLEMENTED(`child_process.${name}`);
    },
  }[name];
}

function exec(command, options, callback) {
  validateString(command, "command");
  if (options != null) validateObject(options, "options");
  if (callback != null) validateFunction(callback, "callback");
  throw new ERR_METHOD_NOT_IMPLEMENTED("child_process.exec");
}

function fork(modulePath, args, options) {
  // `fork(path, options)`: the options may come second.
  if (args != null && typeof args === "object" && !Array.isArray(args)) {
    options = args;
  } else if (args != null) {
    validateArray(args, "args");
  }
  if (options != null) validateObject(options, "options");
  throw new ERR_METHOD_NOT_IMPLEMENTED("child_process.fork");
}

function spawnSync(command) {
  validateString(command, "command");
  throw new ERR_METHOD_NOT_IMPLEMENTED("child_process.spawnSync");
}

return {
  ChildProcess,
  _forkChild: unavailable("_forkChild"),
  exec,
  execFile: unavailable("execFile"),
  execFileSync: unavailable("execFileSync"),
  execSync: unavailable("execSync"),
  fork,
  spawn: unavailable("spawn"),
  spawnSync,
};
})();
