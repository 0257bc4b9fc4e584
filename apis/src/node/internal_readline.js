// What node:readline, node:readline/promises and node:repl share: a Worker
// has no terminal, so as in workerd an Interface reads nothing. Questions
// are answered with "", the prompt is empty, writes go nowhere, and
// iterating yields one "" so `for await` loops end at once.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/readline");
const { EventEmitter } = require("events");
const kDispose = Symbol.dispose ?? Symbol.for("nodejs.dispose");
const kAsyncDispose = Symbol.asyncDispose ?? Symbol.for("nodejs.asyncDispose");

// The members both kinds of Interface have.
class Common extends EventEmitter {
  terminal = false;
  line = "";
  cursor = 0;

  getPrompt() {
    return "";
  }
  setPrompt() {}
  prompt() {}
  pause() {
    return this;
  }
  resume() {
    return this;
  }
  close() {}
  write() {}
  getCursorPos() {
    return { rows: 0, cols: 0 };
  }
  [kDispose]() {
    this.close();
  }
  async [kAsyncDispose]() {
    this.close();
  }
  async *[Symbol.asyncIterator]() {
    yield "";
  }
}

/** node:readline's Interface: question() calls back with "". */
class Interface extends Common {
  question(query, options, callback) {
    if (typeof options === "function") options("");
    else if (typeof callback === "function") callback("");
  }
}

/** node:readline/promises' Interface: question() resolves to "". */
class PromisesInterface extends Common {
  question() {
    return Promise.resolve("");
  }
}
Object.defineProperty(PromisesInterface, "name", { value: "Interface" });

/** node:readline/promises' Readline: every edit is accepted and dropped. */
class Readline {
  clearLine() {
    return this;
  }
  clearScreenDown() {
    return this;
  }
  commit() {
    return Promise.resolve();
  }
  cursorTo() {
    return this;
  }
  moveCursor() {
    return this;
  }
  rollback() {
    return this;
  }
}

function createPromisesInterface() {
  return new PromisesInterface();
}
Object.defineProperty(createPromisesInterface, "name", { value: "createInterface" });

return {
  Interface,
  promises: { Interface: PromisesInterface, Readline, createInterface: createPromisesInterface },
};
})();
