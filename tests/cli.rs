//! End-to-end tests of the `wasmfx` binary: running the examples, traps,
//! bad input (missing files, bad arguments and options) and `--help`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

/// Runs the built `wasmfx` binary with `args` from the package root, with its compilation
/// cache in the test's scratch directory.
fn wasmfx(args: &[&str]) -> Output {
    common::wasmfx_with_input(args, b"")
}

/// Runs the built `wasmfx` binary with `args`, with `$XDG_CACHE_HOME` set to `cache_home`.
fn wasmfx_with_cache(args: &[&str], cache_home: &Path) -> Output {
    common::wasmfx_in(args, b"", cache_home)
}

/// Writes `contents` to a scratch file named `name` and returns its path.
fn scratch_file(name: &str, contents: &str) -> PathBuf {
    let path = common::scratch_path(name);
    std::fs::write(&path, contents).expect("failed to write a scratch file");
    path
}

/// Standard output as text.
fn stdout(output: &Output) -> String {
    common::text(&output.stdout)
}

/// Standard error as text.
fn stderr(output: &Output) -> String {
    common::text(&output.stderr)
}

#[test]
fn fib_example() {
    let output = wasmfx(&["run", "--invoke", "fib", "examples/fib.wat", "30"]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "832040\n");
}

#[test]
fn start_is_the_default() {
    let output = wasmfx(&["run", "examples/hello.wat"]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "385\n");
}

#[test]
fn arguments_follow_parameter_types() {
    let path = scratch_file(
        "cli-args.wat",
        r#"(module
             (func (export "mix") (param i32 i64 f32 f64) (result i32 i64 f32 f64)
               local.get 0 local.get 1 local.get 2 local.get 3))"#,
    );
    let path = path.to_str().unwrap();
    let output = wasmfx(&[
        "run",
        "--invoke",
        "mix",
        path,
        "-3",
        "9000000000",
        "1.5",
        "-0.25",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "-3\n9000000000\n1.5\n-0.25\n");

    let output = wasmfx(&["run", "--invoke", "mix", path, "x", "1", "1", "1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is not an i32"),
        "stderr: {}",
        stderr(&output)
    );

    let output = wasmfx(&["run", "--invoke", "mix", path, "1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("takes 4 argument(s)"),
        "stderr: {}",
        stderr(&output)
    );
}

#[test]
fn trap_exits_with_134() {
    let path = scratch_file(
        "cli-trap.wat",
        r#"(module
             (func (export "div") (param i32) (result i32)
               (i32.div_u (i32.const 1) (local.get 0))))"#,
    );
    let output = wasmfx(&["run", "--invoke", "div", path.to_str().unwrap(), "0"]);
    assert_eq!(
        output.status.code(),
        Some(134),
        "stderr: {}",
        stderr(&output)
    );
    let err = stderr(&output);
    assert!(err.starts_with("Error:"), "stderr: {err}");
    assert!(err.contains("integer divide by zero"), "stderr: {err}");
}

