#!/usr/bin/env python3
"""The SIMD benchmark (`ci/bench-simd`): each C program of benches/programs/simd/ built by
Zig's clang with `-O3 -msimd128` and with `-O3` alone, each build run as a whole process by
the release `wasmfx run` and by the prebuilt wasmtime CLI 49 (ci/install-wasmtime) in the
same script, under hyperfine. Both builds must print the same line. Prints, per program,
the median and min-max of each build on each engine, the SIMD build over the scalar build on
the same engine, and wasmfx over wasmtime on the same file.
Options: --runs N (default 5), --warmup N (default 1)."""

import argparse
import subprocess
import sys

import bench

PROGRAMS = bench.ROOT / "benches" / "programs" / "simd"
# Each program with the arguments of a run of a second or so.
WORKLOADS = {
    "matmul": ["1024", "1"],
    "blur": ["4096", "4096", "30"],
}
BUILDS = {"simd": ["-msimd128"], "scalar": []}


def build(cc, program, name, flags):
    """The module of `program` built with `flags`, rebuilt when out of date."""
    source = PROGRAMS / f"{program}.c"
    target = bench.BUILD / f"{program}.{name}.wasm"
    if bench.stale(target, [source]):
        bench.log(f"building {target.name}")
        bench.run([cc, *bench.C_FLAGS, *flags, str(source), "-o", str(target)])
    return target


def output_of(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench-simd: {' '.join(cmd)} failed: {out.stderr.strip()}")
    return out.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    tools = bench.setup_tools()
    wasmtime = subprocess.run([str(bench.ROOT / "ci" / "install-wasmtime")], check=True,
                              capture_output=True, text=True).stdout.strip()
    bench.run(["cargo", "build", "--release", "--quiet", "-p", "wasmfx-cli"], cwd=bench.ROOT)
    bench.BUILD.mkdir(parents=True, exist_ok=True)
    bench.RESULTS.mkdir(parents=True, exist_ok=True)
    engines = {
        "wasmfx": [str(bench.ROOT / "target" / "release" / "wasmfx"), "run"],
        "wasmtime": [wasmtime, "run"],
    }
    print("| program | build | engine | median | min–max | SIMD ÷ scalar | wasmfx ÷ wasmtime |")
    print("|---|---|---|---|---|---|---|")
    for program, program_args in WORKLOADS.items():
        files = {name: build(tools["CC"], program, name, flags)
                 for name, flags in BUILDS.items()}
        times = {}
        outputs = set()
        for name, path in files.items():
            for engine, command in engines.items():
                cmd = [*command, str(path), *program_args]
                outputs.add(output_of(cmd))
                times[name, engine] = bench.measure(tools["HYPERFINE"], cmd,
                                                    f"simd-{program}-{name}-{engine}",
                                                    args.runs, args.warmup)
        if len(outputs) != 1:
            sys.exit(f"bench-simd: {program}: the builds and engines disagree: {outputs}")
        for (name, engine), (median, low, high) in times.items():
            simd_ratio = (f"{median / times['scalar', engine][0]:.2f}x"
                          if name == "simd" else "–")
            engine_ratio = (f"{median / times[name, 'wasmtime'][0]:.2f}x"
                            if engine == "wasmfx" else "–")
            print(f"| {program} {' '.join(program_args)} | {name} | {engine} | "
                  f"{bench.fmt_time(median)} | {bench.fmt_time(low)}–{bench.fmt_time(high)} | "
                  f"{simd_ratio} | {engine_ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
