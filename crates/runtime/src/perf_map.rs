//! Linux perf's map of JIT code, `/tmp/perf-PID.map`: once enabled, every registered code
//! range adds a line per function (start, size, name), so that `perf report` names wasm
//! functions and trampolines instead of showing bare addresses.

use crate::code::FrameInfo;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

/// The open map file, once enabled.
static MAP: Mutex<Option<File>> = Mutex::new(None);

/// Starts writing the map (idempotent). Code registered before this is not listed.
pub fn enable() -> Result<()> {
    let mut map = MAP.lock().unwrap_or_else(|e| e.into_inner());
    if map.is_none() {
        let path = format!("/tmp/perf-{}.map", std::process::id());
        let file = File::options()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening the perf map {path}"))?;
        *map = Some(file);
    }
    Ok(())
}

/// Lists the functions of code mapped at `start`, if the map is enabled. Write errors are
/// ignored: the map is a diagnostic aid.
pub(crate) fn record(start: usize, info: &FrameInfo) {
    let mut map = MAP.lock().unwrap_or_else(|e| e.into_inner());
    let Some(file) = map.as_mut() else {
        return;
    };
    let module = info.module_name.as_deref().unwrap_or("wasm");
    let mut lines = String::new();
    for func in 0..info.tables.func_count() {
        let (offset, len) = info.tables.func(func);
        let name = info.tables.func_name(func);
        let name = name.as_deref().unwrap_or("trampoline");
        lines.push_str(&format!(
            "{:x} {len:x} {module}::{name}\n",
            start + offset as usize
        ));
    }
    let _ = file.write_all(lines.as_bytes());
}
