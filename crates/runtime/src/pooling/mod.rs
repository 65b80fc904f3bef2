//! The pooling allocator: regions reserved once, carved into fixed-size slots, so that
//! instantiation and continuation creation do not pay for `mmap`.

mod table_pool;

pub use table_pool::{PooledTableSlot, TablePool};
