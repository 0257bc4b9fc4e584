// The bridge between the host's HTTP exchanges and `Request`/`Response`.
//
// A request arrives as an id plus its method and URL; its headers are read
// from the host only when the Worker looks at them, and its body is a
// resource-backed `ReadableStream`. A response goes back in the cheapest form
// it allows: a static string or bytes in one op, or a stream the host reads
// from (directly, when it is itself resource-backed, such as a proxied body).

import {
  op_isola_request_body,
  op_isola_request_headers,
  op_isola_respond,
  op_isola_respond_stream,
} from "ext:core/ops";
import {
  body as bodyNs,
  primordials,
  request as requestNs,
  response as responseNs,
  streams,
} from "ext:isola_polyfills/00_infra.js";

const { ObjectPrototypeIsPrototypeOf, TypeError } = primordials;
const { InnerBody } = bodyNs;
const { fromInnerRequest, newInnerRequest } = requestNs;
const {
  responseBodyUsed,
  ResponsePrototype,
  serveFastBodyKey,
  serveFastContentTypeKey,
  serveFastHeaderKindKey,
  serveFastStatusKey,
  SERVE_FAST_HEADER_CONTENT_TYPE,
  SERVE_FAST_HEADER_DEFAULT_TEXT,
  toInnerResponse,
  wireHeaderList,
} = responseNs;
const {
  getReadableStreamResourceBacking,
  readableStreamForRid,
  ReadableStreamPrototype,
  resourceForReadableStream,
} = streams;

const USED_BODY = "The response body has already been used";
const DEFAULT_TEXT_HEADERS = [["content-type", "text/plain;charset=UTF-8"]];
const NO_HEADERS = [];

/** Builds the `Request` a Worker sees for host exchange `id`. */
export function requestFromHost(id, method, url, hasBody) {
  const body = hasBody
    ? new InnerBody(readableStreamForRid(op_isola_request_body(id)))
    : null;
  const inner = newInnerRequest(
    method,
    url,
    () => op_isola_request_headers(id),
    body,
    false,
  );
  return fromInnerRequest(inner, "immutable");
}

/** Whether `value` is a `Response` made by this isolate's `Response` class. */
export function isResponse(value) {
  return ObjectPrototypeIsPrototypeOf(ResponsePrototype, value);
}

/**
 * Hands `response` to the host as the answer to exchange `id`.
 * Throws a TypeError, before anything is sent, when the body was used.
 */
export function sendResponse(id, response) {
  if (responseBodyUsed(response)) {
    throw new TypeError(USED_BODY);
  }
  const fastStatus = response[serveFastStatusKey];
  if (fastStatus !== 0) {
    const kind = response[serveFastHeaderKindKey];
    let headerList = NO_HEADERS;
    if (kind === SERVE_FAST_HEADER_DEFAULT_TEXT) {
      headerList = DEFAULT_TEXT_HEADERS;
    } else if (kind === SERVE_FAST_HEADER_CONTENT_TYPE) {
      headerList = [["content-type", response[serveFastContentTypeKey]]];
    }
    op_isola_respond(id, fastStatus, headerList, response[serveFastBodyKey]);
    return;
  }

  const inner = toInnerResponse(response);
  const status = inner.status;
  const headerList = wireHeaderList(inner);
  const innerBody = inner.body;
  if (innerBody === null) {
    op_isola_respond(id, status, headerList, null);
    return;
  }
  const source = innerBody.streamOrStatic;
  if (!ObjectPrototypeIsPrototypeOf(ReadableStreamPrototype, source)) {
    source.consumed = true;
    op_isola_respond(id, status, headerList, source.body);
    return;
  }
  if (source.locked) {
    throw new TypeError("The response body is locked to a reader");
  }
  const backing = getReadableStreamResourceBacking(source);
  const rid = backing != null
    ? backing.rid
    : resourceForReadableStream(source, innerBody.length ?? undefined);
  op_isola_respond_stream(id, status, headerList, rid);
}
