//! Stack switching beyond the basics: a round-robin scheduler built on `switch`, suspensions
//! forwarded past several handlers, `resume_throw`, 100,000 continuations suspended at once,
//! host calls inside continuations, and the failure modes other engines shipped (see
//! `shared/design/continuations.md`).

mod common;

use common::{instantiate, instantiate_with_relay};
use wasmfx::{trap_of, Caller, Linker, Module, Store, Trap};

#[test]
fn round_robin_scheduler_with_switch() {
    let (mut store, instance) = instantiate(
        r#"(module
  (rec (type $ft (func (param (ref null $ct)))) (type $ct (cont $ft)))
  (tag $yield)
  (memory (export "log") 1)
  (global $pos (mut i32) (i32.const 0))
  ;; The run queue: a ring of continuations.
  (table $queue 16 (ref null $ct))
  (global $head (mut i32) (i32.const 0))
  (global $tail (mut i32) (i32.const 0))
  (func $enqueue (param $k (ref null $ct))
    (if (ref.is_null (local.get $k)) (then (return)))
    (table.set $queue (global.get $tail) (local.get $k))
    (global.set $tail (i32.rem_u (i32.add (global.get $tail) (i32.const 1)) (i32.const 16))))
  (func $dequeue (result (ref null $ct))
    (local $k (ref null $ct))
    (if (i32.eq (global.get $head) (global.get $tail)) (then (return (ref.null $ct))))
    (local.set $k (table.get $queue (global.get $head)))
    (table.set $queue (global.get $head) (ref.null $ct))
    (global.set $head (i32.rem_u (i32.add (global.get $head) (i32.const 1)) (i32.const 16)))
    (local.get $k))
  (func $log (param $id i32)
    (i32.store8 (global.get $pos) (local.get $id))
    (global.set $pos (i32.add (global.get $pos) (i32.const 1))))
  ;; Gives the processor to the next ready worker, which receives (and queues) this one.
  (func $yield
    (local $next (ref null $ct))
    (local.set $next (call $dequeue))
    (if (ref.is_null (local.get $next)) (then (return)))
    (call $enqueue (switch $ct $yield (local.get $next))))
  (func $worker (param $id i32) (param $prev (ref null $ct))
    (local $i i32)
    (call $enqueue (local.get $prev))
    (loop $l
      (call $log (local.get $id))
      (call $yield)
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 3)))))
  (type $wft (func (param i32 (ref null $ct))))
  (type $wct (cont $wft))
  (elem declare func $worker)
  (func $spawn (param $id i32)
    (call $enqueue (cont.bind $wct $ct (local.get $id) (cont.new $wct (ref.func $worker)))))
  ;; Runs three workers to completion; returns how many bytes they logged.
  (func (export "run") (result i32)
    (local $k (ref null $ct))
    (call $spawn (i32.const 1))
    (call $spawn (i32.const 2))
    (call $spawn (i32.const 3))
    (block $empty
      (loop $l
        (local.set $k (call $dequeue))
        (br_if $empty (ref.is_null (local.get $k)))
        (resume $ct (on $yield switch) (ref.null $ct) (local.get $k))
        (br $l)))
    (global.get $pos)))"#,
    );
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap();
    let n = run.call(&mut store, ()).unwrap() as usize;
    let memory = instance.get_memory(&mut store, "log").unwrap();
    let mut log = vec![0; n];
    memory.read(&mut store, 0, &mut log).unwrap();
    assert_eq!(log, [1, 2, 3, 1, 2, 3, 1, 2, 3]);
}

