//! Typed continuations through the embedding API: generators, many continuations, traps and
//! stack overflow inside continuations followed by normal use, stale references, unhandled tags.

mod common;

use common::instantiate;
use wasmfx::{trap_of, Instance, Module, Store, Trap};

const MODULE: &str = r#"
(module
  (type $f (func))
  (type $c (cont $f))
  (type $fi (func (param i32)))
  (type $ci (cont $fi))
  (tag $yield (param i32))
  (tag $never)

  ;; Yields 1..n, then returns.
  (func $gen (param $n i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (suspend $yield (local.get $i))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
  (elem declare func $gen $nothing $boom $recurse $nested3)

  ;; Sums what the generator yields.
  (func (export "sum") (param $n i32) (result i32)
    (local $k (ref null $c)) (local $sum i32)
    (local.set $k (cont.bind $ci $c (local.get $n) (cont.new $ci (ref.func $gen))))
    (block $done
      (loop $next
        (block $on_yield (result i32 (ref $c))
          (resume $c (on $yield $on_yield) (local.get $k))
          (br $done))
        (local.set $k)
        (local.set $sum (i32.add (local.get $sum)))
        (br $next)))
    (local.get $sum))

  (func $nothing)
  ;; Creates and finishes `n` continuations.
  (func (export "churn") (param $n i32)
    (loop $l
      (resume $c (cont.new $c (ref.func $nothing)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))

  (func $boom (unreachable))
  (func $recurse (call $recurse))
  ;; Run three continuations deep; the param picks the failure.
  (func $nested3 (param i32)
    (if (i32.eqz (local.get 0)) (then (call $boom)) (else (call $recurse))))
  (func (export "fail_deep") (param $what i32)
    (resume $c
      (cont.bind $ci $c (local.get $what) (cont.new $ci (ref.func $nested3_outer)))))
  (func $nested3_outer (param i32)
    (resume $c (cont.bind $ci $c (local.get 0) (cont.new $ci (ref.func $nested3_mid)))))
  (func $nested3_mid (param i32)
    (resume $c (cont.bind $ci $c (local.get 0) (cont.new $ci (ref.func $nested3)))))
  (elem declare func $nested3_outer $nested3_mid)

  (global $saved (mut (ref null $c)) (ref.null $c))
  (func (export "stale")
    (local $k (ref $c))
    (local.set $k (cont.new $c (ref.func $nothing)))
    (resume $c (local.get $k))
    ;; The object is recycled by the next cont.new; the old reference must still fail.
    (drop (cont.new $c (ref.func $nothing)))
    (resume $c (local.get $k)))
  (func (export "unhandled") (suspend $never))
  (func (export "null") (resume $c (ref.null $c)))
)
"#;

#[test]
fn generator_yields_values() {
    let (mut store, instance) = instantiate(MODULE);
    let sum = instance
        .get_typed_func::<i32, i32>(&mut store, "sum")
        .unwrap();
    assert_eq!(sum.call(&mut store, 10).unwrap(), 55);
    assert_eq!(sum.call(&mut store, 1000).unwrap(), 500_500);
}

#[test]
fn a_million_continuations_reuse_stacks() {
    let engine = common::engine();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, common::StackCounter::default());
    store.limiter(|counter| counter);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let churn = instance
        .get_typed_func::<i32, ()>(&mut store, "churn")
        .unwrap();
    churn.call(&mut store, 1_000_000).unwrap();
    // Each continuation returns before the next is made, so all run on the first stack.
    assert_eq!(store.data().stacks, 1);
}

#[test]
fn trap_and_overflow_three_deep_then_reuse() {
    let (mut store, instance) = instantiate(MODULE);
    let fail = instance
        .get_typed_func::<i32, ()>(&mut store, "fail_deep")
        .unwrap();
    let err = fail.call(&mut store, 0).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::Unreachable), "{err:?}");
    // The backtrace crosses the four stacks, innermost first.
    let text = format!("{err:?}");
    let order: Vec<_> = ["boom", "nested3", "nested3_mid", "nested3_outer"]
        .iter()
        .map(|f| text.find(&format!(": {f}\n")))
        .collect();
    assert!(order.iter().all(Option::is_some), "{text}");
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    let err = fail.call(&mut store, 1).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::StackOverflow), "{err:?}");
    let sum = instance
        .get_typed_func::<i32, i32>(&mut store, "sum")
        .unwrap();
    assert_eq!(sum.call(&mut store, 10).unwrap(), 55);
}

