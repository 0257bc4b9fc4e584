//! `WebAssembly` for JS Workers, on wasmtime.
//!
//! The QuickJS engine's own `WebAssembly` is an interpreter (WAMR) that runs
//! Wasm about 9× slower than wasmtime, cannot keep JS values in `externref`s
//! and has no `Table` or `Global` constructors, so JS Workers get the JS API
//! from `92_webassembly.js` over the ops here instead: modules compiled by
//! Cranelift once per process (and cached on disk like guests), and one
//! wasmtime `Store` per isolate that holds every instance, memory, table and
//! global its JS creates. JS holds them as numbered handles; wasmtime frees
//! a store's objects only with the store, so they live as long as the
//! isolate.
//!
//! Calls go both ways on the isolate's thread. An exported function is an
//! op that calls into the store; an imported JS function is a host function
//! that calls back into JS through the scope of the op that entered Wasm.
//! While a host function runs, wasmtime holds the store through its
//! `Caller`, so ops that JS makes from inside it reach the store through
//! that `Caller` instead ([`JsSide::active`]).
//!
//! `Memory.buffer` is an `ArrayBuffer` over the linear memory itself, not a
//! copy; once the memory grows it is detached (as V8 does) before JS runs
//! again, so glue code that caches views sees their length drop to zero.
//! A JS value passed as `externref` is kept in a table of handles that the
//! `externref` points at, and released when Wasm drops its last reference.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use deno_core::{OpState, op2, v8};
use deno_error::JsErrorBox;
use sha2::{Digest, Sha256};
use wasmtime::{
    AsContext, AsContextMut, Caller, Config, Engine, Extern, ExternRef, ExternType, Func, FuncType,
    Global, GlobalType, HeapType, Instance, Memory, MemoryType, Module, Mutability, Ref, RefType,
    ResourceLimiter, RootScope, StoreContextMut, Table, TableType, Trap, UpdateDeadline, Val,
    ValType,
};

use super::monitor::Monitor;
use super::ops::HostState;

deno_core::extension!(
    isola_webassembly,
    ops = [
        op_wasm_on_wasmtime,
        op_wasm_init,
        op_wasm_compile,
        op_wasm_validate,
        op_wasm_module_imports,
        op_wasm_module_exports,
        op_wasm_module_custom_sections,
        op_wasm_instantiate,
        op_wasm_call,
        op_wasm_memory_new,
        op_wasm_memory_buffer,
        op_wasm_memory_grow,
        op_wasm_table_new,
        op_wasm_table_length,
        op_wasm_table_get,
        op_wasm_table_set,
        op_wasm_table_grow,
        op_wasm_global_new,
        op_wasm_global_get,
        op_wasm_global_set,
    ],
);

type Store = wasmtime::Store<Host>;
type Context<'a> = RootScope<StoreContextMut<'a, Host>>;

/// The engine JS Workers' Wasm runs on: Cranelift, every standard feature
/// V8 has, an epoch that lets the isolate's CPU limit stop a loop.
fn engine() -> Result<&'static Engine, JsErrorBox> {
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
struct Compiled {
    module: Module,
    custom_sections: Vec<(String, Vec<u8>)>,
}

