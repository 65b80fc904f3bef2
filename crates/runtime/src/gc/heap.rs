//! The GC heap (see `docs/gc.md`): one reservation divided into chunks of
//! [`GC_CHUNK_SIZE`] bytes. A chunk holds objects of one size class, or is part of one large
//! object. Each size class allocates by bumping through a *run* of free slots (a `VMGcRun`,
//! which generated code bumps too); an exhausted run is refilled with the next free slots of a
//! chunk the last sweep left partly free, else with a free chunk. Allocated and mark bits live
//! in bitmaps per chunk beside the heap; a sweep keeps the marked objects and frees the rest,
//! 64 slots at a time. Objects never move.

use crate::region::Region;
use crate::vm::{VMGcRun, VMGcRuns};
use anyhow::{bail, Result};
use std::ptr::NonNull;
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
    /// Whether the chunk's pages may hold non-zero bytes (it was used since it was last
    /// released, or since the heap was reserved).
    dirty: bool,
}

impl Chunk {
    /// A never-used chunk: free, and zero.
    const UNUSED: Chunk = Chunk {
        usage: ChunkUse::Free,
        allocated: Vec::new(),
        marked: Vec::new(),
        dirty: false,
    };

    /// Puts the chunk to `usage`, with `slots` slots, none allocated.
    fn carve(&mut self, usage: ChunkUse, slots: usize) {
        let words = slots.div_ceil(64);
        self.usage = usage;
        self.allocated = vec![0; words];
        self.marked = vec![0; words];
    }
}

/// Reads bit `i` of `bits`.
fn bit(bits: &[u64], i: usize) -> bool {
    bits[i / 64] & (1 << (i % 64)) != 0
}

