//! The collector (see `docs/gc.md`): mark-sweep over the store's GC heap, which also
//! reclaims continuations nothing refers to any more.
//!
//! Roots are found precisely where generated code keeps references: every wasm frame waiting
//! at a call or stopped at a stack switch is described by a stack map (`frames`), on the main
//! stack and on every continuation stack, running or suspended; globals and tables are read as
//! their types say. What is still scanned word by word (each word taken for a reference if it
//! is the address of an allocated object or of a continuation object) is continuation payload
//! buffers, exception payloads, and a stopped frame whose switch were unknown. Objects are
//! traced precisely: the layout of the type in each object's header says where its
//! references are. Objects never move, so nothing is rewritten.
//!
//! Continuations are reached like objects, and a reached continuation is traced: its payload
//! buffers and, for a suspended one, the frames of every stack of its suspended segment. The
//! running ones (the current chain and those of outer entries into the store) are always
//! reached. A continuation left unreached, suspended or never started, can never run again:
//! it is recycled, its revision moving on.

use super::address_hash::{AddressMap, AddressSet};
use crate::code::CodeView;
use crate::gc::{GcHeap, HostRoots, TraceLayout, TraceLayouts};
use crate::instance::Instance;
use crate::store_state::StoreState;
use crate::vm::{recycle, VMContRef, VMGlobalDefinition, VMTableDefinition, VMVal};
use wasmfx_environ::{gc_header, GcStorage, TableElemType, REF_TAG_MASK};

/// What the collector scans besides stacks, continuations and exceptions.
#[derive(Debug, Default)]
pub(crate) struct GcRoots {
    /// Every table of the store, with the representation of its elements.
    pub(crate) tables: Vec<(*const VMTableDefinition, TableElemType)>,
    /// Every global of the store, with the representation of its value if it is a reference.
    pub(crate) globals: Vec<(*const VMGlobalDefinition, Option<TableElemType>)>,
    /// Every instance of the store (for its element segments).
    pub(crate) instances: Vec<*const Instance>,
    /// Continuation references handed to the host, kept alive until the store is dropped.
    pub(crate) pinned: AddressSet,
    /// The GC references the host holds.
    pub(crate) host: HostRoots,
    /// Where the references of each struct and array type of the store are.
    pub(crate) layouts: TraceLayouts,
}

/// What a collection found.
pub(crate) struct Collected {
    /// Bytes of GC objects freed.
    pub(crate) freed_bytes: usize,
    /// Continuation objects still in use (reached or running).
    pub(crate) live_continuations: usize,
    /// Exception objects still in use.
    pub(crate) live_exceptions: usize,
}

/// A continuation object that is not free, as the collector sees it.
pub(super) struct ContInfo {
    /// The lowest address of its stack (the object is at its top).
    pub(super) bottom: usize,
    /// Whether a root or a reached object or continuation refers to it (or it runs).
    pub(super) reached: bool,
}

/// The collector's working state: the heap, the store's continuations, the registered code,
/// and what was reached but not yet traced.
pub(super) struct Marker<'a, 'c> {
    heap: Option<&'a mut GcHeap>,
    layouts: &'a TraceLayouts,
    pub(super) code: &'c CodeView<'c>,
    pub(super) conts: AddressMap<ContInfo>,
    /// The continuations on a running chain.
    running: AddressSet,
    /// The store's exception objects, by address.
    exceptions: &'a AddressMap<Box<[VMVal]>>,
    /// The exception objects reached.
    reached_exceptions: AddressSet,
    pending_objects: Vec<usize>,
    pending_conts: Vec<usize>,
    pending_exceptions: Vec<usize>,
}

impl Marker<'_, '_> {
    /// Marks the object, exception or continuation `word` is the address of, if it is one.
    pub(super) fn word(&mut self, word: usize) {
        if !self.reference(word) {
            self.continuation(word);
        }
    }

    /// Marks the object or exception `word` refers to, if it is the address of one: `word` is
    /// a reference (null, an `i31`, a host's reference, an object's or an exception's
    /// address). Returns whether `word` is in the heap or an exception's address.
    pub(super) fn reference(&mut self, word: usize) -> bool {
        if word == 0 || word as u64 & REF_TAG_MASK != 0 {
            return false;
        }
        if let Some(heap) = self.heap.as_deref_mut() {
            if heap.contains(word) {
                if heap.mark(word) {
                    self.pending_objects.push(word);
                }
                return true;
            }
        }
        if !self.exceptions.contains_key(&word) {
            return false;
        }
        if self.reached_exceptions.insert(word) {
            self.pending_exceptions.push(word);
        }
        true
    }

    /// Marks what `word`, a reference represented as `repr` (of a continuation reference, its
    /// object half), refers to.
    fn reference_of(&mut self, repr: TableElemType, word: usize) {
        match repr {
            TableElemType::GcRef | TableElemType::ExternRef | TableElemType::ExnRef => {
                self.reference(word);
            }
            TableElemType::ContRef => self.continuation(word),
            TableElemType::FuncRef => {}
        }
    }

