//! Heaps of each QuickJS runtime, thrown away whole when the runtime is
//! freed: one for the engine's objects, one for the engine facade's
//! templates.
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
//! The facade also never frees its function and object templates, which
//! it allocates in Rust (deno_core makes one per op, about a megabyte per
//! isolate). The link step wraps the facade's functions that build a
//! template or add to one, and while one of them runs, this crate's global
//! allocator takes what it allocates from the runtime's template heap. That
//! heap lives in an arena no other heap uses, so a destroyed template's
//! address is only ever reused by another template's memory: the facade
//! keeps every template address it has seen in a per-thread table and asks
//! it whether a handle is a template, and the handles it asks about are
//! never in that arena. The table itself must outlive the runtime; its
//! storage is 16-byte aligned (a hash table's control groups), where what
//! a template holds (the template, its property and accessor lists, its
//! class name) is at most 8-byte aligned, so only allocations of at most
//! 8-byte alignment are taken. Everything else goes to the system
//! allocator, as it does outside those functions.
//!
//! A mimalloc heap belongs to the thread that made it, as a `JsRuntime`
//! does: each isolate creates, uses and frees its runtime on its own thread.
//! Templates go to a heap only while their thread has one runtime, which is
//! the case on isolate threads; elsewhere they stay where they were.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use deno_core::v8;
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
    fn mi_arena_area(arena: mi::mi_arena_id_t, size: *mut usize) -> *mut c_void;
}

/// Address space reserved for templates, committed as they need it.
const TEMPLATE_ARENA_BYTES: usize = 4 << 30;

/// The most alignment a template's allocations have (see the module doc).
const TEMPLATE_ALIGN: usize = 8;

/// A runtime's two heaps.
#[derive(Clone, Copy)]
struct Heaps {
    engine: *mut mi::mi_heap_t,
    /// Null when the template arena could not be reserved.
    templates: *mut mi::mi_heap_t,
}

thread_local! {
    /// The heaps of each runtime this thread made.
    static HEAPS: RefCell<HashMap<usize, Heaps>> = RefCell::new(HashMap::new());
    /// Where templates go while this thread has exactly one runtime.
    static TEMPLATE_HEAP: Cell<*mut mi::mi_heap_t> = const { Cell::new(std::ptr::null_mut()) };
    /// Set while a wrapped template function runs: its template heap.
    static TAKING: Cell<*mut mi::mi_heap_t> = const { Cell::new(std::ptr::null_mut()) };
}

/// The template arena's bounds, `[start, end)`; empty until reserved.
static ARENA_START: AtomicUsize = AtomicUsize::new(0);
static ARENA_END: AtomicUsize = AtomicUsize::new(0);

/// The arena every template heap allocates in, reserved on first use.
fn template_arena() -> Option<mi::mi_arena_id_t> {
    static ARENA: OnceLock<Option<usize>> = OnceLock::new();
    let arena = ARENA.get_or_init(|| {
        let mut arena: mi::mi_arena_id_t = std::ptr::null_mut();
        // SAFETY: reserves address space for an arena only the template
        // heaps use; nothing is committed yet.
        let failed = unsafe { mi::mi_reserve_os_memory_ex(TEMPLATE_ARENA_BYTES, false, false, true, &mut arena) };
        if failed != 0 {
            tracing::warn!("cannot reserve the template arena (error {failed}); replaced isolates leave their templates behind");
            return None;
        }
        let mut size = 0;
        // SAFETY: `arena` was just reserved.
        let start = unsafe { mi_arena_area(arena, &mut size) } as usize;
        // The start first: until the end is set, the range is empty.
        ARENA_START.store(start, Ordering::Relaxed);
        ARENA_END.store(start + size, Ordering::Release);
        Some(arena as usize)
    });
    arena.map(|arena| arena as mi::mi_arena_id_t)
}

fn in_template_arena(block: *mut u8) -> bool {
    let block = block as usize;
    // Any other thread may free while the arena is being reserved: an end
    // seen set comes with its start.
    block < ARENA_END.load(Ordering::Acquire) && block >= ARENA_START.load(Ordering::Relaxed)
}

/// Points the thread's templates at its one runtime's heap, or nowhere.
fn choose_template_heap(heaps: &HashMap<usize, Heaps>) {
    let mut all = heaps.values();
    let only = match (all.next(), all.next()) {
        (Some(only), None) => only.templates,
        _ => std::ptr::null_mut(),
    };
    TEMPLATE_HEAP.set(only);
}

/// Stands in for `JS_NewRuntime`: the same runtime, on heaps of its own.
#[unsafe(no_mangle)]
extern "C" fn __wrap_JS_NewRuntime() -> *mut c_void {
    // SAFETY: a new heap for this thread; the runtime is its only user.
    let engine = unsafe { mi::mi_heap_new() };
    if engine.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `FUNCTIONS` is static and matches the engine's layout; the
    // runtime passes `engine` back to each of them.
    let runtime = unsafe { JS_NewRuntime2(&FUNCTIONS, engine.cast()) };
    if runtime.is_null() {
        // SAFETY: nothing was allocated from it.
        unsafe { mi::mi_heap_destroy(engine) };
        return runtime;
    }
    let templates = match template_arena() {
        // SAFETY: a heap in the template arena, for this thread.
        Some(arena) => unsafe { mi::mi_heap_new_in_arena(arena) },
        None => std::ptr::null_mut(),
    };
    HEAPS.with_borrow_mut(|heaps| {
        heaps.insert(runtime as usize, Heaps { engine, templates });
        choose_template_heap(heaps);
    });
    runtime
}

