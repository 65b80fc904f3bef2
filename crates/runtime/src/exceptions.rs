//! Exceptions: allocating exception objects, and throwing them by walking the wasm frames of
//! the current stack for a call site whose handlers catch the exception's tag, then resuming at
//! that handler's landing pad.
//!
//! Exception objects live until their store is dropped, and the collector scans their payloads
//! as roots. Their layout is `wasmfx_environ::exn`: a header slot (tag identity, payload
//! length) and one 16-byte slot per payload value.

use crate::code::with_code;
use crate::store_state::StoreState;
use crate::traps::{set_host_error, TrapReason};
use crate::vm::VMVal;
use std::fmt;

std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl wasmfx_throw_ref",
    ".type wasmfx_throw_ref,@function",
    // Called by generated code (wasm calling convention, same registers as the C one for
    // two pointer arguments and one result) as `throw_ref(vmctx, exn) -> status`. The
    // caller's return address and frame pointer are where the frame walk starts; the Rust
    // part returns straight to generated code when no handler exists.
    "wasmfx_throw_ref:",
    "mov rdx, [rsp]",
    "mov rcx, rbp",
    "jmp {throw_impl}",
    ".size wasmfx_throw_ref, . - wasmfx_throw_ref",
    ".p2align 4",
    ".type wasmfx_resume_at_handler,@function",
    // (pc, sp, fp, exn): enters a landing pad as Cranelift expects, with the exception in the
    // first payload register (rax) and 0 in the second (rdx).
    "wasmfx_resume_at_handler:",
    "mov rax, rcx",
    "mov rsp, rsi",
    "mov rbp, rdx",
    "xor edx, edx",
    "jmp rdi",
    ".size wasmfx_resume_at_handler, . - wasmfx_resume_at_handler",
    throw_impl = sym throw_impl,
);

extern "C" {
    /// The `throw_ref` builtin's entry point.
    pub(crate) fn wasmfx_throw_ref(vmctx: *mut u8, exn: *mut u8) -> u32;
    fn wasmfx_resume_at_handler(pc: usize, sp: usize, fp: usize, exn: *mut u8) -> !;
}

/// An exception that no wasm handler caught before it reached the host. Host code sees it as
/// the error of the call.
#[derive(Debug, Clone, Copy)]
pub struct UncaughtException {
    /// The exception object.
    pub exn: *mut u8,
}

// SAFETY: the pointer is only an identity for the embedding layer, which checks the store.
unsafe impl Send for UncaughtException {}
// SAFETY: as above.
unsafe impl Sync for UncaughtException {}

impl fmt::Display for UncaughtException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uncaught wasm exception")
    }
}

impl std::error::Error for UncaughtException {}

/// The tag identity of exception `exn`.
///
/// # Safety
///
/// `exn` must be an exception object of a live store.
pub unsafe fn exn_tag(exn: *const u8) -> usize {
    // SAFETY: the header slot holds the tag identity in its low word.
    unsafe { (*(exn as *const VMVal)).get_u64() as usize }
}

/// The payload slots of exception `exn`.
///
/// # Safety
///
/// `exn` must be an exception object of a live store, which must outlive the slice.
pub unsafe fn exn_payload<'a>(exn: *const u8) -> &'a [VMVal] {
    // SAFETY: the header's high word is the payload length; the slots follow it.
    unsafe {
        let header = &*(exn as *const VMVal);
        let len = (header.get_u128() >> 64) as usize;
        std::slice::from_raw_parts((exn as *const VMVal).add(1), len)
    }
}

/// Allocates an exception with tag identity `tag` and room for `len` payload values, owned by
/// `store` until the collector finds nothing refers to it (or the store is dropped).
pub fn alloc_exception(store: &StoreState, tag: usize, len: usize) -> *mut u8 {
    let mut slots = vec![VMVal::default(); len + 1].into_boxed_slice();
    slots[0] = VMVal::u128(((len as u128) << 64) | tag as u128);
    let ptr = slots.as_mut_ptr() as *mut u8;
    // SAFETY: the store state is only used by the thread running its store.
    unsafe { (*store.exceptions.get()).insert(ptr as usize, slots) };
    ptr
}

/// Where a handler resumes: its landing pad, stack pointer and frame pointer.
struct Handler {
    pc: usize,
    sp: usize,
    fp: usize,
}

/// Searches the wasm frames from (`pc`, `fp`) outwards for a handler of `exn`.
///
/// # Safety
///
/// `fp` must be the frame pointer of the generated-code frame that `pc` returns into, with an
/// intact frame-pointer chain above it; `exn` must be a live exception.
unsafe fn find_handler(exn: *const u8, mut pc: usize, mut fp: usize) -> Option<Handler> {
    // SAFETY: the caller guarantees `exn` is live.
    let tag = unsafe { exn_tag(exn) };
    // One read of the code registry serves every frame of the walk.
    with_code(|code| loop {
        let found = code.exn_site(pc).and_then(|(start, site)| {
            let sp = fp - site.frame_offset as usize;
            // SAFETY: the call site saved its vmctx at this offset from the stack pointer.
            let vmctx = unsafe { *((sp + site.vmctx_sp_offset as usize) as *const usize) };
            site.handlers().find_map(|h| {
                let catches = match h.tag {
                    None => true,
                    // SAFETY: `off` is the offset of a tag pointer in that frame's vmctx.
                    Some(off) => (unsafe { *((vmctx + off as usize) as *const usize) }) == tag,
                };
                catches.then_some(Handler {
                    pc: start + h.target as usize,
                    sp,
                    fp,
                })
            })
        });
        if found.is_some() {
            return found;
        }
        // SAFETY: `fp` is a generated-code frame: [fp] is the caller's fp, [fp + 8] the
        // return address.
        let (next_fp, ra) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        if !code.contains(ra) {
            return None;
        }
        pc = ra;
        fp = next_fp;
    })
    .flatten()
}

/// The Rust half of `throw_ref`: resumes at the handler, or records the escaped exception and
/// returns a non-zero status.
extern "C" fn throw_impl(vmctx: *mut u8, exn: *mut u8, pc: usize, fp: usize) -> u32 {
    // SAFETY: called from `wasmfx_throw_ref` with the generated caller's return address and
    // frame pointer, and a live exception.
    if let Some(h) = unsafe { find_handler(exn, pc, fp) } {
        // SAFETY: the handler's frame is live (it is an ancestor of this call) and its landing
        // pad expects exactly this register state; no Rust value with a destructor is live.
        unsafe { wasmfx_resume_at_handler(h.pc, h.sp, h.fp, exn) }
    }
    // Not caught on this stack: if it is a continuation's, its resumer rethrows.
    // SAFETY: generated code passes its own vmctx; this runs on the current stack with no
    // value needing drop.
    unsafe {
        let store = crate::instance::Instance::from_vmctx(vmctx).store_context();
        crate::continuations::escape_with_exception(store, exn);
    }
    set_host_error(TrapReason::Host(anyhow::Error::new(UncaughtException {
        exn,
    })));
    1
}
