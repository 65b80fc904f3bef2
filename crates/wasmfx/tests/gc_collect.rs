//! The collector: programs that allocate far more than a small GC heap holds run to the end
//! because garbage is collected, while everything still reachable survives: objects reachable
//! from globals and tables, from the frames of suspended continuations, from exceptions, and
//! references the host holds. Each test also runs with `gc_zeal` (a collection at every
//! allocation), so a reference the collector missed would show at once.

mod common;

use wasmfx::*;

/// An engine of this binary's allocation strategy with a GC heap of `heap_size` bytes.
fn gc_engine(heap_size: usize, zeal: bool) -> Engine {
    let mut config = Config::new();
    config.gc_heap_size(heap_size).gc_zeal(zeal);
    if common::pooled() {
        let mut pooling = PoolingConfig::new();
        pooling
            .total_stacks(2_000)
            .total_memories(10)
            .total_tables(10);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    }
    Engine::new(&config).unwrap()
}

fn instantiate(engine: &Engine, wat: &str) -> (Store<()>, Instance) {
    let module = Module::new(engine, wat).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

/// Binary trees: a long-lived tree in a global, and many short-lived trees checked and
/// dropped.
const TREES: &str = r#"(module
  (type $node (struct (field $left (ref null $node)) (field $right (ref null $node))))
  (global $long (mut (ref null $node)) (ref.null $node))
  (func $make (param $depth i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $depth))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else (struct.new $node
        (call $make (i32.sub (local.get $depth) (i32.const 1)))
        (call $make (i32.sub (local.get $depth) (i32.const 1)))))))
  (func $check (param $n (ref null $node)) (result i32)
    (if (result i32) (ref.is_null (struct.get $node $left (local.get $n)))
      (then (i32.const 1))
      (else (i32.add (i32.const 1)
        (i32.add (call $check (struct.get $node $left (local.get $n)))
                 (call $check (struct.get $node $right (local.get $n))))))))
  (func (export "run") (param $depth i32) (param $iterations i32) (result i32)
    (local $sum i32)
    (global.set $long (call $make (local.get $depth)))
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (call $check (call $make (local.get $depth)))))
      (br_if $again (local.tee $iterations (i32.sub (local.get $iterations) (i32.const 1)))))
    (i32.add (local.get $sum) (call $check (global.get $long)))))"#;

#[test]
fn binary_trees_run_in_a_heap_smaller_than_what_they_allocate() {
    // Depth 10: 2,047 nodes of 24 bytes (a 32-byte slot each), 64 KiB a tree; 200 trees
    // allocate 13 MiB in a 2 MiB heap.
    let (mut store, instance) = instantiate(&gc_engine(2 << 20, false), TREES);
    let run = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "run")
        .unwrap();
    // Without collections the run would trap "GC heap exhausted" after 2 MiB.
    assert_eq!(run.call(&mut store, (10, 200)).unwrap(), 201 * 2047);
}

#[test]
fn binary_trees_with_a_collection_at_every_allocation() {
    let (mut store, instance) = instantiate(&gc_engine(1 << 20, true), TREES);
    let run = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, (5, 20)).unwrap(), 21 * 63);
}

