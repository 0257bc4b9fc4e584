// node:repl — a Worker has no terminal to run a REPL on: as in workerd,
// start(), writer() and REPLServer throw ERR_METHOD_NOT_IMPLEMENTED, and
// builtinModules lists node:module's public names.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("repl");
const { codes: { ERR_METHOD_NOT_IMPLEMENTED } } = require("internal/errors");
const { promises: { Interface } } = require("internal/readline");

function writer() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("writer");
}
// Node's default inspect options for REPL output.
writer.options = {
  showHidden: false,
  depth: 2,
  colors: true,
  customInspect: true,
  showProxy: true,
  maxArrayLength: 100,
  maxStringLength: 10000,
  breakLength: 80,
  compact: 3,
  sorted: false,
  getters: false,
  numericSeparator: false,
};

function start() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("start");
}

/** Wraps an error to say the input was incomplete rather than wrong. */
class Recoverable extends SyntaxError {
  constructor(err) {
    super();
    this.err = err;
  }
}

class REPLServer extends Interface {
  constructor() {
    super();
    throw new ERR_METHOD_NOT_IMPLEMENTED("REPLServer");
  }
}
for (const name of ["setupHistory", "defineCommand", "displayPrompt", "clearBufferedCommand"]) {
  Object.defineProperty(REPLServer.prototype, name, {
    value: {
      [name]() {
        throw new ERR_METHOD_NOT_IMPLEMENTED(name);
      },
    }[name],
    writable: true,
    configurable: true,
  });
}

// node:module's list without the underscored internals.
const builtinModules = require("module").builtinModules.filter((name) => !name.startsWith("_"));

return {
  writer,
  start,
  Recoverable,
  REPLServer,
  builtinModules,
  _builtinLibs: builtinModules,
  REPL_MODE_SLOPPY: Symbol("repl-sloppy"),
  REPL_MODE_STRICT: Symbol("repl-strict"),
};
})();
