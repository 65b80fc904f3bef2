//! Parsing and validating a module's bytes into a [`ModuleInfo`]: everything about a module
//! except its function bodies, which are handed to the compiler together with their validators.

use crate::types::{TypeIndex, WasmSubType};
use crate::{ArrayLayout, StructLayout};
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use wasmparser::{
    ArrayType, CompositeInnerType, ElementItems, ElementKind, ExternalKind, FuncToValidate,
    FuncType, FunctionBody, GlobalType, MemoryType, Operator, Parser, Payload, RefType, StructType,
    TableType, TypeRef, ValidatorResources, WasmFeatures,
};

/// One operation of a constant expression (initialisers of globals, tables, segments).
#[derive(Clone, Debug, PartialEq)]
pub enum ConstOp {
    /// `i32.const`
    I32(i32),
    /// `i64.const`
    I64(i64),
    /// `f32.const`, as bits.
    F32(u32),
    /// `f64.const`, as bits.
    F64(u64),
    /// `v128.const`, as bits.
    V128(u128),
    /// `ref.null`
    RefNull,
    /// `ref.func`
    RefFunc(u32),
    /// `global.get`
    GlobalGet(u32),
    /// `i32.add`
    I32Add,
    /// `i32.sub`
    I32Sub,
    /// `i32.mul`
    I32Mul,
    /// `i64.add`
    I64Add,
    /// `i64.sub`
    I64Sub,
    /// `i64.mul`
    I64Mul,
    /// `ref.i31`: pops an `i32`, pushes the `i31ref` of its low 31 bits.
    RefI31,
    /// `struct.new`: pops a value for each field (the last field's on top) and pushes a new
    /// struct of them.
    StructNew {
        /// The struct type (a module type index).
        ty: u32,
        /// Its objects' layout.
        layout: StructLayout,
    },
    /// `struct.new_default`: pushes a new struct with every field zero or null.
    StructNewDefault {
        /// The struct type (a module type index).
        ty: u32,
        /// Its objects' size, header included.
        size: u32,
    },
    /// `array.new`: pops a length, then a value, and pushes a new array of that many copies
    /// of the value.
    ArrayNew {
        /// The array type (a module type index).
        ty: u32,
        /// Its objects' layout.
        layout: ArrayLayout,
    },
    /// `array.new_default`: pops a length and pushes a new array of that many zero or null
    /// elements.
    ArrayNewDefault {
        /// The array type (a module type index).
        ty: u32,
        /// Its objects' layout.
        layout: ArrayLayout,
    },
    /// `array.new_fixed`: pops `len` values (the last element's on top) and pushes a new
    /// array of them.
    ArrayNewFixed {
        /// The array type (a module type index).
        ty: u32,
        /// Its objects' layout.
        layout: ArrayLayout,
        /// The number of elements.
        len: u32,
    },
}

/// A constant expression: a short stack program evaluated at instantiation.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstExpr(pub Vec<ConstOp>);

impl ConstExpr {
    /// Parses `expr`, a validated constant expression of a module whose types are `info`'s.
    fn parse(expr: &wasmparser::ConstExpr<'_>, info: &ModuleInfo) -> Result<ConstExpr> {
        let mut ops = Vec::new();
        let mut reader = expr.get_operators_reader();
        while !reader.eof() {
            let offset = reader.original_position();
            let op = match reader.read()? {
                Operator::I32Const { value } => ConstOp::I32(value),
                Operator::I64Const { value } => ConstOp::I64(value),
                Operator::F32Const { value } => ConstOp::F32(value.bits()),
                Operator::F64Const { value } => ConstOp::F64(value.bits()),
                Operator::V128Const { value } => ConstOp::V128(value.i128() as u128),
                Operator::RefNull { .. } => ConstOp::RefNull,
                Operator::RefFunc { function_index } => ConstOp::RefFunc(function_index),
                Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
                Operator::I32Add => ConstOp::I32Add,
                Operator::I32Sub => ConstOp::I32Sub,
                Operator::I32Mul => ConstOp::I32Mul,
                Operator::I64Add => ConstOp::I64Add,
                Operator::I64Sub => ConstOp::I64Sub,
                Operator::I64Mul => ConstOp::I64Mul,
                Operator::RefI31 => ConstOp::RefI31,
                Operator::StructNew { struct_type_index } => ConstOp::StructNew {
                    ty: struct_type_index,
                    layout: const_struct_layout(info, struct_type_index)?,
                },
                Operator::StructNewDefault { struct_type_index } => ConstOp::StructNewDefault {
                    ty: struct_type_index,
                    size: const_struct_layout(info, struct_type_index)?.size,
                },
                Operator::ArrayNew { array_type_index } => ConstOp::ArrayNew {
                    ty: array_type_index,
                    layout: const_array_layout(info, array_type_index)?,
                },
                Operator::ArrayNewDefault { array_type_index } => ConstOp::ArrayNewDefault {
                    ty: array_type_index,
                    layout: const_array_layout(info, array_type_index)?,
                },
                Operator::ArrayNewFixed {
                    array_type_index,
                    array_size,
                } => ConstOp::ArrayNewFixed {
                    ty: array_type_index,
                    layout: const_array_layout(info, array_type_index)?,
                    len: array_size,
                },
                // The same word serves in both hierarchies (`gc_layout::REF_TAG_MASK`).
                Operator::AnyConvertExtern | Operator::ExternConvertAny => continue,
                Operator::End => continue,
                other => bail!(
                    "constant expression operator {other:?} (at offset {offset:#x}) is not supported yet"
                ),
            };
            ops.push(op);
        }
        Ok(ConstExpr(ops))
    }
}

