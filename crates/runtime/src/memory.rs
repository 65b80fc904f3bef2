//! Linear memories: a virtual reservation large enough that no 32-bit address plus offset can
//! leave it, of which only the current size is accessible, so generated code needs no bounds
//! checks for 32-bit memories; everything else faults and traps "out of bounds memory
//! access". Accesses to 64-bit memories (memory64) are checked against the length in
//! generated code.

use crate::limits::{grow_limited, pages_to_bytes, Growth, ResourceLimiter};
use crate::pooling::{MemoryPool, PooledMemorySlot};
use crate::region::Region;
use crate::vm::VMMemoryDefinition;
use anyhow::{bail, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Size of a wasm page.
pub const WASM_PAGE_SIZE: usize = wasmfx_environ::WASM_PAGE_SIZE as usize;
/// Largest number of pages of a 32-bit memory.
const MAX_PAGES_32: u64 = 65536;
/// Reserved address space per memory, which generated code relies on to omit bounds checks.
const RESERVATION: usize = wasmfx_environ::MEMORY_RESERVATION as usize;
/// The most address space one 64-bit memory reserves (when the configured limit is larger).
const MAX_RESERVATION_64: usize = 1 << 40;

/// The limits of a memory being created.
#[derive(Clone, Copy, Debug)]
pub struct MemoryLimits {
    /// Pages at creation.
    pub min: u64,
    /// The maximum its type declares, in pages.
    pub max: Option<u64>,
    /// Whether it is a 64-bit memory (memory64).
    pub index64: bool,
    /// Whether it is declared shared (threads).
    pub shared: bool,
    /// The most bytes it may have (the engine's limit).
    pub limit_bytes: usize,
}

/// A linear memory. The definition generated code reads is the first field, so a pointer to
/// it is a pointer to the memory.
///
/// A memory is grown through a shared reference: its base never moves, growth is serialised by
/// the lock on its backing, and the length is atomic. That lets a shared memory (threads) be
/// used by stores on several threads at once, each holding an `Arc` of it.
#[repr(C)]
pub struct Memory {
    def: VMMemoryDefinition,
    max_pages: u64,
    /// Whether this is a 64-bit memory.
    index64: bool,
    /// Whether this memory is declared shared.
    shared: bool,
    /// The maximum the memory's type declares, if any (what a limiter is told).
    declared_max: Option<u64>,
    backing: Mutex<Backing>,
}

/// The address space under a memory.
enum Backing {
    /// A reservation of the memory's own.
    OnDemand(Region),
    /// A slot of the pooling allocator.
    Pooled(PooledMemorySlot),
}

// SAFETY: the memory owns its mapping or slot. Growth is serialised by the backing's lock and
// publishes the new length atomically; the bytes themselves are wasm's racy shared memory,
// accessed by generated code and through raw pointers, as the threads proposal allows.
unsafe impl Send for Memory {}
// SAFETY: as above: every mutation through `&Memory` is of the bytes or under the lock.
unsafe impl Sync for Memory {}

impl Memory {
    /// A memory with `limits`, in a reservation of its own: [`RESERVATION`] bytes, or for a
    /// 64-bit memory as much as its limit allows, up to [`MAX_RESERVATION_64`].
    pub fn new(limits: MemoryLimits) -> Result<Arc<Memory>> {
        let reservation = if limits.index64 {
            crate::region::round_to_pages(limits.limit_bytes.min(MAX_RESERVATION_64))
                .max(RESERVATION)
        } else {
            RESERVATION
        };
        let max_pages = Memory::max_pages_for(limits, (reservation / WASM_PAGE_SIZE) as u64)?;
        let region = Region::reserve(reservation, "a linear memory")?;
        let base = region.base() as *mut u8;
        Memory::with_backing(Backing::OnDemand(region), base, limits, max_pages)
    }

    /// A memory with `limits` (and at most the pool's limit per memory), in a slot of `pool`.
    pub fn new_pooled(pool: &Arc<MemoryPool>, limits: MemoryLimits) -> Result<Arc<Memory>> {
        let pool_pages = (pool.max_memory_size() / WASM_PAGE_SIZE) as u64;
        let max_pages = Memory::max_pages_for(limits, u64::MAX)?.min(pool_pages);
        // Refuses a minimum past the pool's limit per memory.
        let slot = pool.allocate(limits.min as usize * WASM_PAGE_SIZE)?;
        let base = slot.base();
        Memory::with_backing(Backing::Pooled(slot), base, limits, max_pages)
    }

    /// The most pages a memory of `limits` may have when its address space holds
    /// `space_pages`.
    fn max_pages_for(limits: MemoryLimits, space_pages: u64) -> Result<u64> {
        let MemoryLimits {
            min,
            max,
            index64,
            limit_bytes,
            ..
        } = limits;
        let limit_pages = (limit_bytes / WASM_PAGE_SIZE) as u64;
        let type_pages = if index64 { u64::MAX } else { MAX_PAGES_32 };
        let max_pages = max
            .unwrap_or(type_pages)
            .min(type_pages)
            .min(limit_pages)
            .min(space_pages);
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
        limits: MemoryLimits,
        max_pages: u64,
    ) -> Result<Arc<Memory>> {
        let memory = Arc::new(Memory {
            def: VMMemoryDefinition {
                base,
                length: AtomicUsize::new(0),
            },
            max_pages,
            index64: limits.index64,
            shared: limits.shared,
            declared_max: limits.max,
            backing: Mutex::new(backing),
        });
        if memory.grow_unlimited(limits.min).is_none() {
            bail!("could not commit {} pages of memory", limits.min);
        }
        Ok(memory)
    }

    /// Whether this is a 64-bit memory.
    pub fn is_64(&self) -> bool {
        self.index64
    }

    /// Whether this memory is declared shared.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// The maximum its type declares, in pages, if any.
    pub fn declared_max(&self) -> Option<u64> {
        self.declared_max
    }

    /// The memory whose definition is at `def`.
    ///
    /// # Safety
    ///
    /// `def` must point at the definition inside a live `Memory`.
    pub unsafe fn from_def<'a>(def: *mut VMMemoryDefinition) -> &'a Memory {
        // SAFETY: `def` is the first field of a `#[repr(C)]` Memory.
        unsafe { &*(def as *const Memory) }
    }

    /// The definition generated code reads.
    pub fn vmdef(&self) -> *mut VMMemoryDefinition {
        &self.def as *const VMMemoryDefinition as *mut VMMemoryDefinition
    }

    /// Current length in bytes.
    pub fn len_bytes(&self) -> usize {
        self.def.length.load(Ordering::Acquire)
    }

    /// Current size in pages.
    pub fn size_pages(&self) -> u64 {
        (self.len_bytes() / WASM_PAGE_SIZE) as u64
    }

    /// The maximum number of pages this memory may reach.
    pub fn max_pages(&self) -> u64 {
        self.max_pages
    }

    /// Grows by `delta` pages if `limiter` (the store's, if it has one) allows, returning the
    /// old size, or `None` when the growth is refused, past the maximum, or fails. An error
    /// from the limiter is returned: the growing instruction traps with it. The limiter is
    /// asked under the memory's growth lock, so concurrent growths of a shared memory are each
    /// judged on the size they start from.
    pub fn grow(
        &self,
        delta: u64,
        limiter: Option<&mut dyn ResourceLimiter>,
    ) -> Result<Option<u64>> {
        let mut backing = self.lock_backing();
        let sizes = (
            self.len_bytes(),
            pages_to_bytes(self.size_pages().saturating_add(delta)),
            self.declared_max.map(pages_to_bytes),
        );
        grow_limited(limiter, Growth::Memory, sizes, || {
            self.grow_locked(&mut backing, delta)
        })
    }

    /// Grows by `delta` pages, returning the old size, or `None` past the maximum.
    fn grow_unlimited(&self, delta: u64) -> Option<u64> {
        self.grow_locked(&mut self.lock_backing(), delta)
    }

    /// The backing, locked: growth holds it across the commit and the length update, so
    /// concurrent growths of a shared memory are ordered and each sees the length the
    /// previous one published.
    fn lock_backing(&self) -> std::sync::MutexGuard<'_, Backing> {
        self.backing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Grows by `delta` pages with the backing locked.
    fn grow_locked(&self, backing: &mut Backing, delta: u64) -> Option<u64> {
        let old_len = self.len_bytes();
        let old = (old_len / WASM_PAGE_SIZE) as u64;
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let new_len = new as usize * WASM_PAGE_SIZE;
        if new_len > old_len {
            let committed = match backing {
                Backing::OnDemand(region) => region.make_accessible(old_len, new_len - old_len),
                Backing::Pooled(slot) => slot.commit(new_len),
            };
            committed.ok()?;
        }
        self.def.length.store(new_len, Ordering::Release);
        Some(old)
    }

    /// The address of the `len` bytes at `offset`, or `None` if they are not all inside the
    /// memory. Accesses through it race with other threads when the memory is shared.
    pub fn range_ptr(&self, offset: u64, len: u64) -> Option<*mut u8> {
        let r = crate::instance::range(offset, len, self.len_bytes())?;
        // SAFETY: the range is within the mapped length, so the pointer stays in the mapping.
        Some(unsafe { self.def.base.add(r.start) })
    }

    /// The address of byte 0; it never changes.
    pub fn base(&self) -> *mut u8 {
        self.def.base
    }

    /// The memory's bytes.
    ///
    /// # Safety
    ///
    /// No other thread may write the memory while the slice lives (true of a memory that is
    /// not shared, when the caller has its store).
    pub unsafe fn data(&self) -> &[u8] {
        // SAFETY: `length` bytes from `base` are mapped read-write.
        unsafe { std::slice::from_raw_parts(self.def.base, self.len_bytes()) }
    }

    /// The memory's bytes, mutably.
    ///
    /// # Safety
    ///
    /// Nothing else may access the memory while the slice lives (true of a memory that is not
    /// shared, when the caller has its store mutably).
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn data_mut(&self) -> &mut [u8] {
        // SAFETY: `length` bytes from `base` are mapped read-write; the caller guarantees
        // exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.def.base, self.len_bytes()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(min: u64, max: Option<u64>, limit_bytes: usize) -> MemoryLimits {
        MemoryLimits {
            min,
            max,
            index64: false,
            shared: false,
            limit_bytes,
        }
    }

    #[test]
    fn grow_respects_maximum() {
        let m = Memory::new(limits(1, Some(2), usize::MAX)).unwrap();
        assert_eq!(m.size_pages(), 1);
        assert_eq!(m.grow_unlimited(1), Some(1));
        assert_eq!(m.grow_unlimited(1), None);
        // SAFETY: the memory is used by this thread only.
        unsafe {
            m.data_mut()[WASM_PAGE_SIZE * 2 - 1] = 7;
            assert_eq!(m.data()[WASM_PAGE_SIZE * 2 - 1], 7);
        }
    }

    #[test]
    fn concurrent_growth_of_a_shared_memory_loses_no_page() {
        let shared = MemoryLimits {
            shared: true,
            ..limits(1, Some(401), usize::MAX)
        };
        let m = Memory::new(shared).unwrap();
        let growers: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        assert!(m.grow_unlimited(1).is_some());
                    }
                })
            })
            .collect();
        for g in growers {
            g.join().unwrap();
        }
        assert_eq!(m.size_pages(), 401);
        assert_eq!(m.grow_unlimited(1), None);
        // Every page is accessible.
        let last = m.range_ptr(401 * WASM_PAGE_SIZE as u64 - 1, 1).unwrap();
        // SAFETY: the byte is inside the memory, which no other thread uses now.
        unsafe { last.write(1) };
        assert!(m.range_ptr(401 * WASM_PAGE_SIZE as u64, 1).is_none());
    }

    #[test]
    fn limit_applies() {
        assert!(Memory::new(limits(3, None, 2 * WASM_PAGE_SIZE)).is_err());
        let m = Memory::new(limits(0, None, 2 * WASM_PAGE_SIZE)).unwrap();
        assert_eq!(m.grow_unlimited(3), None);
        assert_eq!(m.grow_unlimited(2), Some(0));
    }

    #[test]
    fn memory64_grows_past_4_gib_within_its_limit() {
        let limit = 6 << 30;
        let m = Memory::new(MemoryLimits {
            min: 1,
            max: None,
            index64: true,
            shared: false,
            limit_bytes: limit,
        })
        .unwrap();
        assert!(m.is_64());
        assert_eq!(m.max_pages(), (limit / WASM_PAGE_SIZE) as u64);
        // A 32-bit memory with the same limit stops at 4 GiB.
        let m32 = Memory::new(limits(1, None, limit)).unwrap();
        assert_eq!(m32.max_pages(), MAX_PAGES_32);
        // Past 4 GiB (only reserved: nothing is touched).
        assert_eq!(m.grow_unlimited(MAX_PAGES_32 + 10), Some(1));
        assert_eq!(m.grow_unlimited(u64::MAX), None);
    }
}
