//! deno_core's static strings, made as plain engine strings.
//!
//! deno_core turns each of its static strings (property names it reads,
//! such as those of an error's stack frames) into a JS string with
//! `v8::String::new_from_onebyte_const`. The engine facade makes that an
//! "external" string and remembers it, with a copy of its bytes, in a
//! per-thread table keyed by the handle's address, from which nothing is
//! ever removed. An isolate that formats an error's stack a few thousand
//! times grew by megabytes, and a long-lived isolate grows for as long as
//! it lives. Nothing in deno_core asks whether a string is external, so
//! the link step wraps the facade's function (see `build.rs`) and this
//! makes the same string as any other, from the constant's text.

use std::ffi::{c_char, c_void};

use deno_core::v8;

unsafe extern "C" {
    fn v8__String__NewFromUtf8(
        isolate: *mut c_void,
        data: *const c_char,
        new_type: v8::NewStringType,
        length: i32,
    ) -> *const c_void;
}

/// Stands in for `v8__String__NewExternalOneByteConst`.
#[unsafe(no_mangle)]
extern "C" fn __wrap_v8__String__NewExternalOneByteConst(
    isolate: *mut c_void,
    constant: *const v8::OneByteConst,
) -> *const c_void {
    // SAFETY: deno_core passes a `&'static OneByteConst`, or null.
    let Some(constant) = (unsafe { constant.as_ref() }) else {
        return std::ptr::null();
    };
    // A `OneByteConst` is ASCII, so its bytes are its UTF-8.
    let text = constant.as_str();
    let Ok(length) = i32::try_from(text.len()) else {
        return std::ptr::null();
    };
    // SAFETY: `text` is valid for `length` bytes; the isolate is the caller's.
    unsafe {
        v8__String__NewFromUtf8(
            isolate,
            text.as_ptr().cast(),
            v8::NewStringType::Normal,
            length,
        )
    }
}
