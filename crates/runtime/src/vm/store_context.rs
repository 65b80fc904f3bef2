//! `VMStoreContext`: the per-store state generated code reads and writes. The runtime's own
//! per-store state lives beside it, in `StoreState`.

use super::{VMContRef, VMGcRun};
use std::cell::UnsafeCell;
use std::sync::atomic::AtomicU64;
use wasmfx_environ::GC_SIZE_CLASSES;

/// The allocation runs of the GC heap, one per size class.
pub type VMGcRuns = [VMGcRun; GC_SIZE_CLASSES.len()];

/// Per-store state that generated code reads.
#[repr(C)]
#[derive(Debug)]
pub struct VMStoreContext {
    /// Lowest address the native stack may reach before wasm traps "call stack exhausted".
    pub stack_limit: UnsafeCell<usize>,
    /// The innermost running continuation, null on a stack entered from the host.
    pub current_cont: UnsafeCell<*mut VMContRef>,
    /// Fuel left, with fuel consumption on.
    pub fuel: UnsafeCell<i64>,
    /// The engine's epoch counter.
    pub epoch_ptr: UnsafeCell<*const AtomicU64>,
    /// The epoch at which wasm traps "interrupt", with epoch interruption on.
    pub epoch_deadline: UnsafeCell<u64>,
    /// The first free continuation object, linked through their `parent` fields.
    pub cont_free: UnsafeCell<*mut VMContRef>,
    /// While wasm calls a builtin that may collect garbage: its stack pointer at the call
    /// (0 otherwise).
    pub last_wasm_sp: UnsafeCell<usize>,
    /// With `last_wasm_sp`: the calling wasm frame's frame pointer.
    pub last_wasm_fp: UnsafeCell<usize>,
    /// The GC heap's allocation run of each size class (empty until the heap fills them).
    pub gc_runs: UnsafeCell<VMGcRuns>,
}

impl VMStoreContext {
    /// A store context reading the engine's epoch from `epoch`, with no continuation.
    pub fn new(epoch: &AtomicU64) -> VMStoreContext {
        VMStoreContext {
            stack_limit: UnsafeCell::new(usize::MAX),
            current_cont: UnsafeCell::new(std::ptr::null_mut()),
            fuel: UnsafeCell::new(0),
            epoch_ptr: UnsafeCell::new(epoch),
            epoch_deadline: UnsafeCell::new(0),
            cont_free: UnsafeCell::new(std::ptr::null_mut()),
            last_wasm_sp: UnsafeCell::new(0),
            last_wasm_fp: UnsafeCell::new(0),
            gc_runs: UnsafeCell::new([VMGcRun::default(); GC_SIZE_CLASSES.len()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::VMStoreContext;
    use crate::vm::assert_offsets;
    use wasmfx_environ::store_context;

    #[test]
    fn offsets_match_compiler() {
        assert_offsets!(VMStoreContext {
            stack_limit => store_context::STACK_LIMIT,
            current_cont => store_context::CURRENT_CONT,
            fuel => store_context::FUEL,
            epoch_ptr => store_context::EPOCH_PTR,
            epoch_deadline => store_context::EPOCH_DEADLINE,
            cont_free => store_context::CONT_FREE,
            last_wasm_sp => store_context::LAST_WASM_SP,
            last_wasm_fp => store_context::LAST_WASM_FP,
            gc_runs => store_context::GC_RUNS,
        });
    }
}
