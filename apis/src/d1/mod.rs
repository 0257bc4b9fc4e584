//! D1 as a binding (`[[d1_databases]]` → `env.DB`, a `D1Database`).
//!
//! - `d1.js`: `D1Database`, `D1PreparedStatement` and sessions, a thin
//!   class over three ops, with workerd's binding rules, result shapes and
//!   errors;
//! - [`ops`]: `op_d1_*`, statements run on tokio's blocking pool;
//! - [`wit`]: the same for Wasm guests (`isola:bindings/d1`);
//! - the engine: [`isola_storage::d1`] (SQLite).
//!
//! Black-box tests: `tests.rs` beside this file.

mod ops;
mod wit;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use isola_storage::d1::{D1Database, D1Error, validate_database_id};
use serde::Deserialize;

use crate::binding::{BannerRow, Binding, BindingKind, JsBinding, Prepared, entries};
use crate::stores::{Placement, SharedStorage, Store, Stores};

/// The `d1_databases` kind.
pub struct D1Databases;

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

/// A `[[d1_databases]]` entry as wrangler writes it. The local file is
/// named by `database_id` (or `database_name`, or the binding, whichever
/// is given first).
#[derive(Deserialize)]
struct RawD1Database {
    binding: String,
    database_name: Option<String>,
    database_id: Option<String>,
    migrations_dir: Option<String>,
    migrations_table: Option<String>,
    #[allow(
        dead_code,
        reason = "accepted as wrangler accepts it; local state has one id"
    )]
    preview_database_id: Option<String>,
}

impl BindingKind for D1Databases {
    fn key(&self) -> &'static str {
        "d1_databases"
    }

    fn configure(
        &self,
        value: serde_json::Value,
        dir: &Path,
    ) -> Result<Vec<Arc<dyn Binding>>, String> {
        let raw: Vec<RawD1Database> = entries(self.key(), value)?;
        let mut bindings: Vec<Arc<dyn Binding>> = Vec::with_capacity(raw.len());
        for (i, db) in raw.into_iter().enumerate() {
            let name = db.database_name.unwrap_or_else(|| db.binding.clone());
            let id = db.database_id.unwrap_or_else(|| name.clone());
            // The id names the database's file in the state directory.
            validate_database_id(&id).map_err(|e| format!("`{}[{i}]`: {e}", self.key()))?;
            bindings.push(Arc::new(D1Binding {
                id,
                migrations_dir: dir.join(db.migrations_dir.as_deref().unwrap_or("migrations")),
                migrations_table: db
                    .migrations_table
                    .unwrap_or_else(|| "d1_migrations".into()),
                binding: db.binding,
                name,
            }));
        }
        Ok(bindings)
    }

    fn extension(&self) -> deno_core::Extension {
        ops::isola_d1::init()
    }
}

impl Binding for D1Binding {
    fn binding(&self) -> &str {
        &self.binding
    }

    fn describe(&self) -> JsBinding {
        JsBinding::new("d1", ())
    }

    fn banner(&self) -> BannerRow {
        BannerRow {
            resource: self.name.clone(),
            kind: "D1 Database",
        }
    }

    fn prepare(&self, stores: &Stores) -> Result<Option<Prepared>, String> {
        let database = stores
            .get::<D1Store>()?
            .get(&self.id)
            .map_err(|e| e.to_string())?;
        Ok(Some(Arc::new(database)))
    }
}

/// The D1 databases of a host, opened on first use and shared by every
/// isolate (one connection per database).
#[derive(Clone, Default)]
pub struct D1Store {
    /// Where database files live; in memory when None.
    dir: Option<PathBuf>,
    /// The deployment's owners, which hold the databases when this host
    /// is one of several.
    cluster: Option<Placement>,
    open: Arc<Mutex<HashMap<String, D1Database>>>,
}

impl Store for D1Store {
    fn open(dir: Option<&Path>, shared: &SharedStorage) -> Result<Self, String> {
        Ok(Self {
            dir: dir.map(|dir| dir.join("d1")),
            cluster: shared.cluster.clone(),
            open: Arc::default(),
        })
    }
}

impl D1Store {
    /// The file of database `id` (`<dir>/<id>.sqlite`), if on disk.
    fn path(&self, id: &str) -> Option<PathBuf> {
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
        let db = match (&self.cluster, self.path(id)) {
            (Some(Placement(databases)), _) => databases.d1(id),
            (None, Some(path)) => D1Database::open(&path)?,
            (None, None) => D1Database::memory()?,
        };
        open.insert(id.to_string(), db.clone());
        Ok(db)
    }
}
