// `R2Bucket`: R2 as a binding (`env.BUCKET`).
//
// The ops (`ops.rs` beside this file) do the storage work and stream
// bodies; this file gives them workerd's shape: `R2Object` and
// `R2ObjectBody` with their fields as own properties, `onlyIf`, `range`
// and `httpMetadata` from objects or `Headers`, one checksum per `put`,
// and errors worded `<method>: <message> (<code>)`, thrown as plain
// `Error`s as workerd throws them.

import {
  op_r2_abort_multipart,
  op_r2_complete_multipart,
  op_r2_create_multipart,
  op_r2_delete,
  op_r2_get,
  op_r2_head,
  op_r2_list,
  op_r2_put,
  op_r2_upload_part,
} from "ext:core/ops";
import {
  bytesToArrayBuffer,
  encoding,
  file,
  headers as headersNs,
  primordials,
  response as responseNs,
  streams,
} from "ext:isola_global_scope/00_infra.js";
import { registerBinding } from "ext:isola_global_scope/40_env.js";
import { expectedLength } from "ext:isola_global_scope/26_byte_streams.js";
import { streamResource } from "ext:isola_global_scope/45_rpc_values.js";

const {
  ArrayBufferIsView,
  ArrayBufferPrototype,
  ArrayIsArray,
  ArrayPrototypeIncludes,
  ArrayPrototypeMap,
  Date,
  DatePrototypeGetTime,
  DatePrototypeToUTCString,
  DatePrototype,
  Error,
  JSONParse,
  NumberIsInteger,
  NumberParseInt,
  ObjectEntries,
  ObjectPrototypeIsPrototypeOf,
  RangeError,
  RegExpPrototypeExec,
  String,
  StringPrototypeSlice,
  StringPrototypeSplit,
  StringPrototypeStartsWith,
  StringPrototypeToLowerCase,
  StringPrototypeTrim,
  TypeError,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetByteOffset,
  Uint8Array,
} = primordials;
const { TextDecoder, TextEncoder } = encoding;
const { Blob, BlobPrototype } = file;
const HeadersPrototype = headersNs.Headers.prototype;
const { Response } = responseNs;
const { ReadableStream, ReadableStreamPrototype, readableStreamForRid } = streams;

const encoder = new TextEncoder();
/** The largest single `put`: 5 GiB less 5 MiB. */
const MAX_PUT_BYTES = 5_363_466_240;
const TOO_LARGE = "Your proposed upload exceeds the maximum allowed object size. (100100)";
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** Runs an op, wording its failure as workerd does: `action: message`. */
async function call(action, promise) {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw error;
    }
    throw new Error(`${action}: ${error?.message ?? error}`);
  }
}

// ---- metadata, conditions, ranges, checksums --------------------------------

const HTTP_FIELDS = [
  ["contentType", "content-type"],
  ["contentLanguage", "content-language"],
  ["contentDisposition", "content-disposition"],
  ["contentEncoding", "content-encoding"],
  ["cacheControl", "cache-control"],
];

function isHeaders(value) {
  return ObjectPrototypeIsPrototypeOf(HeadersPrototype, value);
}

function dateMs(value) {
  if (ObjectPrototypeIsPrototypeOf(DatePrototype, value)) {
    return DatePrototypeGetTime(value);
  }
  return DatePrototypeGetTime(new Date(value));
}

/** `httpMetadata` as the host keeps it, from an object or `Headers`. */
function httpMetadataIn(value) {
  const out = {};
  if (value === undefined || value === null) {
    return out;
  }
  if (isHeaders(value)) {
    for (const [field, header] of HTTP_FIELDS) {
      const v = value.get(header);
      if (v !== null) out[field] = v;
    }
    const expires = value.get("expires");
    if (expires !== null) {
      const ms = DatePrototypeGetTime(new Date(expires));
      if (ms === ms) out.cacheExpiry = ms;
    }
    return out;
  }
  for (const [field] of HTTP_FIELDS) {
    if (value[field] !== undefined) out[field] = String(value[field]);
  }
  if (value.cacheExpiry !== undefined) out.cacheExpiry = dateMs(value.cacheExpiry);
  return out;
}

function customMetadataIn(value) {
  const out = {};
  if (value === undefined || value === null) {
    return out;
  }
  for (const [k, v] of ObjectEntries(value)) {
    out[k] = String(v);
  }
  return out;
}

/** The etags of an `If-Match` / `If-None-Match` header; weak ones marked. */
function parseEtags(header, name) {
  const out = [];
  for (const part of StringPrototypeSplit(header, ",")) {
    const item = StringPrototypeTrim(part);
    if (item === "*") {
      out.push({ value: "*", weak: false });
      continue;
    }
    const match = RegExpPrototypeExec(/^(W\/)?"([^"]*)"$/, item);
    if (match === null) {
      throw new Error(`Invalid ETag in ${name} header`);
    }
    out.push({ value: match[2], weak: match[1] !== undefined });
  }
  return out;
}