#[test]
fn suspensions_are_forwarded_past_handlers_of_other_tags() {
    // Three nested handlers; the body's suspensions each skip the handlers in between.
    // A function that runs `runs` in a continuation, handling `tag` by resuming with `op`
    // applied to the tag's argument.
    let handler = |name: &str, tag: &str, op: &str, runs: &str| {
        format!(
            r#"(func {name} (result i32)
    (local $k (ref null $ci)) (local $v i32)
    (block $on (result i32 (ref $ci))
      (return (resume $c (on {tag} $on) (cont.new $c (ref.func {runs})))))
    (local.set $k) (local.set $v)
    (loop $l
      (block $on (result i32 (ref $ci))
        (return (resume $ci (on {tag} $on) ({op} (local.get $v)) (local.get $k))))
      (local.set $k) (local.set $v) (br $l))
    (unreachable))"#
        )
    };
    let wat = format!(
        r#"(module
  (type $f (func (result i32)))
  (type $c (cont $f))
  (type $fi (func (param i32) (result i32)))
  (type $ci (cont $fi))
  (tag $a (param i32) (result i32))
  (tag $b (param i32) (result i32))
  (tag $t (param i32) (result i32))
  (func $body (result i32)
    (i32.add (suspend $t (suspend $b (suspend $a (i32.const 1)))) (i32.const 1000)))
  (elem declare func $body $inner $middle)
  (func $times3 (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (func $plus2 (param i32) (result i32) (i32.add (local.get 0) (i32.const 2)))
  (func $times10 (param i32) (result i32) (i32.mul (local.get 0) (i32.const 10)))
  {inner}
  {middle}
  {outer})"#,
        inner = handler("$inner", "$t", "call $times3", "$body"),
        middle = handler("$middle", "$b", "call $plus2", "$inner"),
        outer = handler("(export \"outer\")", "$a", "call $times10", "$middle"),
    );
    let (mut store, instance) = instantiate(&wat);
    let outer = instance
        .get_typed_func::<(), i32>(&mut store, "outer")
        .unwrap();
    // 1 -> $a: 10 -> $b: 12 -> $t: 36 -> + 1000.
    assert_eq!(outer.call(&mut store, ()).unwrap(), 1036);
    assert_eq!(outer.call(&mut store, ()).unwrap(), 1036);
}

#[test]
fn resume_throw_raises_at_the_suspension_point_or_at_the_start() {
    let (mut store, instance) = instantiate(
        r#"(module
  (type $f (func (result i32)))
  (type $c (cont $f))
  (tag $yield)
  (tag $e (param i32))
  ;; Catches $e around its suspension and returns the payload + 1.
  (func $catcher (result i32)
    (block $caught (result i32)
      (try_table (catch $e $caught) (suspend $yield))
      (return (i32.const -1)))
    (i32.add (i32.const 1)))
  (func $plain (result i32) (i32.const 5))
  (elem declare func $catcher $plain)
  (func (export "at_suspension") (result i32)
    (local $k (ref null $c))
    (block $on (result (ref $c))
      (drop (resume $c (on $yield $on) (cont.new $c (ref.func $catcher))))
      (unreachable))
    (local.set $k)
    (resume_throw $c $e (i32.const 41) (local.get $k)))
  ;; A continuation that never ran has no handler: the exception reaches the resumer.
  (func (export "at_start") (result i32)
    (block $caught (result i32)
      (try_table (result i32) (catch $e $caught)
        (resume_throw $c $e (i32.const 7) (cont.new $c (ref.func $plain))))))
)"#,
    );
    let at_suspension = instance
        .get_typed_func::<(), i32>(&mut store, "at_suspension")
        .unwrap();
    assert_eq!(at_suspension.call(&mut store, ()).unwrap(), 42);
    let at_start = instance
        .get_typed_func::<(), i32>(&mut store, "at_start")
        .unwrap();
    assert_eq!(at_start.call(&mut store, ()).unwrap(), 7);
}

/// Resident set size of this process, in bytes.
fn resident_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

const HOLD: &str = r#"(module
  (type $f (func (param i32) (result i32)))
  (type $c (cont $f))
  (type $g (func (result i32)))
  (type $cg (cont $g))
  (tag $yield (param i32) (result i32))
  (table $t 0 (ref null $cg))
  ;; Keeps its argument in a local across the suspension, then returns it plus what it is
  ;; resumed with.
  (func $body (param $v i32) (result i32)
    (i32.add (local.get $v) (suspend $yield (local.get $v))))
  (elem declare func $body)
  ;; Suspends `n` continuations and keeps them all in the table.
  (func (export "hold") (param $n i32)
    (local $i i32) (local $k (ref null $cg)) (local $held (ref null $cf))
    (drop (table.grow $t (ref.null $cg) (local.get $n)))
    (loop $l
      (block $on (result i32 (ref $cf))
        (drop (resume $c (on $yield $on) (local.get $i) (cont.new $c (ref.func $body))))
        (unreachable))
      (local.set $held)
      (drop)
      (local.set $k (cont.bind $cf $cg (i32.const 1000000) (local.get $held)))
      (table.set $t (local.get $i) (local.get $k))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
  (type $fr (func (param i32) (result i32)))
  (type $cf (cont $fr))
  ;; Resumes every held continuation to completion; returns how many gave the right answer.
  (func (export "finish") (result i32)
    (local $i i32) (local $ok i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (table.size $t)))
        (local.set $ok (i32.add (local.get $ok)
          (i32.eq (resume $cg (table.get $t (local.get $i)))
                  (i32.add (local.get $i) (i32.const 1000000)))))
        (table.set $t (local.get $i) (ref.null $cg))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $ok))
)"#;

