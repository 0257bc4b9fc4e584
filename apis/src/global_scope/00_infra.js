// The Web API scripts of Deno's crates, loaded once, and the host's logging.
//
// Deno's `deno_web`, `deno_fetch` and `deno_crypto` ship their JS as lazily
// loaded scripts; this module loads the ones a Worker needs and re-exports
// them under short names for the rest of the polyfills, with the host's
// logging.

import { core, internals, primordials } from "ext:core/mod.js";
import { op_worker_log } from "ext:core/ops";

const {
  ArrayBufferPrototypeSlice,
  ArrayPrototypeFilter,
  ArrayPrototypeJoin,
  FunctionPrototypeCall,
  ObjectDefineProperty,
  ObjectFreeze,
  ObjectGetOwnPropertyDescriptor,
  StringPrototypeIncludes,
  StringPrototypeSplit,
  StringPrototypeStartsWith,
  StringPrototypeTrim,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetByteOffset,
} = primordials;

const load = core.loadExtScript;

export const webidl = load("ext:deno_webidl/00_webidl.js");
export const url = load("ext:deno_web/00_url.js");
export const consoleNs = load("ext:deno_web/01_console.js");
export const { DOMException } = load("ext:deno_web/01_dom_exception.js");

// An op fails with a DOMException by naming its class `DOMException<name>`
// (`atob`'s InvalidCharacterError, WebCrypto's OperationError, ...). Deno's
// runtime, not its web crates, teaches the engine to build those; without
// these builders such an error would be thrown as `undefined`.
for (const name of [
  "AbortError",
  "ConstraintError",
  "DataCloneError",
  "DataError",
  "EncodingError",
  "HierarchyRequestError",
  "IndexSizeError",
  "InvalidAccessError",
  "InvalidCharacterError",
  "InvalidModificationError",
  "InvalidNodeTypeError",
  "InvalidStateError",
  "NamespaceError",
  "NetworkError",
  "NoModificationAllowedError",
  "NotAllowedError",
  "NotFoundError",
  "NotReadableError",
  "NotSupportedError",
  "OperationError",
  "QuotaExceededError",
  "ReadOnlyError",
  "SecurityError",
  "SyntaxError",
  "TimeoutError",
  "TransactionInactiveError",
  "TypeMismatchError",
  "URLMismatchError",
  "UnknownError",
  "VersionError",
  "WrongDocumentError",
]) {
  core.registerErrorBuilder(`DOMException${name}`, (message) => new DOMException(message, name));
}
export const urlPattern = load("ext:deno_web/01_urlpattern.js");
export const event = load("ext:deno_web/02_event.js");
export const timers = load("ext:deno_web/02_timers.js");
export const abortSignal = load("ext:deno_web/03_abort_signal.js");
export const base64 = load("ext:deno_web/05_base64.js");
export const streams = load("ext:deno_web/06_streams.js");
export const encoding = load("ext:deno_web/08_text_encoding.js");
export const file = load("ext:deno_web/09_file.js");
export const messagePort = load("ext:deno_web/13_message_port.js");
export const compression = load("ext:deno_web/14_compression.js");
export const performance = load("ext:deno_web/15_performance.js");
export const headers = load("ext:deno_fetch/20_headers.js");
export const formData = load("ext:deno_fetch/21_formdata.js");
export const body = load("ext:deno_fetch/22_body.js");
export const request = load("ext:deno_fetch/23_request.js");
export const response = load("ext:deno_fetch/23_response.js");
export const fetch = load("ext:deno_fetch/26_fetch.js");
export const eventSource = load("ext:deno_fetch/27_eventsource.js");
export const crypto = load("ext:deno_crypto/00_crypto.js");

export { core, internals, primordials };

/** The bytes of a Uint8Array as an ArrayBuffer of their own. */
export function bytesToArrayBuffer(bytes) {
  const offset = TypedArrayPrototypeGetByteOffset(bytes);
  return ArrayBufferPrototypeSlice(
    TypedArrayPrototypeGetBuffer(bytes),
    offset,
    offset + TypedArrayPrototypeGetByteLength(bytes),
  );
}

/** Console levels as the host's log understands them. */
export const LogLevel = ObjectFreeze({
  debug: 0,
  log: 1,
  warn: 2,
  error: 3,
});

/** Writes one line to the host's log, tagged with the Worker's name. */
export function hostLog(level, message) {
  op_worker_log(level, message);
}

/** Whether a stack line points into the runtime rather than Worker code. */
function isInternalFrame(line) {
  return StringPrototypeIncludes(line, "ext:") ||
    StringPrototypeIncludes(line, "<anonymous>");
}

/**
 * The text a developer wants to see for a thrown value: name, message and
 * the stack frames of the Worker's own code.
 */
export function describeError(error) {
  if (error === null || typeof error !== "object") {
    try {
      return String(error);
    } catch {
      return "(an exception that cannot be converted to a string)";
    }
  }
  const head = `${error.name ?? "Error"}: ${error.message ?? ""}`;
  const stack = typeof error.stack === "string" ? error.stack : "";
  const frames = ArrayPrototypeFilter(
    StringPrototypeSplit(stack, "\n"),
    (line) =>
      StringPrototypeStartsWith(StringPrototypeTrim(line), "at ") &&
      !isInternalFrame(line),
  );
  return frames.length === 0
    ? head
    : `${head}\n${ArrayPrototypeJoin(frames, "\n")}`;
}

/** Logs an exception that escaped Worker code (a timer, a waitUntil, ...). */
export function reportUncaught(prefix, error) {
  hostLog(LogLevel.error, `${prefix}: ${describeError(error)}`);
}

/**
 * Replaces the getter of the accessor `prototype[name]` with one that
 * answers `adjust(what the original answers)`, keeping its name.
 */
export function adjustGetter(prototype, name, adjust) {
  const descriptor = ObjectGetOwnPropertyDescriptor(prototype, name);
  ObjectDefineProperty(prototype, name, {
    ...descriptor,
    get: ObjectGetOwnPropertyDescriptor({
      get [name]() {
        return adjust(FunctionPrototypeCall(descriptor.get, this));
      },
    }, name).get,
  });
}
