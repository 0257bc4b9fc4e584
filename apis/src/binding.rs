//! The lifecycle of a binding, in three steps (as Spin's factors have one):
//!
//! 1. **configure**, once per config load: [`BindingKind::configure`] reads
//!    the entries under its key of the Worker's wrangler config and checks
//!    them, giving one [`Binding`] per entry (an error names the entry);
//! 2. **prepare**, once per Worker version: [`Binding::prepare`] opens what
//!    the binding reaches in the host's [`Stores`]; [`WorkerBindings`] holds
//!    the results by binding name;
//! 3. **bind**, per isolate and per guest instance: the host puts the
//!    Worker's [`WorkerBindings`] in the isolate's op state, where the
//!    binding's ops look it up by name, or in the guest's store, where its
//!    WIT host does (`wit.rs`).
//!
//! A kind also names its deno_core extension (its ops and its JS, which
//! registers what `env.<name>` becomes), how each binding is described to
//! JS ([`JsBinding`]) and its row in the dev banner ([`BannerRow`]). The
//! kinds are listed once, in [`crate::BINDINGS`].

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Debug;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use deno_core::{Extension, OpState};
use deno_error::JsErrorBox;
use isola_storage::cache::Cache;
use isola_storage::{KvStore, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::durable_objects::ObjectStore;
use crate::stores::Stores;

/// A kind of binding a Worker's config declares (`kv_namespaces`, ...).
pub trait BindingKind: Sync {
    /// Its key in wrangler's config.
    fn key(&self) -> &'static str;

    /// Reads and checks the entries under [`key`](Self::key); paths in them
    /// are relative to `dir`, the config's folder.
    fn configure(
        &self,
        entries: serde_json::Value,
        dir: &Path,
    ) -> Result<Vec<Arc<dyn Binding>>, String>;

    /// Its ops and its JS.
    fn extension(&self) -> Extension;
}

/// One binding a Worker declares, checked: `env.<name>`.
pub trait Binding: Any + Debug + Send + Sync {
    /// Its name in `env`.
    fn binding(&self) -> &str;

    /// What the JS side builds `env.<name>` from.
    fn describe(&self) -> JsBinding;

    /// Its row in the dev banner.
    fn banner(&self) -> BannerRow;

    /// Opens what it reaches in `stores`; None when it needs no store.
    fn prepare(&self, stores: &Stores) -> Result<Option<Prepared>, String>;
}

impl dyn Binding {
    /// This binding as `T`, if it is one.
    pub fn downcast_ref<T: Binding>(&self) -> Option<&T> {
        (self as &dyn Any).downcast_ref()
    }
}

/// What a binding opened for a Worker: its namespace, its database, ...
pub type Prepared = Arc<dyn Any + Send + Sync>;

/// How a binding is described to JS: `{ "type": kind, ...options }`. The
/// binding's JS registers what each `type` becomes (`registerBinding` in
/// `global_scope/40_env.js`).
#[derive(Debug, Clone, Serialize)]
pub struct JsBinding {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(flatten)]
    pub options: serde_json::Map<String, serde_json::Value>,
}

impl JsBinding {
    /// A binding of `kind` with `options`, a struct whose fields JS reads.
    pub fn new(kind: &'static str, options: impl Serialize) -> Self {
        let options = match serde_json::to_value(options) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        Self { kind, options }
    }
}

/// A binding's row in the dev banner: `env.NAME (resource)`, and its kind
/// as wrangler names it ("KV Namespace").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BannerRow {
    pub resource: String,
    pub kind: &'static str,
}

/// Reads the entries under `key` as a list of `T`; an error names the
/// entry and field (`kv_namespaces[1]: missing field `binding``).
pub fn entries<T: DeserializeOwned>(key: &str, value: serde_json::Value) -> Result<Vec<T>, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let at = match path.as_str() {
            "." => key.to_string(),
            index if index.starts_with('[') => format!("{key}{index}"),
            field => format!("{key}.{field}"),
        };
        format!("`{at}`: {}", e.into_inner())
    })
}

/// The bindings of the Worker an isolate or guest runs, prepared: what
/// each one opened, by binding name, and its caches.
#[derive(Default)]
pub struct WorkerBindings {
    /// The Worker's name (what its own loopback bindings call).
    worker: String,
    by_name: HashMap<String, Prepared>,
    caches: Option<Caches>,
    /// Where the Worker's Durable Objects keep their storage.
    objects: Option<ObjectStore>,
}

/// The Cache API's caches of one Worker. Cloudflare keys a cache by zone;
/// here each Worker is its own zone, so no Worker's `put` answers another
/// Worker's `match`. They are kept beside KV, in the same store.
#[derive(Clone)]
pub struct Caches {
    store: KvStore,
    zone: String,
}

impl Caches {
    /// The cache named `name` (`default` for `caches.default`).
    pub fn open(&self, name: &str) -> Result<Cache, StoreError> {
        self.store.cache(&format!("{}/{name}", self.zone))
    }
}

impl WorkerBindings {
    /// Prepares the bindings of the Worker named `worker` in `stores`; an
    /// error names the binding.
    pub fn prepare(
        worker: &str,
        bindings: &[Arc<dyn Binding>],
        stores: &Stores,
    ) -> Result<Self, String> {
        let mut by_name = HashMap::new();
        for binding in bindings {
            let prepared = binding
                .prepare(stores)
                .map_err(|e| format!("env.{}: {e}", binding.binding()))?;
            if let Some(prepared) = prepared {
                by_name.insert(binding.binding().to_string(), prepared);
            }
        }
        Ok(Self {
            worker: worker.to_string(),
            by_name,
            caches: Some(Caches {
                store: stores.get::<KvStore>()?,
                zone: worker.to_string(),
            }),
            objects: Some(stores.get::<ObjectStore>()?),
        })
    }

