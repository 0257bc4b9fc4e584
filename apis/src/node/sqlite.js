// node:sqlite — as in workerd, only the surface: DatabaseSync and
// StatementSync cannot be constructed ("Illegal constructor"), backup()
// throws, and `constants` holds SQLite's changeset and authorizer codes.
(function () {
"use strict";
globalThis[Symbol.for("isola.node")].enter("sqlite");

// Classes whose constructor is refused the way the runtime refuses
// `new` on its built-in classes that have none.
function DatabaseSync() {
  throw new TypeError("Illegal constructor");
}
function StatementSync() {
  throw new TypeError("Illegal constructor");
}

function backup() {
  throw new Error("backup is not implemented");
}

const constants = {
  SQLITE_CHANGESET_OMIT: 0,
  SQLITE_CHANGESET_REPLACE: 1,
  SQLITE_CHANGESET_ABORT: 2,
  SQLITE_CHANGESET_DATA: 1,
  SQLITE_CHANGESET_NOTFOUND: 2,
  SQLITE_CHANGESET_CONFLICT: 3,
  SQLITE_CHANGESET_CONSTRAINT: 4,
  SQLITE_CHANGESET_FOREIGN_KEY: 5,
  // Authorizer results, then the action codes it is called with.
  SQLITE_OK: 0,
  SQLITE_DENY: 1,
  SQLITE_IGNORE: 2,
};
[
  "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX", "CREATE_TEMP_TABLE",
  "CREATE_TEMP_TRIGGER", "CREATE_TEMP_VIEW", "CREATE_TRIGGER", "CREATE_VIEW",
  "DELETE", "DROP_INDEX", "DROP_TABLE", "DROP_TEMP_INDEX", "DROP_TEMP_TABLE",
  "DROP_TEMP_TRIGGER", "DROP_TEMP_VIEW", "DROP_TRIGGER", "DROP_VIEW", "INSERT",
  "PRAGMA", "READ", "SELECT", "TRANSACTION", "UPDATE", "ATTACH", "DETACH",
  "ALTER_TABLE", "REINDEX", "ANALYZE", "CREATE_VTABLE", "DROP_VTABLE",
  "FUNCTION", "SAVEPOINT",
].forEach((action, i) => {
  constants[`SQLITE_${action}`] = i + 1;
});
constants.SQLITE_COPY = 0;
constants.SQLITE_RECURSIVE = 33;

return { DatabaseSync, StatementSync, constants, backup };
})();
