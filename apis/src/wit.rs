//! What Wasm guests import: the host side of the WIT packages in `apis/wit/`,
//! `isola:bindings`, the standard `wasi:keyvalue` and Spin's interfaces,
//! whose interfaces each binding's folder implements (`kv/wit.rs`,
//! `kv/wasi_keyvalue.rs`, `d1/wit.rs`, `spin/`). A guest names a binding as a JS Worker's
//! `env` does; the call reaches the same store a JS Worker's binding would,
//! with the same checks and messages, and runs on tokio's blocking pool so
//! that a flush to disk never stalls the threads serving requests.

use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, ResourceTable};

use crate::binding::WorkerBindings;
use crate::spin::SpinGrants;

wasmtime::component::bindgen!({
    path: "wit",
    world: "bindings",
    imports: { default: async },
});

/// The imports of one guest instance: its Worker's bindings, what of them a
/// Spin component may reach, and the handles (`wasi:keyvalue` buckets, Spin
/// stores) the guest holds to them.
pub struct GuestBindings {
    pub(crate) worker: Arc<WorkerBindings>,
    pub(crate) spin: Arc<SpinGrants>,
    pub(crate) handles: ResourceTable,
}

impl GuestBindings {
    /// `spin`: what a Spin component's manifest grants it (nothing for
    /// other guests).
    pub fn new(worker: Arc<WorkerBindings>, spin: Arc<SpinGrants>) -> Self {
        Self {
            worker,
            spin,
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
    crate::kv::wasi_keyvalue::add_to_linker(linker, get)?;
    crate::spin::add_to_linker(linker, get)
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
