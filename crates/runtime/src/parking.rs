//! Wait queues of `memory.atomic.wait32/64` and `memory.atomic.notify` on shared memories,
//! keyed by the native address waited on. One lock guards every queue and is held while a
//! waiter compares the value in memory with the expected one, so a notification that follows
//! a store cannot slip between that comparison and the waiter's sleep.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// What a wait ended with, as the instructions return it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum WaitResult {
    /// Woken by a notification.
    Woken = 0,
    /// The value in memory was not the expected one.
    NotEqual = 1,
    /// The timeout passed.
    TimedOut = 2,
    /// `interrupted` said so (the caller traps).
    Interrupted = 3,
}

/// How often a waiter asks whether it is interrupted.
const INTERRUPT_POLL: Duration = Duration::from_millis(10);

/// The waiters of every address, oldest first, by ticket; and the tickets notified.
#[derive(Default)]
struct Queues {
    waiting: HashMap<usize, VecDeque<u64>>,
    next_ticket: u64,
    woken: std::collections::HashSet<u64>,
}

static QUEUES: LazyLock<(Mutex<Queues>, Condvar)> =
    LazyLock::new(|| (Mutex::new(Queues::default()), Condvar::new()));

/// Blocks the calling thread while the `width`-byte (4 or 8) value at `addr` equals
/// `expected`, until notified, until `timeout` (none if `None`) passes, or until
/// `interrupted` (asked every [`INTERRUPT_POLL`]) returns true.
///
/// # Safety
///
/// `addr` must be the address of a live, aligned, `width`-byte location of shared memory.
pub unsafe fn wait(
    addr: usize,
    width: u32,
    expected: u64,
    timeout: Option<Duration>,
    interrupted: impl Fn() -> bool,
) -> WaitResult {
    let (lock, wakeup) = &*QUEUES;
    let mut queues = lock.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: the caller guarantees a live, aligned location of this width.
    let current = unsafe {
        if width == 4 {
            u64::from((*(addr as *const AtomicU32)).load(Ordering::SeqCst))
        } else {
            (*(addr as *const AtomicU64)).load(Ordering::SeqCst)
        }
    };
    let expected = if width == 4 {
        expected & u64::from(u32::MAX)
    } else {
        expected
    };
    if current != expected {
        return WaitResult::NotEqual;
    }
    let ticket = queues.next_ticket;
    queues.next_ticket += 1;
    queues.waiting.entry(addr).or_default().push_back(ticket);
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    loop {
        if queues.woken.remove(&ticket) {
            return WaitResult::Woken;
        }
        let now = Instant::now();
        let ended = if deadline.is_some_and(|d| now >= d) {
            Some(WaitResult::TimedOut)
        } else if interrupted() {
            Some(WaitResult::Interrupted)
        } else {
            None
        };
        if let Some(result) = ended {
            if let Some(list) = queues.waiting.get_mut(&addr) {
                list.retain(|t| *t != ticket);
                if list.is_empty() {
                    queues.waiting.remove(&addr);
                }
            }
            return result;
        }
        let slice = deadline.map_or(INTERRUPT_POLL, |d| (d - now).min(INTERRUPT_POLL));
        queues = wakeup
            .wait_timeout(queues, slice)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// Wakes up to `count` of the threads waiting on `addr`, oldest first; returns how many.
pub fn notify(addr: usize, count: u32) -> u32 {
    let (lock, wakeup) = &*QUEUES;
    let mut queues = lock.lock().unwrap_or_else(|e| e.into_inner());
    let Some(list) = queues.waiting.get_mut(&addr) else {
        return 0;
    };
    let n = (count as usize).min(list.len());
    let tickets: Vec<u64> = list.drain(..n).collect();
    if list.is_empty() {
        queues.waiting.remove(&addr);
    }
    queues.woken.extend(tickets);
    if n > 0 {
        wakeup.notify_all();
    }
    n as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_compare_time_out_and_are_woken() {
        let cell = Box::new(AtomicU32::new(5));
        let addr = &*cell as *const AtomicU32 as usize;
        // SAFETY: `cell` is a live, aligned 4-byte location.
        unsafe {
            assert_eq!(wait(addr, 4, 6, None, || false), WaitResult::NotEqual);
            let short = Some(Duration::from_millis(10));
            assert_eq!(wait(addr, 4, 5, short, || false), WaitResult::TimedOut);
            // No timeout: only the interruption ends it.
            let polls = std::cell::Cell::new(0);
            let interrupted = || {
                polls.set(polls.get() + 1);
                polls.get() > 3
            };
            assert_eq!(wait(addr, 4, 5, None, interrupted), WaitResult::Interrupted);
        }
        assert_eq!(notify(addr, 1), 0);
        let waiter = std::thread::spawn(move || {
            // SAFETY: as above; the cell outlives the thread (joined below).
            unsafe { wait(addr, 4, 5, Some(Duration::from_secs(60)), || false) }
        });
        // Notify until the waiter has queued and been woken.
        let mut woken = 0;
        while woken == 0 {
            std::thread::sleep(Duration::from_millis(1));
            woken = notify(addr, u32::MAX);
        }
        assert_eq!(woken, 1);
        assert_eq!(waiter.join().unwrap(), WaitResult::Woken);
        drop(cell);
    }
}
