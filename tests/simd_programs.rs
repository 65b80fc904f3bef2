//! C programs vectorised for SIMD (`benches/programs/simd/`, built by Zig's clang with
//! `-O3 -msimd128` and with `-O3` alone) print the same, right output under `wasmfx run`, and
//! the SIMD builds really use SIMD. The expected lines were checked with wasmtime 49. (`ci/bench-simd`
//! times the same programs.)
//!
//! Zig comes from PyPI through `ci/install-zig`; without it, the tests say so and pass
//! without running.

mod common;

use common::{compile_c, text, wasmfx_with_input};
use std::path::Path;

/// Builds `benches/programs/simd/PROGRAM.c` with and without SIMD, and checks both print
/// `expected` (plus a newline) when run with `args`, and that the SIMD build needs SIMD.
fn check(program: &str, args: &[&str], expected: &str) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/programs/simd")
        .join(format!("{program}.c"));
    let wasi = "--target=wasm32-wasi";
    for (build, flags) in [
        ("simd", &[wasi, "-O3", "-msimd128"][..]),
        ("scalar", &[wasi, "-O3"][..]),
    ] {
        let name = format!("{program}-{build}");
        let Some(wasm) = compile_c(&source, "simd-programs", &name, flags) else {
            return;
        };
        let wasm = wasm.to_str().unwrap();
        let mut command = vec!["run", "-C", "cache=n", wasm];
        command.extend(args);
        let out = wasmfx_with_input(&command, b"");
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), format!("{expected}\n"), "{name}");

        let out = wasmfx_with_input(&["run", "-C", "cache=n", "-W", "simd=n", wasm], b"");
        assert_eq!(
            out.status.success(),
            build == "scalar",
            "{name} with SIMD off"
        );
    }
}

#[test]
fn vectorised_matrix_multiply() {
    check(
        "matmul",
        &["200", "3"],
        "matmul 200 x 200, 3 rounds: checksum -210.4375, c[0] 1.8125, c[last] -1.1250",
    );
}

#[test]
fn image_filter_with_simd_intrinsics() {
    check(
        "blur",
        &["1000", "700", "5"],
        "blur 1000 x 700, 5 passes: fnv1a 5fdedfa037603ef6, centre 135",
    );
    // Widths that leave a scalar tail after the 16-pixel vector loop, and none at all.
    check(
        "blur",
        &["17", "3", "1"],
        "blur 17 x 3, 1 passes: fnv1a 1476594a99601acd, centre 132",
    );
}
