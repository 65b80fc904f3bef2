//! Lowering of the GC proposal's instructions (see `docs/gc.md`): structs, arrays, `i31`,
//! `ref.eq`, and reference tests and casts (`ref.test`, `ref.cast`, `br_on_cast`,
//! `br_on_cast_fail`) for every hierarchy but continuations.
//!
//! A GC reference is an `I64`: null is 0, an `i31ref` is `(value << 1) | 1`, a host's
//! external reference made internal keeps its `HOST_EXTERN_TAG` word, anything else is the
//! address of an object whose header holds its type id and, for arrays, its length
//! (`gc_header`). `any.convert_extern` and `extern.convert_any` are
//! therefore free. Objects of a size known at compile time are allocated inline from the run
//! of their size class (`gc_run`), others by the runtime (`gc_alloc`); all are laid out as
//! `wasmfx_environ::gc_layout` says.

use crate::func_env::trusted_flags;
use crate::translate::{args, trap, FuncTranslator};
use anyhow::{bail, Result};
use cranelift_codegen::ir::{self, condcodes::IntCC, types, InstBuilder, MemFlagsData, Value};
use wasmfx_environ::wasmparser::{AbstractHeapType, HeapType, RefType};
use wasmfx_environ::{
    concrete_index, func_ref, gc_header, gc_run, size_class, store_context, type_display,
    ArrayLayout, Builtin, GcStorage, ModuleType, StructLayout, Trap, VMOffsets, GC_SIZE_CLASSES,
    HOST_EXTERN_TAG, I31_TAG, REF_TAG_MASK,
};

/// How a packed field or element is widened when read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extend {
    /// Not packed (`struct.get`, `array.get`).
    None,
    /// Sign-extended (`*.get_s`).
    Signed,
    /// Zero-extended (`*.get_u`).
    Unsigned,
}

/// The flags of a field or element access: in bounds and non-null (checked before), and
/// aligned except for 16-byte values, which objects align to 8 only.
fn field_flags(storage: GcStorage) -> MemFlagsData {
    match storage {
        GcStorage::V128 | GcStorage::ContRef => MemFlagsData::new().with_notrap(),
        _ => trusted_flags(),
    }
}

impl FuncTranslator<'_, '_> {
    /// The layout of struct type `ty`.
    fn struct_layout(&self, ty: u32) -> Result<StructLayout> {
        match self.env.module.struct_layout(ty) {
            Some(layout) => Ok(layout),
            None => bail!("type {ty} is not a struct type"),
        }
    }

    /// The layout of array type `ty`.
    fn array_layout(&self, ty: u32) -> Result<ArrayLayout> {
        match self.env.module.array_layout(ty) {
            Some(layout) => Ok(layout),
            None => bail!("type {ty} is not an array type"),
        }
    }

    /// Writes `v` at `addr + offset` as `storage` stores it.
    fn store_gc(&mut self, storage: GcStorage, v: Value, addr: Value, offset: u32) -> Result<()> {
        let flags = field_flags(storage);
        let offset = offset as i32;
        match storage {
            GcStorage::I8 => self.b.ins().istore8(flags, v, addr, offset),
            GcStorage::I16 => self.b.ins().istore16(flags, v, addr, offset),
            _ => self.b.ins().store(flags, v, addr, offset),
        };
        Ok(())
    }

    /// Writes the default value (zero bits) of a field stored as `storage` at `addr + offset`.
    fn store_zero(&mut self, storage: GcStorage, addr: Value, offset: u32) {
        let flags = field_flags(storage);
        let zero = self.b.ins().iconst(types::I64, 0);
        let offset = offset as i32;
        match storage.size() {
            1 => self.b.ins().istore8(flags, zero, addr, offset),
            2 => self.b.ins().istore16(flags, zero, addr, offset),
            4 => self.b.ins().istore32(flags, zero, addr, offset),
            8 => self.b.ins().store(flags, zero, addr, offset),
            _ => {
                self.b.ins().store(flags, zero, addr, offset);
                self.b.ins().store(flags, zero, addr, offset + 8)
            }
        };
    }

