// node:querystring — parse and stringify URL query strings the way Node
// does, quirks included (which keys and values get percent-decoded, how a
// malformed escape falls back to a byte-wise decode).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("querystring");
const { codes: { ERR_INVALID_URI } } = require("internal/errors");

const HEX = Array.from({ length: 256 }, (_, i) => `%${i < 16 ? "0" : ""}${i.toString(16).toUpperCase()}`);
/** ASCII characters `escape` leaves alone: what encodeURIComponent does. */
const UNESCAPED = charTable("A-Za-z0-9", "-_.!~*'()");

/** A 128-entry table, 1 for the characters in `ranges` (regex class syntax) and `chars`. */
function charTable(ranges, chars) {
  const re = new RegExp(`[${ranges}]`);
  const table = new Int8Array(128);
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    if (re.test(ch) || chars.includes(ch)) table[c] = 1;
  }
  return table;
}

const hexValue = (code) =>
  code >= 48 && code <= 57 ? code - 48
    : code >= 65 && code <= 70 ? code - 55
      : code >= 97 && code <= 102 ? code - 87 : -1;

/**
 * UTF-8 percent-encodes `str`, leaving the ASCII characters `keep` marks.
 * A surrogate takes the next code unit as its pair whatever it is; one at
 * the very end throws ERR_INVALID_URI, as in Node.
 */
function encodeStr(str, keep) {
  let out = "";
  let lastPos = 0;
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80 && keep[c] === 1) continue;
    out += str.slice(lastPos, i);
    if (c < 0x80) {
      out += HEX[c];
    } else if (c < 0x800) {
      out += HEX[0xc0 | (c >> 6)] + HEX[0x80 | (c & 0x3f)];
    } else if (c < 0xd800 || c >= 0xe000) {
      out += HEX[0xe0 | (c >> 12)] + HEX[0x80 | ((c >> 6) & 0x3f)] + HEX[0x80 | (c & 0x3f)];
    } else {
      if (++i >= str.length) throw new ERR_INVALID_URI();
      c = 0x10000 + (((c & 0x3ff) << 10) | (str.charCodeAt(i) & 0x3ff));
      out += HEX[0xf0 | (c >> 18)] + HEX[0x80 | ((c >> 12) & 0x3f)] +
        HEX[0x80 | ((c >> 6) & 0x3f)] + HEX[0x80 | (c & 0x3f)];
    }
    lastPos = i + 1;
  }
  return lastPos === 0 ? str : out + str.slice(lastPos);
}

/**
 * Decodes `%XX` escapes to bytes, keeping a `%` that starts no escape, and
 * `+` as a space when `decodeSpaces`. Other characters become one byte
 * each (their low 8 bits), as Node's unescapeBuffer does.
 */
function unescapeBytes(s, decodeSpaces) {
  const out = new Uint8Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 43 && decodeSpaces) {
      out[n++] = 32;
    } else if (c === 37 && i < s.length - 2) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 2;
      } else {
        out[n++] = 37;
      }
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

function unescapeBuffer(s, decodeSpaces) {
  const { Buffer } = require("buffer");
  return Buffer.from(unescapeBytes(`${s}`, decodeSpaces));
}

function unescape(s, decodeSpaces) {
  try {
    return decodeURIComponent(s);
  } catch {
    return new TextDecoder().decode(unescapeBytes(s, decodeSpaces));
  }
}

function escape(str) {
  if (typeof str !== "string") str = typeof str === "object" ? String(str) : `${str}`;
  return encodeStr(str, UNESCAPED);
}

/** How stringify words a value: finite numbers, bigints, booleans and strings; "" otherwise. */
function primitiveText(v) {
  if (typeof v === "string") return v;
  if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "bigint") return `${v}`;
  if (typeof v === "boolean") return v ? "true" : "false";
  return "";
}

function stringify(obj, sep, eq, options) {
  sep = sep || "&";
  eq = eq || "=";
  let encode = api.escape;
  if (options && typeof options.encodeURIComponent === "function") encode = options.encodeURIComponent;
  // With the built-in escape, numbers below 1e21 and bigints need no escaping.
  const convert = encode === escape
    ? (v) => {
      if (typeof v === "number" && Number.isFinite(v) && Math.abs(v) < 1e21) return `${v}`;
      if (typeof v === "bigint") return `${v}`;
      const text = primitiveText(v);
      return text.length > 0 && typeof v !== "boolean" ? encode(text) : text;
    }
    : (v) => encode(primitiveText(v));
  if (obj === null || typeof obj !== "object") return "";
  let fields = "";
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const prefix = convert(k) + eq;
    const values = Array.isArray(v) ? v : [v];
    if (values.length === 0) continue; // an empty array leaves the key out
    if (fields) fields += sep;
    for (let j = 0; j < values.length; j++) {
      if (j > 0) fields += sep;
      fields += prefix + convert(values[j]);
    }
  }
  return fields;
}

