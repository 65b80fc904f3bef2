//! Calls on open descriptors: reading, writing, seeking, attributes, directory listings,
//! preopen names, closing and renumbering.

use super::WasiResult;
use crate::ctx::{Descriptor, FileDesc, Stream};
use crate::ctx::{Locked, WasiState};
use crate::errno::Errno;
use crate::guest::GuestMemory;
use crate::types::{self, filetype, rights, FileStat, TimeChange};
use std::io::{Read, Seek, SeekFrom, Write};

/// The open file `fd`.
fn file(cx: &mut WasiState, fd: u32) -> Result<&mut FileDesc, Errno> {
    match cx.get(fd)? {
        Descriptor::File(f) => Ok(f),
        Descriptor::Dir(_) => Err(Errno::ISDIR),
        Descriptor::Stdio(_) => Err(Errno::SPIPE),
    }
}

/// Runs `op(mem, buf, len, done)` on each iovec in turn, `done` being the bytes moved so
/// far, until one moves fewer than its length; stores the total at `count_ptr`.
fn each_iovec(
    mem: &mut GuestMemory,
    iovs: u32,
    iovs_len: u32,
    count_ptr: u32,
    mut op: impl FnMut(&mut GuestMemory, u32, u32, u64) -> WasiResult<usize>,
) -> WasiResult {
    let mut total = 0u32;
    for (buf, len) in mem.iovecs(iovs, iovs_len)? {
        let n = op(mem, buf, len, u64::from(total))?;
        total += n as u32;
        if n < len as usize {
            break;
        }
    }
    mem.write_u32(count_ptr, total)?;
    Ok(())
}

pub fn fd_write(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
) -> WasiResult {
    match cx.get(fd)? {
        Descriptor::Stdio(s) => {
            let Stream::Output(out) = &mut s.stream else {
                return Err(Errno::BADF.into());
            };
            each_iovec(mem, iovs, iovs_len, nwritten, |mem, buf, len, _| {
                out.write_all(&mem.slice(buf, len)?)?;
                Ok(len as usize)
            })?;
            out.flush()?;
            Ok(())
        }
        Descriptor::File(f) if f.writable => {
            each_iovec(mem, iovs, iovs_len, nwritten, |mem, buf, len, _| {
                Ok(f.file.write(&mem.slice(buf, len)?)?)
            })
        }
        Descriptor::File(_) => Err(Errno::BADF.into()),
        Descriptor::Dir(_) => Err(Errno::ISDIR.into()),
    }
}

pub fn fd_read(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nread: u32,
) -> WasiResult {
    let reader: &mut dyn Read = match cx.get(fd)? {
        Descriptor::Stdio(s) => match &mut s.stream {
            Stream::Input(input) => input,
            Stream::Output(_) => return Err(Errno::BADF.into()),
        },
        Descriptor::File(f) if f.readable => &mut f.file,
        Descriptor::File(_) => return Err(Errno::BADF.into()),
        Descriptor::Dir(_) => return Err(Errno::ISDIR.into()),
    };
    each_iovec(mem, iovs, iovs_len, nread, |mem, buf, len, _| {
        mem.fill(buf, len, |out| Ok(reader.read(out)?))
    })
}

pub fn fd_pread(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nread: u32,
) -> WasiResult {
    let f = file(cx, fd)?;
    each_iovec(mem, iovs, iovs_len, nread, |mem, buf, len, done| {
        mem.fill(buf, len, |out| {
            Ok(rustix::io::pread(&f.file, out, offset + done)?)
        })
    })
}

pub fn fd_pwrite(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten: u32,
) -> WasiResult {
    let f = file(cx, fd)?;
    each_iovec(mem, iovs, iovs_len, nwritten, |mem, buf, len, done| {
        Ok(rustix::io::pwrite(
            &f.file,
            &mem.slice(buf, len)?,
            offset + done,
        )?)
    })
}

pub fn fd_seek(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    offset: u64,
    whence: u32,
    newoffset: u32,
) -> WasiResult {
    let offset = offset as i64;
    let from = match whence {
        0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?),
        1 => SeekFrom::Current(offset),
        2 => SeekFrom::End(offset),
        _ => return Err(Errno::INVAL.into()),
    };
    let pos = file(cx, fd)?.file.seek(from)?;
    mem.write_u64(newoffset, pos)?;
    Ok(())
}

