//! Read-only mappings of parts of a file: how a precompiled module's wasm binary and code
//! tables are read in place, so that only the pages a run touches become resident.

use anyhow::{bail, Context, Result};
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use std::fs::File;
use wasmfx_environ::WordSource;

/// `len` bytes of a file from a page-aligned offset, mapped private and read-only. Unmapped
/// on drop. The file must not shrink meanwhile (reading a page past its end raises
/// `SIGBUS`), which is why precompiled files are documented as left alone while loaded.
#[derive(Debug)]
pub struct FileMapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value.
unsafe impl Send for FileMapping {}
// SAFETY: as above; access only reads.
unsafe impl Sync for FileMapping {}

impl FileMapping {
    /// Maps `len` bytes of `file` from `offset`, which must be a multiple of the page size.
    pub fn new(file: &File, offset: u64, len: usize) -> Result<FileMapping> {
        let ptr = map_file(file, offset, len, ProtFlags::READ)?;
        Ok(FileMapping { ptr, len })
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `len` bytes mapped readable for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl WordSource for FileMapping {
    fn words(&self) -> &[u32] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the mapping starts on a page boundary, so it is aligned for `u32`, and
        // holds `len` bytes, of which the whole words are viewed.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u32>(), self.len / 4) }
    }
}

impl Drop for FileMapping {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: our own mapping; the borrow checker ended every view of it.
            unsafe {
                let _ = munmap(self.ptr.cast(), self.len);
            }
        }
    }
}

/// Asks the kernel not to read ahead on reads through `file` (this open file only). A
/// precompiled module is read once, for its checksum, then mapped: reading ahead would fill
/// the page cache with large folios, which page faults on the mappings then map whole, making
/// many times more of the file resident than a run touches.
pub fn read_without_readahead(file: &File) {
    // Only advice: reading works all the same if it is not taken.
    let _ = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::Random);
}

/// Maps `len` bytes of `file` from `offset` private with `prot` (a null pointer when `len` is
/// zero, which maps nothing).
pub(crate) fn map_file(file: &File, offset: u64, len: usize, prot: ProtFlags) -> Result<*mut u8> {
    if !offset.is_multiple_of(rustix::param::page_size() as u64) {
        bail!("mapping a file from offset {offset}, which is not a multiple of the page size");
    }
    if len == 0 {
        return Ok(std::ptr::null_mut());
    }
    // SAFETY: a new mapping at an address of the kernel's choosing; no existing memory is
    // affected.
    let ptr = unsafe {
        mmap(
            std::ptr::null_mut(),
            len,
            prot,
            MapFlags::PRIVATE,
            file,
            offset,
        )
    }
    .context("mapping a precompiled module")?;
    Ok(ptr.cast())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_mapping_reads_the_file_from_its_offset() {
        let page = rustix::param::page_size();
        let mut file = tempfile_in_target();
        let mut contents = vec![0u8; page];
        contents.extend(1u32.to_le_bytes());
        contents.extend(2u32.to_le_bytes());
        file.write_all(&contents).unwrap();
        let mapping = FileMapping::new(&file, page as u64, 8).unwrap();
        assert_eq!(mapping.words(), &[1, 2]);
        assert_eq!(mapping.bytes()[4], 2);
        assert!(FileMapping::new(&file, 12, 8).is_err());
        assert!(FileMapping::new(&file, 0, 0).unwrap().bytes().is_empty());
    }

    /// A fresh file, removed as soon as it is open.
    fn tempfile_in_target() -> File {
        let path = std::env::temp_dir().join(format!(
            "wasmfx-file-mapping-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file
    }
}
