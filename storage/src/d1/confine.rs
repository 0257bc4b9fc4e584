//! Keeps a Worker's SQL inside its own database, as D1 does: an SQLite
//! authorizer on the connection refuses whatever reaches past the one file
//! (ATTACH and DETACH, extensions, temporary objects, PRAGMAs that read or
//! change files, locking or the connection), so a Worker can neither open
//! another Worker's database nor create files. SQLite words the refusal as
//! D1 does, `not authorized: SQLITE_AUTH`. Tables named `_cf_…` are the
//! host's (a Durable Object's key-value pairs live in `_cf_KV`): a Worker's
//! SQL can neither read nor change them.
//!
//! SQLite asks the authorizer nothing when it prepares `VACUUM INTO`, so
//! [`check_statement`] refuses that by its text. Extension loading is also
//! switched off on the connection, and no database may be attached.
//!
//! The host's own statements on the same connection (the database's size
//! for `meta`, `dump`) need PRAGMAs that Workers may not run: they run
//! inside [`Host::run`], which the authorizer lets through. Nothing a
//! Worker sends runs in that scope, and what it prepares is not cached.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::{Connection, config::DbConfig};

use super::D1Error;
use super::tokens::Tokens;

/// The PRAGMAs a Worker may run, and what each may be given. These are the
/// ones D1 documents, plus `integrity_check` and reading `user_version`
/// (both read-only). Anything else, including PRAGMAs SQLite does not know,
/// is refused.
const PRAGMAS: &[(&str, PragmaArgument)] = &[
    ("table_list", PragmaArgument::Any),
    ("table_info", PragmaArgument::Name),
    ("table_xinfo", PragmaArgument::Name),
    ("index_list", PragmaArgument::Name),
    ("index_info", PragmaArgument::Name),
    ("index_xinfo", PragmaArgument::Name),
    ("foreign_key_list", PragmaArgument::Name),
    ("foreign_key_check", PragmaArgument::Any),
    ("quick_check", PragmaArgument::Any),
    ("integrity_check", PragmaArgument::Any),
    ("optimize", PragmaArgument::Integer),
    ("data_version", PragmaArgument::None),
    ("user_version", PragmaArgument::None),
    ("foreign_keys", PragmaArgument::Boolean),
    ("defer_foreign_keys", PragmaArgument::Boolean),
    ("case_sensitive_like", PragmaArgument::Boolean),
    ("ignore_check_constraints", PragmaArgument::Boolean),
    ("legacy_alter_table", PragmaArgument::Boolean),
    ("recursive_triggers", PragmaArgument::Boolean),
    ("reverse_unordered_selects", PragmaArgument::Boolean),
];

/// What a PRAGMA may be given (`PRAGMA name = value` or `PRAGMA name(value)`).
#[derive(Debug, Clone, Copy)]
enum PragmaArgument {
    /// Nothing: the PRAGMA is read only.
    None,
    /// A table or index name, which is required.
    Name,
    /// Nothing, a name or a number.
    Any,
    /// Nothing or an integer.
    Integer,
    /// Nothing (to read the setting) or a boolean.
    Boolean,
}

/// SQL functions a Worker may not call.
const FUNCTIONS: &[&str] = &["load_extension", "fts3_tokenizer"];

/// The virtual table modules a Worker may create tables with (D1's).
const MODULES: &[&str] = &["fts5", "fts5vocab"];

/// Lets the host's own statements past the authorizer.
pub(super) struct Host(Arc<AtomicBool>);

impl Host {
    /// Runs `work` with the host's rights. It must prepare its statements
    /// afresh (not from the statement cache, where a Worker could find them)
    /// and run no SQL a Worker wrote.
    pub(super) fn run<T>(&self, work: impl FnOnce() -> T) -> T {
        struct Restore<'a>(&'a AtomicBool, bool);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                self.0.store(self.1, Ordering::SeqCst);
            }
        }
        let _restore = Restore(&self.0, self.0.swap(true, Ordering::SeqCst));
        work()
    }
}

/// Confines `conn` to its own database; call it once the host's own set-up
/// (journal mode, foreign keys) is done.
pub(super) fn confine(conn: &mut Connection) -> rusqlite::Result<Host> {
    conn.load_extension_disable()?;
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
    // No `writable_schema`, no journal_mode=OFF: a Worker cannot corrupt the
    // file on purpose.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    let host = Host(Arc::new(AtomicBool::new(false)));
    let flag = Arc::clone(&host.0);
    conn.authorizer(Some(move |context: AuthContext<'_>| {
        let allowed = if flag.load(Ordering::SeqCst) {
            host_may(&context.action)
        } else {
            worker_may(&context)
        };
        if allowed {
            Authorization::Allow
        } else {
            Authorization::Deny
        }
    }))?;
    Ok(host)
}

/// Refuses `VACUUM INTO`, which writes a copy of the database to any path
/// and which the authorizer is never asked about. `VACUUM` alone passes
/// (inside the transaction every D1 call runs in, SQLite refuses it).
pub(super) fn check_statement(statement: &rusqlite::Statement<'_>) -> Result<(), D1Error> {
    match statement.expanded_sql() {
        Some(sql) if !writes_elsewhere(&sql) => Ok(()),
        _ => Err(D1Error::not_authorized()),
    }
}

