// What node:dns and node:dns/promises share: queries go, as in workerd, to
// Cloudflare's DNS-over-HTTPS JSON API with the Worker's fetch(), and the
// answers are shaped the way Node's resolver shapes them. The functions
// here return promises; node:dns wraps them for callbacks.
// Differences from workerd: the `.hyperdrive.local`/`.workers.alt` names
// that workerd answers from its own table are looked up like any other.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/dns");
const {
  DnsError,
  codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OPTION_NOT_IMPLEMENTED },
  validateBoolean,
  validateFunction,
  validateNumber,
  validateOneOf,
  validateString,
} = require("internal/errors");

// Node's error codes for failed lookups, and getaddrinfo's hint flags.
const errorCodes = {
  NODATA: "ENODATA",
  FORMERR: "EFORMERR",
  SERVFAIL: "ESERVFAIL",
  NOTFOUND: "ENOTFOUND",
  NOTIMP: "ENOTIMP",
  REFUSED: "EREFUSED",
  BADQUERY: "EBADQUERY",
  BADNAME: "EBADNAME",
  BADFAMILY: "EBADFAMILY",
  BADRESP: "EBADRESP",
  CONNREFUSED: "ECONNREFUSED",
  TIMEOUT: "ETIMEOUT",
  EOF: "EOF",
  FILE: "EFILE",
  NOMEM: "ENOMEM",
  DESTRUCTION: "EDESTRUCTION",
  BADSTR: "EBADSTR",
  BADFLAGS: "EBADFLAGS",
  NONAME: "ENONAME",
  BADHINTS: "EBADHINTS",
  NOTINITIALIZED: "ENOTINITIALIZED",
  LOADIPHLPAPI: "ELOADIPHLPAPI",
  ADDRGETNETWORKPARAMS: "EADDRGETNETWORKPARAMS",
  CANCELLED: "ECANCELLED",
  ADDRCONFIG: 1024,
  ALL: 256,
  V4MAPPED: 2048,
};
const { NOTFOUND, BADRESP, BADQUERY } = errorCodes;

// ---------------------------------------------------------------------------
// Addresses

const IPV4_PART = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";
const IPV4 = new RegExp(`^${IPV4_PART}(?:\\.${IPV4_PART}){3}$`);
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Whether `text` is an IPv6 address as Node's net.isIPv6 accepts it: eight
 * groups, `::` standing for one or more zero groups, an optional dotted
 * IPv4 tail and an optional `%zone`. */
function isIPv6(text) {
  const percent = text.indexOf("%");
  if (percent !== -1) {
    if (!/^[0-9a-zA-Z.:-]+$/.test(text.slice(percent + 1))) return false;
    text = text.slice(0, percent);
  }
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === "" ? [] : half.split(":")));
  const all = groups.flat();
  let count = all.length;
  // A dotted IPv4 tail may end the address and counts as two groups.
  if (all.length > 0 && all.at(-1).includes(".")) {
    if (!IPV4.test(all.at(-1))) return false;
    all.pop();
    count += 1;
  }
  if (!all.every((group) => HEX_GROUP.test(group))) return false;
  return halves.length === 2 ? count < 8 : count === 8;
}

/** 4 or 6 for an IP address, 0 for anything else (as net.isIP). */
function isIP(text) {
  if (IPV4.test(text)) return 4;
  return isIPv6(text) ? 6 : 0;
}

// ---------------------------------------------------------------------------
// Queries

/** Asks Cloudflare's resolver for the `type` records of `name`; resolves to
 * its JSON answer. */
async function query(name, type) {
  const url = new URL("https://cloudflare-dns.com/dns-query");
  url.searchParams.set("name", name);
  url.searchParams.set("type", type);
  // Named as Node's c-ares calls are: queryA, queryTxt, ...
  const syscall = `query${type[0].toUpperCase()}${type.slice(1)}`;

  let body;
  try {
    const response = await fetch(url, { method: "GET", headers: { Accept: "application/dns-json" } });
    if (!response.ok) throw new DnsError(name, BADRESP, syscall);
    body = await response.json();
  } catch (error) {
    throw error instanceof DnsError ? error : new DnsError(name, BADQUERY, syscall);
  }
  if ("error" in body || !body.Question?.[0]) throw new DnsError(name, BADRESP, syscall);
  if (body.Answer?.[0]?.name === "") throw new DnsError(name, NOTFOUND, syscall);
  return body;
}

