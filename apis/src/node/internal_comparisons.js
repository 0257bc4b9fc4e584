// Deep equality as node:assert and node:util use it: isDeepEqual is
// assert.deepEqual's loose comparison, isDeepStrictEqual the strict one.
// Internal: reached with require("internal/comparisons").
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/comparisons");
const types = require("util/types");

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const isEnumerable = (o, k) => Object.prototype.propertyIsEnumerable.call(o, k);
const toTag = (o) => Object.prototype.toString.call(o);
const isPrimitive = (v) => v === null || (typeof v !== "object" && typeof v !== "function");

// What kind of contents objEquiv walks besides the own keys.
const PLAIN = 0;
const ARRAY = 1;
const SET = 2;
const MAP = 3;

function isIndex(key) {
  return typeof key === "string" && /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 4294967295;
}

/** Own enumerable keys that are not indices; symbols only when strict. */
function nonIndexKeys(obj, strict) {
  return Reflect.ownKeys(obj).filter((k) =>
    (strict || typeof k === "string") && !isIndex(k) && isEnumerable(obj, k));
}

function isDeepEqual(a, b) {
  return innerEqual(a, b, false, undefined);
}

function isDeepStrictEqual(a, b) {
  return innerEqual(a, b, true, undefined);
}

function innerEqual(a, b, strict, memo) {
  if (a === b) return a !== 0 || !strict || Object.is(a, b);

  if (strict) {
    if (typeof a !== "object") return typeof a === "number" && Number.isNaN(a) && Number.isNaN(b);
    if (typeof b !== "object" || a === null || b === null) return false;
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  } else {
    if (a === null || typeof a !== "object") {
      if (b === null || typeof b !== "object") {
        // eslint-disable-next-line eqeqeq
        return a == b || (Number.isNaN(a) && Number.isNaN(b));
      }
      return false;
    }
    if (b === null || typeof b !== "object") return false;
  }

  const tag = toTag(a);
  if (tag !== toTag(b)) return false;

  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return sameKeysThenContents(a, b, strict, memo, ARRAY, true);
  }
  if (tag === "[object Object]") {
    return sameKeysThenContents(a, b, strict, memo, PLAIN, false);
  }
  if (types.isDate(a)) {
    if (!types.isDate(b) || a.getTime() !== b.getTime()) return false;
  } else if (types.isRegExp(a)) {
    if (!types.isRegExp(b) || a.source !== b.source || a.flags !== b.flags ||
        a.lastIndex !== b.lastIndex) return false;
  } else if (types.isNativeError(a) || a instanceof Error) {
    if (!(types.isNativeError(b) || b instanceof Error) ||
        a.message !== b.message || a.name !== b.name) return false;
    // `cause` and `errors` are usually non-enumerable own properties.
    for (const key of ["cause", "errors"]) {
      if (hasOwn(a, key) !== hasOwn(b, key)) return false;
      if (hasOwn(a, key) && !innerEqual(a[key], b[key], strict, memo)) return false;
    }
  } else if (types.isArrayBufferView(a)) {
    if (!types.isArrayBufferView(b)) return false;
    const floats = types.isFloat32Array(a) || types.isFloat64Array(a);
    if ((!strict && floats) ? !sameFloats(a, b) : !sameBytes(a, b)) return false;
    return sameKeysThenContents(a, b, strict, memo, PLAIN, true);
  } else if (types.isSet(a)) {
    if (!types.isSet(b) || a.size !== b.size) return false;
    return sameKeysThenContents(a, b, strict, memo, SET, false);
  } else if (types.isMap(a)) {
    if (!types.isMap(b) || a.size !== b.size) return false;
    return sameKeysThenContents(a, b, strict, memo, MAP, false);
  } else if (types.isAnyArrayBuffer(a)) {
    if (!types.isAnyArrayBuffer(b) || !sameBytes(new Uint8Array(a), new Uint8Array(b))) return false;
  } else if (types.isBoxedPrimitive(a)) {
    if (!sameBoxedValue(a, b)) return false;
  } else if (Array.isArray(b) || types.isArrayBufferView(b) || types.isSet(b) || types.isMap(b) ||
             types.isDate(b) || types.isRegExp(b) || types.isAnyArrayBuffer(b) ||
             types.isBoxedPrimitive(b) || types.isNativeError(b) || b instanceof Error) {
    return false;
  }
  return sameKeysThenContents(a, b, strict, memo, PLAIN, false);
}

