//! Lowering of the threads proposal's instructions: atomic loads, stores, read-modify-writes
//! and compare-exchanges of every width, `atomic.fence`, and `memory.atomic.wait32/64` and
//! `memory.atomic.notify` (runtime calls).
//!
//! Every atomic access is first checked for alignment (an effective address that is not a
//! multiple of the access size traps "unaligned atomic", before any bounds check, as the
//! reference interpreter and wasmtime do), then bounds-checked in generated code, for 32-bit
//! memories too (a read-modify-write may be a compare-exchange loop, and a fault inside it
//! is not left to the reservation's guard pages).

use crate::translate::{memarg_memory, trap, FuncTranslator};
use anyhow::Result;
use cranelift_codegen::ir::{
    condcodes::IntCC, types, AtomicRmwOp, InstBuilder, MemFlagsData, Type, Value,
};
use wasmfx_environ::wasmparser::{MemArg, Operator as O};
use wasmfx_environ::{Builtin, Trap, WAIT_TRAPPED};

/// Flags of an atomic access: it cannot trap (bounds and alignment were checked) and is
/// aligned.
fn atomic_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// What an atomic access does.
#[derive(Clone, Copy)]
enum Kind {
    Load,
    Store,
    Rmw(AtomicRmwOp),
    Cmpxchg,
}

/// An atomic load, store, read-modify-write or compare-exchange.
struct Access<'a> {
    kind: Kind,
    /// The instruction's value type (`i32` or `i64`).
    result: Type,
    /// The width accessed in memory.
    access: Type,
    memarg: &'a MemArg,
}

/// The atomic access `op` is, if it is one.
fn access<'a>(op: &'a O<'_>) -> Option<Access<'a>> {
    use Kind::*;
    macro_rules! accesses {
        ($($name:ident => $kind:expr, $result:ident, $access:ident;)*) => {
            match op {
                $( O::$name { memarg } => Some(Access {
                    kind: $kind,
                    result: types::$result,
                    access: types::$access,
                    memarg,
                }), )*
                _ => None,
            }
        };
    }
    accesses! {
        I32AtomicLoad => Load, I32, I32;
        I32AtomicStore => Store, I32, I32;
        I64AtomicLoad => Load, I64, I64;
        I64AtomicStore => Store, I64, I64;
        I32AtomicLoad8U => Load, I32, I8;
        I32AtomicStore8 => Store, I32, I8;
        I32AtomicLoad16U => Load, I32, I16;
        I32AtomicStore16 => Store, I32, I16;
        I64AtomicLoad8U => Load, I64, I8;
        I64AtomicStore8 => Store, I64, I8;
        I64AtomicLoad16U => Load, I64, I16;
        I64AtomicStore16 => Store, I64, I16;
        I64AtomicLoad32U => Load, I64, I32;
        I64AtomicStore32 => Store, I64, I32;
        I32AtomicRmwAdd => Rmw(AtomicRmwOp::Add), I32, I32;
        I64AtomicRmwAdd => Rmw(AtomicRmwOp::Add), I64, I64;
        I32AtomicRmw8AddU => Rmw(AtomicRmwOp::Add), I32, I8;
        I32AtomicRmw16AddU => Rmw(AtomicRmwOp::Add), I32, I16;
        I64AtomicRmw8AddU => Rmw(AtomicRmwOp::Add), I64, I8;
        I64AtomicRmw16AddU => Rmw(AtomicRmwOp::Add), I64, I16;
        I64AtomicRmw32AddU => Rmw(AtomicRmwOp::Add), I64, I32;
        I32AtomicRmwSub => Rmw(AtomicRmwOp::Sub), I32, I32;
        I64AtomicRmwSub => Rmw(AtomicRmwOp::Sub), I64, I64;
        I32AtomicRmw8SubU => Rmw(AtomicRmwOp::Sub), I32, I8;
        I32AtomicRmw16SubU => Rmw(AtomicRmwOp::Sub), I32, I16;
        I64AtomicRmw8SubU => Rmw(AtomicRmwOp::Sub), I64, I8;
        I64AtomicRmw16SubU => Rmw(AtomicRmwOp::Sub), I64, I16;
        I64AtomicRmw32SubU => Rmw(AtomicRmwOp::Sub), I64, I32;
        I32AtomicRmwAnd => Rmw(AtomicRmwOp::And), I32, I32;
        I64AtomicRmwAnd => Rmw(AtomicRmwOp::And), I64, I64;
        I32AtomicRmw8AndU => Rmw(AtomicRmwOp::And), I32, I8;
        I32AtomicRmw16AndU => Rmw(AtomicRmwOp::And), I32, I16;
        I64AtomicRmw8AndU => Rmw(AtomicRmwOp::And), I64, I8;
        I64AtomicRmw16AndU => Rmw(AtomicRmwOp::And), I64, I16;
        I64AtomicRmw32AndU => Rmw(AtomicRmwOp::And), I64, I32;
        I32AtomicRmwOr => Rmw(AtomicRmwOp::Or), I32, I32;
        I64AtomicRmwOr => Rmw(AtomicRmwOp::Or), I64, I64;
        I32AtomicRmw8OrU => Rmw(AtomicRmwOp::Or), I32, I8;
        I32AtomicRmw16OrU => Rmw(AtomicRmwOp::Or), I32, I16;
        I64AtomicRmw8OrU => Rmw(AtomicRmwOp::Or), I64, I8;
        I64AtomicRmw16OrU => Rmw(AtomicRmwOp::Or), I64, I16;
        I64AtomicRmw32OrU => Rmw(AtomicRmwOp::Or), I64, I32;
        I32AtomicRmwXor => Rmw(AtomicRmwOp::Xor), I32, I32;
        I64AtomicRmwXor => Rmw(AtomicRmwOp::Xor), I64, I64;
        I32AtomicRmw8XorU => Rmw(AtomicRmwOp::Xor), I32, I8;
        I32AtomicRmw16XorU => Rmw(AtomicRmwOp::Xor), I32, I16;
        I64AtomicRmw8XorU => Rmw(AtomicRmwOp::Xor), I64, I8;
        I64AtomicRmw16XorU => Rmw(AtomicRmwOp::Xor), I64, I16;
        I64AtomicRmw32XorU => Rmw(AtomicRmwOp::Xor), I64, I32;
        I32AtomicRmwXchg => Rmw(AtomicRmwOp::Xchg), I32, I32;
        I64AtomicRmwXchg => Rmw(AtomicRmwOp::Xchg), I64, I64;
        I32AtomicRmw8XchgU => Rmw(AtomicRmwOp::Xchg), I32, I8;
        I32AtomicRmw16XchgU => Rmw(AtomicRmwOp::Xchg), I32, I16;
        I64AtomicRmw8XchgU => Rmw(AtomicRmwOp::Xchg), I64, I8;
        I64AtomicRmw16XchgU => Rmw(AtomicRmwOp::Xchg), I64, I16;
        I64AtomicRmw32XchgU => Rmw(AtomicRmwOp::Xchg), I64, I32;
        I32AtomicRmwCmpxchg => Cmpxchg, I32, I32;
        I64AtomicRmwCmpxchg => Cmpxchg, I64, I64;
        I32AtomicRmw8CmpxchgU => Cmpxchg, I32, I8;
        I32AtomicRmw16CmpxchgU => Cmpxchg, I32, I16;
        I64AtomicRmw8CmpxchgU => Cmpxchg, I64, I8;
        I64AtomicRmw16CmpxchgU => Cmpxchg, I64, I16;
        I64AtomicRmw32CmpxchgU => Cmpxchg, I64, I32;
    }
}

