//! Precompiled modules (`.cwasm` files): a module's machine code written out by
//! [`Engine::precompile_module`](crate::Engine::precompile_module) and loaded back by
//! [`Module::deserialize`](crate::Module::deserialize) without compiling again.
//!
//! Layout: the magic bytes; the header (a little-endian `u32` length, then the header encoded
//! with postcard); the SHA-256 of the payload; the payload (postcard). The header records the wasmfx version, the build id
//! (a hash of the sources and locked dependencies that shape generated code, see `build.rs`)
//! and every code generation setting; its layout never changes, so any build can read any
//! file's header and say what differs. The payload holds the module's wasm binary (parsed
//! again when loading, which is cheap next to compiling its function bodies), the machine
//! code, and the function, trap and exception tables.

use crate::module::CompiledArtifacts;
use crate::Engine;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use wasmfx_environ::{ExnCallSite, StackMaps, Trap};

/// The first bytes of every precompiled module.
const MAGIC: &[u8; 16] = b"\0wasmfx\0cwasm\0\0\0";

/// The wasmfx version that writes and reads precompiled modules.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// This build's id (see `build.rs`).
const BUILD_ID: &str = env!("WASMFX_BUILD_ID");

/// What a precompiled module was compiled by and for. Its layout must never change.
#[derive(Serialize, Deserialize)]
struct Header {
    version: String,
    build: String,
    /// Every code generation setting, as `(name, value)`.
    settings: Vec<(String, String)>,
}

/// The module and its compiled code (see `CompiledArtifacts`), borrowed when written and
/// when read where the format allows.
#[derive(Serialize, Deserialize)]
struct Payload<'a> {
    /// The module's wasm binary.
    wasm: &'a [u8],
    /// The machine code.
    text: &'a [u8],
    funcs: Cow<'a, [(u32, u32)]>,
    traps: Cow<'a, [(u32, Trap)]>,
    exn_sites: Cow<'a, [ExnCallSite]>,
    stack_maps: Cow<'a, StackMaps>,
    array_trampolines: Cow<'a, [Option<u32>]>,
}

/// Whether `bytes` start like a precompiled module.
pub(crate) fn is_precompiled(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
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

/// A precompiled module of `wasm`, whose compiled code is `artifacts`, for `engine`.
pub(crate) fn encode(engine: &Engine, wasm: &[u8], artifacts: &CompiledArtifacts<'_>) -> Vec<u8> {
    let header = Header {
        version: VERSION.to_string(),
        build: BUILD_ID.to_string(),
        settings: settings(engine).to_vec(),
    };
    let payload = Payload {
        wasm,
        text: &artifacts.code,
        funcs: Cow::Borrowed(&artifacts.funcs),
        traps: Cow::Borrowed(&artifacts.traps),
        exn_sites: Cow::Borrowed(&artifacts.exn_sites),
        stack_maps: Cow::Borrowed(&artifacts.stack_maps),
        array_trampolines: Cow::Borrowed(&artifacts.array_trampolines),
    };
    let header = postcard::to_stdvec(&header).expect("encoding to a vector cannot fail");
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    // The payload's checksum goes before it: reserve its place, then fill it in.
    let digest_at = out.len();
    out.extend_from_slice(&[0; 32]);
    let mut out = postcard::to_extend(&payload, out).expect("encoding to a vector cannot fail");
    let digest = Sha256::digest(&out[digest_at + 32..]);
    out[digest_at..digest_at + 32].copy_from_slice(&digest);
    out
}

/// The wasm binary and compiled code of the precompiled module `bytes`, after checking that
/// it was compiled by this build of wasmfx with `engine`'s code generation settings.
pub(crate) fn decode<'a>(
    engine: &Engine,
    bytes: &'a [u8],
) -> Result<(&'a [u8], CompiledArtifacts<'a>)> {
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        bail!("not a precompiled wasmfx module (it does not start with the `.cwasm` header)");
    };
    let corrupt = "corrupt precompiled module";
    let (len, rest) = rest.split_first_chunk::<4>().context(corrupt)?;
    let len = u32::from_le_bytes(*len) as usize;
    if rest.len() < len {
        bail!("{corrupt}: its header is truncated");
    }
    let (header, payload) = rest.split_at(len);
    let header: Header = postcard::from_bytes(header).context(corrupt)?;
    if header.version != VERSION || header.build != BUILD_ID {
        bail!(
            "this module was precompiled by wasmfx {} (build {}), but this is wasmfx {VERSION} \
             (build {BUILD_ID}): compile it again with this wasmfx",
            header.version,
            header.build
        );
    }
    check_settings(&header.settings, settings(engine))?;
    let (digest, payload) = payload.split_first_chunk::<32>().context(corrupt)?;
    if Sha256::digest(payload).as_slice() != digest {
        bail!("{corrupt}: its contents do not match their checksum");
    }
    let payload: Payload<'a> = postcard::from_bytes(payload).context(corrupt)?;
    let artifacts = CompiledArtifacts {
        code: Cow::Borrowed(payload.text),
        funcs: payload.funcs.into_owned(),
        traps: payload.traps.into_owned(),
        exn_sites: payload.exn_sites.into_owned(),
        stack_maps: payload.stack_maps.into_owned(),
        array_trampolines: payload.array_trampolines.into_owned(),
    };
    Ok((payload.wasm, artifacts))
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
