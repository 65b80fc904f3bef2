//! `cargo bench --bench pooling`: the pooling allocator against on-demand allocation, both
//! measured in the same run. Reports ns per operation and the speed-up ratio for:
//! instantiating a module (a memory with data, two tables, globals) in a fresh store and
//! dropping the store; the same plus 100 continuations alive at once then resumed to completion
//! (fresh stacks for every store); and `cont.new` + `resume` to completion in one store, where
//! both strategies recycle the same stack.

mod common;

use wasmfx::{Config, Engine, Instance, InstanceAllocationStrategy, Module, PoolingConfig, Store};

const RUNS: usize = 7;
const INSTANCES: u32 = 5_000;
const LIVE: i32 = 100;
const LIFECYCLES: i32 = 2_000_000;

const MODULE: &str = r#"(module
  (type $f (func))
  (type $c (cont $f))
  (tag $pause)
  (memory 1)
  (data (i32.const 0) "pooling benchmark")
  (table $funcs 100 funcref)
  (table $live 100 (ref null $c))
  (global $count (mut i32) (i32.const 0))
  (elem (table $funcs) (i32.const 0) func $body $body $body)
  (func $body (suspend $pause) (global.set $count (i32.add (global.get $count) (i32.const 1))))
  ;; Starts `n` continuations that suspend once, then resumes each to completion.
  (func (export "spawn_and_finish") (param $n i32) (result i32)
    (local $i i32) (local $k (ref null $c))
    (loop $start
      (if (i32.lt_u (local.get $i) (local.get $n))
        (then
          (block $h (result (ref $c))
            (resume $c (on $pause $h) (cont.new $c (ref.func $body)))
            (unreachable))
          (local.set $k)
          (table.set $live (local.get $i) (local.get $k))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $start))))
    (loop $finish
      (if (local.get $i)
        (then
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (resume $c (table.get $live (local.get $i)))
          (br $finish))))
    (global.get $count))
  ;; `n` times: cont.new, resume to the suspension, resume to completion.
  (func (export "lifecycles") (param $n i32) (result i32)
    (loop $l
      (if (local.get $n)
        (then
          (block $h (result (ref $c))
            (resume $c (on $pause $h) (cont.new $c (ref.func $body)))
            (unreachable))
          (resume $c)
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $l))))
    (global.get $count)))"#;

/// Median time per operation of `RUNS` timings of `ops` operations each, in ns.
fn per_op(ops: u32, f: impl FnMut()) -> f64 {
    common::per_op(RUNS, ops, f)
}

/// The three measurements, in ns per operation, with `engine`.
fn measure(engine: &Engine) -> [f64; 3] {
    let module = Module::new(engine, MODULE).expect("compiles");
    let instantiate = per_op(INSTANCES, || {
        for _ in 0..INSTANCES {
            let mut store = Store::new(engine, ());
            Instance::new(&mut store, &module, &[]).expect("instantiates");
        }
    });
    let with_continuations = per_op(INSTANCES, || {
        for _ in 0..INSTANCES {
            let mut store = Store::new(engine, ());
            let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
            let f = instance
                .get_typed_func::<i32, i32>(&mut store, "spawn_and_finish")
                .expect("export");
            assert_eq!(f.call(&mut store, LIVE).expect("runs"), LIVE);
        }
    });
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "lifecycles")
        .expect("export");
    let lifecycles = per_op(LIFECYCLES as u32, || {
        f.call(&mut store, LIFECYCLES).expect("runs");
    });
    [instantiate, with_continuations, lifecycles]
}

/// Bytes of freed memory and table slots kept resident in the third configuration.
const KEEP_MEMORY: usize = 64 << 10;
const KEEP_TABLE: usize = 16 << 10;

/// An engine with the pooling allocator, room for the live continuations, and `limits`.
fn pooled_engine(limits: impl FnOnce(&mut PoolingConfig)) -> Engine {
    let mut pooling = PoolingConfig::new();
    pooling.total_stacks(10 * LIVE as usize);
    limits(&mut pooling);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    Engine::new(&config).expect("pooling engine")
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let on_demand = Engine::default();
    let pooled = pooled_engine(|_| {});
    let resident = pooled_engine(|p| {
        p.memory_keep_resident(KEEP_MEMORY)
            .table_keep_resident(KEEP_TABLE);
    });

    println!("wasmfx pooling allocator vs on-demand (median of {RUNS} runs, same process)");
    println!(
        "pooling: defaults; pooling/keep: {} KiB of memories and {} KiB of tables kept resident",
        KEEP_MEMORY >> 10,
        KEEP_TABLE >> 10
    );
    println!(
        "{:<46} {:>12} {:>12} {:>8} {:>12} {:>8}",
        "", "on-demand", "pooling", "speed-up", "pooling/keep", "speed-up"
    );
    let names = [
        "instantiate + drop store".to_string(),
        format!("instantiate + {LIVE} live conts + drop"),
        "cont.new + resume to completion".to_string(),
    ];
    let a = measure(&on_demand);
    let b = measure(&pooled);
    let c = measure(&resident);
    for (i, name) in names.iter().enumerate() {
        println!(
            "{name:<46} {:>9.1} ns {:>9.1} ns {:>7.2}x {:>9.1} ns {:>7.2}x",
            a[i],
            b[i],
            a[i] / b[i],
            c[i],
            a[i] / c[i]
        );
    }
}