/// Stands in for `JS_FreeRuntime`: frees the runtime, then its heaps with
/// whatever the runtime and its templates left in them.
#[unsafe(no_mangle)]
extern "C" fn __wrap_JS_FreeRuntime(runtime: *mut c_void) {
    // SAFETY: the caller frees a runtime it owns, as it would unwrapped.
    unsafe { __real_JS_FreeRuntime(runtime) };
    super::facade::forget_private_keys();
    let Some(freed) = HEAPS.with_borrow_mut(|heaps| {
        let freed = heaps.remove(&(runtime as usize));
        choose_template_heap(heaps);
        freed
    }) else {
        return;
    };
    // SAFETY: the heaps were made on this thread for this runtime, which is
    // gone; nothing of the engine's points into them any more, and the
    // facade reads no template after freeing the runtime.
    unsafe {
        mi::mi_heap_destroy(freed.engine);
        if !freed.templates.is_null() {
            mi::mi_heap_destroy(freed.templates);
        }
        mi::mi_collect(true);
    }
}

/// The process's allocator: the system's, except for what a wrapped
/// template function allocates (see the module doc).
pub struct Allocator;

#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

/// A mimalloc heap allocation function: `mi_heap_malloc` or `mi_heap_zalloc`.
type HeapAlloc = unsafe extern "C" fn(*mut mi::mi_heap_t, usize) -> *mut c_void;

impl Allocator {
    /// A block for `layout` from the template heap, by `take`, while a
    /// wrapped template function runs and `layout` is one a template holds.
    fn from_template_heap(layout: Layout, take: HeapAlloc) -> Option<*mut u8> {
        let heap = TAKING.get();
        if heap.is_null() || layout.align() > TEMPLATE_ALIGN {
            return None;
        }
        // SAFETY: `heap` is this thread's and alive while `TAKING` names it.
        let block = unsafe { take(heap, layout.size()) };
        (!block.is_null()).then(|| block.cast())
    }
}

// SAFETY: every block is freed by the allocator that made it: blocks in the
// template arena by mimalloc, all others by the system allocator.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller's contract.
        Self::from_template_heap(layout, mi::mi_heap_malloc)
            .unwrap_or_else(|| unsafe { System.alloc(layout) })
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller's contract.
        Self::from_template_heap(layout, mi::mi_heap_zalloc)
            .unwrap_or_else(|| unsafe { System.alloc_zeroed(layout) })
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if in_template_arena(block) {
            // SAFETY: a live block of a template heap.
            unsafe { mi::mi_free(block.cast()) }
        } else {
            // SAFETY: as the caller's contract.
            unsafe { System.dealloc(block, layout) }
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !in_template_arena(block) {
            // SAFETY: as the caller's contract.
            return unsafe { System.realloc(block, layout, new_size) };
        }
        // SAFETY: `layout` with the new size is valid, as the caller promises.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as in `alloc`; the old block is copied and freed once the
        // new one exists.
        unsafe {
            let moved = self.alloc(new_layout);
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                mi::mi_free(block.cast());
            }
            moved
        }
    }
}

/// Runs a wrapped template function with its allocations taken from the
/// thread's template heap.
fn taking_templates<R>(f: impl FnOnce() -> R) -> R {
    let before = TAKING.replace(TEMPLATE_HEAP.get());
    let result = f();
    TAKING.set(before);
    result
}

/// Wraps facade functions that allocate what a template keeps; `build.rs`
/// names the same symbols to the linker.
macro_rules! template_functions {
    ($($wrap:ident => $real:ident ($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {
        unsafe extern "C" {
            $(fn $real($($arg: $ty),*) $(-> $ret)?;)*
        }
        $(
            #[unsafe(no_mangle)]
            extern "C" fn $wrap($($arg: $ty),*) $(-> $ret)? {
                // SAFETY: the caller's arguments, passed on unchanged.
                taking_templates(|| unsafe { $real($($arg),*) })
            }
        )*
    };
}

type Ptr = *const c_void;

template_functions! {
    __wrap_v8__FunctionTemplate__New => __real_v8__FunctionTemplate__New(
        isolate: Ptr, callback: Ptr, data: Ptr, signature: Ptr, length: i32,
        constructor: v8::ConstructorBehavior, side_effects: v8::SideEffectType,
        fast: Ptr, fast_len: usize
    ) -> Ptr;
    __wrap_v8__ObjectTemplate__New => __real_v8__ObjectTemplate__New(isolate: Ptr, constructor: Ptr) -> Ptr;
    __wrap_v8__Template__Set => __real_v8__Template__Set(
        template: Ptr, key: Ptr, value: Ptr, attributes: v8::PropertyAttribute
    );
    __wrap_v8__Template__SetIntrinsicDataProperty => __real_v8__Template__SetIntrinsicDataProperty(
        template: Ptr, key: Ptr, intrinsic: v8::Intrinsic, attributes: v8::PropertyAttribute
    );
    __wrap_v8__FunctionTemplate__SetClassName => __real_v8__FunctionTemplate__SetClassName(template: Ptr, name: Ptr);
    __wrap_v8__FunctionTemplate__SetAccessorProperty => __real_v8__FunctionTemplate__SetAccessorProperty(
        template: Ptr, key: Ptr, getter: Ptr, setter: Ptr, attributes: v8::PropertyAttribute
    );
    __wrap_v8__ObjectTemplate__SetAccessorProperty => __real_v8__ObjectTemplate__SetAccessorProperty(
        template: Ptr, key: Ptr, getter: Ptr, setter: Ptr, attributes: v8::PropertyAttribute
    );
    __wrap_v8__ObjectTemplate__SetNativeDataProperty => __real_v8__ObjectTemplate__SetNativeDataProperty(
        template: Ptr, key: Ptr, getter: Ptr, setter: Ptr, data: Ptr, attributes: v8::PropertyAttribute
    );
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
