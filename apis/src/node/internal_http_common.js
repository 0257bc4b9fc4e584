// What node:http's parts share: Node's method and status tables, the checks
// of header names and values, and how a received message's header lines
// become `headers` (Node's rules for repeated fields). Internal.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/http_common");
const {
  codes: { ERR_HTTP_INVALID_HEADER_VALUE, ERR_INVALID_CHAR, ERR_INVALID_HTTP_TOKEN },
} = require("internal/errors");

// The methods Node's parser knows, in order.
const METHODS = [
  "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD",
  "LINK", "LOCK", "M-SEARCH", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL",
  "MOVE", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND", "PROPPATCH",
  "PURGE", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "SOURCE",
  "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
];

const STATUS_CODES = {
  100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
  200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
  204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
  208: "Already Reported", 226: "IM Used",
  300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
  304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
  404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
  407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict",
  410: "Gone", 411: "Length Required", 412: "Precondition Failed",
  413: "Payload Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
  416: "Range Not Satisfiable", 417: "Expectation Failed", 418: "I'm a Teapot",
  421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
  424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required",
  428: "Precondition Required", 429: "Too Many Requests",
  431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
  500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
  503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
  506: "Variant Also Negotiates", 507: "Insufficient Storage", 508: "Loop Detected",
  509: "Bandwidth Limit Exceeded", 510: "Not Extended", 511: "Network Authentication Required",
};

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
// A field value may hold tabs, visible ASCII and bytes 0x80-0xff (obs-text).
const NOT_FIELD_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/** Whether `value` is an HTTP token (RFC 7230 3.2.6): a method or field name. */
function checkIsHttpToken(value) {
  return TOKEN.test(value);
}

/** Whether `value` (a string, number or list) holds a character a field value may not. */
function checkInvalidHeaderChar(value) {
  if (Array.isArray(value)) return value.some((item) => NOT_FIELD_CHAR.test(item));
  return NOT_FIELD_CHAR.test(value);
}

function validateHeaderName(name, label = "Header name") {
  if (typeof name !== "string" || !name || !checkIsHttpToken(name)) {
    throw new ERR_INVALID_HTTP_TOKEN(label, name);
  }
}

function validateHeaderValue(name, value) {
  if (value === undefined) throw new ERR_HTTP_INVALID_HEADER_VALUE(value, name);
  if (checkInvalidHeaderChar(value)) throw new ERR_INVALID_CHAR("header content", name);
}

// Fields Node keeps only the first of when a message repeats them (unless
// `joinDuplicateHeaders`); `set-cookie` becomes a list, `cookie` is joined
// with "; " and every other field with ", ".
const SINGLE_FIELDS = new Set([
  "age", "authorization", "content-length", "content-type", "etag", "expires",
  "from", "host", "if-modified-since", "if-unmodified-since", "last-modified",
  "location", "max-forwards", "proxy-authorization", "referer", "retry-after",
  "server", "user-agent",
]);

/** Adds one received header line to `dest` as Node's IncomingMessage does. */
function addHeaderLine(field, value, dest, joinDuplicates) {
  const name = field.toLowerCase();
  if (name === "set-cookie") {
    if (dest[name] !== undefined) dest[name].push(value);
    else dest[name] = [value];
  } else if (SINGLE_FIELDS.has(name)) {
    if (dest[name] === undefined) dest[name] = value;
    else if (joinDuplicates) dest[name] += `, ${value}`;
  } else if (typeof dest[name] === "string") {
    dest[name] += (name === "cookie" ? "; " : ", ") + value;
  } else {
    dest[name] = value;
  }
}

// A `Headers` list has already joined repeated fields with ", ". For the
// fields Node keeps one of, the first value is taken back out, minding the
// commas that belong to a value: inside quoted strings and (comments), after
// a date's day name, and in URLs (which hold no spaces, so only ", " splits).
// Credentials are left whole: one Digest credential holds commas.
const DATE_FIELDS = new Set(["expires", "if-modified-since", "if-unmodified-since", "last-modified", "retry-after"]);
const URL_FIELDS = new Set(["location", "referer"]);
const WHOLE_FIELDS = new Set(["authorization", "proxy-authorization"]);

function firstFieldValue(name, value) {
  if (!SINGLE_FIELDS.has(name) || WHOLE_FIELDS.has(name)) return value;
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (quoted) {
      if (char === "\\") i++;
      else if (char === '"') quoted = false;
    } else if (char === '"') {
      quoted = true;
    } else if (char === "(") {
      depth++;
    } else if (char === ")") {
      if (depth > 0) depth--;
    } else if (char === "," && depth === 0) {
      if (DATE_FIELDS.has(name) && /^\s*[A-Za-z]+$/.test(value.slice(0, i))) continue;
      if (URL_FIELDS.has(name) && value[i + 1] !== " ") continue;
      return value.slice(0, i).trimEnd();
    }
  }
  return value;
}

/** A `Headers` object as Node's flat `rawHeaders` list: names as the list
 * holds them (lower case), each `set-cookie` on its own. */
function rawHeadersOf(headers) {
  const raw = [];
  let cookies = [];
  for (const [name, value] of headers) {
    if (name === "set-cookie") cookies.push(value);
    else raw.push(name, firstFieldValue(name, value));
  }
  if (typeof headers.getSetCookie === "function") cookies = headers.getSetCookie();
  for (const cookie of cookies) raw.push("set-cookie", cookie);
  return raw;
}

/** The lower-cased names of `uniqueHeaders`, whose lists are sent as one line. */
function parseUniqueHeadersOption(headers) {
  if (!Array.isArray(headers)) return null;
  const unique = new Set();
  for (const entry of headers) {
    for (const name of Array.isArray(entry) ? entry : [entry]) unique.add(String(name).toLowerCase());
  }
  return unique;
}

return {
  METHODS,
  STATUS_CODES,
  addHeaderLine,
  checkInvalidHeaderChar,
  checkIsHttpToken,
  firstFieldValue,
  parseUniqueHeadersOption,
  rawHeadersOf,
  validateHeaderName,
  validateHeaderValue,
};
})();
