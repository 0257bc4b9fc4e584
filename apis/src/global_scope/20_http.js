// The bridge between the host's HTTP exchanges and `Request`/`Response`.
//
// A request arrives as an id, its method, URL and headers (names and values
// in one flat array); the header list `Headers` works on is built only when
// the Worker looks at more than the common headers, and the body is a
// resource-backed `ReadableStream`. A response goes back in the cheapest form
// it allows: a static string or bytes in one op, or a stream the host reads
// from (directly, when it is itself resource-backed, such as a proxied body).

import {
  op_worker_request_body,
  op_worker_respond,
  op_worker_respond_static,
  op_worker_respond_stream,
  op_worker_respond_websocket,
} from "ext:core/ops";
import {
  adjustGetter,
  body as bodyNs,
  headers as headersNs,
  primordials,
  request as requestNs,
  response as responseNs,
  streams,
  url as urlNs,
} from "ext:isola_global_scope/00_infra.js";
import { expectedLength } from "ext:isola_global_scope/26_byte_streams.js";
import { handOver, WebSocket, webSocketKey } from "ext:isola_websocket/websocket.js";

const {
  ArrayPrototypeConcat,
  ArrayPrototypeJoin,
  ArrayPrototypeSome,
  String,
  StringPrototypeToLowerCase,
  ObjectAssign,
  ObjectDefineProperty,
  ObjectFreeze,
  ArrayPrototypeIncludes,
  FunctionPrototypeApply,
  FunctionPrototypeCall,
  ObjectGetPrototypeOf,
  ObjectKeys,
  ObjectPrototype,
  ObjectPrototypeIsPrototypeOf,
  PromisePrototypeThen,
  PromiseReject,
  Proxy,
  RangeError,
  ReflectConstruct,
  SafeSet,
  SetPrototypeHas,
  StringPrototypeToUpperCase,
  TypeError,
} = primordials;
const { InnerBody } = bodyNs;
const { fromInnerRequest, RequestPrototype, toInnerRequest } = requestNs;
const {
  responseBodyUsed,
  ResponsePrototype,
  serveFastBodyKey,
  serveFastContentTypeKey,
  serveFastHeaderKindKey,
  serveFastStatusKey,
  toInnerResponse,
  wireHeaderList,
} = responseNs;
const {
  _isClosedPromise,
  getReadableStreamResourceBacking,
  readableStreamForRid,
  ReadableStreamPrototype,
  resourceForReadableStream,
} = streams;

const USED_BODY = "The response body has already been used";

/**
 * The inner request (deno_fetch's `InnerRequest` shape) of a request from
 * the host. A class rather than deno's object literal: its accessors and
 * defaults live on the prototype, so that one per request costs four
 * fields.
 */
class HostInnerRequest {
  constructor(method, url, headers, body) {
    this.method = method;
    this.body = body;
    this.urlValue = url;
    this.flatHeaders = headers;
  }

  get headerList() {
    if (this.headerListInner === null) {
      const flat = this.flatHeaders;
      const list = new Array(flat.length / 2);
      for (let i = 0; i < flat.length; i += 2) {
        list[i / 2] = [flat[i], flat[i + 1]];
      }
      this.headerListInner = list;
    }
    return this.headerListInner;
  }

  set headerList(list) {
    this.headerListInner = list;
  }

  get urlList() {
    const url = this.urlValue;
    return (this.urlListInner ??= [() => url]);
  }

  set urlList(list) {
    this.urlListInner = list;
  }

  get urlListProcessed() {
    return (this.urlListProcessedInner ??= [this.urlValue]);
  }

  set urlListProcessed(list) {
    this.urlListProcessedInner = list;
  }

  /**
   * One header's value (all of its values, joined), by name in any case:
   * `Headers.get` passes the name as the Worker wrote it.
   */
  header(name) {
    name = StringPrototypeToLowerCase(name);
    if (this.headerListInner !== null) {
      return headerFromList(this.headerListInner, name);
    }
    const flat = this.flatHeaders;
    let values = null;
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i] === name) {
        values === null ? (values = [flat[i + 1]]) : values.push(flat[i + 1]);
      }
    }
    return values === null ? null : ArrayPrototypeJoin(values, ", ");
  }

  url() {
    return this.urlListProcessedInner === null
      ? this.urlValue
      : this.urlListProcessedInner[0];
  }

  currentUrl() {
    const list = this.urlListProcessedInner;
    return list === null ? this.urlValue : list[list.length - 1];
  }
}

