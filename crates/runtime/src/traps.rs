//! Entering wasm and getting out of it when it traps.
//!
//! Host code enters wasm through [`catch_traps`], which calls a small assembly routine that
//! saves the callee-saved registers on the host stack and remembers the stack pointer. Every
//! trap in generated code is a faulting instruction (`ud2`, a guard-page access, a division
//! fault); the signal handler recognises the faulting address as a trap site of registered
//! code, records the trap and the chain of wasm frames (frame pointers are always kept), and
//! redirects the thread to an unwind routine that restores the saved stack pointer and returns
//! from the entry routine with a "trapped" result. Host functions report errors by returning a
//! status that makes their trampoline trap; the error itself travels in the thread's state.

use crate::code::{is_wasm_code, lookup_code, trap_at};
use crate::store_state::StoreState;
use crate::vm::VMVal;
use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::sync::Once;
use wasmfx_environ::Trap;

std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl wasmfx_call_catch",
    ".type wasmfx_call_catch,@function",
    "wasmfx_call_catch:",
    "push rbp",
    "mov rbp, rsp",
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "sub rsp, 8",
    "mov [rdi], rsp",
    "mov rax, rsi",
    "mov rdi, rdx",
    "mov rsi, rcx",
    "mov rdx, r8",
    "mov rcx, r9",
    "call rax",
    "xor eax, eax",
    "wasmfx_call_catch_return:",
    "add rsp, 8",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    "ret",
    ".size wasmfx_call_catch, . - wasmfx_call_catch",
    ".p2align 4",
    ".globl wasmfx_unwind",
    ".type wasmfx_unwind,@function",
    "wasmfx_unwind:",
    "mov rsp, rdi",
    "mov eax, 1",
    "jmp wasmfx_call_catch_return",
    ".size wasmfx_unwind, . - wasmfx_unwind",
);

extern "C" {
    /// Saves callee-saved registers, stores the stack pointer in `*jmp_sp`, and calls
    /// `trampoline(code, callee_vmctx, caller_vmctx, values)`. Returns 0 when it returns and 1
    /// when [`wasmfx_unwind`] is called with the saved stack pointer.
    fn wasmfx_call_catch(
        jmp_sp: *mut usize,
        trampoline: usize,
        code: usize,
        callee_vmctx: *mut u8,
        caller_vmctx: *mut u8,
        values: *mut VMVal,
    ) -> u32;
    /// Resumes at the end of the `wasmfx_call_catch` whose saved stack pointer is `sp`.
    fn wasmfx_unwind(sp: usize) -> !;
}

const MAX_FRAMES: usize = 256;

/// A trap as recorded by the signal handler: no allocation.
struct RawTrap {
    trap: Trap,
    pcs: [usize; MAX_FRAMES],
    len: usize,
    truncated: bool,
}

/// The state of one host-to-wasm call on this thread.
struct CallThreadState {
    jmp_sp: UnsafeCell<usize>,
    trap: UnsafeCell<Option<RawTrap>>,
    host_error: Cell<Option<TrapReason>>,
    /// The trap a builtin reported (see [`set_deferred_trap`]), which replaces the
    /// `HostError` trap generated code raises after it.
    deferred_trap: Cell<Option<Trap>>,
    prev: *const CallThreadState,
}

thread_local! {
    static CURRENT: Cell<*const CallThreadState> = const { Cell::new(std::ptr::null()) };
}

/// One frame of a wasm backtrace.
#[derive(Clone, Debug)]
pub struct FrameSymbol {
    /// The module's name, if known.
    pub module_name: Option<String>,
    /// The function's name (from the name section, or its index).
    pub func_name: String,
    /// Offset of the instruction in the machine code of the function containing it (for an
    /// inlined function, of the function it was inlined into).
    pub code_offset: u32,
}

/// The wasm frames active when a trap happened, innermost first.
#[derive(Clone, Debug, Default)]
pub struct WasmBacktrace {
    /// The frames.
    pub frames: Vec<FrameSymbol>,
    /// Whether frames beyond the recorded ones were left out.
    pub truncated: bool,
}

