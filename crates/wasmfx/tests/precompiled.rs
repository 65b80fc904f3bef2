//! Precompiled modules: `Engine::precompile_module` then `Module::deserialize` behaves like
//! compiling directly (continuations, exceptions, traps with their backtraces, indirect
//! calls), and files from another version, another configuration or cut short are refused
//! with an error, never loaded.

mod common;

use common::instantiate_in;
use wasmfx::{Config, Engine, Instance, Module, Store, Trap};

/// A generator (continuations), an exception caught across a call, an indirect call and a
/// trap two calls deep.
const WAT: &str = r#"
(module $precompiled
  (type $gen (func))
  (type $ct (cont $gen))
  (tag $yield (param i32))
  (tag $oops (param i32))
  (global $n (mut i32) (i32.const 0))
  (table 2 funcref)
  (elem (i32.const 0) $seven $eight)

  (func $generator
    (local $i i32)
    (loop $l
      (suspend $yield (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10)))))
  (elem declare func $generator)

  ;; The sum of what the generator yields: 0 + 1 + ... + 9.
  (func (export "sum") (result i32)
    (local $k (ref null $ct)) (local $sum i32)
    (local.set $k (cont.new $ct (ref.func $generator)))
    (block $done
      (loop $next
        (block $on_yield (result i32 (ref $ct))
          (resume $ct (on $yield $on_yield) (local.get $k))
          (br $done))
        (local.set $k)
        (local.set $sum (i32.add (local.get $sum)))
        (br $next)))
    (local.get $sum))

  (func $thrower (param i32) (throw $oops (local.get 0)))
  (func (export "catch") (param i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $oops $caught) (call $thrower (local.get 0)))
      (i32.const -1)))

  (func $seven (result i32) (i32.const 7))
  (func $eight (result i32) (i32.const 8))
  (func (export "indirect") (param i32) (result i32)
    (call_indirect (result i32) (local.get 0)))

  (func $deep (unreachable))
  (func $middle (call $deep))
  (func (export "trap") (call $middle)))
"#;

/// Loads `bytes` as a precompiled module into `engine`.
fn deserialize(engine: &Engine, bytes: &[u8]) -> wasmfx::Result<Module> {
    // SAFETY: every test passes bytes made by `precompile_module` (possibly cut short or
    // with a changed header, which the checks must catch before any code is mapped).
    unsafe { Module::deserialize(engine, bytes) }
}

/// A file in the system's temporary directory named after `name` and this process, holding
/// `contents`, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!("wasmfx-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `precompiled` with one bit flipped near the end, in the machine code.
fn damaged(precompiled: &[u8]) -> Vec<u8> {
    let mut damaged = precompiled.to_vec();
    let at = damaged.len() - 40;
    damaged[at] ^= 0x10;
    damaged
}

/// Loads the precompiled module in the file at `path` into `engine`.
fn deserialize_file(engine: &Engine, path: &std::path::Path) -> wasmfx::Result<Module> {
    // SAFETY: as for `deserialize`; nothing changes the file while the module lives.
    unsafe { Module::deserialize_file(engine, path) }
}

#[test]
fn precompiled_module_behaves_like_a_compiled_one() {
    let engine = Engine::default();
    let precompiled = engine.precompile_module(WAT.as_bytes()).unwrap();
    assert!(Engine::is_precompiled(&precompiled));
    assert!(!Engine::is_precompiled(WAT.as_bytes()));
    let module = deserialize(&engine, &precompiled).unwrap();
    behaves_like_compiled(&engine, &module);
}

