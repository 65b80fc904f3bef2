//! The tests of `continuations.rs`, run with the pooling allocator (see `common::engine`).

#[path = "continuations.rs"]
mod continuations;
