//! `StoreState`: a store's runtime state. Its first part is the `VMStoreContext` that
//! generated code reads; beside it is what only the runtime uses: the exceptions thrown in the
//! store and the store's continuation objects and stacks.

use crate::continuations::{ContPool, StackConfig};
use crate::gc::address_hash::AddressMap;
use crate::gc::collector::{self, GcRoots};
use crate::gc::{GcHeap, HostRoots};
use crate::instance::Instance;
use crate::limits::ResourceLimiter;
use crate::pooling::StackPool;
use crate::vm::{VMContRef, VMGlobalDefinition, VMTableDefinition};
use crate::vm::{VMStoreContext, VMVal};
use anyhow::Result;
use std::cell::{Cell, UnsafeCell};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use wasmfx_environ::TableElemType;
use wasmfx_environ::{gc_header, GcTypeLayout, REF_TAG_MASK};

/// How a store's GC heap is configured.
#[derive(Debug, Clone, Copy)]
pub struct GcConfig {
    /// The largest the heap may be, in bytes.
    pub heap_size: usize,
    /// Whether every allocation collects first.
    pub zeal: bool,
}

/// A store's runtime state. The `VMStoreContext` comes first, so that the pointer every
/// instance's `VMContext` holds to it also points to the whole state.
#[repr(C)]
pub struct StoreState {
    /// What generated code reads and writes.
    pub vm: VMStoreContext,
    /// Exception objects made in this store (see `exceptions`), by address: freed by the
    /// collector once nothing refers to them, or with the store.
    pub(crate) exceptions: UnsafeCell<AddressMap<Box<[VMVal]>>>,
    /// When making an exception collects first (counting exception objects).
    exn_trigger: CollectionTrigger,
    /// The store's continuation objects and stacks.
    pub(crate) cont_pool: UnsafeCell<ContPool>,
    /// The store's resource limiter, if its host installed one.
    limiter: UnsafeCell<Option<Box<dyn ResourceLimiter>>>,
    /// The GC heap, reserved at the first allocation.
    gc_heap: UnsafeCell<Option<GcHeap>>,
    /// The largest the GC heap may be, in bytes.
    gc_heap_size: usize,
    /// What the collector scans besides stacks, continuations and exceptions.
    pub(crate) gc_roots: UnsafeCell<GcRoots>,
    /// When allocating in the GC heap collects first (counting allocated bytes).
    gc_trigger: CollectionTrigger,
    /// Whether every allocation collects first (a debugging aid: a missing root shows at
    /// once).
    gc_zeal: bool,
    /// For each call from wasm to a host function in progress, the frame record of its
    /// trampoline, which links to the calling wasm frames (for the collector).
    pub(crate) host_call_sps: UnsafeCell<Vec<usize>>,
    /// The running chains of the outer entries into the store (each entry starts a chain of
    /// its own and keeps the one it interrupted here).
    pub(crate) saved_chains: UnsafeCell<Vec<*mut VMContRef>>,
    /// When `cont.new` collects before it takes a new stack (counting continuation objects).
    cont_trigger: CollectionTrigger,
}

/// When an allocation of some kind (GC heap bytes, continuation objects, exception objects)
/// collects first: once the count would pass `growth` times what was live after the last
/// collection, and `min`.
struct CollectionTrigger {
    /// The count an allocation may bring the store to without collecting.
    limit: Cell<usize>,
    growth: usize,
    min: usize,
}

impl CollectionTrigger {
    const fn new(growth: usize, min: usize) -> CollectionTrigger {
        CollectionTrigger {
            limit: Cell::new(min),
            growth,
            min,
        }
    }

    /// Whether an allocation that brings the count to `count` should collect first.
    fn due(&self, count: usize) -> bool {
        count > self.limit.get()
    }

    /// Notes a collection that left `live` counted; returns the new limit.
    fn collected(&self, live: usize) -> usize {
        let limit = live.saturating_mul(self.growth).max(self.min);
        self.limit.set(limit);
        limit
    }
}

/// After a collection, allocation collects again when the heap holds this many times the
/// bytes that survived (and at least 8 MiB): each collection marks the live objects once, so
/// the larger the factor, the less marking per byte allocated (and the more memory held).
const GC_GROWTH: usize = 3;

/// Continuation and exception objects are collected when twice as many as were live after
/// the last collection are allocated (and at least this many).
const MIN_OBJECT_COUNT_TRIGGER: usize = 4096;