#[test]
fn failure_modes() {
    let (mut store, instance) = instantiate(MODULE);
    let stale = instance
        .get_typed_func::<(), ()>(&mut store, "stale")
        .unwrap();
    let err = stale.call(&mut store, ()).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::ContinuationAlreadyConsumed));
    let null = instance
        .get_typed_func::<(), ()>(&mut store, "null")
        .unwrap();
    let err = null.call(&mut store, ()).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::NullContinuationReference));
    let unhandled = instance
        .get_typed_func::<(), ()>(&mut store, "unhandled")
        .unwrap();
    let err = unhandled.call(&mut store, ()).unwrap_err();
    assert!(format!("{err:#}").contains("unhandled tag"), "{err:#}");
}

/// A continuation of 20 parameters, 12 bound by `cont.bind` in three steps and 8 passed to
/// `resume`, and yielding 18 values: more than the 16 payload slots kept in the continuation
/// object, so the payload moves to the heap with the values already bound.
#[test]
fn payload_larger_than_the_object_keeps_bound_values() {
    let params = "i32 ".repeat(20);
    let yields = "i32 ".repeat(18);
    let wat = format!(
        r#"(module
  (type $f20 (func (param {params})))
  (type $c20 (cont $f20))
  (type $f16 (func (param {p16})))
  (type $c16 (cont $f16))
  (type $f8 (func (param {p8})))
  (type $c8 (cont $f8))
  (type $done (func))
  (type $cdone (cont $done))
  (tag $out (param {yields}))
  (func $f (type $f20)
    (local $s i32)
    (local.set $s (i32.const 0))
    {adds}
    (suspend $out {echo} (local.get $s) (i32.const 7)))
  (elem declare func $f)
  (func (export "run") (result i32)
    (local $acc i32) (local $sum i32) (local $seven i32)
    (block $on (result {yields} (ref $cdone))
      (resume $c8 (on $out $on)
        (i32.const 13) (i32.const 14) (i32.const 15) (i32.const 16)
        (i32.const 17) (i32.const 18) (i32.const 19) (i32.const 20)
        (cont.bind $c16 $c8
          (i32.const 5) (i32.const 6) (i32.const 7) (i32.const 8)
          (i32.const 9) (i32.const 10) (i32.const 11) (i32.const 12)
          (cont.bind $c20 $c16 (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4)
            (cont.new $c20 (ref.func $f)))))
      (unreachable))
    (drop)
    ;; The 18 yielded values: the first 16 parameters, the sum of all 20, and 7.
    (local.set $seven)
    (local.set $sum)
    {fold}
    (i32.add (i32.mul (local.get $sum) (i32.const 1000))
      (i32.add (local.get $seven) (local.get $acc))))
)"#,
        p16 = "i32 ".repeat(16),
        p8 = "i32 ".repeat(8),
        adds = (0..20)
            .map(|i| format!("(local.set $s (i32.add (local.get $s) (local.get {i})))"))
            .collect::<Vec<_>>()
            .join(" "),
        echo = (0..16)
            .map(|i| format!("(local.get {i}) "))
            .collect::<String>(),
        // Adds up the 16 echoed parameters.
        fold = "(local.set $acc (i32.add (local.get $acc))) ".repeat(16),
    );
    let (mut store, instance) = instantiate(&wat);
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap();
    // sum(1..=20) * 1000 + 7 + sum(1..=16).
    assert_eq!(run.call(&mut store, ()).unwrap(), 210 * 1000 + 7 + 136);
}

