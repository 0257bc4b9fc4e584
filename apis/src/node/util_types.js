// node:util/types — type checks by brand (internal slot) where plain
// JavaScript can test one, so a faked Symbol.toStringTag does not fool them.
// isProxy asks the engine; isExternal is always false (no host objects are
// externals here).
(function () {
"use strict";
const { require, engine } = globalThis[Symbol.for("isola.node")].enter("util/types");

const isObjectLike = (x) => (typeof x === "object" && x !== null) || typeof x === "function";
const getter = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get;

/** True if calling `fn` with `x` as `this` does not throw: a brand check. */
function branded(fn, x, ...args) {
  if (!isObjectLike(x)) return false;
  try {
    fn.call(x, ...args);
    return true;
  } catch {
    return false;
  }
}

// The %TypedArray% toStringTag getter returns the kind's name for a real
// typed array and undefined for anything else, without throwing.
const typedArrayTag = getter(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag);
function typedArrayKind(x) {
  return isObjectLike(x) ? typedArrayTag.call(x) : undefined;
}

const mapSize = getter(Map.prototype, "size");
const setSize = getter(Set.prototype, "size");
const arrayBufferByteLength = getter(ArrayBuffer.prototype, "byteLength");
const sharedArrayBufferByteLength = typeof SharedArrayBuffer === "function"
  ? getter(SharedArrayBuffer.prototype, "byteLength") : undefined;
// `buffer`, unlike `byteLength`, does not throw for a detached buffer.
const dataViewBuffer = getter(DataView.prototype, "buffer");
// `global` throws for non-RegExps and is undefined for RegExp.prototype.
const regExpGlobal = getter(RegExp.prototype, "global");

const isDate = (x) => branded(Date.prototype.getTime, x);
const isRegExp = (x) => {
  if (!isObjectLike(x)) return false;
  try {
    return typeof regExpGlobal.call(x) === "boolean";
  } catch {
    return false;
  }
};
const isMap = (x) => branded(mapSize, x);
const isSet = (x) => branded(setSize, x);
const isWeakMap = (x) => branded(WeakMap.prototype.has, x, {});
const isWeakSet = (x) => branded(WeakSet.prototype.has, x, {});
const isArrayBuffer = (x) => branded(arrayBufferByteLength, x);
const isSharedArrayBuffer = (x) => sharedArrayBufferByteLength !== undefined && branded(sharedArrayBufferByteLength, x);
const isAnyArrayBuffer = (x) => isArrayBuffer(x) || isSharedArrayBuffer(x);
const isArrayBufferView = (x) => ArrayBuffer.isView(x);
const isTypedArray = (x) => typedArrayKind(x) !== undefined;
const isDataView = (x) => branded(dataViewBuffer, x);

const isNumberObject = (x) => typeof x === "object" && branded(Number.prototype.valueOf, x);
const isStringObject = (x) => typeof x === "object" && branded(String.prototype.valueOf, x);
const isBooleanObject = (x) => typeof x === "object" && branded(Boolean.prototype.valueOf, x);
const isBigIntObject = (x) => typeof x === "object" && branded(BigInt.prototype.valueOf, x);
const isSymbolObject = (x) => typeof x === "object" && branded(Symbol.prototype.valueOf, x);
const isBoxedPrimitive = (x) => isNumberObject(x) || isStringObject(x) || isBooleanObject(x) ||
  isBigIntObject(x) || isSymbolObject(x);

/** True if `proto` is on the prototype chain of `x`. */
const inherits = (x, proto) => isObjectLike(x) && Object.prototype.isPrototypeOf.call(proto, x);

// Functions and iterators have no side-effect-free brand check, so these go
// by the hidden intrinsic prototypes (only an explicit setPrototypeOf fools
// them). As in V8, async generator functions count as both async and
// generator functions.
const AsyncFunctionPrototype = Object.getPrototypeOf(async function () {});
const GeneratorFunctionPrototype = Object.getPrototypeOf(function* () {});
const AsyncGeneratorFunctionPrototype = Object.getPrototypeOf(async function* () {});
const GeneratorPrototype = GeneratorFunctionPrototype.prototype;
const AsyncGeneratorPrototype = AsyncGeneratorFunctionPrototype.prototype;
const MapIteratorPrototype = Object.getPrototypeOf(new Map().entries());
const SetIteratorPrototype = Object.getPrototypeOf(new Set().values());

const isAsyncFunction = (x) => typeof x === "function" &&
  (inherits(x, AsyncFunctionPrototype) || inherits(x, AsyncGeneratorFunctionPrototype));
const isGeneratorFunction = (x) => typeof x === "function" &&
  (inherits(x, GeneratorFunctionPrototype) || inherits(x, AsyncGeneratorFunctionPrototype));
const isGeneratorObject = (x) => typeof x === "object" &&
  (inherits(x, GeneratorPrototype) || inherits(x, AsyncGeneratorPrototype));
const isMapIterator = (x) => typeof x === "object" && inherits(x, MapIteratorPrototype);
const isSetIterator = (x) => typeof x === "object" && inherits(x, SetIteratorPrototype);

// Promise.prototype.then checks the brand before anything else, then reads
// `constructor`. A throwing own `constructor`, put on for the call and taken
// off after, stops it there, so the check neither calls a thenable's `then`
// nor marks a rejected promise as handled (as Promise.resolve or a real
// `then` call would).
const probeStop = Symbol("probe");
function isPromise(x) {
  if (!isObjectLike(x)) return false;
  const own = Object.getOwnPropertyDescriptor(x, "constructor");
  if ((own !== undefined && !own.configurable) || !Object.isExtensible(x)) {
    return inherits(x, Promise.prototype); // cannot probe: trust the prototype
  }
  Object.defineProperty(x, "constructor", {
    configurable: true,
    get() {
      throw probeStop;
    },
  });
  try {
    Promise.prototype.then.call(x);
    return true; // not reached
  } catch (e) {
    return e === probeStop;
  } finally {
    if (own === undefined) delete x.constructor;
    else Object.defineProperty(x, "constructor", own);
  }
}

function isNativeError(x) {
  if (typeof Error.isError === "function") return Error.isError(x);
  if (typeof x !== "object" || x === null) return false;
  // Without Error.isError, the built-in [[ErrorData]] tag is the best test;
  // an own or inherited Symbol.toStringTag would hide it, so reject those.
  return x[Symbol.toStringTag] === undefined && Object.prototype.toString.call(x) === "[object Error]";
}

function isArgumentsObject(x) {
  return typeof x === "object" && x !== null && x[Symbol.toStringTag] === undefined &&
    Object.prototype.toString.call(x) === "[object Arguments]";
}

function isModuleNamespaceObject(x) {
  if (typeof x !== "object" || x === null || Object.getPrototypeOf(x) !== null) return false;
  const tag = Object.getOwnPropertyDescriptor(x, Symbol.toStringTag);
  return tag !== undefined && tag.value === "Module" && !tag.writable;
}

function isCryptoKey(x) {
  return typeof CryptoKey === "function" && x instanceof CryptoKey;
}

function isKeyObject(x) {
  if (!isObjectLike(x)) return false;
  let KeyObject;
  try {
    // Lazily: node:crypto may require this module, and may not exist.
    KeyObject = require("crypto").KeyObject;
  } catch {
    return false;
  }
  return typeof KeyObject === "function" && x instanceof KeyObject;
}

// Plain JavaScript cannot tell a Proxy from its target, nor meet an External.
const isProxy = (x) => isObjectLike(x) && engine.isProxy(x);
const isExternal = (_x) => false;

const kind = (name) => (x) => typedArrayKind(x) === name;

return {
  isExternal,
  isDate,
  isArgumentsObject,
  isBigIntObject,
  isBooleanObject,
  isNumberObject,
  isStringObject,
  isSymbolObject,
  isNativeError,
  isRegExp,
  isAsyncFunction,
  isGeneratorFunction,
  isGeneratorObject,
  isPromise,
  isMap,
  isSet,
  isMapIterator,
  isSetIterator,
  isWeakMap,
  isWeakSet,
  isArrayBuffer,
  isDataView,
  isSharedArrayBuffer,
  isProxy,
  isModuleNamespaceObject,
  isAnyArrayBuffer,
  isBoxedPrimitive,
  isArrayBufferView,
  isTypedArray,
  isUint8Array: kind("Uint8Array"),
  isUint8ClampedArray: kind("Uint8ClampedArray"),
  isUint16Array: kind("Uint16Array"),
  isUint32Array: kind("Uint32Array"),
  isInt8Array: kind("Int8Array"),
  isInt16Array: kind("Int16Array"),
  isInt32Array: kind("Int32Array"),
  isFloat16Array: kind("Float16Array"),
  isFloat32Array: kind("Float32Array"),
  isFloat64Array: kind("Float64Array"),
  isBigInt64Array: kind("BigInt64Array"),
  isBigUint64Array: kind("BigUint64Array"),
  isKeyObject,
  isCryptoKey,
};
})();
