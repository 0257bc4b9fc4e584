// The global scope, laid out as workerd lays it out.
//
// `globalThis` is a `ServiceWorkerGlobalScope`: the Web API classes and
// functions live on `ServiceWorkerGlobalScope.prototype`, `addEventListener`
// on `EventTarget.prototype`, and only a few objects (`console`, `crypto`,
// `navigator`, `performance`, `scheduler`, `self`, the timers, ...) are own
// properties. `navigator.userAgent` is "Cloudflare-Workers". Deno's own
// globals (`Deno`, `__bootstrap`) are removed once everything is wired.
// `shared/reference/workerd-globals-*.json` is the list this is checked
// against (tests/global_scope.rs).

import {
  abortSignal,
  base64,
  compression,
  consoleNs,
  core,
  crypto,
  DOMException,
  encoding,
  event,
  eventSource,
  fetch,
  file,
  formData,
  headers,
  hostLog,
  messagePort,
  performance,
  primordials,
  reportUncaught,
  request,
  streams,
  timers,
  url,
  urlPattern,
  webidl,
} from "ext:isola_global_scope/00_infra.js";
import { op_worker_callback_begin, op_worker_callback_end } from "ext:core/ops";
import { structuredClone } from "ext:isola_global_scope/10_cloning.js";
import { URL } from "ext:isola_global_scope/16_url.js";
import { Request } from "ext:isola_global_scope/20_http.js";
import { HTMLRewriter } from "ext:isola_html_rewriter/html_rewriter.js";
import {
  FixedLengthStream,
  IdentityTransformStream,
} from "ext:isola_global_scope/26_byte_streams.js";
import {
  asksForWebSocket,
  connectWebSocket,
  Response,
  WebSocket,
  WebSocketPair,
  WebSocketRequestResponsePair,
} from "ext:isola_websocket/websocket.js";
import { extendCrypto } from "ext:isola_crypto/crypto.js";
import { Cache, caches, CacheStorage } from "ext:isola_cache/cache.js";
import {
  currentInvocation,
  ExtendableEvent,
  FetchEvent,
  ScheduledEvent,
  takeSubrequest,
  TOO_MANY_SUBREQUESTS,
} from "ext:isola_global_scope/30_events.js";

// Deno's timers check that they are called with no receiver.
const {
  clearInterval,
  clearTimeout,
  setInterval: webSetInterval,
  setTimeout: webSetTimeout,
} = timers;

const {
  DateNow,
  Error,
  FunctionPrototypeApply,
  ObjectDefineProperties,
  ObjectDefineProperty,
  ObjectFreeze,
  ObjectHasOwn,
  ObjectPrototypeIsPrototypeOf,
  ObjectSetPrototypeOf,
  Promise,
  PromisePrototypeCatch,
  PromiseReject,
  SafeWeakSet,
  StringPrototypeMatch,
  TypeError,
} = primordials;

// workerd's clock: `performance.now()` is `Date.now()` and `timeOrigin` is
// 0, so `timeOrigin + now()` is the time, as Workers code computes it.
ObjectDefineProperties(performance.Performance.prototype, {
  now: {
    value: function now() {
      return DateNow();
    },
    writable: true,
    enumerable: true,
    configurable: true,
  },
  timeOrigin: {
    get() {
      return 0;
    },
    enumerable: true,
    configurable: true,
  },
});

/** A class whose constructor throws, as the runtime's own classes do. */
function illegalClass(name, parent) {
  const ctor = function () {
    webidl.illegalConstructor();
  };
  ObjectDefineProperty(ctor, "name", { value: name });
  if (parent !== undefined) {
    ObjectSetPrototypeOf(ctor, parent);
    ObjectSetPrototypeOf(ctor.prototype, parent.prototype);
  }
  return ctor;
}

const WorkerGlobalScope = illegalClass("WorkerGlobalScope", event.EventTarget);
const ServiceWorkerGlobalScope = illegalClass(
  "ServiceWorkerGlobalScope",
  WorkerGlobalScope,
);

