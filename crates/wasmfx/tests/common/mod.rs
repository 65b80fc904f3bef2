//! Helpers shared by the embedding API tests.

use wasmfx::{Engine, Instance, Module, Store};

/// Compiles `wat` and instantiates it with no imports in a fresh store.
pub fn instantiate(wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("valid module");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    (store, instance)
}
