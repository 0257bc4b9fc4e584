//! What a Worker sees in `env`, on the host's side: the deno_core ops behind
//! each binding, named `op_<binding>_<verb>`. Their JavaScript faces are in
//! `js-polyfills/js/4x_*.js`; their storage is `isola-kv`.
//!
//! Isolates are created before anyone knows which Worker they will run, so
//! the extension starts with no bindings; loading a Worker puts its
//! [`WorkerBindings`] in the isolate's op state. An op can only reach the
//! stores its Worker binds, by binding name.

mod kv;

use std::collections::HashMap;

use isola_kv::kv::Namespace;
use isola_kv::{KvStore, StoreError};

/// The stores every Worker of a host binds into.
#[derive(Clone)]
pub struct Stores {
    pub kv: KvStore,
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
}

impl WorkerBindings {
    pub fn new(stores: &Stores, kv: &[KvBinding]) -> Result<Self, StoreError> {
        let kv = kv
            .iter()
            .map(|b| Ok((b.binding.clone(), stores.kv.namespace(&b.id)?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(Self { kv })
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
    ],
    state = |state| {
        state.put(WorkerBindings::default());
    },
);