/// A module loaded from a file has its code mapped from the file (not copied) and its
/// tables read there too: it behaves all the same.
#[test]
fn a_precompiled_file_is_mapped_and_behaves_like_a_compiled_module() {
    let engine = Engine::default();
    let precompiled = engine.precompile_module(WAT.as_bytes()).unwrap();
    let file = TempFile::new("mapped.cwasm", &precompiled);
    assert!(Engine::is_precompiled_file(&file.0).unwrap());
    let module = deserialize_file(&engine, &file.0).unwrap();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let name = file.0.to_str().unwrap();
    assert!(
        maps.lines()
            .any(|l| l.ends_with(name) && l.split_whitespace().nth(1) == Some("r-xp")),
        "no executable mapping of {name} in\n{maps}"
    );
    behaves_like_compiled(&engine, &module);
    drop(module);
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    assert!(!maps.contains(name), "{name} still mapped:\n{maps}");
}

/// `Engine::write_precompiled_file` (what `wasmfx compile` and the cache use) renames a new
/// file into place, so a module mapped from the old file keeps running its code.
#[test]
fn a_loaded_precompiled_file_can_be_replaced() {
    let engine = Engine::default();
    let file = TempFile::new("replaced.cwasm", &[]);
    let first = engine.precompile_module(WAT.as_bytes()).unwrap();
    Engine::write_precompiled_file(&file.0, &first).unwrap();
    let module = deserialize_file(&engine, &file.0).unwrap();
    let other = engine
        .precompile_module(b"(module (func (export \"f\") (result i32) (i32.const 3)))")
        .unwrap();
    Engine::write_precompiled_file(&file.0, &other).unwrap();
    // The old module runs (and traps with its own backtrace) from the replaced file.
    behaves_like_compiled(&engine, &module);
    let replacement = deserialize_file(&engine, &file.0).unwrap();
    assert_eq!(replacement.exports().count(), 1);
}

#[test]
fn damaged_or_truncated_files_are_refused() {
    let engine = Engine::default();
    let precompiled = engine.precompile_module(WAT.as_bytes()).unwrap();
    let file = TempFile::new("damaged.cwasm", &damaged(&precompiled));
    let err = format!("{:#}", deserialize_file(&engine, &file.0).unwrap_err());
    assert!(err.contains("checksum"), "{err}");
    for len in [0, 10, 100, precompiled.len() / 2, precompiled.len() - 1] {
        let file = TempFile::new("truncated.cwasm", &precompiled[..len]);
        assert!(
            deserialize_file(&engine, &file.0).is_err(),
            "{len} bytes loaded"
        );
    }
    let file = TempFile::new("source.wat", WAT.as_bytes());
    assert!(!Engine::is_precompiled_file(&file.0).unwrap());
    let err = format!("{:#}", deserialize_file(&engine, &file.0).unwrap_err());
    assert!(err.contains("not a precompiled wasmfx module"), "{err}");
    let missing = std::env::temp_dir().join("wasmfx-no-such-file.cwasm");
    assert!(deserialize_file(&engine, &missing).is_err());
    assert!(Engine::is_precompiled_file(&missing).is_err());
}

/// Checks that `module`, loaded from a precompiled form of `WAT`, behaves as compiled.
fn behaves_like_compiled(engine: &Engine, module: &Module) {
    let compiled = Module::new(engine, WAT).unwrap();
    assert_eq!(
        module
            .exports()
            .map(|e| e.name().to_string())
            .collect::<Vec<_>>(),
        compiled
            .exports()
            .map(|e| e.name().to_string())
            .collect::<Vec<_>>()
    );

    let (mut store, instance) = instantiate_in(engine, module);
    let sum = instance
        .get_typed_func::<(), i32>(&mut store, "sum")
        .unwrap();
    assert_eq!(sum.call(&mut store, ()).unwrap(), 45);
    let catch = instance
        .get_typed_func::<i32, i32>(&mut store, "catch")
        .unwrap();
    assert_eq!(catch.call(&mut store, 42).unwrap(), 42);
    let indirect = instance
        .get_typed_func::<i32, i32>(&mut store, "indirect")
        .unwrap();
    assert_eq!(indirect.call(&mut store, 1).unwrap(), 8);
    let err = indirect.call(&mut store, 2).unwrap_err();
    assert_eq!(wasmfx::trap_of(&err), Some(Trap::UndefinedElement));

    let trap = instance
        .get_typed_func::<(), ()>(&mut store, "trap")
        .unwrap();
    let err = trap.call(&mut store, ()).unwrap_err();
    assert_eq!(wasmfx::trap_of(&err), Some(Trap::Unreachable));
    // The backtrace names the functions from the module's name section, as when compiled.
    let text = format!("{err:?}");
    let deep = text.find("$deep").or_else(|| text.find("deep"));
    let middle = text.find("middle");
    assert!(
        deep.is_some() && middle.is_some() && deep < middle,
        "{text}"
    );
    assert!(text.contains("precompiled"), "{text}");

    // The store is still usable, and a second instance of the same module works.
    assert_eq!(sum.call(&mut store, ()).unwrap(), 45);
    let (mut store2, instance2) = instantiate_in(engine, module);
    let sum2 = instance2
        .get_typed_func::<(), i32>(&mut store2, "sum")
        .unwrap();
    assert_eq!(sum2.call(&mut store2, ()).unwrap(), 45);
}

