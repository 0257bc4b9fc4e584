// `cloudflare:sockets`: `connect()` and its Socket, as workerd has them:
// `readable` and `writable` web streams over the host's connection,
// `opened` and `closed` promises, `close()` and `startTls()`.
//
// The host's loader answers `import { connect } from "cloudflare:sockets"`
// with a module that reads `connect` from a well-known symbol of the global
// scope (as for `cloudflare:workers`); node:net and node:tls build on the
// same function.

import { core, primordials, streams } from "ext:isola_global_scope/00_infra.js";
import {
  op_socket_connect,
  op_socket_read,
  op_socket_shutdown,
  op_socket_start_tls,
  op_socket_write,
} from "ext:core/ops";
import { takeSubrequest, TOO_MANY_SUBREQUESTS } from "ext:isola_global_scope/30_events.js";

const {
  Error,
  ObjectDefineProperty,
  ObjectFreeze,
  Promise,
  PromisePrototypeThen,
  PromiseReject,
  StringPrototypeLastIndexOf,
  StringPrototypeSlice,
  SymbolFor,
  TypeError,
  TypedArrayPrototypeSubarray,
  Uint8Array,
} = primordials;
const { ReadableStream, WritableStream } = streams;

const READ_SIZE = 64 * 1024;

/** `{ hostname, port }` from a SocketAddress or a "host:port" string. */
function parseAddress(address) {
  if (typeof address === "string") {
    const at = StringPrototypeLastIndexOf(address, ":");
    if (at < 0) throw new TypeError("The address must be \"host:port\"");
    let hostname = StringPrototypeSlice(address, 0, at);
    if (hostname[0] === "[") hostname = StringPrototypeSlice(hostname, 1, -1);
    return { hostname, port: +StringPrototypeSlice(address, at + 1) };
  }
  if (address === null || typeof address !== "object") {
    throw new TypeError("The address must be a SocketAddress or a string");
  }
  return { hostname: String(address.hostname), port: +address.port };
}

function deferred() {
  let resolve, reject;
  const promise = new Promise((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

class Socket {
  #rid = null;
  #secureTransport;
  #hostname;
  #opened = deferred();
  #closed = deferred();
  #upgraded = false;
  #closing = false;
  readable;
  writable;

  constructor(ridPromise, hostname, secureTransport, allowHalfOpen) {
    this.#hostname = hostname;
    this.#secureTransport = secureTransport;
    // Nobody may be waiting on these: failures must not be "unhandled".
    PromisePrototypeThen(this.#opened.promise, undefined, () => {});
    PromisePrototypeThen(this.#closed.promise, undefined, () => {});
    const ready = PromisePrototypeThen(ridPromise, (opened) => {
      this.#rid = opened.rid;
      // Closed before the connection was there: close it now.
      if (this.#closing) core.tryClose(opened.rid);
      this.#opened.resolve({ remoteAddress: opened.remoteAddress, localAddress: opened.localAddress });
      return opened.rid;
    }, (error) => {
      this.#opened.reject(error);
      this.#closed.reject(error);
      throw error;
    });
    PromisePrototypeThen(ready, undefined, () => {});
    let readEnded = false;
    let writeEnded = false;
    // The socket is closed once both directions are done; without
    // `allowHalfOpen`, the end of what the peer sends ends ours too.
    const ended = () => {
      if (readEnded && writeEnded) this.#finish();
    };
    this.readable = new ReadableStream({
      type: "bytes",
      pull: async (controller) => {
        const rid = await ready;
        const buffer = new Uint8Array(READ_SIZE);
        let n;
        try {
          n = await op_socket_read(rid, buffer);
        } catch (error) {
          // `startTls()` ended this read: the new socket reads from here on.
          if (this.#upgraded) n = 0;
          else throw error;
        }
        if (n === 0) {
          controller.close();
          readEnded = true;
          if (!allowHalfOpen && !writeEnded) {
            writeEnded = true;
            this.#shutdown();
          }
          ended();
          return;
        }
        controller.enqueue(TypedArrayPrototypeSubarray(buffer, 0, n));
      },
      cancel: () => {
        readEnded = true;
        ended();
      },
    });
    this.writable = new WritableStream({
      write: async (chunk) => {
        const rid = await ready;
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError("The written chunk must be a Uint8Array");
        }
        await op_socket_write(rid, chunk);
      },
      close: async () => {
        const rid = await ready;
        await op_socket_shutdown(rid);
        writeEnded = true;
        ended();
      },
      abort: () => this.close(),
    });
  }

  get opened() {
    return this.#opened.promise;
  }

  get closed() {
    return this.#closed.promise;
  }

  #shutdown() {
    if (this.#rid !== null) {
      PromisePrototypeThen(op_socket_shutdown(this.#rid), undefined, () => {});
    }
  }

  #finish() {
    if (this.#rid !== null && !this.#upgraded) {
      core.tryClose(this.#rid);
    }
    this.#closed.resolve(undefined);
  }

  /** Closes both directions; resolves `closed`. */
  close() {
    this.#closing = true;
    this.#finish();
    return this.#closed.promise;
  }

  /** A new Socket speaking TLS over this connection (`secureTransport: "starttls"`). */
  startTls(options = undefined) {
    if (this.#secureTransport !== "starttls") {
      throw new Error("startTls() can only be called on a socket opened with secureTransport: \"starttls\"");
    }
    if (this.#upgraded) throw new Error("startTls() can only be called once");
    this.#upgraded = true;
    const hostname = options?.expectedServerHostname ?? this.#hostname;
    const upgraded = PromisePrototypeThen(this.#opened.promise, (info) =>
      PromisePrototypeThen(op_socket_start_tls(this.#rid, hostname), (rid) => ({ rid, ...info }))
    );
    this.#closed.resolve(undefined);
    return new Socket(upgraded, hostname, "on", false);
  }
}

/** Opens a TCP connection (`cloudflare:sockets`' `connect`). */
export function connect(address, options = undefined) {
  const { hostname, port } = parseAddress(address);
  const secureTransport = options?.secureTransport ?? "off";
  if (secureTransport !== "off" && secureTransport !== "on" && secureTransport !== "starttls") {
    throw new TypeError(`Unknown secureTransport: ${secureTransport}`);
  }
  if (!(port > 0 && port < 65536) || port !== (port | 0)) {
    throw new TypeError(`The port must be between 1 and 65535: ${port}`);
  }
  const opened = takeSubrequest()
    ? op_socket_connect(hostname, port, secureTransport === "on")
    : PromiseReject(new Error(TOO_MANY_SUBREQUESTS));
  return new Socket(opened, hostname, secureTransport, !!options?.allowHalfOpen);
}

ObjectDefineProperty(globalThis, SymbolFor("isola.cloudflare:sockets"), {
  value: ObjectFreeze({ connect }),
  enumerable: false,
  writable: false,
  configurable: false,
});

