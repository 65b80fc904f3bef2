#!/usr/bin/env python3
"""The benchmark suite's harness (run through ci/bench).

Builds the programs of benches/programs/ that are missing or older than their sources, runs
every variant of every workload as a whole process (`wasmfx run FILE`, and `$WASMTIME run`
when WASMTIME is set) under hyperfine, several runs after a warm-up, and prints a table of
median time, min-max and peak resident memory, with each wasmfx time's ratio to the workload's
Asyncify variant and to its bespoke variant. The table also goes to
target/bench-report/benchmarks.md, with a bar chart in target/bench-report/benchmarks.svg.

Variants of each workload NAME:
  wasmfx          NAME.wat, hand-written with typed continuations
  bespoke         NAME.c, the computation in plain C, without coroutines
  fiber-asyncify  NAME_fiber.c on fiber.h, with fiber_asyncify.c, through
                  `wasm-opt -O2 --asyncify`
  fiber-wasmfx    NAME_fiber.c on fiber.h, merged with fiber_wasmfx.wat by `wasm-merge`,
                  then `wasm-opt -O2`
Each program checks its own result: exit status 0 means the result was right.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "benches" / "programs"
BUILD = ROOT / "target" / "bench" / "build"
RESULTS = ROOT / "target" / "bench" / "results"
REPORT = ROOT / "target" / "bench-report"
WORKLOADS = ["c10m", "sieve", "skynet", "state"]
VARIANTS = ["wasmfx", "bespoke", "fiber-asyncify", "fiber-wasmfx"]
# What each workload computes, for the report.
WORKLOAD_NOTES = {
    "c10m": "10,000 workers alive, 10,000,000 connections (count 10,010,000)",
    "sieve": "first 8,100 primes (about 33 million send round trips)",
    "skynet": "1,111,110 continuations, sum 499,999,500,000",
    "state": "count to 10,000,000 with get/put effects (about 30 million suspends)",
}
# The features Binaryen must accept in the programs it transforms.
BINARYEN_FEATURES = [
    "--enable-stack-switching", "--enable-reference-types", "--enable-gc",
    "--enable-exception-handling", "--enable-bulk-memory", "--enable-multivalue",
    "--enable-tail-call", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
    "--enable-mutable-globals", "--enable-extended-const",
]
C_FLAGS = ["--target=wasm32-wasi", "-O3", "-s"]
WASMTIME_FLAGS = ["-W", "stack-switching=y,exceptions=y,function-references=y"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    """Runs a build command, failing loudly."""
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"bench: `{' '.join(map(str, cmd))}` failed:\n{result.stdout}{result.stderr}")


def setup_tools():
    """Installs and locates the toolchain (ci/bench-setup)."""
    out = subprocess.run([str(ROOT / "ci" / "bench-setup")], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: ci/bench-setup failed:\n{out.stderr}")
    tools = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return tools


def against_wasmtime(description):
    """The setup of a script comparing wasmfx with wasmtime: parses --runs N (default 5) and
    --warmup N (default 1), installs the tools (ci/bench-setup) and wasmtime 49
    (ci/install-wasmtime), builds the release `wasmfx`, and returns (arguments, tools, path of
    wasmtime, path of wasmfx)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    tools = setup_tools()
    wasmtime = subprocess.run([str(ROOT / "ci" / "install-wasmtime")], check=True,
                              capture_output=True, text=True).stdout.strip()
    run(["cargo", "build", "--release", "--quiet", "-p", "wasmfx-cli"], cwd=ROOT)
    BUILD.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    return args, tools, wasmtime, str(ROOT / "target" / "release" / "wasmfx")


def output_of(cmd):
    """What `cmd` prints, failing loudly unless it exits 0."""
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {out.stderr.strip()}")
    return out.stdout


def stale(target, sources):
    return not target.exists() or any(s.stat().st_mtime > target.stat().st_mtime for s in sources)