impl FuncTranslator<'_, '_> {
    /// The checked effective address (byte offset in its memory, an `i64`) of an atomic access
    /// of `size` bytes at `index` (`i32` or `i64`) plus the static offset: a misaligned one
    /// traps "unaligned atomic", then one whose access passes 2^64 or the memory's length
    /// "out of bounds memory access". With `overflow_first` (wait and notify), an effective
    /// address past 2^64 is out of bounds before its alignment is looked at. wasmtime orders
    /// the checks so; the spec's tests do not tell the orders apart.
    fn atomic_ea(
        &mut self,
        memory: u32,
        memarg: &MemArg,
        index: Value,
        size: u32,
        overflow_first: bool,
    ) -> Value {
        let index = self.widen_to_i64(index);
        let offset = self.b.ins().iconst(types::I64, memarg.offset as i64);
        let ea = if overflow_first {
            let code = trap(Trap::MemoryOutOfBounds);
            self.b.ins().uadd_overflow_trap(index, offset, code)
        } else {
            // Wrapping: an effective address past 2^64 fails the bounds check below.
            self.b.ins().iadd(index, offset)
        };
        if size > 1 {
            let misaligned = self.b.ins().band_imm_u(ea, i64::from(size - 1));
            self.b.ins().trapnz(misaligned, trap(Trap::UnalignedAtomic));
        }
        self.bounds_check(memory, index, memarg.offset, size);
        ea
    }

    /// The native address of an atomic access (see [`Self::atomic_ea`]), not overflow-first.
    fn atomic_addr(&mut self, memarg: &MemArg, index: Value, size: u32) -> Result<Value> {
        let memory = memarg_memory(memarg)?;
        let ea = self.atomic_ea(memory, memarg, index, size, false);
        let base = self.env.memory_base(&mut self.b, memory);
        Ok(self.b.ins().iadd(base, ea))
    }

    /// `value` (of the instruction's type) narrowed to the access width `access`.
    fn narrow(&mut self, value: Value, access: Type) -> Value {
        if self.b.func.dfg.value_type(value) == access {
            value
        } else {
            self.b.ins().ireduce(access, value)
        }
    }

