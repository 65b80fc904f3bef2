//! The collector (see `docs/gc.md`): mark-sweep over the store's GC heap. This first version
//! finds roots **conservatively**: every word of every place a GC reference can be while wasm
//! runs is taken for a reference if it is the address of an allocated object. That is never
//! less than the precise roots (so no live object is freed), at the price of sometimes keeping
//! garbage a stale word points to. Objects are traced precisely: the layout of the type in
//! each object's header says where its references are. Objects never move, so nothing is
//! rewritten.
//!
//! Continuations are reached like objects: a word that is the address of a continuation
//! object (the low half of a fat reference) reaches it, and a reached continuation is traced:
//! its stack from the lowest stack pointer known on it to its top, its payload buffers
//! (arguments, results, values in flight) and the continuations suspended with it. The running
//! ones (the current chain and those of outer entries into the store) are always reached. The
//! stack pointers known are the collector's own, each continuation's saved context and each
//! resumer's saved context, so the frames of running, suspended and resuming stacks are all
//! covered. A continuation left unreached, suspended or never started, can never run again:
//! it is recycled, its revision moving on.
//!
//! The roots:
//! - the native stack from the outermost entry of the store down to the lowest stack pointer
//!   known on it, after the callee-saved registers are spilled to the collector's frame;
//! - the running continuations;
//! - tables and globals (registered when created), the evaluated items of element segments,
//!   the payloads of exceptions, the references the host holds (scoped and owned roots) and
//!   the continuation references the host was given (pinned until the store is dropped).

use crate::gc::{GcHeap, HostRoots, TraceLayout, TraceLayouts};
use crate::instance::Instance;
use crate::store_state::StoreState;
use crate::vm::{recycle, VMContRef, VMGlobalDefinition, VMTableDefinition};
use std::collections::{HashMap, HashSet};
use wasmfx_environ::{gc_header, GcStorage, REF_TAG_MASK};

/// What the collector scans besides stacks, continuations and exceptions.
#[derive(Debug, Default)]
pub(crate) struct GcRoots {
    /// Every table of the store, with its element size in bytes.
    pub(crate) tables: Vec<(*const VMTableDefinition, usize)>,
    /// Every global of the store.
    pub(crate) globals: Vec<*const VMGlobalDefinition>,
    /// Every instance of the store (for its element segments).
    pub(crate) instances: Vec<*const Instance>,
    /// Continuation references handed to the host, kept alive until the store is dropped.
    pub(crate) pinned: HashSet<usize>,
    /// The GC references the host holds.
    pub(crate) host: HostRoots,
    /// Where the references of each struct and array type of the store are.
    pub(crate) layouts: TraceLayouts,
}

/// The callee-saved registers of the System V ABI, which may still hold values of the wasm
/// frame that called into the runtime: written to the collector's frame before the scan.
#[inline(never)]
fn spill_registers() -> [usize; 6] {
    let mut registers = [0usize; 6];
    // SAFETY: stores six registers into a local array; nothing else is touched.
    unsafe {
        std::arch::asm!(
            "mov [{0}], rbx",
            "mov [{0} + 8], rbp",
            "mov [{0} + 16], r12",
            "mov [{0} + 24], r13",
            "mov [{0} + 32], r14",
            "mov [{0} + 40], r15",
            in(reg) registers.as_mut_ptr(),
            options(nostack, preserves_flags),
        );
    }
    registers
}

/// The current stack pointer.
#[inline(always)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer.
    unsafe {
        std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    sp
}

/// What a collection found.
pub(crate) struct Collected {
    /// Bytes of GC objects freed.
    pub(crate) freed_bytes: usize,
    /// Continuation objects still in use (reached or running).
    pub(crate) live_continuations: usize,
}

/// A continuation object that is not free, as the collector sees it.
struct ContInfo {
    /// The lowest address of its stack.
    bottom: usize,
    /// The lowest stack pointer known on its stack, if any.
    lowest: Option<usize>,
    /// Whether a root or a reached object or continuation refers to it (or it runs).
    reached: bool,
}

