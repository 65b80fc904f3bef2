//! The memory pool: one reservation holding every pooled linear memory.
//!
//! Each slot is as large as an on-demand memory's reservation (its accessible pages followed
//! by a guard region), because generated code does not bounds-check 32-bit accesses: any
//! address plus offset must fault if it is past the memory's end. Allocating commits the
//! initial pages (makes them accessible); growing commits more; freeing resets the contents,
//! zeroing the slot's first `keep_resident` bytes in place and releasing the rest, so nothing
//! leaks to the next memory in the slot. A freed slot stays accessible as far as its last
//! memory was, and the next memory only changes the protection where its size differs: a
//! module instantiated again and again costs no `mprotect`.

use super::slots::SlotList;
use crate::region::{round_to_pages, Region};
use anyhow::{bail, Result};
use std::sync::Arc;

/// A region of linear memory slots.
#[derive(Debug)]
pub struct MemoryPool {
    region: Region,
    max_memory_size: usize,
    stride: usize,
    keep_resident: usize,
    /// Free slots, each noting the bytes accessible in it.
    slots: SlotList<usize>,
}

impl MemoryPool {
    /// Reserves room for `max_memories` memories of up to `max_memory_size` bytes each; a
    /// freed memory keeps up to `keep_resident` bytes resident (zeroed).
    pub fn new(
        max_memories: usize,
        max_memory_size: usize,
        keep_resident: usize,
    ) -> Result<MemoryPool> {
        let stride = round_to_pages(wasmfx_environ::MEMORY_RESERVATION as usize);
        let Some(len) = stride.checked_mul(max_memories) else {
            bail!("pooling allocator: {max_memories} memories is too many");
        };
        Ok(MemoryPool {
            region: Region::reserve(len, "the memory pool")?,
            max_memory_size,
            stride,
            keep_resident,
            slots: SlotList::new("memories", max_memories),
        })
    }

    /// The most bytes a pooled memory may have.
    pub fn max_memory_size(&self) -> usize {
        self.max_memory_size
    }

    /// Takes a free slot and commits its first `bytes` bytes.
    pub fn allocate(self: &Arc<Self>, bytes: usize) -> Result<PooledMemorySlot> {
        if bytes > self.max_memory_size {
            bail!(
                "pooling allocator: a memory of {bytes} bytes exceeds the limit of {} bytes per \
                 memory",
                self.max_memory_size
            );
        }
        let taken = self.slots.take()?;
        let (index, accessible) = (taken.index, taken.note.unwrap_or(0));
        if accessible > bytes {
            // The previous memory was larger: its extra pages must fault again. On failure the
            // slot is not freed again, as it might be accessible past its next memory.
            let start = index * self.stride + bytes;
            self.region.make_inaccessible(start, accessible - bytes)?;
        }
        let mut slot = PooledMemorySlot {
            pool: self.clone(),
            index,
            committed: accessible.min(bytes),
        };
        slot.commit(bytes)?;
        Ok(slot)
    }
}

/// One memory's slot in a [`MemoryPool`]; resets what it committed and frees the slot on drop.
#[derive(Debug)]
pub struct PooledMemorySlot {
    pool: Arc<MemoryPool>,
    index: usize,
    /// Bytes accessible from the slot's start.
    committed: usize,
}

impl PooledMemorySlot {
    /// The slot's offset in the pool's region.
    fn offset(&self) -> usize {
        self.index * self.pool.stride
    }

    /// The slot's first address.
    pub fn base(&self) -> *mut u8 {
        (self.pool.region.base() + self.offset()) as *mut u8
    }

    /// The most bytes the slot's memory may have.
    pub fn max_size(&self) -> usize {
        self.pool.max_memory_size
    }

    /// Makes sure the first `bytes` bytes are committed (new ones read as zero).
    pub fn commit(&mut self, bytes: usize) -> Result<()> {
        if bytes > self.max_size() {
            bail!("pooling allocator: memory slot limit exceeded");
        }
        if bytes > self.committed {
            let offset = self.offset() + self.committed;
            self.pool
                .region
                .make_accessible(offset, bytes - self.committed)?;
            self.committed = bytes;
        }
        Ok(())
    }
}

impl Drop for PooledMemorySlot {
    fn drop(&mut self) {
        // A failure leaves the slot unusable rather than leaking this memory's contents.
        if self
            .pool
            .region
            .reset(self.offset(), self.committed, self.pool.keep_resident)
            .is_ok()
        {
            self.pool.slots.give_back(self.index, self.committed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pooling::resident_pages;

    #[test]
    fn freed_memories_are_zeroed_and_released() {
        let page = rustix::param::page_size();
        let pool = Arc::new(MemoryPool::new(1, 1 << 20, page).unwrap());
        let slot = pool.allocate(16 * page).unwrap();
        let base = slot.base() as usize;
        // SAFETY: the committed part of our own slot.
        unsafe { std::ptr::write_bytes(base as *mut u8, 9, 16 * page) };
        assert_eq!(resident_pages(base, 16 * page), 16);
        drop(slot);
        // Only the kept page stays resident.
        assert_eq!(resident_pages(base, 16 * page), 1);
        let slot = pool.allocate(16 * page).unwrap();
        // SAFETY: the committed part of our own slot.
        let bytes = unsafe { std::slice::from_raw_parts(slot.base(), 16 * page) };
        assert!(bytes.iter().all(|b| *b == 0));
    }

    #[test]
    fn exhaustion_and_limits_are_errors() {
        let pool = Arc::new(MemoryPool::new(1, 1 << 20, 0).unwrap());
        let err = pool.allocate(2 << 20).unwrap_err();
        assert!(err.to_string().contains("limit of 1048576 bytes"), "{err}");
        let mut a = pool.allocate(0).unwrap();
        let err = pool.allocate(0).unwrap_err();
        assert!(
            err.to_string()
                .contains("maximum number of memories (1) reached"),
            "{err}"
        );
        a.commit(1 << 20).unwrap();
        assert!(a.commit((1 << 20) + 1).is_err());
    }
}
