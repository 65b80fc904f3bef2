//! Modules: parsing (binary or text), validation and compilation, once per module; the
//! compiled code is shared by every instance.

use crate::{cache, precompiled};
use crate::{
    Engine, ExportType, ExternType, FuncType, GlobalType, ImportType, MemoryType, TableType, TypeId,
};
use anyhow::{Context, Result};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use wasmfx_cranelift::CompiledText;
use wasmfx_environ::{
    wasmparser, CodeTables, EntityIndex, FuncEntry, FunctionBodyData, ModuleInfo, ModuleType,
    VMOffsets,
};
use wasmfx_runtime::{CodeMemory, CompiledModule, FrameInfo};

/// A compiled WebAssembly module. Cheap to clone.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

pub(crate) struct ModuleInner {
    pub(crate) engine: Engine,
    pub(crate) compiled: Arc<CompiledModule>,
    /// API type of each module type that is a function type.
    pub(crate) func_types: Vec<Option<FuncType>>,
}

/// Where a module's machine code comes from.
pub(crate) enum CodeSource<'a> {
    /// Bytes in memory (just compiled, or a precompiled module's bytes), copied into an
    /// executable mapping.
    Bytes(Cow<'a, [u8]>),
    /// `len` bytes of a precompiled file from `offset` (page-aligned), mapped executable.
    File {
        file: &'a std::fs::File,
        offset: u64,
        len: usize,
    },
}

impl CodeSource<'_> {
    fn len(&self) -> usize {
        match self {
            CodeSource::Bytes(bytes) => bytes.len(),
            CodeSource::File { len, .. } => *len,
        }
    }
}

/// A module's machine code before it is mapped executable: what a compilation produces and
/// what a precompiled file holds.
pub(crate) struct CompiledArtifacts<'a> {
    /// The defined functions' code, followed by the array-to-wasm trampolines.
    pub(crate) code: CodeSource<'a>,
    /// The functions (the defined functions, then the trampolines) and the code's trap,
    /// exception and stack map tables.
    pub(crate) tables: CodeTables,
    /// For each module type, the offset in `code` of its array-to-wasm trampoline, if a
    /// defined function has that type.
    pub(crate) array_trampolines: Vec<Option<u32>>,
}

/// The output of compiling a module: its machine code and tables.
pub(crate) struct CompiledCode {
    /// The defined functions' code, followed by the array-to-wasm trampolines.
    pub(crate) text: Vec<u8>,
    /// As in [`CompiledArtifacts`].
    pub(crate) tables: CodeTables,
    /// As in [`CompiledArtifacts`].
    pub(crate) array_trampolines: Vec<Option<u32>>,
}

impl CompiledCode {
    fn into_artifacts(self) -> CompiledArtifacts<'static> {
        CompiledArtifacts {
            code: CodeSource::Bytes(Cow::Owned(self.text)),
            tables: self.tables,
            array_trampolines: self.array_trampolines,
        }
    }
}

/// A parsed module whose types are registered with the engine, before its code exists.
struct ParsedModule {
    info: ModuleInfo,
    /// The engine id of each module type.
    type_ids: Vec<u32>,
    func_types: Vec<Option<FuncType>>,
}

