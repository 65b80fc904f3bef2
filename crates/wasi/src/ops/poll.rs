//! `poll_oneoff`: waits for clock timeouts and for descriptors to become ready. Files,
//! directories and in-process streams are always ready; the host's own standard streams are
//! polled; clocks bound the wait.

use super::env::{clock, now};
use super::WasiResult;
use crate::ctx::Locked;
use crate::ctx::{Descriptor, Stream};
use crate::errno::Errno;
use crate::guest::GuestMemory;
use rustix::event::{PollFd, PollFlags};
use std::os::fd::BorrowedFd;
use std::time::Duration;

/// `eventtype` values.
const CLOCK: u8 = 0;
const FD_READ: u8 = 1;
const FD_WRITE: u8 = 2;
/// `subclockflags`: the timeout is an absolute time.
const ABSTIME: u16 = 1;

/// One subscription, decoded.
struct Subscription {
    userdata: u64,
    kind: u8,
    /// For clocks: nanoseconds left until the timeout.
    remaining: u64,
    /// For descriptors: the descriptor.
    fd: u32,
}

/// One event to report.
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    nbytes: u64,
}

impl Event {
    fn write(&self, mem: &mut GuestMemory, ptr: u32) -> WasiResult {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&self.error.0.to_le_bytes());
        b[10] = self.kind;
        b[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        mem.write(ptr, &b)?;
        Ok(())
    }
}

fn read_subscription(mem: &GuestMemory, ptr: u32) -> Result<Subscription, Errno> {
    let userdata = mem.read_u64(ptr)?;
    let kind = mem.read_u8(ptr + 8)?;
    let mut sub = Subscription {
        userdata,
        kind,
        remaining: 0,
        fd: 0,
    };
    match kind {
        CLOCK => {
            let id = clock(mem.read_u32(ptr + 16)?)?;
            let timeout = mem.read_u64(ptr + 24)?;
            let flags = mem.read_u16(ptr + 40)?;
            sub.remaining = if flags & ABSTIME != 0 {
                timeout.saturating_sub(now(id))
            } else {
                timeout
            };
        }
        FD_READ | FD_WRITE => sub.fd = mem.read_u32(ptr + 16)?,
        _ => return Err(Errno::INVAL),
    }
    Ok(sub)
}

/// How a descriptor subscription stands: ready (or failed) now, or to be polled on a host
/// descriptor.
enum Readiness {
    Now(Event),
    Host(BorrowedFd<'static>),
}

fn readiness(cx: &mut Locked, sub: &Subscription) -> Readiness {
    let event = |error| Event {
        userdata: sub.userdata,
        error,
        kind: sub.kind,
        nbytes: 0,
    };
    match cx.get(sub.fd) {
        Err(e) => Readiness::Now(event(e)),
        Ok(Descriptor::Stdio(s)) => match (&s.stream, s.host_fd) {
            (Stream::Input(_), Some(fd)) if sub.kind == FD_READ => Readiness::Host(fd),
            (Stream::Output(_), Some(fd)) if sub.kind == FD_WRITE => Readiness::Host(fd),
            (Stream::Input(_), _) if sub.kind == FD_WRITE => Readiness::Now(event(Errno::BADF)),
            (Stream::Output(_), _) if sub.kind == FD_READ => Readiness::Now(event(Errno::BADF)),
            _ => Readiness::Now(event(Errno(0))),
        },
        Ok(Descriptor::File(f)) => {
            let mut e = event(Errno(0));
            if sub.kind == FD_READ {
                let size = f.file.metadata().map(|m| m.len()).unwrap_or(0);
                let pos = rustix::fs::seek(&f.file, rustix::fs::SeekFrom::Current(0)).unwrap_or(0);
                e.nbytes = size.saturating_sub(pos);
            }
            Readiness::Now(e)
        }
        Ok(Descriptor::Dir(_)) => Readiness::Now(event(Errno::BADF)),
    }
}

pub fn poll_oneoff(
    cx: &mut Locked,
    mem: &mut GuestMemory,
    subs_ptr: u32,
    events_ptr: u32,
    nsubs: u32,
    nevents: u32,
) -> WasiResult {
    if nsubs == 0 {
        return Err(Errno::INVAL.into());
    }
    let subs = (0..nsubs)
        .map(|i| read_subscription(mem, subs_ptr.wrapping_add(i * 48)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut events = Vec::new();
    let mut host = Vec::new();
    for sub in subs.iter().filter(|s| s.kind != CLOCK) {
        match readiness(cx, sub) {
            Readiness::Now(e) => events.push(e),
            Readiness::Host(fd) => host.push((sub, fd)),
        }
    }
    let timeout = subs
        .iter()
        .filter(|s| s.kind == CLOCK)
        .map(|s| s.remaining)
        .min();
    if events.is_empty() && !host.is_empty() {
        let mut poll: Vec<PollFd> = host
            .iter()
            .map(|(sub, fd)| {
                let flags = if sub.kind == FD_READ {
                    PollFlags::IN
                } else {
                    PollFlags::OUT
                };
                PollFd::new(fd, flags)
            })
            .collect();
        let wait = timeout.map(crate::types::timespec);
        // The descriptors are the host's own standard streams ('static), so the wait needs
        // no lock: other threads' calls go on meanwhile.
        cx.unlocked(|| rustix::event::poll(&mut poll, wait.as_ref()))?;
        for (p, (sub, _)) in poll.iter().zip(&host) {
            if !p.revents().is_empty() {
                events.push(Event {
                    userdata: sub.userdata,
                    error: Errno(0),
                    kind: sub.kind,
                    nbytes: 0,
                });
            }
        }
    } else if events.is_empty() {
        if let Some(ns) = timeout {
            cx.unlocked(|| std::thread::sleep(Duration::from_nanos(ns)));
        }
    }
    if events.is_empty() {
        // The earliest clocks fired.
        for sub in subs.iter().filter(|s| s.kind == CLOCK) {
            if Some(sub.remaining) == timeout {
                events.push(Event {
                    userdata: sub.userdata,
                    error: Errno(0),
                    kind: CLOCK,
                    nbytes: 0,
                });
            }
        }
    }
    for (i, event) in events.iter().enumerate() {
        event.write(mem, events_ptr.wrapping_add(32 * i as u32))?;
    }
    mem.write_u32(nevents, events.len() as u32)?;
    Ok(())
}
