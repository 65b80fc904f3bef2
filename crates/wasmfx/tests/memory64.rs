//! 64-bit memories and tables (memory64): bounds-checked accesses at 64-bit addresses,
//! `memory.grow`/`table.grow` with 64-bit sizes, `call_indirect` through a 64-bit table, host
//! memories and tables of either index type and import matching, and a memory grown past
//! 4 GiB.

mod common;

use common::{engine, pooled};
use wasmfx::{
    Config, Engine, Instance, Linker, Memory, MemoryType, Module, RefType, Store, Table, TableType,
    Trap, Val,
};

const MODULE: &str = r#"(module
  (memory (export "mem") i64 1 4)
  (table $t i64 2 funcref)
  (elem (table $t) (i64.const 0) func $seven $eight)
  (type $f (func (result i32)))
  (func $seven (result i32) (i32.const 7))
  (func $eight (result i32) (i32.const 8))
  (func (export "store") (param i64 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i64) (result i32) (i32.load (local.get 0)))
  (func (export "load_far") (param i64) (result i32) (i32.load offset=0xffff_ffff_0000 (local.get 0)))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call") (param i64) (result i32) (call_indirect $t (type $f) (local.get 0)))
  (func (export "table_grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "table_size") (result i64) (table.size $t))
)"#;

fn trap(err: &wasmfx::Error) -> Trap {
    wasmfx::trap_of(err).unwrap_or_else(|| panic!("not a trap: {err:#}"))
}

#[test]
fn accesses_are_checked_at_64_bit_addresses() {
    let (mut store, instance) = common::instantiate(MODULE);
    let store_fn = instance
        .get_typed_func::<(i64, i32), ()>(&mut store, "store")
        .unwrap();
    let load = instance
        .get_typed_func::<i64, i32>(&mut store, "load")
        .unwrap();
    store_fn.call(&mut store, (65532, 42)).unwrap();
    assert_eq!(load.call(&mut store, 65532).unwrap(), 42);
    // The last 4 bytes are fine, one past them traps; so do addresses past 4 GiB and ones
    // whose end overflows 64 bits.
    for address in [65533, 1 << 32, (1 << 32) + 65532, -1, -4, i64::MAX] {
        let err = load.call(&mut store, address).unwrap_err();
        assert_eq!(trap(&err), Trap::MemoryOutOfBounds, "load at {address:#x}");
    }
    let far = instance
        .get_typed_func::<i64, i32>(&mut store, "load_far")
        .unwrap();
    assert_eq!(
        trap(&far.call(&mut store, 0).unwrap_err()),
        Trap::MemoryOutOfBounds
    );
    // The store stays usable.
    assert_eq!(load.call(&mut store, 65532).unwrap(), 42);
}

#[test]
fn sizes_and_growth_are_64_bit() {
    let (mut store, instance) = common::instantiate(MODULE);
    let size = instance
        .get_typed_func::<(), i64>(&mut store, "size")
        .unwrap();
    let grow = instance
        .get_typed_func::<i64, i64>(&mut store, "grow")
        .unwrap();
    assert_eq!(size.call(&mut store, ()).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(
        grow.call(&mut store, 2).unwrap(),
        -1,
        "past the maximum of 4 pages"
    );
    assert_eq!(grow.call(&mut store, 1 << 40).unwrap(), -1);
    assert_eq!(size.call(&mut store, ()).unwrap(), 3);
    let fill = instance
        .get_typed_func::<(i64, i32, i64), ()>(&mut store, "fill")
        .unwrap();
    fill.call(&mut store, (3 * 65536 - 8, 0x55, 8)).unwrap();
    let err = fill.call(&mut store, (3 * 65536 - 8, 0x55, 9)).unwrap_err();
    assert_eq!(trap(&err), Trap::MemoryOutOfBounds);
    let memory = instance.get_memory(&mut store, "mem").unwrap();
    assert!(memory.ty(&mut store).is_64());
    assert_eq!(memory.ty(&mut store).maximum(), Some(4));
    assert_eq!(memory.data(&store)[3 * 65536 - 1], 0x55);
}

#[test]
fn tables_are_indexed_with_64_bit_values() {
    let (mut store, instance) = common::instantiate(MODULE);
    let call = instance
        .get_typed_func::<i64, i32>(&mut store, "call")
        .unwrap();
    assert_eq!(call.call(&mut store, 0).unwrap(), 7);
    assert_eq!(call.call(&mut store, 1).unwrap(), 8);
    for index in [2, 1 << 32, -1] {
        let err = call.call(&mut store, index).unwrap_err();
        assert_eq!(
            trap(&err),
            Trap::UndefinedElement,
            "call_indirect {index:#x}"
        );
    }
    let grow = instance
        .get_typed_func::<i64, i64>(&mut store, "table_grow")
        .unwrap();
    let size = instance
        .get_typed_func::<(), i64>(&mut store, "table_size")
        .unwrap();
    assert_eq!(grow.call(&mut store, 3).unwrap(), 2);
    assert_eq!(size.call(&mut store, ()).unwrap(), 5);
    assert_eq!(grow.call(&mut store, 1 << 40).unwrap(), -1);
    let err = call.call(&mut store, 4).unwrap_err();
    assert_eq!(trap(&err), Trap::UninitializedElement);
}

#[test]
fn host_memories_and_tables_match_their_index_type() {
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module (import "host" "mem" (memory i64 1)) (import "host" "tab" (table i64 1 funcref))
             (func (export "peek") (param i64) (result i32) (i32.load8_u (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let mem64 = Memory::new(&mut store, MemoryType::new64(1, None)).unwrap();
    let tab64 = Table::new(
        &mut store,
        TableType::new64(RefType::FUNCREF, 1, None),
        Val::FuncRef(None),
    )
    .unwrap();
    let mem32 = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    let tab32 = Table::new(
        &mut store,
        TableType::new(RefType::FUNCREF, 1, None),
        Val::FuncRef(None),
    )
    .unwrap();
    mem64.data_mut(&mut store)[9] = 99;
    let instance = Instance::new(&mut store, &module, &[mem64.into(), tab64.into()]).unwrap();
    let peek = instance
        .get_typed_func::<i64, i32>(&mut store, "peek")
        .unwrap();
    assert_eq!(peek.call(&mut store, 9).unwrap(), 99);
    for imports in [[mem32.into(), tab64.into()], [mem64.into(), tab32.into()]] {
        let err = Instance::new(&mut store, &module, &imports).unwrap_err();
        assert!(
            err.to_string().contains("incompatible import type"),
            "{err:#}"
        );
    }
}

#[test]
fn a_64_bit_memory_grows_past_4_gib() {
    if pooled() {
        // Pooled memories are limited by the pool's slot size.
        return;
    }
    let mut config = Config::new();
    config.max_memory_size(5 << 30);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, MODULE.replace("i64 1 4", "i64 1")).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let grow = instance
        .get_typed_func::<i64, i64>(&mut store, "grow")
        .unwrap();
    let store_fn = instance
        .get_typed_func::<(i64, i32), ()>(&mut store, "store")
        .unwrap();
    let load = instance
        .get_typed_func::<i64, i32>(&mut store, "load")
        .unwrap();
    // 4 GiB + 64 KiB, then up to the 5 GiB limit and no further.
    assert_eq!(grow.call(&mut store, 65536).unwrap(), 1);
    let high = (4i64 << 30) + 100;
    store_fn.call(&mut store, (high, 1234)).unwrap();
    assert_eq!(load.call(&mut store, high).unwrap(), 1234);
    assert_eq!(grow.call(&mut store, 16383).unwrap(), 65537);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
    let err = load.call(&mut store, 5 << 30).unwrap_err();
    assert_eq!(trap(&err), Trap::MemoryOutOfBounds);
}
