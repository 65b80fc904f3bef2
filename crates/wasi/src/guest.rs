//! Bounds-checked access to the calling module's linear memory: every guest pointer is
//! checked, and a bad one is `EFAULT` for the guest, never a host crash.

use crate::errno::Errno;

/// The guest's memory during one WASI call.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    /// A view of `bytes`.
    pub fn new(bytes: &'a mut [u8]) -> GuestMemory<'a> {
        GuestMemory { bytes }
    }

    fn range(&self, ptr: u32, len: usize) -> Result<std::ops::Range<usize>, Errno> {
        let start = ptr as usize;
        let end = start.checked_add(len).ok_or(Errno::FAULT)?;
        if end > self.bytes.len() {
            return Err(Errno::FAULT);
        }
        Ok(start..end)
    }

    /// `len` bytes at `ptr`.
    pub fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len as usize)?;
        Ok(&self.bytes[r])
    }

    /// `len` bytes at `ptr`, mutably.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len as usize)?;
        Ok(&mut self.bytes[r])
    }

    /// Copies `data` to `ptr`.
    pub fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let r = self.range(ptr, data.len())?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    /// The little-endian `u32` at `ptr`.
    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        let r = self.range(ptr, 4)?;
        Ok(u32::from_le_bytes(
            self.bytes[r].try_into().expect("4 bytes"),
        ))
    }

    /// The little-endian `u64` at `ptr`.
    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        let r = self.range(ptr, 8)?;
        Ok(u64::from_le_bytes(
            self.bytes[r].try_into().expect("8 bytes"),
        ))
    }

    /// The byte at `ptr`.
    pub fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.slice(ptr, 1)?[0])
    }

    /// The little-endian `u16` at `ptr`.
    pub fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        let r = self.range(ptr, 2)?;
        Ok(u16::from_le_bytes(
            self.bytes[r].try_into().expect("2 bytes"),
        ))
    }

    /// Stores `v` at `ptr`, little-endian.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// Stores `v` at `ptr`, little-endian.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// The UTF-8 string of `len` bytes at `ptr` (paths).
    pub fn str(&self, ptr: u32, len: u32) -> Result<&str, Errno> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::INVAL)
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

    #[test]
    fn out_of_bounds_is_efault() {
        let mut bytes = vec![0u8; 16];
        let mut m = GuestMemory::new(&mut bytes);
        m.write_u32(12, 7).unwrap();
        assert_eq!(m.read_u32(12), Ok(7));
        assert_eq!(m.read_u32(13), Err(Errno::FAULT));
        assert_eq!(m.slice(u32::MAX, 2).err(), Some(Errno::FAULT));
        m.write_u32(0, 8).unwrap();
        m.write_u32(4, 8).unwrap();
        assert_eq!(m.iovecs(0, 1), Ok(vec![(8, 8)]));
        m.write_u32(4, 9).unwrap();
        assert_eq!(m.iovecs(0, 1), Err(Errno::FAULT));
    }
}
