// cloudflare:node — httpServerHandler(), which turns a node:http Server
// listening on a port (server.listen(port) enters it in a table; no socket
// is opened) into a Worker's `fetch` handler, and handleAsNodeRequest(),
// which serves one Request so. Shares node:http's gate.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("http");
const { portMapper } = require("internal/http_server");

function validatePort(port) {
  if (!Number.isFinite(port) || port < 0 || port > 65535) {
    throw new Error("Failed to determine port for server");
  }
  return port;
}

/** Serves `request` with the Server listening on `desc` (a port, or `{ port }`). */
async function handleAsNodeRequest(desc, request, env, ctx) {
  if (typeof desc === "number") desc = { port: desc };
  const port = validatePort(desc?.port);
  const handler = portMapper.get(port);
  if (!handler) {
    const error = new Error(`Http server with port ${port} not found. This is likely a bug with your code. ` +
      `You should check if server.listen() was called with the same port (${port})`);
    error.code = "ERR_INVALID_ARG_VALUE";
    throw error;
  }
  return await handler.fetch(request, env, ctx);
}

/**
 * A `{ fetch }` handler for the Server on `desc`: a port, `{ port }`, or the
 * Server itself (whose port is read from address(), calling listen() first
 * when it does not listen yet). The Server is looked up on each request.
 */
function httpServerHandler(desc) {
  if (typeof desc === "number") desc = { port: desc };
  if (desc == null) throw new Error("Server descriptor cannot be null or undefined");
  let port = null;
  if (desc.port == null && typeof desc.listen === "function") {
    port = desc.address()?.port;
    if (typeof port !== "number") {
      desc.listen();
      port = desc.address()?.port;
    }
  } else if (typeof desc.port === "number") {
    port = desc.port;
  }
  port = validatePort(typeof port === "number" ? port : null);
  return {
    async fetch(request, env, ctx) {
      return await handleAsNodeRequest(port, request, env, ctx);
    },
  };
}

return { handleAsNodeRequest, httpServerHandler };
})();
