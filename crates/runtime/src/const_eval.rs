//! Evaluation of constant expressions (global, table and segment initialisers).

use crate::vm::{VMFuncRef, VMGlobalDefinition};
use wasmfx_environ::{ConstExpr, ConstOp};

/// The bits of a constant value (integers and floats little-endian, references as pointers).
pub type ConstValue = u128;

/// Evaluates `expr` with `global(i)` giving global `i`'s definition and `func_ref(i)` function
/// `i`'s reference.
pub(crate) fn eval(
    expr: &ConstExpr,
    global: impl Fn(u32) -> *mut VMGlobalDefinition,
    func_ref: impl Fn(u32) -> *const VMFuncRef,
) -> ConstValue {
    let mut stack: Vec<u128> = Vec::with_capacity(2);
    for op in &expr.0 {
        let v = match *op {
            ConstOp::I32(v) => v as u32 as u128,
            ConstOp::I64(v) => v as u64 as u128,
            ConstOp::F32(v) => v as u128,
            ConstOp::F64(v) => v as u128,
            ConstOp::V128(v) => v,
            ConstOp::RefNull => 0,
            ConstOp::RefFunc(f) => func_ref(f) as usize as u128,
            ConstOp::GlobalGet(g) => {
                // SAFETY: the definition is live for the instance's lifetime.
                let bytes = unsafe { *(*global(g)).storage.get() };
                u128::from_le_bytes(bytes)
            }
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                let y = stack.pop().unwrap_or(0) as u32;
                let x = stack.pop().unwrap_or(0) as u32;
                (match op {
                    ConstOp::I32Add => x.wrapping_add(y),
                    ConstOp::I32Sub => x.wrapping_sub(y),
                    _ => x.wrapping_mul(y),
                }) as u128
            }
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                let y = stack.pop().unwrap_or(0) as u64;
                let x = stack.pop().unwrap_or(0) as u64;
                (match op {
                    ConstOp::I64Add => x.wrapping_add(y),
                    ConstOp::I64Sub => x.wrapping_sub(y),
                    _ => x.wrapping_mul(y),
                }) as u128
            }
        };
        stack.push(v);
    }
    stack.pop().unwrap_or(0)
}
