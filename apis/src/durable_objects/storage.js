// `ctx.storage` of a Durable Object (`objects.js` makes the objects): the
// SQL API over the object's SQLite database, the key-value API over its
// `_cf_KV` table (run with the host's rights, which the Worker's SQL does
// not have), transactions, and alarms. Every call is a synchronous op that
// closes the object's input gate, so no other event runs before the code
// awaiting it.

import {
  op_do_delete_alarm,
  op_do_get_alarm,
  op_do_set_alarm,
  op_do_savepoint,
  op_do_sql,
  op_void_async_deferred,
} from "ext:core/ops";
import { core, primordials, reportUncaught } from "ext:isola_global_scope/00_infra.js";
import { serialize } from "ext:isola_global_scope/10_cloning.js";

const {
  ArrayFrom,
  ArrayIsArray,
  ArrayPrototypeMap,
  ArrayPrototypeJoin,
  ArrayBufferIsView,
  ArrayBufferPrototype,
  DatePrototype,
  DatePrototypeGetTime,
  Error,
  NumberIsFinite,
  ObjectEntries,
  ObjectPrototypeIsPrototypeOf,
  PromisePrototypeThen,
  PromiseResolve,
  RangeError,
  SafeMap,
  String,
  StringPrototypeIncludes,
  StringPrototypeSlice,
  StringPrototypeStartsWith,
  SymbolIterator,
  TypeError,
  TypedArrayPrototypeGetBuffer,
  Uint8Array,
} = primordials;

/** Largest value the key-value API stores (SQLite-backed objects' limit). */
const MAX_VALUE_BYTES = 2 * 1024 * 1024;
const MAX_KEY_BYTES = 2048;

/** A value as SQLite takes it: blobs as arrays of byte values. */
function toSql(value) {
  // workerd binds a boolean as its text, where D1 binds 1 or 0.
  if (typeof value === "boolean") {
    return String(value);
  }
  if (ArrayBufferIsView(value)) {
    return ArrayFrom(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, value)) {
    return ArrayFrom(new Uint8Array(value));
  }
  // Anything else that is not a number or a string is bound as its text.
  return value === undefined || value === null || typeof value === "number" ? value ?? null : String(value);
}

/** A value as `sql.exec()` returns it: blobs as ArrayBuffers. */
function fromSql(value) {
  return ArrayIsArray(value) ? TypedArrayPrototypeGetBuffer(new Uint8Array(value)) : value;
}

/** `key` as a string, as workerd converts it (`5` is `"5"`), within the limit. */
function checkKey(key) {
  if (typeof key === "symbol") {
    throw new TypeError("Cannot convert a Symbol value to a string");
  }
  key = String(key);
  const size = core.encode(key).length;
  if (size > MAX_KEY_BYTES) {
    throw new RangeError(
      `Keys cannot be larger than ${MAX_KEY_BYTES} bytes. A key of size ${size} was provided.`,
    );
  }
  return key;
}