impl StoreState {
    /// A store state whose continuations get stacks of `stack_config`, from `stack_pool` if
    /// given, reading the engine's epoch from `epoch`.
    pub fn new(
        stack_config: StackConfig,
        stack_pool: Option<Arc<StackPool>>,
        epoch: &AtomicU64,
        gc: GcConfig,
    ) -> StoreState {
        StoreState {
            vm: VMStoreContext::new(epoch),
            exceptions: UnsafeCell::new(AddressMap::default()),
            exn_trigger: CollectionTrigger::new(2, MIN_OBJECT_COUNT_TRIGGER),
            cont_pool: UnsafeCell::new(ContPool::new(stack_config, stack_pool)),
            limiter: UnsafeCell::new(None),
            gc_heap: UnsafeCell::new(None),
            gc_heap_size: gc.heap_size,
            gc_roots: UnsafeCell::new(GcRoots::default()),
            gc_trigger: CollectionTrigger::new(GC_GROWTH, 8 << 20),
            gc_zeal: gc.zeal,
            host_call_sps: UnsafeCell::new(Vec::new()),
            saved_chains: UnsafeCell::new(Vec::new()),
            cont_trigger: CollectionTrigger::new(2, MIN_OBJECT_COUNT_TRIGGER),
        }
    }

    /// Registers `table` (whose elements are `elem` references) as a root of the collector:
    /// every table of the store must be, for as long as the store lives.
    pub fn register_table(&self, table: *const VMTableDefinition, elem: TableElemType) {
        // SAFETY: the roots are only used by the thread running the store, not during this.
        unsafe { (*self.gc_roots.get()).tables.push((table, elem)) };
    }

    /// Registers `global` (holding a reference represented as `reference`, if it holds one)
    /// as a root of the collector: every global of the store must be, for as long as the
    /// store lives.
    pub fn register_global(
        &self,
        global: *const VMGlobalDefinition,
        reference: Option<TableElemType>,
    ) {
        // SAFETY: as in `register_table`.
        unsafe { (*self.gc_roots.get()).globals.push((global, reference)) };
    }

    /// Registers `instance` (its element segments) as a root of the collector.
    pub(crate) fn register_instance(&self, instance: *const Instance) {
        // SAFETY: as in `register_table`; the instance is live.
        unsafe {
            let roots = &mut *self.gc_roots.get();
            let module = (*instance).module();
            roots
                .layouts
                .register_module(&module.info, &module.type_ids);
            roots.instances.push(instance);
        }
    }

    /// Notes that wasm calls a host function through a trampoline whose frame record is at
    /// `record`: the calling wasm frames are linked from it (for the collector). Paired with
    /// `exit_host_call`.
    pub fn enter_host_call(&self, record: usize) {
        // SAFETY: used by the thread running the store only, not during this.
        unsafe { (*self.host_call_sps.get()).push(record) };
    }

    /// Ends what the matching `enter_host_call` began.
    pub fn exit_host_call(&self) {
        // SAFETY: as in `enter_host_call`.
        unsafe { (*self.host_call_sps.get()).pop() };
    }

    /// Runs `f` on the GC references the host holds (which `f` must not use the store
    /// state from).
    pub fn with_host_roots<R>(&self, f: impl FnOnce(&mut HostRoots) -> R) -> R {
        // SAFETY: the roots are only used by the thread running the store, and by nothing
        // else while `f` runs.
        f(unsafe { &mut (*self.gc_roots.get()).host })
    }

    /// Makes objects of engine type `type_id`, laid out as `layout`, traceable in this store
    /// (done for every type of an instance's module when it is created; the host registers
    /// the types it allocates).
    pub fn register_gc_type(&self, type_id: u32, layout: &GcTypeLayout) {
        // SAFETY: as in `register_table`.
        unsafe { (*self.gc_roots.get()).layouts.register(type_id, layout) };
    }

    /// Keeps the continuation or exception object `bits` refers to alive until the store is
    /// dropped: for continuation and exception references handed to the host.
    pub fn pin_gc_ref(&self, bits: u64) {
        if bits != 0 && bits & REF_TAG_MASK == 0 {
            // SAFETY: as in `register_table`.
            unsafe { (*self.gc_roots.get()).pinned.insert(bits as usize) };
        }
    }

