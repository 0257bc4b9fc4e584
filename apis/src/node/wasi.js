// node:wasi — not available to Workers: as in workerd, the WASI
// constructor checks its options as Node does and then throws
// ERR_METHOD_NOT_IMPLEMENTED.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("wasi");
const {
  codes: { ERR_METHOD_NOT_IMPLEMENTED },
  validateArray,
  validateBoolean,
  validateInt32,
  validateObject,
  validateOneOf,
} = require("internal/errors");

class WASI {
  constructor(options = { version: "unstable" }) {
    validateObject(options, "options");
    validateOneOf(options.version, "options.version", ["unstable", "preview1"]);
    if (options.args !== undefined) validateArray(options.args, "options.args");
    if (options.env !== undefined) validateObject(options.env, "options.env");
    if (options.preopens !== undefined) validateObject(options.preopens, "options.preopens");
    const { stdin = 0, stdout = 1, stderr = 2 } = options;
    validateInt32(stdin, "options.stdin", 0);
    validateInt32(stdout, "options.stdout", 0);
    validateInt32(stderr, "options.stderr", 0);
    if (options.returnOnExit !== undefined) validateBoolean(options.returnOnExit, "options.returnOnExit");
    throw new ERR_METHOD_NOT_IMPLEMENTED("WASI");
  }
  finalizeBindings() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("WASI.finalizeBindings");
  }
  start() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("WASI.start");
  }
  initialize() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("WASI.initialize");
  }
  getImportObject() {
    return {};
  }
}

return { WASI };
})();
