// What Workers add to Web Crypto: `crypto.DigestStream`, a WritableStream
// whose `digest` promise gives the hash of everything written (hashed
// chunk by chunk on the host, `mod.rs` beside this file), and
// `crypto.subtle.timingSafeEqual`. `crypto.subtle.digest` of a buffer up to
// DIGEST_NOW_BYTES is hashed at once, its promise already resolved, where
// Deno's runs each on a blocking thread. The other operations count as the
// Worker's CPU time (see `charged`).

import {
  op_digest_now,
  op_digest_stream_finish,
  op_digest_stream_new,
  op_digest_stream_update,
  op_worker_charge_cpu,
  op_worker_clock,
} from "ext:core/ops";
import {
  core,
  crypto,
  DOMException,
  primordials,
  streams,
} from "ext:isola_global_scope/00_infra.js";
import { byteView, bytesOf } from "ext:isola_global_scope/26_byte_streams.js";
import { currentInvocation } from "ext:isola_global_scope/30_events.js";

const {
  FunctionPrototypeApply,
  FunctionPrototypeCall,
  ObjectDefineProperty,
  ObjectGetOwnPropertyDescriptor,
  ObjectGetOwnPropertyNames,
  ObjectPrototypeIsPrototypeOf,
  Promise,
  PromisePrototypeCatch,
  PromisePrototypeFinally,
  PromisePrototypeThen,
  PromiseReject,
  PromiseResolve,
  SafeSet,
  SetPrototypeHas,
  String,
  StringPrototypeToUpperCase,
  TypeError,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetSymbolToStringTag,
} = primordials;

const ALGORITHMS = new SafeSet(["SHA-1", "SHA-256", "SHA-384", "SHA-512", "MD5"]);

/** Buffers up to this size are hashed at once by `crypto.subtle.digest`. */
const DIGEST_NOW_BYTES = 64 * 1024;

/**
 * `crypto.subtle.digest`, hashing a small buffer at once for a known
 * algorithm (and MD5, which workerd has and Deno lacks, at any size);
 * anything else (larger data, other arguments, errors) takes `digest`,
 * Deno's.
 */
function digestNow(digest) {
  /** The digest's promise, or a throw where Deno's would reject. */
  function attempt(self, args) {
    const algorithm = args[0];
    const name = typeof algorithm === "string" ? algorithm : algorithm?.name;
    if (typeof name !== "string" || args.length < 2) {
      return FunctionPrototypeApply(digest, self, args);
    }
    const upper = StringPrototypeToUpperCase(name);
    if (!SetPrototypeHas(ALGORITHMS, upper)) {
      throw new DOMException(
        "Unrecognized or unimplemented digest algorithm requested.",
        "NotSupportedError",
      );
    }
    const view = byteView(args[1]);
    if (
      view !== null &&
      ObjectPrototypeIsPrototypeOf(crypto.SubtleCrypto.prototype, self) &&
      (view.byteLength <= DIGEST_NOW_BYTES || upper === "MD5")
    ) {
      return PromiseResolve(TypedArrayPrototypeGetBuffer(op_digest_now(name, view)));
    }
    return FunctionPrototypeApply(digest, self, args);
  }
  const fast = {
    digest(_algorithm, _data) {
      try {
        return attempt(this, arguments);
      } catch (error) {
        return PromiseReject(error);
      }
    },
  }.digest;
  return fast;
}

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

/** Most PBKDF2 iterations workerd runs; more is refused, not computed. */
const MAX_PBKDF2_ITERATIONS = 100000;

/** The RSA key generation algorithms, upper-cased. */
const RSA_ALGORITHMS = new SafeSet(["RSASSA-PKCS1-V1_5", "RSA-PSS", "RSA-OAEP"]);

/** The algorithm name of a SubtleCrypto call, upper-cased. */
function algorithmName(algorithm) {
  const name = typeof algorithm === "string" ? algorithm : algorithm?.name;
  return typeof name === "string" ? StringPrototypeToUpperCase(name) : undefined;
}

/**
 * PBKDF2 with more iterations than workerd allows, refused in its words
 * (`deriveBits`, `deriveKey`).
 */
function pbkdf2Refusal(algorithm) {
  const iterations = algorithm?.iterations;
  if (
    algorithmName(algorithm) !== "PBKDF2" || typeof iterations !== "number" ||
    iterations <= MAX_PBKDF2_ITERATIONS
  ) {
    return null;
  }
  return new DOMException(
    `Pbkdf2 failed: iteration counts above ${MAX_PBKDF2_ITERATIONS} are not supported (requested ${iterations}).`,
    "NotSupportedError",
  );
}

/**
 * An RSA key size workerd does not generate, refused in its words
 * (`generateKey`): a multiple of 8 from 256 bits, below 16 384 (BoringSSL
 * fails at 16 384 itself).
 */
