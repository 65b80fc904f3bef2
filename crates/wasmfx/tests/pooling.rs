//! The pooling allocator through the embedding API: pooled tables of every element type,
//! memories, continuation stacks and instance counts, their limits, and slots coming back
//! (reset) when stores are dropped.

mod common;

use wasmfx::{Engine, Instance, Module, Store};

const TWO_TABLES: &str = r#"(module
  (type $f (func))
  (type $c (cont $f))
  (table $funcs 10 funcref)
  (table $conts 10 (ref null $c))
  (func (export "grow_funcs") (param i32) (result i32)
    (table.grow $funcs (ref.null func) (local.get 0)))
  (func (export "grow_conts") (param i32) (result i32)
    (table.grow $conts (ref.null $c) (local.get 0))))"#;

fn pooled_engine(total_tables: usize, table_elements: usize) -> Engine {
    common::pooled_engine(|pooling| {
        pooling
            .total_tables(total_tables)
            .table_elements(table_elements);
    })
}

#[test]
fn pooled_tables_have_the_same_capacity_whatever_their_element_type() {
    let engine = pooled_engine(2, 100);
    let module = Module::new(&engine, TWO_TABLES).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    for name in ["grow_funcs", "grow_conts"] {
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, name)
            .unwrap();
        assert_eq!(grow.call(&mut store, 90).unwrap(), 10, "{name}");
        assert_eq!(grow.call(&mut store, 1).unwrap(), -1, "{name}");
    }
}

#[test]
fn exhausting_the_table_pool_is_an_error_and_dropping_a_store_frees_its_slots() {
    let engine = pooled_engine(3, 100);
    let module = Module::new(&engine, TWO_TABLES).unwrap();
    let mut first = Store::new(&engine, ());
    Instance::new(&mut first, &module, &[]).unwrap();
    let mut second = Store::new(&engine, ());
    let err = Instance::new(&mut second, &module, &[]).unwrap_err();
    assert!(
        format!("{err:#}").contains("maximum number of tables (3) reached"),
        "{err:#}"
    );
    drop(first);
    drop(second);
    let mut third = Store::new(&engine, ());
    Instance::new(&mut third, &module, &[]).unwrap();
}

#[test]
fn a_table_larger_than_a_pool_slot_is_an_error() {
    let engine = pooled_engine(10, 5);
    let err = Module::new(&engine, TWO_TABLES)
        .and_then(|m| Instance::new(&mut Store::new(&engine, ()), &m, &[]))
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("exceeds the limit of 5 elements per table"),
        "{err:#}"
    );
}

/// Instantiates `wat` in a fresh store of `engine`.
fn instantiate(engine: &Engine, wat: &str) -> anyhow::Result<(Store<()>, Instance)> {
    let module = Module::new(engine, wat)?;
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    Ok((store, instance))
}

