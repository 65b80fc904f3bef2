//! Real C programs compiled to `wasm32-wasi` with Zig's clang, run by `wasmfx run`: output,
//! arguments and environment, files in a `--dir` preopen, directory listings, stdin, exit
//! codes, sandbox escapes, clocks; a continuation that calls WASI while suspended; and
//! threads (wasi-threads, `-S threads`) over a shared memory.
//!
//! Zig comes from PyPI through `ci/install-zig` (which `.ci/run` also calls). When it cannot
//! be installed, the tests that need it say so and pass without running.

mod common;

use common::{scratch_dir, text};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Compiles `tests/wasi/NAME.c` to a module, or `None` when Zig is not available.
fn compile(name: &str) -> Option<PathBuf> {
    compile_with(name, &[])
}

/// Compiles `tests/wasi/NAME.c` with `flags` beside the target and `-O2`.
fn compile_with(name: &str, flags: &[&str]) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = vec!["--target=wasm32-wasi", "-O2"];
    all.extend(flags);
    common::compile_c(
        &root.join(format!("tests/wasi/{name}.c")),
        "wasi",
        name,
        &all,
    )
}

/// Runs `wasmfx ARGS...` with `stdin` as standard input.
fn wasmfx(args: &[&str], stdin: &[u8]) -> Output {
    common::wasmfx_with_input(args, stdin)
}

/// Asserts a run exited with `code`, showing its output otherwise.
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn hello_world_with_arguments_and_environment() {
    let Some(wasm) = compile("hello") else { return };
    let cwasm = wasm.with_extension("cwasm");
    let out = wasmfx(&["compile", wasm.to_str().unwrap()], b"");
    assert_exit(&out, 0);
    // Compiled on the fly and precompiled, the program behaves the same.
    for (flags, file) in [(&[][..], &wasm), (&["--allow-precompiled"][..], &cwasm)] {
        let mut args = vec!["run"];
        args.extend(flags);
        args.extend([
            "--env",
            "GREETING=hi there",
            file.to_str().unwrap(),
            "one",
            "-two",
        ]);
        let out = wasmfx(&args, b"");
        assert_exit(&out, 0);
        assert_eq!(
            text(&out.stdout),
            "Hello, world!\narg: one\narg: -two\nGREETING=hi there\n"
        );
    }
}

#[test]
fn reads_and_writes_files_in_a_preopened_directory() {
    let Some(wasm) = compile("files") else { return };
    let dir = scratch_dir("wasi-files");
    let preopen = format!("{}::/sandbox", dir.display());
    let out = wasmfx(&["run", "--dir", &preopen, wasm.to_str().unwrap()], b"");
    assert_exit(&out, 0);
    assert_eq!(text(&out.stdout), "files ok\n");
    // The program cleans up after itself.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn lists_a_directory() {
    let Some(wasm) = compile("listdir") else {
        return;
    };
    let dir = scratch_dir("wasi-listdir");
    for name in ["b.txt", "a.txt", "c"] {
        std::fs::write(dir.join(name), name).unwrap();
    }
    std::fs::create_dir(dir.join("sub")).unwrap();
    let preopen = format!("{}::/sandbox", dir.display());
    let out = wasmfx(&["run", "--dir", &preopen, wasm.to_str().unwrap()], b"");
    assert_exit(&out, 0);
    assert_eq!(text(&out.stdout), "a.txt\nb.txt\nc\nsub\n");
}

#[test]
fn reads_standard_input() {
    let Some(wasm) = compile("cat") else { return };
    let input = b"line one\nline two\0with a NUL\n";
    let out = wasmfx(&["run", wasm.to_str().unwrap()], input);
    assert_exit(&out, 0);
    assert_eq!(out.stdout, input);
    assert!(text(&out.stderr).contains(&format!("read {} bytes", input.len())));
}

#[test]
fn exit_code_is_the_programs() {
    let Some(wasm) = compile("exit3") else { return };
    let out = wasmfx(&["run", wasm.to_str().unwrap()], b"");
    assert_exit(&out, 3);
    assert_eq!(text(&out.stdout), "exiting with 3\n");
}

