//! Values crossing between JS and Wasm (V8's ToWebAssemblyValue and
//! ToJSValue), calls from Wasm into JS, and how failures reach JS.

use deno_core::v8;
use wasmtime::{
    AsContext, AsContextMut, Caller, ExternRef, Func, FuncType, HeapType, Ref, RefType, RootScope,
    Trap, Val, ValType,
};

use super::failure::{Failure, Outcome};
use super::store::{Context, HeldValue, Host, Shared};

const INCOMPATIBLE: &str = "type incompatibility when transforming from/to JS";

fn incompatible<T>() -> Outcome<T> {
    Err(Failure::Type(INCOMPATIBLE.into()))
}

impl Shared {
    /// Converts a JS value to a Wasm value of type `ty`, as V8's
    /// ToWebAssemblyValue does.
    pub(super) fn to_wasm(
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

    pub(super) fn to_wasm_ref(
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
    pub(super) fn to_js<'s>(
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
    pub(super) fn results_to_js<'s>(
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
    pub(super) fn wasm_failure(
        &self,
        scope: &mut v8::PinScope<'_, '_>,
        error: &wasmtime::Error,
    ) -> Failure {
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
pub(super) fn settle<'s, T: Into<v8::Local<'s, v8::Value>>>(
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
pub(super) fn throw_new(
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
pub(super) fn host_function(ctx: &mut Context<'_>, ty: FuncType, index: usize) -> Func {
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
