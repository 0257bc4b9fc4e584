// node:buffer — `Buffer`, a Uint8Array with Node's methods. Strings are
// encoded and decoded by the engine's base64 and hex codecs where it has
// them, else by the host (`codec.rs`); numbers are read and written here.
(function () {
"use strict";
const { require, ops } = globalThis[Symbol.for("isola.node")].enter("buffer");
const {
  codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE, ERR_UNKNOWN_ENCODING, ERR_BUFFER_OUT_OF_BOUNDS },
  notImplemented,
  validateNumber,
} = require("internal/errors");

const kMaxLength = 2 ** 31 - 1;
const kStringMaxLength = 2 ** 29 - 24;
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

// Encodings as the host numbers them (codec.rs).
const UTF8 = 0, HEX = 1, BASE64 = 2, BASE64URL = 3, LATIN1 = 4, ASCII = 5, UTF16LE = 6;
const ENCODINGS = {
  utf8: UTF8, "utf-8": UTF8, hex: HEX, base64: BASE64, base64url: BASE64URL,
  latin1: LATIN1, binary: LATIN1, ascii: ASCII,
  ucs2: UTF16LE, "ucs-2": UTF16LE, utf16le: UTF16LE, "utf-16le": UTF16LE,
};
const NAMES = ["utf8", "hex", "base64", "base64url", "latin1", "ascii", "utf16le"];

/** The number of `encoding`, or undefined when Node does not know it. */
function encodingNumber(encoding) {
  if (encoding === undefined || encoding === null || encoding === "utf8" || encoding === "utf-8") return UTF8;
  const known = ENCODINGS[encoding];
  if (known !== undefined) return known;
  return typeof encoding === "string" ? ENCODINGS[encoding.toLowerCase()] : undefined;
}

function checkedEncoding(encoding) {
  const number = encodingNumber(encoding);
  if (number === undefined) throw new ERR_UNKNOWN_ENCODING(encoding);
  return number;
}

class FastBuffer extends Uint8Array {}

/** A Uint8Array of the host's as a Buffer over the same memory. */
function adopt(bytes) {
  return new FastBuffer(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function fromString(string, encoding) {
  const number = checkedEncoding(encoding);
  if (number === UTF8 && string.length < 64) {
    return adopt(encoder.encode(string));
  }
  return adopt(encode(string, number));
}

// The engine's own base64 and hex codecs (`Uint8Array.fromBase64`,
// `toHex`, ...) read and write strings where they live, without handing
// them to the host; where the engine has none, or finds text it is too
// strict for (Node reads base64 and hex leniently), the host does it.
const native = {
  fromBase64: Uint8Array.fromBase64,
  fromHex: Uint8Array.fromHex,
  toBase64: Uint8Array.prototype.toBase64,
  toHex: Uint8Array.prototype.toHex,
};
const BASE64_OPTIONS = { alphabet: "base64", lastChunkHandling: "loose" };
const BASE64URL_OPTIONS = { alphabet: "base64url", lastChunkHandling: "loose" };
const BASE64URL_OUT = { alphabet: "base64url", omitPadding: true };

/** The bytes `string` stands for in encoding `number`. */
function encode(string, number) {
  try {
    if ((number === BASE64 || number === BASE64URL) && native.fromBase64 !== undefined) {
      return native.fromBase64(string, number === BASE64 ? BASE64_OPTIONS : BASE64URL_OPTIONS);
    }
    if (number === HEX && native.fromHex !== undefined && string.length % 2 === 0) {
      return native.fromHex(string);
    }
  } catch {
    // Text only Node's lenient reading takes: the host's path below.
  }
  return ops.encode(string, number);
}

/** The string `bytes` make in encoding `number`. */
function decode(bytes, number) {
  if (number === HEX && native.toHex !== undefined) return native.toHex.call(bytes);
  if (number === BASE64 && native.toBase64 !== undefined) return native.toBase64.call(bytes);
  if (number === BASE64URL && native.toBase64 !== undefined) {
    return native.toBase64.call(bytes, BASE64URL_OUT);
  }
  return ops.decode(bytes, number);
}

const encoder = new TextEncoder();

function Buffer(arg, encodingOrOffset, length) {
  if (typeof arg === "number") {
    if (typeof encodingOrOffset === "string") {
      throw new ERR_INVALID_ARG_TYPE("string", "string", arg);
    }
    return Buffer.alloc(arg);
  }
  return Buffer.from(arg, encodingOrOffset, length);
}
Object.defineProperty(Buffer, Symbol.species, { get() { return FastBuffer; }, configurable: true });
Buffer.prototype = FastBuffer.prototype;
Object.defineProperty(FastBuffer.prototype, "constructor", { value: Buffer, writable: true, configurable: true });
Object.setPrototypeOf(Buffer, Uint8Array);
Buffer.poolSize = 8192;

Buffer.from = function from(value, encodingOrOffset, length) {
  if (typeof value === "string") return fromString(value, encodingOrOffset);
  if (typeof value === "object" && value !== null) {
    if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
      const offset = encodingOrOffset === undefined ? 0 : +encodingOrOffset || 0;
      const max = value.byteLength - offset;
      if (max < 0) throw new ERR_BUFFER_OUT_OF_BOUNDS("offset");
      const size = length === undefined ? max : +length || 0;
      if (size > max) throw new ERR_BUFFER_OUT_OF_BOUNDS("length");
      return new FastBuffer(value, offset, size);
    }
    if (ArrayBuffer.isView(value)) {
      if (value instanceof Uint8Array) return new FastBuffer(value);
      // Other views: one byte per element, as Node copies them.
      return new FastBuffer(Array.from(value, (v) => Number(v)));
    }
    const primitive = value.valueOf?.();
    if (primitive != null && primitive !== value && (typeof primitive === "string" || typeof primitive === "object")) {
      return Buffer.from(primitive, encodingOrOffset, length);
    }
    if (typeof value.length === "number" || Array.isArray(value)) {
      return new FastBuffer(Array.from({ length: value.length >>> 0 }, (_, i) => value[i]));
    }
    if (value.type === "Buffer" && Array.isArray(value.data)) {
      return new FastBuffer(value.data);
    }
    if (typeof value[Symbol.toPrimitive] === "function") {
      const string = value[Symbol.toPrimitive]("string");
      if (typeof string === "string") return fromString(string, encodingOrOffset);
    }
  }
  throw new ERR_INVALID_ARG_TYPE(
    "first argument",
    ["string", "Buffer", "TypedArray", "ArrayBuffer", "SharedArrayBuffer", "Array", "Array-like Object"],
    value,
  );
};

Buffer.of = function of(...items) {
  return new FastBuffer(items);
};

function checkSize(size) {
  if (typeof size !== "number") throw new ERR_INVALID_ARG_TYPE("size", "number", size);
  if (size < 0) throw new RangeError(`Invalid typed array length: ${size}`);
  if (!(size <= kMaxLength)) throw new ERR_OUT_OF_RANGE("size", `0 to ${kMaxLength}`, size);
}

Buffer.alloc = function alloc(size, fill, encoding) {
  checkSize(size);
  const buffer = new FastBuffer(size);
  if (fill !== undefined && fill !== 0 && size > 0) buffer.fill(fill, 0, size, encoding);
  return buffer;
};
Buffer.allocUnsafe = function allocUnsafe(size) {
  checkSize(size);
  return new FastBuffer(size);
};
Buffer.allocUnsafeSlow = Buffer.allocUnsafe;

Buffer.isBuffer = function isBuffer(value) {
  return value instanceof Buffer;
};
Buffer.isEncoding = function isEncoding(encoding) {
  return typeof encoding === "string" && encoding.length !== 0 && encodingNumber(encoding) !== undefined;
};

Buffer.byteLength = function byteLength(value, encoding) {
  if (typeof value !== "string") {
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
      return value.byteLength;
    }
    throw new ERR_INVALID_ARG_TYPE("string", ["string", "Buffer", "ArrayBuffer"], value);
  }
  const number = encodingNumber(encoding) ?? UTF8;
  if (number === LATIN1 || number === ASCII) return value.length;
  if (number === UTF16LE) return value.length * 2;
  return ops.byteLength(value, number);
};

function checkUint8Array(value, name) {
  if (!(value instanceof Uint8Array)) throw new ERR_INVALID_ARG_TYPE(name, ["Buffer", "Uint8Array"], value);
}

function compareBytes(a, aStart, aEnd, b, bStart, bEnd) {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < length; i++) {
    const x = a[aStart + i], y = b[bStart + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  const left = aEnd - aStart, right = bEnd - bStart;
  return left < right ? -1 : left > right ? 1 : 0;
}

Buffer.compare = function compare(a, b) {
  checkUint8Array(a, "a");
  checkUint8Array(b, "b");
  return compareBytes(a, 0, a.length, b, 0, b.length);
};

Buffer.concat = function concat(list, totalLength) {
  if (!Array.isArray(list)) throw new ERR_INVALID_ARG_TYPE("list", "(Buffer|Uint8Array)[]", list);
  if (list.length === 0) return new FastBuffer(0);
  if (totalLength === undefined) {
    totalLength = 0;
    for (let i = 0; i < list.length; i++) {
      checkUint8Array(list[i], `list[${i}]`);
      totalLength += list[i].length;
    }
  } else {
    validateNumber(totalLength, "length", 0, kMaxLength);
  }
  const out = new FastBuffer(totalLength);
  let at = 0;
  for (let i = 0; i < list.length && at < totalLength; i++) {
    const item = list[i];
    checkUint8Array(item, `list[${i}]`);
    const part = item.length > totalLength - at ? item.subarray(0, totalLength - at) : item;
    out.set(part, at);
    at += part.length;
  }
  return out;
};

Buffer.copyBytesFrom = function copyBytesFrom(view, offset = 0, length) {
  if (!ArrayBuffer.isView(view) || view instanceof DataView) {
    throw new ERR_INVALID_ARG_TYPE("view", "TypedArray", view);
  }
  const size = view.BYTES_PER_ELEMENT;
  const end = length === undefined ? view.length : Math.min(view.length, offset + length);
  const start = Math.min(offset, view.length);
  return new FastBuffer(new Uint8Array(view.buffer, view.byteOffset + start * size, (end - start) * size));
};

const proto = FastBuffer.prototype;

function clampRange(buffer, start, end) {
  const length = buffer.length;
  start = start === undefined ? 0 : Math.max(0, Math.min(Math.trunc(+start) || 0, length));
  end = end === undefined ? length : Math.max(0, Math.min(Math.trunc(+end) || 0, length));
  return [start, end];
}

proto.toString = function toString(encoding, start, end) {
  if (arguments.length === 0) return ops.decode(this, UTF8);
  const [from, to] = clampRange(this, start, end);
  if (to <= from) return "";
  const bytes = from === 0 && to === this.length ? this : this.subarray(from, to);
  return decode(bytes, checkedEncoding(encoding));
};
proto.toLocaleString = proto.toString;

proto.toJSON = function toJSON() {
  return { type: "Buffer", data: Array.from(this) };
};

proto.equals = function equals(other) {
  checkUint8Array(other, "otherBuffer");
  if (this === other) return true;
  if (this.length !== other.length) return false;
  return compareBytes(this, 0, this.length, other, 0, other.length) === 0;
};

proto.compare = function compare(target, targetStart = 0, targetEnd = target?.length, sourceStart = 0, sourceEnd = this.length) {
  checkUint8Array(target, "target");
  for (const [name, value, max] of [["targetStart", targetStart, target.length], ["targetEnd", targetEnd, target.length], ["sourceStart", sourceStart, this.length], ["sourceEnd", sourceEnd, this.length]]) {
    validateNumber(value, name, 0, max);
  }
  if (sourceStart >= sourceEnd) return targetStart >= targetEnd ? 0 : -1;
  if (targetStart >= targetEnd) return 1;
  return compareBytes(this, sourceStart, sourceEnd, target, targetStart, targetEnd);
};

proto.copy = function copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
  checkUint8Array(target, "target");
  targetStart = Math.trunc(+targetStart) || 0;
  sourceStart = Math.trunc(+sourceStart) || 0;
  sourceEnd = Math.min(Math.trunc(+sourceEnd) || 0, this.length);
  if (targetStart < 0) throw new ERR_OUT_OF_RANGE("targetStart", ">= 0", targetStart);
  if (sourceStart < 0 || sourceStart > this.length) {
    throw new ERR_OUT_OF_RANGE("sourceStart", `>= 0 && <= ${this.length}`, sourceStart);
  }
  if (sourceEnd <= sourceStart || targetStart >= target.length) return 0;
  const count = Math.min(sourceEnd - sourceStart, target.length - targetStart);
  target.set(this.subarray(sourceStart, sourceStart + count), targetStart);
  return count;
};

proto.fill = function fill(value, offset, end, encoding) {
  if (typeof offset === "string") {
    encoding = offset;
    offset = 0;
    end = this.length;
  } else if (typeof end === "string") {
    encoding = end;
    end = this.length;
  }
  offset = offset === undefined ? 0 : offset;
  end = end === undefined ? this.length : end;
  validateNumber(offset, "offset", 0, this.length);
  validateNumber(end, "end", 0, this.length);
  if (end <= offset) return this;
  if (typeof value === "number") {
    return Uint8Array.prototype.fill.call(this, value & 255, offset, end);
  }
  if (typeof value === "boolean") {
    return Uint8Array.prototype.fill.call(this, +value, offset, end);
  }
  let bytes;
  if (typeof value === "string") {
    if (encoding !== undefined && typeof encoding !== "string") {
      throw new ERR_INVALID_ARG_TYPE("encoding", "string", encoding);
    }
    const number = checkedEncoding(encoding);
    if (value.length === 0) return Uint8Array.prototype.fill.call(this, 0, offset, end);
    if (value.length === 1 && number === UTF8 && value.charCodeAt(0) < 128) {
      return Uint8Array.prototype.fill.call(this, value.charCodeAt(0), offset, end);
    }
    bytes = encode(value, number);
    if (bytes.length === 0 && number === HEX) throw new TypeError("The text is not valid hex");
    if (bytes.length === 0) throw new ERR_INVALID_ARG_VALUE("value", value);
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else if (ArrayBuffer.isView(value)) {
    bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  } else {
    return Uint8Array.prototype.fill.call(this, Number(value) & 255, offset, end);
  }
  if (bytes.length === 0) throw new ERR_INVALID_ARG_VALUE("value", value);
  for (let at = offset; at < end; at += bytes.length) {
    this.set(bytes.length <= end - at ? bytes : bytes.subarray(0, end - at), at);
  }
  return this;
};

proto.write = function write(string, offset, length, encoding) {
  if (typeof string !== "string") throw new ERR_INVALID_ARG_TYPE("argument", "string", string);
  if (typeof offset === "string") {
    encoding = offset;
    offset = 0;
    length = this.length;
  } else if (typeof length === "string") {
    encoding = length;
    length = undefined;
  }
  offset = offset === undefined ? 0 : offset;
  validateNumber(offset, "offset", 0, this.length);
  const room = this.length - offset;
  length = length === undefined ? room : Math.min(room, length);
  validateNumber(length, "length", 0, this.length);
  const number = checkedEncoding(encoding);
  let bytes = encode(string, number);
  if (bytes.length > length) {
    let cut = length;
    if (number === UTF8) {
      // Never a partial character: back off to the start of the last one.
      while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
    } else if (number === UTF16LE) {
      cut -= cut % 2;
    }
    bytes = bytes.subarray(0, cut);
  }
  this.set(bytes, offset);
  return bytes.length;
};

proto.slice = function slice(start, end) {
  const [from, to] = relative(this.length, start, end);
  return new FastBuffer(this.buffer, this.byteOffset + from, Math.max(0, to - from));
};
function relative(length, start, end) {
  const at = (value, fallback) => {
    if (value === undefined) return fallback;
    value = Math.trunc(+value) || 0;
    return value < 0 ? Math.max(0, length + value) : Math.min(value, length);
  };
  return [at(start, 0), at(end, length)];
}

function searchBytes(buffer, value, byteOffset, encoding, first) {
  if (typeof byteOffset === "string") {
    encoding = byteOffset;
    byteOffset = undefined;
  }
  const length = buffer.length;
  let from = byteOffset === undefined || byteOffset === null ? (first ? 0 : length) : +byteOffset;
  if (Number.isNaN(from)) from = first ? 0 : length;
  from = Math.trunc(from);
  if (from < 0) from += length;
  let needle;
  if (typeof value === "number") {
    needle = [value & 255];
  } else if (typeof value === "string") {
    needle = encode(value, checkedEncoding(encoding));
  } else if (value instanceof Uint8Array) {
    needle = value;
  } else {
    throw new ERR_INVALID_ARG_TYPE("value", ["number", "string", "Buffer", "Uint8Array"], value);
  }
  if (needle.length === 0) {
    return first ? Math.min(Math.max(from, 0), length) : Math.min(from, length);
  }
  if (first) {
    if (from < 0) from = 0;
    if (needle.length === 1) return Uint8Array.prototype.indexOf.call(buffer, needle[0], from);
    outer: for (let i = from; i <= length - needle.length; i++) {
      for (let j = 0; j < needle.length; j++) if (buffer[i + j] !== needle[j]) continue outer;
      return i;
    }
  } else {
    if (from < 0) return -1;
    outer: for (let i = Math.min(from, length - needle.length); i >= 0; i--) {
      for (let j = 0; j < needle.length; j++) if (buffer[i + j] !== needle[j]) continue outer;
      return i;
    }
  }
  return -1;
}
proto.indexOf = function indexOf(value, byteOffset, encoding) {
  return searchBytes(this, value, byteOffset, encoding, true);
};
proto.lastIndexOf = function lastIndexOf(value, byteOffset, encoding) {
  return searchBytes(this, value, byteOffset, encoding, false);
};
proto.includes = function includes(value, byteOffset, encoding) {
  return this.indexOf(value, byteOffset, encoding) !== -1;
};

function swap(size) {
  return function () {
    if (this.length % size !== 0) {
      throw new RangeError(`Buffer size must be a multiple of ${size * 8}-bits`);
    }
    for (let i = 0; i < this.length; i += size) {
      for (let a = i, b = i + size - 1; a < b; a++, b--) {
        const t = this[a];
        this[a] = this[b];
        this[b] = t;
      }
    }
    return this;
  };
}
proto.swap16 = swap(2);
proto.swap32 = swap(4);
proto.swap64 = swap(8);

Object.defineProperty(proto, "parent", { get() { return this instanceof Buffer ? this.buffer : undefined; }, configurable: true, enumerable: true });
Object.defineProperty(proto, "offset", { get() { return this instanceof Buffer ? this.byteOffset : undefined; }, configurable: true, enumerable: true });

// Numbers, read and written at an offset.

function checkOffset(buffer, offset, size) {
  if (typeof offset !== "number") throw new ERR_INVALID_ARG_TYPE("offset", "number", offset);
  if (!Number.isInteger(offset)) throw new ERR_OUT_OF_RANGE("offset", "an integer", offset);
  if (offset < 0 || offset > buffer.length) {
    throw new ERR_OUT_OF_RANGE("offset", `>= 0 && <= ${buffer.length}`, offset);
  }
  const last = buffer.length - size;
  if (last < 0) throw new ERR_BUFFER_OUT_OF_BOUNDS();
  if (offset > last) throw new ERR_OUT_OF_RANGE("offset", `>= 0 and <= ${last}`, offset);
}

function checkValue(value, min, max, size) {
  if (typeof value !== "number" && typeof value !== "bigint") throw new ERR_INVALID_ARG_TYPE("value", "number", value);
  if (value > max || value < min) {
    const n = typeof min === "bigint" ? "n" : "";
    let range;
    if (size > 4) {
      range = min === 0 || min === 0n
        ? `>= 0${n} and < 2${n} ** ${size * 8}${n}`
        : `>= -(2${n} ** ${size * 8 - 1}${n}) and < 2${n} ** ${size * 8 - 1}${n}`;
    } else {
      range = `>= ${min}${n} and <= ${max}${n}`;
    }
    throw new ERR_OUT_OF_RANGE("value", range, value);
  }
}

/** Unsigned reads and writes of 1 to 6 bytes, in either byte order. */
function readUnsigned(buffer, offset, size, big) {
  checkOffset(buffer, offset, size);
  let value = 0;
  for (let i = 0; i < size; i++) {
    value = value * 256 + buffer[offset + (big ? i : size - 1 - i)];
  }
  return value;
}
function readSigned(buffer, offset, size, big) {
  const value = readUnsigned(buffer, offset, size, big);
  const limit = 2 ** (size * 8 - 1);
  return value >= limit ? value - limit * 2 : value;
}
function writeNumber(buffer, value, offset, size, big, signed) {
  const bits = size * 8;
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  checkValue(value, min, max, size);
  checkOffset(buffer, offset, size);
  let rest = value < 0 ? value + 2 ** bits : value;
  for (let i = 0; i < size; i++) {
    const byte = rest % 256;
    buffer[offset + (big ? size - 1 - i : i)] = byte;
    rest = (rest - byte) / 256;
  }
  return offset + size;
}

for (const [suffix, size] of [["8", 1], ["16", 2], ["32", 4]]) {
  for (const big of size === 1 ? [false] : [false, true]) {
    const order = size === 1 ? "" : big ? "BE" : "LE";
    proto[`readUInt${suffix}${order}`] = function (offset = 0) {
      return readUnsigned(this, offset, size, big);
    };
    proto[`readInt${suffix}${order}`] = function (offset = 0) {
      return readSigned(this, offset, size, big);
    };
    proto[`writeUInt${suffix}${order}`] = function (value, offset = 0) {
      return writeNumber(this, value, offset, size, big, false);
    };
    proto[`writeInt${suffix}${order}`] = function (value, offset = 0) {
      return writeNumber(this, value, offset, size, big, true);
    };
    proto[`readUint${suffix}${order}`] = proto[`readUInt${suffix}${order}`];
    proto[`writeUint${suffix}${order}`] = proto[`writeUInt${suffix}${order}`];
  }
}

function checkByteLength(byteLength) {
  if (typeof byteLength !== "number") throw new ERR_INVALID_ARG_TYPE("byteLength", "number", byteLength);
  if (!Number.isInteger(byteLength) || byteLength < 1 || byteLength > 6) {
    throw new ERR_OUT_OF_RANGE("byteLength", ">= 1 and <= 6", byteLength);
  }
}
for (const big of [false, true]) {
  const order = big ? "BE" : "LE";
  proto[`readUInt${order}`] = function (offset, byteLength) {
    checkByteLength(byteLength);
    return readUnsigned(this, offset, byteLength, big);
  };
  proto[`readInt${order}`] = function (offset, byteLength) {
    checkByteLength(byteLength);
    return readSigned(this, offset, byteLength, big);
  };
  proto[`writeUInt${order}`] = function (value, offset, byteLength) {
    checkByteLength(byteLength);
    return writeNumber(this, value, offset, byteLength, big, false);
  };
  proto[`writeInt${order}`] = function (value, offset, byteLength) {
    checkByteLength(byteLength);
    return writeNumber(this, value, offset, byteLength, big, true);
  };
  proto[`readUint${order}`] = proto[`readUInt${order}`];
  proto[`writeUint${order}`] = proto[`writeUInt${order}`];

  // 64-bit integers as BigInts, and floats, through a DataView.
  const view = (buffer) => new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const little = !big;
  proto[`readBigUInt64${order}`] = function (offset = 0) {
    checkOffset(this, offset, 8);
    return view(this).getBigUint64(offset, little);
  };
  proto[`readBigInt64${order}`] = function (offset = 0) {
    checkOffset(this, offset, 8);
    return view(this).getBigInt64(offset, little);
  };
  proto[`writeBigUInt64${order}`] = function (value, offset = 0) {
    checkValue(value, 0n, 2n ** 64n - 1n, 8);
    checkOffset(this, offset, 8);
    view(this).setBigUint64(offset, value, little);
    return offset + 8;
  };
  proto[`writeBigInt64${order}`] = function (value, offset = 0) {
    checkValue(value, -(2n ** 63n), 2n ** 63n - 1n, 8);
    checkOffset(this, offset, 8);
    view(this).setBigInt64(offset, value, little);
    return offset + 8;
  };
  proto[`readBigUint64${order}`] = proto[`readBigUInt64${order}`];
  proto[`writeBigUint64${order}`] = proto[`writeBigUInt64${order}`];
  for (const [name, size, get, set] of [["Float", 4, "getFloat32", "setFloat32"], ["Double", 8, "getFloat64", "setFloat64"]]) {
    proto[`read${name}${order}`] = function (offset = 0) {
      checkOffset(this, offset, size);
      return view(this)[get](offset, little);
    };
    proto[`write${name}${order}`] = function (value, offset = 0) {
      if (typeof value !== "number") value = +value;
      checkOffset(this, offset, size);
      view(this)[set](offset, value, little);
      return offset + size;
    };
  }
}

// Encoding-named shortcuts that libraries written for old Node still call.
for (const [name, number] of [["utf8", UTF8], ["hex", HEX], ["base64", BASE64], ["base64url", BASE64URL], ["latin1", LATIN1], ["ascii", ASCII], ["ucs2", UTF16LE]]) {
  proto[`${name}Slice`] = function (start, end) {
    return this.toString(NAMES[number], start, end);
  };
  proto[`${name}Write`] = function (string, offset, length) {
    return this.write(string, offset, length, NAMES[number]);
  };
}

let INSPECT_MAX_BYTES = 50;
proto[INSPECT] = function inspect() {
  const shown = Math.min(INSPECT_MAX_BYTES, this.length);
  let text = Array.from(this.subarray(0, shown), (b) => b.toString(16).padStart(2, "0")).join(" ");
  if (this.length > shown) text += ` ... ${this.length - shown} more byte${this.length - shown > 1 ? "s" : ""}`;
  return `<${this.constructor.name} ${text}>`.replace(/ >$/, ">");
};
proto.inspect = proto[INSPECT];

function SlowBuffer(size) {
  return Buffer.allocUnsafe(size);
}
Object.setPrototypeOf(SlowBuffer.prototype, Uint8Array.prototype);
Object.setPrototypeOf(SlowBuffer, Uint8Array);

function isUtf8(input) {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
function isAscii(input) {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  return bytes.every((b) => b < 128);
}

const constants = Object.freeze({ MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength });

const exports = {
  Buffer,
  SlowBuffer,
  Blob: globalThis.Blob,
  File: globalThis.File,
  atob: globalThis.atob ?? ((s) => Buffer.from(s, "base64").toString("latin1")),
  btoa: globalThis.btoa ?? ((s) => Buffer.from(s, "latin1").toString("base64")),
  constants,
  kMaxLength,
  kStringMaxLength,
  isAscii,
  isUtf8,
  transcode: notImplemented("buffer.transcode"),
  resolveObjectURL: notImplemented("buffer.resolveObjectURL"),
};
Object.defineProperty(exports, "INSPECT_MAX_BYTES", {
  get: () => INSPECT_MAX_BYTES,
  set(value) {
    validateNumber(value, "INSPECT_MAX_BYTES", 0);
    INSPECT_MAX_BYTES = value;
  },
  enumerable: true,
});
return exports;
})();
