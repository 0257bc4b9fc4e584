// `KVNamespace`: Workers KV as a binding (`env.MY_KV`).
//
// The ops (`ops.rs` beside this file) check Cloudflare's limits and do the
// storage work off the isolate's thread; this class gives them the shape
// Workers code expects: value types, bulk reads, `getWithMetadata`, list
// pages. Errors keep workerd's types and wording.

import {
  op_kv_delete,
  op_kv_get,
  op_kv_get_bulk,
  op_kv_list,
  op_kv_put,
} from "ext:core/ops";
import {
  bytesToArrayBuffer,
  encoding,
  primordials,
  response as responseNs,
  streams,
} from "ext:isola_global_scope/00_infra.js";
import { registerBinding } from "ext:isola_global_scope/40_env.js";

const {
  ArrayBufferIsView,
  ArrayBufferPrototype,
  ArrayIsArray,
  Error,
  JSONParse,
  JSONStringify,
  Map,
  MapPrototypeSet,
  ObjectPrototypeIsPrototypeOf,
  String,
  TypeError,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetByteOffset,
  Uint8Array,
} = primordials;
const { TextDecoder, TextEncoder } = encoding;
const { ReadableStream, ReadableStreamPrototype } = streams;
const { Response } = responseNs;

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const UNKNOWN_TYPE =
  'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".';
const BAD_VALUE =
  "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.";

/** `get`'s second argument: a type name or `{ type, cacheTtl }`. */
function readOptions(options) {
  if (typeof options === "string") {
    return { type: options, cacheTtl: undefined };
  }
  return { type: options?.type ?? "text", cacheTtl: options?.cacheTtl };
}

/** A stored value as `type`; the type is checked only once a value exists. */
function decodeValue(bytes, type) {
  switch (type) {
    case "text":
      return decoder.decode(bytes);
    case "json":
      return JSONParse(decoder.decode(bytes));
    case "arrayBuffer":
      return bytesToArrayBuffer(bytes);
    case "stream":
      return new ReadableStream({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      });
    default:
      throw new TypeError(UNKNOWN_TYPE);
  }
}

function parseMetadata(json) {
  return json === null || json === undefined ? null : JSONParse(json);
}

/** The bytes of a value `put` accepts. */
async function valueBytes(value) {
  if (typeof value === "string") {
    return encoder.encode(value);
  }
  if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, value)) {
    return new Uint8Array(value);
  }
  if (ArrayBufferIsView(value)) {
    return new Uint8Array(
      TypedArrayPrototypeGetBuffer(value),
      TypedArrayPrototypeGetByteOffset(value),
      TypedArrayPrototypeGetByteLength(value),
    );
  }
  if (ObjectPrototypeIsPrototypeOf(ReadableStreamPrototype, value)) {
    return new Uint8Array(await new Response(value).arrayBuffer());
  }
  if (value !== null && (typeof value === "object" || typeof value === "function")) {
    throw new TypeError(BAD_VALUE);
  }
  return encoder.encode(String(value));
}

export class KVNamespace {
  #binding;

  constructor(binding) {
    this.#binding = binding;
  }

  async get(key, options = undefined) {
    const { type, cacheTtl } = readOptions(options);
    if (ArrayIsArray(key)) {
      const map = new Map();
      for (const [name, entry] of await this.#getBulk(key, type, cacheTtl)) {
        MapPrototypeSet(map, name, entry === null ? null : entry.value);
      }
      return map;
    }
    const stored = await op_kv_get(this.#binding, String(key), cacheTtl);
    return stored === null ? null : decodeValue(stored[0], type);
  }

  async getWithMetadata(key, options = undefined) {
    const { type, cacheTtl } = readOptions(options);
    if (ArrayIsArray(key)) {
      const map = new Map();
      for (const [name, entry] of await this.#getBulk(key, type, cacheTtl)) {
        MapPrototypeSet(map, name, entry);
      }
      return map;
    }
    const stored = await op_kv_get(this.#binding, String(key), cacheTtl);
    if (stored === null) {
      return { value: null, metadata: null, cacheStatus: null };
    }
    return {
      value: decodeValue(stored[0], type),
      metadata: parseMetadata(stored[1]),
      cacheStatus: null,
    };
  }

  /** `[key, { value, metadata } or null]` for each key, in order. */
  async #getBulk(keys, type, cacheTtl) {
    const names = [];
    for (let i = 0; i < keys.length; i++) {
      names[i] = String(keys[i]);
    }
    const stored = await op_kv_get_bulk(this.#binding, names, type, cacheTtl);
    const entries = [];
    for (let i = 0; i < names.length; i++) {
      const entry = stored[i];
      if (entry === null) {
        entries[i] = [names[i], null];
        continue;
      }
      let value = entry[0];
      if (type === "json") {
        try {
          value = JSONParse(value);
        } catch {
          throw new Error(
            "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value",
          );
        }
      }
      entries[i] = [names[i], { value, metadata: parseMetadata(entry[1]) }];
    }
    return entries;
  }

  async put(key, value, options = undefined) {
    const bytes = await valueBytes(value);
    const metadata = options?.metadata;
    await op_kv_put(this.#binding, String(key), bytes, {
      metadata: metadata === null || metadata === undefined
        ? null
        : JSONStringify(metadata),
      expiration: options?.expiration ?? null,
      expirationTtl: options?.expirationTtl ?? null,
    });
  }

  async delete(key) {
    await op_kv_delete(this.#binding, String(key));
  }

  async list(options = undefined) {
    const page = await op_kv_list(this.#binding, {
      prefix: options?.prefix ?? null,
      limit: options?.limit ?? null,
      cursor: options?.cursor ?? null,
    });
    const keys = [];
    for (const [name, expiration, metadata] of page.keys) {
      const key = { name };
      if (expiration !== null) {
        key.expiration = expiration;
      }
      if (metadata !== null) {
        key.metadata = JSONParse(metadata);
      }
      keys.push(key);
    }
    const result = { keys, list_complete: page.cursor === null };
    if (page.cursor !== null) {
      result.cursor = page.cursor;
    }
    result.cacheStatus = null;
    return result;
  }
}

registerBinding("kv_namespace", (name) => new KVNamespace(name));
