//! Fuzz target: any bytes given to `Module::new` give a module or an error, never a panic or
//! a crash; modules that compile are instantiated and their exported nullary functions called.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfx::{Engine, Instance, Module, Store, Val};

fuzz_target!(|data: &[u8]| {
    let engine = Engine::default();
    let Ok(module) = Module::from_binary(&engine, data) else {
        return;
    };
    if module.imports().next().is_some() {
        return;
    }
    let mut store = Store::new(&engine, ());
    let Ok(instance) = Instance::new(&mut store, &module, &[]) else {
        return;
    };
    for (_, export) in instance.exports(&mut store) {
        if let Some(f) = export.into_func() {
            let ty = f.ty(&store);
            if ty.params().is_empty() {
                let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
                let _ = f.call(&mut store, &[], &mut results);
            }
        }
    }
});
