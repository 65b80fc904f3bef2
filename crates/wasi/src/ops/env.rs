//! Arguments, environment, clocks, randomness, yielding and exiting.

use super::{WasiError, WasiResult};
use crate::ctx::{Locked, WasiState};
use crate::errno::Errno;
use crate::guest::GuestMemory;
use rustix::time::ClockId;

/// Writes `items` as NUL-terminated strings at `buf` and their addresses at `ptrs`.
fn write_strings<'a>(
    mem: &mut GuestMemory,
    items: impl Iterator<Item = Vec<u8>> + 'a,
    ptrs: u32,
    buf: u32,
) -> WasiResult {
    let mut at = buf;
    for (i, mut item) in items.enumerate() {
        item.push(0);
        mem.write_u32(ptrs.wrapping_add(4 * i as u32), at)?;
        mem.write(at, &item)?;
        at = at.checked_add(item.len() as u32).ok_or(Errno::FAULT)?;
    }
    Ok(())
}

/// Writes the count of `items` at `count_ptr` and their total size (with NULs) at `size_ptr`.
fn write_sizes(
    mem: &mut GuestMemory,
    items: impl Iterator<Item = usize>,
    count_ptr: u32,
    size_ptr: u32,
) -> WasiResult {
    let (count, size) = items.fold((0u32, 0u32), |(c, s), len| {
        (c + 1, s.saturating_add(len as u32 + 1))
    });
    mem.write_u32(count_ptr, count)?;
    mem.write_u32(size_ptr, size)?;
    Ok(())
}

fn env_entries(cx: &WasiState) -> impl Iterator<Item = Vec<u8>> + '_ {
    cx.env.iter().map(|(k, v)| format!("{k}={v}").into_bytes())
}

pub fn args_get(cx: &mut Locked, mem: &mut GuestMemory, argv: u32, buf: u32) -> WasiResult {
    write_strings(
        mem,
        cx.args.iter().map(|a| a.clone().into_bytes()),
        argv,
        buf,
    )
}

pub fn args_sizes_get(cx: &mut Locked, mem: &mut GuestMemory, count: u32, size: u32) -> WasiResult {
    write_sizes(mem, cx.args.iter().map(|a| a.len()), count, size)
}

pub fn environ_get(cx: &mut Locked, mem: &mut GuestMemory, env: u32, buf: u32) -> WasiResult {
    write_strings(mem, env_entries(cx), env, buf)
}

pub fn environ_sizes_get(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    count: u32,
    size: u32,
) -> WasiResult {
    write_sizes(mem, env_entries(cx).map(|e| e.len()), count, size)
}

/// The host clock of a preview1 `clockid`.
pub(crate) fn clock(id: u32) -> Result<ClockId, Errno> {
    Ok(match id {
        0 => ClockId::Realtime,
        1 => ClockId::Monotonic,
        2 => ClockId::ProcessCPUTime,
        3 => ClockId::ThreadCPUTime,
        _ => return Err(Errno::INVAL),
    })
}

/// The current time of `clock` in nanoseconds.
pub(crate) fn now(clock: ClockId) -> u64 {
    let t = rustix::time::clock_gettime(clock);
    crate::types::nanos(t.tv_sec, t.tv_nsec as i64)
}

pub fn clock_res_get(_cx: &mut Locked, mem: &mut GuestMemory, id: u32, res: u32) -> WasiResult {
    let t = rustix::time::clock_getres(clock(id)?);
    let ns = crate::types::nanos(t.tv_sec, t.tv_nsec as i64);
    mem.write_u64(res, ns.max(1))?;
    Ok(())
}

pub fn clock_time_get(
    _cx: &mut Locked,
    mem: &mut GuestMemory,
    id: u32,
    _precision: u64,
    time: u32,
) -> WasiResult {
    mem.write_u64(time, now(clock(id)?))?;
    Ok(())
}

pub fn random_get(_cx: &mut Locked, mem: &mut GuestMemory, buf: u32, len: u32) -> WasiResult {
    mem.fill(buf, len, |mut out| -> WasiResult<usize> {
        while !out.is_empty() {
            let n = rustix::rand::getrandom(&mut *out, rustix::rand::GetRandomFlags::empty())?;
            out = &mut out[n..];
        }
        Ok(len as usize)
    })?;
    Ok(())
}

pub fn sched_yield(_cx: &mut Locked, _mem: &mut GuestMemory) -> WasiResult {
    std::thread::yield_now();
    Ok(())
}

pub fn proc_exit(_cx: &mut Locked, _mem: &mut GuestMemory, code: u32) -> WasiResult {
    Err(WasiError::Exit(code as i32))
}

/// Signals, sockets and the other calls that are not supported.
pub fn unsupported(_cx: &mut Locked, _mem: &mut GuestMemory) -> WasiResult {
    Err(Errno::NOSYS.into())
}
