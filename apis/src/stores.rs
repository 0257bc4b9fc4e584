//! The host's stores: each kind opened once, on first use, in the state
//! directory (or in memory), and shared by every Worker and isolate. A
//! binding kind says which store it opens by the type it asks for.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A store the host keeps for its bindings (KV namespaces, D1 databases).
pub trait Store: Clone + Send + Sync + 'static {
    /// Opens the store kept in `dir`, or one in memory when None; the
    /// error says why, naming the path.
    fn open(dir: Option<&Path>) -> Result<Self, String>;
}

/// The stores every Worker of a host binds into.
#[derive(Clone, Default)]
pub struct Stores {
    /// The state directory; in memory when None.
    dir: Option<PathBuf>,
    opened: Arc<Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
}

impl Stores {
    /// Stores kept in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            dir: Some(dir.to_path_buf()),
            opened: Arc::default(),
        }
    }

    /// Stores that keep nothing on disk.
    pub fn memory() -> Self {
        Self::default()
    }

    /// The store of type `S`, opened if this is its first use.
    pub fn get<S: Store>(&self) -> Result<S, String> {
        let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = opened
            .get(&TypeId::of::<S>())
            .and_then(|s| s.downcast_ref::<S>())
        {
            return Ok(store.clone());
        }
        let store = S::open(self.dir.as_deref())?;
        opened.insert(TypeId::of::<S>(), Box::new(store.clone()));
        Ok(store)
    }
}
