//! wasmfx-environ: what the compiler and the runtime agree on.
//!
//! This crate holds no code generation and no `unsafe`: the description of a module as parsed
//! from its bytes ([`ModuleInfo`]), the layout of the `VMContext` and the other structures
//! shared with generated code ([`VMOffsets`]), the trap codes ([`Trap`]) and the list of
//! runtime functions that generated code may call ([`Builtin`]).

#![deny(missing_docs)]

mod builtins;
mod code_tables;
mod exn_table;
mod gc_layout;
mod module;
mod offsets;
mod stack_map;
mod table_elem;
mod trap;
mod type_registry;
mod types;

pub use builtins::{Builtin, BuiltinType, GROW_TRAPPED, WAIT_TRAPPED};
pub use code_tables::{CodeTables, ExnSite, FuncEntry, InlinedRange, StackMap, WordSource};
pub use exn_table::{ExnCallSite, ExnHandler};
pub use gc_layout::*;
pub use module::*;
pub use offsets::*;
pub use stack_map::{StackMapSite, StackMaps};
pub use table_elem::{concrete_index, TableElemType};
pub use trap::Trap;
pub use type_registry::*;
pub use types::*;
pub use wasmparser;
