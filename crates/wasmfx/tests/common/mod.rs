//! Helpers shared by the embedding API tests.
//!
//! A test binary whose name ends in `_pooled` (a `#[path]` alias of another test file) gets
//! engines with the pooling allocator from [`engine`], so the same tests run under both
//! instance allocation strategies.

use wasmfx::{
    Caller, Config, Engine, Instance, InstanceAllocationStrategy, Linker, Module, PoolingConfig,
    Store,
};

/// Whether this test binary runs its tests with the pooling allocator.
pub fn pooled() -> bool {
    env!("CARGO_CRATE_NAME").ends_with("_pooled")
}

/// An engine with the default configuration and this binary's allocation strategy. The pool
/// holds enough stacks (and table elements) for the tests that keep 100,000 continuations
/// alive at once, and fewer tables and memories than by default, to reserve less address
/// space.
pub fn engine() -> Engine {
    if !pooled() {
        return Engine::new(&Config::new()).expect("valid configuration");
    }
    pooled_engine(|pooling| {
        pooling
            .total_stacks(110_000)
            .table_elements(110_000)
            .total_tables(100)
            .total_memories(100);
    })
}

/// An engine with the pooling allocator, its limits set by `limits`.
pub fn pooled_engine(limits: impl FnOnce(&mut PoolingConfig)) -> Engine {
    let mut pooling = PoolingConfig::new();
    limits(&mut pooling);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    Engine::new(&config).expect("valid configuration")
}

/// Compiles `wat` and instantiates it with no imports in a fresh store.
#[allow(dead_code)] // Not every test binary uses it.
pub fn instantiate(wat: &str) -> (Store<()>, Instance) {
    let engine = engine();
    let module = Module::new(&engine, wat).expect("valid module");
    instantiate_in(&engine, &module)
}

/// Instantiates `module` of `engine`, with no imports, in a fresh store.
#[allow(dead_code)] // Not every test binary uses it.
pub fn instantiate_in(engine: &Engine, module: &Module) -> (Store<()>, Instance) {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).expect("instantiates");
    (store, instance)
}

/// Compiles `wat` and instantiates it with one import, `host::NAME` of type
/// `(param i32) (result i32)`, which calls the instance's export `export` (of the same type)
/// and returns its result plus `add`; errors, exceptions included, pass through with `?`.
#[allow(dead_code)] // Not every test binary uses it.
pub fn instantiate_with_relay(
    wat: &str,
    name: &str,
    export: &'static str,
    add: i32,
) -> (Store<()>, Instance) {
    let engine = engine();
    let module = Module::new(&engine, wat).expect("valid module");
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "host",
            name,
            move |mut caller: Caller<'_, ()>, v: i32| -> anyhow::Result<i32> {
                let f = caller
                    .get_export(export)
                    .and_then(|e| e.into_func())
                    .expect("exported");
                let f = f.typed::<i32, i32>(&caller)?;
                Ok(f.call(&mut caller, v)? + add)
            },
        )
        .expect("defines");
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    (store, instance)
}

/// A resource limiter that allows everything, counts the continuation stacks its store
/// allocates and records their size.
#[allow(dead_code)] // Not every test binary uses it.
#[derive(Default)]
pub struct StackCounter {
    /// Stacks allocated so far.
    pub stacks: usize,
    /// The size of each stack, as `cont.new` reports it.
    pub stack_size: usize,
}

impl wasmfx::ResourceLimiter for StackCounter {
    fn memory_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> wasmfx::Result<bool> {
        Ok(true)
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> wasmfx::Result<bool> {
        Ok(true)
    }
    fn continuation_allocating(&mut self, _: usize, stack_size: usize) -> wasmfx::Result<bool> {
        self.stacks += 1;
        self.stack_size = stack_size;
        Ok(true)
    }
}
