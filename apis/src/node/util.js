// node:util — format, inspect, promisify and friends. Differences from
// Node: debuglog loggers are always disabled no-ops, styleText always emits
// the escape codes, and callbackify calls back on a microtask.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("util");
const {
  codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_FALSY_VALUE_REJECTION },
  validateFunction,
  validateObject,
  validateString,
} = require("internal/errors");
const { inspect, formatNumber, formatBigInt, stripAnsi } = require("internal/inspect");
const { isDeepStrictEqual } = require("internal/comparisons");
const types = require("util/types");

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

// ---------------------------------------------------------------------------
// format

// The ECMAScript constructors: an object whose toString comes from one of
// their prototypes is inspected by %s rather than stringified.
const builtInConstructors = new Set([
  "Object", "Function", "Array", "Number", "Boolean", "String", "Symbol", "BigInt", "Date",
  "RegExp", "Error", "AggregateError", "EvalError", "RangeError", "ReferenceError",
  "SyntaxError", "TypeError", "URIError", "Map", "Set", "WeakMap", "WeakSet", "WeakRef",
  "FinalizationRegistry", "Promise", "Proxy", "ArrayBuffer", "SharedArrayBuffer", "DataView",
  "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
  "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
]);

function hasBuiltInToString(value) {
  if (typeof value.toString !== "function") return true;
  if (hasOwn(value, "toString")) return false;
  let holder = value;
  do {
    holder = Object.getPrototypeOf(holder);
  } while (holder !== null && !hasOwn(holder, "toString"));
  if (holder === null) return true;
  const ctor = Object.getOwnPropertyDescriptor(holder, "constructor")?.value;
  return typeof ctor === "function" && builtInConstructors.has(ctor.name) && globalThis[ctor.name] === ctor;
}

function stringifyJSON(value) {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof TypeError && /circular/i.test(err.message)) return "[Circular]";
    throw err;
  }
}

function numberLike(value, parse) {
  if (typeof value === "bigint") return formatBigInt(value);
  if (typeof value === "symbol") return "NaN";
  return formatNumber(parse(value));
}

/** The text for one %-directive, consuming `arg`. */
function directive(letter, arg, inspectOptions) {
  switch (letter) {
    case "s":
      if (typeof arg === "number") return formatNumber(arg);
      if (typeof arg === "bigint") return formatBigInt(arg);
      if (typeof arg !== "object" || arg === null || !hasBuiltInToString(arg)) return String(arg);
      return inspect(arg, { ...inspectOptions, depth: 0, colors: false, compact: 3 });
    case "j": return stringifyJSON(arg);
    case "d": return numberLike(arg, Number);
    case "i": return numberLike(arg, Number.parseInt);
    case "f": return typeof arg === "symbol" ? "NaN" : formatNumber(Number.parseFloat(arg));
    case "O": return inspect(arg, inspectOptions);
    case "o": return inspect(arg, { ...inspectOptions, showHidden: true, showProxy: true, depth: 4 });
    default: return ""; // %c: CSS, ignored
  }
}

function formatArgs(inspectOptions, args) {
  const first = args[0];
  let str = "";
  let rest = 0; // the first argument not yet consumed
  if (typeof first === "string") {
    if (args.length === 1) return first;
    let used = 0;
    let touched = false;
    // Each "%x" pair is one token, left to right, as Node scans them.
    const replaced = first.replace(/%([\s\S])/g, (token, letter) => {
      if (letter === "%") {
        touched = true;
        return "%";
      }
      if (used + 1 >= args.length || !"sjdiOocf".includes(letter)) return token;
      touched = true;
      used++;
      return directive(letter, args[used], inspectOptions);
    });
    if (touched) {
      str = replaced;
      rest = used + 1;
    }
  }
  let join = rest > 0 ? " " : "";
  for (let i = rest; i < args.length; i++) {
    const value = args[i];
    str += join + (typeof value === "string" ? value : inspect(value, inspectOptions));
    join = " ";
  }
  return str;
}

function format(...args) {
  return formatArgs(undefined, args);
}

function formatWithOptions(inspectOptions, ...args) {
  validateObject(inspectOptions, "inspectOptions", { allowArray: true });
  return formatArgs(inspectOptions, args);
}

// ---------------------------------------------------------------------------
// Functions around callbacks and promises

const promisifyCustom = Symbol.for("nodejs.util.promisify.custom");