    /// Reads the value stored as `storage` at `addr + offset`, widened as `extend` says.
    fn load_gc(
        &mut self,
        storage: GcStorage,
        addr: Value,
        offset: u32,
        extend: Extend,
    ) -> Result<Value> {
        let flags = field_flags(storage);
        let offset = offset as i32;
        let ins = self.b.ins();
        Ok(match (storage, extend) {
            (GcStorage::I8, Extend::Signed) => ins.sload8(types::I32, flags, addr, offset),
            (GcStorage::I8, _) => ins.uload8(types::I32, flags, addr, offset),
            (GcStorage::I16, Extend::Signed) => ins.sload16(types::I32, flags, addr, offset),
            (GcStorage::I16, _) => ins.uload16(types::I32, flags, addr, offset),
            (GcStorage::I32, _) => ins.load(types::I32, flags, addr, offset),
            (GcStorage::F32, _) => ins.load(types::F32, flags, addr, offset),
            (GcStorage::I64, _) | (GcStorage::Ref, _) => ins.load(types::I64, flags, addr, offset),
            (GcStorage::F64, _) => ins.load(types::F64, flags, addr, offset),
            (GcStorage::ContRef, _) => ins.load(types::I128, flags, addr, offset),
            (GcStorage::V128, _) => ins.load(types::I8X16, flags, addr, offset),
        })
    }

    /// Allocates an object of module type `ty` of `size` bytes (an `I64`) with header length
    /// `length` (an `I32`) in the runtime, trapping when it cannot.
    fn gc_alloc(&mut self, ty: u32, size: Value, length: Value) -> Value {
        let type_id = self.env.type_id(&mut self.b, ty);
        self.gc_alloc_call(type_id, size, length)
    }

    /// `gc_alloc` of an object of engine type `type_id` (an `I32`).
    fn gc_alloc_call(&mut self, type_id: Value, size: Value, length: Value) -> Value {
        let object = self
            .env
            .call_builtin(&mut self.b, Builtin::gc_alloc, &[type_id, size, length])
            .expect("gc_alloc returns the object");
        // The runtime recorded which trap (heap exhausted, or an error).
        self.b.ins().trapz(object, trap(Trap::HostError));
        object
    }

