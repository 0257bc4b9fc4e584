// WebSockets as Workers have them: `new WebSocketPair()` gives two linked
// sockets; the Worker `accept()`s one and returns the other in a 101
// `Response` (`webSocket: client`), whose far end the host connects to the
// client (`mod.rs` beside this file). `fetch()` with `Upgrade: websocket` and
// `new WebSocket(url)` connect out the same way.
//
// A socket either talks to its pair in JS, or is "remote": its far end is
// a host resource, and what arrives from it is delivered to the socket's
// pair (the `server` of a returned `client`) or, for outgoing
// connections, to the socket itself. Messages wait until `accept()`.

import {
  op_websocket_close,
  op_websocket_connect,
  op_websocket_create,
  op_websocket_next,
  op_websocket_send_binary,
  op_websocket_send_text,
} from "ext:core/ops";
import {
  core,
  DOMException,
  event as eventNs,
  headers as headersNs,
  primordials,
  request as requestNs,
  response as responseNs,
} from "ext:isola_global_scope/00_infra.js";
import { serialize } from "ext:isola_global_scope/10_cloning.js";
import { byteView } from "ext:isola_global_scope/26_byte_streams.js";

const {
  ArrayFrom,
  ArrayPrototypeIncludes,
  ArrayPrototypePush,
  ArrayPrototypeShift,
  ObjectDefineProperty,
  ObjectPrototypeIsPrototypeOf,
  Proxy,
  queueMicrotask,
  RangeError,
  ReflectConstruct,
  String,
  StringPrototypeToLowerCase,
  Symbol,
  TypeError,
  TypedArrayPrototypeSlice,
} = primordials;
const { CloseEvent, ErrorEvent, EventTarget, MessageEvent } = eventNs;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

const TEXT = 0;
const BINARY = 1;
const CLOSE = 2;

const construct = Symbol("isola.websocket.construct");
const webSocketKey = Symbol("isola.webSocket");

/** A message as it travels: `[TEXT, string]`, `[BINARY, bytes]`, `[CLOSE, code, reason]`. */
function frameOf(message) {
  if (typeof message === "string") {
    return [TEXT, message];
  }
  const bytes = byteView(message);
  if (bytes !== null) {
    return [BINARY, bytes];
  }
  throw new TypeError("WebSocket send() takes a string, an ArrayBuffer or an ArrayBufferView.");
}

class WebSocket extends EventTarget {
  #peer = null;
  #rid = null;
  /** Another Worker's socket, neither returned nor used here yet. */
  #adopted = false;
  #attachment = null;
  #accepted = false;
  #queue = [];
  #readyState = OPEN;
  #url = null;
  #handler = null;

  constructor(url, protocols = undefined) {
    super();
    if (url === construct) {
      return;
    }
    // A connection out, as `new WebSocket(url)` in a browser.
    this.#url = String(url);
    this.#readyState = CONNECTING;
    this.#accepted = true;
    const headers = protocols === undefined
      ? []
      : [["sec-websocket-protocol", typeof protocols === "string" ? protocols : protocols.join(", ")]];
    op_websocket_connect(this.#url, headers).then(
      ([, , rid]) => {
        this.#bindRemote(rid, this);
        this.#readyState = OPEN;
        this.dispatchEvent(new eventNs.Event("open"));
      },
      (error) => {
        this.#readyState = CLOSED;
        this.dispatchEvent(new ErrorEvent("error", { error, message: error.message }));
        this.dispatchEvent(new CloseEvent("close", { code: 1006, reason: "", wasClean: false }));
      },
    );
  }

  static get CONNECTING() {
    return CONNECTING;
  }

  static get OPEN() {
    return OPEN;
  }

  static get CLOSING() {
    return CLOSING;
  }

  static get CLOSED() {
    return CLOSED;
  }

  get readyState() {
    return this.#readyState;
  }

  /** Keeps a structured clone of `value` with the socket. */
  serializeAttachment(value) {
    this.#attachment = serialize(value);
  }

  /** A copy of what `serializeAttachment()` kept, or null. */
  deserializeAttachment() {
    return this.#attachment === null ? null : core.deserialize(this.#attachment);
  }

  get url() {
    return this.#url;
  }

  /** Starts delivering events; queued messages come first. */
  accept() {
    if (this.#accepted) {
      throw new TypeError("This WebSocket has already been accepted.");
    }
    if (this.#rid !== null && this.#peer !== null) {
      throw new TypeError("This WebSocket was returned in a response; accept() its pair instead.");
    }
    if (this.#adopted) {
      this.#adopted = false;
      this.#bindRemote(this.#rid, this);
    }
    this.#accepted = true;
    // Listeners added right after accept() still hear the queued messages.
    queueMicrotask(() => {
      while (this.#queue.length > 0) {
        this.#dispatch(ArrayPrototypeShift(this.#queue));
      }
    });
  }

