//! The pooling allocator: regions reserved once, carved into fixed-size slots, so that
//! instantiation and continuation creation do not pay for `mmap`.

mod memory_pool;
mod slots;
mod stack_pool;
mod table_pool;

pub use memory_pool::{MemoryPool, PooledMemorySlot};
pub use stack_pool::StackPool;
pub use table_pool::{PooledTableSlot, TablePool};

use anyhow::{bail, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The limits of a pooling allocator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// Instances alive at once.
    pub total_instances: usize,
    /// Linear memories alive at once.
    pub total_memories: usize,
    /// Tables alive at once.
    pub total_tables: usize,
    /// Continuation stacks in use at once (by live or recyclable continuations).
    pub total_stacks: usize,
    /// The most bytes a pooled memory may have.
    pub max_memory_size: usize,
    /// The most elements a pooled table may have, whatever its element type.
    pub table_elements: usize,
    /// Usable bytes of each pooled continuation stack.
    pub stack_size: usize,
    /// Bytes of a freed memory slot kept resident (zeroed).
    pub memory_keep_resident: usize,
    /// Bytes of a freed table slot kept resident (zeroed).
    pub table_keep_resident: usize,
    /// Bytes at the top of a freed stack kept resident (left as they are).
    pub stack_keep_resident: usize,
}

/// Every pool of one pooling allocator.
#[derive(Debug, Clone)]
pub struct Pools {
    /// Instance count.
    pub instances: Arc<InstanceCounter>,
    /// Linear memory slots.
    pub memories: Arc<MemoryPool>,
    /// Table slots.
    pub tables: Arc<TablePool>,
    /// Continuation stack slots.
    pub stacks: Arc<StackPool>,
}

impl Pools {
    /// Reserves every region for `limits`.
    pub fn new(limits: &PoolLimits) -> Result<Pools> {
        Ok(Pools {
            instances: Arc::new(InstanceCounter::new(limits.total_instances)),
            memories: Arc::new(MemoryPool::new(
                limits.total_memories,
                limits.max_memory_size,
                limits.memory_keep_resident,
            )?),
            tables: Arc::new(TablePool::new(
                limits.total_tables,
                limits.table_elements,
                limits.table_keep_resident,
            )?),
            stacks: Arc::new(StackPool::new(
                limits.total_stacks,
                limits.stack_size,
                limits.stack_keep_resident,
            )?),
        })
    }
}

/// Counts the instances alive at once against a limit.
#[derive(Debug)]
pub struct InstanceCounter {
    max: usize,
    live: AtomicUsize,
}

impl InstanceCounter {
    /// A counter allowing `max` instances.
    pub fn new(max: usize) -> InstanceCounter {
        InstanceCounter {
            max,
            live: AtomicUsize::new(0),
        }
    }

    /// Counts one more instance until the permit is dropped.
    pub fn acquire(self: &Arc<Self>) -> Result<InstancePermit> {
        let admitted = self
            .live
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            });
        if admitted.is_err() {
            bail!(
                "pooling allocator: maximum number of instances ({}) reached",
                self.max
            );
        }
        Ok(InstancePermit(self.clone()))
    }
}

/// One instance's place in an [`InstanceCounter`].
#[derive(Debug)]
pub struct InstancePermit(Arc<InstanceCounter>);

impl Drop for InstancePermit {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Resident pages of `[addr, addr + len)` (page-aligned), for tests that measure what a pool
/// commits.
#[cfg(test)]
pub(crate) fn resident_pages(addr: usize, len: usize) -> usize {
    let page = rustix::param::page_size();
    let mut vec = vec![0u8; len.div_ceil(page)];
    // SAFETY: `vec` has one byte per page of the range.
    let r = unsafe { libc::mincore(addr as *mut _, len, vec.as_mut_ptr()) };
    assert_eq!(r, 0, "mincore");
    vec.iter().filter(|b| **b & 1 != 0).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_counter_admits_up_to_its_limit() {
        let counter = Arc::new(InstanceCounter::new(2));
        let a = counter.acquire().unwrap();
        let _b = counter.acquire().unwrap();
        let err = counter.acquire().unwrap_err();
        assert!(
            err.to_string()
                .contains("maximum number of instances (2) reached"),
            "{err}"
        );
        drop(a);
        counter.acquire().unwrap();
    }
}
