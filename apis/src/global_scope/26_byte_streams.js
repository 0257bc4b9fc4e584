// The byte streams only Workers have: `IdentityTransformStream` passes
// bytes through unchanged (the usual way to make a ReadableStream a Worker
// writes into), `FixedLengthStream` does the same for a length known in
// advance, which a Response then sends as its Content-Length.

import { primordials, streams } from "ext:isola_global_scope/00_infra.js";

const {
  ArrayBufferIsView,
  ArrayBufferPrototype,
  NumberIsSafeInteger,
  ObjectPrototypeIsPrototypeOf,
  RangeError,
  SymbolFor,
  TypeError,
  TypedArrayPrototypeSlice,
  Uint8Array,
} = primordials;

/** The length a `FixedLengthStream`'s readable side will have, on it. */
export const expectedLength = SymbolFor("isola.expectedLength");

/**
 * A view of the bytes of an ArrayBuffer or ArrayBufferView (no copy), or
 * null for anything else.
 */
export function byteView(data) {
  if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, data)) {
    return new Uint8Array(data);
  }
  if (ArrayBufferIsView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return null;
}

/** A copy of a written chunk as bytes, or a TypeError for anything else. */
export function bytesOf(chunk, what) {
  const view = byteView(chunk);
  if (view !== null) {
    return TypedArrayPrototypeSlice(view);
  }
  throw new TypeError(
    `This ${what} is being used as a byte stream, but received ${
      typeof chunk === "string" ? "a string" : "an object of non-ArrayBuffer/ArrayBufferView type"
    } on its writable side. If you wish to write a string, you'll probably want to explicitly UTF-8-encode it with TextEncoder.`,
  );
}

class IdentityTransformStream extends streams.TransformStream {
  constructor(options = undefined) {
    super(
      {
        transform(chunk, controller) {
          const bytes = bytesOf(chunk, "TransformStream");
          if (bytes.byteLength > 0) {
            controller.enqueue(bytes);
          }
        },
      },
      { highWaterMark: options?.highWaterMark ?? 0 },
    );
  }
}

class FixedLengthStream extends streams.TransformStream {
  constructor(length, options = undefined) {
    length = +length;
    if (!NumberIsSafeInteger(length) || length < 0) {
      throw new RangeError("FixedLengthStream requires a non-negative integer length.");
    }
    let seen = 0;
    super(
      {
        transform(chunk, controller) {
          const bytes = bytesOf(chunk, "TransformStream");
          seen += bytes.byteLength;
          if (seen > length) {
            throw new TypeError("Attempt to write too many bytes through a FixedLengthStream.");
          }
          if (bytes.byteLength > 0) {
            controller.enqueue(bytes);
          }
        },
        flush() {
          if (seen < length) {
            throw new TypeError("FixedLengthStream did not see all expected bytes before close().");
          }
        },
      },
      { highWaterMark: options?.highWaterMark ?? 0 },
    );
    this.readable[expectedLength] = length;
  }
}

export { FixedLengthStream, IdentityTransformStream };
