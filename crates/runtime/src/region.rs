//! A reserved range of address space whose pages are made accessible or inaccessible, and
//! reset (zeroed, released to the kernel), piecewise: the memory under pooled memories,
//! pooled tables and continuation stacks.

use anyhow::{Context, Result};
use rustix::mm::{
    madvise, mmap_anonymous, mprotect, munmap, Advice, MapFlags, MprotectFlags, ProtFlags,
};

/// Rounds `bytes` up to whole pages.
pub(crate) fn round_to_pages(bytes: usize) -> usize {
    bytes.next_multiple_of(rustix::param::page_size())
}

/// How much of `len` bytes stays resident when `keep_resident` bytes are to be kept: whole
/// pages, at most `len`.
pub(crate) fn resident_part(len: usize, keep_resident: usize) -> usize {
    round_to_pages(keep_resident.min(len)).min(len)
}

/// A reservation of address space, unmapped on drop. Its pages take physical memory only
/// once touched.
#[derive(Debug)]
pub(crate) struct Region {
    base: usize,
    len: usize,
}

// SAFETY: the region is plain memory; users synchronise access to the slots they own.
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

impl Region {
    /// Reserves `len` bytes (a multiple of the page size), all inaccessible.
    pub(crate) fn reserve(len: usize, what: &str) -> Result<Region> {
        Region::map(len, ProtFlags::empty(), what)
    }

    /// Reserves `len` bytes (a multiple of the page size), all readable and writable.
    pub(crate) fn reserve_accessible(len: usize, what: &str) -> Result<Region> {
        Region::map(len, ProtFlags::READ | ProtFlags::WRITE, what)
    }

    fn map(len: usize, prot: ProtFlags, what: &str) -> Result<Region> {
        if len == 0 {
            return Ok(Region { base: 0, len: 0 });
        }
        // SAFETY: a fresh anonymous mapping; nothing else is affected.
        let base = unsafe {
            mmap_anonymous(
                std::ptr::null_mut(),
                len,
                prot,
                MapFlags::PRIVATE | MapFlags::NORESERVE,
            )
        }
        .with_context(|| format!("reserving {len} bytes of address space for {what}"))?;
        Ok(Region {
            base: base as usize,
            len,
        })
    }

    /// The first address.
    pub(crate) fn base(&self) -> usize {
        self.base
    }

    /// The length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn check(&self, offset: usize, len: usize) {
        assert!(
            offset.checked_add(len).is_some_and(|end| end <= self.len),
            "range {offset:#x}+{len:#x} outside a region of {:#x} bytes",
            self.len
        );
    }

    /// Makes `[offset, offset + len)` readable and writable (page-aligned); pages never
    /// written read as zero.
    pub(crate) fn make_accessible(&self, offset: usize, len: usize) -> Result<()> {
        self.protect(offset, len, MprotectFlags::READ | MprotectFlags::WRITE)
            .context("making pooled memory accessible")
    }

    /// Makes `[offset, offset + len)` fault on any access (page-aligned).
    pub(crate) fn make_inaccessible(&self, offset: usize, len: usize) -> Result<()> {
        self.protect(offset, len, MprotectFlags::empty())
            .context("protecting pooled memory")
    }

    fn protect(&self, offset: usize, len: usize, flags: MprotectFlags) -> rustix::io::Result<()> {
        self.check(offset, len);
        if len == 0 {
            return Ok(());
        }
        // SAFETY: a range of our own reservation (checked above), owned by the caller's slot.
        unsafe { mprotect((self.base + offset) as *mut _, len, flags) }
    }

    /// Resets the accessible range `[offset, offset + len)` to zeroes: its first
    /// `keep_resident` bytes (rounded up to pages) are zeroed in place and stay resident, the
    /// rest is released.
    pub(crate) fn reset(&self, offset: usize, len: usize, keep_resident: usize) -> Result<()> {
        self.check(offset, len);
        let keep = resident_part(len, keep_resident);
        // SAFETY: an accessible range of our own reservation (checked above) that its slot no
        // longer uses.
        unsafe { std::ptr::write_bytes((self.base + offset) as *mut u8, 0, keep) };
        self.release(offset + keep, len - keep)
    }

    /// Releases the pages of the accessible range `[offset, offset + len)` (page-aligned) to
    /// the kernel: they take no memory and read as zero when next touched.
    pub(crate) fn release(&self, offset: usize, len: usize) -> Result<()> {
        self.check(offset, len);
        if len == 0 {
            return Ok(());
        }
        // SAFETY: an accessible range of our own reservation (checked above) that its slot no
        // longer uses.
        unsafe { madvise((self.base + offset) as *mut _, len, Advice::LinuxDontNeed) }
            .context("releasing pooled memory")
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: our own reservation; its owner is being dropped and no slot is in use.
            unsafe {
                let _ = munmap(self.base as *mut _, self.len);
            }
        }
    }
}
