//! One check for every SQLite file the host keeps (D1 databases, Durable
//! Objects, R2's metadata, Queues, alarms): a damaged file is refused when
//! it is opened, naming what to do, rather than served as a stream of
//! errors.

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
