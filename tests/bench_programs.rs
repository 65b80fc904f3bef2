//! The benchmark suite's hand-written typed-continuation programs (benches/programs/*.wat)
//! compute the right result: each exits 0 only when its result checks out. (The C variants
//! need Zig and Binaryen and are checked by `ci/bench`.)

use std::process::Command;

#[test]
fn benchmark_programs_compute_their_results() {
    for workload in ["c10m", "sieve", "skynet", "state"] {
        let path = format!("benches/programs/{workload}.wat");
        let output = Command::new(env!("CARGO_BIN_EXE_wasmfx"))
            .args(["run", "-C", "cache=n", &path])
            .output()
            .expect("runs wasmfx");
        assert!(
            output.status.success(),
            "{workload}: {:?}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