#[test]
fn a_hundred_thousand_suspended_continuations() {
    let (mut store, instance) = instantiate(HOLD);
    let hold = instance
        .get_typed_func::<i32, ()>(&mut store, "hold")
        .unwrap();
    let finish = instance
        .get_typed_func::<(), i32>(&mut store, "finish")
        .unwrap();
    let before = resident_bytes();
    hold.call(&mut store, 100_000).unwrap();
    let held = resident_bytes().saturating_sub(before);
    assert!(
        held < 1 << 30,
        "100,000 suspended continuations take {held} bytes"
    );
    assert_eq!(finish.call(&mut store, ()).unwrap(), 100_000);
}

#[test]
fn no_stack_is_handed_out_twice_after_a_trap() {
    // A trap three continuations deep recycles each of them once: a double free would give two
    // of the held continuations below the same stack, and one would see the other's local.
    let (mut store, instance) = instantiate(&HOLD.replace(
        "(elem declare func $body)",
        r#"(elem declare func $body $deep $deeper $deepest)
  (func $deepest (param i32) (result i32) (unreachable))
  (func $deeper (param i32) (result i32)
    (resume $c (local.get 0) (cont.new $c (ref.func $deepest))))
  (func $deep (param i32) (result i32)
    (resume $c (local.get 0) (cont.new $c (ref.func $deeper))))
  (func (export "trap") (result i32)
    (resume $c (i32.const 0) (cont.new $c (ref.func $deep))))"#,
    ));
    let trap = instance
        .get_typed_func::<(), i32>(&mut store, "trap")
        .unwrap();
    for _ in 0..3 {
        let err = trap.call(&mut store, ()).unwrap_err();
        assert_eq!(trap_of(&err), Some(Trap::Unreachable), "{err:?}");
    }
    let hold = instance
        .get_typed_func::<i32, ()>(&mut store, "hold")
        .unwrap();
    hold.call(&mut store, 1000).unwrap();
    let finish = instance
        .get_typed_func::<(), i32>(&mut store, "finish")
        .unwrap();
    assert_eq!(finish.call(&mut store, ()).unwrap(), 1000);
}

#[test]
fn a_trap_at_the_very_start_is_not_a_return() {
    let (mut store, instance) = instantiate(
        r#"(module
  (type $f (func (result i32)))
  (type $c (cont $f))
  (func $boom (result i32) (unreachable))
  (elem declare func $boom)
  (func (export "run") (result i32) (resume $c (cont.new $c (ref.func $boom)))))"#,
    );
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap();
    let err = run.call(&mut store, ()).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::Unreachable), "{err:?}");
}

#[test]
fn stack_limits_follow_the_running_stack() {
    // 5,000 frames fit in the main stack's 512 KiB but not in a 64 KiB continuation stack.
    let (mut store, instance) = instantiate(
        r#"(module
  (type $f (func))
  (type $c (cont $f))
  (func $down (param $n i32)
    (if (local.get $n) (then (call $down (i32.sub (local.get $n) (i32.const 1))))))
  (func $deep (call $down (i32.const 5000)))
  (func $shallow (call $down (i32.const 10)))
  (elem declare func $deep $shallow)
  (func (export "main_deep") (call $deep))
  (func (export "cont_deep") (resume $c (cont.new $c (ref.func $deep))))
  ;; Runs a continuation, then recurses deeply on the main stack again.
  (func (export "cont_then_main_deep")
    (resume $c (cont.new $c (ref.func $shallow)))
    (call $deep)))"#,
    );
    let call = |store: &mut Store<()>, name: &str| {
        instance
            .get_typed_func::<(), ()>(&mut *store, name)
            .unwrap()
            .call(store, ())
    };
    call(&mut store, "main_deep").unwrap();
    let err = call(&mut store, "cont_deep").unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::StackOverflow), "{err:?}");
    call(&mut store, "cont_then_main_deep").unwrap();
    call(&mut store, "main_deep").unwrap();
}

