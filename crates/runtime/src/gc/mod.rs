//! Garbage collection (see `docs/gc.md`): the heap of GC objects.

mod heap;

pub use heap::GcHeap;
