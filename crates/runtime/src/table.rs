//! Tables of references. Storage is a run of 64-bit words, [`TableElemType::elem_size`] bytes
//! per element, on the heap or in a slot of the pooling allocator's [`TablePool`]; elements
//! travel as `u128` bits (pointer in the low word, a continuation's revision in the high word,
//! zero for narrower references).

use crate::limits::{elements_to_usize, grow_limited, Growth, ResourceLimiter};
use crate::pooling::{PooledTableSlot, TablePool};
use crate::vm::VMTableDefinition;
use anyhow::{bail, Result};
use std::sync::Arc;
pub use wasmfx_environ::TableElemType;

/// The bits of one table element.
pub type TableElem = u128;

/// The limits of a table being created.
#[derive(Clone, Copy, Debug)]
pub struct TableLimits {
    /// Elements at creation.
    pub min: u64,
    /// The maximum its type declares, if any.
    pub max: Option<u64>,
    /// Whether it is a 64-bit table (table64).
    pub index64: bool,
    /// The most elements it may have (the engine's limit).
    pub limit: u64,
}

/// Where a table's words live.
enum Storage {
    /// A growable heap vector.
    Heap(Vec<u64>),
    /// A pooled slot, `len` words of it in use.
    Pooled { slot: PooledTableSlot, len: usize },
}

impl Storage {
    fn words(&self) -> &[u64] {
        match self {
            Storage::Heap(v) => v,
            // SAFETY: the slot's first `len` words are committed and owned by this table.
            Storage::Pooled { slot, len } => unsafe {
                std::slice::from_raw_parts(slot.base(), *len)
            },
        }
    }

    fn words_mut(&mut self) -> &mut [u64] {
        match self {
            Storage::Heap(v) => v,
            // SAFETY: as above.
            Storage::Pooled { slot, len } => unsafe {
                std::slice::from_raw_parts_mut(slot.base(), *len)
            },
        }
    }

    /// Grows to `words` words (zeroed); `None` if memory runs out.
    fn grow_to(&mut self, words: usize, width: usize) -> Option<()> {
        match self {
            Storage::Heap(v) => {
                v.try_reserve(words - v.len()).ok()?;
                v.resize(words, 0);
            }
            Storage::Pooled { slot, len } => {
                // Committed words past `len` were never written: they are still zero.
                slot.reserve(words / width).ok()?;
                *len = words;
            }
        }
        Some(())
    }
}

/// A table. The definition generated code reads is the first field.
#[repr(C)]
pub struct Table {
    def: VMTableDefinition,
    storage: Storage,
    max: u64,
    /// The maximum the table's type declares, if any (what a limiter is told).
    declared_max: Option<u64>,
    ty: TableElemType,
    /// Whether this is a 64-bit table.
    index64: bool,
}

// SAFETY: the table owns its storage; access is serialised by the owning store.
unsafe impl Send for Table {}

impl Table {
    /// A table of elements of `ty` with `limits`, every element set to `init`.
    pub fn new(ty: TableElemType, limits: TableLimits, init: TableElem) -> Result<Box<Table>> {
        Table::with_storage(ty, limits, init, Storage::Heap(Vec::new()))
    }

    /// Like [`Table::new`], in a slot of `pool` (whose element limit also caps `max`).
    pub fn new_pooled(
        pool: &Arc<TablePool>,
        ty: TableElemType,
        mut limits: TableLimits,
        init: TableElem,
    ) -> Result<Box<Table>> {
        limits.limit = limits.limit.min(pool.max_elements() as u64);
        let (min, limit) = (limits.min, limits.limit);
        if min > limit {
            bail!(
                "pooling allocator: a table of {min} elements exceeds the limit of {limit} \
                 elements per table"
            );
        }
        let slot = pool.allocate(ty, 0)?;
        Table::with_storage(ty, limits, init, Storage::Pooled { slot, len: 0 })
    }

