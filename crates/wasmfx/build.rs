//! Computes the build id that precompiled modules record (`WASMFX_BUILD_ID`): a hash of the
//! sources that decide what generated code looks like and how the runtime reads it (this
//! crate, the compiler, the runtime, the layouts they share) and of the locked dependency
//! versions (Cranelift's among them). A `.cwasm` file is only loaded by a build with the
//! same id, so two builds of one version number that differ in code do not mix.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let crates = manifest.parent().expect("the crate sits in a folder");
    let mut inputs = Vec::new();
    for krate in ["environ", "cranelift", "runtime", "wasmfx"] {
        let src = crates.join(krate).join("src");
        if src.is_dir() {
            println!("cargo:rerun-if-changed={}", src.display());
            collect_files(&src, &mut inputs);
        }
    }
    if let Some(lock) = crates.parent().map(|root| root.join("Cargo.lock")) {
        if lock.is_file() {
            println!("cargo:rerun-if-changed={}", lock.display());
            inputs.push(lock);
        }
    }
    inputs.sort();
    let mut hasher = DefaultHasher::new();
    for path in &inputs {
        let bytes = std::fs::read(path).unwrap_or_default();
        hasher.write(
            path.strip_prefix(crates)
                .unwrap_or(path)
                .as_os_str()
                .as_encoded_bytes(),
        );
        hasher.write_usize(bytes.len());
        hasher.write(&bytes);
    }
    println!("cargo:rustc-env=WASMFX_BUILD_ID={:016x}", hasher.finish());
}

/// Every file under `dir`, recursively.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}