impl Module {
    /// Compiles a module from its binary or text form.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        Module::from_binary(engine, &to_binary(bytes.as_ref())?)
    }

    /// Compiles a module from a file holding its binary or text form.
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        if bytes.starts_with(b"\0asm") {
            return Module::from_binary(engine, &bytes);
        }
        refuse_precompiled(&bytes)?;
        let wat = wat::Parser::new();
        let binary = wat.parse_file(path)?;
        Module::from_binary(engine, &binary)
    }

    /// Compiles a module from its binary form.
    ///
    /// With a cache directory configured ([`Config::cache_directory`](crate::Config::cache_directory)),
    /// a module compiled before with the same settings by this build is loaded from the cache,
    /// and a newly compiled one is added to it.
    pub fn from_binary(engine: &Engine, binary: &[u8]) -> Result<Module> {
        let cache_entry = engine
            .config()
            .cache_directory
            .as_deref()
            .map(|dir| cache::entry(dir, engine, binary));
        if let Some(module) = cache_entry
            .as_deref()
            .and_then(|entry| cache::load(engine, entry))
        {
            return Ok(module);
        }
        reporting_invalid(engine, binary, || {
            let (parsed, bodies) = ParsedModule::new(engine, binary)?;
            let compiled = compile_code(engine, &parsed.info, bodies)?;
            if let Some(entry) = &cache_entry {
                cache::store(entry, &precompiled::encode(engine, binary, &compiled));
            }
            Module::from_parts(engine, parsed, compiled.into_artifacts())
        })
    }

    /// Compiles a module (binary or text) to the bytes of a precompiled module, which
    /// [`Module::deserialize`] loads into an engine with the same configuration without
    /// compiling again (what `wasmfx compile` writes).
    pub(crate) fn precompile(engine: &Engine, bytes: &[u8]) -> Result<Vec<u8>> {
        let binary = to_binary(bytes)?;
        reporting_invalid(engine, &binary, || {
            let (parsed, bodies) = ParsedModule::new(engine, &binary)?;
            let compiled = compile_code(engine, &parsed.info, bodies)?;
            Ok(precompiled::encode(engine, &binary, &compiled))
        })
    }

    /// Loads a module precompiled by [`Engine::precompile_module`] (or `wasmfx compile`).
    ///
    /// The file's header must name this build of wasmfx and a configuration whose code
    /// generation settings equal this engine's (features, fuel, epochs, Cranelift's flags and
    /// the CPU features used); otherwise this is an error that says what differs.
    ///
    /// # Safety
    ///
    /// The machine code in `bytes` is mapped executable and run as it is: it must be the
    /// unaltered output of `precompile_module`. The header checks catch files from other
    /// builds and configurations, and a checksum catches truncated or damaged contents, but
    /// nothing catches deliberate tampering.
    pub unsafe fn deserialize(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let (binary, artifacts) = precompiled::decode(engine, bytes.as_ref())?;
        let parsed = ParsedModule::without_code(engine, binary)?;
        Module::from_parts(engine, parsed, artifacts)
    }

    /// Loads a precompiled module from a file (see [`Module::deserialize`]).
    ///
    /// # Safety
    ///
    /// As for [`Module::deserialize`]: the file must be the unaltered output of
    /// `precompile_module` or `wasmfx compile`. Its machine code and tables are mapped from
    /// the file rather than read into memory, so only what runs becomes resident; the file
    /// must therefore not be changed or truncated while the module is alive (replace it by
    /// renaming a new file over it instead).
    pub unsafe fn deserialize_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let load = || {
            let file = std::fs::File::open(path).context("opening it")?;
            let (binary, artifacts) = precompiled::decode_file(engine, &file)?;
            let parsed = ParsedModule::without_code(engine, binary.bytes())?;
            // The wasm binary's mapping goes when this returns: only the code and the tables
            // stay mapped.
            Module::from_parts(engine, parsed, artifacts)
        };
        load().with_context(|| format!("loading precompiled module {}", path.display()))
    }

    /// Maps the compiled code executable, registers its trap and exception tables, and puts
    /// the module together.
    fn from_parts(
        engine: &Engine,
        parsed: ParsedModule,
        artifacts: CompiledArtifacts<'_>,
    ) -> Result<Module> {
        let ParsedModule {
            info,
            type_ids,
            func_types,
        } = parsed;
        check_layout(&info, &artifacts)?;
        let CompiledArtifacts {
            code,
            tables,
            array_trampolines,
        } = artifacts;
        let func_offsets: Vec<u32> = (0..info.num_defined_funcs() as usize)
            .map(|i| tables.func(i).0)
            .collect();
        let mut code = match code {
            CodeSource::Bytes(bytes) => CodeMemory::new(&bytes)?,
            CodeSource::File { file, offset, len } => match CodeMemory::map_file(file, offset, len)
            {
                Ok(code) => code,
                // A file system mounted `noexec` refuses executable mappings of its files:
                // copy the code instead.
                Err(_) => {
                    use std::os::unix::fs::FileExt;
                    let mut text = vec![0; len];
                    file.read_exact_at(&mut text, offset)
                        .context("reading the code of a precompiled module")?;
                    CodeMemory::new(&text)?
                }
            },
        };
        code.register(FrameInfo {
            module_name: info.name.clone(),
            tables,
        });
        let array_trampolines = array_trampolines
            .iter()
            .map(|o| o.map_or(0, |o| code.addr(o)))
            .collect();
        let offsets = VMOffsets::new(&info);
        Ok(Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                compiled: Arc::new(CompiledModule {
                    info,
                    code,
                    func_offsets,
                    type_ids,
                    array_trampolines,
                    offsets,
                    type_registry: engine.inner.types.clone(),
                    type_displays: engine.inner.type_displays.clone(),
                }),
                func_types,
            }),
        })
    }

    pub(crate) fn info(&self) -> &ModuleInfo {
        &self.inner.compiled.info
    }

    /// The module's name from its name section.
    pub fn name(&self) -> Option<&str> {
        self.info().name.as_deref()
    }

    /// The engine the module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The API type of the entity `index`.
    pub(crate) fn entity_type(&self, index: EntityIndex) -> ExternType {
        let info = self.info();
        // Every type was checked by `check_supported` when the module was compiled.
        match index {
            EntityIndex::Function(f) => {
                ExternType::Func(self.func_type_at(info.functions[f as usize]))
            }
            EntityIndex::Table(t) => ExternType::Table(
                TableType::from_wasm(&info.tables[t as usize].ty, self.type_ids())
                    .expect("checked"),
            ),
            EntityIndex::Memory(m) => ExternType::Memory(
                MemoryType::from_wasm(&info.memories[m as usize]).expect("checked"),
            ),
            EntityIndex::Global(g) => ExternType::Global(
                GlobalType::from_wasm(&info.globals[g as usize].ty, self.type_ids())
                    .expect("checked"),
            ),
            EntityIndex::Tag(t) => ExternType::Tag(self.func_type_at(info.tags[t as usize])),
        }
    }

    /// The engine's id of the module's type `index` (as the type section numbers them), for
    /// the host to name a struct or array type it allocates ([`StructRef::new`](crate::StructRef::new)).
    pub fn type_id(&self, index: u32) -> Option<TypeId> {
        self.type_ids().get(index as usize).map(|&id| TypeId(id))
    }

    /// The engine id of each of the module's types.
    pub(crate) fn type_ids(&self) -> &[u32] {
        &self.inner.compiled.type_ids
    }

    pub(crate) fn func_type_at(&self, ty: u32) -> FuncType {
        self.inner.func_types[ty as usize]
            .clone()
            .expect("function type")
    }

    /// The module's imports.
    pub fn imports(&self) -> impl Iterator<Item = ImportType> + '_ {
        self.info().imports.iter().map(|i| ImportType {
            module: i.module.clone(),
            name: i.name.clone(),
            ty: self.entity_type(i.index),
        })
    }

    /// The module's exports.
    pub fn exports(&self) -> impl Iterator<Item = ExportType> + '_ {
        self.info().exports.iter().map(|(name, index)| ExportType {
            name: name.clone(),
            ty: self.entity_type(*index),
        })
    }
}

