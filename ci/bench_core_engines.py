#!/usr/bin/env python3
"""The programs of `ci/bench-core` (fib, heapsort, matmul: plain compute in
benches/programs/*.wat) run as whole processes by the release `wasmfx run --invoke` and by the
prebuilt wasmtime CLI 49 (ci/install-wasmtime) in the same run, under hyperfine, with warm
compilation caches on both sides (the warm-up runs compile). Both engines must print the same
result. Prints the median and min-max of each and wasmfx over wasmtime. Options: --runs N
(default 5), --warmup N (default 1)."""

import sys

import bench

# (export, file, argument): sized for about half a second each on the development machine.
PROGRAMS = [
    ("fib", "fib.wat", "38"),
    ("sort", "sort.wat", "1000000"),
    ("matmul", "matmul.wat", "400"),
]


def main():
    args, tools, wasmtime, wasmfx = bench.against_wasmtime(__doc__.splitlines()[0])
    engines = {"wasmfx": wasmfx, "wasmtime": wasmtime}
    print("| program | wasmfx median | min–max | wasmtime median | min–max | wasmfx ÷ wasmtime |")
    print("|---|---|---|---|---|---|")
    for export, file, argument in PROGRAMS:
        path = str(bench.PROGRAMS / file)
        times = {}
        outputs = set()
        for engine, exe in engines.items():
            cmd = [exe, "run", "--invoke", export, path, argument]
            outputs.add(bench.output_of(cmd))
            times[engine] = bench.measure(tools["HYPERFINE"], cmd, f"core-{export}-{engine}",
                                          args.runs, args.warmup)
        if len(outputs) != 1:
            sys.exit(f"bench: {export}: the engines disagree: {outputs}")
        (fx, fx_low, fx_high), (wt, wt_low, wt_high) = times["wasmfx"], times["wasmtime"]
        print(f"| {export}({argument}) | {bench.fmt_time(fx)} | {bench.fmt_time(fx_low)}–"
              f"{bench.fmt_time(fx_high)} | {bench.fmt_time(wt)} | {bench.fmt_time(wt_low)}–"
              f"{bench.fmt_time(wt_high)} | {fx / wt:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
