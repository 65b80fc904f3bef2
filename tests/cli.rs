//! End-to-end tests of the `wasmfx` binary: running the examples, the program's arguments
//! (everything after the module path, `argv[0]` as wasmtime passes it), traps, bad input
//! (missing files, bad arguments, unknown options, proposals switched off), `.wast` scripts wherever
//! they are, and `--help`.

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
    // The same without inlining.
    let output = wasmfx(&[
        "run",
        "-O",
        "inlining=n",
        "--invoke",
        "fib",
        "examples/fib.wat",
        "30",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "832040\n");
}

#[test]
fn v128_arguments_and_results() {
    let path = common::scratch_file(
        "cli-v128.wat",
        r#"(module
             (func (export "add") (param v128) (result v128)
               (i32x4.add (local.get 0) (v128.const i32x4 1 2 3 4))))"#,
    );
    let path = path.to_str().unwrap();
    // One unsigned 128-bit number, decimal or hexadecimal; printed in decimal as wasmtime
    // prints it: lanes [5 2 3 4] and [0x11 2 3 4].
    let expected = |lane0: u128| (lane0 + (2 << 32) + (3 << 64) + (4 << 96)).to_string();
    let output = wasmfx(&["run", "--invoke", "add", path, "4"]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), format!("{}\n", expected(5)));
    let output = wasmfx(&["run", "--invoke", "add", path, "0x10"]);
    assert_eq!(stdout(&output), format!("{}\n", expected(0x11)));
    let output = wasmfx(&["run", "--invoke", "add", path, "-1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is not a v128"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn start_is_the_default() {
    let output = wasmfx(&["run", "examples/hello.wat"]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "385\n");
}

#[test]
fn arguments_follow_parameter_types() {
    let path = common::scratch_file(
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
    let path = common::scratch_file(
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
    let path = common::scratch_file(
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
    let path = common::scratch_file("cli-invalid.wat", "(module (func (result i32)))");
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
        "multi-memory=y,tail-call,simd=n",
        "-W",
        "max-wasm-stack=1048576",
        "--invoke",
        "fib",
        "examples/fib.wat",
        "10",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "55\n");

    // An unknown option is an error listing the known ones.
    let output = wasmfx(&["run", "-W", "no-such-thing", "examples/fib.wat"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("unknown `-W` option `no-such-thing`; known options: "),
        "stderr: {err}"
    );
    for name in [
        "stack-switching",
        "tail-call",
        "max-wasm-stack",
        "fuel",
        "threads",
    ] {
        assert!(err.contains(name), "stderr: {err}");
    }
    let output = wasmfx(&["compile", "-O", "pooling-everything", "examples/fib.wat"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(
            "unknown `-O` option `pooling-everything`; known options: inlining, pooling-allocator, "
        ),
        "stderr: {err}"
    );
}

#[test]
fn proposals_can_be_switched_off() {
    let path = common::scratch_file(
        "cli-atomics.wat",
        r#"(module (memory 1 1 shared)
             (func (export "add") (param i32) (result i32)
               (drop (i32.atomic.rmw.add (i32.const 8) (local.get 0)))
               (i32.atomic.load (i32.const 8))))"#,
    );
    let path = path.to_str().unwrap();
    let output = wasmfx(&["run", "--invoke", "add", path, "5"]);
    assert_eq!(stdout(&output), "5\n", "{}", stderr(&output));
    let output = wasmfx(&["run", "-W", "threads=n", "--invoke", "add", path, "5"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("threads must be enabled"),
        "{}",
        stderr(&output)
    );
    // Every proposal may be switched off.
    let output = wasmfx(&[
        "run",
        "-W",
        "threads=n,simd=n,relaxed-simd=n,memory64=n",
        "--invoke",
        "fib",
        "examples/fib.wat",
        "10",
    ]);
    assert_eq!(stdout(&output), "55\n", "{}", stderr(&output));
}

/// A WASI command that prints each of its arguments, `argv[0]` included, on its own line.
const PRINT_ARGS: &str = r#"(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: argc; 4: the arguments' size; 16: one iovec; 1024: argv; 4096: the arguments.
  (func (export "_start")
    (local $i i32) (local $arg i32) (local $len i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (block $done
      (loop $next_arg
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 0))))
        (local.set $arg
          (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $len (i32.const 0))
        (block $end
          (loop $next_byte
            (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $arg) (local.get $len)))))
            (local.set $len (i32.add (local.get $len) (i32.const 1)))
            (br $next_byte)))
        ;; The terminating NUL becomes the newline.
        (i32.store8 (i32.add (local.get $arg) (local.get $len)) (i32.const 10))
        (i32.store (i32.const 16) (local.get $arg))
        (i32.store (i32.const 20) (i32.add (local.get $len) (i32.const 1)))
        (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next_arg)))))"#;

