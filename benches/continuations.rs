//! `cargo bench --bench continuations`: typed-continuation microbenchmarks. Reports the
//! suspend + resume round trip and the `cont.new` + `resume` + return lifecycle in ns, each
//! with the ratio to baselines measured in the same run: an indirect wasm call doing the same
//! work, and a suspend + resume round trip of a `wasmtime-fiber` fiber (a native stack-switching
//! library). Also reports the resident memory of 100,000 continuations suspended at once.

use std::time::{Duration, Instant};
use wasmfx::{Engine, Instance, Module, Store, TypedFunc};
use wasmtime_fiber::{Fiber, FiberStack};

const RUNS: usize = 7;
const ROUND_TRIPS: i32 = 20_000_000;
const LIFECYCLES: i32 = 5_000_000;
const HELD: i32 = 100_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median time per operation of `runs` timings of `ops` operations each, in ns.
fn per_op(ops: i32, mut f: impl FnMut()) -> f64 {
    let times = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    median(times).as_secs_f64() * 1e9 / f64::from(ops)
}

fn wasm_per_op(store: &mut Store<()>, f: &TypedFunc<i32, i32>, ops: i32) -> f64 {
    per_op(ops, || {
        let got = f.call(&mut *store, ops).expect("runs");
        assert_eq!(got, ops);
    })
}

/// Fiber round trips: the fiber yields a counter, the host resumes it.
fn fiber_round_trip() -> f64 {
    per_op(ROUND_TRIPS, || {
        let stack = FiberStack::new(64 * 1024, false).expect("fiber stack");
        let fiber = Fiber::<(), i32, ()>::new(stack, |(), suspend| {
            let mut i = 0;
            loop {
                i += 1;
                suspend.suspend(i);
            }
        })
        .expect("fiber");
        let mut last = 0;
        while last < ROUND_TRIPS {
            last = fiber.resume(()).expect_err("yields forever");
        }
        std::hint::black_box(last);
        std::mem::forget(fiber);
    })
}

/// Resident set size of this process, in bytes.
fn resident_bytes() -> usize {
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

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let engine = Engine::default();
    let path = format!("{}/benches/programs/switch.wat", env!("CARGO_MANIFEST_DIR"));
    let module = Module::from_file(&engine, &path).expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let func = |store: &mut Store<()>, name: &str| {
        instance
            .get_typed_func::<i32, i32>(store, name)
            .expect("export")
    };
    let round_trips = func(&mut store, "round_trips");
    let lifecycles = func(&mut store, "lifecycles");
    let calls = func(&mut store, "calls");

    println!("wasmfx continuation microbenchmarks (median of {RUNS} runs)");
    let call = wasm_per_op(&mut store, &calls, ROUND_TRIPS);
    let fiber = fiber_round_trip();
    let trip = wasm_per_op(&mut store, &round_trips, ROUND_TRIPS);
    let life = wasm_per_op(&mut store, &lifecycles, LIFECYCLES);
    println!("baseline: indirect wasm call        {call:>7.2} ns");
    println!("baseline: wasmtime-fiber round trip {fiber:>7.2} ns");
    println!(
        "suspend + resume round trip         {trip:>7.2} ns   {:.2}x a call, {:.2}x a fiber round trip",
        trip / call,
        trip / fiber
    );
    println!(
        "cont.new + resume + return          {life:>7.2} ns   {:.2}x a call, {:.2}x a fiber round trip",
        life / call,
        life / fiber
    );

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
