// The Durable Objects a Worker's classes make, in the isolate the host
// keeps for them (`host/slot.rs`): one instance per id, made on its first
// event with its `ctx` (`DurableObjectState`) and the Worker's `env`, and
// evicted once idle (its constructor runs again on its next event).
//
// Storage is the object's SQLite database, reached through synchronous
// ops: while an operation runs, no other event reaches the object, and a
// write is committed before the call that made it returns, so what an
// object answers never runs ahead of what it stored (workerd's input and
// output gates, for the work storage does). `blockConcurrencyWhile()`
// holds the object's further events until its callback settles.

import {
  op_do_close,
  op_do_delete_alarm,
  op_do_get_alarm,
  op_do_idle_ms,
  op_do_open,
  op_do_set_alarm,
  op_do_savepoint,
  op_do_sql,
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

const {
  ArrayFrom,
  ArrayIsArray,
  ArrayPrototypeMap,
  ArrayPrototypePush,
  ArrayPrototypeJoin,
  ArrayBufferIsView,
  ArrayBufferPrototype,
  DateNow,
  DatePrototypeGetTime,
  Error,
  NumberIsFinite,
  ObjectEntries,
  ObjectPrototypeIsPrototypeOf,
  PromisePrototypeCatch,
  PromisePrototypeFinally,
  PromisePrototypeThen,
  PromiseResolve,
  RangeError,
  SafeMap,
  SafeWeakMap,
  String,
  StringPrototypeSlice,
  StringPrototypeStartsWith,
  SymbolIterator,
  TypeError,
  TypedArrayPrototypeGetBuffer,
  Uint8Array,
} = primordials;

const { setTimeout, unrefTimer } = timers;

/** How long an object with nothing to do stays in memory. */
/** How long an object stays in memory without an event (the host's setting). */
let idleMs = null;

function idleTimeout() {
  idleMs ??= op_do_idle_ms();
  return idleMs;
}

/** Largest value the key-value API stores (SQLite-backed objects' limit). */
const MAX_VALUE_BYTES = 2 * 1024 * 1024;
const MAX_KEY_BYTES = 2048;

/** A Durable Object's id: 64 hex digits, and the name it came from. */
export class DurableObjectId {
  #id;
  #name;

  constructor(id, name) {
    this.#id = id;
    this.#name = name;
  }

  get name() {
    return this.#name ?? undefined;
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

/** A value as SQLite takes it: blobs as arrays of byte values. */
function toSql(value) {
  if (typeof value === "boolean") {
    return value ? 1 : 0;
  }
  if (ArrayBufferIsView(value)) {
    return ArrayFrom(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, value)) {
    return ArrayFrom(new Uint8Array(value));
  }
  return value ?? null;
}

/** A value as `sql.exec()` returns it: blobs as ArrayBuffers. */
function fromSql(value) {
  return ArrayIsArray(value) ? TypedArrayPrototypeGetBuffer(new Uint8Array(value)) : value;
}

function checkKey(key) {
  if (typeof key !== "string") {
    throw new TypeError("Durable Object storage keys must be strings.");
  }
  if (core.encode(key).length > MAX_KEY_BYTES) {
    throw new RangeError(`Keys cannot be larger than ${MAX_KEY_BYTES} bytes.`);
  }
}

function encodeValue(value) {
  const bytes = core.serialize(value);
  if (bytes.length > MAX_VALUE_BYTES) {
    throw new RangeError(`Values cannot be larger than ${MAX_VALUE_BYTES} bytes.`);
  }
  return ArrayFrom(bytes);
}

function decodeValue(bytes) {
  return core.deserialize(new Uint8Array(bytes));
}

/** The results of `sql.exec()`: rows as objects, or as arrays with `raw()`. */
class SqlStorageCursor {
  #columns;
  #rows;
  #next = 0;

  constructor(result) {
    this.#columns = result.columns;
    this.#rows = result.rows;
    this.rowsRead = result.meta.rows_read;
    this.rowsWritten = result.meta.rows_written;
  }

  get columnNames() {
    return this.#columns;
  }

  #take() {
    return this.#next < this.#rows.length
      ? ArrayPrototypeMap(this.#rows[this.#next++], fromSql)
      : null;
  }

  #object(row) {
    const object = {};
    for (let i = 0; i < this.#columns.length; i++) {
      object[this.#columns[i]] = row[i];
    }
    return object;
  }

  next() {
    const row = this.#take();
    return row === null ? { done: true, value: undefined } : { done: false, value: this.#object(row) };
  }

  [SymbolIterator]() {
    return this;
  }

  toArray() {
    const rows = [];
    for (let row = this.#take(); row !== null; row = this.#take()) {
      rows[rows.length] = this.#object(row);
    }
    return rows;
  }

  one() {
    const rows = this.toArray();
    if (rows.length !== 1) {
      throw new Error(
        `Expected exactly one result from SQL query, but got ${rows.length === 0 ? "no results" : "multiple results"}.`,
      );
    }
    return rows[0];
  }

  raw() {
    const take = () => this.#take();
    return {
      next() {
        const row = take();
        return row === null ? { done: true, value: undefined } : { done: false, value: row };
      },
      [SymbolIterator]() {
        return this;
      },
      toArray() {
        const rows = [];
        for (let row = take(); row !== null; row = take()) {
          rows[rows.length] = row;
        }
        return rows;
      },
    };
  }
}

const D1_PREFIX = "D1_ERROR: ";

/** `ctx.storage.sql`. */
class SqlStorage {
  #handle;

  constructor(handle) {
    this.#handle = handle;
  }

  exec(query, ...bindings) {
    let result;
    try {
      [result] = op_do_sql(this.#handle, [[String(query), ArrayPrototypeMap(bindings, toSql)]], false);
    } catch (error) {
      // workerd words an object's SQL errors as SQLite does, without D1's
      // prefix: `no such table: x: SQLITE_ERROR`.
      if (StringPrototypeStartsWith(error?.message ?? "", D1_PREFIX)) {
        throw new Error(StringPrototypeSlice(error.message, D1_PREFIX.length));
      }
      throw error;
    }
    return new SqlStorageCursor(result);
  }

  get databaseSize() {
    return op_do_sql(this.#handle, [["SELECT 1", []]], false)[0].meta.size_after;
  }
}

/** The steps of the savepoint around `transactionSync()` (`op_do_savepoint`). */
const SAVEPOINT_BEGIN = 0;
const SAVEPOINT_RELEASE = 1;
const SAVEPOINT_ROLL_BACK = 2;

/** Where a transaction keeps its writes until it commits. */
const DELETED = Symbol("deleted");

/** The key-value API over `_cf_KV`, optionally inside a transaction. */
class KeyValue {
  #handle;
  /** key → value or DELETED, for a transaction; null outside one. */
  #pending;
  #rolledBack = false;

  constructor(handle, pending = null) {
    this.#handle = handle;
    this.#pending = pending;
  }

  getOne(key) {
    checkKey(key);
    if (this.#pending?.has(key)) {
      const value = this.#pending.get(key);
      return value === DELETED ? undefined : decodeValue(value);
    }
    const { rows } = op_do_sql(this.#handle, [["SELECT value FROM _cf_KV WHERE key = ?", [key]]], true)[0];
    return rows.length === 0 ? undefined : decodeValue(rows[0][0]);
  }

  getMany(keys) {
    const found = new SafeMap();
    for (const key of keys) {
      const value = this.getOne(key);
      if (value !== undefined) {
        found.set(key, value);
      }
    }
    return new Map(ArrayFrom(found).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  write(entries) {
    const statements = [];
    for (const [key, value] of entries) {
      checkKey(key);
      const encoded = value === DELETED ? DELETED : encodeValue(value);
      if (this.#pending !== null) {
        this.#pending.set(key, encoded);
      } else {
        statements[statements.length] = writing(key, encoded);
      }
    }
    return statements.length === 0 ? [] : op_do_sql(this.#handle, statements, true);
  }

  deleteMany(keys) {
    let count = 0;
    for (const key of keys) {
      if (this.getOne(key) !== undefined) {
        count++;
      }
    }
    this.write(ArrayPrototypeMap(ArrayFrom(keys), (key) => [key, DELETED]));
    return count;
  }

  list(options = {}) {
    const where = [];
    const params = [];
    if (options.prefix !== undefined) {
      where[where.length] = "substr(key, 1, length(?)) = ?";
      params[params.length] = String(options.prefix);
      params[params.length] = String(options.prefix);
    }
    if (options.start !== undefined) {
      where[where.length] = "key >= ?";
      params[params.length] = String(options.start);
    }
    if (options.startAfter !== undefined) {
      where[where.length] = "key > ?";
      params[params.length] = String(options.startAfter);
    }
    if (options.end !== undefined) {
      where[where.length] = "key < ?";
      params[params.length] = String(options.end);
    }
    let query = "SELECT key, value FROM _cf_KV";
    if (where.length > 0) {
      query += ` WHERE ${ArrayPrototypeJoin(where, " AND ")}`;
    }
    query += options.reverse ? " ORDER BY key DESC" : " ORDER BY key";
    const stored = op_do_sql(this.#handle, [[query, params]], true)[0].rows;
    const entries = new SafeMap();
    for (const [key, value] of stored) {
      entries.set(key, value);
    }
    // A transaction's own writes, over what is stored.
    if (this.#pending !== null) {
      for (const [key, value] of this.#pending) {
        if (value === DELETED) {
          entries.delete(key);
        } else if (inRange(key, options)) {
          entries.set(key, value);
        }
      }
    }
    let keys = ArrayFrom(entries.keys()).sort();
    if (options.reverse) {
      keys = keys.reverse();
    }
    if (options.limit !== undefined) {
      keys = keys.slice(0, options.limit);
    }
    const out = new Map();
    for (const key of keys) {
      out.set(key, decodeValue(entries.get(key)));
    }
    return out;
  }

  deleteAll() {
    if (this.#pending !== null) {
      throw new Error("deleteAll() cannot be called within a transaction.");
    }
    op_do_sql(this.#handle, [["DELETE FROM _cf_KV", []]], true);
  }

  rollback() {
    this.#rolledBack = true;
  }

  /** Commits a transaction's writes in one SQLite transaction. */
  commit() {
    const pending = this.#pending;
    this.#pending = null;
    if (this.#rolledBack || pending === null || pending.size === 0) {
      return;
    }
    const statements = [];
    for (const [key, value] of pending) {
      statements[statements.length] = writing(key, value);
    }
    op_do_sql(this.#handle, statements, true);
  }
}

/** The statement that stores `encoded` at `key`, or deletes it (DELETED). */
function writing(key, encoded) {
  return encoded === DELETED
    ? ["DELETE FROM _cf_KV WHERE key = ?", [key]]
    : ["INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", [key, encoded]];
}

function inRange(key, options) {
  return (options.prefix === undefined || StringPrototypeSlice(key, 0, options.prefix.length) === options.prefix) &&
    (options.start === undefined || key >= options.start) &&
    (options.startAfter === undefined || key > options.startAfter) &&
    (options.end === undefined || key < options.end);
}

/** The key-value calls of `ctx.storage` and of a transaction. */
class StorageOperations {
  #kv;
  #gate;

  constructor(kv, gate) {
    this.#kv = kv;
    this.#gate = gate;
  }

  get(keys, _options = undefined) {
    this.#gate.close();
    return PromiseResolve(
      ArrayIsArray(keys) ? this.#kv.getMany(keys) : this.#kv.getOne(keys),
    );
  }

  put(key, value = undefined, _options = undefined) {
    const entries = typeof key === "object" && key !== null ? ObjectEntries(key) : [[key, value]];
    if (typeof key !== "object" && value === undefined) {
      throw new TypeError("put() requires a value; use delete() to remove a key.");
    }
    this.#gate.close();
    this.#kv.write(entries);
    return PromiseResolve();
  }

  delete(keys, _options = undefined) {
    this.#gate.close();
    return PromiseResolve(
      ArrayIsArray(keys) ? this.#kv.deleteMany(keys) : this.#kv.deleteMany([keys]) === 1,
    );
  }

  list(options = undefined) {
    this.#gate.close();
    return PromiseResolve(this.#kv.list(options ?? {}));
  }
}

/** `txn` in `ctx.storage.transaction(async (txn) => ...)`. */
class DurableObjectTransaction extends StorageOperations {
  #kv;

  constructor(kv, gate) {
    super(kv, gate);
    this.#kv = kv;
  }

  rollback() {
    this.#kv.rollback();
  }
}

/** `ctx.storage`. */
class DurableObjectStorage extends StorageOperations {
  #handle;
  #gate;
  #inSync = false;
  #hasAlarmHandler;
  #kv;
  #sql;

  constructor(handle, gate, hasAlarmHandler) {
    const kv = new KeyValue(handle);
    super(kv, gate);
    this.#handle = handle;
    this.#gate = gate;
    this.#hasAlarmHandler = hasAlarmHandler;
    this.#kv = kv;
    this.#sql = new SqlStorage(handle);
  }

  get sql() {
    return this.#sql;
  }

  deleteAll(_options = undefined) {
    this.#kv.deleteAll();
    return PromiseResolve();
  }

  /**
   * Runs `closure` with a transaction whose writes are committed together
   * when it succeeds, and dropped when it throws or rolls back.
   */
  async transaction(closure) {
    const kv = new KeyValue(this.#handle, new SafeMap());
    const result = await closure(new DurableObjectTransaction(kv, this.#gate));
    kv.commit();
    return result;
  }

  /**
   * Runs `closure` inside a savepoint: its SQL and key-value writes commit
   * together once it returns, and are rolled back if it throws.
   */
  transactionSync(closure) {
    if (this.#inSync) {
      return closure();
    }
    this.#inSync = true;
    op_do_savepoint(this.#handle, SAVEPOINT_BEGIN);
    try {
      const result = closure();
      op_do_savepoint(this.#handle, SAVEPOINT_RELEASE);
      return result;
    } catch (error) {
      op_do_savepoint(this.#handle, SAVEPOINT_ROLL_BACK);
      throw error;
    } finally {
      this.#inSync = false;
    }
  }

  sync() {
    return PromiseResolve();
  }

  getAlarm(_options = undefined) {
    this.#gate.close();
    const at = op_do_get_alarm(this.#handle);
    return PromiseResolve(at < 0 ? null : at);
  }

  setAlarm(scheduledTime, _options = undefined) {
    const at = typeof scheduledTime === "number" ? scheduledTime : DatePrototypeGetTime(scheduledTime);
    if (!NumberIsFinite(at)) {
      throw new TypeError("setAlarm() takes a Date or a number of milliseconds since the epoch.");
    }
    if (!this.#hasAlarmHandler()) {
      throw new TypeError(
        "Your Durable Object class must have an alarm() handler in order to call setAlarm()",
      );
    }
    this.#gate.close();
    op_do_set_alarm(this.#handle, at);
    return PromiseResolve();
  }

  deleteAlarm(_options = undefined) {
    this.#gate.close();
    op_do_delete_alarm(this.#handle);
    return PromiseResolve();
  }
}

// --- Objects --------------------------------------------------------------

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
   * messages, its close and its errors call the class's `webSocketMessage`,
   * `webSocketClose` and `webSocketError`, through the object's gates.
   */
  acceptWebSocket(socket, tags = []) {
    const entry = this.#entry;
    socket.accept();
    entry.sockets.set(socket, ArrayFrom(tags, String));
    socket.addEventListener("message", (event) => {
      const auto = entry.autoResponse;
      if (auto !== null && event.data === auto.request) {
        socket.send(auto.response);
        entry.autoResponded.set(socket, new Date());
        return;
      }
      deliver(entry, (object) => object.webSocketMessage?.(socket, event.data));
    });
    socket.addEventListener("close", (event) => {
      entry.sockets.delete(socket);
      deliver(
        entry,
        (object) => object.webSocketClose?.(socket, event.code, event.reason, event.wasClean),
      );
    });
    socket.addEventListener("error", (event) => {
      deliver(entry, (object) => object.webSocketError?.(socket, event.error));
    });
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
      throw new TypeError("getTags() takes a WebSocket this object accepted.");
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
    const entry = this.#entry;
    const running = (async () => await callback())();
    const gate = PromisePrototypeFinally(running, () => {
      if (entry.gate === gate) {
        entry.gate = null;
      }
    });
    entry.gate = gate;
    return running;
  }
}

/**
 * Evicts the object once it has been idle for `idleTimeout()`. One timer per
 * object, armed when none is (not one per event): when it fires early
 * it waits out the rest. It belongs to no invocation (no request waits
 * for it or cancels it) and does not keep a retired isolate running.
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
      // Objects with sockets stay in memory (they are not hibernated);
      // an event that ends arms the timer again.
      if (entry.active > 0 || entry.sockets.size > 0 || live.get(entry.key) !== entry) {
        return;
      }
      const idle = DateNow() - entry.lastUsed;
      if (idle < idleTimeout()) {
        evictIn(entry, idleTimeout() - idle);
        return;
      }
      live.delete(entry.key);
      op_do_close(entry.handle);
    }, ms)
  );
  unrefTimer(entry.timer);
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
      instance: null,
      handle: op_do_open(className, id),
      gate: null,
      input: new InputGate(),
      active: 0,
      timer: null,
      lastUsed: 0,
      sockets: new SafeMap(),
      autoResponse: null,
      autoResponded: new SafeWeakMap(),
      key,
    };
    live.set(key, entry);
    const storage = new DurableObjectStorage(
      entry.handle,
      entry.input,
      () => typeof entry.instance?.alarm === "function" || typeof Class.prototype.alarm === "function",
    );
    const state = new DurableObjectState(entry, new DurableObjectId(id, name), storage);
    try {
      entry.instance = new Class(state, env);
    } catch (error) {
      live.delete(key);
      op_do_close(entry.handle);
      throw error;
    }
  }
  return await enter(entry, () => use(entry.instance));
}

/**
 * Runs `run()` as an event of the object: once `blockConcurrencyWhile()`
 * and the input gate let events in, counted as work that keeps the object
 * in memory.
 */
async function enter(entry, run) {
  entry.active++;
  try {
    for (;;) {
      if (entry.gate !== null) {
        await PromisePrototypeCatch(entry.gate, () => {});
      } else if (entry.input.closed) {
        await entry.input.opened();
      } else {
        break;
      }
    }
    return await run();
  } finally {
    entry.active--;
    evictLater(entry);
  }
}

/** Runs a socket's handler on the object; what it throws is logged. */
function deliver(entry, use) {
  PromisePrototypeCatch(
    enter(entry, () => use(entry.instance)),
    (error) => reportUncaught("Uncaught (in a WebSocket handler)", error),
  );
}

setObjectHost(withObject);
