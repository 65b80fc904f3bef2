//! Type definitions in a form independent of where their type indices point: into a module's
//! type section (as parsed), into the defining recursion group (while canonicalising), or into
//! an engine's type registry (once canonical). One set of types serves all three.

use wasmparser::{PackedIndex, UnpackedIndex};

pub use wasmparser::AbstractHeapType;

/// Where a type index points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeIndex {
    /// An index into the module's type section.
    Module(u32),
    /// An index relative to the start of the enclosing recursion group.
    RecGroup(u32),
    /// An engine-wide canonical type id.
    Engine(u32),
}

impl TypeIndex {
    fn from_packed(index: PackedIndex) -> TypeIndex {
        TypeIndex::from_unpacked(index.unpack())
    }

    fn from_unpacked(index: UnpackedIndex) -> TypeIndex {
        match index {
            UnpackedIndex::Module(i) => TypeIndex::Module(i),
            UnpackedIndex::RecGroup(i) => TypeIndex::RecGroup(i),
            // The type-section reader only produces module indices; canonical validator ids
            // never reach this crate. Map one to an index that cannot resolve.
            UnpackedIndex::Id(_) => TypeIndex::Module(u32::MAX),
        }
    }

    /// The engine id, if this index is canonical.
    pub fn engine(self) -> Option<u32> {
        match self {
            TypeIndex::Engine(id) => Some(id),
            _ => None,
        }
    }
}

/// A heap type: abstract, or a reference to a defined type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WasmHeapType {
    /// `func`, `extern`, `any`, `cont`, ... (`shared` from the shared-everything proposal).
    Abstract {
        /// Whether the heap type is shared.
        shared: bool,
        /// The abstract type.
        ty: AbstractHeapType,
    },
    /// A defined type.
    Concrete(TypeIndex),
}

impl WasmHeapType {
    /// The abstract heap type `ty`, unshared.
    pub const fn abs(ty: AbstractHeapType) -> WasmHeapType {
        WasmHeapType::Abstract { shared: false, ty }
    }

    /// Converts a parsed heap type.
    pub fn from_parser(ty: wasmparser::HeapType) -> WasmHeapType {
        match ty {
            wasmparser::HeapType::Abstract { shared, ty } => WasmHeapType::Abstract { shared, ty },
            wasmparser::HeapType::Concrete(i) | wasmparser::HeapType::Exact(i) => {
                WasmHeapType::Concrete(TypeIndex::from_unpacked(i))
            }
        }
    }

    fn map(self, f: &mut impl FnMut(TypeIndex) -> TypeIndex) -> WasmHeapType {
        match self {
            WasmHeapType::Concrete(i) => WasmHeapType::Concrete(f(i)),
            other => other,
        }
    }
}

/// A reference type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WasmRefType {
    /// Whether null is a value of the type.
    pub nullable: bool,
    /// The heap type.
    pub heap: WasmHeapType,
}

impl WasmRefType {
    /// Converts a parsed reference type.
    pub fn from_parser(ty: wasmparser::RefType) -> WasmRefType {
        WasmRefType {
            nullable: ty.is_nullable(),
            heap: WasmHeapType::from_parser(ty.heap_type()),
        }
    }

    /// This type with every type index passed through `f`.
    pub fn map(self, f: &mut impl FnMut(TypeIndex) -> TypeIndex) -> WasmRefType {
        WasmRefType {
            nullable: self.nullable,
            heap: self.heap.map(f),
        }
    }
}

/// A value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WasmValType {
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `v128`
    V128,
    /// A reference type.
    Ref(WasmRefType),
}

impl WasmValType {
    /// Converts a parsed value type.
    pub fn from_parser(ty: wasmparser::ValType) -> WasmValType {
        match ty {
            wasmparser::ValType::I32 => WasmValType::I32,
            wasmparser::ValType::I64 => WasmValType::I64,
            wasmparser::ValType::F32 => WasmValType::F32,
            wasmparser::ValType::F64 => WasmValType::F64,
            wasmparser::ValType::V128 => WasmValType::V128,
            wasmparser::ValType::Ref(r) => WasmValType::Ref(WasmRefType::from_parser(r)),
        }
    }

    /// This type with every type index passed through `f`.
    pub fn map(self, f: &mut impl FnMut(TypeIndex) -> TypeIndex) -> WasmValType {
        match self {
            WasmValType::Ref(r) => WasmValType::Ref(r.map(f)),
            other => other,
        }
    }
}

/// The type of a struct field or array element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WasmFieldType {
    /// The storage type: `None` for a value type, else the packed width in bits (8 or 16).
    pub packed_bits: Option<u8>,
    /// The value type (`i32` for packed fields).
    pub ty: WasmValType,
    /// Whether the field is mutable.
    pub mutable: bool,
}

impl WasmFieldType {
    fn from_parser(f: &wasmparser::FieldType) -> WasmFieldType {
        let (packed_bits, ty) = match f.element_type {
            wasmparser::StorageType::I8 => (Some(8), WasmValType::I32),
            wasmparser::StorageType::I16 => (Some(16), WasmValType::I32),
            wasmparser::StorageType::Val(v) => (None, WasmValType::from_parser(v)),
        };
        WasmFieldType {
            packed_bits,
            ty,
            mutable: f.mutable,
        }
    }

