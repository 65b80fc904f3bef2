//! `VMHostFuncContext`: the header of a host function's context, which its wasm-to-host
//! trampoline reads.

use super::VMVal;

/// Header of a host function's context: what generated code reads before calling it.
#[repr(C)]
#[derive(Debug)]
pub struct VMHostFuncContext {
    /// `HOST_CTX_MAGIC`.
    pub magic: u32,
    /// Padding.
    pub _pad: u32,
    /// `extern "C" fn(ctx, caller_vmctx, values, len, frame) -> u32`, non-zero on error.
    pub callback: HostCallback,
}

/// The callback of a host function, called by its wasm-to-host trampoline with the host
/// function's context, the calling instance's `VMContext`, the buffer of argument and result
/// slots and its length, and the trampoline's frame pointer (its frame record links to the
/// calling wasm frame, for the collector).
pub type HostCallback =
    unsafe extern "C" fn(*mut VMHostFuncContext, *mut u8, *mut VMVal, usize, usize) -> u32;

#[cfg(test)]
mod tests {
    use super::VMHostFuncContext;
    use crate::vm::assert_offsets;
    use wasmfx_environ::host_func_ctx;

    #[test]
    fn offsets_match_compiler() {
        assert_offsets!(VMHostFuncContext {
            magic => host_func_ctx::MAGIC,
            callback => host_func_ctx::CALLBACK,
        });
        assert_eq!(size_of::<VMHostFuncContext>() as u32, host_func_ctx::SIZE);
    }
}
