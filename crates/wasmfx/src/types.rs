//! The types of values and of importable/exportable entities, as the embedding API shows them.

use anyhow::{bail, Result};
use wasmfx_environ::wasmparser;

/// The type of a WebAssembly value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// 128-bit vector.
    V128,
    /// A (nullable) function reference.
    FuncRef,
    /// A (nullable) external reference.
    ExternRef,
}

impl ValType {
    /// The API type of a parsed value type; reference types of proposals not supported yet
    /// are an error.
    pub(crate) fn from_wasm(ty: wasmparser::ValType) -> Result<ValType> {
        Ok(match ty {
            wasmparser::ValType::I32 => ValType::I32,
            wasmparser::ValType::I64 => ValType::I64,
            wasmparser::ValType::F32 => ValType::F32,
            wasmparser::ValType::F64 => ValType::F64,
            wasmparser::ValType::V128 => ValType::V128,
            wasmparser::ValType::Ref(r) => ValType::from_ref(r)?,
        })
    }

    pub(crate) fn from_ref(r: wasmparser::RefType) -> Result<ValType> {
        use wasmparser::{AbstractHeapType as A, HeapType as H};
        match r.heap_type() {
            H::Abstract {
                ty: A::Func | A::NoFunc,
                ..
            } => Ok(ValType::FuncRef),
            H::Abstract {
                ty: A::Extern | A::NoExtern,
                ..
            } => Ok(ValType::ExternRef),
            // Only function types are accepted by `check_supported`, so a concrete reference is a
            // function reference; instructions that call through one are not compiled yet.
            H::Concrete(_) | H::Exact(_) => Ok(ValType::FuncRef),
            H::Abstract { shared, ty } => {
                let shared = if shared { "shared " } else { "" };
                bail!(
                    "{shared}{} references (GC and later proposals) are not supported yet",
                    format!("{ty:?}").to_lowercase()
                )
            }
        }
    }

    /// Whether this is a reference type.
    pub fn is_ref(&self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }
}

impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// The type of a function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncType {
    params: Box<[ValType]>,
    results: Box<[ValType]>,
}

impl FuncType {
    /// A function type with these parameters and results.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    /// The parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// The result types.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }

    pub(crate) fn from_wasm(ty: &wasmparser::FuncType) -> Result<FuncType> {
        Ok(FuncType {
            params: ty
                .params()
                .iter()
                .map(|t| ValType::from_wasm(*t))
                .collect::<Result<_>>()?,
            results: ty
                .results()
                .iter()
                .map(|t| ValType::from_wasm(*t))
                .collect::<Result<_>>()?,
        })
    }

    /// The equivalent parsed type, for the compiler.
    pub(crate) fn to_wasm(&self) -> wasmparser::FuncType {
        let conv = |t: &ValType| match t {
            ValType::I32 => wasmparser::ValType::I32,
            ValType::I64 => wasmparser::ValType::I64,
            ValType::F32 => wasmparser::ValType::F32,
            ValType::F64 => wasmparser::ValType::F64,
            ValType::V128 => wasmparser::ValType::V128,
            ValType::FuncRef => wasmparser::ValType::FUNCREF,
            ValType::ExternRef => wasmparser::ValType::EXTERNREF,
        };
        wasmparser::FuncType::new(self.params.iter().map(conv), self.results.iter().map(conv))
    }
}

/// The type of a linear memory: limits in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryType {
    min: u64,
    max: Option<u64>,
}

impl MemoryType {
    /// A 32-bit memory of at least `min` pages and at most `max`.
    pub fn new(min: u32, max: Option<u32>) -> MemoryType {
        MemoryType {
            min: u64::from(min),
            max: max.map(u64::from),
        }
    }

    pub(crate) fn from_wasm(ty: &wasmparser::MemoryType) -> Result<MemoryType> {
        if ty.memory64 {
            bail!("64-bit memories (memory64) are not supported yet");
        }
        if ty.shared {
            bail!("shared memories (threads) are not supported yet");
        }
        if ty.page_size_log2.is_some() {
            bail!("custom page sizes are not supported yet");
        }
        Ok(MemoryType {
            min: ty.initial,
            max: ty.maximum,
        })
    }

    /// Minimum size in pages.
    pub fn minimum(&self) -> u64 {
        self.min
    }

    /// Maximum size in pages.
    pub fn maximum(&self) -> Option<u64> {
        self.max
    }
}

/// The type of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableType {
    elem: ValType,
    min: u64,
    max: Option<u64>,
}

impl TableType {
    /// A table of `elem` references (`FuncRef` or `ExternRef`) with these limits.
    pub fn new(elem: ValType, min: u32, max: Option<u32>) -> TableType {
        TableType {
            elem,
            min: u64::from(min),
            max: max.map(u64::from),
        }
    }

    pub(crate) fn from_wasm(ty: &wasmparser::TableType) -> Result<TableType> {
        if ty.table64 {
            bail!("64-bit tables (memory64) are not supported yet");
        }
        Ok(TableType {
            elem: ValType::from_ref(ty.element_type)?,
            min: ty.initial,
            max: ty.maximum,
        })
    }

    /// The element type.
    pub fn element(&self) -> ValType {
        self.elem
    }

    /// Minimum number of elements.
    pub fn minimum(&self) -> u64 {
        self.min
    }

    /// Maximum number of elements.
    pub fn maximum(&self) -> Option<u64> {
        self.max
    }
}

/// Whether a global can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    /// Immutable.
    Const,
    /// Mutable.
    Var,
}

/// The type of a global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalType {
    content: ValType,
    mutability: Mutability,
}

impl GlobalType {
    /// A global holding `content` values.
    pub fn new(content: ValType, mutability: Mutability) -> GlobalType {
        GlobalType {
            content,
            mutability,
        }
    }

    pub(crate) fn from_wasm(ty: &wasmparser::GlobalType) -> Result<GlobalType> {
        if ty.shared {
            bail!("shared globals are not supported yet");
        }
        Ok(GlobalType {
            content: ValType::from_wasm(ty.content_type)?,
            mutability: if ty.mutable {
                Mutability::Var
            } else {
                Mutability::Const
            },
        })
    }

    /// The value type.
    pub fn content(&self) -> ValType {
        self.content
    }

    /// The mutability.
    pub fn mutability(&self) -> Mutability {
        self.mutability
    }
}

/// The type of an import or export.
#[derive(Clone, Debug)]
pub enum ExternType {
    /// A function.
    Func(FuncType),
    /// A global.
    Global(GlobalType),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// An exception tag with its function type.
    Tag(FuncType),
}

/// An import of a module.
#[derive(Clone, Debug)]
pub struct ImportType {
    pub(crate) module: String,
    pub(crate) name: String,
    pub(crate) ty: ExternType,
}

impl ImportType {
    /// The module name.
    pub fn module(&self) -> &str {
        &self.module
    }
    /// The field name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The type.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

/// An export of a module.
#[derive(Clone, Debug)]
pub struct ExportType {
    pub(crate) name: String,
    pub(crate) ty: ExternType,
}

impl ExportType {
    /// The export name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The type.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}
