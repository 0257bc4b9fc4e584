//! D1 on SQLite: one database file per `[[d1_databases]]` entry, in WAL mode
//! with foreign keys enforced, as D1 runs them.
//!
//! Statements run on one connection per database (SQLite serialises writes
//! anyway); other processes, such as `isola d1 execute`, open the same file
//! and a running server sees their commits on its next statement. Results
//! come back as column names, rows and D1's `meta`; errors carry D1's
//! wording, `D1_ERROR: <sqlite message>: <SQLITE_CODE>`.

mod error;
mod export;
mod migrations;
mod value;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::{Connection, StatementStatus};
use serde::Serialize;

pub use error::D1Error;
pub use export::ExportOptions;
pub use migrations::{Migration, Migrations};
pub use value::Value;

/// One statement and what is bound to its `?` parameters.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub meta: Meta,
}

/// D1's `meta` for one statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
}

/// What `exec` returns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExecResult {
    pub count: usize,
    pub duration: f64,
}

/// One D1 database.
#[derive(Clone)]
pub struct D1Database {
    conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

impl D1Database {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, D1Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| D1Error::open(path, e))?;
        }
        let conn = Connection::open(path).map_err(|e| D1Error::open(path, e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| D1Error::open(path, e))?;
        Self::configure(conn, Some(path.to_path_buf())).map_err(|e| D1Error::open(path, e))
    }

    /// A database that lives in memory only.
    pub fn memory() -> Result<Self, D1Error> {
        let conn =
            Connection::open_in_memory().map_err(|e| D1Error::open(Path::new(":memory:"), e))?;
        Self::configure(conn, None).map_err(|e| D1Error::open(Path::new(":memory:"), e))
    }

    fn configure(conn: Connection, path: Option<PathBuf>) -> rusqlite::Result<Self> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Another process (the CLI, a second server) may hold the write lock
        // for a moment.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// The database file, if it has one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
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
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(D1Error::sqlite)?;
        let results = statements
            .iter()
            .map(|statement| run_statement(&tx, statement))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().map_err(D1Error::sqlite)?;
        Ok(results)
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
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(D1Error::sqlite)?;
        let mut results = Vec::new();
        {
            let mut batch = rusqlite::Batch::new(&tx, sql);
            while let Some(mut statement) = batch.next().map_err(D1Error::sqlite)? {
                results.push(run_prepared(&tx, &mut statement, &[])?);
            }
        }
        if results.is_empty() {
            return Err(D1Error::NoStatements);
        }
        tx.commit().map_err(D1Error::sqlite)?;
        Ok(results)
    }

    /// The database file's bytes, as `D1Database.dump()` returns them.
    pub fn dump(&self) -> Result<Vec<u8>, D1Error> {
        let mut conn = self.lock();
        let data = conn.serialize(rusqlite::MAIN_DB).map_err(D1Error::sqlite)?;
        Ok(data.to_vec())
    }

    /// The database as SQL statements, in wrangler's export format.
    pub fn export(&self, options: &ExportOptions) -> Result<String, D1Error> {
        export::export(&self.lock(), options)
    }

    /// This database's migrations, as files in `dir` tracked in `table`.
    pub fn migrations(&self, dir: &Path, table: &str) -> Migrations<'_> {
        Migrations::new(self, dir, table)
    }
}

/// Runs one statement (or several: all but the last without parameters).
fn run_statement(conn: &Connection, statement: &Statement) -> Result<QueryResult, D1Error> {
    // The common case, one statement, comes from the connection's cache of
    // prepared statements; anything else is split and prepared afresh.
    if !is_blank(&statement.sql)
        && let Ok(mut cached) = conn.prepare_cached(&statement.sql)
    {
        return run_prepared(conn, &mut cached, &statement.params);
    }
    let mut batch = rusqlite::Batch::new(conn, &statement.sql);
    let mut prepared = Vec::new();
    while let Some(next) = batch.next().map_err(D1Error::sqlite)? {
        prepared.push(next);
    }
    let Some(mut last) = prepared.pop() else {
        return Err(D1Error::NoStatements);
    };
    for mut earlier in prepared {
        if earlier.parameter_count() > 0 {
            return Err(D1Error::ParametersNotLast);
        }
        earlier.raw_execute().map_err(D1Error::sqlite)?;
    }
    run_prepared(conn, &mut last, &statement.params)
}

/// Binds `params` to a prepared statement, runs it and collects its result.
fn run_prepared(
    conn: &Connection,
    last: &mut rusqlite::Statement<'_>,
    params: &[Value],
) -> Result<QueryResult, D1Error> {
    let started = Instant::now();
    let changes_before = conn.total_changes();
    let last_row_id_before = conn.last_insert_rowid();
    let size_before = database_size(conn);
    if last.parameter_count() != params.len() {
        return Err(D1Error::WrongParameterCount);
    }
    for (i, param) in params.iter().enumerate() {
        last.raw_bind_parameter(i + 1, param)
            .map_err(D1Error::sqlite)?;
    }
    let columns: Vec<String> = last.column_names().map(str::to_string).collect();
    let mut rows = Vec::new();
    {
        let mut cursor = last.raw_query();
        while let Some(row) = cursor.next().map_err(D1Error::sqlite)? {
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                values.push(Value::from(row.get_ref(i).map_err(D1Error::sqlite)?));
            }
            rows.push(values);
        }
    }
    let scanned = last.get_status(StatementStatus::FullscanStep).max(0) as u64;
    let changes = conn.total_changes().saturating_sub(changes_before);
    let last_row_id = conn.last_insert_rowid();
    let size_after = database_size(conn);
    Ok(QueryResult {
        meta: Meta {
            duration: started.elapsed().as_secs_f64() * 1000.0,
            changes,
            last_row_id,
            changed_db: changes > 0
                || last_row_id != last_row_id_before
                || size_after != size_before,
            size_after,
            rows_read: (rows.len() as u64).max(scanned),
            rows_written: changes,
        },
        columns,
        rows,
    })
}

/// Whether `sql` holds nothing but whitespace and comments (SQLite prepares
/// such text into a statement that cannot run).
fn is_blank(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    loop {
        if let Some(comment) = rest.strip_prefix("--") {
            rest = comment
                .split_once('\n')
                .map_or("", |(_, after)| after)
                .trim_start();
        } else if let Some(comment) = rest.strip_prefix("/*") {
            rest = comment
                .split_once("*/")
                .map_or("", |(_, after)| after)
                .trim_start();
        } else {
            return rest.is_empty();
        }
    }
}

fn database_size(conn: &Connection) -> u64 {
    let size = |pragma: &str| -> i64 {
        conn.prepare_cached(pragma)
            .and_then(|mut s| s.query_row([], |row| row.get(0)))
            .unwrap_or(0)
    };
    (size("PRAGMA page_count") * size("PRAGMA page_size")).max(0) as u64
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
    fn dump_is_a_sqlite_file() {
        let db = db();
        let bytes = db.dump().unwrap();
        assert!(bytes.starts_with(b"SQLite format 3\0"));
    }
}
