//! Helpers shared by the in-process benchmarks: medians of timings and the process's
//! resident memory.

#![allow(dead_code)] // Each benchmark uses some of them.

use std::time::{Duration, Instant};

/// The median of `times`.
pub fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Median time per operation, in ns, of `runs` timings of `f`, which does `ops` operations.
pub fn per_op(runs: usize, ops: u32, mut f: impl FnMut()) -> f64 {
    let times = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    median(times).as_secs_f64() * 1e9 / f64::from(ops)
}

/// Resident set size of this process, in bytes.
pub fn resident_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number");
    kib * 1024
}
