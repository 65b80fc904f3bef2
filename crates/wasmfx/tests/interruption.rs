//! Stopping runaway wasm: fuel (a deterministic instruction budget) and epoch deadlines
//! (wall-clock timeouts driven by another thread), in plain code and inside continuations.

use std::time::Duration;
use wasmfx::{trap_of, Config, Engine, Instance, Module, Store, Trap};

const LOOPS: &str = r#"(module
  (type $f (func))
  (type $c (cont $f))
  (tag $t)
  (func $spin (loop $l (br $l)))
  (elem declare func $spin)
  (func (export "spin") (call $spin))
  (func (export "spin_in_continuation")
    (resume $c (cont.new $c (ref.func $spin))))
  (func (export "count") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))"#;

fn setup(config: &Config) -> (Engine, Store<()>, Instance) {
    let engine = Engine::new(config).unwrap();
    let module = Module::new(&engine, LOOPS).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (engine, store, instance)
}

#[test]
fn fuel_stops_infinite_loops_in_main_code_and_in_continuations() {
    let mut config = Config::new();
    config.consume_fuel(true);
    let (_engine, mut store, instance) = setup(&config);
    for name in ["spin", "spin_in_continuation"] {
        store.set_fuel(1_000_000).unwrap();
        let f = instance.get_typed_func::<(), ()>(&mut store, name).unwrap();
        let err = f.call(&mut store, ()).unwrap_err();
        assert_eq!(trap_of(&err), Some(Trap::OutOfFuel), "{name}: {err:?}");
        assert_eq!(store.get_fuel().unwrap(), 0);
    }
    // The store stays usable, and fuel use is deterministic.
    let count = instance
        .get_typed_func::<i32, i32>(&mut store, "count")
        .unwrap();
    let mut used = Vec::new();
    for _ in 0..2 {
        store.set_fuel(100_000).unwrap();
        assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
        used.push(100_000 - store.get_fuel().unwrap());
    }
    assert_eq!(used[0], used[1]);
    assert!(used[0] >= 1000 * 6, "{used:?}");
}

#[test]
fn fuel_needs_the_configuration() {
    let (_engine, mut store, _) = setup(&Config::new());
    assert!(store.set_fuel(1).is_err());
}

#[test]
fn epoch_deadlines_stop_infinite_loops_in_main_code_and_in_continuations() {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let (engine, mut store, instance) = setup(&config);
    for name in ["spin", "spin_in_continuation"] {
        store.set_epoch_deadline(1);
        let ticker = {
            let engine = engine.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                engine.increment_epoch();
            })
        };
        let f = instance.get_typed_func::<(), ()>(&mut store, name).unwrap();
        let err = f.call(&mut store, ()).unwrap_err();
        assert_eq!(trap_of(&err), Some(Trap::Interrupt), "{name}: {err:?}");
        ticker.join().unwrap();
    }
    // A deadline in the future lets code run.
    store.set_epoch_deadline(1);
    let count = instance
        .get_typed_func::<i32, i32>(&mut store, "count")
        .unwrap();
    assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
}
