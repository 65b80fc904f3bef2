//! Precompiled modules (`.cwasm` files): a module's machine code written out by
//! [`Engine::precompile_module`](crate::Engine::precompile_module) and loaded back by
//! [`Module::deserialize`](crate::Module::deserialize) or
//! [`Module::deserialize_file`](crate::Module::deserialize_file) without compiling again.
//!
//! Layout: the magic bytes; the header (a little-endian `u32` length, then the header encoded
//! with postcard); a checksum of everything after it (XXH3, 128 bits: it catches damage, not
//! tampering, and reads at memory speed); the index (a little-endian `u32` length, then
//! postcard) giving each section's length; then the sections, one after the other, each
//! starting at the next multiple of [`SECTION_ALIGN`]: the module's wasm binary (parsed again when loading, all but
//! its function bodies), the code tables (`CodeTables`: functions and names, traps,
//! exception sites, stack maps) and the machine code.
//!
//! The header records the wasmfx version, the build id (a hash of the sources and locked
//! dependencies that shape generated code, see `build.rs`) and every code generation setting;
//! its layout never changes, so any build can read any file's header and say what differs.
//!
//! A file is loaded in place: the checksum is computed reading the file through a small
//! buffer, then the wasm binary, the tables and the code are mapped from the file, so a run
//! makes resident only the pages it touches (a large module's code and tables mostly stay on
//! disk). Bytes already in memory are used where they lie, the tables copied.

use crate::module::{CodeSource, CompiledArtifacts, CompiledCode};
use crate::Engine;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use wasmfx_environ::CodeTables;
use wasmfx_runtime::{read_without_readahead, FileMapping};
use xxhash_rust::xxh3::Xxh3;

/// The first bytes of every precompiled module.
const MAGIC: &[u8; 16] = b"\0wasmfx\0cwasm\0\0\0";

/// The wasmfx version that writes and reads precompiled modules.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// This build's id (see `build.rs`).
const BUILD_ID: &str = env!("WASMFX_BUILD_ID");

/// Sections start at multiples of this, so that they can be mapped on their own (a multiple
/// of the page size of every target wasmfx runs on).
const SECTION_ALIGN: u64 = 4096;

/// Bytes of the checksum.
const CHECKSUM_LEN: usize = 16;

/// Bytes read at a time while checking a file's checksum.
const CHECKSUM_CHUNK: usize = 1 << 20;

/// What a precompiled module was compiled by and for. Its layout must never change.
#[derive(Serialize, Deserialize)]
struct Header {
    version: String,
    build: String,
    /// Every code generation setting, as `(name, value)`.
    settings: Vec<(String, String)>,
}

/// The sections' lengths (their places follow, see [`section_places`]) and the small tables
/// kept inline.
#[derive(Serialize, Deserialize)]
struct Index {
    /// Lengths of the wasm binary, the code tables and the machine code.
    section_lens: [u64; 3],
    /// For each module type, the offset in the code of its array-to-wasm trampoline.
    array_trampolines: Vec<Option<u32>>,
}

/// Where sections of lengths `lens` go, as (file offset, length), when the first may start at
/// `start`: one after the other, each at the next multiple of [`SECTION_ALIGN`]. `None` if an
/// offset overflows.
fn section_places(start: u64, lens: [u64; 3]) -> Option<[(u64, u64); 3]> {
    let mut at = start;
    let mut places = [(0, 0); 3];
    for (place, len) in places.iter_mut().zip(lens) {
        at = at.checked_next_multiple_of(SECTION_ALIGN)?;
        *place = (at, len);
        at = at.checked_add(len)?;
    }
    Some(places)
}

/// Whether `bytes` start like a precompiled module.
pub(crate) fn is_precompiled(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Whether the file at `path` starts like a precompiled module.
pub(crate) fn is_precompiled_file(path: &std::path::Path) -> Result<bool> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    read_without_readahead(&file);
    let mut start = [0; MAGIC.len()];
    Ok(file.read_exact_at(&mut start, 0).is_ok() && is_precompiled(&start))
}

/// The code generation settings of `engine`, as a precompiled module records them: the
/// enabled WebAssembly features, then the compiler's settings. Computed once per engine.
pub(crate) fn settings(engine: &Engine) -> &[(String, String)] {
    engine.inner.code_settings.get_or_init(|| {
        let features = engine.config().features;
        let all = wasmfx_environ::wasmparser::WasmFeatures::all();
        all.iter_names()
            .map(|(name, flag)| {
                (
                    format!("wasm.{}", name.to_ascii_lowercase()),
                    features.contains(flag).to_string(),
                )
            })
            .chain(engine.inner.compiler.settings())
            .collect()
    })
}

