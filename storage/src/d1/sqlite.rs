//! D1 on SQLite: a database file in WAL mode, or `:memory:`, with foreign
//! keys enforced, as D1 runs them. One connection per database (SQLite
//! serialises writes anyway); other processes, such as `isola d1 execute`,
//! open the same file and this connection sees their commits on its next
//! statement. Every connection is confined to its database (`confine`)
//! before it runs any SQL it is given, and every call is bounded in time
//! and in the size of its result (`watch`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::{Connection, StatementStatus};

use super::confine::{self, Host};
use super::limit;
use super::watch::{CancelToken, Limits, Watch, Watchdog};
use super::{
    CommitHook, D1Backend, D1Error, Durability, Meta, QueryResult, SavepointStep, Statement, Value,
};

/// One SQLite database.
pub(super) struct Sqlite {
    db: Mutex<Db>,
}

/// The connection, the key that lets the host's own statements past its
/// authorizer, what stops a call that runs too long, and what follows each
/// commit (replication), if anything.
struct Db {
    conn: Connection,
    host: Host,
    watchdog: Watchdog,
    hook: Option<Box<dyn CommitHook>>,
}

impl Db {
    /// Tells the hook that a call ended, once no transaction is open: a
    /// call inside a transaction that spans calls committed nothing yet.
    fn after_call(&mut self) -> Result<(), D1Error> {
        match &mut self.hook {
            Some(hook) if self.conn.is_autocommit() => {
                let conn = &self.conn;
                self.host.run(|| hook.committed(conn))
            }
            _ => Ok(()),
        }
    }
}

