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

use crate::limits::ResourceLimiter;
use crate::pooling::StackPool;
use crate::stacks::{stack_stride, StackAllocator};
use crate::vm::{recycle, VMContRef, VMStackContext, VMStoreContext, VMVal};
use anyhow::Result;
use std::sync::Arc;
use wasmfx_environ::{cont, cont_signal, func_ref, launch_area, resume_signal, stack_context};

std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".type wasmfx_cont_start,@function",
    // First instruction run on a fresh continuation stack, entered by the resumer's
    // `stack_switch` with rbp = the launch area's frame record and rdi = the resume signal
    // (its kind in the low bits, see `resume_signal`). Calls the function through its
    // array-call trampoline with the payload buffer as argument/result area, then returns to
    // the resumer. Resumed by `resume_throw`, it returns at once with the exception (already
    // in slot 0 of the payload buffer) as escaped.
    "wasmfx_cont_start:",
    "test dil, {throw}",
    "jnz 2f",
    "mov rax, [rbp - {object_below_frame}]",
    "mov rcx, [rax + {cont_func_ref}]",
    "mov rdi, [rcx + {wasm_call}]",
    "mov rsi, [rcx + {callee_vmctx}]",
    "mov rdx, rsi",
    "mov r11, [rcx + {array_call}]",
    "mov rcx, [rax + {payload}]",
    "mov [rax + {results}], rcx",
    "call r11",
    ".globl wasmfx_cont_start_return",
    "wasmfx_cont_start_return:",
    "mov edi, {returned}",
    // Back to the resumer, whose context is the launch area's; rbp is its FP word.
    "1:",
    "mov rsp, [rbp - {fp_to_sp}]",
    "mov rcx, [rbp + {fp_to_ip}]",
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
    "mov rsp, [rax + {sp}]",
    "mov rbp, [rax + {fp}]",
    "jmp [rax + {ip}]",
    ".size wasmfx_cont_abandon, . - wasmfx_cont_abandon",
    object_below_frame = const launch_area::OBJECT - launch_area::FRAME_RECORD,
    cont_func_ref = const cont::FUNC_REF,
    wasm_call = const func_ref::WASM_CALL,
    callee_vmctx = const func_ref::VMCTX,
    array_call = const func_ref::ARRAY_CALL,
    payload = const cont::PAYLOAD,
    results = const cont::RESULTS,
    fp_to_sp = const stack_context::FP - stack_context::SP,
    fp_to_ip = const stack_context::IP - stack_context::FP,
    parent_ctx = const cont::PARENT_CTX,
    sp = const stack_context::SP,
    fp = const stack_context::FP,
    ip = const stack_context::IP,
    returned = const cont_signal::RETURNED,
    threw = const cont_signal::THREW,
    throw = const resume_signal::THROW,
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
    /// Every object, with the lowest address of its stack.
    all: Vec<(*mut VMContRef, usize)>,
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
    /// gets when the store's free list (which generated code pops itself) is empty. `None`
    /// when `limiter` refuses another stack.
    pub fn allocate(
        &mut self,
        func_ref: *const u8,
        limiter: Option<&mut dyn ResourceLimiter>,
    ) -> Result<Option<*mut VMContRef>> {
        if let Some(limiter) = limiter {
            if !limiter.continuation_allocating(self.allocated(), self.stack_size())? {
                return Ok(None);
            }
        }
        let cont = self.new_object()?;
        // SAFETY: `cont` is one of this pool's objects, not in use yet.
        unsafe { (*cont).reset(func_ref) };
        Ok(Some(cont))
    }

    /// The bytes each stack takes, its guard page included: the pool's slots when stacks
    /// come from the pooling allocator, else the configured size rounded to pages.
    pub fn stack_size(&self) -> usize {
        match &self.stacks {
            StackSource::Slabs(_) => stack_stride(self.config.size),
            StackSource::Pool(pool, _) => pool.stride(),
        }
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
        let start = wasmfx_cont_start as *const () as usize;
        let launch_slot = (object as usize - launch_area::OBJECT as usize) as *mut usize;
        // SAFETY: the object area at the top of a stack nothing else uses, aligned to 64 bytes
        // (the stack's top is page-aligned), and the launch area below it. The object never
        // moves, so its payload pointer may point into it, and the launch area to it.
        unsafe {
            object.write(VMContRef::new(
                object,
                stack.bottom(),
                self.config.red_zone,
                start,
            ));
            (*object).init_payload();
            launch_slot.write(object as usize);
            (*object).parent_ctx.write(VMStackContext::default());
        }
        self.all.push((object, stack.bottom()));
        Ok(object)
    }

    /// Every object allocated so far (free or not), with the lowest address of its stack.
    pub(crate) fn objects(&self) -> impl Iterator<Item = (*mut VMContRef, usize)> + '_ {
        self.all.iter().copied()
    }

    /// Number of objects allocated so far (free or not).
    pub fn allocated(&self) -> usize {
        self.all.len()
    }
}

impl Drop for ContPool {
    fn drop(&mut self) {
        for &(object, _) in &self.all {
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
