//! Continuation objects and their stacks.
//!
//! Every continuation runs on a stack of its own, with a guard page at the bottom and, at the
//! top, the continuation object itself and below it a small launch area. The launch area's top
//! 24 bytes hold the resumer's saved context, laid out so that its frame pointer and resume
//! address form a frame record: the first frame of the continuation's stack links to the
//! resumer's frame, and frame-pointer walks (backtraces) continue across stacks. Objects and
//! stacks are recycled through a per-store free list and keep their revision, so a stale
//! reference to a recycled object never passes the check. Stacks come from slabs of the store's
//! own, or from the pooling allocator's [`StackPool`], to which they return when the store is
//! dropped.

use crate::pooling::StackPool;
use crate::stacks::{StackAllocator, StackMemory};
use crate::vm::{VMStoreContext, VMVal};
use anyhow::Result;
use std::sync::Arc;
use wasmfx_environ::cont_signal;

std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".type wasmfx_cont_start,@function",
    // First instruction run on a fresh continuation stack, entered by the resumer's
    // `stack_switch` with rbp = the frame record of the resumer's context (top - 0x10) and the
    // continuation object at top - 0x20, and rdi = the resume signal (its kind in the low
    // bits, see `resume_signal`). Calls the function through its array-call trampoline with
    // the payload buffer as argument/result area, then returns to the resumer. Resumed by `resume_throw`, it returns at once with the
    // exception (already in slot 0 of the payload buffer) as escaped.
    "wasmfx_cont_start:",
    "test dil, {throw}",
    "jnz 2f",
    "mov rax, [rbp - 0x10]",
    "mov rcx, [rax + {func_ref}]",
    "mov rdi, [rcx]",
    "mov rsi, [rcx + 16]",
    "mov rdx, rsi",
    "mov r11, [rcx + 8]",
    "mov rcx, [rax + {payload}]",
    "mov [rax + {results}], rcx",
    "call r11",
    ".globl wasmfx_cont_start_return",
    "wasmfx_cont_start_return:",
    "mov edi, {returned}",
    "1:",
    "mov rsp, [rbp - 8]",
    "mov rcx, [rbp + 8]",
    "mov rbp, [rbp]",
    "jmp rcx",
    "2:",
    "mov edi, {threw}",
    "jmp 1b",
    ".size wasmfx_cont_start, . - wasmfx_cont_start",
    ".p2align 4",
    ".type wasmfx_cont_abandon,@function",
    // (cont, signal): leaves the continuation's stack for good, resuming its resumer with
    // `signal` as the switch payload.
    "wasmfx_cont_abandon:",
    "mov rax, [rdi + {parent_ctx}]",
    "mov rdi, rsi",
    "mov rsp, [rax]",
    "mov rbp, [rax + 8]",
    "jmp [rax + 16]",
    ".size wasmfx_cont_abandon, . - wasmfx_cont_abandon",
    func_ref = const wasmfx_environ::cont::FUNC_REF,
    payload = const wasmfx_environ::cont::PAYLOAD,
    results = const wasmfx_environ::cont::RESULTS,
    parent_ctx = const wasmfx_environ::cont::PARENT_CTX,
    returned = const cont_signal::RETURNED,
    threw = const cont_signal::THREW,
    throw = const wasmfx_environ::resume_signal::THROW,
);

extern "C" {
    fn wasmfx_cont_start();
    fn wasmfx_cont_start_return();
    fn wasmfx_cont_abandon(cont: *mut u8, signal: u64) -> !;
}

/// The return address that marks the bottom frame of a continuation stack.
pub(crate) fn cont_start_return_address() -> usize {
    wasmfx_cont_start_return as *const () as usize
}

/// A saved execution context, as Cranelift's `stack_switch` reads and writes it.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct VMStackContext {
    /// Stack pointer.
    pub sp: usize,
    /// Frame pointer.
    pub fp: usize,
    /// Resume address.
    pub ip: usize,
}

