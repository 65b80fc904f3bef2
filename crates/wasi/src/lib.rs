//! WASI preview1 (`wasi_snapshot_preview1`) for wasmfx: the host functions an ordinary
//! `wasm32-wasi` program imports, added to a [`Linker`] by [`add_to_linker`].
//!
//! Files are reached only through preopened directories, and every path is resolved inside
//! its directory by cap-std, so `..`, symbolic links and absolute paths cannot escape it.
//! `proc_exit` ends the call into the program with an [`I32Exit`] error carrying the exit
//! code. Sockets and signals are not supported and return `ENOSYS`.
//!
//! [`threads`] adds wasi-threads (`wasi::thread-spawn`): the threads of a program each run in
//! a store of their own, sharing its memory and, through clones of one [`WasiCtx`], its
//! descriptors.

mod ctx;
mod errno;
mod guest;
mod ops;
pub mod threads;
mod types;

pub use ctx::{WasiCtx, WasiCtxBuilder};
pub use errno::Errno;
pub use guest::GuestMemory;

use anyhow::Result;
use ops::{WasiError, WasiResult};
use wasmfx::{Caller, Extern, Linker};

/// The import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The exit status of a program ended by a trap, as wasmtime uses on unix (the status of an
/// abort).
pub const EXIT_TRAP: u8 = 134;

/// The error a program's `proc_exit` call ends its run with: the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct I32Exit(pub i32);

impl std::fmt::Display for I32Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exited with status {}", self.0)
    }
}

impl std::error::Error for I32Exit {}

/// Runs one WASI call: finds the caller's memory (an empty one if it exports none, so that
/// any pointer is `EFAULT`), and turns the call's result into an errno or an exit.
fn call<T>(
    caller: &mut Caller<'_, T>,
    get: impl Fn(&mut T) -> &mut WasiCtx,
    f: impl FnOnce(&mut ctx::Locked, &mut GuestMemory) -> WasiResult,
) -> Result<i32> {
    let result = match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => {
            let (bytes, data) = memory.data_and_store_mut(&mut *caller);
            f(&mut get(data).lock(), &mut GuestMemory::new(bytes))
        }
        Some(Extern::SharedMemory(memory)) => f(
            &mut get(caller.data_mut()).lock(),
            &mut GuestMemory::shared(memory.data()),
        ),
        _ => f(
            &mut get(caller.data_mut()).lock(),
            &mut GuestMemory::new(&mut []),
        ),
    };
    match result {
        Ok(()) => Ok(0),
        Err(WasiError::Errno(e)) => Ok(i32::from(e.0)),
        Err(WasiError::Exit(code)) => Err(I32Exit(code).into()),
    }
}

/// Defines `name` as a WASI function: `$op` in module `ops::$group`, with `i32`/`i64`
/// parameters that it receives as `u32`/`u64`.
macro_rules! define {
    ($linker:ident, $get:ident, $( $group:ident :: $op:ident as $name:literal ( $($arg:ident : $ty:ty),* ); )*) => {
        $(
            $linker.func_wrap(
                MODULE,
                $name,
                move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> Result<i32> {
                    call(&mut caller, $get, |cx, mem| ops::$group::$op(cx, mem, $($arg as _),*))
                },
            )?;
        )*
    };
}

/// Defines `name` as a WASI function that is not supported: it returns `ENOSYS`.
macro_rules! define_unsupported {
    ($linker:ident, $get:ident, $( $name:literal ( $($ty:ty),* ); )*) => {
        $(
            $linker.func_wrap(
                MODULE,
                $name,
                move |mut caller: Caller<'_, T>, $(_: $ty),*| -> Result<i32> {
                    call(&mut caller, $get, ops::env::unsupported)
                },
            )?;
        )*
    };
}

