//! Workers KV as a binding (`[[kv_namespaces]]` → `env.MY_KV`, a
//! `KVNamespace`).
//!
//! - `kv.js`: the `KVNamespace` class, with workerd's value types, errors
//!   and list pages;
//! - [`ops`]: `op_kv_*`, which check Cloudflare's limits and run the store
//!   work on tokio's blocking pool;
//! - [`wit`]: the same for Wasm guests (`isola:bindings/kv`);
//! - [`wasi_keyvalue`]: the standard `wasi:keyvalue` on the same namespaces
//!   (and Spin's key-value, `crate::spin`), through [`guest`];
//! - the store: [`isola_storage::kv`].
//!
//! Black-box tests: `tests.rs` beside this file.

pub(crate) mod guest;
mod ops;
pub(crate) mod wasi_keyvalue;
mod wit;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use isola_storage::KvStore;
use isola_storage::kv::Namespace;
use serde::Deserialize;

use crate::binding::{BannerRow, Binding, BindingKind, JsBinding, Prepared, entries};
use crate::stores::{SharedStorage, Store, Stores};

/// The `kv_namespaces` kind.
pub struct KvNamespaces;

/// A KV namespace binding from a Worker's config (`[[kv_namespaces]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvBinding {
    pub binding: String,
    /// The namespace's `id` (or the binding's name when there is none, as
    /// wrangler allows for local development): what local state is kept
    /// under.
    pub id: String,
}

/// A `[[kv_namespaces]]` entry as wrangler writes it.
#[derive(Deserialize)]
struct RawKvNamespace {
    binding: String,
    id: Option<String>,
    #[allow(
        dead_code,
        reason = "accepted as wrangler accepts it; local state has one id"
    )]
    preview_id: Option<String>,
}

impl BindingKind for KvNamespaces {
    fn key(&self) -> &'static str {
        "kv_namespaces"
    }

    fn configure(
        &self,
        value: serde_json::Value,
        _dir: &Path,
    ) -> Result<Vec<Arc<dyn Binding>>, String> {
        let raw: Vec<RawKvNamespace> = entries(self.key(), value)?;
        Ok(raw
            .into_iter()
            .map(|ns| {
                Arc::new(KvBinding {
                    id: ns.id.unwrap_or_else(|| ns.binding.clone()),
                    binding: ns.binding,
                }) as Arc<dyn Binding>
            })
            .collect())
    }

    fn extension(&self) -> deno_core::Extension {
        ops::isola_kv::init()
    }
}

impl Binding for KvBinding {
    fn binding(&self) -> &str {
        &self.binding
    }

    fn describe(&self) -> JsBinding {
        JsBinding::new("kv_namespace", ())
    }

    fn banner(&self) -> BannerRow {
        BannerRow {
            resource: self.id.clone(),
            kind: "KV Namespace",
        }
    }

    fn prepare(&self, stores: &Stores) -> Result<Option<Prepared>, String> {
        let namespace: Namespace = stores
            .get::<KvStore>()?
            .namespace(&self.id)
            .map_err(|e| e.to_string())?;
        Ok(Some(Arc::new(namespace)))
    }
}

impl Store for KvStore {
    fn open(dir: Option<&Path>, shared: &SharedStorage) -> Result<Self, String> {
        match (&shared.kv, dir) {
            (Some(url), _) => {
                let ttl = shared
                    .kv_cache_ttl
                    .map_or(isola_storage::kv::DEFAULT_CACHE_TTL, Duration::from_secs);
                KvStore::postgres(url, ttl)
            }
            (None, Some(dir)) => KvStore::open(dir),
            (None, None) => KvStore::memory(),
        }
        .map_err(|e| e.to_string())
    }
}
