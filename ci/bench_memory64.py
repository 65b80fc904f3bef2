#!/usr/bin/env python3
"""The memory64 benchmark (`ci/bench-memory64`): the memory-bound kernel of
benches/programs/memory64/ built by Zig's clang for wasm32 and for wasm64 (freestanding),
run by wasmfx and wasmtime 49 in one run (see ci/bench_builds.py).
Options: --runs N (default 5), --warmup N (default 1)."""

import sys

import bench
from bench_builds import compare_builds

WORKLOADS = {"scan": ["100"]}
FLAGS = ["-O3", "-s", "-nostdlib", "-Wl,--no-entry"]
BUILDS = {
    "wasm32": ["--target=wasm32-freestanding", *FLAGS],
    "wasm64": ["--target=wasm64-freestanding", *FLAGS],
}

if __name__ == "__main__":
    sys.exit(compare_builds(__doc__.splitlines()[0], bench.PROGRAMS / "memory64", WORKLOADS,
                           BUILDS, invoke="run"))
