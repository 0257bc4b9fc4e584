// node:crypto's keys and signatures: KeyObject (secret, public, private),
// createSecretKey/createPublicKey/createPrivateKey, generateKeyPair(Sync),
// generateKey(Sync), Sign/Verify and sign/verify. Asymmetric keys are
// the host's to read and use (keys.rs); JS keeps each as DER (SPKI or
// PKCS #8). Internal: node:crypto reaches it with
// require("internal/crypto_keys").
(function () {
"use strict";
const { require, ops } = globalThis[Symbol.for("isola.node")].enter("internal/crypto_keys");
const {
  codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE },
  validateString,
} = require("internal/errors");
const { Buffer } = require("buffer");
const { later } = require("internal/callbacks");

const KEY = Symbol("key");

function bytesOf(data, encoding, name) {
  if (typeof data === "string") return Buffer.from(data, encoding);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new ERR_INVALID_ARG_TYPE(name, ["string", "Buffer", "TypedArray", "DataView", "ArrayBuffer"], data);
}

function asBuffer(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** DER as PEM text under `label`. */
function pem(label, der) {
  const base64 = asBuffer(der).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

class KeyObject {
  #type;

  constructor(type, handle) {
    if (type !== "secret" && type !== "public" && type !== "private") {
      throw new ERR_INVALID_ARG_VALUE("type", type);
    }
    if (handle?.[KEY] === undefined) throw new TypeError("Illegal constructor");
    this.#type = type;
    this[KEY] = handle[KEY];
  }

  get type() {
    return this.#type;
  }

  static from(key) {
    if (!(key instanceof CryptoKey)) throw new ERR_INVALID_ARG_TYPE("key", "CryptoKey", key);
    throw new (require("internal/errors").codes.ERR_METHOD_NOT_IMPLEMENTED)("KeyObject.from");
  }

  equals(other) {
    if (!(other instanceof KeyObject)) throw new ERR_INVALID_ARG_TYPE("otherKeyObject", "KeyObject", other);
    if (other.type !== this.type) return false;
    const a = this[KEY].bytes ?? this[KEY].der;
    const b = other[KEY].bytes ?? other[KEY].der;
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
}

class SecretKeyObject extends KeyObject {
  constructor(handle) {
    super("secret", handle);
  }

  get symmetricKeySize() {
    return this[KEY].bytes.length;
  }

  export(options = {}) {
    if (options.format === "jwk") {
      return { kty: "oct", k: asBuffer(this[KEY].bytes).toString("base64url") };
    }
    return Buffer.from(this[KEY].bytes);
  }
}

class AsymmetricKeyObject extends KeyObject {
  get asymmetricKeyType() {
    return this[KEY].asymmetricKeyType;
  }

  get asymmetricKeyDetails() {
    const key = this[KEY];
    if (key.asymmetricKeyType === "rsa") {
      return { modulusLength: key.modulusLength, publicExponent: BigInt(key.publicExponent) };
    }
    if (key.asymmetricKeyType === "ec") return { namedCurve: key.namedCurve };
    return {};
  }
}

class PublicKeyObject extends AsymmetricKeyObject {
  constructor(handle) {
    super("public", handle);
  }

  export(options = {}) {
    const { format = "pem", type = "spki" } = options;
    if (format === "jwk") throw new (require("internal/errors").codes.ERR_METHOD_NOT_IMPLEMENTED)("KeyObject.export (jwk)");
    const der = type === "pkcs1" ? ops.keyExportPkcs1(this[KEY].der, "public") : this[KEY].der;
    if (format === "der") return Buffer.from(der);
    return pem(type === "pkcs1" ? "RSA PUBLIC KEY" : "PUBLIC KEY", der);
  }
}

class PrivateKeyObject extends AsymmetricKeyObject {
  constructor(handle) {
    super("private", handle);
  }

  export(options = {}) {
    const { format = "pem", type = "pkcs8" } = options;
    if (format === "jwk" || options.cipher !== undefined || type === "sec1") {
      throw new (require("internal/errors").codes.ERR_METHOD_NOT_IMPLEMENTED)(`KeyObject.export (${format}, ${type})`);
    }
    const der = type === "pkcs1" ? ops.keyExportPkcs1(this[KEY].der, "private") : this[KEY].der;
    if (format === "der") return Buffer.from(der);
    return pem(type === "pkcs1" ? "RSA PRIVATE KEY" : "PRIVATE KEY", der);
  }
}

function createSecretKey(key, encoding) {
  return new SecretKeyObject({ [KEY]: { bytes: new Uint8Array(bytesOf(key, encoding, "key")) } });
}

/** A key from what Node takes: PEM text, a buffer of PEM or DER, `{ key,
 * format, type }`, or a KeyObject. `want` is "public" or "private". */
function importKey(input, want) {
  if (input instanceof KeyObject) {
    if (input.type === want) return input[KEY];
    if (want === "public" && input.type === "private") {
      return ops.keyImport(input[KEY].der, "pkcs8", "public");
    }
    throw new ERR_INVALID_ARG_VALUE("key", input.type, `is not a ${want} key`);
  }
  let data = input, format = "pem", type = "";
  if (input !== null && typeof input === "object" && !ArrayBuffer.isView(input) && !(input instanceof ArrayBuffer)) {
    if (input.key instanceof KeyObject) return importKey(input.key, want);
    ({ key: data, format = "pem", type = "" } = input);
    if (format === "jwk") {
      throw new (require("internal/errors").codes.ERR_METHOD_NOT_IMPLEMENTED)("JWK key import");
    }
  }
  const bytes = bytesOf(data, input?.encoding ?? "utf8", "key");
  if (format === "der" && !type) throw new ERR_INVALID_ARG_VALUE("options.type", type);
  return ops.keyImport(bytes, format === "der" ? type : "", want);
}

function createPublicKey(key) {
  return new PublicKeyObject({ [KEY]: importKey(key, "public") });
}

function createPrivateKey(key) {
  return new PrivateKeyObject({ [KEY]: importKey(key, "private") });
}

// Signatures.

function signingOptions(key) {
  const plain = key !== null && typeof key === "object" && !(key instanceof KeyObject) && !ArrayBuffer.isView(key);
  const padding = plain ? key.padding : undefined;
  const saltLength = plain && key.saltLength !== undefined ? key.saltLength : -1;
  const p1363 = plain && key.dsaEncoding === "ieee-p1363";
  return { pss: padding === 6, saltLength, p1363 };
}

function signWith(algorithm, data, key) {
  const handle = importKey(key, "private");
  const { pss, saltLength, p1363 } = signingOptions(key);
  return asBuffer(ops.sign(algorithm ?? "sha256", handle.der, data, pss, saltLength, p1363));
}

function verifyWith(algorithm, data, key, signature) {
  const handle = importKey(key, "public");
  const { pss, saltLength, p1363 } = signingOptions(key);
  return ops.verify(algorithm ?? "sha256", handle.der, data, signature, pss, saltLength, p1363);
}

/** Collects what is signed or verified; the host signs it at the end. */
class Collector {
  #algorithm;
  #chunks = [];

  constructor(algorithm) {
    validateString(algorithm, "algorithm");
    this.#algorithm = algorithm;
  }

  update(data, encoding) {
    this.#chunks.push(bytesOf(data, encoding, "data"));
    return this;
  }

  data() {
    return Buffer.concat(this.#chunks);
  }

  get algorithm() {
    return this.#algorithm;
  }
}

class Sign extends Collector {
  sign(key, outputEncoding) {
    const signature = signWith(this.algorithm, this.data(), key);
    return outputEncoding === undefined || outputEncoding === "buffer" ? signature : signature.toString(outputEncoding);
  }
}

class Verify extends Collector {
  verify(key, signature, signatureEncoding) {
    return verifyWith(this.algorithm, this.data(), key, bytesOf(signature, signatureEncoding, "signature"));
  }
}

function sign(algorithm, data, key, callback) {
  const compute = () => signWith(algorithm ?? undefined, bytesOf(data, "utf8", "data"), key);
  if (callback === undefined) return compute();
  later(callback, compute);
}

function verify(algorithm, data, key, signature, callback) {
  const compute = () => verifyWith(algorithm ?? undefined, bytesOf(data, "utf8", "data"), key, bytesOf(signature, "utf8", "signature"));
  if (callback === undefined) return compute();
  later(callback, compute);
}

// Elliptic-curve Diffie-Hellman (createECDH), over raw keys.

const ECDH_CURVES = ["prime256v1", "secp384r1"];

function encodedOutput(bytes, encoding) {
  const buffer = asBuffer(bytes);
  return encoding === undefined || encoding === null || encoding === "buffer" ? buffer : buffer.toString(encoding);
}

function isCompressed(format) {
  if (format === undefined || format === null || format === "uncompressed") return false;
  if (format === "compressed") return true;
  throw new ERR_INVALID_ARG_VALUE("format", format);
}

class ECDH {
  #curve;
  #private = null;

  constructor(curve) {
    validateString(curve, "curve");
    if (!ECDH_CURVES.includes(curve)) throw new Error("Invalid curve");
    this.#curve = curve;
  }

  static convertKey(key, curve, inputEncoding, outputEncoding, format) {
    validateString(curve, "curve");
    const point = ops.ecdhConvert(curve, bytesOf(key, inputEncoding, "key"), isCompressed(format));
    return encodedOutput(point, outputEncoding);
  }

  generateKeys(encoding, format) {
    this.#private = ops.ecdhGenerate(this.#curve);
    return this.getPublicKey(encoding, format);
  }

  computeSecret(otherPublicKey, inputEncoding, outputEncoding) {
    if (this.#private === null) throw new Error("Failed to compute secret: no private key");
    const peer = bytesOf(otherPublicKey, inputEncoding, "otherPublicKey");
    return encodedOutput(ops.ecdhCompute(this.#curve, this.#private, peer), outputEncoding);
  }

  getPublicKey(encoding, format) {
    if (this.#private === null) throw new Error("Failed to get ECDH public key");
    return encodedOutput(ops.ecdhPublic(this.#curve, this.#private, isCompressed(format)), encoding);
  }

  getPrivateKey(encoding) {
    if (this.#private === null) throw new Error("Failed to get ECDH private key");
    return encodedOutput(this.#private, encoding);
  }

  setPrivateKey(key, encoding) {
    const bytes = new Uint8Array(bytesOf(key, encoding, "key"));
    ops.ecdhPublic(this.#curve, bytes, false); // checks the scalar
    this.#private = bytes;
    return this;
  }
}

// Key generation.

function encoded(keyObject, encoding) {
  return encoding === undefined ? keyObject : keyObject.export(encoding);
}

function generateKeyPairSync(type, options = {}) {
  validateString(type, "type");
  const [pkcs8, spki] = ops.generateKeyPair(
    type,
    options.modulusLength ?? 0,
    options.publicExponent ?? 0x10001,
    options.namedCurve ?? "",
  );
  const privateKey = new PrivateKeyObject({ [KEY]: ops.keyImport(pkcs8, "pkcs8", "private") });
  const publicKey = new PublicKeyObject({ [KEY]: ops.keyImport(spki, "spki", "public") });
  return {
    publicKey: encoded(publicKey, options.publicKeyEncoding),
    privateKey: encoded(privateKey, options.privateKeyEncoding),
  };
}

function generateKeyPair(type, options, callback) {
  if (typeof options === "function") [options, callback] = [undefined, options];
  later(callback, () => generateKeyPairSync(type, options));
}

function generateKeySync(type, options = {}) {
  validateString(type, "type");
  const length = options.length;
  if (type === "hmac" ? !(length >= 8 && length <= 2 ** 31 - 1) : ![128, 192, 256].includes(length)) {
    throw new ERR_INVALID_ARG_VALUE("options.length", length);
  }
  const bytes = new Uint8Array(Math.floor(length / 8));
  crypto.getRandomValues(bytes);
  return new SecretKeyObject({ [KEY]: { bytes } });
}

function generateKey(type, options, callback) {
  later(callback, () => generateKeySync(type, options));
}

return {
  KeyObject,
  SecretKeyObject,
  PublicKeyObject,
  PrivateKeyObject,
  createSecretKey,
  createPublicKey,
  createPrivateKey,
  Sign,
  Verify,
  ECDH,
  createECDH: (curve) => new ECDH(curve),
  getCurves: () => [...ECDH_CURVES],
  createSign: (algorithm) => new Sign(algorithm),
  createVerify: (algorithm) => new Verify(algorithm),
  sign,
  verify,
  generateKeyPair,
  generateKeyPairSync,
  generateKey,
  generateKeySync,
};
})();
