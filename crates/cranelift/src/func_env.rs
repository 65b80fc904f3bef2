//! Access to an instance's runtime state from generated code: the `VMContext` fields
//! (memories, tables, globals, function references), builtin calls, and the signatures of
//! wasm functions.

use cranelift_codegen::ir::{
    self, types, AbiParam, ArgumentPurpose, InstBuilder, MemFlagsData, Signature, Type, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;
use std::collections::HashMap;
use wasmfx_environ::wasmparser::{FuncType, ValType};
use wasmfx_environ::{
    memory_def, store_context, table_def, Builtin, BuiltinType, ModuleInfo, TableElemType,
    VMOffsets, PTR_SIZE,
};

/// The calling convention of every wasm function (and of calls between them).
pub const WASM_CALL_CONV: CallConv = CallConv::Tail;

/// The Cranelift type of a wasm value type of `module`, or an error for types not compiled
/// yet. Continuation references are 128-bit fat pointers (object pointer in the low half,
/// revision in the high half); every other reference is one pointer-sized word.
pub fn value_type(module: &ModuleInfo, ty: ValType) -> anyhow::Result<Type> {
    Ok(match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        // The canonical type of a `v128` on the operand stack and in signatures; instructions
        // that see it as other lanes bitcast it (see `simd`).
        ValType::V128 => types::I8X16,
        ValType::Ref(r) if module.ref_repr(r) == TableElemType::ContRef => types::I128,
        ValType::Ref(_) => types::I64,
    })
}

/// The signature of a wasm function of type `ty` (of `module`): callee vmctx, caller vmctx,
/// then the wasm parameters; the wasm results.
pub fn wasm_signature(module: &ModuleInfo, ty: &FuncType) -> anyhow::Result<Signature> {
    let mut sig = Signature::new(WASM_CALL_CONV);
    sig.params
        .push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(types::I64));
    for p in ty.params() {
        sig.params.push(AbiParam::new(value_type(module, *p)?));
    }
    for r in ty.results() {
        sig.returns.push(AbiParam::new(value_type(module, *r)?));
    }
    Ok(sig)
}

fn builtin_type(ty: BuiltinType) -> Type {
    match ty {
        BuiltinType::I32 => types::I32,
        BuiltinType::I64 | BuiltinType::Ptr => types::I64,
    }
}

/// The native signature of a builtin: vmctx first, then its parameters.
pub fn builtin_signature(b: Builtin, call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(types::I64));
    for p in b.params() {
        sig.params.push(AbiParam::new(builtin_type(*p)));
    }
    for r in b.results() {
        sig.returns.push(AbiParam::new(builtin_type(*r)));
    }
    sig
}

/// Flags for loads of `VMContext` fields that never change during an instance's life.
pub fn readonly_flags() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// Flags for loads of a function reference's fields, which never change. Not movable: the
/// reference may be null until the check before the load has passed, and a load hoisted
/// above that check (out of a loop, say) would fault where no trap is expected.
pub fn func_ref_flags() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly()
}

/// Flags for loads and stores of runtime data that may change.
pub fn trusted_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Flags for a value of type `ty` in a runtime-owned 16-byte value slot (globals, value
/// arrays, continuation and exception payloads): trusted, but a `v128` is not claimed to be
/// 16-byte aligned, so Cranelift never folds its load into an SSE instruction that requires
/// that alignment.
pub fn value_slot_flags(ty: Type) -> MemFlagsData {
    if ty.is_vector() {
        MemFlagsData::new().with_notrap()
    } else {
        trusted_flags()
    }
}

/// Per-function view of the module and its `VMContext`.
pub struct FuncEnv<'m> {
    /// The module being compiled.
    pub module: &'m ModuleInfo,
    /// Its `VMContext` layout.
    pub offsets: VMOffsets,
    /// The native calling convention (for builtins and host calls).
    pub native_call_conv: CallConv,
    /// The `VMContext` of the function being compiled.
    pub vmctx: Value,
    /// Which fuel and epoch checks to generate.
    pub tunables: wasmfx_environ::Tunables,
    builtin_sigs: HashMap<usize, ir::SigRef>,
    wasm_sigs: HashMap<u32, ir::SigRef>,
}

