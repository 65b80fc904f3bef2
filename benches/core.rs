//! `cargo bench --bench core`: compile time and run time of CPU-bound wasm programs (recursive
//! fib, a matrix multiply, a heapsort) on wasmfx, each checked against a native Rust baseline
//! computed in the same run. Prints medians of several runs and the ratio to native.

mod common;

use common::median;
use std::time::Instant;
use wasmfx::{Engine, Instance, Module, Store};

const RUNS: usize = 5;

fn native_fib(n: i32) -> i32 {
    if n < 2 {
        n
    } else {
        native_fib(n - 1) + native_fib(n - 2)
    }
}

fn native_matmul(n: usize) -> f64 {
    let a: Vec<f64> = (0..n * n).map(|i| (i % 7) as f64).collect();
    let b: Vec<f64> = (0..n * n).map(|i| (i % 5) as f64).collect();
    let mut sum = 0.0;
    for i in 0..n {
        for j in 0..n {
            let mut acc = 0.0;
            for k in 0..n {
                acc += a[i * n + k] * b[k * n + j];
            }
            sum += acc;
        }
    }
    sum
}

fn native_sort(n: usize) -> i32 {
    let mut x: u32 = 2463534242;
    let mut v: Vec<i32> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as i32
        })
        .collect();
    heapsort(&mut v);
    i32::from(v.windows(2).all(|w| w[0] <= w[1]))
}

/// The same algorithm as `sort.wat`, so the ratio compares code generation, not algorithms.
fn heapsort(v: &mut [i32]) {
    fn sift(v: &mut [i32], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && v[child] < v[child + 1] {
                child += 1;
            }
            if v[root] >= v[child] {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift(v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift(v, 0, end);
    }
}

fn bench<P, R>(name: &str, file: &str, export: &str, arg: P, native: impl Fn() -> R)
where
    P: wasmfx::WasmList + Copy,
    R: wasmfx::WasmList + PartialEq + std::fmt::Debug,
{
    let engine = Engine::default();
    let path = format!("{}/benches/programs/{file}", env!("CARGO_MANIFEST_DIR"));
    let wat = std::fs::read(&path).expect("benchmark program");
    let compile = median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                Module::new(&engine, &wat).expect("compiles");
                t.elapsed()
            })
            .collect(),
    );
    let module = Module::new(&engine, &wat).expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance
        .get_typed_func::<P, R>(&mut store, export)
        .expect("export");
    let expected = native();
    let mut runs = Vec::new();
    let mut native_runs = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let got = f.call(&mut store, arg).expect("runs");
        runs.push(t.elapsed());
        assert_eq!(got, expected, "{name}: wrong result");
        let t = Instant::now();
        std::hint::black_box(native());
        native_runs.push(t.elapsed());
    }
    let (run, nat) = (median(runs), median(native_runs));
    println!(
        "{name:<12} compile {:>8.2} ms   run {:>9.2} ms   native {:>9.2} ms   wasm/native {:.2}x",
        compile.as_secs_f64() * 1e3,
        run.as_secs_f64() * 1e3,
        nat.as_secs_f64() * 1e3,
        run.as_secs_f64() / nat.as_secs_f64()
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("wasmfx core benchmark (median of {RUNS} runs)");
    bench("fib(30)", "fib.wat", "fib", 30i32, || {
        native_fib(std::hint::black_box(30))
    });
    bench("matmul(200)", "matmul.wat", "matmul", 200i32, || {
        native_matmul(std::hint::black_box(200))
    });
    bench("sort(1M)", "sort.wat", "sort", 1_000_000i32, || {
        native_sort(std::hint::black_box(1_000_000))
    });
}
