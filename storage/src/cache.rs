//! The Cache API's storage: responses by cache name and URL. Which
//! responses may be stored, and for how long, is the bindings' business;
//! this keeps what it is given until it expires.
//!
//! Caches are reached through a [`KvStore`](crate::KvStore) and share its
//! backend: beside KV in its sled database (one state directory, one lock),
//! or in memory. An entry's bytes: the head's length (u32, little endian),
//! the head as JSON (status, headers, Vary'd request headers, expiry), then
//! the body.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// Raw storage for caches: per cache name, encoded responses by URL.
///
/// A backend must keep caches apart and make every `put` and every
/// `delete` that removed something durable before returning. It never looks
/// inside an entry: expiry is [`Cache`]'s business.
pub trait CacheBackend: Send + Sync {
    /// The bytes stored for `url`, if any.
    fn get(&self, cache: &str, url: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores `entry` for `url`, replacing what was there.
    fn put(&self, cache: &str, url: &str, entry: Vec<u8>) -> Result<(), StoreError>;

    /// Removes the entry for `url` (when `expected` is given, only if its
    /// bytes still are those); whether one was removed.
    fn delete(&self, cache: &str, url: &str, expected: Option<&[u8]>) -> Result<bool, StoreError>;
}

/// A stored response and what it was stored under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The request headers the response varies on, with the values they had
    /// when it was stored (None: the header was absent).
    pub vary: Vec<(String, Option<String>)>,
    /// Milliseconds since the epoch after which the entry is gone.
    pub expires_ms: u64,
    #[serde(skip)]
    pub body: Vec<u8>,
}

impl CachedResponse {
    fn encode(&self) -> Result<Vec<u8>, StoreError> {
        let head = serde_json::to_vec(self).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut bytes = Vec::with_capacity(4 + head.len() + self.body.len());
        bytes.extend_from_slice(&(head.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&head);
        bytes.extend_from_slice(&self.body);
        Ok(bytes)
    }

    fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt("a cache entry is truncated".into());
        let len = bytes.get(..4).ok_or_else(corrupt)?;
        let len = u32::from_le_bytes(len.try_into().map_err(|_| corrupt())?) as usize;
        let head = bytes.get(4..4 + len).ok_or_else(corrupt)?;
        let mut response: Self =
            serde_json::from_slice(head).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        response.body = bytes[4 + len..].to_vec();
        Ok(response)
    }
}

/// One named cache (`caches.default`, `caches.open(name)`).
#[derive(Clone)]
pub struct Cache {
    backend: Arc<dyn CacheBackend>,
    name: String,
}

impl Cache {
    pub(crate) fn new(backend: Arc<dyn CacheBackend>, name: &str) -> Self {
        Self {
            backend,
            name: name.to_string(),
        }
    }

    /// The response stored for `url`, unless it expired before `now_ms`.
    pub fn get(&self, url: &str, now_ms: u64) -> Result<Option<CachedResponse>, StoreError> {
        let Some(bytes) = self.backend.get(&self.name, url)? else {
            return Ok(None);
        };
        let response = CachedResponse::decode(&bytes)?;
        if response.expires_ms <= now_ms {
            // Only if nobody stored it again meanwhile.
            self.backend.delete(&self.name, url, Some(&bytes))?;
            return Ok(None);
        }
        Ok(Some(response))
    }

    /// Stores `response` for `url`, replacing what was there, durably.
    pub fn put(&self, url: &str, response: &CachedResponse) -> Result<(), StoreError> {
        self.backend.put(&self.name, url, response.encode()?)
    }

