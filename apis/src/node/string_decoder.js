// node:string_decoder — decodes a stream of byte chunks to strings,
// holding back a character split between chunks (utf8, utf16le) or an
// incomplete 3-byte group (base64, base64url) until the next write, with
// the same chunk-by-chunk results as Node's native decoder.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("string_decoder");
const { codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_THIS, ERR_UNKNOWN_ENCODING } } = require("internal/errors");

let BufferClass;
const Buffer = () => (BufferClass ??= require("buffer").Buffer);

const ENCODINGS = {
  "utf8": "utf8", "utf-8": "utf8",
  "ucs2": "utf16le", "ucs-2": "utf16le", "utf16le": "utf16le", "utf-16le": "utf16le",
  "latin1": "latin1", "binary": "latin1",
  "base64": "base64", "base64url": "base64url",
  "hex": "hex", "ascii": "ascii",
};

function normalizeEncoding(encoding) {
  if (encoding === undefined || encoding === null || encoding === "") return "utf8";
  const name = typeof encoding === "string" ? ENCODINGS[encoding.toLowerCase()] : undefined;
  if (name === undefined) throw new ERR_UNKNOWN_ENCODING(encoding);
  return name;
}

/** The byte length of the UTF-8 character `lead` starts, or 0 for a byte that starts none. */
function utf8Length(lead) {
  if ((lead & 0xe0) === 0xc0) return 2;
  if ((lead & 0xf0) === 0xe0) return 3;
  if ((lead & 0xf8) === 0xf0) return 4;
  return 0;
}

const isContinuation = (byte) => (byte & 0xc0) === 0x80;

/** The objects StringDecoder constructed, so `write` can refuse others. */
const decoders = new WeakSet();

class StringDecoder {
  /** Bytes of a character (or base64 group) not finished yet: at most 4. */
  #pending;
  #buffered = 0;
  #missing = 0;

  constructor(encoding) {
    this.encoding = normalizeEncoding(encoding);
    this.#pending = Buffer().alloc(4);
    decoders.add(this);
  }

  write(buf) {
    if (typeof buf === "string") return buf;
    if (!ArrayBuffer.isView(buf)) throw new ERR_INVALID_ARG_TYPE("buf", ["Buffer", "TypedArray", "DataView"], buf);
    if (!decoders.has(this)) throw new ERR_INVALID_THIS("StringDecoder");
    const bytes = Buffer().isBuffer(buf) ? buf : Buffer().from(buf.buffer, buf.byteOffset, buf.byteLength);
    return this.#decode(bytes);
  }

  end(buf) {
    let result = buf === undefined ? "" : this.write(buf);
    if (this.#buffered > 0) result += this.#flush();
    return result;
  }

  /** Legacy: forgets any pending bytes, then writes `buf` from `offset` on. */
  text(buf, offset) {
    this.#buffered = 0;
    this.#missing = 0;
    return this.write(buf.slice(offset));
  }

  get lastChar() {
    return this.#pending;
  }

  get lastNeed() {
    return this.#missing;
  }

  get lastTotal() {
    return this.#buffered + this.#missing;
  }

  #decode(bytes) {
    const enc = this.encoding;
    if (enc === "hex" || enc === "latin1" || enc === "ascii") return bytes.toString(enc);
    let start = 0;
    let prefix = "";

    // First finish the character the last chunk ended in, if any.
    if (this.#missing > 0) {
      if (enc === "utf8") {
        // A byte that cannot continue the character ends it, incomplete;
        // it then starts the next one.
        for (let i = 0; i < bytes.length && i < this.#missing; i++) {
          if (!isContinuation(bytes[i])) {
            this.#take(bytes, 0, i);
            start = i;
            this.#missing = 0;
            break;
          }
        }
      }
      const found = Math.min(bytes.length - start, this.#missing);
      this.#take(bytes, start, found);
      start += found;
      this.#missing -= found;
      if (this.#missing > 0) return "";
      prefix = this.#pending.toString(enc, 0, this.#buffered);
      this.#buffered = 0;
      if (start === bytes.length) return prefix;
    }

    // Then hold back what the next chunk has to finish.
    let end = bytes.length;
    let keep = 0;
    if (enc === "utf8") {
      [keep, this.#missing] = utf8Tail(bytes, start, end);
    } else if (enc === "utf16le") {
      if ((end - start) % 2 === 1) {
        keep = this.#missing = 1;
      } else if ((bytes[end - 1] & 0xfc) === 0xd8) {
        keep = this.#missing = 2; // the first half of a surrogate pair
      }
    } else {
      keep = (end - start) % 3;
      this.#missing = keep > 0 ? 3 - keep : 0;
    }
    end -= keep;
    this.#buffered = 0;
    this.#take(bytes, end, keep);
    return prefix + (end > start ? bytes.toString(enc, start, end) : "");
  }

  /** Appends `count` bytes of `bytes` from `from` to the pending ones. */
  #take(bytes, from, count) {
    for (let i = 0; i < count; i++) this.#pending[this.#buffered++] = bytes[from + i];
  }

  #flush() {
    // A lone trailing byte of UTF-16 is dropped.
    if (this.encoding === "utf16le" && this.#buffered % 2 === 1) {
      this.#buffered--;
      this.#missing--;
    }
    if (this.#buffered === 0) return "";
    const text = this.#pending.toString(this.encoding, 0, this.#buffered);
    this.#buffered = 0;
    this.#missing = 0;
    return text;
  }
}

/**
 * How a UTF-8 chunk `bytes[start, end)` ends: `[keep, missing]`, the bytes
 * of an unfinished character at its end and how many more it needs (the
 * count includes the kept ones, as Node's decoder keeps it). Bytes that
 * cannot be finished are left for the decoder to replace.
 */
function utf8Tail(bytes, start, end) {
  if ((bytes[end - 1] & 0x80) === 0) return [0, 0];
  for (let i = end - 1, seen = 1; ; i--, seen++) {
    if (isContinuation(bytes[i])) {
      if (seen >= 4 || i === start) return [0, 0];
      continue;
    }
    const length = utf8Length(bytes[i]);
    if (length === 0 || seen >= length) return [0, 0];
    return [seen, length - seen];
  }
}

// Node's methods and legacy state accessors are enumerable.
for (const name of ["write", "end", "text", "lastChar", "lastNeed", "lastTotal"]) {
  Object.defineProperty(StringDecoder.prototype, name, { enumerable: true });
}

return { StringDecoder };
})();
