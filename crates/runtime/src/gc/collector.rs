//! The collector (see `docs/gc.md`): mark-sweep over the store's GC heap. This first version
//! finds roots **conservatively**: every word of every place a GC reference can be while wasm
//! runs is taken for a reference if it is the address of an allocated object. That is never
//! less than the precise roots (so no live object is freed), at the price of sometimes keeping
//! garbage a stale word points to. Objects are traced conservatively too (every word). Objects
//! never move, so nothing is rewritten.
//!
//! The places scanned:
//! - the stacks: the native stack from the outermost entry of the store down to the lowest
//!   stack pointer known on it, and every continuation stack that is not free from the lowest
//!   stack pointer known on it to its top; the stack pointers known are the collector's own,
//!   each continuation's saved context and each resumer's saved context, so the frames of
//!   running, suspended and resuming stacks are all covered. The registers that may hold the
//!   caller's values are spilled to the collector's own frame first;
//! - the payload buffers of every continuation that is not free (arguments, results, values in
//!   flight);
//! - tables and globals (registered when created), the evaluated items of element segments,
//!   the payloads of exceptions, and the references the host was given (pinned until the
//!   store is dropped).

use crate::gc::GcHeap;
use crate::instance::Instance;
use crate::store_state::StoreState;
use crate::vm::{VMContRef, VMGlobalDefinition, VMTableDefinition};
use std::collections::HashSet;

/// What the collector scans besides stacks, continuations and exceptions.
#[derive(Debug, Default)]
pub(crate) struct GcRoots {
    /// Every table of the store, with its element size in bytes.
    pub(crate) tables: Vec<(*const VMTableDefinition, usize)>,
    /// Every global of the store.
    pub(crate) globals: Vec<*const VMGlobalDefinition>,
    /// Every instance of the store (for its element segments).
    pub(crate) instances: Vec<*const Instance>,
    /// References handed to the host, kept alive until the store is dropped.
    pub(crate) pinned: Vec<usize>,
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

/// The collector's working state: the heap and the objects marked but not yet traced.
struct Marker<'a> {
    heap: &'a mut GcHeap,
    pending: Vec<usize>,
}

impl Marker<'_> {
    /// Marks the object `word` is the address of, if it is one.
    fn word(&mut self, word: usize) {
        if self.heap.mark(word) {
            self.pending.push(word);
        }
    }

    /// Marks every object a word of `[start, end)` (8-aligned) is the address of.
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

    /// Traces the marked objects until none is left.
    fn trace(&mut self) {
        while let Some(object) = self.pending.pop() {
            let size = self.heap.object_size(object);
            // SAFETY: a live object of the heap, `size` bytes long.
            unsafe { self.range(object, object + size) };
        }
    }
}

/// A stack's range and the lowest stack pointer known on it.
struct StackRange {
    bottom: usize,
    top: usize,
    lowest: Option<usize>,
}

impl StackRange {
    /// Notes `sp` if it is on this stack.
    fn note(&mut self, sp: usize) -> bool {
        if sp >= self.bottom && sp < self.top {
            self.lowest = Some(self.lowest.map_or(sp, |low| low.min(sp)));
            return true;
        }
        false
    }
}

/// Collects the garbage of `state`'s GC heap: marks what the roots reach and sweeps the rest.
/// Returns the bytes freed.
///
/// # Safety
///
/// Must be called on the thread running the store, from the runtime (a builtin called by
/// wasm, or the host between calls), with no reference into the heap held anywhere the roots
/// do not cover.
#[inline(never)]
pub(crate) unsafe fn collect(state: &StoreState, heap: &mut GcHeap) -> usize {
    let registers = std::hint::black_box(spill_registers());
    let sp_now = stack_pointer();
    let mut marker = Marker {
        heap,
        pending: Vec::new(),
    };

    // SAFETY: the store's state is used by this thread only; nothing else changes its pool,
    // roots or exceptions during the collection.
    let (pool, roots, exceptions) = unsafe {
        (
            &*state.cont_pool.get(),
            &*state.gc_roots.get(),
            &*state.exceptions.get(),
        )
    };

    // Continuations that are not free, and the stacks they live on.
    let mut free = HashSet::new();
    // SAFETY: the free list links live objects of the pool.
    unsafe {
        let mut c = *state.vm.cont_free.get();
        while !c.is_null() {
            free.insert(c as usize);
            c = (*c).parent;
        }
    }
    let live: Vec<(*mut VMContRef, usize)> = pool
        .objects()
        .filter(|(object, _)| !free.contains(&(*object as usize)))
        .collect();
    let mut stacks: Vec<StackRange> = live
        .iter()
        .map(|&(object, bottom)| StackRange {
            bottom,
            top: object as usize,
            lowest: None,
        })
        .collect();
    let native_top = state.native_stack_top.get();
    let mut native = StackRange {
        bottom: native_top.saturating_sub(1 << 30),
        top: native_top,
        lowest: None,
    };
    let mut note = |sp: usize| {
        if !stacks.iter_mut().any(|stack| stack.note(sp)) {
            native.note(sp);
        }
    };
    note(sp_now);
    for &(object, _) in &live {
        // SAFETY: a live continuation object; its parent context is in its launch area.
        unsafe {
            note((*object).ctx.sp);
            note((*(*object).parent_ctx).sp);
        }
    }
    for stack in stacks.iter().chain([&native]) {
        if let Some(lowest) = stack.lowest {
            // SAFETY: the part of a mapped stack from a stack pointer on it to its top.
            unsafe { marker.range(lowest, stack.top) };
        }
    }
    for register in registers {
        marker.word(register);
    }

    for &(object, _) in &live {
        // SAFETY: a live continuation object.
        for buffer in unsafe { (*object).payload_buffers() } {
            let start = buffer.as_ptr() as usize;
            // SAFETY: the buffer's slots are readable.
            unsafe { marker.range(start, start + std::mem::size_of_val(buffer)) };
        }
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

    marker.trace();
    marker.heap.sweep()
}
