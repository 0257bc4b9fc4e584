//! One allocator heap per QuickJS runtime, thrown away whole when the
//! runtime is freed.
//!
//! The engine facade leaves some of each runtime's objects alive when it
//! frees the runtime (values it still counts as referenced), about 3 MB per
//! isolate; freeing them one by one is not possible from outside the
//! engine, and the process would grow by that much for every isolate the
//! host replaces. So every runtime allocates from a mimalloc heap of its
//! own: the link step wraps `JS_NewRuntime` and `JS_FreeRuntime` (see
//! `build.rs`), creation hands the engine allocation functions over that
//! heap, and freeing the runtime destroys the heap, whatever it still holds.
//!
//! A mimalloc heap belongs to the thread that made it, as a `JsRuntime`
//! does: each isolate creates, uses and frees its runtime on its own thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// QuickJS-ng's `JSMallocFunctions`.
#[repr(C)]
struct MallocFunctions {
    calloc: unsafe extern "C" fn(*mut c_void, usize, usize) -> *mut c_void,
    malloc: unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void,
    free: unsafe extern "C" fn(*mut c_void, *mut c_void),
    realloc: unsafe extern "C" fn(*mut c_void, *mut c_void, usize) -> *mut c_void,
    usable_size: unsafe extern "C" fn(*const c_void) -> usize,
}

static FUNCTIONS: MallocFunctions = MallocFunctions {
    calloc: heap_calloc,
    malloc: heap_malloc,
    free: heap_free,
    realloc: heap_realloc,
    usable_size: heap_usable_size,
};

unsafe extern "C" {
    fn JS_NewRuntime2(functions: *const MallocFunctions, opaque: *mut c_void) -> *mut c_void;
    fn __real_JS_FreeRuntime(runtime: *mut c_void);
}

thread_local! {
    /// The heap of each runtime this thread made.
    static HEAPS: RefCell<HashMap<usize, usize>> = RefCell::new(HashMap::new());
}

/// Stands in for `JS_NewRuntime`: the same runtime, on a heap of its own.
#[unsafe(no_mangle)]
extern "C" fn __wrap_JS_NewRuntime() -> *mut c_void {
    // SAFETY: a new heap for this thread; the runtime is its only user.
    let heap = unsafe { mi::mi_heap_new() };
    if heap.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `FUNCTIONS` is static and matches the engine's layout; the
    // runtime passes `heap` back to each of them.
    let runtime = unsafe { JS_NewRuntime2(&FUNCTIONS, heap.cast()) };
    if runtime.is_null() {
        // SAFETY: nothing was allocated from it.
        unsafe { mi::mi_heap_destroy(heap) };
    } else {
        HEAPS.with_borrow_mut(|heaps| heaps.insert(runtime as usize, heap as usize));
    }
    runtime
}

/// Stands in for `JS_FreeRuntime`: frees the runtime, then its heap with
/// whatever the runtime left in it.
#[unsafe(no_mangle)]
extern "C" fn __wrap_JS_FreeRuntime(runtime: *mut c_void) {
    // SAFETY: the caller frees a runtime it owns, as it would unwrapped.
    unsafe { __real_JS_FreeRuntime(runtime) };
    if let Some(heap) = HEAPS.with_borrow_mut(|heaps| heaps.remove(&(runtime as usize))) {
        // SAFETY: the heap was made on this thread for this runtime, which
        // is gone; nothing of the engine's points into it any more.
        unsafe {
            mi::mi_heap_destroy(heap as *mut mi::mi_heap_t);
            mi::mi_collect(true);
        }
    }
}

unsafe extern "C" fn heap_calloc(heap: *mut c_void, count: usize, size: usize) -> *mut c_void {
    // SAFETY: `heap` is this runtime's, used on its thread.
    unsafe { mi::mi_heap_calloc(heap.cast(), count, size) }
}

unsafe extern "C" fn heap_malloc(heap: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: as for `heap_calloc`.
    unsafe { mi::mi_heap_malloc(heap.cast(), size) }
}

unsafe extern "C" fn heap_free(_heap: *mut c_void, block: *mut c_void) {
    // SAFETY: `block` came from one of these functions.
    unsafe { mi::mi_free(block) }
}

unsafe extern "C" fn heap_realloc(
    heap: *mut c_void,
    block: *mut c_void,
    size: usize,
) -> *mut c_void {
    // SAFETY: as for `heap_calloc`; `block` came from this heap.
    unsafe { mi::mi_heap_realloc(heap.cast(), block, size) }
}

unsafe extern "C" fn heap_usable_size(block: *const c_void) -> usize {
    // SAFETY: `block` came from one of these functions.
    unsafe { mi::mi_usable_size(block) }
}
