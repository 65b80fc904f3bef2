//! Embedding API tests: calls, host functions, traps with backtraces, reuse after a trap,
//! imports and exports across instances.

mod common;

use common::instantiate;
use wasmfx::*;

#[test]
fn fib() {
    let (mut store, instance) = instantiate(
        r#"(module (func $fib (export "fib") (param i32) (result i32)
             (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))
               (then (local.get 0))
               (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                              (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"#,
    );
    let fib = instance
        .get_typed_func::<i32, i32>(&mut store, "fib")
        .unwrap();
    assert_eq!(fib.call(&mut store, 20).unwrap(), 6765);
}

#[test]
fn trap_then_reuse() {
    let (mut store, instance) = instantiate(
        r#"(module $m
             (func $inner (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
             (func (export "div") (param i32) (result i32) (call $inner (local.get 0))))"#,
    );
    let div = instance
        .get_typed_func::<i32, i32>(&mut store, "div")
        .unwrap();
    let err = div.call(&mut store, 0).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::IntegerDivisionByZero));
    let text = format!("{err:?}");
    assert!(
        text.contains("inner"),
        "backtrace names the function: {text}"
    );
    assert!(text.contains("integer divide by zero"), "{text}");
    assert_eq!(div.call(&mut store, 1).unwrap(), 1);
}

#[test]
fn deep_recursion_traps() {
    let (mut store, instance) = instantiate(
        r#"(module (func $f (export "f") (param i64) (result i64)
             (i64.add (call $f (local.get 0)) (i64.const 1))))"#,
    );
    let f = instance
        .get_typed_func::<i64, i64>(&mut store, "f")
        .unwrap();
    for _ in 0..3 {
        let err = f.call(&mut store, 0).unwrap_err();
        assert_eq!(trap_of(&err), Some(Trap::StackOverflow));
    }
}

#[test]
fn out_of_bounds_memory() {
    let (mut store, instance) = instantiate(
        r#"(module (memory 1) (func (export "load") (param i32) (result i32)
             (i32.load (local.get 0))))"#,
    );
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .unwrap();
    assert_eq!(load.call(&mut store, 0).unwrap(), 0);
    let err = load.call(&mut store, 65534).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::MemoryOutOfBounds));
    let err = load.call(&mut store, -1).unwrap_err();
    assert_eq!(trap_of(&err), Some(Trap::MemoryOutOfBounds));
}

#[test]
fn host_functions_and_errors() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "host" "add" (func $add (param i32 i32) (result i32)))
             (import "host" "fail" (func $fail))
             (func (export "sum") (param i32) (result i32)
               (call $add (local.get 0) (i32.const 10)))
             (func (export "fail") (call $fail)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, 0);
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "host",
            "add",
            |mut caller: Caller<'_, i32>, a: i32, b: i32| {
                *caller.data_mut() += 1;
                a + b
            },
        )
        .unwrap();
    linker
        .func_wrap("host", "fail", || -> Result<()> {
            anyhow::bail!("host says no")
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let sum = instance
        .get_typed_func::<i32, i32>(&mut store, "sum")
        .unwrap();
    assert_eq!(sum.call(&mut store, 5).unwrap(), 15);
    assert_eq!(*store.data(), 1);
    let fail = instance
        .get_typed_func::<(), ()>(&mut store, "fail")
        .unwrap();
    let err = fail.call(&mut store, ()).unwrap_err();
    assert!(err.to_string().contains("host says no"), "{err}");
    assert_eq!(sum.call(&mut store, 1).unwrap(), 11);
}

#[test]
fn imports_and_exports_across_instances() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let a = Module::new(
        &engine,
        r#"(module
             (memory (export "mem") 1)
             (global (export "g") (mut i32) (i32.const 7))
             (table (export "t") 2 funcref)
             (func $f (export "f") (result i32) (i32.const 42))
             (elem (i32.const 0) $f))"#,
    )
    .unwrap();
    let b = Module::new(
        &engine,
        r#"(module
             (import "a" "mem" (memory 1))
             (import "a" "g" (global $g (mut i32)))
             (import "a" "t" (table 2 funcref))
             (import "a" "f" (func $f (result i32)))
             (type $t (func (result i32)))
             (func (export "run") (result i32)
               (i32.store (i32.const 8) (i32.const 99))
               (global.set $g (i32.add (global.get $g) (i32.const 1)))
               (i32.add (call $f) (call_indirect (type $t) (i32.const 0)))))"#,
    )
    .unwrap();
    let ia = Instance::new(&mut store, &a, &[]).unwrap();
    let mut linker = Linker::new(&engine);
    linker.instance(&mut store, "a", ia).unwrap();
    let ib = linker.instantiate(&mut store, &b).unwrap();
    let run = ib.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 84);
    let mem = ia.get_memory(&mut store, "mem").unwrap();
    assert_eq!(mem.data(&store)[8], 99);
    let g = ia.get_global(&mut store, "g").unwrap();
    assert_eq!(g.get(&mut store).unwrap_i32(), 8);
}

#[test]
fn bad_input_is_an_error() {
    let engine = Engine::default();
    assert!(Module::new(&engine, b"\0asm\x01\0\0\0\x01").is_err());
    assert!(Module::new(&engine, "(module (func (result i32)))").is_err());
    let module = Module::new(&engine, r#"(module (import "x" "y" (func)))"#).unwrap();
    let mut store = Store::new(&engine, ());
    let err = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap_err();
    assert!(err.to_string().contains("unknown import"), "{err}");
}

#[test]
fn imports_match_the_declared_maximum() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    // A declared maximum of 65536 pages (4 GiB, the engine's limit too) is kept, so an import
    // asking for it (as pthread builds do) links.
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 65536)).unwrap();
    assert_eq!(memory.ty().maximum(), Some(65536));
    let module = Module::new(
        &engine,
        r#"(module (import "m" "m" (memory 1 65536 shared)))"#,
    );
    Instance::new(&mut store, &module.unwrap(), &[memory.into()]).unwrap();
    // A table without a declared maximum has none, whatever the engine's limit: an import
    // that needs one does not link.
    let ty = TableType::new(RefType::FUNCREF, 1, None);
    let table = Table::new(&mut store, ty, Val::FuncRef(None)).unwrap();
    assert_eq!(table.ty(&mut store).maximum(), None);
    let module = Module::new(
        &engine,
        r#"(module (import "m" "t" (table 1 100 funcref)))"#,
    );
    let err = Instance::new(&mut store, &module.unwrap(), &[table.into()]).unwrap_err();
    assert!(
        err.to_string().contains("incompatible import type"),
        "{err:#}"
    );
}