    fn map(self, f: &mut impl FnMut(TypeIndex) -> TypeIndex) -> WasmFieldType {
        WasmFieldType {
            ty: self.ty.map(f),
            ..self
        }
    }
}

/// A function type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WasmFuncType {
    /// Parameter types.
    pub params: Box<[WasmValType]>,
    /// Result types.
    pub results: Box<[WasmValType]>,
}

impl WasmFuncType {
    /// Converts a parsed function type.
    pub fn from_parser(ty: &wasmparser::FuncType) -> WasmFuncType {
        WasmFuncType {
            params: ty
                .params()
                .iter()
                .map(|t| WasmValType::from_parser(*t))
                .collect(),
            results: ty
                .results()
                .iter()
                .map(|t| WasmValType::from_parser(*t))
                .collect(),
        }
    }

    fn map(&self, f: &mut impl FnMut(TypeIndex) -> TypeIndex) -> WasmFuncType {
        WasmFuncType {
            params: self.params.iter().map(|t| t.map(f)).collect(),
            results: self.results.iter().map(|t| t.map(f)).collect(),
        }
    }
}

/// The structure a type definition describes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WasmCompositeType {
    /// `func`
    Func(WasmFuncType),
    /// `array`
    Array(WasmFieldType),
    /// `struct`
    Struct(Box<[WasmFieldType]>),
    /// `cont $ft`
    Cont(TypeIndex),
}

/// A type definition: a composite type with its place in the subtype hierarchy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WasmSubType {
    /// Whether the type may have subtypes (`final` types may not).
    pub is_final: bool,
    /// The declared supertype.
    pub supertype: Option<TypeIndex>,
    /// Whether the type is shared (shared-everything threads).
    pub shared: bool,
    /// The structure.
    pub composite: WasmCompositeType,
}

impl WasmSubType {
    /// Converts a parsed type definition; indices stay module indices.
    pub fn from_parser(sub: &wasmparser::SubType) -> WasmSubType {
        let composite = match &sub.composite_type.inner {
            wasmparser::CompositeInnerType::Func(f) => {
                WasmCompositeType::Func(WasmFuncType::from_parser(f))
            }
            wasmparser::CompositeInnerType::Array(a) => {
                WasmCompositeType::Array(WasmFieldType::from_parser(&a.0))
            }
            wasmparser::CompositeInnerType::Struct(s) => {
                WasmCompositeType::Struct(s.fields.iter().map(WasmFieldType::from_parser).collect())
            }
            wasmparser::CompositeInnerType::Cont(c) => {
                WasmCompositeType::Cont(TypeIndex::from_packed(c.0))
            }
        };
        WasmSubType {
            is_final: sub.is_final,
            supertype: sub
                .supertype_idxs
                .first()
                .map(|i| TypeIndex::from_packed(*i)),
            shared: sub.composite_type.shared,
            composite,
        }
    }

    /// This type with every type index passed through `f`.
    pub fn map(&self, f: &mut impl FnMut(TypeIndex) -> TypeIndex) -> WasmSubType {
        let composite = match &self.composite {
            WasmCompositeType::Func(ft) => WasmCompositeType::Func(ft.map(f)),
            WasmCompositeType::Array(a) => WasmCompositeType::Array(a.map(f)),
            WasmCompositeType::Struct(s) => {
                WasmCompositeType::Struct(s.iter().map(|x| x.map(f)).collect())
            }
            WasmCompositeType::Cont(i) => WasmCompositeType::Cont(f(*i)),
        };
        WasmSubType {
            is_final: self.is_final,
            supertype: self.supertype.map(&mut *f),
            shared: self.shared,
            composite,
        }
    }

    /// The function type, if this is one.
    pub fn as_func(&self) -> Option<&WasmFuncType> {
        match &self.composite {
            WasmCompositeType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The abstract heap type at the top of this type's hierarchy.
    pub fn top(&self) -> AbstractHeapType {
        match self.composite {
            WasmCompositeType::Func(_) => AbstractHeapType::Func,
            WasmCompositeType::Array(_) | WasmCompositeType::Struct(_) => AbstractHeapType::Any,
            WasmCompositeType::Cont(_) => AbstractHeapType::Cont,
        }
    }
}

/// The top of the hierarchy an abstract heap type belongs to.
pub fn abstract_top(ty: AbstractHeapType) -> AbstractHeapType {
    use AbstractHeapType as A;
    match ty {
        A::Func | A::NoFunc => A::Func,
        A::Extern | A::NoExtern => A::Extern,
        A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::None => A::Any,
        A::Exn | A::NoExn => A::Exn,
        A::Cont | A::NoCont => A::Cont,
    }
}

/// The bottom (the type of null only) of the hierarchy topped by `top`.
pub fn abstract_bottom(top: AbstractHeapType) -> AbstractHeapType {
    use AbstractHeapType as A;
    match abstract_top(top) {
        A::Func => A::NoFunc,
        A::Extern => A::NoExtern,
        A::Exn => A::NoExn,
        A::Cont => A::NoCont,
        _ => A::None,
    }
}
