//! R2's rows in one SQLite database, beside the host's blobs.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use super::{MetaBackend, Part, Row, Upload, UploadState, json, parse};
use crate::r2::{Checksums, Conditions, ObjectInfo, R2Error};

/// The metadata database, shared by every bucket of a state directory.
pub(crate) struct SqliteMeta {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    version TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    uploaded INTEGER NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    checksums TEXT NOT NULL,
    blob TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    created INTEGER NOT NULL,
    state INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS parts (
    upload TEXT NOT NULL,
    number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    md5 BLOB NOT NULL,
    blob TEXT NOT NULL,
    PRIMARY KEY (upload, number)
) WITHOUT ROWID;
";

const OBJECT_COLUMNS: &str =
    "key, version, size, etag, uploaded, http_metadata, custom_metadata, checksums, blob";

fn storage(error: impl std::fmt::Display) -> R2Error {
    R2Error::storage(error)
}

/// The object at `key` in `bucket`, if any.
fn find(conn: &Connection, bucket: &str, key: &str) -> Result<Option<Row>, R2Error> {
    conn.query_row(
        &format!("SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ?1 AND key = ?2"),
        params![bucket, key],
        row,
    )
    .optional()
    .map_err(storage)
}

/// Writes `new` into `bucket`, in place of any object at its key.
fn insert_object(tx: &rusqlite::Transaction<'_>, bucket: &str, new: &Row) -> Result<(), R2Error> {
    let info = &new.info;
    tx.execute(
        "INSERT OR REPLACE INTO objects (bucket, key, version, size, etag, uploaded, \
         http_metadata, custom_metadata, checksums, blob) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            bucket,
            info.key,
            info.version,
            info.size as i64,
            info.etag,
            info.uploaded,
            json(&info.http_metadata),
            json(&info.custom_metadata),
            json(&info.checksums),
            new.blob,
        ],
    )
    .map_err(storage)?;
    Ok(())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        info: ObjectInfo {
            key: r.get(0)?,
            version: r.get(1)?,
            size: r.get::<_, i64>(2)? as u64,
            etag: r.get(3)?,
            uploaded: r.get(4)?,
            http_metadata: parse(&r.get::<_, String>(5)?),
            custom_metadata: parse(&r.get::<_, String>(6)?),
            checksums: parse::<Checksums>(&r.get::<_, String>(7)?),
        },
        blob: r.get(8)?,
    })
}

impl SqliteMeta {
    /// Opens (or creates) the database at `path`; in memory when None.
    pub fn open(path: Option<&Path>) -> Result<Self, R2Error> {
        let conn = match path {
            Some(path) => {
                let existed = path.exists();
                let conn = Connection::open(path).map_err(|e| {
                    R2Error::storage(format!("cannot open {}: {e}", path.display()))
                })?;
                if existed {
                    crate::integrity::check(&conn)
                        .map_err(|e| R2Error::storage(format!("{}: {e}", path.display())))?;
                }
                conn.pragma_update(None, "journal_mode", "WAL")
                    .map_err(storage)?;
                // Blob files are not synced either: an acknowledged write
                // survives the process being killed, not the machine.
                conn.pragma_update(None, "synchronous", "NORMAL")
                    .map_err(storage)?;
                conn
            }
            None => Connection::open_in_memory().map_err(storage)?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(storage)?;
        conn.execute_batch(SCHEMA).map_err(storage)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl MetaBackend for SqliteMeta {
    fn create_bucket(&self, name: &str, now: i64) -> Result<bool, R2Error> {
        let n = self
            .conn()
            .execute(
                "INSERT OR IGNORE INTO buckets (name, created) VALUES (?1, ?2)",
                params![name, now],
            )
            .map_err(storage)?;
        Ok(n == 1)
    }

    fn buckets(&self) -> Result<Vec<(String, i64)>, R2Error> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT name, created FROM buckets ORDER BY name")
            .map_err(storage)?;
        let rows = statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(storage)?;
        rows.collect::<Result<_, _>>().map_err(storage)
    }

    fn bucket_exists(&self, name: &str) -> Result<bool, R2Error> {
        self.conn()
            .query_row("SELECT 1 FROM buckets WHERE name = ?1", [name], |_| Ok(()))
            .optional()
            .map(|found| found.is_some())
            .map_err(storage)
    }

    fn delete_bucket(&self, name: &str) -> Result<u64, R2Error> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(storage)?;
        let count: i64 = tx
            .query_row(
                "SELECT count(*) FROM objects WHERE bucket = ?1",
                [name],
                |r| r.get(0),
            )
            .map_err(storage)?;
        if count == 0 {
            tx.execute("DELETE FROM buckets WHERE name = ?1", [name])
                .map_err(storage)?;
            tx.commit().map_err(storage)?;
        }
        Ok(count as u64)
    }

    fn object(&self, bucket: &str, key: &str) -> Result<Option<Row>, R2Error> {
        find(&self.conn(), bucket, key)
    }

    fn replace(
        &self,
        bucket: &str,
        new: &Row,
        only_if: Option<&Conditions>,
    ) -> Result<(bool, Option<String>), R2Error> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(storage)?;
        let old = find(&tx, bucket, &new.info.key)?;
        if !only_if.is_none_or(|c| c.hold_for(old.as_ref().map(|old| &old.info))) {
            return Ok((false, None));
        }
        insert_object(&tx, bucket, new)?;
        tx.commit().map_err(storage)?;
        Ok((true, old.map(|old| old.blob)))
    }

