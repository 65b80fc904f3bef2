//! Tables of references. The element width is a property of the element type, used by every
//! piece of code that sizes table storage.

use crate::vm::VMTableDefinition;
use anyhow::{bail, Result};

/// The kind of reference a table holds.
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
}

impl TableElemType {
    /// Bytes per element.
    pub fn elem_size(self) -> usize {
        match self {
            TableElemType::FuncRef
            | TableElemType::ExternRef
            | TableElemType::GcRef
            | TableElemType::ExnRef => 8,
        }
    }
}

/// A table. The definition generated code reads is the first field.
#[repr(C)]
pub struct Table {
    def: VMTableDefinition,
    elements: Vec<usize>,
    max: u64,
    ty: TableElemType,
}

// SAFETY: the table owns its storage; access is serialised by the owning store.
unsafe impl Send for Table {}

impl Table {
    /// A table of `min` elements set to `init`, growable to `max` (and at most `limit`).
    pub fn new(
        ty: TableElemType,
        min: u64,
        max: Option<u64>,
        init: usize,
        limit: u64,
    ) -> Result<Box<Table>> {
        let max = max.unwrap_or(u64::from(u32::MAX)).min(limit);
        if min > max {
            bail!("table of {min} elements exceeds the limit of {max} elements");
        }
        let mut table = Box::new(Table {
            def: VMTableDefinition {
                base: std::ptr::null_mut(),
                length: 0,
            },
            elements: vec![init; min as usize],
            max,
            ty,
        });
        table.sync();
        Ok(table)
    }

    fn sync(&mut self) {
        self.def.base = self.elements.as_mut_ptr().cast();
        self.def.length = self.elements.len();
    }

    /// The table whose definition is at `def`.
    ///
    /// # Safety
    ///
    /// `def` must point at the definition inside a live `Table`, not otherwise borrowed.
    pub unsafe fn from_def<'a>(def: *mut VMTableDefinition) -> &'a mut Table {
        // SAFETY: `def` is the first field of a `#[repr(C)]` Table.
        unsafe { &mut *(def as *mut Table) }
    }

    /// The definition generated code reads.
    pub fn vmdef(&mut self) -> *mut VMTableDefinition {
        &mut self.def
    }

    /// The element type.
    pub fn elem_type(&self) -> TableElemType {
        self.ty
    }

    /// Current number of elements.
    pub fn size(&self) -> u64 {
        self.elements.len() as u64
    }

    /// Maximum number of elements.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Element `i`, if in bounds.
    pub fn get(&self, i: u64) -> Option<usize> {
        self.elements.get(usize::try_from(i).ok()?).copied()
    }

    /// Sets element `i`; `false` if out of bounds.
    pub fn set(&mut self, i: u64, v: usize) -> bool {
        match usize::try_from(i)
            .ok()
            .and_then(|i| self.elements.get_mut(i))
        {
            Some(e) => {
                *e = v;
                true
            }
            None => false,
        }
    }

    /// Grows by `delta` elements set to `init`, returning the old size, or `None` past the
    /// maximum.
    pub fn grow(&mut self, delta: u64, init: usize) -> Option<u64> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new > self.max {
            return None;
        }
        self.elements.try_reserve(delta as usize).ok()?;
        self.elements.resize(new as usize, init);
        self.sync();
        Some(old)
    }

    /// Sets `len` elements from `dst` to `v`; `false` (and no change) if out of bounds.
    pub fn fill(&mut self, dst: u64, v: usize, len: u64) -> bool {
        let Some(end) = dst.checked_add(len) else {
            return false;
        };
        if end > self.size() {
            return false;
        }
        self.elements[dst as usize..end as usize].fill(v);
        true
    }

    /// The elements.
    pub fn elements(&self) -> &[usize] {
        &self.elements
    }

    /// The elements, mutably.
    pub fn elements_mut(&mut self) -> &mut [usize] {
        &mut self.elements
    }
}
