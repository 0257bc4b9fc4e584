//! Workers KV on sled: one sled database per state directory, one tree per
//! namespace.
//!
//! Keys sort by their UTF-8 bytes, as on Cloudflare, which is sled's order.
//! An entry past its expiration is invisible at once (reads and lists skip
//! it) and is removed later by [`KvStore::sweep_expired`]. A `list` cursor
//! is the last key of the page, encoded: the next page starts after it, so
//! pages stay correct while keys are added or deleted between them. Writes
//! are flushed to disk before they return, so an acknowledged write
//! survives a crash.

mod command;
mod entry;
mod validate;

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use command::{BulkPair, KvCommand, KvOutput, ListedKeyJson};
pub use entry::Entry;
pub use validate::{KvError, validate_bulk_get, validate_cache_ttl};
use validate::{MAX_KEY_BYTES, list_limit, validate_key, validate_put};

/// Why the KV store failed (as opposed to a request breaking a KV rule).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the KV state in {0} is in use by another process (is an isola server running on it?)")]
    Locked(PathBuf),
    #[error("the KV state in {path} cannot be opened: {message}")]
    Open { path: PathBuf, message: String },
    #[error("{0}")]
    Corrupt(String),
    #[error("KV storage failed: {0}")]
    Io(#[from] sled::Error),
}

/// All KV namespaces of one state directory (or of memory only).
#[derive(Clone)]
pub struct KvStore {
    db: sled::Db,
}

impl KvStore {
    /// Opens (or creates) the KV state in `dir/kv`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join("kv");
        std::fs::create_dir_all(&path).map_err(|e| StoreError::Open {
            path: path.clone(),
            message: e.to_string(),
        })?;
        match sled::Config::new().path(&path).open() {
            Ok(db) => Ok(Self { db }),
            Err(sled::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                Err(StoreError::Locked(path))
            }
            Err(sled::Error::Io(e)) if e.to_string().contains("lock") => {
                Err(StoreError::Locked(path))
            }
            Err(e) => Err(StoreError::Open {
                path,
                message: e.to_string(),
            }),
        }
    }

    /// A store that keeps nothing on disk.
    pub fn memory() -> Result<Self, StoreError> {
        Ok(Self {
            db: sled::Config::new().temporary(true).open()?,
        })
    }

    /// The namespace with id `id`, created if new.
    pub fn namespace(&self, id: &str) -> Result<Namespace, StoreError> {
        Ok(Namespace {
            tree: self.db.open_tree(format!("ns:{id}"))?,
            db: self.db.clone(),
        })
    }

    /// The Cache API's cache named `name`, created if new. Caches live in
    /// the same database as the namespaces, apart from them.
    pub fn cache(&self, name: &str) -> Result<crate::cache::Cache, StoreError> {
        Ok(crate::cache::Cache {
            tree: self.db.open_tree(format!("cache:{name}"))?,
        })
    }

    /// Removes entries that expired before `now` (seconds since the epoch)
    /// from every namespace; returns how many.
    pub fn sweep_expired(&self, now: u64) -> Result<usize, StoreError> {
        let mut removed = 0;
        for name in self.db.tree_names() {
            if !name.starts_with(b"ns:") {
                continue;
            }
            let tree = self.db.open_tree(name)?;
            for item in tree.iter() {
                let (key, bytes) = item?;
                let (expiration, _, _) = Entry::decode_head(&bytes)?;
                if expiration.is_some_and(|at| at <= now) {
                    // Only if nobody wrote the key again meanwhile.
                    if tree
                        .compare_and_swap(&key, Some(bytes), None::<&[u8]>)?
                        .is_ok()
                    {
                        removed += 1;
                    }
                }
            }
        }
        if removed > 0 {
            self.db.flush()?;
        }
        Ok(removed)
    }
}

/// One KV namespace.
#[derive(Clone)]
pub struct Namespace {
    tree: sled::Tree,
    db: sled::Db,
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
        let Some(bytes) = self.tree.get(key)? else {
            return Ok(None);
        };
        let entry = Entry::decode(&bytes)?;
        Ok(entry.expiration.is_none_or(|at| at > now).then_some(entry))
    }

    /// Stores `entry` under `key` and makes it durable before returning.
    pub fn put(&self, key: &str, entry: &Entry) -> Result<(), StoreError> {
        self.tree.insert(key, entry.encode())?;
        self.db.flush()?;
        Ok(())
    }

    /// Stores every entry of `entries` at once, durably.
    pub fn put_many(&self, entries: &[(String, Entry)]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (key, entry) in entries {
            batch.insert(key.as_bytes(), entry.encode());
        }
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// Removes `key` (a key that is not there is no error) durably.
    pub fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.tree.remove(key)?;
        self.db.flush()?;
        Ok(())
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
        let start = match cursor {
            Some(cursor) => {
                let after = URL_SAFE_NO_PAD
                    .decode(cursor)
                    .map_err(|_| KvError::InvalidCursor)?;
                std::ops::Bound::Excluded(after)
            }
            None => std::ops::Bound::Included(prefix.as_bytes().to_vec()),
        };
        let mut keys = Vec::with_capacity(limit.min(1024));
        let mut more = false;
        for item in self
            .tree
            .range::<Vec<u8>, _>((start, std::ops::Bound::Unbounded))
        {
            let (key, bytes) = item.map_err(StoreError::from)?;
            if !key.starts_with(prefix.as_bytes()) {
                break;
            }
            let (expiration, metadata, _) = Entry::decode_head(&bytes)?;
            if expiration.is_some_and(|at| at <= now) {
                continue;
            }
            if keys.len() == limit {
                more = true;
                break;
            }
            keys.push(ListedKey {
                name: String::from_utf8_lossy(&key).into_owned(),
                expiration,
                metadata: metadata.map(str::to_string),
            });
        }
        let cursor = match keys.last() {
            Some(last) if more => Some(URL_SAFE_NO_PAD.encode(last.name.as_bytes())),
            _ => None,
        };
        Ok(ListPage { keys, cursor })
    }
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
        validate_key(key, "GET")?;
        Ok(self.get(key, now)?)
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
mod tests {
    use super::*;

