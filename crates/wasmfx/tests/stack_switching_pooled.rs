//! The tests of `stack_switching.rs`, run with the pooling allocator (see `common::engine`).

#[path = "stack_switching.rs"]
mod stack_switching;
