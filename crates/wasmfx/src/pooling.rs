//! How instances get their memories, tables and continuation stacks: on demand, or from the
//! pooling allocator's pre-reserved regions.

use wasmfx_runtime::pooling::PoolLimits;

/// The instance allocation strategy of an engine ([`Config::allocation_strategy`]).
///
/// [`Config::allocation_strategy`]: crate::Config::allocation_strategy
#[derive(Clone, Debug, Default)]
pub enum InstanceAllocationStrategy {
    /// Every memory, table and continuation stack is allocated when it is needed (the
    /// default).
    #[default]
    OnDemand,
    /// Memories, tables and continuation stacks come from regions reserved when the engine is
    /// created, and instances are counted, all against the limits of a [`PoolingConfig`].
    Pooling(PoolingConfig),
}

/// Limits of the pooling allocator. Every limit applies to all stores of the engine together;
/// going past one is an error at instantiation (or at `cont.new`, for stacks), never a crash.
#[derive(Clone, Debug)]
pub struct PoolingConfig {
    pub(crate) limits: PoolLimits,
    pub(crate) stack_size: Option<usize>,
}

impl Default for PoolingConfig {
    fn default() -> Self {
        PoolingConfig {
            limits: PoolLimits {
                total_instances: 1000,
                total_memories: 1000,
                total_tables: 1000,
                total_stacks: 1000,
                max_memory_size: 4 << 30,
                table_elements: 20_000,
                stack_size: 0,
                memory_keep_resident: 0,
                table_keep_resident: 0,
                stack_keep_resident: usize::MAX,
            },
            stack_size: None,
        }
    }
}

macro_rules! limit_setters {
    ($( $(#[$doc:meta])* $name:ident, )*) => {
        $(
            $(#[$doc])*
            pub fn $name(&mut self, n: usize) -> &mut Self {
                self.limits.$name = n;
                self
            }
        )*
    };
}

impl PoolingConfig {
    /// Limits with the defaults: 1,000 each of instances, memories, tables and continuation
    /// stacks; memories of up to 4 GiB; tables of up to 20,000 elements; stacks of the
    /// engine's continuation stack size; nothing of freed memories and tables kept resident,
    /// freed stacks kept whole.
    pub fn new() -> PoolingConfig {
        PoolingConfig::default()
    }

    limit_setters! {
        /// How many instances may exist at once.
        total_instances,
        /// How many linear memories may exist at once. Each takes a slot of 8 GiB of address
        /// space (accessible pages and the guard region that makes bounds checks unnecessary);
        /// only pages in use are committed.
        total_memories,
        /// How many tables may exist at once.
        total_tables,
        /// How many continuation stacks may be in use at once. A store keeps the stacks of
        /// finished continuations for its next ones and returns them all when it is dropped.
        total_stacks,
        /// The most bytes a pooled linear memory may have (a module whose memory needs more is
        /// refused at instantiation; growing past it fails).
        max_memory_size,
        /// The most elements a pooled table may have, whatever its element type: the region
        /// strides tables by this many 16-byte elements (the widest, a continuation's fat
        /// pointer), and a table commits only its elements times its own element size.
        table_elements,
        /// How many bytes of a freed memory's slot stay resident (zeroed) for the next memory.
        memory_keep_resident,
        /// How many bytes of a freed table's slot stay resident (zeroed) for the next table.
        table_keep_resident,
        /// How many bytes at the top of a freed continuation stack stay resident; the rest is
        /// released to the kernel. By default the whole stack stays, as with on-demand stacks,
        /// which their store keeps until it is dropped: freeing then costs no system call.
        stack_keep_resident,
    }

    /// The usable size of each pooled continuation stack, in bytes; by default the engine's
    /// [`Config::continuation_stack_size`](crate::Config::continuation_stack_size). With the
    /// pooling allocator, this size applies to every continuation.
    pub fn continuation_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.stack_size = Some(bytes);
        self
    }

    /// The limits, with the stack size resolved against the engine's `default_stack_size`.
    pub(crate) fn limits(&self, default_stack_size: usize) -> PoolLimits {
        PoolLimits {
            stack_size: self.stack_size.unwrap_or(default_stack_size),
            ..self.limits
        }
    }
}
