// node:assert — the assert function and its methods, AssertionError, and
// assert.strict. Differences from Node: a falsy ok() without a message says
// "false == true" (Node quotes the call's source text, which is not
// available here), the diff in messages is a plain line diff, and there is
// no CallTracker (deprecated in Node).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("assert");
const {
  codes: {
    ERR_AMBIGUOUS_ARGUMENT,
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_RETURN_VALUE,
    ERR_MISSING_ARGS,
  },
  validateFunction,
  validateObject,
} = require("internal/errors");
const { inspect } = require("internal/inspect");
const { isDeepStrictEqual } = require("internal/comparisons");
const types = require("util/types");

// ---------------------------------------------------------------------------
// AssertionError

const READABLE = {
  deepStrictEqual: "Expected values to be strictly deep-equal:",
  strictEqual: "Expected values to be strictly equal:",
  strictEqualObject: 'Expected "actual" to be reference-equal to "expected":',
  notIdentical: "Values have same structure but are not reference-equal:",
};

const isObject = (v) => typeof v === "object" && v !== null;

/** One key per line, sorted, fully expanded: what the messages show. */
function inspectValue(value) {
  return inspect(value, {
    compact: false,
    customInspect: false,
    depth: 1000,
    maxArrayLength: Infinity,
    showHidden: false,
    showProxy: false,
    sorted: true,
    getters: true,
  });
}

/**
 * A line diff of two inspected values (longest common subsequence), each
 * changed block as its "+" (actual) lines then its "-" (expected) lines.
 * Lines that differ only by a trailing comma count as equal. Long runs of
 * equal lines keep two lines at each end around a "...".
 */
function lineDiff(actualLines, expectedLines) {
  const bare = (line) => (line.endsWith(",") ? line.slice(0, -1) : line);
  const n = actualLines.length;
  const m = expectedLines.length;
  const rows = [];
  if (n * m > 4e6) {
    for (const line of actualLines) rows.push(`+ ${line}`);
    for (const line of expectedLines) rows.push(`- ${line}`);
    return { text: rows.join("\n"), skipped: false };
  }
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i][j] = bare(actualLines[i]) === bare(expectedLines[j])
        ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  let plus = [];
  let minus = [];
  let common = [];
  let skipped = false;
  const flushChanges = () => {
    rows.push(...plus.map((l) => `+ ${l}`), ...minus.map((l) => `- ${l}`));
    plus = [];
    minus = [];
  };
  const flushCommon = () => {
    if (common.length > 5) {
      rows.push(...common.slice(0, 2).map((l) => `  ${l}`), "...", ...common.slice(-2).map((l) => `  ${l}`));
      skipped = true;
    } else {
      rows.push(...common.map((l) => `  ${l}`));
    }
    common = [];
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && bare(actualLines[i]) === bare(expectedLines[j])) {
      flushChanges();
      const a = actualLines[i++];
      const b = expectedLines[j++];
      common.push(a.length >= b.length ? a : b);
    } else {
      flushCommon();
      if (j >= m || (i < n && table[i + 1][j] >= table[i][j + 1])) plus.push(actualLines[i++]);
      else minus.push(expectedLines[j++]);
    }
  }
  flushChanges();
  flushCommon();
  return { text: rows.join("\n"), skipped };
}