class Navigator {
  constructor() {
    webidl.illegalConstructor();
  }

  get userAgent() {
    return "Cloudflare-Workers";
  }

  get hardwareConcurrency() {
    return 1;
  }

  get language() {
    return "en";
  }

  get languages() {
    return ["en"];
  }
}
const navigator = webidl.createBranded(Navigator);

/** `scheduler.wait(ms)`: a promise-returning timer. */
const scheduler = ObjectFreeze({
  wait(delay = 0, options = undefined) {
    const signal = options?.signal;
    if (signal?.aborted) {
      return PromiseReject(signal.reason);
    }
    return new Promise((resolve, reject) => {
      const id = webSetTimeout(resolve, delay);
      signal?.addEventListener("abort", () => {
        clearTimeout(id);
        reject(signal.reason);
      }, { once: true });
    });
  },
});

/**
 * `callback`, for a timer or microtask: what it throws fails the request
 * whose code queued it, if that request is still waiting for its response
 * (else it is logged). A timer's callback runs only while that request is
 * live (see `Invocation.live`); once it is not, `cancel` stops the timer,
 * as workerd cancels a request's timers with it. A timer's CPU time is
 * charged to that request alone.
 */
function guardCallback(callback, cancel = undefined) {
  if (typeof callback !== "function") {
    throw new TypeError("The callback must be a function");
  }
  return function (...args) {
    const invocation = currentInvocation();
    if (cancel !== undefined && invocation !== null && !invocation.live()) {
      cancel();
      return undefined;
    }
    // A timer's callback runs in a turn of its own: its CPU time is the
    // request's that set it, not shared by every request in flight.
    const charged = cancel !== undefined && invocation !== null;
    if (charged) {
      op_worker_callback_begin();
    }
    try {
      return FunctionPrototypeApply(callback, this, args);
    } catch (error) {
      const failed = invocation !== null && invocation.failUnanswered(error);
      if (!failed) {
        reportUncaught("Uncaught (in timer)", error);
      }
    } finally {
      if (charged) {
        op_worker_callback_end(invocation.id);
      }
    }
  };
}

const noop = () => {};

function setTimeout(callback, delay = 0, ...args) {
  return webSetTimeout(guardCallback(callback, noop), delay, ...args);
}

function setInterval(callback, delay = 0, ...args) {
  let id;
  const cancel = () => clearInterval(id);
  id = webSetInterval(guardCallback(callback, cancel), delay, ...args);
  return id;
}

function setImmediate(callback, ...args) {
  return webSetTimeout(guardCallback(callback, noop), 0, ...args);
}

/** The Workers' own timer functions, which node:timers builds on. */
export const workerTimers = ObjectFreeze({
  clearInterval,
  clearTimeout,
  setImmediate,
  setInterval,
  setTimeout,
});

/**
 * `fetch()`, counted against the calling invocation's subrequest limit and
 * aborted if that invocation's client goes away.
 */
function workerFetch(input, init = undefined) {
  if (!takeSubrequest()) {
    return PromiseReject(new Error(TOO_MANY_SUBREQUESTS));
  }
  let sent;
  try {
    sent = asksForWebSocket(input, init)
      ? connectWebSocket(input, init)
      : fetch.fetch(subrequest(input, init));
  } catch (error) {
    // A request that cannot be made rejects, as fetch() always answers
    // with a promise.
    return PromiseReject(error);
  }
  return PromisePrototypeCatch(sent, (error) => {
    throw refusedAddress(error) ?? error;
  });
}

/**
 * The request `fetch(input, init)` sends for the invocation running now:
 * aborted if that invocation's client goes away, and carrying its hop
 * headers (one less in `CF-EW-Via`, Cloudflare's loop limit; its chain).
 */