/// The layout of struct type `ty` of `info`, for a constant expression's `struct.new*`.
fn const_struct_layout(info: &ModuleInfo, ty: u32) -> Result<StructLayout> {
    info.struct_layout(ty)
        .with_context(|| format!("constant expression: type {ty} is not a struct type"))
}

/// The layout of array type `ty` of `info`, for a constant expression's `array.new*`.
fn const_array_layout(info: &ModuleInfo, ty: u32) -> Result<ArrayLayout> {
    info.array_layout(ty)
        .with_context(|| format!("constant expression: type {ty} is not an array type"))
}

/// What kind of entity an import or export refers to, with its index in its index space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntityIndex {
    /// A function.
    Function(u32),
    /// A table.
    Table(u32),
    /// A memory.
    Memory(u32),
    /// A global.
    Global(u32),
    /// An exception tag.
    Tag(u32),
}

/// An import of the module.
#[derive(Clone, Debug)]
pub struct Import {
    /// The module name.
    pub module: String,
    /// The field name.
    pub name: String,
    /// What is imported, with its index in the importing module's index space.
    pub index: EntityIndex,
}

/// A type of the type section.
#[derive(Clone, Debug)]
pub enum ModuleType {
    /// A function type.
    Func(FuncType),
    /// A continuation type, with the index of its function type.
    Cont(u32),
    /// A struct type (GC); [`ModuleInfo::struct_layout`] lays its objects out.
    Struct(StructType),
    /// An array type (GC); [`ModuleInfo::array_layout`] lays its objects out.
    Array(ArrayType),
}

/// A table of the module, defined or imported.
#[derive(Clone, Debug)]
pub struct TablePlan {
    /// Its type.
    pub ty: TableType,
    /// Its initial element value for defined tables with an explicit initialiser.
    pub init: Option<ConstExpr>,
}

/// A global of the module; imported ones have no initialiser.
#[derive(Clone, Debug)]
pub struct GlobalPlan {
    /// Its type.
    pub ty: GlobalType,
    /// Its initialiser, for defined globals.
    pub init: Option<ConstExpr>,
}

/// Where an element segment goes.
#[derive(Clone, Debug)]
pub enum ElemMode {
    /// Copied into a table at instantiation.
    Active {
        /// The table.
        table: u32,
        /// The offset expression.
        offset: ConstExpr,
    },
    /// Available to `table.init`.
    Passive,
    /// Only declares functions for `ref.func`; dropped at once.
    Declared,
}

/// An element segment.
#[derive(Clone, Debug)]
pub struct ElemSegment {
    /// Its mode.
    pub mode: ElemMode,
    /// Its element type.
    pub ty: RefType,
    /// Its items, each a constant expression.
    pub items: Vec<ConstExpr>,
}

/// Where a data segment goes.
#[derive(Clone, Debug)]
pub enum DataMode {
    /// Copied into a memory at instantiation.
    Active {
        /// The memory.
        memory: u32,
        /// The offset expression.
        offset: ConstExpr,
    },
    /// Available to `memory.init`.
    Passive,
}

