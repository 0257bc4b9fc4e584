//! `WebAssembly` for JS Workers, on wasmtime.
//!
//! The QuickJS engine's own `WebAssembly` is an interpreter (WAMR) that runs
//! Wasm about 9× slower than wasmtime, cannot keep JS values in `externref`s
//! and has no `Table` or `Global` constructors, so JS Workers get the JS API
//! from `webassembly.js` (beside this file) over the ops here instead: modules compiled by
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
//! that `Caller` instead ([`store::Shared::active`]).
//!
//! The store and its handles are in [`store`], conversions between JS and
//! Wasm values in [`values`]; the ops JS calls are here.
//!
//! `Memory.buffer` is an `ArrayBuffer` over the linear memory itself, not a
//! copy; once the memory grows it is detached (as V8 does) before JS runs
//! again, so glue code that caches views sees their length drop to zero.
//! A JS value passed as `externref` is kept in a table of handles that the
//! `externref` points at, and released when Wasm drops its last reference.

mod failure;
mod store;
mod values;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use deno_core::{OpState, op2, v8};
use deno_error::JsErrorBox;
use wasmtime::{
    Extern, ExternType, Global, GlobalType, HeapType, Instance, Memory, MemoryType, Module,
    Mutability, Table, TableType, Trap, Val, ValType,
};

use failure::{Failure, Outcome};
use store::{Bridge, Compiled, Helpers, MemoryBuffer, on_store};
use values::{settle, throw_new};

deno_core::extension!(
    isola_webassembly,
    deps = [isola_global_scope],
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
    esm = [dir "src/webassembly", "webassembly.js"],
);

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
    Bridge::get(state)
        .and_then(|bridge| bridge.shared.module(id))
        .map_err(op_error)
}

/// Whether JS gets this `WebAssembly` (QuickJS) or the engine's own (V8).
#[op2(fast)]
fn op_wasm_on_wasmtime() -> bool {
    !cfg!(feature = "v8")
}

/// Sets up the isolate's store; `webassembly.js` calls it once.
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
    let helpers = Helpers {
        wrap_function: v8::Global::new(scope, wrap_function),
        function_id: v8::Global::new(scope, function_id),
        to_number: v8::Global::new(scope, to_number),
        to_big_int: v8::Global::new(scope, to_big_int),
        runtime_error: v8::Global::new(scope, runtime_error),
        link_error: v8::Global::new(scope, link_error),
    };
    state.put(Rc::new(Bridge::new(helpers)?));
    Ok(())
}

#[op2(fast)]
#[smi]
fn op_wasm_compile(state: &mut OpState, #[buffer] bytes: &[u8]) -> Result<u32, JsErrorBox> {
    let compiled = store::compile(bytes).map_err(JsErrorBox::generic)?;
    let bridge = state.borrow::<Rc<Bridge>>();
    let mut modules = bridge.shared.modules.borrow_mut();
    modules.push(compiled);
    Ok((modules.len() - 1) as u32)
}

