// node:inspector — a Worker has no inspector to open: as in workerd,
// open/close/waitForDebugger do nothing, url() is undefined, the inspector
// console does nothing and Session cannot be constructed. (workerd's local
// development flag `enable_nodejs_inspector_local_dev`, which gives a real
// Session, is not offered.)
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("inspector");
const { console, Network, Session } = require("internal/inspector").stubs();
const kDispose = Symbol.dispose ?? Symbol.for("nodejs.dispose");

function open() {
  // Something to `using`, releasing nothing.
  return {
    [kDispose]() {
      return Promise.resolve();
    },
  };
}

return {
  Session,
  close() {},
  console,
  open,
  url() {
    return undefined;
  },
  waitForDebugger() {},
  Network,
};
})();
