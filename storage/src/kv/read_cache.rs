//! What one host remembers of KV reads from a backend that other hosts
//! share: Cloudflare's consistency model, where a read may be answered
//! from the location's cache for `cacheTtl` seconds (60 unless the Worker
//! says otherwise), so another location's write shows within that time.
//!
//! This host's own writes go through the cache (a put stores what it
//! wrote, a delete remembers the absence), so they are visible to its next
//! read at once; a read that overlapped a write of this host is not
//! remembered, since it may have fetched what the write replaced. Absent keys are remembered too, as Cloudflare does.
//! Memory is bounded by [`CAPACITY_BYTES`]; values are evicted by
//! `quick_cache`'s policy before that is exceeded.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// How long a read is remembered when neither the Worker (`cacheTtl`) nor
/// the host config says: Cloudflare's default `cacheTtl`.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);

/// Bytes of keys and values one host keeps, in all.
const CAPACITY_BYTES: u64 = 64 << 20;

/// Entries the cache is sized for (it holds fewer when they are large).
const ESTIMATED_ENTRIES: usize = 16_384;

/// A read remembered: the stored bytes (None: absent) and until when.
#[derive(Clone)]
struct Remembered {
    bytes: Option<Vec<u8>>,
    until: Instant,
}

/// Weighs an entry by its key's and value's bytes.
#[derive(Clone)]
struct ByBytes;

impl Weighter<(String, String), Remembered> for ByBytes {
    fn weight(&self, (namespace, key): &(String, String), read: &Remembered) -> u64 {
        let value = read.bytes.as_ref().map_or(0, Vec::len);
        (namespace.len() + key.len() + value + 64) as u64
    }
}

/// Reads remembered per namespace and key.
pub(crate) struct ReadCache {
    reads: Cache<(String, String), Remembered, ByBytes>,
    /// How long a read is remembered when the Worker does not say.
    default_ttl: Duration,
    /// Writes this host made so far: a read that overlapped one may have
    /// fetched what it replaced, and is not remembered.
    writes: AtomicU64,
}

impl ReadCache {
    pub(crate) fn new(default_ttl: Duration) -> Self {
        Self {
            reads: Cache::with_weighter(ESTIMATED_ENTRIES, CAPACITY_BYTES, ByBytes),
            default_ttl,
            writes: AtomicU64::new(0),
        }
    }

    /// A mark to give [`remember_read`](Self::remember_read), taken before
    /// the read goes to the backend.
    pub(crate) fn before_read(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// What was read (or written here) under `key` within its time to
    /// live: `Some(None)` for a key known to be absent.
    pub(crate) fn recall(&self, namespace: &str, key: &str) -> Option<Option<Vec<u8>>> {
        let remembered = self.reads.get(&(namespace.to_string(), key.to_string()))?;
        (remembered.until > Instant::now()).then_some(remembered.bytes)
    }

    /// Remembers that a read found `bytes` under `key` (None: nothing),
    /// for `ttl` seconds (the host's default when None), unless this host
    /// wrote since `mark` (from [`before_read`](Self::before_read)): then
    /// the read may have found what the write replaced.
    pub(crate) fn remember_read(
        &self,
        namespace: &str,
        key: &str,
        bytes: Option<Vec<u8>>,
        ttl: Option<u64>,
        mark: u64,
    ) {
        let ttl = ttl.map_or(self.default_ttl, Duration::from_secs);
        self.insert(namespace, key, bytes, ttl);
        // A write that came in between may have been overwritten just now:
        // the next read asks the backend instead.
        if self.writes.load(Ordering::SeqCst) != mark {
            self.forget(namespace, key);
        }
    }

    /// Remembers what this host just wrote under `key` (None: removed).
    pub(crate) fn remember_write(&self, namespace: &str, key: &str, bytes: Option<Vec<u8>>) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.insert(namespace, key, bytes, self.default_ttl);
    }

    fn insert(&self, namespace: &str, key: &str, bytes: Option<Vec<u8>>, ttl: Duration) {
        let until = Instant::now() + ttl;
        self.reads.insert(
            (namespace.to_string(), key.to_string()),
            Remembered { bytes, until },
        );
    }

    /// Forgets `key`: the next read asks the backend.
    pub(crate) fn forget(&self, namespace: &str, key: &str) {
        self.reads.remove(&(namespace.to_string(), key.to_string()));
    }

    /// Forgets every read.
    pub(crate) fn forget_all(&self) {
        self.reads.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_overlapped_a_write_here_is_not_remembered() {
        let cache = ReadCache::new(Duration::from_secs(60));
        let mark = cache.before_read();
        cache.remember_write("n", "k", Some(b"new".to_vec()));
        cache.remember_read("n", "k", Some(b"old".to_vec()), None, mark);
        assert_ne!(cache.recall("n", "k"), Some(Some(b"old".to_vec())));

        let mark = cache.before_read();
        cache.remember_read("n", "k", Some(b"new".to_vec()), None, mark);
        assert_eq!(cache.recall("n", "k"), Some(Some(b"new".to_vec())));
        cache.remember_read("n", "absent", None, Some(30), cache.before_read());
        assert_eq!(
            cache.recall("n", "absent"),
            Some(None),
            "absence is remembered"
        );
        assert_eq!(cache.recall("n", "never"), None);
    }
}