/// Compiles `bytes`, or finds them compiled already by an isolate that
/// still holds them.
fn compile(bytes: &[u8]) -> Result<Arc<Compiled>, String> {
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
const INSTANCES_PER_ISOLATE: usize = 512;

/// Elements a table may hold, as in V8.
const MAX_TABLE_ELEMENTS: usize = 10_000_000;

/// What the store's data holds: the way back into JS, and what its
/// memories take.
struct Host {
    shared: Rc<Shared>,
    memory: MemoryBudget,
}

/// The linear memories of an isolate together may not exceed the memory
/// limit (`--memory-mb`); a store frees none before the isolate goes, so
/// what was ever allocated counts, and an isolate that reaches the limit is
/// replaced once its requests are done.
struct MemoryBudget {
    /// Bytes the store's memories have taken.
    used: usize,
    monitor: Arc<OnceLock<Arc<Monitor>>>,
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
struct Bridge {
    store: RefCell<Store>,
    shared: Rc<Shared>,
}

/// The handles JS holds and the way back into JS, reachable from both ops
/// and host functions (which see the store only through their `Caller`).
struct Shared {
    /// The scope of the op that entered Wasm, while Wasm runs.
    scope: Cell<*mut c_void>,
    /// The `Caller` of the host function running now, if one is.
    active: Cell<*mut c_void>,
    modules: RefCell<Vec<Arc<Compiled>>>,
    /// Functions, memories, tables and globals JS has handles to.
    items: RefCell<Vec<Extern>>,
    /// Exported functions already handed out, by funcref address, so one
    /// Wasm function is always the same JS function.
    function_ids: RefCell<HashMap<usize, u32>>,
    /// The types of exported functions JS has called, by handle (asking
    /// wasmtime for a function's type on every call costs more than the
    /// call).
    signatures: RefCell<Vec<Option<Rc<Signature>>>>,
    /// The JS functions instances import.
    imports: RefCell<Vec<v8::Global<v8::Function>>>,
    /// JS values held by `externref`s; `None` marks a free slot.
    values: RefCell<Vec<Option<v8::Global<v8::Value>>>>,
    /// The free slots of `values`.
    free_values: RefCell<Vec<u32>>,
    /// Slots whose `externref` wasmtime collected, to free on the next op.
    released: Arc<Mutex<Vec<u32>>>,
    /// The `ArrayBuffer`s handed out over memories.
    buffers: RefCell<Vec<MemoryBuffer>>,
    /// What a JS import threw, on its way out through Wasm.
    exception: RefCell<Option<v8::Global<v8::Value>>>,
    /// The isolate's monitor, known once a Worker is loaded into it.
    monitor: Arc<OnceLock<Arc<Monitor>>>,
    instances: Cell<usize>,
    helpers: Helpers,
}

/// JS functions of `92_webassembly.js` the bridge calls.
struct Helpers {
    /// `(id, arity) => function`: the JS function for an exported one.
    wrap_function: v8::Global<v8::Function>,
    /// `(value) => id or -1`: the handle of an exported function.
    function_id: v8::Global<v8::Function>,
    /// `(value) => number`: ToNumber.
    to_number: v8::Global<v8::Function>,
    /// `(value) => bigint`: ToBigInt, wrapped to 64 bits.
    to_big_int: v8::Global<v8::Function>,
    runtime_error: v8::Global<v8::Function>,
    link_error: v8::Global<v8::Function>,
}

/// An `ArrayBuffer` over a memory: the handle JS got it through, and the
/// memory's size then.
struct MemoryBuffer {
    handle: u32,
    memory: Memory,
    buffer: v8::Global<v8::ArrayBuffer>,
    length: usize,
}

/// A function's parameter and result types.
struct Signature {
    params: Box<[ValType]>,
    results: Box<[ValType]>,
}

/// What an `externref` holds: a slot in [`Shared::values`].
struct HeldValue {
    slot: u32,
    released: Arc<Mutex<Vec<u32>>>,
}

impl Drop for HeldValue {
    fn drop(&mut self) {
        self.released.lock().unwrap().push(self.slot);
    }
}

/// Why an operation failed.
enum Failure {
    /// A JS exception, thrown already.
    Thrown,
    /// The isolate is being stopped (CPU or memory limit).
    Terminated,
    /// A message for a `TypeError`.
    Type(String),
    /// A message for a `RangeError`.
    Range(String),
}

type Outcome<T> = Result<T, Failure>;

const INCOMPATIBLE: &str = "type incompatibility when transforming from/to JS";

fn incompatible<T>() -> Outcome<T> {
    Err(Failure::Type(INCOMPATIBLE.into()))
}

impl Bridge {
    fn get(state: &Rc<RefCell<OpState>>) -> Outcome<Rc<Bridge>> {
        let state = state.borrow();
        let bridge = state
            .try_borrow::<Rc<Bridge>>()
            .cloned()
            .ok_or_else(|| Failure::Type("WebAssembly is not initialised".into()))?;
        if bridge.shared.monitor.get().is_none()
            && let Some(monitor) = state.borrow::<HostState>().monitor()
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
    fn with_store<T>(&self, f: impl FnOnce(&mut Context<'_>) -> Outcome<T>) -> Outcome<T> {
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

/// Restores the scope host functions call JS through when dropped.
struct Entered<'a> {
    shared: &'a Shared,
    outer: *mut c_void,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.shared.scope.set(self.outer);
    }
}

impl Shared {
    /// Makes `scope` the way back into JS for host functions until the
    /// guard is dropped.
    fn enter(&self, scope: &mut v8::PinScope<'_, '_>) -> Entered<'_> {
        let outer = self.scope.replace(std::ptr::from_mut(scope).cast());
        Entered {
            shared: self,
            outer,
        }
    }

    fn item(&self, id: u32) -> Outcome<Extern> {
        self.items
            .borrow()
            .get(id as usize)
            .cloned()
            .ok_or_else(|| Failure::Type("not a WebAssembly object".into()))
    }

    fn add(&self, item: Extern) -> u32 {
        let mut items = self.items.borrow_mut();
        items.push(item);
        (items.len() - 1) as u32
    }

    /// The handle of an exported function, the same for the same function.
    fn function_handle(&self, ctx: &mut impl AsContextMut<Data = Host>, func: Func) -> u32 {
        let address = func.to_raw(&mut *ctx) as usize;
        if let Some(&id) = self.function_ids.borrow().get(&address) {
            return id;
        }
        let id = self.add(Extern::Func(func));
        self.function_ids.borrow_mut().insert(address, id);
        id
    }

    fn signature(&self, ctx: &impl AsContext, id: u32, func: Func) -> Rc<Signature> {
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

    fn func(&self, id: u32) -> Outcome<Func> {
        match self.item(id)? {
            Extern::Func(func) => Ok(func),
            _ => Err(Failure::Type("not a WebAssembly function".into())),
        }
    }

    fn memory(&self, id: u32) -> Outcome<Memory> {
        match self.item(id)? {
            Extern::Memory(memory) => Ok(memory),
            _ => Err(Failure::Type("not a WebAssembly.Memory".into())),
        }
    }

    fn table(&self, id: u32) -> Outcome<Table> {
        match self.item(id)? {
            Extern::Table(table) => Ok(table),
            _ => Err(Failure::Type("not a WebAssembly.Table".into())),
        }
    }

    fn global(&self, id: u32) -> Outcome<Global> {
        match self.item(id)? {
            Extern::Global(global) => Ok(global),
            _ => Err(Failure::Type("not a WebAssembly.Global".into())),
        }
    }

    /// Frees the slots of `externref`s wasmtime has collected.
    fn release_values(&self) {
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

    fn hold(&self, scope: &mut v8::PinScope<'_, '_>, value: v8::Local<v8::Value>) -> HeldValue {
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
    fn detach_stale(
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

    /// Converts a JS value to a Wasm value of type `ty`, as V8's
    /// ToWebAssemblyValue does.
    fn to_wasm(
        &self,
        scope: &mut v8::PinScope<'_, '_>,
        ctx: &mut impl AsContextMut<Data = Host>,
        value: v8::Local<v8::Value>,
        ty: &ValType,
    ) -> Outcome<Val> {
        // Objects become primitives in JS first: their `valueOf` may throw,
        // and only a JS call passes what it throws on.
        let value = match ty {
            ValType::I64 if value.is_object() => {
                self.call_helper(scope, &self.helpers.to_big_int, value)?
            }
            ValType::I32 | ValType::F32 | ValType::F64 if value.is_object() => {
                self.call_helper(scope, &self.helpers.to_number, value)?
            }
            _ => value,
        };
        let primitive = Failure::Thrown;
        Ok(match ty {
            ValType::I32 => Val::I32(value.int32_value(scope).ok_or(primitive)?),
            ValType::I64 => {
                // ToBigInt: booleans and strings convert, numbers do not.
                if value.is_number() || value.is_null_or_undefined() || value.is_symbol() {
                    let shown = value.to_rust_string_lossy(scope);
                    return Err(Failure::Type(format!("Cannot convert {shown} to a BigInt")));
                }
                Val::I64(value.to_big_int(scope).ok_or(primitive)?.i64_value().0)
            }
            ValType::F32 => {
                Val::F32((value.number_value(scope).ok_or(primitive)? as f32).to_bits())
            }
            ValType::F64 => Val::F64(value.number_value(scope).ok_or(primitive)?.to_bits()),
            ValType::V128 => return incompatible(),
            ValType::Ref(ty) => Val::from(self.to_wasm_ref(scope, ctx, value, ty)?),
        })
    }

    fn to_wasm_ref(
        &self,
        scope: &mut v8::PinScope<'_, '_>,
        ctx: &mut impl AsContextMut<Data = Host>,
        value: v8::Local<v8::Value>,
        ty: &RefType,
    ) -> Outcome<Ref> {
        // A missing funcref (Table.set(i), Table.grow(n)) is null.
        if value.is_null()
            || (value.is_undefined() && matches!(ty.heap_type().top(), HeapType::Func))
        {
            return match ty.heap_type().top() {
                _ if !ty.is_nullable() => incompatible(),
                HeapType::Func => Ok(Ref::Func(None)),
                HeapType::Extern => Ok(Ref::Extern(None)),
                _ => Ok(Ref::Any(None)),
            };
        }
        match ty.heap_type() {
            HeapType::Extern => {
                let held = self.hold(scope, value);
                match ExternRef::new(&mut *ctx, held) {
                    Ok(externref) => Ok(Ref::Extern(Some(externref))),
                    Err(e) => Err(Failure::Range(format!("{e:#}"))),
                }
            }
            HeapType::Func => {
                let helper = v8::Local::new(scope, &self.helpers.function_id);
                let undefined = v8::undefined(scope).into();
                let id = helper
                    .call(scope, undefined, &[value])
                    .and_then(|id| id.int32_value(scope))
                    .ok_or(Failure::Thrown)?;
                match u32::try_from(id).ok().map(|id| self.func(id)) {
                    Some(Ok(func)) => Ok(Ref::Func(Some(func))),
                    _ => incompatible(),
                }
            }
            _ => incompatible(),
        }
    }

    /// Converts a Wasm value to JS, as V8's ToJSValue does.
    fn to_js<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        ctx: &mut impl AsContextMut<Data = Host>,
        value: &Val,
    ) -> Outcome<v8::Local<'s, v8::Value>> {
        Ok(match value {
            Val::I32(n) => v8::Integer::new(scope, *n).into(),
            Val::I64(n) => v8::BigInt::new_from_i64(scope, *n).into(),
            Val::F32(bits) => v8::Number::new(scope, f64::from(f32::from_bits(*bits))).into(),
            Val::F64(bits) => v8::Number::new(scope, f64::from_bits(*bits)).into(),
            Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) => v8::null(scope).into(),
            Val::FuncRef(Some(func)) => {
                let arity = func.ty(&*ctx).params().len() as i32;
                let id = self.function_handle(ctx, *func);
                let helper = v8::Local::new(scope, &self.helpers.wrap_function);
                let undefined = v8::undefined(scope).into();
                let args = [
                    v8::Integer::new_from_unsigned(scope, id).into(),
                    v8::Integer::new(scope, arity).into(),
                ];
                helper
                    .call(scope, undefined, &args)
                    .ok_or(Failure::Thrown)?
            }
            Val::ExternRef(Some(externref)) => {
                let slot = externref
                    .data(ctx.as_context())
                    .ok()
                    .flatten()
                    .and_then(|data| data.downcast_ref::<HeldValue>())
                    .map(|held| held.slot as usize);
                let values = self.values.borrow();
                match slot.and_then(|slot| values[slot].as_ref()) {
                    Some(value) => v8::Local::new(scope, value),
                    None => return incompatible(),
                }
            }
            _ => return incompatible(),
        })
    }

    /// What a Wasm function returns, as JS sees it: nothing, the value, or
    /// an array of the values.
    fn results_to_js<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        ctx: &mut impl AsContextMut<Data = Host>,
        results: &[Val],
    ) -> Outcome<v8::Local<'s, v8::Value>> {
        match results {
            [] => Ok(v8::undefined(scope).into()),
            [one] => self.to_js(scope, ctx, one),
            many => {
                let mut values = Vec::with_capacity(many.len());
                for value in many {
                    values.push(self.to_js(scope, ctx, value)?);
                }
                Ok(v8::Array::new_with_elements(scope, &values).into())
            }
        }
    }

    /// Turns an error out of wasmtime into what JS should see: a JS
    /// import's exception rethrown, termination left alone, a trap as a
    /// `RuntimeError` worded as V8 words it.
    fn wasm_failure(&self, scope: &mut v8::PinScope<'_, '_>, error: &wasmtime::Error) -> Failure {
        if let Some(exception) = self.exception.borrow_mut().take() {
            let exception = v8::Local::new(scope, exception);
            scope.throw_exception(exception);
            return Failure::Thrown;
        }
        let trap = error.downcast_ref::<Trap>();
        if matches!(trap, Some(Trap::Interrupt)) || scope.is_execution_terminating() {
            return Failure::Terminated;
        }
        let message = match trap {
            Some(Trap::StackOverflow) => {
                return Failure::Range("Maximum call stack size exceeded".into());
            }
            Some(Trap::UnreachableCodeReached) => "unreachable".to_string(),
            Some(Trap::MemoryOutOfBounds) => "memory access out of bounds".to_string(),
            Some(Trap::IntegerDivisionByZero) => "divide by zero".to_string(),
            Some(Trap::IntegerOverflow) => "divide result unrepresentable".to_string(),
            Some(Trap::BadConversionToInteger) => {
                "float unrepresentable in integer range".to_string()
            }
            Some(Trap::TableOutOfBounds) => "table index is out of bounds".to_string(),
            Some(Trap::IndirectCallToNull | Trap::BadSignature) => {
                "null function or function signature mismatch".to_string()
            }
            Some(trap) => trap.to_string(),
            None => format!("{error:#}"),
        };
        throw_new(scope, &self.helpers.runtime_error, &message);
        Failure::Thrown
    }

    /// Calls one of the [`Helpers`] with `value`; what it throws is
    /// thrown to the op's caller.
    fn call_helper<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        helper: &v8::Global<v8::Function>,
        value: v8::Local<v8::Value>,
    ) -> Outcome<v8::Local<'s, v8::Value>> {
        let helper = v8::Local::new(scope, helper);
        let exception = {
            v8::tc_scope!(let tc, scope);
            let undefined = v8::undefined(tc).into();
            if let Some(result) = helper.call(tc, undefined, &[value]) {
                return Ok(result);
            }
            if tc.has_terminated() || tc.is_execution_terminating() {
                return Err(Failure::Terminated);
            }
            tc.exception()
                .map(|exception| v8::Global::new(tc, exception))
        };
        if let Some(exception) = exception {
            let exception = v8::Local::new(scope, exception);
            scope.throw_exception(exception);
        }
        Err(Failure::Thrown)
    }

    /// Calls JS import `index` with `params` on behalf of a host function.
    fn call_js<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        caller: &mut Caller<'_, Host>,
        index: usize,
        params: &[Val],
    ) -> Outcome<v8::Local<'s, v8::Value>> {
        let mut args = Vec::with_capacity(params.len());
        {
            let mut ctx = RootScope::new(caller.as_context_mut());
            for param in params {
                args.push(self.to_js(scope, &mut ctx, param)?);
            }
        }
        let function = v8::Local::new(scope, &self.imports.borrow()[index]);
        let previous = self.active.replace(std::ptr::from_mut(caller).cast());
        v8::tc_scope!(let tc, scope);
        let undefined = v8::undefined(tc).into();
        let result = function.call(tc, undefined, &args);
        self.active.set(previous);
        match result {
            Some(value) => Ok(value),
            None if tc.has_terminated() || tc.is_execution_terminating() => {
                Err(Failure::Terminated)
            }
            None => {
                if let Some(exception) = tc.exception() {
                    self.exception.replace(Some(v8::Global::new(tc, exception)));
                }
                Err(Failure::Thrown)
            }
        }
    }

    /// Stores `value`, a JS import's result, into `results`.
    fn results_from_js(
        &self,
        scope: &mut v8::PinScope<'_, '_>,
        ctx: &mut impl AsContextMut<Data = Host>,
        value: v8::Local<v8::Value>,
        types: &[ValType],
        results: &mut [Val],
    ) -> Outcome<()> {
        match types {
            [] => {}
            [one] => results[0] = self.to_wasm(scope, ctx, value, one)?,
            many => {
                let Ok(array) = v8::Local::<v8::Array>::try_from(value) else {
                    return Err(Failure::Type("multi-return value must be iterable".into()));
                };
                for (index, ty) in many.iter().enumerate() {
                    let item = array
                        .get_index(scope, index as u32)
                        .unwrap_or_else(|| v8::undefined(scope).into());
                    results[index] = self.to_wasm(scope, ctx, item, ty)?;
                }
            }
        }
        Ok(())
    }

    /// Keeps `failure` to throw where Wasm was entered.
    fn keep(&self, scope: &mut v8::PinScope<'_, '_>, failure: Failure) -> wasmtime::Error {
        if let Some(error) = error_value(scope, &failure) {
            self.exception.replace(Some(v8::Global::new(scope, error)));
        }
        match failure {
            Failure::Terminated => Trap::Interrupt.into(),
            _ => wasmtime::format_err!("a JS import failed"),
        }
    }
}