/** The message for strictEqual and deepStrictEqual failures. */
function diffMessage(actual, expected, operator, custom) {
  if (operator === "strictEqual" && custom === undefined) {
    const a = inspect(actual);
    if (isObject(actual) && a === inspect(expected)) {
      return `Values have the same structure but are not reference-equal:\n\n    ${a}\n`;
    }
    if (!isObject(actual) && !isObject(expected)) {
      // As workerd words it: two strings as they are, other values inspected.
      const strings = typeof actual === "string" && typeof expected === "string";
      const [a, e] = strings ? [actual, expected] : [inspect(actual), inspect(expected)];
      return "Values are not strictly equal:\n\n\n[Diff] Actual / Expected\n\n\n" +
        `-   ${a}\n+   ${e}\n${strings ? "\n" : ""}`;
    }
  }
  if (operator === "deepStrictEqual") {
    // Values that print on one line each: the two lines, and a caret under
    // the first difference.
    const a = inspect(actual);
    const e = inspect(expected);
    if (!a.includes("\n") && !e.includes("\n") && a !== e) {
      let i = 0;
      while (a[i] === e[i]) i++;
      return `${custom ?? READABLE.deepStrictEqual}\n+ actual - expected\n\n+ ${a}\n- ${e}\n${" ".repeat(i + 2)}^`;
    }
  }
  if (operator === "strictEqual" &&
      ((isObject(actual) && isObject(expected)) ||
       (typeof actual === "function" && typeof expected === "function"))) {
    operator = "strictEqualObject";
  }
  const header = custom ?? READABLE[operator];
  const a = inspectValue(actual);
  const e = inspectValue(expected);
  const aLines = a.split("\n");
  const eLines = e.split("\n");
  let indicator = "";
  if (aLines.length === 1 && eLines.length === 1 && a !== e) {
    const length = a.length + e.length;
    if (length <= 12) {
      if (!isObject(actual) && !isObject(expected) && (actual !== 0 || expected !== 0)) {
        return `${header}\n\n${a} !== ${e}\n`;
      }
    } else if (operator !== "strictEqualObject" && length < 80) {
      // Point at the first differing character.
      let i = 0;
      while (a[i] === e[i]) i++;
      if (i > 2) indicator = `\n  ${" ".repeat(i)}^`;
    }
  }
  if (a === e) {
    const lines = aLines.length > 50 ? [...aLines.slice(0, 46), "..."] : aLines;
    return `${custom ?? READABLE.notIdentical}\n\n${lines.join("\n")}\n`;
  }
  const diff = lineDiff(aLines, eLines);
  const legend = `+ actual - expected${diff.skipped ? " ... Lines skipped" : ""}`;
  return `${header}\n${legend}\n\n${diff.text}${indicator}`;
}

function generatedMessage(actual, expected, operator) {
  if (operator === "deepStrictEqual" || operator === "strictEqual") {
    return diffMessage(actual, expected, operator);
  }
  if (operator === "notStrictEqual") return "Expected actual to be strictly unequal to expected";
  if (operator === "notDeepStrictEqual") return "Expected actual to not be deeply strictly equal to expected";
  let a = inspectValue(actual);
  let e = inspectValue(expected);
  if (a.length > 512) a = `${a.slice(0, 509)}...`;
  if (e.length > 512) e = `${e.slice(0, 509)}...`;
  return `${a} ${operator} ${e}`;
}

/** An error's own keys and message, without its stack, for messages. */
function copyError(source) {
  const copy = Object.create(Object.getPrototypeOf(source));
  for (const key of Object.keys(source)) copy[key] = source[key];
  return Object.defineProperty(copy, "message", { value: source.message });
}

class AssertionError extends Error {
  constructor(options) {
    validateObject(options, "options");
    const { message, operator, stackStartFn, actual, expected } = options;
    // Two errors compare by their contents; their stacks would only differ.
    const bothErrors = actual instanceof Error && expected instanceof Error && "stack" in actual && "stack" in expected;
    const shownActual = bothErrors ? copyError(actual) : actual;
    const shownExpected = bothErrors ? copyError(expected) : expected;
    let text;
    if (message == null) {
      text = generatedMessage(shownActual, shownExpected, operator);
    } else if (operator === "deepStrictEqual" || operator === "strictEqual") {
      // A custom message replaces the header; the comparison stays.
      text = diffMessage(shownActual, shownExpected, operator, String(message));
    } else {
      text = String(message);
    }
    super(text);
    this.generatedMessage = !message;
    // The stack is captured under the long name, then `name` is shortened.
    Object.defineProperty(this, "name", {
      value: "AssertionError [ERR_ASSERTION]",
      enumerable: false,
      writable: true,
      configurable: true,
    });
    this.code = "ERR_ASSERTION";
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
    if (typeof Error.captureStackTrace === "function") {
      Error.captureStackTrace(this, stackStartFn || new.target);
    }
    // V8 writes "name: message" atop the frames when the stack is first
    // read; engines that keep only the frames get that header here.
    if (typeof this.stack === "string" && /^\s+at /.test(this.stack)) {
      this.stack = `${this.name}: ${text}\n${this.stack}`;
    }
    void this.stack;
    this.name = "AssertionError";
  }

