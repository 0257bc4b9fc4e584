//! What R2 knows about objects, apart from their bytes: buckets, each
//! object's row (size, etag, metadata, checksums, and the blob that holds
//! its bytes), and multipart uploads with their parts. A row is written
//! only once its blob is complete, in one transaction with the removal of
//! the row it replaces, so a reader sees the old object or the new one,
//! never a torn one.
//!
//! One host keeps them in SQLite ([`sqlite`]); hosts that share a bucket
//! keep them in their shared PostgreSQL database (`crate::postgres`).

pub(super) mod sqlite;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::{Conditions, HttpMetadata, ObjectInfo, R2Error};
use crate::health::BackendHealth;

/// An object's row: what JS sees, and where its bytes are.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub info: ObjectInfo,
    pub blob: String,
}

/// A multipart upload's row.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub bucket: String,
    pub key: String,
    pub http_metadata: HttpMetadata,
    pub custom_metadata: BTreeMap<String, String>,
    pub state: UploadState,
}

/// Where a multipart upload is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UploadState {
    Open = 0,
    Completed = 1,
    Aborted = 2,
}

impl UploadState {
    pub(crate) fn from_column(value: i64) -> Self {
        match value {
            0 => Self::Open,
            1 => Self::Completed,
            _ => Self::Aborted,
        }
    }
}

/// One uploaded part.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    pub md5: Vec<u8>,
    pub blob: String,
}

/// Where the rows live. Calls block: the store makes them on the blocking
/// pool.
pub(crate) trait MetaBackend: Send + Sync {
    /// Creates `name`; false when it exists already.
    fn create_bucket(&self, name: &str, now: i64) -> Result<bool, R2Error>;

    /// Every bucket, by name, with when it was made.
    fn buckets(&self) -> Result<Vec<(String, i64)>, R2Error>;

    fn bucket_exists(&self, name: &str) -> Result<bool, R2Error>;

    /// Deletes an empty bucket; how many objects it holds otherwise
    /// (and then deletes nothing).
    fn delete_bucket(&self, name: &str) -> Result<u64, R2Error>;

    fn object(&self, bucket: &str, key: &str) -> Result<Option<Row>, R2Error>;

    /// Writes `new` in place of the object at its key, if `only_if` holds
    /// for the one there now (absent counts); returns whether it was
    /// written and the blob of the object it replaced.
    fn replace(
        &self,
        bucket: &str,
        new: &Row,
        only_if: Option<&Conditions>,
    ) -> Result<(bool, Option<String>), R2Error>;

    /// Deletes the objects at `keys`; returns the blobs they held.
    fn delete(&self, bucket: &str, keys: &[String]) -> Result<Vec<String>, R2Error>;

    /// Up to `limit` objects of `bucket` whose key is at least `from` and
    /// below `below` (when given), in the order of their UTF-8 bytes.
    fn scan(
        &self,
        bucket: &str,
        from: &str,
        below: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ObjectInfo>, R2Error>;

    fn create_upload(&self, id: &str, upload: &Upload, now: i64) -> Result<(), R2Error>;

    fn upload(&self, id: &str) -> Result<Option<Upload>, R2Error>;

    /// Records `part` of upload `id`, if the upload is still open; returns
    /// the blob of the part it replaces. None when the upload is gone.
    fn put_part(&self, id: &str, part: &Part) -> Result<Option<Option<String>>, R2Error>;

    /// The parts of upload `id`, by number.
    fn parts(&self, id: &str) -> Result<Vec<Part>, R2Error>;

    /// Closes the open upload `id` as `state`, forgetting its parts, and,
    /// when `object` is given, writes it in the same transaction. Returns
    /// the blobs no longer referenced (its parts, and the object replaced),
    /// or None when the upload was not open.
    fn close_upload(
        &self,
        id: &str,
        state: UploadState,
        object: Option<(&str, &Row)>,
    ) -> Result<Option<Vec<String>>, R2Error>;

    /// Every blob some row refers to, for sweeping the ones none does.
    fn referenced_blobs(&self) -> Result<HashSet<String>, R2Error>;

    /// How a networked backend has answered, for `isola stats`.
    fn health(&self) -> Option<BackendHealth> {
        None
    }
}

/// The rows of one R2 state.
pub(super) type Meta = Arc<dyn MetaBackend>;

/// Serialises metadata for a text column.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

/// Reads metadata back from a text column.
pub(crate) fn parse<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}
