//! The benchmark suite's hand-written typed-continuation programs (benches/programs/*.wat)
//! compute the right result: each exits 0 only when its result checks out. (The C variants
//! need Zig and Binaryen and are checked by `ci/bench`.)

mod common;

#[test]
fn benchmark_programs_compute_their_results() {
    for workload in ["c10m", "sieve", "skynet", "state"] {
        let path = format!("benches/programs/{workload}.wat");
        let output = common::wasmfx_with_input(&["run", "-C", "cache=n", &path], b"");
        assert!(
            output.status.success(),
            "{workload}: {:?}\n{}",
            output.status,
            common::text(&output.stderr)
        );
    }
}
