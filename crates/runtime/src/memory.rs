//! Linear memories: a virtual reservation large enough that no 32-bit address plus offset can
//! leave it, of which only the current size is accessible, so generated code needs no bounds
//! checks; everything else faults and traps "out of bounds memory access".

use crate::limits::{grow_limited, pages_to_bytes, Growth, ResourceLimiter};
use crate::pooling::{MemoryPool, PooledMemorySlot};
use crate::region::Region;
use crate::vm::VMMemoryDefinition;
use anyhow::{bail, Result};
use std::sync::Arc;

/// Size of a wasm page.
pub const WASM_PAGE_SIZE: usize = wasmfx_environ::WASM_PAGE_SIZE as usize;
/// Largest number of pages of a 32-bit memory.
const MAX_PAGES_32: u64 = 65536;
/// Reserved address space per memory, which generated code relies on to omit bounds checks.
const RESERVATION: usize = wasmfx_environ::MEMORY_RESERVATION as usize;

/// A linear memory. The definition generated code reads is the first field, so a pointer to
/// it is a pointer to the memory.
#[repr(C)]
pub struct Memory {
    def: VMMemoryDefinition,
    max_pages: u64,
    /// The maximum the memory's type declares, if any (what a limiter is told).
    declared_max: Option<u64>,
    backing: Backing,
}

/// The address space under a memory.
enum Backing {
    /// A reservation of the memory's own.
    OnDemand(Region),
    /// A slot of the pooling allocator.
    Pooled(PooledMemorySlot),
}

// SAFETY: the memory owns its mapping or slot; access is serialised by the owning store.
unsafe impl Send for Memory {}

impl Memory {
    /// A memory of `min` pages that may grow to `max` pages (and at most `limit_bytes`), in a
    /// reservation of its own.
    pub fn new(min: u64, max: Option<u64>, limit_bytes: usize) -> Result<Box<Memory>> {
        let max_pages = Memory::max_pages_for(min, max, limit_bytes)?;
        let region = Region::reserve(RESERVATION, "a linear memory")?;
        let base = region.base() as *mut u8;
        Memory::with_backing(Backing::OnDemand(region), base, min, (max_pages, max))
    }

    /// A memory of `min` pages that may grow to `max` pages (and at most `limit_bytes` and the
    /// pool's limit per memory), in a slot of `pool`.
    pub fn new_pooled(
        pool: &Arc<MemoryPool>,
        min: u64,
        max: Option<u64>,
        limit_bytes: usize,
    ) -> Result<Box<Memory>> {
        let pool_pages = (pool.max_memory_size() / WASM_PAGE_SIZE) as u64;
        let max_pages = Memory::max_pages_for(min, max, limit_bytes)?.min(pool_pages);
        // Refuses a minimum past the pool's limit per memory.
        let slot = pool.allocate(min as usize * WASM_PAGE_SIZE)?;
        let base = slot.base();
        Memory::with_backing(Backing::Pooled(slot), base, min, (max_pages, max))
    }

    /// The most pages a memory of these limits may have.
    fn max_pages_for(min: u64, max: Option<u64>, limit_bytes: usize) -> Result<u64> {
        let limit_pages = (limit_bytes / WASM_PAGE_SIZE) as u64;
        let max_pages = max
            .unwrap_or(MAX_PAGES_32)
            .min(MAX_PAGES_32)
            .min(limit_pages);
        if min > max_pages {
            bail!(
                "memory of {min} pages exceeds the limit of {max_pages} pages ({} bytes)",
                max_pages as usize * WASM_PAGE_SIZE
            );
        }
        Ok(max_pages)
    }

    fn with_backing(
        backing: Backing,
        base: *mut u8,
        min: u64,
        (max_pages, declared_max): (u64, Option<u64>),
    ) -> Result<Box<Memory>> {
        let mut memory = Box::new(Memory {
            def: VMMemoryDefinition { base, length: 0 },
            max_pages,
            declared_max,
            backing,
        });
        if memory.grow_unlimited(min).is_none() {
            bail!("could not commit {min} pages of memory");
        }
        Ok(memory)
    }

    /// The memory whose definition is at `def`.
    ///
    /// # Safety
    ///
    /// `def` must point at the definition inside a live `Memory`, not otherwise borrowed.
    pub unsafe fn from_def<'a>(def: *mut VMMemoryDefinition) -> &'a mut Memory {
        // SAFETY: `def` is the first field of a `#[repr(C)]` Memory.
        unsafe { &mut *(def as *mut Memory) }
    }

    /// The definition generated code reads.
    pub fn vmdef(&mut self) -> *mut VMMemoryDefinition {
        &mut self.def
    }

    /// Current size in pages.
    pub fn size_pages(&self) -> u64 {
        (self.def.length / WASM_PAGE_SIZE) as u64
    }

    /// The maximum number of pages this memory may reach.
    pub fn max_pages(&self) -> u64 {
        self.max_pages
    }

    /// Grows by `delta` pages if `limiter` (the store's, if it has one) allows, returning the
    /// old size, or `None` when the growth is refused, past the maximum, or fails. An error
    /// from the limiter is returned: the growing instruction traps with it.
    pub fn grow(
        &mut self,
        delta: u64,
        limiter: Option<&mut dyn ResourceLimiter>,
    ) -> Result<Option<u64>> {
        let sizes = (
            self.def.length,
            pages_to_bytes(self.size_pages().saturating_add(delta)),
            self.declared_max.map(pages_to_bytes),
        );
        grow_limited(limiter, Growth::Memory, sizes, || {
            self.grow_unlimited(delta)
        })
    }

    /// Grows by `delta` pages, returning the old size, or `None` past the maximum.
    fn grow_unlimited(&mut self, delta: u64) -> Option<u64> {
        let old = self.size_pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let new_len = new as usize * WASM_PAGE_SIZE;
        if new_len > self.def.length {
            let committed = match &mut self.backing {
                Backing::OnDemand(region) => {
                    region.make_accessible(self.def.length, new_len - self.def.length)
                }
                Backing::Pooled(slot) => slot.commit(new_len),
            };
            committed.ok()?;
        }
        self.def.length = new_len;
        Some(old)
    }

    /// The memory's bytes.
    pub fn data(&self) -> &[u8] {
        // SAFETY: `length` bytes from `base` are mapped read-write.
        unsafe { std::slice::from_raw_parts(self.def.base, self.def.length) }
    }

    /// The memory's bytes, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: `length` bytes from `base` are mapped read-write.
        unsafe { std::slice::from_raw_parts_mut(self.def.base, self.def.length) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grow_respects_maximum() {
        let mut m = Memory::new(1, Some(2), usize::MAX).unwrap();
        assert_eq!(m.size_pages(), 1);
        assert_eq!(m.grow_unlimited(1), Some(1));
        assert_eq!(m.grow_unlimited(1), None);
        m.data_mut()[WASM_PAGE_SIZE * 2 - 1] = 7;
        assert_eq!(m.data()[WASM_PAGE_SIZE * 2 - 1], 7);
    }

    #[test]
    fn limit_applies() {
        assert!(Memory::new(3, None, 2 * WASM_PAGE_SIZE).is_err());
        let mut m = Memory::new(0, None, 2 * WASM_PAGE_SIZE).unwrap();
        assert_eq!(m.grow_unlimited(3), None);
        assert_eq!(m.grow_unlimited(2), Some(0));
    }
}