/// Rejects modules using types the runtime does not support yet, and converts the function
/// types to API types (`type_ids` are the engine ids of the module's types).
fn check_supported(info: &ModuleInfo, type_ids: &[u32]) -> Result<Vec<Option<FuncType>>> {
    let mut func_types = Vec::new();
    for (ty, sub) in info.types.iter().zip(&info.sub_types) {
        if sub.shared {
            anyhow::bail!("shared types (shared-everything threads) are not supported yet");
        }
        func_types.push(match ty {
            ModuleType::Func(f) => Some(FuncType::from_wasm(f, type_ids)?),
            ModuleType::Cont(_) | ModuleType::Struct(_) | ModuleType::Array(_) => None,
        });
    }
    for t in &info.tables {
        TableType::from_wasm(&t.ty, type_ids)?;
    }
    for m in &info.memories {
        MemoryType::from_wasm(m)?;
    }
    for g in &info.globals {
        GlobalType::from_wasm(&g.ty, type_ids)?;
    }
    Ok(func_types)
}

impl ParsedModule {
    /// Parses and validates everything but the function bodies (returned for the compiler),
    /// and registers the module's types with the engine.
    fn new<'a>(
        engine: &Engine,
        binary: &'a [u8],
    ) -> Result<(ParsedModule, Vec<FunctionBodyData<'a>>)> {
        let (info, bodies) = wasmfx_environ::translate_module(binary, engine.config().features)?;
        Ok((ParsedModule::register(engine, info)?, bodies))
    }

    /// Parses and validates all but the function bodies and names, for a module whose code
    /// was compiled before, and registers its types.
    fn without_code(engine: &Engine, binary: &[u8]) -> Result<ParsedModule> {
        let features = engine.config().features;
        let info = wasmfx_environ::translate_module_without_code(binary, features)?;
        ParsedModule::register(engine, info)
    }

    /// Registers the module's types with the engine and checks they are supported.
    fn register(engine: &Engine, info: ModuleInfo) -> Result<ParsedModule> {
        let type_ids =
            engine.register_types(|types| types.register_module(&info.sub_types, &info.rec_groups));
        let func_types = check_supported(&info, &type_ids)?;
        Ok(ParsedModule {
            info,
            type_ids,
            func_types,
        })
    }
}