    fn entry(value: &str, expiration: Option<u64>) -> Entry {
        Entry {
            value: value.as_bytes().to_vec(),
            metadata: None,
            expiration,
        }
    }

    #[test]
    fn expired_entries_are_invisible_then_swept() {
        let store = KvStore::memory().unwrap();
        let ns = store.namespace("a").unwrap();
        ns.put("old", &entry("x", Some(100))).unwrap();
        ns.put("new", &entry("y", Some(300))).unwrap();
        ns.put("forever", &entry("z", None)).unwrap();
        assert!(ns.get("old", 99).unwrap().is_some());
        assert!(ns.get("old", 100).unwrap().is_none());
        let names: Vec<_> = ns
            .list("", 10, None, 200)
            .unwrap()
            .keys
            .into_iter()
            .map(|k| k.name)
            .collect();
        assert_eq!(names, ["forever", "new"]);
        assert_eq!(store.sweep_expired(200).unwrap(), 1);
        assert!(ns.get("old", 0).unwrap().is_none(), "swept for good");
    }

    #[test]
    fn namespaces_are_separate() {
        let store = KvStore::memory().unwrap();
        store
            .namespace("a")
            .unwrap()
            .put("k", &entry("in a", None))
            .unwrap();
        assert!(store.namespace("b").unwrap().get("k", 0).unwrap().is_none());
    }

    #[test]
    fn list_pages_stay_correct_while_keys_change() {
        let store = KvStore::memory().unwrap();
        let ns = store.namespace("a").unwrap();
        for name in ["p:1", "p:2", "p:3", "p:4", "p:5", "q:1"] {
            ns.put(name, &entry(name, None)).unwrap();
        }
        let page = ns.list("p:", 2, None, 0).unwrap();
        assert_eq!(
            page.keys
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>(),
            ["p:1", "p:2"]
        );
        let cursor = page.cursor.unwrap();
        // Between pages: delete the next key, add one before the cursor and
        // one after it.
        ns.delete("p:3").unwrap();
        ns.put("p:0", &entry("", None)).unwrap();
        ns.put("p:45", &entry("", None)).unwrap();
        let page = ns.list("p:", 2, Some(&cursor), 0).unwrap();
        assert_eq!(
            page.keys
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>(),
            ["p:4", "p:45"]
        );
        let page = ns.list("p:", 2, page.cursor.as_deref(), 0).unwrap();
        assert_eq!(
            page.keys
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>(),
            ["p:5"]
        );
        assert_eq!(page.cursor, None, "the last page has no cursor");
    }

    #[test]
    fn a_page_that_exactly_fills_the_limit_at_the_end_is_complete() {
        let store = KvStore::memory().unwrap();
        let ns = store.namespace("a").unwrap();
        ns.put("a", &entry("", None)).unwrap();
        ns.put("b", &entry("", None)).unwrap();
        let page = ns.list("", 2, None, 0).unwrap();
        assert_eq!(page.keys.len(), 2);
        assert_eq!(page.cursor, None);
    }

    #[test]
    fn a_store_in_use_is_reported_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let _first = KvStore::open(dir.path()).unwrap();
        let second = KvStore::open(dir.path());
        assert!(
            matches!(second, Err(StoreError::Locked(_))),
            "{:?}",
            second.err()
        );
    }

    #[test]
    fn data_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = KvStore::open(dir.path()).unwrap();
            let ns = store.namespace("n").unwrap();
            ns.put(
                "k",
                &Entry {
                    value: b"v".to_vec(),
                    metadata: Some("{\"m\":true}".into()),
                    expiration: Some(4_000_000_000),
                },
            )
            .unwrap();
        }
        let store = KvStore::open(dir.path()).unwrap();
        let entry = store.namespace("n").unwrap().get("k", 0).unwrap().unwrap();
        assert_eq!(entry.value, b"v");
        assert_eq!(entry.metadata.as_deref(), Some("{\"m\":true}"));
        assert_eq!(entry.expiration, Some(4_000_000_000));
    }
}