/** The answers of `body`, or ENOTFOUND when there are none. */
function answersOf(body, name, syscall) {
  if (body.Answer == null) throw new DnsError(name, NOTFOUND, syscall);
  return body.Answer;
}

/** Queries `type` and shapes each answer with `shape(answer)`. */
function resolveAs(name, type, syscall, shape) {
  validateString(name, "name");
  return query(name, type).then((body) => answersOf(body, name, syscall).map(shape));
}

const withoutDot = (text) => (text.endsWith(".") ? text.slice(0, -1) : text);
const dataWithoutDot = ({ data }) => withoutDot(data);

// ---------------------------------------------------------------------------
// Record data. Cloudflare gives well-known types as presentation text
// ("10 mail.example.com.") and others in RFC 3597's generic form
// ("\# 5 00 05 69 73 73 75 65 ..."): hex bytes after a length.

const ASCII_SPACE = " \t\n\f\r";

/** Parses an unsigned integer as Rust's from_str_radix does, with its error
 * messages (as RangeErrors) for empty, non-digit and too-large input. */
function parseUnsigned(text, radix, max) {
  const digits = text.startsWith("+") ? text.slice(1) : text;
  if (text === "") throw new RangeError("cannot parse integer from empty string");
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) throw new RangeError("invalid digit found in string");
  const value = parseInt(digits, radix);
  if (value > max) throw new RangeError("number too large to fit in target type");
  return value;
}

/** Text from hex UTF-16 code units, one per item. */
function fromHex(items) {
  return items.map((item) => {
    const unit = parseUnsigned(item, 16, 0xffff);
    if (unit >= 0xd800 && unit <= 0xdfff) throw new Error("Invalid UTF-16 sequence");
    return String.fromCharCode(unit);
  }).join("");
}

/** Splits presentation-format record data into fields: runs of non-space,
 * or "quoted strings"; `\DDD` is a decimal byte and `\x` is x. */
function presentationFields(text) {
  const fields = [];
  let i = 0;
  const unterminated = () => new Error("unterminated escape or quote in RDATA");
  for (;;) {
    while (i < text.length && ASCII_SPACE.includes(text[i])) i++;
    if (i >= text.length) return fields;
    const quoted = text[i] === "\"";
    if (quoted) i++;
    let field = "";
    for (;;) {
      if (i >= text.length) {
        if (quoted) throw unterminated();
        break;
      }
      const c = text[i++];
      if (quoted && c === "\"") break;
      if (!quoted && ASCII_SPACE.includes(c)) break;
      if (c === "\\") {
        const digits = text.slice(i, i + 3);
        if (/^[0-9]{3}$/.test(digits)) {
          field += String.fromCharCode(parseUnsigned(digits, 10, 255));
          i += 3;
        } else if (i < text.length) {
          // One character, which may be a surrogate pair.
          const next = String.fromCodePoint(text.codePointAt(i));
          field += next;
          i += next.length;
        } else {
          throw unterminated();
        }
      } else {
        field += c;
      }
    }
    fields.push(field);
  }
}

const splitSpace = (text) => text.split(/[ \t\n\f\r]+/).filter((part) => part !== "");

function checkCaaTag(tag) {
  if (tag !== "issue" && tag !== "issuewild" && tag !== "iodef") {
    throw new Error(`Received unknown field '${tag}'`);
  }
}