    /// The name of the Worker these bindings belong to.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// What the binding `name` opened, if it is a `T`.
    pub fn get<T: Any>(&self, name: &str) -> Option<&T> {
        self.by_name.get(name)?.downcast_ref()
    }

    /// For an op: the `T` that binding `name` of the isolate's Worker
    /// opened, or a TypeError saying no `what` is bound as `name`.
    pub fn bound<T: Any + Clone>(
        state: &Rc<RefCell<OpState>>,
        name: &str,
        what: &str,
    ) -> Result<T, JsErrorBox> {
        state
            .borrow()
            .borrow::<Self>()
            .get::<T>(name)
            .cloned()
            .ok_or_else(|| JsErrorBox::type_error(format!("No {what} is bound as {name}")))
    }

    /// Where the Worker's Durable Objects keep their storage, if anywhere.
    pub fn objects(&self) -> Option<&ObjectStore> {
        self.objects.as_ref()
    }

    /// The Worker's caches, if it has storage for them.
    pub fn caches(&self) -> Option<&Caches> {
        self.caches.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::json;

    use super::*;
    use crate::BINDINGS;
    use crate::d1::D1Binding;
    use crate::kv::KvBinding;

    fn configure(key: &str, entries: serde_json::Value) -> Result<Vec<Arc<dyn Binding>>, String> {
        let kind = BINDINGS.iter().find(|kind| kind.key() == key).unwrap();
        kind.configure(entries, Path::new("/project"))
    }

    #[test]
    fn each_config_key_has_one_kind() {
        let keys: HashSet<&str> = BINDINGS.iter().map(|kind| kind.key()).collect();
        assert_eq!(keys.len(), BINDINGS.len());
        assert!(keys.contains("kv_namespaces") && keys.contains("d1_databases"));
    }

    #[test]
    fn configure_reads_entries_and_names_the_bad_one() {
        let kv = configure(
            "kv_namespaces",
            json!([{ "binding": "A", "id": "x" }, { "binding": "B" }]),
        )
        .unwrap();
        let ids: Vec<&str> = kv
            .iter()
            .map(|b| b.downcast_ref::<KvBinding>().unwrap().id.as_str())
            .collect();
        assert_eq!(ids, ["x", "B"]);
        assert!(kv[0].downcast_ref::<D1Binding>().is_none());

        let missing = configure("kv_namespaces", json!([{ "binding": "A" }, { "id": "x" }]));
        assert_eq!(
            missing.unwrap_err(),
            "`kv_namespaces[1]`: missing field `binding`"
        );
        let not_a_list = configure("d1_databases", json!({ "binding": "DB" }));
        assert!(
            not_a_list
                .unwrap_err()
                .starts_with("`d1_databases`: invalid type")
        );
        let unknown = configure(
            "services",
            json!([{ "binding": "AUTH", "service": "auth", "colour": "x" }]),
        );
        assert!(unknown.unwrap_err().contains("unknown field `colour`"));
    }

    #[test]
    fn bindings_describe_themselves_to_js_and_the_banner() {
        let d1 = configure(
            "d1_databases",
            json!([{ "binding": "DB", "database_name": "shop" }]),
        )
        .unwrap();
        let d1 = d1[0].downcast_ref::<D1Binding>().unwrap();
        assert_eq!(d1.migrations_dir, Path::new("/project/migrations"));
        assert_eq!(
            serde_json::to_value(d1.describe()).unwrap(),
            json!({ "type": "d1" })
        );
        assert_eq!(
            d1.banner(),
            BannerRow {
                resource: "shop".into(),
                kind: "D1 Database"
            }
        );
        let service = configure(
            "services",
            json!([{ "binding": "AUTH", "service": "auth", "entrypoint": "Admin" }]),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(service[0].describe()).unwrap(),
            json!({ "type": "service", "assets": false })
        );
    }

    #[test]
    fn prepare_opens_each_store_once_and_finds_bindings_by_name() {
        let stores = Stores::memory();
        let mut bindings =
            configure("kv_namespaces", json!([{ "binding": "KV", "id": "n" }])).unwrap();
        bindings.extend(configure("d1_databases", json!([{ "binding": "DB" }])).unwrap());
        let first = WorkerBindings::prepare("w", &bindings, &stores).unwrap();
        let second = WorkerBindings::prepare("w", &bindings, &stores).unwrap();
        let put = isola_storage::kv::Put {
            value: b"v".to_vec(),
            metadata: None,
            expiration: None,
            expiration_ttl: None,
        };
        let namespace = first.get::<isola_storage::kv::Namespace>("KV").unwrap();
        namespace
            .write("k", put, isola_storage::unix_now())
            .unwrap();
        let again = second.get::<isola_storage::kv::Namespace>("KV").unwrap();
        let read = again.read("k", isola_storage::unix_now()).unwrap().unwrap();
        assert_eq!(read.value, b"v");
        assert!(first.get::<isola_storage::d1::D1Database>("DB").is_some());
        assert!(first.get::<isola_storage::d1::D1Database>("KV").is_none());
        assert!(first.caches().is_some());
    }
}
