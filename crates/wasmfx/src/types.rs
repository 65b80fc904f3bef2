//! The types of values and of importable/exportable entities, as the embedding API shows them.

use anyhow::{bail, Result};
use wasmfx_environ::{wasmparser, TypeIndex, WasmFuncType, WasmHeapType, WasmRefType, WasmValType};

/// An engine-wide identifier of a defined (concrete) type. Only meaningful within the engine
/// that assigned it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TypeId(pub(crate) u32);

/// A heap type: what a reference points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// Any function (`func`).
    Func,
    /// No function: only null (`nofunc`).
    NoFunc,
    /// Any host reference (`extern`).
    Extern,
    /// No host reference (`noextern`).
    NoExtern,
    /// Any GC value (`any`).
    Any,
    /// Comparable GC values (`eq`).
    Eq,
    /// Unboxed 31-bit integers (`i31`).
    I31,
    /// Any struct (`struct`).
    Struct,
    /// Any array (`array`).
    Array,
    /// No GC value (`none`).
    None,
    /// Any exception (`exn`).
    Exn,
    /// No exception (`noexn`).
    NoExn,
    /// Any continuation (`cont`).
    Cont,
    /// No continuation (`nocont`).
    NoCont,
    /// A defined function, struct, array or continuation type.
    Concrete(TypeId),
}

impl HeapType {
    fn from_env(ty: WasmHeapType) -> Result<HeapType> {
        use wasmparser::AbstractHeapType as A;
        Ok(match ty {
            WasmHeapType::Abstract { shared: true, .. } => {
                bail!("shared references (shared-everything threads) are not supported yet")
            }
            WasmHeapType::Abstract { ty, .. } => match ty {
                A::Func => HeapType::Func,
                A::NoFunc => HeapType::NoFunc,
                A::Extern => HeapType::Extern,
                A::NoExtern => HeapType::NoExtern,
                A::Any => HeapType::Any,
                A::Eq => HeapType::Eq,
                A::I31 => HeapType::I31,
                A::Struct => HeapType::Struct,
                A::Array => HeapType::Array,
                A::None => HeapType::None,
                A::Exn => HeapType::Exn,
                A::NoExn => HeapType::NoExn,
                A::Cont => HeapType::Cont,
                A::NoCont => HeapType::NoCont,
            },
            WasmHeapType::Concrete(i) => match i.engine() {
                Some(id) => HeapType::Concrete(TypeId(id)),
                Option::None => bail!("type index {i:?} is not canonical"),
            },
        })
    }

    pub(crate) fn to_env(self) -> WasmHeapType {
        use wasmparser::AbstractHeapType as A;
        WasmHeapType::abs(match self {
            HeapType::Func => A::Func,
            HeapType::NoFunc => A::NoFunc,
            HeapType::Extern => A::Extern,
            HeapType::NoExtern => A::NoExtern,
            HeapType::Any => A::Any,
            HeapType::Eq => A::Eq,
            HeapType::I31 => A::I31,
            HeapType::Struct => A::Struct,
            HeapType::Array => A::Array,
            HeapType::None => A::None,
            HeapType::Exn => A::Exn,
            HeapType::NoExn => A::NoExn,
            HeapType::Cont => A::Cont,
            HeapType::NoCont => A::NoCont,
            HeapType::Concrete(id) => return WasmHeapType::Concrete(TypeIndex::Engine(id.0)),
        })
    }

    fn name(&self) -> String {
        match self {
            HeapType::Concrete(id) => id.0.to_string(),
            other => format!("{other:?}").to_lowercase(),
        }
    }
}

/// A reference type: a heap type, and whether null is a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefType {
    nullable: bool,
    heap: HeapType,
}

impl RefType {
    /// `funcref`
    pub const FUNCREF: RefType = RefType::new(true, HeapType::Func);
    /// `externref`
    pub const EXTERNREF: RefType = RefType::new(true, HeapType::Extern);
    /// `exnref`
    pub const EXNREF: RefType = RefType::new(true, HeapType::Exn);
    /// `contref`
    pub const CONTREF: RefType = RefType::new(true, HeapType::Cont);