/// Compiles the function bodies (validating them), then one array-to-wasm trampoline per
/// function type of a defined function.
fn compile_code(
    engine: &Engine,
    info: &ModuleInfo,
    bodies: Vec<FunctionBodyData<'_>>,
) -> Result<CompiledCode> {
    let compiler = &engine.inner.compiler;
    let mut text = compiler.compile_module(info, bodies)?;
    let mut array_trampolines = vec![None; info.types.len()];
    for d in 0..info.num_defined_funcs() {
        let ty = info.functions[(info.num_imported_funcs + d) as usize] as usize;
        if array_trampolines[ty].is_none() {
            let tramp = compiler.array_to_wasm(info, info.func_type_at(ty as u32))?;
            array_trampolines[ty] = Some(text.append(&tramp));
        }
    }
    let CompiledText {
        text,
        funcs,
        traps,
        exn_sites,
        stack_maps,
        inlined,
    } = text;
    let num_defined = info.num_defined_funcs() as usize;
    let funcs: Vec<FuncEntry> = funcs
        .iter()
        .enumerate()
        .map(|(i, &(start, len))| {
            // Trampolines, after the defined functions, have no name.
            let name = (i < num_defined)
                .then(|| info.func_display_name(info.num_imported_funcs + i as u32));
            (start, len, name)
        })
        .collect();
    let code_len = u32::try_from(text.len()).context("the module's code exceeds 4 GiB")?;
    let words = CodeTables::encode(code_len, &funcs, &traps, &exn_sites, &stack_maps, &inlined);
    Ok(CompiledCode {
        text,
        tables: CodeTables::from_words(words)?,
        array_trampolines,
    })
}

/// Checks that compiled code fits its module: one function per defined function and per
/// trampoline, every offset inside the text, and trampolines only for function types. True of
/// anything `compile_code` makes; a precompiled file that fails it is corrupt.
fn check_layout(info: &ModuleInfo, artifacts: &CompiledArtifacts<'_>) -> Result<()> {
    let CompiledArtifacts {
        code,
        tables,
        array_trampolines,
    } = artifacts;
    let len = code.len() as u64;
    let in_text = |offset: u32| u64::from(offset) < len;
    let trampolines = array_trampolines.iter().flatten().count();
    let consistent = u64::from(tables.code_len()) == len
        && tables.func_count() == info.num_defined_funcs() as usize + trampolines
        && (0..tables.func_count()).all(|i| {
            let (start, size) = tables.func(i);
            u64::from(start) + u64::from(size) <= len
        })
        && array_trampolines.len() == info.types.len()
        && array_trampolines.iter().enumerate().all(|(ty, offset)| {
            offset.is_none_or(|o| in_text(o) && matches!(info.types[ty], ModuleType::Func(_)))
        });
    if !consistent {
        anyhow::bail!("compiled code does not match its module (a corrupt precompiled module)");
    }
    Ok(())
}

/// The binary form of a module given in binary or text form.
fn to_binary(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>> {
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes.into());
    }
    refuse_precompiled(bytes)?;
    Ok(wat::parse_bytes(bytes)?)
}

/// An error for a precompiled module given where a module's source was expected.
fn refuse_precompiled(bytes: &[u8]) -> Result<()> {
    if precompiled::is_precompiled(bytes) {
        anyhow::bail!(
            "this is a precompiled module (`.cwasm`), not WebAssembly: load it with \
             `Module::deserialize` (`--allow-precompiled` on the command line)"
        );
    }
    Ok(())
}

/// Runs `f`, which compiles `binary`; if it fails for another reason than the module being
/// malformed, validates the whole module so that an invalid module reports why it is invalid
/// rather than a feature the compiler lacks.
fn reporting_invalid<T>(
    engine: &Engine,
    binary: &[u8],
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    f().map_err(|e| {
        if e.downcast_ref::<wasmparser::BinaryReaderError>().is_none() {
            let mut validator = wasmparser::Validator::new_with_features(engine.config().features);
            if let Err(invalid) = validator.validate_all(binary) {
                return invalid.into();
            }
        }
        e
    })
}