/// A data segment.
#[derive(Clone, Debug)]
pub struct DataSegment {
    /// Its mode.
    pub mode: DataMode,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Everything about a module except its function bodies.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    /// The module's name from the name section.
    pub name: Option<String>,
    /// The type section, in the form the compiler uses.
    pub types: Vec<ModuleType>,
    /// The type section as definitions with their subtyping, for canonicalisation.
    pub sub_types: Vec<WasmSubType>,
    /// The recursion groups of the type section, as `(first type, number of types)`.
    pub rec_groups: Vec<(u32, u32)>,
    /// The type index of every function, imported ones first.
    pub functions: Vec<u32>,
    /// Tables, imported ones first.
    pub tables: Vec<TablePlan>,
    /// Memories, imported ones first.
    pub memories: Vec<MemoryType>,
    /// Globals, imported ones first.
    pub globals: Vec<GlobalPlan>,
    /// Tags (their function type index), imported ones first.
    pub tags: Vec<u32>,
    /// Imports, in order.
    pub imports: Vec<Import>,
    /// Exports, in order.
    pub exports: Vec<(String, EntityIndex)>,
    /// The start function.
    pub start: Option<u32>,
    /// Element segments.
    pub elems: Vec<ElemSegment>,
    /// Data segments.
    pub data: Vec<DataSegment>,
    /// Function names from the name section.
    pub func_names: HashMap<u32, String>,
    /// Number of imported functions.
    pub num_imported_funcs: u32,
    /// Number of imported tables.
    pub num_imported_tables: u32,
    /// Number of imported memories.
    pub num_imported_memories: u32,
    /// Number of imported globals.
    pub num_imported_globals: u32,
    /// Number of imported tags.
    pub num_imported_tags: u32,
}

impl ModuleInfo {
    /// The depth of module type `index` in its subtype hierarchy: the number of its declared
    /// supertypes, transitively (0 for a type with none).
    pub fn type_depth(&self, index: u32) -> u32 {
        let mut depth = 0;
        let mut ty = index;
        loop {
            let sup = match self.sub_types.get(ty as usize).and_then(|t| t.supertype) {
                Some(TypeIndex::Module(sup)) => sup,
                Some(TypeIndex::RecGroup(r)) => {
                    let group = self
                        .rec_groups
                        .iter()
                        .find(|&&(start, len)| (start..start + len).contains(&ty));
                    match group {
                        Some(&(start, _)) => start + r,
                        None => break,
                    }
                }
                _ => break,
            };
            // Validation makes every supertype an earlier type: the walk ends.
            if sup >= ty {
                break;
            }
            depth += 1;
            ty = sup;
        }
        depth
    }

    /// The function type of function `func`.
    pub fn func_type(&self, func: u32) -> &FuncType {
        self.func_type_at(self.functions[func as usize])
    }

    /// The function type at type index `ty` (which validation guarantees to be a function type).
    pub fn func_type_at(&self, ty: u32) -> &FuncType {
        match &self.types[ty as usize] {
            ModuleType::Func(f) => f,
            ModuleType::Cont(_) => panic!("type {ty} is a continuation type, not a function type"),
            ModuleType::Struct(_) => panic!("type {ty} is a struct type, not a function type"),
            ModuleType::Array(_) => panic!("type {ty} is an array type, not a function type"),
        }
    }

    /// Whether function `func` is imported.
    pub fn is_imported_func(&self, func: u32) -> bool {
        func < self.num_imported_funcs
    }

    /// Number of functions defined (not imported) by the module.
    pub fn num_defined_funcs(&self) -> u32 {
        self.functions.len() as u32 - self.num_imported_funcs
    }

    /// A readable name for function `func`: its name-section name or its index.
    pub fn func_display_name(&self, func: u32) -> String {
        match self.func_names.get(&func) {
            Some(n) => n.clone(),
            None => format!("<wasm function {func}>"),
        }
    }
}

/// A function body to compile, with the validator that checks it operator by operator.
pub struct FunctionBodyData<'a> {
    /// The body.
    pub body: FunctionBody<'a>,
    /// Its validator.
    pub validator: FuncToValidate<ValidatorResources>,
}

/// The proposals wasmfx enables unless configured otherwise: WebAssembly 2.0 (with SIMD),
/// plus relaxed SIMD, 64-bit memories and tables, threads (atomics and shared memories),
/// extended constant expressions, typed function references, tail calls, exception
/// handling, the GC type system and stack switching (typed continuations).
pub fn default_features() -> WasmFeatures {
    WasmFeatures::WASM2
        | WasmFeatures::RELAXED_SIMD
        | WasmFeatures::MEMORY64
        | WasmFeatures::THREADS
        | WasmFeatures::EXTENDED_CONST
        | WasmFeatures::FUNCTION_REFERENCES
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::EXCEPTIONS
        | WasmFeatures::GC
        | WasmFeatures::STACK_SWITCHING
}