function promisify(original) {
  validateFunction(original, "original");
  if (original[promisifyCustom]) {
    const fn = original[promisifyCustom];
    validateFunction(fn, "util.promisify.custom");
    return Object.defineProperty(fn, promisifyCustom, { value: fn, configurable: true });
  }
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      Reflect.apply(original, this, [...args, (err, value) => (err ? reject(err) : resolve(value))]);
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
  Object.defineProperty(promisified, promisifyCustom, { value: promisified, configurable: true });
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = promisifyCustom;

function callbackify(original) {
  validateFunction(original, "original");
  function callbackified(...args) {
    const last = args.pop();
    validateFunction(last, "last argument");
    const cb = last.bind(this);
    Reflect.apply(original, this, args).then(
      (value) => queueMicrotask(() => cb(null, value)),
      (reason) => queueMicrotask(() => {
        if (!reason) {
          // A falsy reason would read as success to the callback.
          const wrapped = new ERR_FALSY_VALUE_REJECTION();
          wrapped.reason = reason;
          reason = wrapped;
        }
        cb(reason);
      }),
    );
  }
  const descriptors = Object.getOwnPropertyDescriptors(original);
  if (typeof descriptors.length?.value === "number") descriptors.length.value++;
  if (typeof descriptors.name?.value === "string") descriptors.name.value += "Callbackified";
  Object.setPrototypeOf(callbackified, Object.getPrototypeOf(original));
  return Object.defineProperties(callbackified, descriptors);
}

function inherits(ctor, superCtor) {
  if (ctor === undefined || ctor === null) throw new ERR_INVALID_ARG_TYPE("ctor", "Function", ctor);
  if (superCtor === undefined || superCtor === null) {
    throw new ERR_INVALID_ARG_TYPE("superCtor", "Function", superCtor);
  }
  if (superCtor.prototype === undefined) {
    throw new ERR_INVALID_ARG_TYPE("superCtor.prototype", "Object", superCtor.prototype);
  }
  Object.defineProperty(ctor, "super_", { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

/** The `process` object if this runtime has node:process, else undefined. */
function processModule() {
  try {
    const mod = require("process");
    return mod.default ?? mod;
  } catch {
    return undefined;
  }
}

/** Emits a DeprecationWarning through process.emitWarning when there is
 *  one (so "warning" listeners see it), else straight to console.warn. */
function warn(msg, code) {
  const process = processModule();
  if (process?.noDeprecation === true) return;
  if (typeof process?.emitWarning === "function") {
    process.emitWarning(msg, "DeprecationWarning", code);
  } else {
    console.warn(`${code !== undefined ? `[${code}] ` : ""}DeprecationWarning: ${msg}`);
  }
}

const warnedCodes = new Set();
function deprecate(fn, msg, code) {
  validateFunction(fn, "fn");
  if (code !== undefined) validateString(code, "code");
  if (processModule()?.noDeprecation === true) return fn;
  let warned = false;
  function deprecated(...args) {
    if (!warned) {
      warned = true;
      // One warning per code, however many functions share it.
      const fresh = code === undefined || !warnedCodes.has(code);
      if (code !== undefined) warnedCodes.add(code);
      if (fresh) warn(msg, code);
    }
    if (new.target) return Reflect.construct(fn, args, new.target);
    return Reflect.apply(fn, this, args);
  }
  Object.setPrototypeOf(deprecated, fn);
  if (fn.prototype) deprecated.prototype = fn.prototype;
  return deprecated;
}

/** NODE_DEBUG does not exist here, so every section is disabled. */
function debuglog(section, cb) {
  let first = true;
  function logger() {
    if (first) {
      first = false;
      if (typeof cb === "function") cb(logger);
    }
  }
  Object.defineProperty(logger, "enabled", { get: () => false, enumerable: true, configurable: true });
  return logger;
}

// ---------------------------------------------------------------------------
// Strings

function toUSVString(input) {
  const str = `${input}`;
  if (typeof str.toWellFormed === "function") return str.toWellFormed();
  return str.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

function stripVTControlCharacters(str) {
  validateString(str, "str");
  return stripAnsi(str);
}

function styleText(format, text) {
  validateString(text, "text");
  let open = "";
  let close = "";
  for (const key of Array.isArray(format) ? format : [format]) {
    const codes = inspect.colors[key];
    if (codes == null) {
      const names = Object.keys(inspect.colors).map((k) => `'${k}'`).join(", ");
      throw new ERR_INVALID_ARG_VALUE("format", key, `must be one of: ${names}`);
    }
    open += `\u001b[${codes[0]}m`;
    close = `\u001b[${codes[1]}m${close}`;
  }
  return `${open}${text}${close}`;
}

// ---------------------------------------------------------------------------
// The legacy type checks

function isBuffer(value) {
  let Buffer;
  try {
    Buffer = require("buffer").Buffer;
  } catch {
    return false;
  }
  return Buffer.isBuffer(value);
}

return {
  callbackify,
  debug: debuglog,
  debuglog,
  deprecate,
  format,
  formatWithOptions,
  inherits,
  inspect,
  isArray: Array.isArray,
  isBoolean: (arg) => typeof arg === "boolean",
  isBuffer,
  isDate: (arg) => types.isDate(arg),
  isDeepStrictEqual,
  isError: (arg) => types.isNativeError(arg) || arg instanceof Error,
  isFunction: (arg) => typeof arg === "function",
  isNull: (arg) => arg === null,
  isNullOrUndefined: (arg) => arg === null || arg === undefined,
  isNumber: (arg) => typeof arg === "number",
  isObject: (arg) => arg !== null && typeof arg === "object",
  isPrimitive: (arg) => arg === null || (typeof arg !== "object" && typeof arg !== "function"),
  isRegExp: (arg) => types.isRegExp(arg),
  isString: (arg) => typeof arg === "string",
  isSymbol: (arg) => typeof arg === "symbol",
  isUndefined: (arg) => arg === undefined,
  promisify,
  stripVTControlCharacters,
  styleText,
  TextDecoder: globalThis.TextDecoder,
  TextEncoder: globalThis.TextEncoder,
  toUSVString,
  types,
};
})();
