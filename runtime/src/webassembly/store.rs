//! The isolate's wasmtime store, the modules compiled for it, and the
//! handles JS holds into it.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use deno_core::{OpState, v8};
use deno_error::JsErrorBox;
use sha2::{Digest, Sha256};
use wasmtime::{
    AsContext, AsContextMut, Caller, Config, Engine, Extern, Func, Global, Memory, Module,
    ResourceLimiter, RootScope, StoreContextMut, Table, Trap, UpdateDeadline, ValType,
};

use super::failure::{Failure, Outcome};
use crate::limits::Monitor;

pub(super) type Store = wasmtime::Store<Host>;
pub(super) type Context<'a> = RootScope<StoreContextMut<'a, Host>>;

/// The engine JS Workers' Wasm runs on: Cranelift, every standard feature
/// V8 has, an epoch that lets the isolate's CPU limit stop a loop.
pub(super) fn engine() -> Result<&'static Engine, JsErrorBox> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            crate::wasm::ticking_engine(Config::new())
                .map_err(|e| format!("cannot start wasmtime: {e:#}"))
        })
        .as_ref()
        .map_err(|e| JsErrorBox::generic(e.clone()))
}

/// A compiled module and the custom sections the JS API can read back.
pub(super) struct Compiled {
    pub(super) module: Module,
    pub(super) custom_sections: Vec<(String, Vec<u8>)>,
}

/// Compiles `bytes`, or finds them compiled already by an isolate that
/// still holds them.
pub(super) fn compile(bytes: &[u8]) -> Result<Arc<Compiled>, String> {
    static COMPILED: OnceLock<Mutex<HashMap<[u8; 32], Weak<Compiled>>>> = OnceLock::new();
    let key: [u8; 32] = Sha256::digest(bytes).into();
    let cache = COMPILED.get_or_init(Default::default);
    if let Some(compiled) = cache.lock().unwrap().get(&key).and_then(Weak::upgrade) {
        return Ok(compiled);
    }
    let engine = engine().map_err(|e| e.to_string())?;
    let module = Module::new(engine, bytes).map_err(|e| format!("{e:#}"))?;
    let custom_sections = wasmparser::Parser::new(0)
        .parse_all(bytes)
        .filter_map(|payload| match payload {
            Ok(wasmparser::Payload::CustomSection(section)) => {
                Some((section.name().to_string(), section.data().to_vec()))
            }
            _ => None,
        })
        .collect();
    let compiled = Arc::new(Compiled {
        module,
        custom_sections,
    });
    let mut cache = cache.lock().unwrap();
    cache.retain(|_, compiled| compiled.strong_count() > 0);
    cache.insert(key, Arc::downgrade(&compiled));
    Ok(compiled)
}

/// Instances one isolate may create before it is replaced: wasmtime frees
/// instances only with their store, so a Worker that instantiates a module
/// per request gets a fresh isolate now and then instead of growing.
pub(super) const INSTANCES_PER_ISOLATE: usize = 512;

/// Elements a table may hold, as in V8.
const MAX_TABLE_ELEMENTS: usize = 10_000_000;

/// What the store's data holds: the way back into JS, and what its
/// memories take.
pub(super) struct Host {
    pub(super) shared: Rc<Shared>,
    memory: MemoryBudget,
}

/// The linear memories of an isolate together may not exceed the memory
/// limit (`--memory-mb`); a store frees none before the isolate goes, so
/// what was ever allocated counts, and an isolate that reaches the limit is
/// replaced once its requests are done.
struct MemoryBudget {
    /// Bytes the store's memories have taken.
    pub(super) used: usize,
    pub(super) monitor: Arc<OnceLock<Arc<Monitor>>>,
}

impl ResourceLimiter for MemoryBudget {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let used = self.used + (desired - current);
        if used > crate::wasm::memory_limit() {
            if let Some(monitor) = self.monitor.get() {
                monitor.retire();
            }
            return Ok(false);
        }
        self.used = used;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        usize::MAX
    }

    fn tables(&self) -> usize {
        usize::MAX
    }

    fn memories(&self) -> usize {
        usize::MAX
    }
}

