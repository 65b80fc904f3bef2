//! Modules: parsing (binary or text), validation and compilation, once per module; the
//! compiled code is shared by every instance.

use crate::{
    Engine, ExportType, ExternType, FuncType, GlobalType, ImportType, MemoryType, TableType,
};
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Arc;
use wasmfx_environ::{wasmparser, EntityIndex, ModuleInfo, ModuleType, VMOffsets};
use wasmfx_runtime::{CodeMemory, CompiledModule, FrameInfo};

/// A compiled WebAssembly module. Cheap to clone.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

pub(crate) struct ModuleInner {
    pub(crate) engine: Engine,
    pub(crate) compiled: Arc<CompiledModule>,
    /// API type of each module type that is a function type.
    pub(crate) func_types: Vec<Option<FuncType>>,
}

impl Module {
    /// Compiles a module from its binary or text form.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = bytes.as_ref();
        if bytes.starts_with(b"\0asm") {
            return Module::from_binary(engine, bytes);
        }
        let binary = wat::parse_bytes(bytes)?;
        Module::from_binary(engine, &binary)
    }

    /// Compiles a module from a file holding its binary or text form.
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        if bytes.starts_with(b"\0asm") {
            return Module::from_binary(engine, &bytes);
        }
        let wat = wat::Parser::new();
        let binary = wat.parse_file(path)?;
        Module::from_binary(engine, &binary)
    }

    /// Compiles a module from its binary form.
    pub fn from_binary(engine: &Engine, binary: &[u8]) -> Result<Module> {
        Module::compile(engine, binary).map_err(|e| {
            // A feature the compiler lacks must not hide that the module is invalid.
            if e.downcast_ref::<wasmparser::BinaryReaderError>().is_none() {
                let mut validator =
                    wasmparser::Validator::new_with_features(engine.config().features);
                if let Err(invalid) = validator.validate_all(binary) {
                    return invalid.into();
                }
            }
            e
        })
    }

    fn compile(engine: &Engine, binary: &[u8]) -> Result<Module> {
        let features = engine.config().features;
        let (info, bodies) = wasmfx_environ::translate_module(binary, features)?;
        let type_ids = engine
            .types_mut()
            .register_module(&info.sub_types, &info.rec_groups);
        let func_types = check_supported(&info, &type_ids)?;
        let compiler = &engine.inner.compiler;
        let mut text = compiler.compile_module(&info, bodies)?;
        let func_offsets: Vec<u32> = text.funcs.iter().map(|(s, _)| *s).collect();
        let mut names: Vec<Option<String>> = (0..info.num_defined_funcs())
            .map(|i| Some(info.func_display_name(info.num_imported_funcs + i)))
            .collect();

        // One array-to-wasm trampoline per function type of a defined function.
        let mut tramp_offsets = vec![None; info.types.len()];
        for d in 0..info.num_defined_funcs() {
            let ty = info.functions[(info.num_imported_funcs + d) as usize] as usize;
            if tramp_offsets[ty].is_none() {
                let tramp = compiler.array_to_wasm(&info, info.func_type_at(ty as u32))?;
                tramp_offsets[ty] = Some(text.append(&tramp));
                names.push(None);
            }
        }
        let mut code = CodeMemory::new(&text.text)?;
        code.register(FrameInfo {
            module_name: info.name.clone(),
            funcs: text
                .funcs
                .iter()
                .zip(names)
                .map(|((s, l), n)| (*s, *l, n))
                .collect(),
            traps: std::mem::take(&mut text.traps),
            exn_sites: std::mem::take(&mut text.exn_sites),
        });
        let array_trampolines = tramp_offsets
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
            ModuleType::Cont(_) | ModuleType::Other(_) => None,
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
