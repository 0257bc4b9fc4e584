// Structured cloning as workerd clones: the engine's serializer
// (`core.serialize`, `structuredClone`), with V8's wording for what cannot
// be cloned (`() => 1 could not be cloned.`) and with errors cloned, which
// the engine's serializer refuses and V8's takes.

import {
  core,
  DOMException,
  messagePort,
  primordials,
} from "ext:isola_global_scope/00_infra.js";

const {
  AggregateError,
  ArrayFrom,
  ArrayIsArray,
  ArrayPrototypeIncludes,
  ArrayPrototypePush,
  Error,
  EvalError,
  MapPrototypeEntries,
  ObjectGetPrototypeOf,
  ObjectHasOwn,
  ObjectKeys,
  ObjectPrototype,
  ObjectValues,
  RangeError,
  ReferenceError,
  SafeMap,
  SafeSet,
  SetPrototypeValues,
  String,
  Symbol,
  SyntaxError,
  TypeError,
  URIError,
} = primordials;

/**
 * `value` as a structured clone's bytes (`core.serialize`), or the
 * `DataCloneError` V8 throws, naming the first value that cannot be cloned
 * (`() => 1 could not be cloned.`), where the engine's own message says
 * less.
 */
export function serialize(value) {
  try {
    return core.serialize(value);
  } catch (error) {
    const culprit = uncloneable(value, new SafeSet());
    if (culprit === NOT_FOUND) {
      throw error;
    }
    throw new DOMException(`${String(culprit)} could not be cloned.`, "DataCloneError");
  }
}

/** `structuredClone()`, its errors worded as by `serialize()`. */
export function structuredClone(value, options = undefined) {
  try {
    return messagePort.structuredClone(value, options);
  } catch (error) {
    if (error?.name !== "DataCloneError") {
      throw error;
    }
    const culprit = uncloneable(value, new SafeSet());
    if (culprit !== NOT_FOUND) {
      throw new DOMException(`${String(culprit)} could not be cloned.`, "DataCloneError");
    }
    // The engine's serializer does not take errors, which V8's does.
    const found = { errors: 0 };
    const marked = markErrors(value, new SafeMap(), found);
    if (found.errors === 0) {
      throw error;
    }
    return reviveErrors(messagePort.structuredClone(marked, options), new SafeMap());
  }
}

/** The key of the plain object an error travels as through a clone. */
const CLONED_ERROR = "__isola_cloned_error__";

/** The error classes V8's serializer keeps; any other error clones as an `Error`. */
const CLONED_ERROR_NAMES = [
  "EvalError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "TypeError",
  "URIError",
];

/** The built-in error classes, by name. */
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

/**
 * A new error with `name` and `message` (one that was cloned or thrown
 * across isolates): of the built-in class of that name, or an `Error`
 * named so.
 */
export function errorNamed(name, message) {
  const known = typeof name === "string" && ObjectHasOwn(ERROR_TYPES, name);
  const error = new (known ? ERROR_TYPES[name] : Error)(message);
  if (!known) {
    error.name = name;
  }
  return error;
}

/**
 * `value` with each error in it (an `Error` or a `DOMException`) replaced
 * by a plain object holding its name, message, stack and kind (counted in
 * `found.errors`); containers are copied, once each (`copies`).
 */
function markErrors(value, copies, found) {
  if (value === null || typeof value !== "object") {
    return value;
  }
  const known = copies.get(value);
  if (known !== undefined) {
    return known;
  }
  if (value instanceof Error || value instanceof DOMException) {
    const marked = {
      [CLONED_ERROR]: [
        String(value.name),
        String(value.message),
        String(value.stack ?? ""),
        value instanceof DOMException,
      ],
    };
    copies.set(value, marked);
    found.errors++;
    return marked;
  }
  let copy;
  if (ArrayIsArray(value)) {
    copy = [];
    copies.set(value, copy);
    for (let i = 0; i < value.length; i++) {
      copy[i] = markErrors(value[i], copies, found);
    }
  } else if (value instanceof Map) {
    copy = new Map();
    copies.set(value, copy);
    for (const [key, item] of MapPrototypeEntries(value)) {
      copy.set(markErrors(key, copies, found), markErrors(item, copies, found));
    }
  } else if (value instanceof Set) {
    copy = new Set();
    copies.set(value, copy);
    for (const item of SetPrototypeValues(value)) {
      copy.add(markErrors(item, copies, found));
    }
  } else if (ObjectGetPrototypeOf(value) === ObjectPrototype || ObjectGetPrototypeOf(value) === null) {
    copy = {};
    copies.set(value, copy);
    for (const key of ObjectKeys(value)) {
      copy[key] = markErrors(value[key], copies, found);
    }
  } else {
    return value;
  }
  return copy;
}

/** The clone of what `markErrors` made, its errors made again, in place. */
function reviveErrors(value, seen) {
  if (value === null || typeof value !== "object" || seen.has(value)) {
    return seen.get(value) ?? value;
  }
  const fields = ObjectHasOwn(value, CLONED_ERROR) ? value[CLONED_ERROR] : null;
  if (ArrayIsArray(fields) && fields.length === 4) {
    const [name, message, stack, isDomException] = fields;
    const error = isDomException
      ? new DOMException(message, name)
      : errorNamed(ArrayPrototypeIncludes(CLONED_ERROR_NAMES, name) ? name : "Error", message);
    error.stack = stack;
    seen.set(value, error);
    return error;
  }
  seen.set(value, value);
  if (ArrayIsArray(value)) {
    for (let i = 0; i < value.length; i++) {
      value[i] = reviveErrors(value[i], seen);
    }
  } else if (value instanceof Map) {
    for (const [key, item] of ArrayFrom(MapPrototypeEntries(value))) {
      const revived = reviveErrors(key, seen);
      if (revived !== key) {
        value.delete(key);
      }
      value.set(revived, reviveErrors(item, seen));
    }
  } else if (value instanceof Set) {
    for (const item of ArrayFrom(SetPrototypeValues(value))) {
      const revived = reviveErrors(item, seen);
      if (revived !== item) {
        value.delete(item);
        value.add(revived);
      }
    }
  } else {
    for (const key of ObjectKeys(value)) {
      value[key] = reviveErrors(value[key], seen);
    }
  }
  return value;
}

const NOT_FOUND = Symbol("not found");

/** The first function or symbol in `value`, depth first, or NOT_FOUND. */
function uncloneable(value, seen) {
  if (typeof value === "function" || typeof value === "symbol") {
    return value;
  }
  if (value === null || typeof value !== "object" || seen.has(value)) {
    return NOT_FOUND;
  }
  seen.add(value);
  let children;
  if (value instanceof Map) {
    children = [];
    for (const [key, item] of MapPrototypeEntries(value)) {
      ArrayPrototypePush(children, key, item);
    }
  } else if (value instanceof Set) {
    children = ArrayFrom(SetPrototypeValues(value));
  } else {
    children = ObjectValues(value);
  }
  for (let i = 0; i < children.length; i++) {
    const found = uncloneable(children[i], seen);
    if (found !== NOT_FOUND) {
      return found;
    }
  }
  return NOT_FOUND;
}