    /// A reference to `heap`, nullable or not.
    pub const fn new(nullable: bool, heap: HeapType) -> RefType {
        RefType { nullable, heap }
    }

    /// Whether null is a value of this type.
    pub fn is_nullable(&self) -> bool {
        self.nullable
    }

    /// The heap type.
    pub fn heap_type(&self) -> HeapType {
        self.heap
    }

    pub(crate) fn from_env(ty: WasmRefType) -> Result<RefType> {
        Ok(RefType::new(ty.nullable, HeapType::from_env(ty.heap)?))
    }

    pub(crate) fn to_env(self) -> WasmRefType {
        WasmRefType {
            nullable: self.nullable,
            heap: self.heap.to_env(),
        }
    }
}

impl std::fmt::Display for RefType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let null = if self.nullable { "null " } else { "" };
        write!(f, "(ref {null}{})", self.heap.name())
    }
}

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
    /// A reference.
    Ref(RefType),
}

impl ValType {
    /// `funcref`
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    /// `externref`
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);
    /// `exnref`
    pub const EXNREF: ValType = ValType::Ref(RefType::EXNREF);
    /// `contref`
    pub const CONTREF: ValType = ValType::Ref(RefType::CONTREF);

    /// The API type of a canonical (engine-indexed) value type.
    pub(crate) fn from_env(ty: WasmValType) -> Result<ValType> {
        Ok(match ty {
            WasmValType::I32 => ValType::I32,
            WasmValType::I64 => ValType::I64,
            WasmValType::F32 => ValType::F32,
            WasmValType::F64 => ValType::F64,
            WasmValType::V128 => ValType::V128,
            WasmValType::Ref(r) => ValType::Ref(RefType::from_env(r)?),
        })
    }

    /// The API type of a value type of a module whose types have engine ids `type_ids`.
    pub(crate) fn from_wasm(ty: wasmparser::ValType, type_ids: &[u32]) -> Result<ValType> {
        ValType::from_env(canonical(WasmValType::from_parser(ty), type_ids))
    }

    pub(crate) fn to_env(self) -> WasmValType {
        match self {
            ValType::I32 => WasmValType::I32,
            ValType::I64 => WasmValType::I64,
            ValType::F32 => WasmValType::F32,
            ValType::F64 => WasmValType::F64,
            ValType::V128 => WasmValType::V128,
            ValType::Ref(r) => WasmValType::Ref(r.to_env()),
        }
    }

    /// Whether this is a reference type.
    pub fn is_ref(&self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// The reference type, if this is one.
    pub fn as_ref(&self) -> Option<RefType> {
        match self {
            ValType::Ref(r) => Some(*r),
            _ => None,
        }
    }
}

/// `ty` with the module type indices replaced by engine ids.
pub(crate) fn canonical(ty: WasmValType, type_ids: &[u32]) -> WasmValType {
    ty.map(&mut to_engine(type_ids))
}

/// Rewrites module type indices as the engine ids `type_ids` gives them.
pub(crate) fn to_engine(type_ids: &[u32]) -> impl FnMut(TypeIndex) -> TypeIndex + '_ {
    |i| match i {
        TypeIndex::Module(m) => {
            TypeIndex::Engine(type_ids.get(m as usize).copied().unwrap_or(u32::MAX))
        }
        other => other,
    }
}

impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(r) if *r == RefType::FUNCREF => f.write_str("funcref"),
            ValType::Ref(r) if *r == RefType::EXTERNREF => f.write_str("externref"),
            ValType::Ref(r) => write!(f, "{r}"),
        }
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

    pub(crate) fn from_env(ty: &WasmFuncType) -> Result<FuncType> {
        Ok(FuncType {
            params: ty
                .params
                .iter()
                .map(|t| ValType::from_env(*t))
                .collect::<Result<_>>()?,
            results: ty
                .results
                .iter()
                .map(|t| ValType::from_env(*t))
                .collect::<Result<_>>()?,
        })
    }

    /// The API type of a function type of a module whose types have engine ids `type_ids`.
    pub(crate) fn from_wasm(ty: &wasmparser::FuncType, type_ids: &[u32]) -> Result<FuncType> {
        let ty = WasmFuncType::from_parser(ty);
        let mut f = to_engine(type_ids);
        FuncType::from_env(&WasmFuncType {
            params: ty.params.iter().map(|t| t.map(&mut f)).collect(),
            results: ty.results.iter().map(|t| t.map(&mut f)).collect(),
        })
    }

    pub(crate) fn to_env(&self) -> WasmFuncType {
        WasmFuncType {
            params: self.params.iter().map(|t| t.to_env()).collect(),
            results: self.results.iter().map(|t| t.to_env()).collect(),
        }
    }
}

