//! The stack pool: one reservation holding every pooled continuation stack, each slot a guard
//! page plus the stack (whose top also holds the continuation object, see `continuations`).
//!
//! Slots are handed out in O(1): from a free list, or else the next never-used slot, whose
//! guard page is installed then. A freed slot's stack is released (its pages go back to the
//! kernel) except for the configured number of bytes at its top, where stacks are used most;
//! those are left as they are, as nothing reads a stack's old contents: generated code reads
//! only stack slots it wrote, and the launch area is rewritten for every continuation.

use super::slots::SlotList;
use crate::region::{resident_part, Region};
use crate::stacks::{install_guard, stack_stride, StackMemory};
use anyhow::{bail, Result};

/// A region of continuation stack slots.
#[derive(Debug)]
pub struct StackPool {
    region: Region,
    /// Bytes per slot: the guard page and the stack.
    stride: usize,
    keep_resident: usize,
    /// Never-used slots have no guard page yet.
    slots: SlotList<()>,
}

impl StackPool {
    /// Reserves room for `max_stacks` stacks of `stack_size` usable bytes (rounded as for
    /// on-demand stacks); a freed stack keeps up to `keep_resident` bytes at its top resident.
    pub fn new(max_stacks: usize, stack_size: usize, keep_resident: usize) -> Result<StackPool> {
        let stride = stack_stride(stack_size);
        let Some(len) = stride.checked_mul(max_stacks) else {
            bail!("pooling allocator: {max_stacks} stacks of {stack_size} bytes is too much");
        };
        let region = Region::reserve_accessible(len, "the continuation stack pool")?;
        Ok(StackPool {
            region,
            stride,
            keep_resident,
            slots: SlotList::new("continuation stacks", max_stacks),
        })
    }

    /// Bytes each stack takes: its guard page and the stack.
    pub(crate) fn stride(&self) -> usize {
        self.stride
    }

    /// The memory of slot `index`.
    fn slot(&self, index: usize) -> StackMemory {
        StackMemory {
            base: self.region.base() + index * self.stride,
            len: self.stride,
        }
    }

    /// Takes a slot: its index and its memory.
    pub fn allocate(&self) -> Result<(usize, StackMemory)> {
        let taken = self.slots.take()?;
        let stack = self.slot(taken.index);
        if taken.note.is_none() {
            // A slot whose guard page cannot be installed is never used.
            install_guard(stack.base, stack.bottom() - stack.base)?;
        }
        Ok((taken.index, stack))
    }

    /// Returns slot `index`, releasing its stack.
    ///
    /// # Safety
    ///
    /// The slot must have come from this pool's `allocate`, be freed once, and nothing may
    /// run on or refer into its stack any more.
    pub unsafe fn free(&self, index: usize) {
        let stack = self.slot(index);
        let usable = stack.top() - stack.bottom();
        let released = usable - resident_part(usable, self.keep_resident);
        let offset = stack.bottom() - self.region.base();
        // A stack that could not be released is not reused: the pool shrinks instead of
        // failing later.
        if self.region.release(offset, released).is_ok() {
            self.slots.give_back(index, ());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pooling::resident_pages;

    #[test]
    fn stacks_are_handed_out_until_the_limit_and_released_on_free() {
        let page = rustix::param::page_size();
        let pool = StackPool::new(2, 4 * page, 0).unwrap();
        let (a, sa) = pool.allocate().unwrap();
        let (b, sb) = pool.allocate().unwrap();
        assert_ne!(a, b);
        assert_eq!(sa.len, 5 * page);
        assert!(sa.top() <= sb.base || sb.top() <= sa.base);
        let err = pool.allocate().unwrap_err();
        assert!(
            err.to_string()
                .contains("maximum number of continuation stacks (2) reached"),
            "{err}"
        );
        // SAFETY: the usable part of a stack we own.
        unsafe { std::ptr::write_bytes(sa.bottom() as *mut u8, 7, sa.top() - sa.bottom()) };
        assert_eq!(resident_pages(sa.bottom(), sa.top() - sa.bottom()), 4);
        // SAFETY: `a` came from this pool and nothing uses it.
        unsafe { pool.free(a) };
        assert_eq!(resident_pages(sa.bottom(), sa.top() - sa.bottom()), 0);
        let (again, _) = pool.allocate().unwrap();
        assert_eq!(again, a);
    }

    #[test]
    fn keep_resident_bytes_at_the_top_stay_resident() {
        let page = rustix::param::page_size();
        let pool = StackPool::new(1, 4 * page, page).unwrap();
        let (a, s) = pool.allocate().unwrap();
        // SAFETY: the usable part of a stack we own.
        unsafe { std::ptr::write_bytes(s.bottom() as *mut u8, 7, s.top() - s.bottom()) };
        // SAFETY: `a` came from this pool and nothing uses it.
        unsafe { pool.free(a) };
        assert_eq!(resident_pages(s.bottom(), s.top() - s.bottom()), 1);
        assert_eq!(resident_pages(s.top() - page, page), 1);
    }
}