function subrequest(input, init) {
  const invocation = currentInvocation();
  if (invocation === null) {
    return new Request(input, init);
  }
  const isRequest = (value) => ObjectPrototypeIsPrototypeOf(request.RequestPrototype, value);
  if (isRequest(init)) {
    // `fetch(url, request)`: the request's method, headers and body.
    input = new Request(input, init);
    init = undefined;
  }
  const own = init?.signal ?? (isRequest(input) ? input.signal : undefined);
  const signal = own === undefined || own === null
    ? invocation.signal
    : abortSignal.AbortSignal.any([own, invocation.signal]);
  const outgoing = new Request(input, { ...init, signal });
  for (const { 0: name, 1: value } of invocation.hopHeaders()) {
    outgoing.headers.set(name, value);
  }
  return outgoing;
}

/**
 * A refusal of the host's outbound policy (`runtime/src/outbound.rs`), which
 * Deno's permissions word for Deno, as the TypeError a Worker can act on.
 */
function refusedAddress(error) {
  // A refused address is the error itself, or (once a name was resolved)
  // the cause of a "fetch failed".
  const message = `${error?.message} ${error?.cause?.message} ${error?.cause}`;
  const refused = StringPrototypeMatch(message, /Requires net access to "([^"]*)"/);
  if (refused === null) {
    return null;
  }
  return new TypeError(
    `fetch() to ${refused[1]} is not allowed: Workers may not reach the host's own network ` +
      "(loopback, private and link-local addresses) unless the host allows it " +
      "(isola serve --allow-net, or [outbound] allow in isola.toml)",
  );
}

// deno_core's own, which reports what a callback throws; a callback of a
// Worker is reported with the Worker's name instead.
const coreQueueMicrotask = primordials.queueMicrotask;

function queueMicrotask(callback) {
  coreQueueMicrotask(guardCallback(callback));
}

const workerConsole = new consoleNs.Console((message, level) =>
  hostLog(level, message)
);

const ILLEGAL_INVOCATION =
  "Illegal invocation: function called with incorrect `this` reference. See " +
  "https://developers.cloudflare.com/workers/observability/errors/#illegal-invocation-errors " +
  "for details.";

/**
 * `fn` as a method of the global scope, named `name`: like workerd's, it
 * throws when called on anything but the global scope (or nothing), as in
 * `const o = { f: fetch }; o.f(url)`.
 */
function globalFunction(name, fn) {
  const method = {
    [name](...args) {
      if (this !== undefined && this !== null && this !== globalThis) {
        throw new TypeError(ILLEGAL_INVOCATION);
      }
      return FunctionPrototypeApply(fn, undefined, args);
    },
  }[name];
  ObjectDefineProperty(method, "length", { value: fn.length });
  return method;
}

/** `atob()`, its error worded as workerd words it. */
function atob(data) {
  try {
    return base64.atob(data);
  } catch (error) {
    if (error?.name === "InvalidCharacterError") {
      throw new DOMException(
        "atob() called with invalid base64-encoded data. (Only whitespace, '+', '/', alphanumeric ASCII, and up to two terminal '=' signs when the input data length is divisible by 4 are allowed.)",
        "InvalidCharacterError",
      );
    }
    throw error;
  }
}

const globalFunctions = {
  atob: globalFunction("atob", atob),
  btoa: globalFunction("btoa", base64.btoa),
  clearImmediate: globalFunction("clearImmediate", clearTimeout),
  clearInterval: globalFunction("clearInterval", clearInterval),
  clearTimeout: globalFunction("clearTimeout", clearTimeout),
  fetch: globalFunction("fetch", workerFetch),
  queueMicrotask: globalFunction("queueMicrotask", queueMicrotask),
  reportError: globalFunction("reportError", event.reportError),
  setImmediate: globalFunction("setImmediate", setImmediate),
  setInterval: globalFunction("setInterval", setInterval),
  setTimeout: globalFunction("setTimeout", setTimeout),
  structuredClone: globalFunction("structuredClone", structuredClone),
};