#[test]
fn paths_outside_the_preopen_are_refused() {
    let Some(wasm) = compile("escape") else {
        return;
    };
    let parent = scratch_dir("wasi-escape");
    let dir = parent.join("sandbox");
    std::fs::create_dir(&dir).unwrap();
    // A real file where an escape would land.
    std::fs::write(parent.join("outside"), "secret").unwrap();
    let preopen = format!("{}::/sandbox", dir.display());
    let out = wasmfx(&["run", "--dir", &preopen, wasm.to_str().unwrap()], b"");
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(
        stdout.lines().all(|l| l.starts_with("refused: ")),
        "{stdout}"
    );
}

#[test]
fn clocks_sleep_and_randomness() {
    let Some(wasm) = compile("clock") else { return };
    let out = wasmfx(&["run", wasm.to_str().unwrap()], b"");
    assert_exit(&out, 0);
    assert_eq!(text(&out.stdout), "clock ok\n");
}

#[test]
fn a_generator_prints_from_inside_its_continuation() {
    let wat = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasi/generator.wat");
    let cwasm = common::scratch_path("generator.cwasm");
    let out = wasmfx(
        &[
            "compile",
            wat.to_str().unwrap(),
            "-o",
            cwasm.to_str().unwrap(),
        ],
        b"",
    );
    assert_exit(&out, 0);
    let expected: String = [1, 4, 9, 16, 25]
        .iter()
        .scan(0, |sum, v| {
            *sum += v;
            Some(format!("gen:{v}\nsum:{sum}\n"))
        })
        .collect();
    for args in [
        vec!["run", wat.to_str().unwrap()],
        vec!["run", "--allow-precompiled", cwasm.to_str().unwrap()],
    ] {
        let out = wasmfx(&args, b"");
        assert_exit(&out, 0);
        assert_eq!(text(&out.stdout), expected, "{args:?}");
    }
}

#[test]
fn threads_sum_in_parallel_under_a_mutex_and_a_condition_variable() {
    // Shared memory needs atomics and bulk memory in every object, and a memory imported
    // (and exported) so that every thread's instance uses the same one.
    let flags = [
        "-mcpu=generic+atomics+bulk_memory",
        "-Wl,--import-memory,--export-memory,--shared-memory,--max-memory=67108864",
    ];
    let Some(wasm) = compile_with("parallel_sum", &flags) else {
        return;
    };
    let wasm = wasm.to_str().unwrap();
    let out = wasmfx(&["run", wasm, "4", "1000"], b"");
    assert_exit(&out, 1);
    assert!(
        text(&out.stderr).contains("run it with `-S threads`"),
        "{}",
        text(&out.stderr)
    );
    // The answer is n(n+1)/2 whatever the interleaving (wasmtime 49 no longer runs
    // wasi-threads programs, so no engine checks it). Repeated runs give races their chance.
    for _ in 0..20 {
        let out = wasmfx(&["run", "-S", "threads", wasm, "4", "1000000"], b"");
        assert_exit(&out, 0);
        assert_eq!(
            text(&out.stdout),
            "threads 4, sum of 1..1000000 = 500000500000 in 1000 chunks\n"
        );
    }
    let out = wasmfx(&["run", "-S", "threads", wasm, "16", "10000000"], b"");
    assert_exit(&out, 0);
    assert_eq!(
        text(&out.stdout),
        "threads 16, sum of 1..10000000 = 50000005000000 in 10000 chunks\n"
    );
}

#[test]
fn a_thread_that_exits_or_traps_ends_the_process_and_a_failed_start_is_eagain() {
    let wat = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasi/thread_ends.wat");
    let wat = wat.to_str().unwrap();
    let out = wasmfx(
        &["run", "-S", "threads", "--invoke", "exit_from_thread", wat],
        b"",
    );
    assert_exit(&out, 7);
    let out = wasmfx(
        &["run", "-S", "threads", "--invoke", "trap_in_thread", wat],
        b"",
    );
    assert_exit(&out, 134);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("wasi thread 1 failed"), "{stderr}");
    assert!(stderr.contains("unreachable"), "{stderr}");
    let out = wasmfx(
        &["run", "-S", "threads", "--invoke", "failed_spawn", wat],
        b"",
    );
    assert_exit(&out, 0);
    assert_eq!(text(&out.stdout), "-6\n");
}