#[test]
fn missing_file_is_a_clean_error() {
    let output = wasmfx(&["run", "does/not/exist.wasm"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.starts_with("Error:"), "stderr: {err}");
    assert!(err.contains("failed to read"), "stderr: {err}");
}

#[test]
fn missing_start_asks_for_invoke() {
    let output = wasmfx(&["run", "examples/fib.wat"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--invoke"),
        "stderr: {}",
        stderr(&output)
    );
}

#[test]
fn imports_are_a_clean_error() {
    let path = scratch_file(
        "cli-import.wat",
        r#"(module (import "env" "f" (func)) (func (export "_start")))"#,
    );
    let output = wasmfx(&["run", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("env::f"),
        "stderr: {}",
        stderr(&output)
    );
}

#[test]
fn invalid_module_is_a_clean_error() {
    let path = scratch_file("cli-invalid.wat", "(module (func (result i32)))");
    let output = wasmfx(&["run", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("failed to compile"),
        "stderr: {}",
        stderr(&output)
    );
}

#[test]
fn wasm_options() {
    let output = wasmfx(&[
        "run",
        "-W",
        "simd=y,tail-call",
        "-W",
        "max-wasm-stack=1048576",
        "--invoke",
        "fib",
        "examples/fib.wat",
        "10",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "55\n");

    let output = wasmfx(&["run", "-W", "no-such-thing", "examples/fib.wat"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("unknown `-W` option"),
        "stderr: {}",
        stderr(&output)
    );
}

#[test]
fn pooling_options() {
    let spawner = scratch_file(
        "spawner.wat",
        r#"(module
  (type $f (func))
  (type $c (cont $f))
  (tag $pause)
  (func $body (suspend $pause))
  (elem declare func $body)
  ;; Starts `n` continuations and leaves them suspended; returns `n`.
  (func (export "spawn") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (if (i32.lt_u (local.get $i) (local.get $n))
        (then
          (block $h (result (ref $c))
            (resume $c (on $pause $h) (cont.new $c (ref.func $body)))
            (unreachable))
          (drop)
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l))))
    (local.get $n)))"#,
    );
    let spawner = spawner.to_str().unwrap();
    let run =
        |options: &str, n: &str| wasmfx(&["run", "-O", options, "--invoke", "spawn", spawner, n]);
    let output = run("pooling-allocator,pooling-total-stacks=8", "8");
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "8\n");
    let output = run("pooling-allocator,pooling-total-stacks=8", "9");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("maximum number of continuation stacks (8) reached"),
        "stderr: {}",
        stderr(&output)
    );
    let output = run(
        "pooling-allocator,pooling-max-memory-size=64k,pooling-continuation-stack-size=1M",
        "3",
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let output = run("pooling-total-stacks=8", "1");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("needs `-O pooling-allocator`"),
        "stderr: {}",
        stderr(&output)
    );
}

#[test]
fn fuel_and_timeout_stop_infinite_loops() {
    let spin = scratch_file(
        "spin.wat",
        r#"(module
  (type $f (func))
  (type $c (cont $f))
  (func $spin (loop $l (br $l)))
  (elem declare func $spin)
  (func (export "_start") (call $spin))
  (func (export "in_continuation") (resume $c (cont.new $c (ref.func $spin)))))"#,
    );
    let spin = spin.to_str().unwrap();
    for (option, message) in [
        ("fuel=100000", "all fuel consumed by WebAssembly"),
        ("timeout=100ms", "interrupt"),
    ] {
        for invoke in [None, Some("in_continuation")] {
            let mut args = vec!["run", "-W", option];
            if let Some(name) = invoke {
                args.extend(["--invoke", name]);
            }
            args.push(spin);
            let output = wasmfx(&args);
            assert_eq!(output.status.code(), Some(134), "{args:?}");
            assert!(
                stderr(&output).contains(message),
                "{args:?}: {}",
                stderr(&output)
            );
        }
    }
}

