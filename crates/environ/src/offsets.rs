//! Layouts of the structures shared between generated code and the runtime.
//!
//! The runtime defines the `#[repr(C)]` `VM*` structures and tests that their field offsets
//! equal the constants here, which are what the compiler uses.

use crate::ModuleInfo;

/// Size of a pointer on the only supported target (x86_64).
pub const PTR_SIZE: u32 = 8;

/// Size of one value slot in the arrays host code uses to pass arguments and results.
pub const VAL_SLOT_SIZE: u32 = 16;

/// Offsets in `VMStoreContext`, the per-store state generated code reads.
pub mod store_context {
    /// The lowest address the native stack may reach (checked in every function prologue).
    pub const STACK_LIMIT: u32 = 0;
    /// The innermost running continuation (`*mut VMContRef`), null on a host-entered stack.
    pub const CURRENT_CONT: u32 = 8;
    /// Fuel left (`i64`); generated code subtracts what it runs and traps below zero.
    pub const FUEL: u32 = 16;
    /// The engine's epoch counter (`*const u64`).
    pub const EPOCH_PTR: u32 = 24;
    /// The epoch at which generated code traps "interrupt" (`u64`).
    pub const EPOCH_DEADLINE: u32 = 32;
    /// The first free continuation object (`*mut VMContRef`), linked through their
    /// [`cont::FREE_LINK`](super::cont::FREE_LINK) fields; `cont.new` pops and a return pushes in
    /// generated code.
    pub const CONT_FREE: u32 = 40;
    /// While generated code calls a builtin that may collect garbage
    /// ([`Builtin::may_collect`](crate::Builtin::may_collect)): its stack pointer at the call
    /// (the return address is just below it); 0 otherwise.
    pub const LAST_WASM_SP: u32 = 48;
    /// With [`LAST_WASM_SP`]: the calling frame's frame pointer.
    pub const LAST_WASM_FP: u32 = 56;
    /// The GC heap's allocation runs, one [`gc_run`](super::gc_run) per size class
    /// ([`GC_SIZE_CLASSES`](crate::GC_SIZE_CLASSES)), in class order.
    pub const GC_RUNS: u32 = 64;
}

/// Layout of `VMTypeDisplay`, an entry of the engine's table of supertype displays (indexed
/// by engine type id): a type's supertype chain from the root of its hierarchy down to itself,
/// so that a type of depth `d` is a subtype of `t` exactly when `t`'s depth is at most `d`
/// and entry `t`'s depth of the chain is `t`. Generated code tests casts to types that are not
/// final with it; an entry of length 0 (a type beyond the table) asks the runtime.
pub mod type_display {
    /// `*const u32`: the chain.
    pub const SUPERTYPES: u32 = 0;
    /// `u32`: the chain's length (the type's depth plus one), 0 for no entry.
    pub const LEN: u32 = 8;
    /// Size of an entry.
    pub const SIZE: u32 = 16;
    /// The number of entries (type ids) the table has room for.
    pub const CAPACITY: u32 = 1 << 20;
}

/// Layout of `VMGcRun`: the free slots of one GC size class that allocation bumps through.
/// Generated code allocates an object of a class by bumping its run's cursor when the slot
/// fits below the limit, and calls the runtime (which finds the next run) when it does not.
/// Every slot of a run is allocated for the collector, and not zeroed: generated code writes
/// the header and every field of an object it takes.
pub mod gc_run {
    /// The next free slot (`usize`).
    pub const CURSOR: u32 = 0;
    /// The end of the run (`usize`).
    pub const LIMIT: u32 = 8;
    /// Size of a run.
    pub const SIZE: u32 = 16;
}

/// Code generation settings that depend on the engine's configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tunables {
    /// Count executed instructions against the store's fuel.
    pub consume_fuel: bool,
    /// Check the engine's epoch against the store's deadline in function entries and loops.
    pub epoch_interruption: bool,
    /// Translate small functions in place of direct calls to them.
    pub inlining: bool,
}

