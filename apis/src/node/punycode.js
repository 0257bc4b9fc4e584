// node:punycode — Punycode (RFC 3492) and its use on domain names, as the
// deprecated module Node bundles (version "2.1.0") does. Node prints a
// deprecation warning on first use; this does not.
(function () {
"use strict";
globalThis[Symbol.for("isola.node")].enter("punycode");

// The RFC's parameters for IDNA.
const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 0x80;
const MAX_INT = 0x7fffffff; // the largest integer the arithmetic may reach

const MESSAGES = {
  overflow: "Overflow: input needs wider integers to process",
  "not-basic": "Illegal input >= 0x80 (not a basic code point)",
  "invalid-input": "Invalid input",
};

function fail(kind) {
  throw new RangeError(MESSAGES[kind]);
}

/** The code points of `string`; an unpaired surrogate is one of its own. */
function ucs2decode(string) {
  const out = [];
  for (let i = 0; i < string.length; i++) {
    const c = string.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < string.length) {
      const next = string.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out.push(((c - 0xd800) << 10) + (next - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

function ucs2encode(codePoints) {
  return String.fromCodePoint(...codePoints);
}

/** A digit's value: 0-25 for letters (either case), 26-35 for 0-9; BASE if neither. */
function digitValue(code) {
  if (code >= 0x30 && code <= 0x39) return code - 0x30 + 26;
  if (code >= 0x41 && code <= 0x5a) return code - 0x41;
  if (code >= 0x61 && code <= 0x7a) return code - 0x61;
  return BASE;
}

/** The lowercase character for digit `d` (0-35). */
function digitChar(d) {
  return String.fromCharCode(d < 26 ? 0x61 + d : 0x30 + d - 26);
}

/** The threshold t for position `k` under `bias` (RFC 3492 section 6.2). */
function threshold(k, bias) {
  return k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
}

/** Bias adaptation (RFC 3492 section 6.1). */
function adapt(delta, numPoints, firstTime) {
  delta = firstTime ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / numPoints);
  let k = 0;
  while (delta > ((BASE - T_MIN) * T_MAX) >> 1) {
    delta = Math.floor(delta / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * delta) / (delta + SKEW));
}

/** Punycode to Unicode: "mnchen-3ya" -> "münchen". */
function decode(input) {
  const output = [];
  // Everything before the last "-" is copied as it is.
  const lastDash = Math.max(input.lastIndexOf("-"), 0);
  for (let j = 0; j < lastDash; j++) {
    const c = input.charCodeAt(j);
    if (c >= 0x80) fail("not-basic");
    output.push(c);
  }
  let n = INITIAL_N;
  let bias = INITIAL_BIAS;
  let i = 0;
  let pos = lastDash > 0 ? lastDash + 1 : 0;
  while (pos < input.length) {
    // Read one variable-length integer, adding it to `i`.
    const start = i;
    let weight = 1;
    for (let k = BASE; ; k += BASE) {
      if (pos >= input.length) fail("invalid-input");
      const digit = digitValue(input.charCodeAt(pos++));
      if (digit >= BASE) fail("invalid-input");
      if (digit > Math.floor((MAX_INT - i) / weight)) fail("overflow");
      i += digit * weight;
      const t = threshold(k, bias);
      if (digit < t) break;
      if (weight > Math.floor(MAX_INT / (BASE - t))) fail("overflow");
      weight *= BASE - t;
    }
    const length = output.length + 1;
    bias = adapt(i - start, length, start === 0);
    // `i` counts insertion points across all code points from `n` up.
    if (Math.floor(i / length) > MAX_INT - n) fail("overflow");
    n += Math.floor(i / length);
    i %= length;
    output.splice(i++, 0, n);
  }
  return String.fromCodePoint(...output);
}

/** Unicode to Punycode: "münchen" -> "mnchen-3ya". */
function encode(input) {
  const points = ucs2decode(input);
  let output = "";
  for (const c of points) if (c < 0x80) output += String.fromCharCode(c);
  const basicCount = output.length;
  let handled = basicCount;
  if (basicCount > 0) output += "-";

  let n = INITIAL_N;
  let delta = 0;
  let bias = INITIAL_BIAS;
  while (handled < points.length) {
    // The smallest code point not yet handled.
    let m = MAX_INT;
    for (const c of points) if (c >= n && c < m) m = c;
    if (m - n > Math.floor((MAX_INT - delta) / (handled + 1))) fail("overflow");
    delta += (m - n) * (handled + 1);
    n = m;
    for (const c of points) {
      if (c < n && ++delta > MAX_INT) fail("overflow");
      if (c !== n) continue;
      // Write `delta` as a variable-length integer.
      let q = delta;
      for (let k = BASE; ; k += BASE) {
        const t = threshold(k, bias);
        if (q < t) break;
        output += digitChar(t + ((q - t) % (BASE - t)));
        q = Math.floor((q - t) / (BASE - t));
      }
      output += digitChar(q);
      bias = adapt(delta, handled + 1, handled === basicCount);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return output;
}

/**
 * Applies `convert` to each label of a domain. Of an email address only
 * the part after the (first) "@" is a domain; like Node, anything after a
 * second "@" is dropped.
 */
function mapDomain(domain, convert) {
  const parts = domain.split("@");
  let prefix = "";
  if (parts.length > 1) {
    prefix = `${parts[0]}@`;
    domain = parts[1];
  }
  // The dots IDNA counts as label separators.
  const labels = domain.replace(/[.\u3002\uFF0E\uFF61]/g, ".").split(".");
  // Last label first, as Node does: it decides which error a bad domain throws.
  for (let i = labels.length - 1; i >= 0; i--) labels[i] = convert(labels[i]);
  return prefix + labels.join(".");
}

function toASCII(input) {
  return mapDomain(input, (label) => (/[^\0-\x7f]/.test(label) ? `xn--${encode(label)}` : label));
}

function toUnicode(input) {
  return mapDomain(input, (label) => (/^xn--/.test(label) ? decode(label.slice(4).toLowerCase()) : label));
}

const punycode = {
  version: "2.1.0",
  ucs2: { decode: ucs2decode, encode: ucs2encode },
  decode,
  encode,
  toASCII,
  toUnicode,
};

return { ...punycode, default: punycode };
})();