  toString() {
    return `${this.name} [${this.code}]: ${this.message}`;
  }

  [inspect.custom](recurseTimes, ctx) {
    // Long actual/expected strings would drown the message: shorten them.
    const shorten = (v) => (typeof v === "string" && v.length > 128 ? `${v.slice(0, 125)}...` : v);
    const { actual, expected } = this;
    this.actual = shorten(actual);
    this.expected = shorten(expected);
    try {
      return inspect(this, { ...ctx, customInspect: false, depth: 0 });
    } finally {
      this.actual = actual;
      this.expected = expected;
    }
  }
}

function innerFail(details) {
  if (details.message instanceof Error) throw details.message;
  throw new AssertionError(details);
}

// ---------------------------------------------------------------------------
// The assertions

function innerOk(fn, argCount, value, message) {
  if (value) return;
  let generated = false;
  if (argCount === 0) {
    generated = true;
    message = "No value argument passed to `assert.ok()`";
  } else if (message == null) {
    generated = true; // AssertionError words it "<value> == true"
  } else if (message instanceof Error) {
    throw message;
  }
  const err = new AssertionError({ actual: value, expected: true, message, operator: "==", stackStartFn: fn });
  err.generatedMessage = generated;
  throw err;
}

function ok(...args) {
  innerOk(ok, args.length, ...args);
}
const assert = ok;

function requireTwo(count) {
  if (count < 2) throw new ERR_MISSING_ARGS("actual", "expected");
}

// workerd compares strictly in every mode: `equal`, `notEqual`,
// `deepEqual` and `notDeepEqual` are the strict comparisons, failing with
// the strict operators' messages.
function equal(actual, expected, message) {
  requireTwo(arguments.length);
  if (!Object.is(actual, expected)) {
    innerFail({ actual, expected, message, operator: "strictEqual", stackStartFn: equal });
  }
}

function notEqual(actual, expected, message) {
  requireTwo(arguments.length);
  if (Object.is(actual, expected)) {
    innerFail({ actual, expected, message, operator: "notStrictEqual", stackStartFn: notEqual });
  }
}

function deepEqual(actual, expected, message) {
  requireTwo(arguments.length);
  if (!isDeepStrictEqual(actual, expected)) {
    innerFail({ actual, expected, message, operator: "deepStrictEqual", stackStartFn: deepEqual });
  }
}

function notDeepEqual(actual, expected, message) {
  requireTwo(arguments.length);
  if (isDeepStrictEqual(actual, expected)) {
    innerFail({ actual, expected, message, operator: "notDeepStrictEqual", stackStartFn: notDeepEqual });
  }
}

function deepStrictEqual(actual, expected, message) {
  requireTwo(arguments.length);
  if (!isDeepStrictEqual(actual, expected)) {
    innerFail({ actual, expected, message, operator: "deepStrictEqual", stackStartFn: deepStrictEqual });
  }
}

function notDeepStrictEqual(actual, expected, message) {
  requireTwo(arguments.length);
  if (isDeepStrictEqual(actual, expected)) {
    innerFail({ actual, expected, message, operator: "notDeepStrictEqual", stackStartFn: notDeepStrictEqual });
  }
}

// partialDeepStrictEqual as workerd has it: every property, element, entry
// or member of `expected` must be in `actual` and strictly deep-equal there
// (arrays index by index; Set members and Map keys by isDeepStrictEqual);
// `actual` may hold more.
function isPartialDeepStrictEqual(actual, expected, comparing = new Map()) {
  if (expected === null || typeof expected !== "object") return Object.is(actual, expected);
  if (actual === null || typeof actual !== "object") return false;
  // A pair already under comparison further up counts as equal: cycles end.
  let against = comparing.get(actual);
  if (against?.has(expected)) return true;
  if (against === undefined) comparing.set(actual, (against = new Set()));
  against.add(expected);
  try {
    return partiallyContains(actual, expected, comparing);
  } finally {
    against.delete(expected);
    if (against.size === 0) comparing.delete(actual);
  }
}

