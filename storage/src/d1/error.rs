//! D1's errors, worded as D1 words them: `D1_ERROR: ` and SQLite's message
//! with the primary result code's name (`no such table: x: SQLITE_ERROR`,
//! or `not authorized: SQLITE_AUTH` for what the authorizer refuses).

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A D1 statement, batch or database that failed.
#[derive(Debug, thiserror::Error)]
pub enum D1Error {
    /// A statement failed; the message is SQLite's, with its code.
    #[error("D1_ERROR: {0}")]
    Sqlite(String),
    #[error("D1_ERROR: Wrong number of parameter bindings for SQL query.")]
    WrongParameterCount,
    #[error("D1_ERROR: No SQL statements detected.")]
    NoStatements,
    #[error(
        "D1_ERROR: When executing multiple SQL statements in a single call, only the last statement can have parameters."
    )]
    ParametersNotLast,
    /// The call ran past its time limit and was interrupted.
    #[error(
        "D1_ERROR: the statement exceeded the {} limit and was interrupted: SQLITE_INTERRUPT",
        duration(*.0)
    )]
    Timeout(Duration),
    /// The call was cancelled (its request is gone).
    #[error("D1_ERROR: the statement was cancelled: SQLITE_INTERRUPT")]
    Cancelled,
    /// The call read more than its result limit, in bytes.
    #[error("D1_ERROR: the result is larger than the {} limit: SQLITE_TOOBIG", bytes(*.0))]
    ResultTooLarge(u64),
    /// `exec` failed; D1 names the first line of the input.
    #[error("D1_EXEC_ERROR: Error in line 1: {line}: {message}")]
    Exec { line: String, message: String },
    #[error("the D1 database {path} cannot be opened: {message}")]
    Open { path: PathBuf, message: String },
    /// The call committed here but could not be replicated (or this host
    /// no longer owns the database), so it is not acknowledged.
    #[error("D1_ERROR: the write could not be replicated: {0}: SQLITE_IOERR")]
    Replication(String),
    /// The host that owns the database could not be reached.
    #[error("D1_ERROR: the database's host could not be reached: {0}")]
    Unreachable(String),
    /// What the host that owns the database answered, word for word.
    #[error("{0}")]
    Remote(String),
    /// A migration file or the migrations directory is unusable.
    #[error("{0}")]
    Migration(String),
}

impl D1Error {
    pub(crate) fn sqlite(error: rusqlite::Error) -> Self {
        Self::Sqlite(describe(&error))
    }

    /// What a Worker sees when its SQL reaches past its database, in
    /// SQLite's own words for a refusal by the authorizer.
    pub(crate) fn not_authorized() -> Self {
        Self::Sqlite(format!(
            "not authorized: {}",
            code_name(rusqlite::ffi::SQLITE_AUTH)
        ))
    }

    pub(crate) fn open(path: &Path, error: impl std::fmt::Display) -> Self {
        Self::Open {
            path: path.to_path_buf(),
            message: error.to_string(),
        }
    }

    /// The message without the `D1_ERROR: ` prefix (what D1 puts in
    /// `cause`).
    pub fn cause(&self) -> String {
        let text = self.to_string();
        text.split_once(": ")
            .filter(|(prefix, _)| prefix.starts_with("D1_"))
            .map_or(text.clone(), |(_, rest)| rest.to_string())
    }
}

/// `30 s`, or `200 ms` for what is not whole seconds.
fn duration(limit: Duration) -> String {
    if limit.subsec_nanos() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} ms", limit.as_millis())
    }
}

/// `100 MiB`, `64 KiB`, or bytes for what is neither.
fn bytes(limit: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if limit >= MIB && limit.is_multiple_of(MIB) {
        format!("{} MiB", limit / MIB)
    } else if limit >= KIB && limit.is_multiple_of(KIB) {
        format!("{} KiB", limit / KIB)
    } else {
        format!("{limit} bytes")
    }
}

/// SQLite's message for `error`, as D1 reports it.
fn describe(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let message = match message {
                Some(message) => message.clone(),
                None if failure.extended_code & 0xff == rusqlite::ffi::SQLITE_AUTH => {
                    "not authorized".into()
                }
                None => failure.to_string(),
            };
            format!("{message}: {}", code_name(failure.extended_code))
        }
        rusqlite::Error::SqlInputError {
            error, msg, offset, ..
        } => format!(
            "{msg} at offset {offset}: {}",
            code_name(error.extended_code)
        ),
        rusqlite::Error::InvalidParameterCount(..) => {
            "Wrong number of parameter bindings for SQL query.".into()
        }
        other => other.to_string(),
    }
}

/// The name of SQLite's primary result code within `code`.
fn code_name(code: i32) -> &'static str {
    match code & 0xff {
        1 => "SQLITE_ERROR",
        2 => "SQLITE_INTERNAL",
        3 => "SQLITE_PERM",
        4 => "SQLITE_ABORT",
        5 => "SQLITE_BUSY",
        6 => "SQLITE_LOCKED",
        7 => "SQLITE_NOMEM",
        8 => "SQLITE_READONLY",
        9 => "SQLITE_INTERRUPT",
        10 => "SQLITE_IOERR",
        11 => "SQLITE_CORRUPT",
        12 => "SQLITE_NOTFOUND",
        13 => "SQLITE_FULL",
        14 => "SQLITE_CANTOPEN",
        15 => "SQLITE_PROTOCOL",
        16 => "SQLITE_EMPTY",
        17 => "SQLITE_SCHEMA",
        18 => "SQLITE_TOOBIG",
        19 => "SQLITE_CONSTRAINT",
        20 => "SQLITE_MISMATCH",
        21 => "SQLITE_MISUSE",
        22 => "SQLITE_NOLFS",
        23 => "SQLITE_AUTH",
        24 => "SQLITE_FORMAT",
        25 => "SQLITE_RANGE",
        26 => "SQLITE_NOTADB",
        _ => "SQLITE_ERROR",
    }
}