  send(message) {
    if (!this.#accepted) {
      throw new TypeError("You must call accept() on this WebSocket before sending messages.");
    }
    if (this.#readyState !== OPEN) {
      throw new TypeError("Can't call WebSocket send() after close().");
    }
    this.#toPeer(frameOf(message));
  }

  close(code = 1000, reason = "") {
    code = +code;
    if (code !== 1000 && (code < 3000 || code > 4999)) {
      throw new DOMException(
        `The close code must be 1000 or between 3000 and 4999; got ${code}.`,
        "InvalidAccessError",
      );
    }
    if (this.#readyState === CLOSING || this.#readyState === CLOSED) {
      return;
    }
    this.#readyState = CLOSING;
    this.#toPeer([CLOSE, code, String(reason)]);
  }

  /** Sends a frame to whatever is at the other end. */
  #toPeer(frame) {
    if (this.#peer !== null) {
      this.#peer.#transmit(frame, this);
    } else {
      send(this.#rid, frame);
    }
  }

  /** A frame for this end, from `from`: to the network if remote. */
  #transmit(frame, from) {
    if (this.#rid !== null) {
      send(this.#rid, frame);
      return;
    }
    this.#receive(frame);
    // Between two JS ends, a close is answered at once.
    if (frame[0] === CLOSE) {
      from.#receive(frame);
    }
  }

  /** A frame that arrived for this end's listeners. */
  #receive(frame) {
    if (frame[0] === CLOSE) {
      this.#readyState = CLOSED;
    }
    if (!this.#accepted) {
      ArrayPrototypePush(this.#queue, frame);
      return;
    }
    this.#dispatch(frame);
  }

  #dispatch(frame) {
    const handler = this.#handler;
    if (frame[0] === CLOSE) {
      const [, code, reason] = frame;
      if (handler !== null) {
        handler.close(this, code, reason, code !== 1006);
      } else {
        this.dispatchEvent(new CloseEvent("close", { code, reason, wasClean: code !== 1006 }));
      }
      return;
    }
    const data = frame[0] === TEXT ? frame[1] : TypedArrayPrototypeSlice(frame[1]).buffer;
    if (handler !== null) {
      handler.message(this, data);
    } else {
      this.dispatchEvent(new MessageEvent("message", { data }));
    }
  }

  /**
   * Gives `socket`'s events to `handler` (`message(socket, data)`,
   * `close(socket, code, reason, wasClean)`) instead of its listeners: a
   * Durable Object's hibernatable sockets, which may be many and idle,
   * cost no listeners or event objects each.
   */
  static handleWith(socket, handler) {
    socket.#handler = handler;
  }

  /** Makes host resource `rid` this socket's far end; `receiver` hears it. */
  #bindRemote(rid, receiver) {
    this.#rid = rid;
    (async () => {
      for (;;) {
        let frame;
        try {
          frame = await op_websocket_next(rid);
        } catch {
          frame = [CLOSE, 1006, ""];
        }
        receiver.#receive(frame);
        if (frame[0] === CLOSE) {
          core.tryClose(rid);
          return;
        }
      }
    })();
  }

  /** The host resource for `client`, returned in a response. */
  static handOver(client) {
    if (client.#adopted) {
      if (client.#accepted) {
        throw new TypeError("A WebSocket that was accept()ed cannot be returned in a response.");
      }
      client.#adopted = false;
      return client.#rid;
    }
    if (client.#rid !== null || client.#peer === null) {
      throw new TypeError("Only the unused end of a WebSocketPair can be returned in a response.");
    }
    if (client.#accepted) {
      throw new TypeError("A WebSocket that was accept()ed cannot be returned in a response.");
    }
    client.#bindRemote(op_websocket_create(), client.#peer);
    // What the server end sent before the response goes out first.
    while (client.#queue.length > 0) {
      send(client.#rid, ArrayPrototypeShift(client.#queue));
    }
    return client.#rid;
  }

  /**
   * The socket another Worker of the host answered with (resource `rid`):
   * returned in a response it passes through; accept()ed, it is used here.
   */
  static adopted(rid) {
    const socket = new WebSocket(construct);
    socket.#rid = rid;
    socket.#adopted = true;
    return socket;
  }

  /** A socket for an outgoing connection `rid`; its messages wait for accept(). */
  static connected(rid, url) {
    const socket = new WebSocket(construct);
    socket.#url = url;
    socket.#bindRemote(rid, socket);
    return socket;
  }

  static pair() {
    const client = new WebSocket(construct);
    const server = new WebSocket(construct);
    client.#peer = server;
    server.#peer = client;
    return [client, server];
  }
}

