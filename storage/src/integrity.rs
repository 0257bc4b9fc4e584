//! Checks of stored state when it is opened: a damaged file is refused,
//! naming what to do, rather than served as a stream of errors or as an
//! older state of the data.
//!
//! - Every SQLite file the host keeps (D1 databases, Durable Objects, R2's
//!   metadata, Queues, alarms) gets `PRAGMA quick_check`.
//! - sled (KV and the Cache API) checks nothing of its own: a damaged log
//!   can open as an older state of the data, silently. So a host that stops
//!   cleanly seals the database with sled's checksum of everything in it,
//!   and the next open compares. The seal is removed once checked, so a
//!   host that dies without stopping leaves none and the next start trusts
//!   sled's own recovery.

use std::path::Path;

use rusqlite::Connection;

/// Refuses a damaged database file before anything is served from it
/// (`PRAGMA quick_check`), rather than answering every query with an error.
pub(crate) fn check(conn: &Connection) -> Result<(), String> {
    let problems: Vec<String> = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(|e| format!("the file is not a usable SQLite database: {e}"))?;
    match problems.as_slice() {
        [ok] if ok == "ok" => Ok(()),
        _ => Err(format!(
            "the database is damaged ({}); restore the file from a backup, or move \
             it aside to start with an empty database",
            problems.join("; ")
        )),
    }
}

/// Where a sled database's seal is kept, beside its files.
fn seal_path(dir: &Path) -> std::path::PathBuf {
    dir.join("isola.seal")
}

/// Why a sled database cannot be served, and what to do about it.
pub(crate) fn damaged(why: String) -> String {
    format!(
        "the data is damaged ({why}); restore the directory from a backup, or move it \
         aside to start with empty KV namespaces and caches"
    )
}

/// Writes the seal of the sled database in `dir`, whose writes have ended.
pub(crate) fn seal(db: &sled::Db, dir: &Path) -> Result<(), String> {
    db.flush().map_err(|e| e.to_string())?;
    let checksum = db.checksum().map_err(|e| e.to_string())?;
    let staged = dir.join("isola.seal.new");
    std::fs::write(&staged, format!("{checksum}\n")).map_err(|e| e.to_string())?;
    std::fs::rename(&staged, seal_path(dir)).map_err(|e| e.to_string())
}

/// Checks the sled database in `dir` against the seal its host left when
/// it stopped, if it left one, then removes the seal.
pub(crate) fn check_seal(db: &sled::Db, dir: &Path) -> Result<(), String> {
    let Ok(text) = std::fs::read_to_string(seal_path(dir)) else {
        return Ok(());
    };
    let sealed: u32 = text
        .trim()
        .parse()
        .map_err(|_| damaged("its seal, isola.seal, is unreadable".into()))?;
    let now = db
        .checksum()
        .map_err(|e| damaged(format!("reading it failed: {e}")))?;
    if now != sealed {
        return Err(damaged(format!(
            "it does not hold what it held when the host stopped: checksum {now:08x}, sealed {sealed:08x}"
        )));
    }
    std::fs::remove_file(seal_path(dir)).map_err(|e| e.to_string())
}