/// A continuation object, shared with generated code (see `wasmfx_environ::cont`).
#[repr(C)]
#[derive(Debug)]
pub struct VMContRef {
    /// Revision: references carry the revision they are valid for.
    pub revision: u64,
    /// The continuation that resumed this one, or null.
    pub parent: *mut VMContRef,
    /// The innermost continuation of the suspended segment this one heads.
    pub last_ancestor: *mut VMContRef,
    /// This stack's saved context while it is not running.
    pub ctx: VMStackContext,
    /// This stack's limit.
    pub stack_limit: usize,
    /// The resumer's stack limit.
    pub parent_stack_limit: usize,
    /// Tag identities handled by the resume that resumed this continuation.
    pub handlers: *const usize,
    /// Number of handlers.
    pub num_handlers: u32,
    /// Arguments bound by `cont.bind` so far.
    pub bound: u32,
    /// Argument/result/payload slots.
    pub payload: *mut VMVal,
    /// Capacity of `payload` in slots.
    pub payload_capacity: u32,
    /// Padding.
    pub _pad: u32,
    /// The resumer's saved context, at the top of this stack.
    pub parent_ctx: *mut VMStackContext,
    /// The function to run.
    pub func_ref: *const u8,
    /// The payload buffer while it fits: in the object, so that a suspended continuation's
    /// payload shares its cache lines and page.
    pub(crate) payload_inline: [VMVal; INLINE_PAYLOAD_SLOTS],
    /// The context a new continuation starts from: `wasmfx_cont_start` on an empty stack.
    pub fresh_ctx: VMStackContext,
    /// Where the function's results go: the payload buffer when it started (set by
    /// `wasmfx_cont_start`).
    pub results: *mut VMVal,
    /// Runtime-only: one past the highest address of the stack (below the object).
    stack_top: usize,
    /// Runtime-only: the payload buffer once it outgrew `payload_inline` (empty before).
    payload_buf: Vec<VMVal>,
    /// Runtime-only: payload buffers replaced by larger ones, kept because a running
    /// function's results still go to the buffer it started with. Freed with the object.
    retired_payloads: Vec<Vec<VMVal>>,
}

/// Payload slots in the continuation object itself.
const INLINE_PAYLOAD_SLOTS: usize = wasmfx_environ::cont::INLINE_PAYLOAD_SLOTS as usize;

/// Configuration of continuation stacks.
#[derive(Debug, Clone, Copy)]
pub struct StackConfig {
    /// Usable bytes per stack (above the guard page).
    pub size: usize,
    /// Bytes kept free below the stack limit for runtime calls made from the stack.
    pub red_zone: usize,
}

/// Bytes at the top of every stack taken by its continuation object.
const OBJECT_AREA: usize = std::mem::size_of::<VMContRef>().next_multiple_of(64);

/// Where a store's continuation stacks come from.
#[derive(Debug)]
enum StackSource {
    /// Slabs of the store's own.
    Slabs(StackAllocator),
    /// The pooling allocator; the indices of the slots taken.
    Pool(Arc<StackPool>, Vec<usize>),
}

/// The continuation objects of one store, every one allocated, with the stacks they live on.
/// The free ones form a list through their `parent` fields, headed by the store context's
/// `cont_free`, which generated code pops (`cont.new`) and pushes (a continuation returned).
#[derive(Debug)]
pub struct ContPool {
    config: StackConfig,
    stacks: StackSource,
    all: Vec<*mut VMContRef>,
}

impl ContPool {
    /// An empty pool whose continuations get stacks of `config`, from `pool` if given (whose
    /// stack size then applies) or else from slabs of its own.
    pub fn new(config: StackConfig, pool: Option<Arc<StackPool>>) -> ContPool {
        ContPool {
            config,
            stacks: match pool {
                Some(pool) => StackSource::Pool(pool, Vec::new()),
                None => StackSource::Slabs(StackAllocator::new(config.size)),
            },
            all: Vec::new(),
        }
    }

    /// A new continuation object, on a new stack, set to run `func_ref`: what `cont.new`
    /// gets when the store's free list (which generated code pops itself) is empty.
    pub fn allocate(&mut self, func_ref: *const u8) -> Result<*mut VMContRef> {
        let cont = self.new_object()?;
        // SAFETY: `cont` is one of this pool's objects, not in use yet.
        unsafe { (*cont).reset(func_ref) };
        Ok(cont)
    }

    /// A new object at the top of a new stack.
    fn new_object(&mut self) -> Result<*mut VMContRef> {
        let stack = match &mut self.stacks {
            StackSource::Slabs(slabs) => slabs.allocate()?,
            StackSource::Pool(pool, taken) => {
                let (index, stack) = pool.allocate()?;
                taken.push(index);
                stack
            }
        };
        let object = (stack.top() - OBJECT_AREA) as *mut VMContRef;
        // SAFETY: the object area at the top of a stack nothing else uses, aligned to 64 bytes
        // (the stack's top is page-aligned). The object never moves, so its payload pointer
        // may point into it, and the launch area below it may point to it.
        unsafe {
            object.write(VMContRef::new(stack, self.config.red_zone, object));
            (*object).payload = std::ptr::addr_of_mut!((*object).payload_inline).cast();
            let top = (*object).stack_top;
            *((top - 0x20) as *mut usize) = object as usize;
            *(*object).parent_ctx = VMStackContext::default();
        }
        self.all.push(object);
        Ok(object)
    }

    /// Number of objects allocated so far (free or not).
    pub fn allocated(&self) -> usize {
        self.all.len()
    }
}

impl Drop for ContPool {
    fn drop(&mut self) {
        for &object in &self.all {
            // SAFETY: every object was written by `allocate` and the store, which no longer
            // runs anything, is the last to refer to it.
            unsafe { std::ptr::drop_in_place(object) };
        }
        if let StackSource::Pool(pool, taken) = &self.stacks {
            for &index in taken {
                // SAFETY: slots this pool took, each once; nothing runs on them any more.
                unsafe { pool.free(index) };
            }
        }
    }
}

