//! The threads proposal: atomic read-modify-writes on shared and unshared memories, the
//! bounds and alignment traps, `memory.atomic.wait`/`notify` (which blocks only on shared
//! memories), and `SharedMemory` used by stores on several threads at once.

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

/// A module over an imported shared memory: an atomic counter, a plain load, growth, and
/// wait/notify on address 0.
const OVER_SHARED: &str = r#"(module
  (memory (import "env" "memory") 1 4 shared)
  (func (export "count") (param $n i32)
    (loop $again
      (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 1)))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "wait") (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
  (func (export "notify") (result i32) (memory.atomic.notify (i32.const 0) (i32.const 1))))"#;

/// A store of `engine` with an instance of [`OVER_SHARED`] over `memory`.
fn over_shared(engine: &wasmfx::Engine, memory: &wasmfx::SharedMemory) -> (Store<()>, Instance) {
    let module = wasmfx::Module::new(engine, OVER_SHARED).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[memory.clone().into()]).unwrap();
    (store, instance)
}

/// Calls the export `name` of type `P -> R`.
fn call<P: wasmfx::WasmList, R: wasmfx::WasmList>(
    store: &mut Store<()>,
    instance: &Instance,
    name: &str,
    params: P,
) -> R {
    let f = instance.get_typed_func::<P, R>(&mut *store, name).unwrap();
    f.call(store, params).unwrap()
}

#[test]
fn stores_on_several_threads_share_a_memory() {
    let engine = common::engine();
    let memory = wasmfx::SharedMemory::new(&engine, wasmfx::MemoryType::shared(1, 4)).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (engine, memory) = (engine.clone(), memory.clone());
            std::thread::spawn(move || {
                let (mut store, instance) = over_shared(&engine, &memory);
                call::<i32, ()>(&mut store, &instance, "count", 10_000);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (mut store, instance) = over_shared(&engine, &memory);
    assert_eq!(call::<i32, i32>(&mut store, &instance, "load", 8), 40_000);
    // Growth on another thread is seen here, by generated code and by the host.
    std::thread::spawn({
        let (engine, memory) = (engine.clone(), memory.clone());
        move || {
            let (mut store, instance) = over_shared(&engine, &memory);
            assert_eq!(call::<(), i32>(&mut store, &instance, "grow", ()), 1);
        }
    })
    .join()
    .unwrap();
    assert_eq!(call::<(), i32>(&mut store, &instance, "size", ()), 2);
    assert_eq!(memory.size(), 2);
    assert_eq!(memory.data().len(), 2 * 65536);
    assert_eq!(
        call::<i32, i32>(&mut store, &instance, "load", 65536 + 4),
        0
    );
    assert_eq!(memory.grow(1).unwrap(), 2);
    assert!(memory.grow(2).is_err(), "past the maximum of 4 pages");
}

#[test]
fn a_waiter_on_one_thread_is_woken_from_another() {
    let engine = common::engine();
    let memory = wasmfx::SharedMemory::new(&engine, wasmfx::MemoryType::shared(1, 1)).unwrap();
    let waiter = std::thread::spawn({
        let (engine, memory) = (engine.clone(), memory.clone());
        move || {
            let (mut store, instance) = over_shared(&engine, &memory);
            call::<(), i32>(&mut store, &instance, "wait", ())
        }
    });
    let (mut store, instance) = over_shared(&engine, &memory);
    // Notify until the waiter has queued and been woken.
    while call::<(), i32>(&mut store, &instance, "notify", ()) == 0 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(waiter.join().unwrap(), 0, "woken");
    // The host waits and notifies too.
    let timeout = Some(std::time::Duration::from_millis(1));
    let ended = memory.atomic_wait32(0, 0, timeout).unwrap();
    assert_eq!(ended, wasmfx::WaitResult::TimedOut);
    let ended = memory.atomic_wait32(0, 1, timeout).unwrap();
    assert_eq!(ended, wasmfx::WaitResult::Mismatch);
    assert_eq!(memory.atomic_notify(0, 1).unwrap(), 0);
    let err = memory.atomic_notify(2, 1).unwrap_err();
    assert_eq!(err.to_string(), "unaligned atomic");
    let err = memory.atomic_wait64(65536, 0, timeout).unwrap_err();
    assert_eq!(err.to_string(), "out of bounds memory access");
}

#[test]
fn shared_memories_are_shared_memory_values() {
    let engine = common::engine();
    let ty = wasmfx::MemoryType::shared(1, 2);
    let mut store = Store::new(&engine, ());
    let err = wasmfx::Memory::new(&mut store, ty).unwrap_err();
    assert!(err.to_string().contains("SharedMemory::new"), "{err}");
    let err = wasmfx::SharedMemory::new(&engine, wasmfx::MemoryType::new(1, Some(2)));
    assert!(err.is_err(), "not a shared type");
    // A module's own shared memory is exported as a `SharedMemory` that other threads'
    // stores import.
    let exporter = wasmfx::Module::new(
        store.engine(),
        r#"(module (memory (export "m") 1 1 shared) (data (i32.const 8) "\2a"))"#,
    )
    .unwrap();
    let exported = Instance::new(&mut store, &exporter, &[]).unwrap();
    assert!(exported.get_memory(&mut store, "m").is_none());
    let shared = exported.get_shared_memory(&mut store, "m").unwrap();
    assert_eq!(shared.ty(), wasmfx::MemoryType::shared(1, 1));
    let engine = store.engine().clone();
    let loaded = std::thread::spawn(move || {
        let (mut store, instance) = over_shared(&engine, &shared);
        call::<i32, i32>(&mut store, &instance, "load", 8)
    });
    assert_eq!(loaded.join().unwrap(), 42);
    // An import of another type is refused.
    let narrow = wasmfx::Module::new(
        store.engine(),
        r#"(module (memory (import "env" "memory") 1 1 shared))"#,
    )
    .unwrap();
    let wide = wasmfx::SharedMemory::new(store.engine(), wasmfx::MemoryType::shared(1, 2));
    let err = Instance::new(&mut store, &narrow, &[wide.unwrap().into()]).unwrap_err();
    assert!(
        err.to_string().contains("incompatible import type"),
        "{err}"
    );
    // A store's limits apply to the shared memories its instances define.
    let limits = wasmfx::StoreLimitsBuilder::new().memory_size(65536).build();
    let mut limited = Store::new(store.engine(), limits);
    limited.limiter(|limits| limits);
    let big = wasmfx::Module::new(store.engine(), r#"(module (memory 2 2 shared))"#).unwrap();
    assert!(Instance::new(&mut limited, &big, &[]).is_err());
    // Another engine's stores cannot use it.
    let shared = exported.get_shared_memory(&mut store, "m").unwrap();
    let other = wasmfx::Engine::default();
    let module = wasmfx::Module::new(&other, OVER_SHARED).unwrap();
    let mut store = Store::new(&other, ());
    let err = Instance::new(&mut store, &module, &[shared.into()]).unwrap_err();
    assert!(err.to_string().contains("different engine"), "{err}");
}
