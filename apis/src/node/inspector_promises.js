// node:inspector/promises — as in workerd: the inspector console does
// nothing, and open/close/url/waitForDebugger, Session and the Network
// reporters all throw ERR_METHOD_NOT_IMPLEMENTED.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("inspector/promises");
const { stubs, throwing } = require("internal/inspector");
const { console, Network, Session } = stubs();

return {
  close: throwing("close", "Inspector.close"),
  console,
  Network,
  open: throwing("open", "Inspector.open"),
  Session,
  url: throwing("url", "Inspector.url"),
  waitForDebugger: throwing("waitForDebugger", "Inspector.waitForDebugger"),
};
})();