/// The host attaches nothing; everything else it does is its own.
fn host_may(action: &AuthAction<'_>) -> bool {
    !matches!(
        action,
        AuthAction::Attach { .. } | AuthAction::Detach { .. }
    )
}

fn worker_may(context: &AuthContext<'_>) -> bool {
    match context.database_name {
        None | Some("main") => worker_action_may(&context.action),
        // The connection's temporary schema, empty since nothing temporary
        // can be created: SQLite reads it, and ALTER TABLE rewrites it.
        Some("temp") => matches!(
            context.action,
            AuthAction::Read { .. } | AuthAction::Update { .. }
        ),
        Some(_) => false,
    }
}

/// Whether `action` touches a table of the host's own (`_cf_…`, as D1 and
/// Durable Objects reserve the prefix: a Durable Object's `_cf_KV`).
fn touches_reserved(action: &AuthAction<'_>) -> bool {
    let table = match *action {
        AuthAction::Read { table_name, .. }
        | AuthAction::Insert { table_name }
        | AuthAction::Update { table_name, .. }
        | AuthAction::Delete { table_name }
        | AuthAction::CreateTable { table_name }
        | AuthAction::DropTable { table_name }
        | AuthAction::AlterTable { table_name, .. }
        | AuthAction::CreateIndex { table_name, .. }
        | AuthAction::DropIndex { table_name, .. }
        | AuthAction::CreateTrigger { table_name, .. }
        | AuthAction::DropTrigger { table_name, .. }
        | AuthAction::Analyze { table_name } => table_name,
        // `PRAGMA table_info(_cf_KV)` and the like name a table too.
        AuthAction::Pragma {
            pragma_value: Some(table_name),
            ..
        } => table_name,
        _ => return false,
    };
    table
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("_cf_"))
}

fn worker_action_may(action: &AuthAction<'_>) -> bool {
    if touches_reserved(action) {
        return false;
    }
    match *action {
        AuthAction::Select
        | AuthAction::Recursive
        | AuthAction::Read { .. }
        | AuthAction::Insert { .. }
        | AuthAction::Update { .. }
        | AuthAction::Delete { .. }
        | AuthAction::CreateTable { .. }
        | AuthAction::CreateIndex { .. }
        | AuthAction::CreateView { .. }
        | AuthAction::CreateTrigger { .. }
        | AuthAction::DropTable { .. }
        | AuthAction::DropIndex { .. }
        | AuthAction::DropView { .. }
        | AuthAction::DropTrigger { .. }
        | AuthAction::DropVtable { .. }
        | AuthAction::Reindex { .. }
        | AuthAction::Analyze { .. }
        | AuthAction::Transaction { .. }
        | AuthAction::Savepoint { .. } => true,
        // SQLite passes the schema as the first argument here.
        AuthAction::AlterTable { database_name, .. } => database_name == "main",
        AuthAction::CreateVtable { module_name, .. } => MODULES
            .iter()
            .any(|module| module.eq_ignore_ascii_case(module_name)),
        AuthAction::Function { function_name } => !FUNCTIONS
            .iter()
            .any(|function| function.eq_ignore_ascii_case(function_name)),
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => pragma_may(pragma_name, pragma_value),
        // ATTACH, DETACH, temporary tables, indexes, views and triggers (they
        // would outlive the request on the shared connection, and live in
        // files of their own), and anything newer than this list.
        _ => false,
    }
}

/// Whether a Worker may run `PRAGMA name` (`value` being its argument).
/// `SELECT … FROM pragma_name(…)` runs the same PRAGMA, so it is checked
/// here too.
fn pragma_may(name: &str, value: Option<&str>) -> bool {
    let Some((_, argument)) = PRAGMAS
        .iter()
        .find(|(pragma, _)| pragma.eq_ignore_ascii_case(name))
    else {
        return false;
    };
    match (argument, value) {
        (PragmaArgument::Name, value) => value.is_some(),
        (PragmaArgument::Any, _) | (_, None) => true,
        (PragmaArgument::None, Some(_)) => false,
        (PragmaArgument::Integer, Some(value)) => value.parse::<i64>().is_ok(),
        (PragmaArgument::Boolean, Some(value)) => {
            ["1", "0", "true", "false", "on", "off", "yes", "no"]
                .iter()
                .any(|word| word.eq_ignore_ascii_case(value))
        }
    }
}

/// Whether `sql`, one statement, is a VACUUM that writes somewhere other
/// than its own database: anything but `VACUUM` or `VACUUM schema`.
fn writes_elsewhere(sql: &str) -> bool {
    let mut tokens = Tokens(sql);
    if !tokens
        .next()
        .is_some_and(|t| t.eq_ignore_ascii_case("vacuum"))
    {
        return false;
    }
    let mut names = 0;
    for token in tokens {
        if token == ";" {
            break;
        }
        names += 1;
        if names > 1 || token.eq_ignore_ascii_case("into") || !is_name(token) {
            return true;
        }
    }
    false
}

fn is_name(token: &str) -> bool {
    token.starts_with(['"', '`', '[', '\''])
        || token
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests;