function encodeValue(value) {
  const bytes = serialize(value);
  if (bytes.length > MAX_VALUE_BYTES) {
    throw new RangeError(
      `Values cannot be larger than ${MAX_VALUE_BYTES} bytes. A value of size ${bytes.length} was provided.`,
    );
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

/** D1's word for SQL with no statement, and workerd's for an object's. */
const NO_STATEMENT = "No SQL statements detected.";
const NO_STATEMENT_HERE = "SQL code did not contain a statement.";

/** What SQLite says to a `BEGIN` inside the transaction every call runs in. */
const NESTED_BEGIN = "cannot start a transaction within a transaction";

const USE_TRANSACTION_API =
  "To execute a transaction, please use the state.storage.transaction() or " +
  "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT " +
  "statements. The JavaScript API is safer because it will automatically roll back on " +
  "exceptions, and because it interacts correctly with Durable Objects' automatic atomic " +
  "write coalescing.";

/** `ctx.storage.sql`. */
class SqlStorage {
  #handle;
  #writes;

  constructor(handle, writes) {
    this.#handle = handle;
    this.#writes = writes;
  }

  exec(query, ...bindings) {
    let result;
    this.#writes.gather();
    try {
      [result] = op_do_sql(this.#handle, [[String(query), ArrayPrototypeMap(bindings, toSql)]], false);
    } catch (error) {
      // workerd words an object's SQL errors as SQLite does, without D1's
      // prefix: `no such table: x: SQLITE_ERROR`.
      const message = error?.message ?? "";
      if (StringPrototypeIncludes(message, NESTED_BEGIN)) {
        throw new Error(USE_TRANSACTION_API);
      }
      if (StringPrototypeIncludes(message, NO_STATEMENT)) {
        throw new Error(NO_STATEMENT_HERE);
      }
      if (StringPrototypeStartsWith(message, D1_PREFIX)) {
        throw new Error(StringPrototypeSlice(message, D1_PREFIX.length));
      }
      throw error;
    }
    return new SqlStorageCursor(result);
  }

  get databaseSize() {
    return op_do_sql(this.#handle, [["SELECT 1", []]], false)[0].meta.size_after;
  }
}

/** The steps of the savepoint around a transaction (`op_do_savepoint`). */
const SAVEPOINT_BEGIN = 0;
const SAVEPOINT_RELEASE = 1;
const SAVEPOINT_ROLL_BACK = 2;
/** The steps of the transaction that gathers writes. */
const WRITES_BEGIN = 3;
const WRITES_COMMIT = 4;
const WRITES_ROLL_BACK = 5;

/**
 * The transaction that gathers an object's writes between two waits for
 * I/O, as workerd coalesces them, so that they reach the disk together or
 * not at all: opened by the first write, committed on the event loop's
 * next turn, and before an event's result leaves the object or the object
 * is evicted; never while a transaction of the object's own (the
 * savepoint inside it, which it keeps too) is open.
 */
class Writes {
  #handle;
  #open = false;
  /** A savepoint of the object's own is open: nothing commits meanwhile. */
  #inSavepoint = false;

  constructor(handle) {
    this.#handle = handle;
  }

  gather() {
    if (this.#open) {
      return;
    }
    op_do_savepoint(this.#handle, WRITES_BEGIN);
    this.#open = true;
    this.#commitLater();
  }

  #commitLater() {
    PromisePrototypeThen(op_void_async_deferred(), () => {
      try {
        this.commit();
      } catch (error) {
        reportUncaught("Uncaught (committing a Durable Object's writes)", error);
      }
    });
  }

  /**
   * Opens the object's savepoint, unless one is open already (a
   * transaction inside another joins it); whether this call opened it.
   */
  openSavepoint() {
    if (this.#inSavepoint) {
      return false;
    }
    this.gather();
    op_do_savepoint(this.#handle, SAVEPOINT_BEGIN);
    this.#inSavepoint = true;
    return true;
  }

  /** Releases the savepoint `opened` opened, or rolls it back if `failed`. */
  closeSavepoint(opened, failed) {
    if (!opened) {
      return;
    }
    this.#inSavepoint = false;
    op_do_savepoint(this.#handle, failed ? SAVEPOINT_ROLL_BACK : SAVEPOINT_RELEASE);
    if (this.#open) {
      this.#commitLater();
    }
  }

  /** Drops what was gathered (an object that aborts keeps none of it). */
  rollBack() {
    if (this.#open) {
      this.#open = false;
      this.#inSavepoint = false;
      op_do_savepoint(this.#handle, WRITES_ROLL_BACK);
    }
  }

  commit() {
    if (!this.#open || this.#inSavepoint) {
      return;
    }
    this.#open = false;
    try {
      op_do_savepoint(this.#handle, WRITES_COMMIT);
    } catch (error) {
      try {
        op_do_savepoint(this.#handle, WRITES_ROLL_BACK);
      } catch {
        // The failed commit ended the transaction already.
      }
      throw error;
    }
  }
}

/** A key to delete, among those to write. */
const DELETED = Symbol("deleted");

/** The key-value API over `_cf_KV`. */
class KeyValue {
  #handle;
  #writes;

  constructor(handle, writes) {
    this.#handle = handle;
    this.#writes = writes;
  }

  getOne(key) {
    key = checkKey(key);
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
    this.#writes.gather();
    const statements = [];
    for (const [key, value] of entries) {
      statements[statements.length] = writing(
        checkKey(key),
        value === DELETED ? DELETED : encodeValue(value),
      );
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
    if (options.limit !== undefined && !(options.limit > 0)) {
      throw new TypeError("List limit must be positive.");
    }
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
    if (options.limit !== undefined) {
      query += " LIMIT ?";
      params[params.length] = options.limit;
    }
    const out = new Map();
    for (const [key, value] of op_do_sql(this.#handle, [[query, params]], true)[0].rows) {
      out.set(key, decodeValue(value));
    }
    return out;
  }

  deleteAll() {
    this.#writes.gather();
    op_do_sql(this.#handle, [["DELETE FROM _cf_KV", []]], true);
  }
}

/** The statement that stores `encoded` at `key`, or deletes it (DELETED). */
function writing(key, encoded) {
  return encoded === DELETED
    ? ["DELETE FROM _cf_KV WHERE key = ?", [key]]
    : ["INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", [key, encoded]];
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
    if (key === undefined || key === null) {
      throw new TypeError(
        "Failed to execute 'put' on 'DurableObjectStorage': parameter 1 is not of type 'string or object'.",
      );
    }
    const entries = typeof key === "object" ? ObjectEntries(key) : [[key, value]];
    if (typeof key !== "object" && value === undefined) {
      throw new TypeError("put() called with undefined value.");
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

/**
 * `txn` in `ctx.storage.transaction(async (txn) => ...)`: its calls go to
 * the object's database inside the transaction's savepoint.
 */
class DurableObjectTransaction extends StorageOperations {
  rolledBack = false;

  rollback() {
    this.rolledBack = true;
  }
}

/** `ctx.storage`. */
export class DurableObjectStorage extends StorageOperations {
  #handle;
  #gate;
  #writes;
  #hasAlarmHandler;
  #exclusive;
  #kv;
  #sql;

  /**
   * `gate` is the object's input gate, `hasAlarmHandler()` whether its
   * class has `alarm()`, and `exclusive(callback)` runs `callback` with
   * the object's other events held.
   */
  constructor(handle, gate, hasAlarmHandler, exclusive) {
    const writes = new Writes(handle);
    const kv = new KeyValue(handle, writes);
    super(kv, gate);
    this.#handle = handle;
    this.#gate = gate;
    this.#hasAlarmHandler = hasAlarmHandler;
    this.#exclusive = exclusive;
    this.#kv = kv;
    this.#writes = writes;
    this.#sql = new SqlStorage(handle, writes);
  }

  /** Commits the writes gathered so far (the host's, before a result leaves the object). */
  static commitWrites(storage) {
    storage.#writes.commit();
  }

  /** Drops the writes not yet committed (the object aborted). */
  static dropWrites(storage) {
    storage.#writes.rollBack();
  }

  get sql() {
    return this.#sql;
  }

  deleteAll(_options = undefined) {
    this.#kv.deleteAll();
    return PromiseResolve();
  }

  /**
   * Runs `closure` with a transaction: other events wait until it settles
   * (as workerd runs it, in `blockConcurrencyWhile`), and its SQL and
   * key-value writes commit together when it succeeds, or are rolled back
   * when it throws or calls `txn.rollback()`.
   */
  transaction(closure) {
    return this.#exclusive(async () => {
      const txn = new DurableObjectTransaction(this.#kv, this.#gate);
      const opened = this.#writes.openSavepoint();
      try {
        const result = await closure(txn);
        this.#writes.closeSavepoint(opened, txn.rolledBack);
        return result;
      } catch (error) {
        this.#writes.closeSavepoint(opened, true);
        throw error;
      }
    });
  }

  /**
   * Runs `closure` inside a savepoint: its SQL and key-value writes commit
   * together once it returns, and are rolled back if it throws.
   */
  transactionSync(closure) {
    const opened = this.#writes.openSavepoint();
    try {
      const result = closure();
      this.#writes.closeSavepoint(opened, false);
      return result;
    } catch (error) {
      this.#writes.closeSavepoint(opened, true);
      throw error;
    }
  }

  /** Resolves once the writes made so far are committed. */
  sync() {
    this.#writes.commit();
    return PromiseResolve();
  }

  getAlarm(_options = undefined) {
    this.#gate.close();
    const at = op_do_get_alarm(this.#handle);
    return PromiseResolve(at < 0 ? null : at);
  }

  setAlarm(scheduledTime, _options = undefined) {
    if (typeof scheduledTime !== "number" && !ObjectPrototypeIsPrototypeOf(DatePrototype, scheduledTime)) {
      throw new TypeError(
        "Failed to execute 'setAlarm' on 'DurableObjectStorage': parameter 1 is not of type 'date'.",
      );
    }
    const at = typeof scheduledTime === "number" ? scheduledTime : DatePrototypeGetTime(scheduledTime);
    if (!NumberIsFinite(at)) {
      throw new TypeError("The value cannot be converted because it is not a valid Date.");
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

const { commitWrites, dropWrites } = DurableObjectStorage;
delete DurableObjectStorage.commitWrites;
delete DurableObjectStorage.dropWrites;
export { commitWrites, dropWrites };
