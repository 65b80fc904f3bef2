//! Bounds-checked access to the calling module's linear memory: every guest pointer is
//! checked, and a bad one is `EFAULT` for the guest, never a host crash. A shared memory
//! (wasi-threads) is only ever copied from and to.

use crate::errno::Errno;
use std::borrow::Cow;
use std::cell::UnsafeCell;

/// The guest's memory during one WASI call.
pub struct GuestMemory<'a> {
    bytes: Bytes<'a>,
}

/// How the call reaches the memory's bytes.
enum Bytes<'a> {
    /// A memory only this call uses (the store is borrowed for it): borrowed directly.
    Exclusive(&'a mut [u8]),
    /// A shared memory, which other threads' wasm may write at any time: only copied from and
    /// to, never borrowed as a slice.
    Shared(&'a [UnsafeCell<u8>]),
}

impl<'a> GuestMemory<'a> {
    /// A view of `bytes`, which nothing else uses during the call.
    pub fn new(bytes: &'a mut [u8]) -> GuestMemory<'a> {
        GuestMemory {
            bytes: Bytes::Exclusive(bytes),
        }
    }

    /// A view of a shared memory's `cells`.
    pub fn shared(cells: &'a [UnsafeCell<u8>]) -> GuestMemory<'a> {
        GuestMemory {
            bytes: Bytes::Shared(cells),
        }
    }

    fn len(&self) -> usize {
        match &self.bytes {
            Bytes::Exclusive(bytes) => bytes.len(),
            Bytes::Shared(cells) => cells.len(),
        }
    }

    fn range(&self, ptr: u32, len: usize) -> Result<std::ops::Range<usize>, Errno> {
        let start = ptr as usize;
        let end = start.checked_add(len).ok_or(Errno::FAULT)?;
        if end > self.len() {
            return Err(Errno::FAULT);
        }
        Ok(start..end)
    }

    /// `len` bytes at `ptr` (a copy, for a shared memory).
    pub fn slice(&self, ptr: u32, len: u32) -> Result<Cow<'_, [u8]>, Errno> {
        let r = self.range(ptr, len as usize)?;
        Ok(match &self.bytes {
            Bytes::Exclusive(bytes) => Cow::Borrowed(&bytes[r]),
            Bytes::Shared(cells) => {
                let mut copy = vec![0; r.len()];
                // SAFETY: the range is inside the memory's mapped bytes, and `copy` is ours.
                // Other threads may write the bytes meanwhile: wasm's memory model makes
                // what a racing read sees unspecified, not undefined, and a copy is all that
                // touches them.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        cells[r].as_ptr() as *const u8,
                        copy.as_mut_ptr(),
                        copy.len(),
                    )
                };
                Cow::Owned(copy)
            }
        })
    }

    /// Lets `fill` write up to `len` bytes at `ptr` (into the memory, or for a shared memory
    /// into a buffer copied there afterwards); `fill` returns how many bytes from the start
    /// it wrote, and so does this.
    pub fn fill<E: From<Errno>>(
        &mut self,
        ptr: u32,
        len: u32,
        fill: impl FnOnce(&mut [u8]) -> Result<usize, E>,
    ) -> Result<usize, E> {
        let r = self.range(ptr, len as usize)?;
        match &mut self.bytes {
            Bytes::Exclusive(bytes) => fill(&mut bytes[r]),
            Bytes::Shared(_) => {
                let mut buffer = vec![0; r.len()];
                let written = fill(&mut buffer)?.min(buffer.len());
                self.write(ptr, &buffer[..written])?;
                Ok(written)
            }
        }
    }

    /// Copies `data` to `ptr`.
    pub fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let r = self.range(ptr, data.len())?;
        match &mut self.bytes {
            Bytes::Exclusive(bytes) => bytes[r].copy_from_slice(data),
            // SAFETY: the range is inside the memory's mapped bytes; as in `slice`, racing
            // accesses from other threads' wasm see unspecified bytes.
            Bytes::Shared(cells) => unsafe {
                std::ptr::copy_nonoverlapping(
                    data.as_ptr(),
                    cells[r].as_ptr() as *mut u8,
                    data.len(),
                )
            },
        }
        Ok(())
    }

    /// The `N` bytes at `ptr`.
    fn read_array<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Errno> {
        let bytes = self.slice(ptr, N as u32)?;
        Ok(bytes[..].try_into().expect("a slice of N bytes"))
    }

    /// The little-endian `u32` at `ptr`.
    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        self.read_array(ptr).map(u32::from_le_bytes)
    }

    /// The little-endian `u64` at `ptr`.
    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        self.read_array(ptr).map(u64::from_le_bytes)
    }

    /// The byte at `ptr`.
    pub fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        self.read_array(ptr).map(u8::from_le_bytes)
    }

    /// The little-endian `u16` at `ptr`.
    pub fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        self.read_array(ptr).map(u16::from_le_bytes)
    }

    /// Stores `v` at `ptr`, little-endian.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// Stores `v` at `ptr`, little-endian.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// The UTF-8 string of `len` bytes at `ptr` (paths), copied.
    pub fn str(&self, ptr: u32, len: u32) -> Result<String, Errno> {
        String::from_utf8(self.slice(ptr, len)?.into_owned()).map_err(|_| Errno::INVAL)
    }

    /// The `(buf, len)` pairs of the `count` iovecs at `iovs`.
    pub fn iovecs(&self, iovs: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        (0..count)
            .map(|i| {
                let at = iovs.checked_add(i.checked_mul(8).ok_or(Errno::FAULT)?);
                let at = at.ok_or(Errno::FAULT)?;
                let buf = self.read_u32(at)?;
                let len = self.read_u32(at + 4)?;
                self.range(buf, len as usize)?;
                Ok((buf, len))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same accesses on `m`, 16 bytes of zeros.
    fn check(mut m: GuestMemory) {
        m.write_u32(12, 7).unwrap();
        assert_eq!(m.read_u32(12), Ok(7));
        assert_eq!(m.read_u32(13), Err(Errno::FAULT));
        assert_eq!(m.slice(u32::MAX, 2).err(), Some(Errno::FAULT));
        m.write_u32(0, 8).unwrap();
        m.write_u32(4, 8).unwrap();
        assert_eq!(m.iovecs(0, 1), Ok(vec![(8, 8)]));
        m.write_u32(4, 9).unwrap();
        assert_eq!(m.iovecs(0, 1), Err(Errno::FAULT));
        // `fill` keeps at least what it says it wrote.
        let written = m.fill(8, 4, |out| {
            out.copy_from_slice(b"abcd");
            Ok::<_, Errno>(2)
        });
        assert_eq!(written, Ok(2));
        assert_eq!(&m.slice(8, 2).unwrap()[..], b"ab");
        assert_eq!(m.fill(14, 4, |_| Ok::<_, Errno>(0)), Err(Errno::FAULT));
        assert_eq!(m.str(8, 2).as_deref(), Ok("ab"));
    }

    #[test]
    fn out_of_bounds_is_efault() {
        let mut bytes = vec![0u8; 16];
        check(GuestMemory::new(&mut bytes));
        let cells: Vec<UnsafeCell<u8>> = (0..16).map(|_| UnsafeCell::new(0)).collect();
        check(GuestMemory::shared(&cells));
    }
}
