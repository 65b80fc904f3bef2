//! The `#[repr(C)]` structures shared with generated code. Their field offsets are checked
//! against the constants the compiler uses (`wasmfx_environ`) by the tests at the bottom.

use crate::continuations::{ContPool, StackConfig, VMContRef};
use crate::pooling::StackPool;
use std::cell::UnsafeCell;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

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
    /// Runtime only: exception objects thrown in this store (see `exceptions`).
    pub exceptions: UnsafeCell<Vec<Box<[VMVal]>>>,
    /// Runtime only: the store's continuation objects and stacks.
    pub cont_pool: UnsafeCell<ContPool>,
}

impl VMStoreContext {
    /// A store context whose continuations get stacks of this configuration, from
    /// `stack_pool` if given, reading the engine's epoch from `epoch`.
    pub fn new(
        stack_config: StackConfig,
        stack_pool: Option<Arc<StackPool>>,
        epoch: &AtomicU64,
    ) -> VMStoreContext {
        VMStoreContext {
            stack_limit: UnsafeCell::new(usize::MAX),
            current_cont: UnsafeCell::new(std::ptr::null_mut()),
            fuel: UnsafeCell::new(0),
            epoch_ptr: UnsafeCell::new(epoch),
            epoch_deadline: UnsafeCell::new(0),
            cont_free: UnsafeCell::new(std::ptr::null_mut()),
            exceptions: UnsafeCell::new(Vec::new()),
            cont_pool: UnsafeCell::new(ContPool::new(stack_config, stack_pool)),
        }
    }
}

/// What a `funcref` points to: everything needed to call a function.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VMFuncRef {
    /// Code with the wasm calling convention.
    pub wasm_call: usize,
    /// Array-to-wasm trampoline for this function's type (0 for host functions).
    pub array_call: usize,
    /// The callee's `VMContext` or host function context.
    pub vmctx: *mut u8,
    /// Engine-wide type id of the function's type.
    pub type_id: u32,
    /// Padding to 32 bytes.
    pub _pad: u32,
}

/// A linear memory as generated code sees it.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryDefinition {
    /// Base address; constant for the memory's lifetime.
    pub base: *mut u8,
    /// Current length in bytes.
    pub length: usize,
}

/// A table as generated code sees it.
#[repr(C)]
#[derive(Debug)]
pub struct VMTableDefinition {
    /// Address of element 0.
    pub base: *mut u8,
    /// Current number of elements.
    pub length: usize,
}

/// Storage of one global: 16 bytes, enough for any value.
#[repr(C, align(16))]
#[derive(Debug, Default)]
pub struct VMGlobalDefinition {
    /// The value's bytes (little-endian, at offset 0).
    pub storage: UnsafeCell<[u8; 16]>,
}

/// Header of a host function's context: what generated code reads before calling it.
#[repr(C)]
#[derive(Debug)]
pub struct VMHostFuncContext {
    /// `HOST_CTX_MAGIC`.
    pub magic: u32,
    /// Padding.
    pub _pad: u32,
    /// `extern "C" fn(ctx, caller_vmctx, values, len) -> u32`, non-zero on error.
    pub callback: HostCallback,
}

/// The callback of a host function, called by its wasm-to-host trampoline.
pub type HostCallback =
    unsafe extern "C" fn(*mut VMHostFuncContext, *mut u8, *mut VMVal, usize) -> u32;

/// One argument or result slot exchanged with host code: 16 bytes, little-endian.
#[repr(C, align(16))]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct VMVal(pub [u8; 16]);