#[test]
fn another_engine_with_the_same_settings_loads_it() {
    let precompiled = Engine::default().precompile_module(WAT.as_bytes()).unwrap();
    // Same code generation settings, different runtime limits.
    let mut config = Config::new();
    config
        .max_wasm_stack(256 * 1024)
        .continuation_stack_size(128 * 1024);
    let engine = Engine::new(&config).unwrap();
    let module = deserialize(&engine, &precompiled).unwrap();
    let (mut store, instance) = instantiate_in(&engine, &module);
    let sum = instance
        .get_typed_func::<(), i32>(&mut store, "sum")
        .unwrap();
    assert_eq!(sum.call(&mut store, ()).unwrap(), 45);
}

#[test]
fn another_configuration_is_refused() {
    let precompiled = Engine::default().precompile_module(WAT.as_bytes()).unwrap();
    let mut fuel = Config::new();
    fuel.consume_fuel(true);
    let mut epochs = Config::new();
    epochs.epoch_interruption(true);
    let mut multi_memory = Config::new();
    multi_memory.wasm_multi_memory(true);
    let cases = [
        (
            fuel,
            "consume_fuel is false in the module but true in this engine",
        ),
        (
            epochs,
            "epoch_interruption is false in the module but true in this engine",
        ),
        (
            multi_memory,
            "wasm.multi_memory is false in the module but true in this engine",
        ),
    ];
    for (config, expected) in cases {
        let engine = Engine::new(&config).unwrap();
        let err = deserialize(&engine, &precompiled).unwrap_err().to_string();
        assert!(err.contains("different configuration"), "{err}");
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn another_version_is_refused() {
    let engine = Engine::default();
    let mut precompiled = engine.precompile_module(WAT.as_bytes()).unwrap();
    // The header holds the version as a length-prefixed string; swap it for another of the
    // same length.
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let mut recorded = vec![version.len() as u8];
    recorded.extend_from_slice(version);
    let at = precompiled
        .windows(recorded.len())
        .position(|w| w == recorded)
        .expect("the header records the version");
    let other: Vec<u8> = version
        .iter()
        .map(|&b| if b.is_ascii_digit() { b'9' } else { b })
        .collect();
    precompiled[at + 1..at + 1 + other.len()].copy_from_slice(&other);
    let err = deserialize(&engine, &precompiled).unwrap_err().to_string();
    let other = String::from_utf8(other).unwrap();
    assert!(
        err.contains(&format!("precompiled by wasmfx {other}")),
        "{err}"
    );
    assert!(err.contains("compile it again"), "{err}");
}

#[test]
fn truncated_or_foreign_bytes_are_refused() {
    let engine = Engine::default();
    let precompiled = engine.precompile_module(WAT.as_bytes()).unwrap();
    // Every proper prefix is refused with an error, never loaded or a crash.
    for len in 0..precompiled.len() {
        assert!(
            deserialize(&engine, &precompiled[..len]).is_err(),
            "a prefix of {len} bytes loaded"
        );
    }
    let err = deserialize(&engine, WAT.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a precompiled wasmfx module"), "{err}");
}

#[test]
fn precompiled_bytes_are_not_compiled_as_source() {
    let engine = Engine::default();
    let precompiled = engine.precompile_module(WAT.as_bytes()).unwrap();
    let err = Module::new(&engine, &precompiled).unwrap_err().to_string();
    assert!(err.contains("precompiled module"), "{err}");
    assert!(err.contains("Module::deserialize"), "{err}");
}

#[test]
fn invalid_modules_are_reported_when_precompiling() {
    let engine = Engine::default();
    let err = engine
        .precompile_module(b"(module (func (result i32) (i64.const 0)))")
        .unwrap_err();
    assert!(format!("{err:#}").contains("type mismatch"), "{err:#}");
}

#[test]
fn the_compilation_cache_serves_modules_compiled_before() {
    let dir = std::env::temp_dir().join(format!("wasmfx-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = Config::new();
    config.cache_directory(Some(dir.clone()));
    let engine = Engine::new(&config).unwrap();
    let files = || std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);

    let first = Module::new(&engine, WAT).unwrap();
    assert_eq!(files(), 1);
    // Loaded from the cache, in a new engine with the same settings.
    let engine2 = Engine::new(&config).unwrap();
    let second = Module::new(&engine2, WAT).unwrap();
    assert_eq!(files(), 1);
    for (engine, module) in [(&engine, &first), (&engine2, &second)] {
        let (mut store, instance) = instantiate_in(engine, module);
        let sum = instance
            .get_typed_func::<(), i32>(&mut store, "sum")
            .unwrap();
        assert_eq!(sum.call(&mut store, ()).unwrap(), 45);
    }
    // Invalid modules are still reported as such.
    let err = Module::new(&engine, "(module (func (result i32) (i64.const 0)))").unwrap_err();
    assert!(format!("{err:#}").contains("type mismatch"), "{err:#}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damaged_contents_are_refused() {
    let engine = Engine::default();
    let precompiled = engine.precompile_module(WAT.as_bytes()).unwrap();
    let err = deserialize(&engine, &damaged(&precompiled))
        .unwrap_err()
        .to_string();
    assert!(err.contains("checksum"), "{err}");
}

/// Functions are compiled in parallel; the code is laid out in function order all the same,
/// so compiling a module again gives the same bytes, and the first invalid function (in
/// order) is the one reported.
#[test]
fn parallel_compilation_is_deterministic() {
    let mut wat = String::from("(module\n");
    for i in 0..300 {
        wat.push_str(&format!(
            "  (func $f{i} (export \"f{i}\") (param i32) (result i32)
               (if (result i32) (i32.eqz (local.get 0)) (then (i32.const {i}))
                 (else (call $f{i} (i32.sub (local.get 0) (i32.const 1))))))\n"
        ));
    }
    wat.push(')');
    let engine = Engine::default();
    let first = engine.precompile_module(wat.as_bytes()).unwrap();
    for _ in 0..3 {
        assert!(engine.precompile_module(wat.as_bytes()).unwrap() == first);
    }
    let module = Module::new(&engine, &wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "f123")
        .unwrap();
    assert_eq!(f.call(&mut store, 5).unwrap(), 123);

    // Two invalid functions among valid ones: the first is reported.
    let invalid = "(module
      (func (result i32) (i32.const 1))
      (func (result i32) (i64.const 2))
      (func (result i32) (i32.const 3))
      (func (result i32) (f32.const 4)))";
    for _ in 0..5 {
        let error = format!("{:#}", Module::new(&engine, invalid).unwrap_err());
        assert!(error.contains("expected i32, found i64"), "{error}");
    }
}
