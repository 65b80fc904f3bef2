//! Layouts of GC objects (see `docs/gc.md`): the header every object starts with, where each
//! field of a struct type and each element of an array type lives, and the size classes and
//! chunk size of the GC heap. The compiler and the runtime both lay objects out from here.

use crate::{
    abstract_top, ModuleInfo, ModuleType, TableElemType, TypeRegistry, WasmCompositeType,
    WasmFieldType, WasmHeapType, WasmValType,
};
use wasmparser::AbstractHeapType;
use wasmparser::{StorageType, ValType};

/// Layout of the header every GC object starts with.
pub mod gc_header {
    /// The engine-wide id of the object's type (`u32`).
    pub const TYPE_ID: u32 = 0;
    /// The number of elements of an array (`u32`); [`STRUCT_LENGTH`] for a struct, which
    /// tells the two apart (no array can have that many elements: it would not fit).
    pub const LENGTH: u32 = 4;
    /// The length field of every struct.
    pub const STRUCT_LENGTH: u32 = u32::MAX;
    /// Size of the header.
    pub const SIZE: u32 = 8;
}

/// The low bits of a reference word that tell its kind: 0 for a GC object's address (or
/// null), [`I31_TAG`] (bit 0) for an `i31ref`, [`HOST_EXTERN_TAG`] for a host's external
/// reference. The same word serves in the `any` and `extern` hierarchies, so
/// `any.convert_extern` and `extern.convert_any` change nothing.
pub const REF_TAG_MASK: u64 = 3;
/// Bit 0 of an `i31ref` word: `(value << 1) | 1`.
pub const I31_TAG: u64 = 1;
/// The tag of a host's external reference: `(index << 2) | 2`.
pub const HOST_EXTERN_TAG: u64 = 2;

/// The reference word of the host's external reference number `index`.
pub fn host_extern_bits(index: usize) -> u64 {
    ((index as u64) << 2) | HOST_EXTERN_TAG
}

/// The index of the host's external reference whose word is `bits`, if it is one.
pub fn host_extern_index(bits: u64) -> Option<usize> {
    (bits & REF_TAG_MASK == HOST_EXTERN_TAG).then_some((bits >> 2) as usize)
}

/// Alignment of every GC object and of the heap's slots.
pub const GC_ALIGN: u32 = 8;

/// Size of a chunk of the GC heap: each holds objects of one size class.
pub const GC_CHUNK_SIZE: usize = 32 * 1024;

/// The slot sizes of the GC heap's size classes, in bytes: each class at most 25% larger
/// than the one below it (from 32 bytes on), up to the largest object a chunk holds several of.
/// Larger objects take whole chunks.
pub const GC_SIZE_CLASSES: [u32; 31] = [
    16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768,
    896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
];

/// The index of the smallest size class holding `bytes`, or `None` for objects larger than the
/// largest class.
pub fn size_class(bytes: usize) -> Option<usize> {
    // By 8-byte granule, up to the largest class.
    const BY_GRANULE: [u8; 4096 / 8 + 1] = {
        let mut table = [0u8; 4096 / 8 + 1];
        let (mut granule, mut class) = (0, 0);
        while granule < table.len() {
            while (GC_SIZE_CLASSES[class] as usize) < granule * 8 {
                class += 1;
            }
            table[granule] = class as u8;
            granule += 1;
        }
        table
    };
    BY_GRANULE
        .get(bytes.div_ceil(8))
        .map(|&class| usize::from(class))
}

/// How one field or array element is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GcStorage {
    /// Packed 8-bit integer.
    I8,
    /// Packed 16-bit integer.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `v128`.
    V128,
    /// A reference stored as one pointer-sized word.
    Ref,
    /// A continuation reference: a 16-byte fat pointer.
    ContRef,
}

impl GcStorage {
    /// Bytes taken.
    pub fn size(self) -> u32 {
        match self {
            GcStorage::I8 => 1,
            GcStorage::I16 => 2,
            GcStorage::I32 | GcStorage::F32 => 4,
            GcStorage::I64 | GcStorage::F64 | GcStorage::Ref => 8,
            GcStorage::V128 | GcStorage::ContRef => 16,
        }
    }

