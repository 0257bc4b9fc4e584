//! What Wasm guests import: the host side of the WIT packages in `apis/wit/`,
//! `isola:bindings` and the standard `wasi:keyvalue`, whose interfaces each
//! binding's folder implements (`kv/wit.rs`, `kv/wasi_keyvalue.rs`,
//! `d1/wit.rs`). A guest names a binding as a JS Worker's
//! `env` does; the call reaches the same store a JS Worker's binding would,
//! with the same checks and messages, and runs on tokio's blocking pool so
//! that a flush to disk never stalls the threads serving requests.

use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, ResourceTable};

use crate::binding::WorkerBindings;

wasmtime::component::bindgen!({
    path: "wit",
    world: "bindings",
    imports: { default: async },
});

/// The imports of one guest instance: its Worker's bindings, and the
/// handles (`wasi:keyvalue` buckets) the guest holds to them.
pub struct GuestBindings {
    pub(crate) worker: Arc<WorkerBindings>,
    pub(crate) handles: ResourceTable,
}

impl GuestBindings {
    pub fn new(worker: Arc<WorkerBindings>) -> Self {
        Self {
            worker,
            handles: ResourceTable::new(),
        }
    }
}

/// Adds the bindings' interfaces to `linker`; `get` finds an instance's
/// [`GuestBindings`] in its state.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut GuestBindings,
) -> wasmtime::Result<()> {
    Bindings::add_to_linker::<T, HasSelf<GuestBindings>>(linker, get)?;
    crate::kv::wasi_keyvalue::add_to_linker(linker, get)
}

/// Runs `work` on the blocking pool; a panic there is the store's failure.
pub(crate) async fn blocking<T: Send + 'static, E: Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
    failed: impl FnOnce(String) -> E,
) -> Result<T, E> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(failed(e.to_string())))
}