/// The exception that `failure` stands for, when it is one still to throw.
fn error_value<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    failure: &Failure,
) -> Option<v8::Local<'s, v8::Value>> {
    let (message, range) = match failure {
        Failure::Thrown | Failure::Terminated => return None,
        Failure::Type(message) => (message, false),
        Failure::Range(message) => (message, true),
    };
    let message = v8::String::new(scope, message)?;
    Some(if range {
        v8::Exception::range_error(scope, message)
    } else {
        v8::Exception::type_error(scope, message)
    })
}

/// Throws what `failure` stands for (unless thrown already or JS is being
/// terminated) and gives what the op then returns.
fn settle<'s, T: Into<v8::Local<'s, v8::Value>>>(
    scope: &mut v8::PinScope<'s, '_>,
    outcome: Outcome<T>,
) -> v8::Local<'s, v8::Value> {
    match outcome {
        Ok(value) => value.into(),
        Err(failure) => {
            if let Some(error) = error_value(scope, &failure) {
                scope.throw_exception(error);
            }
            v8::undefined(scope).into()
        }
    }
}

/// Throws `new constructor(message)`.
fn throw_new(
    scope: &mut v8::PinScope<'_, '_>,
    constructor: &v8::Global<v8::Function>,
    message: &str,
) {
    let constructor = v8::Local::new(scope, constructor);
    let Some(message) = v8::String::new(scope, message) else {
        return;
    };
    if let Some(error) = constructor.new_instance(scope, &[message.into()]) {
        scope.throw_exception(error.into());
    }
}

