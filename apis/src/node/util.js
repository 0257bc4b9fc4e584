// node:util — format, inspect, promisify and friends (MIMEType and
// MIMEParams come from internal_mime.js). Differences from Node: debuglog
// loggers are always disabled no-ops, styleText always emits the escape
// codes, and callbackify calls back on a microtask; parseArgs,
// getSystemErrorName and the like throw, as in workerd.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("util");
const {
  codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_FALSY_VALUE_REJECTION, ERR_METHOD_NOT_IMPLEMENTED },
  validateAbortSignal,
  validateFunction,
  validateObject,
  validateString,
} = require("internal/errors");
const { MIMEType, MIMEParams } = require("internal/mime");
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
// Odds and ends

/** Copies `source`'s own enumerable properties onto `target` (last first). */
function _extend(target, source) {
  if (source === null || typeof source !== "object") return target;
  const keys = Object.keys(source);
  for (let i = keys.length - 1; i >= 0; i--) target[keys[i]] = source[keys[i]];
  return target;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** console.log with a "day month hh:mm:ss - " prefix. */
function log(...args) {
  const now = new Date();
  const time = [now.getHours(), now.getMinutes(), now.getSeconds()].map((n) => `${n}`.padStart(2, "0")).join(":");
  console.log(`${now.getDate()} ${MONTHS[now.getMonth()]} ${time} - ${format(...args)}`);
}

/** Settles when `signal` aborts (with its abort event, as workerd does).
 *  `resource` is only checked: nothing here can tell when it is collected. */
async function aborted(signal, resource) {
  if (signal === undefined) throw new ERR_INVALID_ARG_TYPE("signal", "AbortSignal", signal);
  validateAbortSignal(signal, "signal");
  if (resource === null || (typeof resource !== "object" && typeof resource !== "function")) {
    throw new ERR_INVALID_ARG_TYPE("resource", "Object", resource);
  }
  if (signal.aborted) return undefined;
  return new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
}

/**
 * The call stack above the caller, as workerd reports it: up to `frames`
 * + 1 frames, keeping those with both a function name and a script name.
 */
function getCallSites(frames = undefined) {
  const count = frames === undefined ? 10 : Math.trunc(Number(frames)) || 0;
  if (count < 1 || count > 200) throw new Error("Frame count should be between 1 and 200 inclusive.");
  if (typeof Error.captureStackTrace !== "function") return [];
  const { prepareStackTrace, stackTraceLimit } = Error;
  let sites;
  try {
    // The engine's structured call sites (V8's API, which QuickJS-ng has too).
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.stackTraceLimit = count + 1;
    const holder = {};
    Error.captureStackTrace(holder, getCallSites);
    sites = holder.stack;
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (!Array.isArray(sites)) return [];
  const found = [];
  for (const site of sites) {
    const functionName = site.getFunctionName?.();
    const scriptName = site.getFileName?.();
    // QuickJS names top-level code "<eval>", where V8 has no name.
    if (!functionName || !scriptName || functionName === "<eval>" || functionName === "<anonymous>") continue;
    const column = site.getColumnNumber?.();
    found.push({ functionName, scriptName, lineNumber: site.getLineNumber?.(), columnNumber: column, column });
  }
  return found;
}

/**
 * The variables of a .env file's text, read as workerd reads them: `#`
 * comments, an optional `export `, values in "", '' or `` quotes (which may
 * span lines).
 */
function parseEnv(content) {
  validateString(content, "content");
  const result = {};
  const lines = content.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    const start = line.trimStart();
    if (start === "" || start.startsWith("#")) continue;
    if (start.startsWith("export ")) line = line.slice(line.indexOf("export ") + "export ".length);
    const equals = line.indexOf("=");
    if (equals === -1) continue;
    const key = line.slice(0, equals).trim();
    if (key === "") continue;
    let value = line.slice(equals + 1).trimStart();
    const quote = value[0];
    if (quote === '"' || quote === "'" || quote === "`") {
      let close = value.indexOf(quote, 1);
      // Only a closed "" value turns \n into a newline.
      const escapes = quote === '"' ? (text) => text.replaceAll("\\n", "\n") : (text) => text;
      if (close !== -1) {
        value = escapes(value.slice(1, close));
      } else {
        // Look for the closing quote on the following lines.
        let text = value.slice(1);
        let j = i + 1;
        for (; j < lines.length; j++) {
          close = lines[j].indexOf(quote);
          if (close !== -1) break;
          text += `\n${lines[j]}`;
        }
        if (j < lines.length) {
          value = escapes(`${text}\n${lines[j].slice(0, close)}`);
          i = j;
        } else {
          // Never closed: the text after the quote (or the lone quote).
          value = value.length === 1 ? quote : value.slice(1);
        }
      }
    } else if (value !== "") {
      const hash = value.indexOf("#");
      if (hash !== -1) value = value.slice(0, hash);
      value = value.trimEnd();
    }
    result[key] = value;
  }
  return result;
}

// What workerd does not offer: it throws, and so do these.
const unavailable = (name) => () => {
  throw new Error(`node:util ${name} is not implemented`);
};
const _errnoException = () => {
  throw new ERR_METHOD_NOT_IMPLEMENTED("_errnoException");
};
const _exceptionWithHostPort = () => {
  throw new ERR_METHOD_NOT_IMPLEMENTED("_exceptionWithHostPort");
};

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
  MIMEParams,
  MIMEType,
  _errnoException,
  _exceptionWithHostPort,
  _extend,
  aborted,
  callbackify,
  debug: debuglog,
  debuglog,
  deprecate,
  format,
  formatWithOptions,
  getCallSite: getCallSites,
  getCallSites,
  getSystemErrorMap: unavailable("getSystemErrorMap"),
  getSystemErrorMessage: unavailable("getSystemErrorMessage"),
  getSystemErrorName: unavailable("getSystemErrorName"),
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
  log,
  parseArgs: unavailable("parseArgs"),
  parseEnv,
  promisify,
  stripVTControlCharacters,
  styleText,
  TextDecoder: globalThis.TextDecoder,
  TextEncoder: globalThis.TextEncoder,
  toUSVString,
  transferableAbortController: unavailable("transferableAbortController"),
  transferableAbortSignal: unavailable("transferableAbortSignal"),
  types,
};
})();
