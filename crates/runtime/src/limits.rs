//! [`ResourceLimiter`]: what a store's host may refuse as its wasm grows. The runtime asks it
//! before a memory or table grows (`memory.grow`, `table.grow`, or the host's calls) and before
//! `cont.new` takes a new continuation stack; the embedding API also asks it how many
//! instances, memories and tables a store may hold.

use anyhow::Result;

/// The default for [`ResourceLimiter::instances`], [`ResourceLimiter::memories`] and
/// [`ResourceLimiter::tables`] (as in wasmtime).
pub const DEFAULT_COUNT_LIMIT: usize = 10_000;

/// Decides, for one store, whether its memories, tables and continuations may grow.
///
/// Installed with `Store::limiter`. Returning `Ok(false)` refuses: `memory.grow` and
/// `table.grow` then return -1 as the spec says, and `cont.new` traps "continuation limit
/// reached". Returning an error makes the instruction trap with that error.
pub trait ResourceLimiter {
    /// A memory grows from `current` to `desired` bytes; `maximum` is its declared maximum
    /// (in bytes), if any. Also asked with `current == 0` when a memory is created.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// A memory growth that [`memory_growing`](Self::memory_growing) allowed failed anyway
    /// (past the declared maximum, or out of memory). By default this is not an error.
    fn memory_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        let _ = error;
        Ok(())
    }

    /// A table grows from `current` to `desired` elements; `maximum` is its declared
    /// maximum, if any. Also asked with `current == 0` when a table is created.
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// A table growth that [`table_growing`](Self::table_growing) allowed failed anyway. By
    /// default this is not an error.
    fn table_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        let _ = error;
        Ok(())
    }

    /// `cont.new` needs a new continuation stack of `stack_size` bytes while `current`
    /// continuations of the store already hold one (running, suspended, not started yet, or
    /// finished and kept for reuse). A continuation that finished gives its stack to the next
    /// `cont.new` without asking. By default every stack is allowed.
    fn continuation_allocating(&mut self, current: usize, stack_size: usize) -> Result<bool> {
        let _ = (current, stack_size);
        Ok(true)
    }

    /// How many instances the store may hold.
    fn instances(&self) -> usize {
        DEFAULT_COUNT_LIMIT
    }

    /// How many memories the store may hold (defined by instances or created by the host).
    fn memories(&self) -> usize {
        DEFAULT_COUNT_LIMIT
    }

    /// How many tables the store may hold (defined by instances or created by the host).
    fn tables(&self) -> usize {
        DEFAULT_COUNT_LIMIT
    }
}

/// `pages` wasm pages in bytes, as a limiter is told them (saturating).
pub fn pages_to_bytes(pages: u64) -> usize {
    usize::try_from(pages)
        .unwrap_or(usize::MAX)
        .saturating_mul(crate::WASM_PAGE_SIZE)
}

/// `elements` table elements as a limiter is told them (saturating).
pub fn elements_to_usize(elements: u64) -> usize {
    usize::try_from(elements).unwrap_or(usize::MAX)
}

/// What grows: a memory (sizes in bytes) or a table (sizes in elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Growth {
    /// A linear memory.
    Memory,
    /// A table.
    Table,
}

/// Runs `grow` (which returns the old size, or `None` when it cannot grow) if `limiter`
/// allows growing from `current` to `desired` (bytes or elements, as `kind` says), and tells
/// the limiter when an allowed growth failed. `Ok(None)` means the growth was refused or
/// failed; an error from the limiter is returned as it is.
pub(crate) fn grow_limited(
    limiter: Option<&mut dyn ResourceLimiter>,
    kind: Growth,
    (current, desired, maximum): (usize, usize, Option<usize>),
    grow: impl FnOnce() -> Option<u64>,
) -> Result<Option<u64>> {
    // Growing by nothing changes nothing to limit (as in wasmtime, the limiter is not asked).
    let Some(limiter) = limiter.filter(|_| desired != current) else {
        return Ok(grow());
    };
    let allowed = match kind {
        Growth::Memory => limiter.memory_growing(current, desired, maximum)?,
        Growth::Table => limiter.table_growing(current, desired, maximum)?,
    };
    if !allowed {
        return Ok(None);
    }
    if let Some(old) = grow() {
        return Ok(Some(old));
    }
    match kind {
        Growth::Memory => limiter.memory_grow_failed(anyhow::anyhow!(
            "failed to grow memory from {current} to {desired} bytes"
        ))?,
        Growth::Table => limiter.table_grow_failed(anyhow::anyhow!(
            "failed to grow table from {current} to {desired} elements"
        ))?,
    }
    Ok(None)
}