pub fn fd_tell(cx: &mut Locked, mem: &mut GuestMemory, fd: u32, offset: u32) -> WasiResult {
    let pos = file(cx, fd)?.file.stream_position()?;
    mem.write_u64(offset, pos)?;
    Ok(())
}

pub fn fd_close(cx: &mut Locked, _mem: &mut GuestMemory, fd: u32) -> WasiResult {
    cx.fds.remove(&fd).ok_or(Errno::BADF)?;
    Ok(())
}

pub fn fd_sync(cx: &mut Locked, _mem: &mut GuestMemory, fd: u32) -> WasiResult {
    match cx.get(fd)? {
        Descriptor::File(f) => f.file.sync_all()?,
        Descriptor::Dir(d) => rustix::fs::fsync(&d.dir)?,
        Descriptor::Stdio(s) => {
            if let Stream::Output(out) = &mut s.stream {
                out.flush()?;
            }
        }
    }
    Ok(())
}

pub fn fd_datasync(cx: &mut Locked, mem: &mut GuestMemory, fd: u32) -> WasiResult {
    match cx.get(fd)? {
        Descriptor::File(f) => {
            f.file.sync_data()?;
            Ok(())
        }
        _ => fd_sync(cx, mem, fd),
    }
}

pub fn fd_fdstat_get(cx: &mut Locked, mem: &mut GuestMemory, fd: u32, buf: u32) -> WasiResult {
    let (ty, flags, rights) = match cx.get(fd)? {
        Descriptor::Stdio(s) => {
            let tty = s.host_fd.is_some_and(rustix::termios::isatty);
            let ty = if tty {
                filetype::CHARACTER_DEVICE
            } else {
                filetype::UNKNOWN
            };
            // No seek or tell: a stream, as `isatty` in wasi-libc expects of a terminal.
            (ty, 0, rights::ALL & !(rights::FD_SEEK | rights::FD_TELL))
        }
        Descriptor::File(f) => {
            let st = FileStat::of_fd(&f.file)?;
            let mut flags = 0;
            if f.append {
                flags |= types::fdflags::APPEND;
            }
            if f.nonblock {
                flags |= types::fdflags::NONBLOCK;
            }
            (st.filetype, flags, rights::ALL)
        }
        Descriptor::Dir(_) => (filetype::DIRECTORY, 0, rights::ALL),
    };
    types::write_fdstat(mem, buf, ty, flags, rights)?;
    Ok(())
}

pub fn fd_fdstat_set_flags(
    cx: &mut Locked,
    _mem: &mut GuestMemory,
    fd: u32,
    flags: u32,
) -> WasiResult {
    let flags = flags as u16;
    match cx.get(fd)? {
        Descriptor::File(f) => {
            let mut host = rustix::fs::fcntl_getfl(&f.file)?;
            let append = flags & types::fdflags::APPEND != 0;
            let nonblock = flags & types::fdflags::NONBLOCK != 0;
            host.set(rustix::fs::OFlags::APPEND, append);
            host.set(rustix::fs::OFlags::NONBLOCK, nonblock);
            rustix::fs::fcntl_setfl(&f.file, host)?;
            f.append = append;
            f.nonblock = nonblock;
            Ok(())
        }
        _ if flags == 0 => Ok(()),
        _ => Err(Errno::NOTSUP.into()),
    }
}

pub fn fd_fdstat_set_rights(
    cx: &mut Locked,
    _mem: &mut GuestMemory,
    fd: u32,
    _base: u64,
    _inheriting: u64,
) -> WasiResult {
    // Rights are not enforced beyond what the descriptor was opened for.
    cx.get(fd)?;
    Ok(())
}

pub fn fd_filestat_get(cx: &mut Locked, mem: &mut GuestMemory, fd: u32, buf: u32) -> WasiResult {
    let st = match cx.get(fd)? {
        Descriptor::File(f) => FileStat::of_fd(&f.file)?,
        Descriptor::Dir(d) => FileStat::of_fd(&d.dir)?,
        Descriptor::Stdio(s) => match s.host_fd {
            Some(fd) => FileStat::of_fd(fd)?,
            None => FileStat::default(),
        },
    };
    st.write(mem, buf)?;
    Ok(())
}

pub fn fd_filestat_set_size(
    cx: &mut Locked,
    _mem: &mut GuestMemory,
    fd: u32,
    size: u64,
) -> WasiResult {
    file(cx, fd)?.file.set_len(size)?;
    Ok(())
}