impl Sqlite {
    /// Opens (or creates) the database file at `path`, with `hook` told of
    /// every commit.
    pub(super) fn open(
        path: &Path,
        durability: Durability,
        hook: Option<Box<dyn CommitHook>>,
    ) -> Result<Self, D1Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| D1Error::open(path, e))?;
        }
        // A file made now has nothing to check (new Durable Objects make
        // one on their first call).
        let existed = path.exists();
        let conn = Connection::open(path).map_err(|e| D1Error::open(path, e))?;
        // A new file holds nothing yet, so turning it to WAL mode (a write
        // in rollback mode) need not wait for the disk: with SQLite's
        // default it took five fsyncs, most of a new object's first call.
        if !existed {
            conn.pragma_update(None, "synchronous", "OFF")
                .map_err(|e| D1Error::open(path, e))?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| D1Error::open(path, e))?;
        let synchronous = match durability {
            Durability::Disk => "FULL",
            Durability::Process => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(|e| D1Error::open(path, e))?;
        if existed {
            crate::integrity::check(&conn).map_err(|e| D1Error::open(path, e))?;
        }
        let sqlite = Self::configure(conn, hook).map_err(|e| D1Error::open(path, e))?;
        {
            let mut db = sqlite.lock();
            let Db {
                conn, host, hook, ..
            } = &mut *db;
            if let Some(hook) = hook {
                host.run(|| hook.opened(conn))?;
            }
        }
        Ok(sqlite)
    }

    /// A database that lives in memory only.
    pub(super) fn memory() -> Result<Self, D1Error> {
        let memory = Path::new(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| D1Error::open(memory, e))?;
        Self::configure(conn, None).map_err(|e| D1Error::open(memory, e))
    }

    fn configure(
        mut conn: Connection,
        hook: Option<Box<dyn CommitHook>>,
    ) -> rusqlite::Result<Self> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Another process (the CLI, a second server) may hold the write lock
        // for a moment.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let host = confine::confine(&mut conn)?;
        let watchdog = Watchdog::install(&mut conn)?;
        Ok(Self {
            db: Mutex::new(Db {
                conn,
                host,
                watchdog,
                hook,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` in one transaction, watched: committed if it succeeds
    /// in time, rolled back otherwise (the watch ends first, so that
    /// nothing interrupts the COMMIT or the ROLLBACK).
    fn call<T>(
        &self,
        limits: &Limits,
        cancel: Option<&CancelToken>,
        work: impl FnOnce(&Connection, &Host, &mut Watch<'_>) -> Result<T, D1Error>,
    ) -> Result<T, D1Error> {
        let mut db = self.lock();
        let Db {
            conn,
            host,
            watchdog,
            ..
        } = &mut *db;
        // A savepoint, which is a transaction of its own when none is open,
        // and nests inside the one `transactionSync` keeps open.
        let tx = conn.savepoint().map_err(D1Error::sqlite)?;
        let mut watch = watchdog.watch(limits, cancel);
        let outcome = watch.check().and_then(|()| work(&tx, host, &mut watch));
        let outcome = watch.finish(outcome)?;
        tx.commit().map_err(D1Error::sqlite)?;
        db.after_call()?;
        Ok(outcome)
    }
}

/// The savepoint `transactionSync` keeps open across calls.
const SPANNING_SAVEPOINT: &str = "isola_spanning";

impl Sqlite {
    /// Runs `statements` in one call: with the Worker's rights, from the
    /// connection's cache of prepared statements, or with the host's,
    /// prepared afresh (one kept in the cache would be found again,
    /// authorized, by a Worker sending the same text).
    fn statements(
        &self,
        statements: &[Statement],
        limits: &Limits,
        cancel: Option<&CancelToken>,
        as_host: bool,
    ) -> Result<Vec<QueryResult>, D1Error> {
        self.call(limits, cancel, |tx, host, watch| {
            let mut run = || {
                statements
                    .iter()
                    .map(|statement| run_statement(tx, host, watch, statement, !as_host))
                    .collect()
            };
            if as_host { host.run(run) } else { run() }
        })
    }
}

impl D1Backend for Sqlite {
    fn batch(
        &self,
        statements: &[Statement],
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<QueryResult>, D1Error> {
        self.statements(statements, limits, cancel, false)
    }

    fn batch_as_host(
        &self,
        statements: &[Statement],
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<QueryResult>, D1Error> {
        self.statements(statements, limits, cancel, true)
    }

    fn savepoint(&self, step: SavepointStep) -> Result<(), D1Error> {
        let mut db = self.lock();
        let sql = match step {
            SavepointStep::Begin => format!("SAVEPOINT {SPANNING_SAVEPOINT}"),
            SavepointStep::Release => format!("RELEASE {SPANNING_SAVEPOINT}"),
            SavepointStep::RollBack => {
                format!("ROLLBACK TO {SPANNING_SAVEPOINT}; RELEASE {SPANNING_SAVEPOINT}")
            }
            SavepointStep::BeginWrites => "BEGIN".into(),
            SavepointStep::CommitWrites => "COMMIT".into(),
            SavepointStep::RollBackWrites => "ROLLBACK".into(),
        };
        db.host
            .run(|| db.conn.execute_batch(&sql))
            .map_err(D1Error::sqlite)?;
        db.after_call()
    }

    fn script(
        &self,
        sql: &str,
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<QueryResult>, D1Error> {
        self.call(limits, cancel, |tx, host, watch| {
            let mut results = Vec::new();
            let mut batch = rusqlite::Batch::new(tx, sql);
            while let Some(mut statement) = batch.next().map_err(D1Error::sqlite)? {
                watch.check()?;
                results.push(run_prepared(tx, host, watch, &mut statement, &[])?);
            }
            Ok(results)
        })
    }

    fn dump(&self) -> Result<Vec<u8>, D1Error> {
        let mut db = self.lock();
        let Db { conn, host, .. } = &mut *db;
        // SQLite reads `PRAGMA main.page_count` to serialize a file.
        let data = host
            .run(|| conn.serialize(rusqlite::MAIN_DB))
            .map_err(D1Error::sqlite)?;
        Ok(data.to_vec())
    }
}

/// Runs one statement (or several: all but the last without parameters),
/// from the connection's cache of prepared statements when `cached`.
fn run_statement(
    conn: &Connection,
    host: &Host,
    watch: &mut Watch<'_>,
    statement: &Statement,
    cached: bool,
) -> Result<QueryResult, D1Error> {
    watch.check()?;
    // The common case, one statement, comes from the connection's cache of
    // prepared statements; anything else is split and prepared afresh.
    if cached && !is_blank(&statement.sql) {
        match conn.prepare_cached(&statement.sql) {
            Ok(mut cached) => {
                return run_prepared(conn, host, watch, &mut cached, &statement.params);
            }
            // `DELETE`/`UPDATE … LIMIT`, which this SQLite's parser lacks.
            Err(_) => {
                if let Some(rewritten) = limit::rewrite(&statement.sql)
                    && let Ok(mut cached) = conn.prepare_cached(&rewritten)
                {
                    return run_prepared(conn, host, watch, &mut cached, &statement.params);
                }
            }
        }
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
        confine::check_statement(&earlier)?;
        watch.check()?;
        earlier.raw_execute().map_err(D1Error::sqlite)?;
    }
    watch.check()?;
    run_prepared(conn, host, watch, &mut last, &statement.params)
}

/// Binds `params` to a prepared statement, runs it and collects its result
/// (each value counted against the call's result limit before it is kept).
fn run_prepared(
    conn: &Connection,
    host: &Host,
    watch: &mut Watch<'_>,
    last: &mut rusqlite::Statement<'_>,
    params: &[Value],
) -> Result<QueryResult, D1Error> {
    confine::check_statement(last)?;
    let started = Instant::now();
    let changes_before = conn.total_changes();
    let last_row_id_before = conn.last_insert_rowid();
    let size_before = database_size(conn, host);
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
                let value = row.get_ref(i).map_err(D1Error::sqlite)?;
                watch.take(&value)?;
                values.push(Value::from(value));
            }
            rows.push(values);
        }
    }
    let scanned = last.get_status(StatementStatus::FullscanStep).max(0) as u64;
    let changes = conn.total_changes().saturating_sub(changes_before);
    let last_row_id = conn.last_insert_rowid();
    let size_after = database_size(conn, host);
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
            dml_changes: is_dml(last).then(|| conn.changes()),
            inserted_row_id: (last_row_id != last_row_id_before).then_some(last_row_id),
        },
        columns,
        rows,
    })
}

/// Whether `statement` is one that sets SQLite's `changes()`: an
/// `INSERT`, `UPDATE`, `DELETE` or `REPLACE`, perhaps after a `WITH`.
fn is_dml(statement: &rusqlite::Statement<'_>) -> bool {
    if statement.readonly() {
        return false;
    }
    let sql = statement.expanded_sql().unwrap_or_default();
    let first = past_comments(&sql)
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "WITH"
    )
}

/// Whether `sql` holds nothing but whitespace and comments (SQLite prepares
/// such text into a statement that cannot run).
fn is_blank(sql: &str) -> bool {
    past_comments(sql).is_empty()
}

/// `sql` from its first token: past leading whitespace and comments.
fn past_comments(sql: &str) -> &str {
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
            return rest;
        }
    }
}

/// The database's bytes, from PRAGMAs only the host may run (prepared
/// afresh each time: a cached statement would be a Worker's to reuse).
fn database_size(conn: &Connection, host: &Host) -> u64 {
    let size = |pragma: &str| -> i64 {
        conn.prepare(pragma)
            .and_then(|mut s| s.query_row([], |row| row.get(0)))
            .unwrap_or(0)
    };
    host.run(|| size("PRAGMA page_count") * size("PRAGMA page_size"))
        .max(0) as u64
}