function conditionalEtags(value) {
  const list = ArrayIsArray(value) ? value : [value];
  const out = [];
  for (const etag of list) {
    const text = String(etag);
    if (StringPrototypeStartsWith(text, '"') || StringPrototypeStartsWith(text, 'W/"')) {
      throw new TypeError(`Conditional ETag should not be wrapped in quotes (${text}).`);
    }
    out.push(text);
  }
  return out;
}

/** `onlyIf` as the host checks it, from an `R2Conditional` or `Headers`. */
function conditionsIn(value) {
  if (value === undefined || value === null) {
    return null;
  }
  if (isHeaders(value)) {
    const out = { secondsGranularity: true };
    const ifMatch = value.get("if-match");
    if (ifMatch !== null) {
      // A weak etag never matches If-Match.
      out.etagMatches = [];
      for (const tag of parseEtags(ifMatch, "if-match")) {
        if (!tag.weak) out.etagMatches.push(tag.value);
      }
    }
    const ifNoneMatch = value.get("if-none-match");
    if (ifNoneMatch !== null) {
      out.etagDoesNotMatch = ArrayPrototypeMap(
        parseEtags(ifNoneMatch, "if-none-match"),
        (tag) => tag.value,
      );
    }
    const since = value.get("if-modified-since");
    if (since !== null) out.uploadedAfter = DatePrototypeGetTime(new Date(since));
    const unmodified = value.get("if-unmodified-since");
    if (unmodified !== null) out.uploadedBefore = DatePrototypeGetTime(new Date(unmodified));
    return out;
  }
  const out = { secondsGranularity: !!value.secondsGranularity };
  if (value.etagMatches !== undefined) out.etagMatches = conditionalEtags(value.etagMatches);
  if (value.etagDoesNotMatch !== undefined) {
    out.etagDoesNotMatch = conditionalEtags(value.etagDoesNotMatch);
  }
  if (value.uploadedBefore !== undefined) out.uploadedBefore = dateMs(value.uploadedBefore);
  if (value.uploadedAfter !== undefined) out.uploadedAfter = dateMs(value.uploadedAfter);
  return out;
}

function checkWhole(what, name, n) {
  if (!NumberIsInteger(n)) {
    throw new RangeError(`Invalid range. ${what} (${n}) must be an integer, not floating point.`);
  }
  if (n < 0) {
    const kind = name === "suffix" ? "Invalid suffix" : "Invalid range";
    throw new RangeError(`${kind}. ${what} (${n}) must be greater than or equal to 0.`);
  }
}

/** `range` as the host reads it, from an `R2Range` or a `Range` header. */
function rangeIn(value) {
  if (value === undefined || value === null) {
    return null;
  }
  if (isHeaders(value)) {
    const header = value.get("range");
    if (header === null) return null;
    // One range of bytes, or none: anything else reads the whole object.
    const match = RegExpPrototypeExec(/^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/, header);
    if (match === null || (match[1] === "" && match[2] === "")) return null;
    if (match[1] === "") return { suffix: +match[2] };
    const offset = +match[1];
    if (match[2] === "") return { offset };
    const end = +match[2];
    return end < offset ? null : { offset, length: end - offset + 1 };
  }
  const out = {};
  if (value.suffix !== undefined) {
    if (value.offset !== undefined) throw new TypeError("Suffix is incompatible with offset.");
    if (value.length !== undefined) throw new TypeError("Suffix is incompatible with length.");
    checkWhole("Suffix", "suffix", value.suffix);
    out.suffix = value.suffix;
    return out;
  }
  if (value.offset !== undefined) {
    checkWhole("Starting offset", "offset", value.offset);
    out.offset = value.offset;
  }
  if (value.length !== undefined) {
    checkWhole("Length", "length", value.length);
    out.length = value.length;
  }
  return out;
}

const HASHES = [
  ["md5", "MD5", 16],
  ["sha1", "SHA-1", 20],
  ["sha256", "SHA-256", 32],
  ["sha384", "SHA-384", 48],
  ["sha512", "SHA-512", 64],
];

function hex(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  }
  return out;
}

function viewBytes(value) {
  if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, value)) {
    return new Uint8Array(value);
  }
  return new Uint8Array(
    TypedArrayPrototypeGetBuffer(value),
    TypedArrayPrototypeGetByteOffset(value),
    TypedArrayPrototypeGetByteLength(value),
  );
}

