//! `StoreState`: a store's runtime state. Its first part is the `VMStoreContext` that
//! generated code reads; beside it is what only the runtime uses: the exceptions thrown in the
//! store and the store's continuation objects and stacks.

use crate::continuations::{ContPool, StackConfig};
use crate::gc::GcHeap;
use crate::limits::ResourceLimiter;
use crate::pooling::StackPool;
use crate::vm::{VMStoreContext, VMVal};
use anyhow::Result;
use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use wasmfx_environ::gc_header;

/// A store's runtime state. The `VMStoreContext` comes first, so that the pointer every
/// instance's `VMContext` holds to it also points to the whole state.
#[repr(C)]
pub struct StoreState {
    /// What generated code reads and writes.
    pub vm: VMStoreContext,
    /// Exception objects thrown in this store (see `exceptions`), freed with it.
    pub(crate) exceptions: UnsafeCell<Vec<Box<[VMVal]>>>,
    /// The store's continuation objects and stacks.
    pub(crate) cont_pool: UnsafeCell<ContPool>,
    /// The store's resource limiter, if its host installed one.
    limiter: UnsafeCell<Option<Box<dyn ResourceLimiter>>>,
    /// The GC heap, reserved at the first allocation.
    gc_heap: UnsafeCell<Option<GcHeap>>,
    /// The largest the GC heap may be, in bytes.
    gc_heap_size: usize,
}

impl StoreState {
    /// A store state whose continuations get stacks of `stack_config`, from `stack_pool` if
    /// given, reading the engine's epoch from `epoch`.
    pub fn new(
        stack_config: StackConfig,
        stack_pool: Option<Arc<StackPool>>,
        epoch: &AtomicU64,
        gc_heap_size: usize,
    ) -> StoreState {
        StoreState {
            vm: VMStoreContext::new(epoch),
            exceptions: UnsafeCell::new(Vec::new()),
            cont_pool: UnsafeCell::new(ContPool::new(stack_config, stack_pool)),
            limiter: UnsafeCell::new(None),
            gc_heap: UnsafeCell::new(None),
            gc_heap_size,
        }
    }

    /// A new GC object of engine type `type_id`: `size` zeroed bytes whose header says that
    /// type and `length` (an array's length, or `gc_header::STRUCT_LENGTH`). `Ok(None)` when
    /// the heap is full; an error when it cannot be reserved.
    pub(crate) fn gc_alloc(&self, type_id: u32, size: usize, length: u32) -> Result<Option<usize>> {
        // SAFETY: the store state is only used by the thread running its store, and the heap
        // is not otherwise referenced during this call.
        let heap = unsafe { &mut *self.gc_heap.get() };
        let heap = match heap {
            Some(heap) => heap,
            None => heap.insert(GcHeap::new(self.gc_heap_size)?),
        };
        let Some(object) = heap.alloc(size.max(gc_header::SIZE as usize)) else {
            return Ok(None);
        };
        // SAFETY: a fresh block of at least the header's size, 8-aligned.
        unsafe {
            *((object + gc_header::TYPE_ID as usize) as *mut u32) = type_id;
            *((object + gc_header::LENGTH as usize) as *mut u32) = length;
        }
        Ok(Some(object))
    }

    /// Installs (or with `None` removes) the limiter asked before the store's memories,
    /// tables and continuations grow.
    pub fn set_limiter(&mut self, limiter: Option<Box<dyn ResourceLimiter>>) {
        *self.limiter.get_mut() = limiter;
    }

    /// The store's limiter, for the host side of the embedding API.
    pub fn limiter_mut(&mut self) -> Option<&mut dyn ResourceLimiter> {
        match self.limiter.get_mut() {
            Some(limiter) => Some(&mut **limiter),
            None => None,
        }
    }

    /// The store's limiter, for builtins called from wasm, which hold the state shared: a
    /// builtin may use it while no other reference to it is live.
    pub(crate) fn limiter_ptr(&self) -> Option<NonNull<dyn ResourceLimiter>> {
        // SAFETY: reading the box's address; the store runs on one thread, which is not
        // changing the limiter while wasm runs.
        let limiter = unsafe { &*self.limiter.get() };
        limiter.as_deref().map(NonNull::from)
    }
}
