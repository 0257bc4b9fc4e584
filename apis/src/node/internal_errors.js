// The errors Node's built-in modules throw, with Node's `code`s and
// messages, and the argument checks that throw them. Internal: the `node:`
// modules reach it with `require("internal/errors")`.
(function () {
"use strict";

/** Describes `value` the way Node's ERR_INVALID_ARG_TYPE messages do. */
function describeReceived(value) {
  if (value === null || value === undefined) {
    return ` Received ${value}`;
  }
  if (typeof value === "function") {
    return ` Received function ${value.name}`;
  }
  if (typeof value === "object") {
    const name = value.constructor?.name;
    return name ? ` Received an instance of ${name}` : " Received [object Object]";
  }
  let shown = String(value);
  if (typeof value === "string") {
    if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
    shown = `'${shown}'`;
  } else if (typeof value === "bigint") {
    shown += "n";
  }
  return ` Received type ${typeof value} (${shown})`;
}

function listOf(expected) {
  const list = Array.isArray(expected) ? expected : [expected];
  if (list.length === 1) return list[0];
  if (list.length === 2) return `${list[0]} or ${list[1]}`;
  return `${list.slice(0, -1).join(", ")}, or ${list[list.length - 1]}`;
}

// Type names Node words as "of type x" (lower-cased) rather than "an instance of X".
const PRIMITIVE_TYPES = ["string", "function", "number", "object", "Function", "Object", "boolean", "bigint", "symbol"];

/** Words the expected types of ERR_INVALID_ARG_TYPE as Node does:
 * "of type string", "one of type string or symbol", "an instance of Buffer",
 * "of type string or an instance of Buffer or Uint8Array". */
function describeExpected(expected) {
  const types = [];
  const instances = [];
  const other = [];
  for (const value of Array.isArray(expected) ? expected : [expected]) {
    if (PRIMITIVE_TYPES.includes(value)) types.push(value.toLowerCase());
    else if (/^([A-Z][a-z0-9]*)+$/.test(value)) instances.push(value);
    else other.push(value);
  }
  // "object" next to class names reads as "an instance of ... or Object".
  if (instances.length > 0 && types.includes("object")) {
    types.splice(types.indexOf("object"), 1);
    instances.push("Object");
  }
  const parts = [];
  if (types.length > 2) parts.push(`one of type ${listOf(types)}`);
  else if (types.length === 2) parts.push(`one of type ${types[0]} or ${types[1]}`);
  else if (types.length === 1) parts.push(`of type ${types[0]}`);
  if (instances.length > 2) parts.push(`an instance of ${listOf(instances)}`);
  else if (instances.length > 0) parts.push(`an instance of ${instances.join(" or ")}`);
  if (other.length > 1) parts.push(`one of ${listOf(other)}`);
  else if (other.length === 1) parts.push(other[0].toLowerCase() !== other[0] ? `an ${other[0]}` : other[0]);
  return parts.join(" or ");
}

/** An error class whose instances carry `code` and show it in `name`. */
function makeError(Base, code, message) {
  return class extends Base {
    constructor(...args) {
      super(typeof message === "function" ? message(...args) : message);
      Object.defineProperty(this, "code", {
        value: code,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    get name() {
      return Base.name;
    }
    set name(value) {
      Object.defineProperty(this, "name", {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    toString() {
      return `${Base.name} [${code}]: ${this.message}`;
    }
  };
}

const codes = {
  ERR_INVALID_ARG_TYPE: makeError(TypeError, "ERR_INVALID_ARG_TYPE", (name, expected, actual) => {
    const what = name.includes(".") ? "property" : "argument";
    const subject = name.endsWith(" argument") ? `The ${name}` : `The "${name}" ${what}`;
    return `${subject} must be ${describeExpected(expected)}.${describeReceived(actual)}`;
  }),
  ERR_INVALID_ARG_VALUE: makeError(TypeError, "ERR_INVALID_ARG_VALUE", (name, value, reason = "is invalid") => {
    let shown = typeof value === "string" ? `'${value}'` : String(value);
    if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
    return `The ${name.includes(".") ? "property" : "argument"} '${name}' ${reason}. Received ${shown}`;
  }),
  ERR_OUT_OF_RANGE: makeError(RangeError, "ERR_OUT_OF_RANGE", (name, range, received) => {
    let shown = String(received);
    // Large integers are written with `_` between groups of three digits.
    if (Number.isInteger(received) && Math.abs(received) > 2 ** 32) {
      shown = shown.replace(/\B(?=(\d{3})+$)/g, "_");
    }
    if (typeof received === "bigint") shown += "n";
    return `The value of "${name}" is out of range. It must be ${range}. Received ${shown}`;
  }),
  ERR_UNKNOWN_ENCODING: makeError(TypeError, "ERR_UNKNOWN_ENCODING", (encoding) => `Unknown encoding: ${encoding}`),
  ERR_MISSING_ARGS: makeError(TypeError, "ERR_MISSING_ARGS", (...names) => {
    // Each name may be a list of alternatives: ["a", "b"] reads "a" or "b".
    const shown = names.map((n) => (Array.isArray(n) ? n : [n]).map((a) => `"${a}"`).join(" or "));
    const list = shown.length <= 2 ? shown.join(" and ") : `${shown.slice(0, -1).join(", ")}, and ${shown[shown.length - 1]}`;
    return `The ${list} argument${names.length > 1 ? "s" : ""} must be specified`;
  }),
  ERR_METHOD_NOT_IMPLEMENTED: makeError(Error, "ERR_METHOD_NOT_IMPLEMENTED", (name) => `The ${name} method is not implemented`),
  ERR_INVALID_THIS: makeError(TypeError, "ERR_INVALID_THIS", (type) => `Value of "this" must be of type ${type}`),
  ERR_INVALID_RETURN_VALUE: makeError(TypeError, "ERR_INVALID_RETURN_VALUE", (input, name, value) =>
    `Expected ${input} to be returned from the "${name}" function but got ${describeReceived(value).slice(" Received ".length)}.`),
  ERR_AMBIGUOUS_ARGUMENT: makeError(TypeError, "ERR_AMBIGUOUS_ARGUMENT", (name, reason) =>
    `The "${name}" argument is ambiguous. ${reason}`),
  ERR_BUFFER_OUT_OF_BOUNDS: makeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", (name) =>
    name ? `"${name}" is outside of buffer bounds` : "Attempt to access memory outside buffer bounds"),
  ERR_UNHANDLED_ERROR: makeError(Error, "ERR_UNHANDLED_ERROR", (err) =>
    err === undefined ? "Unhandled error." : `Unhandled error. (${String(err)})`),
  ERR_INVALID_URL: makeError(TypeError, "ERR_INVALID_URL", () => "Invalid URL"),
  ERR_INVALID_URI: makeError(URIError, "ERR_INVALID_URI", () => "URI malformed"),
  ERR_INVALID_FILE_URL_PATH: makeError(Error, "ERR_INVALID_FILE_URL_PATH", (why) => `File URL path ${why}`),
  ERR_INVALID_FILE_URL_HOST: makeError(TypeError, "ERR_INVALID_FILE_URL_HOST", (platform) => `File URL host must be "localhost" or empty on ${platform}`),
  ERR_INVALID_URL_SCHEME: makeError(Error, "ERR_INVALID_URL_SCHEME", (scheme) => `The URL must be of scheme ${scheme}`),
  ERR_FALSY_VALUE_REJECTION: makeError(Error, "ERR_FALSY_VALUE_REJECTION", () => "Promise was rejected with falsy value"),
  ERR_CRYPTO_HASH_FINALIZED: makeError(Error, "ERR_CRYPTO_HASH_FINALIZED", () => "Digest already called"),
  ERR_MULTIPLE_CALLBACK: makeError(Error, "ERR_MULTIPLE_CALLBACK", () => "Callback called multiple times"),
  ERR_STREAM_PUSH_AFTER_EOF: makeError(Error, "ERR_STREAM_PUSH_AFTER_EOF", () => "stream.push() after EOF"),
  ERR_STREAM_UNSHIFT_AFTER_END_EVENT: makeError(Error, "ERR_STREAM_UNSHIFT_AFTER_END_EVENT", () => "stream.unshift() after end event"),
  ERR_STREAM_WRITE_AFTER_END: makeError(Error, "ERR_STREAM_WRITE_AFTER_END", () => "write after end"),
  ERR_STREAM_DESTROYED: makeError(Error, "ERR_STREAM_DESTROYED", (name) => `Cannot call ${name} after a stream was destroyed`),
  ERR_STREAM_ALREADY_FINISHED: makeError(Error, "ERR_STREAM_ALREADY_FINISHED", (name) => `Cannot call ${name} after a stream was finished`),
  ERR_STREAM_NULL_VALUES: makeError(TypeError, "ERR_STREAM_NULL_VALUES", () => "May not write null values to stream"),
  ERR_STREAM_PREMATURE_CLOSE: makeError(Error, "ERR_STREAM_PREMATURE_CLOSE", () => "Premature close"),
  ERR_STREAM_CANNOT_PIPE: makeError(Error, "ERR_STREAM_CANNOT_PIPE", () => "Cannot pipe, not readable"),
  ERR_OPTION_NOT_IMPLEMENTED: makeError(Error, "ERR_OPTION_NOT_IMPLEMENTED", (name) => `The ${name} option is not implemented`),
  ERR_TRACE_EVENTS_CATEGORY_REQUIRED: makeError(TypeError, "ERR_TRACE_EVENTS_CATEGORY_REQUIRED", () => "At least one category is required"),
  // node:http
  ERR_INVALID_HTTP_TOKEN: makeError(TypeError, "ERR_INVALID_HTTP_TOKEN", (name, field) => `${name} must be a valid HTTP token ["${field}"]`),
  ERR_INVALID_CHAR: makeError(TypeError, "ERR_INVALID_CHAR", (name, field) =>
    `Invalid character in ${name}${field === undefined ? "" : ` ["${field}"]`}`),
  ERR_HTTP_INVALID_HEADER_VALUE: makeError(TypeError, "ERR_HTTP_INVALID_HEADER_VALUE", (value, name) =>
    `Invalid value "${value}" for header "${name}"`),
  ERR_HTTP_HEADERS_SENT: makeError(Error, "ERR_HTTP_HEADERS_SENT", (action) => `Cannot ${action} headers after they are sent to the client`),
  ERR_HTTP_INVALID_STATUS_CODE: makeError(RangeError, "ERR_HTTP_INVALID_STATUS_CODE", (code) => `Invalid status code: ${code}`),
  ERR_HTTP_CONTENT_LENGTH_MISMATCH: makeError(Error, "ERR_HTTP_CONTENT_LENGTH_MISMATCH", (actual, expected) =>
    `Response body's content-length of ${actual} byte(s) does not match the content-length of ${expected} byte(s) set in header`),
  ERR_HTTP_BODY_NOT_ALLOWED: makeError(Error, "ERR_HTTP_BODY_NOT_ALLOWED", () =>
    "Adding content for this request method or response status is not allowed."),
  ERR_UNESCAPED_CHARACTERS: makeError(TypeError, "ERR_UNESCAPED_CHARACTERS", (what) => `${what} contains unescaped characters`),
  ERR_INVALID_PROTOCOL: makeError(TypeError, "ERR_INVALID_PROTOCOL", (actual, expected) =>
    `Protocol "${actual}" not supported. Expected "${expected}"`),
  ERR_SERVER_ALREADY_LISTEN: makeError(Error, "ERR_SERVER_ALREADY_LISTEN", () => "Listen method has been called more than once without closing."),
  // A system error, as workerd's process.setuid() and friends throw it.
  ERR_EPERM: class extends makeError(Error, "EPERM", ({ syscall, path }) =>
    path ? `operation not permitted, ${syscall} '${path}'` : "operation not permitted") {
    constructor(options) {
      super(options);
      this.syscall = options.syscall;
      this.errno = options.errno ?? 1;
      this.path = options.path;
    }
  },
  ERR_SOCKET_BAD_PORT: makeError(RangeError, "ERR_SOCKET_BAD_PORT", (name, port, allowZero = true) =>
    `${name} should be ${allowZero ? ">=" : ">"} 0 and < 65536.${describeReceived(port)}.`),
  // node:net, node:tls
  ERR_INVALID_ADDRESS: makeError(Error, "ERR_INVALID_ADDRESS", () => "Invalid socket address"),
  ERR_INVALID_IP_ADDRESS: makeError(TypeError, "ERR_INVALID_IP_ADDRESS", (address) => `Invalid IP address: ${address}`),
  ERR_SOCKET_CLOSED: makeError(Error, "ERR_SOCKET_CLOSED", () => "Socket is closed"),
  ERR_SOCKET_CLOSED_BEFORE_CONNECTION: makeError(Error, "ERR_SOCKET_CLOSED_BEFORE_CONNECTION", () =>
    "Socket closed before the connection was established"),
  ERR_SOCKET_CONNECTING: makeError(Error, "ERR_SOCKET_CONNECTING", () => "Socket is already connecting"),
  ERR_TLS_CERT_ALTNAME_FORMAT: makeError(SyntaxError, "ERR_TLS_CERT_ALTNAME_FORMAT", () => "Invalid subject alternative name string"),
  ERR_TLS_CERT_ALTNAME_INVALID: class extends makeError(Error, "ERR_TLS_CERT_ALTNAME_INVALID", (reason) =>
    `Hostname/IP does not match certificate's altnames: ${reason}`) {
    constructor(reason, host, cert) {
      super(reason);
      this.reason = reason;
      this.host = host;
      this.cert = cert;
    }
  },
  ERR_TLS_HANDSHAKE_TIMEOUT: makeError(Error, "ERR_TLS_HANDSHAKE_TIMEOUT", () => "TLS handshake timeout"),
  ERR_TLS_INVALID_CONTEXT: makeError(TypeError, "ERR_TLS_INVALID_CONTEXT", (name) => `${name} must be a SecureContext`),
  // node:fs
  ERR_UNSUPPORTED_OPERATION: makeError(Error, "ERR_UNSUPPORTED_OPERATION", () => "The requested operation is unsupported"),
  ERR_DIR_CLOSED: makeError(Error, "ERR_DIR_CLOSED", () => "Directory handle was closed"),
  ERR_DIR_CONCURRENT_OPERATION: makeError(Error, "ERR_DIR_CONCURRENT_OPERATION", () =>
    "Cannot do synchronous work on directory handle with concurrent asynchronous operations"),
  ERR_FS_FILE_TOO_LARGE: makeError(RangeError, "ERR_FS_FILE_TOO_LARGE", (size) => `File size (${size}) is greater than 2 GiB`),
  ERR_FS_EISDIR: makeError(Error, "ERR_FS_EISDIR", (message = "Expected a file but found a directory") => message),
  ERR_FS_CP_EINVAL: makeError(Error, "ERR_FS_CP_EINVAL", (message) => message),
  ERR_FS_CP_DIR_TO_NON_DIR: makeError(Error, "ERR_FS_CP_DIR_TO_NON_DIR", (message) => message),
  ERR_FS_CP_NON_DIR_TO_DIR: makeError(Error, "ERR_FS_CP_NON_DIR_TO_DIR", (message) => message),
  ERR_FS_CP_EEXIST: makeError(Error, "ERR_FS_CP_EEXIST", (message) => message),
  ERR_FILE_HANDLE_CLOSED: makeError(Error, "EBADF", () => "file closed"),
};

/** Node's AbortError: what APIs taking an AbortSignal reject with on abort. */
class AbortError extends Error {
  constructor(message = "The operation was aborted", options = undefined) {
    super(message, options);
    this.code = "ABORT_ERR";
    this.name = "AbortError";
  }
}

/** What a failed DNS query rejects with, worded as Node's resolver words it:
 * "queryA ENOTFOUND example.invalid", with `code`, `syscall` and `hostname`. */
class DnsError extends Error {
  constructor(hostname, code, syscall) {
    super(`${syscall} ${code} ${hostname}`);
    this.errno = undefined;
    this.code = code;
    this.syscall = syscall;
    this.hostname = hostname;
  }
}

/** Throws ERR_METHOD_NOT_IMPLEMENTED for `name`: what workerd's stubs do. */
function notImplemented(name) {
  return function () {
    throw new codes.ERR_METHOD_NOT_IMPLEMENTED(name);
  };
}

function validateString(value, name) {
  if (typeof value !== "string") throw new codes.ERR_INVALID_ARG_TYPE(name, "string", value);
}
function validateFunction(value, name) {
  if (typeof value !== "function") throw new codes.ERR_INVALID_ARG_TYPE(name, "Function", value);
}
function validateBoolean(value, name) {
  if (typeof value !== "boolean") throw new codes.ERR_INVALID_ARG_TYPE(name, "boolean", value);
}
function validateObject(value, name, { allowArray = false, nullable = false } = {}) {
  if ((value === null && !nullable) || (!allowArray && Array.isArray(value)) ||
      (value !== null && typeof value !== "object")) {
    throw new codes.ERR_INVALID_ARG_TYPE(name, "Object", value);
  }
}
function validateNumber(value, name, min = undefined, max) {
  if (typeof value !== "number") throw new codes.ERR_INVALID_ARG_TYPE(name, "number", value);
  if ((min != null && value < min) || (max != null && value > max) ||
      ((min != null || max != null) && Number.isNaN(value))) {
    const range = min != null && max != null ? `>= ${min} && <= ${max}`
      : min != null ? `>= ${min}` : `<= ${max}`;
    throw new codes.ERR_OUT_OF_RANGE(name, range, value);
  }
}
function validateInteger(value, name, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== "number") throw new codes.ERR_INVALID_ARG_TYPE(name, "number", value);
  if (!Number.isInteger(value)) throw new codes.ERR_OUT_OF_RANGE(name, "an integer", value);
  if (value < min || value > max) throw new codes.ERR_OUT_OF_RANGE(name, `>= ${min} && <= ${max}`, value);
}
function validateAbortSignal(signal, name) {
  if (signal !== undefined && (signal === null || typeof signal !== "object" || !("aborted" in signal))) {
    throw new codes.ERR_INVALID_ARG_TYPE(name, "AbortSignal", signal);
  }
}
function validateArray(value, name) {
  if (!Array.isArray(value)) throw new codes.ERR_INVALID_ARG_TYPE(name, "Array", value);
}
function validateStringArray(value, name) {
  validateArray(value, name);
  value.forEach((item, i) => {
    if (typeof item !== "string") throw new codes.ERR_INVALID_ARG_TYPE(`${name}[${i}]`, "string", item);
  });
}
function validateOneOf(value, name, allowed) {
  if (!allowed.includes(value)) {
    const list = allowed.map((v) => (typeof v === "string" ? `'${v}'` : String(v))).join(", ");
    throw new codes.ERR_INVALID_ARG_VALUE(name, value, `must be one of: ${list}`);
  }
}
function validateInt32(value, name, min = -2147483648, max = 2147483647) {
  if (typeof value !== "number") throw new codes.ERR_INVALID_ARG_TYPE(name, "number", value);
  if (!Number.isInteger(value)) throw new codes.ERR_OUT_OF_RANGE(name, "an integer", value);
  if (value < min || value > max || value !== (value | 0)) {
    throw new codes.ERR_OUT_OF_RANGE(name, `>= ${min} && <= ${max}`, value);
  }
}
function validateUint32(value, name, positive = false) {
  if (typeof value !== "number") throw new codes.ERR_INVALID_ARG_TYPE(name, "number", value);
  if (!Number.isInteger(value)) throw new codes.ERR_OUT_OF_RANGE(name, "an integer", value);
  if (value !== value >>> 0 || (positive && value === 0)) {
    throw new codes.ERR_OUT_OF_RANGE(name, `>= ${positive ? 1 : 0} && < 4294967296`, value);
  }
}
function validateBuffer(value, name = "buffer") {
  if (!ArrayBuffer.isView(value)) {
    throw new codes.ERR_INVALID_ARG_TYPE(name, ["Buffer", "TypedArray", "DataView"], value);
  }
}

return {
  AbortError,
  DnsError,
  codes,
  notImplemented,
  validateAbortSignal,
  validateArray,
  validateBoolean,
  validateBuffer,
  validateFunction,
  validateInt32,
  validateInteger,
  validateNumber,
  validateObject,
  validateOneOf,
  validateString,
  validateStringArray,
  validateUint32,
};
})();
