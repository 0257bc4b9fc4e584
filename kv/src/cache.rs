//! The Cache API's storage: responses by URL, a sled tree per cache name in
//! the KV store's database (so both share one state directory and lock).
//! Which responses may be stored, and for how long, is the bindings'
//! business; this keeps what it is given until it expires.
//!
//! An entry's bytes: the head's length (u32, little endian), the head as
//! JSON (status, headers, Vary'd request headers, expiry), then the body.

use serde::{Deserialize, Serialize};

use crate::kv::StoreError;

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
    pub(crate) tree: sled::Tree,
}

impl Cache {
    /// The response stored for `url`, unless it expired before `now_ms`.
    pub fn get(&self, url: &str, now_ms: u64) -> Result<Option<CachedResponse>, StoreError> {
        let Some(bytes) = self.tree.get(url)? else {
            return Ok(None);
        };
        let response = CachedResponse::decode(&bytes)?;
        if response.expires_ms <= now_ms {
            // Only if nobody stored it again meanwhile.
            let _ = self
                .tree
                .compare_and_swap(url, Some(bytes), None::<&[u8]>)?;
            return Ok(None);
        }
        Ok(Some(response))
    }

    /// Stores `response` for `url`, replacing what was there, durably.
    pub fn put(&self, url: &str, response: &CachedResponse) -> Result<(), StoreError> {
        self.tree.insert(url, response.encode()?)?;
        self.tree.flush()?;
        Ok(())
    }

    /// Removes the response for `url`, durably; whether there was one.
    pub fn delete(&self, url: &str) -> Result<bool, StoreError> {
        let removed = self.tree.remove(url)?.is_some();
        self.tree.flush()?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KvStore;

    fn response(expires_ms: u64) -> CachedResponse {
        CachedResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            vary: vec![("accept".into(), None)],
            expires_ms,
            body: b"cached body".to_vec(),
        }
    }

    #[test]
    fn responses_persist_until_they_expire() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = KvStore::open(dir.path()).unwrap();
            let cache = store.cache("default").unwrap();
            cache.put("https://a/x", &response(2_000)).unwrap();
            assert!(
                store
                    .cache("other")
                    .unwrap()
                    .get("https://a/x", 0)
                    .unwrap()
                    .is_none()
            );
        }
        let store = KvStore::open(dir.path()).unwrap();
        let cache = store.cache("default").unwrap();
        assert_eq!(
            cache.get("https://a/x", 1_000).unwrap(),
            Some(response(2_000))
        );
        assert_eq!(cache.get("https://a/x", 2_000).unwrap(), None);
        // Expired entries are removed as they are found.
        assert!(!cache.delete("https://a/x").unwrap());
        cache.put("https://a/y", &response(2_000)).unwrap();
        assert!(cache.delete("https://a/y").unwrap());
    }
}