/// Adds every `wasi_snapshot_preview1` function to `linker`; `get` finds the [`WasiCtx`] in
/// the store's data.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
) -> Result<()> {
    define! { linker, get,
        env::args_get as "args_get"(argv: i32, buf: i32);
        env::args_sizes_get as "args_sizes_get"(count: i32, size: i32);
        env::environ_get as "environ_get"(env: i32, buf: i32);
        env::environ_sizes_get as "environ_sizes_get"(count: i32, size: i32);
        env::clock_res_get as "clock_res_get"(id: i32, res: i32);
        env::clock_time_get as "clock_time_get"(id: i32, precision: i64, time: i32);
        env::random_get as "random_get"(buf: i32, len: i32);
        env::sched_yield as "sched_yield"();
        fd::fd_advise as "fd_advise"(fd: i32, offset: i64, len: i64, advice: i32);
        fd::fd_allocate as "fd_allocate"(fd: i32, offset: i64, len: i64);
        fd::fd_close as "fd_close"(fd: i32);
        fd::fd_datasync as "fd_datasync"(fd: i32);
        fd::fd_fdstat_get as "fd_fdstat_get"(fd: i32, buf: i32);
        fd::fd_fdstat_set_flags as "fd_fdstat_set_flags"(fd: i32, flags: i32);
        fd::fd_fdstat_set_rights as "fd_fdstat_set_rights"(fd: i32, base: i64, inheriting: i64);
        fd::fd_filestat_get as "fd_filestat_get"(fd: i32, buf: i32);
        fd::fd_filestat_set_size as "fd_filestat_set_size"(fd: i32, size: i64);
        fd::fd_filestat_set_times as "fd_filestat_set_times"(fd: i32, atim: i64, mtim: i64, flags: i32);
        fd::fd_pread as "fd_pread"(fd: i32, iovs: i32, len: i32, offset: i64, nread: i32);
        fd::fd_prestat_get as "fd_prestat_get"(fd: i32, buf: i32);
        fd::fd_prestat_dir_name as "fd_prestat_dir_name"(fd: i32, path: i32, len: i32);
        fd::fd_pwrite as "fd_pwrite"(fd: i32, iovs: i32, len: i32, offset: i64, nwritten: i32);
        fd::fd_read as "fd_read"(fd: i32, iovs: i32, len: i32, nread: i32);
        fd::fd_readdir as "fd_readdir"(fd: i32, buf: i32, len: i32, cookie: i64, used: i32);
        fd::fd_renumber as "fd_renumber"(from: i32, to: i32);
        fd::fd_seek as "fd_seek"(fd: i32, offset: i64, whence: i32, new_offset: i32);
        fd::fd_sync as "fd_sync"(fd: i32);
        fd::fd_tell as "fd_tell"(fd: i32, offset: i32);
        fd::fd_write as "fd_write"(fd: i32, iovs: i32, len: i32, nwritten: i32);
        path::path_create_directory as "path_create_directory"(fd: i32, path: i32, len: i32);
        path::path_filestat_get as "path_filestat_get"(fd: i32, flags: i32, path: i32, len: i32, buf: i32);
        path::path_filestat_set_times as "path_filestat_set_times"(fd: i32, flags: i32, path: i32, len: i32, atim: i64, mtim: i64, fst: i32);
        path::path_link as "path_link"(fd: i32, flags: i32, old: i32, old_len: i32, new_fd: i32, new: i32, new_len: i32);
        path::path_open as "path_open"(fd: i32, dirflags: i32, path: i32, len: i32, oflags: i32, base: i64, inheriting: i64, fdflags: i32, opened: i32);
        path::path_readlink as "path_readlink"(fd: i32, path: i32, len: i32, buf: i32, buf_len: i32, used: i32);
        path::path_remove_directory as "path_remove_directory"(fd: i32, path: i32, len: i32);
        path::path_rename as "path_rename"(fd: i32, old: i32, old_len: i32, new_fd: i32, new: i32, new_len: i32);
        path::path_symlink as "path_symlink"(old: i32, old_len: i32, fd: i32, new: i32, new_len: i32);
        path::path_unlink_file as "path_unlink_file"(fd: i32, path: i32, len: i32);
        poll::poll_oneoff as "poll_oneoff"(subs: i32, events: i32, n: i32, nevents: i32);
    }
    define_unsupported! { linker, get,
        "proc_raise"(i32);
        "sock_accept"(i32, i32, i32);
        "sock_recv"(i32, i32, i32, i32, i32, i32);
        "sock_send"(i32, i32, i32, i32, i32);
        "sock_shutdown"(i32, i32);
    }
    linker.func_wrap(
        MODULE,
        "proc_exit",
        move |mut caller: Caller<'_, T>, code: i32| -> Result<()> {
            call(&mut caller, get, |cx, mem| {
                ops::env::proc_exit(cx, mem, code as u32)
            })
            .map(drop)
        },
    )?;
    Ok(())
}
