// A service binding (`env.AUTH`): `fetch()` goes to another Worker of the
// same host (`mod.rs` beside this file), counted as a subrequest as on
// Cloudflare; or, for `env.ASSETS`, to the Worker's static assets. The request body is read whole before the call; the
// response body streams back.

import { op_service_fetch } from "ext:core/ops";
import {
  primordials,
  request as requestNs,
  response as responseNs,
  streams,
} from "ext:isola_global_scope/00_infra.js";
import { registerBinding } from "ext:isola_global_scope/40_env.js";
import {
  currentInvocation,
  takeSubrequest,
  TOO_MANY_SUBREQUESTS,
} from "ext:isola_global_scope/30_events.js";

const { ArrayFrom, Error, Symbol, TypeError, Uint8Array } = primordials;
const { nullBodyStatus } = responseNs;
const { readableStreamForRid } = streams;

const _binding = Symbol("binding");
const _service = Symbol("service");
const _assets = Symbol("assets");

class Fetcher {
  constructor(binding, service, assets) {
    this[_binding] = binding;
    this[_service] = service;
    this[_assets] = assets;
  }

  async fetch(input, init = undefined) {
    const request = new requestNs.Request(input, init);
    // The Worker's own assets are no subrequest and no hop to a Worker.
    if (!this[_assets]) {
      if (!takeSubrequest()) {
        throw new Error(TOO_MANY_SUBREQUESTS);
      }
      const invocation = currentInvocation();
      if (invocation !== null) {
        request.headers.set("cf-ew-via", invocation.subrequestVia());
      }
    }
    const body = request.body === null
      ? new Uint8Array(0)
      : new Uint8Array(await request.arrayBuffer());
    const [status, responseHeaders, rid] = await op_service_fetch(
      this[_binding],
      this[_service],
      this[_assets],
      request.method,
      request.url,
      ArrayFrom(request.headers),
      body,
    );
    const stream = rid === null || nullBodyStatus(status) ? null : readableStreamForRid(rid);
    return new responseNs.Response(stream, { status, headers: responseHeaders });
  }

  connect() {
    throw new TypeError(`Service binding ${this[_binding]}: connect() is not supported.`);
  }
}

export { Fetcher };

registerBinding(
  "service",
  (name, { service, assets }) => new Fetcher(name, service, assets),
);
