//! The tests of `gc_collect.rs`, run with the pooling allocator (see `common::pooled`).

#[path = "gc_collect.rs"]
mod gc_collect;