// Fields every request starts with, shared on the prototype rather than
// created per request; a request that changes one gets its own.
ObjectAssign(HostInnerRequest.prototype, {
  redirectMode: "follow",
  redirectCount: 0,
  clientRid: null,
  blobUrlEntry: null,
  headerListInner: null,
  urlListInner: null,
  urlListProcessedInner: null,
});

function headerFromList(list, name) {
  let values = null;
  for (let i = 0; i < list.length; i++) {
    if (list[i][0].toLowerCase() === name) {
      values === null ? (values = [list[i][1]]) : values.push(list[i][1]);
    }
  }
  return values === null ? null : ArrayPrototypeJoin(values, ", ");
}

/** Freezes `value` and everything in it. */
function deepFreeze(value) {
  if (value !== null && typeof value === "object") {
    for (const key of ObjectKeys(value)) {
      deepFreeze(value[key]);
    }
    ObjectFreeze(value);
  }
  return value;
}

/**
 * Sets `request.cf` for every incoming request (one frozen object, shared).
 * `request.cf` is the inner request's; requests a Worker makes have none.
 */
/** The HTTP methods workerd knows (its HTTP library's list). */
const METHODS = new SafeSet([
  "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "PURGE", "OPTIONS", "TRACE",
  "COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "ACL",
  "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE",
  "MSEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "QUERY", "BAN",
]);

/**
 * `Request`, whose `method` workerd normalizes: a method it knows, in any
 * case, is upper-cased (`patch` is `PATCH`, from compatibility date
 * 2024-10-14 on), and any other is refused. Deno's upper-cases only the
 * six the Fetch standard names and keeps the rest as given.
 */
export const Request = new Proxy(requestNs.Request, {
  construct(target, args, newTarget) {
    const init = args[1];
    if (
      init !== null && typeof init === "object" && init.method !== undefined &&
      (ObjectGetPrototypeOf(init) === ObjectPrototype || ObjectGetPrototypeOf(init) === null)
    ) {
      const method = String(init.method);
      const upper = StringPrototypeToUpperCase(method);
      if (!SetPrototypeHas(METHODS, upper)) {
        throw new TypeError(`Invalid HTTP method string: ${method}`);
      }
      args = [args[0], { ...init, method: upper }];
    }
    if (init?.body !== undefined && init.body !== null) {
      const method = args[1]?.method ??
        (ObjectPrototypeIsPrototypeOf(RequestPrototype, args[0]) ? args[0].method : "GET");
      if (method === "GET" || method === "HEAD") {
        throw new TypeError("Request with a GET or HEAD method cannot have a body.");
      }
    }
    // workerd takes two cache modes and refuses the others.
    const cache = init?.cache;
    if (cache !== undefined && cache !== "no-store" && cache !== "no-cache") {
      throw new TypeError(`Unsupported cache mode: ${cache}`);
    }
    return ReflectConstruct(target, args, newTarget);
  },
});

export function setIncomingCf(cf) {
  HostInnerRequest.prototype.cf = deepFreeze(cf ?? null);
}

// A request made without a cache mode has none (`cache` is undefined), as
// in workerd, where Deno reports the Fetch standard's "default". A Request
// given as another's init therefore brings no mode the constructor refuses.
adjustGetter(RequestPrototype, "cache", (mode) => mode === "default" ? undefined : mode);

// A body read twice is refused in workerd's words.
const BODY_USED =
  "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.";
