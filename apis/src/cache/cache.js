// The Cache API as Workers have it: `caches.default` and
// `caches.open(name)`, each a `Cache` whose `put` follows Cloudflare's
// rules (`bindings` crate, `cache.rs`) and whose `match` answers with
// `cf-cache-status: HIT`. Responses are kept in the state directory.

import { op_cache_delete, op_cache_match, op_cache_put } from "ext:core/ops";
import {
  primordials,
  request as requestNs,
  response as responseNs,
  webidl,
} from "ext:isola_global_scope/00_infra.js";

const {
  ArrayFrom,
  ArrayPrototypeSome,
  ObjectPrototypeIsPrototypeOf,
  String,
  StringPrototypeSplit,
  StringPrototypeTrim,
  Symbol,
  TypeError,
  Uint8Array,
} = primordials;

const construct = Symbol("isola.cache.construct");

function toRequest(request) {
  return ObjectPrototypeIsPrototypeOf(requestNs.Request.prototype, request)
    ? request
    : new requestNs.Request(request);
}

class Cache {
  #name;

  constructor(key, name) {
    if (key !== construct) {
      webidl.illegalConstructor();
    }
    this.#name = name;
  }

  async match(request, options = undefined) {
    request = toRequest(request);
    if (request.method !== "GET" && !options?.ignoreMethod) {
      return undefined;
    }
    const hit = await op_cache_match(this.#name, request.url, ArrayFrom(request.headers));
    if (hit === null) {
      return undefined;
    }
    const [status, headers, body] = hit;
    const response = new responseNs.Response(
      responseNs.nullBodyStatus(status) ? null : body,
      { status, headers },
    );
    response.headers.set("cf-cache-status", "HIT");
    return response;
  }

  async put(request, response) {
    request = toRequest(request);
    if (!ObjectPrototypeIsPrototypeOf(responseNs.Response.prototype, response)) {
      throw new TypeError("Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.");
    }
    if (request.method !== "GET") {
      throw new TypeError("Cannot cache response to non-GET request.");
    }
    if (response.status === 206) {
      throw new TypeError("Cannot cache response to a range request (206 Partial Content).");
    }
    const vary = response.headers.get("vary");
    if (
      vary !== null &&
      ArrayPrototypeSome(StringPrototypeSplit(vary, ","), (v) => StringPrototypeTrim(v) === "*")
    ) {
      throw new TypeError("Cannot cache response with 'Vary: *' header.");
    }
    if (response.bodyUsed) {
      throw new TypeError("Cannot cache response: its body was already used.");
    }
    const body = new Uint8Array(await response.arrayBuffer());
    await op_cache_put(
      this.#name,
      request.url,
      ArrayFrom(request.headers),
      response.status,
      ArrayFrom(response.headers),
      body,
    );
  }

  async delete(request, options = undefined) {
    request = toRequest(request);
    if (request.method !== "GET" && !options?.ignoreMethod) {
      return false;
    }
    return await op_cache_delete(this.#name, request.url);
  }
}

class CacheStorage {
  #default;

  constructor(key) {
    if (key !== construct) {
      webidl.illegalConstructor();
    }
    // The default cache's name cannot collide with one given to open().
    this.#default = new Cache(construct, "\0default");
  }

  get default() {
    return this.#default;
  }

  async open(name) {
    return new Cache(construct, String(name));
  }
}

const caches = new CacheStorage(construct);

export { Cache, caches, CacheStorage };