def build(tools, workload, variant):
    """The file to run for `variant` of `workload`, built if missing or out of date."""
    if variant == "wasmfx":
        return PROGRAMS / f"{workload}.wat"
    headers = [PROGRAMS / "bench.h", PROGRAMS / "fiber.h"]
    cc, wasm_opt, wasm_merge = tools["CC"], tools["WASM_OPT"], tools["WASM_MERGE"]
    target = BUILD / f"{workload}.{variant}.wasm"
    if variant == "bespoke":
        sources = [PROGRAMS / f"{workload}.c"]
        if stale(target, sources + headers):
            log(f"building {target.name}")
            run([cc, *C_FLAGS, *sources, "-o", target])
    elif variant == "fiber-asyncify":
        sources = [PROGRAMS / f"{workload}_fiber.c", PROGRAMS / "fiber_asyncify.c"]
        if stale(target, sources + headers):
            log(f"building {target.name}")
            linked = BUILD / f"{workload}.fiber-asyncify.linked.wasm"
            run([cc, *C_FLAGS, *sources, "-o", linked])
            # Only `fiber_yield` unwinds: WASI imports never do.
            run([wasm_opt, "-O2", *BINARYEN_FEATURES, "--asyncify",
                 "--pass-arg=asyncify-ignore-imports",
                 linked, "-o", target])
    elif variant == "fiber-wasmfx":
        sources = [PROGRAMS / f"{workload}_fiber.c"]
        library = PROGRAMS / "fiber_wasmfx.wat"
        if stale(target, sources + headers + [library]):
            log(f"building {target.name}")
            linked = BUILD / f"{workload}.fiber-wasmfx.linked.wasm"
            merged = BUILD / f"{workload}.fiber-wasmfx.merged.wasm"
            # The fiber functions are imports, resolved by the merge; the library uses the
            # program's memory, function table and malloc.
            run([cc, *C_FLAGS, "-DFIBER_IMPORTED", *sources, "-Wl,--export-table",
                 "-Wl,--export=malloc", "-o", linked])
            run([wasm_merge, linked, "main", library, "fiber", "-o", merged,
                 *BINARYEN_FEATURES])
            run([wasm_opt, "-O2", *BINARYEN_FEATURES, merged, "-o", target])
    return target


def engine_command(engine, path):
    if engine == "wasmfx":
        return [str(ROOT / "target" / "release" / "wasmfx"), "run", str(path)]
    return [os.environ["WASMTIME"], "run", *WASMTIME_FLAGS, str(path)]


def check_run(cmd):
    """Runs `cmd` once: None and its peak RSS in KiB if it exits 0, else why it failed."""
    env = dict(os.environ, RUST_BACKTRACE="0")
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=env) as proc:
        stderr = proc.stderr.read().decode(errors="replace")
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode == 0:
        return None, usage.ru_maxrss
    if proc.returncode < 0:
        return f"killed by signal {-proc.returncode}", usage.ru_maxrss
    # The root cause is the last line of the error chain that is not a backtrace frame.
    frame = re.compile(r"^\s*\d+:\s+0x[0-9a-f]+ - |^\s*at |wasm backtrace:$")
    lines = [l.strip() for l in stderr.splitlines() if l.strip() and not frame.search(l)]
    cause = re.sub(r"^\d+:\s*", "", lines[-1]) if lines else "no message"
    return f"exit {proc.returncode}: {cause[:70]}", usage.ru_maxrss


def measure(hyperfine, cmd, name, runs, warmup):
    """Median, min and max seconds of `cmd` over `runs` hyperfine runs."""
    out = RESULTS / f"{name}.json"
    run([hyperfine, "--shell=none", "--warmup", str(warmup), "--runs", str(runs),
         "--style", "none", "--export-json", out, "--", " ".join(cmd)])
    result = json.loads(out.read_text())["results"][0]
    return result["median"], result["min"], result["max"]


def fmt_time(seconds):
    return f"{seconds * 1e3:.0f} ms" if seconds >= 0.1 else f"{seconds * 1e3:.1f} ms"


def fmt_ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "–"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                        help=f"any of {', '.join(WORKLOADS)} (default all)")
    args = parser.parse_args()
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")
    args.workloads = args.workloads or WORKLOADS

    tools = setup_tools()
    log("building wasmfx (release)")
    run(["cargo", "build", "--release", "--quiet", "--bin", "wasmfx"], cwd=ROOT)
    BUILD.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    REPORT.mkdir(parents=True, exist_ok=True)
    engines = ["wasmfx"] + (["wasmtime"] if os.environ.get("WASMTIME") else [])

    # results[(workload, variant, engine)] = dict(median, min, max, rss, error)
    results = {}
    for workload in args.workloads:
        for variant in VARIANTS:
            path = build(tools, workload, variant)
            for engine in engines:
                cmd = engine_command(engine, path)
                error, rss = check_run(cmd)
                entry = {"error": error, "rss_kib": rss}
                if error is None:
                    median, lo, hi = measure(tools["HYPERFINE"], cmd,
                                             f"{workload}.{variant}.{engine}",
                                             args.runs, args.warmup)
                    entry.update(median=median, min=lo, max=hi)
                    log(f"{workload:7} {variant:15} {engine:9} {fmt_time(median)}")
                else:
                    log(f"{workload:7} {variant:15} {engine:9} FAILED ({error})")
                results[(workload, variant, engine)] = entry

    table = render_table(results, args.workloads, engines)
    print(table)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    header = (f"Measured {datetime.date.today()} at commit {commit or 'unknown'} with "
              f"`ci/bench --runs {args.runs} --warmup {args.warmup}`"
              + (f" (wasmtime: `{os.environ['WASMTIME']}`)" if len(engines) > 1 else "")
              + ".\n\n")
    (REPORT / "benchmarks.md").write_text(header + table + "\n")
    (REPORT / "benchmarks.svg").write_text(render_chart(results, args.workloads, engines))
    (REPORT / "results.json").write_text(json.dumps(
        {"|".join(k): v for k, v in results.items()}, indent=1))
    log(f"report: {REPORT / 'benchmarks.md'}, {REPORT / 'benchmarks.svg'}")
    failed = [k for k, v in results.items() if v["error"] and k[2] == "wasmfx"]
    return 1 if failed else 0


