//! wasmfx-runtime: the unsafe core of wasmfx.
//!
//! Executable code memory and the registry that maps code addresses to modules, the
//! `#[repr(C)]` structures shared with generated code, linear memories, tables, globals,
//! instances and their `VMContext`, the builtins generated code calls, and trap handling:
//! entering wasm, catching its traps (signals), unwinding and capturing a wasm backtrace.

#![deny(missing_docs)]

mod builtins;
mod code;
mod const_eval;
mod continuations;
mod exceptions;
mod file_mapping;
mod gc;
mod instance;
mod limits;
mod memory;
pub mod parking;
pub mod perf_map;
pub mod pooling;
mod region;
mod stacks;
mod store_state;
mod table;
mod traps;
mod type_displays;
mod vm;

pub use builtins::{builtins_table, UnhandledTag};
pub use code::{lookup_code, CodeMemory, CodeRegistration, FrameInfo};
pub use const_eval::ConstValue;
pub use continuations::{ContPool, StackConfig};
pub use exceptions::{alloc_exception, exn_payload, exn_tag, UncaughtException};
pub use file_mapping::{read_without_readahead, FileMapping};
pub use gc::objects::{element, load_bits, store_bits};
pub use gc::{GcHeap, HostRoots, RootHandle};
pub use instance::{CompiledModule, Imports, Instance, InstanceError};
pub use limits::{elements_to_usize, pages_to_bytes, ResourceLimiter, DEFAULT_COUNT_LIMIT};
pub use memory::{Memory, MemoryLimits, WASM_PAGE_SIZE};
pub use store_state::{GcConfig, StoreState};
pub use table::{Table, TableElem, TableElemType, TableLimits};
pub use traps::{catch_traps, set_host_error, FrameSymbol, TrapReason, WasmBacktrace, WasmTrap};
pub use type_displays::TypeDisplays;
pub use vm::*;
