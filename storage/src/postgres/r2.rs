//! R2's rows in the shared database, so that hosts sharing an S3 bucket
//! agree on which object each key holds (its blob in the bucket, its
//! metadata), on multipart uploads and their parts, and on buckets:
//!
//! ```sql
//! isola_r2_buckets (name, created)
//! isola_r2_objects (bucket, key bytea, version, size, etag, uploaded,
//!                   http_metadata, custom_metadata, checksums, blob)
//! isola_r2_uploads (id, bucket, key bytea, http_metadata, custom_metadata, created, state)
//! isola_r2_parts   (upload, number, size, etag, md5, blob)
//! ```
//!
//! Keys are `bytea`, so that they sort by their UTF-8 bytes as R2 lists
//! them, whatever the database's collation. Writes to one key take a
//! transaction-scoped advisory lock on it, so a conditional `put` checks
//! and replaces the object with no other write in between, on any host.
//! Writes are sent once: one that committed before its connection broke
//! must not run again and report the blob it wrote as replaced.

use std::collections::HashSet;

use sha2::{Digest, Sha256};
use tokio_postgres::Row as PgRow;
use tokio_postgres::types::ToSql;

use super::PgStore;
use crate::health::BackendHealth;
use crate::r2::meta::{MetaBackend, Part, Row, Upload, UploadState, json, parse};
use crate::r2::{Conditions, ObjectInfo, R2Error};

/// An object's columns, in the order [`object_row`] reads them.
macro_rules! object_columns {
    () => {
        "key, version, size, etag, uploaded, http_metadata, custom_metadata, checksums, blob"
    };
}

/// The object at key `$2` of bucket `$1`.
const FIND_OBJECT: &str = concat!(
    "SELECT ",
    object_columns!(),
    " FROM isola_r2_objects WHERE bucket = $1 AND key = $2"
);

/// Up to `$4` objects of bucket `$1` from key `$2`, below `$3` if given.
const SCAN_OBJECTS: &str = concat!(
    "SELECT ",
    object_columns!(),
    " FROM isola_r2_objects WHERE bucket = $1 AND key >= $2 \
     AND ($3::bytea IS NULL OR key < $3) ORDER BY key LIMIT $4"
);

const UPSERT_OBJECT: &str = "
    INSERT INTO isola_r2_objects (bucket, key, version, size, etag, uploaded,
        http_metadata, custom_metadata, checksums, blob)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (bucket, key) DO UPDATE SET version = excluded.version,
        size = excluded.size, etag = excluded.etag, uploaded = excluded.uploaded,
        http_metadata = excluded.http_metadata, custom_metadata = excluded.custom_metadata,
        checksums = excluded.checksums, blob = excluded.blob";

const LOCK_KEY: &str = "SELECT pg_advisory_xact_lock($1)";

fn failed(error: crate::StoreError) -> R2Error {
    R2Error::storage(error)
}

