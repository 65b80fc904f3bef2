//! `StoreState`: a store's runtime state. Its first part is the `VMStoreContext` that
//! generated code reads; beside it is what only the runtime uses: the exceptions thrown in the
//! store and the store's continuation objects and stacks.

use crate::continuations::{ContPool, StackConfig};
use crate::pooling::StackPool;
use crate::vm::{VMStoreContext, VMVal};
use std::cell::UnsafeCell;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// A store's runtime state. The `VMStoreContext` comes first, so that the pointer every
/// instance's `VMContext` holds to it also points to the whole state.
#[repr(C)]
#[derive(Debug)]
pub struct StoreState {
    /// What generated code reads and writes.
    pub vm: VMStoreContext,
    /// Exception objects thrown in this store (see `exceptions`), freed with it.
    pub(crate) exceptions: UnsafeCell<Vec<Box<[VMVal]>>>,
    /// The store's continuation objects and stacks.
    pub(crate) cont_pool: UnsafeCell<ContPool>,
}

impl StoreState {
    /// A store state whose continuations get stacks of `stack_config`, from `stack_pool` if
    /// given, reading the engine's epoch from `epoch`.
    pub fn new(
        stack_config: StackConfig,
        stack_pool: Option<Arc<StackPool>>,
        epoch: &AtomicU64,
    ) -> StoreState {
        StoreState {
            vm: VMStoreContext::new(epoch),
            exceptions: UnsafeCell::new(Vec::new()),
            cont_pool: UnsafeCell::new(ContPool::new(stack_config, stack_pool)),
        }
    }

    /// The state whose `VMStoreContext` is `vm`.
    ///
    /// # Safety
    ///
    /// `vm` must be the `vm` field of a live `StoreState` (as every store context that
    /// instances point to is), which outlives the returned reference.
    pub unsafe fn from_vm<'a>(vm: *const VMStoreContext) -> &'a StoreState {
        // SAFETY: `vm` is the first field of a `#[repr(C)]` `StoreState`, per the contract.
        unsafe { &*vm.cast::<StoreState>() }
    }
}
