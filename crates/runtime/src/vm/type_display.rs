//! `VMTypeDisplay`: an entry of the engine's table of supertype displays, which generated code
//! reads to test casts to types that are not final.

/// A type's supertype chain, from the root of its hierarchy down to the type itself (see
/// `wasmfx_environ::type_display`). An entry with `len` 0 is no entry.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VMTypeDisplay {
    /// The chain's first id.
    pub supertypes: *const u32,
    /// The chain's length: the type's depth plus one.
    pub len: u32,
    /// Padding.
    pub _pad: u32,
}

#[cfg(test)]
mod tests {
    use super::VMTypeDisplay;
    use crate::vm::assert_offsets;
    use wasmfx_environ::type_display;

    #[test]
    fn offsets_match_compiler() {
        assert_offsets!(VMTypeDisplay {
            supertypes => type_display::SUPERTYPES,
            len => type_display::LEN,
        });
        assert_eq!(size_of::<VMTypeDisplay>() as u32, type_display::SIZE);
    }
}
