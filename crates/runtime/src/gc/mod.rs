//! Garbage collection (see `docs/gc.md`): the heap of GC objects, and the runtime's side of
//! the GC instructions.

pub(crate) mod address_hash;
pub(crate) mod collector;
mod frames;
mod heap;
mod host_roots;
pub(crate) mod objects;
mod trace;

pub(crate) use trace::{TraceLayout, TraceLayouts};

pub use heap::GcHeap;
pub use host_roots::{HostRoots, RootHandle};