    fn with_storage(
        ty: TableElemType,
        limits: TableLimits,
        init: TableElem,
        storage: Storage,
    ) -> Result<Box<Table>> {
        let TableLimits {
            min,
            max,
            index64,
            limit,
        } = limits;
        let declared_max = max;
        let type_max = if index64 {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
        let max = max.unwrap_or(type_max).min(limit);
        if min > max {
            bail!("table of {min} elements exceeds the limit of {max} elements");
        }
        let mut table = Box::new(Table {
            def: VMTableDefinition {
                base: std::ptr::null_mut(),
                length: 0,
            },
            storage,
            max,
            declared_max,
            ty,
            index64,
        });
        table.sync();
        if table.grow_unlimited(min, init).is_none() {
            bail!("cannot allocate a table of {min} elements");
        }
        Ok(table)
    }

    /// Words per element.
    fn width(&self) -> usize {
        self.ty.elem_size() / 8
    }

    /// The word range of elements `first .. first + len`, if in bounds.
    fn span(&self, first: u64, len: u64) -> Option<std::ops::Range<usize>> {
        let end = first.checked_add(len)?;
        if end > self.size() {
            return None;
        }
        let w = self.width();
        Some(first as usize * w..end as usize * w)
    }

    fn sync(&mut self) {
        let width = self.width();
        let words = self.storage.words_mut();
        self.def.length = words.len() / width;
        self.def.base = words.as_mut_ptr().cast();
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
        // `sync` keeps the definition's length equal to the storage's.
        self.def.length as u64
    }

    /// Maximum number of elements.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The maximum its type declares, if any.
    pub fn declared_max(&self) -> Option<u64> {
        self.declared_max
    }

    /// Whether this is a 64-bit table.
    pub fn is_64(&self) -> bool {
        self.index64
    }

    /// Element `i`, if in bounds.
    pub fn get(&self, i: u64) -> Option<TableElem> {
        let words = &self.storage.words()[self.span(i, 1)?];
        Some(
            words
                .iter()
                .rev()
                .fold(0, |acc, w| (acc << 64) | TableElem::from(*w)),
        )
    }

    /// Sets element `i`; `false` if out of bounds.
    pub fn set(&mut self, i: u64, v: TableElem) -> bool {
        self.fill(i, v, 1)
    }

    /// Grows by `delta` elements set to `init` if `limiter` (the store's, if it has one)
    /// allows, returning the old size, or `None` when the growth is refused, past the maximum,
    /// or out of memory. An error from the limiter is returned: the growing instruction traps
    /// with it.
    pub fn grow(
        &mut self,
        delta: u64,
        init: TableElem,
        limiter: Option<&mut dyn ResourceLimiter>,
    ) -> Result<Option<u64>> {
        let sizes = (
            elements_to_usize(self.size()),
            elements_to_usize(self.size().saturating_add(delta)),
            self.declared_max.map(elements_to_usize),
        );
        grow_limited(limiter, Growth::Table, sizes, || {
            self.grow_unlimited(delta, init)
        })
    }

    /// Grows by `delta` elements set to `init`, returning the old size, or `None` past the
    /// maximum or when memory runs out.
    fn grow_unlimited(&mut self, delta: u64, init: TableElem) -> Option<u64> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new > self.max {
            return None;
        }
        let words = usize::try_from(new).ok()?.checked_mul(self.width())?;
        self.storage.grow_to(words, self.width())?;
        self.sync();
        self.fill(old, init, delta);
        Some(old)
    }

    /// Sets `len` elements from `dst` to `v`; `false` (and no change) if out of bounds.
    pub fn fill(&mut self, dst: u64, v: TableElem, len: u64) -> bool {
        let Some(range) = self.span(dst, len) else {
            return false;
        };
        let w = self.width();
        for elem in self.storage.words_mut()[range].chunks_exact_mut(w) {
            write_elem(elem, v);
        }
        true
    }

    /// Copies `len` elements from `src` to `dst` within this table; `false` if out of bounds.
    pub fn copy_within(&mut self, dst: u64, src: u64, len: u64) -> bool {
        match (self.span(src, len), self.span(dst, len)) {
            (Some(s), Some(d)) => {
                self.storage.words_mut().copy_within(s, d.start);
                true
            }
            _ => false,
        }
    }

    /// Copies `len` elements of `src` (a table of the same element type) from `src_index` to
    /// `dst`; `false` if out of bounds.
    pub fn copy_from(&mut self, dst: u64, src: &Table, src_index: u64, len: u64) -> bool {
        debug_assert_eq!(self.ty.elem_size(), src.ty.elem_size());
        match (src.span(src_index, len), self.span(dst, len)) {
            (Some(s), Some(d)) => {
                self.storage.words_mut()[d].copy_from_slice(&src.storage.words()[s]);
                true
            }
            _ => false,
        }
    }

    /// Sets elements from `dst` to `items`; `false` (and no change) if out of bounds.
    pub fn init(&mut self, dst: u64, items: &[TableElem]) -> bool {
        let Some(range) = self.span(dst, items.len() as u64) else {
            return false;
        };
        let w = self.width();
        for (elem, v) in self.storage.words_mut()[range]
            .chunks_exact_mut(w)
            .zip(items)
        {
            write_elem(elem, *v);
        }
        true
    }
}

/// Stores `v` in the words of one element (one word, or two for a fat pointer).
fn write_elem(elem: &mut [u64], v: TableElem) {
    let words = [v as u64, (v >> 64) as u64];
    elem.copy_from_slice(&words[..elem.len()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(min: u64, max: Option<u64>) -> TableLimits {
        TableLimits {
            min,
            max,
            index64: false,
            limit: 100,
        }
    }

    #[test]
    fn continuation_elements_keep_both_words() {
        let fat = (7u128 << 64) | 0x1000;
        let mut t = Table::new(TableElemType::ContRef, limits(2, Some(4)), 0).unwrap();
        assert!(t.set(1, fat));
        assert_eq!(t.get(1), Some(fat));
        assert_eq!(t.get(0), Some(0));
        assert_eq!(t.grow_unlimited(2, fat), Some(2));
        assert_eq!(t.get(3), Some(fat));
        assert_eq!(t.grow_unlimited(1, 0), None);
        assert!(t.copy_within(0, 2, 2));
        assert_eq!(t.get(0), Some(fat));
        assert_eq!(t.vmdef_len(), 4);
    }

    #[test]
    fn funcref_elements_are_one_word() {
        let mut t = Table::new(TableElemType::FuncRef, limits(3, None), 0x20).unwrap();
        assert_eq!(t.storage.words().len(), 3);
        assert!(t.fill(1, 0x30, 2));
        assert_eq!(t.get(2), Some(0x30));
        assert!(!t.fill(2, 0x30, 2));
    }

    impl Table {
        fn vmdef_len(&mut self) -> usize {
            // SAFETY: the definition of this live table.
            unsafe { (*self.vmdef()).length }
        }
    }
}