function nonEnumerable(value) {
  return { value, writable: true, enumerable: false, configurable: true };
}

function writable(value) {
  return { value, writable: true, enumerable: true, configurable: true };
}

/** Names on `ServiceWorkerGlobalScope.prototype`, as in workerd. */
const prototypeProperties = {
  AbortController: nonEnumerable(abortSignal.AbortController),
  AbortSignal: nonEnumerable(abortSignal.AbortSignal),
  Blob: nonEnumerable(file.Blob),
  ByteLengthQueuingStrategy: nonEnumerable(streams.ByteLengthQueuingStrategy),
  Cache: nonEnumerable(Cache),
  CacheStorage: nonEnumerable(CacheStorage),
  CloseEvent: nonEnumerable(event.CloseEvent),
  CompressionStream: nonEnumerable(compression.CompressionStream),
  CountQueuingStrategy: nonEnumerable(streams.CountQueuingStrategy),
  Crypto: nonEnumerable(crypto.Crypto),
  CryptoKey: nonEnumerable(crypto.CryptoKey),
  CustomEvent: nonEnumerable(event.CustomEvent),
  DOMException: nonEnumerable(DOMException),
  DecompressionStream: nonEnumerable(compression.DecompressionStream),
  ErrorEvent: nonEnumerable(event.ErrorEvent),
  Event: nonEnumerable(event.Event),
  EventSource: nonEnumerable(eventSource.EventSource),
  ExtendableEvent: nonEnumerable(ExtendableEvent),
  FetchEvent: nonEnumerable(FetchEvent),
  FixedLengthStream: nonEnumerable(FixedLengthStream),
  File: nonEnumerable(file.File),
  FormData: nonEnumerable(formData.FormData),
  HTMLRewriter: nonEnumerable(HTMLRewriter),
  Headers: nonEnumerable(headers.Headers),
  IdentityTransformStream: nonEnumerable(IdentityTransformStream),
  MessageChannel: nonEnumerable(messagePort.MessageChannel),
  MessageEvent: nonEnumerable(event.MessageEvent),
  MessagePort: nonEnumerable(messagePort.MessagePort),
  Navigator: nonEnumerable(Navigator),
  Performance: nonEnumerable(performance.Performance),
  PerformanceEntry: nonEnumerable(performance.PerformanceEntry),
  PerformanceMark: nonEnumerable(performance.PerformanceMark),
  PerformanceMeasure: nonEnumerable(performance.PerformanceMeasure),
  PerformanceObserver: nonEnumerable(performance.PerformanceObserver),
  PerformanceObserverEntryList: nonEnumerable(
    performance.PerformanceObserverEntryList,
  ),
  PromiseRejectionEvent: nonEnumerable(event.PromiseRejectionEvent),
  ReadableByteStreamController: nonEnumerable(
    streams.ReadableByteStreamController,
  ),
  ReadableStream: nonEnumerable(streams.ReadableStream),
  ReadableStreamBYOBReader: nonEnumerable(streams.ReadableStreamBYOBReader),
  ReadableStreamBYOBRequest: nonEnumerable(streams.ReadableStreamBYOBRequest),
  ReadableStreamDefaultController: nonEnumerable(
    streams.ReadableStreamDefaultController,
  ),
  ReadableStreamDefaultReader: nonEnumerable(
    streams.ReadableStreamDefaultReader,
  ),
  Request: nonEnumerable(Request),
  Response: nonEnumerable(Response),
  ScheduledEvent: nonEnumerable(ScheduledEvent),
  SubtleCrypto: nonEnumerable(crypto.SubtleCrypto),
  TextDecoder: nonEnumerable(encoding.TextDecoder),
  TextDecoderStream: nonEnumerable(encoding.TextDecoderStream),
  TextEncoder: nonEnumerable(encoding.TextEncoder),
  TextEncoderStream: nonEnumerable(encoding.TextEncoderStream),
  TransformStream: nonEnumerable(streams.TransformStream),
  TransformStreamDefaultController: nonEnumerable(
    streams.TransformStreamDefaultController,
  ),
  URL: nonEnumerable(URL),
  URLPattern: nonEnumerable(urlPattern.URLPattern),
  URLSearchParams: nonEnumerable(url.URLSearchParams),
  WebSocket: nonEnumerable(WebSocket),
  WebSocketPair: nonEnumerable(WebSocketPair),
  WebSocketRequestResponsePair: nonEnumerable(WebSocketRequestResponsePair),
  WorkerGlobalScope: nonEnumerable(WorkerGlobalScope),
  WritableStream: nonEnumerable(streams.WritableStream),
  WritableStreamDefaultController: nonEnumerable(
    streams.WritableStreamDefaultController,
  ),
  WritableStreamDefaultWriter: nonEnumerable(
    streams.WritableStreamDefaultWriter,
  ),
  atob: writable(globalFunctions.atob),
  btoa: writable(globalFunctions.btoa),
  clearInterval: writable(globalFunctions.clearInterval),
  clearTimeout: writable(globalFunctions.clearTimeout),
  fetch: writable(globalFunctions.fetch),
  queueMicrotask: writable(globalFunctions.queueMicrotask),
  reportError: writable(globalFunctions.reportError),
  setInterval: writable(globalFunctions.setInterval),
  setTimeout: writable(globalFunctions.setTimeout),
  structuredClone: writable(globalFunctions.structuredClone),
  // Deno's WebIDL checks brand the global scope like any platform object.
  [webidl.brand]: nonEnumerable(webidl.brand),
};

