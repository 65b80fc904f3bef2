//! Lowering of the SIMD (`v128`) and relaxed SIMD instructions to Cranelift's vector
//! instructions.
//!
//! A `v128` is an `I8X16` wherever it is stored or passed (operand stack, locals, block
//! parameters, signatures, value slots); an instruction that sees it as other lanes bitcasts
//! its operands to its lane type and its result back to `I8X16`, which costs no instruction.
//!
//! Relaxed SIMD instructions always take the same choice, whatever the CPU (see
//! `docs/simd.md`): `relaxed_swizzle` is `swizzle`, the relaxed truncations saturate,
//! `relaxed_madd`/`relaxed_nmadd` round the product before the addition (not fused),
//! `relaxed_laneselect` selects bit by bit, `relaxed_min`/`relaxed_max` are `min`/`max`,
//! `relaxed_q15mulr_s` saturates, and the relaxed dot products treat both operands as signed
//! and wrap.

use crate::translate::FuncTranslator;
use anyhow::Result;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32X4, F64X2, I16X8, I32, I32X4, I64X2, I8X16};
use cranelift_codegen::ir::{ConstantData, Endianness, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::FunctionBuilder;
use wasmfx_environ::wasmparser::{MemArg, Operator as O};

/// How a lane of a narrow vector is widened.
#[derive(Clone, Copy)]
enum Widen {
    LowSigned,
    HighSigned,
    LowUnsigned,
    HighUnsigned,
}

/// The lanes `v` holds when widened as `how` (the lane type doubles, the count halves).
fn widen(b: &mut FunctionBuilder, how: Widen, v: Value) -> Value {
    match how {
        Widen::LowSigned => b.ins().swiden_low(v),
        Widen::HighSigned => b.ins().swiden_high(v),
        Widen::LowUnsigned => b.ins().uwiden_low(v),
        Widen::HighUnsigned => b.ins().uwiden_high(v),
    }
}

/// Bitcast flags between vector types: lanes laid out as in memory, little-endian.
fn lane_order() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// `v` as type `ty` (the same 128 bits).
fn cast(b: &mut FunctionBuilder, v: Value, ty: Type) -> Value {
    if b.func.dfg.value_type(v) == ty {
        v
    } else {
        b.ins().bitcast(ty, lane_order(), v)
    }
}

/// The pairwise sums of the products of the signed lanes of `x` and `y` (`I8X16` or
/// `I16X8`): `i32x4.dot_i16x8_s`, and the relaxed `i8x16` dot product with both operands
/// signed.
fn signed_dot(b: &mut FunctionBuilder, x: Value, y: Value) -> Value {
    let (xl, yl) = (b.ins().swiden_low(x), b.ins().swiden_low(y));
    let (xh, yh) = (b.ins().swiden_high(x), b.ins().swiden_high(y));
    let low = b.ins().imul(xl, yl);
    let high = b.ins().imul(xh, yh);
    b.ins().iadd_pairwise(low, high)
}

/// Lane by lane, `yes` where `lhs < rhs` and `no` elsewhere (float vectors of type `ty`):
/// `pmin` and `pmax`.
fn select_less(b: &mut FunctionBuilder, ty: Type, [lhs, rhs, yes, no]: [Value; 4]) -> Value {
    let less = b.ins().fcmp(FloatCC::LessThan, lhs, rhs);
    let mask = cast(b, less, ty);
    b.ins().bitselect(mask, yes, no)
}

impl FuncTranslator<'_, '_> {
    /// A `v128` constant.
    pub(crate) fn v128_const(&mut self, bits: u128) -> Value {
        self.vector_const(I8X16, bits)
    }

    /// A vector constant of type `ty` (Cranelift matches some instruction patterns only
    /// with a constant of the right lane type, not a bitcast one).
    fn vector_const(&mut self, ty: Type, bits: u128) -> Value {
        let constant = self
            .b
            .func
            .dfg
            .constants
            .insert(ConstantData::from(&bits.to_le_bytes()[..]));
        self.b.ins().vconst(ty, constant)
    }

    /// Pops a `v128` and sees it as `ty`.
    fn pop_vector(&mut self, ty: Type) -> Value {
        let v = self.pop();
        cast(&mut self.b, v, ty)
    }

    /// Pushes vector `v` as a `v128`.
    fn push_vector(&mut self, v: Value) {
        let v = cast(&mut self.b, v, I8X16);
        self.push(v);
    }

    /// Pops a `v128` seen as `ty`, applies `f` and pushes the vector it gives.
    fn vector_unop(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder, Value) -> Value) {
        let x = self.pop_vector(ty);
        let r = f(&mut self.b, x);
        self.push_vector(r);
    }

    /// Pops two `v128`s seen as `ty`, applies `f` and pushes the vector it gives.
    fn vector_binop(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder, Value, Value) -> Value,
    ) {
        let y = self.pop_vector(ty);
        let x = self.pop_vector(ty);
        let r = f(&mut self.b, x, y);
        self.push_vector(r);
    }

    /// Pops three `v128`s seen as `ty`, applies `f` and pushes the vector it gives.
    fn vector_ternop(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder, Value, Value, Value) -> Value,
    ) {
        let z = self.pop_vector(ty);
        let y = self.pop_vector(ty);
        let x = self.pop_vector(ty);
        let r = f(&mut self.b, x, y, z);
        self.push_vector(r);
    }

    /// Integer lane comparison: a lane of all ones where `cc` holds, zeros elsewhere.
    fn vector_icmp(&mut self, ty: Type, cc: IntCC) {
        self.vector_binop(ty, |b, x, y| b.ins().icmp(cc, x, y));
    }

    /// Float lane comparison, as [`Self::vector_icmp`].
    fn vector_fcmp(&mut self, ty: Type, cc: FloatCC) {
        self.vector_binop(ty, |b, x, y| b.ins().fcmp(cc, x, y));
    }

    /// Pops a `v128` seen as `ty` and pushes the `i32` that `f` gives (an `I8` truth value).
    fn vector_test(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder, Value) -> Value) {
        let x = self.pop_vector(ty);
        let t = f(&mut self.b, x);
        let r = self.b.ins().uextend(I32, t);
        self.push(r);
    }

    /// A shift of every lane of a `v128` seen as `ty` by the `i32` on top of the stack,
    /// modulo the lane width.
    fn vector_shift(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder, Value, Value) -> Value,
    ) {
        let amount = self.pop();
        let x = self.pop_vector(ty);
        let amount = self
            .b
            .ins()
            .band_imm_u(amount, i64::from(ty.lane_bits() - 1));
        let r = f(&mut self.b, x, amount);
        self.push_vector(r);
    }

    /// Widens the lanes of one `v128` seen as `ty` as `how` says.
    fn vector_widen(&mut self, ty: Type, how: Widen) {
        self.vector_unop(ty, |b, x| widen(b, how, x));
    }

    /// Multiplies the lanes of two `v128`s seen as `ty`, widened as `how` says.
    fn vector_extmul(&mut self, ty: Type, how: Widen) {
        self.vector_binop(ty, |b, x, y| {
            let (x, y) = (widen(b, how, x), widen(b, how, y));
            b.ins().imul(x, y)
        });
    }

    /// Adds adjacent lanes of a `v128` seen as `ty`, widened (signed or not).
    fn vector_extadd_pairwise(&mut self, ty: Type, signed: bool) {
        let (low, high) = if signed {
            (Widen::LowSigned, Widen::HighSigned)
        } else {
            (Widen::LowUnsigned, Widen::HighUnsigned)
        };
        self.vector_unop(ty, |b, x| {
            let (l, h) = (widen(b, low, x), widen(b, high, x));
            b.ins().iadd_pairwise(l, h)
        });
    }

    /// Pops a `v128` seen as `ty` and pushes lane `lane`, extended to `i32` as `extend` says
    /// for narrow lanes.
    fn extract_lane(&mut self, ty: Type, lane: u8, signed: bool) {
        let x = self.pop_vector(ty);
        let mut v = self.b.ins().extractlane(x, lane);
        if ty.lane_bits() < 32 {
            v = if signed {
                self.b.ins().sextend(I32, v)
            } else {
                self.b.ins().uextend(I32, v)
            };
        }
        self.push(v);
    }

    /// Pops a scalar and a `v128` seen as `ty`, and pushes the vector with lane `lane`
    /// replaced by the scalar (wrapped to narrow lanes).
    fn replace_lane(&mut self, ty: Type, lane: u8) {
        let scalar = self.pop();
        let x = self.pop_vector(ty);
        let scalar = self.lane_value(ty, scalar);
        let r = self.b.ins().insertlane(x, scalar, lane);
        self.push_vector(r);
    }

    /// `scalar` (an operand-stack value) as a lane of `ty`: `i32`s wrap to narrow lanes.
    fn lane_value(&mut self, ty: Type, scalar: Value) -> Value {
        let lane = ty.lane_type();
        if lane.bits() < 32 {
            self.b.ins().ireduce(lane, scalar)
        } else {
            scalar
        }
    }

    /// Pops a scalar and pushes a vector of `ty` with it in every lane.
    fn splat(&mut self, ty: Type) {
        let scalar = self.pop();
        let scalar = self.lane_value(ty, scalar);
        let r = self.b.ins().splat(ty, scalar);
        self.push_vector(r);
    }

    /// Pops an address, loads `size` bytes with `f` (given the flags, address and offset) and
    /// pushes the vector it gives.
    fn vector_load(
        &mut self,
        memarg: &MemArg,
        size: u32,
        f: impl FnOnce(&mut FunctionBuilder, MemFlagsData, Value, i32) -> Value,
    ) -> Result<()> {
        let index = self.pop();
        let (addr, offset) = self.mem_addr(memarg, index, size)?;
        let v = f(&mut self.b, MemFlagsData::new(), addr, offset);
        self.push_vector(v);
        Ok(())
    }

    /// Loads a scalar of `ty`'s lane type and pushes it in every lane (`splat`) or in lane 0
    /// with the others zero (`!splat`).
    fn load_scalar_into_vector(&mut self, memarg: &MemArg, ty: Type, splat: bool) -> Result<()> {
        self.vector_load(memarg, ty.lane_type().bytes(), |b, flags, addr, offset| {
            let scalar = b.ins().load(ty.lane_type(), flags, addr, offset);
            if splat {
                b.ins().splat(ty, scalar)
            } else {
                b.ins().scalar_to_vector(ty, scalar)
            }
        })
    }

    /// `v128.loadN_lane`: pops a `v128` and an address, and pushes the vector with lane
    /// `lane` (of `ty`) loaded from memory.
    fn load_lane(&mut self, memarg: &MemArg, ty: Type, lane: u8) -> Result<()> {
        let x = self.pop_vector(ty);
        self.vector_load(memarg, ty.lane_type().bytes(), |b, flags, addr, offset| {
            let scalar = b.ins().load(ty.lane_type(), flags, addr, offset);
            b.ins().insertlane(x, scalar, lane)
        })
    }

    /// `v128.storeN_lane`: pops a `v128` and an address, and stores lane `lane` (of `ty`).
    fn store_lane(&mut self, memarg: &MemArg, ty: Type, lane: u8) -> Result<()> {
        let x = self.pop_vector(ty);
        let index = self.pop();
        let (addr, offset) = self.mem_addr(memarg, index, ty.lane_type().bytes())?;
        let scalar = self.b.ins().extractlane(x, lane);
        self.b
            .ins()
            .store(MemFlagsData::new(), scalar, addr, offset);
        Ok(())
    }

    /// Translates `op` if it is a SIMD or relaxed SIMD instruction; false if it is not one.
    pub(crate) fn simd_operator(&mut self, op: &O) -> Result<bool> {
        use Widen::*;
        match *op {
            // Constants, memory and lanes.
            O::V128Const { value } => {
                let v = self.v128_const(u128::from_le_bytes(value.bytes().to_owned()));
                self.push(v);
            }
            O::V128Load { ref memarg } => {
                self.vector_load(memarg, 16, |b, f, a, o| b.ins().load(I8X16, f, a, o))?
            }
            O::V128Load8x8S { ref memarg } => {
                self.vector_load(memarg, 8, |b, f, a, o| b.ins().sload8x8(f, a, o))?
            }
            O::V128Load8x8U { ref memarg } => {
                self.vector_load(memarg, 8, |b, f, a, o| b.ins().uload8x8(f, a, o))?
            }
            O::V128Load16x4S { ref memarg } => {
                self.vector_load(memarg, 8, |b, f, a, o| b.ins().sload16x4(f, a, o))?
            }
            O::V128Load16x4U { ref memarg } => {
                self.vector_load(memarg, 8, |b, f, a, o| b.ins().uload16x4(f, a, o))?
            }
            O::V128Load32x2S { ref memarg } => {
                self.vector_load(memarg, 8, |b, f, a, o| b.ins().sload32x2(f, a, o))?
            }
            O::V128Load32x2U { ref memarg } => {
                self.vector_load(memarg, 8, |b, f, a, o| b.ins().uload32x2(f, a, o))?
            }
            O::V128Load8Splat { ref memarg } => {
                self.load_scalar_into_vector(memarg, I8X16, true)?
            }
            O::V128Load16Splat { ref memarg } => {
                self.load_scalar_into_vector(memarg, I16X8, true)?
            }
            O::V128Load32Splat { ref memarg } => {
                self.load_scalar_into_vector(memarg, I32X4, true)?
            }
            O::V128Load64Splat { ref memarg } => {
                self.load_scalar_into_vector(memarg, I64X2, true)?
            }
            O::V128Load32Zero { ref memarg } => {
                self.load_scalar_into_vector(memarg, I32X4, false)?
            }
            O::V128Load64Zero { ref memarg } => {
                self.load_scalar_into_vector(memarg, I64X2, false)?
            }
            O::V128Store { ref memarg } => {
                let v = self.pop();
                let index = self.pop();
                let (addr, offset) = self.mem_addr(memarg, index, 16)?;
                self.b.ins().store(MemFlagsData::new(), v, addr, offset);
            }
            O::V128Load8Lane { ref memarg, lane } => self.load_lane(memarg, I8X16, lane)?,
            O::V128Load16Lane { ref memarg, lane } => self.load_lane(memarg, I16X8, lane)?,
            O::V128Load32Lane { ref memarg, lane } => self.load_lane(memarg, I32X4, lane)?,
            O::V128Load64Lane { ref memarg, lane } => self.load_lane(memarg, I64X2, lane)?,
            O::V128Store8Lane { ref memarg, lane } => self.store_lane(memarg, I8X16, lane)?,
            O::V128Store16Lane { ref memarg, lane } => self.store_lane(memarg, I16X8, lane)?,
            O::V128Store32Lane { ref memarg, lane } => self.store_lane(memarg, I32X4, lane)?,
            O::V128Store64Lane { ref memarg, lane } => self.store_lane(memarg, I64X2, lane)?,
            O::I8x16ExtractLaneS { lane } => self.extract_lane(I8X16, lane, true),
            O::I8x16ExtractLaneU { lane } => self.extract_lane(I8X16, lane, false),
            O::I16x8ExtractLaneS { lane } => self.extract_lane(I16X8, lane, true),
            O::I16x8ExtractLaneU { lane } => self.extract_lane(I16X8, lane, false),
            O::I32x4ExtractLane { lane } => self.extract_lane(I32X4, lane, false),
            O::I64x2ExtractLane { lane } => self.extract_lane(I64X2, lane, false),
            O::F32x4ExtractLane { lane } => self.extract_lane(F32X4, lane, false),
            O::F64x2ExtractLane { lane } => self.extract_lane(F64X2, lane, false),
            O::I8x16ReplaceLane { lane } => self.replace_lane(I8X16, lane),
            O::I16x8ReplaceLane { lane } => self.replace_lane(I16X8, lane),
            O::I32x4ReplaceLane { lane } => self.replace_lane(I32X4, lane),
            O::I64x2ReplaceLane { lane } => self.replace_lane(I64X2, lane),
            O::F32x4ReplaceLane { lane } => self.replace_lane(F32X4, lane),
            O::F64x2ReplaceLane { lane } => self.replace_lane(F64X2, lane),
            O::I8x16Splat => self.splat(I8X16),
            O::I16x8Splat => self.splat(I16X8),
            O::I32x4Splat => self.splat(I32X4),
            O::I64x2Splat => self.splat(I64X2),
            O::F32x4Splat => self.splat(F32X4),
            O::F64x2Splat => self.splat(F64X2),
            O::I8x16Shuffle { lanes } => {
                let mask = self
                    .b
                    .func
                    .dfg
                    .immediates
                    .push(ConstantData::from(&lanes[..]));
                self.vector_binop(I8X16, |b, x, y| b.ins().shuffle(x, y, mask));
            }
            O::I8x16Swizzle | O::I8x16RelaxedSwizzle => {
                self.vector_binop(I8X16, |b, x, y| b.ins().swizzle(x, y))
            }

            // Comparisons.
            O::I8x16Eq => self.vector_icmp(I8X16, IntCC::Equal),
            O::I8x16Ne => self.vector_icmp(I8X16, IntCC::NotEqual),
            O::I8x16LtS => self.vector_icmp(I8X16, IntCC::SignedLessThan),
            O::I8x16LtU => self.vector_icmp(I8X16, IntCC::UnsignedLessThan),
            O::I8x16GtS => self.vector_icmp(I8X16, IntCC::SignedGreaterThan),
            O::I8x16GtU => self.vector_icmp(I8X16, IntCC::UnsignedGreaterThan),
            O::I8x16LeS => self.vector_icmp(I8X16, IntCC::SignedLessThanOrEqual),
            O::I8x16LeU => self.vector_icmp(I8X16, IntCC::UnsignedLessThanOrEqual),
            O::I8x16GeS => self.vector_icmp(I8X16, IntCC::SignedGreaterThanOrEqual),
            O::I8x16GeU => self.vector_icmp(I8X16, IntCC::UnsignedGreaterThanOrEqual),
            O::I16x8Eq => self.vector_icmp(I16X8, IntCC::Equal),
            O::I16x8Ne => self.vector_icmp(I16X8, IntCC::NotEqual),
            O::I16x8LtS => self.vector_icmp(I16X8, IntCC::SignedLessThan),
            O::I16x8LtU => self.vector_icmp(I16X8, IntCC::UnsignedLessThan),
            O::I16x8GtS => self.vector_icmp(I16X8, IntCC::SignedGreaterThan),
            O::I16x8GtU => self.vector_icmp(I16X8, IntCC::UnsignedGreaterThan),
            O::I16x8LeS => self.vector_icmp(I16X8, IntCC::SignedLessThanOrEqual),
            O::I16x8LeU => self.vector_icmp(I16X8, IntCC::UnsignedLessThanOrEqual),
            O::I16x8GeS => self.vector_icmp(I16X8, IntCC::SignedGreaterThanOrEqual),
            O::I16x8GeU => self.vector_icmp(I16X8, IntCC::UnsignedGreaterThanOrEqual),
            O::I32x4Eq => self.vector_icmp(I32X4, IntCC::Equal),
            O::I32x4Ne => self.vector_icmp(I32X4, IntCC::NotEqual),
            O::I32x4LtS => self.vector_icmp(I32X4, IntCC::SignedLessThan),
            O::I32x4LtU => self.vector_icmp(I32X4, IntCC::UnsignedLessThan),
            O::I32x4GtS => self.vector_icmp(I32X4, IntCC::SignedGreaterThan),
            O::I32x4GtU => self.vector_icmp(I32X4, IntCC::UnsignedGreaterThan),
            O::I32x4LeS => self.vector_icmp(I32X4, IntCC::SignedLessThanOrEqual),
            O::I32x4LeU => self.vector_icmp(I32X4, IntCC::UnsignedLessThanOrEqual),
            O::I32x4GeS => self.vector_icmp(I32X4, IntCC::SignedGreaterThanOrEqual),
            O::I32x4GeU => self.vector_icmp(I32X4, IntCC::UnsignedGreaterThanOrEqual),
            O::I64x2Eq => self.vector_icmp(I64X2, IntCC::Equal),
            O::I64x2Ne => self.vector_icmp(I64X2, IntCC::NotEqual),
            O::I64x2LtS => self.vector_icmp(I64X2, IntCC::SignedLessThan),
            O::I64x2GtS => self.vector_icmp(I64X2, IntCC::SignedGreaterThan),
            O::I64x2LeS => self.vector_icmp(I64X2, IntCC::SignedLessThanOrEqual),
            O::I64x2GeS => self.vector_icmp(I64X2, IntCC::SignedGreaterThanOrEqual),
            O::F32x4Eq => self.vector_fcmp(F32X4, FloatCC::Equal),
            O::F32x4Ne => self.vector_fcmp(F32X4, FloatCC::NotEqual),
            O::F32x4Lt => self.vector_fcmp(F32X4, FloatCC::LessThan),
            O::F32x4Gt => self.vector_fcmp(F32X4, FloatCC::GreaterThan),
            O::F32x4Le => self.vector_fcmp(F32X4, FloatCC::LessThanOrEqual),
            O::F32x4Ge => self.vector_fcmp(F32X4, FloatCC::GreaterThanOrEqual),
            O::F64x2Eq => self.vector_fcmp(F64X2, FloatCC::Equal),
            O::F64x2Ne => self.vector_fcmp(F64X2, FloatCC::NotEqual),
            O::F64x2Lt => self.vector_fcmp(F64X2, FloatCC::LessThan),
            O::F64x2Gt => self.vector_fcmp(F64X2, FloatCC::GreaterThan),
            O::F64x2Le => self.vector_fcmp(F64X2, FloatCC::LessThanOrEqual),
            O::F64x2Ge => self.vector_fcmp(F64X2, FloatCC::GreaterThanOrEqual),

            // Bitwise operations and tests.
            O::V128Not => self.vector_unop(I8X16, |b, x| b.ins().bnot(x)),
            O::V128And => self.vector_binop(I8X16, |b, x, y| b.ins().band(x, y)),
            O::V128AndNot => self.vector_binop(I8X16, |b, x, y| b.ins().band_not(x, y)),
            O::V128Or => self.vector_binop(I8X16, |b, x, y| b.ins().bor(x, y)),
            O::V128Xor => self.vector_binop(I8X16, |b, x, y| b.ins().bxor(x, y)),
            O::V128Bitselect
            | O::I8x16RelaxedLaneselect
            | O::I16x8RelaxedLaneselect
            | O::I32x4RelaxedLaneselect
            | O::I64x2RelaxedLaneselect => {
                self.vector_ternop(I8X16, |b, x, y, mask| b.ins().bitselect(mask, x, y))
            }
            O::V128AnyTrue => self.vector_test(I8X16, |b, x| b.ins().vany_true(x)),
            O::I8x16AllTrue => self.vector_test(I8X16, |b, x| b.ins().vall_true(x)),
            O::I16x8AllTrue => self.vector_test(I16X8, |b, x| b.ins().vall_true(x)),
            O::I32x4AllTrue => self.vector_test(I32X4, |b, x| b.ins().vall_true(x)),
            O::I64x2AllTrue => self.vector_test(I64X2, |b, x| b.ins().vall_true(x)),
            O::I8x16Bitmask => self.bitmask(I8X16),
            O::I16x8Bitmask => self.bitmask(I16X8),
            O::I32x4Bitmask => self.bitmask(I32X4),
            O::I64x2Bitmask => self.bitmask(I64X2),

            // Integer lanes.
            O::I8x16Abs => self.vector_unop(I8X16, |b, x| b.ins().iabs(x)),
            O::I16x8Abs => self.vector_unop(I16X8, |b, x| b.ins().iabs(x)),
            O::I32x4Abs => self.vector_unop(I32X4, |b, x| b.ins().iabs(x)),
            O::I64x2Abs => self.vector_unop(I64X2, |b, x| b.ins().iabs(x)),
            O::I8x16Neg => self.vector_unop(I8X16, |b, x| b.ins().ineg(x)),
            O::I16x8Neg => self.vector_unop(I16X8, |b, x| b.ins().ineg(x)),
            O::I32x4Neg => self.vector_unop(I32X4, |b, x| b.ins().ineg(x)),
            O::I64x2Neg => self.vector_unop(I64X2, |b, x| b.ins().ineg(x)),
            O::I8x16Popcnt => self.vector_unop(I8X16, |b, x| b.ins().popcnt(x)),
            O::I8x16Shl => self.vector_shift(I8X16, |b, x, n| b.ins().ishl(x, n)),
            O::I16x8Shl => self.vector_shift(I16X8, |b, x, n| b.ins().ishl(x, n)),
            O::I32x4Shl => self.vector_shift(I32X4, |b, x, n| b.ins().ishl(x, n)),
            O::I64x2Shl => self.vector_shift(I64X2, |b, x, n| b.ins().ishl(x, n)),
            O::I8x16ShrS => self.vector_shift(I8X16, |b, x, n| b.ins().sshr(x, n)),
            O::I16x8ShrS => self.vector_shift(I16X8, |b, x, n| b.ins().sshr(x, n)),
            O::I32x4ShrS => self.vector_shift(I32X4, |b, x, n| b.ins().sshr(x, n)),
            O::I64x2ShrS => self.vector_shift(I64X2, |b, x, n| b.ins().sshr(x, n)),
            O::I8x16ShrU => self.vector_shift(I8X16, |b, x, n| b.ins().ushr(x, n)),
            O::I16x8ShrU => self.vector_shift(I16X8, |b, x, n| b.ins().ushr(x, n)),
            O::I32x4ShrU => self.vector_shift(I32X4, |b, x, n| b.ins().ushr(x, n)),
            O::I64x2ShrU => self.vector_shift(I64X2, |b, x, n| b.ins().ushr(x, n)),
            O::I8x16Add => self.vector_binop(I8X16, |b, x, y| b.ins().iadd(x, y)),
            O::I16x8Add => self.vector_binop(I16X8, |b, x, y| b.ins().iadd(x, y)),
            O::I32x4Add => self.vector_binop(I32X4, |b, x, y| b.ins().iadd(x, y)),
            O::I64x2Add => self.vector_binop(I64X2, |b, x, y| b.ins().iadd(x, y)),
            O::I8x16Sub => self.vector_binop(I8X16, |b, x, y| b.ins().isub(x, y)),
            O::I16x8Sub => self.vector_binop(I16X8, |b, x, y| b.ins().isub(x, y)),
            O::I32x4Sub => self.vector_binop(I32X4, |b, x, y| b.ins().isub(x, y)),
            O::I64x2Sub => self.vector_binop(I64X2, |b, x, y| b.ins().isub(x, y)),
            O::I16x8Mul => self.vector_binop(I16X8, |b, x, y| b.ins().imul(x, y)),
            O::I32x4Mul => self.vector_binop(I32X4, |b, x, y| b.ins().imul(x, y)),
            O::I64x2Mul => self.vector_binop(I64X2, |b, x, y| b.ins().imul(x, y)),
            O::I8x16AddSatS => self.vector_binop(I8X16, |b, x, y| b.ins().sadd_sat(x, y)),
            O::I16x8AddSatS => self.vector_binop(I16X8, |b, x, y| b.ins().sadd_sat(x, y)),
            O::I8x16AddSatU => self.vector_binop(I8X16, |b, x, y| b.ins().uadd_sat(x, y)),
            O::I16x8AddSatU => self.vector_binop(I16X8, |b, x, y| b.ins().uadd_sat(x, y)),
            O::I8x16SubSatS => self.vector_binop(I8X16, |b, x, y| b.ins().ssub_sat(x, y)),
            O::I16x8SubSatS => self.vector_binop(I16X8, |b, x, y| b.ins().ssub_sat(x, y)),
            O::I8x16SubSatU => self.vector_binop(I8X16, |b, x, y| b.ins().usub_sat(x, y)),
            O::I16x8SubSatU => self.vector_binop(I16X8, |b, x, y| b.ins().usub_sat(x, y)),
            O::I8x16MinS => self.vector_binop(I8X16, |b, x, y| b.ins().smin(x, y)),
            O::I16x8MinS => self.vector_binop(I16X8, |b, x, y| b.ins().smin(x, y)),
            O::I32x4MinS => self.vector_binop(I32X4, |b, x, y| b.ins().smin(x, y)),
            O::I8x16MinU => self.vector_binop(I8X16, |b, x, y| b.ins().umin(x, y)),
            O::I16x8MinU => self.vector_binop(I16X8, |b, x, y| b.ins().umin(x, y)),
            O::I32x4MinU => self.vector_binop(I32X4, |b, x, y| b.ins().umin(x, y)),
            O::I8x16MaxS => self.vector_binop(I8X16, |b, x, y| b.ins().smax(x, y)),
            O::I16x8MaxS => self.vector_binop(I16X8, |b, x, y| b.ins().smax(x, y)),
            O::I32x4MaxS => self.vector_binop(I32X4, |b, x, y| b.ins().smax(x, y)),
            O::I8x16MaxU => self.vector_binop(I8X16, |b, x, y| b.ins().umax(x, y)),
            O::I16x8MaxU => self.vector_binop(I16X8, |b, x, y| b.ins().umax(x, y)),
            O::I32x4MaxU => self.vector_binop(I32X4, |b, x, y| b.ins().umax(x, y)),
            O::I8x16AvgrU => self.vector_binop(I8X16, |b, x, y| b.ins().avg_round(x, y)),
            O::I16x8AvgrU => self.vector_binop(I16X8, |b, x, y| b.ins().avg_round(x, y)),
            O::I16x8Q15MulrSatS | O::I16x8RelaxedQ15mulrS => {
                self.vector_binop(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y))
            }
            O::I8x16NarrowI16x8S => self.vector_binop(I16X8, |b, x, y| b.ins().snarrow(x, y)),
            O::I8x16NarrowI16x8U => self.vector_binop(I16X8, |b, x, y| b.ins().unarrow(x, y)),
            O::I16x8NarrowI32x4S => self.vector_binop(I32X4, |b, x, y| b.ins().snarrow(x, y)),
            O::I16x8NarrowI32x4U => self.vector_binop(I32X4, |b, x, y| b.ins().unarrow(x, y)),
            O::I16x8ExtendLowI8x16S => self.vector_widen(I8X16, LowSigned),
            O::I16x8ExtendHighI8x16S => self.vector_widen(I8X16, HighSigned),
            O::I16x8ExtendLowI8x16U => self.vector_widen(I8X16, LowUnsigned),
            O::I16x8ExtendHighI8x16U => self.vector_widen(I8X16, HighUnsigned),
            O::I32x4ExtendLowI16x8S => self.vector_widen(I16X8, LowSigned),
            O::I32x4ExtendHighI16x8S => self.vector_widen(I16X8, HighSigned),
            O::I32x4ExtendLowI16x8U => self.vector_widen(I16X8, LowUnsigned),
            O::I32x4ExtendHighI16x8U => self.vector_widen(I16X8, HighUnsigned),
            O::I64x2ExtendLowI32x4S => self.vector_widen(I32X4, LowSigned),
            O::I64x2ExtendHighI32x4S => self.vector_widen(I32X4, HighSigned),
            O::I64x2ExtendLowI32x4U => self.vector_widen(I32X4, LowUnsigned),
            O::I64x2ExtendHighI32x4U => self.vector_widen(I32X4, HighUnsigned),
            O::I16x8ExtMulLowI8x16S => self.vector_extmul(I8X16, LowSigned),
            O::I16x8ExtMulHighI8x16S => self.vector_extmul(I8X16, HighSigned),
            O::I16x8ExtMulLowI8x16U => self.vector_extmul(I8X16, LowUnsigned),
            O::I16x8ExtMulHighI8x16U => self.vector_extmul(I8X16, HighUnsigned),
            O::I32x4ExtMulLowI16x8S => self.vector_extmul(I16X8, LowSigned),
            O::I32x4ExtMulHighI16x8S => self.vector_extmul(I16X8, HighSigned),
            O::I32x4ExtMulLowI16x8U => self.vector_extmul(I16X8, LowUnsigned),
            O::I32x4ExtMulHighI16x8U => self.vector_extmul(I16X8, HighUnsigned),
            O::I64x2ExtMulLowI32x4S => self.vector_extmul(I32X4, LowSigned),
            O::I64x2ExtMulHighI32x4S => self.vector_extmul(I32X4, HighSigned),
            O::I64x2ExtMulLowI32x4U => self.vector_extmul(I32X4, LowUnsigned),
            O::I64x2ExtMulHighI32x4U => self.vector_extmul(I32X4, HighUnsigned),
            O::I16x8ExtAddPairwiseI8x16S => self.vector_extadd_pairwise(I8X16, true),
            O::I16x8ExtAddPairwiseI8x16U => self.vector_extadd_pairwise(I8X16, false),
            O::I32x4ExtAddPairwiseI16x8S => self.vector_extadd_pairwise(I16X8, true),
            O::I32x4ExtAddPairwiseI16x8U => self.vector_extadd_pairwise(I16X8, false),
            O::I32x4DotI16x8S => self.vector_binop(I16X8, signed_dot),
            O::I16x8RelaxedDotI8x16I7x16S => self.vector_binop(I8X16, signed_dot),
            O::I32x4RelaxedDotI8x16I7x16AddS => {
                let addend = self.pop_vector(I32X4);
                self.vector_binop(I8X16, |b, x, y| {
                    let dot = signed_dot(b, x, y);
                    let (low, high) = (b.ins().swiden_low(dot), b.ins().swiden_high(dot));
                    let sums = b.ins().iadd_pairwise(low, high);
                    b.ins().iadd(sums, addend)
                });
            }

            // Float lanes.
            O::F32x4Ceil => self.vector_unop(F32X4, |b, x| b.ins().ceil(x)),
            O::F64x2Ceil => self.vector_unop(F64X2, |b, x| b.ins().ceil(x)),
            O::F32x4Floor => self.vector_unop(F32X4, |b, x| b.ins().floor(x)),
            O::F64x2Floor => self.vector_unop(F64X2, |b, x| b.ins().floor(x)),
            O::F32x4Trunc => self.vector_unop(F32X4, |b, x| b.ins().trunc(x)),
            O::F64x2Trunc => self.vector_unop(F64X2, |b, x| b.ins().trunc(x)),
            O::F32x4Nearest => self.vector_unop(F32X4, |b, x| b.ins().nearest(x)),
            O::F64x2Nearest => self.vector_unop(F64X2, |b, x| b.ins().nearest(x)),
            O::F32x4Abs => self.vector_unop(F32X4, |b, x| b.ins().fabs(x)),
            O::F64x2Abs => self.vector_unop(F64X2, |b, x| b.ins().fabs(x)),
            O::F32x4Neg => self.vector_unop(F32X4, |b, x| b.ins().fneg(x)),
            O::F64x2Neg => self.vector_unop(F64X2, |b, x| b.ins().fneg(x)),
            O::F32x4Sqrt => self.vector_unop(F32X4, |b, x| b.ins().sqrt(x)),
            O::F64x2Sqrt => self.vector_unop(F64X2, |b, x| b.ins().sqrt(x)),
            O::F32x4Add => self.vector_binop(F32X4, |b, x, y| b.ins().fadd(x, y)),
            O::F64x2Add => self.vector_binop(F64X2, |b, x, y| b.ins().fadd(x, y)),
            O::F32x4Sub => self.vector_binop(F32X4, |b, x, y| b.ins().fsub(x, y)),
            O::F64x2Sub => self.vector_binop(F64X2, |b, x, y| b.ins().fsub(x, y)),
            O::F32x4Mul => self.vector_binop(F32X4, |b, x, y| b.ins().fmul(x, y)),
            O::F64x2Mul => self.vector_binop(F64X2, |b, x, y| b.ins().fmul(x, y)),
            O::F32x4Div => self.vector_binop(F32X4, |b, x, y| b.ins().fdiv(x, y)),
            O::F64x2Div => self.vector_binop(F64X2, |b, x, y| b.ins().fdiv(x, y)),
            O::F32x4Min | O::F32x4RelaxedMin => {
                self.vector_binop(F32X4, |b, x, y| b.ins().fmin(x, y))
            }
            O::F64x2Min | O::F64x2RelaxedMin => {
                self.vector_binop(F64X2, |b, x, y| b.ins().fmin(x, y))
            }
            O::F32x4Max | O::F32x4RelaxedMax => {
                self.vector_binop(F32X4, |b, x, y| b.ins().fmax(x, y))
            }
            O::F64x2Max | O::F64x2RelaxedMax => {
                self.vector_binop(F64X2, |b, x, y| b.ins().fmax(x, y))
            }
            // pmin(x, y) is y < x ? y : x; pmax(x, y) is x < y ? y : x.
            O::F32x4PMin => self.vector_binop(F32X4, |b, x, y| select_less(b, F32X4, [y, x, y, x])),
            O::F64x2PMin => self.vector_binop(F64X2, |b, x, y| select_less(b, F64X2, [y, x, y, x])),
            O::F32x4PMax => self.vector_binop(F32X4, |b, x, y| select_less(b, F32X4, [x, y, y, x])),
            O::F64x2PMax => self.vector_binop(F64X2, |b, x, y| select_less(b, F64X2, [x, y, y, x])),
            O::F32x4RelaxedMadd => self.vector_ternop(F32X4, |b, x, y, z| {
                let product = b.ins().fmul(x, y);
                b.ins().fadd(product, z)
            }),
            O::F64x2RelaxedMadd => self.vector_ternop(F64X2, |b, x, y, z| {
                let product = b.ins().fmul(x, y);
                b.ins().fadd(product, z)
            }),
            O::F32x4RelaxedNmadd => self.vector_ternop(F32X4, |b, x, y, z| {
                let product = b.ins().fmul(x, y);
                b.ins().fsub(z, product)
            }),
            O::F64x2RelaxedNmadd => self.vector_ternop(F64X2, |b, x, y, z| {
                let product = b.ins().fmul(x, y);
                b.ins().fsub(z, product)
            }),

            // Conversions.
            O::I32x4TruncSatF32x4S | O::I32x4RelaxedTruncF32x4S => {
                self.vector_unop(F32X4, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x))
            }
            O::I32x4TruncSatF32x4U | O::I32x4RelaxedTruncF32x4U => {
                self.vector_unop(F32X4, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x))
            }
            O::I32x4TruncSatF64x2SZero | O::I32x4RelaxedTruncF64x2SZero => {
                let zero = self.vector_const(I64X2, 0);
                self.vector_unop(F64X2, |b, x| {
                    let wide = b.ins().fcvt_to_sint_sat(I64X2, x);
                    b.ins().snarrow(wide, zero)
                });
            }
            O::I32x4TruncSatF64x2UZero | O::I32x4RelaxedTruncF64x2UZero => {
                let zero = self.vector_const(I64X2, 0);
                self.vector_unop(F64X2, |b, x| {
                    let wide = b.ins().fcvt_to_uint_sat(I64X2, x);
                    b.ins().uunarrow(wide, zero)
                });
            }
            O::F32x4ConvertI32x4S => {
                self.vector_unop(I32X4, |b, x| b.ins().fcvt_from_sint(F32X4, x))
            }
            O::F32x4ConvertI32x4U => {
                self.vector_unop(I32X4, |b, x| b.ins().fcvt_from_uint(F32X4, x))
            }
            O::F64x2ConvertLowI32x4S => self.vector_unop(I32X4, |b, x| {
                let wide = b.ins().swiden_low(x);
                b.ins().fcvt_from_sint(F64X2, wide)
            }),
            O::F64x2ConvertLowI32x4U => self.vector_unop(I32X4, |b, x| {
                let wide = b.ins().uwiden_low(x);
                b.ins().fcvt_from_uint(F64X2, wide)
            }),
            O::F32x4DemoteF64x2Zero => self.vector_unop(F64X2, |b, x| b.ins().fvdemote(x)),
            O::F64x2PromoteLowF32x4 => self.vector_unop(F32X4, |b, x| b.ins().fvpromote_low(x)),

            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `*.bitmask`: the high bit of every lane of a `v128` seen as `ty`, as an `i32`.
    fn bitmask(&mut self, ty: Type) {
        let x = self.pop_vector(ty);
        let r = self.b.ins().vhigh_bits(I32, x);
        self.push(r);
    }
}