function send(rid, frame) {
  switch (frame[0]) {
    case TEXT:
      op_websocket_send_text(rid, frame[1]);
      break;
    case BINARY:
      op_websocket_send_binary(rid, frame[1]);
      break;
    case CLOSE:
      op_websocket_close(rid, frame[1], frame[2]);
      break;
  }
}

const { adopted, handOver, handleWith, connected, pair } = WebSocket;
delete WebSocket.adopted;
delete WebSocket.handleWith;
delete WebSocket.handOver;
delete WebSocket.connected;
delete WebSocket.pair;

/**
 * A message a Durable Object answers without waking
 * (`ctx.setWebSocketAutoResponse()`): `request` in, `response` out.
 */
class WebSocketRequestResponsePair {
  #request;
  #response;

  constructor(request, response) {
    this.#request = String(request);
    this.#response = String(response);
  }

  get request() {
    return this.#request;
  }

  get response() {
    return this.#response;
  }
}

class WebSocketPair {
  constructor() {
    const [client, server] = pair();
    this[0] = client;
    this[1] = server;
  }
}

/**
 * `Response`, accepting status 101 with a `webSocket` in its init as
 * workerd's does (Deno's allows statuses 200 to 599 only).
 */
/** Statuses whose responses have no body. */
const NULL_BODY_STATUSES = [101, 204, 205, 304];

/** Refuses, in workerd's words, a status or a body a response cannot have. */
function checkStatus(body, status) {
  if (status === undefined) {
    return;
  }
  const code = +status;
  if (code !== 101 && (code < 200 || code > 599)) {
    throw new RangeError(
      "Responses may only be constructed with status codes in the range 200 to 599, inclusive.",
    );
  }
  if (body !== undefined && body !== null && ArrayPrototypeIncludes(NULL_BODY_STATUSES, code)) {
    throw new TypeError(
      "Response with null body status (101, 204, 205, or 304) cannot have a body.",
    );
  }
}

const Response = new Proxy(responseNs.Response, {
  construct(target, args, newTarget) {
    const init = args[1];
    const webSocket = init?.webSocket;
    if (webSocket === undefined || webSocket === null) {
      checkStatus(args[0], init?.status);
      return ReflectConstruct(target, args, newTarget);
    }
    if (!ObjectPrototypeIsPrototypeOf(WebSocket.prototype, webSocket)) {
      throw new TypeError("Failed to construct 'Response': init.webSocket is not a WebSocket.");
    }
    if (init.status !== 101) {
      throw new RangeError("Responses with a webSocket must have status 101.");
    }
    const response = ReflectConstruct(target, [null, { ...init, status: 200 }], newTarget);
    responseNs.toInnerResponse(response).status = 101;
    response[webSocketKey] = webSocket;
    return response;
  },
});
ObjectDefineProperty(responseNs.Response.prototype, "webSocket", {
  get() {
    return this[webSocketKey] ?? null;
  },
  enumerable: true,
  configurable: true,
});

/** `fetch()` of a request asking for `Upgrade: websocket`: a 101 with the socket. */
async function connectWebSocket(input, init) {
  const request = new requestNs.Request(input, init);
  const [status, responseHeaders, rid] = await op_websocket_connect(
    request.url,
    ArrayFrom(request.headers),
  );
  return new Response(null, {
    status,
    headers: responseHeaders,
    webSocket: connected(rid, request.url),
  });
}

/**
 * Whether `fetch(input, init)` asks for `Upgrade: websocket`, read from
 * the headers the request will have (init's replace input's), without
 * building the request.
 */
function asksForWebSocket(input, init) {
  let headers = init?.headers;
  if (headers === undefined) {
    if (!ObjectPrototypeIsPrototypeOf(requestNs.Request.prototype, input)) {
      return false;
    }
    headers = input.headers;
  } else {
    headers = new headersNs.Headers(headers);
  }
  const upgrade = headers.get("upgrade");
  return upgrade !== null && StringPrototypeToLowerCase(upgrade) === "websocket";
}

export {
  adopted,
  asksForWebSocket,
  connectWebSocket,
  handleWith,
  handOver,
  Response,
  WebSocket,
  webSocketKey,
  WebSocketPair,
  WebSocketRequestResponsePair,
};
