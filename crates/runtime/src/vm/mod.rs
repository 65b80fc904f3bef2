//! The contract between generated code and the runtime: every `#[repr(C)]` structure that
//! generated code reads or writes, one file each, with a test beside each asserting that its
//! field offsets equal the constants the compiler uses (`wasmfx_environ`).
//!
//! Nothing here imports other runtime modules: changing a layout means changing this module
//! and the constants in `wasmfx_environ::offsets`, and the tests say when the two disagree.

mod cont_ref;
mod definitions;
mod func_ref;
mod gc_run;
mod host_func;
mod stack_context;
mod store_context;
mod type_display;
mod val;

pub(crate) use cont_ref::recycle;
pub use cont_ref::{VMContRef, INLINE_PAYLOAD_SLOTS};
pub use definitions::{VMGlobalDefinition, VMMemoryDefinition, VMTableDefinition};
pub use func_ref::VMFuncRef;
pub use gc_run::VMGcRun;
pub use host_func::{HostCallback, VMHostFuncContext};
pub use stack_context::VMStackContext;
pub use store_context::{VMGcRuns, VMStoreContext};
pub use type_display::VMTypeDisplay;
pub use val::VMVal;

/// Asserts that each named field of `$ty` is at the offset given by the compiler's constant.
#[cfg(test)]
macro_rules! assert_offsets {
    ($ty:ty { $($field:ident => $offset:expr),* $(,)? }) => {
        $(
            assert_eq!(
                std::mem::offset_of!($ty, $field) as u32,
                $offset,
                concat!(stringify!($ty), "::", stringify!($field)),
            );
        )*
    };
}
#[cfg(test)]
pub(crate) use assert_offsets;