/// A host function that calls JS import `index` of [`Shared::imports`].
fn host_function(ctx: &mut Context<'_>, ty: FuncType, index: usize) -> Func {
    let result_types: Box<[ValType]> = ty.results().collect();
    Func::new(ctx, ty, move |mut caller, params, results| {
        let shared = caller.data().shared.clone();
        // SAFETY: host functions run only inside `Func::call` or
        // `Instance::new` made by an op that set `scope` (`Shared::enter`)
        // and is blocked until this returns.
        let outer = unsafe { &mut *shared.scope.get().cast::<v8::PinScope<'static, 'static>>() };
        v8::scope!(let scope, outer);
        shared.detach_stale(scope, &caller, None);
        let value = match shared.call_js(scope, &mut caller, index, params) {
            Ok(value) => value,
            Err(failure) => return Err(shared.keep(scope, failure)),
        };
        // Not in a `RootScope`: the results must stay rooted until
        // wasmtime has read them.
        shared
            .results_from_js(scope, &mut caller, value, &result_types, results)
            .map_err(|failure| shared.keep(scope, failure))
    })
}

fn value_type(name: &str) -> Outcome<ValType> {
    Ok(match name {
        "i32" => ValType::I32,
        "i64" => ValType::I64,
        "f32" => ValType::F32,
        "f64" => ValType::F64,
        "externref" => ValType::EXTERNREF,
        "anyfunc" | "funcref" => ValType::FUNCREF,
        _ => return Err(Failure::Type(format!("invalid value type '{name}'"))),
    })
}

