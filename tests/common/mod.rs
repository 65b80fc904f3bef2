//! Helpers shared by the command-line test files: running the `wasmfx` binary and reading
//! its output.
#![allow(dead_code)] // Each test file uses some of them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The `zig cc` wrapper, installing it on first use (`ci/install-zig`, from PyPI); `None`
/// (with a message) if that fails, for the tests that need it to pass without running.
pub fn zig_cc() -> Option<&'static Path> {
    static CC: OnceLock<Option<PathBuf>> = OnceLock::new();
    CC.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("ci/install-zig");
        let output = Command::new(&script).output();
        match output {
            Ok(out) if out.status.success() => {
                let stdout = String::from_utf8_lossy(&out.stdout);
                stdout.lines().last().map(|l| PathBuf::from(l.trim()))
            }
            Ok(out) => {
                eprintln!(
                    "skipping: `{}` failed: {}",
                    script.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
                None
            }
            Err(e) => {
                eprintln!("skipping: cannot run `{}`: {e}", script.display());
                None
            }
        }
    })
    .as_deref()
}

/// Compiles the C program `source` with `flags` (which name the target, e.g.
/// `--target=wasm32-wasi`; the output is stripped) into the scratch folder `folder` as
/// `NAME.wasm`; `None` when Zig is not available.
pub fn compile_c(source: &Path, folder: &str, name: &str, flags: &[&str]) -> Option<PathBuf> {
    let cc = zig_cc()?;
    let out_dir = scratch_path(folder);
    std::fs::create_dir_all(&out_dir).expect("creating the output folder");
    let wasm = out_dir.join(format!("{name}.wasm"));
    let status = Command::new(cc)
        .args(flags)
        .args(["-s", "-o"])
        .arg(&wasm)
        .arg(source)
        .status()
        .expect("running zig cc");
    assert!(status.success(), "compiling {} failed", source.display());
    Some(wasm)
}

/// The scratch directory of the test binaries (`CARGO_TARGET_TMPDIR`) joined with `name`.
pub fn scratch_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Writes `contents` to a scratch file named `name` and returns its path.
pub fn scratch_file(name: &str, contents: &str) -> PathBuf {
    let path = scratch_path(name);
    std::fs::write(&path, contents).expect("failed to write a scratch file");
    path
}

/// A fresh, empty scratch directory named `name`.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = scratch_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a scratch directory");
    dir
}

/// Runs the built `wasmfx` binary with `args` in the directory `dir`, `stdin` as its standard
/// input, and its compilation cache under `cache_home` (`$XDG_CACHE_HOME`).
pub fn wasmfx_at(dir: &Path, args: &[&str], stdin: &[u8], cache_home: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmfx"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", cache_home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("failed to start the wasmfx binary");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin)
        .expect("writing stdin");
    child.wait_with_output().expect("waiting for wasmfx")
}

/// Runs the built `wasmfx` binary with `args` from the package root, `stdin` as its standard
/// input, and its compilation cache under `cache_home` (`$XDG_CACHE_HOME`).
pub fn wasmfx_in(args: &[&str], stdin: &[u8], cache_home: &Path) -> Output {
    wasmfx_at(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        args,
        stdin,
        cache_home,
    )
}

/// Runs `wasmfx` with `args` and `stdin`, its cache in the tests' scratch directory.
pub fn wasmfx_with_input(args: &[&str], stdin: &[u8]) -> Output {
    wasmfx_in(args, stdin, &scratch_path("cache"))
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The peak resident size, in MiB, of the largest child process this process has waited
/// for (a test binary with one test measures that test's runs).
pub fn children_peak_rss_mib() -> i64 {
    // SAFETY: `getrusage` writes the structure it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage
    };
    usage.ru_maxrss / 1024
}
