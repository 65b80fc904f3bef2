//! The threads proposal within one store: atomic read-modify-writes on shared and unshared
//! memories, the bounds and alignment traps, and `memory.atomic.wait`/`notify` (which blocks
//! only on shared memories).

mod common;

use common::instantiate;
use wasmfx::{trap_of, Instance, Store, Trap, TypedFunc};

fn module(shared: &str) -> String {
    format!(
        r#"(module
  (memory 1 1 {shared})
  (func (export "rmw") (param $a i32) (result i64)
    (i64.store (i32.const 0) (i64.const 0x1122334455667788))
    (drop (i32.atomic.rmw8.add_u (local.get $a) (i32.const 0x0101)))
    (drop (i64.atomic.rmw16.xor_u (i32.const 2) (i64.const 0xffff)))
    (drop (i32.atomic.rmw.cmpxchg (i32.const 4) (i32.const 0x11223344) (i32.const 7)))
    (i64.atomic.load (i32.const 0)))
  (func (export "load32") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "wait") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32) (result i32)
    (memory.atomic.notify (local.get 0) (i32.const 10))))"#
    )
}

#[test]
fn read_modify_writes_of_every_width() {
    for shared in ["", "shared"] {
        let (mut store, instance) = instantiate(&module(shared));
        let rmw = instance
            .get_typed_func::<i32, i64>(&mut store, "rmw")
            .unwrap();
        // Byte 0 += 1 (the carry does not leave the byte: 0x88 + 0x01), bytes 2..4 ^= 0xffff,
        // the high word (0x11223344) is replaced by 7.
        assert_eq!(
            rmw.call(&mut store, 0).unwrap(),
            0x0000_0007_aa99_7789,
            "{shared}"
        );
    }
}

#[test]
fn bounds_and_alignment_trap() {
    let (mut store, instance) = instantiate(&module(""));
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load32")
        .unwrap();
    let cases = [
        (65532, None),
        (65536, Some(Trap::MemoryOutOfBounds)),
        (2, Some(Trap::UnalignedAtomic)),
        // Alignment is checked first, as the reference interpreter does.
        (65533, Some(Trap::UnalignedAtomic)),
        (-1, Some(Trap::UnalignedAtomic)),
        (-4, Some(Trap::MemoryOutOfBounds)),
    ];
    for (address, expected) in cases {
        let result = load.call(&mut store, address);
        assert_eq!(
            result.as_ref().err().and_then(trap_of),
            expected,
            "{address}"
        );
    }
    assert_eq!(Trap::UnalignedAtomic.message(), "unaligned atomic");
}

/// `wait(address, expected, timeout) -> status`.
type Wait = TypedFunc<(i32, i32, i64), i32>;

/// The module's `wait` and `notify` exports.
fn wait_and_notify(store: &mut Store<()>, instance: &Instance) -> (Wait, TypedFunc<i32, i32>) {
    let wait = instance.get_typed_func(&mut *store, "wait").unwrap();
    let notify = instance.get_typed_func(&mut *store, "notify").unwrap();
    (wait, notify)
}

#[test]
fn wait_needs_a_shared_memory_and_notify_counts_waiters() {
    let (mut store, instance) = instantiate(&module(""));
    let (wait, notify) = wait_and_notify(&mut store, &instance);
    let err = wait.call(&mut store, (0, 0, 0)).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::WaitOnUnsharedMemory));
    assert_eq!(notify.call(&mut store, 0).unwrap(), 0);

    let (mut store, instance) = instantiate(&module("shared"));
    let (wait, notify) = wait_and_notify(&mut store, &instance);
    // Not the expected value: 1 at once; the expected value and a 1 ms timeout: 2.
    assert_eq!(wait.call(&mut store, (0, 5, -1)).unwrap(), 1);
    assert_eq!(wait.call(&mut store, (0, 0, 1_000_000)).unwrap(), 2);
    assert_eq!(notify.call(&mut store, 0).unwrap(), 0);
    let err = wait.call(&mut store, (1, 0, 0)).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::UnalignedAtomic));
}

#[test]
fn a_wait_without_timeout_ends_at_the_epoch_deadline() {
    let mut config = wasmfx::Config::new();
    config.epoch_interruption(true);
    let engine = wasmfx::Engine::new(&config).unwrap();
    let module = wasmfx::Module::new(&engine, module("shared")).unwrap();
    let mut store = wasmfx::Store::new(&engine, ());
    store.set_epoch_deadline(1);
    let instance = wasmfx::Instance::new(&mut store, &module, &[]).unwrap();
    let wait = instance
        .get_typed_func::<(i32, i32, i64), i32>(&mut store, "wait")
        .unwrap();
    let ticker = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            engine.increment_epoch();
        })
    };
    // Nothing can notify: only the deadline ends this wait.
    let err = wait.call(&mut store, (0, 0, -1)).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::Interrupt));
    ticker.join().unwrap();
}
