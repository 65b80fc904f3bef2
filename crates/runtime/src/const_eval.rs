//! Evaluation of constant expressions (global, table and segment initialisers), including the
//! GC proposal's `ref.i31` and the allocating `struct.new*` and `array.new*`.

use crate::gc::objects::{element, store_bits, write_items};
use crate::instance::InstanceError;
use crate::vm::{VMFuncRef, VMGlobalDefinition};
use wasmfx_environ::{gc_header, ConstExpr, ConstOp, Trap};

/// The bits of a constant value (integers and floats little-endian, references as pointers).
pub type ConstValue = u128;

/// Evaluates `expr` with `global(i)` giving global `i`'s definition, `func_ref(i)` function
/// `i`'s reference, and `alloc(ty, size, length)` a new GC object of module type `ty` as
/// `StoreState::gc_alloc` makes them (zeroed, its header written; `Ok(None)` when the heap is
/// full).
///
/// Fails with the trap "GC heap exhausted" when an object does not fit in the heap, and with
/// `alloc`'s error when it fails.
pub(crate) fn eval(
    expr: &ConstExpr,
    global: impl Fn(u32) -> *mut VMGlobalDefinition,
    func_ref: impl Fn(u32) -> *const VMFuncRef,
    alloc: impl Fn(u32, usize, u32) -> anyhow::Result<Option<usize>>,
) -> Result<ConstValue, InstanceError> {
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
            ConstOp::RefI31 => {
                // The low 31 bits above the tag bit; shifting drops bit 31.
                let x = stack.pop().unwrap_or(0) as u32;
                u128::from((x << 1) | 1)
            }
            ConstOp::StructNew { ty, ref layout } => {
                let values = pop_n(&mut stack, layout.fields.len());
                let size = layout.size as usize;
                let object = new_object(&alloc, ty, Some(size), gc_header::STRUCT_LENGTH)?;
                for (field, bits) in layout.fields.iter().zip(values) {
                    // SAFETY: a new struct laid out as `layout`, whose field this is.
                    unsafe { store_bits(object + field.offset as usize, field.storage, bits) };
                }
                object as u128
            }
            ConstOp::StructNewDefault { ty, size } => {
                new_object(&alloc, ty, Some(size as usize), gc_header::STRUCT_LENGTH)? as u128
            }
            ConstOp::ArrayNew { ty, ref layout } => {
                let len = stack.pop().unwrap_or(0) as u32;
                let value = stack.pop().unwrap_or(0);
                let array = new_object(&alloc, ty, layout.size(len), len)?;
                // A new object is zeroed: only other values need writing.
                if value != 0 {
                    for i in 0..len as usize {
                        // SAFETY: a new array of `len` elements laid out as `layout`.
                        unsafe { store_bits(element(array, layout, i), layout.elem, value) };
                    }
                }
                array as u128
            }
            ConstOp::ArrayNewDefault { ty, ref layout } => {
                let len = stack.pop().unwrap_or(0) as u32;
                new_object(&alloc, ty, layout.size(len), len)? as u128
            }
            ConstOp::ArrayNewFixed {
                ty,
                ref layout,
                len,
            } => {
                let values = pop_n(&mut stack, len as usize);
                let array = new_object(&alloc, ty, layout.size(len), len)?;
                // SAFETY: a new array of `len` elements laid out as `layout`; `values` holds
                // at most `len`.
                unsafe { write_items(array, layout, 0, &values) };
                array as u128
            }
        };
        stack.push(v);
    }
    Ok(stack.pop().unwrap_or(0))
}

/// The top `n` values of `stack` (all of it if shorter), removed, the deepest first.
fn pop_n(stack: &mut Vec<u128>, n: usize) -> Vec<u128> {
    stack.split_off(stack.len().saturating_sub(n))
}

