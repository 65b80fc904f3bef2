//! WASI preview1 error numbers, and how host I/O errors map to them.

use std::io;

/// A `wasi_snapshot_preview1` errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub u16);

#[allow(missing_docs)]
impl Errno {
    pub const TOOBIG: Errno = Errno(1);
    pub const ACCES: Errno = Errno(2);
    pub const AGAIN: Errno = Errno(6);
    pub const BADF: Errno = Errno(8);
    pub const BUSY: Errno = Errno(10);
    pub const EXIST: Errno = Errno(20);
    pub const FAULT: Errno = Errno(21);
    pub const FBIG: Errno = Errno(22);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const ISDIR: Errno = Errno(31);
    pub const LOOP: Errno = Errno(32);
    pub const MFILE: Errno = Errno(33);
    pub const MLINK: Errno = Errno(34);
    pub const NAMETOOLONG: Errno = Errno(37);
    pub const NOENT: Errno = Errno(44);
    pub const NOMEM: Errno = Errno(48);
    pub const NOSPC: Errno = Errno(51);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTDIR: Errno = Errno(54);
    pub const NOTEMPTY: Errno = Errno(55);
    pub const NOTSUP: Errno = Errno(58);
    pub const NOTTY: Errno = Errno(59);
    pub const NXIO: Errno = Errno(60);
    pub const OVERFLOW: Errno = Errno(61);
    pub const PERM: Errno = Errno(63);
    pub const PIPE: Errno = Errno(64);
    pub const RANGE: Errno = Errno(68);
    pub const ROFS: Errno = Errno(69);
    pub const SPIPE: Errno = Errno(70);
    pub const TXTBSY: Errno = Errno(74);
    pub const XDEV: Errno = Errno(75);
    pub const NOTCAPABLE: Errno = Errno(76);
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        if let Some(code) = e.raw_os_error() {
            return from_host_errno(code);
        }
        match e.kind() {
            io::ErrorKind::NotFound => Errno::NOENT,
            // cap-std's answer to paths that would leave a preopened directory.
            io::ErrorKind::PermissionDenied => Errno::NOTCAPABLE,
            io::ErrorKind::AlreadyExists => Errno::EXIST,
            io::ErrorKind::WouldBlock => Errno::AGAIN,
            io::ErrorKind::InvalidInput => Errno::INVAL,
            io::ErrorKind::Interrupted => Errno::INTR,
            io::ErrorKind::BrokenPipe => Errno::PIPE,
            io::ErrorKind::Unsupported => Errno::NOTSUP,
            io::ErrorKind::OutOfMemory => Errno::NOMEM,
            io::ErrorKind::IsADirectory => Errno::ISDIR,
            io::ErrorKind::NotADirectory => Errno::NOTDIR,
            io::ErrorKind::DirectoryNotEmpty => Errno::NOTEMPTY,
            _ => Errno::IO,
        }
    }
}

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Errno {
        from_host_errno(e.raw_os_error())
    }
}

/// The WASI errno for a Linux errno.
fn from_host_errno(code: i32) -> Errno {
    use rustix::io::Errno as E;
    match E::from_raw_os_error(code) {
        E::TOOBIG => Errno::TOOBIG,
        E::ACCESS => Errno::ACCES,
        E::AGAIN => Errno::AGAIN,
        E::BADF => Errno::BADF,
        E::BUSY => Errno::BUSY,
        E::EXIST => Errno::EXIST,
        E::FAULT => Errno::FAULT,
        E::FBIG => Errno::FBIG,
        E::INTR => Errno::INTR,
        E::INVAL => Errno::INVAL,
        E::IO => Errno::IO,
        E::ISDIR => Errno::ISDIR,
        E::LOOP => Errno::LOOP,
        E::MFILE => Errno::MFILE,
        E::MLINK => Errno::MLINK,
        E::NAMETOOLONG => Errno::NAMETOOLONG,
        E::NOENT => Errno::NOENT,
        E::NOMEM => Errno::NOMEM,
        E::NOSPC => Errno::NOSPC,
        E::NOSYS => Errno::NOSYS,
        E::NOTDIR => Errno::NOTDIR,
        E::NOTEMPTY => Errno::NOTEMPTY,
        E::NOTSUP => Errno::NOTSUP,
        E::NOTTY => Errno::NOTTY,
        E::NXIO => Errno::NXIO,
        E::OVERFLOW => Errno::OVERFLOW,
        E::PERM => Errno::PERM,
        E::PIPE => Errno::PIPE,
        E::RANGE => Errno::RANGE,
        E::ROFS => Errno::ROFS,
        E::SPIPE => Errno::SPIPE,
        E::TXTBSY => Errno::TXTBSY,
        E::XDEV => Errno::XDEV,
        _ => Errno::IO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_errors_map_to_wasi_errnos() {
        assert_eq!(
            Errno::from(io::Error::from_raw_os_error(libc_enoent())),
            Errno::NOENT
        );
        let escape = io::Error::new(io::ErrorKind::PermissionDenied, "outside");
        assert_eq!(Errno::from(escape), Errno::NOTCAPABLE);
        assert_eq!(Errno::from(rustix::io::Errno::NOTEMPTY), Errno::NOTEMPTY);
    }

    fn libc_enoent() -> i32 {
        rustix::io::Errno::NOENT.raw_os_error()
    }
}