/// The type of a linear memory: limits in pages, and whether its addresses are 64-bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryType {
    min: u64,
    max: Option<u64>,
    is_64: bool,
    shared: bool,
}

impl MemoryType {
    /// A 32-bit memory of at least `min` pages and at most `max`.
    pub fn new(min: u32, max: Option<u32>) -> MemoryType {
        MemoryType {
            min: u64::from(min),
            max: max.map(u64::from),
            is_64: false,
            shared: false,
        }
    }

    /// A 64-bit memory (memory64) of at least `min` pages and at most `max`.
    pub fn new64(min: u64, max: Option<u64>) -> MemoryType {
        MemoryType {
            min,
            max,
            is_64: true,
            shared: false,
        }
    }

    /// A shared 32-bit memory (threads) of at least `min` pages and at most `max`. Within one
    /// store it is an ordinary memory on which `memory.atomic.wait` may block; sharing it
    /// between stores on several threads is not supported yet.
    pub fn shared(min: u32, max: u32) -> MemoryType {
        MemoryType {
            min: u64::from(min),
            max: Some(u64::from(max)),
            is_64: false,
            shared: true,
        }
    }

    pub(crate) fn from_wasm(ty: &wasmparser::MemoryType) -> Result<MemoryType> {
        if ty.page_size_log2.is_some() {
            bail!("custom page sizes are not supported yet");
        }
        Ok(MemoryType {
            min: ty.initial,
            max: ty.maximum,
            is_64: ty.memory64,
            shared: ty.shared,
        })
    }

    /// Whether the memory is shared (threads).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// This type, shared or not.
    pub(crate) fn with_shared(mut self, shared: bool) -> MemoryType {
        self.shared = shared;
        self
    }

    /// Whether the memory is addressed with 64-bit indices (memory64).
    pub fn is_64(&self) -> bool {
        self.is_64
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
    elem: RefType,
    min: u64,
    max: Option<u64>,
    is_64: bool,
}

impl TableType {
    /// A table of `elem` references with these limits.
    pub fn new(elem: RefType, min: u32, max: Option<u32>) -> TableType {
        TableType {
            elem,
            min: u64::from(min),
            max: max.map(u64::from),
            is_64: false,
        }
    }

    /// A 64-bit table (table64) of `elem` references with these limits.
    pub fn new64(elem: RefType, min: u64, max: Option<u64>) -> TableType {
        TableType {
            elem,
            min,
            max,
            is_64: true,
        }
    }

    /// Whether the table is indexed with 64-bit indices (table64).
    pub fn is_64(&self) -> bool {
        self.is_64
    }

    pub(crate) fn from_wasm(ty: &wasmparser::TableType, type_ids: &[u32]) -> Result<TableType> {
        let elem = WasmRefType::from_parser(ty.element_type).map(&mut to_engine(type_ids));
        Ok(TableType {
            elem: RefType::from_env(elem)?,
            min: ty.initial,
            max: ty.maximum,
            is_64: ty.table64,
        })
    }

    /// The element type.
    pub fn element(&self) -> RefType {
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

    pub(crate) fn from_wasm(ty: &wasmparser::GlobalType, type_ids: &[u32]) -> Result<GlobalType> {
        if ty.shared {
            bail!("shared globals are not supported yet");
        }
        Ok(GlobalType {
            content: ValType::from_wasm(ty.content_type, type_ids)?,
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