/// Continuations that each keep a struct only in a local of their suspended frame.
const PARKED: &str = r#"(module
  (type $box (struct (field i32)))
  (type $f (func (param i32) (result i32)))
  (type $c (cont $f))
  (type $g (func (result i32)))
  (type $rest (cont $g))
  (type $node (struct (field (ref null $node))))
  (type $conts (array (mut (ref null $rest))))
  (tag $park)
  (global $parked (mut (ref null $conts)) (ref.null $conts))
  (func $keeper (param $v i32) (result i32)
    (local $mine (ref $box))
    (local.set $mine (struct.new $box (local.get $v)))
    (suspend $park)
    (struct.get $box 0 (local.get $mine)))
  (elem declare func $keeper)
  (func (export "park") (param $n i32)
    (local $i i32) (local $k (ref null $rest))
    (global.set $parked (array.new_default $conts (local.get $n)))
    (loop $next
      (block $suspended (result (ref $rest))
        (resume $c (on $park $suspended)
          (local.get $i) (cont.new $c (ref.func $keeper)))
        (drop) (br $next))
      (local.set $k)
      (array.set $conts (global.get $parked) (local.get $i) (local.get $k))
      (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                             (local.get $n)))))
  ;; Allocates `n` short-lived objects.
  (func (export "churn") (param $n i32)
    (loop $more
      (drop (struct.new $node (struct.new $node (ref.null $node))))
      (br_if $more (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; Resumes every parked continuation: the sum of what their frames kept.
  (func (export "sum") (result i32)
    (local $i i32) (local $sum i32)
    (loop $next
      (local.set $sum (i32.add (local.get $sum)
        (resume $rest (array.get $conts (global.get $parked) (local.get $i)))))
      (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                             (array.len (global.get $parked)))))
    (local.get $sum)))"#;

fn parked_continuations_keep_their_objects(zeal: bool, churn: i32) {
    let (mut store, instance) = instantiate(&gc_engine(1 << 20, zeal), PARKED);
    let park = instance
        .get_typed_func::<i32, ()>(&mut store, "park")
        .unwrap();
    let churn_fn = instance
        .get_typed_func::<i32, ()>(&mut store, "churn")
        .unwrap();
    let sum = instance
        .get_typed_func::<(), i32>(&mut store, "sum")
        .unwrap();
    park.call(&mut store, 1000).unwrap();
    churn_fn.call(&mut store, churn).unwrap();
    store.gc();
    assert_eq!(sum.call(&mut store, ()).unwrap(), 999 * 1000 / 2);
}

#[test]
fn suspended_continuations_keep_their_objects_across_collections() {
    // 1,500,000 pairs of 16-byte objects (3 million allocations): 48 MiB through a 1 MiB
    // heap.
    parked_continuations_keep_their_objects(false, 1_500_000);
}

#[test]
fn suspended_continuations_keep_their_objects_with_zeal() {
    parked_continuations_keep_their_objects(true, 200);
}

#[test]
fn references_the_host_holds_and_exceptions_survive_collections() {
    let (mut store, instance) = instantiate(
        &gc_engine(1 << 20, false),
        r#"(module
  (type $box (struct (field i32)))
  (type $node (struct (field (ref null $node))))
  (tag $oops (param (ref $box)))
  (func (export "make") (param i32) (result anyref) (struct.new $box (local.get 0)))
  (func (export "read") (param anyref) (result i32)
    (struct.get $box 0 (ref.cast (ref $box) (local.get 0))))
  (func $churn (param $n i32)
    (loop $more
      (drop (struct.new $node (ref.null $node)))
      (br_if $more (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; Catches an exception holding a struct as an exnref, allocates a lot, then rethrows it
  ;; and reads the struct.
  (func (export "throw_across_churn") (param i32) (result i32)
    (local $exn exnref)
    (block $held (result (ref $box) exnref)
      (try_table (catch_ref $oops $held)
        (throw $oops (struct.new $box (local.get 0))))
      (unreachable))
    (local.set $exn)
    (drop)
    (call $churn (i32.const 200000))
    (block $caught (result (ref $box))
      (try_table (catch $oops $caught) (throw_ref (local.get $exn)))
      (unreachable))
    (struct.get $box 0)))"#,
    );
    let make = instance.get_func(&mut store, "make").unwrap();
    let read = instance.get_func(&mut store, "read").unwrap();
    let mut held = [Val::I32(0)];
    make.call(&mut store, &[Val::I32(77)], &mut held).unwrap();
    let throw = instance
        .get_typed_func::<i32, i32>(&mut store, "throw_across_churn")
        .unwrap();
    assert_eq!(throw.call(&mut store, 5).unwrap(), 5);
    store.gc();
    let mut out = [Val::I32(0)];
    read.call(&mut store, &held, &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(77));
}

/// A generator kept in a struct field between resumes: each resume yields the next value.
const GENERATOR: &str = r#"(module
  (type $f (func))
  (type $c (cont $f))
  (type $holder (struct (field (mut (ref null $c)))))
  (type $node (struct (field i32)))
  (tag $yield (param (ref $node)))
  (func $count
    (local $i i32)
    (loop $l
      (suspend $yield (struct.new $node (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
  (elem declare func $count)
  (func (export "sum") (param $n i32) (result i32)
    (local $h (ref $holder)) (local $sum i32) (local $k (ref null $c)) (local $v (ref null $node))
    (local.set $h (struct.new $holder (cont.new $c (ref.func $count))))
    (loop $next
      (block $yielded (result (ref $node) (ref $c))
        (resume $c (on $yield $yielded) (struct.get $holder 0 (local.get $h)))
        (unreachable))
      (local.set $k)
      (local.set $v)
      (struct.set $holder 0 (local.get $h) (local.get $k))
      (local.set $sum (i32.add (local.get $sum) (struct.get $node 0 (local.get $v))))
      ;; Garbage between resumes.
      (drop (struct.new $node (local.get $sum)))
      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $sum)))"#;

#[test]
fn a_generator_kept_in_a_struct_between_resumes() {
    let (mut store, instance) = instantiate(&gc_engine(1 << 20, false), GENERATOR);
    let sum = instance
        .get_typed_func::<i32, i32>(&mut store, "sum")
        .unwrap();
    // 200,000 resumes allocate 6 MiB through a 1 MiB heap.
    let expected = (199_999u64 * 100_000) as u32 as i32;
    assert_eq!(sum.call(&mut store, 200_000).unwrap(), expected);
    let (mut store, instance) = instantiate(&gc_engine(1 << 20, true), GENERATOR);
    let sum = instance
        .get_typed_func::<i32, i32>(&mut store, "sum")
        .unwrap();
    assert_eq!(sum.call(&mut store, 100).unwrap(), 99 * 50);
}

/// Suspends `n` continuations, each holding a struct, and drops them.
const ABANDON: &str = r#"(module
  (type $f (func))
  (type $c (cont $f))
  (type $box (struct (field i32)))
  (tag $pause)
  (func $body (local $b (ref $box)) (local.set $b (struct.new $box (i32.const 1))) (suspend $pause))
  (elem declare func $body)
  (func (export "abandon") (param $n i32)
    (loop $l
      (block $h (result (ref $c))
        (resume $c (on $pause $h) (cont.new $c (ref.func $body)))
        (unreachable))
      (drop)
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#;

#[test]
fn abandoned_continuations_are_reclaimed() {
    let engine = if common::pooled() {
        let mut pooling = PoolingConfig::new();
        pooling
            .total_stacks(1_000)
            .total_memories(10)
            .total_tables(10);
        let mut config = Config::new();
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        Engine::new(&config).unwrap()
    } else {
        gc_engine(16 << 20, false)
    };
    let module = Module::new(&engine, ABANDON).unwrap();
    let mut store = Store::new(&engine, common::StackCounter::default());
    store.limiter(|counter| counter);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let abandon = instance
        .get_typed_func::<i32, ()>(&mut store, "abandon")
        .unwrap();
    abandon.call(&mut store, 200_000).unwrap();
    // Collections recycle the abandoned continuations: a bounded number of stacks serves
    // them all (at most 1,000 in the pool; on demand, about twice the collection threshold).
    let stacks = store.data().stacks;
    assert!(
        stacks <= 10_000,
        "{stacks} stacks for 200,000 continuations"
    );
}

/// A continuation calls a host function that calls back into the store; the inner call
/// allocates (collecting at every allocation) while the outer frames hold objects.
const REENTRY: &str = r#"(module
  (type $box (struct (field i32)))
  (type $f (func (result i32)))
  (type $c (cont $f))
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (func (export "inner") (param $n i32) (result i32)
    (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum)
        (struct.get $box 0 (struct.new $box (local.get $n)))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $sum))
  (func $body (result i32)
    (local $held (ref $box))
    (local.set $held (struct.new $box (i32.const 1000)))
    (i32.add (call $reenter (i32.const 50)) (struct.get $box 0 (local.get $held))))
  (elem declare func $body)
  (func (export "outer") (result i32)
    (local $held (ref $box))
    (local.set $held (struct.new $box (i32.const 7)))
    (i32.add (resume $c (cont.new $c (ref.func $body))) (struct.get $box 0 (local.get $held)))))"#;

#[test]
fn wasm_reentered_from_a_continuation_keeps_every_frames_objects() {
    for zeal in [false, true] {
        let engine = gc_engine(1 << 20, zeal);
        let module = Module::new(&engine, REENTRY).unwrap();
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap(
                "host",
                "reenter",
                |mut caller: Caller<'_, ()>, n: i32| -> Result<i32> {
                    let inner = caller
                        .get_export("inner")
                        .and_then(|e| e.into_func())
                        .expect("exported");
                    let mut out = [Val::I32(0)];
                    inner.call(&mut caller, &[Val::I32(n)], &mut out)?;
                    Ok(out[0].i32().expect("i32"))
                },
            )
            .unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let outer = instance
            .get_typed_func::<(), i32>(&mut store, "outer")
            .unwrap();
        // 50 + 49 + ... + 1 = 1275, plus 1000 held in the continuation, plus 7 held outside.
        assert_eq!(outer.call(&mut store, ()).unwrap(), 1275 + 1000 + 7);
    }
}

#[test]
fn a_continuation_the_host_holds_is_not_recycled() {
    let (mut store, instance) = instantiate(
        &gc_engine(1 << 20, false),
        r#"(module
  (type $f (func (result i32)))
  (type $c (cont $f))
  (func $seven (result i32) (i32.const 7))
  (elem declare func $seven)
  (func (export "make") (result (ref null $c)) (cont.new $c (ref.func $seven)))
  (func (export "run") (param (ref null $c)) (result i32) (resume $c (local.get 0))))"#,
    );
    let make = instance.get_func(&mut store, "make").unwrap();
    let run = instance.get_func(&mut store, "run").unwrap();
    let mut held = [Val::I32(0)];
    make.call(&mut store, &[], &mut held).unwrap();
    store.gc();
    let mut out = [Val::I32(0)];
    run.call(&mut store, &held, &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(7));
}