/// Layout of `VMContRef`, a continuation object (one per continuation stack).
pub mod cont {
    /// The revision (`u64`): a fat reference is valid while its revision equals this.
    pub const REVISION: u32 = 0;
    /// The continuation that resumed this one (null when resumed from a host-entered stack).
    pub const PARENT: u32 = 8;
    /// The field linking a free object to the next one on the store's free list: `PARENT`,
    /// which a free object does not use.
    pub const FREE_LINK: u32 = PARENT;
    /// The innermost continuation of the suspended segment this continuation heads.
    pub const LAST_ANCESTOR: u32 = 16;
    /// The saved context ([`stack_context`](super::stack_context)) of this stack.
    pub const CTX: u32 = 24;
    /// The stack limit of this continuation's stack.
    pub const STACK_LIMIT: u32 = 48;
    /// The resumer's stack limit, restored when control returns to it.
    pub const PARENT_STACK_LIMIT: u32 = 56;
    /// The handler record (see [`handler_record`]) of the `resume` that resumed this
    /// continuation.
    pub const HANDLERS: u32 = 64;
    /// How many handlers (`u32`).
    pub const NUM_HANDLERS: u32 = 72;
    /// How many arguments `cont.bind` has stored so far (`u32`).
    pub const BOUND: u32 = 76;
    /// The buffer of 16-byte slots for arguments, results and tag payloads.
    pub const PAYLOAD: u32 = 80;
    /// The buffer's capacity in slots (`u32`).
    pub const PAYLOAD_CAPACITY: u32 = 88;
    /// Where the resumer's context is saved (`*mut VMStackContext`): in the
    /// [`launch_area`](super::launch_area) at the top of this stack.
    pub const PARENT_CTX: u32 = 96;
    /// The function the continuation runs (`*const VMFuncRef`).
    pub const FUNC_REF: u32 = 104;
    /// The first payload slots, in the object itself (`payload` points there until it grows).
    pub const PAYLOAD_INLINE: u32 = 112;
    /// How many slots `PAYLOAD_INLINE` has: every payload buffer has at least this many.
    pub const INLINE_PAYLOAD_SLOTS: u32 = 16;
    /// The context a new continuation starts from (its `CTX` when fresh): constant per object.
    pub const FRESH_CTX: u32 = 368;
    /// Where the function's results are written when it returns (`*mut VMVal`): the payload
    /// buffer as it was when the function started, which stays allocated while the object is
    /// in use even if `PAYLOAD` moves to a larger buffer meanwhile.
    pub const RESULTS: u32 = 392;
}

/// What `cont.new` does to a continuation object it takes from the store's free list, field by
/// field. The compiler emits exactly these stores; the runtime's `VMContRef::reset` (used when
/// the runtime makes a new object) is tested against them, so one cannot change without the
/// other. (`resume` sets the parent, the handlers and the stack limits later.)
pub mod cont_reset {
    use super::{cont, stack_context};

    /// The value one field of a reset object gets.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Init {
        /// A null pointer (64 bits).
        Null,
        /// Zero (32 bits).
        Zero32,
        /// The object's own address.
        Itself,
        /// The function reference `cont.new` was given.
        FuncRef,
        /// The 64-bit word at this offset in the same object.
        CopyOf(u32),
    }

    /// Each field's offset in `VMContRef` and what it is set to, in the order they are written.
    pub const FIELDS: [(u32, Init); 7] = [
        (cont::PARENT, Init::Null),
        (cont::LAST_ANCESTOR, Init::Itself),
        (cont::BOUND, Init::Zero32),
        (cont::FUNC_REF, Init::FuncRef),
        (
            cont::CTX + stack_context::SP,
            Init::CopyOf(cont::FRESH_CTX + stack_context::SP),
        ),
        (
            cont::CTX + stack_context::FP,
            Init::CopyOf(cont::FRESH_CTX + stack_context::FP),
        ),
        (
            cont::CTX + stack_context::IP,
            Init::CopyOf(cont::FRESH_CTX + stack_context::IP),
        ),
    ];
}

/// Layout of `VMStackContext`, the saved execution context that Cranelift's `stack_switch`
/// reads and writes (model `basic` on x86_64).
pub mod stack_context {
    /// Stack pointer.
    pub const SP: u32 = 0;
    /// Frame pointer.
    pub const FP: u32 = 8;
    /// Resume address.
    pub const IP: u32 = 16;
    /// Size of the structure.
    pub const SIZE: u32 = 24;
    /// Every word of the structure: copying these copies a context.
    pub const WORDS: [u32; 3] = [SP, FP, IP];
}