def render_table(results, workloads, engines):
    """The results as a Markdown table: one row per workload and variant."""
    head = ["workload", "variant", "wasmfx median", "min–max", "peak RSS",
            "÷ fiber-asyncify", "÷ bespoke"]
    for engine in engines[1:]:
        head += [f"{engine} median", "min–max", "peak RSS", f"{engine} ÷ wasmfx"]
    rows = [head, ["---"] * len(head)]
    for workload in workloads:
        asyncify = results[(workload, "fiber-asyncify", "wasmfx")].get("median")
        bespoke = results[(workload, "bespoke", "wasmfx")].get("median")
        for variant in VARIANTS:
            row = [workload, variant]
            ours = results[(workload, variant, "wasmfx")]
            row += cells(ours)
            row += [fmt_ratio(ours.get("median"), asyncify), fmt_ratio(ours.get("median"), bespoke)]
            for engine in engines[1:]:
                theirs = results[(workload, variant, engine)]
                row += cells(theirs) + [fmt_ratio(theirs.get("median"), ours.get("median"))]
            rows.append(row)
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def cells(entry):
    """Median, min-max and peak RSS cells, or the failure."""
    if entry["error"]:
        return [f"**failed** ({entry['error']})", "–", f"{entry['rss_kib'] / 1024:.0f} MiB"]
    return [fmt_time(entry["median"]),
            f"{fmt_time(entry['min'])}–{fmt_time(entry['max'])}",
            f"{entry['rss_kib'] / 1024:.0f} MiB"]


def render_chart(results, workloads, engines):
    """A grouped bar chart (SVG) of median times, one group per workload, scaled to each
    workload's slowest bar."""
    colors = {"wasmfx": "#1f77b4", "bespoke": "#7f7f7f", "fiber-asyncify": "#ff7f0e",
              "fiber-wasmfx": "#2ca02c"}
    bars = [(v, e) for e in engines for v in VARIANTS]
    bar_w, gap, group_gap, height, top, left = 14, 2, 40, 220, 40, 50
    group_w = len(bars) * (bar_w + gap)
    width = left + len(workloads) * (group_w + group_gap) + 200
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + top + 60}"'
           ' font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="20" font-size="14">Median run time per workload '
           '(bars scaled to the slowest of each workload; hatched: failed)</text>']
    for g, workload in enumerate(workloads):
        x0 = left + g * (group_w + group_gap)
        times = [results[(workload, v, e)].get("median") or 0 for v, e in bars]
        slowest = max(times) or 1
        for i, (variant, engine) in enumerate(bars):
            entry = results[(workload, variant, engine)]
            x = x0 + i * (bar_w + gap)
            fill = colors[variant]
            opacity = "1" if engine == "wasmfx" else "0.45"
            if entry["error"]:
                out.append(f'<rect x="{x}" y="{top}" width="{bar_w}" height="{height}" '
                           'fill="none" stroke="#d62728" stroke-dasharray="3,2"/>')
                continue
            h = max(1, height * entry["median"] / slowest)
            out.append(f'<rect x="{x}" y="{top + height - h:.1f}" width="{bar_w}" '
                       f'height="{h:.1f}" fill="{fill}" fill-opacity="{opacity}">'
                       f'<title>{workload} {variant} on {engine}: '
                       f'{fmt_time(entry["median"])}</title></rect>')
        out.append(f'<text x="{x0 + group_w / 2}" y="{top + height + 18}" '
                   f'text-anchor="middle" font-size="13">{workload}</text>')
        out.append(f'<text x="{x0 + group_w / 2}" y="{top + height + 34}" '
                   f'text-anchor="middle">slowest {fmt_time(slowest)}</text>')
    lx = left + len(workloads) * (group_w + group_gap)
    for i, (variant, engine) in enumerate(bars):
        y = top + i * 16
        opacity = "1" if engine == "wasmfx" else "0.45"
        out.append(f'<rect x="{lx}" y="{y}" width="12" height="12" fill="{colors[variant]}" '
                   f'fill-opacity="{opacity}"/>')
        out.append(f'<text x="{lx + 18}" y="{y + 10}">{variant} on {engine}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
