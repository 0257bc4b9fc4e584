// A service binding (`env.AUTH`): `fetch()` goes to another Worker of the
// same host (`mod.rs` beside this file), counted as a subrequest as on
// Cloudflare; or, for `env.ASSETS`, to the Worker's static assets. Both
// bodies stream: the request's as the other Worker reads it, the
// response's back.
//
// Any other name (`env.AUTH.verify(token)`) is an RPC call to the Worker's
// entrypoint (its default export, or the named one the binding gives), as
// `46_rpc_calls.js` makes them.

import { op_service_fetch, op_service_rpc } from "ext:core/ops";
import {
  core,
  primordials,
  request as requestNs,
  response as responseNs,
  streams,
} from "ext:isola_global_scope/00_infra.js";
import { registerBinding } from "ext:isola_global_scope/40_env.js";
import { adopted, Response } from "ext:isola_websocket/websocket.js";
import { extras, remoteError, streamResource } from "ext:isola_global_scope/45_rpc_values.js";
import { hopHeaders, serviceStub } from "ext:isola_global_scope/46_rpc_calls.js";
import { takeSubrequest, TOO_MANY_SUBREQUESTS } from "ext:isola_global_scope/30_events.js";

const { ArrayFrom, Error, TypeError } = primordials;
const { nullBodyStatus } = responseNs;
const { readableStreamForRid } = streams;

class Fetcher {
  // Only the binding's name crosses to the host, which knows where it
  // leads (`Route` in `mod.rs`); `#loopback` and `#entrypoint` are for
  // `ctx.exports`, whose bindings lead back to this Worker; `#object` is
  // the `[id, name]` of a Durable Object the stub reaches.
  #binding;
  #assets;
  #loopback;
  #entrypoint;
  #object;

  constructor(binding, assets, loopback, entrypoint, object = null) {
    this.#binding = binding;
    this.#assets = assets;
    this.#loopback = loopback;
    this.#entrypoint = entrypoint;
    this.#object = object;
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
    const [status, responseHeaders, rid, socket, thrown] = await op_service_fetch(
      this.#binding,
      this.#loopback,
      this.#object ?? this.#entrypoint,
      request.method,
      request.url,
      ArrayFrom(request.headers),
      streamResource(request.body),
    );
    if (thrown !== null) {
      if (rid !== null) {
        core.tryClose(rid);
      }
      throw remoteError(thrown[0], thrown[1]);
    }
    if (socket !== null) {
      return new Response(null, { status, headers: responseHeaders, webSocket: adopted(socket) });
    }
    const stream = rid === null || nullBodyStatus(status) ? null : readableStreamForRid(rid);
    return new responseNs.Response(stream, { status, headers: responseHeaders });
  }

  connect() {
    throw new TypeError(`Service binding ${this.#binding}: connect() is not supported.`);
  }
}

/** A stub of what `fetcher` reaches: `fetch()`, and RPC for other names. */
function stub(name, fetcher, loopback, entrypoint, object, own = undefined) {
  return serviceStub(
    (path, apply, encoded) =>
      op_service_rpc(
        name,
        loopback,
        object ?? entrypoint,
        path,
        apply,
        hopHeaders(),
        encoded.bytes,
        extras(encoded),
      ),
    fetcher,
    own,
  );
}

/**
 * The binding as Workers code sees it: `fetch()`, and every other name a
 * member of the bound Worker's entrypoint, reached over RPC. `then` is not
 * one, so that the binding itself is no thenable.
 */
function binding(name, { assets, loopback = false, entrypoint = "" }) {
  const fetcher = new Fetcher(name, assets, loopback, entrypoint);
  return assets ? fetcher : stub(name, fetcher, loopback, entrypoint, null);
}

/**
 * A Durable Object's stub, from namespace binding `name`: `id` (and its
 * `name`) are its own, any other name is the object's, over RPC.
 */
export function objectStub(name, id) {
  const object = [id.toString(), id.name ?? null];
  const fetcher = new Fetcher(name, false, false, "", object);
  return stub(name, fetcher, false, "", object, { name: id.name, id });
}

registerBinding("service", binding);
