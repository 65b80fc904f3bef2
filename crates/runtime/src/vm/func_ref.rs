//! `VMFuncRef`: what a `funcref` points to.

/// What a `funcref` points to: everything needed to call a function.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VMFuncRef {
    /// Code with the wasm calling convention.
    pub wasm_call: usize,
    /// Array-to-wasm trampoline for this function's type (0 for host functions).
    pub array_call: usize,
    /// The callee's `VMContext` or host function context.
    pub vmctx: *mut u8,
    /// Engine-wide type id of the function's type.
    pub type_id: u32,
    /// Padding to 32 bytes.
    pub _pad: u32,
}

#[cfg(test)]
mod tests {
    use super::VMFuncRef;
    use crate::vm::assert_offsets;
    use wasmfx_environ::func_ref;

    #[test]
    fn offsets_match_compiler() {
        assert_offsets!(VMFuncRef {
            wasm_call => func_ref::WASM_CALL,
            array_call => func_ref::ARRAY_CALL,
            vmctx => func_ref::VMCTX,
            type_id => func_ref::TYPE_ID,
        });
        assert_eq!(size_of::<VMFuncRef>() as u32, func_ref::SIZE);
    }
}