impl fmt::Display for WasmBacktrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "wasm backtrace:")?;
        for (i, frame) in self.frames.iter().enumerate() {
            match &frame.module_name {
                Some(m) => writeln!(f, "  {i:>3}: {m}!{}", frame.func_name)?,
                None => writeln!(f, "  {i:>3}: {}", frame.func_name)?,
            }
        }
        if self.truncated {
            writeln!(f, "  ... (more frames)")?;
        }
        Ok(())
    }
}

/// A trap raised by wasm code, with its backtrace.
#[derive(Clone, Debug)]
pub struct WasmTrap {
    /// The trap.
    pub trap: Trap,
    /// Where it happened.
    pub backtrace: WasmBacktrace,
}

/// Why a call into wasm did not return normally.
pub enum TrapReason {
    /// Generated code trapped.
    Wasm(WasmTrap),
    /// A host function returned an error.
    Host(anyhow::Error),
    /// A host function panicked; the panic resumes in the caller.
    Panic(Box<dyn Any + Send>),
}

impl fmt::Debug for TrapReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrapReason::Wasm(t) => write!(f, "Wasm({t:?})"),
            TrapReason::Host(e) => write!(f, "Host({e:?})"),
            TrapReason::Panic(_) => write!(f, "Panic"),
        }
    }
}

/// Records why the host function now returning an error status failed. Called by host
/// function callbacks on the thread running wasm.
pub fn set_host_error(reason: TrapReason) {
    let state = CURRENT.with(|c| c.get());
    assert!(!state.is_null(), "host error outside of a wasm call");
    // SAFETY: `state` is the live state of the innermost `catch_traps` on this thread.
    unsafe { (*state).host_error.set(Some(reason)) };
}

/// Records that the builtin now returning a failure to generated code stands for `trap`: the
/// `HostError` trap generated code raises next is reported as `trap`, with the backtrace of
/// where it was raised. Called by builtins on the thread running wasm.
pub(crate) fn set_deferred_trap(trap: Trap) {
    let state = CURRENT.with(|c| c.get());
    assert!(!state.is_null(), "deferred trap outside of a wasm call");
    // SAFETY: `state` is the live state of the innermost `catch_traps` on this thread.
    unsafe { (*state).deferred_trap.set(Some(trap)) };
}

/// Calls `trampoline(code, callee_vmctx, caller_vmctx, values)` (an array-to-wasm trampoline),
/// catching every trap. The outermost call on a store sets the stack limit `max_stack` bytes
/// below the current stack pointer.
///
/// # Safety
///
/// `trampoline` must be an array-to-wasm trampoline for the type of `code`, `callee_vmctx`
/// must be the context `code` expects, and `values` must have room for the arguments and
/// results of that type.
pub unsafe fn catch_traps(
    store_state: &StoreState,
    max_stack: usize,
    trampoline: usize,
    code: usize,
    callee_vmctx: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut VMVal,
) -> Result<(), TrapReason> {
    install_signal_handlers();
    ensure_sigaltstack();
    let state = CallThreadState {
        jmp_sp: UnsafeCell::new(0),
        trap: UnsafeCell::new(None),
        host_error: Cell::new(None),
        deferred_trap: Cell::new(None),
        prev: CURRENT.with(|c| c.get()),
    };
    CURRENT.with(|c| c.set(&state));
    let here = &state as *const _ as usize;
    let store = &store_state.vm;
    // SAFETY: the store context outlives this call; no other thread uses it concurrently.
    let old_limit = unsafe { *store.stack_limit.get() };
    let outermost = old_limit == usize::MAX;
    if outermost {
        // SAFETY: as above.
        unsafe { *store.stack_limit.get() = here.saturating_sub(max_stack) };
    }
    // Each entry from the host starts a fresh chain of continuations: a suspension can never
    // reach past this host frame.
    // SAFETY: as above.
    let old_cont =
        unsafe { std::mem::replace(&mut *store.current_cont.get(), std::ptr::null_mut()) };
    // The interrupted chain still runs (for the collector).
    // SAFETY: as above.
    unsafe { (*store_state.saved_chains.get()).push(old_cont) };
    // SAFETY: the caller guarantees the trampoline contract; `jmp_sp` lives until we return.
    let trapped = unsafe {
        wasmfx_call_catch(
            state.jmp_sp.get(),
            trampoline,
            code,
            callee_vmctx,
            caller_vmctx,
            values,
        )
    };
    // SAFETY: as above. After a trap, the continuations that were running between the trap
    // and this entry can never run again.
    unsafe {
        if trapped != 0 {
            crate::continuations::abandon_chain(store);
        }
        *store.current_cont.get() = old_cont;
        *store.stack_limit.get() = old_limit;
        (*store_state.saved_chains.get()).pop();
    }
    // No builtin called by this entry's wasm runs any more, even if a trap cut one short
    // (for the collector, which walks from the frame that called one).
    // SAFETY: as above.
    unsafe { *store.last_wasm_sp.get() = 0 };
    CURRENT.with(|c| c.set(state.prev));
    if trapped == 0 {
        return Ok(());
    }
    if let Some(reason) = state.host_error.take() {
        return Err(reason);
    }
    // SAFETY: the signal handler wrote the record before unwinding; nothing else touches it.
    let raw = unsafe { (*state.trap.get()).take() };
    let raw = raw.expect("unwound without a trap record");
    let trap = match (raw.trap, state.deferred_trap.take()) {
        (Trap::HostError, Some(deferred)) => deferred,
        (trap, _) => trap,
    };
    Err(TrapReason::Wasm(WasmTrap {
        trap,
        backtrace: symbolize(&raw.pcs[..raw.len], raw.truncated),
    }))
}