fn value_type_name(ty: &ValType) -> &'static str {
    match ty {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::Ref(r) if matches!(r.heap_type().top(), HeapType::Extern) => "externref",
        ValType::Ref(_) => "anyfunc",
    }
}

fn kind_name(ty: &ExternType) -> &'static str {
    match ty {
        ExternType::Func(_) => "function",
        ExternType::Memory(_) => "memory",
        ExternType::Table(_) => "table",
        ExternType::Global(_) => "global",
        ExternType::Tag(_) => "tag",
    }
}

/// An import or export of a module, as `Module.imports`/`exports` list it;
/// `value`/`mutable` (not in the JS API) describe an imported global.
#[derive(serde::Serialize)]
struct Descriptor {
    #[serde(skip_serializing_if = "Option::is_none")]
    module: Option<String>,
    name: String,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mutable: Option<bool>,
}

fn describe(module: Option<&str>, name: &str, ty: &ExternType) -> Descriptor {
    let global = match ty {
        ExternType::Global(global) => Some(global),
        _ => None,
    };
    Descriptor {
        module: module.map(str::to_string),
        name: name.to_string(),
        kind: kind_name(ty),
        value: global.map(|g| value_type_name(g.content())),
        mutable: global.map(|g| g.mutability() == Mutability::Var),
    }
}

fn limit(maximum: f64) -> Option<u32> {
    (maximum >= 0.0).then_some(maximum as u32)
}

fn compiled(state: &Rc<RefCell<OpState>>, id: u32) -> Result<Arc<Compiled>, JsErrorBox> {
    let bridge =
        Bridge::get(state).map_err(|_| JsErrorBox::type_error("WebAssembly is not initialised"))?;
    let modules = bridge.shared.modules.borrow();
    modules
        .get(id as usize)
        .cloned()
        .ok_or_else(|| JsErrorBox::type_error("not a WebAssembly.Module"))
}

/// Whether JS gets this `WebAssembly` (QuickJS) or the engine's own (V8).
#[op2(fast)]
fn op_wasm_on_wasmtime() -> bool {
    !cfg!(feature = "v8")
}

/// Sets up the isolate's store; `92_webassembly.js` calls it once.
#[op2(fast)]
fn op_wasm_init(
    scope: &mut v8::PinScope<'_, '_>,
    state: &mut OpState,
    wrap_function: v8::Local<v8::Function>,
    function_id: v8::Local<v8::Function>,
    to_number: v8::Local<v8::Function>,
    to_big_int: v8::Local<v8::Function>,
    runtime_error: v8::Local<v8::Function>,
    link_error: v8::Local<v8::Function>,
) -> Result<(), JsErrorBox> {
    let engine = engine()?;
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
        helpers: Helpers {
            wrap_function: v8::Global::new(scope, wrap_function),
            function_id: v8::Global::new(scope, function_id),
            to_number: v8::Global::new(scope, to_number),
            to_big_int: v8::Global::new(scope, to_big_int),
            runtime_error: v8::Global::new(scope, runtime_error),
            link_error: v8::Global::new(scope, link_error),
        },
    });
    let mut store = Store::new(
        engine,
        Host {
            shared: shared.clone(),
            memory: MemoryBudget {
                used: 0,
                monitor: shared.monitor.clone(),
            },
        },
    );
    store.limiter(|host| &mut host.memory);
    // Every tick of the engine's epoch, stop if the isolate's monitor has
    // stopped its JS (over its CPU or memory limit).
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|ctx| match ctx.data().shared.monitor.get() {
        Some(monitor) if monitor.exceeded().is_some() => Err(Trap::Interrupt.into()),
        _ => Ok(UpdateDeadline::Continue(1)),
    });
    state.put(Rc::new(Bridge {
        store: RefCell::new(store),
        shared,
    }));
    Ok(())
}

