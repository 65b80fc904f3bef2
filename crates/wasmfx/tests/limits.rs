//! Store limits: `Store::limiter` with `StoreLimits` bounds memory and table growth (from wasm
//! and from the host), the number of instances, memories and tables, and the continuations a
//! store may hold; past a limit, growth returns -1, `cont.new` traps, and the store stays
//! usable.

mod common;

use wasmfx::{
    trap_of, Instance, Memory, MemoryType, Module, RefType, ResourceLimiter, Store, StoreLimits,
    StoreLimitsBuilder, Table, TableType, Trap, Val,
};

/// A store of `common::engine()` whose host data is `limits`, installed as its limiter.
fn limited_store(limits: StoreLimitsBuilder) -> Store<StoreLimits> {
    let mut store = Store::new(&common::engine(), limits.build());
    store.limiter(|limits| limits);
    store
}

fn instantiate(store: &mut Store<StoreLimits>, wat: &str) -> wasmfx::Result<Instance> {
    let module = Module::new(store.engine(), wat)?;
    Instance::new(store, &module, &[])
}

const GROWER: &str = r#"
(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "grow_memory") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "grow_table") (param i32) (result i32)
    (table.grow $t (ref.null func) (local.get 0))))
"#;

#[test]
fn memory_and_table_growth_past_the_limit_return_minus_one() {
    let mut store = limited_store(
        StoreLimitsBuilder::new()
            .memory_size(4 * 65536)
            .table_elements(10),
    );
    let instance = instantiate(&mut store, GROWER).unwrap();
    let grow_memory = instance
        .get_typed_func::<i32, i32>(&mut store, "grow_memory")
        .unwrap();
    let grow_table = instance
        .get_typed_func::<i32, i32>(&mut store, "grow_table")
        .unwrap();
    assert_eq!(grow_memory.call(&mut store, 3).unwrap(), 1);
    assert_eq!(grow_memory.call(&mut store, 1).unwrap(), -1);
    assert_eq!(grow_table.call(&mut store, 9).unwrap(), 1);
    assert_eq!(grow_table.call(&mut store, 1).unwrap(), -1);
    // Smaller requests still work: the store is usable.
    assert_eq!(grow_memory.call(&mut store, 0).unwrap(), 4);
    assert_eq!(grow_table.call(&mut store, 0).unwrap(), 10);

    // The host's own growth is limited too.
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    assert!(memory.grow(&mut store, 1).is_err());
    assert_eq!(memory.size(&mut store), 4);
}

#[test]
fn trap_on_grow_failure_traps() {
    let mut store = limited_store(
        StoreLimitsBuilder::new()
            .memory_size(2 * 65536)
            .trap_on_grow_failure(true),
    );
    let instance = instantiate(&mut store, GROWER).unwrap();
    let grow_memory = instance
        .get_typed_func::<i32, i32>(&mut store, "grow_memory")
        .unwrap();
    let err = grow_memory.call(&mut store, 5).unwrap_err();
    assert!(
        format!("{err:#}").contains("exceeds the store's limit"),
        "{err:#}"
    );
    assert_eq!(grow_memory.call(&mut store, 1).unwrap(), 1);
}

#[test]
fn a_memory_whose_minimum_is_past_the_limit_is_refused() {
    let mut store = limited_store(StoreLimitsBuilder::new().memory_size(65536));
    let err = instantiate(&mut store, "(module (memory 2))").unwrap_err();
    assert!(format!("{err:#}").contains("memory limits"), "{err:#}");
    let err = Memory::new(&mut store, MemoryType::new(3, None)).unwrap_err();
    assert!(format!("{err:#}").contains("memory limits"), "{err:#}");
    instantiate(&mut store, "(module (memory 1))").unwrap();
}

#[test]
fn instance_memory_and_table_counts() {
    let mut store = limited_store(StoreLimitsBuilder::new().instances(2));
    instantiate(&mut store, "(module)").unwrap();
    instantiate(&mut store, "(module)").unwrap();
    let err = instantiate(&mut store, "(module)").unwrap_err();
    assert!(format!("{err:#}").contains("2 instances"), "{err:#}");

    let mut store = limited_store(StoreLimitsBuilder::new().memories(1).tables(1));
    instantiate(&mut store, "(module (memory 1) (table 1 funcref))").unwrap();
    let err = instantiate(&mut store, "(module (memory 1))").unwrap_err();
    assert!(format!("{err:#}").contains("1 memories"), "{err:#}");
    let err = instantiate(&mut store, "(module (table 1 funcref))").unwrap_err();
    assert!(format!("{err:#}").contains("1 tables"), "{err:#}");
}