/// An isolate's store, and what ops and host functions share.
pub(super) struct Bridge {
    pub(super) store: RefCell<Store>,
    pub(super) shared: Rc<Shared>,
}

/// The handles JS holds and the way back into JS, reachable from both ops
/// and host functions (which see the store only through their `Caller`).
pub(super) struct Shared {
    /// The scope of the op that entered Wasm, while Wasm runs.
    pub(super) scope: Cell<*mut c_void>,
    /// The `Caller` of the host function running now, if one is.
    pub(super) active: Cell<*mut c_void>,
    pub(super) modules: RefCell<Vec<Arc<Compiled>>>,
    /// Functions, memories, tables and globals JS has handles to.
    pub(super) items: RefCell<Vec<Extern>>,
    /// Exported functions already handed out, by funcref address, so one
    /// Wasm function is always the same JS function.
    pub(super) function_ids: RefCell<HashMap<usize, u32>>,
    /// The types of exported functions JS has called, by handle (asking
    /// wasmtime for a function's type on every call costs more than the
    /// call).
    signatures: RefCell<Vec<Option<Rc<Signature>>>>,
    /// The JS functions instances import.
    pub(super) imports: RefCell<Vec<v8::Global<v8::Function>>>,
    /// JS values held by `externref`s; `None` marks a free slot.
    pub(super) values: RefCell<Vec<Option<v8::Global<v8::Value>>>>,
    /// The free slots of `values`.
    pub(super) free_values: RefCell<Vec<u32>>,
    /// Slots whose `externref` wasmtime collected, to free on the next op.
    pub(super) released: Arc<Mutex<Vec<u32>>>,
    /// The `ArrayBuffer`s handed out over memories.
    pub(super) buffers: RefCell<Vec<MemoryBuffer>>,
    /// What a JS import threw, on its way out through Wasm.
    pub(super) exception: RefCell<Option<v8::Global<v8::Value>>>,
    /// The isolate's monitor, known once a Worker is loaded into it.
    pub(super) monitor: Arc<OnceLock<Arc<Monitor>>>,
    pub(super) instances: Cell<usize>,
    pub(super) helpers: Helpers,
}

/// JS functions of `webassembly.js` the bridge calls.
pub(super) struct Helpers {
    /// `(id, arity) => function`: the JS function for an exported one.
    pub(super) wrap_function: v8::Global<v8::Function>,
    /// `(value) => id or -1`: the handle of an exported function.
    pub(super) function_id: v8::Global<v8::Function>,
    /// `(value) => number`: ToNumber.
    pub(super) to_number: v8::Global<v8::Function>,
    /// `(value) => bigint`: ToBigInt, wrapped to 64 bits.
    pub(super) to_big_int: v8::Global<v8::Function>,
    pub(super) runtime_error: v8::Global<v8::Function>,
    pub(super) link_error: v8::Global<v8::Function>,
}

/// An `ArrayBuffer` over a memory: the handle JS got it through, and the
/// memory's size then.
pub(super) struct MemoryBuffer {
    pub(super) handle: u32,
    pub(super) memory: Memory,
    pub(super) buffer: v8::Global<v8::ArrayBuffer>,
    pub(super) length: usize,
}

/// A function's parameter and result types.
pub(super) struct Signature {
    pub(super) params: Box<[ValType]>,
    pub(super) results: Box<[ValType]>,
}

/// What an `externref` holds: a slot in [`Shared::values`].
pub(super) struct HeldValue {
    pub(super) slot: u32,
    pub(super) released: Arc<Mutex<Vec<u32>>>,
}

impl Drop for HeldValue {
    fn drop(&mut self) {
        self.released.lock().unwrap().push(self.slot);
    }
}