#[test]
fn everything_after_the_module_belongs_to_the_program() {
    let dir = common::scratch_dir("cli-argv");
    let program = dir.join("print-args.wat");
    std::fs::write(&program, PRINT_ARGS).unwrap();
    let program = program.to_str().unwrap();
    // wasmfx's own flags after the module path are the program's; argv[0] is the module
    // path's last component, as in wasmtime.
    let output = wasmfx(&["run", program, "-V", "--help", "x"]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "print-args.wat\n-V\n--help\nx\n");
    // Options of `run` go before the module path.
    let output = wasmfx(&[
        "run", "--argv0", "python", "--env", "A=1", program, "--argv0", "-",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "python\n--argv0\n-\n");
    // A relative path, from the program's folder.
    let output = common::wasmfx_at(
        &dir,
        &["run", "./print-args.wat", "a b"],
        b"",
        &common::scratch_path("cache"),
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "print-args.wat\na b\n");
}

#[test]
fn pooling_options() {
    let spawner = common::scratch_file(
        "spawner.wat",
        r#"(module
  (type $f (func))
  (type $c (cont $f))
  (tag $pause)
  (table $kept 0 (ref null $c))
  (func $body (suspend $pause))
  (elem declare func $body)
  ;; Starts `n` continuations and leaves them suspended, kept in a table when `keep` is
  ;; non-zero (else dropped, so that a collection recycles their stacks); returns `n`.
  (func $start (param $n i32) (param $keep i32) (result i32)
    (local $i i32)
    (loop $l
      (if (i32.lt_u (local.get $i) (local.get $n))
        (then
          (block $h (result (ref $c))
            (resume $c (on $pause $h) (cont.new $c (ref.func $body)))
            (unreachable))
          (if (param (ref $c)) (local.get $keep)
            (then (drop (table.grow $kept (i32.const 1))))
            (else (drop)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l))))
    (local.get $n))
  (func (export "spawn") (param $n i32) (result i32) (call $start (local.get $n) (i32.const 1)))
  (func (export "abandon") (param $n i32) (result i32) (call $start (local.get $n) (i32.const 0))))"#,
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
    let abandon = wasmfx(&[
        "run",
        "-O",
        "pooling-allocator,pooling-total-stacks=8",
        "--invoke",
        "abandon",
        spawner,
        "1000",
    ]);
    assert!(abandon.status.success(), "stderr: {}", stderr(&abandon));
    assert_eq!(stdout(&abandon), "1000\n");
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
    let spin = common::scratch_file(
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
    let fib = common::scratch_file(
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
    let mismatch = wasmfx(&[
        "run",
        "-O",
        "inlining=n",
        "--allow-precompiled",
        "--invoke",
        "fib",
        cwasm,
        "30",
    ]);
    assert!(
        stderr(&mismatch).contains("inlining is true in the module but false in this engine"),
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
    let spin = common::scratch_file(
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
    let path = common::scratch_file(
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

    let passing = common::scratch_file(
        "cli-passing.wast",
        r#"(module (func (export "one") (result i32) (i32.const 1)))
           (assert_return (invoke "one") (i32.const 1))"#,
    );
    let output = wasmfx(&["wast", passing.to_str().unwrap()]);
    assert!(output.status.success(), "stdout: {}", stdout(&output));
}

/// A script that needs stack switching: its tag has a result, and its continuation
/// suspends and is resumed.
const CONTINUATION_SCRIPT: &str = r#"(module
  (type $f (func (result i32)))
  (type $c (cont $f))
  (type $g (func (param i32) (result i32)))
  (type $k (cont $g))
  (tag $yield (param i32) (result i32))
  (func $body (result i32)
    (i32.add (suspend $yield (i32.const 20)) (i32.const 1)))
  (elem declare func $body)
  ;; Resumes the body with twice what it yields: 41.
  (func (export "run") (result i32)
    (local $next (ref null $k))
    (block $yielded (result i32 (ref $k))
      (return (resume $c (on $yield $yielded) (cont.new $c (ref.func $body)))))
    (local.set $next)
    (resume $k (i32.mul (i32.const 2)) (local.get $next)))
  (func (export "unhandled") (result i32) (suspend $yield (i32.const 1))))
(assert_return (invoke "run") (i32.const 41))
(assert_suspension (invoke "unhandled") "unhandled")
"#;

#[test]
fn wast_enables_stack_switching_wherever_the_script_is() {
    let dir = common::scratch_dir("cli-scripts");
    let script = dir.join("continuations.wast");
    std::fs::write(&script, CONTINUATION_SCRIPT).unwrap();
    let cache = common::scratch_path("cache");
    let from_inside = common::wasmfx_at(&dir, &["wast", "continuations.wast"], b"", &cache);
    let absolute = wasmfx(&["wast", script.to_str().unwrap()]);
    for output in [from_inside, absolute] {
        assert!(output.status.success(), "stdout: {}", stdout(&output));
        assert!(
            stdout(&output).contains("3 passed, 0 failed, 0 skipped"),
            "stdout: {}",
            stdout(&output)
        );
    }
    // Stack switching can still be switched off.
    let output = wasmfx(&["wast", "-W", "stack-switching=n", script.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "stdout: {}", stdout(&output));
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

    // The option lists come from the one table of options.
    let output = wasmfx(&["run", "--help"]);
    let out = stdout(&output);
    for line in [
        "tail-call[=y|n]",
        "threads[=y|n]",
        "shared memories (within one store); on by default",
        "fuel=N",
        "timeout=DURATION",
        "pooling-total-stacks=N",
        "cache[=y|n]",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    let output = wasmfx(&["compile", "-h"]);
    assert!(stdout(&output).contains("pooling-allocator"));
}

#[test]
fn store_limits_are_for_run_only() {
    let path = common::scratch_file("cli-limits.wat", "(module)");
    let path = path.to_str().unwrap();
    for command in ["compile", "wast"] {
        let output = wasmfx(&[command, "-W", "max-continuations=10", path]);
        assert_eq!(output.status.code(), Some(1), "{command}");
        assert!(
            stderr(&output).contains("are for `wasmfx run`"),
            "{command}: {}",
            stderr(&output)
        );
    }
    let output = wasmfx(&["wast", "-W", "fuel=10", path]);
    assert!(stderr(&output).contains("`-W fuel` and `-W timeout`"));
}
