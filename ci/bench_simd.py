#!/usr/bin/env python3
"""The SIMD benchmark (`ci/bench-simd`): each C program of benches/programs/simd/ built by
Zig's clang with `-O3` alone and with `-O3 -msimd128`, run by wasmfx and wasmtime 49 in one
run (see ci/bench_builds.py). Options: --runs N (default 5), --warmup N (default 1)."""

import sys

import bench
from bench_builds import compare_builds

# Each program with the arguments of a run of about a second.
WORKLOADS = {
    "matmul": ["1024", "1"],
    "blur": ["4096", "4096", "30"],
}
BUILDS = {"scalar": bench.C_FLAGS, "simd": [*bench.C_FLAGS, "-msimd128"]}

if __name__ == "__main__":
    sys.exit(compare_builds(__doc__.splitlines()[0], bench.PROGRAMS / "simd", WORKLOADS, BUILDS))
