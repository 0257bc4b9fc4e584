// How values cross between Workers over RPC, as workerd passes them:
// structured clones, except for what crosses otherwise:
// - functions, `RpcTarget` objects and stubs, by reference: each becomes a
//   capability the host carries beside the bytes (`services/rpc.rs`), and
//   a stub on the other side (`46_rpc_calls.js` makes and serves them);
// - `ReadableStream`s, and the bodies of `Request`s and `Response`s, by
//   transfer: the host pumps them to the other isolate;
// - a `WritableStream`, as a stub whose writes reach the stream here;
// - errors (which the engine's serializer does not take), as their name,
//   message and stack.
// Each of these is written into the clone as an object marked with MARK,
// and the first byte of the bytes says whether any is: 0, a plain
// structured clone; 1, a clone to revive.

import {
  core,
  DOMException,
  primordials,
  request as requestNs,
  response as responseNs,
  streams as streamsNs,
} from "ext:isola_global_scope/00_infra.js";
import { errorNamed } from "ext:isola_global_scope/10_cloning.js";

const {
  ArrayBufferIsView,
  ArrayBufferPrototype,
  ArrayFrom,
  ArrayIsArray,
  ArrayPrototypePush,
  BigIntPrototype,
  BooleanPrototype,
  DataView,
  DataViewPrototypeGetUint32,
  DatePrototype,
  ErrorPrototype,
  MapPrototypeForEach,
  NumberPrototype,
  ObjectGetPrototypeOf,
  ObjectHasOwn,
  ObjectKeys,
  ObjectPrototype,
  ObjectPrototypeIsPrototypeOf,
  RegExpPrototype,
  SafeMap,
  SafeSet,
  SetPrototypeForEach,
  StringPrototype,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetByteOffset,
  TypedArrayPrototypeSet,
  TypedArrayPrototypeSubarray,
  TypeError,
  Uint8Array,
} = primordials;
const { Request } = requestNs;
const { Response } = responseNs;
const {
  ReadableStreamPrototype,
  WritableStream,
  getReadableStreamResourceBacking,
  readableStreamForRid,
  resourceForReadableStream,
} = streamsNs;
const WritableStreamPrototype = WritableStream.prototype;

/** The key that marks what crossed otherwise than by structured clone. */
const MARK = "__isolaRpc";

/** Prototypes of the objects the engine's serializer takes as they are. */
const CLONEABLE = new SafeSet([
  ArrayBufferPrototype,
  BigIntPrototype,
  BooleanPrototype,
  DataView,
  DataViewPrototypeGetUint32,
  DatePrototype,
  NumberPrototype,
  RegExpPrototype,
  StringPrototype,
]);

/**
 * The base class of objects passed over RPC by reference: the receiver
 * gets a stub whose calls come back to the object here.
 */
export class RpcTarget {}

/**
 * A `WritableStream` sent over RPC: the receiver's stream writes here, one
 * call per chunk.
 */
class WritableSink extends RpcTarget {
  #writer;

  constructor(stream) {
    super();
    this.#writer = stream.getWriter();
  }

  write(chunk) {
    return this.#writer.write(chunk);
  }

  close() {
    return this.#writer.close();
  }

  abort(reason) {
    return this.#writer.abort(reason);
  }
}

function dataCloneError(message) {
  return new DOMException(message, "DataCloneError");
}

/** Whether `value` is passed by reference: an RpcTarget or a function. */
export function isByReference(value) {
  return typeof value === "function" ||
    (value !== null && typeof value === "object" &&
      ObjectPrototypeIsPrototypeOf(RpcTarget.prototype, value));
}

/** A resource the host reads `stream` (a ReadableStream, or null) from. */
export function streamResource(stream) {
  if (stream === null) {
    return null;
  }
  const backing = getReadableStreamResourceBacking(stream);
  return backing != null ? backing.rid : resourceForReadableStream(stream);
}

/** Whether `array` holds nothing but primitives. */
function primitives(array) {
  for (let i = 0; i < array.length; i++) {
    const entry = array[i];
    if (typeof entry === "function" || (typeof entry === "object" && entry !== null)) {
      return false;
    }
  }
  return true;
}