/** The one checksum a `put` may give, as hex. */
function checksumsIn(options) {
  const out = {};
  let given = 0;
  for (const [field, name, size] of HASHES) {
    const value = options[field];
    if (value === undefined) continue;
    if (++given > 1) throw new TypeError("You cannot specify multiple hashing algorithms.");
    if (typeof value === "string") {
      if (value.length !== size * 2) {
        throw new TypeError(`${name} is ${size * 2} hex characters, not ${value.length}`);
      }
      if (RegExpPrototypeExec(/^[0-9a-fA-F]*$/, value) === null) {
        throw new TypeError(`Provided ${name} wasn't a valid hex string`);
      }
      out[field] = StringPrototypeToLowerCase(value);
    } else {
      const bytes = viewBytes(value);
      if (bytes.length !== size) {
        throw new TypeError(`${name} is ${size} bytes, not ${bytes.length}`);
      }
      out[field] = hex(bytes);
    }
  }
  return out;
}

/** A value `put` or `uploadPart` takes: `[bytes, stream rid or null]`. */
async function valueIn(action, value) {
  if (value === null || value === undefined) return [EMPTY, null];
  if (typeof value === "string") return [encoder.encode(value), null];
  if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, value) || ArrayBufferIsView(value)) {
    return [viewBytes(value), null];
  }
  if (ObjectPrototypeIsPrototypeOf(BlobPrototype, value)) {
    return [new Uint8Array(await value.arrayBuffer()), null];
  }
  if (ObjectPrototypeIsPrototypeOf(ReadableStreamPrototype, value)) {
    // A length known up front is checked before a byte is read.
    if (value[expectedLength] > MAX_PUT_BYTES) {
      throw new Error(`${action}: ${TOO_LARGE}`);
    }
    return [EMPTY, streamResource(value)];
  }
  return [encoder.encode(String(value)), null];
}

// ---- objects ----------------------------------------------------------------

function unhex(text) {
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = NumberParseInt(StringPrototypeSlice(text, i * 2, i * 2 + 2), 16);
  }
  return bytes.buffer;
}

export class R2Checksums {
  #hex;

  constructor(checksums) {
    this.#hex = checksums;
    for (const [field] of HASHES) {
      if (checksums[field] !== undefined) this[field] = unhex(checksums[field]);
    }
  }

  toJSON() {
    return { ...this.#hex };
  }
}

function httpMetadataOut(stored) {
  const out = { ...stored };
  if (out.cacheExpiry !== undefined) out.cacheExpiry = new Date(out.cacheExpiry);
  return out;
}

export class R2Object {
  constructor(object, range = undefined) {
    this.key = object.key;
    this.version = object.version;
    this.size = object.size;
    this.etag = object.etag;
    this.httpEtag = `"${object.etag}"`;
    this.checksums = new R2Checksums(object.checksums);
    this.uploaded = new Date(object.uploaded);
    this.httpMetadata = object.httpMetadata === undefined ? undefined : httpMetadataOut(object.httpMetadata);
    this.customMetadata = object.customMetadata;
    this.range = range;
    this.storageClass = "Standard";
  }

  writeHttpMetadata(headers) {
    const metadata = this.httpMetadata;
    if (metadata === undefined) {
      throw new TypeError(
        `HTTP metadata unknown for key \`${this.key}\`. Did you forget to add 'httpMetadata' to \`include\` when listing?`,
      );
    }
    for (const [field, header] of HTTP_FIELDS) {
      if (metadata[field] !== undefined) headers.set(header, metadata[field]);
    }
    if (metadata.cacheExpiry !== undefined) {
      headers.set("expires", DatePrototypeToUTCString(metadata.cacheExpiry));
    }
  }
}

const BODY_USED =
  "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.";

export class R2ObjectBody extends R2Object {
  #bytes;
  #stream;
  #used = false;

  constructor(object, range, bytes, rid) {
    super(object, range);
    this.#bytes = bytes;
    this.#stream = rid === null ? null : readableStreamForRid(rid);
  }

