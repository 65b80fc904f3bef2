#!/usr/bin/env python3
"""Compares builds of the same C programs (`ci/bench-simd`: with and without -msimd128;
`ci/bench-memory64`: wasm32 and wasm64): each program is built by Zig's clang once per build,
each build run as a whole process by the release `wasmfx run` and by the prebuilt wasmtime
CLI 49 (ci/install-wasmtime) in the same run, under hyperfine. Every build on every engine must
print the same. Prints, per program, the median and min-max of each build on each engine,
each build over the first build on the same engine, and wasmfx over wasmtime on the same
file. Options: --runs N (default 5), --warmup N (default 1)."""

import sys

import bench


def build(cc, source, name, flags):
    """The module of `source` built with `flags` as `NAME.wasm`, rebuilt when out of date."""
    target = bench.BUILD / f"{source.stem}.{name}.wasm"
    if bench.stale(target, [source]):
        bench.log(f"building {target.name}")
        bench.run([cc, *flags, str(source), "-o", str(target)])
    return target


def compare_builds(title, programs, workloads, builds, invoke=None):
    """Benchmarks `workloads` ({program: arguments}) of the folder `programs`, each built with
    every entry of `builds` ({name: clang flags}; the first is the baseline of the ratios).
    With `invoke`, runs that export with the arguments instead of the program's `_start`."""
    args, tools, wasmtime, wasmfx = bench.against_wasmtime(title)
    run = ["run"] + (["--invoke", invoke] if invoke else [])
    engines = {
        "wasmfx": [wasmfx, *run],
        "wasmtime": [wasmtime, *run],
    }
    baseline = next(iter(builds))
    print(f"| program | build | engine | median | min–max | ÷ {baseline} | wasmfx ÷ wasmtime |")
    print("|---|---|---|---|---|---|---|")
    for program, program_args in workloads.items():
        source = programs / f"{program}.c"
        files = {name: build(tools["CC"], source, name, flags) for name, flags in builds.items()}
        times = {}
        outputs = set()
        for name, path in files.items():
            for engine, command in engines.items():
                cmd = [*command, str(path), *program_args]
                outputs.add(bench.output_of(cmd))
                times[name, engine] = bench.measure(tools["HYPERFINE"], cmd,
                                                    f"{program}-{name}-{engine}",
                                                    args.runs, args.warmup)
        if len(outputs) != 1:
            sys.exit(f"bench: {program}: the builds and engines disagree: {outputs}")
        for (name, engine), (median, low, high) in times.items():
            build_ratio = (f"{median / times[baseline, engine][0]:.2f}x"
                           if name != baseline else "–")
            engine_ratio = (f"{median / times[name, 'wasmtime'][0]:.2f}x"
                            if engine == "wasmfx" else "–")
            print(f"| {program} {' '.join(program_args)} | {name} | {engine} | "
                  f"{bench.fmt_time(median)} | {bench.fmt_time(low)}–{bench.fmt_time(high)} | "
                  f"{build_ratio} | {engine_ratio} |")
    return 0