impl Bridge {
    /// A store for an isolate whose JS gave `helpers`.
    pub(super) fn new(helpers: Helpers) -> Result<Self, JsErrorBox> {
        let shared = Rc::new(Shared {
            scope: Cell::new(std::ptr::null_mut()),
            active: Cell::new(std::ptr::null_mut()),
            modules: RefCell::default(),
            items: RefCell::default(),
            function_ids: RefCell::default(),
            signatures: RefCell::default(),
            imports: RefCell::default(),
            values: RefCell::default(),
            free_values: RefCell::default(),
            released: Arc::default(),
            buffers: RefCell::default(),
            exception: RefCell::default(),
            monitor: Arc::default(),
            instances: Cell::new(0),
            helpers,
        });
        let mut store = Store::new(
            engine()?,
            Host {
                shared: shared.clone(),
                memory: MemoryBudget {
                    used: 0,
                    monitor: shared.monitor.clone(),
                },
            },
        );
        store.limiter(|host| &mut host.memory);
        // Every tick of the engine's epoch, stop if the isolate's monitor
        // has stopped its JS (over its CPU or memory limit).
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| match ctx.data().shared.monitor.get() {
            Some(monitor) if monitor.exceeded().is_some() => Err(Trap::Interrupt.into()),
            _ => Ok(UpdateDeadline::Continue(1)),
        });
        Ok(Self {
            store: RefCell::new(store),
            shared,
        })
    }

    pub(super) fn get(state: &Rc<RefCell<OpState>>) -> Outcome<Rc<Bridge>> {
        let state = state.borrow();
        let bridge = state
            .try_borrow::<Rc<Bridge>>()
            .cloned()
            .ok_or_else(|| Failure::Type("WebAssembly is not initialised".into()))?;
        if bridge.shared.monitor.get().is_none()
            && let Some(monitor) = state.try_borrow::<Arc<Monitor>>().cloned()
        {
            let _ = bridge.shared.monitor.set(monitor);
        }
        Ok(bridge)
    }

    /// Runs `f` on the store: through the running host function's `Caller`
    /// when JS was called from Wasm, else directly.
    /// The store is busy while a value for Wasm is being converted: JS
    /// that the conversion runs (a `valueOf`) and that calls into Wasm
    /// again gets an exception.
    pub(super) fn with_store<T>(
        &self,
        f: impl FnOnce(&mut Context<'_>) -> Outcome<T>,
    ) -> Outcome<T> {
        self.shared.release_values();
        let active = self.shared.active.get();
        if active.is_null() {
            let Ok(mut store) = self.store.try_borrow_mut() else {
                return Err(Failure::Type(
                    "WebAssembly cannot be called while converting a value for it".into(),
                ));
            };
            f(&mut RootScope::new(store.as_context_mut()))
        } else {
            // SAFETY: `active` points at the `Caller` of a host function
            // further up this thread's stack, blocked in a call to JS that
            // made this op; `call_js` clears it before that call returns.
            let caller = unsafe { &mut *active.cast::<Caller<'static, Host>>() };
            f(&mut RootScope::new(caller.as_context_mut()))
        }
    }
}

/// Runs `f` on the store of the isolate that `state` belongs to, with the
/// handles beside it: what every op on Wasm objects does.
pub(super) fn on_store<T>(
    state: &Rc<RefCell<OpState>>,
    f: impl FnOnce(&Shared, &mut Context<'_>) -> Outcome<T>,
) -> Outcome<T> {
    let bridge = Bridge::get(state)?;
    bridge.with_store(|ctx| f(&bridge.shared, ctx))
}

/// Restores the scope host functions call JS through when dropped.
pub(super) struct Entered<'a> {
    pub(super) shared: &'a Shared,
    pub(super) outer: *mut c_void,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.shared.scope.set(self.outer);
    }
}