/// What makes compiled code usable by an engine: the wasmfx version and build, and the
/// engine's code generation settings (the compilation cache's key includes it).
pub(crate) fn identity(engine: &Engine) -> String {
    let mut identity = format!("wasmfx {VERSION} build {BUILD_ID}");
    for (name, value) in settings(engine) {
        identity.push_str(&format!(";{name}={value}"));
    }
    identity
}

/// A precompiled module of `wasm`, whose compiled code is `compiled`, for `engine`.
pub(crate) fn encode(engine: &Engine, wasm: &[u8], compiled: &CompiledCode) -> Vec<u8> {
    let header = Header {
        version: VERSION.to_string(),
        build: BUILD_ID.to_string(),
        settings: settings(engine).to_vec(),
    };
    let tables: Vec<u8> = compiled
        .tables
        .all_words()
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    let header = postcard::to_stdvec(&header).expect("encoding to a vector cannot fail");
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    // The checksum goes before what it covers: reserve its place, then fill it in.
    let digest_at = out.len();
    out.extend_from_slice(&[0; CHECKSUM_LEN]);
    let sections: [&[u8]; 3] = [wasm, &tables, &compiled.text];
    let index = Index {
        section_lens: sections.map(|section| section.len() as u64),
        array_trampolines: compiled.array_trampolines.clone(),
    };
    let index = postcard::to_stdvec(&index).expect("encoding to a vector cannot fail");
    out.extend_from_slice(&(index.len() as u32).to_le_bytes());
    out.extend_from_slice(&index);
    let places = section_places(out.len() as u64, sections.map(|s| s.len() as u64))
        .expect("in-memory sizes do not overflow");
    for (section, (offset, _)) in sections.iter().zip(places) {
        out.resize(offset as usize, 0);
        out.extend_from_slice(section);
    }
    let digest = checksum(&out[digest_at + CHECKSUM_LEN..]);
    out[digest_at..digest_at + CHECKSUM_LEN].copy_from_slice(&digest);
    out
}

/// The checksum of `bytes`.
fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut hash = Xxh3::new();
    hash.update(bytes);
    hash.digest128().to_le_bytes()
}

/// What [`check`] finds: the places (file offset, length) of the sections, and the
/// array-to-wasm trampolines.
struct Checked {
    wasm: (u64, u64),
    tables: (u64, u64),
    text: (u64, u64),
    array_trampolines: Vec<Option<u32>>,
}

/// Random access to a precompiled module's bytes: in memory, or a file read as needed.
trait Source {
    fn len(&self) -> u64;
    /// Fills `buf` from `offset`; an error if that reaches past the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;
}

impl Source for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let bytes = usize::try_from(offset)
            .ok()
            .and_then(|start| self.get(start..start.checked_add(buf.len())?))
            .context("corrupt precompiled module: it is truncated")?;
        buf.copy_from_slice(bytes);
        Ok(())
    }
}

impl Source for File {
    fn len(&self) -> u64 {
        self.metadata().map_or(0, |m| m.len())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.read_exact_at(buf, offset)
            .context("reading a precompiled module (is it truncated?)")
    }
}

/// Reads `len` bytes at `offset` of `source`.
fn read_vec(source: &(impl Source + ?Sized), offset: u64, len: usize) -> Result<Vec<u8>> {
    if offset.saturating_add(len as u64) > source.len() {
        bail!("corrupt precompiled module: it is truncated");
    }
    let mut buf = vec![0; len];
    source.read_at(offset, &mut buf)?;
    Ok(buf)
}

/// Reads a little-endian `u32` at `offset` of `source`.
fn read_u32(source: &(impl Source + ?Sized), offset: u64) -> Result<u32> {
    let mut bytes = [0; 4];
    source.read_at(offset, &mut bytes)?;
    Ok(u32::from_le_bytes(bytes))
}

