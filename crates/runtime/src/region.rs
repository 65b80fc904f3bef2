//! A reserved, inaccessible range of address space whose pages are committed (made
//! read-write) and decommitted (zeroed, released and made inaccessible again) piecewise: the
//! memory under pooled tables and continuation stacks.

use anyhow::{Context, Result};
use rustix::mm::{madvise, mmap_anonymous, mprotect, munmap, Advice, MapFlags, MprotectFlags};

/// Rounds `bytes` up to whole pages.
pub(crate) fn round_to_pages(bytes: usize) -> usize {
    bytes.next_multiple_of(rustix::param::page_size())
}

/// A reservation of address space, unmapped on drop.
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
        if len == 0 {
            return Ok(Region { base: 0, len: 0 });
        }
        // SAFETY: a fresh anonymous mapping; nothing else is affected.
        let base = unsafe {
            mmap_anonymous(
                std::ptr::null_mut(),
                len,
                rustix::mm::ProtFlags::empty(),
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

    /// Makes `[offset, offset + len)` readable and writable; its pages read as zero until
    /// written.
    pub(crate) fn commit(&self, offset: usize, len: usize) -> Result<()> {
        self.check(offset, len);
        if len == 0 {
            return Ok(());
        }
        // SAFETY: a range of our own reservation (checked above), owned by the caller's slot.
        unsafe {
            mprotect(
                (self.base + offset) as *mut _,
                len,
                MprotectFlags::READ | MprotectFlags::WRITE,
            )
        }
        .context("committing pooled memory")
    }

    /// Zeroes and releases `[offset, offset + len)`, keeping the first `keep_resident` bytes
    /// of it resident (zeroed in place) and accessible, and making the rest inaccessible.
    pub(crate) fn decommit(&self, offset: usize, len: usize, keep_resident: usize) -> Result<()> {
        self.check(offset, len);
        let keep = keep_resident.min(len);
        let addr = self.base + offset;
        // SAFETY: a range of our own reservation (checked above) that its slot no longer uses.
        unsafe {
            std::ptr::write_bytes(addr as *mut u8, 0, keep);
            if len > keep {
                let rest = (addr + keep) as *mut _;
                madvise(rest, len - keep, Advice::LinuxDontNeed)
                    .context("releasing pooled memory")?;
                mprotect(rest, len - keep, MprotectFlags::empty())
                    .context("protecting released pooled memory")?;
            }
        }
        Ok(())
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
