// node:net's address helpers: isIP/isIPv4/isIPv6, SocketAddress and
// BlockList, all computed here (Node keeps the last two in C++). Addresses
// are compared as 128-bit numbers, an IPv4 address standing for its
// IPv4-mapped IPv6 form (::ffff:a.b.c.d), so IPv4 rules match mapped
// addresses and IPv6 rules over ::ffff:0:0/96 match IPv4 ones, as in Node.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/net_address");
const {
  codes: { ERR_INVALID_ADDRESS, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_SOCKET_BAD_PORT },
  validateInt32,
  validateObject,
  validateString,
  validateUint32,
} = require("internal/errors");

const customInspect = Symbol.for("nodejs.util.inspect.custom");

// A dotted quad, each part 0-255 written without leading zeros.
const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)";
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
// What may follow `%` as an IPv6 zone (scope) id.
const ZONE = /^[0-9a-zA-Z\-.:]+$/;

/** The four bytes of a dotted-quad IPv4 address, or null. */
function parseIPv4(text) {
  if (!IPV4.test(text)) return null;
  return text.split(".").map(Number);
}

/** The eight 16-bit groups of an IPv6 address (its zone id dropped), or null. */
function parseIPv6(text) {
  const percent = text.indexOf("%");
  if (percent !== -1) {
    if (!ZONE.test(text.slice(percent + 1))) return null;
    text = text.slice(0, percent);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parts = halves.map((half) => (half === "" ? [] : half.split(":")));
  const groups = parts.map((list, h) => {
    const out = [];
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      // Only the very last item may be a dotted quad, worth two groups.
      if (h === parts.length - 1 && i === list.length - 1 && item.includes(".")) {
        const quad = parseIPv4(item);
        if (quad === null) return null;
        out.push((quad[0] << 8) | quad[1], (quad[2] << 8) | quad[3]);
      } else if (HEX_GROUP.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        return null;
      }
    }
    return out;
  });
  if (groups.includes(null)) return null;
  if (groups.length === 1) return groups[0].length === 8 ? groups[0] : null;
  // `::` stands for one or more zero groups.
  const missing = 8 - groups[0].length - groups[1].length;
  if (missing < 1) return null;
  return [...groups[0], ...new Array(missing).fill(0), ...groups[1]];
}

function isIPv4(input) {
  return IPV4.test(typeof input === "string" ? input : `${input}`);
}

function isIPv6(input) {
  return parseIPv6(typeof input === "string" ? input : `${input}`) !== null;
}

/** 4 or 6 for an IP address, 0 for anything else. */
function isIP(input) {
  if (isIPv4(input)) return 4;
  if (isIPv6(input)) return 6;
  return 0;
}

/** RFC 5952 text for eight groups: lower case, the longest run of two or
 * more zero groups as `::`, an IPv4-mapped address ending in a dotted quad. */