/// A continuation returning 18 results (more than the payload slots in the object), and one
/// whose payload grows while it runs (it suspends with 20 and then 40 values) before it
/// returns: the results arrive intact, run after run on recycled objects.
#[test]
fn results_survive_payload_growth() {
    let consts = |n: usize, base: usize| -> String {
        (0..n)
            .map(|i| format!("(i64.const {}) ", base + i))
            .collect()
    };
    let wat = format!(
        r#"(module
  (type $many (func (result {r18})))
  (type $cmany (cont $many))
  (type $three (func (result i64 i64 i64)))
  (type $cthree (cont $three))
  (tag $wide (param {p20}))
  (tag $wider (param {p40}))
  (func $many (type $many) {c18})
  (func $grows (type $three)
    (suspend $wide {c20})
    (suspend $wider {c40})
    (i64.const 1) (i64.const 2) (i64.const 3))
  (elem declare func $many $grows)
  ;; The sum of the 18 results, weighted by position.
  (func (export "many") (result i64)
    (local $sum i64)
    (resume $cmany (cont.new $cmany (ref.func $many)))
    {fold18}
    (local.get $sum))
  ;; Runs $grows to completion: its three results as 100 * a + 10 * b + c.
  (func (export "grows") (result i64)
    (local $k (ref null $cthree)) (local $a i64) (local $b i64) (local $c i64)
    (block $on_wide (result {p20} (ref $cthree))
      (resume $cthree (on $wide $on_wide) (cont.new $cthree (ref.func $grows)))
      (unreachable))
    (local.set $k)
    {drop20}
    (block $on_wider (result {p40} (ref $cthree))
      (resume $cthree (on $wider $on_wider) (local.get $k))
      (unreachable))
    (local.set $k)
    {drop40}
    (resume $cthree (local.get $k))
    (local.set $c) (local.set $b) (local.set $a)
    (i64.add (i64.mul (local.get $a) (i64.const 100))
      (i64.add (i64.mul (local.get $b) (i64.const 10)) (local.get $c)))))"#,
        r18 = "i64 ".repeat(18),
        p20 = "i64 ".repeat(20),
        p40 = "i64 ".repeat(40),
        c18 = consts(18, 1),
        c20 = consts(20, 100),
        c40 = consts(40, 200),
        // Pops the last result first: result i (1-based) times i.
        fold18 = (1..=18)
            .rev()
            .map(|i| {
                format!("(i64.const {i}) (i64.mul) (local.get $sum) (i64.add) (local.set $sum)")
            })
            .collect::<Vec<_>>()
            .join(" "),
        drop20 = "(drop) ".repeat(20),
        drop40 = "(drop) ".repeat(40),
    );
    let (mut store, instance) = instantiate(&wat);
    let many = instance
        .get_typed_func::<(), i64>(&mut store, "many")
        .unwrap();
    let grows = instance
        .get_typed_func::<(), i64>(&mut store, "grows")
        .unwrap();
    let expected: i64 = (1..=18).map(|i| i * i).sum();
    for _ in 0..3 {
        assert_eq!(many.call(&mut store, ()).unwrap(), expected);
        assert_eq!(grows.call(&mut store, ()).unwrap(), 123);
    }
}

/// A continuation belongs to its store: one made by a store on another thread (as with
/// wasi-threads, one store per thread) is refused with an error, not resumed there.
#[test]
fn a_continuation_does_not_cross_to_another_threads_store() {
    const WAT: &str = r#"(module
      (type $f (func)) (type $c (cont $f))
      (func $nothing) (elem declare func $nothing)
      (func (export "make") (result (ref null $c)) (cont.new $c (ref.func $nothing)))
      (func (export "resume") (param (ref null $c)) (resume $c (local.get 0))))"#;
    let engine = common::engine();
    let module = Module::new(&engine, WAT).unwrap();
    let made = std::thread::spawn({
        let module = module.clone();
        move || {
            let mut store = Store::new(module.engine(), ());
            let instance = Instance::new(&mut store, &module, &[]).unwrap();
            let make = instance.get_func(&mut store, "make").unwrap();
            let mut result = [wasmfx::Val::I32(0)];
            make.call(&mut store, &[], &mut result).unwrap();
            result[0]
        }
    })
    .join()
    .unwrap();
    assert!(matches!(made, wasmfx::Val::ContRef(Some(_))));
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let resume = instance.get_func(&mut store, "resume").unwrap();
    let err = resume.call(&mut store, &[made], &mut []).unwrap_err();
    assert!(format!("{err:#}").contains("wrong store"), "{err:#}");
    // The store is still usable.
    let make = instance.get_func(&mut store, "make").unwrap();
    let mut own = [wasmfx::Val::I32(0)];
    make.call(&mut store, &[], &mut own).unwrap();
    resume.call(&mut store, &own, &mut []).unwrap();
}

/// A store may move to another thread between calls, its suspended continuations with it:
/// one suspended on this thread is resumed on another.
#[test]
fn a_store_moves_to_another_thread_with_its_suspended_continuations() {
    const WAT: &str = r#"(module
      (type $f (func)) (type $c (cont $f))
      (tag $pause)
      (global $k (mut (ref null $c)) (ref.null $c))
      (global $steps (mut i32) (i32.const 0))
      (func $twice
        (global.set $steps (i32.add (global.get $steps) (i32.const 1)))
        (suspend $pause)
        (global.set $steps (i32.add (global.get $steps) (i32.const 1))))
      (elem declare func $twice)
      (func (export "start") (result i32)
        (block $paused (result (ref $c))
          (resume $c (on $pause $paused) (cont.new $c (ref.func $twice)))
          (return (i32.const -1)))
        (global.set $k)
        (global.get $steps))
      (func (export "finish") (result i32)
        (block $paused (result (ref $c))
          (resume $c (on $pause $paused) (global.get $k))
          (return (global.get $steps)))
        (drop)
        (i32.const -2)))"#;
    let engine = common::engine();
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let start = instance
        .get_typed_func::<(), i32>(&mut store, "start")
        .unwrap();
    assert_eq!(start.call(&mut store, ()).unwrap(), 1);
    let finished = std::thread::spawn(move || {
        let finish = instance
            .get_typed_func::<(), i32>(&mut store, "finish")
            .unwrap();
        finish.call(&mut store, ()).unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(finished, 2);
}