    /// Removes the response for `url`, durably; whether there was one.
    pub fn delete(&self, url: &str) -> Result<bool, StoreError> {
        self.backend.delete(&self.name, url, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KvStore;
    use crate::memory::MemoryStore;
    use crate::sled_db::SledDb;
    use crate::test_support::{on_every_backend, open_sled, reopen};

    fn response(expires_ms: u64) -> CachedResponse {
        CachedResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            vary: vec![("accept".into(), None)],
            expires_ms,
            body: b"cached body".to_vec(),
        }
    }

    on_every_backend! {
        fn responses_are_kept_until_they_expire(store: KvStore) {
            let cache = store.cache("default").unwrap();
            assert_eq!(cache.get("https://a/x", 0).unwrap(), None);
            cache.put("https://a/x", &response(2_000)).unwrap();
            assert_eq!(cache.get("https://a/x", 1_999).unwrap(), Some(response(2_000)));
            assert_eq!(cache.get("https://a/x", 2_000).unwrap(), None);
            assert!(
                !cache.delete("https://a/x").unwrap(),
                "expired entries are removed as they are found"
            );
        }

        fn a_put_replaces_and_a_delete_says_whether_there_was_one(store: KvStore) {
            let cache = store.cache("default").unwrap();
            cache.put("https://a/x", &response(2_000)).unwrap();
            let newer = CachedResponse {
                status: 404,
                body: Vec::new(),
                ..response(5_000)
            };
            cache.put("https://a/x", &newer).unwrap();
            assert_eq!(cache.get("https://a/x", 3_000).unwrap(), Some(newer));
            assert!(cache.delete("https://a/x").unwrap());
            assert!(!cache.delete("https://a/x").unwrap());
            assert_eq!(cache.get("https://a/x", 0).unwrap(), None);
        }

        fn caches_are_apart_from_each_other_and_from_kv(store: KvStore) {
            let cache = store.cache("default").unwrap();
            cache.put("k", &response(2_000)).unwrap();
            let other = store.cache("other").unwrap();
            assert_eq!(other.get("k", 0).unwrap(), None);
            assert!(!other.delete("k").unwrap());
            assert!(store.namespace("default").unwrap().get("k", 0).unwrap().is_none());
            assert_eq!(store.sweep_expired(u64::MAX).unwrap(), 0);
            assert_eq!(store.cache("default").unwrap().get("k", 0).unwrap(), Some(response(2_000)));
        }
    }

    /// Removing an expired entry must not remove one stored meanwhile.
    #[test]
    fn backends_delete_only_what_was_expected() {
        let dir = tempfile::tempdir().unwrap();
        let backends: [(&str, Box<dyn CacheBackend>); 2] = [
            ("memory", Box::new(MemoryStore::default())),
            (
                "sled",
                Box::new(SledDb::open(&dir.path().join("kv")).unwrap()),
            ),
        ];
        for (name, backend) in backends {
            assert!(!backend.delete("c", "u", None).unwrap(), "{name}");
            backend.put("c", "u", b"new".to_vec()).unwrap();
            assert!(!backend.delete("c", "u", Some(b"old")).unwrap(), "{name}");
            assert_eq!(
                backend.get("c", "u").unwrap().as_deref(),
                Some(&b"new"[..]),
                "{name}"
            );
            assert!(backend.delete("c", "u", Some(b"new")).unwrap(), "{name}");
            assert_eq!(backend.get("c", "u").unwrap(), None, "{name}");
        }
    }

    #[test]
    fn responses_survive_reopening_in_the_same_sled_layout() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = KvStore::open(dir.path()).unwrap();
            store
                .cache("default")
                .unwrap()
                .put("https://a/x", &response(2_000))
                .unwrap();
        }
        {
            // A tree `cache:<name>` per cache, beside the KV namespaces.
            let db = open_sled(dir.path());
            let tree = db.open_tree("cache:default").unwrap();
            let bytes = tree.get("https://a/x").unwrap().unwrap();
            assert_eq!(CachedResponse::decode(&bytes).unwrap(), response(2_000));
            tree.insert("https://a/y", response(3_000).encode().unwrap())
                .unwrap();
            db.flush().unwrap();
        }
        let store = reopen(dir.path());
        let cache = store.cache("default").unwrap();
        assert_eq!(
            cache.get("https://a/x", 1_000).unwrap(),
            Some(response(2_000))
        );
        assert_eq!(
            cache.get("https://a/y", 1_000).unwrap(),
            Some(response(3_000))
        );
        assert_eq!(cache.get("https://a/x", 2_000).unwrap(), None);
        drop((cache, store));
        let store = reopen(dir.path());
        assert!(
            !store
                .cache("default")
                .unwrap()
                .delete("https://a/x")
                .unwrap(),
            "removed when found expired, durably"
        );
    }
}