/// The host timestamp for a time change.
fn timespec(change: TimeChange) -> rustix::fs::Timespec {
    let special = |tv_nsec| rustix::fs::Timespec { tv_sec: 0, tv_nsec };
    match change {
        TimeChange::Keep => special(rustix::fs::UTIME_OMIT),
        TimeChange::Now => special(rustix::fs::UTIME_NOW),
        TimeChange::At(ns) => crate::types::timespec(ns),
    }
}

pub fn fd_filestat_set_times(
    cx: &mut Locked,
    _mem: &mut GuestMemory,
    fd: u32,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> WasiResult {
    let [access, modification] = types::time_changes(atim, mtim, flags)?;
    let times = rustix::fs::Timestamps {
        last_access: timespec(access),
        last_modification: timespec(modification),
    };
    match cx.get(fd)? {
        Descriptor::File(f) => rustix::fs::futimens(&f.file, &times)?,
        Descriptor::Dir(d) => rustix::fs::futimens(&d.dir, &times)?,
        Descriptor::Stdio(_) => return Err(Errno::BADF.into()),
    }
    Ok(())
}

pub fn fd_advise(
    cx: &mut Locked,
    _mem: &mut GuestMemory,
    fd: u32,
    _offset: u64,
    _len: u64,
    _advice: u32,
) -> WasiResult {
    // Advice is only a hint.
    file(cx, fd)?;
    Ok(())
}

pub fn fd_allocate(
    cx: &mut Locked,
    _mem: &mut GuestMemory,
    fd: u32,
    offset: u64,
    len: u64,
) -> WasiResult {
    let f = file(cx, fd)?;
    let end = offset.checked_add(len).ok_or(Errno::FBIG)?;
    if f.file.metadata()?.len() < end {
        f.file.set_len(end)?;
    }
    Ok(())
}

/// The name the guest knows preopened directory `fd` by.
fn preopen_name(cx: &mut WasiState, fd: u32) -> Result<&str, Errno> {
    match cx.get(fd)? {
        Descriptor::Dir(d) => d.preopen.as_deref().ok_or(Errno::BADF),
        _ => Err(Errno::BADF),
    }
}

pub fn fd_prestat_get(cx: &mut Locked, mem: &mut GuestMemory, fd: u32, buf: u32) -> WasiResult {
    let name = preopen_name(cx, fd)?;
    mem.write_u32(buf, 0)?;
    mem.write_u32(buf + 4, name.len() as u32)?;
    Ok(())
}

pub fn fd_prestat_dir_name(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult {
    let name = preopen_name(cx, fd)?;
    if name.len() > len as usize {
        return Err(Errno::NAMETOOLONG.into());
    }
    mem.write(path, name.as_bytes())?;
    Ok(())
}

pub fn fd_readdir(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused: u32,
) -> WasiResult {
    let Descriptor::Dir(d) = cx.get(fd)? else {
        return Err(Errno::NOTDIR.into());
    };
    let this = FileStat::of_fd(&d.dir)?;
    let mut entries = vec![
        (this.ino, filetype::DIRECTORY, b".".to_vec()),
        (0, filetype::DIRECTORY, b"..".to_vec()),
    ];
    for entry in d.dir.entries()? {
        let entry = entry?;
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::DirEntryExt;
        let ty = entry.file_type()?;
        let ty = if ty.is_dir() {
            filetype::DIRECTORY
        } else if ty.is_file() {
            filetype::REGULAR_FILE
        } else if ty.is_symlink() {
            filetype::SYMBOLIC_LINK
        } else {
            filetype::UNKNOWN
        };
        entries.push((entry.ino(), ty, entry.file_name().as_bytes().to_vec()));
    }
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    let used = mem.fill(buf, buf_len, |out| -> WasiResult<usize> {
        let mut used = 0usize;
        for (i, (ino, ty, name)) in entries.iter().enumerate().skip(start) {
            let bytes = types::dirent(i as u64 + 1, *ino, *ty, name);
            let n = bytes.len().min(out.len() - used);
            out[used..used + n].copy_from_slice(&bytes[..n]);
            used += n;
            if used == out.len() {
                break;
            }
        }
        Ok(used)
    })?;
    mem.write_u32(bufused, used as u32)?;
    Ok(())
}

pub fn fd_renumber(cx: &mut Locked, _mem: &mut GuestMemory, from: u32, to: u32) -> WasiResult {
    cx.get(to)?;
    let desc = cx.fds.remove(&from).ok_or(Errno::BADF)?;
    cx.fds.insert(to, desc);
    Ok(())
}