impl<'m> FuncEnv<'m> {
    /// A view of `module` for one function.
    pub fn new(module: &'m ModuleInfo, native_call_conv: CallConv) -> Self {
        FuncEnv {
            module,
            offsets: VMOffsets::new(module),
            native_call_conv,
            vmctx: Value::from_u32(0), // replaced by the entry block parameter
            tunables: wasmfx_environ::Tunables::default(),
            builtin_sigs: HashMap::new(),
            wasm_sigs: HashMap::new(),
        }
    }

    /// The Cranelift type of wasm value type `ty` of this module.
    pub fn value_type(&self, ty: ValType) -> anyhow::Result<Type> {
        value_type(self.module, ty)
    }

    /// Whether values of wasm type `ty` are references the collector must find in frames:
    /// those of the `any` and `extern` hierarchies (GC objects; `externref` may hold one),
    /// exception references and continuation references (their continuations).
    pub fn needs_stack_map(&self, ty: ValType) -> bool {
        match ty {
            ValType::Ref(r) => self.module.ref_repr(r) != TableElemType::FuncRef,
            _ => false,
        }
    }

    /// The Cranelift types of the parameters and results of function type `index`.
    pub fn func_value_types(&self, index: u32) -> anyhow::Result<(Vec<Type>, Vec<Type>)> {
        let f = self.module.func_type_at(index);
        let params = f.params().iter().map(|t| self.value_type(*t));
        let results = f.results().iter().map(|t| self.value_type(*t));
        Ok((
            params.collect::<anyhow::Result<_>>()?,
            results.collect::<anyhow::Result<_>>()?,
        ))
    }

    /// The Cranelift types of the parameters and results of tag `tag`.
    pub fn tag_value_types(&self, tag: u32) -> anyhow::Result<(Vec<Type>, Vec<Type>)> {
        self.func_value_types(self.module.tags[tag as usize])
    }

    /// Load a pointer-sized field of the `VMContext` that never changes.
    pub fn vmctx_load(&self, b: &mut FunctionBuilder, offset: u32) -> Value {
        b.ins()
            .load(types::I64, readonly_flags(), self.vmctx, offset as i32)
    }

    /// The `VMMemoryDefinition` pointer of memory `index`.
    pub fn memory_def(&self, b: &mut FunctionBuilder, index: u32) -> Value {
        self.vmctx_load(b, self.offsets.memory(index))
    }

    /// The base address of memory `index` (constant for the memory's lifetime, kept in the
    /// vmctx).
    pub fn memory_base(&self, b: &mut FunctionBuilder, index: u32) -> Value {
        self.vmctx_load(b, self.offsets.memory_base(index))
    }

    /// The current byte length of memory `index`.
    pub fn memory_length(&self, b: &mut FunctionBuilder, index: u32) -> Value {
        let def = self.memory_def(b, index);
        b.ins()
            .load(types::I64, trusted_flags(), def, memory_def::LENGTH as i32)
    }

    /// The `VMTableDefinition` pointer of table `index`.
    pub fn table_def(&self, b: &mut FunctionBuilder, index: u32) -> Value {
        self.vmctx_load(b, self.offsets.table(index))
    }

    /// The byte width of one element of table `index`.
    pub fn table_elem_size(&self, index: u32) -> u32 {
        self.module.table_elem_type(index).elem_size() as u32
    }

    /// The Cranelift type of the elements of table `index`.
    pub fn table_elem_value_type(&self, index: u32) -> Type {
        let elem = self.module.tables[index as usize].ty.element_type;
        value_type(self.module, ValType::Ref(elem)).expect("reference types always compile")
    }

    /// The address of element `elem` (an i32, or an i64 for a 64-bit table) of table `index`,
    /// trapping with `trap` when it is out of bounds.
    pub fn table_elem_addr(
        &self,
        b: &mut FunctionBuilder,
        index: u32,
        elem: Value,
        trap: ir::TrapCode,
    ) -> Value {
        let def = self.table_def(b, index);
        let len = b
            .ins()
            .load(types::I64, trusted_flags(), def, table_def::LENGTH as i32);
        let elem = if b.func.dfg.value_type(elem) == types::I64 {
            elem
        } else {
            b.ins().uextend(types::I64, elem)
        };
        let in_bounds = b
            .ins()
            .icmp(ir::condcodes::IntCC::UnsignedLessThan, elem, len);
        b.ins().trapz(in_bounds, trap);
        let base = b
            .ins()
            .load(types::I64, trusted_flags(), def, table_def::BASE as i32);
        let scaled = b
            .ins()
            .imul_imm_u(elem, i64::from(self.table_elem_size(index)));
        b.ins().iadd(base, scaled)
    }