/** Own properties of `globalThis`, as in workerd. */
const ownProperties = {
  ServiceWorkerGlobalScope: nonEnumerable(ServiceWorkerGlobalScope),
  caches: { value: caches, writable: false, enumerable: true, configurable: true },
  console: nonEnumerable(workerConsole),
  crypto: { get: () => crypto.crypto, enumerable: true, configurable: true },
  navigator: { value: navigator, enumerable: true, configurable: true },
  origin: { value: "null", enumerable: true, configurable: true },
  performance: writable(performance.performance),
  scheduler: writable(scheduler),
  self: { get: () => globalThis, enumerable: true, configurable: true },
  clearInterval: writable(globalFunctions.clearInterval),
  clearTimeout: writable(globalFunctions.clearTimeout),
  setInterval: writable(globalFunctions.setInterval),
  setTimeout: writable(globalFunctions.setTimeout),
};

/**
 * Defines the `Cloudflare` global for a Worker with these compatibility
 * flags: `Cloudflare.compatibilityFlags[flag]` is true for each.
 */
export function defineCloudflareGlobal(flags) {
  const compatibilityFlags = {};
  for (const flag of flags) {
    compatibilityFlags[flag] = true;
  }
  ObjectDefineProperty(globalThis, "Cloudflare", {
    value: ObjectFreeze({ compatibilityFlags: ObjectFreeze(compatibilityFlags) }),
    writable: false,
    enumerable: false,
    configurable: true,
  });
}

const NODE_TIMERS = [
  "setTimeout",
  "setInterval",
  "setImmediate",
  "clearTimeout",
  "clearInterval",
  "clearImmediate",
];

/**
 * The globals of Node.js compatibility (`nodejs_compat_v2`):
 * `setImmediate` and `clearImmediate` beside the timers, and `global`,
 * `Buffer` and `process` as own properties; `Buffer` and `process` load
 * their modules (through `requireNode`) when first touched. With
 * `globalTimers` (`enable_nodejs_global_timers`), the timer functions are
 * node:timers', whose handles are `Timeout` objects.
 */
