//! R2: buckets of objects, with R2's rules, metadata, conditional and
//! ranged reads, checksums, listing and multipart uploads.
//!
//! Bytes live in an `object_store` store ([`blobs`]: files under the
//! state directory, memory, or an S3 bucket that hosts share, [`s3`]), and
//! everything else in SQLite, or in the hosts' shared PostgreSQL database
//! ([`meta`]). A write streams its body into a new blob, hashing it as it
//! goes, and only then records the object, so a crash leaves the old
//! object or the new one and, at worst, a blob no row names, which a later
//! start sweeps away. Nothing holds an object whole in memory.

mod blobs;
mod digest;
mod error;
pub(crate) mod meta;
mod multipart;
mod rules;
mod s3;
#[cfg(test)]
mod shared_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{BoxStream, Stream};
use serde::{Deserialize, Serialize};

pub use digest::Checksums;
pub use error::R2Error;
pub use multipart::UploadedPart;
pub use rules::{Conditions, MAX_PUT_BYTES, RangeSpec};
pub use s3::S3Location;

use blobs::{Blobs, random_id};
use digest::Digests;
use error::{INVALID_OBJECT_NAME, bad_digest};
use meta::sqlite::SqliteMeta;
use meta::{Meta, Row};
use rules::{list_limit, validate_key, validate_metadata};

/// An object's HTTP metadata, as `R2Object.httpMetadata` carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// Milliseconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_expiry: Option<i64>,
}

/// What R2 knows of an object besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectInfo {
    pub key: String,
    pub version: String,
    pub size: u64,
    /// Unquoted.
    pub etag: String,
    /// Milliseconds since the epoch.
    pub uploaded: i64,
    pub http_metadata: HttpMetadata,
    pub custom_metadata: BTreeMap<String, String>,
    pub checksums: Checksums,
}

/// What a `put` writes besides the bytes, and what it checks first.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutOptions {
    #[serde(default)]
    pub http_metadata: HttpMetadata,
    #[serde(default)]
    pub custom_metadata: BTreeMap<String, String>,
    pub only_if: Option<Conditions>,
    /// Checksums the bytes must have, as hex.
    #[serde(default)]
    pub checksums: Checksums,
}

/// What a `get` asks for besides the key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetOptions {
    pub only_if: Option<Conditions>,
    pub range: Option<RangeSpec>,
}

/// The bytes of an object, streamed.
pub type ByteStream = BoxStream<'static, Result<Bytes, String>>;

/// What a `get` found.
pub enum Got {
    /// The object, the part of it asked for, and those bytes.
    Body {
        info: ObjectInfo,
        range: std::ops::Range<u64>,
        body: ByteStream,
    },
    /// The object, whose conditions did not hold: no bytes.
    Unmet(ObjectInfo),
}

/// What a `list` asks for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOptions {
    #[serde(default)]
    pub prefix: String,
    pub delimiter: Option<String>,
    pub cursor: Option<String>,
    pub start_after: Option<String>,
    pub limit: Option<u32>,
}