#[test]
fn compile_then_run_precompiled() {
    let fib = scratch_file(
        "cli-fib.wat",
        &std::fs::read_to_string("examples/fib.wat").unwrap(),
    );
    let fib = fib.to_str().unwrap();
    let output = wasmfx(&["compile", fib]);
    assert!(output.status.success(), "{}", stderr(&output));
    // The default output is the input with the extension `.cwasm`.
    let cwasm = common::scratch_path("cli-fib.cwasm");
    let cwasm = cwasm.to_str().unwrap();
    let direct = wasmfx(&["run", "--invoke", "fib", fib, "30"]);
    let precompiled = wasmfx(&["run", "--allow-precompiled", "--invoke", "fib", cwasm, "30"]);
    assert!(precompiled.status.success(), "{}", stderr(&precompiled));
    assert_eq!(stdout(&precompiled), stdout(&direct));
    assert_eq!(stdout(&precompiled), "832040\n");

    // Precompiled code only runs when allowed.
    let refused = wasmfx(&["run", "--invoke", "fib", cwasm, "30"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("requires `--allow-precompiled`"),
        "{}",
        stderr(&refused)
    );
    // A run whose options change the generated code refuses it, saying what differs.
    let mismatch = wasmfx(&[
        "run",
        "-W",
        "fuel=1000000",
        "--allow-precompiled",
        "--invoke",
        "fib",
        cwasm,
        "30",
    ]);
    assert_eq!(mismatch.status.code(), Some(1));
    assert!(
        stderr(&mismatch).contains("consume_fuel is false in the module but true in this engine"),
        "{}",
        stderr(&mismatch)
    );
    // Options that only change the runtime do not matter.
    let pooled = wasmfx(&[
        "run",
        "-O",
        "pooling-allocator",
        "--allow-precompiled",
        "--invoke",
        "fib",
        cwasm,
        "30",
    ]);
    assert_eq!(stdout(&pooled), "832040\n", "{}", stderr(&pooled));
}

#[test]
fn precompiled_with_fuel_stops_an_infinite_loop() {
    let spin = scratch_file(
        "cli-spin-fuel.wat",
        r#"(module (func (export "_start") (loop $l (br $l))))"#,
    );
    let cwasm = common::scratch_path("cli-spin-fuel-out.cwasm");
    let cwasm = cwasm.to_str().unwrap();
    let output = wasmfx(&[
        "compile",
        "-W",
        "fuel=1",
        spin.to_str().unwrap(),
        "-o",
        cwasm,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = wasmfx(&["run", "-W", "fuel=100000", "--allow-precompiled", cwasm]);
    assert_eq!(output.status.code(), Some(134));
    assert!(
        stderr(&output).contains("all fuel consumed by WebAssembly"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn compilation_cache() {
    let home = common::scratch_path("cache-test");
    let _ = std::fs::remove_dir_all(&home);
    let cached_files = || -> Vec<PathBuf> {
        std::fs::read_dir(home.join("wasmfx"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    };
    let run = |extra: &[&str]| {
        let mut args = vec!["run"];
        args.extend(extra);
        args.extend(["--invoke", "fib", "examples/fib.wat", "20"]);
        let output = wasmfx_with_cache(&args, &home);
        assert_eq!(stdout(&output), "6765\n", "{}", stderr(&output));
    };
    // `-C cache=n` leaves the cache alone.
    run(&["-C", "cache=n"]);
    assert!(cached_files().is_empty());
    // By default the compiled module is cached, then loaded from there.
    run(&[]);
    let files = cached_files();
    assert_eq!(files.len(), 1, "{files:?}");
    run(&[]);
    assert_eq!(cached_files(), files);
    // Other code generation settings are another entry.
    run(&["-W", "fuel=1000000000"]);
    assert_eq!(cached_files().len(), 2);
    // A damaged entry is compiled again and replaced.
    std::fs::write(&files[0], b"\0wasmfx\0cwasm\0\0\0garbage").unwrap();
    run(&[]);
    assert_eq!(cached_files().len(), 2);
    run(&[]);
    // An unknown option is an error.
    let output = wasmfx_with_cache(&["run", "-C", "speed=max", "examples/fib.wat"], &home);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("unknown `-C` option `speed`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn wast_reports_results() {
    let path = scratch_file(
        "cli-script.wast",
        r#"(module (tag $t) (func (export "one") (result i32) (i32.const 1))
                   (func (export "suspend") (suspend $t)))
           (assert_return (invoke "one") (i32.const 1))
           (assert_return (invoke "one") (i32.const 2))
           (assert_suspension (invoke "suspend") "unhandled")"#,
    );
    let output = wasmfx(&["wast", "-W", "stack-switching", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains("3 passed, 1 failed, 0 skipped"),
        "stdout: {out}"
    );
    assert!(out.contains(":4: assert_return failed"), "stdout: {out}");

    let passing = scratch_file(
        "cli-passing.wast",
        r#"(module (func (export "one") (result i32) (i32.const 1)))
           (assert_return (invoke "one") (i32.const 1))"#,
    );
    let output = wasmfx(&["wast", passing.to_str().unwrap()]);
    assert!(output.status.success(), "stdout: {}", stdout(&output));
}

#[test]
fn help() {
    let output = wasmfx(&["--help"]);
    assert!(output.status.success());
    let out = stdout(&output);
    assert!(out.contains("run") && out.contains("wast"), "stdout: {out}");

    let output = wasmfx(&["run", "--help"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("--invoke"));

    let output = wasmfx(&["wast", "--help"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("FILE"));
}
