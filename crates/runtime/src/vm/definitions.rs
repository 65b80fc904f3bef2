//! How generated code sees a linear memory, a table and a global.

use std::cell::UnsafeCell;
use std::sync::atomic::AtomicUsize;

/// A linear memory as generated code sees it.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryDefinition {
    /// Base address; constant for the memory's lifetime.
    pub base: *mut u8,
    /// Current length in bytes. Atomic because a shared memory grown on one thread is read
    /// by generated code and the host on others; it only ever increases.
    pub length: AtomicUsize,
}

/// A table as generated code sees it.
#[repr(C)]
#[derive(Debug)]
pub struct VMTableDefinition {
    /// Address of element 0.
    pub base: *mut u8,
    /// Current number of elements.
    pub length: usize,
}

/// Storage of one global: 16 bytes, enough for any value.
#[repr(C, align(16))]
#[derive(Debug, Default)]
pub struct VMGlobalDefinition {
    /// The value's bytes (little-endian, at offset 0).
    pub storage: UnsafeCell<[u8; 16]>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::assert_offsets;
    use wasmfx_environ::{memory_def, table_def, GLOBAL_DEF_SIZE};

    #[test]
    fn offsets_match_compiler() {
        assert_offsets!(VMMemoryDefinition {
            base => memory_def::BASE,
            length => memory_def::LENGTH,
        });
        assert_eq!(size_of::<VMMemoryDefinition>() as u32, memory_def::SIZE);
        assert_offsets!(VMTableDefinition {
            base => table_def::BASE,
            length => table_def::LENGTH,
        });
        assert_eq!(size_of::<VMTableDefinition>() as u32, table_def::SIZE);
        assert_eq!(size_of::<VMGlobalDefinition>() as u32, GLOBAL_DEF_SIZE);
    }
}