/// The advisory lock that serialises writes to `key` of `bucket`.
fn lock_id(bucket: &str, key: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(bucket.as_bytes())
        .chain_update([0])
        .chain_update(key.as_bytes())
        .finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

fn object_row(row: &PgRow) -> Row {
    Row {
        info: ObjectInfo {
            key: String::from_utf8_lossy(row.get::<_, &[u8]>(0)).into_owned(),
            version: row.get(1),
            size: row.get::<_, i64>(2) as u64,
            etag: row.get(3),
            uploaded: row.get(4),
            http_metadata: parse(row.get(5)),
            custom_metadata: parse(row.get(6)),
            checksums: parse(row.get(7)),
        },
        blob: row.get(8),
    }
}

/// The values of [`UPSERT_OBJECT`] for `new` in `bucket`.
struct ObjectValues {
    bucket: String,
    key: Vec<u8>,
    version: String,
    size: i64,
    etag: String,
    uploaded: i64,
    http_metadata: String,
    custom_metadata: String,
    checksums: String,
    blob: String,
}

impl ObjectValues {
    fn of(bucket: &str, new: &Row) -> Self {
        let info = &new.info;
        Self {
            bucket: bucket.to_string(),
            key: info.key.as_bytes().to_vec(),
            version: info.version.clone(),
            size: info.size as i64,
            etag: info.etag.clone(),
            uploaded: info.uploaded,
            http_metadata: json(&info.http_metadata),
            custom_metadata: json(&info.custom_metadata),
            checksums: json(&info.checksums),
            blob: new.blob.clone(),
        }
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 10] {
        [
            &self.bucket,
            &self.key,
            &self.version,
            &self.size,
            &self.etag,
            &self.uploaded,
            &self.http_metadata,
            &self.custom_metadata,
            &self.checksums,
            &self.blob,
        ]
    }
}

impl MetaBackend for PgStore {
    fn create_bucket(&self, name: &str, now: i64) -> Result<bool, R2Error> {
        let name = name.to_string();
        self.call(move |client| {
            let name = name.clone();
            async move {
                let n = client
                    .execute(
                        "INSERT INTO isola_r2_buckets (name, created) VALUES ($1, $2) \
                         ON CONFLICT DO NOTHING",
                        &[&name, &now],
                    )
                    .await?;
                Ok(n == 1)
            }
        })
        .map_err(failed)
    }

    fn buckets(&self) -> Result<Vec<(String, i64)>, R2Error> {
        self.call(|client| async move {
            let rows = client
                .query(
                    "SELECT name, created FROM isola_r2_buckets ORDER BY name",
                    &[],
                )
                .await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
        .map_err(failed)
    }

    fn bucket_exists(&self, name: &str) -> Result<bool, R2Error> {
        let name = name.to_string();
        self.call(move |client| {
            let name = name.clone();
            async move {
                let row = client
                    .query_opt("SELECT 1 FROM isola_r2_buckets WHERE name = $1", &[&name])
                    .await?;
                Ok(row.is_some())
            }
        })
        .map_err(failed)
    }

    fn delete_bucket(&self, name: &str) -> Result<u64, R2Error> {
        let name = name.to_string();
        self.call_once(move |mut client| {
            let name = name.clone();
            async move {
                let transaction = client.transaction().await?;
                // The bucket's row is locked, so that no object is created
                // in it between the count and the delete.
                transaction
                    .execute(
                        "SELECT 1 FROM isola_r2_buckets WHERE name = $1 FOR UPDATE",
                        &[&name],
                    )
                    .await?;
                let count: i64 = transaction
                    .query_one(
                        "SELECT count(*) FROM isola_r2_objects WHERE bucket = $1",
                        &[&name],
                    )
                    .await?
                    .get(0);
                if count == 0 {
                    transaction
                        .execute("DELETE FROM isola_r2_buckets WHERE name = $1", &[&name])
                        .await?;
                }
                transaction.commit().await?;
                Ok(count as u64)
            }
        })
        .map_err(failed)
    }

    fn object(&self, bucket: &str, key: &str) -> Result<Option<Row>, R2Error> {
        let (bucket, key) = (bucket.to_string(), key.as_bytes().to_vec());
        self.call(move |client| {
            let (bucket, key) = (bucket.clone(), key.clone());
            async move {
                let row = client.query_opt(FIND_OBJECT, &[&bucket, &key]).await?;
                Ok(row.as_ref().map(object_row))
            }
        })
        .map_err(failed)
    }

    fn replace(
        &self,
        bucket: &str,
        new: &Row,
        only_if: Option<&Conditions>,
    ) -> Result<(bool, Option<String>), R2Error> {
        self.writable().map_err(failed)?;
        let lock = lock_id(bucket, &new.info.key);
        let values = std::sync::Arc::new(ObjectValues::of(bucket, new));
        let only_if = only_if.cloned();
        self.call_once(move |mut client| {
            let (values, only_if) = (values.clone(), only_if.clone());
            async move {
                let transaction = client.transaction().await?;
                transaction.execute(LOCK_KEY, &[&lock]).await?;
                let old = transaction
                    .query_opt(FIND_OBJECT, &[&values.bucket, &values.key])
                    .await?
                    .as_ref()
                    .map(object_row);
                if !only_if.is_none_or(|c| c.hold_for(old.as_ref().map(|old| &old.info))) {
                    return Ok((false, None));
                }
                transaction.execute(UPSERT_OBJECT, &values.params()).await?;
                transaction.commit().await?;
                Ok((true, old.map(|old| old.blob)))
            }
        })
        .map_err(failed)
    }

    fn delete(&self, bucket: &str, keys: &[String]) -> Result<Vec<String>, R2Error> {
        self.writable().map_err(failed)?;
        let bucket = bucket.to_string();
        let keys: Vec<Vec<u8>> = keys.iter().map(|k| k.as_bytes().to_vec()).collect();
        self.call_once(move |client| {
            let (bucket, keys) = (bucket.clone(), keys.clone());
            async move {
                let rows = client
                    .query(
                        "DELETE FROM isola_r2_objects WHERE bucket = $1 AND key = ANY($2) \
                         RETURNING blob",
                        &[&bucket, &keys],
                    )
                    .await?;
                Ok(rows.iter().map(|r| r.get(0)).collect())
            }
        })
        .map_err(failed)
    }

    fn scan(
        &self,
        bucket: &str,
        from: &str,
        below: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ObjectInfo>, R2Error> {
        let bucket = bucket.to_string();
        let from = from.as_bytes().to_vec();
        let below = below.map(|b| b.as_bytes().to_vec());
        let limit = limit as i64;
        self.call(move |client| {
            let (bucket, from, below) = (bucket.clone(), from.clone(), below.clone());
            async move {
                let rows = client
                    .query(SCAN_OBJECTS, &[&bucket, &from, &below, &limit])
                    .await?;
                Ok(rows.iter().map(|r| object_row(r).info).collect())
            }
        })
        .map_err(failed)
    }

    fn create_upload(&self, id: &str, upload: &Upload, now: i64) -> Result<(), R2Error> {
        self.writable().map_err(failed)?;
        let values = (
            id.to_string(),
            upload.bucket.clone(),
            upload.key.as_bytes().to_vec(),
            json(&upload.http_metadata),
            json(&upload.custom_metadata),
        );
        // The id is new, so trying again after a broken connection can
        // only find the row written, which the conflict clause keeps.
        self.call(move |client| {
            let (id, bucket, key, http, custom) = values.clone();
            async move {
                client
                    .execute(
                        "INSERT INTO isola_r2_uploads \
                         (id, bucket, key, http_metadata, custom_metadata, created) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        &[&id, &bucket, &key, &http, &custom, &now],
                    )
                    .await?;
                Ok(())
            }
        })
        .map_err(failed)
    }

    fn upload(&self, id: &str) -> Result<Option<Upload>, R2Error> {
        let id = id.to_string();
        self.call(move |client| {
            let id = id.clone();
            async move {
                let row = client
                    .query_opt(
                        "SELECT bucket, key, http_metadata, custom_metadata, state \
                         FROM isola_r2_uploads WHERE id = $1",
                        &[&id],
                    )
                    .await?;
                Ok(row.map(|r| Upload {
                    bucket: r.get(0),
                    key: String::from_utf8_lossy(r.get::<_, &[u8]>(1)).into_owned(),
                    http_metadata: parse(r.get(2)),
                    custom_metadata: parse(r.get(3)),
                    state: UploadState::from_column(i64::from(r.get::<_, i32>(4))),
                }))
            }
        })
        .map_err(failed)
    }

    fn put_part(&self, id: &str, part: &Part) -> Result<Option<Option<String>>, R2Error> {
        self.writable().map_err(failed)?;
        let (id, part) = (id.to_string(), part.clone());
        self.call_once(move |mut client| {
            let (id, part) = (id.clone(), part.clone());
            async move {
                let transaction = client.transaction().await?;
                // The upload's row is locked, so that it cannot close
                // while its part is recorded.
                let open = transaction
                    .query_opt(
                        "SELECT 1 FROM isola_r2_uploads WHERE id = $1 AND state = 0 FOR UPDATE",
                        &[&id],
                    )
                    .await?;
                if open.is_none() {
                    return Ok(None);
                }
                let number = part.number as i32;
                let old = transaction
                    .query_opt(
                        "SELECT blob FROM isola_r2_parts WHERE upload = $1 AND number = $2",
                        &[&id, &number],
                    )
                    .await?
                    .map(|r| r.get::<_, String>(0));
                let size = part.size as i64;
                transaction
                    .execute(
                        "INSERT INTO isola_r2_parts (upload, number, size, etag, md5, blob) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (upload, number) \
                         DO UPDATE SET size = excluded.size, etag = excluded.etag, \
                         md5 = excluded.md5, blob = excluded.blob",
                        &[&id, &number, &size, &part.etag, &part.md5, &part.blob],
                    )
                    .await?;
                transaction.commit().await?;
                Ok(Some(old))
            }
        })
        .map_err(failed)
    }

    fn parts(&self, id: &str) -> Result<Vec<Part>, R2Error> {
        let id = id.to_string();
        self.call(move |client| {
            let id = id.clone();
            async move {
                let rows = client
                    .query(
                        "SELECT number, size, etag, md5, blob FROM isola_r2_parts \
                         WHERE upload = $1 ORDER BY number",
                        &[&id],
                    )
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| Part {
                        number: r.get::<_, i32>(0) as u32,
                        size: r.get::<_, i64>(1) as u64,
                        etag: r.get(2),
                        md5: r.get(3),
                        blob: r.get(4),
                    })
                    .collect())
            }
        })
        .map_err(failed)
    }

    fn close_upload(
        &self,
        id: &str,
        state: UploadState,
        object: Option<(&str, &Row)>,
    ) -> Result<Option<Vec<String>>, R2Error> {
        self.writable().map_err(failed)?;
        let id = id.to_string();
        let state = state as i32;
        let object = object.map(|(bucket, new)| {
            let lock = lock_id(bucket, &new.info.key);
            std::sync::Arc::new((lock, ObjectValues::of(bucket, new)))
        });
        self.call_once(move |mut client| {
            let (id, object) = (id.clone(), object.clone());
            async move {
                let transaction = client.transaction().await?;
                let closed = transaction
                    .execute(
                        "UPDATE isola_r2_uploads SET state = $2 WHERE id = $1 AND state = 0",
                        &[&id, &state],
                    )
                    .await?;
                if closed == 0 {
                    return Ok(None);
                }
                let mut blobs: Vec<String> = transaction
                    .query(
                        "DELETE FROM isola_r2_parts WHERE upload = $1 RETURNING blob",
                        &[&id],
                    )
                    .await?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                if let Some(object) = object.as_deref() {
                    let (lock, values) = object;
                    transaction.execute(LOCK_KEY, &[lock]).await?;
                    let old = transaction
                        .query_opt(
                            "SELECT blob FROM isola_r2_objects WHERE bucket = $1 AND key = $2",
                            &[&values.bucket, &values.key],
                        )
                        .await?;
                    blobs.extend(old.map(|r| r.get::<_, String>(0)));
                    transaction.execute(UPSERT_OBJECT, &values.params()).await?;
                }
                transaction.commit().await?;
                Ok(Some(blobs))
            }
        })
        .map_err(failed)
    }

    fn referenced_blobs(&self) -> Result<HashSet<String>, R2Error> {
        self.call(|client| async move {
            let rows = client
                .query(
                    "SELECT blob FROM isola_r2_objects UNION ALL SELECT blob FROM isola_r2_parts",
                    &[],
                )
                .await?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
        .map_err(failed)
    }

    fn health(&self) -> Option<BackendHealth> {
        Some(PgStore::health(self, "r2"))
    }
}
