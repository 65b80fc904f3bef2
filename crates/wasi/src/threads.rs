//! wasi-threads: `wasi::thread-spawn`, which runs the program's `wasi_thread_start` on a new OS
//! thread, in a store of its own with a new instance of the same module over the same shared
//! memory. Programs built for `wasm32-wasip1-threads` (pthreads in wasi-libc) use it.
//!
//! As in wasmtime, a thread that calls `proc_exit` ends the whole process with that status,
//! and a thread that traps ends it with an error; the process also ends when the main thread's
//! `_start` returns, whatever the other threads are doing.

use crate::{I32Exit, EXIT_TRAP};
use anyhow::{bail, Result};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use wasmfx::{Caller, ExternType, Linker, Module, Store, ValType};

/// The name of the function a new thread starts in: `(func (param $tid i32) (param $arg i32))`.
const START: &str = "wasi_thread_start";
/// The largest thread id the proposal allows.
const MAX_TID: u32 = 0x1FFF_FFFF;
/// What `thread-spawn` returns when no thread can be made: `-EAGAIN`.
const SPAWN_FAILED: i32 = -6;

/// Prepares each new thread's store (fuel, deadlines, limits) before it instantiates.
pub type StoreSetup<T> = dyn Fn(&mut Store<T>) -> Result<()> + Send + Sync;

/// What `thread-spawn` needs: the module every thread instantiates, the linker that resolves
/// its imports in a new store (WASI, `thread-spawn` itself and the shared memory), and how to
/// set up each new store.
pub struct WasiThreadsCtx<T> {
    module: Module,
    linker: Arc<Linker<T>>,
    setup: Arc<StoreSetup<T>>,
    next_tid: AtomicU32,
}

impl<T: Clone + Send + 'static> WasiThreadsCtx<T> {
    /// The context for threads of `module`, which must export `wasi_thread_start` with type
    /// `[i32 i32] -> []` and import a shared memory.
    pub fn new(module: Module, linker: Arc<Linker<T>>, setup: Arc<StoreSetup<T>>) -> Result<Self> {
        let start = module.exports().find(|e| e.name() == START);
        let Some(ExternType::Func(ty)) = start.map(|e| e.ty()) else {
            bail!("a wasi-threads program must export a function `{START}`");
        };
        if ty.params() != [ValType::I32, ValType::I32] || !ty.results().is_empty() {
            bail!("`{START}` must take two i32 parameters and return nothing");
        }
        let imports_shared_memory = module
            .imports()
            .any(|i| matches!(i.ty(), ExternType::Memory(m) if m.is_shared()));
        if !imports_shared_memory {
            bail!("a wasi-threads program must import a shared memory");
        }
        Ok(WasiThreadsCtx {
            module,
            linker,
            setup,
            next_tid: AtomicU32::new(1),
        })
    }

    /// Starts a thread running `wasi_thread_start(tid, start_arg)` in a new store whose host
    /// data is `host`; returns its id, or `-EAGAIN` when no thread can be made. The store and
    /// instance are made here and moved to the new thread, so that a failure to make them (a
    /// limit, a start function that traps) is the caller's error code, not the end of the
    /// process.
    fn spawn(&self, host: T, start_arg: i32) -> i32 {
        let tid = self.next_tid.fetch_add(1, Ordering::Relaxed);
        if tid > MAX_TID {
            return SPAWN_FAILED;
        }
        let prepare = || -> Result<_> {
            let mut store = Store::new(self.module.engine(), host);
            (self.setup)(&mut store)?;
            let instance = self.linker.instantiate(&mut store, &self.module)?;
            let start = instance.get_typed_func::<(i32, i32), ()>(&mut store, START)?;
            Ok((store, start))
        };
        let Ok((mut store, start)) = prepare() else {
            return SPAWN_FAILED;
        };
        let body = move || {
            if let Err(err) = start.call(&mut store, (tid as i32, start_arg)) {
                end_process(tid, &err);
            }
        };
        let spawned = std::thread::Builder::new()
            .name(format!("wasi-thread-{tid}"))
            .stack_size(self.module.engine().thread_stack_size())
            .spawn(body);
        match spawned {
            Ok(_) => tid as i32,
            Err(_) => SPAWN_FAILED,
        }
    }
}

/// Ends the process for a thread that failed with `err`: with the status it gave
/// `proc_exit`, or after reporting a trap or other error.
fn end_process(tid: u32, err: &anyhow::Error) -> ! {
    if let Some(exit) = err.downcast_ref::<I32Exit>() {
        std::process::exit(exit.0);
    }
    eprintln!("error: wasi thread {tid} failed: {err:?}");
    let status = if wasmfx::trap_of(err).is_some() {
        i32::from(EXIT_TRAP)
    } else {
        1
    };
    std::process::exit(status)
}

/// Defines `wasi::thread-spawn` in `linker`; `get` finds the [`WasiThreadsCtx`] in the
/// store's host data (a new thread's store receives a clone of that data). Without one,
/// `thread-spawn` fails with `-EAGAIN`.
pub fn add_to_linker<T: Clone + Send + 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&T) -> Option<&WasiThreadsCtx<T>> + Send + Sync + Copy + 'static,
) -> Result<()> {
    linker.func_wrap(
        "wasi",
        "thread-spawn",
        move |caller: Caller<'_, T>, start_arg: i32| -> i32 {
            match get(caller.data()) {
                Some(threads) => threads.spawn(caller.data().clone(), start_arg),
                None => SPAWN_FAILED,
            }
        },
    )?;
    Ok(())
}