/// Sets bit `i` of `bits`.
fn set_bit(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

/// Sets bits `[start, end)` of `bits` to `value`, a word at a time.
fn set_bits(bits: &mut [u64], start: usize, end: usize, value: bool) {
    let mut at = start;
    while at < end {
        let word = at / 64;
        let upto = end.min((word + 1) * 64);
        let width = upto - at;
        let mask = (u64::MAX >> (64 - width)) << (at % 64);
        if value {
            bits[word] |= mask;
        } else {
            bits[word] &= !mask;
        }
        at = upto;
    }
}

/// The first bit at or after `from` and below `end` that equals `value`, or `end`.
fn find_bit(bits: &[u64], from: usize, end: usize, value: bool) -> usize {
    let mut word = from / 64;
    let mut mask = u64::MAX << (from % 64);
    while word * 64 < end {
        let candidates = if value { bits[word] } else { !bits[word] } & mask;
        if candidates != 0 {
            return (word * 64 + candidates.trailing_zeros() as usize).min(end);
        }
        word += 1;
        mask = u64::MAX;
    }
    end
}

/// One size class's search for free slots after a sweep.
#[derive(Debug, Default)]
struct ClassState {
    /// The chunk being searched and the slot the search goes on from.
    current: Option<(usize, usize)>,
    /// Chunks of the class the last sweep left partly free, to search after the current one
    /// (the lowest last).
    partial: Vec<usize>,
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
    /// The allocation run of each size class, which generated code bumps too.
    runs: NonNull<VMGcRuns>,
    /// Whether runs hold one slot only, so that every allocation reaches the runtime.
    single_slot_runs: bool,
    /// Bytes in allocated slots (runs included) and large objects.
    allocated_bytes: usize,
}

impl GcHeap {
    /// A heap of at most `max_bytes` (rounded up to whole chunks), reserved now and committed
    /// as it is used, whose allocation runs are `runs`. With `single_slot_runs`, each run
    /// holds one slot, so that every allocation asks the runtime.
    ///
    /// # Safety
    ///
    /// `runs` must stay valid for the heap's lifetime, and only the heap and allocations on
    /// the thread using it (generated code's fast path) may change them.
    pub unsafe fn new(
        max_bytes: usize,
        runs: NonNull<VMGcRuns>,
        single_slot_runs: bool,
    ) -> Result<GcHeap> {
        let Some(len) = max_bytes.checked_next_multiple_of(GC_CHUNK_SIZE) else {
            bail!("a GC heap of {max_bytes} bytes is too large");
        };
        Ok(GcHeap {
            region: Region::reserve_accessible(len, "the GC heap")?,
            chunks: Vec::new(),
            first_maybe_free: 0,
            classes: std::array::from_fn(|_| ClassState::default()),
            runs,
            single_slot_runs,
            allocated_bytes: 0,
        })
    }

    /// The heap's capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.region.len()
    }

    /// Bytes taken by allocated objects (rounded up to their slots) and by the free slots of
    /// allocation runs.
    pub fn allocated_bytes(&self) -> usize {
        self.allocated_bytes
    }

    /// Whether `addr` is inside the heap.
    pub fn contains(&self, addr: usize) -> bool {
        addr.wrapping_sub(self.region.base()) < self.region.len()
    }

    /// The allocation run of size class `class`.
    fn run(&mut self, class: usize) -> &mut VMGcRun {
        // SAFETY: per `new`'s contract, the runs are valid and changed by nothing else while
        // the heap is in use.
        unsafe { &mut (*self.runs.as_ptr())[class] }
    }

    /// A zeroed block of at least `size` bytes, 8-aligned, or `None` when the heap is full.
    pub fn alloc(&mut self, size: usize) -> Option<usize> {
        match size_class(size.max(1)) {
            Some(class) => self.alloc_small(class),
            None => self.alloc_large(size),
        }
    }

    /// A zeroed slot of size class `class` from its run, refilled first if it is exhausted.
    fn alloc_small(&mut self, class: usize) -> Option<usize> {
        let size = GC_SIZE_CLASSES[class] as usize;
        if self.run(class).limit - self.run(class).cursor < size {
            self.refill(class)?;
        }
        let run = self.run(class);
        let addr = run.cursor;
        run.cursor += size;
        // SAFETY: a slot of the heap's accessible reservation nothing else uses.
        unsafe { std::ptr::write_bytes(addr as *mut u8, 0, size) };
        Some(addr)
    }

    /// Makes the next free slots of size class `class` its run, allocated. They are not
    /// zeroed: whoever takes a slot writes all of it that is read (generated code writes the
    /// header and every field; the runtime zeroes the slot).
    fn refill(&mut self, class: usize) -> Option<()> {
        let size = GC_SIZE_CLASSES[class] as usize;
        let slots = GC_CHUNK_SIZE / size;
        loop {
            if let Some((index, from)) = self.classes[class].current {
                let chunk = &mut self.chunks[index];
                let start = find_bit(&chunk.allocated, from, slots, false);
                if start < slots {
                    let end = if self.single_slot_runs {
                        start + 1
                    } else {
                        find_bit(&chunk.allocated, start, slots, true)
                    };
                    set_bits(&mut chunk.allocated, start, end, true);
                    chunk.dirty = true;
                    self.classes[class].current = Some((index, end));
                    let base = self.chunk_base(index);
                    let (cursor, limit) = (base + start * size, base + end * size);
                    self.allocated_bytes += limit - cursor;
                    *self.run(class) = VMGcRun { cursor, limit };
                    return Some(());
                }
                self.classes[class].current = None;
            }
            let next = match self.classes[class].partial.pop() {
                Some(index) => index,
                None => {
                    let index = self.take_chunks(1)?;
                    self.chunks[index].carve(ChunkUse::Small { class }, slots);
                    index
                }
            };
            self.classes[class].current = Some((next, 0));
        }
    }

    /// Takes back the free slots left in every allocation run (they are allocated while in a
    /// run): done before marking, so that only objects are allocated then.
    pub fn retire_runs(&mut self) {
        for (class, &size) in GC_SIZE_CLASSES.iter().enumerate() {
            let run = std::mem::take(self.run(class));
            if run.cursor == run.limit {
                continue;
            }
            let size = size as usize;
            let (index, start) = self.locate(run.cursor);
            let end = start + (run.limit - run.cursor) / size;
            set_bits(&mut self.chunks[index].allocated, start, end, false);
            self.allocated_bytes -= run.limit - run.cursor;
        }
    }

    /// Whole chunks for an object of `size` bytes, zeroed.
    fn alloc_large(&mut self, size: usize) -> Option<usize> {
        let count = size.div_ceil(GC_CHUNK_SIZE);
        let first = self.take_chunks(count)?;
        let mut dirty = false;
        for (i, chunk) in self.chunks[first..first + count].iter_mut().enumerate() {
            let usage = match i {
                0 => ChunkUse::LargeHead { chunks: count },
                _ => ChunkUse::LargeTail,
            };
            chunk.carve(usage, usize::from(i == 0));
            dirty |= std::mem::replace(&mut chunk.dirty, true);
        }
        set_bit(&mut self.chunks[first].allocated, 0);
        let addr = self.chunk_base(first);
        if dirty {
            // SAFETY: whole chunks of the heap's accessible reservation nothing else uses.
            unsafe { std::ptr::write_bytes(addr as *mut u8, 0, size) };
        }
        self.allocated_bytes += count * GC_CHUNK_SIZE;
        Some(addr)
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
        self.chunks.resize(first + count, Chunk::UNUSED);
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
        set_bit(marks, slot);
        true
    }

    /// Whether the object starting at `addr` is marked.
    pub fn is_marked(&self, addr: usize) -> bool {
        self.object_at(addr)
            .is_some_and(|(chunk, slot)| bit(&self.chunks[chunk].marked, slot))
    }

    /// Frees every allocated object left unmarked and clears the marks (after
    /// [`GcHeap::retire_runs`] and marking). Chunks left partly free are searched for runs
    /// again, lowest first; chunks left empty become free for any use. Returns the bytes
    /// freed.
    pub fn sweep(&mut self) -> usize {
        let before = self.allocated_bytes;
        for class in &mut self.classes {
            *class = ClassState::default();
        }
        for index in (0..self.chunks.len()).rev() {
            match self.chunks[index].usage {
                ChunkUse::Small { class } => self.sweep_small(index, class),
                ChunkUse::LargeHead { chunks } => {
                    if !bit(&self.chunks[index].marked, 0) {
                        self.free_chunks(index, chunks);
                        self.allocated_bytes -= chunks * GC_CHUNK_SIZE;
                    } else {
                        self.chunks[index].marked[0] = 0;
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
        let chunk = &mut self.chunks[index];
        let (mut live, mut freed) = (0, 0);
        for (allocated, marked) in chunk.allocated.iter_mut().zip(chunk.marked.iter_mut()) {
            freed += (*allocated & !*marked).count_ones() as usize;
            *allocated &= *marked;
            live += allocated.count_ones() as usize;
            *marked = 0;
        }
        self.allocated_bytes -= freed * size;
        if live == 0 {
            self.free_chunks(index, 1);
        } else if live < GC_CHUNK_SIZE / size {
            self.classes[class].partial.push(index);
        }
    }

    /// Makes `count` chunks from `first` free (their pages stay committed until
    /// [`GcHeap::release_free_chunks`]).
    fn free_chunks(&mut self, first: usize, count: usize) {
        self.first_maybe_free = self.first_maybe_free.min(first);
        for chunk in &mut self.chunks[first..first + count] {
            chunk.carve(ChunkUse::Free, 0);
        }
    }

    /// Releases the pages of free chunks beyond the lowest `keep_bytes` worth of them that
    /// are committed: those serve the allocations before the next collection without page
    /// faults, the rest go back to the system.
    pub fn release_free_chunks(&mut self, keep_bytes: usize) {
        let mut keep = keep_bytes / GC_CHUNK_SIZE;
        let releasable = |chunk: &Chunk| chunk.usage == ChunkUse::Free && chunk.dirty;
        let mut index = 0;
        while index < self.chunks.len() {
            if !releasable(&self.chunks[index]) {
                index += 1;
            } else if keep > 0 {
                keep -= 1;
                index += 1;
            } else {
                let first = index;
                while index < self.chunks.len() && releasable(&self.chunks[index]) {
                    self.chunks[index].dirty = false;
                    index += 1;
                }
                // Released pages read as zero; a failure only keeps them resident (and
                // they are zeroed when used again, as the chunks are still dirty).
                if self
                    .region
                    .release(first * GC_CHUNK_SIZE, (index - first) * GC_CHUNK_SIZE)
                    .is_err()
                {
                    for chunk in &mut self.chunks[first..index] {
                        chunk.dirty = true;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heap(chunks: usize) -> GcHeap {
        let runs = Box::leak(Box::new([VMGcRun::default(); CLASSES]));
        // SAFETY: the runs are leaked, so they outlive the heap, and only it uses them.
        unsafe { GcHeap::new(chunks * GC_CHUNK_SIZE, NonNull::from(runs), false) }.unwrap()
    }

    /// A collection of `heap` keeping exactly the objects `live`: the bytes freed.
    fn collect(heap: &mut GcHeap, live: &[usize]) -> usize {
        heap.retire_runs();
        for &addr in live {
            assert!(heap.mark(addr));
        }
        heap.sweep()
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
    fn bit_ranges_are_set_and_found() {
        for (start, end) in [
            (0, 0),
            (0, 1),
            (3, 64),
            (0, 64),
            (63, 65),
            (5, 150),
            (64, 128),
        ] {
            let mut bits = [0u64; 3];
            set_bits(&mut bits, start, end, true);
            for i in 0..192 {
                assert_eq!(
                    bit(&bits, i),
                    (start..end).contains(&i),
                    "{start}..{end}: {i}"
                );
            }
            assert_eq!(
                find_bit(&bits, 0, 192, true),
                if start < end { start } else { 192 }
            );
            assert_eq!(find_bit(&bits, start, 192, false), end);
            assert_eq!(
                find_bit(&bits, start, start.min(100), false),
                start.min(100)
            );
            set_bits(&mut bits, start, end, false);
            assert_eq!(bits, [0; 3]);
        }
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
            // SAFETY: a live object of 64 bytes.
            unsafe { *(addr as *mut usize) = addr };
        }
        collect(&mut heap, &kept);
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
        // The run of the class took the whole chunk.
        assert_eq!(heap.allocated_bytes(), GC_CHUNK_SIZE);
        heap.retire_runs();
        assert_eq!(heap.allocated_bytes(), 100 * 32);
        for (i, &addr) in objects.iter().enumerate() {
            // SAFETY: 32 bytes of an allocated object.
            unsafe { *(addr as *mut u64) = i as u64 };
            if i % 2 == 0 {
                assert!(heap.mark(addr));
                assert!(!heap.mark(addr), "marked twice");
            }
        }
        assert!(!heap.mark(objects[0] + 8), "not the start of an object");
        assert!(!heap.mark(objects[99] + 32), "a retired slot");
        assert_eq!(heap.sweep(), 50 * 32);
        assert_eq!(heap.allocated_bytes(), 50 * 32);
        for (i, &addr) in objects.iter().enumerate() {
            if i % 2 == 0 {
                // SAFETY: a surviving object.
                assert_eq!(unsafe { *(addr as *const u64) }, i as u64);
                assert!(!heap.is_marked(addr), "marks are cleared");
            }
        }
        // The freed slots are reused, zeroed, in runs between the survivors, lowest first.
        let reused: Vec<usize> = (0..50).map(|_| heap.alloc(32).unwrap()).collect();
        let odd: Vec<usize> = objects.iter().copied().skip(1).step_by(2).collect();
        assert_eq!(reused, odd);
        for addr in &reused {
            // SAFETY: an allocated object.
            assert_eq!(unsafe { *(*addr as *const u64) }, 0);
        }
        // Then the rest of the chunk, in one run.
        assert_eq!(heap.alloc(32).unwrap(), objects[99] + 32);
        assert_eq!(heap.run(2).limit, objects[0] + GC_CHUNK_SIZE);
    }

    #[test]
    fn empty_chunks_and_large_objects_return_to_the_heap() {
        let mut heap = heap(4);
        let big = heap.alloc(3 * GC_CHUNK_SIZE).unwrap();
        assert!(heap.alloc(2 * GC_CHUNK_SIZE).is_none());
        let small = heap.alloc(16).unwrap();
        assert_eq!(collect(&mut heap, &[small]), 3 * GC_CHUNK_SIZE);
        // The large object's chunks now serve another large object.
        let again = heap.alloc(2 * GC_CHUNK_SIZE).unwrap();
        assert_eq!(again, big);
        // An empty small chunk is free for any use.
        assert_eq!(collect(&mut heap, &[]), 16 + 2 * GC_CHUNK_SIZE);
        assert_eq!(heap.allocated_bytes(), 0);
        assert!(heap.alloc(4 * GC_CHUNK_SIZE).is_some());
    }

    #[test]
    fn single_slot_runs_hold_one_slot() {
        let runs = Box::leak(Box::new([VMGcRun::default(); CLASSES]));
        // SAFETY: the runs are leaked, so they outlive the heap, and only it uses them.
        let mut heap =
            unsafe { GcHeap::new(4 * GC_CHUNK_SIZE, NonNull::from(runs), true) }.unwrap();
        let first = heap.alloc(24).unwrap();
        assert_eq!(heap.allocated_bytes(), 24);
        let run = *heap.run(1);
        assert_eq!(run.cursor, run.limit);
        assert_eq!(heap.alloc(24).unwrap(), first + 24);
    }

    #[test]
    fn free_chunks_stay_committed_up_to_the_budget() {
        let mut heap = heap(8);
        for _ in 0..6 * (GC_CHUNK_SIZE / 64) {
            let addr = heap.alloc(64).unwrap();
            // SAFETY: a new object of 64 bytes.
            unsafe { std::ptr::write_bytes(addr as *mut u8, 0xff, 64) };
        }
        collect(&mut heap, &[]);
        let dirty = |heap: &GcHeap| heap.chunks.iter().filter(|chunk| chunk.dirty).count();
        assert_eq!(dirty(&heap), 6);
        heap.release_free_chunks(2 * GC_CHUNK_SIZE);
        assert_eq!(dirty(&heap), 2);
        assert!(
            heap.chunks[0].dirty && heap.chunks[1].dirty,
            "the lowest are kept"
        );
        // A released chunk reads as zero and is used without zeroing; a kept one is zeroed.
        let addr = heap.alloc(GC_CHUNK_SIZE * 3).unwrap();
        // SAFETY: a large object of three chunks.
        let bytes = unsafe { std::slice::from_raw_parts(addr as *const u8, 3 * GC_CHUNK_SIZE) };
        assert!(bytes.iter().all(|b| *b == 0));
    }
}
