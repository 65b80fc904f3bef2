//! The pooling allocator through the embedding API: pooled tables of every element type,
//! their limits, and slots coming back when stores are dropped.

use wasmfx::{Config, Engine, Instance, InstanceAllocationStrategy, Module, PoolingConfig, Store};

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
    let mut pooling = PoolingConfig::new();
    pooling
        .total_tables(total_tables)
        .table_elements(table_elements);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    Engine::new(&config).unwrap()
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
