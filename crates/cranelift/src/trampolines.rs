//! Per-signature trampolines between the host's calling convention and wasm's.
//!
//! * array-to-wasm: `extern "C" fn(callee_code, callee_vmctx, caller_vmctx, values)` loads the
//!   arguments from a buffer of 16-byte slots, calls the wasm function, and stores its results
//!   back into the buffer.
//! * wasm-to-host: a wasm-ABI function whose `vmctx` is a host function context; it spills the
//!   arguments into a buffer on its stack, calls the context's callback, traps if the callback
//!   reports an error or rethrows the exception it reports, and returns the results from the
//!   buffer.

use crate::func_env::{trusted_flags, value_slot_flags, value_type, wasm_signature, FuncEnv};
use crate::{trap_code, CompiledText, Compiler};
use anyhow::Result;
use cranelift_codegen::ir::{self, types, AbiParam, InstBuilder, Signature};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use wasmfx_environ::wasmparser::FuncType;
use wasmfx_environ::{host_func_ctx, host_status, Builtin, ModuleInfo, Trap, VAL_SLOT_SIZE};

impl Compiler {
    /// Compiles the array-to-wasm trampoline for functions of type `ty` (of `module`).
    pub fn array_to_wasm(&self, module: &ModuleInfo, ty: &FuncType) -> Result<CompiledText> {
        let mut sig = Signature::new(self.native_call_conv());
        for _ in 0..4 {
            sig.params.push(AbiParam::new(types::I64));
        }
        let mut func = ir::Function::with_name_signature(ir::UserFuncName::default(), sig);
        let mut fb_ctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fb_ctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let p = b.block_params(entry).to_vec();
        let (code, callee_vmctx, caller_vmctx, values) = (p[0], p[1], p[2], p[3]);
        let mut args = vec![callee_vmctx, caller_vmctx];
        for (i, t) in ty.params().iter().enumerate() {
            let t = value_type(module, *t)?;
            let v = b.ins().load(
                t,
                value_slot_flags(t),
                values,
                (i as u32 * VAL_SLOT_SIZE) as i32,
            );
            args.push(v);
        }
        let wasm_sig = b.import_signature(wasm_signature(module, ty)?);
        let call = b.ins().call_indirect(wasm_sig, code, &args);
        let results = b.inst_results(call).to_vec();
        for (i, r) in results.into_iter().enumerate() {
            let flags = value_slot_flags(b.func.dfg.value_type(r));
            b.ins()
                .store(flags, r, values, (i as u32 * VAL_SLOT_SIZE) as i32);
        }
        b.ins().return_(&[]);
        b.finalize(self.isa.frontend_config());
        self.compile_single(func)
    }

    /// Compiles the wasm-to-host trampoline for host functions of type `ty` (of `module`; a
    /// type with only abstract reference types needs no module: pass an empty one).
    pub fn wasm_to_host(&self, module: &ModuleInfo, ty: &FuncType) -> Result<CompiledText> {
        let sig = wasm_signature(module, ty)?;
        let mut func = ir::Function::with_name_signature(ir::UserFuncName::default(), sig);
        let mut fb_ctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fb_ctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let p = b.block_params(entry).to_vec();
        let (host_ctx, caller_vmctx) = (p[0], p[1]);
        let slots = ty.params().len().max(ty.results().len()).max(1) as u32;
        let slot = b.create_sized_stack_slot(ir::StackSlotData::new(
            ir::StackSlotKind::ExplicitSlot,
            slots * VAL_SLOT_SIZE,
            4,
        ));
        let values = b.ins().stack_addr(types::I64, slot, 0);
        for (i, v) in p[2..].iter().enumerate() {
            let flags = value_slot_flags(b.func.dfg.value_type(*v));
            b.ins()
                .store(flags, *v, values, (i as u32 * VAL_SLOT_SIZE) as i32);
        }
        let mut cb_sig = Signature::new(self.native_call_conv());
        for _ in 0..5 {
            cb_sig.params.push(AbiParam::new(types::I64));
        }
        cb_sig.returns.push(AbiParam::new(types::I32));
        let cb_sig = b.import_signature(cb_sig);
        let callback = b.ins().load(
            types::I64,
            trusted_flags(),
            host_ctx,
            host_func_ctx::CALLBACK as i32,
        );
        let len = b.ins().iconst(types::I64, i64::from(slots));
        // This frame's record links to the calling wasm frame: the collector walks from it.
        let frame = b.ins().get_frame_pointer(types::I64);
        let call = b.ins().call_indirect(
            cb_sig,
            callback,
            &[host_ctx, caller_vmctx, values, len, frame],
        );
        let status = b.inst_results(call)[0];
        let failed = b.create_block();
        let returned = b.create_block();
        b.ins().brif(status, failed, &[], returned, &[]);
        b.switch_to_block(failed);
        b.seal_block(failed);
        let rethrow = b.create_block();
        let error = b.create_block();
        let is_rethrow = b.ins().icmp_imm_u(
            ir::condcodes::IntCC::Equal,
            status,
            i64::from(host_status::RETHROW),
        );
        b.ins().brif(is_rethrow, rethrow, &[], error, &[]);
        b.switch_to_block(rethrow);
        b.seal_block(rethrow);
        // The caller is wasm (the callback checked): unwind from here as if it threw.
        let exn = b.ins().load(types::I64, trusted_flags(), values, 0);
        let mut env = FuncEnv::new(module, self.native_call_conv());
        env.vmctx = caller_vmctx;
        let (sig, fptr) = env.builtin_callee(&mut b, Builtin::throw_ref);
        b.ins().call_indirect(sig, fptr, &[caller_vmctx, exn]);
        b.ins().jump(error, &[]);
        b.switch_to_block(error);
        b.seal_block(error);
        b.ins().trap(trap_code(Trap::HostError));
        b.switch_to_block(returned);
        b.seal_block(returned);
        let mut results = Vec::new();
        for (i, t) in ty.results().iter().enumerate() {
            let t = value_type(module, *t)?;
            results.push(b.ins().load(
                t,
                value_slot_flags(t),
                values,
                (i as u32 * VAL_SLOT_SIZE) as i32,
            ));
        }
        b.ins().return_(&results);
        b.finalize(self.isa.frontend_config());
        self.compile_single(func)
    }
}
