//! The runtime functions generated code may call, with their signatures.
//!
//! Generated code reaches them through a table of function pointers whose address is stored in
//! every `VMContext`, so compiled code needs no relocations against the runtime. Every builtin
//! takes the calling instance's `VMContext` as its first argument and uses the platform C ABI.

/// What `memory_grow` and `table_grow` return when the store's resource limiter failed with
/// an error (recorded for the host): the growing instruction traps with it.
pub const GROW_TRAPPED: i64 = -2;

/// What `memory_atomic_wait` returns when the wait was interrupted (the epoch deadline
/// passed; the trap is recorded): the waiting instruction traps with it.
pub const WAIT_TRAPPED: i32 = 3;

/// A parameter or result type of a builtin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// Pointer-sized integer.
    Ptr,
}

macro_rules! builtins {
    ($( $(#[$doc:meta])* $name:ident ( $($param:ident),* ) -> ( $($result:ident)? ); )*) => {
        /// A runtime function callable from generated code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        pub enum Builtin {
            $( $(#[$doc])* $name, )*
        }

        impl Builtin {
            /// Every builtin, in table order.
            pub const ALL: &'static [Builtin] = &[ $( Builtin::$name, )* ];

            /// Parameters after the leading `VMContext` pointer.
            pub fn params(self) -> &'static [BuiltinType] {
                match self { $( Builtin::$name => &[ $(BuiltinType::$param),* ], )* }
            }

            /// Results (zero or one).
            pub fn results(self) -> &'static [BuiltinType] {
                match self { $( Builtin::$name => &[ $(BuiltinType::$result)? ], )* }
            }

            /// The builtin's name, for diagnostics.
            pub fn name(self) -> &'static str {
                match self { $( Builtin::$name => stringify!($name), )* }
            }
        }
    };
}

builtins! {
    /// `memory.grow`: (memory, delta pages) -> old size in pages, -1, or [`GROW_TRAPPED`].
    memory_grow(I32, I64) -> (I64);
    /// `memory.fill`: (memory, dst, byte, len) -> 0 or a non-zero failure.
    memory_fill(I32, I64, I32, I64) -> (I32);
    /// `memory.copy`: (dst memory, dst, src memory, src, len) -> 0 or failure.
    memory_copy(I32, I64, I32, I64, I64) -> (I32);
    /// `memory.init`: (memory, data segment, dst, src, len) -> 0 or failure.
    memory_init(I32, I32, I64, I32, I32) -> (I32);
    /// `data.drop`: (data segment).
    data_drop(I32) -> ();
    /// `memory.atomic.notify` on a shared memory: (memory, byte offset, count) -> waiters
    /// woken.
    memory_atomic_notify(I32, I64, I32) -> (I32);
    /// `memory.atomic.wait32`/`wait64` on a shared memory: (memory, byte offset, expected
    /// value, timeout in ns or negative for none, width 4 or 8, whether the epoch deadline
    /// interrupts) -> 0 woken, 1 not equal, 2 timed out, or [`WAIT_TRAPPED`].
    memory_atomic_wait(I32, I64, I64, I64, I32, I32) -> (I32);
    /// `table.grow`: (table, delta, init value's low and high words) -> old size, -1, or
    /// [`GROW_TRAPPED`].
    table_grow(I32, I64, I64, I64) -> (I64);
    /// `table.fill`: (table, dst, value's low and high words, len) -> 0 or failure.
    table_fill(I32, I64, I64, I64, I64) -> (I32);
    /// `table.copy`: (dst table, src table, dst, src, len) -> 0 or failure.
    table_copy(I32, I32, I64, I64, I64) -> (I32);
    /// `table.init`: (table, element segment, dst, src, len) -> 0 or failure.
    table_init(I32, I32, I64, I32, I32) -> (I32);
    /// `elem.drop`: (element segment).
    elem_drop(I32) -> ();
    /// Subtype check of `call_indirect` to a non-final type: (actual type id, expected type
    /// id) -> 0 if actual is a subtype of expected, else a non-zero failure.
    check_subtype(I32, I32) -> (I32);
    /// Allocates an exception: (tag identity, number of payload values) -> exception
    /// pointer, or null when the collection it ran first failed (the error is recorded); the
    /// caller then writes the payload (see `exn` offsets).
    exn_new(Ptr, I32) -> (Ptr);
    /// `throw_ref` of a non-null exception: (exception) -> never returns when a handler
    /// catches it; returns a non-zero status when it escapes to the host (the error is
    /// recorded). Called with the wasm (tail) calling convention so that handlers may be
    /// attached to the call; see `Builtin::is_tail_conv`.
    throw_ref(Ptr) -> (I32);
    /// `cont.new` when the store has no free continuation object: (function reference,
    /// non-null) -> a new continuation object, or null when it cannot be created (the error
    /// is recorded).
    cont_new(Ptr) -> (Ptr);
    /// Grows a continuation's payload buffer: (continuation object, slots).
    cont_reserve(Ptr, I32) -> ();
    /// A suspension found no handler: (tag identity) records the "unhandled tag" error.
    unhandled_tag(Ptr) -> ();
    /// Allocates a GC object: (engine type id, size in bytes, array length or
    /// `gc_header::STRUCT_LENGTH`) -> the zeroed object with its header written, or null when
    /// the heap is full (the trap is recorded).
    gc_alloc(I32, I64, I32) -> (Ptr);
    /// `array.new_data`: (module type index, data segment, offset, length) -> the array, or
    /// null (the trap is recorded).
    array_new_data(I32, I32, I32, I32) -> (Ptr);
    /// `array.new_elem`: (module type index, element segment, offset, length) -> the array,
    /// or null (the trap is recorded).
    array_new_elem(I32, I32, I32, I32) -> (Ptr);
    /// `array.init_data`: (array or null, module type index, data segment, array offset,
    /// segment offset, count) -> 0, or non-zero with the trap recorded.
    array_init_data(Ptr, I32, I32, I32, I32, I32) -> (I32);
    /// `array.init_elem`: (array or null, module type index, element segment, array offset,
    /// segment offset, count) -> 0, or non-zero with the trap recorded.
    array_init_elem(Ptr, I32, I32, I32, I32, I32) -> (I32);
    /// `array.copy` after its checks: (destination address, source address, bytes).
    gc_copy(Ptr, Ptr, I64) -> ();
}

impl Builtin {
    /// Whether generated code calls this builtin with the wasm (tail) calling convention
    /// rather than the native one: builtins through which exceptions unwind, whose call sites
    /// may carry exception handlers.
    pub fn is_tail_conv(self) -> bool {
        matches!(self, Builtin::throw_ref)
    }

    /// Whether this builtin may run the garbage collector: generated code records where its
    /// frame is (`store_context::LAST_WASM_SP` and `LAST_WASM_FP`) around calls to it, so that
    /// the collector can find the calling frames' references.
    pub fn may_collect(self) -> bool {
        matches!(
            self,
            Builtin::gc_alloc
                | Builtin::array_new_data
                | Builtin::array_new_elem
                | Builtin::cont_new
                | Builtin::exn_new
        )
    }

    /// This builtin's index in the builtin table.
    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_table_order() {
        for (i, b) in Builtin::ALL.iter().enumerate() {
            assert_eq!(b.index(), i, "{}", b.name());
        }
    }
}
