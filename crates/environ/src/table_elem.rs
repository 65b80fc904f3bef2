//! The representations of table elements, and their widths: the one place that says how many
//! bytes an element of each kind of table takes.

use crate::{ModuleInfo, ModuleType};
use wasmparser::{AbstractHeapType, HeapType, RefType};

/// The kind of reference a table holds, which decides its element width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableElemType {
    /// Function references (`*const VMFuncRef`, null is 0).
    FuncRef,
    /// External references (a store-local handle, null is 0).
    ExternRef,
    /// References to GC objects (only null exists until GC allocation is supported).
    GcRef,
    /// Exception references (pointers to exception objects, null is 0).
    ExnRef,
    /// Continuation references: 128-bit fat pointers (object pointer in the low 64 bits,
    /// revision in the high 64 bits; null is a null object pointer).
    ContRef,
}

impl TableElemType {
    /// The largest element width of any table: what a region holding tables of every kind
    /// must provide per element.
    pub const MAX_ELEM_SIZE: usize = 16;

    /// Bytes per element.
    pub const fn elem_size(self) -> usize {
        match self {
            TableElemType::FuncRef
            | TableElemType::ExternRef
            | TableElemType::GcRef
            | TableElemType::ExnRef => 8,
            TableElemType::ContRef => 16,
        }
    }

    /// The representation of references whose heap type has abstract top `top`.
    pub fn of_top(top: AbstractHeapType) -> TableElemType {
        match top {
            AbstractHeapType::Func => TableElemType::FuncRef,
            AbstractHeapType::Extern => TableElemType::ExternRef,
            AbstractHeapType::Exn => TableElemType::ExnRef,
            AbstractHeapType::Cont => TableElemType::ContRef,
            _ => TableElemType::GcRef,
        }
    }
}

/// The module type index of a concrete heap type (`None` for abstract ones).
pub fn concrete_index(heap: HeapType) -> Option<u32> {
    match heap {
        HeapType::Concrete(i) | HeapType::Exact(i) => i.as_module_index(),
        HeapType::Abstract { .. } => None,
    }
}

impl ModuleInfo {
    /// The representation of references of `ty`, a reference type of this module.
    pub fn ref_repr(&self, ty: RefType) -> TableElemType {
        match ty.heap_type() {
            HeapType::Abstract { ty, .. } => TableElemType::of_top(crate::abstract_top(ty)),
            heap => match concrete_index(heap).and_then(|i| self.types.get(i as usize)) {
                Some(ModuleType::Func(_)) => TableElemType::FuncRef,
                Some(ModuleType::Cont(_)) => TableElemType::ContRef,
                _ => TableElemType::GcRef,
            },
        }
    }

    /// The representation of the elements of table `index`.
    pub fn table_elem_type(&self, index: u32) -> TableElemType {
        self.ref_repr(self.tables[index as usize].ty.element_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(TableElemType::FuncRef.elem_size(), 8);
        assert_eq!(TableElemType::ContRef.elem_size(), 16);
        assert_eq!(
            TableElemType::ContRef.elem_size(),
            TableElemType::MAX_ELEM_SIZE
        );
    }
}
