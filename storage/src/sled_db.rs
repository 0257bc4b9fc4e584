//! KV and the Cache API on sled: one database per state directory
//! (`<dir>/kv`), a tree per KV namespace (`ns:<id>`) and one per cache
//! (`cache:<name>`).
//!
//! Sled lets one process at a time open a database, so keeping both stores
//! in one database puts them under one lock: a second process (`isola kv`
//! while a server runs) is told [`StoreError::Locked`] and goes through the
//! server instead. Sled orders keys by their bytes, which is the order
//! [`KvBackend`] asks for; writes are flushed before they return.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::cache::CacheBackend;
use crate::error::StoreError;
use crate::integrity;
use crate::kv::{KvBackend, KvStore, Visit, scan_start};

/// The sled database of one state directory.
pub(crate) struct SledDb {
    db: sled::Db,
    /// Trees opened so far, by name: sled's `open_tree` takes a lock and
    /// a lookup that every read and write would otherwise pay.
    trees: RwLock<HashMap<String, sled::Tree>>,
    dir: PathBuf,
    /// Set once the database is sealed (see `crate::integrity`): no write
    /// may follow.
    sealed: AtomicBool,
}

impl SledDb {
    /// Opens (or creates) the database in `path`.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(path).map_err(|e| StoreError::Open {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        match sled::Config::new().path(path).open() {
            Ok(db) => {
                integrity::check_seal(&db, path).map_err(|message| StoreError::Open {
                    path: path.to_path_buf(),
                    message,
                })?;
                Ok(Self {
                    db,
                    trees: RwLock::default(),
                    dir: path.to_path_buf(),
                    sealed: AtomicBool::new(false),
                })
            }
            Err(sled::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                Err(StoreError::Locked(path.to_path_buf()))
            }
            Err(sled::Error::Io(e)) if e.to_string().contains("lock") => {
                Err(StoreError::Locked(path.to_path_buf()))
            }
            Err(e @ sled::Error::Corruption { .. }) => Err(StoreError::Open {
                path: path.to_path_buf(),
                message: integrity::damaged(e.to_string()),
            }),
            Err(e) => Err(StoreError::Open {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
        }
    }

    fn namespace(&self, id: &str) -> Result<sled::Tree, StoreError> {
        self.tree(format!("ns:{id}"))
    }

    fn cache(&self, name: &str) -> Result<sled::Tree, StoreError> {
        self.tree(format!("cache:{name}"))
    }

    /// The tree `name`, opened (or created) on first use.
    fn tree(&self, name: String) -> Result<sled::Tree, StoreError> {
        let trees = self.trees.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(tree) = trees.get(&name) {
            return Ok(tree.clone());
        }
        drop(trees);
        let tree = self.db.open_tree(&name)?;
        let mut trees = self.trees.write().unwrap_or_else(PoisonError::into_inner);
        Ok(trees.entry(name).or_insert(tree).clone())
    }

    /// Waits until what was written is on disk.
    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Refuses a write once the database is sealed.
    fn writable(&self) -> Result<(), StoreError> {
        if self.sealed.load(Ordering::Acquire) {
            return Err(StoreError::Stopping);
        }
        Ok(())
    }
}

impl KvStore {
    /// Opens (or creates) the KV state in `dir/kv`, in sled.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let db = Arc::new(SledDb::open(&dir.join("kv"))?);
        Ok(Self::new(db.clone(), db))
    }
}

impl KvBackend for SledDb {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .namespace(namespace)?
            .get(key)?
            .map(|bytes| bytes.to_vec()))
    }

    fn put(&self, namespace: &str, mut entries: Vec<(&str, Vec<u8>)>) -> Result<(), StoreError> {
        self.writable()?;
        let tree = self.namespace(namespace)?;
        if let [(key, bytes)] = entries.as_mut_slice() {
            // One key needs no batch, whose global write lock would make
            // concurrent puts and reads wait for each other.
            tree.insert(key.as_bytes(), std::mem::take(bytes))?;
        } else {
            let mut batch = sled::Batch::default();
            for (key, bytes) in entries {
                batch.insert(key.as_bytes(), bytes);
            }
            tree.apply_batch(batch)?;
        }
        self.flush()
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<(), StoreError> {
        self.writable()?;
        self.namespace(namespace)?.remove(key)?;
        self.flush()
    }

    fn swap(
        &self,
        namespace: &str,
        key: &str,
        expected: Option<&[u8]>,
        new: Vec<u8>,
    ) -> Result<bool, StoreError> {
        self.writable()?;
        let swapped = self
            .namespace(namespace)?
            .compare_and_swap(key, expected, Some(new))?
            .is_ok();
        if swapped {
            self.flush()?;
        }
        Ok(swapped)
    }

    fn scan(
        &self,
        namespace: &str,
        prefix: &str,
        after: Option<&str>,
        visit: &mut Visit<'_>,
    ) -> Result<(), StoreError> {
        let start = scan_start(prefix, after);
        for item in self
            .namespace(namespace)?
            .range::<&str, _>((start, Bound::Unbounded))
        {
            let (key, bytes) = item?;
            if !key.starts_with(prefix.as_bytes())
                || !visit(&String::from_utf8_lossy(&key), &bytes)?
            {
                break;
            }
        }
        Ok(())
    }

    fn remove_where(
        &self,
        pick: &dyn Fn(&[u8]) -> Result<bool, StoreError>,
    ) -> Result<usize, StoreError> {
        self.writable()?;
        let mut removed = 0;
        for name in self.db.tree_names() {
            if !name.starts_with(b"ns:") {
                continue;
            }
            let tree = self.db.open_tree(name)?;
            for item in tree.iter() {
                let (key, bytes) = item?;
                // Only if nobody wrote the key again meanwhile.
                if pick(&bytes)?
                    && tree
                        .compare_and_swap(&key, Some(bytes), None::<&[u8]>)?
                        .is_ok()
                {
                    removed += 1;
                }
            }
        }
        if removed > 0 {
            self.flush()?;
        }
        Ok(removed)
    }

    fn seal(&self) -> Result<(), StoreError> {
        if self.sealed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        integrity::seal(&self.db, &self.dir).map_err(|message| StoreError::Open {
            path: self.dir.clone(),
            message: format!("sealing it failed: {message}"),
        })
    }
}

impl CacheBackend for SledDb {
    fn get(&self, cache: &str, url: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.cache(cache)?.get(url)?.map(|bytes| bytes.to_vec()))
    }

    fn put(&self, cache: &str, url: &str, entry: Vec<u8>) -> Result<(), StoreError> {
        self.writable()?;
        self.cache(cache)?.insert(url, entry)?;
        self.flush()
    }

    fn delete(&self, cache: &str, url: &str, expected: Option<&[u8]>) -> Result<bool, StoreError> {
        self.writable()?;
        let tree = self.cache(cache)?;
        let removed = match expected {
            Some(expected) => tree
                .compare_and_swap(url, Some(expected), None::<&[u8]>)?
                .is_ok(),
            None => tree.remove(url)?.is_some(),
        };
        if removed {
            self.flush()?;
        }
        Ok(removed)
    }
}
