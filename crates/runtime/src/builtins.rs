//! The builtins generated code calls (see `wasmfx_environ::Builtin`), and their table.
//!
//! Each returns a status or a result; none unwinds: a failure is reported to generated code,
//! which traps itself.

use crate::gc::objects;
use crate::instance::Instance;
use crate::limits::ResourceLimiter;
use crate::table::{Table, TableElem};
use crate::traps::{set_deferred_trap, set_host_error, TrapReason};
use crate::vm::{VMContRef, VMFuncRef};
use std::sync::atomic::Ordering;
use wasmfx_environ::{Builtin, Trap, GROW_TRAPPED, WAIT_TRAPPED};

/// Function pointers shared read-only with generated code.
#[repr(transparent)]
struct BuiltinTable([*const (); 24]);

// SAFETY: the table is immutable and holds only function addresses.
unsafe impl Sync for BuiltinTable {}

/// The builtin table, in `Builtin` order.
static BUILTINS: BuiltinTable = BuiltinTable([
    memory_grow as *const (),
    memory_fill as *const (),
    memory_copy as *const (),
    memory_init as *const (),
    data_drop as *const (),
    memory_atomic_notify as *const (),
    memory_atomic_wait as *const (),
    table_grow as *const (),
    table_fill as *const (),
    table_copy as *const (),
    table_init as *const (),
    elem_drop as *const (),
    check_subtype as *const (),
    exn_new as *const (),
    crate::exceptions::wasmfx_throw_ref as *const (),
    cont_new as *const (),
    cont_reserve as *const (),
    unhandled_tag as *const (),
    objects::gc_alloc as *const (),
    objects::array_new_data as *const (),
    objects::array_new_elem as *const (),
    objects::array_init_data as *const (),
    objects::array_init_elem as *const (),
    objects::gc_copy as *const (),
]);

/// Address of the builtin table, for `VMContext`s.
pub fn builtins_table() -> *const usize {
    const _: () = assert!(Builtin::ALL.len() == 24);
    BUILTINS.0.as_ptr().cast()
}

pub(crate) fn instance<'a>(vmctx: *mut u8) -> &'a mut Instance {
    // SAFETY: generated code passes its own live vmctx.
    unsafe { Instance::from_vmctx(vmctx) }
}

/// The resource limiter of the store of `vmctx`'s instance, if it has one.
fn store_limiter<'a>(vmctx: *mut u8) -> Option<&'a mut dyn ResourceLimiter> {
    let limiter = instance(vmctx).store_state().limiter_ptr();
    // SAFETY: the store state, and so its limiter, outlives every call into its wasm, and the
    // limiter is not otherwise referenced while wasm runs a builtin.
    limiter.map(|mut limiter| unsafe { limiter.as_mut() })
}

/// Runs `f`, which may call the host's resource limiter. A panic there must not unwind
/// through generated code: it is recorded, to resume in the host that called into wasm, and
/// `None` is returned.
pub(crate) fn catching_panics<R>(f: impl FnOnce() -> R) -> Option<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => Some(result),
        Err(payload) => {
            set_host_error(TrapReason::Panic(payload));
            None
        }
    }
}

extern "C" fn memory_grow(vmctx: *mut u8, memory: u32, delta: u64) -> i64 {
    catching_panics(|| {
        let limiter = store_limiter(vmctx);
        grow_result(instance(vmctx).memory(memory).grow(delta, limiter))
    })
    .unwrap_or(GROW_TRAPPED)
}

/// What `memory_grow` and `table_grow` return for the result of a growth: the old size, -1
/// when it was refused or failed, or [`GROW_TRAPPED`] after recording the limiter's error.
fn grow_result(result: anyhow::Result<Option<u64>>) -> i64 {
    match result {
        Ok(Some(old)) => old as i64,
        Ok(None) => -1,
        Err(e) => {
            set_host_error(TrapReason::Host(e));
            GROW_TRAPPED
        }
    }
}

extern "C" fn memory_fill(vmctx: *mut u8, memory: u32, dst: u64, val: u32, len: u64) -> u32 {
    match instance(vmctx).memory(memory).range_ptr(dst, len) {
        Some(at) => {
            // SAFETY: `at` starts `len` bytes inside the memory.
            unsafe { std::ptr::write_bytes(at, val as u8, len as usize) };
            0
        }
        None => 1,
    }
}