#[op2(fast)]
#[smi]
fn op_wasm_compile(state: &mut OpState, #[buffer] bytes: &[u8]) -> Result<u32, JsErrorBox> {
    let compiled = compile(bytes).map_err(JsErrorBox::generic)?;
    let bridge = state.borrow::<Rc<Bridge>>();
    let mut modules = bridge.shared.modules.borrow_mut();
    modules.push(compiled);
    Ok((modules.len() - 1) as u32)
}

#[op2(fast)]
fn op_wasm_validate(#[buffer] bytes: &[u8]) -> Result<bool, JsErrorBox> {
    Ok(Module::validate(engine()?, bytes).is_ok())
}

#[op2]
#[serde]
fn op_wasm_module_imports(
    state: Rc<RefCell<OpState>>,
    #[smi] module: u32,
) -> Result<Vec<Descriptor>, JsErrorBox> {
    let compiled = compiled(&state, module)?;
    Ok(compiled
        .module
        .imports()
        .map(|import| describe(Some(import.module()), import.name(), &import.ty()))
        .collect())
}

#[op2]
#[serde]
fn op_wasm_module_exports(
    state: Rc<RefCell<OpState>>,
    #[smi] module: u32,
) -> Result<Vec<Descriptor>, JsErrorBox> {
    let compiled = compiled(&state, module)?;
    Ok(compiled
        .module
        .exports()
        .map(|export| describe(None, export.name(), &export.ty()))
        .collect())
}

#[op2]
#[serde]
fn op_wasm_module_custom_sections(
    state: Rc<RefCell<OpState>>,
    #[smi] module: u32,
    #[string] name: &str,
) -> Result<Vec<deno_core::ToJsBuffer>, JsErrorBox> {
    let compiled = compiled(&state, module)?;
    Ok(compiled
        .custom_sections
        .iter()
        .filter(|(section, _)| section == name)
        .map(|(_, data)| data.clone().into())
        .collect())
}

/// Instantiates module `module` with `imports`, one value per import in
/// order: a JS function, or the handle of a Wasm function, memory, table
/// or global. Gives `[name, kind, handle, arity, ...]` for its exports.
#[op2(reentrant)]
fn op_wasm_instantiate<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] module: u32,
    imports: v8::Local<'s, v8::Array>,
) -> v8::Local<'s, v8::Value> {
    let outcome = instantiate(scope, &state, module, imports);
    settle(scope, outcome)
}

fn instantiate<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: &Rc<RefCell<OpState>>,
    module: u32,
    imports: v8::Local<'s, v8::Array>,
) -> Outcome<v8::Local<'s, v8::Array>> {
    let bridge = Bridge::get(state)?;
    let shared = &bridge.shared;
    let compiled = shared
        .modules
        .borrow()
        .get(module as usize)
        .cloned()
        .ok_or_else(|| Failure::Type("not a WebAssembly.Module".into()))?;
    let _entered = shared.enter(scope);
    let exports = bridge.with_store(|ctx| {
        let mut externs = Vec::new();
        for (index, import) in compiled.module.imports().enumerate() {
            let value = imports
                .get_index(scope, index as u32)
                .unwrap_or_else(|| v8::undefined(scope).into());
            let item = match (import.ty(), v8::Local::<v8::Function>::try_from(value)) {
                (ExternType::Func(ty), Ok(function)) => {
                    let mut functions = shared.imports.borrow_mut();
                    functions.push(v8::Global::new(scope, function));
                    Extern::Func(host_function(ctx, ty, functions.len() - 1))
                }
                _ => shared.item(value.uint32_value(scope).ok_or(Failure::Thrown)?)?,
            };
            externs.push(item);
        }
        let instance = match Instance::new(&mut *ctx, &compiled.module, &externs) {
            Ok(instance) => instance,
            Err(error) => {
                if error.downcast_ref::<Trap>().is_some() || shared.exception.borrow().is_some() {
                    return Err(shared.wasm_failure(scope, &error));
                }
                let message = format!("WebAssembly.Instance(): {error:#}");
                throw_new(scope, &shared.helpers.link_error, &message);
                return Err(Failure::Thrown);
            }
        };
        shared.detach_stale(scope, &*ctx, None);
        let exports: Vec<(String, Extern)> = instance
            .exports(&mut *ctx)
            .map(|export| (export.name().to_string(), export.into_extern()))
            .collect();
        let mut list: Vec<v8::Local<v8::Value>> = Vec::with_capacity(exports.len() * 4);
        for (name, item) in exports {
            let (kind, id, arity) = match item {
                Extern::Func(func) => {
                    let arity = func.ty(&*ctx).params().len() as u32;
                    (0, shared.function_handle(ctx, func), arity)
                }
                Extern::Memory(_) => (1, shared.add(item), 0),
                Extern::Table(_) => (2, shared.add(item), 0),
                Extern::Global(_) => (3, shared.add(item), 0),
                _ => continue,
            };
            list.push(v8::String::new(scope, &name).ok_or(Failure::Thrown)?.into());
            list.push(v8::Integer::new(scope, kind).into());
            list.push(v8::Integer::new_from_unsigned(scope, id).into());
            list.push(v8::Integer::new_from_unsigned(scope, arity).into());
        }
        Ok(v8::Array::new_with_elements(scope, &list))
    })?;
    shared.instances.set(shared.instances.get() + 1);
    if shared.instances.get() == INSTANCES_PER_ISOLATE
        && let Some(monitor) = shared.monitor.get()
    {
        monitor.retire();
    }
    Ok(exports)
}

