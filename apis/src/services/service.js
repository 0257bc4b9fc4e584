// A service binding (`env.AUTH`): `fetch()` goes to another Worker of the
// same host (`mod.rs` beside this file), counted as a subrequest as on
// Cloudflare; or, for `env.ASSETS`, to the Worker's static assets. Both
// bodies stream: the request's as the other Worker reads it, the
// response's back.
//
// Any other method (`env.AUTH.verify(token)`) is an RPC call to the
// Worker's entrypoint (its default export, or the named one the binding
// gives): the arguments and the result cross as structured clones, and
// what the method throws is thrown here.

import { op_service_fetch, op_service_rpc } from "ext:core/ops";
import {
  core,
  primordials,
  request as requestNs,
  response as responseNs,
  streams,
} from "ext:isola_global_scope/00_infra.js";
import { registerBinding } from "ext:isola_global_scope/40_env.js";
import { rpcDecode, rpcEncode } from "ext:isola_global_scope/45_rpc_values.js";
import {
  currentInvocation,
  takeSubrequest,
  TOO_MANY_SUBREQUESTS,
} from "ext:isola_global_scope/30_events.js";

const {
  ArrayFrom,
  Error,
  FunctionPrototypeBind,
  Proxy,
  ReflectGet,
  ReflectHas,
  TypeError,
  TypedArrayPrototypeSubarray,
  Uint8Array,
} = primordials;
const { nullBodyStatus } = responseNs;
const { getReadableStreamResourceBacking, readableStreamForRid, resourceForReadableStream } =
  streams;

/** A resource the host reads `body` (a ReadableStream, or null) from. */
function bodyResource(body) {
  if (body === null) {
    return null;
  }
  const backing = getReadableStreamResourceBacking(body);
  return backing != null ? backing.rid : resourceForReadableStream(body);
}

/** Headers a call to another Worker carries: one less hop for the loop limit. */
function hopHeaders() {
  const invocation = currentInvocation();
  return invocation === null ? [] : [["cf-ew-via", invocation.subrequestVia()]];
}

class Fetcher {
  // Only the binding's name crosses to the host, which knows where it
  // leads (`Route` in `mod.rs`); `#loopback` and `#entrypoint` are for
  // `ctx.exports`, whose bindings lead back to this Worker.
  #binding;
  #assets;
  #loopback;
  #entrypoint;

  constructor(binding, assets, loopback, entrypoint) {
    this.#binding = binding;
    this.#assets = assets;
    this.#loopback = loopback;
    this.#entrypoint = entrypoint;
  }

  async fetch(input, init = undefined) {
    const request = new requestNs.Request(input, init);
    // The Worker's own assets are no subrequest and no hop to a Worker.
    if (!this.#assets) {
      if (!takeSubrequest()) {
        throw new Error(TOO_MANY_SUBREQUESTS);
      }
      for (const [name, value] of hopHeaders()) {
        request.headers.set(name, value);
      }
    }
    const [status, responseHeaders, rid] = await op_service_fetch(
      this.#binding,
      this.#loopback,
      this.#entrypoint,
      request.method,
      request.url,
      ArrayFrom(request.headers),
      bodyResource(request.body),
    );
    const stream = rid === null || nullBodyStatus(status) ? null : readableStreamForRid(rid);
    return new responseNs.Response(stream, { status, headers: responseHeaders });
  }

  connect() {
    throw new TypeError(`Service binding ${this.#binding}: connect() is not supported.`);
  }
}

/** Calls `method` of `fetcher`'s entrypoint with `args`. */
async function call(binding, loopback, entrypoint, method, args) {
  if (!takeSubrequest()) {
    throw new Error(TOO_MANY_SUBREQUESTS);
  }
  const answer = await op_service_rpc(
    binding,
    loopback,
    entrypoint,
    method,
    hopHeaders(),
    rpcEncode(args),
  );
  const rest = TypedArrayPrototypeSubarray(answer, 1);
  switch (answer[0]) {
    case 0:
      return rpcDecode(rest);
    case 1:
      throw rpcDecode(rest);
    default:
      throw new Error(core.decode(rest));
  }
}

/**
 * The binding as Workers code sees it: `fetch()`, and every other name a
 * method called over RPC. `then` is not one, so that the binding itself is
 * no thenable.
 */
function binding(name, { assets, loopback = false, entrypoint = "" }) {
  const fetcher = new Fetcher(name, assets, loopback, entrypoint);
  if (assets) {
    return fetcher;
  }
  return new Proxy(fetcher, {
    get(target, property, receiver) {
      if (typeof property === "symbol" || ReflectHas(target, property)) {
        const value = ReflectGet(target, property, receiver);
        return typeof value === "function" ? FunctionPrototypeBind(value, target) : value;
      }
      if (property === "then") {
        return undefined;
      }
      return (...args) => call(name, loopback, entrypoint, property, args);
    },
  });
}

export { Fetcher };

registerBinding("service", binding);
