// `D1Database`: D1 as a binding (`env.DB`).
//
// A thin class over three ops (`ops.rs` beside this file): a batch of
// statements in one transaction, `exec`, and `dump`. Binding rules, result
// shapes and error wording follow workerd's D1 API: `bind()` converts values
// at once (booleans to 0/1, buffers to BLOBs) and refuses others with
// `D1_TYPE_ERROR`; errors are `D1_ERROR: ...` with the bare message as
// `cause`. A request's calls carry its key, so that its running statements
// stop when its client goes away.

import { op_d1_batch, op_d1_cancel, op_d1_dump, op_d1_exec } from "ext:core/ops";
import {
  bytesToArrayBuffer,
  primordials,
} from "ext:isola_global_scope/00_infra.js";
import { currentInvocation } from "ext:isola_global_scope/30_events.js";
import { registerBinding } from "ext:isola_global_scope/40_env.js";

const {
  ArrayBufferIsView,
  ArrayBufferPrototype,
  ArrayFrom,
  ArrayIsArray,
  ArrayPrototypeEvery,
  ArrayPrototypeMap,
  Error,
  ObjectFromEntries,
  ObjectPrototypeIsPrototypeOf,
  StringPrototypeIndexOf,
  StringPrototypeSlice,
  StringPrototypeStartsWith,
  StringPrototypeTrim,
  SafeWeakMap,
  TypeError,
  Uint8Array,
  WeakMapPrototypeGet,
  WeakMapPrototypeSet,
} = primordials;

/** The key of each request that called D1, for `op_d1_cancel`. */
const keys = new SafeWeakMap();
let nextKey = 0;

/**
 * The key of the request running now (-1 for top-level code), made on its
 * first D1 call; its client leaving cancels the calls made with it.
 */
function requestKey() {
  const invocation = currentInvocation();
  if (invocation === null) {
    return -1;
  }
  let key = WeakMapPrototypeGet(keys, invocation);
  if (key === undefined) {
    key = nextKey;
    nextKey = (nextKey + 1) % 0x40000000;
    WeakMapPrototypeSet(keys, invocation, key);
    invocation.onAbandon(() => op_d1_cancel(key));
  }
  return key;
}

/** An Error as D1 throws it: the message, and the bare message as `cause`. */
function d1Error(message) {
  const colon = StringPrototypeIndexOf(message, ": ");
  const bare = StringPrototypeStartsWith(message, "D1_") && colon !== -1
    ? StringPrototypeSlice(message, colon + 2)
    : message;
  return new Error(message, { cause: new Error(bare) });
}

/** Runs `work`, turning op failures into D1-shaped errors. */
async function d1Call(work) {
  try {
    return await work();
  } catch (error) {
    throw d1Error(error?.message ?? String(error));
  }
}

function isByte(value) {
  return typeof value === "number" && value >= 0 && value <= 255 &&
    (value | 0) === value;
}

/** A value as D1 binds it, or a D1_TYPE_ERROR. */
function bindValue(value) {
  switch (typeof value) {
    case "number":
    case "string":
      return value;
    case "boolean":
      return value ? 1 : 0;
  }
  if (value === null) {
    return null;
  }
  if (ArrayIsArray(value) && ArrayPrototypeEvery(value, isByte)) {
    return value;
  }
  if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, value)) {
    return ArrayFrom(new Uint8Array(value));
  }
  if (ArrayBufferIsView(value)) {
    return ArrayFrom(value);
  }
  const message = `Type '${typeof value}' not supported for value '${value}'`;
  throw new Error(`D1_TYPE_ERROR: ${message}`, { cause: new Error(message) });
}

function meta(result) {
  return { served_by: "isola", ...result.meta };
}

function rowObjects(result) {
  const columns = result.columns;
  return ArrayPrototypeMap(
    result.rows,
    (row) => ObjectFromEntries(ArrayPrototypeMap(columns, (c, i) => [c, row[i]])),
  );
}

function allResult(result) {
  return { success: true, meta: meta(result), results: rowObjects(result) };
}

export class D1PreparedStatement {
  #binding;

  constructor(binding, sql, params = []) {
    this.#binding = binding;
    this.statement = sql;
    this.params = params;
  }

  /** A statement with `values` bound to its parameters (this one is unchanged). */
  bind(...values) {
    return new D1PreparedStatement(
      this.#binding,
      this.statement,
      ArrayPrototypeMap(values, bindValue),
    );
  }

  async #run() {
    const results = await d1Call(() =>
      op_d1_batch(this.#binding, [[this.statement, this.params]], requestKey())
    );
    return results[0];
  }

  async first(column = undefined) {
    const rows = rowObjects(await this.#run());
    if (rows.length === 0) {
      return null;
    }
    if (column === undefined) {
      return rows[0];
    }
    if (rows[0][column] === undefined) {
      throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`, {
        cause: new Error("Column not found"),
      });
    }
    return rows[0][column];
  }

  async all() {
    return allResult(await this.#run());
  }

  async run() {
    return allResult(await this.#run());
  }

  async raw(options = undefined) {
    const result = await this.#run();
    const rows = result.rows;
    return options?.columnNames ? [result.columns, ...rows] : rows;
  }
}

export class D1Database {
  #binding;

  constructor(binding) {
    this.#binding = binding;
  }

  prepare(query) {
    return new D1PreparedStatement(this.#binding, query);
  }

  async batch(statements) {
    if (!ArrayIsArray(statements)) {
      throw new TypeError("batch() takes an array of prepared statements");
    }
    const entries = ArrayPrototypeMap(statements, (statement) => {
      if (!ObjectPrototypeIsPrototypeOf(D1PreparedStatement.prototype, statement)) {
        throw new TypeError("batch() takes an array of prepared statements");
      }
      return [statement.statement, statement.params];
    });
    const results = await d1Call(() => op_d1_batch(this.#binding, entries, requestKey()));
    return ArrayPrototypeMap(results, allResult);
  }

  async exec(query) {
    return d1Call(() => op_d1_exec(this.#binding, query, requestKey()));
  }

  async dump() {
    return bytesToArrayBuffer(await d1Call(() => op_d1_dump(this.#binding)));
  }

  withSession(constraintOrBookmark = undefined) {
    return new D1DatabaseSession(this, constraintOrBookmark);
  }
}

/**
 * `withSession()`: there is one copy of each database here, so every read
 * sees every write; a session only remembers the bookmark it was given.
 */
export class D1DatabaseSession {
  #database;
  #bookmark;

  constructor(database, constraintOrBookmark) {
    const value = typeof constraintOrBookmark === "string"
      ? StringPrototypeTrim(constraintOrBookmark)
      : "";
    this.#database = database;
    this.#bookmark = value === "" || value === "first-primary" ||
        value === "first-unconstrained"
      ? null
      : value;
  }

  prepare(query) {
    return this.#database.prepare(query);
  }

  batch(statements) {
    return this.#database.batch(statements);
  }

  getBookmark() {
    return this.#bookmark;
  }
}

registerBinding("d1", (name) => new D1Database(name));
