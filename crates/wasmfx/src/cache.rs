//! The compilation cache: precompiled modules (see `precompiled`) kept in a directory, one
//! file per module, named by a SHA-256 hash of the wasmfx build, the engine's code generation
//! settings and the module's bytes. Compiling a module that is in the cache loads it instead.
//! The cache is best effort: a file that cannot be read, written or loaded means compiling, and
//! a file that does not load is replaced.

use crate::{precompiled, Engine, Module};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The cache file of `binary` for `engine` in `dir`.
pub(crate) fn entry(dir: &Path, engine: &Engine, binary: &[u8]) -> PathBuf {
    let mut hash = Sha256::new();
    hash.update(precompiled::identity(engine).as_bytes());
    hash.update((binary.len() as u64).to_le_bytes());
    hash.update(binary);
    let hex: String = hash
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    dir.join(format!("{hex}.cwasm"))
}

/// The module cached in `entry`, if there is one that loads.
pub(crate) fn load(engine: &Engine, entry: &Path) -> Option<Module> {
    if !entry.exists() {
        return None;
    }
    // SAFETY: the cache directory holds only what `store` wrote: precompiled modules made by
    // `Engine::precompile_module`'s encoder, and the header check rejects files from other
    // builds or settings (the key covers those too). Entries are replaced by renaming, never
    // rewritten in place, so a mapped entry does not change under the module.
    match unsafe { Module::deserialize_file(engine, entry) } {
        Ok(module) => Some(module),
        Err(_) => {
            let _ = std::fs::remove_file(entry);
            None
        }
    }
}

/// Writes `precompiled` to `entry` (see [`write_by_rename`]); the cache is best effort, so a
/// failure only means compiling next time.
pub(crate) fn store(entry: &Path, precompiled: &[u8]) {
    if let Some(dir) = entry.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = write_by_rename(entry, precompiled);
}

/// Writes `bytes` to `path` through a temporary file in the same directory renamed into
/// place, so that a concurrent reader never sees a partial file and a module mapped from the
/// old file keeps its contents.
pub(crate) fn write_by_rename(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let temporary = path.with_extension(format!(
        "tmp-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let written = std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .with_context(|| format!("writing {}", path.display()));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// The default cache directory: `$XDG_CACHE_HOME/wasmfx`, else `$HOME/.cache/wasmfx`.
pub fn default_directory() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(base.join("wasmfx"))
}