/// One page of a `list`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage {
    pub objects: Vec<ObjectInfo>,
    pub delimited_prefixes: Vec<String>,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A bucket, as `isola r2 bucket list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BucketInfo {
    pub name: String,
    /// Milliseconds since the epoch.
    pub created: i64,
}

/// The R2 state of one state directory (or of memory): every bucket.
#[derive(Clone)]
pub struct R2Store {
    meta: Meta,
    blobs: Blobs,
}

/// How old a blob no row names must be before a host on its own removes
/// it. The sweep runs while the host serves, and a file's time may read a
/// little earlier than the clock: a margin keeps new writes, whose rows
/// are not recorded yet, out of it.
const LOCAL_SWEEP_GRACE: Duration = Duration::from_secs(60);

/// How old a blob no row names must be before a host sharing the bucket
/// removes it: far longer than a write takes, so that it is no other
/// host's write under way.
const SHARED_SWEEP_GRACE: Duration = Duration::from_secs(3600);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Runs metadata work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, R2Error> + Send + 'static,
) -> Result<T, R2Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(R2Error::storage)?
}

impl R2Store {
    /// The R2 state kept in `<dir>/r2`: `meta.sqlite` and `blobs/`. Blobs
    /// no object or part names (a crash's leftovers) are removed.
    pub fn open(dir: &Path) -> Result<Self, R2Error> {
        let root = dir.join("r2");
        std::fs::create_dir_all(&root)
            .map_err(|e| R2Error::storage(format!("cannot create {}: {e}", root.display())))?;
        let local = object_store::local::LocalFileSystem::new_with_prefix(&root)
            .map_err(R2Error::storage)?
            .with_automatic_cleanup(true);
        let store = Self {
            meta: Arc::new(SqliteMeta::open(Some(&root.join("meta.sqlite")))?),
            blobs: Blobs::new(Arc::new(local)),
        };
        store.sweep(LOCAL_SWEEP_GRACE)?;
        Ok(store)
    }

    /// R2 state shared by the hosts that name the same bucket and
    /// database: object bytes in the S3 bucket at `bucket`, what R2 knows
    /// of them in the PostgreSQL database at `database`.
    pub fn shared(bucket: &S3Location, database: &str) -> Result<Self, R2Error> {
        let store = Self {
            meta: crate::postgres::PgStore::for_r2(database)?,
            blobs: Blobs::networked(bucket.connect()?, bucket.describe()),
        };
        // Another host may be between writing a blob and recording it: only
        // blobs older than any write can be are leftovers.
        store.sweep(SHARED_SWEEP_GRACE)?;
        Ok(store)
    }

    /// Removes the blobs no row names that were written `grace` or more
    /// before now: in the background when there is a runtime, or before it
    /// returns.
    fn sweep(&self, grace: Duration) -> Result<(), R2Error> {
        let before = chrono::Utc::now() - chrono::TimeDelta::from_std(grace).unwrap_or_default();
        let (meta, blobs) = (self.meta.clone(), self.blobs.clone());
        let sweep = async move {
            let keep = blocking(move || meta.referenced_blobs()).await?;
            blobs.sweep(&keep, before).await
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    if let Err(error) = sweep.await {
                        tracing::warn!("R2's unused blobs were not swept: {error}");
                    }
                });
            }
            Err(_) => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(R2Error::storage)?;
                runtime.block_on(sweep)?;
            }
        }
        Ok(())
    }

    /// How the networked backends have answered, for `isola stats`: the
    /// database, then the bucket. Empty for embedded state.
    pub fn health(&self) -> Vec<crate::BackendHealth> {
        self.meta
            .health()
            .into_iter()
            .chain(self.blobs.health())
            .collect()
    }

    /// R2 state that lives in memory only.
    pub fn memory() -> Result<Self, R2Error> {
        Ok(Self {
            meta: Arc::new(SqliteMeta::open(None)?),
            blobs: Blobs::new(Arc::new(object_store::memory::InMemory::new())),
        })
    }

    /// Creates the bucket `name`; false when it exists already.
    pub async fn create_bucket(&self, name: &str) -> Result<bool, R2Error> {
        let meta = self.meta.clone();
        let name = name.to_string();
        blocking(move || meta.create_bucket(&name, now_ms())).await
    }

    pub async fn buckets(&self) -> Result<Vec<BucketInfo>, R2Error> {
        let meta = self.meta.clone();
        let list = blocking(move || meta.buckets()).await?;
        Ok(list
            .into_iter()
            .map(|(name, created)| BucketInfo { name, created })
            .collect())
    }

    /// Deletes the bucket `name`: Ok(None) when there was none, Ok(Some(n))
    /// with n > 0 when it holds n objects and was kept.
    pub async fn delete_bucket(&self, name: &str) -> Result<Option<u64>, R2Error> {
        let meta = self.meta.clone();
        let name = name.to_string();
        blocking(move || {
            if !meta.bucket_exists(&name)? {
                return Ok(None);
            }
            meta.delete_bucket(&name).map(Some)
        })
        .await
    }

    /// The bucket `name`, made if it does not exist (a binding's bucket
    /// exists from its first use, as in local development).
    pub fn bucket(&self, name: &str) -> Result<Bucket, R2Error> {
        self.meta.create_bucket(name, now_ms())?;
        Ok(Bucket {
            name: Arc::from(name),
            store: self.clone(),
        })
    }

    /// The bucket `name` if it exists.
    pub async fn existing_bucket(&self, name: &str) -> Result<Option<Bucket>, R2Error> {
        let meta = self.meta.clone();
        let owned = name.to_string();
        let exists = blocking(move || meta.bucket_exists(&owned)).await?;
        Ok(exists.then(|| Bucket {
            name: Arc::from(name),
            store: self.clone(),
        }))
    }
}

/// One bucket.
#[derive(Clone)]
pub struct Bucket {
    name: Arc<str>,
    store: R2Store,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bucket({})", self.name)
    }
}

impl Bucket {
    pub fn name(&self) -> &str {
        &self.name
    }

    async fn row(&self, key: &str) -> Result<Option<Row>, R2Error> {
        let meta = self.store.meta.clone();
        let (bucket, key) = (self.name.clone(), key.to_string());
        blocking(move || meta.object(&bucket, &key)).await
    }

    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, R2Error> {
        validate_key(key)?;
        Ok(self.row(key).await?.map(|row| row.info))
    }

    /// The object at `key`, or the part `options` asks for, if its
    /// conditions hold. None when there is no object.
    pub async fn get(&self, key: &str, options: GetOptions) -> Result<Option<Got>, R2Error> {
        validate_key(key)?;
        // A blob is removed only after the row that names it; should the
        // object be replaced between reading its row and opening its blob,
        // the new row names a blob that exists.
        for _ in 0..3 {
            let Some(row) = self.row(key).await? else {
                return Ok(None);
            };
            if let Some(only_if) = &options.only_if
                && !only_if.hold_for(Some(&row.info))
            {
                return Ok(Some(Got::Unmet(row.info)));
            }
            let range = match &options.range {
                Some(spec) => spec.resolve(row.info.size)?,
                None => 0..row.info.size,
            };
            let read = if range.is_empty() {
                Ok(Box::pin(futures::stream::empty()) as ByteStream)
            } else {
                self.store.blobs.read(&row.blob, Some(range.clone())).await
            };
            match read {
                Ok(body) => {
                    return Ok(Some(Got::Body {
                        info: row.info,
                        range,
                        body,
                    }));
                }
                Err(_) if self.row(key).await?.is_none_or(|now| now.blob != row.blob) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(R2Error::storage(format!(
            "{key} kept changing while it was read"
        )))
    }

    /// Writes `body` at `key`, if the conditions of `options` hold for the
    /// object there; None when they do not.
    pub async fn put<S>(
        &self,
        key: &str,
        options: PutOptions,
        body: S,
    ) -> Result<Option<ObjectInfo>, R2Error>
    where
        S: Stream<Item = Result<Bytes, String>> + Unpin,
    {
        validate_key(key)?;
        validate_metadata(&options.custom_metadata)?;
        // Conditions that fail now spare the write; they are checked again
        // when the object is recorded, against whatever is there then.
        if let Some(only_if) = &options.only_if
            && !only_if.hold_for(self.row(key).await?.as_ref().map(|row| &row.info))
        {
            return Ok(None);
        }
        let version = random_id();
        let digests = Digests::for_checking(&options.checksums);
        let written = self
            .store
            .blobs
            .write(&version, body, MAX_PUT_BYTES, digests)
            .await?;
        let (_, checksums) = written.digests.finish();
        if let Err(error) = check_digests(&options.checksums, &checksums) {
            self.store.blobs.remove([version]).await;
            return Err(error);
        }
        let kept = Checksums {
            md5: checksums.md5.clone(),
            ..options_checksums(&options.checksums, &checksums)
        };
        let row = Row {
            info: ObjectInfo {
                key: key.to_string(),
                etag: checksums.md5.clone().unwrap_or_default(),
                version: version.clone(),
                size: written.size,
                uploaded: now_ms(),
                http_metadata: options.http_metadata,
                custom_metadata: options.custom_metadata,
                checksums: kept,
            },
            blob: version.clone(),
        };
        self.record(row, options.only_if).await
    }

    /// Records `row` in place of the object at its key if `only_if` holds
    /// for that object, and removes the blobs no longer needed.
    async fn record(
        &self,
        row: Row,
        only_if: Option<Conditions>,
    ) -> Result<Option<ObjectInfo>, R2Error> {
        let meta = self.store.meta.clone();
        let bucket = self.name.clone();
        let (written, row, replaced) = blocking(move || {
            let (written, replaced) = meta.replace(&bucket, &row, only_if.as_ref())?;
            Ok((written, row, replaced))
        })
        .await?;
        if !written {
            self.store.blobs.remove([row.blob]).await;
            return Ok(None);
        }
        self.store.blobs.remove(replaced).await;
        Ok(Some(row.info))
    }

    /// Deletes the objects at `keys`; absent ones are no error.
    pub async fn delete(&self, keys: Vec<String>) -> Result<(), R2Error> {
        if keys.iter().any(|key| validate_key(key).is_err()) {
            return Err(INVALID_OBJECT_NAME);
        }
        let meta = self.store.meta.clone();
        let bucket = self.name.clone();
        let blobs = blocking(move || meta.delete(&bucket, &keys)).await?;
        self.store.blobs.remove(blobs).await;
        Ok(())
    }

    /// One page of the objects whose keys start with `options.prefix`, in
    /// key order, with the keys past a delimiter rolled up into prefixes.
    pub async fn list(&self, options: ListOptions) -> Result<ListPage, R2Error> {
        let limit = list_limit(options.limit)?;
        let meta = self.store.meta.clone();
        let bucket = self.name.clone();
        blocking(move || list(&meta, &bucket, &options, limit)).await
    }
}

/// The checksums a `put` was given, with the values computed.
fn options_checksums(given: &Checksums, computed: &Checksums) -> Checksums {
    let pick = |want: &Option<String>, got: &Option<String>| want.as_ref().and(got.clone());
    Checksums {
        md5: None,
        sha1: pick(&given.sha1, &computed.sha1),
        sha256: pick(&given.sha256, &computed.sha256),
        sha384: pick(&given.sha384, &computed.sha384),
        sha512: pick(&given.sha512, &computed.sha512),
    }
}

/// R2's error for the first given checksum the bytes do not have.
fn check_digests(given: &Checksums, computed: &Checksums) -> Result<(), R2Error> {
    let pairs = [
        ("MD5", &given.md5, &computed.md5),
        ("SHA-1", &given.sha1, &computed.sha1),
        ("SHA-256", &given.sha256, &computed.sha256),
        ("SHA-384", &given.sha384, &computed.sha384),
        ("SHA-512", &given.sha512, &computed.sha512),
    ];
    for (algorithm, want, got) in pairs {
        if let (Some(want), Some(got)) = (want, got)
            && want.to_ascii_lowercase() != *got
        {
            return Err(bad_digest(algorithm, &want.to_ascii_lowercase(), got));
        }
    }
    Ok(())
}

/// The smallest string greater than every string that starts with
/// `prefix` (None when there is none): where a rolled-up prefix ends.
fn past_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A cursor is where the next page starts, encoded.
fn encode_cursor(from: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(from)
}

fn decode_cursor(cursor: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// The smallest string greater than `key`.
fn after(key: &str) -> String {
    format!("{key}\0")
}

fn list(
    meta: &Meta,
    bucket: &str,
    options: &ListOptions,
    limit: usize,
) -> Result<ListPage, R2Error> {
    let prefix = options.prefix.as_str();
    let below = past_prefix(prefix);
    // A cursor and `startAfter` both say where to start: the later wins.
    let mut from = [
        Some(prefix.to_string()),
        options.cursor.as_deref().and_then(decode_cursor),
        options.start_after.as_deref().map(after),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or_default();
    let delimiter = options.delimiter.as_deref().filter(|d| !d.is_empty());
    let mut page = ListPage::default();
    loop {
        let wanted = limit + 1 - page.objects.len() - page.delimited_prefixes.len();
        let batch = meta.scan(bucket, &from, below.as_deref(), wanted)?;
        let short = batch.len() < wanted;
        let mut rolled_up = false;
        for object in batch {
            if page.objects.len() + page.delimited_prefixes.len() == limit {
                page.truncated = true;
                page.cursor = Some(encode_cursor(&from));
                return Ok(page);
            }
            let rolled = delimiter.and_then(|d| {
                let at = object.key[prefix.len()..].find(d)?;
                Some(object.key[..prefix.len() + at + d.len()].to_string())
            });
            match rolled {
                // Every other key under this prefix is skipped.
                Some(rolled) => {
                    let Some(next) = past_prefix(&rolled) else {
                        page.delimited_prefixes.push(rolled);
                        return Ok(page);
                    };
                    from = next;
                    page.delimited_prefixes.push(rolled);
                    rolled_up = true;
                    break;
                }
                None => {
                    from = after(&object.key);
                    page.objects.push(object);
                }
            }
        }
        if short && !rolled_up {
            return Ok(page);
        }
    }
}