impl VMContRef {
    /// An object for `stack`, to be written at `object`, the object area at its top.
    fn new(stack: StackMemory, red_zone: usize, object: *mut VMContRef) -> VMContRef {
        let top = object as usize;
        let usable = top - stack.bottom();
        VMContRef {
            revision: 0,
            parent: std::ptr::null_mut(),
            last_ancestor: std::ptr::null_mut(),
            ctx: VMStackContext::default(),
            stack_limit: stack.bottom() + red_zone.min(usable / 2),
            parent_stack_limit: 0,
            handlers: std::ptr::null(),
            num_handlers: 0,
            bound: 0,
            // Set to `payload_inline` once the object is in place.
            payload: std::ptr::null_mut(),
            payload_capacity: INLINE_PAYLOAD_SLOTS as u32,
            _pad: 0,
            parent_ctx: (top - 0x18) as *mut VMStackContext,
            func_ref: std::ptr::null(),
            payload_inline: [VMVal::default(); INLINE_PAYLOAD_SLOTS],
            fresh_ctx: VMStackContext {
                sp: top - 0x40,
                fp: top - 0x10,
                ip: wasmfx_cont_start as *const () as usize,
            },
            results: std::ptr::null_mut(),
            stack_top: top,
            payload_buf: Vec::new(),
            retired_payloads: Vec::new(),
        }
    }

    /// Prepares the object to start `func_ref` from the beginning: what generated code's
    /// `cont.new` does for an object it takes from the free list. (`resume` sets the parent,
    /// the handlers and the stack limits.)
    fn reset(&mut self, func_ref: *const u8) {
        self.func_ref = func_ref;
        self.parent = std::ptr::null_mut();
        self.last_ancestor = self;
        self.bound = 0;
        self.ctx = self.fresh_ctx;
    }

    /// Makes the payload buffer at least `slots` long. A larger buffer replaces the current
    /// one, which is kept (not freed) for the rest of the object's life: the function running
    /// on this stack writes its results to the buffer it started with (`results`).
    pub fn reserve_payload(&mut self, slots: usize) {
        let capacity = self.payload_capacity as usize;
        if slots <= capacity {
            return;
        }
        // Doubling bounds how many buffers an object ever retires.
        let mut grown = vec![VMVal::default(); slots.max(capacity * 2)];
        // SAFETY: `payload` points to `capacity` initialised slots (the inline array or the
        // current heap buffer), which do not overlap the new buffer.
        unsafe { std::ptr::copy_nonoverlapping(self.payload, grown.as_mut_ptr(), capacity) };
        self.payload = grown.as_mut_ptr();
        self.payload_capacity = grown.len() as u32;
        let old = std::mem::replace(&mut self.payload_buf, grown);
        if !old.is_empty() {
            self.retired_payloads.push(old);
        }
    }
}

/// Puts `cont`, which finished, on the free list `free` (what generated code does when a
/// continuation returns).
///
/// # Safety
///
/// `cont` must be an object of the store whose free list `free` is, no longer running or
/// suspended, and not on the list already.
pub(crate) unsafe fn recycle(free: &mut *mut VMContRef, cont: *mut VMContRef) {
    // SAFETY: per the contract, `cont` is a live object nothing else uses.
    unsafe { (*cont).parent = *free };
    *free = cont;
}

/// Finishes every running continuation of the store, from the innermost outwards: after a
/// trap unwound past them, they can never run again. Each is recycled once. The caller
/// restores the store's current continuation.
///
/// # Safety
///
/// `store` must be the context of the store whose continuations those are, with nothing
/// running on their stacks any more.
pub(crate) unsafe fn abandon_chain(store: &VMStoreContext) {
    // SAFETY: the store context is used by this thread only.
    unsafe {
        let mut c = *store.current_cont.get();
        while !c.is_null() {
            let parent = (*c).parent;
            // A finished continuation's references must never resume it again.
            (*c).revision += 1;
            recycle(&mut *store.cont_free.get(), c);
            c = parent;
        }
    }
}

/// Leaves the current continuation because exception `exn` escaped it: the resumer rethrows
/// it. Returns only when no continuation is running.
///
/// # Safety
///
/// Must be called on the stack of the store's innermost running continuation (if any), with
/// no Rust value needing drop on that stack.
pub(crate) unsafe fn escape_with_exception(store: &VMStoreContext, exn: *mut u8) {
    // SAFETY: per the contract, the current continuation is live and running this code.
    unsafe {
        let cont = *store.current_cont.get();
        if cont.is_null() {
            return;
        }
        *(*cont).payload = VMVal::u128(exn as usize as u128);
        wasmfx_cont_abandon(cont.cast(), cont_signal::THREW)
    }
}
