//! Exception handling through the embedding API: exceptions caught across wasm frames, and
//! exceptions that escape to the host carrying their tag and payload.

mod common;

use common::{instantiate, instantiate_with_relay};
use wasmfx::{Engine, Store, ThrownException, Val};

const THROWER: &str = r#"
(module
  (tag $e (export "e") (param i32 i64))
  (func $deep (param i32)
    (if (i32.eqz (local.get 0))
      (then (throw $e (i32.const 7) (i64.const 42))))
    (call $deep (i32.sub (local.get 0) (i32.const 1))))
  (func (export "catch_deep") (result i32 i64)
    (block $h (result i32 i64)
      (try_table (catch $e $h) (call $deep (i32.const 50)))
      (unreachable)))
  (func (export "escape") (call $deep (i32.const 3)))
  (func (export "catch_all_ref") (result i32)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (call $deep (i32.const 2)))
      (unreachable))
    (drop)
    (i32.const 1))
)
"#;

#[test]
fn caught_through_many_frames() {
    let (mut store, instance) = instantiate(THROWER);
    let f = instance
        .get_typed_func::<(), (i32, i64)>(&mut store, "catch_deep")
        .unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), (7, 42));
    let g = instance
        .get_typed_func::<(), i32>(&mut store, "catch_all_ref")
        .unwrap();
    assert_eq!(g.call(&mut store, ()).unwrap(), 1);
}

#[test]
fn escaped_exception_names_tag_and_payload() {
    let (mut store, instance) = instantiate(THROWER);
    let escape = instance.get_func(&mut store, "escape").unwrap();
    let err = escape.call(&mut store, &[], &mut []).unwrap_err();
    let thrown = err
        .downcast_ref::<ThrownException>()
        .expect("an uncaught exception");
    assert_eq!(thrown.tag_name(), "`e`");
    assert!(err.to_string().contains("with tag `e`"), "{err}");
    let exn = thrown.exception();
    let tag = instance.get_tag(&mut store, "e").unwrap();
    assert_eq!(exn.tag(&mut store).unwrap(), tag);
    let payload = exn.payload(&mut store).unwrap();
    assert!(matches!(payload[..], [Val::I32(7), Val::I64(42)]));
    // Used with another store, it is an error, not a panic.
    let mut other = Store::new(&Engine::default(), ());
    assert!(exn.tag(&other).is_err());
    assert!(exn.payload(&mut other).is_err());
    // The store is still usable.
    let f = instance
        .get_typed_func::<(), (i32, i64)>(&mut store, "catch_deep")
        .unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), (7, 42));
}

#[test]
fn exceptions_cross_host_frames() {
    // wasm -> host -> wasm throws; the host passes the error on with `?` and the outer wasm
    // catches the same exception, also when the host call runs inside a continuation.
    let (mut store, instance) = instantiate_with_relay(
        r#"(module
  (type $f (func (result i32)))
  (type $c (cont $f))
  (tag $e (export "e") (param i32))
  (import "host" "relay" (func $relay (param i32) (result i32)))
  (func (export "thrower") (param i32) (result i32)
    (if (local.get 0) (then (throw $e (local.get 0))))
    (i32.const -1))
  (func $relay_five (result i32) (call $relay (i32.const 5)))
  (elem declare func $relay_five)
  (func (export "direct") (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $relay (i32.const 7)))))
  (func (export "in_continuation") (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (resume $c (cont.new $c (ref.func $relay_five))))))
  (func (export "uncaught") (result i32) (call $relay (i32.const 9))))"#,
        "relay",
        "thrower",
        0,
    );
    for (name, expected) in [("direct", 7), ("in_continuation", 5)] {
        let f = instance
            .get_typed_func::<(), i32>(&mut store, name)
            .unwrap();
        assert_eq!(f.call(&mut store, ()).unwrap(), expected, "{name}");
    }
    let uncaught = instance
        .get_typed_func::<(), i32>(&mut store, "uncaught")
        .unwrap();
    let err = uncaught.call(&mut store, ()).unwrap_err();
    let thrown = err
        .downcast_ref::<ThrownException>()
        .expect("an uncaught exception");
    assert!(matches!(
        thrown.exception().payload(&mut store).unwrap()[..],
        [Val::I32(9)]
    ));
}