/** A CAA record's flags, tag and value. */
function parseCaa(data) {
  const parts = splitSpace(data);
  if (parts[0] !== "\\#") {
    const fields = presentationFields(data);
    if (fields.length !== 3) throw new Error(`CAA record expected 3 fields, got ${fields.length}`);
    checkCaaTag(fields[1]);
    return { critical: parseUnsigned(fields[0], 10, 255), field: fields[1], value: fields[2] };
  }
  if (parts.length < 3) throw new Error("CAA record too short: expected at least 3 fields");
  // parts[1] is the length; then the flags byte, the tag length, tag, value.
  const bytes = parts.slice(2);
  if (bytes.length < 2) {
    throw new Error("CAA record data too short: expected critical and prefix length fields");
  }
  const critical = parseUnsigned(bytes[0], 16, 255);
  const tagLength = parseUnsigned(bytes[1], 16, Number.MAX_SAFE_INTEGER);
  if (bytes.length < 2 + tagLength) {
    throw new Error(`CAA record data too short for prefix_length ${tagLength}`);
  }
  const field = fromHex(bytes.slice(2, 2 + tagLength));
  const value = fromHex(bytes.slice(2 + tagLength));
  checkCaaTag(field);
  return { critical, field, value };
}

/** Dotted text from a wire-format domain name: length-prefixed labels. */
function wireName(bytes) {
  const labels = [];
  let at = 0;
  while (at < bytes.length) {
    const length = parseUnsigned(bytes[at], 16, Number.MAX_SAFE_INTEGER);
    if (at + 1 + length > bytes.length) {
      throw new Error("replacement data too short for declared frame length");
    }
    const label = fromHex(bytes.slice(at + 1, at + 1 + length));
    if (label !== "") labels.push(label);
    at += length + 1;
  }
  return labels.join(".");
}

/** A NAPTR record's fields, as Node's resolveNaptr gives them. */
function parseNaptr(data) {
  const parts = splitSpace(data);
  if (parts[0] !== "\\#") {
    const fields = presentationFields(data);
    if (fields.length !== 6) throw new Error(`NAPTR record expected 6 fields, got ${fields.length}`);
    const [order, preference, flags, service, regexp, replacement] = fields;
    return {
      flags,
      service,
      regexp,
      replacement: withoutDot(replacement),
      order: parseUnsigned(order, 10, 0xffffffff),
      preference: parseUnsigned(preference, 10, 0xffffffff),
    };
  }
  if (parts.length < 2) throw new Error("NAPTR record too short");
  // bytes[0] is the length; then two 16-bit numbers, three
  // length-prefixed strings and a wire-format name.
  const bytes = parts.slice(1);
  if (bytes.length < 6) throw new Error("NAPTR record data too short: expected at least 6 fields");
  const order = parseUnsigned(bytes[1] + bytes[2], 16, 0xffffffff);
  const preference = parseUnsigned(bytes[3] + bytes[4], 16, 0xffffffff);
  let at = 5;
  const strings = [];
  for (const what of ["flags", "service", "regexp"]) {
    const length = parseUnsigned(bytes[at], 16, Number.MAX_SAFE_INTEGER);
    // Each but the last must leave room for the next length byte.
    const needed = at + 1 + length + (what === "regexp" ? 0 : 1);
    if (bytes.length < needed) throw new Error(`NAPTR record too short for ${what} field`);
    strings.push(fromHex(bytes.slice(at + 1, at + 1 + length)));
    at += 1 + length;
  }
  const [flags, service, regexp] = strings;
  return { flags, service, regexp, replacement: wireName(bytes.slice(at)), order, preference };
}

/** The strings of a TXT record: `"a""b"` is ["a", "b"]. A quote inside a
 * string is kept when the next character is not another quote. */
function txtStrings(data) {
  if (!(data.startsWith("\"") && data.endsWith("\""))) return [data];
  const strings = [];
  let start = data.indexOf("\"");
  while (start !== -1) {
    // The string runs to the first `""` (where the next one starts), or
    // else to the last quote.
    let end = data.indexOf("\"\"", start + 1);
    if (end === -1) {
      end = data.lastIndexOf("\"");
      if (end <= start) break;
    }
    strings.push(data.slice(start + 1, end));
    start = data.indexOf("\"", end + 1);
  }
  return strings;
}

function shapeMx(name, { data }) {
  const [priority, exchange] = data.split(" ");
  if (priority == null || exchange == null) throw new DnsError(name, BADRESP, "queryMx");
  return { exchange: withoutDot(exchange), priority: parseInt(priority, 10) };
}

function shapeCaa({ data }) {
  const record = parseCaa(data);
  return { critical: record.critical, [record.field]: record.value };
}