#[op2(fast)]
fn op_wasm_validate(#[buffer] bytes: &[u8]) -> Result<bool, JsErrorBox> {
    Ok(Module::validate(store::engine()?, bytes).is_ok())
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
    on_store(state, |shared, ctx| {
        let compiled = shared.module(module)?;
        let _entered = shared.enter(scope);
        let mut externs = Vec::new();
        for (index, import) in compiled.module.imports().enumerate() {
            let value = imports
                .get_index(scope, index as u32)
                .unwrap_or_else(|| v8::undefined(scope).into());
            let item = match (import.ty(), v8::Local::<v8::Function>::try_from(value)) {
                (ExternType::Func(ty), Ok(function)) => {
                    let mut functions = shared.imports.borrow_mut();
                    functions.push(v8::Global::new(scope, function));
                    Extern::Func(values::host_function(ctx, ty, functions.len() - 1))
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
        shared.instances.set(shared.instances.get() + 1);
        if shared.instances.get() == store::INSTANCES_PER_ISOLATE
            && let Some(monitor) = shared.monitor.get()
        {
            monitor.retire();
        }
        Ok(v8::Array::new_with_elements(scope, &list))
    })
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
    on_store(state, |shared, ctx| {
        let func = shared.func(id)?;
        let _entered = shared.enter(scope);
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
    on_store(&state, |shared, ctx| {
        let memory = Memory::new(ctx, MemoryType::new(initial, limit(maximum))).map_err(|_| {
            Failure::Range("WebAssembly.Memory(): could not allocate memory".into())
        })?;
        Ok(shared.add(Extern::Memory(memory)))
    })
    .map_err(op_error)
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
    on_store(state, |shared, ctx| {
        let memory = shared.memory(id)?;
        shared.detach_stale(scope, &*ctx, None);
        let (data, size) = (memory.data_ptr(&*ctx), memory.data_size(&*ctx));
        if let Some(entry) = shared
            .buffers
            .borrow()
            .iter()
            .find(|entry| entry.handle == id)
        {
            return Ok(v8::Local::new(scope, &entry.buffer));
        }
        unsafe extern "C" fn linear_memory(
            _: *mut std::ffi::c_void,
            _: usize,
            _: *mut std::ffi::c_void,
        ) {
        }
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
    })
}

#[op2(reentrant)]
fn op_wasm_memory_grow<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
    delta: f64,
) -> v8::Local<'s, v8::Value> {
    let outcome = on_store(&state, |shared, ctx| {
        let grown = shared.memory(id)?.grow(&mut *ctx, delta as u64);
        shared.detach_stale(scope, &*ctx, Some(id));
        let previous = grown.map_err(|_| {
            Failure::Range("WebAssembly.Memory.grow(): Maximum memory size exceeded".into())
        })?;
        Ok(v8::Number::new(scope, previous as f64))
    });
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
    let outcome = on_store(&state, |shared, ctx| {
        let ValType::Ref(element) = value_type(element)? else {
            return Err(Failure::Type(format!(
                "WebAssembly.Table(): Descriptor property 'element' must be a WebAssembly reference type, not '{element}'"
            )));
        };
        let init = shared.to_wasm_ref(scope, ctx, init, &element)?;
        let ty = TableType::new(element, initial, limit(maximum));
        let table = Table::new(&mut *ctx, ty, init)
            .map_err(|_| Failure::Range("WebAssembly.Table(): could not allocate table".into()))?;
        Ok(v8::Integer::new_from_unsigned(
            scope,
            shared.add(Extern::Table(table)),
        ))
    });
    settle(scope, outcome)
}

#[op2(fast)]
#[smi]
fn op_wasm_table_length(state: Rc<RefCell<OpState>>, #[smi] id: u32) -> Result<u32, JsErrorBox> {
    on_store(&state, |shared, ctx| {
        Ok(shared.table(id)?.size(&*ctx) as u32)
    })
    .map_err(op_error)
}

#[op2(reentrant)]
fn op_wasm_table_get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
    index: f64,
) -> v8::Local<'s, v8::Value> {
    let outcome = on_store(&state, |shared, ctx| {
        let value = shared
            .table(id)?
            .get(&mut *ctx, index as u64)
            .ok_or_else(|| {
                Failure::Range(format!("WebAssembly.Table.get(): invalid address {index}"))
            })?;
        shared.to_js(scope, ctx, &Val::from(value))
    });
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
    let outcome = on_store(&state, |shared, ctx| {
        let table = shared.table(id)?;
        let element = table.ty(&*ctx).element().clone();
        let value = shared.to_wasm_ref(scope, ctx, value, &element)?;
        table.set(&mut *ctx, index as u64, value).map_err(|_| {
            Failure::Range(format!("WebAssembly.Table.set(): invalid address {index}"))
        })?;
        Ok(v8::undefined(scope))
    });
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
    let outcome = on_store(&state, |shared, ctx| {
        let table = shared.table(id)?;
        let element = table.ty(&*ctx).element().clone();
        let init = shared.to_wasm_ref(scope, ctx, init, &element)?;
        let previous = table
            .grow(&mut *ctx, delta as u64, init)
            .map_err(|_| Failure::Range("WebAssembly.Table.grow(): failed to grow table".into()))?;
        Ok(v8::Number::new(scope, previous as f64))
    });
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
    let outcome = on_store(&state, |shared, ctx| {
        let ty = value_type(value_type_name)?;
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
        let global = Global::new(&mut *ctx, GlobalType::new(ty, mutability), initial)
            .map_err(|e| Failure::Type(format!("WebAssembly.Global(): {e:#}")))?;
        Ok(v8::Integer::new_from_unsigned(
            scope,
            shared.add(Extern::Global(global)),
        ))
    });
    settle(scope, outcome)
}

#[op2(reentrant)]
fn op_wasm_global_get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
) -> v8::Local<'s, v8::Value> {
    let outcome = on_store(&state, |shared, ctx| {
        let value = shared.global(id)?.get(&mut *ctx);
        shared.to_js(scope, ctx, &value)
    });
    settle(scope, outcome)
}

#[op2(reentrant)]
fn op_wasm_global_set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    state: Rc<RefCell<OpState>>,
    #[smi] id: u32,
    value: v8::Local<'s, v8::Value>,
) -> v8::Local<'s, v8::Value> {
    let outcome = on_store(&state, |shared, ctx| {
        let global = shared.global(id)?;
        let ty = global.ty(&*ctx);
        if ty.mutability() == Mutability::Const {
            return Err(Failure::Type(
                "Can't set the value of an immutable global.".into(),
            ));
        }
        let value = shared.to_wasm(scope, ctx, value, ty.content())?;
        global
            .set(&mut *ctx, value)
            .map_err(|e| Failure::Type(format!("{e:#}")))?;
        Ok(v8::undefined(scope))
    });
    settle(scope, outcome)
}

fn op_error(failure: Failure) -> JsErrorBox {
    match failure {
        Failure::Range(message) => JsErrorBox::range_error(message),
        Failure::Type(message) => JsErrorBox::type_error(message),
        Failure::Thrown | Failure::Terminated => JsErrorBox::generic("WebAssembly failed"),
    }
}
