//! The `wasi_snapshot_preview1` functions, grouped by what they touch. Each takes the store's
//! [`WasiCtx`](crate::WasiCtx) (locked for the call), the guest's memory and the call's arguments, and returns
//! success, an errno for the guest, or (for `proc_exit`) an exit.

pub mod env;
pub mod fd;
pub mod path;
pub mod poll;

use crate::errno::Errno;

/// How a WASI call ends when it does not succeed.
#[derive(Debug)]
pub enum WasiError {
    /// An errno returned to the guest.
    Errno(Errno),
    /// The program exits with this code (`proc_exit`).
    Exit(i32),
}

/// The result of a WASI call.
pub type WasiResult<T = ()> = Result<T, WasiError>;

impl From<Errno> for WasiError {
    fn from(e: Errno) -> Self {
        WasiError::Errno(e)
    }
}

impl From<std::io::Error> for WasiError {
    fn from(e: std::io::Error) -> Self {
        WasiError::Errno(e.into())
    }
}

impl From<rustix::io::Errno> for WasiError {
    fn from(e: rustix::io::Errno) -> Self {
        WasiError::Errno(e.into())
    }
}
