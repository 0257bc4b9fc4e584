//! Workers KV: Cloudflare's rules, expirations, metadata and `list`
//! cursors, over a [`KvBackend`] that only keeps bytes: sled in a state
//! directory, or memory.
//!
//! Keys sort by their UTF-8 bytes, as on Cloudflare. An entry past its
//! expiration is invisible at once (reads and lists skip it) and is removed
//! later by [`KvStore::sweep_expired`]. A `list` cursor is the last key of
//! the page, encoded: the next page starts after it, so pages stay correct
//! while keys are added or deleted between them. Writes are durable before
//! they return, so an acknowledged write survives a crash.

mod atomic;
mod backend;
mod command;
mod entry;
mod read_cache;
mod validate;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use crate::error::StoreError;
pub use atomic::{IncrementError, Version};
pub(crate) use backend::scan_start;
pub use backend::{KvBackend, Visit};
pub use command::{BulkPair, KvCommand, KvOutput, ListedKeyJson};
pub use entry::Entry;
pub use validate::{KvError, validate_bulk_get, validate_cache_ttl};
use validate::{MAX_KEY_BYTES, list_limit, validate_key, validate_put};

use crate::cache::{Cache, CacheBackend};
use crate::claims::Claims;
use crate::signals::Signals;
pub use read_cache::DEFAULT_CACHE_TTL;
use read_cache::ReadCache;

/// All KV namespaces of one state directory (or of memory only), and the
/// Cache API's caches beside them.
#[derive(Clone)]
pub struct KvStore {
    kv: Arc<dyn KvBackend>,
    caches: Arc<dyn CacheBackend>,
    /// The reads this host remembers, for a backend other hosts share
    /// (see `read_cache`); None where every read asks the backend.
    reads: Option<Arc<ReadCache>>,
    /// Scheduled events claimed in the same database, where it is shared.
    claims: Claims,
    signals: Signals,
}

impl KvStore {
    /// A store over `kv` for namespaces and `caches` for the Cache API
    /// (the backends in `sled_db` and `memory` open one).
    pub(crate) fn new(kv: Arc<dyn KvBackend>, caches: Arc<dyn CacheBackend>) -> Self {
        Self {
            kv,
            caches,
            reads: None,
            claims: Claims::default(),
            signals: Signals::default(),
        }
    }

    /// This store, with scheduled events claimed in `claims`.
    pub(crate) fn claiming_in(self, claims: Claims) -> Self {
        Self { claims, ..self }
    }

    /// Where this host claims scheduled events: in the shared database
    /// where KV is one, else nowhere to contend.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// This store, with hosts signalling one another in `signals`.
    pub(crate) fn signalling_in(self, signals: Signals) -> Self {
        Self { signals, ..self }
    }

    /// How this host signals the others: through the shared database
    /// where KV is one, else not at all.
    pub fn signals(&self) -> &Signals {
        &self.signals
    }

    /// This store, remembering reads for `ttl` unless a Worker's
    /// `cacheTtl` says otherwise; a zero `ttl` remembers nothing.
    pub(crate) fn remembering_reads(self, ttl: std::time::Duration) -> Self {
        Self {
            reads: (!ttl.is_zero()).then(|| Arc::new(ReadCache::new(ttl))),
            ..self
        }
    }

    /// Ends writing to KV and the Cache API as the host stops, so that the
    /// next start can check what it finds (see [`KvBackend::seal`]).
    pub fn seal(&self) -> Result<(), StoreError> {
        self.kv.seal()
    }

    /// How the backend is doing, where it is a networked one.
    pub fn health(&self) -> Option<crate::BackendHealth> {
        self.kv.health()
    }

    /// The namespace with id `id`.
    pub fn namespace(&self, id: &str) -> Result<Namespace, StoreError> {
        Ok(Namespace {
            backend: self.kv.clone(),
            reads: self.reads.clone(),
            id: id.to_string(),
        })
    }

    /// The Cache API's cache named `name`. Caches live in the same backend
    /// as the namespaces, apart from them.
    pub fn cache(&self, name: &str) -> Result<Cache, StoreError> {
        Ok(Cache::new(self.caches.clone(), name))
    }

    /// Removes entries that expired before `now` (seconds since the epoch)
    /// from every namespace; returns how many.
    pub fn sweep_expired(&self, now: u64) -> Result<usize, StoreError> {
        let removed = self.kv.remove_where(&|bytes| {
            let (expiration, _, _) = Entry::decode_head(bytes)?;
            Ok(expiration.is_some_and(|at| at <= now))
        })?;
        if let Some(reads) = self.reads.as_ref().filter(|_| removed > 0) {
            // Which keys went is not known here; none of them may linger.
            reads.forget_all();
        }
        Ok(removed)
    }
}

/// One KV namespace.
#[derive(Clone)]
pub struct Namespace {
    backend: Arc<dyn KvBackend>,
    reads: Option<Arc<ReadCache>>,
    id: String,
}

/// One key in a `list` page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    pub name: String,
    pub expiration: Option<u64>,
    pub metadata: Option<String>,
}

/// A page of `list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    pub keys: Vec<ListedKey>,
    /// Where the next page starts; None when this is the last page.
    pub cursor: Option<String>,
}

impl Namespace {
    /// The entry under `key`, unless absent or expired at `now`.
    pub fn get(&self, key: &str, now: u64) -> Result<Option<Entry>, StoreError> {
        self.get_cached(key, now, None)
    }

