//! The preview1 ABI's constants and the layouts of the structures WASI calls write to guest
//! memory (`filestat`, `fdstat`, `dirent`, `event`).

use crate::errno::Errno;
use crate::guest::GuestMemory;

/// `filetype` values.
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `fdflags` bits.
pub mod fdflags {
    pub const APPEND: u16 = 1;
    pub const NONBLOCK: u16 = 4;
}

/// `oflags` bits.
pub mod oflags {
    pub const CREAT: u16 = 1;
    pub const DIRECTORY: u16 = 2;
    pub const EXCL: u16 = 4;
    pub const TRUNC: u16 = 8;
}

/// `rights` bits used here.
pub mod rights {
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    /// Every right of preview1.
    pub const ALL: u64 = (1 << 30) - 1;
}

/// `lookupflags`: follow a final symbolic link.
pub const SYMLINK_FOLLOW: u32 = 1;

/// `fstflags` bits.
pub mod fstflags {
    pub const ATIM: u16 = 1;
    pub const ATIM_NOW: u16 = 2;
    pub const MTIM: u16 = 4;
    pub const MTIM_NOW: u16 = 8;
}

/// A change to one of a file's times, as `filestat_set_times` asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeChange {
    /// Left as it is.
    Keep,
    /// Set to the current time.
    Now,
    /// Set to this many nanoseconds since the epoch.
    At(u64),
}

/// The access and modification time changes that `fst_flags` ask for.
pub fn time_changes(atim: u64, mtim: u64, fst_flags: u32) -> Result<[TimeChange; 2], Errno> {
    let flags = fst_flags as u16;
    let change = |time, set, now| match (flags & set != 0, flags & now != 0) {
        (true, true) => Err(Errno::INVAL),
        (true, false) => Ok(TimeChange::At(time)),
        (false, true) => Ok(TimeChange::Now),
        (false, false) => Ok(TimeChange::Keep),
    };
    Ok([
        change(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        change(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    ])
}

/// A file's attributes, as `filestat` lays them out.
#[derive(Debug, Default, Clone, Copy)]
pub struct FileStat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

/// Nanoseconds since the epoch, clamped at zero.
pub(crate) fn nanos(secs: i64, nsec: i64) -> u64 {
    (secs as i128 * 1_000_000_000 + nsec as i128).clamp(0, u64::MAX as i128) as u64
}

/// `ns` nanoseconds as a host time (a point or a duration).
pub(crate) fn timespec(ns: u64) -> rustix::time::Timespec {
    rustix::time::Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as _,
    }
}

impl FileStat {
    /// The attributes of an open host descriptor.
    pub fn of_fd(fd: impl std::os::fd::AsFd) -> Result<FileStat, Errno> {
        let st = rustix::fs::fstat(fd)?;
        Ok(FileStat {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            filetype: filetype_of(rustix::fs::FileType::from_raw_mode(st.st_mode as _)),
            nlink: st.st_nlink as u64,
            size: st.st_size as u64,
            atim: nanos(st.st_atime as i64, st.st_atime_nsec as i64),
            mtim: nanos(st.st_mtime as i64, st.st_mtime_nsec as i64),
            ctim: nanos(st.st_ctime as i64, st.st_ctime_nsec as i64),
        })
    }

    /// The attributes in `meta` (of a path).
    pub fn of_metadata(meta: &cap_std::fs::Metadata) -> FileStat {
        use cap_std::fs::MetadataExt;
        FileStat {
            dev: meta.dev(),
            ino: meta.ino(),
            filetype: filetype_of(rustix::fs::FileType::from_raw_mode(meta.mode() as _)),
            nlink: meta.nlink(),
            size: meta.size(),
            atim: nanos(meta.atime(), meta.atime_nsec()),
            mtim: nanos(meta.mtime(), meta.mtime_nsec()),
            ctim: nanos(meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Writes the 64-byte `filestat` at `ptr`.
    pub fn write(&self, mem: &mut GuestMemory, ptr: u32) -> Result<(), Errno> {
        let mut b = [0u8; 64];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&self.size.to_le_bytes());
        b[40..48].copy_from_slice(&self.atim.to_le_bytes());
        b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        mem.write(ptr, &b)
    }
}

/// The preview1 `filetype` of a host file type.
pub fn filetype_of(ty: rustix::fs::FileType) -> u8 {
    use rustix::fs::FileType as T;
    match ty {
        T::RegularFile => filetype::REGULAR_FILE,
        T::Directory => filetype::DIRECTORY,
        T::Symlink => filetype::SYMBOLIC_LINK,
        T::CharacterDevice => filetype::CHARACTER_DEVICE,
        T::BlockDevice => filetype::BLOCK_DEVICE,
        T::Socket => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// Writes the 24-byte `fdstat` at `ptr`.
pub fn write_fdstat(
    mem: &mut GuestMemory,
    ptr: u32,
    filetype: u8,
    flags: u16,
    rights: u64,
) -> Result<(), Errno> {
    let mut b = [0u8; 24];
    b[0] = filetype;
    b[2..4].copy_from_slice(&flags.to_le_bytes());
    b[8..16].copy_from_slice(&rights.to_le_bytes());
    b[16..24].copy_from_slice(&rights.to_le_bytes());
    mem.write(ptr, &b)
}

/// The 24-byte `dirent` header of an entry, followed by its name.
pub fn dirent(next: u64, ino: u64, filetype: u8, name: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 24];
    b[0..8].copy_from_slice(&next.to_le_bytes());
    b[8..16].copy_from_slice(&ino.to_le_bytes());
    b[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
    b[20] = filetype;
    b.extend_from_slice(name);
    b
}