/**
 * `value` as `{ bytes, caps, streams }` for the host to carry: `capture`
 * turns a function, RpcTarget or stub into a capability (`[0, export id]`
 * or `[1, stub rid]`).
 */
export function rpcEncode(value, capture) {
  const caps = [];
  const streams = [];
  // Copies of the objects walked, made on the first one below the top.
  let seen = null;
  let marked = false;

  const mark = (fields) => {
    marked = true;
    fields[MARK] = true;
    return fields;
  };
  const cap = (target) => ArrayPrototypePush(caps, capture(target)) - 1;
  const stream = (body) => body === null ? -1 : ArrayPrototypePush(streams, streamResource(body)) - 1;

  const walk = (value) => {
    if (typeof value === "function") {
      return mark({ kind: "stub", cap: cap(value) });
    }
    if (value === null || typeof value !== "object") {
      return value;
    }
    // An array of primitives (most calls' arguments) is cloned as it is.
    if (ArrayIsArray(value) && primitives(value)) {
      return value;
    }
    seen ??= new SafeMap();
    const known = seen.get(value);
    if (known !== undefined) {
      return known;
    }
    const proto = ObjectGetPrototypeOf(value);
    if (proto === ObjectPrototype || proto === null) {
      const copy = {};
      seen.set(value, copy);
      const keys = ObjectKeys(value);
      for (let i = 0; i < keys.length; i++) {
        copy[keys[i]] = walk(value[keys[i]]);
      }
      return copy;
    }
    if (ArrayIsArray(value)) {
      const copy = [];
      seen.set(value, copy);
      for (let i = 0; i < value.length; i++) {
        copy[i] = walk(value[i]);
      }
      return copy;
    }
    if (ArrayBufferIsView(value) || CLONEABLE.has(proto)) {
      return value;
    }
    if (ObjectPrototypeIsPrototypeOf(ErrorPrototype, value)) {
      return mark({ kind: "error", name: value.name, message: value.message, stack: value.stack });
    }
    if (ObjectPrototypeIsPrototypeOf(RpcTarget.prototype, value)) {
      return mark({ kind: "stub", cap: cap(value) });
    }
    if (value instanceof Map) {
      const copy = new Map();
      seen.set(value, copy);
      MapPrototypeForEach(value, (v, k) => copy.set(walk(k), walk(v)));
      return copy;
    }
    if (value instanceof Set) {
      const copy = new Set();
      seen.set(value, copy);
      SetPrototypeForEach(value, (v) => copy.add(walk(v)));
      return copy;
    }
    if (ObjectPrototypeIsPrototypeOf(ReadableStreamPrototype, value)) {
      return mark({ kind: "stream", stream: stream(value) });
    }
    if (ObjectPrototypeIsPrototypeOf(WritableStreamPrototype, value)) {
      return mark({ kind: "writable", cap: cap(new WritableSink(value)) });
    }
    if (value instanceof Request) {
      return mark({
        kind: "request",
        method: value.method,
        url: value.url,
        headers: ArrayFrom(value.headers),
        redirect: value.redirect,
        body: stream(value.body),
      });
    }
    if (value instanceof Response) {
      return mark({
        kind: "response",
        status: value.status,
        statusText: value.statusText,
        headers: ArrayFrom(value.headers),
        body: stream(value.body),
      });
    }
    throw dataCloneError(
      `Could not serialize object of type "${value.constructor?.name ?? "Object"}". This type does not support serialization.`,
    );
  };

  const bytes = core.serialize(walk(value));
  const out = new Uint8Array(bytes.length + 1);
  out[0] = marked ? 1 : 0;
  TypedArrayPrototypeSet(out, bytes, 1);
  return { bytes: out, caps, streams };
}

/** What the host takes beside an encoded value's bytes: null when nothing. */
export function extras(encoded) {
  return encoded.caps.length === 0 && encoded.streams.length === 0 ? null : encoded;
}

/**
 * An answer or arguments as the host lays them out (`to_js` in
 * `services/rpc.rs`): `{ kind, bytes, caps, streams }`, the resources
 * those the host added for the value's stubs and streams.
 */
