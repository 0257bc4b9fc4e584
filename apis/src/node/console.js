// node:console — as in workerd: the default export is the Worker's global
// console (given the few fields Node's console carries), the named exports
// are its methods bound to it, and the Console class, console.context()
// and console.createTask() throw ERR_METHOD_NOT_IMPLEMENTED.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("console");
const { codes: { ERR_METHOD_NOT_IMPLEMENTED } } = require("internal/errors");

const globalConsole = globalThis.console;
const noop = () => {};

// Fields code written for Node's console reads.
const process = require("process").default;
Object.assign(globalConsole, {
  _times: new Map(),
  _ignoreErrors: true,
  _stderrErrorHandler: noop,
  _stdoutErrorHandler: noop,
  _stderr: process.stderr,
  _stdout: process.stdout,
});

function Console() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("Console");
}
globalConsole.Console = Console;

const METHODS = [
  "log", "info", "debug", "warn", "error", "dir", "time", "timeEnd",
  "timeLog", "trace", "assert", "clear", "count", "countReset", "group",
  "groupEnd", "table", "dirxml", "groupCollapsed", "profile", "profileEnd",
  "timeStamp",
];

const named = {};
for (const name of METHODS) {
  const method = globalConsole[name];
  // A method the runtime's console lacks does nothing.
  named[name] = typeof method === "function" ? method.bind(globalConsole) : noop;
  Console.prototype[name] = named[name];
}
named.context = function context() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("Console.context");
};
named.createTask = function createTask() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("Console.createTask");
};
for (const name of ["context", "createTask"]) {
  globalConsole[name] = named[name];
  Console.prototype[name] = named[name];
}

return { default: globalConsole, ...named, Console };
})();
