#!/usr/bin/env python3
"""The GC benchmarks (`ci/bench-gc`): binary-trees (depth 18) and a continuation-heavy GC
workload (benches/programs/gc/), each run as a whole process by the release `wasmfx run` and
by the prebuilt wasmtime CLI 49 (installed by ci/install-wasmtime) in the same script, under
hyperfine. Prints median, min-max and peak RSS per engine and the time and RSS ratios.
Options: --runs N (default 5), --warmup N (default 1)."""

import sys

import bench

PROGRAMS = bench.ROOT / "benches" / "programs" / "gc"
WORKLOADS = ["binary_trees", "generator"]
WASMTIME_FLAGS = ["-W", "gc=y,function-references=y,stack-switching=y,exceptions=y"]


def main():
    args, tools, wasmtime, wasmfx = bench.against_wasmtime(__doc__.splitlines()[0])
    hyperfine = tools["HYPERFINE"]
    engines = {
        "wasmfx": [wasmfx, "run"],
        "wasmtime": [wasmtime, "run", *WASMTIME_FLAGS],
    }
    print("| workload | engine | median | min-max | peak RSS | time ÷ wasmtime | RSS ÷ wasmtime |")
    print("|---|---|---|---|---|---|---|")
    for workload in WORKLOADS:
        path = PROGRAMS / f"{workload}.wat"
        rows = {}
        for engine, command in engines.items():
            cmd = [*command, str(path)]
            failure, rss = bench.check_run(cmd)
            if failure:
                rows[engine] = (None, failure)
                continue
            rows[engine] = (bench.measure(hyperfine, cmd, f"gc-{workload}-{engine}",
                                          args.runs, args.warmup), rss)
        base = rows.get("wasmtime")
        for engine, (timing, rss) in rows.items():
            if timing is None:
                print(f"| {workload} | {engine} | failed: {rss} | | | | |")
                continue
            median, low, high = timing
            if base and base[0] is not None:
                time_ratio = f"{median / base[0][0]:.2f}x"
                rss_ratio = f"{rss / base[1]:.2f}x"
            else:
                time_ratio = rss_ratio = "–"
            print(f"| {workload} | {engine} | {bench.fmt_time(median)} | "
                  f"{bench.fmt_time(low)}–{bench.fmt_time(high)} | {rss // 1024} MiB | "
                  f"{time_ratio} | {rss_ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