for (const prototype of [RequestPrototype, ResponsePrototype]) {
  for (const name of ["arrayBuffer", "blob", "bytes", "formData", "json", "text"]) {
    const read = prototype[name];
    ObjectDefineProperty(prototype, name, {
      value: {
        [name]() {
          if (this?.bodyUsed === true) {
            return PromiseReject(new TypeError(BODY_USED));
          }
          return FunctionPrototypeApply(read, this, arguments);
        },
      }[name],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}

const REDIRECT_STATUSES = [301, 302, 303, 307, 308];

/** `Response.redirect()`, refusing in workerd's words. */
const denoRedirect = responseNs.Response.redirect;
ObjectDefineProperty(responseNs.Response, "redirect", {
  value: {
    redirect(url, status = 302) {
      if (!ArrayPrototypeIncludes(REDIRECT_STATUSES, +status)) {
        throw new RangeError(
          `${status} is not a redirect status code. It must be one of: 301, 302, 303, 307, or 308.`,
        );
      }
      if (!urlNs.URL.canParse(String(url))) {
        throw new TypeError(`Unable to parse URL: ${url}`);
      }
      return FunctionPrototypeCall(denoRedirect, this, url, status);
    },
  }.redirect,
  writable: true,
  enumerable: true,
  configurable: true,
});

// workerd's older way to read the `Set-Cookie` headers one by one.
ObjectDefineProperty(headersNs.Headers.prototype, "getAll", {
  value: function getAll(name) {
    if (StringPrototypeToLowerCase(String(name)) !== "set-cookie") {
      throw new TypeError('getAll() can only be used with the header name "Set-Cookie".');
    }
    return this.getSetCookie();
  },
  writable: true,
  enumerable: true,
  configurable: true,
});

ObjectDefineProperty(RequestPrototype, "cf", {
  get() {
    return toInnerRequest(this)?.cf;
  },
  enumerable: false,
  configurable: true,
});

/**
 * Builds the `Request` a Worker sees for host exchange `id`; `headers` is
 * `[name, value, name, value, ...]` with lower-case names.
 */
export function requestFromHost(id, method, url, headers, hasBody) {
  const body = hasBody
    ? new InnerBody(readableStreamForRid(op_worker_request_body(id)))
    : null;
  return fromInnerRequest(
    new HostInnerRequest(method, url, headers, body),
    "immutable",
  );
}

/** Whether `value` is a `Response` made by this isolate's `Response` class. */
export function isResponse(value) {
  return ObjectPrototypeIsPrototypeOf(ResponsePrototype, value);
}

const NO_WEBSOCKET =
  "A response with status 101 (Switching Protocols) must carry a webSocket, the client end of a WebSocketPair.";

/**
 * Hands `response` to the host as the answer to exchange `id`. Returns,
 * when JS goes on producing the response after that (a body stream it
 * writes, a WebSocket), a function that tells whether it still is, and
 * calls `done` once it no longer is; else null. Throws a TypeError, before
 * anything is sent, when the body was used.
 */
export function sendResponse(id, response, done) {
  const webSocket = response[webSocketKey];
  if (webSocket !== undefined) {
    const inner = toInnerResponse(response);
    op_worker_respond_websocket(id, wireHeaderList(inner), handOver(webSocket));
    webSocket.addEventListener("close", done);
    return () => webSocket.readyState !== WebSocket.CLOSED;
  }
  if (responseBodyUsed(response)) {
    throw new TypeError(USED_BODY);
  }
  const fastStatus = response[serveFastStatusKey];
  if (fastStatus === 101) {
    throw new TypeError(NO_WEBSOCKET);
  }
  if (fastStatus !== 0) {
    op_worker_respond_static(
      id,
      fastStatus,
      response[serveFastHeaderKindKey],
      response[serveFastContentTypeKey] ?? "",
      response[serveFastBodyKey],
    );
    return null;
  }

  const inner = toInnerResponse(response);
  const status = inner.status;
  if (status === 101) {
    throw new TypeError(NO_WEBSOCKET);
  }
  let headerList = wireHeaderList(inner);
  const innerBody = inner.body;
  if (innerBody === null) {
    op_worker_respond(id, status, headerList, null);
    return null;
  }
  const source = innerBody.streamOrStatic;
  if (!ObjectPrototypeIsPrototypeOf(ReadableStreamPrototype, source)) {
    source.consumed = true;
    op_worker_respond(id, status, headerList, source.body);
    return null;
  }
  if (source.locked) {
    throw new TypeError("The response body is locked to a reader");
  }
  // A FixedLengthStream's length is the response's Content-Length.
  const length = source[expectedLength];
  if (
    length !== undefined &&
    !ArrayPrototypeSome(headerList, (h) => StringPrototypeToLowerCase(h[0]) === "content-length")
  ) {
    headerList = ArrayPrototypeConcat(headerList, [["content-length", String(length)]]);
  }
  const backing = getReadableStreamResourceBacking(source);
  if (backing != null) {
    op_worker_respond_stream(id, status, headerList, backing.rid);
    return null;
  }
  const rid = resourceForReadableStream(source, innerBody.length ?? undefined);
  op_worker_respond_stream(id, status, headerList, rid);
  // Settles once the stream is closed, cancelled or errored.
  PromisePrototypeThen(source[_isClosedPromise].promise, done, done);
  return () => source[streams._state] === "readable";
}
