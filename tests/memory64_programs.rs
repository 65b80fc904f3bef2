//! A C program built by Zig's clang for wasm32 and for wasm64 (`benches/programs/memory64/`,
//! freestanding) gives the same, right result under `wasmfx run --invoke` (checked with
//! wasmtime 49), and the wasm64 build needs memory64. (`ci/bench-memory64` times the same
//! builds.)
//!
//! Zig comes from PyPI through `ci/install-zig`; without it, the test says so and passes
//! without running.

mod common;

use common::{compile_c, text, wasmfx_with_input};
use std::path::Path;

#[test]
fn memory_bound_kernel_for_wasm32_and_wasm64() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/programs/memory64/scan.c");
    for target in ["wasm32", "wasm64"] {
        let flags = [
            &format!("--target={target}-freestanding")[..],
            "-O2",
            "-nostdlib",
            "-Wl,--no-entry",
        ];
        let Some(wasm) = compile_c(
            &source,
            "memory64-programs",
            &format!("scan-{target}"),
            &flags,
        ) else {
            return;
        };
        let wasm = wasm.to_str().unwrap();
        let out = wasmfx_with_input(&["run", "-C", "cache=n", "--invoke", "run", wasm, "3"], b"");
        assert!(out.status.success(), "{target}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "5874122755\n", "{target}");

        let out = wasmfx_with_input(
            &["run", "-W", "memory64=n", "--invoke", "run", wasm, "3"],
            b"",
        );
        assert_eq!(
            out.status.success(),
            target == "wasm32",
            "{target} with memory64 off"
        );
    }
}
