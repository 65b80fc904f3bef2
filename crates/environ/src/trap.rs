//! Trap codes shared by generated code and the runtime, with the spec's messages.

use std::fmt;

/// Why WebAssembly execution stopped abnormally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Trap {
    /// The `unreachable` instruction was executed.
    Unreachable = 1,
    /// A load or store was out of the bounds of its memory.
    MemoryOutOfBounds,
    /// A table access was out of the bounds of its table.
    TableOutOfBounds,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` on a null table entry.
    UninitializedElement,
    /// `call_indirect` whose callee has the wrong type.
    IndirectCallTypeMismatch,
    /// Signed integer overflow (`i32.div_s` of `INT_MIN / -1`, float-to-int out of range).
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// A NaN converted to an integer.
    BadConversionToInteger,
    /// The wasm stack limit was reached.
    StackOverflow,
    /// A null function reference was called or dereferenced.
    NullFunctionReference,
    /// A null reference was used where a non-null one was required.
    NullReference,
    /// A null continuation reference was resumed, bound or switched to.
    NullContinuationReference,
    /// A continuation was used a second time.
    ContinuationAlreadyConsumed,
    /// Out of bounds access to a data segment or memory in a bulk operation.
    DataSegmentOutOfBounds,
    /// A host function returned an error (the error is carried separately).
    HostError,
    /// `cont.new` needed a new continuation stack and the store's resource limiter refused.
    ContinuationLimit,
    /// `throw_ref` of a null exception reference.
    NullExceptionReference,
    /// The store's fuel ran out.
    OutOfFuel,
    /// The engine's epoch passed the store's deadline.
    Interrupt,
    /// A reference cast (`ref.cast`, `br_on_cast` does not trap) failed.
    CastFailure,
    /// A struct instruction on a null reference.
    NullStructReference,
    /// An array instruction on a null reference.
    NullArrayReference,
    /// `i31.get_s`/`i31.get_u` on a null reference.
    NullI31Reference,
    /// An array access out of the array's bounds.
    ArrayOutOfBounds,
    /// The store's GC heap has no room for an allocation.
    GcHeapExhausted,
    /// An atomic access at an address that is not a multiple of its size.
    UnalignedAtomic,
    /// `memory.atomic.wait32`/`wait64` on a memory that is not shared.
    WaitOnUnsharedMemory,
}

impl Trap {
    /// All trap codes, in numbering order.
    pub const ALL: [Trap; 28] = [
        Trap::Unreachable,
        Trap::MemoryOutOfBounds,
        Trap::TableOutOfBounds,
        Trap::UndefinedElement,
        Trap::UninitializedElement,
        Trap::IndirectCallTypeMismatch,
        Trap::IntegerOverflow,
        Trap::IntegerDivisionByZero,
        Trap::BadConversionToInteger,
        Trap::StackOverflow,
        Trap::NullFunctionReference,
        Trap::NullReference,
        Trap::NullContinuationReference,
        Trap::ContinuationAlreadyConsumed,
        Trap::DataSegmentOutOfBounds,
        Trap::HostError,
        Trap::ContinuationLimit,
        Trap::NullExceptionReference,
        Trap::OutOfFuel,
        Trap::Interrupt,
        Trap::CastFailure,
        Trap::NullStructReference,
        Trap::NullArrayReference,
        Trap::NullI31Reference,
        Trap::ArrayOutOfBounds,
        Trap::GcHeapExhausted,
        Trap::UnalignedAtomic,
        Trap::WaitOnUnsharedMemory,
    ];

    /// The trap with the given numeric code, if any.
    pub fn from_u8(code: u8) -> Option<Trap> {
        Trap::ALL.iter().copied().find(|t| *t as u8 == code)
    }

    /// The message the WebAssembly spec scripts expect for this trap.
    pub fn message(self) -> &'static str {
        match self {
            Trap::Unreachable => "unreachable",
            Trap::MemoryOutOfBounds => "out of bounds memory access",
            Trap::TableOutOfBounds => "out of bounds table access",
            Trap::UndefinedElement => "undefined element",
            Trap::UninitializedElement => "uninitialized element",
            Trap::IndirectCallTypeMismatch => "indirect call type mismatch",
            Trap::IntegerOverflow => "integer overflow",
            Trap::IntegerDivisionByZero => "integer divide by zero",
            Trap::BadConversionToInteger => "invalid conversion to integer",
            Trap::StackOverflow => "call stack exhausted",
            Trap::NullFunctionReference => "null function reference",
            Trap::NullReference => "null reference",
            Trap::NullContinuationReference => "null continuation reference",
            Trap::ContinuationAlreadyConsumed => "continuation already consumed",
            Trap::DataSegmentOutOfBounds => "out of bounds memory access",
            Trap::HostError => "host function error",
            Trap::ContinuationLimit => "continuation limit reached",
            Trap::NullExceptionReference => "null exception reference",
            Trap::OutOfFuel => "all fuel consumed by WebAssembly",
            Trap::Interrupt => "interrupt",
            Trap::CastFailure => "cast failure",
            Trap::NullStructReference => "null structure reference",
            Trap::NullArrayReference => "null array reference",
            Trap::NullI31Reference => "null i31 reference",
            Trap::ArrayOutOfBounds => "out of bounds array access",
            Trap::GcHeapExhausted => "GC heap exhausted",
            Trap::UnalignedAtomic => "unaligned atomic",
            Trap::WaitOnUnsharedMemory => "expected shared memory",
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Trap {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for t in Trap::ALL {
            assert_eq!(Trap::from_u8(t as u8), Some(t));
        }
        assert_eq!(Trap::from_u8(0), None);
    }
}
