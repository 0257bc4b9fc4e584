//! The host's stores: each kind opened once, on first use, in the state
//! directory (or in memory), or in the shared backend the host config
//! names, and shared by every Worker and isolate. A binding kind says which
//! store it opens by the type it asks for.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A store the host keeps for its bindings (KV namespaces, D1 databases).
pub trait Store: Clone + Send + Sync + 'static {
    /// Opens the store kept in `shared`'s backend for its kind, if it
    /// names one, else in `dir`, or in memory when that is None; the error
    /// says why, naming the path or the backend.
    fn open(dir: Option<&Path>, shared: &SharedStorage) -> Result<Self, String>;
}

/// Where the stores that several hosts can share live, when the host config
/// says (`[storage]` in `isola.toml`); each one left unset stays in the
/// state directory (or memory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedStorage {
    /// KV and the Cache API: a PostgreSQL URL.
    pub kv: Option<String>,
    /// How long a host answers KV reads from what it read before, in
    /// seconds, unless a Worker's `cacheTtl` says (default: 60, as on
    /// Cloudflare; 0: every read asks the database).
    pub kv_cache_ttl: Option<u64>,
    /// Queues: a PostgreSQL URL.
    pub queues: Option<String>,
    /// R2's object bytes: an S3 bucket URL (`s3://bucket?endpoint=…`).
    /// What R2 knows of the objects goes in `kv`'s database.
    pub r2: Option<String>,
    /// D1 databases and Durable Objects' storage, when this host is one
    /// of a deployment's (`[cluster]`): each lives on its owner.
    pub cluster: Option<Placement>,
}

/// The deployment's databases, as this host serves and reaches them.
#[derive(Clone)]
pub struct Placement(pub Arc<isola_cluster::Databases>);

impl std::fmt::Debug for Placement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Placement({})", self.0.cluster().host())
    }
}

impl PartialEq for Placement {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Placement {}

/// The stores every Worker of a host binds into.
#[derive(Clone, Default)]
pub struct Stores {
    /// The state directory; in memory when None.
    dir: Option<PathBuf>,
    shared: SharedStorage,
    opened: Arc<Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
}

impl Stores {
    /// Stores kept in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            dir: Some(dir.to_path_buf()),
            shared: SharedStorage::default(),
            opened: Arc::default(),
        }
    }

    /// These stores, with those `shared` names kept there instead.
    pub fn sharing(self, shared: SharedStorage) -> Self {
        Self { shared, ..self }
    }

    /// Stores that keep nothing on disk.
    pub fn memory() -> Self {
        Self::default()
    }

    /// The store of type `S`, opened if this is its first use.
    pub fn get<S: Store>(&self) -> Result<S, String> {
        let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = find::<S>(&opened) {
            return Ok(store);
        }
        let store = S::open(self.dir.as_deref(), &self.shared)?;
        opened.insert(TypeId::of::<S>(), Box::new(store.clone()));
        Ok(store)
    }

    /// The store of type `S` if something opened it already.
    pub fn opened<S: Store>(&self) -> Option<S> {
        find::<S>(&self.opened.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The store of type `S` among `opened`.
fn find<S: Store>(opened: &HashMap<TypeId, Box<dyn Any + Send + Sync>>) -> Option<S> {
    opened
        .get(&TypeId::of::<S>())
        .and_then(|s| s.downcast_ref::<S>())
        .cloned()
}