    /// Where global `index`'s value is, as a base and an offset: a defined global inline in
    /// the vmctx, an imported one through its `VMGlobalDefinition` pointer.
    pub fn global_addr(&self, b: &mut FunctionBuilder, index: u32) -> (Value, i32) {
        if self.offsets.is_defined_global(index) {
            (self.vmctx, self.offsets.defined_global(index) as i32)
        } else {
            (self.vmctx_load(b, self.offsets.global(index)), 0)
        }
    }

    /// The `VMFuncRef` pointer of function `index`.
    pub fn func_ref(&self, b: &mut FunctionBuilder, index: u32) -> Value {
        self.vmctx_load(b, self.offsets.func_ref(index))
    }

    /// The engine-wide type id of module type `index`.
    pub fn type_id(&self, b: &mut FunctionBuilder, index: u32) -> Value {
        let ids = self.vmctx_load(b, VMOffsets::TYPE_IDS);
        b.ins()
            .load(types::I32, readonly_flags(), ids, (index * 4) as i32)
    }

    /// The signature reference for wasm type `index` in the current function.
    pub fn wasm_sig(&mut self, b: &mut FunctionBuilder, index: u32) -> anyhow::Result<ir::SigRef> {
        if let Some(s) = self.wasm_sigs.get(&index) {
            return Ok(*s);
        }
        let sig = wasm_signature(self.module, self.module.func_type_at(index))?;
        let sig = b.import_signature(sig);
        self.wasm_sigs.insert(index, sig);
        Ok(sig)
    }

    /// The signature and address of builtin `builtin`, for a call whose first argument is
    /// the vmctx.
    pub fn builtin_callee(
        &mut self,
        b: &mut FunctionBuilder,
        builtin: Builtin,
    ) -> (ir::SigRef, Value) {
        let sig = match self.builtin_sigs.get(&builtin.index()) {
            Some(s) => *s,
            None => {
                let conv = if builtin.is_tail_conv() {
                    WASM_CALL_CONV
                } else {
                    self.native_call_conv
                };
                let s = b.import_signature(builtin_signature(builtin, conv));
                self.builtin_sigs.insert(builtin.index(), s);
                s
            }
        };
        let table = self.vmctx_load(b, VMOffsets::BUILTINS);
        let fptr = b.ins().load(
            types::I64,
            readonly_flags(),
            table,
            (builtin.index() as u32 * PTR_SIZE) as i32,
        );
        (sig, fptr)
    }

    /// Call builtin `builtin` with `args` (after the vmctx), returning its result if any.
    pub fn call_builtin(
        &mut self,
        b: &mut FunctionBuilder,
        builtin: Builtin,
        args: &[Value],
    ) -> Option<Value> {
        let (sig, fptr) = self.builtin_callee(b, builtin);
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.vmctx);
        all.extend_from_slice(args);
        // A builtin that may collect learns where this frame is (its stack pointer is the
        // same at the call, the frame being fixed), and forgets it when it returns.
        let store = builtin
            .may_collect()
            .then(|| self.vmctx_load(b, VMOffsets::STORE_CONTEXT));
        if let Some(store) = store {
            let sp = b.ins().get_stack_pointer(types::I64);
            let fp = b.ins().get_frame_pointer(types::I64);
            b.ins().store(
                trusted_flags(),
                sp,
                store,
                store_context::LAST_WASM_SP as i32,
            );
            b.ins().store(
                trusted_flags(),
                fp,
                store,
                store_context::LAST_WASM_FP as i32,
            );
        }
        let call = b.ins().call_indirect(sig, fptr, &all);
        if let Some(store) = store {
            let zero = b.ins().iconst(types::I64, 0);
            b.ins().store(
                trusted_flags(),
                zero,
                store,
                store_context::LAST_WASM_SP as i32,
            );
        }
        b.inst_results(call).first().copied()
    }
}
