//! The tests of `limits.rs`, run with the pooling allocator (see `common::engine`).

#[path = "limits.rs"]
mod limits;
