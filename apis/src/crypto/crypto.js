// What Workers add to Web Crypto: `crypto.DigestStream`, a WritableStream
// whose `digest` promise gives the hash of everything written (hashed
// chunk by chunk on the host, `mod.rs` beside this file), and
// `crypto.subtle.timingSafeEqual`.

import {
  op_digest_stream_finish,
  op_digest_stream_new,
  op_digest_stream_update,
} from "ext:core/ops";
import {
  core,
  crypto,
  DOMException,
  primordials,
  streams,
} from "ext:isola_global_scope/00_infra.js";
import { byteView, bytesOf } from "ext:isola_global_scope/26_byte_streams.js";

const {
  ObjectDefineProperty,
  Promise,
  PromisePrototypeCatch,
  SafeSet,
  SetPrototypeHas,
  String,
  StringPrototypeToUpperCase,
  TypeError,
  TypedArrayPrototypeGetBuffer,
} = primordials;

const ALGORITHMS = new SafeSet(["SHA-1", "SHA-256", "SHA-384", "SHA-512", "MD5"]);

class DigestStream extends streams.WritableStream {
  #digest;

  constructor(algorithm) {
    const name = typeof algorithm === "object" && algorithm !== null
      ? algorithm.name
      : algorithm;
    if (!SetPrototypeHas(ALGORITHMS, StringPrototypeToUpperCase(String(name)))) {
      throw new DOMException(`Unrecognized algorithm name: ${name}`, "NotSupportedError");
    }
    const rid = op_digest_stream_new(String(name));
    let resolve;
    let reject;
    const digest = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may ever read the promise; an aborted stream must not make it
    // an unhandled rejection.
    PromisePrototypeCatch(digest, () => {});
    super({
      write(chunk) {
        op_digest_stream_update(rid, bytesOf(chunk, "DigestStream"));
      },
      close() {
        resolve(TypedArrayPrototypeGetBuffer(op_digest_stream_finish(rid)));
      },
      abort(reason) {
        core.tryClose(rid);
        reject(reason);
      },
    });
    this.#digest = digest;
  }

  /** The digest, an ArrayBuffer, once the stream is closed. */
  get digest() {
    return this.#digest;
  }
}

/** A view of `data`'s bytes, or a TypeError naming the argument. */
function bytes(data, which) {
  const view = byteView(data);
  if (view !== null) {
    return view;
  }
  throw new TypeError(
    `Failed to execute 'timingSafeEqual' on 'SubtleCrypto': parameter ${which} is not of type 'ArrayBuffer or ArrayBufferView'.`,
  );
}

/** Compares two buffers in time that depends only on their length. */
function timingSafeEqual(a, b) {
  const left = bytes(a, 1);
  const right = bytes(b, 2);
  if (left.byteLength !== right.byteLength) {
    throw new TypeError("Input buffers must have the same byte length.");
  }
  let difference = 0;
  for (let i = 0; i < left.byteLength; i++) {
    difference |= left[i] ^ right[i];
  }
  return difference === 0;
}

/** Adds the Workers extensions to the Web Crypto classes. */
export function extendCrypto() {
  ObjectDefineProperty(crypto.Crypto.prototype, "DigestStream", {
    value: DigestStream,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  ObjectDefineProperty(crypto.SubtleCrypto.prototype, "timingSafeEqual", {
    value: timingSafeEqual,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
