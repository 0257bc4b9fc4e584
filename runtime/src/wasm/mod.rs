//! Pure-Wasm guests: components that export `wasi:http/incoming-handler`
//! (WASI 0.2's proxy world) or `wasi:http/handler@0.3.0` (WASIp3, as
//! spin-sdk 6 and 7 build them), run on wasmtime the way Fastly Compute
//! runs them. A guest is compiled once per version (and cached on disk by
//! wasmtime's cache), linked once ([`Handler`]), and
//! instantiated afresh for every request from the pooling allocator, whose
//! copy-on-write memory images make that cost microseconds.
//!
//! Limits: a request's CPU budget is counted in the epoch ticks (one a
//! millisecond) that pass while the guest runs; at each one the guest
//! yields to the runtime, so a guest that loops forever neither holds a
//! server thread nor outlives its limit, where it traps. Each instance's
//! memory is capped by the pooling allocator
//! (`--memory-mb`, 128 MB by default); a guest that wants more sees
//! `memory.grow` fail, as on Fastly.
//!
//! A guest reaches its Worker's KV namespaces and D1 databases through the
//! WIT interfaces in `apis/wit/` (host side: `isola_apis::wit`), sees its `[vars]` and
//! secrets as environment variables, and its outgoing HTTP follows the
//! Workers rules in [`outgoing`].
//!
//! A Spin app (`spin.toml`) is one Worker whose components are guests
//! behind Spin's routes ([`spin`]); each reaches what its manifest grants
//! (`isola_apis::spin`) and sends only where its `allowed_outbound_hosts`
//! say ([`allowed_hosts`]). A core module built for wasm32-wasip1, as
//! Spin's templates build them, is made a component at load with the
//! preview1 adapter, as Spin does.
//!
//! To the host a guest is an instance like an isolate: [`start`] returns
//! the queue its requests go to (each runs in a wasmtime instance of its
//! own), so routing, limits, fail-open, hot swap and metrics are the same
//! for JS and Wasm Workers.

mod allowed_hosts;
mod outgoing;
mod serve;
mod spin;
mod wasip3;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Cache, CacheConfig, Config, Enabled, Engine, InstanceAllocationStrategy,
    PoolingAllocationConfig, Store, Trap, UpdateDeadline,
};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub use allowed_hosts::AllowedHosts;
pub use serve::start;
pub use spin::{SpinGuests, SpinRoute};

use isola_apis::WorkerBindings;
use isola_apis::spin::SpinGrants;
use isola_apis::wit::GuestBindings;

use crate::error::LoadError;
use outgoing::Outgoing;

/// How often the engine's epoch advances: the granularity of CPU limits.
const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Instances the pooling allocator keeps room for at once.
const POOL_INSTANCES: u32 = 256;

/// Core instances one component may hold, on average across the pool: a
/// Rust guest for wasm32-wasip2 is its program plus the small shim modules
/// that wire up its imports (4); a Python guest from componentize-py links
/// CPython, libc and its adapters (about a dozen). A slot reserves address
/// space, not memory.
const CORE_INSTANCES_PER_COMPONENT: u32 = 16;

/// Bytes of each memory slot reset in place, not unmapped, between uses.
const KEEP_RESIDENT: usize = 1 << 20;

/// Where compiled guests are cached (set once, before the first guest).
static CACHE_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Most memory one instance may use (set once, before the first guest).
static MEMORY_BYTES: OnceLock<usize> = OnceLock::new();

/// Caches compiled guests in `dir`.
pub fn set_cache_dir(dir: PathBuf) {
    let _ = CACHE_DIR.set(dir);
}

/// Where compiled guests are cached, unless caching is off.
pub fn cache_dir() -> Option<&'static Path> {
    CACHE_DIR.get().map(PathBuf::as_path)
}

/// Caps the memory of each guest instance.
pub fn set_memory_limit(bytes: usize) {
    let _ = MEMORY_BYTES.set(bytes);
}

/// The one engine every guest runs on, with the WASI and `wasi:http`
/// imports a guest may use.
struct Runtime {
    engine: Engine,
    linker: Linker<GuestState>,
}

/// The most memory one instance may use.
pub(crate) fn memory_limit() -> usize {
    *MEMORY_BYTES.get_or_init(|| 128 * 1024 * 1024)
}

/// An engine with `config`, compiled code cached on disk where the host
/// set a cache directory, whose epoch advances every [`EPOCH_TICK`].
pub(crate) fn ticking_engine(mut config: Config) -> wasmtime::Result<Engine> {
    config.epoch_interruption(true);
    if let Some(dir) = CACHE_DIR.get() {
        let mut cache = CacheConfig::new();
        cache.with_directory(dir);
        config.cache(Some(Cache::new(cache)?));
    }
    let engine = Engine::new(&config)?;
    let ticking = engine.weak();
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = ticking.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })?;
    Ok(engine)
}

fn runtime() -> Result<&'static Runtime, LoadError> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| Runtime::new().map_err(|e| format!("cannot start wasmtime: {e:#}")))
        .as_ref()
        .map_err(|e| LoadError(e.clone()))
}