    /// Marks the continuation `word` is the address of, if it is one: `word` is the object
    /// half of a continuation reference (null or a continuation's address).
    pub(super) fn continuation(&mut self, word: usize) {
        if let Some(info) = self.conts.get_mut(&word) {
            if !info.reached {
                info.reached = true;
                self.pending_conts.push(word);
            }
        }
    }

    /// Marks what the references of `object` refer to, as its type's layout says.
    ///
    /// # Safety
    ///
    /// `object` must be a live object of the heap.
    unsafe fn trace_object(&mut self, object: usize) {
        let layouts = self.layouts;
        let read = |offset: usize| {
            // SAFETY: per the contract, a word of the live object.
            unsafe { ((object + offset) as *const usize).read() }
        };
        // SAFETY: per the contract, the header is readable.
        let type_id = unsafe { *((object + gc_header::TYPE_ID as usize) as *const u32) };
        match layouts.get(type_id) {
            Some(TraceLayout::Struct { refs, conts }) => {
                for &offset in refs.iter() {
                    self.reference(read(offset as usize));
                }
                for &offset in conts.iter() {
                    self.continuation(read(offset as usize));
                }
            }
            Some(&TraceLayout::Array {
                elements_offset,
                elem,
            }) => {
                // SAFETY: per the contract, the header is readable.
                let len = unsafe { *((object + gc_header::LENGTH as usize) as *const u32) };
                let at = |i: u32| elements_offset as usize + i as usize * elem.size() as usize;
                match elem {
                    GcStorage::Ref => (0..len).for_each(|i| {
                        self.reference(read(at(i)));
                    }),
                    GcStorage::ContRef => (0..len).for_each(|i| self.continuation(read(at(i)))),
                    _ => {}
                }
            }
            None => {
                // Every type allocated in the store is registered; were one not, its words
                // would still be traced, conservatively.
                let size = self.heap.as_deref().map_or(0, |h| h.object_size(object));
                // SAFETY: per the contract, the object's block is readable.
                unsafe { self.range(object, object + size) };
            }
        }
    }

    /// Marks every object or continuation a word of `[start, end)` is the address of.
    ///
    /// # Safety
    ///
    /// The range must be readable memory.
    pub(super) unsafe fn range(&mut self, start: usize, end: usize) {
        let mut at = start.next_multiple_of(8);
        while at + 8 <= end {
            // SAFETY: per the contract, the word is readable.
            let word = unsafe { (at as *const usize).read() };
            self.word(word);
            at += 8;
        }
    }

    /// Traces what was reached until nothing is left: the references of objects, and of
    /// reached continuations their stacks, their payload buffers and the continuations
    /// suspended with them.
    fn trace(&mut self) {
        loop {
            if let Some(object) = self.pending_objects.pop() {
                // SAFETY: a marked object of the heap: live.
                unsafe { self.trace_object(object) };
            } else if let Some(cont) = self.pending_conts.pop() {
                // SAFETY: a continuation object of the store that is not free.
                unsafe { self.trace_continuation(cont as *mut VMContRef) };
            } else if let Some(exception) = self.pending_exceptions.pop() {
                // The payload, after the header slot (tag and length).
                let exceptions = self.exceptions;
                let slots = &exceptions[&exception][1..];
                let start = slots.as_ptr() as usize;
                // SAFETY: the exception's slots are readable.
                unsafe { self.range(start, start + std::mem::size_of_val(slots)) };
            } else {
                return;
            }
        }
    }

    /// Marks what the words of continuation `c`'s payload buffers refer to.
    ///
    /// # Safety
    ///
    /// `c` must be a live continuation object of the store, not free.
    pub(super) unsafe fn payload_buffers(&mut self, c: *mut VMContRef) {
        // SAFETY: per the contract, the object and its buffers are live.
        unsafe {
            for buffer in (*c).payload_buffers() {
                let start = buffer.as_ptr() as usize;
                self.range(start, start + std::mem::size_of_val(buffer));
            }
        }
    }

    /// Traces continuation `c`.
    ///
    /// # Safety
    ///
    /// `c` must be a live continuation object of the store, not free.
    unsafe fn trace_continuation(&mut self, c: *mut VMContRef) {
        // SAFETY: per the contract, the object and its buffers are live.
        unsafe {
            self.payload_buffers(c);
            // A running continuation's frames are walked from where its stack is stopped,
            // found from the running chains; a suspended one's here.
            if !self.running.contains(&(c as usize)) {
                self.suspended_segment(c);
            }
        }
    }
}

