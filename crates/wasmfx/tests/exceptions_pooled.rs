//! The tests of `exceptions.rs`, run with the pooling allocator (see `common::engine`).

#[path = "exceptions.rs"]
mod exceptions;
