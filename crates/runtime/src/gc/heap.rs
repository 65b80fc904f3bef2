//! The GC heap (see `docs/gc.md`): one reservation divided into chunks of
//! [`GC_CHUNK_SIZE`] bytes. A chunk holds objects of one size class, or is part of one large
//! object. Each size class allocates from its free list, then by bumping through its current
//! chunk, then from a new chunk. Marks live in a bitmap per chunk beside the heap; a sweep
//! rebuilds the free lists from the slots left unmarked and releases chunks left empty.
//! Objects never move.

use crate::region::Region;
use anyhow::{bail, Result};
use wasmfx_environ::{size_class, GC_CHUNK_SIZE, GC_SIZE_CLASSES};

/// Number of size classes.
const CLASSES: usize = GC_SIZE_CLASSES.len();

/// For each size class, `ceil(2^32 / size)`: `offset * RECIPROCALS[class] >> 32` is
/// `offset / size` for every offset within a chunk, without a division (exact because offsets
/// are below 2^15 and sizes at most 2^12).
const RECIPROCALS: [u64; CLASSES] = {
    let mut reciprocals = [0; CLASSES];
    let mut class = 0;
    while class < CLASSES {
        reciprocals[class] = (1u64 << 32).div_ceil(GC_SIZE_CLASSES[class] as u64);
        class += 1;
    }
    reciprocals
};

/// `offset / size of class`, for an offset within a chunk.
fn slot_of(offset: usize, class: usize) -> usize {
    ((offset as u64 * RECIPROCALS[class]) >> 32) as usize
}

/// What a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkUse {
    /// Nothing: free for any use.
    Free,
    /// Slots of size class `class`.
    Small { class: usize },
    /// The first of `chunks` chunks holding one large object.
    LargeHead { chunks: usize },
    /// A later chunk of a large object.
    LargeTail,
}

/// The bookkeeping of one chunk.
#[derive(Debug, Clone)]
struct Chunk {
    usage: ChunkUse,
    /// One bit per slot (one for a large object): allocated.
    allocated: Vec<u64>,
    /// One bit per slot: marked by the current collection.
    marked: Vec<u64>,
}

impl Chunk {
    fn new(usage: ChunkUse, slots: usize) -> Chunk {
        let words = slots.div_ceil(64);
        Chunk {
            usage,
            allocated: vec![0; words],
            marked: vec![0; words],
        }
    }
}

/// Reads bit `i` of `bits`.
fn bit(bits: &[u64], i: usize) -> bool {
    bits[i / 64] & (1 << (i % 64)) != 0
}

/// Sets bit `i` of `bits` to `value`.
fn set_bit(bits: &mut [u64], i: usize, value: bool) {
    if value {
        bits[i / 64] |= 1 << (i % 64);
    } else {
        bits[i / 64] &= !(1 << (i % 64));
    }
}

/// One size class's allocation state.
#[derive(Debug, Clone, Copy, Default)]
struct ClassState {
    /// The first free slot, linked through the slots' first words (0: none).
    free: usize,
    /// The next never-used slot of the class's current chunk, and the end of that chunk.
    bump: usize,
    bump_end: usize,
}

/// A store's GC heap.
#[derive(Debug)]
pub struct GcHeap {
    region: Region,
    /// Every chunk carved so far, by index; the rest of the region was never used.
    chunks: Vec<Chunk>,
    /// No chunk below this index is free: where the search for free chunks starts.
    first_maybe_free: usize,
    classes: [ClassState; CLASSES],
    /// Bytes in allocated slots and large objects.
    allocated_bytes: usize,
}

impl GcHeap {
    /// A heap of at most `max_bytes` (rounded up to whole chunks), reserved now and committed
    /// as it is used.
    pub fn new(max_bytes: usize) -> Result<GcHeap> {
        let Some(len) = max_bytes.checked_next_multiple_of(GC_CHUNK_SIZE) else {
            bail!("a GC heap of {max_bytes} bytes is too large");
        };
        Ok(GcHeap {
            region: Region::reserve_accessible(len, "the GC heap")?,
            chunks: Vec::new(),
            first_maybe_free: 0,
            classes: [ClassState::default(); CLASSES],
            allocated_bytes: 0,
        })
    }

