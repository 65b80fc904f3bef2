//! Calls on paths relative to an open directory. Every path is resolved by cap-std inside that
//! directory: `..`, symbolic links and absolute paths cannot lead outside it.

use super::WasiResult;
use crate::ctx::{Descriptor, DirDesc, FileDesc};
use crate::ctx::{Locked, WasiState};
use crate::errno::Errno;
use crate::guest::GuestMemory;
use crate::types::{fdflags, oflags, rights, FileStat, TimeChange, SYMLINK_FOLLOW};
use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, SystemTimeSpec,
};
use cap_std::fs::{Dir, OpenOptions};

/// The open directory `fd`.
fn dir(cx: &WasiState, fd: u32) -> Result<&Dir, Errno> {
    match cx.fds.get(&fd).ok_or(Errno::BADF)? {
        Descriptor::Dir(d) => Ok(&d.dir),
        _ => Err(Errno::NOTDIR),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn path_open(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    open_flags: u32,
    rights_base: u64,
    _rights_inheriting: u64,
    fd_flags: u32,
    opened: u32,
) -> WasiResult {
    let path = mem.str(path, path_len)?;
    let (open_flags, fd_flags) = (open_flags as u16, fd_flags as u16);
    let follow = FollowSymlinks::follow(dirflags & SYMLINK_FOLLOW != 0);
    let base = dir(cx, fd)?;
    let desc = if open_flags & oflags::DIRECTORY != 0 {
        if open_flags & (oflags::CREAT | oflags::TRUNC) != 0 {
            return Err(Errno::INVAL.into());
        }
        let dir = match follow {
            FollowSymlinks::Yes => base.open_dir(path)?,
            FollowSymlinks::No => base.open_dir_nofollow(path)?,
        };
        Descriptor::Dir(DirDesc { dir, preopen: None })
    } else {
        let append = fd_flags & fdflags::APPEND != 0;
        let truncate = open_flags & oflags::TRUNC != 0;
        let writable = append
            || truncate
            || rights_base
                & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE)
                != 0;
        let readable = rights_base & (rights::FD_READ | rights::FD_READDIR) != 0 || !writable;
        let mut options = OpenOptions::new();
        options
            .read(readable)
            .write(writable && !append)
            .append(append)
            .truncate(truncate)
            .follow(follow)
            .maybe_dir(!writable);
        if open_flags & oflags::CREAT != 0 {
            if open_flags & oflags::EXCL != 0 {
                options.create_new(true);
            } else {
                options.create(true);
            }
        }
        let file = base.open_with(path, &options)?;
        if file.metadata()?.is_dir() {
            let dir = Dir::from_std_file(file.into_std());
            Descriptor::Dir(DirDesc { dir, preopen: None })
        } else {
            Descriptor::File(FileDesc {
                file,
                append,
                readable,
                writable,
                nonblock: fd_flags & fdflags::NONBLOCK != 0,
            })
        }
    };
    let new_fd = cx.insert(desc)?;
    if let Err(e) = mem.write_u32(opened, new_fd) {
        cx.fds.remove(&new_fd);
        return Err(e.into());
    }
    Ok(())
}

pub fn path_create_directory(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult {
    dir(cx, fd)?.create_dir(mem.str(path, len)?)?;
    Ok(())
}

pub fn path_remove_directory(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult {
    dir(cx, fd)?.remove_dir(mem.str(path, len)?)?;
    Ok(())
}

pub fn path_unlink_file(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult {
    dir(cx, fd)?.remove_file_or_symlink(mem.str(path, len)?)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn path_rename(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> WasiResult {
    let (old, new) = (mem.str(old, old_len)?, mem.str(new, new_len)?);
    dir(cx, fd)?.rename(old, dir(cx, new_fd)?, new)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn path_link(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    _flags: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> WasiResult {
    let (old, new) = (mem.str(old, old_len)?, mem.str(new, new_len)?);
    dir(cx, fd)?.hard_link(old, dir(cx, new_fd)?, new)?;
    Ok(())
}

pub fn path_filestat_get(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    buf: u32,
) -> WasiResult {
    let (base, path) = (dir(cx, fd)?, mem.str(path, len)?);
    let meta = if flags & SYMLINK_FOLLOW != 0 {
        base.metadata(path)?
    } else {
        base.symlink_metadata(path)?
    };
    FileStat::of_metadata(&meta).write(mem, buf)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn path_filestat_set_times(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> WasiResult {
    let [access, modification] = crate::types::time_changes(atim, mtim, fst_flags)?;
    let (atime, mtime) = (time_spec(access), time_spec(modification));
    let (base, path) = (dir(cx, fd)?, mem.str(path, len)?);
    if flags & SYMLINK_FOLLOW != 0 {
        base.set_times(path, atime, mtime)?;
    } else {
        base.set_symlink_times(path, atime, mtime)?;
    }
    Ok(())
}

/// The cap-std form of a time change.
fn time_spec(change: TimeChange) -> Option<SystemTimeSpec> {
    match change {
        TimeChange::Keep => None,
        TimeChange::Now => Some(SystemTimeSpec::SymbolicNow),
        TimeChange::At(ns) => {
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns);
            Some(SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(at),
            ))
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn path_readlink(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    path: u32,
    len: u32,
    buf: u32,
    buf_len: u32,
    bufused: u32,
) -> WasiResult {
    use std::os::unix::ffi::OsStrExt;
    let target = dir(cx, fd)?.read_link_contents(mem.str(path, len)?)?;
    let bytes = target.as_os_str().as_bytes();
    let n = bytes.len().min(buf_len as usize);
    mem.write(buf, &bytes[..n])?;
    mem.write_u32(bufused, n as u32)?;
    Ok(())
}

pub fn path_symlink(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    old: u32,
    old_len: u32,
    fd: u32,
    new: u32,
    new_len: u32,
) -> WasiResult {
    let (old, new) = (mem.str(old, old_len)?, mem.str(new, new_len)?);
    dir(cx, fd)?.symlink(old, new)?;
    Ok(())
}