extern "C" fn memory_copy(
    vmctx: *mut u8,
    dst_mem: u32,
    dst: u64,
    src_mem: u32,
    src: u64,
    len: u64,
) -> u32 {
    let inst = instance(vmctx);
    match (
        inst.memory(src_mem).range_ptr(src, len),
        inst.memory(dst_mem).range_ptr(dst, len),
    ) {
        (Some(from), Some(to)) => {
            // SAFETY: both start `len` bytes inside their memories; `copy` handles overlap.
            unsafe { std::ptr::copy(from, to, len as usize) };
            0
        }
        _ => 1,
    }
}

extern "C" fn memory_init(
    vmctx: *mut u8,
    memory: u32,
    data: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    let ok = instance(vmctx).memory_init(memory, data, dst, u64::from(src), u64::from(len));
    u32::from(!ok)
}

extern "C" fn data_drop(vmctx: *mut u8, data: u32) {
    instance(vmctx).data_drop(data)
}

/// The native address of byte `offset` of memory `memory` (checked by generated code).
fn shared_address(vmctx: *mut u8, memory: u32, offset: u64) -> usize {
    instance(vmctx).memory(memory).base() as usize + offset as usize
}

extern "C" fn memory_atomic_notify(vmctx: *mut u8, memory: u32, offset: u64, count: u32) -> u32 {
    crate::parking::notify(shared_address(vmctx, memory, offset), count)
}

extern "C" fn memory_atomic_wait(
    vmctx: *mut u8,
    memory: u32,
    offset: u64,
    expected: u64,
    timeout: i64,
    width: u32,
    interruptible: u32,
) -> u32 {
    let addr = shared_address(vmctx, memory, offset);
    let timeout = u64::try_from(timeout)
        .ok()
        .map(std::time::Duration::from_nanos);
    let vm = instance(vmctx).store_context();
    // With epoch interruption on, the deadline passing ends the wait, as it ends loops.
    let interrupted = || {
        // SAFETY: the store context's fields are plain values of this live store; the
        // epoch counter is the engine's, which outlives the store.
        interruptible != 0
            && unsafe { (**vm.epoch_ptr.get()).load(Ordering::Relaxed) >= *vm.epoch_deadline.get() }
    };
    // SAFETY: generated code checked that the location is inside the memory and aligned to
    // `width`; the memory lives as long as the instance calling.
    let result = unsafe { crate::parking::wait(addr, width, expected, timeout, interrupted) };
    if result == crate::parking::WaitResult::Interrupted {
        set_deferred_trap(Trap::Interrupt);
        return WAIT_TRAPPED as u32;
    }
    result as u32
}

extern "C" fn table_grow(vmctx: *mut u8, table: u32, delta: u64, lo: u64, hi: u64) -> i64 {
    catching_panics(|| {
        let limiter = store_limiter(vmctx);
        let table = instance(vmctx).table(table);
        grow_result(table.grow(delta, elem(lo, hi), limiter))
    })
    .unwrap_or(GROW_TRAPPED)
}

extern "C" fn table_fill(vmctx: *mut u8, table: u32, dst: u64, lo: u64, hi: u64, len: u64) -> u32 {
    let ok = instance(vmctx).table(table).fill(dst, elem(lo, hi), len);
    u32::from(!ok)
}

/// A table element from the two words generated code passes.
fn elem(lo: u64, hi: u64) -> TableElem {
    (TableElem::from(hi) << 64) | TableElem::from(lo)
}

extern "C" fn table_copy(
    vmctx: *mut u8,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    let inst = instance(vmctx);
    let (src_def, dst_def) = (inst.table_def(src_table), inst.table_def(dst_table));
    // SAFETY: both definitions belong to live tables; when they are the same table only one
    // reference is used.
    let ok = unsafe {
        if src_def == dst_def {
            Table::from_def(dst_def).copy_within(dst, src, len)
        } else {
            Table::from_def(dst_def).copy_from(dst, Table::from_def(src_def), src, len)
        }
    };
    u32::from(!ok)
}

extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    elem: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    let ok = instance(vmctx).table_init(table, elem, dst, u64::from(src), u64::from(len));
    u32::from(!ok)
}

extern "C" fn elem_drop(vmctx: *mut u8, elem: u32) {
    instance(vmctx).elem_drop(elem)
}

extern "C" fn check_subtype(vmctx: *mut u8, actual: u32, expected: u32) -> u32 {
    let types = instance(vmctx).module().type_registry.read();
    // A poisoned lock still holds a consistent registry: registration only appends.
    let types = types.unwrap_or_else(|e| e.into_inner());
    u32::from(!types.is_subtype(actual, expected))
}

/// Collects the garbage of `store` for a builtin that may collect, called by wasm: `false`
/// if the collector panicked (the panic is recorded; it must not unwind through generated
/// code).
fn collect_for_wasm(store: &crate::StoreState) -> bool {
    // SAFETY: a builtin called by wasm, which recorded its frame: every reference is where
    // the collector looks.
    catching_panics(|| unsafe { store.collect_garbage() }).is_some()
}

extern "C" fn exn_new(vmctx: *mut u8, tag: *mut u8, len: u32) -> *mut u8 {
    let store = instance(vmctx).store_state();
    // The payload values are written after this returns.
    if store.exception_collection_due() && !collect_for_wasm(store) {
        return std::ptr::null_mut();
    }
    crate::exceptions::alloc_exception(store, tag as usize, len as usize)
}

extern "C" fn cont_new(vmctx: *mut u8, func_ref: *const VMFuncRef) -> *mut VMContRef {
    let store = instance(vmctx).store_state();
    // Unreached continuations are recycled by a collection: collect when the store holds many,
    // and before failing for want of a stack.
    let collect = || collect_for_wasm(store);
    if store.continuation_collection_due() {
        if !collect() {
            return std::ptr::null_mut();
        }
        if let Some(c) = store.take_free_continuation(func_ref.cast()) {
            return c;
        }
    }
    let allocate = || {
        // SAFETY: the store state is only used by the thread running its store, and its pool
        // is not otherwise referenced while wasm runs this builtin.
        let pool = unsafe { &mut *store.cont_pool.get() };
        catching_panics(|| pool.allocate(func_ref.cast(), store_limiter(vmctx)))
    };
    let Some(mut allocated) = allocate() else {
        return std::ptr::null_mut();
    };
    if !matches!(allocated, Ok(Some(_))) {
        if !collect() {
            return std::ptr::null_mut();
        }
        if let Some(c) = store.take_free_continuation(func_ref.cast()) {
            return c;
        }
        let Some(again) = allocate() else {
            return std::ptr::null_mut();
        };
        allocated = again;
    }
    match allocated {
        Ok(Some(c)) => c,
        Ok(None) => {
            set_deferred_trap(Trap::ContinuationLimit);
            std::ptr::null_mut()
        }
        Err(e) => {
            set_host_error(TrapReason::Host(e));
            std::ptr::null_mut()
        }
    }
}

extern "C" fn cont_reserve(_vmctx: *mut u8, cont: *mut VMContRef, slots: u32) {
    // SAFETY: generated code passes a live continuation object.
    unsafe { (*cont).reserve_payload(slots as usize) }
}

/// A suspension (or `switch`) with no handler up to the host boundary.
#[derive(Debug)]
pub struct UnhandledTag {
    tag: String,
}

impl UnhandledTag {
    /// How the suspending module knows the tag: its import or export name, or its index.
    pub fn tag_name(&self) -> &str {
        &self.tag
    }
}

impl std::fmt::Display for UnhandledTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unhandled tag {}: a suspension found no handler before the host boundary",
            self.tag
        )
    }
}

impl std::error::Error for UnhandledTag {}

extern "C" fn unhandled_tag(vmctx: *mut u8, tag: *mut u8) {
    let tag = instance(vmctx)
        .describe_tag(tag, true)
        .unwrap_or_else(|| "(unknown)".to_string());
    set_host_error(TrapReason::Host(anyhow::Error::new(UnhandledTag { tag })));
}