    /// [`get`](Self::get), which may answer from what this host read
    /// within `cache_ttl` seconds (the host's default when None), where
    /// the store remembers reads.
    pub fn get_cached(
        &self,
        key: &str,
        now: u64,
        cache_ttl: Option<u64>,
    ) -> Result<Option<Entry>, StoreError> {
        let stored = match &self.reads {
            None => self.backend.get(&self.id, key)?,
            Some(reads) => match reads.recall(&self.id, key) {
                Some(remembered) => remembered,
                None => {
                    let mark = reads.before_read();
                    let stored = self.backend.get(&self.id, key)?;
                    reads.remember_read(&self.id, key, stored.clone(), cache_ttl, mark);
                    stored
                }
            },
        };
        let Some(bytes) = stored else {
            return Ok(None);
        };
        let entry = Entry::decode(bytes)?;
        Ok(entry.expiration.is_none_or(|at| at > now).then_some(entry))
    }

    /// Stores `entry` under `key` and makes it durable before returning.
    pub fn put(&self, key: &str, entry: &Entry) -> Result<(), StoreError> {
        let bytes = entry.encode();
        self.backend.put(&self.id, vec![(key, bytes.clone())])?;
        self.remember(key, Some(bytes));
        Ok(())
    }

    /// Stores every entry of `entries` at once, durably.
    pub fn put_many(&self, entries: &[(String, Entry)]) -> Result<(), StoreError> {
        let encoded: Vec<(&str, Vec<u8>)> = entries
            .iter()
            .map(|(key, entry)| (key.as_str(), entry.encode()))
            .collect();
        self.backend.put(&self.id, encoded.clone())?;
        for (key, bytes) in encoded {
            self.remember(key, Some(bytes));
        }
        Ok(())
    }

    /// Removes `key` (a key that is not there is no error) durably.
    pub fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.backend.delete(&self.id, key)?;
        self.remember(key, None);
        Ok(())
    }

    /// Remembers what this host just wrote under `key` (None: removed), so
    /// that its next read sees it.
    fn remember(&self, key: &str, bytes: Option<Vec<u8>>) {
        if let Some(reads) = &self.reads {
            reads.remember_write(&self.id, key, bytes);
        }
    }

    /// Up to `limit` keys starting with `prefix`, after `cursor`, skipping
    /// those expired at `now`.
    pub fn list(
        &self,
        prefix: &str,
        limit: usize,
        cursor: Option<&str>,
        now: u64,
    ) -> Result<ListPage, KvError> {
        let after = cursor.map(decode_cursor).transpose()?;
        let mut keys = Vec::with_capacity(limit.min(1024));
        let mut more = false;
        self.backend
            .scan(&self.id, prefix, after.as_deref(), &mut |key, bytes| {
                let (expiration, metadata, _) = Entry::decode_head(bytes)?;
                if expiration.is_some_and(|at| at <= now) {
                    return Ok(true);
                }
                if keys.len() == limit {
                    more = true;
                    return Ok(false);
                }
                keys.push(ListedKey {
                    name: key.to_string(),
                    expiration,
                    metadata: metadata.map(str::to_string),
                });
                Ok(true)
            })?;
        let cursor = match keys.last() {
            Some(last) if more => Some(encode_cursor(&last.name)),
            _ => None,
        };
        Ok(ListPage { keys, cursor })
    }
}

/// A `list` cursor: the page's last key, so the next page starts after it.
fn encode_cursor(last_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(last_key.as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<String, KvError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| KvError::InvalidCursor)?;
    String::from_utf8(bytes).map_err(|_| KvError::InvalidCursor)
}

/// A write as a Worker (or the command line) asks for it, not yet checked.
#[derive(Debug, Clone, Default)]
pub struct Put {
    pub value: Vec<u8>,
    /// Metadata as JSON text.
    pub metadata: Option<String>,
    /// Seconds since the epoch.
    pub expiration: Option<i64>,
    pub expiration_ttl: Option<i64>,
}

impl Put {
    /// The entry to store under `key`, if the write keeps KV's rules.
    pub fn check(self, key: &str, now: u64) -> Result<Entry, KvError> {
        let expiration = validate_put(
            key,
            self.value.len(),
            self.metadata.as_deref(),
            self.expiration,
            self.expiration_ttl,
            now,
        )?;
        Ok(Entry {
            value: self.value,
            metadata: self.metadata,
            expiration,
        })
    }
}

/// KV's verbs as Workers call them: arguments checked as workerd checks
/// them, then the store. JS Workers, Wasm guests and `isola kv` share them.
impl Namespace {
    pub fn read(&self, key: &str, now: u64) -> Result<Option<Entry>, KvError> {
        self.read_cached(key, now, None)
    }

    /// [`read`](Self::read) with a Worker's `cacheTtl` (checked here).
    pub fn read_cached(
        &self,
        key: &str,
        now: u64,
        cache_ttl: Option<i64>,
    ) -> Result<Option<Entry>, KvError> {
        validate_key(key, "GET")?;
        let cache_ttl = validate_cache_ttl(cache_ttl)?;
        Ok(self.get_cached(key, now, cache_ttl)?)
    }

    pub fn write(&self, key: &str, put: Put, now: u64) -> Result<(), KvError> {
        let entry = put.check(key, now)?;
        Ok(self.put(key, &entry)?)
    }

    pub fn remove(&self, key: &str) -> Result<(), KvError> {
        validate_key(key, "DELETE")?;
        Ok(self.delete(key)?)
    }

    /// A page of keys; `limit` as a Worker passes it (none or 0: 1000).
    pub fn list_page(
        &self,
        prefix: &str,
        limit: Option<i64>,
        cursor: Option<&str>,
        now: u64,
    ) -> Result<ListPage, KvError> {
        let limit = list_limit(limit)?;
        if prefix.len() > MAX_KEY_BYTES {
            return Err(KvError::KeyTooLong {
                method: "GET",
                len: prefix.len(),
            });
        }
        self.list(prefix, limit, cursor, now)
    }
}

#[cfg(test)]
mod tests;
