// node:crypto — hashes and HMACs (hashed by the host, incrementally),
// random values, `timingSafeEqual`, and Web Crypto as `webcrypto`.
// PBKDF2, HKDF, scrypt, AES ciphers, and keys and signatures
// (internal_crypto_keys.js) are the host's too. Diffie-Hellman and X.509
// are not here yet: they throw
// ERR_METHOD_NOT_IMPLEMENTED, as workerd's unimplemented parts do.
(function () {
"use strict";
const { require, ops } = globalThis[Symbol.for("isola.node")].enter("crypto");
const {
  codes: {
    ERR_CRYPTO_HASH_FINALIZED,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_ARG_TYPE,
    ERR_OUT_OF_RANGE,
  },
  notImplemented,
  validateFunction,
  validateInteger,
  validateNumber,
  validateString,
} = require("internal/errors");
const { Buffer } = require("buffer");
const { later } = require("internal/callbacks");

const HASHES = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512-224", "sha512-256"];

/** `data` as bytes: strings in `encoding`, any view over its memory. */
function bytesOf(data, encoding, name) {
  if (typeof data === "string") return Buffer.from(data, encoding);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ERR_INVALID_ARG_TYPE(name, ["string", "Buffer", "TypedArray", "DataView"], data);
}

function output(bytes, encoding) {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return encoding === undefined || encoding === "buffer" ? buffer : buffer.toString(encoding);
}

// A hasher the host holds is dropped when its object is collected undigested.
const unfinished = new FinalizationRegistry((rid) => ops.hashDrop(rid));

class Hasher {
  #rid;
  #done = false;

  constructor(rid) {
    this.#rid = rid;
    unfinished.register(this, rid, this);
  }

  update(data, encoding) {
    if (this.#done) throw new ERR_CRYPTO_HASH_FINALIZED();
    ops.hashUpdate(this.#rid, bytesOf(data, encoding, "data"));
    return this;
  }

  digest(encoding) {
    if (this.#done) throw new ERR_CRYPTO_HASH_FINALIZED();
    this.#done = true;
    unfinished.unregister(this);
    return output(ops.hashDigest(this.#rid), encoding);
  }

  /** For `Hash.copy`: the host's copy of this hasher's state. */
  copyRid() {
    if (this.#done) throw new ERR_CRYPTO_HASH_FINALIZED();
    return ops.hashCopy(this.#rid);
  }
}

class Hash extends Hasher {
  constructor(algorithm, options, rid) {
    if (rid === undefined) {
      validateString(algorithm, "algorithm");
      rid = ops.hashNew(algorithm, undefined);
      if (rid === null || rid === undefined) throw new Error("Digest method not supported");
    }
    super(rid);
  }

  copy() {
    return new Hash(undefined, undefined, this.copyRid());
  }
}

class Hmac extends Hasher {
  constructor(algorithm, key) {
    validateString(algorithm, "hmac");
    const rid = ops.hashNew(algorithm, secretBytes(key, "key"));
    if (rid === null || rid === undefined) throw new Error("Digest method not supported");
    super(rid);
  }
}

function createHash(algorithm, options) {
  return new Hash(algorithm, options);
}

function createHmac(algorithm, key, options) {
  return new Hmac(algorithm, key, options);
}

/** `crypto.hash(algorithm, data, outputEncoding = "hex")`, in one call. */
function hash(algorithm, data, outputEncoding = "hex") {
  validateString(algorithm, "algorithm");
  if (typeof data !== "string" && !ArrayBuffer.isView(data)) {
    throw new ERR_INVALID_ARG_TYPE("data", ["string", "Buffer", "TypedArray", "DataView"], data);
  }
  const digest = ops.hashOnce(algorithm, bytesOf(data, "utf8", "data"));
  if (digest === null || digest === undefined) throw new Error("Digest method not supported");
  return output(digest, outputEncoding);
}

function getHashes() {
  return [...HASHES];
}

// Random values, in the 64 KiB slices `getRandomValues` takes.
function fillRandom(bytes) {
  for (let at = 0; at < bytes.length; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(at + 65536, bytes.length)));
  }
  return bytes;
}

const MAX_RANDOM = 2 ** 31 - 1;

function randomBytes(size, callback) {
  validateNumber(size, "size", 0, MAX_RANDOM);
  const bytes = fillRandom(Buffer.alloc(size));
  if (callback === undefined) return bytes;
  later(callback, () => bytes);
}

function viewBytes(buffer) {
  if (buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer) return new Uint8Array(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  throw new ERR_INVALID_ARG_TYPE("buf", ["ArrayBuffer", "ArrayBufferView"], buffer);
}

function randomFillSync(buffer, offset = 0, size) {
  const bytes = viewBytes(buffer);
  validateInteger(offset, "offset", 0, bytes.length);
  size = size === undefined ? bytes.length - offset : size;
  validateInteger(size, "size", 0, bytes.length - offset);
  fillRandom(bytes.subarray(offset, offset + size));
  return buffer;
}

function randomFill(buffer, offset, size, callback) {
  if (typeof offset === "function") [offset, size, callback] = [0, undefined, offset];
  else if (typeof size === "function") [size, callback] = [undefined, size];
  validateFunction(callback, "callback");
  randomFillSync(buffer, offset, size);
  queueMicrotask(() => callback(null, buffer));
}

/** A uniformly random integer in [min, max), without modulo bias. */
function randomInt(min, max, callback) {
  if (max === undefined || typeof max === "function") [min, max, callback] = [0, min, max];
  if (!Number.isSafeInteger(min)) throw new ERR_INVALID_ARG_TYPE("min", "a safe integer", min);
  if (!Number.isSafeInteger(max)) throw new ERR_INVALID_ARG_TYPE("max", "a safe integer", max);
  if (max <= min) {
    throw new ERR_OUT_OF_RANGE("max", `greater than the value of "min" (${min})`, max);
  }
  const range = max - min;
  if (range >= 2 ** 48) throw new ERR_OUT_OF_RANGE("max - min", `<= ${2 ** 48 - 1}`, range);
  const limit = 2 ** 48 - (2 ** 48 % range);
  const six = new Uint8Array(6);
  let value;
  do {
    fillRandom(six);
    value = six.reduce((acc, byte) => acc * 256 + byte, 0);
  } while (value >= limit);
  const result = min + (value % range);
  if (callback === undefined) return result;
  later(callback, () => result);
}

function timingSafeEqual(a, b) {
  const left = viewBytes(a), right = viewBytes(b);
  if (left.length !== right.length) throw new TypeError("Input buffers must have the same byte length.");
  let difference = 0;
  for (let i = 0; i < left.length; i++) difference |= left[i] ^ right[i];
  return difference === 0;
}

// Ciphers: AES in CBC, ECB, CTR and GCM modes, by the host (cipher.rs).

const CIPHERS = [
  "aes-128-cbc", "aes-128-ctr", "aes-128-ecb", "aes-128-gcm",
  "aes-192-cbc", "aes-192-ctr", "aes-192-ecb", "aes-192-gcm",
  "aes-256-cbc", "aes-256-ctr", "aes-256-ecb", "aes-256-gcm",
  "aes128", "aes192", "aes256",
];
const ciphers = new FinalizationRegistry((rid) => ops.cipherDrop(rid));

class CipherBase {
  #rid;
  #padding = true;
  #done = false;
  #decoder = null;

  constructor(algorithm, key, iv, options, decrypt) {
    validateString(algorithm, "cipher");
    const keyBytes = secretBytes(key, "key");
    const ivBytes = iv === null || iv === undefined ? new Uint8Array(0) : secretBytes(iv, "iv");
    this.#rid = ops.cipherNew(algorithm, keyBytes, ivBytes, decrypt, options?.authTagLength ?? 16);
    ciphers.register(this, this.#rid, this);
  }

  #out(bytes, encoding) {
    const buffer = output(bytes);
    if (encoding === undefined || encoding === "buffer") return buffer;
    this.#decoder ??= new (require("string_decoder").StringDecoder)(encoding);
    return this.#decoder.write(buffer);
  }

  update(data, inputEncoding, outputEncoding) {
    if (this.#done) throw new Error("Unsupported state");
    if (typeof data === "string" && inputEncoding === undefined) {
      // workerd (unlike Node) wants the encoding of a string said.
      throw new ERR_INVALID_ARG_VALUE(
        "inputEncoding",
        inputEncoding,
        "If inputEncoding is not provided then the data must be a Buffer",
      );
    }
    return this.#out(ops.cipherUpdate(this.#rid, bytesOf(data, inputEncoding, "data")), outputEncoding);
  }

  final(outputEncoding) {
    if (this.#done) throw new Error("Unsupported state");
    this.#done = true;
    const last = this.#out(ops.cipherFinal(this.#rid, this.#padding), outputEncoding);
    return this.#decoder === null ? last : last + this.#decoder.end();
  }

  setAutoPadding(autoPadding = true) {
    this.#padding = !!autoPadding;
    return this;
  }

  setAAD(buffer) {
    ops.cipherSetAad(this.#rid, bytesOf(buffer, "utf8", "buffer"));
    return this;
  }

  /** GCM: the tag, after `final`. */
  getAuthTag() {
    return output(ops.cipherTag(this.#rid));
  }

  /** GCM: the tag the decipher checks at `final`. */
  setAuthTag(tag) {
    ops.cipherSetTag(this.#rid, bytesOf(tag, "utf8", "buffer"));
    return this;
  }
}

class Cipheriv extends CipherBase {
  constructor(algorithm, key, iv, options) {
    super(algorithm, key, iv, options, false);
  }
}

class Decipheriv extends CipherBase {
  constructor(algorithm, key, iv, options) {
    super(algorithm, key, iv, options, true);
  }
}

// OpenSSL's description of each cipher, as `getCipherInfo` gives it.
const CIPHER_INFO = {};
for (const [bits, nids] of [[128, [419, 418, 904, 895]], [192, [423, 422, 905, 898]], [256, [427, 426, 906, 901]]]) {
  const keyLength = bits / 8;
  const [cbc, ecb, ctr, gcm] = nids;
  CIPHER_INFO[`aes-${bits}-cbc`] = { name: `AES-${bits}-CBC`, nid: cbc, blockSize: 16, ivLength: 16, keyLength, mode: "cbc" };
  CIPHER_INFO[`aes-${bits}-ecb`] = { name: `AES-${bits}-ECB`, nid: ecb, blockSize: 16, keyLength, mode: "ecb" };
  CIPHER_INFO[`aes-${bits}-ctr`] = { name: `AES-${bits}-CTR`, nid: ctr, blockSize: 1, ivLength: 16, keyLength, mode: "ctr" };
  CIPHER_INFO[`aes-${bits}-gcm`] = { name: `id-aes${bits}-GCM`, nid: gcm, blockSize: 1, ivLength: 12, keyLength, mode: "gcm" };
  CIPHER_INFO[`aes${bits}`] = CIPHER_INFO[`aes-${bits}-cbc`];
}

function getCipherInfo(nameOrNid) {
  const info = typeof nameOrNid === "number"
    ? Object.values(CIPHER_INFO).find((entry) => entry.nid === nameOrNid)
    : CIPHER_INFO[String(nameOrNid).toLowerCase()];
  return info === undefined ? undefined : { ...info };
}

function createCipheriv(algorithm, key, iv, options) {
  return new Cipheriv(algorithm, key, iv, options);
}

function createDecipheriv(algorithm, key, iv, options) {
  return new Decipheriv(algorithm, key, iv, options);
}

// Key derivation, by the host. The callback forms run on a microtask.

/** A key, salt or IV as bytes: a secret KeyObject's, a buffer's, a string's. */
function secretBytes(value, name) {
  if (value?.type === "secret" && typeof value.export === "function") return value.export();
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return new Uint8Array(value);
  return bytesOf(value, "utf8", name);
}

const MAX_PBKDF2_ITERATIONS = 100_000;

function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  const pass = secretBytes(password, "password");
  const saltBytes = secretBytes(salt, "salt");
  validateInteger(iterations, "iterations", 1, 2 ** 31 - 1);
  validateInteger(keylen, "keylen", 0, 2 ** 31 - 1);
  validateString(digest, "digest");
  if (iterations > MAX_PBKDF2_ITERATIONS) {
    // Cloudflare's limit: the derivation could not be stopped once begun.
    throw new DOMException(
      `Pbkdf2 failed: iteration counts above ${MAX_PBKDF2_ITERATIONS} are not supported (requested ${iterations}).`,
      "NotSupportedError",
    );
  }
  const key = ops.pbkdf2(pass, saltBytes, iterations, keylen, digest);
  if (key === null || key === undefined) throw new TypeError(`Invalid Pbkdf2 digest: ${digest}.`);
  return output(key);
}

function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  if (typeof digest === "function") [digest, callback] = [undefined, digest];
  validateFunction(callback, "callback");
  const key = pbkdf2Sync(password, salt, iterations, keylen, digest);
  later(callback, () => key);
}

function hkdfSync(digest, ikm, salt, info, keylen) {
  validateString(digest, "digest");
  const key = secretBytes(ikm, "ikm");
  const saltBytes = secretBytes(salt, "salt");
  const infoBytes = secretBytes(info, "info");
  validateInteger(keylen, "length", 0, 2 ** 31 - 1);
  if (infoBytes.length > 1024) {
    throw new ERR_OUT_OF_RANGE("info", "must not contain more than 1024 bytes", infoBytes.length);
  }
  const out = ops.hkdf(digest, key, saltBytes, infoBytes, keylen);
  if (out === null || out === undefined) throw new TypeError(`Invalid Hkdf digest: ${digest}`);
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
}

function hkdf(digest, ikm, salt, info, keylen, callback) {
  const key = hkdfSync(digest, ikm, salt, info, keylen);
  later(callback, () => key);
}

const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1, maxmem: 32 << 20 };

function scryptSync(password, salt, keylen, options = {}) {
  const pass = secretBytes(password, "password");
  const saltBytes = secretBytes(salt, "salt");
  validateInteger(keylen, "keylen", 0, 2 ** 31 - 1);
  const N = options.N ?? options.cost ?? SCRYPT_DEFAULTS.N;
  const r = options.r ?? options.blockSize ?? SCRYPT_DEFAULTS.r;
  const p = options.p ?? options.parallelization ?? SCRYPT_DEFAULTS.p;
  const maxmem = options.maxmem ?? SCRYPT_DEFAULTS.maxmem;
  if (128 * N * r > maxmem) {
    throw new Error("Scrypt failed");
  }
  return output(ops.scrypt(pass, saltBytes, keylen, N, r, p));
}

function scrypt(password, salt, keylen, options, callback) {
  if (typeof options === "function") [options, callback] = [undefined, options];
  validateFunction(callback, "callback");
  const key = scryptSync(password, salt, keylen, options);
  later(callback, () => key);
}

const exports = {
  Hash,
  Hmac,
  createHash,
  createHmac,
  hash,
  getHashes,
  getCiphers: () => [...CIPHERS],
  getCipherInfo,
  CryptoKey: globalThis.CryptoKey,
  fips: true,
  createCipher: notImplemented("createCipher"),
  createDecipher: notImplemented("createDecipher"),
  Cipheriv,
  Decipheriv,
  createCipheriv,
  createDecipheriv,
  randomBytes,
  pseudoRandomBytes: randomBytes,
  randomFill,
  randomFillSync,
  randomInt,
  randomUUID: () => crypto.randomUUID(),
  getRandomValues: (array) => crypto.getRandomValues(array),
  timingSafeEqual,
  webcrypto: crypto,
  subtle: crypto.subtle,
  constants: Object.freeze({}),
  pbkdf2,
  pbkdf2Sync,
  hkdf,
  hkdfSync,
  scrypt,
  scryptSync,
  getFips: () => 0,
  setFips: notImplemented("crypto.setFips"),
};
Object.assign(exports, require("internal/crypto_keys"));
for (const name of [
  "createDiffieHellman", "createDiffieHellmanGroup", "getDiffieHellman",
  "generatePrime", "generatePrimeSync", "checkPrime", "checkPrimeSync",
  "publicEncrypt", "publicDecrypt", "privateEncrypt", "privateDecrypt",
  "diffieHellman", "secureHeapUsed", "setEngine",
]) {
  exports[name] = notImplemented(`crypto.${name}`);
}
return exports;
})();