/// Calls exported function `id` with `args`.
#[op2(reentrant)]
fn op_wasm_call<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
    args: v8::Local<'s, v8::Array>,
) -> v8::Local<'s, v8::Value> {
    let outcome = call(scope, &state, id, args);
    settle(scope, outcome)
}

fn call<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: &Rc<RefCell<OpState>>,
    id: u32,
    args: v8::Local<'s, v8::Array>,
) -> Outcome<v8::Local<'s, v8::Value>> {
    let bridge = Bridge::get(state)?;
    let shared = &bridge.shared;
    let func = shared.func(id)?;
    let _entered = shared.enter(scope);
    bridge.with_store(|ctx| {
        let signature = shared.signature(ctx, id, func);
        let mut params = Vec::with_capacity(signature.params.len());
        for (index, param) in signature.params.iter().enumerate() {
            let value = args
                .get_index(scope, index as u32)
                .unwrap_or_else(|| v8::undefined(scope).into());
            params.push(shared.to_wasm(scope, ctx, value, param)?);
        }
        let mut results = vec![Val::I32(0); signature.results.len()];
        let called = func.call(&mut *ctx, &params, &mut results);
        shared.detach_stale(scope, &*ctx, None);
        if let Err(error) = called {
            return Err(shared.wasm_failure(scope, &error));
        }
        shared.results_to_js(scope, ctx, &results)
    })
}

#[op2(fast)]
#[smi]
fn op_wasm_memory_new(
    state: Rc<RefCell<OpState>>,
    #[smi] initial: u32,
    maximum: f64,
) -> Result<u32, JsErrorBox> {
    let bridge = Bridge::get(&state).map_err(op_error)?;
    let ty = MemoryType::new(initial, limit(maximum));
    let memory = bridge
        .with_store(|ctx| {
            Memory::new(ctx, ty).map_err(|_| {
                Failure::Range("WebAssembly.Memory(): could not allocate memory".into())
            })
        })
        .map_err(op_error)?;
    Ok(bridge.shared.add(Extern::Memory(memory)))
}

/// The `ArrayBuffer` over memory `id`: the one handed out before while the
/// memory keeps its size, else a new one.
#[op2]
fn op_wasm_memory_buffer<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
) -> v8::Local<'s, v8::Value> {
    let outcome = memory_buffer(scope, &state, id);
    settle(scope, outcome)
}

fn memory_buffer<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: &Rc<RefCell<OpState>>,
    id: u32,
) -> Outcome<v8::Local<'s, v8::ArrayBuffer>> {
    let bridge = Bridge::get(state)?;
    let shared = &bridge.shared;
    let memory = shared.memory(id)?;
    let (data, size) = bridge.with_store(|ctx| {
        shared.detach_stale(scope, &*ctx, None);
        Ok((memory.data_ptr(&*ctx), memory.data_size(&*ctx)))
    })?;
    if let Some(entry) = shared
        .buffers
        .borrow()
        .iter()
        .find(|entry| entry.handle == id)
    {
        return Ok(v8::Local::new(scope, &entry.buffer));
    }
    unsafe extern "C" fn linear_memory(_: *mut c_void, _: usize, _: *mut c_void) {}
    // SAFETY: the bytes are the memory's, which lives as long as the store,
    // that is the isolate; the buffer is detached before the memory moves
    // or changes size (`detach_stale`).
    let backing = unsafe {
        v8::ArrayBuffer::new_backing_store_from_ptr(
            data.cast(),
            size,
            linear_memory,
            std::ptr::null_mut(),
        )
    };
    let buffer = v8::ArrayBuffer::with_backing_store(scope, &backing.make_shared());
    shared.buffers.borrow_mut().push(MemoryBuffer {
        handle: id,
        memory,
        buffer: v8::Global::new(scope, buffer),
        length: size,
    });
    Ok(buffer)
}

#[op2(reentrant)]
fn op_wasm_memory_grow<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
    delta: f64,
) -> v8::Local<'s, v8::Value> {
    let outcome = (|| {
        let bridge = Bridge::get(&state)?;
        let shared = &bridge.shared;
        let memory = shared.memory(id)?;
        bridge.with_store(|ctx| {
            let grown = memory.grow(&mut *ctx, delta as u64);
            shared.detach_stale(scope, &*ctx, Some(id));
            let previous = grown.map_err(|_| {
                Failure::Range("WebAssembly.Memory.grow(): Maximum memory size exceeded".into())
            })?;
            Ok(v8::Number::new(scope, previous as f64))
        })
    })();
    settle(scope, outcome)
}

#[op2]
fn op_wasm_table_new<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[string] element: &str,
    #[smi] initial: u32,
    maximum: f64,
    init: v8::Local<'s, v8::Value>,
) -> v8::Local<'s, v8::Value> {
    let outcome = (|| {
        let bridge = Bridge::get(&state)?;
        let shared = &bridge.shared;
        let ValType::Ref(element) = value_type(element)? else {
            return Err(Failure::Type(format!(
                "WebAssembly.Table(): Descriptor property 'element' must be a WebAssembly reference type, not '{element}'"
            )));
        };
        let table = bridge.with_store(|ctx| {
            let init = shared.to_wasm_ref(scope, ctx, init, &element)?;
            let ty = TableType::new(element, initial, limit(maximum));
            Table::new(&mut *ctx, ty, init)
                .map_err(|_| Failure::Range("WebAssembly.Table(): could not allocate table".into()))
        })?;
        Ok(v8::Integer::new_from_unsigned(
            scope,
            shared.add(Extern::Table(table)),
        ))
    })();
    settle(scope, outcome)
}

