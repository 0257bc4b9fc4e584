//! KV and the Cache API in memory, for a host that persists nothing
//! (`--no-persist`) and for tests: ordered maps behind locks. Nothing
//! survives the process, so "durable" asks nothing more here.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::cache::CacheBackend;
use crate::error::StoreError;
use crate::kv::{KvBackend, KvStore, Visit, scan_start};

/// KV namespaces and caches that live as long as the process.
#[derive(Default)]
pub(crate) struct MemoryStore {
    /// Namespace id to its entries; `String` orders by UTF-8 bytes.
    namespaces: RwLock<HashMap<String, BTreeMap<String, Vec<u8>>>>,
    /// Cache name to its entries by URL.
    caches: Mutex<HashMap<String, HashMap<String, Vec<u8>>>>,
}

impl KvStore {
    /// A store that keeps nothing on disk.
    pub fn memory() -> Result<Self, StoreError> {
        let store = Arc::new(MemoryStore::default());
        Ok(Self::new(store.clone(), store))
    }
}

impl KvBackend for MemoryStore {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let namespaces = self
            .namespaces
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(namespaces
            .get(namespace)
            .and_then(|entries| entries.get(key).cloned()))
    }

    fn put(&self, namespace: &str, entries: Vec<(&str, Vec<u8>)>) -> Result<(), StoreError> {
        let mut namespaces = self
            .namespaces
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let stored = namespaces.entry(namespace.to_string()).or_default();
        for (key, bytes) in entries {
            stored.insert(key.to_string(), bytes);
        }
        Ok(())
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<(), StoreError> {
        let mut namespaces = self
            .namespaces
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(entries) = namespaces.get_mut(namespace) {
            entries.remove(key);
        }
        Ok(())
    }

    fn swap(
        &self,
        namespace: &str,
        key: &str,
        expected: Option<&[u8]>,
        new: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let mut namespaces = self
            .namespaces
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let stored = namespaces.entry(namespace.to_string()).or_default();
        if stored.get(key).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        stored.insert(key.to_string(), new);
        Ok(true)
    }

    fn scan(
        &self,
        namespace: &str,
        prefix: &str,
        after: Option<&str>,
        visit: &mut Visit<'_>,
    ) -> Result<(), StoreError> {
        let namespaces = self
            .namespaces
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(entries) = namespaces.get(namespace) else {
            return Ok(());
        };
        let start = scan_start(prefix, after);
        for (key, bytes) in entries.range::<str, _>((start, Bound::Unbounded)) {
            if !key.starts_with(prefix) || !visit(key, bytes)? {
                break;
            }
        }
        Ok(())
    }

    fn remove_where(
        &self,
        pick: &dyn Fn(&[u8]) -> Result<bool, StoreError>,
    ) -> Result<usize, StoreError> {
        // One lock for the whole sweep: nothing is rewritten meanwhile.
        let mut namespaces = self
            .namespaces
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut removed = 0;
        for entries in namespaces.values_mut() {
            let mut picked = Vec::new();
            for (key, bytes) in entries.iter() {
                if pick(bytes)? {
                    picked.push(key.clone());
                }
            }
            for key in picked {
                entries.remove(&key);
                removed += 1;
            }
        }
        Ok(removed)
    }
}

impl CacheBackend for MemoryStore {
    fn get(&self, cache: &str, url: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let caches = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(caches
            .get(cache)
            .and_then(|entries| entries.get(url).cloned()))
    }

    fn put(&self, cache: &str, url: &str, entry: Vec<u8>) -> Result<(), StoreError> {
        let mut caches = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        caches
            .entry(cache.to_string())
            .or_default()
            .insert(url.to_string(), entry);
        Ok(())
    }

    fn delete(&self, cache: &str, url: &str, expected: Option<&[u8]>) -> Result<bool, StoreError> {
        let mut caches = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entries) = caches.get_mut(cache) else {
            return Ok(false);
        };
        if expected.is_some_and(|expected| entries.get(url).is_some_and(|now| now != expected)) {
            return Ok(false);
        }
        Ok(entries.remove(url).is_some())
    }
}
