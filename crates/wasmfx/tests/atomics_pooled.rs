//! The tests of `atomics.rs`, run with the pooling allocator (see `common::engine`).

#[path = "atomics.rs"]
mod atomics;