/// A new object of module type `ty` from `alloc`: `size` bytes (`None`: more than memory can
/// hold) with header length `length`.
fn new_object(
    alloc: impl Fn(u32, usize, u32) -> anyhow::Result<Option<usize>>,
    ty: u32,
    size: Option<usize>,
    length: u32,
) -> Result<usize, InstanceError> {
    let exhausted = || InstanceError::Trap(Trap::GcHeapExhausted);
    let size = size.ok_or_else(exhausted)?;
    match alloc(ty, size, length) {
        Ok(object) => object.ok_or_else(exhausted),
        Err(e) => Err(InstanceError::Resource(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::continuations::StackConfig;
    use crate::store_state::StoreState;
    use std::sync::atomic::AtomicU64;
    use wasmfx_environ::{ArrayLayout, GcStorage, StructLayout};

    /// The engine type id the tests' allocator gives module type `ty`.
    fn type_id(ty: u32) -> u32 {
        ty + 1000
    }

    /// A store state whose GC heap holds at most `gc_heap_size` bytes.
    fn state(epoch: &AtomicU64, gc_heap_size: usize) -> StoreState {
        let stacks = StackConfig {
            size: 64 * 1024,
            red_zone: 16 * 1024,
        };
        let gc = crate::GcConfig {
            heap_size: gc_heap_size,
            zeal: false,
        };
        StoreState::new(stacks, None, epoch, gc)
    }

    /// Evaluates `ops` (no globals or functions) allocating from `state`.
    fn run(state: &StoreState, ops: Vec<ConstOp>) -> Result<ConstValue, InstanceError> {
        eval(
            &ConstExpr(ops),
            |_| std::ptr::null_mut(),
            |_| std::ptr::null(),
            |ty, size, length| state.gc_alloc(type_id(ty), size, length, false),
        )
    }

    /// Reads a `T` at `addr`.
    ///
    /// # Safety
    ///
    /// `addr` must be readable for a `T`.
    unsafe fn read<T: Copy>(addr: usize) -> T {
        // SAFETY: per the contract.
        unsafe { (addr as *const T).read_unaligned() }
    }

    /// The header of the object at `object`: its type id and length.
    fn header(object: u128) -> (u32, u32) {
        let object = object as usize;
        assert!(object != 0 && object.is_multiple_of(8), "{object:#x}");
        // SAFETY: a live object of the test's heap starts with its header.
        unsafe {
            (
                read(object + gc_header::TYPE_ID as usize),
                read(object + gc_header::LENGTH as usize),
            )
        }
    }

    #[test]
    fn numeric_operators_are_unchanged() {
        let epoch = AtomicU64::new(0);
        let state = state(&epoch, 1 << 20);
        let ops = vec![ConstOp::I32(7), ConstOp::I32(-9), ConstOp::I32Mul];
        assert_eq!(run(&state, ops).unwrap(), (-63i32) as u32 as u128);
        let ops = vec![ConstOp::I64(1), ConstOp::I64(3), ConstOp::I64Sub];
        assert_eq!(run(&state, ops).unwrap(), (-2i64) as u64 as u128);
        assert_eq!(run(&state, vec![ConstOp::RefNull]).unwrap(), 0);
    }

    #[test]
    fn ref_i31_keeps_the_low_31_bits() {
        let epoch = AtomicU64::new(0);
        let state = state(&epoch, 1 << 20);
        let i31 = |x: i32| run(&state, vec![ConstOp::I32(x), ConstOp::RefI31]).unwrap();
        assert_eq!(i31(0), 1);
        assert_eq!(i31(5), 11);
        assert_eq!(i31(-1), 0xffff_ffff);
        assert_eq!(i31(0x4000_0000), 0x8000_0001);
        // Bit 31 is not part of an i31.
        assert_eq!(i31(i32::MIN), 1);
    }

    #[test]
    fn struct_new_stores_each_field_by_its_storage() {
        use GcStorage::*;
        let epoch = AtomicU64::new(0);
        let state = state(&epoch, 1 << 20);
        let layout = StructLayout::new([I8, I16, I32, Ref, F64, ContRef]);
        let fat = (7u128 << 64) | 0x1230;
        let ops = vec![
            ConstOp::I32(0x1234_5678),
            ConstOp::I32(-2),
            ConstOp::I32(42),
            ConstOp::I32(3),
            ConstOp::RefI31,
            ConstOp::F64(1.5f64.to_bits()),
            // Evaluation is untyped: a v128 stands for a fat continuation reference.
            ConstOp::V128(fat),
            ConstOp::StructNew {
                ty: 4,
                layout: layout.clone(),
            },
        ];
        let object = run(&state, ops).unwrap();
        assert_eq!(header(object), (type_id(4), gc_header::STRUCT_LENGTH));
        let field = |i: usize| object as usize + layout.fields[i].offset as usize;
        // SAFETY: the fields of the struct just made.
        unsafe {
            assert_eq!(read::<u8>(field(0)), 0x78);
            assert_eq!(read::<u16>(field(1)), 0xfffe);
            assert_eq!(read::<u32>(field(2)), 42);
            assert_eq!(read::<u64>(field(3)), 7);
            assert_eq!(read::<u64>(field(4)), 1.5f64.to_bits());
            assert_eq!(read::<u128>(field(5)), fat);
        }

        let ops = vec![ConstOp::StructNewDefault {
            ty: 2,
            size: layout.size,
        }];
        let object = run(&state, ops).unwrap();
        assert_eq!(header(object), (type_id(2), gc_header::STRUCT_LENGTH));
        let mut body = gc_header::SIZE as usize..layout.size as usize;
        // SAFETY: the bytes of the struct just made.
        assert!(body.all(|b| unsafe { read::<u8>(object as usize + b) } == 0));
    }

    #[test]
    fn arrays_take_their_lengths_and_elements_from_the_stack() {
        let epoch = AtomicU64::new(0);
        let state = state(&epoch, 1 << 20);
        let shorts = ArrayLayout::new(GcStorage::I16);
        let elements = |array: u128, len: usize| -> Vec<u16> {
            (0..len)
                // SAFETY: elements of an array of at least `len` 16-bit elements.
                .map(|i| unsafe { read(element(array as usize, &shorts, i)) })
                .collect()
        };

        // array.new: the value, then the length.
        let ops = vec![
            ConstOp::I32(0x1_0009),
            ConstOp::I32(5),
            ConstOp::ArrayNew {
                ty: 1,
                layout: shorts,
            },
        ];
        let array = run(&state, ops).unwrap();
        assert_eq!(header(array), (type_id(1), 5));
        assert_eq!(elements(array, 5), [9; 5]);

        let ops = vec![
            ConstOp::I32(3),
            ConstOp::ArrayNewDefault {
                ty: 1,
                layout: shorts,
            },
        ];
        let array = run(&state, ops).unwrap();
        assert_eq!(header(array), (type_id(1), 3));
        assert_eq!(elements(array, 3), [0; 3]);

        let ops = vec![
            ConstOp::I32(10),
            ConstOp::I32(20),
            ConstOp::I32(10),
            ConstOp::I32(20),
            ConstOp::I32Add,
            ConstOp::ArrayNewFixed {
                ty: 1,
                layout: shorts,
                len: 3,
            },
        ];
        let array = run(&state, ops).unwrap();
        assert_eq!(header(array), (type_id(1), 3));
        assert_eq!(elements(array, 3), [10, 20, 30]);

        let ops = vec![ConstOp::ArrayNewFixed {
            ty: 1,
            layout: shorts,
            len: 0,
        }];
        assert_eq!(header(run(&state, ops).unwrap()), (type_id(1), 0));
    }

    #[test]
    fn objects_nest() {
        let epoch = AtomicU64::new(0);
        let state = state(&epoch, 1 << 20);
        let refs = ArrayLayout::new(GcStorage::Ref);
        let pair = StructLayout::new([GcStorage::I32, GcStorage::Ref]);
        let ops = vec![
            ConstOp::I32(1),
            ConstOp::RefNull,
            ConstOp::StructNew {
                ty: 0,
                layout: pair.clone(),
            },
            ConstOp::I32(2),
            ConstOp::RefI31,
            ConstOp::ArrayNewFixed {
                ty: 1,
                layout: refs,
                len: 2,
            },
        ];
        let array = run(&state, ops).unwrap();
        assert_eq!(header(array), (type_id(1), 2));
        // SAFETY: the elements of the array just made.
        let (first, second): (u64, u64) = unsafe {
            (
                read(element(array as usize, &refs, 0)),
                read(element(array as usize, &refs, 1)),
            )
        };
        assert_eq!(second, 5);
        assert_eq!(
            header(u128::from(first)),
            (type_id(0), gc_header::STRUCT_LENGTH)
        );
        // SAFETY: the fields of the struct in the array.
        unsafe {
            assert_eq!(
                read::<u32>(first as usize + pair.fields[0].offset as usize),
                1
            );
            assert_eq!(
                read::<u64>(first as usize + pair.fields[1].offset as usize),
                0
            );
        }
    }

    #[test]
    fn an_exhausted_heap_is_an_instantiation_trap() {
        let epoch = AtomicU64::new(0);
        let state = state(&epoch, 64 * 1024);
        let exhausted = |len: i32, elem: GcStorage| {
            let ops = vec![
                ConstOp::I32(len),
                ConstOp::ArrayNewDefault {
                    ty: 0,
                    layout: ArrayLayout::new(elem),
                },
            ];
            matches!(
                run(&state, ops),
                Err(InstanceError::Trap(Trap::GcHeapExhausted))
            )
        };
        assert!(exhausted(100_000, GcStorage::I64));
        assert!(exhausted(-1, GcStorage::ContRef));
        assert!(!exhausted(1000, GcStorage::I64));

        // Failing to reserve the heap at all is an error of its own.
        let result = eval(
            &ConstExpr(vec![ConstOp::StructNewDefault { ty: 0, size: 8 }]),
            |_| std::ptr::null_mut(),
            |_| std::ptr::null(),
            |_, _, _| Err(anyhow::anyhow!("no room")),
        );
        assert!(matches!(result, Err(InstanceError::Resource(e)) if e.to_string() == "no room"));
    }
}