    /// Collects the garbage now: unreached GC objects are freed and unreached suspended or
    /// never-started continuations recycled. Returns the bytes of GC objects freed.
    ///
    /// # Safety
    ///
    /// Must be called on the thread running the store, with every reference into the heap
    /// where the collector looks (see `gc::collector`): from the host between calls into wasm
    /// or from a host function, or from a builtin called by wasm.
    pub unsafe fn collect_garbage(&self) -> usize {
        self.with_host_roots(HostRoots::release_dropped);
        // SAFETY: the heap is not otherwise referenced during the collection.
        let mut heap = unsafe { &mut *self.gc_heap.get() }.as_mut();
        // SAFETY: per the contract.
        let collected = unsafe { collector::collect(self, heap.as_deref_mut()) };
        if let Some(heap) = heap {
            let live = heap.allocated_bytes();
            let limit = self.gc_trigger.collected(live);
            // What allocation takes before the next collection stays committed.
            heap.release_free_chunks(limit - live);
        }
        self.cont_trigger.collected(collected.live_continuations);
        self.exn_trigger.collected(collected.live_exceptions);
        collected.freed_bytes
    }

    /// Whether making an exception should collect first (see `CollectionTrigger`).
    pub(crate) fn exception_collection_due(&self) -> bool {
        // SAFETY: the exceptions are not otherwise referenced here.
        let count = unsafe { (*self.exceptions.get()).len() };
        self.gc_zeal || self.exn_trigger.due(count + 1)
    }

    /// Whether `cont.new` should collect before it takes a new stack (see
    /// `CollectionTrigger`).
    pub(crate) fn continuation_collection_due(&self) -> bool {
        // SAFETY: the pool is not otherwise referenced here.
        let allocated = unsafe { (*self.cont_pool.get()).allocated() };
        self.gc_zeal || self.cont_trigger.due(allocated + 1)
    }

    /// Takes a continuation object from the free list (which a collection may have filled)
    /// and sets it to run `func_ref`, if there is one.
    pub(crate) fn take_free_continuation(&self, func_ref: *const u8) -> Option<*mut VMContRef> {
        // SAFETY: the free list links live, unused objects of the store, and is not otherwise
        // referenced here.
        unsafe {
            let free = &mut *self.vm.cont_free.get();
            let c = *free;
            if c.is_null() {
                return None;
            }
            *free = (*c).parent;
            (*c).reset(func_ref);
            Some(c)
        }
    }

    /// A new GC object of engine type `type_id`: `size` zeroed bytes whose header says that
    /// type and `length` (an array's length, or `gc_header::STRUCT_LENGTH`). `Ok(None)` when
    /// the heap is full; an error when it cannot be reserved. With `may_collect`, the heap's
    /// garbage may be collected first: only callers whose references are all where the
    /// collector looks may ask for that (builtins called by wasm do; constant evaluation, whose
    /// operand stack is a Rust vector, does not).
    pub fn gc_alloc(
        &self,
        type_id: u32,
        size: usize,
        length: u32,
        may_collect: bool,
    ) -> Result<Option<usize>> {
        let size = size.max(gc_header::SIZE as usize);
        // The heap, reserved at the first allocation.
        let heap = || -> Result<&mut GcHeap> {
            // SAFETY: the store state is only used by the thread running its store, and each
            // reference to the heap ends before the next collection.
            let heap = unsafe { &mut *self.gc_heap.get() };
            Ok(match heap {
                Some(heap) => heap,
                // SAFETY: the runs are in the state (so not null), which outlives the heap it
                // holds, and only the heap and generated code of this store's thread change
                // them.
                None => heap.insert(unsafe {
                    let runs = NonNull::new_unchecked(self.vm.gc_runs.get());
                    GcHeap::new(self.gc_heap_size, runs, self.gc_zeal)
                }?),
            })
        };
        let due = self
            .gc_trigger
            .due(heap()?.allocated_bytes().saturating_add(size));
        if may_collect && (self.gc_zeal || due) {
            // SAFETY: the caller allows collecting only when every reference is where the
            // collector looks.
            unsafe { self.collect_garbage() };
        }
        let mut object = heap()?.alloc(size);
        if object.is_none() && may_collect {
            // SAFETY: as above.
            unsafe { self.collect_garbage() };
            object = heap()?.alloc(size);
        }
        let Some(object) = object else {
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
