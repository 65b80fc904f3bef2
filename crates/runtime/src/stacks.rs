//! Memory for continuation stacks: slabs of stacks, each stack with a guard page below it.
//!
//! Mapping every stack on its own costs two kernel memory areas (the guard page and the
//! stack), and Linux limits a process to about 65,000 areas, so 100,000 suspended
//! continuations would not fit. Stacks are instead carved from slabs, one mapping each, and
//! guard pages are installed with `MADV_GUARD_INSTALL` (Linux 6.13 and later), which keeps the
//! slab one area. On older kernels the guard pages fall back to `mprotect`, for the first
//! [`MPROTECT_GUARD_BUDGET`] stacks of the process only: past that, stacks have no guard page
//! of their own (wasm still traps at the stack limit; host code called from a continuation
//! has the red zone), so that the process does not run out of memory areas.

use crate::region::Region;
use anyhow::{Context, Result};
use rustix::mm::{mprotect, MprotectFlags};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `madvise` advice that turns pages into guard pages without splitting the mapping
/// (Linux 6.13, `include/uapi/asm-generic/mman-common.h`).
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// How many stacks may get an `mprotect` guard page (two memory areas each) when the kernel
/// has no `MADV_GUARD_INSTALL`: a quarter of Linux's default limit of 65,530 areas.
const MPROTECT_GUARD_BUDGET: usize = 8192;

/// Guard pages installed with `mprotect` so far in this process.
static MPROTECT_GUARDS: AtomicUsize = AtomicUsize::new(0);

/// The most stacks one slab holds; slabs grow geometrically up to this.
const MAX_SLAB_STACKS: usize = 256;

/// One stack's memory: `[base, base + page)` is its guard page, the rest is usable.
#[derive(Debug, Clone, Copy)]
pub struct StackMemory {
    /// Lowest address (the guard page).
    pub base: usize,
    /// Length including the guard page.
    pub len: usize,
}

impl StackMemory {
    /// One past the highest usable address.
    pub fn top(&self) -> usize {
        self.base + self.len
    }

    /// The lowest usable address (just above the guard page).
    pub fn bottom(&self) -> usize {
        self.base + rustix::param::page_size()
    }
}

/// Hands out stacks of one size from slabs; stacks are never returned individually (their
/// continuation objects are recycled with them) and are unmapped with the allocator.
#[derive(Debug)]
pub struct StackAllocator {
    /// Bytes per stack including its guard page.
    stride: usize,
    slabs: Vec<Region>,
    /// Stacks of the newest slab not handed out yet.
    remaining: usize,
}

impl StackAllocator {
    /// An allocator of stacks with `size` usable bytes (rounded up to whole pages, at least
    /// two).
    pub fn new(size: usize) -> StackAllocator {
        StackAllocator {
            stride: stack_stride(size),
            slabs: Vec::new(),
            remaining: 0,
        }
    }

    /// A fresh stack.
    pub fn allocate(&mut self) -> Result<StackMemory> {
        if self.remaining == 0 {
            self.add_slab()?;
        }
        let slab = self.slabs.last().expect("a slab was just added");
        let count = slab.len() / self.stride;
        let index = count - self.remaining;
        self.remaining -= 1;
        Ok(StackMemory {
            base: slab.base() + index * self.stride,
            len: self.stride,
        })
    }

    fn add_slab(&mut self) -> Result<()> {
        let count = (8usize << self.slabs.len().min(8)).min(MAX_SLAB_STACKS);
        let len = count * self.stride;
        let slab = Region::reserve_accessible(len, "continuation stacks")?;
        let page = rustix::param::page_size();
        for i in 0..count {
            install_guard(slab.base() + i * self.stride, page)?;
        }
        self.slabs.push(slab);
        self.remaining = count;
        Ok(())
    }
}

/// The bytes a stack asked to have `size` usable bytes takes, guard page included: whole
/// pages, at least two usable.
pub(crate) fn stack_stride(size: usize) -> usize {
    let page = rustix::param::page_size();
    crate::region::round_to_pages(size.max(2 * page)) + page
}

/// Makes `[addr, addr + len)` fault on any access.
pub(crate) fn install_guard(addr: usize, len: usize) -> Result<()> {
    // SAFETY: the range is part of a mapping we own and nothing uses yet.
    let installed = unsafe { libc::madvise(addr as *mut _, len, MADV_GUARD_INSTALL) } == 0;
    if installed {
        return Ok(());
    }
    if MPROTECT_GUARDS.fetch_add(1, Ordering::Relaxed) >= MPROTECT_GUARD_BUDGET {
        return Ok(());
    }
    // SAFETY: as above.
    unsafe { mprotect(addr as *mut _, len, MprotectFlags::empty()) }
        .context("installing a continuation stack's guard page")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_are_disjoint_and_guarded() {
        let mut a = StackAllocator::new(8192);
        let stacks: Vec<_> = (0..20).map(|_| a.allocate().unwrap()).collect();
        for w in stacks.windows(2) {
            assert!(w[0].top() <= w[1].base || w[1].top() <= w[0].base);
        }
        for s in &stacks {
            // The usable part is writable.
            // SAFETY: the usable range of a stack nobody else uses.
            unsafe { std::ptr::write_bytes(s.bottom() as *mut u8, 1, s.top() - s.bottom()) };
        }
        assert_eq!(a.slabs.len(), 2);
    }
}