impl Shared {
    /// Makes `scope` the way back into JS for host functions until the
    /// guard is dropped.
    pub(super) fn enter(&self, scope: &mut v8::PinScope<'_, '_>) -> Entered<'_> {
        let outer = self.scope.replace(std::ptr::from_mut(scope).cast());
        Entered {
            shared: self,
            outer,
        }
    }

    pub(super) fn item(&self, id: u32) -> Outcome<Extern> {
        self.items
            .borrow()
            .get(id as usize)
            .cloned()
            .ok_or_else(|| Failure::Type("not a WebAssembly object".into()))
    }

    pub(super) fn add(&self, item: Extern) -> u32 {
        let mut items = self.items.borrow_mut();
        items.push(item);
        (items.len() - 1) as u32
    }

    /// The handle of an exported function, the same for the same function.
    pub(super) fn function_handle(
        &self,
        ctx: &mut impl AsContextMut<Data = Host>,
        func: Func,
    ) -> u32 {
        let address = func.to_raw(&mut *ctx) as usize;
        if let Some(&id) = self.function_ids.borrow().get(&address) {
            return id;
        }
        let id = self.add(Extern::Func(func));
        self.function_ids.borrow_mut().insert(address, id);
        id
    }

    pub(super) fn signature(&self, ctx: &impl AsContext, id: u32, func: Func) -> Rc<Signature> {
        if let Some(Some(signature)) = self.signatures.borrow().get(id as usize) {
            return signature.clone();
        }
        let ty = func.ty(ctx);
        let signature = Rc::new(Signature {
            params: ty.params().collect(),
            results: ty.results().collect(),
        });
        let mut signatures = self.signatures.borrow_mut();
        if signatures.len() <= id as usize {
            signatures.resize(id as usize + 1, None);
        }
        signatures[id as usize] = Some(signature.clone());
        signature
    }

    pub(super) fn module(&self, id: u32) -> Outcome<Arc<Compiled>> {
        self.modules
            .borrow()
            .get(id as usize)
            .cloned()
            .ok_or_else(|| Failure::Type("not a WebAssembly.Module".into()))
    }

    pub(super) fn func(&self, id: u32) -> Outcome<Func> {
        match self.item(id)? {
            Extern::Func(func) => Ok(func),
            _ => Err(Failure::Type("not a WebAssembly function".into())),
        }
    }

    pub(super) fn memory(&self, id: u32) -> Outcome<Memory> {
        match self.item(id)? {
            Extern::Memory(memory) => Ok(memory),
            _ => Err(Failure::Type("not a WebAssembly.Memory".into())),
        }
    }

    pub(super) fn table(&self, id: u32) -> Outcome<Table> {
        match self.item(id)? {
            Extern::Table(table) => Ok(table),
            _ => Err(Failure::Type("not a WebAssembly.Table".into())),
        }
    }

    pub(super) fn global(&self, id: u32) -> Outcome<Global> {
        match self.item(id)? {
            Extern::Global(global) => Ok(global),
            _ => Err(Failure::Type("not a WebAssembly.Global".into())),
        }
    }

    /// Frees the slots of `externref`s wasmtime has collected.
    pub(super) fn release_values(&self) {
        if self.values.borrow().is_empty() {
            return;
        }
        let released = std::mem::take(&mut *self.released.lock().unwrap());
        let mut values = self.values.borrow_mut();
        for &slot in &released {
            values[slot as usize] = None;
        }
        self.free_values.borrow_mut().extend(released);
    }

    pub(super) fn hold(
        &self,
        scope: &mut v8::PinScope<'_, '_>,
        value: v8::Local<v8::Value>,
    ) -> HeldValue {
        let global = Some(v8::Global::new(scope, value));
        let mut values = self.values.borrow_mut();
        let slot = match self.free_values.borrow_mut().pop() {
            Some(free) => {
                values[free as usize] = global;
                free
            }
            None => {
                values.push(global);
                (values.len() - 1) as u32
            }
        };
        HeldValue {
            slot,
            released: self.released.clone(),
        }
    }

    /// Detaches the buffers of memories whose size changed since JS got
    /// them (or of `grown`, which was just grown, whatever its size).
    pub(super) fn detach_stale(
        &self,
        scope: &mut v8::PinScope<'_, '_>,
        ctx: impl AsContext,
        grown: Option<u32>,
    ) {
        let ctx = ctx.as_context();
        self.buffers.borrow_mut().retain(|entry| {
            if Some(entry.handle) != grown && entry.memory.data_size(&ctx) == entry.length {
                return true;
            }
            v8::Local::new(scope, &entry.buffer).detach(None);
            false
        });
    }
}