/// Layout of the launch area of a continuation stack, just below its continuation object at
/// the top of the stack. Offsets are bytes *below* the object's address.
///
/// ```text
///   object address -> +---------------------------+
///                     | resumer's IP   (ctx + 16) |  } the resumer's saved context; its FP and
///                     | resumer's FP   (ctx + 8)  |  } IP words are the frame record that the
///                     | resumer's SP   (ctx + 0)  |    stack's first frame links to
///                     | object address            |
///                     | (alignment)               |
///   fresh SP       -> +---------------------------+
/// ```
pub mod launch_area {
    use super::stack_context;

    /// The resumer's saved context (`VMStackContext`), where `resume` switches from.
    pub const PARENT_CTX: u32 = 0x18;
    /// The frame record (saved frame pointer, then return address) the first frame of the
    /// stack links to: the parent context's FP and IP words.
    pub const FRAME_RECORD: u32 = PARENT_CTX - stack_context::FP;
    /// A slot holding the object's address, read by the continuation-start code.
    pub const OBJECT: u32 = 0x20;
    /// The stack pointer a fresh continuation starts with (16-byte aligned).
    pub const FRESH_SP: u32 = 0x40;
}

// A frame record is a saved frame pointer followed by a return address.
const _: () = assert!(stack_context::IP == stack_context::FP + 8);
// The resumer's context ends at the object; the object slot is below it, the fresh SP lower.
const _: () = assert!(launch_area::PARENT_CTX == stack_context::SIZE);
const _: () = assert!(launch_area::OBJECT >= launch_area::PARENT_CTX + 8);
const _: () = assert!(launch_area::FRESH_SP >= launch_area::OBJECT + 8);
const _: () = assert!(launch_area::FRESH_SP.is_multiple_of(16));

/// Size of a wasm page.
pub const WASM_PAGE_SIZE: u64 = 65536;

/// Address space reserved for every 32-bit linear memory: 4 GiB of addresses, 4 GiB of static
/// offsets, and a page for the widest access past both. Only the memory's current size is
/// accessible; every address inside the reservation beyond it faults. Generated code relies on
/// this to omit bounds checks: base + any `u32` index + any `u32` offset + access size stays
/// inside.
pub const MEMORY_RESERVATION: u64 = (8 << 30) + WASM_PAGE_SIZE;

/// What a continuation stack tells its resumer when control comes back (the `stack_switch`
/// payload's low 32 bits; a suspension's handler index is in the high 32 bits).
pub mod cont_signal {
    /// The function returned; its results are in the payload buffer.
    pub const RETURNED: u64 = 0;
    /// It suspended to a handler of the resume; the tag's arguments are in the payload
    /// buffer of the continuation the resume resumed.
    pub const SUSPENDED: u64 = 1;
    /// An exception escaped the continuation; it is in slot 0 of its payload buffer.
    pub const THREW: u64 = 2;
}

/// Layout of the record a `resume` keeps in its frame while the continuation it resumed runs.
pub mod handler_record {
    /// The continuation currently heading the resumed segment (`*mut VMContRef`): the resumed
    /// one, or the target of a `switch` that replaced it.
    pub const HEAD: u32 = 0;
    /// The first handled tag: one pointer-sized entry per clause, the tag's identity, with
    /// [`SWITCH_CLAUSE`] set for an `(on $tag switch)` clause.
    pub const TAGS: u32 = 8;
    /// Bit set in a tag entry of an `(on $tag switch)` clause (identities are aligned).
    pub const SWITCH_CLAUSE: i64 = 1;
}

/// What a resumer tells the stack it switches to (the `stack_switch` payload).
pub mod resume_signal {
    /// Continue normally; the arguments are in the payload buffer.
    pub const NORMAL: u64 = 0;
    /// Throw the exception in slot 0 of the payload buffer at the suspension point.
    pub const THROW: u64 = 1;
    /// The signal is one of the above in its low bits, or-ed with the address of the
    /// continuation object whose payload buffer holds the values (64-byte aligned): the
    /// resumed code takes the object from the signal, not from its own (cold) stack.
    pub const KIND_MASK: u64 = 63;
}