/// Parses and validates `wasm`, returning the module description and the function bodies
/// (validated later, while they are compiled).
pub fn translate_module<'a>(
    wasm: &'a [u8],
    features: WasmFeatures,
) -> Result<(ModuleInfo, Vec<FunctionBodyData<'a>>)> {
    parse_module(wasm, features, true)
}

/// Parses and validates `wasm` but for its function bodies, which are skipped unread, as are
/// the function names: the description of a module whose code was compiled before (from a
/// precompiled file, whose code tables hold the names), reading as little of it as possible.
pub fn translate_module_without_code(wasm: &[u8], features: WasmFeatures) -> Result<ModuleInfo> {
    Ok(parse_module(wasm, features, false)?.0)
}

/// [`translate_module`], or with `with_code` false [`translate_module_without_code`].
fn parse_module(
    wasm: &[u8],
    features: WasmFeatures,
    with_code: bool,
) -> Result<(ModuleInfo, Vec<FunctionBodyData<'_>>)> {
    let mut validator = wasmparser::Validator::new_with_features(features);
    let mut info = ModuleInfo::default();
    let mut bodies = Vec::new();
    let mut parser = Parser::new(0);
    let mut rest = wasm;
    loop {
        let (payload, consumed) = match parser.parse(rest, true)? {
            wasmparser::Chunk::Parsed { consumed, payload } => (payload, consumed),
            // With the whole input at hand the parser never asks for more: it reports a
            // truncated module as an error instead.
            wasmparser::Chunk::NeedMoreData(_) => anyhow::bail!("unexpected end of the module"),
        };
        rest = &rest[consumed..];
        let valid = validator.payload(&payload)?;
        match (&payload, valid) {
            (Payload::End(_), _) => break,
            (Payload::CodeSectionStart { size, .. }, _) if !with_code => {
                parser.skip_section();
                rest = rest
                    .get(*size as usize..)
                    .context("unexpected end of the module (in the code section)")?;
                continue;
            }
            (_, wasmparser::ValidPayload::Func(func, body)) => {
                bodies.push(FunctionBodyData {
                    body,
                    validator: func,
                });
                continue;
            }
            _ => {}
        }
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader {
                    let start = info.types.len() as u32;
                    for sub in group?.into_types() {
                        info.sub_types.push(WasmSubType::from_parser(&sub));
                        info.types.push(match sub.composite_type.inner {
                            CompositeInnerType::Func(f) => ModuleType::Func(f),
                            CompositeInnerType::Array(a) => ModuleType::Array(a),
                            CompositeInnerType::Struct(s) => ModuleType::Struct(s),
                            CompositeInnerType::Cont(c) => {
                                ModuleType::Cont(c.0.as_module_index().unwrap_or(u32::MAX))
                            }
                        });
                    }
                    info.rec_groups
                        .push((start, info.types.len() as u32 - start));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let index = match import.ty {
                        TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
                            info.functions.push(ty);
                            info.num_imported_funcs += 1;
                            EntityIndex::Function(info.functions.len() as u32 - 1)
                        }
                        TypeRef::Table(ty) => {
                            info.tables.push(TablePlan { ty, init: None });
                            info.num_imported_tables += 1;
                            EntityIndex::Table(info.tables.len() as u32 - 1)
                        }
                        TypeRef::Memory(ty) => {
                            info.memories.push(ty);
                            info.num_imported_memories += 1;
                            EntityIndex::Memory(info.memories.len() as u32 - 1)
                        }
                        TypeRef::Global(ty) => {
                            info.globals.push(GlobalPlan { ty, init: None });
                            info.num_imported_globals += 1;
                            EntityIndex::Global(info.globals.len() as u32 - 1)
                        }
                        TypeRef::Tag(tag) => {
                            info.tags.push(tag.func_type_idx);
                            info.num_imported_tags += 1;
                            EntityIndex::Tag(info.tags.len() as u32 - 1)
                        }
                    };
                    info.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        index,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    info.functions.push(ty?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table?;
                    let init = match &table.init {
                        wasmparser::TableInit::RefNull => None,
                        wasmparser::TableInit::Expr(e) => Some(ConstExpr::parse(e, &info)?),
                    };
                    info.tables.push(TablePlan { ty: table.ty, init });
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    info.memories.push(memory?);
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    info.tags.push(tag?.func_type_idx);
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global?;
                    info.globals.push(GlobalPlan {
                        ty: global.ty,
                        init: Some(ConstExpr::parse(&global.init_expr, &info)?),
                    });
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    let index = match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => {
                            EntityIndex::Function(export.index)
                        }
                        ExternalKind::Table => EntityIndex::Table(export.index),
                        ExternalKind::Memory => EntityIndex::Memory(export.index),
                        ExternalKind::Global => EntityIndex::Global(export.index),
                        ExternalKind::Tag => EntityIndex::Tag(export.index),
                    };
                    info.exports.push((export.name.to_string(), index));
                }
            }
            Payload::StartSection { func, .. } => info.start = Some(func),
            Payload::ElementSection(reader) => {
                for elem in reader {
                    let elem = elem?;
                    let mode = match elem.kind {
                        ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => ElemMode::Active {
                            table: table_index.unwrap_or(0),
                            offset: ConstExpr::parse(&offset_expr, &info)?,
                        },
                        ElementKind::Passive => ElemMode::Passive,
                        ElementKind::Declared => ElemMode::Declared,
                    };
                    let (ty, items) = match elem.items {
                        ElementItems::Functions(funcs) => {
                            let mut items = Vec::new();
                            for f in funcs {
                                items.push(ConstExpr(vec![ConstOp::RefFunc(f?)]));
                            }
                            (RefType::FUNCREF, items)
                        }
                        ElementItems::Expressions(ty, exprs) => {
                            let mut items = Vec::new();
                            for e in exprs {
                                items.push(ConstExpr::parse(&e?, &info)?);
                            }
                            (ty, items)
                        }
                    };
                    info.elems.push(ElemSegment { mode, ty, items });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let mode = match data.kind {
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => DataMode::Active {
                            memory: memory_index,
                            offset: ConstExpr::parse(&offset_expr, &info)?,
                        },
                        wasmparser::DataKind::Passive => DataMode::Passive,
                    };
                    info.data.push(DataSegment {
                        mode,
                        bytes: data.data.to_vec(),
                    });
                }
            }
            Payload::CustomSection(reader) => {
                if let wasmparser::KnownCustom::Name(names) = reader.as_known() {
                    // A malformed name section is ignored, as the spec allows.
                    let _ = parse_names(&mut info, names, with_code);
                }
            }
            _ => {}
        }
    }
    Ok((info, bodies))
}