fn symbolize(pcs: &[usize], truncated: bool) -> WasmBacktrace {
    let mut frames = Vec::new();
    for &pc in pcs {
        let Some((info, offset)) = lookup_code(pc) else {
            continue;
        };
        let Some(func) = info.tables.func_at(offset) else {
            continue;
        };
        let code_offset = offset - info.tables.func(func).0;
        // Functions inlined at `pc` are frames of their own, inside the one containing it.
        for func in info.tables.inlined_at(offset).chain([func]) {
            if let Some(name) = info.tables.func_name(func) {
                frames.push(FrameSymbol {
                    module_name: info.module_name.clone(),
                    func_name: name,
                    code_offset,
                });
            }
        }
    }
    WasmBacktrace { frames, truncated }
}

static mut PREV_HANDLERS: [Option<libc::sigaction>; 32] = [None; 32];
const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

fn install_signal_handlers() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        for sig in SIGNALS {
            // SAFETY: installing a handler with a zeroed, then filled-in sigaction; the
            // previous handler is kept for chaining. Runs once, before any handler can run.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = signal_handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
                libc::sigemptyset(&mut action.sa_mask);
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut prev) == 0 {
                    PREV_HANDLERS[sig as usize] = Some(prev);
                }
            }
        }
    });
}

unsafe extern "C" fn signal_handler(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    ctx: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid ucontext for SA_SIGINFO handlers.
    let uc = unsafe { &mut *(ctx as *mut libc::ucontext_t) };
    let pc = uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize;
    let fp = uc.uc_mcontext.gregs[libc::REG_RBP as usize] as usize;
    let state = CURRENT.with(|c| c.get());
    if !state.is_null() {
        if let (true, Some(trap)) = trap_at(pc) {
            // SAFETY: `state` is the live state of the innermost wasm call on this thread,
            // and wasm frames below its saved stack pointer are intact.
            unsafe {
                let jmp_sp = *(*state).jmp_sp.get();
                *(*state).trap.get() = Some(capture(trap, pc, fp));
                uc.uc_mcontext.gregs[libc::REG_RIP as usize] = wasmfx_unwind as *const () as i64;
                uc.uc_mcontext.gregs[libc::REG_RDI as usize] = jmp_sp as i64;
            }
            return;
        }
    }
    // Not a wasm trap: hand the signal to whoever had it before.
    // SAFETY: reading the handler table written once at installation.
    let prev = unsafe { (*std::ptr::addr_of!(PREV_HANDLERS))[sig as usize] };
    match prev {
        Some(prev) if prev.sa_sigaction != libc::SIG_DFL && prev.sa_sigaction != libc::SIG_IGN => {
            if prev.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: the previous handler was installed with this signature, and is
                // called with the arguments this handler received.
                unsafe {
                    let f: unsafe extern "C" fn(
                        libc::c_int,
                        *mut libc::siginfo_t,
                        *mut libc::c_void,
                    ) = std::mem::transmute(prev.sa_sigaction);
                    f(sig, info, ctx)
                };
            } else {
                // SAFETY: the previous handler was installed with this signature.
                unsafe {
                    let f: unsafe extern "C" fn(libc::c_int) =
                        std::mem::transmute(prev.sa_sigaction);
                    f(sig)
                };
            }
        }
        _ => {
            // Restore the default action; returning re-executes the faulting instruction.
            // SAFETY: resetting a signal disposition.
            unsafe {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &dfl, std::ptr::null_mut());
            }
        }
    }
}