    /// The heap's capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.region.len()
    }

    /// Bytes taken by allocated objects (rounded up to their slots).
    pub fn allocated_bytes(&self) -> usize {
        self.allocated_bytes
    }

    /// Whether `addr` is inside the heap.
    pub fn contains(&self, addr: usize) -> bool {
        addr.wrapping_sub(self.region.base()) < self.region.len()
    }

    /// A zeroed block of at least `size` bytes, 8-aligned, or `None` when the heap is full.
    pub fn alloc(&mut self, size: usize) -> Option<usize> {
        let addr = match size_class(size.max(1)) {
            Some(class) => self.alloc_small(class)?,
            None => self.alloc_large(size)?,
        };
        let slot = self.slot_size(addr);
        // SAFETY: a block of the heap's accessible reservation nothing else uses.
        unsafe { std::ptr::write_bytes(addr as *mut u8, 0, slot) };
        self.allocated_bytes += slot;
        Some(addr)
    }

    /// A slot of size class `class`, marked allocated.
    fn alloc_small(&mut self, class: usize) -> Option<usize> {
        let slot_size = GC_SIZE_CLASSES[class] as usize;
        let state = &mut self.classes[class];
        let addr = if state.free != 0 {
            let addr = state.free;
            // SAFETY: free slots hold the address of the next free slot in their first word.
            state.free = unsafe { *(addr as *const usize) };
            addr
        } else {
            if state.bump + slot_size > state.bump_end || state.bump == 0 {
                let chunk = self.take_chunks(1)?;
                let slots = GC_CHUNK_SIZE / slot_size;
                self.chunks[chunk] = Chunk::new(ChunkUse::Small { class }, slots);
                let start = self.chunk_base(chunk);
                let state = &mut self.classes[class];
                state.bump = start;
                state.bump_end = start + slots * slot_size;
            }
            let state = &mut self.classes[class];
            let addr = state.bump;
            state.bump += slot_size;
            addr
        };
        let (chunk, slot) = self.locate(addr);
        set_bit(&mut self.chunks[chunk].allocated, slot, true);
        Some(addr)
    }

    /// Whole chunks for an object of `size` bytes.
    fn alloc_large(&mut self, size: usize) -> Option<usize> {
        let count = size.div_ceil(GC_CHUNK_SIZE);
        let first = self.take_chunks(count)?;
        let mut head = Chunk::new(ChunkUse::LargeHead { chunks: count }, 1);
        set_bit(&mut head.allocated, 0, true);
        self.chunks[first] = head;
        for chunk in first + 1..first + count {
            self.chunks[chunk] = Chunk::new(ChunkUse::LargeTail, 0);
        }
        Some(self.chunk_base(first))
    }

    /// The index of the first of `count` free contiguous chunks, reusing freed chunks before
    /// carving new ones, or `None` when the heap has no such run.
    fn take_chunks(&mut self, count: usize) -> Option<usize> {
        let start = self.first_maybe_free.min(self.chunks.len());
        let mut run = 0;
        let mut first_free = None;
        for (index, chunk) in self.chunks.iter().enumerate().skip(start) {
            run = if chunk.usage == ChunkUse::Free {
                first_free.get_or_insert(index);
                run + 1
            } else {
                0
            };
            if run == count {
                let first = index + 1 - count;
                // Every chunk before the first free one seen is taken.
                self.first_maybe_free = first_free
                    .filter(|&free| free < first)
                    .unwrap_or(first + count);
                return Some(first);
            }
        }
        self.first_maybe_free = first_free.unwrap_or(self.chunks.len());
        // Extend the trailing run of free chunks with never-used ones.
        let first = self.chunks.len() - run;
        let total = self.region.len() / GC_CHUNK_SIZE;
        if first + count > total {
            return None;
        }
        self.chunks
            .resize(first + count, Chunk::new(ChunkUse::Free, 0));
        Some(first)
    }

    fn chunk_base(&self, chunk: usize) -> usize {
        self.region.base() + chunk * GC_CHUNK_SIZE
    }

    /// The chunk and slot of `addr`, an address of a carved chunk.
    fn locate(&self, addr: usize) -> (usize, usize) {
        let offset = addr - self.region.base();
        let chunk = offset / GC_CHUNK_SIZE;
        let slot = match self.chunks[chunk].usage {
            ChunkUse::Small { class } => slot_of(offset % GC_CHUNK_SIZE, class),
            _ => 0,
        };
        (chunk, slot)
    }

    /// The size of the block holding the allocated object at `addr`.
    pub(crate) fn object_size(&self, addr: usize) -> usize {
        self.slot_size(addr)
    }

    /// The size of the block at `addr`, the start of an allocated object.
    fn slot_size(&self, addr: usize) -> usize {
        let (chunk, _) = self.locate(addr);
        match self.chunks[chunk].usage {
            ChunkUse::Small { class } => GC_SIZE_CLASSES[class] as usize,
            ChunkUse::LargeHead { chunks } => chunks * GC_CHUNK_SIZE,
            ChunkUse::Free | ChunkUse::LargeTail => 0,
        }
    }

    /// The chunk and slot of the allocated object starting at `addr`, if there is one.
    fn object_at(&self, addr: usize) -> Option<(usize, usize)> {
        if !self.contains(addr) {
            return None;
        }
        let offset = addr - self.region.base();
        let chunk = offset / GC_CHUNK_SIZE;
        let info = self.chunks.get(chunk)?;
        let within = offset % GC_CHUNK_SIZE;
        let slot = match info.usage {
            ChunkUse::Small { class } => {
                let size = GC_SIZE_CLASSES[class] as usize;
                let slot = slot_of(within, class);
                (slot * size == within && slot < GC_CHUNK_SIZE / size).then_some(slot)?
            }
            ChunkUse::LargeHead { .. } => (within == 0).then_some(0)?,
            ChunkUse::Free | ChunkUse::LargeTail => return None,
        };
        bit(&info.allocated, slot).then_some((chunk, slot))
    }

    /// Marks the object starting at `addr`. Returns `true` if it was not marked before (the
    /// caller then traces its references), `false` if it was, or if no object starts there.
    pub fn mark(&mut self, addr: usize) -> bool {
        let Some((chunk, slot)) = self.object_at(addr) else {
            return false;
        };
        let marks = &mut self.chunks[chunk].marked;
        if bit(marks, slot) {
            return false;
        }
        set_bit(marks, slot, true);
        true
    }

    /// Whether the object starting at `addr` is marked.
    pub fn is_marked(&self, addr: usize) -> bool {
        self.object_at(addr)
            .is_some_and(|(chunk, slot)| bit(&self.chunks[chunk].marked, slot))
    }

    /// Frees every allocated object left unmarked and clears the marks. Free slots are linked
    /// into their class's free list; chunks left empty become free for any use and their pages
    /// are released. Returns the bytes freed.
    pub fn sweep(&mut self) -> usize {
        let before = self.allocated_bytes;
        self.classes = [ClassState::default(); CLASSES];
        for index in 0..self.chunks.len() {
            match self.chunks[index].usage {
                ChunkUse::Small { class } => self.sweep_small(index, class),
                ChunkUse::LargeHead { chunks } => {
                    if !bit(&self.chunks[index].marked, 0) {
                        self.free_chunks(index, chunks);
                        self.allocated_bytes -= chunks * GC_CHUNK_SIZE;
                    } else {
                        set_bit(&mut self.chunks[index].marked, 0, false);
                    }
                }
                ChunkUse::Free | ChunkUse::LargeTail => {}
            }
        }
        before - self.allocated_bytes
    }

    /// Sweeps small chunk `index` of size class `class`.
    fn sweep_small(&mut self, index: usize, class: usize) {
        let size = GC_SIZE_CLASSES[class] as usize;
        let slots = GC_CHUNK_SIZE / size;
        let base = self.chunk_base(index);
        let chunk = &mut self.chunks[index];
        let mut live = 0;
        for slot in 0..slots {
            if bit(&chunk.allocated, slot) && !bit(&chunk.marked, slot) {
                set_bit(&mut chunk.allocated, slot, false);
                self.allocated_bytes -= size;
            }
            live += usize::from(bit(&chunk.allocated, slot));
        }
        chunk.marked.fill(0);
        if live == 0 {
            self.free_chunks(index, 1);
            return;
        }
        let chunk = &self.chunks[index];
        let state = &mut self.classes[class];
        for slot in (0..slots).rev() {
            if !bit(&chunk.allocated, slot) {
                let addr = base + slot * size;
                // SAFETY: a free slot of the heap: its first word links the free list.
                unsafe { *(addr as *mut usize) = state.free };
                state.free = addr;
            }
        }
    }

    /// Makes `count` chunks from `first` free, releasing their pages.
    fn free_chunks(&mut self, first: usize, count: usize) {
        self.first_maybe_free = self.first_maybe_free.min(first);
        for chunk in &mut self.chunks[first..first + count] {
            *chunk = Chunk::new(ChunkUse::Free, 0);
        }
        // Released pages read as zero when used again; a failure only keeps them resident.
        let _ = self
            .region
            .release(first * GC_CHUNK_SIZE, count * GC_CHUNK_SIZE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heap(chunks: usize) -> GcHeap {
        GcHeap::new(chunks * GC_CHUNK_SIZE).unwrap()
    }

    #[test]
    fn allocations_are_distinct_aligned_and_zeroed() {
        let mut heap = heap(8);
        let mut seen = std::collections::BTreeSet::new();
        for size in [1, 8, 16, 17, 100, 4096, 4097, 70_000] {
            let addr = heap.alloc(size).unwrap();
            assert_eq!(addr % 8, 0);
            assert!(heap.contains(addr) && heap.contains(addr + size - 1));
            // SAFETY: `size` bytes of a block just allocated.
            let bytes = unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, size) };
            assert!(bytes.iter().all(|b| *b == 0));
            bytes.fill(0xff);
            assert!(seen.insert(addr));
        }
        assert!(!heap.contains(heap.region.base() + heap.capacity()));
    }

    #[test]
    fn reciprocals_divide_exactly() {
        for (class, &size) in GC_SIZE_CLASSES.iter().enumerate() {
            let size = size as usize;
            for offset in 0..GC_CHUNK_SIZE {
                assert_eq!(slot_of(offset, class), offset / size, "{offset} / {size}");
            }
        }
    }

    #[test]
    fn freed_chunks_in_the_middle_are_found_again() {
        let mut heap = heap(12);
        let per_chunk = GC_CHUNK_SIZE / 64;
        let objects: Vec<usize> = (0..8 * per_chunk)
            .map(|_| heap.alloc(64).unwrap())
            .collect();
        let base = heap.region.base();
        let chunk_of = |addr: usize| (addr - base) / GC_CHUNK_SIZE;
        let kept: Vec<usize> = objects
            .iter()
            .copied()
            .filter(|&addr| chunk_of(addr) % 2 == 0)
            .collect();
        for &addr in &kept {
            heap.mark(addr);
            // SAFETY: a live object of 64 bytes.
            unsafe { *(addr as *mut usize) = addr };
        }
        heap.sweep();
        // Chunks 1, 3, 5 and 7 are free: a two-chunk object takes 7 and a new chunk 8, a
        // one-chunk object the lowest free chunk, 1.
        let two = heap.alloc(2 * GC_CHUNK_SIZE).unwrap();
        assert_eq!(chunk_of(two), 7);
        let one = heap.alloc(GC_CHUNK_SIZE).unwrap();
        assert_eq!(chunk_of(one), 1);
        let next = heap.alloc(GC_CHUNK_SIZE).unwrap();
        assert_eq!(chunk_of(next), 3);
        for &addr in &kept {
            // SAFETY: a surviving object.
            assert_eq!(unsafe { *(addr as *const usize) }, addr);
        }
    }

    #[test]
    fn a_full_heap_returns_none() {
        let mut heap = heap(2);
        let per_chunk = GC_CHUNK_SIZE / 64;
        for _ in 0..2 * per_chunk {
            assert!(heap.alloc(64).is_some());
        }
        assert!(heap.alloc(64).is_none());
        assert!(heap.alloc(16).is_none());
        assert_eq!(heap.allocated_bytes(), 2 * GC_CHUNK_SIZE);
    }

    #[test]
    fn sweep_frees_unmarked_objects_and_keeps_marked_ones() {
        let mut heap = heap(4);
        let objects: Vec<usize> = (0..100).map(|_| heap.alloc(32).unwrap()).collect();
        for (i, &addr) in objects.iter().enumerate() {
            // SAFETY: 32 bytes of an allocated object.
            unsafe { *(addr as *mut u64) = i as u64 };
            if i % 2 == 0 {
                assert!(heap.mark(addr));
                assert!(!heap.mark(addr), "marked twice");
            }
        }
        assert!(!heap.mark(objects[0] + 8), "not the start of an object");
        assert_eq!(heap.sweep(), 50 * 32);
        assert_eq!(heap.allocated_bytes(), 50 * 32);
        for (i, &addr) in objects.iter().enumerate() {
            if i % 2 == 0 {
                // SAFETY: a surviving object.
                assert_eq!(unsafe { *(addr as *const u64) }, i as u64);
                assert!(!heap.is_marked(addr), "marks are cleared");
            }
        }
        // The freed slots are reused, zeroed.
        let reused: Vec<usize> = (0..50).map(|_| heap.alloc(32).unwrap()).collect();
        for addr in &reused {
            assert!(objects.contains(addr));
            // SAFETY: an allocated object.
            assert_eq!(unsafe { *(*addr as *const u64) }, 0);
        }
    }

    #[test]
    fn empty_chunks_and_large_objects_return_to_the_heap() {
        let mut heap = heap(4);
        let big = heap.alloc(3 * GC_CHUNK_SIZE).unwrap();
        assert!(heap.alloc(2 * GC_CHUNK_SIZE).is_none());
        let small = heap.alloc(16).unwrap();
        heap.mark(small);
        assert_eq!(heap.sweep(), 3 * GC_CHUNK_SIZE);
        // The large object's chunks now serve another large object.
        let again = heap.alloc(2 * GC_CHUNK_SIZE).unwrap();
        assert_eq!(again, big);
        // An empty small chunk is free for any use.
        assert_eq!(heap.sweep(), 16 + 2 * GC_CHUNK_SIZE);
        assert_eq!(heap.allocated_bytes(), 0);
        assert!(heap.alloc(4 * GC_CHUNK_SIZE).is_some());
    }
}
