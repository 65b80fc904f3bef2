//! The tests of `simd.rs`, run with the pooling allocator (see `common::engine`).

#[path = "simd.rs"]
mod simd;
