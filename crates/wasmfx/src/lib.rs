//! wasmfx: a WebAssembly runtime with typed continuations, compiled to native code with
//! Cranelift. This crate is the embedding API.
//!
//! ```
//! use wasmfx::{Engine, Linker, Module, Store};
//!
//! # fn main() -> wasmfx::Result<()> {
//! let engine = Engine::default();
//! let module = Module::new(
//!     &engine,
//!     r#"(module
//!          (import "host" "double" (func $double (param i32) (result i32)))
//!          (func (export "run") (param i32) (result i32)
//!            (call $double (i32.add (local.get 0) (i32.const 1)))))"#,
//! )?;
//! let mut store = Store::new(&engine, 0u32);
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "double", |x: i32| x * 2)?;
//! let instance = linker.instantiate(&mut store, &module)?;
//! let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
//! assert_eq!(run.call(&mut store, 20)?, 42);
//! # Ok(())
//! # }
//! ```
//!
//! Traps are errors that downcast to [`Trap`] and carry a wasm backtrace; the store stays
//! usable after a trap.

#![deny(missing_docs)]

mod anyref;
mod cache;
mod config;
mod engine;
mod externals;
mod func;
mod gc_objects;
mod instance;
mod limits;
mod linker;
mod module;
mod pooling;
mod precompiled;
mod rooting;
mod shared_memory;
mod store;
mod typed;
mod types;
mod values;

pub use anyref::{AnyRef, I31};
pub use config::{Config, ProfilingStrategy};
pub use engine::Engine;
pub use externals::{Extern, Global, Memory, Table, Tag};
pub use func::{trap_of, Caller, Func};
pub use gc_objects::{ArrayRef, StructRef};
pub use instance::Instance;
pub use limits::{ResourceLimiter, StoreLimits, StoreLimitsBuilder, DEFAULT_COUNT_LIMIT};
pub use linker::Linker;
pub use module::Module;
pub use pooling::{InstanceAllocationStrategy, PoolingConfig};
pub use rooting::{GcRef, OwnedRooted, RootScope};
pub use shared_memory::{SharedMemory, WaitResult};
pub use store::{AsContext, AsContextMut, Store, StoreContext, StoreContextMut};
pub use typed::{HostReturn, IntoFunc, TypedFunc, WasmList, WasmTy, WithCaller};
pub use types::{
    ExportType, ExternType, FuncType, GlobalType, HeapType, ImportType, MemoryType, Mutability,
    RefType, TableType, TypeId, ValType,
};
pub use values::{ContRef, ExnRef, ExternRef, ThrownException, Val, V128};
pub use wasmfx_environ::Trap;
pub use wasmfx_runtime::{FrameSymbol, UnhandledTag, WasmBacktrace};

/// The error type: one word wide, carrying context.
pub type Error = anyhow::Error;
/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #[test]
    fn error_is_one_word() {
        assert_eq!(
            std::mem::size_of::<crate::Error>(),
            std::mem::size_of::<usize>()
        );
    }
}