impl Runtime {
    fn new() -> wasmtime::Result<Self> {
        let memory = memory_limit();
        let mut pooling = PoolingAllocationConfig::default();
        pooling
            .total_component_instances(POOL_INSTANCES)
            .total_core_instances(POOL_INSTANCES * CORE_INSTANCES_PER_COMPONENT)
            .total_memories(POOL_INSTANCES)
            .total_tables(POOL_INSTANCES)
            .max_memory_size(memory)
            // A slot is reused for the next request: reset the pages a
            // guest dirtied in place (found with PAGEMAP_SCAN where the
            // kernel has it) rather than unmapping them, which costs a TLB
            // shootdown now and page faults on the next instance.
            .pagemap_scan(Enabled::Auto)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT / 16)
            .decommit_batch_size(16);
        let mut config = Config::new();
        config
            .wasm_component_model_async(true)
            .memory_init_cow(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        let engine = ticking_engine(config)?;
        // All of WASI 0.2 and 0.3 (Rust's std imports the CLI interfaces
        // too, as `wasmtime serve` provides them), with no files, sockets
        // or environment granted, and `wasi:http` of both.
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        wasmtime_wasi::p3::add_to_linker(&mut linker)?;
        wasmtime_wasi_http::p3::add_to_linker(&mut linker)?;
        isola_apis::wit::add_to_linker(&mut linker, |state: &mut GuestState| &mut state.bindings)?;
        Ok(Self { engine, linker })
    }
}

/// What a guest gets beside its code.
#[derive(Debug, Clone, Default)]
pub struct GuestOptions {
    /// Its environment variables: the Worker's vars and secrets, or a Spin
    /// component's `environment`.
    pub env: Vec<(String, String)>,
    /// What a Spin component's manifest grants it.
    pub spin: Arc<SpinGrants>,
    /// Where a Spin component may send requests; `None` for other guests.
    pub allowed_hosts: Option<Arc<AllowedHosts>>,
    /// Folders it sees, read-only: (on the host, in the guest).
    pub files: Vec<(PathBuf, String)>,
}

/// What a Wasm Worker serves.
pub enum Guests {
    /// One guest answers every request.
    One(Arc<Guest>),
    /// A Spin app: its components, by route.
    Spin(SpinGuests),
}

impl Guests {
    /// The guest a Worker of one guest runs.
    pub fn single(&self) -> Option<&Arc<Guest>> {
        match self {
            Self::One(guest) => Some(guest),
            Self::Spin(_) => None,
        }
    }
}

/// A compiled and linked guest, ready to instantiate.
pub struct Guest {
    pub name: Arc<str>,
    handler: Handler,
    options: GuestOptions,
}

/// The `wasi:http` handler a guest exports, linked.
#[derive(Clone)]
enum Handler {
    /// WASI 0.2's `wasi:http/incoming-handler`.
    P2(ProxyPre<GuestState>),
    /// WASIp3's `wasi:http/handler@0.3.0`.
    P3(ServicePre<GuestState>),
}

impl Handler {
    fn engine(&self) -> &Engine {
        match self {
            Self::P2(pre) => pre.engine(),
            Self::P3(pre) => pre.engine(),
        }
    }
}

impl Guest {
    /// Compiles the component at `path` (a core module is made a component
    /// first) and links it against the imports the host provides; the
    /// error names the file and says what is wrong (not a component, an
    /// import the host lacks, ...).
    pub fn load(name: &str, path: &Path, options: GuestOptions) -> Result<Self, LoadError> {
        let runtime = runtime()?;
        let failed = |what: &str, e: wasmtime::Error| {
            LoadError(format!("{}: {what}: {e:#}", path.display()))
        };
        let bytes =
            std::fs::read(path).map_err(|e| LoadError(format!("{}: {e}", path.display())))?;
        let bytes = if wasmparser::Parser::is_core_wasm(&bytes) {
            component_of(&bytes).map_err(|e| {
                LoadError(format!(
                    "{}: cannot be made a component: {e}",
                    path.display()
                ))
            })?
        } else {
            bytes
        };
        let component = Component::from_binary(&runtime.engine, &bytes)
            .map_err(|e| failed("not a valid WebAssembly component", e))?;
        refuse_unoffered_spin_imports(&runtime.engine, &component)
            .map_err(|e| LoadError(format!("{}: {e}", path.display())))?;
        let pre = runtime
            .linker
            .instantiate_pre(&component)
            .map_err(|e| failed("cannot be linked", e))?;
        let handler = if exports_p3_handler(&runtime.engine, &component) {
            Handler::P3(
                ServicePre::new(pre)
                    .map_err(|e| failed("does not export wasi:http/handler@0.3.0", e))?,
            )
        } else {
            Handler::P2(
                ProxyPre::new(pre)
                    .map_err(|e| failed("does not export wasi:http/incoming-handler", e))?,
            )
        };
        Ok(Self {
            name: name.into(),
            handler,
            options,
        })
    }
}