#[op2(fast)]
#[smi]
fn op_wasm_table_length(state: Rc<RefCell<OpState>>, #[smi] id: u32) -> Result<u32, JsErrorBox> {
    let bridge = Bridge::get(&state).map_err(op_error)?;
    let table = bridge.shared.table(id).map_err(op_error)?;
    let size = bridge
        .with_store(|ctx| Ok(table.size(&*ctx)))
        .map_err(op_error)?;
    Ok(size as u32)
}

#[op2(reentrant)]
fn op_wasm_table_get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
    index: f64,
) -> v8::Local<'s, v8::Value> {
    let outcome = (|| {
        let bridge = Bridge::get(&state)?;
        let shared = &bridge.shared;
        let table = shared.table(id)?;
        bridge.with_store(|ctx| {
            let value = table.get(&mut *ctx, index as u64).ok_or_else(|| {
                Failure::Range(format!("WebAssembly.Table.get(): invalid address {index}"))
            })?;
            shared.to_js(scope, ctx, &Val::from(value))
        })
    })();
    settle(scope, outcome)
}

#[op2(reentrant)]
fn op_wasm_table_set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
    index: f64,
    value: v8::Local<'s, v8::Value>,
) -> v8::Local<'s, v8::Value> {
    let outcome = (|| {
        let bridge = Bridge::get(&state)?;
        let shared = &bridge.shared;
        let table = shared.table(id)?;
        bridge.with_store(|ctx| {
            let element = table.ty(&*ctx).element().clone();
            let value = shared.to_wasm_ref(scope, ctx, value, &element)?;
            table.set(&mut *ctx, index as u64, value).map_err(|_| {
                Failure::Range(format!("WebAssembly.Table.set(): invalid address {index}"))
            })
        })?;
        Ok(v8::undefined(scope))
    })();
    settle(scope, outcome)
}

#[op2(reentrant)]
fn op_wasm_table_grow<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
    delta: f64,
    init: v8::Local<'s, v8::Value>,
) -> v8::Local<'s, v8::Value> {
    let outcome = (|| {
        let bridge = Bridge::get(&state)?;
        let shared = &bridge.shared;
        let table = shared.table(id)?;
        let previous = bridge.with_store(|ctx| {
            let element = table.ty(&*ctx).element().clone();
            let init = shared.to_wasm_ref(scope, ctx, init, &element)?;
            table.grow(&mut *ctx, delta as u64, init).map_err(|_| {
                Failure::Range("WebAssembly.Table.grow(): failed to grow table".into())
            })
        })?;
        Ok(v8::Number::new(scope, previous as f64))
    })();
    settle(scope, outcome)
}

#[op2(reentrant)]
fn op_wasm_global_new<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[string] value_type_name: &str,
    mutable: bool,
    value: v8::Local<'s, v8::Value>,
) -> v8::Local<'s, v8::Value> {
    let outcome = (|| {
        let bridge = Bridge::get(&state)?;
        let shared = &bridge.shared;
        let ty = value_type(value_type_name)?;
        let global = bridge.with_store(|ctx| {
            let initial = if value.is_undefined() && !matches!(ty, ValType::Ref(_)) {
                Val::default_for_ty(&ty).ok_or(Failure::Thrown)?
            } else {
                shared.to_wasm(scope, ctx, value, &ty)?
            };
            let mutability = if mutable {
                Mutability::Var
            } else {
                Mutability::Const
            };
            Global::new(&mut *ctx, GlobalType::new(ty, mutability), initial)
                .map_err(|e| Failure::Type(format!("WebAssembly.Global(): {e:#}")))
        })?;
        Ok(v8::Integer::new_from_unsigned(
            scope,
            shared.add(Extern::Global(global)),
        ))
    })();
    settle(scope, outcome)
}

#[op2(reentrant)]
fn op_wasm_global_get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
) -> v8::Local<'s, v8::Value> {
    let outcome = (|| {
        let bridge = Bridge::get(&state)?;
        let shared = &bridge.shared;
        let global = shared.global(id)?;
        bridge.with_store(|ctx| {
            let value = global.get(&mut *ctx);
            shared.to_js(scope, ctx, &value)
        })
    })();
    settle(scope, outcome)
}

#[op2(reentrant)]
fn op_wasm_global_set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
    value: v8::Local<'s, v8::Value>,
) -> v8::Local<'s, v8::Value> {
    let outcome = (|| {
        let bridge = Bridge::get(&state)?;
        let shared = &bridge.shared;
        let global = shared.global(id)?;
        bridge.with_store(|ctx| {
            let ty = global.ty(&*ctx);
            if ty.mutability() == Mutability::Const {
                return Err(Failure::Type(
                    "Can't set the value of an immutable global.".into(),
                ));
            }
            let value = shared.to_wasm(scope, ctx, value, ty.content())?;
            global
                .set(&mut *ctx, value)
                .map_err(|e| Failure::Type(format!("{e:#}")))
        })?;
        Ok(v8::undefined(scope))
    })();
    settle(scope, outcome)
}

fn op_error(failure: Failure) -> JsErrorBox {
    match failure {
        Failure::Range(message) => JsErrorBox::range_error(message),
        Failure::Type(message) => JsErrorBox::type_error(message),
        Failure::Thrown | Failure::Terminated => JsErrorBox::generic("WebAssembly failed"),
    }
}