/// Collects the garbage of the store of `state`: marks the objects of `heap` (if the store has
/// one) and the continuations the roots reach, sweeps the unreached objects, and recycles
/// every unreached continuation that is suspended or was never started (its revision moves
/// on, so a stale reference to it only fails the linearity check). Returns the bytes freed.
///
/// # Safety
///
/// Must be called on the thread running the store, from the runtime (a builtin called by
/// wasm, or the host between calls), with no reference into the heap held anywhere the roots
/// do not cover.
pub(crate) unsafe fn collect(state: &StoreState, mut heap: Option<&mut GcHeap>) -> Collected {
    if let Some(heap) = heap.as_deref_mut() {
        heap.retire_runs();
    }
    // SAFETY: the store's state is used by this thread only; nothing else changes its pool,
    // roots, chains or exceptions during the collection.
    let (pool, roots, exceptions, saved_chains, host_calls) = unsafe {
        (
            &*state.cont_pool.get(),
            &*state.gc_roots.get(),
            &*state.exceptions.get(),
            &*state.saved_chains.get(),
            &*state.host_call_sps.get(),
        )
    };

    // The continuations that are not free.
    let mut free = AddressSet::default();
    // SAFETY: the free list links live objects of the pool.
    unsafe {
        let mut c = *state.vm.cont_free.get();
        while !c.is_null() {
            free.insert(c as usize);
            c = (*c).parent;
        }
    }
    let conts: AddressMap<ContInfo> = pool
        .objects()
        .filter(|(object, _)| !free.contains(&(*object as usize)))
        .map(|(object, bottom)| {
            let info = ContInfo {
                bottom,
                reached: false,
            };
            (object as usize, info)
        })
        .collect();
    // The running continuations: the current chain and the chains of outer entries.
    let mut running = AddressSet::default();
    // SAFETY: chains link live continuation objects through their parents.
    unsafe {
        for head in
            std::iter::once(*state.vm.current_cont.get()).chain(saved_chains.iter().copied())
        {
            let mut c = head;
            while !c.is_null() {
                running.insert(c as usize);
                c = (*c).parent;
            }
        }
    }
    // SAFETY: the store context is used by this thread only.
    let (last_wasm_sp, last_wasm_fp) =
        unsafe { (*state.vm.last_wasm_sp.get(), *state.vm.last_wasm_fp.get()) };

    let marked = crate::code::with_code(|code| {
        let mut marker = Marker {
            heap,
            layouts: &roots.layouts,
            code,
            conts,
            running: running.clone(),
            exceptions,
            reached_exceptions: AddressSet::default(),
            pending_objects: Vec::new(),
            pending_conts: Vec::new(),
            pending_exceptions: Vec::new(),
        };
        // SAFETY: the frames walked are live: the innermost wasm frames of a call into a
        // builtin that may collect (which recorded them), those calling each host function
        // in progress, and those above where each running continuation's resumer is stopped.
        unsafe {
            if last_wasm_sp != 0 {
                marker.innermost(last_wasm_sp, last_wasm_fp);
            }
            for &record in host_calls {
                marker.walk(record, None);
            }
            for &c in &running {
                marker.word(c);
                marker.stopped((*(c as *const VMContRef)).parent_ctx, None);
            }
        }
        for &(table, elem) in &roots.tables {
            // SAFETY: registered tables live as long as the store; their elements are
            // readable.
            unsafe {
                let (start, len) = ((*table).base as usize, (*table).length);
                for i in 0..len {
                    let word = *((start + i * elem.elem_size()) as *const usize);
                    marker.reference_of(elem, word);
                }
            }
        }
        for &(global, reference) in &roots.globals {
            if let Some(repr) = reference {
                // SAFETY: registered globals live as long as the store; their first word is
                // the reference (the object half of a continuation reference).
                let word = unsafe { *((*global).storage.get() as *const usize) };
                marker.reference_of(repr, word);
            }
        }
        for &instance in &roots.instances {
            // SAFETY: registered instances live as long as the store.
            for items in unsafe { (*instance).all_elem_items() } {
                for item in items {
                    marker.word(*item as usize);
                }
            }
        }
        for &pinned in &roots.pinned {
            marker.word(pinned);
        }
        for bits in roots.host.all() {
            // A reference word, or the object half of a continuation reference.
            marker.word(bits as usize);
        }
        marker.trace();
        (marker.heap, marker.conts, marker.reached_exceptions)
    });
    // Without the code registry (only while this thread registers code, when no collection
    // starts), nothing can be marked: nothing is freed.
    let Some((heap, conts, reached_exceptions)) = marked else {
        return Collected {
            freed_bytes: 0,
            live_continuations: pool.allocated() - free.len(),
            live_exceptions: exceptions.len(),
        };
    };
    // SAFETY: as above; the marker's view of the exceptions is gone.
    let exceptions = unsafe { &mut *state.exceptions.get() };
    exceptions.retain(|address, _| reached_exceptions.contains(address));

    let mut live_continuations = 0;
    for (&object, info) in &conts {
        live_continuations += usize::from(info.reached);
        if !info.reached {
            // SAFETY: a suspended or never-started continuation nothing refers to: it can
            // never run again, and its revision moves on for stale references.
            unsafe {
                let c = object as *mut VMContRef;
                (*c).revision += 1;
                recycle(&mut *state.vm.cont_free.get(), c);
            }
        }
    }
    Collected {
        freed_bytes: heap.map_or(0, |heap| heap.sweep()),
        live_continuations,
        live_exceptions: exceptions.len(),
    }
}
