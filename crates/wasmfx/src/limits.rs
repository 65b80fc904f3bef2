//! Store limits: [`ResourceLimiter`] (defined by the runtime, which asks it), the ready-made
//! [`StoreLimits`] and its builder, and the adapter through which a store reaches the limiter
//! its host data holds (installed by [`Store::limiter`](crate::Store::limiter)).

use crate::store::StoreOpaque;
use anyhow::{bail, Result};
use std::cell::RefCell;
pub use wasmfx_runtime::{ResourceLimiter, DEFAULT_COUNT_LIMIT};

/// Builds [`StoreLimits`]; everything not set is unlimited, except the counts of instances,
/// memories and tables, which default to [`DEFAULT_COUNT_LIMIT`] (as in wasmtime).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// Limits with nothing set.
    pub fn new() -> StoreLimitsBuilder {
        StoreLimitsBuilder::default()
    }

    /// The largest size, in bytes, any linear memory of the store may reach.
    pub fn memory_size(mut self, bytes: usize) -> Self {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The most elements any table of the store may have.
    pub fn table_elements(mut self, elements: usize) -> Self {
        self.0.table_elements = Some(elements);
        self
    }

    /// How many instances the store may hold.
    pub fn instances(mut self, count: usize) -> Self {
        self.0.instances = count;
        self
    }

    /// How many memories the store may hold.
    pub fn memories(mut self, count: usize) -> Self {
        self.0.memories = count;
        self
    }

    /// How many tables the store may hold.
    pub fn tables(mut self, count: usize) -> Self {
        self.0.tables = count;
        self
    }

    /// How many continuations of the store may hold a stack at once (running, suspended, not
    /// started yet, or finished and kept for reuse); `cont.new` past it traps.
    pub fn continuations(mut self, count: usize) -> Self {
        self.0.continuations = Some(count);
        self
    }

    /// How many bytes the store's continuation stacks may take together (guard pages
    /// included); `cont.new` past it traps.
    pub fn continuation_memory(mut self, bytes: usize) -> Self {
        self.0.continuation_memory = Some(bytes);
        self
    }

    /// Makes a refused or failed `memory.grow` or `table.grow` trap instead of returning -1.
    pub fn trap_on_grow_failure(mut self, trap: bool) -> Self {
        self.0.trap_on_grow_failure = trap;
        self
    }

    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}

/// A [`ResourceLimiter`] with fixed limits, made by [`StoreLimitsBuilder`]. Keep it in the
/// store's host data and install it with [`Store::limiter`](crate::Store::limiter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    table_elements: Option<usize>,
    instances: usize,
    memories: usize,
    tables: usize,
    continuations: Option<usize>,
    continuation_memory: Option<usize>,
    trap_on_grow_failure: bool,
}

impl Default for StoreLimits {
    fn default() -> StoreLimits {
        StoreLimits {
            memory_size: None,
            table_elements: None,
            instances: DEFAULT_COUNT_LIMIT,
            memories: DEFAULT_COUNT_LIMIT,
            tables: DEFAULT_COUNT_LIMIT,
            continuations: None,
            continuation_memory: None,
            trap_on_grow_failure: false,
        }
    }
}

impl StoreLimits {
    /// What a growth that failed anyway means: an error with `trap_on_grow_failure`.
    fn grow_failed(&self, error: anyhow::Error) -> Result<()> {
        if self.trap_on_grow_failure {
            return Err(error);
        }
        Ok(())
    }

    /// Whether growing to `desired` stays within `limit`; past it, an error with
    /// `trap_on_grow_failure`.
    fn allow_growth(&self, what: &str, desired: usize, limit: Option<usize>) -> Result<bool> {
        match limit {
            Some(limit) if desired > limit => {
                if self.trap_on_grow_failure {
                    bail!("{what} of {desired} exceeds the store's limit of {limit}");
                }
                Ok(false)
            }
            _ => Ok(true),
        }
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _: Option<usize>,
    ) -> Result<bool> {
        self.allow_growth("a memory size in bytes", desired, self.memory_size)
    }

    fn memory_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        self.grow_failed(error)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _: Option<usize>) -> Result<bool> {
        self.allow_growth("a table size in elements", desired, self.table_elements)
    }

    fn table_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        self.grow_failed(error)
    }

    fn continuation_allocating(&mut self, current: usize, stack_size: usize) -> Result<bool> {
        let within_count = self.continuations.is_none_or(|limit| current < limit);
        let within_memory = self.continuation_memory.is_none_or(|limit| {
            (current + 1)
                .checked_mul(stack_size)
                .is_some_and(|total| total <= limit)
        });
        Ok(within_count && within_memory)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn memories(&self) -> usize {
        self.memories
    }

    fn tables(&self) -> usize {
        self.tables
    }
}

/// Fails when the store already holds as many `what` (`held`) as its limiter, if it has one,
/// allows (`limit` of the limiter).
pub(crate) fn check_count(
    store: &mut StoreOpaque,
    held: usize,
    limit: fn(&dyn ResourceLimiter) -> usize,
    what: &str,
) -> Result<()> {
    if let Some(limiter) = store.state.limiter_mut() {
        let limit = limit(limiter);
        if held >= limit {
            bail!("resource limit exceeded: the store may hold {limit} {what}");
        }
    }
    Ok(())
}

/// The closure a store was given to find its limiter in the host data.
pub(crate) type LimiterLookup<T> =
    Box<dyn (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync>;

/// The limiter the runtime holds for a store: it finds the host's limiter in the store's
/// host data on every question.
pub(crate) struct HostDataLimiter<T> {
    /// The store's host data (boxed with the store, so it does not move).
    data: *mut T,
    lookup: RefCell<LimiterLookup<T>>,
}

impl<T> HostDataLimiter<T> {
    /// A limiter reaching `lookup(data)`.
    pub(crate) fn new(data: *mut T, lookup: LimiterLookup<T>) -> HostDataLimiter<T> {
        HostDataLimiter {
            data,
            lookup: RefCell::new(lookup),
        }
    }

    /// Asks the host's limiter.
    fn ask<R>(&self, question: impl FnOnce(&mut dyn ResourceLimiter) -> R) -> R {
        let mut lookup = self.lookup.borrow_mut();
        // SAFETY: the host data is boxed with the store that holds this limiter and never
        // moves. The limiter is asked only from the store's own work: by a builtin while wasm
        // runs (the host's borrow of the store is lent to that call, as it is to host
        // functions) or by the embedding API through the store's opaque part, which does not
        // touch the host data; no other reference to the data is used meanwhile.
        question(lookup(unsafe { &mut *self.data }))
    }
}

impl<T> ResourceLimiter for HostDataLimiter<T> {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> Result<bool> {
        self.ask(|l| l.memory_growing(current, desired, max))
    }

    fn memory_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        self.ask(|l| l.memory_grow_failed(error))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> Result<bool> {
        self.ask(|l| l.table_growing(current, desired, max))
    }

    fn table_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
        self.ask(|l| l.table_grow_failed(error))
    }

    fn continuation_allocating(&mut self, current: usize, stack_size: usize) -> Result<bool> {
        self.ask(|l| l.continuation_allocating(current, stack_size))
    }

    fn instances(&self) -> usize {
        self.ask(|l| l.instances())
    }

    fn memories(&self) -> usize {
        self.ask(|l| l.memories())
    }

    fn tables(&self) -> usize {
        self.ask(|l| l.tables())
    }
}
