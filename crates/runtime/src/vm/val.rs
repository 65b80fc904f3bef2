//! `VMVal`: one 16-byte value slot, the unit of argument and result arrays exchanged with host
//! code and of continuation payload buffers.

/// One argument or result slot exchanged with host code: 16 bytes, little-endian.
#[repr(C, align(16))]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct VMVal(pub [u8; 16]);

impl VMVal {
    /// An `i32` slot.
    pub fn i32(v: i32) -> VMVal {
        VMVal::u128(v as u32 as u128)
    }
    /// An `i64` slot.
    pub fn i64(v: i64) -> VMVal {
        VMVal::u128(v as u64 as u128)
    }
    /// A slot holding `v`.
    pub fn u128(v: u128) -> VMVal {
        VMVal(v.to_le_bytes())
    }
    /// The slot as a 32-bit value.
    pub fn get_u32(&self) -> u32 {
        self.get_u128() as u32
    }
    /// The slot as a 64-bit value.
    pub fn get_u64(&self) -> u64 {
        self.get_u128() as u64
    }
    /// The slot as a 128-bit value.
    pub fn get_u128(&self) -> u128 {
        u128::from_le_bytes(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::VMVal;

    #[test]
    fn size_matches_compiler() {
        assert_eq!(size_of::<VMVal>() as u32, wasmfx_environ::VAL_SLOT_SIZE);
    }
}