function rsaRefusal(algorithm) {
  const bits = algorithm?.modulusLength;
  if (!SetPrototypeHas(RSA_ALGORITHMS, algorithmName(algorithm)) || typeof bits !== "number") {
    return null;
  }
  if (bits % 8 !== 0 || bits < 256 || bits > 16384) {
    return new DOMException(
      `The modulus length must be a multiple of 8 and between 256 and 16k, but ${bits} was requested.`,
      "OperationError",
    );
  }
  return bits === 16384 ? new DOMException("RSA operation failed.", "OperationError") : null;
}

/**
 * SubtleCrypto's `method`, first refusing what `refusal` refuses (as a
 * rejected promise), before any host CPU is spent on it.
 */
function refusing(method, refusal) {
  const run = crypto.SubtleCrypto.prototype[method];
  return {
    [method](algorithm, ...rest) {
      const refused = refusal(algorithm);
      if (refused !== null) {
        return PromiseReject(refused);
      }
      return FunctionPrototypeApply(run, this, [algorithm, ...rest]);
    },
  }[method];
}

/** The typed arrays `getRandomValues()` fills. */
const INTEGER_ARRAYS = new SafeSet([
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
]);

/** `crypto.getRandomValues()`, refusing what workerd refuses in its words. */
function checkedRandomValues(fill) {
  return function getRandomValues(array) {
    const kind = TypedArrayPrototypeGetSymbolToStringTag(array);
    if (kind !== undefined && !SetPrototypeHas(INTEGER_ARRAYS, kind)) {
      throw new DOMException(
        "ArrayBufferView argument to getRandomValues() must be an integer-typed view.",
        "TypeMismatchError",
      );
    }
    if (kind !== undefined && array.byteLength > 65536) {
      throw new DOMException(
        `getRandomValues() only accepts buffers of size <= 64K but provided ${array.byteLength} bytes.`,
        "QuotaExceededError",
      );
    }
    return FunctionPrototypeCall(fill, this, array);
  };
}

/** Where this isolate's queue of Web Crypto operations ends. */
let lastOperation = PromiseResolve();

/**
 * SubtleCrypto's `method`, whose work Deno's Web Crypto does on a blocking
 * thread, where the isolate's CPU clock does not see it (workerd does it on
 * the isolate's thread). Here each operation starts once the isolate's
 * previous one is done, so that a Worker keeps at most one such thread
 * busy, as it has one isolate thread; and the time it takes counts as CPU
 * time of the request that asked for it, which past its limit fails as a
 * CPU stop fails it. An operation of a request that was stopped meanwhile
 * does not start.
 */
function charged(method) {
  const run = crypto.SubtleCrypto.prototype[method];
  const wrapped = {
    [method](...args) {
      const invocation = currentInvocation();
      const operation = PromisePrototypeThen(lastOperation, () => {
        if (invocation?.abandoned) {
          throw new DOMException("The request this operation belongs to was stopped.", "AbortError");
        }
        const since = op_worker_clock();
        return PromisePrototypeFinally(
          PromiseResolve(FunctionPrototypeApply(run, this, args)),
          () => {
            if (invocation !== null && invocation.id !== null) {
              op_worker_charge_cpu(invocation.id, since);
            }
          },
        );
      });
      lastOperation = PromisePrototypeCatch(operation, () => {});
      return operation;
    },
  }[method];
  ObjectDefineProperty(wrapped, "length", { value: run.length });
  return wrapped;
}

/** Adds the Workers extensions to the Web Crypto classes. */
export function extendCrypto() {
  const subtle = crypto.SubtleCrypto.prototype;
  for (const method of ObjectGetOwnPropertyNames(subtle)) {
    const descriptor = ObjectGetOwnPropertyDescriptor(subtle, method);
    if (method !== "constructor" && typeof descriptor.value === "function") {
      ObjectDefineProperty(subtle, method, { ...descriptor, value: charged(method) });
    }
  }
  ObjectDefineProperty(crypto.Crypto.prototype, "getRandomValues", {
    value: checkedRandomValues(crypto.Crypto.prototype.getRandomValues),
    writable: true,
    enumerable: true,
    configurable: true,
  });
  for (const [method, refusal] of [
    ["deriveBits", pbkdf2Refusal],
    ["deriveKey", pbkdf2Refusal],
    ["generateKey", rsaRefusal],
  ]) {
    ObjectDefineProperty(crypto.SubtleCrypto.prototype, method, {
      value: refusing(method, refusal),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  ObjectDefineProperty(crypto.SubtleCrypto.prototype, "digest", {
    value: digestNow(crypto.SubtleCrypto.prototype.digest),
    writable: true,
    enumerable: true,
    configurable: true,
  });
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