/// Layout of an exception object: a header slot, then one 16-byte slot per payload value.
pub mod exn {
    /// The tag's identity (pointer).
    pub const TAG: u32 = 0;
    /// The number of payload values.
    pub const LEN: u32 = 8;
    /// The first payload value.
    pub const VALUES: u32 = 16;
}

/// Offsets in `VMFuncRef`, what a `funcref` points to.
pub mod func_ref {
    /// Code with the wasm calling convention.
    pub const WASM_CALL: u32 = 0;
    /// Trampoline with the array calling convention, for host-to-wasm calls.
    pub const ARRAY_CALL: u32 = 8;
    /// The callee's `VMContext` (or host function context).
    pub const VMCTX: u32 = 16;
    /// Engine-wide identifier of the function's type.
    pub const TYPE_ID: u32 = 24;
    /// Size of the structure.
    pub const SIZE: u32 = 32;
}

/// Offsets in `VMMemoryDefinition`.
pub mod memory_def {
    /// Base address; never changes for the memory's lifetime.
    pub const BASE: u32 = 0;
    /// Current length in bytes.
    pub const LENGTH: u32 = 8;
    /// Size of the structure.
    pub const SIZE: u32 = 16;
}

/// Offsets in `VMTableDefinition`.
pub mod table_def {
    /// Address of element 0 (changes when the table grows).
    pub const BASE: u32 = 0;
    /// Current number of elements.
    pub const LENGTH: u32 = 8;
    /// Size of the structure.
    pub const SIZE: u32 = 16;
}

/// Size of `VMGlobalDefinition`: room for any value, including 128-bit ones.
pub const GLOBAL_DEF_SIZE: u32 = 16;

/// Offsets in `VMHostFuncContext`, the context of a host function.
pub mod host_func_ctx {
    /// Magic word telling a host context from an instance's `VMContext`.
    pub const MAGIC: u32 = 0;
    /// `extern "C" fn(ctx, caller_vmctx, values, len) -> u32`, returning a
    /// [`host_status`](crate::host_status).
    pub const CALLBACK: u32 = 8;
    /// Size of the header generated code uses.
    pub const SIZE: u32 = 16;
}

/// What a host function's callback tells the wasm-to-host trampoline.
pub mod host_status {
    /// Returned normally; the results are in the value buffer.
    pub const OK: u32 = 0;
    /// Failed; the error is recorded for the host that called into wasm.
    pub const ERROR: u32 = 1;
    /// Failed with an exception thrown by wasm it called: rethrow the exception (in slot 0 of
    /// the value buffer) in the calling wasm.
    pub const RETHROW: u32 = 2;
}

/// Magic word at offset 0 of an instance's `VMContext`.
pub const VMCTX_MAGIC: u32 = u32::from_le_bytes(*b"core");
/// Magic word at offset 0 of a host function's context.
pub const HOST_CTX_MAGIC: u32 = u32::from_le_bytes(*b"host");

/// Offsets of the fields of one module's `VMContext`.
#[derive(Clone, Debug)]
pub struct VMOffsets {
    num_funcs: u32,
    num_memories: u32,
    num_tables: u32,
    num_globals: u32,
    num_imported_globals: u32,
    num_tags: u32,
    num_defined_funcs: u32,
}

impl VMOffsets {
    /// Magic word.
    pub const MAGIC: u32 = 0;
    /// `*mut VMStoreContext`.
    pub const STORE_CONTEXT: u32 = 8;
    /// `*const usize`: the builtin function table.
    pub const BUILTINS: u32 = 16;
    /// `*const u32`: engine type ids, by module type index.
    pub const TYPE_IDS: u32 = 24;
    /// `*mut` the runtime's store.
    pub const STORE: u32 = 32;
    /// `*mut` the runtime's instance.
    pub const INSTANCE: u32 = 40;
    /// `*const` the engine's table of supertype displays, by engine type id (see
    /// [`type_display`]).
    pub const TYPE_DISPLAYS: u32 = 48;
    const HEADER: u32 = 56;