    /// Alignment: natural, at most 8 (the alignment of objects).
    pub fn align(self) -> u32 {
        self.size().min(GC_ALIGN)
    }

    /// Whether a value stored this way is a GC reference the collector traces (a reference
    /// word, or the object half of a fat continuation reference).
    pub fn is_reference(self) -> bool {
        matches!(self, GcStorage::Ref | GcStorage::ContRef)
    }
}

/// Where one field of a struct lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldLayout {
    /// Offset from the start of the object (after the header).
    pub offset: u32,
    /// How it is stored.
    pub storage: GcStorage,
}

/// The layout of the objects of a struct type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLayout {
    /// The fields, in declaration order.
    pub fields: Vec<FieldLayout>,
    /// The object's size (header included), a multiple of [`GC_ALIGN`].
    pub size: u32,
}

impl StructLayout {
    /// Lays out fields stored as `fields` after the header, in order, each at its natural
    /// alignment.
    pub fn new(fields: impl IntoIterator<Item = GcStorage>) -> StructLayout {
        let mut end = gc_header::SIZE;
        let fields = fields
            .into_iter()
            .map(|storage| {
                let offset = end.next_multiple_of(storage.align());
                end = offset + storage.size();
                FieldLayout { offset, storage }
            })
            .collect();
        StructLayout {
            fields,
            size: end.next_multiple_of(GC_ALIGN),
        }
    }
}

/// The layout of the objects of an array type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayLayout {
    /// How each element is stored.
    pub elem: GcStorage,
    /// Offset of element 0 from the start of the object.
    pub elements_offset: u32,
}

impl ArrayLayout {
    /// The layout of arrays whose elements are stored as `elem`.
    pub fn new(elem: GcStorage) -> ArrayLayout {
        ArrayLayout {
            elem,
            elements_offset: gc_header::SIZE.next_multiple_of(elem.align()),
        }
    }

    /// The size of an array of `len` elements (header included, rounded to [`GC_ALIGN`]), or
    /// `None` if it does not fit in memory at all.
    pub fn size(&self, len: u32) -> Option<usize> {
        let elements = (len as usize).checked_mul(self.elem.size() as usize)?;
        let size = (self.elements_offset as usize).checked_add(elements)?;
        size.checked_next_multiple_of(GC_ALIGN as usize)
    }
}

impl ModuleInfo {
    /// How a field or element of storage type `ty` is stored.
    pub fn gc_storage(&self, ty: StorageType) -> GcStorage {
        match ty {
            StorageType::I8 => GcStorage::I8,
            StorageType::I16 => GcStorage::I16,
            StorageType::Val(ValType::I32) => GcStorage::I32,
            StorageType::Val(ValType::I64) => GcStorage::I64,
            StorageType::Val(ValType::F32) => GcStorage::F32,
            StorageType::Val(ValType::F64) => GcStorage::F64,
            StorageType::Val(ValType::V128) => GcStorage::V128,
            StorageType::Val(ValType::Ref(r)) => match self.ref_repr(r) {
                TableElemType::ContRef => GcStorage::ContRef,
                _ => GcStorage::Ref,
            },
        }
    }

    /// The layout of struct type `ty` (a module type index), or `None` if it is not a struct
    /// type.
    pub fn struct_layout(&self, ty: u32) -> Option<StructLayout> {
        match self.types.get(ty as usize)? {
            ModuleType::Struct(s) => Some(StructLayout::new(
                s.fields.iter().map(|f| self.gc_storage(f.element_type)),
            )),
            _ => None,
        }
    }

    /// The layout of array type `ty` (a module type index), or `None` if it is not an array
    /// type.
    pub fn array_layout(&self, ty: u32) -> Option<ArrayLayout> {
        match self.types.get(ty as usize)? {
            ModuleType::Array(a) => Some(ArrayLayout::new(self.gc_storage(a.0.element_type))),
            _ => None,
        }
    }
}