    fn delete(&self, bucket: &str, keys: &[String]) -> Result<Vec<String>, R2Error> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(storage)?;
        let mut blobs = Vec::new();
        for key in keys {
            let blob: Option<String> = tx
                .query_row(
                    "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 RETURNING blob",
                    params![bucket, key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(storage)?;
            blobs.extend(blob);
        }
        tx.commit().map_err(storage)?;
        Ok(blobs)
    }

    fn scan(
        &self,
        bucket: &str,
        from: &str,
        below: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ObjectInfo>, R2Error> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ?1 AND key >= ?2 \
             AND (?3 IS NULL OR key < ?3) ORDER BY key LIMIT ?4"
        );
        let mut statement = conn.prepare_cached(&sql).map_err(storage)?;
        let rows = statement
            .query_map(params![bucket, from, below, limit as i64], row)
            .map_err(storage)?;
        rows.map(|r| r.map(|r| r.info))
            .collect::<Result<_, _>>()
            .map_err(storage)
    }

    fn create_upload(&self, id: &str, upload: &Upload, now: i64) -> Result<(), R2Error> {
        self.conn()
            .execute(
                "INSERT INTO uploads (id, bucket, key, http_metadata, custom_metadata, created) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    upload.bucket,
                    upload.key,
                    json(&upload.http_metadata),
                    json(&upload.custom_metadata),
                    now
                ],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn upload(&self, id: &str) -> Result<Option<Upload>, R2Error> {
        self.conn()
            .query_row(
                "SELECT bucket, key, http_metadata, custom_metadata, state FROM uploads WHERE id = ?1",
                [id],
                |r| {
                    Ok(Upload {
                        bucket: r.get(0)?,
                        key: r.get(1)?,
                        http_metadata: parse(&r.get::<_, String>(2)?),
                        custom_metadata: parse(&r.get::<_, String>(3)?),
                        state: UploadState::from_column(r.get(4)?),
                    })
                },
            )
            .optional()
            .map_err(storage)
    }

    fn put_part(&self, id: &str, part: &Part) -> Result<Option<Option<String>>, R2Error> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(storage)?;
        let open = tx
            .query_row(
                "SELECT 1 FROM uploads WHERE id = ?1 AND state = 0",
                [id],
                |_| Ok(()),
            )
            .optional()
            .map_err(storage)?
            .is_some();
        if !open {
            return Ok(None);
        }
        let old: Option<String> = tx
            .query_row(
                "SELECT blob FROM parts WHERE upload = ?1 AND number = ?2",
                params![id, part.number],
                |r| r.get(0),
            )
            .optional()
            .map_err(storage)?;
        tx.execute(
            "INSERT OR REPLACE INTO parts (upload, number, size, etag, md5, blob) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                part.number,
                part.size as i64,
                part.etag,
                part.md5,
                part.blob
            ],
        )
        .map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(Some(old))
    }

    fn parts(&self, id: &str) -> Result<Vec<Part>, R2Error> {
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached(
                "SELECT number, size, etag, md5, blob FROM parts WHERE upload = ?1 ORDER BY number",
            )
            .map_err(storage)?;
        let rows = statement
            .query_map([id], |r| {
                Ok(Part {
                    number: r.get(0)?,
                    size: r.get::<_, i64>(1)? as u64,
                    etag: r.get(2)?,
                    md5: r.get(3)?,
                    blob: r.get(4)?,
                })
            })
            .map_err(storage)?;
        rows.collect::<Result<_, _>>().map_err(storage)
    }

    fn close_upload(
        &self,
        id: &str,
        state: UploadState,
        object: Option<(&str, &Row)>,
    ) -> Result<Option<Vec<String>>, R2Error> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(storage)?;
        let removed = tx
            .execute(
                "UPDATE uploads SET state = ?2 WHERE id = ?1 AND state = 0",
                params![id, state as i64],
            )
            .map_err(storage)?;
        if removed == 0 {
            return Ok(None);
        }
        let mut blobs: Vec<String> = {
            let mut statement = tx
                .prepare("DELETE FROM parts WHERE upload = ?1 RETURNING blob")
                .map_err(storage)?;
            let rows = statement.query_map([id], |r| r.get(0)).map_err(storage)?;
            rows.collect::<Result<_, _>>().map_err(storage)?
        };
        if let Some((bucket, new)) = object {
            let old: Option<String> = tx
                .query_row(
                    "SELECT blob FROM objects WHERE bucket = ?1 AND key = ?2",
                    params![bucket, new.info.key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(storage)?;
            blobs.extend(old);
            insert_object(&tx, bucket, new)?;
        }
        tx.commit().map_err(storage)?;
        Ok(Some(blobs))
    }

    fn referenced_blobs(&self) -> Result<HashSet<String>, R2Error> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT blob FROM objects UNION ALL SELECT blob FROM parts")
            .map_err(storage)?;
        let rows = statement.query_map([], |r| r.get(0)).map_err(storage)?;
        rows.collect::<Result<_, _>>().map_err(storage)
    }
}
