//! `VMStackContext`: a saved execution context, as Cranelift's `stack_switch` reads and writes
//! it.

/// A saved execution context (see `wasmfx_environ::stack_context`).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct VMStackContext {
    /// Stack pointer.
    pub sp: usize,
    /// Frame pointer.
    pub fp: usize,
    /// Resume address.
    pub ip: usize,
}

#[cfg(test)]
mod tests {
    use super::VMStackContext;
    use crate::vm::assert_offsets;
    use wasmfx_environ::stack_context;

    #[test]
    fn offsets_match_compiler() {
        assert_offsets!(VMStackContext {
            sp => stack_context::SP,
            fp => stack_context::FP,
            ip => stack_context::IP,
        });
        assert_eq!(size_of::<VMStackContext>() as u32, stack_context::SIZE);
    }
}