function formatIPv6(groups) {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** An address as a 128-bit BigInt; IPv4 ones as their mapped IPv6 form. */
function toBigInt(address, family) {
  if (family === "ipv4") {
    const quad = parseIPv4(address);
    return 0xffff00000000n | BigInt(((quad[0] << 24) | (quad[1] << 16) | (quad[2] << 8) | quad[3]) >>> 0);
  }
  return parseIPv6(address).reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function validatePort(port, name) {
  if ((typeof port !== "number" && typeof port !== "string") ||
      (typeof port === "string" && port.trim().length === 0) ||
      +port !== (+port >>> 0) || port > 0xffff) {
    throw new ERR_SOCKET_BAD_PORT(name, port, true);
  }
  return port | 0;
}

/** "ipv4"/"ipv6" from a family option, any case; throws otherwise. */
function familyOf(family, name) {
  const lower = typeof family === "string" ? family.toLowerCase() : family;
  if (lower !== "ipv4" && lower !== "ipv6") throw new ERR_INVALID_ARG_VALUE(name, family);
  return lower;
}

class SocketAddress {
  #address;
  #port;
  #family;
  #flowlabel;

  static isSocketAddress(value) {
    return value instanceof SocketAddress;
  }

  /** A SocketAddress from "1.2.3.4:80" or "[::1]:80", or undefined. */
  static parse(input) {
    validateString(input, "input");
    let url;
    try {
      url = new URL(`http://${input}`);
    } catch {
      return undefined;
    }
    const { hostname, port } = url;
    try {
      if (hostname.startsWith("[") && hostname.endsWith("]")) {
        return new SocketAddress({ address: hostname.slice(1, -1), port: port | 0, family: "ipv6" });
      }
      return new SocketAddress({ address: hostname, port: port | 0 });
    } catch {
      return undefined;
    }
  }

  constructor(options = {}) {
    validateObject(options, "options");
    const family = familyOf(options.family === undefined ? "ipv4" : options.family, "options.family");
    const { address = family === "ipv4" ? "127.0.0.1" : "::", port = 0, flowlabel = 0 } = options;
    validateString(address, "options.address");
    const portNumber = validatePort(port, "options.port");
    validateUint32(flowlabel, "options.flowlabel");
    let canonical;
    if (family === "ipv4") {
      if (!isIPv4(address)) throw new ERR_INVALID_ADDRESS();
      canonical = address;
    } else {
      const groups = parseIPv6(address);
      if (groups === null) throw new ERR_INVALID_ADDRESS();
      canonical = formatIPv6(groups);
    }
    this.#address = canonical;
    this.#port = portNumber;
    this.#family = family;
    this.#flowlabel = flowlabel;
  }

  get address() {
    return this.#address;
  }
  get port() {
    return this.#port;
  }
  get family() {
    return this.#family;
  }
  get flowlabel() {
    return this.#flowlabel;
  }

  toJSON() {
    return { address: this.#address, port: this.#port, family: this.#family, flowlabel: this.#flowlabel };
  }

  [customInspect](depth, options, inspect) {
    if (depth < 0) return this;
    const shown = inspect(this.toJSON(), { ...options, depth: options.depth == null ? null : options.depth - 1 });
    return `SocketAddress ${shown}`;
  }
}

// --- BlockList ---

const FAMILY_NAME = { ipv4: "IPv4", ipv6: "IPv6" };

/** A SocketAddress for `address` (a string or a SocketAddress). */
function toSocketAddress(address, family, name) {
  if (SocketAddress.isSocketAddress(address)) return address;
  validateString(address, name);
  if (typeof family !== "string") throw new ERR_INVALID_ARG_TYPE("family", "string", family);
  return new SocketAddress({ address, family });
}

const RULE_PATTERNS = [
  [/^Address: (IPv4|IPv6) (\S+)$/, (list, family, address) => list.addAddress(address, family)],
  [/^Range: (IPv4|IPv6) ([^\s-]+)-(\S+)$/, (list, family, start, end) => list.addRange(start, end, family)],
  [/^Subnet: (IPv4|IPv6) (\S+)\/(\d{1,3})$/, (list, family, network, prefix) =>
    list.addSubnet(network, Number(prefix), family)],
];

class BlockList {
  // Newest first, as Node lists them.
  #rules = [];

  static isBlockList(value) {
    return value instanceof BlockList;
  }

  addAddress(address, family = "ipv4") {
    const sa = toSocketAddress(address, family, "address");
    const value = toBigInt(sa.address, sa.family);
    this.#rules.unshift({ from: value, to: value, text: `Address: ${FAMILY_NAME[sa.family]} ${sa.address}` });
  }

  addRange(start, end, family = "ipv4") {
    const from = toSocketAddress(start, family, "start");
    const to = toSocketAddress(end, family, "end");
    if (to.family !== from.family) throw new ERR_INVALID_ARG_VALUE("end", to.address, "must be same family as start");
    const low = toBigInt(from.address, from.family);
    const high = toBigInt(to.address, to.family);
    if (low > high) throw new ERR_INVALID_ARG_VALUE("start", from.address, "must come before end");
    this.#rules.unshift({
      from: low,
      to: high,
      text: `Range: ${FAMILY_NAME[from.family]} ${from.address}-${to.address}`,
    });
  }

  addSubnet(network, prefix, family = "ipv4") {
    const sa = toSocketAddress(network, family, "network");
    const bits = sa.family === "ipv4" ? 32 : 128;
    validateInt32(prefix, "prefix", 0, bits);
    // As a range of the 128-bit space: an IPv4 prefix covers the mapped block.
    const hostBits = BigInt(bits - prefix);
    const base = toBigInt(sa.address, sa.family);
    const from = (base >> hostBits) << hostBits;
    this.#rules.unshift({
      from,
      to: from + (1n << hostBits) - 1n,
      text: `Subnet: ${FAMILY_NAME[sa.family]} ${sa.address}/${prefix}`,
    });
  }

  check(address, family = "ipv4") {
    let sa;
    if (SocketAddress.isSocketAddress(address)) {
      sa = address;
    } else {
      validateString(address, "address");
      if (typeof family !== "string") throw new ERR_INVALID_ARG_TYPE("family", "string", family);
      try {
        sa = new SocketAddress({ address, family });
      } catch {
        return false;
      }
    }
    const value = toBigInt(sa.address, sa.family);
    return this.#rules.some((rule) => value >= rule.from && value <= rule.to);
  }

  get rules() {
    return this.#rules.map((rule) => rule.text);
  }

  toJSON() {
    return this.rules;
  }

  /** Adds the rules of `data` (what toJSON() gave, or that as JSON text);
   * lines that are not rules are skipped. */
  fromJSON(data) {
    if (typeof data === "string") data = JSON.parse(data);
    if (!Array.isArray(data) || !data.every((item) => typeof item === "string")) {
      throw new ERR_INVALID_ARG_TYPE("data", ["string", "string[]"], data);
    }
    for (const item of data) {
      for (const [pattern, add] of RULE_PATTERNS) {
        const match = pattern.exec(item);
        if (match) {
          add(this, match[1].toLowerCase(), ...match.slice(2));
          break;
        }
      }
    }
  }

  [customInspect](depth, options, inspect) {
    if (depth < 0) return "[BlockList]";
    const shown = inspect({ rules: this.rules }, { ...options, depth: options.depth == null ? null : options.depth - 1 });
    return `BlockList ${shown}`;
  }
}

return {
  BlockList,
  SocketAddress,
  formatIPv6,
  isIP,
  isIPv4,
  isIPv6,
  parseIPv6,
  validatePort,
};
})();