const MEMORY: &str = r#"(module
  (memory (export "mem") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

#[test]
fn a_freed_memory_slot_is_reset_before_reuse() {
    let engine = common::pooled_engine(|p| {
        p.total_memories(1).memory_keep_resident(4096);
    });
    for round in 0..3 {
        let (mut store, instance) = instantiate(&engine, MEMORY).unwrap();
        let mem = instance.get_memory(&mut store, "mem").unwrap();
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        assert_eq!(grow.call(&mut store, 1).unwrap(), 1);
        assert!(
            mem.data(&store).iter().all(|b| *b == 0),
            "round {round}: the slot still holds the previous memory's bytes"
        );
        mem.data_mut(&mut store).fill(0xa5);
    }
}

#[test]
fn a_smaller_memory_in_a_reused_slot_traps_past_its_end() {
    let engine = common::pooled_engine(|p| {
        p.total_memories(1);
    });
    let (mut store, instance) = instantiate(&engine, MEMORY).unwrap();
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .unwrap();
    assert_eq!(grow.call(&mut store, 3).unwrap(), 1);
    drop(store);
    let (mut store, instance) = instantiate(
        &engine,
        r#"(module (memory 1)
             (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#,
    )
    .unwrap();
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .unwrap();
    assert_eq!(load.call(&mut store, 65532).unwrap(), 0);
    let err = load.call(&mut store, 65536).unwrap_err();
    assert!(
        format!("{err:#}").contains("out of bounds memory access"),
        "{err:#}"
    );
}

#[test]
fn memory_limits_of_the_pool_are_errors() {
    let engine = common::pooled_engine(|p| {
        p.total_memories(1).max_memory_size(2 * 65536);
    });
    let (mut store, instance) = instantiate(&engine, MEMORY).unwrap();
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .unwrap();
    assert_eq!(grow.call(&mut store, 2).unwrap(), -1);
    assert_eq!(grow.call(&mut store, 1).unwrap(), 1);
    let err = instantiate(&engine, MEMORY).unwrap_err();
    assert!(
        format!("{err:#}").contains("maximum number of memories (1) reached"),
        "{err:#}"
    );
    drop(store);
    let err = instantiate(&engine, "(module (memory 3))").unwrap_err();
    assert!(
        format!("{err:#}").contains("exceeds the limit of 131072 bytes per memory"),
        "{err:#}"
    );
    instantiate(&engine, MEMORY).unwrap();
}

#[test]
fn instances_are_counted_across_stores() {
    let engine = common::pooled_engine(|p| {
        p.total_instances(2);
    });
    let module = Module::new(&engine, "(module)").unwrap();
    let mut a = Store::new(&engine, ());
    Instance::new(&mut a, &module, &[]).unwrap();
    let mut b = Store::new(&engine, ());
    Instance::new(&mut b, &module, &[]).unwrap();
    let err = Instance::new(&mut b, &module, &[]).unwrap_err();
    assert!(
        format!("{err:#}").contains("maximum number of instances (2) reached"),
        "{err:#}"
    );
    drop(a);
    Instance::new(&mut b, &module, &[]).unwrap();
}

/// `spawn(n)` starts `n` continuations that each suspend once and keeps them suspended;
/// `run(n)` runs `n` continuations to completion one after another.
const SPAWNER: &str = r#"(module
  (type $f (func))
  (type $c (cont $f))
  (tag $pause)
  (table $live 100 (ref null $c))
  (func $body (suspend $pause))
  (elem declare func $body)
  (func (export "spawn") (param $n i32)
    (local $i i32) (local $k (ref null $c))
    (loop $l
      (if (i32.ge_u (local.get $i) (local.get $n)) (then (return)))
      (block $h (result (ref $c))
        (resume $c (on $pause $h) (cont.new $c (ref.func $body)))
        (unreachable))
      (local.set $k)
      (table.set $live (local.get $i) (local.get $k))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
  (func (export "run") (param $n i32)
    (loop $l
      (if (i32.eqz (local.get $n)) (then (return)))
      (block $h (result (ref $c))
        (resume $c (on $pause $h) (cont.new $c (ref.func $body)))
        (unreachable))
      (resume $c)
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l))))"#;

#[test]
fn exhausting_the_stack_pool_traps_cleanly_and_dropping_a_store_returns_its_stacks() {
    let engine = common::pooled_engine(|p| {
        p.total_stacks(3);
    });
    let (mut store, instance) = instantiate(&engine, SPAWNER).unwrap();
    let spawn = instance
        .get_typed_func::<i32, ()>(&mut store, "spawn")
        .unwrap();
    let run = instance
        .get_typed_func::<i32, ()>(&mut store, "run")
        .unwrap();
    let err = spawn.call(&mut store, 4).unwrap_err();
    assert!(
        format!("{err:#}")
            .contains("pooling allocator: maximum number of continuation stacks (3) reached"),
        "{err:#}"
    );
    // The store is still usable: the pool stays full while its three continuations live.
    let err = run.call(&mut store, 1).unwrap_err();
    assert!(
        format!("{err:#}").contains("maximum number of continuation stacks (3) reached"),
        "{err:#}"
    );
    // Another store gets no stack while this one holds all.
    let (mut other, other_instance) = instantiate(&engine, SPAWNER).unwrap();
    let other_run = other_instance
        .get_typed_func::<i32, ()>(&mut other, "run")
        .unwrap();
    assert!(other_run.call(&mut other, 1).is_err());
    drop(store);
    // Finished continuations recycle their stacks: one stack serves a thousand.
    other_run.call(&mut other, 1000).unwrap();
    let spawn = other_instance
        .get_typed_func::<i32, ()>(&mut other, "spawn")
        .unwrap();
    spawn.call(&mut other, 2).unwrap();
}

/// Recursion `depth` calls deep inside a continuation.
const DEEP: &str = r#"(module
  (type $f (func (param i32)))
  (type $c (cont $f))
  (func $down (param i32)
    (if (local.get 0) (then (call $down (i32.sub (local.get 0) (i32.const 1))))))
  (elem declare func $down)
  (func (export "deep") (param i32)
    (resume $c (local.get 0) (cont.new $c (ref.func $down)))))"#;

#[test]
fn the_pool_stack_size_applies_to_pooled_continuations() {
    let depth = 20_000;
    let (mut store, instance) = instantiate(&Engine::default(), DEEP).unwrap();
    let deep = instance
        .get_typed_func::<i32, ()>(&mut store, "deep")
        .unwrap();
    let err = deep.call(&mut store, depth).unwrap_err();
    assert!(
        format!("{err:#}").contains("call stack exhausted"),
        "{err:#}"
    );
    let engine = common::pooled_engine(|p| {
        p.continuation_stack_size(4 << 20);
    });
    let (mut store, instance) = instantiate(&engine, DEEP).unwrap();
    let deep = instance
        .get_typed_func::<i32, ()>(&mut store, "deep")
        .unwrap();
    deep.call(&mut store, depth).unwrap();
}