    /// Allocates an object of module type `ty` of `size` bytes, known here, with header length
    /// `length`: inline, by bumping the cursor of the run of its size class when the slot fits
    /// (the run's slots are already allocated for the collector, but not zeroed: the caller
    /// writes every field), else in the runtime, which refills the run (and may collect)
    /// first.
    fn gc_alloc_fixed(&mut self, ty: u32, size: u32, length: u32) -> Value {
        let size_value = self.b.ins().iconst(types::I64, i64::from(size));
        let length_value = self.b.ins().iconst(types::I32, i64::from(length));
        let Some(class) = size_class(size as usize) else {
            return self.gc_alloc(ty, size_value, length_value);
        };
        let slot = GC_SIZE_CLASSES[class];
        let type_id = self.env.type_id(&mut self.b, ty);
        let store = self.store_context();
        let run = (store_context::GC_RUNS + class as u32 * gc_run::SIZE) as i32;
        let flags = trusted_flags();
        let cursor = self
            .b
            .ins()
            .load(types::I64, flags, store, run + gc_run::CURSOR as i32);
        let limit = self
            .b
            .ins()
            .load(types::I64, flags, store, run + gc_run::LIMIT as i32);
        let next = self.b.ins().iadd_imm_u(cursor, i64::from(slot));
        let fits = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, next, limit);
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, types::I64);
        self.b.set_cold_block(slow);
        self.b.ins().brif(fits, fast, &[], slow, &[]);

        self.b.switch_to_block(fast);
        self.b.seal_block(fast);
        self.b
            .ins()
            .store(flags, next, store, run + gc_run::CURSOR as i32);
        // The header in one store: the type id, then the length.
        let id = self.b.ins().uextend(types::I64, type_id);
        let header = self.b.ins().bor_imm_u(id, (u64::from(length) << 32) as i64);
        let header_offset = gc_header::TYPE_ID as i32;
        const _: () = assert!(gc_header::LENGTH == gc_header::TYPE_ID + 4);
        self.b.ins().store(flags, header, cursor, header_offset);
        self.b.ins().jump(done, &[ir::BlockArg::Value(cursor)]);

        self.b.switch_to_block(slow);
        self.b.seal_block(slow);
        let object = self.gc_alloc_call(type_id, size_value, length_value);
        self.b.ins().jump(done, &[ir::BlockArg::Value(object)]);

        self.b.switch_to_block(done);
        self.b.seal_block(done);
        self.b.block_params(done)[0]
    }

    /// `struct.new $ty` (fields from the stack) and `struct.new_default $ty` (zeroed).
    pub(crate) fn struct_new(&mut self, ty: u32, default: bool) -> Result<()> {
        let layout = self.struct_layout(ty)?;
        let values = if default {
            Vec::new()
        } else {
            self.pop_n(layout.fields.len())
        };
        let object = self.gc_alloc_fixed(ty, layout.size, gc_header::STRUCT_LENGTH);
        if default {
            for field in &layout.fields {
                self.store_zero(field.storage, object, field.offset);
            }
        }
        for (field, v) in layout.fields.iter().zip(values) {
            self.store_gc(field.storage, v, object, field.offset)?;
        }
        self.push(object);
        Ok(())
    }

    /// `struct.get*` of field `field` of `$ty`.
    pub(crate) fn struct_get(&mut self, ty: u32, field: u32, extend: Extend) -> Result<()> {
        let layout = self.struct_layout(ty)?;
        let field = layout.fields[field as usize];
        let object = self.pop();
        self.b.ins().trapz(object, trap(Trap::NullStructReference));
        let v = self.load_gc(field.storage, object, field.offset, extend)?;
        self.push(v);
        Ok(())
    }

    /// `struct.set` of field `field` of `$ty`.
    pub(crate) fn struct_set(&mut self, ty: u32, field: u32) -> Result<()> {
        let layout = self.struct_layout(ty)?;
        let field = layout.fields[field as usize];
        let v = self.pop();
        let object = self.pop();
        self.b.ins().trapz(object, trap(Trap::NullStructReference));
        self.store_gc(field.storage, v, object, field.offset)
    }

    /// A new array of `$ty` with `len` (an `I32`) zeroed elements, and its layout.
    fn array_alloc(&mut self, ty: u32, len: Value) -> Result<(Value, ArrayLayout)> {
        let layout = self.array_layout(ty)?;
        let len64 = self.b.ins().uextend(types::I64, len);
        let bytes = self
            .b
            .ins()
            .imul_imm_u(len64, i64::from(layout.elem.size()));
        // Header plus elements, rounded up to 8 (at most 16 * 2^32 + 15: no overflow).
        let size = self
            .b
            .ins()
            .iadd_imm_u(bytes, i64::from(layout.elements_offset) + 7);
        let size = self.b.ins().band_imm_s(size, -8);
        let object = self.gc_alloc(ty, size, len);
        Ok((object, layout))
    }

    /// The address of element `index` (an `I32`) of `array`.
    fn element_addr(&mut self, array: Value, layout: &ArrayLayout, index: Value) -> Value {
        let index = self.b.ins().uextend(types::I64, index);
        let offset = self
            .b
            .ins()
            .imul_imm_u(index, i64::from(layout.elem.size()));
        let base = self
            .b
            .ins()
            .iadd_imm_u(array, i64::from(layout.elements_offset));
        self.b.ins().iadd(base, offset)
    }

    /// Stores `v` in the `count` (an `I64`) elements from address `start`.
    fn fill_elements(
        &mut self,
        layout: &ArrayLayout,
        start: Value,
        count: Value,
        v: Value,
    ) -> Result<()> {
        let size = i64::from(layout.elem.size());
        let bytes = self.b.ins().imul_imm_u(count, size);
        let end = self.b.ins().iadd(start, bytes);
        let header = self.b.create_block();
        let body = self.b.create_block();
        let exit = self.b.create_block();
        self.b.append_block_param(header, types::I64);
        self.b.ins().jump(header, &[ir::BlockArg::Value(start)]);
        self.b.switch_to_block(header);
        let p = self.b.block_params(header)[0];
        let done = self.b.ins().icmp(IntCC::Equal, p, end);
        self.b.ins().brif(done, exit, &[], body, &[]);
        self.b.switch_to_block(body);
        self.b.seal_block(body);
        self.store_gc(layout.elem, v, p, 0)?;
        let next = self.b.ins().iadd_imm_u(p, size);
        self.b.ins().jump(header, &[ir::BlockArg::Value(next)]);
        self.b.seal_block(header);
        self.b.switch_to_block(exit);
        self.b.seal_block(exit);
        Ok(())
    }

    /// `array.new $ty` (every element the value on the stack) and `array.new_default $ty`.
    pub(crate) fn array_new(&mut self, ty: u32, default: bool) -> Result<()> {
        let len = self.pop();
        let init = (!default).then(|| self.pop());
        let (array, layout) = self.array_alloc(ty, len)?;
        if let Some(init) = init {
            let start = self
                .b
                .ins()
                .iadd_imm_u(array, i64::from(layout.elements_offset));
            let count = self.b.ins().uextend(types::I64, len);
            self.fill_elements(&layout, start, count, init)?;
        }
        self.push(array);
        Ok(())
    }

    /// `array.new_fixed $ty n`.
    pub(crate) fn array_new_fixed(&mut self, ty: u32, n: u32) -> Result<()> {
        let values = self.pop_n(n as usize);
        let layout = self.array_layout(ty)?;
        let array = match layout.size(n).and_then(|size| u32::try_from(size).ok()) {
            Some(size) => self.gc_alloc_fixed(ty, size, n),
            // Too large for any heap: the runtime traps.
            None => {
                let len = self.b.ins().iconst(types::I32, i64::from(n));
                self.array_alloc(ty, len)?.0
            }
        };
        for (i, v) in values.into_iter().enumerate() {
            let offset = layout.elements_offset + i as u32 * layout.elem.size();
            self.store_gc(layout.elem, v, array, offset)?;
        }
        self.push(array);
        Ok(())
    }

    /// `array.new_data` / `array.new_elem` of segment `segment`, by the runtime.
    pub(crate) fn array_new_segment(&mut self, builtin: Builtin, ty: u32, segment: u32) {
        let (offset, len) = self.pop2();
        let ty = self.b.ins().iconst(types::I32, i64::from(ty));
        let segment = self.b.ins().iconst(types::I32, i64::from(segment));
        let array = self
            .env
            .call_builtin(&mut self.b, builtin, &[ty, segment, offset, len])
            .expect("returns the array");
        self.b.ins().trapz(array, trap(Trap::HostError));
        self.push(array);
    }

    /// `array.init_data` / `array.init_elem` of segment `segment`, by the runtime (which
    /// also checks for null and bounds).
    pub(crate) fn array_init_segment(&mut self, builtin: Builtin, ty: u32, segment: u32) {
        let (dst, src, count) = self.pop3();
        let array = self.pop();
        let ty = self.b.ins().iconst(types::I32, i64::from(ty));
        let segment = self.b.ins().iconst(types::I32, i64::from(segment));
        let status = self
            .env
            .call_builtin(&mut self.b, builtin, &[array, ty, segment, dst, src, count])
            .expect("returns a status");
        self.b.ins().trapnz(status, trap(Trap::HostError));
    }

    /// Traps unless `array` is non-null; returns its length (an `I32`).
    fn checked_array_len(&mut self, array: Value) -> Value {
        self.b.ins().trapz(array, trap(Trap::NullArrayReference));
        self.b
            .ins()
            .load(types::I32, trusted_flags(), array, gc_header::LENGTH as i32)
    }

    /// Traps unless `start + count` (`I32`s) is at most `len`.
    fn check_array_range(&mut self, start: Value, count: Value, len: Value) {
        let start = self.b.ins().uextend(types::I64, start);
        let count = self.b.ins().uextend(types::I64, count);
        let len = self.b.ins().uextend(types::I64, len);
        let end = self.b.ins().iadd(start, count);
        let past = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
        self.b.ins().trapnz(past, trap(Trap::ArrayOutOfBounds));
    }

    /// The address of element `index` of `array`, after the null and bounds checks.
    fn checked_element(&mut self, array: Value, layout: &ArrayLayout, index: Value) -> Value {
        let len = self.checked_array_len(array);
        let past = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.b.ins().trapnz(past, trap(Trap::ArrayOutOfBounds));
        self.element_addr(array, layout, index)
    }

    /// `array.get*` of `$ty`.
    pub(crate) fn array_get(&mut self, ty: u32, extend: Extend) -> Result<()> {
        let layout = self.array_layout(ty)?;
        let (array, index) = self.pop2();
        let addr = self.checked_element(array, &layout, index);
        let v = self.load_gc(layout.elem, addr, 0, extend)?;
        self.push(v);
        Ok(())
    }

    /// `array.set` of `$ty`.
    pub(crate) fn array_set(&mut self, ty: u32) -> Result<()> {
        let layout = self.array_layout(ty)?;
        let (array, index, v) = self.pop3();
        let addr = self.checked_element(array, &layout, index);
        self.store_gc(layout.elem, v, addr, 0)
    }

    /// `array.len`.
    pub(crate) fn array_len(&mut self) {
        let array = self.pop();
        let len = self.checked_array_len(array);
        self.push(len);
    }

    /// `array.fill $ty`.
    pub(crate) fn array_fill(&mut self, ty: u32) -> Result<()> {
        let layout = self.array_layout(ty)?;
        let (offset, v, count) = self.pop3();
        let array = self.pop();
        let len = self.checked_array_len(array);
        self.check_array_range(offset, count, len);
        let start = self.element_addr(array, &layout, offset);
        let count = self.b.ins().uextend(types::I64, count);
        self.fill_elements(&layout, start, count, v)
    }

    /// `array.copy $dst $src`.
    pub(crate) fn array_copy(&mut self, dst_ty: u32, src_ty: u32) -> Result<()> {
        let dst_layout = self.array_layout(dst_ty)?;
        let src_layout = self.array_layout(src_ty)?;
        let (src, src_offset, count) = self.pop3();
        let (dst, dst_offset) = self.pop2();
        let dst_len = self.checked_array_len(dst);
        let src_len = self.checked_array_len(src);
        self.check_array_range(dst_offset, count, dst_len);
        self.check_array_range(src_offset, count, src_len);
        let to = self.element_addr(dst, &dst_layout, dst_offset);
        let from = self.element_addr(src, &src_layout, src_offset);
        let count = self.b.ins().uextend(types::I64, count);
        let bytes = self
            .b
            .ins()
            .imul_imm_u(count, i64::from(dst_layout.elem.size()));
        self.env
            .call_builtin(&mut self.b, Builtin::gc_copy, &[to, from, bytes]);
        Ok(())
    }

    /// `ref.i31`: the low 31 bits of an `i32`, tagged.
    pub(crate) fn ref_i31(&mut self) {
        let x = self.pop();
        let shifted = self.b.ins().ishl_imm_u(x, 1);
        let tagged = self.b.ins().bor_imm_u(shifted, 1);
        let r = self.b.ins().uextend(types::I64, tagged);
        self.push(r);
    }

    /// `i31.get_s` / `i31.get_u`.
    pub(crate) fn i31_get(&mut self, signed: bool) {
        let r = self.pop();
        self.b.ins().trapz(r, trap(Trap::NullI31Reference));
        let low = self.b.ins().ireduce(types::I32, r);
        let v = if signed {
            self.b.ins().sshr_imm_u(low, 1)
        } else {
            self.b.ins().ushr_imm_u(low, 1)
        };
        self.push(v);
    }

    /// `ref.eq`.
    pub(crate) fn ref_eq(&mut self) {
        let (a, b) = self.pop2();
        let same = self.b.ins().icmp(IntCC::Equal, a, b);
        let v = self.b.ins().uextend(types::I32, same);
        self.push(v);
    }

    /// Whether `r` is a reference of type `ty`: an `I8` 1 or 0.
    fn ref_test_value(&mut self, r: Value, ty: RefType) -> Result<Value> {
        if self.b.func.dfg.value_type(r) == types::I128 {
            bail!("casts of continuation references are not supported yet");
        }
        let done = self.b.create_block();
        self.b.append_block_param(done, types::I8);
        let non_null = self.b.create_block();
        let null_result = self.b.ins().iconst(types::I8, i64::from(ty.is_nullable()));
        self.b
            .ins()
            .brif(r, non_null, &[], done, &[ir::BlockArg::Value(null_result)]);
        self.b.switch_to_block(non_null);
        self.b.seal_block(non_null);
        let v = self.non_null_test(r, ty.heap_type())?;
        self.b.ins().jump(done, &[ir::BlockArg::Value(v)]);
        self.b.switch_to_block(done);
        self.b.seal_block(done);
        Ok(self.b.block_params(done)[0])
    }

    /// Whether `r`, not null, is of heap type `heap`: an `I8`.
    fn non_null_test(&mut self, r: Value, heap: HeapType) -> Result<Value> {
        use AbstractHeapType as A;
        let yes = |t: &mut Self| t.b.ins().iconst(types::I8, 1);
        let no = |t: &mut Self| t.b.ins().iconst(types::I8, 0);
        Ok(match heap {
            HeapType::Abstract { ty, .. } => match ty {
                A::Any | A::Func | A::Extern | A::Exn | A::Cont => yes(self),
                // An i31 or an object; not a host reference made internal.
                A::Eq => {
                    let tag = self.b.ins().band_imm_u(r, REF_TAG_MASK as i64);
                    self.b
                        .ins()
                        .icmp_imm_u(IntCC::NotEqual, tag, HOST_EXTERN_TAG as i64)
                }
                A::None | A::NoFunc | A::NoExtern | A::NoExn | A::NoCont => no(self),
                A::I31 => {
                    let tag = self.b.ins().band_imm_u(r, I31_TAG as i64);
                    self.b.ins().icmp_imm_u(IntCC::NotEqual, tag, 0)
                }
                A::Struct | A::Array => {
                    let cc = if ty == A::Struct {
                        IntCC::Equal
                    } else {
                        IntCC::NotEqual
                    };
                    self.object_test(r, |t, object| {
                        let len = t.b.ins().load(
                            types::I32,
                            trusted_flags(),
                            object,
                            gc_header::LENGTH as i32,
                        );
                        Ok(t.b
                            .ins()
                            .icmp_imm_u(cc, len, i64::from(gc_header::STRUCT_LENGTH)))
                    })?
                }
            },
            heap => {
                let Some(index) = concrete_index(heap) else {
                    bail!("heap type {heap:?} in a cast is not supported yet");
                };
                match self.env.module.types[index as usize] {
                    ModuleType::Func(_) => {
                        let actual = self.b.ins().load(
                            types::I32,
                            trusted_flags(),
                            r,
                            func_ref::TYPE_ID as i32,
                        );
                        self.subtype_test(actual, index)
                    }
                    ModuleType::Struct(_) | ModuleType::Array(_) => {
                        self.object_test(r, |t, object| {
                            let actual = t.b.ins().load(
                                types::I32,
                                trusted_flags(),
                                object,
                                gc_header::TYPE_ID as i32,
                            );
                            Ok(t.subtype_test(actual, index))
                        })?
                    }
                    ModuleType::Cont(_) => {
                        bail!("casts to continuation types are not supported yet")
                    }
                }
            }
        })
    }

    /// `test(object)` if `r` (not null) is an object rather than an `i31` or a host
    /// reference, else 0: an `I8`.
    fn object_test(
        &mut self,
        r: Value,
        test: impl FnOnce(&mut Self, Value) -> Result<Value>,
    ) -> Result<Value> {
        let done = self.b.create_block();
        self.b.append_block_param(done, types::I8);
        let object = self.b.create_block();
        let tag = self.b.ins().band_imm_u(r, REF_TAG_MASK as i64);
        let zero = self.b.ins().iconst(types::I8, 0);
        self.b
            .ins()
            .brif(tag, done, &[ir::BlockArg::Value(zero)], object, &[]);
        self.b.switch_to_block(object);
        self.b.seal_block(object);
        let v = test(self, r)?;
        self.b.ins().jump(done, &[ir::BlockArg::Value(v)]);
        self.b.switch_to_block(done);
        self.b.seal_block(done);
        Ok(self.b.block_params(done)[0])
    }

    /// Whether engine type id `actual` is module type `index` or one of its subtypes: an
    /// `I8`. A final type only matches itself; for other types, see `supertype_test`.
    fn subtype_test(&mut self, actual: Value, index: u32) -> Value {
        let expected = self.env.type_id(&mut self.b, index);
        if self.env.module.sub_types[index as usize].is_final {
            return self.b.ins().icmp(IntCC::Equal, actual, expected);
        }
        self.supertype_test(actual, expected, index)
    }

    /// Whether engine type id `actual` (an `I32`) is `expected`, the engine id of module type
    /// `index`, which is not final, or one of its subtypes: an `I8`. Equal ids match;
    /// otherwise `expected` must be in `actual`'s supertype display (`type_display`) at the
    /// depth of `index`, known here. A type the display table has no entry for asks the
    /// runtime.
    pub(crate) fn supertype_test(&mut self, actual: Value, expected: Value, index: u32) -> Value {
        let depth = self.env.module.type_depth(index);
        let done = self.b.create_block();
        self.b.append_block_param(done, types::I8);
        let display = self.b.create_block();
        let in_table = self.b.create_block();
        let deep = self.b.create_block();
        let shallow = self.b.create_block();
        let runtime = self.b.create_block();
        self.b.set_cold_block(runtime);
        let same = self.b.ins().icmp(IntCC::Equal, actual, expected);
        self.b
            .ins()
            .brif(same, done, &[ir::BlockArg::Value(same)], display, &[]);

        self.b.switch_to_block(display);
        self.b.seal_block(display);
        let capacity = i64::from(type_display::CAPACITY);
        let fits = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThan, actual, capacity);
        self.b.ins().brif(fits, in_table, &[], runtime, &[]);

        self.b.switch_to_block(in_table);
        self.b.seal_block(in_table);
        let table = self.env.vmctx_load(&mut self.b, VMOffsets::TYPE_DISPLAYS);
        let id = self.b.ins().uextend(types::I64, actual);
        let offset = self.b.ins().imul_imm_u(id, i64::from(type_display::SIZE));
        let entry = self.b.ins().iadd(table, offset);
        let flags = trusted_flags();
        let len = self
            .b
            .ins()
            .load(types::I32, flags, entry, type_display::LEN as i32);
        let deep_enough =
            self.b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThan, len, i64::from(depth));
        self.b.ins().brif(deep_enough, deep, &[], shallow, &[]);

        self.b.switch_to_block(deep);
        self.b.seal_block(deep);
        let chain = self
            .b
            .ins()
            .load(types::I64, flags, entry, type_display::SUPERTYPES as i32);
        let at_depth = self
            .b
            .ins()
            .load(types::I32, flags, chain, (depth * 4) as i32);
        let found = self.b.ins().icmp(IntCC::Equal, at_depth, expected);
        self.b.ins().jump(done, &[ir::BlockArg::Value(found)]);

        // Too shallow to be a subtype, unless the entry is missing.
        self.b.switch_to_block(shallow);
        self.b.seal_block(shallow);
        let no = self.b.ins().iconst(types::I8, 0);
        self.b
            .ins()
            .brif(len, done, &[ir::BlockArg::Value(no)], runtime, &[]);

        self.b.switch_to_block(runtime);
        self.b.seal_block(runtime);
        let status = self
            .env
            .call_builtin(&mut self.b, Builtin::check_subtype, &[actual, expected])
            .expect("returns a status");
        let is_subtype = self.b.ins().icmp_imm_u(IntCC::Equal, status, 0);
        self.b.ins().jump(done, &[ir::BlockArg::Value(is_subtype)]);

        self.b.switch_to_block(done);
        self.b.seal_block(done);
        self.b.block_params(done)[0]
    }

    /// `ref.test`.
    pub(crate) fn ref_test(&mut self, ty: RefType) -> Result<()> {
        let r = self.pop();
        let matches = self.ref_test_value(r, ty)?;
        let v = self.b.ins().uextend(types::I32, matches);
        self.push(v);
        Ok(())
    }

    /// `ref.cast`.
    pub(crate) fn ref_cast(&mut self, ty: RefType) -> Result<()> {
        let r = self.pop();
        let matches = self.ref_test_value(r, ty)?;
        self.b.ins().trapz(matches, trap(Trap::CastFailure));
        self.push(r);
        Ok(())
    }

    /// `br_on_cast` (`on_match`) and `br_on_cast_fail` (`!on_match`) to `depth`.
    pub(crate) fn br_on_cast(&mut self, depth: u32, ty: RefType, on_match: bool) -> Result<()> {
        let r = self.pop();
        let matches = self.ref_test_value(r, ty)?;
        self.push(r);
        let (target, n) = self.branch_target(depth);
        let taken = args(&self.peek_n(n));
        let next = self.b.create_block();
        if on_match {
            self.b.ins().brif(matches, target, &taken, next, &[]);
        } else {
            self.b.ins().brif(matches, next, &[], target, &taken);
        }
        self.b.switch_to_block(next);
        self.b.seal_block(next);
        Ok(())
    }
}
