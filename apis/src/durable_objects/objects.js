// The Durable Objects a Worker's classes make, in the isolate the host
// keeps for them (`host/slot.rs`): one instance per id, made on its first
// event with its `ctx` (`DurableObjectState`) and the Worker's `env`, and
// evicted once idle (its constructor runs again on its next event).
//
// Storage (`storage.js`) is the object's SQLite database, reached through
// synchronous ops: while an operation runs, no other event reaches the
// object, and a write is committed before the call that made it returns,
// so what an object answers never runs ahead of what it stored (workerd's
// input and output gates, for the work storage does).
// `blockConcurrencyWhile()` holds the object's further events until its
// callback settles.

import {
  op_do_close,
  op_do_idle_ms,
  op_do_open,
  op_void_async_deferred,
} from "ext:core/ops";
import {
  core,
  primordials,
  reportUncaught,
  timers,
} from "ext:isola_global_scope/00_infra.js";
import { currentInvocation } from "ext:isola_global_scope/30_events.js";
import { setObjectHost } from "ext:isola_global_scope/60_worker.js";
import {
  commitWrites,
  dropWrites,
  DurableObjectStorage,
} from "ext:isola_durable_objects/storage.js";
import { handleWith } from "ext:isola_websocket/websocket.js";

const {
  ArrayFrom,
  ArrayPrototypePush,
  DateNow,
  ObjectDefineProperty,
  PromisePrototypeCatch,
  PromisePrototypeThen,
  SafeMap,
  SafeWeakMap,
  String,
  TypeError,
} = primordials;

const { setTimeout, unrefTimer } = timers;

/** How long an object stays in memory without an event (the host's setting). */
let idleMs = null;

function idleTimeout() {
  idleMs ??= op_do_idle_ms();
  return idleMs;
}

/** A Durable Object's id: 64 hex digits, and the name it came from. */
export class DurableObjectId {
  #id;

  constructor(id, name) {
    this.#id = id;
    // An own, read-only property, as workerd's (`JSON.stringify(id)` shows it).
    ObjectDefineProperty(this, "name", { value: name ?? undefined, enumerable: true });
  }

  toString() {
    return this.#id;
  }

  equals(other) {
    return other instanceof DurableObjectId && other.#id === this.#id;
  }
}

// --- Input gate -----------------------------------------------------------

/** Runs `work` outside any invocation: no request waits for or cancels it. */
function outsideInvocations(work) {
  const outer = core.getAsyncContext();
  core.setAsyncContext(undefined);
  try {
    return work();
  } finally {
    core.setAsyncContext(outer);
  }
}

/**
 * An object's input gate: each storage operation closes it until the
 * event loop's next turn, so the code awaiting the operation runs on, up
 * to its next wait for something else, before another event reaches the
 * object. That is what makes `put(get() + 1)` exact under load.
 */
class InputGate {
  #closed = false;
  #waiters = [];

  get closed() {
    return this.#closed;
  }