    /// The layout for `module`.
    pub fn new(module: &ModuleInfo) -> VMOffsets {
        VMOffsets {
            num_funcs: module.functions.len() as u32,
            num_memories: module.memories.len() as u32,
            num_tables: module.tables.len() as u32,
            num_globals: module.globals.len() as u32,
            num_imported_globals: module.num_imported_globals,
            num_tags: module.tags.len() as u32,
            num_defined_funcs: module.num_defined_funcs(),
        }
    }

    /// Start of the `*const VMFuncRef` array, one per function.
    pub fn func_refs_begin(&self) -> u32 {
        Self::HEADER
    }

    /// Slot holding function `i`'s `*const VMFuncRef`.
    pub fn func_ref(&self, i: u32) -> u32 {
        self.func_refs_begin() + i * PTR_SIZE
    }

    /// Start of the `*mut VMMemoryDefinition` array.
    pub fn memories_begin(&self) -> u32 {
        self.func_refs_begin() + self.num_funcs * PTR_SIZE
    }

    /// Slot holding memory `i`'s `*mut VMMemoryDefinition`.
    pub fn memory(&self, i: u32) -> u32 {
        self.memories_begin() + i * PTR_SIZE
    }

    /// Start of the `*mut VMTableDefinition` array.
    pub fn tables_begin(&self) -> u32 {
        self.memories_begin() + self.num_memories * PTR_SIZE
    }

    /// Slot holding table `i`'s `*mut VMTableDefinition`.
    pub fn table(&self, i: u32) -> u32 {
        self.tables_begin() + i * PTR_SIZE
    }

    /// Start of the `*mut VMGlobalDefinition` array.
    pub fn globals_begin(&self) -> u32 {
        self.tables_begin() + self.num_tables * PTR_SIZE
    }

    /// Slot holding global `i`'s `*mut VMGlobalDefinition`.
    pub fn global(&self, i: u32) -> u32 {
        self.globals_begin() + i * PTR_SIZE
    }

    /// Start of the tag pointer array.
    pub fn tags_begin(&self) -> u32 {
        self.globals_begin() + self.num_globals * PTR_SIZE
    }

    /// Slot holding tag `i`'s identity pointer.
    pub fn tag(&self, i: u32) -> u32 {
        self.tags_begin() + i * PTR_SIZE
    }

    /// Start of the array of memory base addresses, one per memory: a memory's base never
    /// changes (every memory is reserved at its largest size), so generated code reads it here,
    /// with no `VMMemoryDefinition` pointer to follow.
    pub fn memory_bases_begin(&self) -> u32 {
        self.tags_begin() + self.num_tags * PTR_SIZE
    }

    /// Slot holding memory `i`'s base address.
    pub fn memory_base(&self, i: u32) -> u32 {
        self.memory_bases_begin() + i * PTR_SIZE
    }

    /// Start of the inline `VMGlobalDefinition`s of the defined globals (generated code reads
    /// a defined global here, with no pointer to follow; its pointer slot points here too).
    pub fn defined_globals_begin(&self) -> u32 {
        let end = self.memory_bases_begin() + self.num_memories * PTR_SIZE;
        end.next_multiple_of(16)
    }

    /// Whether global `i` is defined by the module (not imported).
    pub fn is_defined_global(&self, i: u32) -> bool {
        i >= self.num_imported_globals
    }

    /// The inline `VMGlobalDefinition` of global `i`, which must be defined by the module.
    pub fn defined_global(&self, i: u32) -> u32 {
        debug_assert!(self.is_defined_global(i));
        self.defined_globals_begin() + (i - self.num_imported_globals) * GLOBAL_DEF_SIZE
    }

    /// Start of the inline `VMFuncRef`s of the defined functions.
    pub fn defined_func_refs_begin(&self) -> u32 {
        let defined_globals = self.num_globals - self.num_imported_globals;
        self.defined_globals_begin() + defined_globals * GLOBAL_DEF_SIZE
    }

    /// The inline `VMFuncRef` of defined function `i` (counted from the first defined one).
    pub fn defined_func_ref(&self, i: u32) -> u32 {
        self.defined_func_refs_begin() + i * func_ref::SIZE
    }

    /// Total size of the `VMContext`.
    pub fn size(&self) -> u32 {
        self.defined_func_refs_begin() + self.num_defined_funcs * func_ref::SIZE
    }
}