/// Keeps `n` suspended continuations in a growing table; returns how many it kept.
const PARKER: &str = r#"
(module
  (type $f (func))
  (type $c (cont $f))
  (tag $park)
  (table $parked 0 (ref null $c))
  (func $sleeper (suspend $park))
  (func (export "park") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $suspended (result (ref $c))
          (resume $c (on $park $suspended) (cont.new $c (ref.func $sleeper)))
          (br $next))
        (drop (table.grow $parked (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $i))
  (elem declare func $sleeper))
"#;

#[test]
fn continuations_past_the_limit_trap() {
    let mut store = limited_store(StoreLimitsBuilder::new().continuations(100));
    let instance = instantiate(&mut store, PARKER).unwrap();
    let park = instance
        .get_typed_func::<i32, i32>(&mut store, "park")
        .unwrap();
    assert_eq!(park.call(&mut store, 100).unwrap(), 100);
    let err = park.call(&mut store, 1).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::ContinuationLimit), "{err:?}");
    assert!(
        format!("{err:?}").contains("continuation limit reached"),
        "{err:?}"
    );
    // The store stays usable.
    assert_eq!(park.call(&mut store, 0).unwrap(), 0);
}

#[test]
fn continuation_memory_limit() {
    let engine = common::engine();
    let module = Module::new(&engine, PARKER).unwrap();
    let mut probe = Store::new(&engine, common::StackCounter::default());
    probe.limiter(|probe| probe);
    let instance = Instance::new(&mut probe, &module, &[]).unwrap();
    let park = instance.get_typed_func::<i32, i32>(&mut probe, "park");
    assert_eq!(park.unwrap().call(&mut probe, 1).unwrap(), 1);
    let stack = probe.data().stack_size;
    assert!(stack >= 64 * 1024, "stack size {stack}");

    let mut store = limited_store(StoreLimitsBuilder::new().continuation_memory(10 * stack));
    let instance = instantiate(&mut store, PARKER).unwrap();
    let park = instance
        .get_typed_func::<i32, i32>(&mut store, "park")
        .unwrap();
    assert_eq!(park.call(&mut store, 10).unwrap(), 10);
    let err = park.call(&mut store, 1).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::ContinuationLimit), "{err:?}");
}

#[test]
fn table_limits_from_the_host_and_trapping_table_growth() {
    let mut store = limited_store(StoreLimitsBuilder::new().table_elements(4));
    let ty = TableType::new(RefType::FUNCREF, 5, None);
    let err = Table::new(&mut store, ty, Val::FuncRef(None)).unwrap_err();
    assert!(format!("{err:#}").contains("table limits"), "{err:#}");
    let ty = TableType::new(RefType::FUNCREF, 2, None);
    let table = Table::new(&mut store, ty, Val::FuncRef(None)).unwrap();
    assert_eq!(table.grow(&mut store, 2, Val::FuncRef(None)).unwrap(), 2);
    assert!(table.grow(&mut store, 1, Val::FuncRef(None)).is_err());
    assert_eq!(table.size(&mut store), 4);

    let mut store = limited_store(
        StoreLimitsBuilder::new()
            .table_elements(4)
            .trap_on_grow_failure(true),
    );
    let instance = instantiate(&mut store, GROWER).unwrap();
    let grow_table = instance
        .get_typed_func::<i32, i32>(&mut store, "grow_table")
        .unwrap();
    let err = grow_table.call(&mut store, 4).unwrap_err();
    assert!(
        format!("{err:#}").contains("exceeds the store's limit"),
        "{err:#}"
    );
    assert_eq!(grow_table.call(&mut store, 3).unwrap(), 1);
}

/// A limiter whose continuation answer is an error, or a panic.
struct FailingLimiter {
    panic: bool,
}

impl ResourceLimiter for FailingLimiter {
    fn memory_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> wasmfx::Result<bool> {
        Ok(true)
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> wasmfx::Result<bool> {
        Ok(true)
    }
    fn continuation_allocating(&mut self, _: usize, _: usize) -> wasmfx::Result<bool> {
        if self.panic {
            panic!("limiter panicked");
        }
        anyhow::bail!("no continuations today")
    }
}

#[test]
fn a_limiter_error_or_panic_in_cont_new_reaches_the_host() {
    let engine = common::engine();
    let module = Module::new(&engine, PARKER).unwrap();
    let mut store = Store::new(&engine, FailingLimiter { panic: false });
    store.limiter(|limiter| limiter);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let park = instance
        .get_typed_func::<i32, i32>(&mut store, "park")
        .unwrap();
    let err = park.call(&mut store, 1).unwrap_err();
    assert!(
        format!("{err:#}").contains("no continuations today"),
        "{err:#}"
    );
    assert_eq!(park.call(&mut store, 0).unwrap(), 0);

    // A panic in the limiter unwinds into the host that called wasm, not through wasm.
    store.data_mut().panic = true;
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = park.call(&mut store, 1);
    }));
    let payload = panicked.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"limiter panicked"));
}