  close() {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    // A deferred op settles on the event loop's next turn, once the
    // microtasks queued now have run.
    PromisePrototypeThen(op_void_async_deferred(), () => this.#open());
  }

  #open() {
    this.#closed = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (let i = 0; i < waiters.length; i++) {
      waiters[i]();
    }
  }

  /** Settles once the gate has opened. */
  opened() {
    return new Promise((resolve) => ArrayPrototypePush(this.#waiters, resolve));
  }
}

// --- Storage ------------------------------------------------------------

// --- Objects --------------------------------------------------------------

/** workerd's limits on a hibernatable socket's tags. */
const MAX_TAGS = 10;
const MAX_TAG_LENGTH = 256;

const ACCEPTED_ALREADY =
  "Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`";

/** The objects in memory, by `<class>:<id>`. */
const live = new SafeMap();

/** `ctx` of an object. */
class DurableObjectState {
  #entry;

  constructor(entry, id, storage) {
    this.#entry = entry;
    this.id = id;
    this.storage = storage;
  }

  /**
   * Takes `socket` (the server end of a pair) for the object: its
   * messages and its close call the class's `webSocketMessage` and
   * `webSocketClose`, through the object's gates.
   */
  acceptWebSocket(socket, tags = []) {
    const entry = this.#entry;
    tags = ArrayFrom(tags, String);
    if (tags.length > MAX_TAGS) {
      throw new Error(`a Hibernatable WebSocket cannot have more than ${MAX_TAGS} tags`);
    }
    for (const tag of tags) {
      if (tag.length > MAX_TAG_LENGTH) {
        throw new Error(`"${tag}" is longer than the max tag length (${MAX_TAG_LENGTH} characters).`);
      }
    }
    if (entry.sockets.has(socket)) {
      throw new Error(ACCEPTED_ALREADY);
    }
    try {
      socket.accept();
    } catch {
      throw new Error(ACCEPTED_ALREADY);
    }
    handleWith(socket, entry.socketEvents);
    entry.sockets.set(socket, tags);
  }

  setHibernatableWebSocketEventTimeout(ms = undefined) {
    this.#entry.eventTimeout = ms ?? null;
  }

  getHibernatableWebSocketEventTimeout() {
    return this.#entry.eventTimeout ?? null;
  }

  /**
   * Resets the object: the writes it has not committed are dropped, its
   * instance goes, and its next event makes it anew.
   */
  abort(reason = undefined) {
    const entry = this.#entry;
    if (entry.storage !== null) {
      dropWrites(entry.storage);
    }
    entry.resetBy = { instance: entry.instance, error: abortError(reason) };
    sleep(entry);
    throw entry.resetBy.error;
  }

  /** The sockets the object accepted (with `tag`, when given). */
  getWebSockets(tag = undefined) {
    const sockets = [];
    for (const [socket, tags] of this.#entry.sockets) {
      if (tag === undefined || tags.includes(String(tag))) {
        ArrayPrototypePush(sockets, socket);
      }
    }
    return sockets;
  }

  getTags(socket) {
    const tags = this.#entry.sockets.get(socket);
    if (tags === undefined) {
      throw new Error(
        "you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket.",
      );
    }
    return ArrayFrom(tags);
  }

  setWebSocketAutoResponse(pair = undefined) {
    this.#entry.autoResponse = pair ?? null;
  }

  getWebSocketAutoResponse() {
    return this.#entry.autoResponse;
  }

  getWebSocketAutoResponseTimestamp(socket) {
    return this.#entry.autoResponded.get(socket) ?? null;
  }

  waitUntil(promise) {
    currentInvocation()?.waitUntil(promise);
  }

  blockConcurrencyWhile(callback) {
    return blockWhile(this.#entry, callback, true);
  }
}

/** The error `ctx.abort(reason)` throws, in workerd's words. */
function abortError(reason) {
  return new Error(
    reason === undefined ? "Application called abort() to reset Durable Object." : String(reason),
  );
}

/**
 * Holds the object's further events until `callback` settles. With
 * `resetOnThrow`, a callback that throws resets the object (its next
 * event makes it anew), as Cloudflare resets an object whose
 * `blockConcurrencyWhile()` failed; a transaction that throws is only
 * rolled back.
 */
function blockWhile(entry, callback, resetOnThrow) {
  let running = (async () => await callback())();
  if (resetOnThrow) {
    running = PromisePrototypeCatch(running, (error) => {
      entry.resetBy = { instance: entry.instance, error };
      sleep(entry);
      throw error;
    });
  }
  // The gate only says when the callback settled: how is the caller's.
  const gate = PromisePrototypeCatch(running, () => {});
  entry.gate = gate;
  PromisePrototypeThen(gate, () => {
    if (entry.gate === gate) {
      entry.gate = null;
    }
  });
  return running;
}

/**
 * Evicts the object once it has been idle for `idleTimeout()`. One timer per
 * object, armed when none is (not one per event): when it fires early
 * it waits out the rest. It belongs to no invocation (no request waits
 * for it or cancels it) and does not keep a retired isolate running.
 *
 * An object whose only ties are sockets it accepted with `acceptWebSocket`
 * hibernates: its instance and database handle go, the sockets (with
 * their tags, attachments and auto-response) stay, and the next event
 * (a message, a close, a request) makes it again, constructor and all.
 */
function evictLater(entry) {
  entry.lastUsed = DateNow();
  if (entry.timer === null) {
    evictIn(entry, idleTimeout());
  }
}

function evictIn(entry, ms) {
  entry.timer = outsideInvocations(() =>
    setTimeout(() => {
      entry.timer = null;
      // An event that ends arms the timer again.
      if (entry.active > 0 || entry.instance === null || live.get(entry.key) !== entry) {
        return;
      }
      const idle = DateNow() - entry.lastUsed;
      if (idle < idleTimeout()) {
        evictIn(entry, idleTimeout() - idle);
        return;
      }
      if (entry.sockets.size === 0) {
        live.delete(entry.key);
      }
      sleep(entry);
    }, ms)
  );
  unrefTimer(entry.timer);
}

/** Drops the object's instance and closes its database. */
function sleep(entry) {
  entry.instance = null;
  commitQuietly(entry);
  entry.storage = null;
  if (entry.handle !== null) {
    op_do_close(entry.handle);
    entry.handle = null;
  }
}

/**
 * Makes the object's instance if it has none (its first event, or the
 * first since it was evicted or hibernated): its database opened, its
 * `ctx`, its constructor run with `env`.
 */
function awaken(entry) {
  if (entry.instance !== null) {
    return;
  }
  const { Class, env } = entry;
  entry.handle = op_do_open(entry.className, entry.id.toString());
  const storage = new DurableObjectStorage(
    entry.handle,
    entry.input,
    () => typeof entry.instance?.alarm === "function" || typeof Class.prototype.alarm === "function",
    (callback) => blockWhile(entry, callback, false),
  );
  entry.storage = storage;
  const state = new DurableObjectState(entry, entry.id, storage);
  try {
    entry.instance = new Class(state, env);
  } catch (error) {
    sleep(entry);
    if (entry.sockets.size === 0) {
      live.delete(entry.key);
    }
    throw error;
  }
}

/**
 * Runs `use(instance)` on the object `{ class, id, name }` of this Worker
 * (made now, with `env`, if it is not in memory; `namespace` is the
 * Worker's main module), once the object takes events.
 */
async function withObject({ class: className, id, name }, env, namespace, use) {
  const key = `${className}:${id}`;
  let entry = live.get(key);
  if (entry === undefined) {
    const Class = namespace?.[className];
    if (typeof Class !== "function") {
      throw new TypeError(
        `This Worker does not export a Durable Object class named "${className}".`,
      );
    }
    entry = {
      Class,
      env,
      className,
      id: new DurableObjectId(id, name),
      instance: null,
      handle: null,
      gate: null,
      input: new InputGate(),
      active: 0,
      timer: null,
      lastUsed: 0,
      sockets: new SafeMap(),
      autoResponse: null,
      autoResponded: new SafeWeakMap(),
      socketEvents: null,
      eventTimeout: null,
      resetBy: null,
      storage: null,
      key,
    };
    entry.socketEvents = socketEvents(entry);
    live.set(key, entry);
  }
  return await enter(entry, () => use(entry.instance));
}

/**
 * Runs `run()` as an event of the object: once the object is made, and
 * `blockConcurrencyWhile()` (its constructor's included) and the input
 * gate let events in, counted as work that keeps the object in memory.
 */
async function enter(entry, run) {
  entry.active++;
  try {
    awaken(entry);
    const instance = entry.instance;
    for (;;) {
      if (entry.gate !== null) {
        await entry.gate;
        throwIfReset(entry, instance);
      } else if (entry.input.closed) {
        await entry.input.opened();
      } else {
        break;
      }
    }
    let result;
    try {
      result = await run();
    } catch (error) {
      // What the event wrote before it threw is kept, as on workerd.
      commitQuietly(entry);
      throw error;
    }
    throwIfReset(entry, instance);
    // Its writes are on disk before its result leaves the object (the
    // output gate).
    if (entry.storage !== null) {
      commitWrites(entry.storage);
    }
    return result;
  } finally {
    entry.active--;
    evictLater(entry);
  }
}

function commitQuietly(entry) {
  if (entry.storage === null) {
    return;
  }
  try {
    commitWrites(entry.storage);
  } catch (error) {
    reportUncaught("Uncaught (committing a Durable Object's writes)", error);
  }
}

/**
 * An event of `instance` fails with what reset the object (a failed
 * `blockConcurrencyWhile()`) while it waited or ran, whatever it caught:
 * workerd breaks the object's output gate.
 */
function throwIfReset(entry, instance) {
  if (entry.resetBy !== null && entry.resetBy.instance === instance) {
    throw entry.resetBy.error;
  }
}

/** What the sockets an object accepted hear, for the object's class. */
function socketEvents(entry) {
  return {
    message(socket, data) {
      const auto = entry.autoResponse;
      if (auto !== null && data === auto.request) {
        socket.send(auto.response);
        entry.autoResponded.set(socket, new Date());
        return;
      }
      deliver(entry, (object) => object.webSocketMessage?.(socket, data));
    },
    close(socket, code, reason, wasClean) {
      entry.sockets.delete(socket);
      deliver(entry, (object) => object.webSocketClose?.(socket, code, reason, wasClean));
    },
  };
}

/** Runs a socket's handler on the object; what it throws is logged. */
function deliver(entry, use) {
  PromisePrototypeCatch(
    enter(entry, () => use(entry.instance)),
    (error) => reportUncaught("Uncaught (in a WebSocket handler)", error),
  );
}

setObjectHost(withObject);
