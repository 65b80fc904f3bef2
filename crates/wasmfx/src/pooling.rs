//! How instances get their tables (and, later, memories and continuation stacks): on demand,
//! or from the pooling allocator's pre-reserved regions.

/// The instance allocation strategy of an engine ([`Config::allocation_strategy`]).
///
/// [`Config::allocation_strategy`]: crate::Config::allocation_strategy
#[derive(Clone, Debug, Default)]
pub enum InstanceAllocationStrategy {
    /// Every table is allocated when it is created (the default).
    #[default]
    OnDemand,
    /// Tables come from one region reserved when the engine is created.
    Pooling(PoolingConfig),
}

/// Limits of the pooling allocator.
///
/// Pooled so far: tables. Memories and continuation stacks are still allocated on demand with
/// either strategy.
#[derive(Clone, Debug)]
pub struct PoolingConfig {
    pub(crate) total_tables: usize,
    pub(crate) table_elements: usize,
    pub(crate) table_keep_resident: usize,
}

impl Default for PoolingConfig {
    fn default() -> Self {
        PoolingConfig {
            total_tables: 1000,
            table_elements: 20_000,
            table_keep_resident: 0,
        }
    }
}

impl PoolingConfig {
    /// Limits with the defaults: 1,000 tables of up to 20,000 elements, none kept resident.
    pub fn new() -> PoolingConfig {
        PoolingConfig::default()
    }

    /// How many tables may exist at once in all stores of the engine.
    pub fn total_tables(&mut self, n: usize) -> &mut Self {
        self.total_tables = n;
        self
    }

    /// The most elements a pooled table may have, whatever its element type: the region
    /// strides tables by this many 16-byte elements (the widest, a continuation's fat
    /// pointer), and a table commits only its elements times its own element size.
    pub fn table_elements(&mut self, n: usize) -> &mut Self {
        self.table_elements = n;
        self
    }

    /// How many bytes of a freed table's slot stay resident (zeroed) for the next table.
    pub fn table_keep_resident(&mut self, bytes: usize) -> &mut Self {
        self.table_keep_resident = bytes;
        self
    }
}
