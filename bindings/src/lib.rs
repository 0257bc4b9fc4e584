//! What a Worker sees in `env`, on the host's side: the deno_core ops behind
//! each binding (KV, D1), named `op_<binding>_<verb>`. Their JavaScript faces
//! are in `js-polyfills/js/4x_*.js`; their storage is `isola-kv`.
//!
//! Isolates are created before anyone knows which Worker they will run, so
//! the extension starts with no bindings; loading a Worker puts its
//! [`WorkerBindings`] in the isolate's op state. An op can only reach the
//! stores its Worker binds, by binding name.

mod cache;
mod d1;
mod kv;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use isola_kv::d1::{D1Database, D1Error};
use isola_kv::kv::Namespace;
use isola_kv::{KvStore, StoreError};

/// The stores every Worker of a host binds into.
#[derive(Clone)]
pub struct Stores {
    pub kv: KvStore,
    pub d1: D1Databases,
}

impl Stores {
    /// Stores kept in `state_dir` (`kv/`, `d1/`).
    pub fn open(state_dir: &std::path::Path) -> Result<Self, StoreError> {
        Ok(Self {
            kv: KvStore::open(state_dir)?,
            d1: D1Databases::in_dir(state_dir.join("d1")),
        })
    }

    /// Stores that keep nothing on disk.
    pub fn memory() -> Result<Self, StoreError> {
        Ok(Self {
            kv: KvStore::memory()?,
            d1: D1Databases::default(),
        })
    }
}

/// The D1 databases of a host, opened on first use and shared by every
/// isolate (one connection per database).
#[derive(Clone, Default)]
pub struct D1Databases {
    /// Where database files live; in memory when None.
    dir: Option<PathBuf>,
    open: Arc<Mutex<HashMap<String, D1Database>>>,
}

impl D1Databases {
    pub fn in_dir(dir: PathBuf) -> Self {
        Self {
            dir: Some(dir),
            open: Arc::default(),
        }
    }

    /// The file of database `id` (`<dir>/<id>.sqlite`), if on disk.
    pub fn path(&self, id: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|dir| dir.join(format!("{id}.sqlite")))
    }

    /// Database `id`, opened (or created) if this is its first use.
    pub fn get(&self, id: &str) -> Result<D1Database, D1Error> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(db) = open.get(id) {
            return Ok(db.clone());
        }
        let db = match self.path(id) {
            Some(path) => D1Database::open(&path)?,
            None => D1Database::memory()?,
        };
        open.insert(id.to_string(), db.clone());
        Ok(db)
    }
}

/// A D1 database binding from a Worker's config (`[[d1_databases]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct D1Binding {
    pub binding: String,
    /// `database_name`, what `isola d1` commands take.
    pub name: String,
    /// `database_id` (or the name when there is none): names the file.
    pub id: String,
    /// Where its migrations live (absolute).
    pub migrations_dir: PathBuf,
    pub migrations_table: String,
}

/// A KV namespace binding from a Worker's config (`[[kv_namespaces]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvBinding {
    pub binding: String,
    pub id: String,
}

/// The bindings of the Worker an isolate runs.
#[derive(Default)]
pub struct WorkerBindings {
    kv: HashMap<String, Namespace>,
    d1: HashMap<String, D1Database>,
    /// Where `caches` keeps responses: shared by the host's Workers, as a
    /// zone's cache is.
    caches: Option<KvStore>,
}

impl WorkerBindings {
    /// Opens what `kv` and `d1` bind, in `stores`; an error names the store.
    pub fn new(stores: &Stores, kv: &[KvBinding], d1: &[D1Binding]) -> Result<Self, String> {
        let kv = kv
            .iter()
            .map(|b| Ok((b.binding.clone(), stores.kv.namespace(&b.id)?)))
            .collect::<Result<_, StoreError>>()
            .map_err(|e| e.to_string())?;
        let d1 = d1
            .iter()
            .map(|b| Ok((b.binding.clone(), stores.d1.get(&b.id)?)))
            .collect::<Result<_, D1Error>>()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            kv,
            d1,
            caches: Some(stores.kv.clone()),
        })
    }

    /// The KV namespace bound as `binding`.
    pub fn kv(&self, binding: &str) -> Option<&Namespace> {
        self.kv.get(binding)
    }

    /// Where the Cache API stores responses, if anywhere.
    pub fn caches(&self) -> Option<&KvStore> {
        self.caches.as_ref()
    }

    /// The D1 database bound as `binding`.
    pub fn d1(&self, binding: &str) -> Option<&D1Database> {
        self.d1.get(binding)
    }
}

deno_core::extension!(
    isola_bindings,
    ops = [
        kv::op_kv_get,
        kv::op_kv_get_bulk,
        kv::op_kv_put,
        kv::op_kv_delete,
        kv::op_kv_list,
        d1::op_d1_batch,
        d1::op_d1_exec,
        d1::op_d1_dump,
        cache::op_cache_put,
        cache::op_cache_match,
        cache::op_cache_delete,
    ],
    state = |state| {
        state.put(WorkerBindings::default());
    },
);
