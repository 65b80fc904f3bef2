//! GC constant expressions (`struct.new*`, `array.new*`, `ref.i31`) in global, table and
//! element segment initialisers. What the objects hold is checked by the runtime's unit tests
//! of constant evaluation; here modules using them compile and instantiate, the references
//! they make are non-null, an exhausted heap fails instantiation cleanly, and the externref
//! conversions pass values between the hierarchies.

mod common;

use common::instantiate;
use wasmfx::*;

/// Types and the globals of every GC constant expression; `nulls` returns a mask with bit
/// `i` set when global `i` is null.
const GLOBALS: &str = r#"(module
  (type $pair (struct (field i8) (field (mut i64)) (field anyref)))
  (type $empty (struct))
  (type $bytes (array (mut i8)))
  (type $refs (array anyref))
  (global $s (ref $pair)
    (struct.new $pair (i32.const 300) (i64.const 7) (ref.i31 (i32.const 5))))
  (global $d (ref $pair) (struct.new_default $pair))
  (global $e (ref $empty) (struct.new $empty))
  (global $a (ref $bytes) (array.new $bytes (i32.const 1) (i32.const 10)))
  (global $z (ref $bytes) (array.new_default $bytes (i32.const 0)))
  (global $f (ref $refs)
    (array.new_fixed $refs 3 (global.get $s) (ref.i31 (i32.const -1)) (ref.null any)))
  (global $i i31ref (ref.i31 (i32.const 42)))
  (global $n anyref (ref.null any))
  (global $x (export "pair") (ref $pair)
    (struct.new $pair (i32.const 1) (i64.const 2) (global.get $f)))
  (func (export "nulls") (result i32)
    (i32.or
      (i32.or
        (i32.or (ref.is_null (global.get $s))
                (i32.shl (ref.is_null (global.get $d)) (i32.const 1)))
        (i32.or (i32.shl (ref.is_null (global.get $e)) (i32.const 2))
                (i32.shl (ref.is_null (global.get $a)) (i32.const 3))))
      (i32.or
        (i32.or (i32.shl (ref.is_null (global.get $z)) (i32.const 4))
                (i32.shl (ref.is_null (global.get $f)) (i32.const 5)))
        (i32.or (i32.shl (ref.is_null (global.get $i)) (i32.const 6))
                (i32.or (i32.shl (ref.is_null (global.get $n)) (i32.const 7))
                        (i32.shl (ref.is_null (global.get $x)) (i32.const 8))))))))"#;

#[test]
fn globals_hold_the_objects_of_their_initialisers() {
    let (mut store, instance) = instantiate(GLOBALS);
    let nulls = instance
        .get_typed_func::<(), i32>(&mut store, "nulls")
        .unwrap();
    // Only `$n`, initialised with `ref.null`, is null.
    assert_eq!(nulls.call(&mut store, ()).unwrap(), 1 << 7);
    assert!(instance.get_global(&mut store, "pair").is_some());
}

#[test]
fn tables_and_segments_hold_the_objects_of_their_initialisers() {
    let (mut store, instance) = instantiate(
        r#"(module
          (type $pair (struct (field i32) (field anyref)))
          (type $bytes (array i8))
          (type $refs (array anyref))
          (table $t 3 anyref (array.new_fixed $refs 0))
          (table $u 5 anyref)
          (elem (table $u) (i32.const 1) anyref
            (item (struct.new_default $pair))
            (item (ref.i31 (i32.const 3)))
            (item (ref.null any))
            (item (struct.new $pair (i32.const 4) (array.new_default $bytes (i32.const 2)))))
          (elem $passive anyref (item (array.new $bytes (i32.const 7) (i32.const 3))))
          (func (export "t_null") (param i32) (result i32)
            (ref.is_null (table.get $t (local.get 0))))
          (func (export "u_null") (param i32) (result i32)
            (ref.is_null (table.get $u (local.get 0))))
          (func (export "init")
            (table.init $u $passive (i32.const 0) (i32.const 0) (i32.const 1))))"#,
    );
    let t_null = instance
        .get_typed_func::<i32, i32>(&mut store, "t_null")
        .unwrap();
    let u_null = instance
        .get_typed_func::<i32, i32>(&mut store, "u_null")
        .unwrap();
    let init = instance
        .get_typed_func::<(), ()>(&mut store, "init")
        .unwrap();
    for i in 0..3 {
        assert_eq!(t_null.call(&mut store, i).unwrap(), 0, "table $t[{i}]");
    }
    let u = |store: &mut Store<()>| -> Vec<i32> {
        (0..5)
            .map(|i| u_null.call(&mut *store, i).unwrap())
            .collect()
    };
    assert_eq!(u(&mut store), [1, 0, 0, 1, 0]);
    init.call(&mut store, ()).unwrap();
    assert_eq!(u(&mut store), [0, 0, 0, 1, 0]);
}

/// An engine whose stores' GC heaps hold at most 64 KiB.
fn small_heap_engine() -> Engine {
    let mut config = Config::new();
    config.gc_heap_size(64 * 1024);
    Engine::new(&config).expect("valid configuration")
}

#[test]
fn an_exhausted_heap_fails_instantiation() {
    let engine = small_heap_engine();
    for init in [
        "(global (ref $bytes) (array.new_default $bytes (i32.const 1000000)))",
        "(global (ref $longs) (array.new $longs (i64.const 1) (i32.const -1)))",
        "(table 1 anyref (array.new_default $bytes (i32.const 1000000)))",
        "(elem anyref (item (array.new_default $longs (i32.const 100000))))",
    ] {
        let wat = format!("(module (type $bytes (array i8)) (type $longs (array i64)) {init})");
        let module = Module::new(&engine, &wat).expect("valid module");
        let mut store = Store::new(&engine, ());
        let err = Instance::new(&mut store, &module, &[]).unwrap_err();
        assert_eq!(
            trap_of(&err),
            Some(Trap::GcHeapExhausted),
            "{init}: {err:?}"
        );
        assert!(format!("{err:#}").contains("GC heap exhausted"), "{err:#}");
    }
    // Objects that fit still do, in the same small heap.
    let module = Module::new(
        &engine,
        "(module (type $bytes (array i8))
           (global (ref $bytes) (array.new_default $bytes (i32.const 40000))))",
    )
    .expect("valid module");
    let mut store = Store::new(&engine, ());
    Instance::new(&mut store, &module, &[]).expect("fits");
}

#[test]
fn externref_conversions_in_initialisers() {
    let (mut store, instance) = instantiate(
        r#"(module
  (global $e externref (extern.convert_any (ref.i31 (i32.const 9))))
  (global $a anyref (any.convert_extern (global.get $e)))
  (func (export "get") (result i32) (i31.get_u (ref.cast i31ref (global.get $a)))))"#,
    );
    let get = instance
        .get_typed_func::<(), i32>(&mut store, "get")
        .unwrap();
    assert_eq!(get.call(&mut store, ()).unwrap(), 9);
}
