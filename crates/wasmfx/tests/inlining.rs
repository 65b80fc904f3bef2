//! Inlining of small functions (`Config::compiler_inlining`): inlined code behaves as the call
//! did (results, traps, exceptions, continuations, GC references, fuel), and trap backtraces
//! still list the inlined functions.

use wasmfx::{trap_of, Config, Engine, Instance, Module, Store, Trap, WasmBacktrace};

/// Small functions called from others, in every shape the translator inlines.
const MODULE: &str = r#"
(module
  (type $f (func))
  (type $c (cont $f))
  (tag $yield)
  (tag $oops (param i32))
  (type $pair (struct (field i32) (field i32)))

  ;; Leaves: an early return, a loop, a trap on a bad argument, a throw.
  (func $clamp (param i32) (result i32)
    (if (i32.lt_s (local.get 0) (i32.const 0)) (then (return (i32.const 0))))
    (local.get 0))
  (func $sum_to (param $n i32) (result i32)
    (local $s i32)
    (loop $l
      (if (local.get $n)
        (then
          (local.set $s (i32.add (local.get $s) (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $l))))
    (local.get $s))
  (func $divide (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $throw_if_odd (param i32)
    (if (i32.and (local.get 0) (i32.const 1)) (then (throw $oops (local.get 0)))))
  ;; Nested: inlined into callers that are inlined themselves.
  (func $middle (param i32 i32) (result i32)
    (call $divide (call $clamp (local.get 0)) (local.get 1)))
  (func $outer (param i32 i32) (result i32)
    (i32.add (call $middle (local.get 0) (local.get 1)) (i32.const 1)))

  (func (export "arith") (param i32 i32) (result i32)
    (i32.add (call $outer (local.get 0) (local.get 1)) (call $sum_to (i32.const 10))))
  (func (export "divide") (param i32 i32) (result i32) (call $outer (local.get 0) (local.get 1)))
  (func (export "divide_once") (param i32 i32) (result i32)
    (call $divide (local.get 0) (local.get 1)))
  ;; `$divide_next`'s code starts with the code inlined into it, `$next`'s.
  (func $next (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $divide_next (param i32 i32) (result i32)
    (i32.div_s (call $next (local.get 0)) (local.get 1)))
  (func (export "divide_next") (param i32 i32) (result i32)
    (call $divide_next (local.get 0) (local.get 1)))

  ;; An exception thrown by inlined code, caught by the caller's try_table.
  (func (export "catch") (param i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $oops $caught)
        (call $throw_if_odd (local.get 0)))
      (i32.const -1)))

  ;; An exception thrown by a function too large to inline (over 96 bytes), called from inlined
  ;; code.
  (func $throw_big (param i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 3)) (i32.const 5)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.const 11)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 13)) (i32.const 17)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 19)) (i32.const 23)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 29)) (i32.const 31)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 37)) (i32.const 41)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 43)) (i32.const 47)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 53)) (i32.const 59)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 61)) (i32.const 67)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 71)) (i32.const 73)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 79)) (i32.const 83)))
    (drop (i32.add (i32.mul (local.get $i) (i32.const 89)) (i32.const 97)))
    (throw $oops (i32.add (local.get 0) (local.get $i))))
  (func $relay (param i32) (call $throw_big (local.get 0)))
  (func (export "catch_through") (param i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $oops $caught)
        (call $relay (local.get 0)))
      (i32.const -1)))

  ;; Several results, returned from inside nested blocks.
  (func $split (param i32) (result i32 i32)
    (block $out
      (block $inner
        (br_if $inner (i32.eqz (local.get 0)))
        (return (i32.const 1) (local.get 0)))
      (br $out))
    (i32.const 0) (i32.const 0))
  (func (export "split") (param i32) (result i32)
    (i32.add (i32.mul (call $split (local.get 0))) (i32.const 100)))

  ;; Continuations: suspend and resume inside inlined functions.
  (func $yield_once (suspend $yield))
  (func $worker (call $yield_once) (call $yield_once))
  (elem declare func $worker)
  (func $step (param $k (ref $c)) (result (ref null $c))
    (block $on (result (ref $c))
      (resume $c (on $yield $on) (local.get $k))
      (return (ref.null $c))))
  (func (export "yields") (result i32)
    (local $k (ref null $c)) (local $n i32)
    (local.set $k (cont.new $c (ref.func $worker)))
    (loop $l
      (local.set $k (call $step (ref.as_non_null (local.get $k))))
      (if (i32.eqz (ref.is_null (local.get $k)))
        (then (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $l))))
    (local.get $n))

  ;; A GC reference held across a call to an inlined function that allocates.
  (func $make (param i32) (result (ref $pair)) (struct.new $pair (local.get 0) (local.get 0)))
  (func (export "pairs") (param $n i32) (result i32)
    (local $keep (ref null $pair)) (local $sum i32)
    (local.set $keep (call $make (i32.const 7)))
    (loop $l
      (local.set $sum (i32.add (local.get $sum)
        (struct.get $pair 1 (call $make (local.get $n)))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.add (local.get $sum) (struct.get $pair 0 (local.get $keep))))

  ;; Many locals (cheap to declare, each defined again by every inlined copy): called.
  (func $many_locals (param i32 i32) (result i32)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "many_locals") (param i32 i32) (result i32)
    (call $many_locals (local.get 0) (local.get 1)))

  ;; Recursion is never inlined into itself.
  (func $fact (param i32) (result i32)
    (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
      (then (i32.const 1))
      (else (i32.mul (local.get 0) (call $fact (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "fact") (param i32) (result i32) (call $fact (local.get 0)))
)
"#;

fn instantiate(inlining: bool) -> (Store<()>, Instance) {
    let mut config = Config::new();
    config.compiler_inlining(inlining);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

/// What calling export `name` with `args` traps with: the trap, then its backtrace's function
/// names and code offsets, innermost first.
fn trap_frames(
    store: &mut Store<()>,
    instance: &Instance,
    name: &str,
    args: (i32, i32),
) -> (Option<Trap>, Vec<String>, Vec<u32>) {
    let func = instance
        .get_typed_func::<(i32, i32), i32>(&mut *store, name)
        .unwrap();
    let err = func.call(store, args).unwrap_err();
    let backtrace = err.downcast_ref::<WasmBacktrace>().expect("a backtrace");
    let names = backtrace
        .frames
        .iter()
        .map(|f| f.func_name.clone())
        .collect();
    let offsets = backtrace.frames.iter().map(|f| f.code_offset).collect();
    (trap_of(&err), names, offsets)
}

#[test]
fn inlined_code_computes_what_calls_do() {
    for inlining in [true, false] {
        let (mut store, instance) = instantiate(inlining);
        let arith = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "arith")
            .unwrap();
        assert_eq!(arith.call(&mut store, (84, 2)).unwrap(), 43 + 55);
        assert_eq!(arith.call(&mut store, (-5, 3)).unwrap(), 1 + 55);
        let catch = instance
            .get_typed_func::<i32, i32>(&mut store, "catch")
            .unwrap();
        assert_eq!(catch.call(&mut store, 7).unwrap(), 7);
        assert_eq!(catch.call(&mut store, 8).unwrap(), -1);
        let catch_through = instance
            .get_typed_func::<i32, i32>(&mut store, "catch_through")
            .unwrap();
        assert_eq!(catch_through.call(&mut store, 4).unwrap(), 7);
        let split = instance
            .get_typed_func::<i32, i32>(&mut store, "split")
            .unwrap();
        assert_eq!(split.call(&mut store, 9).unwrap(), 109);
        assert_eq!(split.call(&mut store, 0).unwrap(), 100);
        let yields = instance
            .get_typed_func::<(), i32>(&mut store, "yields")
            .unwrap();
        assert_eq!(yields.call(&mut store, ()).unwrap(), 2);
        let pairs = instance
            .get_typed_func::<i32, i32>(&mut store, "pairs")
            .unwrap();
        assert_eq!(pairs.call(&mut store, 100_000).unwrap(), 705_082_711);
        let fact = instance
            .get_typed_func::<i32, i32>(&mut store, "fact")
            .unwrap();
        assert_eq!(fact.call(&mut store, 10).unwrap(), 3_628_800);
    }
}

#[test]
fn backtraces_list_inlined_functions() {
    for inlining in [true, false] {
        let (mut store, instance) = instantiate(inlining);
        let divide = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "divide")
            .unwrap();
        let err = divide.call(&mut store, (1, 0)).unwrap_err();
        assert_eq!(trap_of(&err), Some(Trap::IntegerDivisionByZero), "{err:?}");
        // Innermost first: every function of the call chain, whether inlined or not.
        let text = format!("{err:?}");
        let frames: Vec<_> = text
            .lines()
            .skip_while(|line| *line != "wasm backtrace:")
            .skip(1)
            .map_while(|line| line.trim().split_once(": ").map(|(_, name)| name))
            .collect();
        assert_eq!(
            frames,
            ["divide", "middle", "outer", "<wasm function 7>"],
            "inlining {inlining}: {text}"
        );
        // Inlined, `outer` and `middle` (two levels, the most that nest) are part of the
        // exported function's machine frame, at the same code offset; `divide` is called.
        // Without inlining every frame is its own.
        let backtrace = err.downcast_ref::<WasmBacktrace>().expect("a backtrace");
        let offsets: Vec<u32> = backtrace.frames.iter().map(|f| f.code_offset).collect();
        let shared = offsets[1] == offsets[2] && offsets[2] == offsets[3];
        assert_eq!(shared, inlining, "{offsets:?}");
        // The store stays usable.
        assert_eq!(divide.call(&mut store, (9, 3)).unwrap(), 4);

        // A trap in inlined code itself.
        let (trap, names, offsets) = trap_frames(&mut store, &instance, "divide_once", (1, 0));
        assert_eq!(trap, Some(Trap::IntegerDivisionByZero));
        assert_eq!(names, ["divide", "<wasm function 8>"]);
        assert_eq!(offsets[0] == offsets[1], inlining, "{offsets:?}");

        // A trap in an inlined function's code that comes after the code of a function
        // inlined into it.
        let (trap, names, _) = trap_frames(&mut store, &instance, "divide_next", (1, 0));
        assert_eq!(trap, Some(Trap::IntegerDivisionByZero));
        assert_eq!(names, ["divide_next", "<wasm function 11>"]);
    }
}

#[test]
fn functions_with_many_locals_are_called() {
    let (mut store, instance) = instantiate(true);
    let many_locals = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "many_locals")
        .unwrap();
    assert_eq!(many_locals.call(&mut store, (9, 3)).unwrap(), 3);
    let (_, names, offsets) = trap_frames(&mut store, &instance, "many_locals", (9, 0));
    assert_eq!(names[0], "many_locals");
    // Two machine frames, each at its own code offset: not inlined.
    assert_ne!(offsets[0], offsets[1]);
}

#[test]
fn inlined_code_charges_the_same_fuel() {
    let mut left = Vec::new();
    for inlining in [true, false] {
        let mut config = Config::new();
        config.compiler_inlining(inlining).consume_fuel(true);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, MODULE).unwrap();
        let mut store = Store::new(&engine, ());
        store.set_fuel(1_000_000).unwrap();
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let arith = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "arith")
            .unwrap();
        arith.call(&mut store, (84, 2)).unwrap();
        left.push(store.get_fuel().unwrap());
    }
    assert_eq!(left[0], left[1]);
}
