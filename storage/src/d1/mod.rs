//! D1: its results, errors, `exec`, export and migrations, over a
//! [`D1Backend`] that runs SQL on one database (SQLite today: a file per
//! `[[d1_databases]]` entry, or `:memory:`).
//!
//! Results come back as column names, rows and D1's `meta`; errors carry
//! D1's wording, `D1_ERROR: <sqlite message>: <SQLITE_CODE>`. A Worker's SQL
//! cannot reach past its own database (`confine`), and a database id must
//! be a safe file name ([`validate_database_id`]). Each call is bounded
//! ([`Limits`]: 30 s, 100 MiB of values read) and can be cancelled from
//! another thread ([`CancelToken`]), so that no Worker holds a database, or
//! the host's memory, without end (`watch`).

mod confine;
mod database_id;
mod error;
mod export;
mod limit;
mod migrations;
mod sqlite;
mod tokens;
mod value;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use database_id::validate_database_id;
pub use error::D1Error;
pub use export::ExportOptions;
pub use migrations::{Migration, Migrations};
pub use value::Value;
pub use watch::{CancelToken, DEFAULT_RESULT_LIMIT, DEFAULT_TIMEOUT, Limits};

/// How far a commit goes before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// To the disk (`synchronous = FULL`): a commit survives a power loss.
    Disk,
    /// To the operating system (`synchronous = NORMAL` in WAL mode): a
    /// commit survives the process being killed, not the machine failing;
    /// commits skip the wait for the disk.
    Process,
}

/// One statement and what is bound to its `?` parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<String>, params: Vec<Value>) -> Self {
        Self {
            sql: sql.into(),
            params,
        }
    }
}

/// What one statement returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub meta: Meta,
}

/// D1's `meta` for one statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Milliseconds the statement took.
    pub duration: f64,
    pub changes: u64,
    pub last_row_id: i64,
    pub changed_db: bool,
    /// Bytes of the database after the statement.
    pub size_after: u64,
    pub rows_read: u64,
    pub rows_written: u64,
    /// What SQLite's `changes()` reported right after the statement, if it
    /// was an `INSERT`, `UPDATE` or `DELETE` (the statements that set it):
    /// its own rows, triggers' not counted, where `changes` counts all.
    #[serde(skip)]
    pub dml_changes: Option<u64>,
    /// The rowid the statement inserted, if it inserted one; `last_row_id`
    /// is the connection's, whoever inserted it.
    #[serde(skip)]
    pub inserted_row_id: Option<i64>,
}

/// What `exec` returns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExecResult {
    pub count: usize,
    pub duration: f64,
}

