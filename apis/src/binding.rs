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
use std::collections::HashMap;
use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;

use deno_core::Extension;
use isola_storage::KvStore;
use serde::Serialize;
use serde::de::DeserializeOwned;

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
    fn name(&self) -> &str;

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
/// each one opened, by binding name, and the Cache API's store.
#[derive(Default)]
pub struct WorkerBindings {
    by_name: HashMap<String, Prepared>,
    /// Where `caches` keeps responses: shared by the host's Workers, as a
    /// zone's cache is.
    caches: Option<KvStore>,
}

impl WorkerBindings {
    /// Prepares `bindings` in `stores`; an error names the binding.
    pub fn prepare(bindings: &[Arc<dyn Binding>], stores: &Stores) -> Result<Self, String> {
        let mut by_name = HashMap::new();
        for binding in bindings {
            let prepared = binding
                .prepare(stores)
                .map_err(|e| format!("env.{}: {e}", binding.name()))?;
            if let Some(prepared) = prepared {
                by_name.insert(binding.name().to_string(), prepared);
            }
        }
        Ok(Self {
            by_name,
            // The Cache API keeps responses beside KV, in the same store.
            caches: Some(stores.get::<KvStore>()?),
        })
    }

    /// What the binding `name` opened, if it is a `T`.
    pub fn get<T: Any>(&self, name: &str) -> Option<&T> {
        self.by_name.get(name)?.downcast_ref()
    }

    /// Where the Cache API stores responses, if anywhere.
    pub fn caches(&self) -> Option<&KvStore> {
        self.caches.as_ref()
    }
}