function partiallyContains(actual, expected, comparing) {
  const partial = (a, e) => isPartialDeepStrictEqual(a, e, comparing);
  if (expected instanceof Date) return actual instanceof Date && actual.getTime() === expected.getTime();
  if (expected instanceof RegExp) {
    return actual instanceof RegExp && actual.source === expected.source &&
      actual.flags === expected.flags && actual.lastIndex === expected.lastIndex;
  }
  if (expected instanceof Error) {
    return actual instanceof Error && actual.name === expected.name && actual.message === expected.message;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return false;
    for (let i = 0; i < expected.length; i++) {
      if (i in expected && (!(i in actual) || !partial(actual[i], expected[i]))) return false;
    }
    return true;
  }
  if (expected instanceof Set) {
    if (!(actual instanceof Set)) return false;
    for (const wanted of expected) {
      if (![...actual].some((have) => isDeepStrictEqual(wanted, have))) return false;
    }
    return true;
  }
  if (expected instanceof Map) {
    if (!(actual instanceof Map)) return false;
    for (const [key, wanted] of expected) {
      const entry = [...actual].find(([have]) => isDeepStrictEqual(key, have));
      if (entry === undefined || !partial(entry[1], wanted)) return false;
    }
    return true;
  }
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) return false;
  for (const key of Object.keys(expected)) {
    if (!(key in actual) || !partial(actual[key], expected[key])) return false;
  }
  for (const sym of Object.getOwnPropertySymbols(expected)) {
    if (Object.prototype.propertyIsEnumerable.call(expected, sym) &&
        (!(sym in actual) || !partial(actual[sym], expected[sym]))) {
      return false;
    }
  }
  return true;
}

function partialDeepStrictEqual(actual, expected, message) {
  requireTwo(arguments.length);
  if (isPartialDeepStrictEqual(actual, expected)) return;
  // As in workerd, the message (an Error too) is always text here.
  throw new AssertionError({
    actual,
    expected,
    message: message ? `${message}` : "Expected actual to be partially deeply strictly equal to expected",
    operator: "partialDeepStrictEqual",
    stackStartFn: partialDeepStrictEqual,
  });
}

function strictEqual(actual, expected, message) {
  requireTwo(arguments.length);
  if (!Object.is(actual, expected)) {
    innerFail({ actual, expected, message, operator: "strictEqual", stackStartFn: strictEqual });
  }
}

function notStrictEqual(actual, expected, message) {
  requireTwo(arguments.length);
  if (Object.is(actual, expected)) {
    innerFail({ actual, expected, message, operator: "notStrictEqual", stackStartFn: notStrictEqual });
  }
}

let warnFailArgs;
function fail(actual, expected, message, operator, stackStartFn) {
  const count = arguments.length;
  let internal = false;
  if (actual == null && count <= 1) {
    internal = true;
    message = "Failed";
  } else if (count === 1) {
    message = actual;
    actual = undefined;
  } else {
    // Warned through util.deprecate, once (DEP0094).
    warnFailArgs ??= require("util").deprecate(() => {}, "assert.fail() with more than one argument is " +
      "deprecated. Please use assert.strictEqual() instead or only pass a message.", "DEP0094");
    warnFailArgs();
    if (count === 2) operator = "!=";
  }
  if (message instanceof Error) throw message;
  const err = new AssertionError({
    actual,
    expected,
    operator: operator === undefined ? "fail" : operator,
    stackStartFn: stackStartFn || fail,
    message,
  });
  if (internal) err.generatedMessage = true;
  throw err;
}

// ---------------------------------------------------------------------------
// throws, rejects and their negations

const NO_EXCEPTION = Symbol("no exception");
const ERROR_KINDS = ["Object", "Error", "Function", "RegExp"];
const isError = (e) => types.isNativeError(e) || e instanceof Error;

function getActual(fn) {
  validateFunction(fn, "fn");
  try {
    fn();
  } catch (e) {
    return e;
  }
  return NO_EXCEPTION;
}

function isPromiseLike(value) {
  return types.isPromise(value) ||
    (isObject(value) && typeof value.then === "function" && typeof value.catch === "function");
}

async function waitForActual(promiseFn) {
  let promise;
  if (typeof promiseFn === "function") {
    promise = promiseFn();
    if (!isPromiseLike(promise)) {
      throw new ERR_INVALID_RETURN_VALUE("instance of Promise", "promiseFn", promise);
    }
  } else if (isPromiseLike(promiseFn)) {
    promise = promiseFn;
  } else {
    throw new ERR_INVALID_ARG_TYPE("promiseFn", ["Function", "Promise"], promiseFn);
  }
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return NO_EXCEPTION;
}