/// Raw storage for one D1 database: SQL in, rows and `meta` out.
///
/// A backend must speak SQLite's dialect, run each call in one transaction
/// (all of it or none of it), make a committed call durable before
/// returning, and word failures as D1 does ([`D1Error`]). It must also stop
/// a call, rolling it back, once it runs past `limits.timeout` or `cancel`
/// is cancelled, and before it reads more than `limits.max_result_bytes`.
pub trait D1Backend: Send + Sync {
    /// Runs `statements` in order. A statement's `sql` may hold several,
    /// separated by `;`: they run in order, the last one getting the
    /// parameters and giving the result.
    fn batch(
        &self,
        statements: &[Statement],
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<QueryResult>, D1Error>;

    /// Runs every statement of `sql` (no parameters) in order and returns
    /// each one's result (none for text without statements).
    fn script(
        &self,
        sql: &str,
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<QueryResult>, D1Error>;

    /// The database as a SQLite file's bytes.
    fn dump(&self) -> Result<Vec<u8>, D1Error>;

    /// Runs `statements` as [`batch`](Self::batch) does, with the host's
    /// rights: for SQL the host writes itself, on tables no Worker may
    /// touch (a Durable Object's `_cf_KV`). Nothing a Worker wrote may run
    /// this way.
    fn batch_as_host(
        &self,
        statements: &[Statement],
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<QueryResult>, D1Error>;

    /// Takes a step of the one savepoint that may span several calls (a
    /// Durable Object's `transactionSync`), or of the transaction around
    /// it that gathers a Durable Object's writes between two waits: calls
    /// made while they are open commit or roll back with them.
    fn savepoint(&self, step: SavepointStep) -> Result<(), D1Error>;
}

/// What follows each commit of a SQLite database: its replication
/// (`crate::replica`). Both calls run with the database's lock held and
/// no transaction open, with the host's rights; an error fails the call
/// whose commit it follows, which then is not acknowledged.
pub(crate) trait CommitHook: Send {
    /// The database was opened; nothing has run on it yet.
    fn opened(&mut self, conn: &rusqlite::Connection) -> Result<(), D1Error>;
    /// A call ended; it may have committed.
    fn committed(&mut self, conn: &rusqlite::Connection) -> Result<(), D1Error>;
}

/// A step of [`D1Backend::savepoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavepointStep {
    Begin,
    Release,
    RollBack,
    /// `BEGIN`: the writes of the calls that follow are gathered...
    BeginWrites,
    /// ...until `COMMIT`...
    CommitWrites,
    /// ...or `ROLLBACK`.
    RollBackWrites,
}

/// A handle on one D1 database. Clones share the database; the limits and
/// the cancel token are each handle's own.
#[derive(Clone)]
pub struct D1Database {
    backend: Arc<dyn D1Backend>,
    path: Option<PathBuf>,
    limits: Limits,
    cancel: Option<CancelToken>,
}

impl D1Database {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, D1Error> {
        Self::open_with(path, Durability::Disk)
    }

    /// Opens (or creates) the database file at `path`, committing as
    /// `durability` says.
    pub fn open_with(path: &Path, durability: Durability) -> Result<Self, D1Error> {
        Ok(Self {
            backend: Arc::new(sqlite::Sqlite::open(path, durability, None)?),
            path: Some(path.to_path_buf()),
            limits: Limits::default(),
            cancel: None,
        })
    }

    /// Opens the database file at `path` with `hook` told of every commit.
    pub(crate) fn open_hooked(
        path: &Path,
        durability: Durability,
        hook: Box<dyn CommitHook>,
    ) -> Result<Self, D1Error> {
        Ok(Self {
            backend: Arc::new(sqlite::Sqlite::open(path, durability, Some(hook))?),
            path: Some(path.to_path_buf()),
            limits: Limits::default(),
            cancel: None,
        })
    }

    /// A database whose calls `backend` runs (one on another host, say).
    pub fn with_backend(backend: Arc<dyn D1Backend>) -> Self {
        Self {
            backend,
            path: None,
            limits: Limits::default(),
            cancel: None,
        }
    }

    /// A database that lives in memory only.
    pub fn memory() -> Result<Self, D1Error> {
        Ok(Self {
            backend: Arc::new(sqlite::Sqlite::memory()?),
            path: None,
            limits: Limits::default(),
            cancel: None,
        })
    }

    /// The database file, if it has one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// What each call through this handle may use.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// How long each call may run ([`DEFAULT_TIMEOUT`] unless set).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.limits.timeout = timeout;
    }

    /// How many bytes of values each call may read ([`DEFAULT_RESULT_LIMIT`]
    /// unless set).
    pub fn set_result_limit(&mut self, bytes: u64) {
        self.limits.max_result_bytes = bytes;
    }

    /// Lets `cancel` stop this handle's calls: the running one, and every
    /// later one once it is cancelled. Set it on a clone per request.
    pub fn set_cancel(&mut self, cancel: CancelToken) {
        self.cancel = Some(cancel);
    }

    /// Runs one statement (several, separated by `;`, run in order, the last
    /// one getting the parameters and giving the result), in a transaction.
    pub fn run(&self, statement: &Statement) -> Result<QueryResult, D1Error> {
        let mut results = self.batch(std::slice::from_ref(statement))?;
        Ok(results.remove(0))
    }

    /// Runs `statements` in one transaction: all of them, or none.
    pub fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>, D1Error> {
        if statements.is_empty() {
            return Err(D1Error::NoStatements);
        }
        self.backend
            .batch(statements, &self.limits, self.cancel.as_ref())
    }

    /// Runs every statement of `sql` (no parameters) in one transaction, as
    /// `D1Database.exec` does.
    pub fn exec(&self, sql: &str) -> Result<ExecResult, D1Error> {
        let results = self.script(sql).map_err(|e| D1Error::Exec {
            line: sql.trim().lines().next().unwrap_or("").to_string(),
            message: e.cause(),
        })?;
        Ok(ExecResult {
            count: results.len(),
            duration: results.iter().map(|r| r.meta.duration).sum(),
        })
    }

    /// Runs every statement of `sql` (no parameters) in one transaction and
    /// returns each one's result, as `wrangler d1 execute` does.
    pub fn script(&self, sql: &str) -> Result<Vec<QueryResult>, D1Error> {
        let results = self
            .backend
            .script(sql, &self.limits, self.cancel.as_ref())?;
        if results.is_empty() {
            return Err(D1Error::NoStatements);
        }
        Ok(results)
    }

    /// Runs `statements` in one transaction with the host's rights (see
    /// [`D1Backend::batch_as_host`]).
    pub fn batch_as_host(&self, statements: &[Statement]) -> Result<Vec<QueryResult>, D1Error> {
        if statements.is_empty() {
            return Err(D1Error::NoStatements);
        }
        self.backend
            .batch_as_host(statements, &self.limits, self.cancel.as_ref())
    }

    /// Takes a step of the savepoint that spans calls (see
    /// [`D1Backend::savepoint`]).
    pub fn savepoint(&self, step: SavepointStep) -> Result<(), D1Error> {
        self.backend.savepoint(step)
    }

    /// The database file's bytes, as `D1Database.dump()` returns them.
    pub fn dump(&self) -> Result<Vec<u8>, D1Error> {
        self.backend.dump()
    }

    /// The database as SQL statements, in wrangler's export format.
    pub fn export(&self, options: &ExportOptions) -> Result<String, D1Error> {
        export::export(self, options)
    }

    /// This database's migrations, as files in `dir` tracked in `table`.
    pub fn migrations(&self, dir: &Path, table: &str) -> Migrations<'_> {
        Migrations::new(self, dir, table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> D1Database {
        let db = D1Database::memory().unwrap();
        db.exec("CREATE TABLE todo (id INTEGER PRIMARY KEY, title TEXT NOT NULL UNIQUE, done INTEGER DEFAULT 0, data BLOB)")
            .unwrap();
        db
    }

    #[test]
    fn a_damaged_file_is_refused_when_opened_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.sqlite");
        {
            let db = D1Database::open(&path).unwrap();
            db.exec("CREATE TABLE t (v BLOB)").unwrap();
            db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 500) INSERT INTO t SELECT zeroblob(1000) FROM c")
                .unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 64 * 1024, "{} bytes", bytes.len());
        for byte in &mut bytes[8192..64 * 1024] {
            *byte = 0xA5;
        }
        std::fs::write(&path, bytes).unwrap();
        let error = D1Database::open(&path)
            .err()
            .expect("a damaged file is refused")
            .to_string();
        assert!(error.contains("shop.sqlite"), "{error}");
        assert!(
            error.contains("damaged") || error.contains("not a usable"),
            "{error}"
        );
    }

