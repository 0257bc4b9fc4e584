// How values cross between Workers over RPC: as structured clones, as
// workerd passes them, with `Error`s (which the engine's serializer does
// not take) carried as their name, message and stack.
//
// The first byte says how the rest was written: 0, a plain structured
// clone; 1, a clone in which each error is an object marked with ERROR.
// The walk that marks errors runs only when the plain clone fails.

import { core, DOMException, primordials } from "ext:isola_global_scope/00_infra.js";

const {
  AggregateError,
  ArrayIsArray,
  ArrayPrototypeMap,
  Error,
  ErrorPrototype,
  EvalError,
  MapPrototypeForEach,
  ObjectEntries,
  ObjectGetPrototypeOf,
  ObjectHasOwn,
  ObjectPrototype,
  ObjectPrototypeIsPrototypeOf,
  RangeError,
  ReferenceError,
  SafeMap,
  SafeSet,
  SetPrototypeForEach,
  SyntaxError,
  TypedArrayPrototypeSet,
  TypedArrayPrototypeSubarray,
  TypeError,
  Uint8Array,
  URIError,
} = primordials;

/** The key that marks an error in a clone written with flag 1. */
const ERROR = "__isolaRpcError";

const ERROR_TYPES = {
  __proto__: null,
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
  AggregateError,
};

/** `value` as bytes another Worker's `rpcDecode` reads. */
export function rpcEncode(value) {
  let flag = 0;
  let bytes;
  try {
    // A thrown error (a DOMException too) always takes the marked path.
    if (ObjectPrototypeIsPrototypeOf(ErrorPrototype, value)) {
      throw value;
    }
    bytes = core.serialize(value);
  } catch {
    flag = 1;
    try {
      bytes = core.serialize(markErrors(value, new SafeMap()));
    } catch (error) {
      throw new DOMException(
        `Could not serialize a value for RPC: ${error.message}. Functions and RpcTarget objects cannot be passed to or from another Worker here.`,
        "DataCloneError",
      );
    }
  }
  const out = new Uint8Array(bytes.length + 1);
  out[0] = flag;
  TypedArrayPrototypeSet(out, bytes, 1);
  return out;
}

/** The value `rpcEncode` wrote into `bytes`. */
export function rpcDecode(bytes) {
  const value = core.deserialize(TypedArrayPrototypeSubarray(bytes, 1));
  return bytes[0] === 1 ? reviveErrors(value, new SafeSet()) : value;
}

/** A copy of `value` with each error a marked plain object. */
function markErrors(value, seen) {
  if (value === null || typeof value !== "object") {
    return value;
  }
  if (ObjectPrototypeIsPrototypeOf(ErrorPrototype, value)) {
    return { [ERROR]: true, name: value.name, message: value.message, stack: value.stack };
  }
  if (seen.has(value)) {
    return seen.get(value);
  }
  if (ArrayIsArray(value)) {
    const copy = [];
    seen.set(value, copy);
    for (let i = 0; i < value.length; i++) {
      copy[i] = markErrors(value[i], seen);
    }
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map();
    seen.set(value, copy);
    MapPrototypeForEach(value, (v, k) => copy.set(markErrors(k, seen), markErrors(v, seen)));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    seen.set(value, copy);
    SetPrototypeForEach(value, (v) => copy.add(markErrors(v, seen)));
    return copy;
  }
  if (ObjectGetPrototypeOf(value) === ObjectPrototype) {
    const copy = {};
    seen.set(value, copy);
    for (const [key, entry] of ObjectEntries(value)) {
      copy[key] = markErrors(entry, seen);
    }
    return copy;
  }
  return value;
}

/** `value` with each marked object made an error again (in place). */
function reviveErrors(value, seen) {
  if (value === null || typeof value !== "object" || seen.has(value)) {
    return value;
  }
  if (ObjectHasOwn(value, ERROR) && value[ERROR] === true) {
    const known = typeof value.name === "string" && ObjectHasOwn(ERROR_TYPES, value.name);
    const error = new (known ? ERROR_TYPES[value.name] : Error)(value.message);
    if (!known) {
      error.name = value.name;
    }
    return error;
  }
  seen.add(value);
  if (ArrayIsArray(value)) {
    return ArrayPrototypeMap(value, (entry) => reviveErrors(entry, seen));
  }
  if (value instanceof Map) {
    const copy = new Map();
    MapPrototypeForEach(value, (v, k) => copy.set(reviveErrors(k, seen), reviveErrors(v, seen)));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    SetPrototypeForEach(value, (v) => copy.add(reviveErrors(v, seen)));
    return copy;
  }
  if (ObjectGetPrototypeOf(value) === ObjectPrototype) {
    for (const [key, entry] of ObjectEntries(value)) {
      value[key] = reviveErrors(entry, seen);
    }
  }
  return value;
}
