//! What KV needs from a database: encoded entries by namespace and key,
//! nothing more. Cloudflare's rules, expirations, metadata and cursors are
//! [`Namespace`](super::Namespace)'s business, above this trait, so every
//! backend behaves alike; a backend only keeps bytes, in order, durably.

use std::ops::Bound;

use crate::error::StoreError;
use crate::health::BackendHealth;

/// What [`KvBackend::scan`] calls with each key and its bytes: whether to
/// go on.
pub type Visit<'a> = dyn FnMut(&str, &[u8]) -> Result<bool, StoreError> + 'a;

/// Raw storage for KV: per namespace, an ordered map from key to the bytes
/// of an encoded [`Entry`](super::Entry).
///
/// A backend must keep keys ordered by their UTF-8 bytes (Cloudflare's
/// order, which `list` pages and cursors rely on), make every write durable
/// before returning, and keep namespaces apart. A namespace exists as soon
/// as it is named.
pub trait KvBackend: Send + Sync {
    /// The bytes stored under `key`, if any.
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores every pair, replacing what was there: all of them or none.
    fn put(&self, namespace: &str, entries: Vec<(&str, Vec<u8>)>) -> Result<(), StoreError>;

    /// Removes `key`; a key that is not there is no error.
    fn delete(&self, namespace: &str, key: &str) -> Result<(), StoreError>;

    /// Stores `new` under `key` only if its bytes are still `expected`
    /// (None: only if the key is absent), atomically and durably; whether
    /// it did.
    fn swap(
        &self,
        namespace: &str,
        key: &str,
        expected: Option<&[u8]>,
        new: Vec<u8>,
    ) -> Result<bool, StoreError>;

    /// Calls `visit` with each pair whose key starts with `prefix` and sorts
    /// after `after` (from the first such key when None), in ascending
    /// order, until `visit` returns false or fails, or the keys run out.
    /// Pairs are visited one at a time, so a long scan of large values need
    /// not hold them all.
    fn scan(
        &self,
        namespace: &str,
        prefix: &str,
        after: Option<&str>,
        visit: &mut Visit<'_>,
    ) -> Result<(), StoreError>;

    /// Removes, from every namespace, each entry whose bytes `pick` accepts
    /// (unless it is rewritten meanwhile), and returns how many. At `pick`'s
    /// first error it stops and returns that; what it removed may stay so.
    fn remove_where(
        &self,
        pick: &dyn Fn(&[u8]) -> Result<bool, StoreError>,
    ) -> Result<usize, StoreError>;

    /// Ends writing, for good, as the host stops: what is stored is made
    /// checkable at the next open (see `crate::integrity`). Writes after it
    /// fail. A backend that keeps nothing has nothing to seal.
    fn seal(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// How a networked backend is doing; None for one in this host.
    fn health(&self) -> Option<BackendHealth> {
        None
    }
}

/// Where a [`KvBackend::scan`] starts: after `after` when it is given and
/// not before `prefix`, else at `prefix`.
pub(crate) fn scan_start<'a>(prefix: &'a str, after: Option<&'a str>) -> Bound<&'a str> {
    match after {
        Some(after) if after >= prefix => Bound::Excluded(after),
        _ => Bound::Included(prefix),
    }
}