    #[test]
    fn statements_bind_read_and_report_meta() {
        let db = db();
        let inserted = db
            .run(&Statement::new(
                "INSERT INTO todo (title, data) VALUES (?, ?)",
                vec![Value::Text("write".into()), Value::Blob(vec![1, 2])],
            ))
            .unwrap();
        assert_eq!(inserted.meta.changes, 1);
        assert_eq!(inserted.meta.last_row_id, 1);
        assert!(inserted.meta.changed_db);
        assert_eq!(inserted.meta.rows_written, 1);
        assert!(inserted.meta.size_after > 0);

        let selected = db
            .run(&Statement::new(
                "SELECT id, title, done, data FROM todo WHERE id = ?",
                vec![Value::Integer(1)],
            ))
            .unwrap();
        assert_eq!(selected.columns, ["id", "title", "done", "data"]);
        assert_eq!(
            selected.rows,
            [vec![
                Value::Integer(1),
                Value::Text("write".into()),
                Value::Integer(0),
                Value::Blob(vec![1, 2])
            ]]
        );
        assert_eq!(selected.meta.rows_read, 1);
        assert!(!selected.meta.changed_db);
    }

    #[test]
    fn errors_read_like_d1s() {
        let db = db();
        let syntax = db.run(&Statement::new("SELEC 1", vec![])).unwrap_err();
        assert_eq!(
            syntax.to_string(),
            "D1_ERROR: near \"SELEC\": syntax error at offset 0: SQLITE_ERROR"
        );
        let missing = db
            .run(&Statement::new("SELECT * FROM nope", vec![]))
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "D1_ERROR: no such table: nope: SQLITE_ERROR"
        );
        db.run(&Statement::new(
            "INSERT INTO todo (title) VALUES ('a')",
            vec![],
        ))
        .unwrap();
        let unique = db
            .run(&Statement::new(
                "INSERT INTO todo (title) VALUES ('a')",
                vec![],
            ))
            .unwrap_err();
        assert_eq!(
            unique.to_string(),
            "D1_ERROR: UNIQUE constraint failed: todo.title: SQLITE_CONSTRAINT"
        );
        let count = db
            .run(&Statement::new(
                "SELECT ?",
                vec![Value::Integer(1), Value::Integer(2)],
            ))
            .unwrap_err();
        assert_eq!(
            count.to_string(),
            "D1_ERROR: Wrong number of parameter bindings for SQL query."
        );
        let empty = db
            .run(&Statement::new("  -- nothing\n", vec![]))
            .unwrap_err();
        assert_eq!(empty.to_string(), "D1_ERROR: No SQL statements detected.");
    }

    #[test]
    fn a_failing_batch_leaves_nothing_behind() {
        let db = db();
        let err = db
            .batch(&[
                Statement::new("INSERT INTO todo (title) VALUES ('one')", vec![]),
                Statement::new("INSERT INTO todo (title) VALUES ('two')", vec![]),
                Statement::new("INSERT INTO todo (title) VALUES ('one')", vec![]),
            ])
            .unwrap_err();
        assert!(
            err.to_string().contains("UNIQUE constraint failed"),
            "{err}"
        );
        let count = db
            .run(&Statement::new("SELECT count(*) AS n FROM todo", vec![]))
            .unwrap();
        assert_eq!(count.rows, [vec![Value::Integer(0)]]);
    }

    #[test]
    fn exec_runs_many_statements_or_none() {
        let db = db();
        let result = db
            .exec("INSERT INTO todo (title) VALUES ('x');\nINSERT INTO todo (title) VALUES ('y');")
            .unwrap();
        assert_eq!(result.count, 2);
        let err = db
            .exec("INSERT INTO todo (title) VALUES ('z');\nINSERT INTO nowhere VALUES (1);")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "D1_EXEC_ERROR: Error in line 1: INSERT INTO todo (title) VALUES ('z');: no such table: nowhere: SQLITE_ERROR"
        );
        let count = db
            .run(&Statement::new("SELECT count(*) FROM todo", vec![]))
            .unwrap();
        assert_eq!(
            count.rows,
            [vec![Value::Integer(2)]],
            "the failed exec changed nothing"
        );
        assert!(matches!(
            db.script("-- nothing here\n"),
            Err(D1Error::NoStatements)
        ));
        assert!(matches!(db.batch(&[]), Err(D1Error::NoStatements)));
    }

    #[test]
    fn foreign_keys_are_enforced() {
        let db = D1Database::memory().unwrap();
        db.exec("CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (a_id INTEGER REFERENCES a(id));")
            .unwrap();
        let err = db
            .run(&Statement::new("INSERT INTO b VALUES (7)", vec![]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT"
        );
    }

    #[test]
    fn several_statements_in_one_run_give_the_last_result() {
        let db = db();
        let result = db
            .run(&Statement::new(
                "INSERT INTO todo (title) VALUES ('a'); SELECT title FROM todo WHERE id = ?",
                vec![Value::Integer(1)],
            ))
            .unwrap();
        assert_eq!(result.rows, [vec![Value::Text("a".into())]]);
    }

    #[test]
    fn a_file_database_keeps_its_data_and_shares_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d1").join("db.sqlite");
        let values = |db: &D1Database| {
            db.run(&Statement::new("SELECT v FROM t ORDER BY rowid", vec![]))
                .unwrap()
                .rows
        };
        {
            let db = D1Database::open(&path).unwrap();
            assert_eq!(db.path(), Some(path.as_path()));
            db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('first');")
                .unwrap();
            // A second handle on the file, as `isola d1 execute` beside a
            // running server: each sees the other's commits.
            let other = D1Database::open(&path).unwrap();
            other
                .run(&Statement::new(
                    "INSERT INTO t VALUES (?)",
                    vec![Value::Text("second".into())],
                ))
                .unwrap();
            assert_eq!(
                values(&db),
                [
                    vec![Value::Text("first".into())],
                    vec![Value::Text("second".into())]
                ]
            );
        }
        let db = D1Database::open(&path).unwrap();
        assert_eq!(values(&db).len(), 2, "committed rows survive reopening");
        assert!(D1Database::memory().unwrap().path().is_none());
    }

    #[test]
    fn dump_is_a_sqlite_file() {
        let db = db();
        let bytes = db.dump().unwrap();
        assert!(bytes.starts_with(b"SQLite format 3\0"));
    }
}