#[test]
fn continuations_with_many_parameters() {
    // 40 parameters, 20 bound by cont.bind and 20 passed by resume, and 40 values through a
    // tag: far more than fit in registers or in a fixed area at the top of a stack.
    let params = "i64 ".repeat(40);
    let half = "i64 ".repeat(20);
    let args = |from: usize| {
        (from..from + 20)
            .map(|i| format!("(i64.const {i})"))
            .collect::<String>()
    };
    let sum_locals = (0..40)
        .map(|i| {
            let add = if i > 0 { "(i64.add)" } else { "" };
            format!("(i64.mul (local.get {i}) (i64.const {})) {add}", i + 1)
        })
        .collect::<String>();
    let all_args = args(0) + &args(20);
    let wat = format!(
        r#"(module
  (type $f (func (param {params}) (result i64)))
  (type $c (cont $f))
  (type $g (func (param {half}) (result i64)))
  (type $cg (cont $g))
  (type $h (func (result i64)))
  (type $ch (cont $h))
  (tag $many (param {params}))
  (func $weighted (param {params}) (result i64) {sum_locals})
  (func $echo (result i64)
    (suspend $many {all})
    (i64.const 0))
  (elem declare func $weighted $echo)
  (func (export "bind_and_resume") (result i64)
    (resume $cg {second} (cont.bind $c $cg {first} (cont.new $c (ref.func $weighted)))))
  (func (export "through_a_tag") (result i64)
    (block $on (param) (result {params} (ref $ch))
      (drop (resume $ch (on $many $on) (cont.new $ch (ref.func $echo))))
      (unreachable))
    (drop)
    (call $weighted)))"#,
        first = args(0),
        second = args(20),
        all = all_args,
    );
    let (mut store, instance) = instantiate(&wat);
    let expected: i64 = (0..40).map(|i| i * (i + 1)).sum();
    for name in ["bind_and_resume", "through_a_tag"] {
        let f = instance
            .get_typed_func::<(), i64>(&mut store, name)
            .unwrap();
        assert_eq!(f.call(&mut store, ()).unwrap(), expected, "{name}");
    }
}

#[test]
fn host_calls_inside_continuations() {
    // A continuation calls the host, which calls back into wasm. The callback may run
    // continuations of its own, but its suspensions cannot reach past the host frame.
    let (mut store, instance) = instantiate_with_relay(
        r#"(module
  (type $f (func (result i32)))
  (type $c (cont $f))
  (type $fi (func (param i32) (result i32)))
  (type $ci (cont $fi))
  (tag $yield (export "yield") (result i32))
  (import "host" "call_back" (func $call_back (param i32) (result i32)))
  (func $seven (result i32) (i32.const 7))
  (func $body (result i32) (call $call_back (i32.const 0)))
  (func $body_suspending (result i32) (call $call_back (i32.const 1)))
  (elem declare func $seven $body $body_suspending)
  ;; What the host calls back: runs a continuation, or suspends.
  (func (export "callback") (param $suspend i32) (result i32)
    (if (local.get $suspend) (then (drop (suspend $yield))))
    (resume $c (cont.new $c (ref.func $seven))))
  (func (export "run") (result i32)
    (resume $c (cont.new $c (ref.func $body))))
  (func (export "run_suspending") (result i32)
    (block $on (result (ref $ci))
      (return (resume $c (on $yield $on) (cont.new $c (ref.func $body_suspending)))))
    (drop)
    (i32.const -1)))"#,
        "call_back",
        "callback",
        100,
    );
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 107);
    let run_suspending = instance
        .get_typed_func::<(), i32>(&mut store, "run_suspending")
        .unwrap();
    let err = run_suspending.call(&mut store, ()).unwrap_err();
    assert!(
        format!("{err:#}").contains("unhandled tag `yield`"),
        "{err:#}"
    );
    assert_eq!(run.call(&mut store, ()).unwrap(), 107);
}

#[test]
fn continuations_of_host_functions() {
    let engine = common::engine();
    let module = Module::new(
        &engine,
        r#"(module
  (type $add (func (param i32 i32) (result i32)))
  (type $c2 (cont $add))
  (type $one (func (param i32) (result i32)))
  (type $c1 (cont $one))
  (import "host" "add" (func $add (type $add)))
  (elem declare func $add)
  (func (export "run") (param i32 i32) (result i32)
    (resume $c1 (local.get 1)
      (cont.bind $c2 $c1 (local.get 0) (cont.new $c2 (ref.func $add))))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "host",
            "add",
            |mut caller: Caller<'_, u32>, a: i32, b: i32| -> anyhow::Result<i32> {
                *caller.data_mut() += 1;
                anyhow::ensure!(a != 0, "host says no");
                Ok(a + b)
            },
        )
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, (40, 2)).unwrap(), 42);
    let err = run.call(&mut store, (0, 2)).unwrap_err();
    assert!(format!("{err:#}").contains("host says no"), "{err:#}");
    assert_eq!(run.call(&mut store, (1, 2)).unwrap(), 3);
    assert_eq!(*store.data(), 3);
}