export function fromHost(buffer) {
  if (buffer[1] === 0) {
    return { kind: buffer[0], bytes: TypedArrayPrototypeSubarray(buffer, 2), caps: [], streams: [] };
  }
  const view = new DataView(
    TypedArrayPrototypeGetBuffer(buffer),
    TypedArrayPrototypeGetByteOffset(buffer),
    TypedArrayPrototypeGetByteLength(buffer),
  );
  const capCount = DataViewPrototypeGetUint32(view, 2, true);
  const streamCount = DataViewPrototypeGetUint32(view, 6, true);
  const rids = (start, count) => {
    const out = [];
    for (let i = 0; i < count; i++) {
      out[i] = DataViewPrototypeGetUint32(view, start + 4 * i, true);
    }
    return out;
  };
  const capsAt = 10;
  const streamsAt = capsAt + 4 * capCount;
  return {
    kind: buffer[0],
    bytes: TypedArrayPrototypeSubarray(buffer, streamsAt + 4 * streamCount),
    caps: rids(capsAt, capCount),
    streams: rids(streamsAt, streamCount),
  };
}

/**
 * An error another Worker threw (`name`, `message`), as workerd rebuilds
 * it: of the built-in class of that name, marked `remote`.
 */
export function remoteError(name, message) {
  const error = errorNamed(name, message);
  error.remote = true;
  return error;
}

/**
 * The value `rpcEncode` wrote, from what the host handed over (`{ bytes,
 * caps, streams }`, capabilities and streams as resources); `stub` makes
 * a stub of a capability.
 */
export function rpcDecode({ bytes, caps, streams }, stub) {
  const value = core.deserialize(TypedArrayPrototypeSubarray(bytes, 1));
  if (bytes[0] !== 1) {
    return value;
  }
  const body = (index) => index < 0 ? null : readableStreamForRid(streams[index]);
  const revive = (marked) => {
    switch (marked.kind) {
      case "error": {
        return remoteError(marked.name, marked.message);
      }
      case "stub":
        return stub(caps[marked.cap]);
      case "stream":
        return body(marked.stream);
      case "writable": {
        const sink = stub(caps[marked.cap]);
        return new WritableStream({
          write: (chunk) => {
            if (!ArrayBufferIsView(chunk) && !ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, chunk)) {
              throw new TypeError(
                "This WritableStream came over RPC and is a byte stream: write bytes (a string can be UTF-8-encoded with TextEncoder).",
              );
            }
            return sink.write(chunk);
          },
          close: () => sink.close(),
          abort: (reason) => sink.abort(reason),
        });
      }
      case "request":
        return new Request(marked.url, {
          method: marked.method,
          headers: marked.headers,
          redirect: marked.redirect,
          body: body(marked.body),
          duplex: "half",
        });
      case "response":
        return new Response(body(marked.body), {
          status: marked.status,
          statusText: marked.statusText,
          headers: marked.headers,
        });
    }
    return marked;
  };
  const seen = new SafeSet();
  const walk = (value) => {
    if (value === null || typeof value !== "object" || seen.has(value)) {
      return value;
    }
    if (ObjectHasOwn(value, MARK) && value[MARK] === true) {
      return revive(value);
    }
    seen.add(value);
    if (ArrayIsArray(value)) {
      for (let i = 0; i < value.length; i++) {
        value[i] = walk(value[i]);
      }
    } else if (value instanceof Map) {
      const entries = ArrayFrom(value);
      value.clear();
      for (let i = 0; i < entries.length; i++) {
        value.set(walk(entries[i][0]), walk(entries[i][1]));
      }
    } else if (value instanceof Set) {
      const entries = ArrayFrom(value);
      value.clear();
      for (let i = 0; i < entries.length; i++) {
        value.add(walk(entries[i]));
      }
    } else if (ObjectGetPrototypeOf(value) === ObjectPrototype) {
      const keys = ObjectKeys(value);
      for (let i = 0; i < keys.length; i++) {
        value[keys[i]] = walk(value[keys[i]]);
      }
    }
    return value;
  };
  return walk(value);
}
