// node:domain — domains as workerd has them: they do nothing. run() calls
// the function, bind()/intercept() hand the callback back unchanged, and
// errors are never routed. As in workerd, `create` is a Domain instance
// (not a function) and `active` is always null.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("domain");
const { EventEmitter } = require("events");

EventEmitter.usingDomains = false;

class Domain extends EventEmitter {
  members = undefined;

  // Nothing routes errors here; if something does, the error goes on.
  _errorHandler(error) {
    throw error;
  }
  enter() {}
  exit() {}
  add() {}
  remove() {}
  run(fn, ...args) {
    this.enter();
    const result = Reflect.apply(fn, this, args);
    this.exit();
    return result;
  }
  intercept(callback) {
    return callback;
  }
  bind(callback) {
    return callback;
  }
}

function createDomain() {
  return new Domain();
}

return { Domain, active: null, createDomain, create: createDomain() };
})();