impl VMVal {
    /// An `i32` slot.
    pub fn i32(v: i32) -> VMVal {
        VMVal::u128(v as u32 as u128)
    }
    /// An `i64` slot.
    pub fn i64(v: i64) -> VMVal {
        VMVal::u128(v as u64 as u128)
    }
    /// A slot holding `v`.
    pub fn u128(v: u128) -> VMVal {
        VMVal(v.to_le_bytes())
    }
    /// The slot as a 32-bit value.
    pub fn get_u32(&self) -> u32 {
        self.get_u128() as u32
    }
    /// The slot as a 64-bit value.
    pub fn get_u64(&self) -> u64 {
        self.get_u128() as u64
    }
    /// The slot as a 128-bit value.
    pub fn get_u128(&self) -> u128 {
        u128::from_le_bytes(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};
    use wasmfx_environ as env;

    #[test]
    fn offsets_match_compiler() {
        assert_eq!(
            offset_of!(VMStoreContext, stack_limit) as u32,
            env::store_context::STACK_LIMIT
        );
        assert_eq!(
            offset_of!(VMStoreContext, current_cont) as u32,
            env::store_context::CURRENT_CONT
        );
        assert_eq!(
            offset_of!(VMStoreContext, fuel) as u32,
            env::store_context::FUEL
        );
        assert_eq!(
            offset_of!(VMStoreContext, epoch_ptr) as u32,
            env::store_context::EPOCH_PTR
        );
        assert_eq!(
            offset_of!(VMStoreContext, epoch_deadline) as u32,
            env::store_context::EPOCH_DEADLINE
        );
        assert_eq!(
            offset_of!(VMStoreContext, cont_free) as u32,
            env::store_context::CONT_FREE
        );
        use crate::continuations::VMContRef as C;
        assert_eq!(offset_of!(C, revision) as u32, env::cont::REVISION);
        assert_eq!(offset_of!(C, parent) as u32, env::cont::PARENT);
        assert_eq!(
            offset_of!(C, last_ancestor) as u32,
            env::cont::LAST_ANCESTOR
        );
        assert_eq!(offset_of!(C, ctx) as u32, env::cont::CTX);
        assert_eq!(offset_of!(C, stack_limit) as u32, env::cont::STACK_LIMIT);
        assert_eq!(
            offset_of!(C, parent_stack_limit) as u32,
            env::cont::PARENT_STACK_LIMIT
        );
        assert_eq!(offset_of!(C, handlers) as u32, env::cont::HANDLERS);
        assert_eq!(offset_of!(C, num_handlers) as u32, env::cont::NUM_HANDLERS);
        assert_eq!(offset_of!(C, bound) as u32, env::cont::BOUND);
        assert_eq!(offset_of!(C, payload) as u32, env::cont::PAYLOAD);
        assert_eq!(
            offset_of!(C, payload_capacity) as u32,
            env::cont::PAYLOAD_CAPACITY
        );
        assert_eq!(offset_of!(C, parent_ctx) as u32, env::cont::PARENT_CTX);
        assert_eq!(offset_of!(C, func_ref) as u32, env::cont::FUNC_REF);
        assert_eq!(offset_of!(C, fresh_ctx) as u32, env::cont::FRESH_CTX);
        assert_eq!(offset_of!(C, results) as u32, env::cont::RESULTS);
        assert_eq!(
            offset_of!(C, payload_inline) as u32,
            env::cont::PAYLOAD_INLINE
        );
        assert_eq!(
            offset_of!(VMFuncRef, wasm_call) as u32,
            env::func_ref::WASM_CALL
        );
        assert_eq!(
            offset_of!(VMFuncRef, array_call) as u32,
            env::func_ref::ARRAY_CALL
        );
        assert_eq!(offset_of!(VMFuncRef, vmctx) as u32, env::func_ref::VMCTX);
        assert_eq!(
            offset_of!(VMFuncRef, type_id) as u32,
            env::func_ref::TYPE_ID
        );
        assert_eq!(size_of::<VMFuncRef>() as u32, env::func_ref::SIZE);
        assert_eq!(
            offset_of!(VMMemoryDefinition, base) as u32,
            env::memory_def::BASE
        );
        assert_eq!(
            offset_of!(VMMemoryDefinition, length) as u32,
            env::memory_def::LENGTH
        );
        assert_eq!(
            size_of::<VMMemoryDefinition>() as u32,
            env::memory_def::SIZE
        );
        assert_eq!(
            offset_of!(VMTableDefinition, base) as u32,
            env::table_def::BASE
        );
        assert_eq!(
            offset_of!(VMTableDefinition, length) as u32,
            env::table_def::LENGTH
        );
        assert_eq!(size_of::<VMTableDefinition>() as u32, env::table_def::SIZE);
        assert_eq!(size_of::<VMGlobalDefinition>() as u32, env::GLOBAL_DEF_SIZE);
        assert_eq!(
            offset_of!(VMHostFuncContext, magic) as u32,
            env::host_func_ctx::MAGIC
        );
        assert_eq!(
            offset_of!(VMHostFuncContext, callback) as u32,
            env::host_func_ctx::CALLBACK
        );
        assert_eq!(
            size_of::<VMHostFuncContext>() as u32,
            env::host_func_ctx::SIZE
        );
        assert_eq!(size_of::<VMVal>() as u32, env::VAL_SLOT_SIZE);
    }
}
