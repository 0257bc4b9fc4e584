//! Stand-ins for engine facade functions that keep what they make for as
//! long as the thread or the isolate lives.
//!
//! The link step wraps each (see `build.rs`):
//! - `v8__String__NewExternalOneByteConst`: deno_core turns each of its
//!   static strings (property names it reads, such as those of an error's
//!   stack frames) into a JS string this way. The facade makes that an
//!   "external" string and remembers it, with a copy of its bytes, in a
//!   per-thread table keyed by the handle's address, from which nothing is
//!   ever removed: formatting 40,000 stacks grew the process by 24 MB.
//!   Nothing in deno_core asks whether a string is external, so this makes
//!   the same string as any other, from the constant's text.
//! - `v8__Private__ForApi`: deno_core asks for the same few private keys
//!   for every stack frame it formats. The facade compiles a little script
//!   for each call and adds the key to a list the isolate keeps until it
//!   ends. This asks the facade once per isolate and name, keeps the key
//!   as a global handle, and hands out that key again.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_void};

use deno_core::v8;

type Ptr = *const c_void;

unsafe extern "C" {
    fn v8__String__NewFromUtf8(
        isolate: *mut c_void,
        data: *const c_char,
        new_type: v8::NewStringType,
        length: i32,
    ) -> Ptr;
    fn v8__String__Utf8Length(string: Ptr, isolate: *mut c_void) -> i32;
    fn v8__String__WriteUtf8_v2(
        string: Ptr,
        isolate: *mut c_void,
        buffer: *mut c_char,
        capacity: usize,
        flags: i32,
        processed: *mut usize,
    ) -> i32;
    fn v8__Global__New(isolate: *mut c_void, data: Ptr) -> Ptr;
    fn v8__Local__New(isolate: *mut c_void, data: Ptr) -> Ptr;
    fn __real_v8__Private__ForApi(isolate: *mut c_void, name: Ptr) -> Ptr;
}

/// Names longer than this are not kept (deno_core's are a few bytes).
const LONGEST_KEY_NAME: usize = 256;

thread_local! {
    /// Each isolate's private keys by name, as global handles.
    static PRIVATE_KEYS: RefCell<HashMap<(usize, Vec<u8>), usize>> = RefCell::new(HashMap::new());
}

/// Stands in for `v8__String__NewExternalOneByteConst`.
#[unsafe(no_mangle)]
extern "C" fn __wrap_v8__String__NewExternalOneByteConst(
    isolate: *mut c_void,
    constant: *const v8::OneByteConst,
) -> Ptr {
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

/// Stands in for `v8__Private__ForApi`.
#[unsafe(no_mangle)]
extern "C" fn __wrap_v8__Private__ForApi(isolate: *mut c_void, name: Ptr) -> Ptr {
    // SAFETY: the caller's isolate and name handle, passed on unchanged.
    let ask = || unsafe { __real_v8__Private__ForApi(isolate, name) };
    let Some(name) = utf8(isolate, name) else {
        return ask();
    };
    let key = (isolate as usize, name);
    if let Some(global) = PRIVATE_KEYS.with_borrow(|keys| keys.get(&key).copied()) {
        // SAFETY: the global was made for this isolate, which is alive: the
        // keys are forgotten when its runtime is freed.
        return unsafe { v8__Local__New(isolate, global as Ptr) };
    }
    let private = ask();
    if !private.is_null() {
        // SAFETY: `private` is a live handle of this isolate.
        let global = unsafe { v8__Global__New(isolate, private) };
        if !global.is_null() {
            PRIVATE_KEYS.with_borrow_mut(|keys| keys.insert(key, global as usize));
        }
    }
    private
}

/// Forgets the private keys kept on this thread. Called when one of its
/// runtimes is freed, whose isolate has released the globals.
pub fn forget_private_keys() {
    PRIVATE_KEYS.with_borrow_mut(HashMap::clear);
}

/// The UTF-8 text of the string handle `string`, if short enough to keep.
fn utf8(isolate: *mut c_void, string: Ptr) -> Option<Vec<u8>> {
    if string.is_null() {
        return None;
    }
    // SAFETY: a live string handle of the caller's isolate.
    let length = usize::try_from(unsafe { v8__String__Utf8Length(string, isolate) }).ok()?;
    if length > LONGEST_KEY_NAME {
        return None;
    }
    let mut text = vec![0u8; length];
    // SAFETY: `text` has room for `length` bytes; no terminator is asked for.
    let written = unsafe {
        v8__String__WriteUtf8_v2(
            string,
            isolate,
            text.as_mut_ptr().cast(),
            length,
            0,
            std::ptr::null_mut(),
        )
    };
    (usize::try_from(written).ok()? == length).then_some(text)
}