function shapeSoa({ data }) {
  const [nsname, hostmaster, serial, refresh, retry, expire, minttl] = data.split(" ");
  const fields = { nsname, hostmaster, serial, refresh, retry, expire, minttl };
  for (const [key, value] of Object.entries(fields)) validateString(value, key);
  return {
    nsname,
    hostmaster,
    serial: parseInt(serial, 10),
    refresh: parseInt(refresh, 10),
    retry: parseInt(retry, 10),
    expire: parseInt(expire, 10),
    minttl: parseInt(minttl, 10),
  };
}

function shapeSrv({ data }) {
  const [priority, weight, port, name] = data.split(" ");
  validateString(priority, "priority");
  validateString(weight, "weight");
  validateString(port, "port");
  validateString(name, "name");
  return {
    priority: parseInt(priority, 10),
    weight: parseInt(weight, 10),
    port: parseInt(port, 10),
    name,
  };
}

// ---------------------------------------------------------------------------
// The resolver functions (promise-returning; argument errors throw at once)

const resultOrders = ["verbatim", "ipv4first", "ipv6first"];
let defaultResultOrder = "verbatim";

function getServers() {
  return ["1.1.1.1", "2606:4700:4700::1111", "1.0.0.1", "2606:4700:4700::1001"];
}

// The resolver is always Cloudflare's.
function setServers() {
  throw new Error("Not implemented");
}

function setDefaultResultOrder(order) {
  validateOneOf(order, "dnsOrder", resultOrders);
  defaultResultOrder = order;
}

function getDefaultResultOrder() {
  return defaultResultOrder;
}

function addresses(name, type, syscall, options) {
  validateString(name, "name");
  const ttl = !!options?.ttl;
  return query(name, type).then((body) =>
    answersOf(body, name, syscall).map((answer) => (ttl ? { ttl: answer.TTL, address: answer.data } : answer.data)));
}

const resolve4 = (name, options) => addresses(name, "A", "queryA", options);
const resolve6 = (name, options) => addresses(name, "AAAA", "queryAaaa", options);
const resolveCname = (name) => resolveAs(name, "CNAME", "queryCname", dataWithoutDot);
const resolveCaa = (name) => resolveAs(name, "CAA", "queryCaa", shapeCaa);
const resolveMx = (name) => resolveAs(name, "MX", "queryMx", (answer) => shapeMx(name, answer));
const resolveNaptr = (name) => resolveAs(name, "NAPTR", "queryNaptr", ({ data }) => parseNaptr(data));
const resolveNs = (name) => resolveAs(name, "NS", "queryNs", dataWithoutDot);
const resolvePtr = (name) => resolveAs(name, "PTR", "queryPtr", dataWithoutDot);
const resolveSrv = (name) => resolveAs(name, "SRV", "querySrv", shapeSrv);
const resolveTxt = (name) => resolveAs(name, "TXT", "queryTxt", ({ data }) => txtStrings(data));
// As workerd does, the name is queried for PTR records as given (an
// address is not turned into its in-addr.arpa name).
const reverse = (name) => resolveAs(name, "PTR", "queryPtr", dataWithoutDot);

function resolveSoa(name) {
  validateString(name, "name");
  return query(name, "SOA").then((body) => {
    const first = answersOf(body, name, "querySoa")[0];
    if (!first) throw new DnsError(name, NOTFOUND, "querySoa");
    return shapeSoa(first);
  });
}

async function resolveAny() {
  throw new Error("Not implemented");
}

async function lookupService() {
  throw new Error("Not implemented");
}

const byType = {
  A: resolve4,
  AAAA: resolve6,
  ANY: resolveAny,
  CAA: resolveCaa,
  CNAME: resolveCname,
  MX: resolveMx,
  NAPTR: resolveNaptr,
  NS: resolveNs,
  PTR: resolvePtr,
  SOA: resolveSoa,
  SRV: resolveSrv,
  TXT: resolveTxt,
};

function resolve(name, rrtype) {
  validateString(name, "name");
  if (!Object.hasOwn(byType, rrtype)) throw new ERR_INVALID_ARG_VALUE("rrtype", rrtype);
  return rrtype === "ANY" ? resolveAny() : byType[rrtype](name);
}