/** The own (or named) keys of an object to compare against, as a class
 *  the diff can name. */
class Comparison {
  constructor(obj, keys, actual) {
    for (const key of keys) {
      if (!(key in obj)) continue;
      if (actual !== undefined && typeof actual[key] === "string" && types.isRegExp(obj[key]) &&
          RegExp.prototype.exec.call(obj[key], actual[key]) !== null) {
        this[key] = actual[key];
      } else {
        this[key] = obj[key];
      }
    }
  }
}

function compareExceptionKey(actual, expected, key, message, keys, fn) {
  if (key in actual && isDeepStrictEqual(actual[key], expected[key])) return;
  if (!message) {
    const err = new AssertionError({
      actual: new Comparison(actual, keys),
      expected: new Comparison(expected, keys, actual),
      operator: "deepStrictEqual",
      stackStartFn: fn,
    });
    err.actual = actual;
    err.expected = expected;
    err.operator = fn.name;
    throw err;
  }
  innerFail({ actual, expected, message, operator: fn.name, stackStartFn: fn });
}

/** Checks a caught `actual` against `expected`: a RegExp, an object of
 *  properties, an Error class, or a validation function. */
function expectedException(actual, expected, message, fn) {
  let generated = false;
  if (typeof expected !== "function") {
    if (types.isRegExp(expected)) {
      const str = String(actual);
      if (RegExp.prototype.exec.call(expected, str) !== null) return;
      if (!message) {
        generated = true;
        message = `The input did not match the regular expression ${inspect(expected)}. Input:\n\n${inspect(str)}\n`;
      }
    } else if (!isObject(actual)) {
      const err = new AssertionError({ actual, expected, message, operator: "deepStrictEqual", stackStartFn: fn });
      err.operator = fn.name;
      throw err;
    } else {
      const keys = Object.keys(expected);
      if (expected instanceof Error) keys.push("name", "message");
      else if (keys.length === 0) throw new ERR_INVALID_ARG_VALUE("error", expected, "may not be an empty object");
      for (const key of keys) {
        if (typeof actual[key] === "string" && types.isRegExp(expected[key]) &&
            RegExp.prototype.exec.call(expected[key], actual[key]) !== null) {
          continue;
        }
        compareExceptionKey(actual, expected, key, message, keys, fn);
      }
      return;
    }
  } else if (expected.prototype !== undefined && actual instanceof expected) {
    return;
  } else if (Object.prototype.isPrototypeOf.call(Error, expected)) {
    if (!message) {
      generated = true;
      message = `The error is expected to be an instance of "${expected.name}". Received `;
      if (isError(actual)) {
        const name = actual.constructor?.name || actual.name;
        message += expected.name === name ? "an error with identical name but a different prototype." : `"${name}"`;
        if (actual.message) message += `\n\nError message:\n\n${actual.message}`;
      } else {
        message += `"${inspect(actual, { depth: -1 })}"`;
      }
    }
  } else {
    const result = expected.call({}, actual);
    if (result === true) return;
    if (!message) {
      generated = true;
      const name = expected.name ? `"${expected.name}" ` : "";
      message = `The ${name}validation function is expected to return "true". Received ${inspect(result)}`;
      if (isError(actual)) message += `\n\nCaught error:\n\n${actual}`;
    }
  }
  const err = new AssertionError({ actual, expected, message, operator: fn.name, stackStartFn: fn });
  err.generatedMessage = generated;
  throw err;
}

function expectsError(fn, actual, ...rest) {
  let [error, message] = rest;
  if (typeof error === "string") {
    if (rest.length === 2) throw new ERR_INVALID_ARG_TYPE("error", ERROR_KINDS, error);
    if (isObject(actual)) {
      if (actual.message === error) {
        throw new ERR_AMBIGUOUS_ARGUMENT("error/message", `The error message "${actual.message}" is identical to the message.`);
      }
    } else if (actual === error) {
      throw new ERR_AMBIGUOUS_ARGUMENT("error/message", `The error "${actual}" is identical to the message.`);
    }
    message = error;
    error = undefined;
  } else if (error != null && typeof error !== "object" && typeof error !== "function") {
    throw new ERR_INVALID_ARG_TYPE("error", ERROR_KINDS, error);
  }
  if (actual === NO_EXCEPTION) {
    let details = error && error.name ? ` (${error.name})` : "";
    details += message ? `: ${message}` : ".";
    const what = fn === rejects ? "rejection" : "exception";
    innerFail({ actual: undefined, expected: error, operator: fn.name, message: `Missing expected ${what}${details}`, stackStartFn: fn });
  }
  if (error) expectedException(actual, error, message, fn);
}