    /// Translates `op` if it is an instruction of the threads proposal; false if it is not.
    pub(crate) fn atomic_operator(&mut self, op: &O) -> Result<bool> {
        match *op {
            O::AtomicFence { .. } => {
                self.b.ins().fence();
                return Ok(true);
            }
            O::MemoryAtomicNotify { ref memarg } => {
                self.atomic_notify(memarg)?;
                return Ok(true);
            }
            O::MemoryAtomicWait32 { ref memarg } => {
                self.atomic_wait(memarg, 4)?;
                return Ok(true);
            }
            O::MemoryAtomicWait64 { ref memarg } => {
                self.atomic_wait(memarg, 8)?;
                return Ok(true);
            }
            _ => {}
        }
        let Some(Access {
            kind,
            result,
            access,
            memarg,
        }) = access(op)
        else {
            return Ok(false);
        };
        match kind {
            Kind::Load => {
                let index = self.pop();
                let addr = self.atomic_addr(memarg, index, access.bytes())?;
                let v = self.b.ins().atomic_load(access, atomic_flags(), addr);
                let v = self.zero_extend(v, result);
                self.push(v);
            }
            Kind::Store => {
                let value = self.pop();
                let index = self.pop();
                let addr = self.atomic_addr(memarg, index, access.bytes())?;
                let value = self.narrow(value, access);
                self.b.ins().atomic_store(atomic_flags(), value, addr);
            }
            Kind::Rmw(rmw) => {
                let value = self.pop();
                let index = self.pop();
                let addr = self.atomic_addr(memarg, index, access.bytes())?;
                let value = self.narrow(value, access);
                let old = self
                    .b
                    .ins()
                    .atomic_rmw(access, atomic_flags(), rmw, addr, value);
                let old = self.zero_extend(old, result);
                self.push(old);
            }
            Kind::Cmpxchg => {
                let replacement = self.pop();
                let expected = self.pop();
                let index = self.pop();
                let addr = self.atomic_addr(memarg, index, access.bytes())?;
                let expected = self.narrow(expected, access);
                let replacement = self.narrow(replacement, access);
                let old = self
                    .b
                    .ins()
                    .atomic_cas(atomic_flags(), addr, expected, replacement);
                let old = self.zero_extend(old, result);
                self.push(old);
            }
        }
        Ok(true)
    }

    /// `memory.atomic.notify`: wakes up to `count` waiters; on an unshared memory there are
    /// none, and the result is 0.
    fn atomic_notify(&mut self, memarg: &MemArg) -> Result<()> {
        let count = self.pop();
        let index = self.pop();
        let memory = memarg_memory(memarg)?;
        let offset = self.atomic_ea(memory, memarg, index, 4, true);
        if !self.env.module.memories[memory as usize].shared {
            let zero = self.b.ins().iconst(types::I32, 0);
            self.push(zero);
            return Ok(());
        }
        let m = self.b.ins().iconst(types::I32, i64::from(memory));
        let woken = self
            .env
            .call_builtin(
                &mut self.b,
                Builtin::memory_atomic_notify,
                &[m, offset, count],
            )
            .expect("notify returns a count");
        self.push(woken);
        Ok(())
    }

    /// `memory.atomic.wait32`/`wait64` (`size` 4 or 8): blocks until notified (0), unless
    /// the value differs from the expected one (1) or the timeout (in ns, negative for none)
    /// passes (2); traps on an unshared memory.
    fn atomic_wait(&mut self, memarg: &MemArg, size: u32) -> Result<()> {
        let timeout = self.pop();
        let expected = self.pop();
        let index = self.pop();
        let memory = memarg_memory(memarg)?;
        let offset = self.atomic_ea(memory, memarg, index, size, true);
        if !self.env.module.memories[memory as usize].shared {
            let always = self.b.ins().iconst(types::I8, 1);
            self.b
                .ins()
                .trapnz(always, trap(Trap::WaitOnUnsharedMemory));
            let unreached = self.b.ins().iconst(types::I32, 0);
            self.push(unreached);
            return Ok(());
        }
        let m = self.b.ins().iconst(types::I32, i64::from(memory));
        let expected = self.zero_extend(expected, types::I64);
        let width = self.b.ins().iconst(types::I32, i64::from(size));
        let interruptible = i64::from(self.env.tunables.epoch_interruption);
        let interruptible = self.b.ins().iconst(types::I32, interruptible);
        let status = self
            .env
            .call_builtin(
                &mut self.b,
                Builtin::memory_atomic_wait,
                &[m, offset, expected, timeout, width, interruptible],
            )
            .expect("wait returns a status");
        // Interrupted: the runtime recorded the trap.
        let trapped = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, status, i64::from(WAIT_TRAPPED));
        self.b.ins().trapnz(trapped, trap(Trap::HostError));
        self.push(status);
        Ok(())
    }
}
