//! The tests of `memory64.rs`, run with the pooling allocator (see `common::engine`).

#[path = "memory64.rs"]
mod memory64;