// ---------------------------------------------------------------------------
// lookup(), callback style as in Node

const later = (fn, ...args) => queueMicrotask(() => fn(...args));
const noAnswers = () => ({ Answer: [] });

function lookup(hostname, options, callback) {
  let family = 0;
  let all = false;
  let order = getDefaultResultOrder();

  if (hostname) validateString(hostname, "hostname");
  if (typeof options === "function") {
    callback = options;
  } else if (typeof options === "number") {
    validateFunction(callback, "callback");
    validateOneOf(options, "family", [0, 4, 6]);
    family = options;
  } else if (options !== undefined && typeof options !== "object") {
    validateFunction(arguments.length === 2 ? options : callback, "callback");
    throw new ERR_INVALID_ARG_TYPE("options", ["integer", "object"], options);
  } else {
    validateFunction(callback, "callback");
    if (options?.hints != null) {
      validateNumber(options.hints, "options.hints");
      throw new ERR_OPTION_NOT_IMPLEMENTED("options.hints");
    }
    if (options?.family != null) {
      if (options.family === "IPv4") family = 4;
      else if (options.family === "IPv6") family = 6;
      else {
        validateOneOf(options.family, "options.family", [0, 4, 6]);
        family = options.family;
      }
    }
    if (options?.all != null) {
      validateBoolean(options.all, "options.all");
      all = options.all;
    }
    if (options?.verbatim != null) {
      validateBoolean(options.verbatim, "options.verbatim");
      order = options.verbatim ? "verbatim" : "ipv4first";
    }
    if (options?.order != null) {
      validateOneOf(options.order, "options.order", resultOrders);
      order = options.order;
    }
  }

  if (!hostname) {
    if (all) later(callback, null, []);
    else later(callback, null, null, family === 6 ? 6 : 4);
    return;
  }

  const literal = isIP(hostname);
  if (literal) {
    if (all) later(callback, null, [{ address: hostname, family: literal }]);
    else later(callback, null, hostname, literal);
    return;
  }

  // As in workerd, an error thrown by the callback itself lands in the
  // catch below and is passed to the callback.
  if (family === 0) {
    // Both kinds of address; a failed query counts as no answers.
    Promise.all([query(hostname, "A").catch(noAnswers), query(hostname, "AAAA").catch(noAnswers)])
      .then(([v4, v6]) => {
        const v4s = (v4.Answer ?? []).map(({ data }) => ({ address: data, family: 4 }));
        const v6s = (v6.Answer ?? []).map(({ data }) => ({ address: data, family: 6 }));
        if (v4s.length === 0 && v6s.length === 0) {
          callback(new DnsError(hostname, NOTFOUND, "queryA"));
          return;
        }
        // "verbatim" and "ipv4first" both put IPv4 first.
        const ordered = order === "ipv6first" ? [...v6s, ...v4s] : [...v4s, ...v6s];
        if (all) {
          callback(null, ordered);
        } else {
          // The first answer of the preferred kind, else of the other.
          const first = order === "ipv6first" ? (v6s[0] ?? v4s[0]) : (v4s[0] ?? v6s[0]);
          callback(null, first.address, first.family);
        }
      })
      .catch((error) => later(callback, error));
    return;
  }

  const type = family === 4 ? "A" : "AAAA";
  query(hostname, type)
    .then((body) => {
      const answers = answersOf(body, hostname, `query${type}`);
      if (all) callback(null, answers.map(({ data }) => ({ address: data, family })));
      else callback(null, answers[0]?.data, family);
    })
    .catch((error) => later(callback, error));
}

return {
  errorCodes,
  getDefaultResultOrder,
  getServers,
  isIP,
  lookup,
  lookupService,
  parseCaa,
  parseNaptr,
  resolve,
  resolve4,
  resolve6,
  resolveAny,
  resolveCaa,
  resolveCname,
  resolveMx,
  resolveNaptr,
  resolveNs,
  resolvePtr,
  resolveSoa,
  resolveSrv,
  resolveTxt,
  reverse,
  setDefaultResultOrder,
  setServers,
  txtStrings,
};
})();