function matchesError(actual, expected) {
  if (typeof expected !== "function") {
    if (types.isRegExp(expected)) return RegExp.prototype.exec.call(expected, String(actual)) !== null;
    throw new ERR_INVALID_ARG_TYPE("expected", ["Function", "RegExp"], expected);
  }
  if (expected.prototype !== undefined && actual instanceof expected) return true;
  if (Object.prototype.isPrototypeOf.call(Error, expected)) return false;
  return expected.call({}, actual) === true;
}

function expectsNoError(fn, actual, error, message) {
  if (actual === NO_EXCEPTION) return;
  if (typeof error === "string") {
    message = error;
    error = undefined;
  }
  if (!error || matchesError(actual, error)) {
    const details = message ? `: ${message}` : ".";
    const what = fn === doesNotReject ? "rejection" : "exception";
    innerFail({
      actual,
      expected: error,
      operator: fn.name,
      message: `Got unwanted ${what}${details}\nActual message: "${actual && actual.message}"`,
      stackStartFn: fn,
    });
  }
  throw actual;
}

function throws(fn, ...args) {
  expectsError(throws, getActual(fn), ...args);
}

async function rejects(promiseFn, ...args) {
  expectsError(rejects, await waitForActual(promiseFn), ...args);
}

function doesNotThrow(fn, ...args) {
  expectsNoError(doesNotThrow, getActual(fn), ...args);
}

async function doesNotReject(promiseFn, ...args) {
  expectsNoError(doesNotReject, await waitForActual(promiseFn), ...args);
}

function ifError(err) {
  if (err === null || err === undefined) return;
  let message = "ifError got unwanted exception: ";
  if (isObject(err) && typeof err.message === "string") {
    message += err.message.length === 0 && err.constructor ? err.constructor.name : err.message;
  } else {
    message += inspect(err);
  }
  throw new AssertionError({ actual: err, expected: null, operator: "ifError", message, stackStartFn: ifError });
}

function internalMatch(string, regexp, message, fn) {
  if (!types.isRegExp(regexp)) throw new ERR_INVALID_ARG_TYPE("regexp", "RegExp", regexp);
  const wanted = fn === match;
  if (typeof string === "string" && (RegExp.prototype.exec.call(regexp, string) !== null) === wanted) return;
  if (message instanceof Error) throw message;
  const generated = !message;
  if (!message) {
    message = typeof string !== "string"
      ? `The "string" argument must be of type string. Received type ${typeof string} (${inspect(string)})`
      : `actual: "${string}" expected to ${wanted ? "match" : "not match"}: "${regexp}"`;
  }
  const err = new AssertionError({ actual: string, expected: regexp, message, operator: fn.name, stackStartFn: fn });
  err.generatedMessage = generated;
  throw err;
}

function match(string, regexp, message) {
  internalMatch(string, regexp, message, match);
}

function doesNotMatch(string, regexp, message) {
  internalMatch(string, regexp, message, doesNotMatch);
}

// ---------------------------------------------------------------------------
// The module

Object.assign(assert, {
  fail,
  AssertionError,
  ok,
  equal,
  notEqual,
  deepEqual,
  notDeepEqual,
  deepStrictEqual,
  notDeepStrictEqual,
  partialDeepStrictEqual,
  strictEqual,
  notStrictEqual,
  throws,
  rejects,
  doesNotThrow,
  doesNotReject,
  ifError,
  match,
  doesNotMatch,
});

/** assert.strict: the same assertions (all strict already). */
function strict(...args) {
  innerOk(strict, args.length, ...args);
}
Object.assign(strict, assert);
assert.strict = strict;
strict.strict = strict;

const exports = { default: assert };
for (const key of Object.keys(assert)) exports[key] = assert[key];
return exports;
})();
