//! `cargo bench --bench continuations`: typed-continuation microbenchmarks with criterion, in
//! ns per operation: a suspend + resume round trip, `cont.new` + `resume` + return, a `switch`
//! between two continuations, `cont.bind` + `resume`, and two references measured in the same
//! run: an indirect wasm call doing a generator step's work, and a suspend + resume round trip
//! of a `wasmtime-fiber` fiber (a native stack-switching library). A summary with the ratios
//! follows, and the resident memory of 100,000 continuations suspended at once.
//!
//! Each wasm benchmark is one call of an export of `benches/programs/micro.wat` doing `n`
//! operations, timed by criterion for a growing `n`; the slope of time over `n` is the time
//! per operation, without the call's fixed cost.

mod common;

use common::resident_bytes;
use criterion::Criterion;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wasmfx::{Engine, Instance, Module, Store, TypedFunc};
use wasmtime_fiber::{Fiber, FiberStack};

/// Continuations suspended at once for the memory figure.
const HELD: i32 = 100_000;
/// The criterion group, and the benchmarks: name, `micro.wat` export (or the fiber baseline).
const GROUP: &str = "continuations";
const BENCHMARKS: &[(&str, Option<&str>)] = &[
    ("indirect call", Some("calls")),
    ("wasmtime-fiber round trip", None),
    ("suspend + resume round trip", Some("round_trips")),
    ("cont.new + resume + return", Some("lifecycles")),
    ("switch", Some("switches")),
    ("cont.bind + resume", Some("binds")),
];

/// Times `ops` operations of the export `f`.
fn time_wasm(store: &mut Store<()>, f: &TypedFunc<i32, i32>, ops: u64) -> Duration {
    let n = i32::try_from(ops.max(1)).expect("criterion's iteration counts fit an i32");
    let start = Instant::now();
    let got = f.call(&mut *store, n).expect("runs");
    let elapsed = start.elapsed();
    assert_eq!(got, n);
    elapsed
}

/// Times `ops` round trips of a fiber that yields a counter to the host.
fn time_fiber(ops: u64) -> Duration {
    let stack = FiberStack::new(64 * 1024, false).expect("fiber stack");
    let fiber = Fiber::<(), u64, ()>::new(stack, |(), suspend| {
        let mut i = 0;
        loop {
            i += 1;
            suspend.suspend(i);
        }
    })
    .expect("fiber");
    let start = Instant::now();
    let mut last = 0;
    while last < ops {
        last = fiber.resume(()).expect_err("yields forever");
    }
    let elapsed = start.elapsed();
    std::hint::black_box(last);
    // The fiber never finishes, and dropping an unfinished fiber is not allowed.
    std::mem::forget(fiber);
    elapsed
}

/// Criterion's estimate of the time per operation of benchmark `name`, in ns: the slope
/// when criterion computed one, else the mean.
fn estimate_ns(output: &Path, name: &str) -> Option<f64> {
    let path = output.join(GROUP).join(name).join("new/estimates.json");
    let estimates: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let point = |key: &str| estimates.get(key)?.get("point_estimate")?.as_f64();
    point("slope").or_else(|| point("mean"))
}

fn main() {
    let engine = Engine::default();
    let path = format!("{}/benches/programs/micro.wat", env!("CARGO_MANIFEST_DIR"));
    let module = Module::from_file(&engine, &path).expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");

    let output = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    {
        let mut group = criterion.benchmark_group(GROUP);
        for &(name, export) in BENCHMARKS {
            match export {
                Some(export) => {
                    let f = instance
                        .get_typed_func::<i32, i32>(&mut store, export)
                        .expect("export");
                    group.bench_function(name, |b| {
                        b.iter_custom(|ops| time_wasm(&mut store, &f, ops))
                    });
                }
                None => {
                    group.bench_function(name, |b| b.iter_custom(time_fiber));
                }
            }
        }
        group.finish();
    }
    criterion.final_summary();

    let estimates: Vec<(&str, Option<f64>)> = BENCHMARKS
        .iter()
        .map(|&(name, _)| (name, estimate_ns(&output, name)))
        .collect();
    let call = estimates[0].1;
    let fiber = estimates[1].1;
    println!("\nsummary (ns per operation; ratios to the references of this run):");
    for (name, ns) in &estimates {
        let Some(ns) = ns else {
            println!("  {name:<30} (not measured in this run)");
            continue;
        };
        let ratio = |base: Option<f64>| base.map_or("-".to_string(), |b| format!("{:.2}x", ns / b));
        println!(
            "  {name:<30} {ns:>7.2} ns   {} an indirect call, {} a fiber round trip",
            ratio(call),
            ratio(fiber)
        );
    }

    let mut held_store = Store::new(&engine, ());
    let held_instance = Instance::new(&mut held_store, &module, &[]).expect("instantiates");
    let hold_fn = held_instance
        .get_typed_func::<i32, i32>(&mut held_store, "hold")
        .expect("export");
    let before = resident_bytes();
    let t = Instant::now();
    assert_eq!(hold_fn.call(&mut held_store, HELD).expect("runs"), HELD);
    let elapsed = t.elapsed();
    let resident = resident_bytes().saturating_sub(before);
    println!(
        "{HELD} suspended at once: {:.1} MiB resident ({:.2} KiB each), created in {:.1} ms",
        resident as f64 / (1 << 20) as f64,
        resident as f64 / 1024.0 / f64::from(HELD),
        elapsed.as_secs_f64() * 1e3
    );
}