function sameBytes(a, b) {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

// Loose float arrays compare by value: 0 equals -0 and NaN equals nothing.
function sameFloats(a, b) {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameBoxedValue(a, b) {
  const kinds = [
    [types.isNumberObject, (x) => Number.prototype.valueOf.call(x)],
    [types.isStringObject, (x) => String.prototype.valueOf.call(x)],
    [types.isBooleanObject, (x) => Boolean.prototype.valueOf.call(x)],
    [types.isBigIntObject, (x) => BigInt.prototype.valueOf.call(x)],
    [types.isSymbolObject, (x) => Symbol.prototype.valueOf.call(x)],
  ];
  for (const [test, unbox] of kinds) {
    if (test(a)) return test(b) && Object.is(unbox(a), unbox(b));
  }
  return false;
}

/**
 * Compares the own enumerable keys (symbols too when strict), then the
 * contents, guarding against cycles: a pair met again while it is still
 * being compared counts as equal if both sides reached it at the same step.
 */
function sameKeysThenContents(a, b, strict, memo, kind, skipIndices) {
  let keys;
  if (skipIndices) {
    keys = nonIndexKeys(a, strict);
    if (keys.length !== nonIndexKeys(b, strict).length) return false;
  } else {
    keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    if (strict) {
      const symbolsA = Object.getOwnPropertySymbols(a).filter((s) => isEnumerable(a, s));
      const symbolsB = Object.getOwnPropertySymbols(b).filter((s) => isEnumerable(b, s));
      if (symbolsA.length !== symbolsB.length) return false;
      keys.push(...symbolsA);
    }
  }
  for (const key of keys) {
    if (!isEnumerable(b, key)) return false;
  }
  if (keys.length === 0 && (kind === PLAIN || (kind === ARRAY && a.length === 0) ||
      ((kind === SET || kind === MAP) && a.size === 0))) {
    return true;
  }

  if (memo === undefined) {
    memo = { a: new Map(), b: new Map(), step: 0 };
  } else {
    const stepA = memo.a.get(a);
    if (stepA !== undefined) {
      const stepB = memo.b.get(b);
      if (stepB !== undefined) return stepA === stepB;
    }
  }
  const step = ++memo.step;
  const oldA = memo.a.get(a);
  const oldB = memo.b.get(b);
  memo.a.set(a, step);
  memo.b.set(b, step);
  try {
    return sameContents(a, b, strict, keys, memo, kind);
  } finally {
    if (oldA === undefined) memo.a.delete(a);
    else memo.a.set(a, oldA);
    if (oldB === undefined) memo.b.delete(b);
    else memo.b.set(b, oldB);
  }
}

function sameContents(a, b, strict, keys, memo, kind) {
  if (kind === SET) {
    if (!sameSetItems(a, b, strict, memo)) return false;
  } else if (kind === MAP) {
    if (!sameMapEntries(a, b, strict, memo)) return false;
  } else if (kind === ARRAY) {
    for (let i = 0; i < a.length; i++) {
      if (hasOwn(a, i)) {
        if (!hasOwn(b, i) || !innerEqual(a[i], b[i], strict, memo)) return false;
      } else if (hasOwn(b, i)) {
        return false;
      } else {
        // A hole: the array is sparse, so compare what it does hold by key
        // rather than walking a possibly huge length.
        const keysA = Object.keys(a);
        if (keysA.length !== Object.keys(b).length) return false;
        for (const key of keysA) {
          if (!hasOwn(b, key) || !innerEqual(a[key], b[key], strict, memo)) return false;
        }
        return true;
      }
    }
  }
  for (const key of keys) {
    if (!innerEqual(a[key], b[key], strict, memo)) return false;
  }
  return true;
}

/** Pairs off each of `left` with a deep-equal one of `right`, greedily. */
function pairOff(left, right, equal) {
  for (const x of left) {
    const i = right.findIndex((y) => equal(x, y));
    if (i === -1) return false;
    right.splice(i, 1);
  }
  return right.length === 0;
}

function sameSetItems(a, b, strict, memo) {
  // Items both sets hold (by SameValueZero) pair up with themselves; the
  // rest must pair up by deep equality. When strict, a primitive can only
  // ever match itself, so a leftover primitive means a difference.
  const restA = [];
  for (const item of a) {
    if (b.has(item)) continue;
    if (strict && isPrimitive(item)) return false;
    restA.push(item);
  }
  if (restA.length === 0) return true;
  const restB = [];
  for (const item of b) {
    if (a.has(item)) continue;
    if (strict && isPrimitive(item)) return false;
    restB.push(item);
  }
  return pairOff(restA, restB, (x, y) => innerEqual(x, y, strict, memo));
}

function sameMapEntries(a, b, strict, memo) {
  const restA = [];
  const matched = new Set();
  for (const [key, value] of a) {
    if (b.has(key) && innerEqual(value, b.get(key), strict, memo)) {
      matched.add(key);
      continue;
    }
    if (strict && isPrimitive(key)) return false;
    restA.push([key, value]);
  }
  if (restA.length === 0) return true;
  const restB = [];
  for (const [key, value] of b) {
    if (matched.has(key)) continue;
    if (strict && isPrimitive(key)) return false;
    restB.push([key, value]);
  }
  return pairOff(restA, restB, ([ka, va], [kb, vb]) =>
    innerEqual(ka, kb, strict, memo) && innerEqual(va, vb, strict, memo));
}

return { isDeepEqual, isDeepStrictEqual };
})();