/// Walks the frame-pointer chain from a trap site outwards, across continuation stacks, to the
/// first frame that generated code did not build (the entry routine's).
///
/// # Safety
///
/// `fp` must be the frame pointer at `pc` in generated code, with an intact frame-pointer chain
/// up to the current host-to-wasm entry.
unsafe fn capture(trap: Trap, pc: usize, mut fp: usize) -> RawTrap {
    let mut raw = RawTrap {
        trap,
        pcs: [0; MAX_FRAMES],
        len: 1,
        truncated: false,
    };
    raw.pcs[0] = pc;
    let cont_bottom = crate::continuations::cont_start_return_address();
    // A continuation stack's bottom frame links to its resumer's frame (see `continuations`);
    // the walk ends at the first return address outside generated code.
    let mut steps = 0;
    while fp != 0 && fp.is_multiple_of(8) && steps < 4 * MAX_FRAMES {
        steps += 1;
        // SAFETY: `fp` points at a saved-frame-pointer/return-address pair of a wasm frame.
        let (next, ra) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        if ra == cont_bottom {
            // The bottom frame of a continuation stack: `next` is the frame record of the
            // resumer's saved context.
            fp = next;
            continue;
        }
        if !is_wasm_code(ra) {
            break;
        }
        if raw.len == MAX_FRAMES {
            raw.truncated = true;
            break;
        }
        raw.pcs[raw.len] = ra - 1;
        raw.len += 1;
        fp = next;
    }
    raw
}

/// A signal stack for this thread, so that handlers run even when the thread's own stack is
/// exhausted.
struct AltStack {
    base: *mut libc::c_void,
    len: usize,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        // SAFETY: disabling the alternate stack before unmapping it.
        unsafe {
            let disable = libc::stack_t {
                ss_sp: std::ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            libc::sigaltstack(&disable, std::ptr::null_mut());
            libc::munmap(self.base, self.len);
        }
    }
}

thread_local! {
    static ALT_STACK: std::cell::RefCell<Option<AltStack>> = const { std::cell::RefCell::new(None) };
}

const ALT_STACK_SIZE: usize = 64 * 1024;

fn ensure_sigaltstack() {
    ALT_STACK.with(|slot| {
        if slot.borrow().is_some() {
            return;
        }
        // SAFETY: querying, then installing, this thread's alternate signal stack.
        unsafe {
            let mut current: libc::stack_t = std::mem::zeroed();
            libc::sigaltstack(std::ptr::null(), &mut current);
            if current.ss_flags & libc::SS_DISABLE == 0 && current.ss_size >= ALT_STACK_SIZE {
                return;
            }
            let page = rustix::param::page_size();
            let len = ALT_STACK_SIZE + page;
            let base = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return;
            }
            let usable = (base as *mut u8).add(page);
            libc::mprotect(
                usable.cast(),
                ALT_STACK_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
            );
            let stack = libc::stack_t {
                ss_sp: usable.cast(),
                ss_flags: 0,
                ss_size: ALT_STACK_SIZE,
            };
            libc::sigaltstack(&stack, std::ptr::null_mut());
            *slot.borrow_mut() = Some(AltStack { base, len });
        }
    });
}