/// Reads the module's name and, with `func_names`, the functions' names.
fn parse_names(
    info: &mut ModuleInfo,
    names: wasmparser::NameSectionReader<'_>,
    func_names: bool,
) -> Result<()> {
    for name in names {
        match name? {
            wasmparser::Name::Module { name, .. } => info.name = Some(name.to_string()),
            wasmparser::Name::Function(map) if func_names => {
                for naming in map {
                    let naming = naming?;
                    info.func_names
                        .insert(naming.index, naming.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(module (func (result i32) i32.const 7))`, by hand: type, function and code sections.
    const ONE_FUNCTION: &[u8] = &[
        0, b'a', b's', b'm', 1, 0, 0, 0, // header
        1, 5, 1, 0x60, 0, 1, 0x7f, // type section: () -> i32
        3, 2, 1, 0, // function section: one function of type 0
        10, 6, 1, 4, 0, 0x41, 7, 0x0b, // code section: no locals, i32.const 7, end
    ];

    #[test]
    fn without_code_the_bodies_are_skipped_but_checked_to_be_there() {
        let features = default_features();
        let (info, bodies) = translate_module(ONE_FUNCTION, features).unwrap();
        assert_eq!(bodies.len(), 1);
        let skipped = translate_module_without_code(ONE_FUNCTION, features).unwrap();
        assert_eq!(skipped.functions, info.functions);
        // The code section cut short: both refuse it.
        let truncated = &ONE_FUNCTION[..ONE_FUNCTION.len() - 2];
        assert!(translate_module(truncated, features).is_err());
        let err = translate_module_without_code(truncated, features).unwrap_err();
        assert!(err.to_string().contains("unexpected end"), "{err}");
        // No code section at all.
        let missing = &ONE_FUNCTION[..ONE_FUNCTION.len() - 8];
        assert!(translate_module_without_code(missing, features).is_err());
    }
}