/// The collector's working state: the heap, the store's continuations, and what was reached
/// but not yet traced.
struct Marker<'a> {
    heap: Option<&'a mut GcHeap>,
    layouts: &'a TraceLayouts,
    conts: HashMap<usize, ContInfo>,
    pending_objects: Vec<usize>,
    pending_conts: Vec<usize>,
}

impl Marker<'_> {
    /// Marks the object or continuation `word` is the address of, if it is one.
    fn word(&mut self, word: usize) {
        if let Some(heap) = self.heap.as_deref_mut() {
            if heap.mark(word) {
                self.pending_objects.push(word);
                return;
            }
        }
        if let Some(info) = self.conts.get_mut(&word) {
            if !info.reached {
                info.reached = true;
                self.pending_conts.push(word);
            }
        }
    }

    /// Marks the object `word` refers to, if it is the address of one: `word` is a reference
    /// (null, an `i31`, a host's reference or an object's address).
    fn reference(&mut self, word: usize) {
        if word == 0 || word as u64 & REF_TAG_MASK != 0 {
            return;
        }
        if let Some(heap) = self.heap.as_deref_mut() {
            if heap.mark(word) {
                self.pending_objects.push(word);
            }
        }
    }

    /// Marks the continuation `word` is the address of, if it is one: `word` is the object
    /// half of a continuation reference (null or a continuation's address).
    fn continuation(&mut self, word: usize) {
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
                    GcStorage::Ref => (0..len).for_each(|i| self.reference(read(at(i)))),
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
    unsafe fn range(&mut self, start: usize, end: usize) {
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
            } else {
                return;
            }
        }
    }

    /// Traces continuation `c`.
    ///
    /// # Safety
    ///
    /// `c` must be a live continuation object of the store, not free.
    unsafe fn trace_continuation(&mut self, c: *mut VMContRef) {
        let info = &self.conts[&(c as usize)];
        if let Some(lowest) = info.lowest {
            // SAFETY: the part of the continuation's mapped stack from a stack pointer on it
            // to its top (the object's address).
            unsafe { self.range(lowest, c as usize) };
        }
        // SAFETY: per the contract, the object and its buffers are live.
        unsafe {
            for buffer in (*c).payload_buffers() {
                let start = buffer.as_ptr() as usize;
                self.range(start, start + std::mem::size_of_val(buffer));
            }
            // The continuations suspended together with `c`, from the innermost outwards.
            let mut inner = (*c).last_ancestor;
            while !inner.is_null() && inner != c {
                self.word(inner as usize);
                inner = (*inner).parent;
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
#[inline(never)]
pub(crate) unsafe fn collect(state: &StoreState, mut heap: Option<&mut GcHeap>) -> Collected {
    if let Some(heap) = heap.as_deref_mut() {
        heap.retire_runs();
    }
    let registers = std::hint::black_box(spill_registers());
    let sp_now = stack_pointer();

    // SAFETY: the store's state is used by this thread only; nothing else changes its pool,
    // roots, chains or exceptions during the collection.
    let (pool, roots, exceptions, saved_chains) = unsafe {
        (
            &*state.cont_pool.get(),
            &*state.gc_roots.get(),
            &*state.exceptions.get(),
            &*state.saved_chains.get(),
        )
    };

    // The continuations that are not free, with the stack pointers known on their stacks.
    let mut free = HashSet::new();
    // SAFETY: the free list links live objects of the pool.
    unsafe {
        let mut c = *state.vm.cont_free.get();
        while !c.is_null() {
            free.insert(c as usize);
            c = (*c).parent;
        }
    }
    let mut conts: HashMap<usize, ContInfo> = pool
        .objects()
        .filter(|(object, _)| !free.contains(&(*object as usize)))
        .map(|(object, bottom)| {
            let info = ContInfo {
                bottom,
                lowest: None,
                reached: false,
            };
            (object as usize, info)
        })
        .collect();
    // The running continuations: the current chain and the chains of outer entries.
    let mut running = HashSet::new();
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

    // The stack pointers known. True ones (the collector's own, those of calls out to host
    // functions, and where each running continuation's resumer switched to it) may extend a
    // scan of a native stack; the saved ones of other continuations may be old, so they only
    // count where they land on a continuation stack that is not free, mapped throughout.
    // SAFETY: the state is used by this thread only.
    let (entry_tops, host_call_sps) =
        unsafe { (&*state.entry_tops.get(), &*state.host_call_sps.get()) };
    let mut true_sps = vec![sp_now];
    true_sps.extend(host_call_sps.iter().copied());
    let mut saved_sps = Vec::new();
    for &object in conts.keys() {
        let c = object as *const VMContRef;
        // SAFETY: a live continuation object; its parent context is in its launch area.
        unsafe {
            let parent_sp = (*(*c).parent_ctx).sp;
            if running.contains(&object) {
                true_sps.push(parent_sp);
            } else {
                saved_sps.push((*c).ctx.sp);
                saved_sps.push(parent_sp);
            }
        }
    }

    // The continuation stacks by address, to find the one holding a stack pointer.
    let mut ranges: Vec<(usize, usize)> = conts
        .iter()
        .map(|(&top, info)| (info.bottom, top))
        .collect();
    ranges.sort_unstable();
    let holder = |sp: usize| {
        ranges
            .partition_point(|&(bottom, _)| bottom <= sp)
            .checked_sub(1)
            .map(|i| ranges[i])
            .filter(|&(_, top)| sp < top)
            .map(|(_, top)| top)
    };
    // The parts of native stacks to scan: from the lowest true stack pointer below each entry
    // frame into the store to that frame.
    let mut native: HashMap<usize, usize> = HashMap::new();
    for (sp, trusted) in true_sps
        .into_iter()
        .map(|sp| (sp, true))
        .chain(saved_sps.into_iter().map(|sp| (sp, false)))
    {
        if let Some(top) = holder(sp) {
            let info = conts.get_mut(&top).expect("a range of a continuation");
            info.lowest = Some(info.lowest.map_or(sp, |low| low.min(sp)));
        } else if trusted {
            let entry = entry_tops
                .iter()
                .copied()
                .filter(|&entry| entry > sp && entry - sp < 1 << 30)
                .min();
            if let Some(entry) = entry {
                let lowest = native.entry(entry).or_insert(sp);
                *lowest = (*lowest).min(sp);
            }
        }
    }

    let mut marker = Marker {
        heap,
        layouts: &roots.layouts,
        conts,
        pending_objects: Vec::new(),
        pending_conts: Vec::new(),
    };
    for c in running {
        marker.word(c);
    }
    for (entry, lowest) in native {
        // SAFETY: the part of a mapped stack from a true stack pointer on it to the frame of
        // the entry into the store just above it, on the same stack.
        unsafe { marker.range(lowest, entry) };
    }
    for register in registers {
        marker.word(register);
    }
    for &(table, elem_size) in &roots.tables {
        // SAFETY: registered tables live as long as the store.
        unsafe {
            let start = (*table).base as usize;
            marker.range(start, start + (*table).length * elem_size);
        }
    }
    for &global in &roots.globals {
        // SAFETY: registered globals live as long as the store.
        let start = unsafe { (*global).storage.get() } as usize;
        // SAFETY: the global's 16 bytes are readable.
        unsafe { marker.range(start, start + 16) };
    }
    for &instance in &roots.instances {
        // SAFETY: registered instances live as long as the store.
        for items in unsafe { (*instance).all_elem_items() } {
            for item in items {
                marker.word(*item as usize);
            }
        }
    }
    for exception in exceptions {
        let start = exception.as_ptr() as usize;
        // SAFETY: the exception's slots are readable.
        unsafe { marker.range(start, start + std::mem::size_of_val(&**exception)) };
    }
    for &pinned in &roots.pinned {
        marker.word(pinned);
    }
    for bits in roots.host.all() {
        // A reference word, or the object half of a continuation reference.
        marker.word(bits as usize);
    }
    marker.trace();

    let mut live_continuations = 0;
    for (&object, info) in &marker.conts {
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
        freed_bytes: marker.heap.map_or(0, |heap| heap.sweep()),
        live_continuations,
    }
}