  get body() {
    if (this.#stream === null) {
      const bytes = this.#bytes;
      this.#stream = new ReadableStream({
        type: "bytes",
        start(controller) {
          if (bytes.length > 0) controller.enqueue(bytes);
          controller.close();
        },
      });
    }
    return this.#stream;
  }

  get bodyUsed() {
    return this.#used || (this.#stream !== null && this.#stream.locked);
  }

  async #read() {
    if (this.bodyUsed) throw new TypeError(BODY_USED);
    this.#used = true;
    if (this.#stream === null) return this.#bytes;
    return new Uint8Array(await new Response(this.#stream).arrayBuffer());
  }

  async arrayBuffer() {
    return bytesToArrayBuffer(await this.#read());
  }

  async bytes() {
    return new Uint8Array(await this.arrayBuffer());
  }

  async text() {
    return decoder.decode(await this.#read());
  }

  async json() {
    return JSONParse(await this.text());
  }

  async blob() {
    return new Blob([await this.#read()], { type: this.httpMetadata?.contentType ?? "" });
  }
}

function checkPartNumber(n) {
  if (!NumberIsInteger(n) || n < 1 || n > 10000) {
    throw new TypeError(
      `Part number must be between 1 and 10000 (inclusive). Actual value was: ${n}`,
    );
  }
}

export class R2MultipartUpload {
  #binding;

  constructor(binding, key, uploadId) {
    this.#binding = binding;
    this.key = key;
    this.uploadId = uploadId;
  }

  async uploadPart(partNumber, value, _options = undefined) {
    checkPartNumber(partNumber);
    const [bytes, rid] = await valueIn("uploadPart", value);
    return await call(
      "uploadPart",
      op_r2_upload_part(this.#binding, this.key, this.uploadId, partNumber, bytes, rid),
    );
  }

  async abort() {
    await call(
      "abortMultipartUpload",
      op_r2_abort_multipart(this.#binding, this.key, this.uploadId),
    );
  }

  async complete(parts) {
    const given = ArrayPrototypeMap(parts, (part) => {
      checkPartNumber(part.partNumber);
      return { partNumber: part.partNumber, etag: String(part.etag) };
    });
    const object = await call(
      "completeMultipartUpload",
      op_r2_complete_multipart(this.#binding, this.key, this.uploadId, given),
    );
    return new R2Object(object);
  }
}

const INCLUDE = ["httpMetadata", "customMetadata"];

export class R2Bucket {
  #binding;

  constructor(binding) {
    this.#binding = binding;
  }

  async head(key) {
    const object = await call("head", op_r2_head(this.#binding, String(key)));
    return object === null ? null : new R2Object(object, { offset: 0, length: object.size });
  }

  async get(key, options = undefined) {
    const request = {
      onlyIf: conditionsIn(options?.onlyIf),
      range: rangeIn(options?.range),
    };
    const got = await call("get", op_r2_get(this.#binding, String(key), request));
    if (got === null) return null;
    if (got.range === null) return new R2Object(got.object);
    const range = { offset: got.range[0], length: got.range[1] };
    return new R2ObjectBody(got.object, range, got.bytes, got.rid);
  }

  async put(key, value, options = undefined) {
    const request = {
      httpMetadata: httpMetadataIn(options?.httpMetadata),
      customMetadata: customMetadataIn(options?.customMetadata),
      onlyIf: conditionsIn(options?.onlyIf),
      checksums: options === undefined || options === null ? {} : checksumsIn(options),
    };
    const [bytes, rid] = await valueIn("put", value);
    const object = await call("put", op_r2_put(this.#binding, String(key), request, bytes, rid));
    return object === null ? null : new R2Object(object);
  }

  async delete(keys) {
    const list = ArrayIsArray(keys) ? ArrayPrototypeMap(keys, String) : [String(keys)];
    await call("delete", op_r2_delete(this.#binding, list));
  }

  async list(options = undefined) {
    const include = options?.include ?? [];
    for (const field of include) {
      if (field !== "httpMetadata" && field !== "customMetadata") {
        throw new RangeError(`Unsupported include value ${field}`);
      }
    }
    const request = {
      prefix: options?.prefix === undefined ? "" : String(options.prefix),
      delimiter: options?.delimiter === undefined ? null : String(options.delimiter),
      cursor: options?.cursor === undefined ? null : String(options.cursor),
      startAfter: options?.startAfter === undefined ? null : String(options.startAfter),
      limit: options?.limit === undefined ? null : options.limit,
    };
    if (request.limit !== null && (!NumberIsInteger(request.limit) || request.limit < 0)) {
      request.limit = 0;
    }
    const page = await call("list", op_r2_list(this.#binding, request));
    const objects = ArrayPrototypeMap(page.objects, (object) => {
      // Fields not asked for come back empty, as in local development.
      for (const field of INCLUDE) {
        if (!ArrayPrototypeIncludes(include, field)) object[field] = {};
      }
      return new R2Object(object);
    });
    const result = {
      objects,
      truncated: page.truncated,
      delimitedPrefixes: page.delimitedPrefixes,
    };
    if (page.truncated) result.cursor = page.cursor;
    return result;
  }

  async createMultipartUpload(key, options = undefined) {
    const uploadId = await call(
      "createMultipartUpload",
      op_r2_create_multipart(
        this.#binding,
        String(key),
        httpMetadataIn(options?.httpMetadata),
        customMetadataIn(options?.customMetadata),
      ),
    );
    return new R2MultipartUpload(this.#binding, String(key), uploadId);
  }

  resumeMultipartUpload(key, uploadId) {
    return new R2MultipartUpload(this.#binding, String(key), String(uploadId));
  }
}

registerBinding("r2_bucket", (name) => new R2Bucket(name));