/// The component of the core module `module`: from the cache directory,
/// where an earlier load left it, or made now and left there, since making
/// it takes tens of milliseconds and compiling it is cached only by the
/// component's bytes.
fn component_of(module: &[u8]) -> Result<Vec<u8>, String> {
    use sha2::Digest as _;
    let adapter = wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;
    let Some(dir) = cache_dir() else {
        return componentized(module);
    };
    let key = sha2::Sha256::new()
        .chain_update(module)
        .chain_update(adapter)
        .finalize();
    let file = dir.join("components").join(format!("{key:x}.wasm"));
    if let Ok(cached) = std::fs::read(&file)
        && wasmparser::Parser::is_component(&cached)
    {
        return Ok(cached);
    }
    let component = componentized(module)?;
    // A cache that cannot be written only costs the next start the time.
    let _ = std::fs::create_dir_all(dir.join("components")).and_then(|()| {
        let partial = file.with_extension(format!("{}.partial", std::process::id()));
        std::fs::write(&partial, &component)?;
        std::fs::rename(&partial, &file)
    });
    Ok(component)
}

/// A component of `module`, a core module built for wasm32-wasip1 with the
/// component types of its imports and exports embedded (as `wit-bindgen`
/// and so the Spin SDKs embed them): its WASI preview1 imports are adapted
/// to WASI 0.2.
fn componentized(module: &[u8]) -> Result<Vec<u8>, String> {
    use wasi_preview1_component_adapter_provider::{
        WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
    };
    wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|encoder| {
            encoder.validate(true).adapter(
                WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
            )
        })
        .and_then(|mut encoder| encoder.encode())
        .map_err(|e| format!("{e:#}"))
}

/// Whether `component` exports WASIp3's `wasi:http/handler` (0.3.x), the
/// export spin-sdk 6 and 7 build; others are served as WASI 0.2 proxies.
fn exports_p3_handler(engine: &Engine, component: &Component) -> bool {
    component
        .component_type()
        .exports(engine)
        .any(|(name, _)| name.starts_with("wasi:http/handler@0.3"))
}

/// Refuses a Spin interface this host does not offer (Redis, MQTT,
/// PostgreSQL, MySQL, LLM, ...), naming it and what is offered.
fn refuse_unoffered_spin_imports(engine: &Engine, component: &Component) -> Result<(), String> {
    let offered = isola_apis::spin::OFFERED;
    let ty = component.component_type();
    let refused: Vec<&str> = ty
        .imports(engine)
        .map(|(name, _)| name)
        .filter(|name| isola_apis::spin::is_spin_interface(name) && !offered.contains(name))
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(format!(
        "imports {}, Spin interface{} this host does not offer (it offers {})",
        refused.join(", "),
        if refused.len() == 1 { "" } else { "s" },
        offered.join(", ")
    ))
}

impl Guest {
    /// A store for one instance with `state`, which may run for `cpu`.
    ///
    /// The guest yields to the runtime at every epoch tick it runs through,
    /// so a guest that computes for long shares the server's threads with
    /// other requests instead of holding one; it traps once it has run
    /// through `cpu` worth of ticks.
    fn store(&self, state: GuestState, cpu: Duration) -> Store<GuestState> {
        let mut store = Store::new(self.handler.engine(), state);
        let budget =
            u64::try_from((cpu.as_nanos() / EPOCH_TICK.as_nanos()).max(1)).unwrap_or(u64::MAX);
        let mut used = 0u64;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            used += 1;
            if used >= budget {
                return Err(Trap::Interrupt.into());
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }

    /// A fresh instance serving no request, with no bindings: what
    /// `isola bench cold-start` times and holds to see what one costs.
    pub async fn instantiate(&self) -> Result<IdleInstance, LoadError> {
        let state = GuestState::new(
            self,
            Arc::default(),
            Outgoing::new(0, None, None, Arc::from([]), None),
        );
        let mut store = self.store(state, Duration::from_secs(1));
        let instantiated = match &self.handler {
            Handler::P2(pre) => pre.instantiate_async(&mut store).await.map(drop),
            Handler::P3(pre) => pre.instantiate_async(&mut store).await.map(drop),
        };
        instantiated
            .map_err(|e| LoadError(format!("{}: cannot be instantiated: {e:#}", self.name)))?;
        Ok(IdleInstance { _store: store })
    }
}

/// An instance kept alive, serving nothing.
pub struct IdleInstance {
    _store: Store<GuestState>,
}

/// What one instance (one request) owns.
pub(crate) struct GuestState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    outgoing: Outgoing,
    bindings: GuestBindings,
}

impl GuestState {
    fn new(guest: &Guest, bindings: Arc<WorkerBindings>, outgoing: Outgoing) -> Self {
        let options = &guest.options;
        let mut wasi = WasiCtx::builder();
        wasi.inherit_stderr().envs(&options.env);
        for (host, guest_path) in &options.files {
            // Checked when the app was loaded; a folder gone since is
            // simply not there for the guest.
            let _ = wasi.preopened_dir(host, guest_path, FsPerms::ReadOnly);
        }
        Self {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            outgoing,
            bindings: GuestBindings::new(bindings, options.spin.clone()),
        }
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for GuestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outgoing,
        }
    }
}