/// The layout of the objects of a struct or array type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GcTypeLayout {
    /// A struct type's.
    Struct(StructLayout),
    /// An array type's.
    Array(ArrayLayout),
}

impl TypeRegistry {
    /// How a field or element of engine-canonical type `field` is stored.
    pub fn field_storage(&self, field: &WasmFieldType) -> GcStorage {
        match (field.packed_bits, field.ty) {
            (Some(8), _) => GcStorage::I8,
            (Some(_), _) => GcStorage::I16,
            (None, WasmValType::I32) => GcStorage::I32,
            (None, WasmValType::I64) => GcStorage::I64,
            (None, WasmValType::F32) => GcStorage::F32,
            (None, WasmValType::F64) => GcStorage::F64,
            (None, WasmValType::V128) => GcStorage::V128,
            (None, WasmValType::Ref(r)) => {
                let is_cont = match r.heap {
                    WasmHeapType::Abstract { ty, .. } => abstract_top(ty) == AbstractHeapType::Cont,
                    WasmHeapType::Concrete(index) => index.engine().is_some_and(|id| {
                        matches!(self.get(id).composite, WasmCompositeType::Cont(_))
                    }),
                };
                if is_cont {
                    GcStorage::ContRef
                } else {
                    GcStorage::Ref
                }
            }
        }
    }

    /// The layout of the objects of engine type `id`, if it is a struct or array type.
    pub fn gc_layout(&self, id: u32) -> Option<GcTypeLayout> {
        if id as usize >= self.len() {
            return None;
        }
        match &self.get(id).composite {
            WasmCompositeType::Struct(fields) => Some(GcTypeLayout::Struct(StructLayout::new(
                fields.iter().map(|f| self.field_storage(f)),
            ))),
            WasmCompositeType::Array(elem) => Some(GcTypeLayout::Array(ArrayLayout::new(
                self.field_storage(elem),
            ))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_fields_are_naturally_aligned() {
        use GcStorage::*;
        let layout = StructLayout::new([I8, I32, I16, ContRef, I8, F64]);
        let offsets: Vec<u32> = layout.fields.iter().map(|f| f.offset).collect();
        assert_eq!(offsets, [8, 12, 16, 24, 40, 48]);
        assert_eq!(layout.size, 56);
        assert_eq!(StructLayout::new([]).size, gc_header::SIZE);
        assert_eq!(StructLayout::new([I8]).size, 16);
    }

    #[test]
    fn array_sizes() {
        let bytes = ArrayLayout::new(GcStorage::I8);
        assert_eq!(bytes.elements_offset, 8);
        assert_eq!(bytes.size(0), Some(8));
        assert_eq!(bytes.size(9), Some(24));
        let conts = ArrayLayout::new(GcStorage::ContRef);
        assert_eq!(conts.size(3), Some(56));
        assert!(conts.size(u32::MAX).is_some_and(|s| s > u32::MAX as usize));
    }

    #[test]
    fn size_classes_grow_by_at_most_a_quarter() {
        assert!(GC_SIZE_CLASSES.windows(2).all(|w| w[0] < w[1]));
        assert!(GC_SIZE_CLASSES
            .windows(2)
            .filter(|w| w[0] >= 32)
            .all(|w| w[1] * 4 <= w[0] * 5));
        assert!(GC_SIZE_CLASSES.iter().all(|c| c % GC_ALIGN == 0));
        assert_eq!(size_class(1), Some(0));
        assert_eq!(size_class(16), Some(0));
        assert_eq!(size_class(17), Some(1));
        assert_eq!(size_class(4096), Some(GC_SIZE_CLASSES.len() - 1));
        assert_eq!(size_class(4097), None);
        for bytes in 1..=4096usize {
            let smallest = GC_SIZE_CLASSES.iter().position(|&c| bytes <= c as usize);
            assert_eq!(size_class(bytes), smallest, "{bytes} bytes");
        }
        // A chunk holds several objects of the largest class.
        assert!(GC_CHUNK_SIZE / *GC_SIZE_CLASSES.last().unwrap() as usize >= 4);
    }
}