function addPair(obj, key, value, keyEncoded, valueEncoded, decode) {
  if (key.length > 0 && keyEncoded) key = decodeText(key, decode);
  if (value.length > 0 && valueEncoded) value = decodeText(value, decode);
  const current = obj[key];
  if (current === undefined) obj[key] = value;
  else if (Array.isArray(current)) current.push(value);
  else obj[key] = [current, value];
}

function decodeText(s, decode) {
  try {
    return decode(s);
  } catch {
    return api.unescape(s, true);
  }
}

/**
 * One pass over `qs`, as Node's parser makes it: `sep` and `eq` may be
 * several characters (matched without backtracking), `+` is a space, and
 * with the built-in decoder a key or value is only decoded when a `%XX`
 * escape was seen in it.
 */
function parse(qs, sep, eq, options) {
  const obj = { __proto__: null };
  if (typeof qs !== "string" || qs.length === 0) return obj;
  const sepText = sep ? String(sep) : "&";
  const eqText = eq ? String(eq) : "=";
  let pairsLeft = 1000;
  if (options && typeof options.maxKeys === "number") pairsLeft = options.maxKeys > 0 ? options.maxKeys : -1;
  let decode = api.unescape;
  if (options && typeof options.decodeURIComponent === "function") decode = options.decodeURIComponent;
  const custom = decode !== unescape;
  // A custom decoder sees every key and value, and "+" as "%20".
  const plus = custom ? "%20" : " ";

  let key = "";
  let value = "";
  let lastPos = 0;
  let sepIdx = 0;
  let eqIdx = 0;
  let keyEncoded = custom;
  let valueEncoded = custom;
  let hexRun = 0; // 1 after a "%", 2 and 3 after its hex digits
  const inKey = () => eqIdx < eqText.length;

  for (let i = 0; i < qs.length; i++) {
    const ch = qs[i];
    if (ch === sepText[sepIdx]) {
      if (++sepIdx < sepText.length) continue;
      const end = i - sepIdx + 1;
      if (inKey()) {
        if (lastPos < end) {
          key += qs.slice(lastPos, end);
        } else if (key.length === 0) {
          // An empty pair: nothing to add, but it counts against maxKeys.
          if (--pairsLeft === 0) return obj;
          lastPos = i + 1;
          sepIdx = eqIdx = 0;
          continue;
        }
      } else if (lastPos < end) {
        value += qs.slice(lastPos, end);
      }
      addPair(obj, key, value, keyEncoded, valueEncoded, decode);
      if (--pairsLeft === 0) return obj;
      keyEncoded = valueEncoded = custom;
      key = value = "";
      hexRun = 0;
      lastPos = i + 1;
      sepIdx = eqIdx = 0;
      continue;
    }
    sepIdx = 0;
    if (inKey()) {
      if (ch === eqText[eqIdx]) {
        if (++eqIdx === eqText.length) {
          const end = i - eqIdx + 1;
          if (lastPos < end) key += qs.slice(lastPos, end);
          hexRun = 0;
          lastPos = i + 1;
        }
        continue;
      }
      eqIdx = 0;
      if (!keyEncoded) {
        if (ch === "%") {
          hexRun = 1;
          continue;
        }
        if (hexRun > 0) {
          if (hexValue(qs.charCodeAt(i)) >= 0) {
            if (++hexRun === 3) keyEncoded = true;
            continue;
          }
          hexRun = 0;
        }
      }
      if (ch === "+") {
        key += qs.slice(lastPos, i) + plus;
        lastPos = i + 1;
        continue;
      }
    }
    // In the value, and (as in Node) in a key that is already known to be
    // encoded: note escapes for the value.
    if (ch === "+") {
      value += qs.slice(lastPos, i) + plus;
      lastPos = i + 1;
    } else if (!valueEncoded) {
      if (ch === "%") {
        hexRun = 1;
      } else if (hexRun > 0) {
        if (hexValue(qs.charCodeAt(i)) >= 0) {
          if (++hexRun === 3) valueEncoded = true;
        } else {
          hexRun = 0;
        }
      }
    }
  }

  if (lastPos < qs.length) {
    if (inKey()) key += qs.slice(lastPos);
    else if (sepIdx < sepText.length) value += qs.slice(lastPos);
  } else if (eqIdx === 0 && key.length === 0) {
    return obj;
  }
  addPair(obj, key, value, keyEncoded, valueEncoded, decode);
  return obj;
}

const api = {
  unescapeBuffer,
  unescape,
  escape,
  stringify,
  encode: stringify,
  parse,
  decode: parse,
};

// `encodeStr` is for node:url (the legacy format escapes `auth` with it);
// a symbol key keeps it out of the module's exports.
return { ...api, default: api, [Symbol.for("isola.node.encodeStr")]: encodeStr };
})();