/// Checks the magic bytes, the header (this build, `engine`'s settings) and the checksum of
/// `source`, and says where its sections are.
fn check(engine: &Engine, source: &(impl Source + ?Sized)) -> Result<Checked> {
    let magic = read_vec(source, 0, MAGIC.len()).ok();
    if magic.as_deref() != Some(MAGIC.as_slice()) {
        bail!("not a precompiled wasmfx module (it does not start with the `.cwasm` header)");
    }
    let corrupt = "corrupt precompiled module";
    let at = MAGIC.len() as u64;
    let header_len = read_u32(source, at)?;
    let header = read_vec(source, at + 4, header_len as usize)
        .context("corrupt precompiled module: its header is truncated")?;
    let header: Header = postcard::from_bytes(&header).context(corrupt)?;
    if header.version != VERSION || header.build != BUILD_ID {
        bail!(
            "this module was precompiled by wasmfx {} (build {}), but this is wasmfx {VERSION} \
             (build {BUILD_ID}): compile it again with this wasmfx",
            header.version,
            header.build
        );
    }
    check_settings(&header.settings, settings(engine))?;

    let digest_at = at + 4 + u64::from(header_len);
    let digest = read_vec(source, digest_at, CHECKSUM_LEN)?;
    let mut hash = Xxh3::new();
    let mut buf = vec![0; CHECKSUM_CHUNK];
    let mut offset = digest_at + CHECKSUM_LEN as u64;
    let file_len = source.len();
    while offset < file_len {
        let n = (file_len - offset).min(CHECKSUM_CHUNK as u64) as usize;
        source.read_at(offset, &mut buf[..n])?;
        hash.update(&buf[..n]);
        offset += n as u64;
    }
    if hash.digest128().to_le_bytes() != digest.as_slice() {
        bail!("{corrupt}: its contents do not match their checksum");
    }

    let index_at = digest_at + CHECKSUM_LEN as u64;
    let index_len = read_u32(source, index_at)?;
    let index: Index = postcard::from_bytes(&read_vec(source, index_at + 4, index_len as usize)?)
        .context(corrupt)?;
    let places = section_places(index_at + 4 + u64::from(index_len), index.section_lens)
        .filter(|[.., (offset, len)]| offset + len <= file_len);
    let Some([wasm, tables, text]) = places else {
        bail!("{corrupt}: its sections are out of place");
    };
    if !tables.1.is_multiple_of(4) {
        bail!("{corrupt}: its code tables are not whole words");
    }
    Ok(Checked {
        wasm,
        tables,
        text,
        array_trampolines: index.array_trampolines,
    })
}

/// A section's range in a slice of the whole file.
fn range((offset, len): (u64, u64)) -> std::ops::Range<usize> {
    offset as usize..(offset + len) as usize
}

/// The wasm binary and compiled code of the precompiled module `bytes`, after checking that
/// it was compiled by this build of wasmfx with `engine`'s settings and is undamaged.
pub(crate) fn decode<'a>(
    engine: &Engine,
    bytes: &'a [u8],
) -> Result<(&'a [u8], CompiledArtifacts<'a>)> {
    let index = check(engine, bytes)?;
    let words = bytes[range(index.tables)]
        .as_chunks::<4>()
        .0
        .iter()
        .map(|w| u32::from_le_bytes(*w))
        .collect();
    let artifacts = CompiledArtifacts {
        code: CodeSource::Bytes(bytes[range(index.text)].into()),
        tables: CodeTables::from_words(words)?,
        array_trampolines: index.array_trampolines,
    };
    Ok((&bytes[range(index.wasm)], artifacts))
}

/// The wasm binary (mapped) and compiled code (to be mapped) of the precompiled module in
/// `file`, checked as by [`decode`].
pub(crate) fn decode_file<'a>(
    engine: &Engine,
    file: &'a File,
) -> Result<(FileMapping, CompiledArtifacts<'a>)> {
    read_without_readahead(file);
    let index = check(engine, file)?;
    let wasm = FileMapping::new(file, index.wasm.0, index.wasm.1 as usize)?;
    let tables = FileMapping::new(file, index.tables.0, index.tables.1 as usize)?;
    let artifacts = CompiledArtifacts {
        code: CodeSource::File {
            file,
            offset: index.text.0,
            len: index.text.1 as usize,
        },
        tables: CodeTables::new(Arc::new(tables))?,
        array_trampolines: index.array_trampolines,
    };
    Ok((wasm, artifacts))
}

/// An error listing how the settings a module was compiled with differ from the engine's.
fn check_settings(compiled: &[(String, String)], engine: &[(String, String)]) -> Result<()> {
    let value_in = |settings: &[(String, String)], name: &str| {
        settings
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| "absent".to_string(), |(_, v)| v.clone())
    };
    let mut names: Vec<&str> = compiled
        .iter()
        .chain(engine)
        .map(|(n, _)| n.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let differences: Vec<String> = names
        .into_iter()
        .filter_map(|name| {
            let (was, is) = (value_in(compiled, name), value_in(engine, name));
            (was != is).then(|| format!("{name} is {was} in the module but {is} in this engine"))
        })
        .collect();
    if !differences.is_empty() {
        bail!(
            "this module was precompiled for a different configuration: {}; compile it again \
             with the same options",
            differences.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_differences_are_named() {
        let setting = |n: &str, v: &str| (n.to_string(), v.to_string());
        let compiled = [setting("a", "1"), setting("b", "true")];
        assert!(check_settings(&compiled, &compiled).is_ok());
        let engine = [setting("a", "1"), setting("b", "false"), setting("c", "x")];
        let err = check_settings(&compiled, &engine).unwrap_err().to_string();
        assert!(
            err.contains("b is true in the module but false in this engine"),
            "{err}"
        );
        assert!(
            err.contains("c is absent in the module but x in this engine"),
            "{err}"
        );
        assert!(!err.contains("a is"), "{err}");
    }
}
