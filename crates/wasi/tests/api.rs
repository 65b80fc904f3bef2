//! WASI through the embedding API: output captured in memory, `proc_exit` as an
//! [`I32Exit`] error, arguments, and bad guest pointers answered with `EFAULT`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use wasmfx::{Engine, Linker, Module, Store};
use wasmfx_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};

/// A writer whose bytes the test can read afterwards.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const MODULE: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hello\n")
  (func (export "hello") (result i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 6))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "bad_pointer") (result i32)
    (call $fd_write (i32.const 1) (i32.const 65534) (i32.const 1) (i32.const 8)))
  (func (export "argc") (result i32)
    (drop (call $args_sizes (i32.const 0) (i32.const 4)))
    (i32.load (i32.const 0)))
  (func (export "exit") (param i32) (call $exit (local.get 0))))"#;

fn run(builder: &mut WasiCtxBuilder) -> (Store<WasiCtx>, wasmfx::Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut linker = Linker::new(&engine);
    wasmfx_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let mut store = Store::new(&engine, builder.build());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

#[test]
fn output_goes_to_the_configured_writer() {
    let out = Captured::default();
    let (mut store, instance) = run(WasiCtxBuilder::new().stdout(out.clone()));
    let hello = instance
        .get_typed_func::<(), i32>(&mut store, "hello")
        .unwrap();
    assert_eq!(hello.call(&mut store, ()).unwrap(), 0);
    assert_eq!(out.0.lock().unwrap().as_slice(), b"hello\n");
}

#[test]
fn bad_pointers_are_efault_not_a_crash() {
    let (mut store, instance) = run(&mut WasiCtxBuilder::new());
    let f = instance
        .get_typed_func::<(), i32>(&mut store, "bad_pointer")
        .unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 21);
}

#[test]
fn arguments_are_counted() {
    let (mut store, instance) = run(WasiCtxBuilder::new().args(["prog", "a", "b"]));
    let argc = instance
        .get_typed_func::<(), i32>(&mut store, "argc")
        .unwrap();
    assert_eq!(argc.call(&mut store, ()).unwrap(), 3);
}

#[test]
fn proc_exit_ends_the_call_with_its_code() {
    let (mut store, instance) = run(&mut WasiCtxBuilder::new());
    let exit = instance
        .get_typed_func::<i32, ()>(&mut store, "exit")
        .unwrap();
    let err = exit.call(&mut store, 7).unwrap_err();
    assert_eq!(err.downcast_ref::<I32Exit>(), Some(&I32Exit(7)));
    // The store stays usable.
    let argc = instance
        .get_typed_func::<(), i32>(&mut store, "argc")
        .unwrap();
    assert_eq!(argc.call(&mut store, ()).unwrap(), 0);
}
