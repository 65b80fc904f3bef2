//! The table pool: one reservation holding every pooled table.
//!
//! Slots are strided by `max elements x TableElemType::MAX_ELEM_SIZE` (rounded to pages), so a
//! table of any element type has the same capacity in elements. A table commits only
//! `elements x its own element size` bytes (rounded to pages): a funcref table commits what it
//! would with 8-byte-only slots, and only address space grows.
//!
//! The region is readable and writable throughout (generated code bounds-checks every table
//! access against the table's length, so no guard is needed), and a page takes memory only
//! once touched: committing costs no system call. Freeing a table resets the pages it
//! committed (zeroed in place up to `keep_resident` bytes, released beyond), so a slot's pages
//! read as zero for its next table.

use super::slots::SlotList;
use crate::region::{round_to_pages, Region};
use anyhow::{bail, Result};
use std::sync::Arc;
use wasmfx_environ::TableElemType;

/// A region of table slots.
#[derive(Debug)]
pub struct TablePool {
    region: Region,
    max_elements: usize,
    stride: usize,
    keep_resident: usize,
    slots: SlotList<()>,
}

impl TablePool {
    /// Reserves room for `max_tables` tables of up to `max_elements` elements each; a freed
    /// table keeps up to `keep_resident` bytes resident (zeroed).
    pub fn new(max_tables: usize, max_elements: usize, keep_resident: usize) -> Result<TablePool> {
        let Some(stride) = max_elements.checked_mul(TableElemType::MAX_ELEM_SIZE) else {
            bail!("pooling allocator: {max_elements} elements per table is too many");
        };
        let stride = round_to_pages(stride);
        let Some(len) = stride.checked_mul(max_tables) else {
            bail!("pooling allocator: {max_tables} tables of {max_elements} elements is too much");
        };
        Ok(TablePool {
            region: Region::reserve_accessible(len, "the table pool")?,
            max_elements,
            stride,
            keep_resident,
            slots: SlotList::new("tables", max_tables),
        })
    }

    /// Bytes between the starts of two consecutive slots.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The most elements a pooled table may have.
    pub fn max_elements(&self) -> usize {
        self.max_elements
    }

    /// The first address of slot `index`.
    pub fn slot_base(&self, index: usize) -> usize {
        self.region.base() + index * self.stride
    }

    /// Takes a free slot and commits room for `elements` elements of `ty`.
    pub fn allocate(
        self: &Arc<Self>,
        ty: TableElemType,
        elements: usize,
    ) -> Result<PooledTableSlot> {
        if elements > self.max_elements {
            bail!(
                "pooling allocator: a table of {elements} elements exceeds the limit of {} \
                 elements per table",
                self.max_elements
            );
        }
        let index = self.slots.take()?.index;
        let mut slot = PooledTableSlot {
            pool: self.clone(),
            index,
            elem_size: ty.elem_size(),
            committed: 0,
        };
        slot.reserve(elements)?;
        Ok(slot)
    }
}

/// One table's slot in a [`TablePool`]; decommits what it committed and frees the slot on
/// drop.
#[derive(Debug)]
pub struct PooledTableSlot {
    pool: Arc<TablePool>,
    index: usize,
    elem_size: usize,
    /// Bytes committed from the slot's start (whole pages).
    committed: usize,
}

impl PooledTableSlot {
    /// The slot's first address (element 0).
    pub fn base(&self) -> *mut u64 {
        self.pool.slot_base(self.index) as *mut u64
    }

    /// The most elements this slot holds.
    pub fn capacity(&self) -> usize {
        self.pool.max_elements
    }

    /// Bytes committed so far.
    pub fn committed(&self) -> usize {
        self.committed
    }

    /// Makes sure `elements` elements are committed (newly committed ones read as zero):
    /// the slot's memory up to them becomes the table's, to be reset when it is freed.
    pub fn reserve(&mut self, elements: usize) -> Result<()> {
        if elements > self.capacity() {
            bail!(
                "pooling allocator: a table of {elements} elements exceeds the limit of {} \
                 elements per table",
                self.capacity()
            );
        }
        self.committed = self
            .committed
            .max(round_to_pages(elements * self.elem_size));
        Ok(())
    }
}

impl Drop for PooledTableSlot {
    fn drop(&mut self) {
        let offset = self.index * self.pool.stride;
        // A failure leaves the slot unusable rather than leaking another table's contents.
        if self
            .pool
            .region
            .reset(offset, self.committed, self.pool.keep_resident)
            .is_ok()
        {
            self.pool.slots.give_back(self.index, ());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pooling::resident_pages;

    #[test]
    fn tables_commit_their_own_width_at_a_shared_stride() {
        let page = rustix::param::page_size();
        let pool = Arc::new(TablePool::new(4, 10_000, 0).unwrap());
        assert_eq!(pool.stride(), round_to_pages(10_000 * 16));
        let n = 1000;
        for (ty, width) in [(TableElemType::FuncRef, 8), (TableElemType::ContRef, 16)] {
            let slot = pool.allocate(ty, n).unwrap();
            let base = slot.base() as usize;
            // SAFETY: the committed part of our own slot.
            unsafe { std::ptr::write_bytes(base as *mut u8, 0xff, n * width) };
            let expected = (n * width).div_ceil(page);
            assert_eq!(slot.committed(), expected * page);
            assert_eq!(resident_pages(base, pool.stride()), expected);
            drop(slot);
            assert_eq!(resident_pages(base, pool.stride()), 0);
        }
    }

    #[test]
    fn exhaustion_and_limits_are_errors() {
        let pool = Arc::new(TablePool::new(1, 10, 0).unwrap());
        let a = pool.allocate(TableElemType::FuncRef, 10).unwrap();
        let err = pool.allocate(TableElemType::FuncRef, 1).unwrap_err();
        assert!(
            err.to_string().contains("maximum number of tables (1)"),
            "{err}"
        );
        drop(a);
        let err = pool.allocate(TableElemType::FuncRef, 11).unwrap_err();
        assert!(err.to_string().contains("limit of 10 elements"), "{err}");
        let mut b = pool.allocate(TableElemType::ContRef, 0).unwrap();
        assert_eq!(b.committed(), 0);
        b.reserve(10).unwrap();
        assert!(b.reserve(11).is_err());
    }
}