export function defineNodeGlobals(requireNode, globalTimers) {
  ObjectDefineProperties(ServiceWorkerGlobalScope.prototype, {
    clearImmediate: writable(globalFunctions.clearImmediate),
    setImmediate: writable(globalFunctions.setImmediate),
  });
  if (globalTimers) {
    for (const name of NODE_TIMERS) {
      const viaNode = (...args) =>
        FunctionPrototypeApply(requireNode("timers")[name], undefined, args);
      const fn = globalFunction(name, viaNode);
      ObjectDefineProperty(fn, "length", { value: globalFunctions[name].length });
      // Each where the Workers' own is: the timers on `globalThis`, the
      // immediates on its prototype.
      const holder = ObjectHasOwn(globalThis, name)
        ? globalThis
        : ServiceWorkerGlobalScope.prototype;
      ObjectDefineProperty(holder, name, writable(fn));
    }
  }
  const lazy = (name, load) => ({
    get() {
      const value = load();
      ObjectDefineProperty(globalThis, name, nonEnumerable(value));
      return value;
    },
    set(value) {
      ObjectDefineProperty(globalThis, name, nonEnumerable(value));
    },
    enumerable: false,
    configurable: true,
  });
  ObjectDefineProperties(globalThis, {
    Buffer: lazy("Buffer", () => requireNode("buffer").Buffer),
    global: nonEnumerable(globalThis),
    process: lazy("process", () => requireNode("process").default),
  });
}

/**
 * Globals that deno_core or the QuickJS engine define and workerd does not:
 * removed so that feature detection in Worker code sees what it would see
 * on Cloudflare. (Engine-internal `__v8x*` helpers stay: the engine looks
 * them up at run time. docs/compat.md lists them.)
 */
const notInWorkerd = [
  "DOMException",
  "InternalError",
  "ShadowRealm",
  "Temporal",
  "atob",
  "btoa",
  "gc",
  "queueMicrotask",
];

/**
 * Installs the global scope. Runs once per isolate, before any Worker code.
 */
export function installGlobalScope() {
  extendCrypto();
  ObjectDefineProperties(ServiceWorkerGlobalScope.prototype, prototypeProperties);
  ObjectDefineProperty(
    WorkerGlobalScope.prototype,
    "EventTarget",
    nonEnumerable(event.EventTarget),
  );
  // A hook of the DOM's event path algorithm; nothing calls it without a DOM.
  delete event.EventTarget.prototype.getParent;
  for (const name of notInWorkerd) {
    delete globalThis[name];
  }
  ObjectDefineProperties(globalThis, ownProperties);
  ObjectSetPrototypeOf(globalThis, ServiceWorkerGlobalScope.prototype);
  event.setEventTargetData(globalThis);
  event.saveGlobalThisReference(globalThis);

  // An exception that reaches the global scope (a listener of some
  // EventTarget, `reportError`) is logged; it never ends the isolate.
  globalThis.addEventListener("error", (errorEvent) => {
    errorEvent.preventDefault();
    reportUncaught("Uncaught", errorEvent.error);
  });
  core.setReportExceptionCallback((error) =>
    reportUncaught("Uncaught (in microtask)", error)
  );
  // A rejection nothing handles is an `unhandledrejection` event on the
  // global scope, logged unless a listener cancels it; a handler added
  // later makes a `rejectionhandled` event, as on workerd.
  const reported = new SafeWeakSet();
  core.setUnhandledPromiseRejectionHandler((promise, reason) => {
    const unhandled = new event.PromiseRejectionEvent("unhandledrejection", {
      promise,
      reason,
      cancelable: true,
    });
    globalThis.dispatchEvent(unhandled);
    reported.add(promise);
    if (!unhandled.defaultPrevented) {
      reportUncaught("Uncaught (in promise)", reason);
    }
    return true;
  });
  core.setHandledPromiseRejectionHandler((promise, reason) => {
    if (reported.has(promise)) {
      reported.delete(promise);
      globalThis.dispatchEvent(
        new event.PromiseRejectionEvent("rejectionhandled", { promise, reason }),
      );
    }
  });

  delete globalThis.Deno;
  delete globalThis.__bootstrap;
}
