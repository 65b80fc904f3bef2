//! Lowering of the stack-switching instructions: `cont.new`, `cont.bind`, `resume` and
//! `suspend`.
//!
//! A continuation reference is an `I128` fat pointer: the `VMContRef` address in the low half
//! and the revision it is valid for in the high half. Consuming instructions check and bump the
//! object's revision. `resume` installs its handler tags on the continuation, links it below the
//! current one and switches to the innermost stack of the segment with `stack_switch`;
//! `suspend` walks the chain of running continuations for a handler of its tag in generated
//! code and switches once, directly to that handler's resumer.

use crate::func_env::trusted_flags;
use crate::translate::{args, trap, FuncTranslator};
use anyhow::{bail, Result};
use cranelift_codegen::ir::{self, condcodes::IntCC, types, InstBuilder, Type, Value};
use wasmfx_environ::wasmparser::{Handle, ResumeTable};
use wasmfx_environ::{cont, cont_signal, store_context, Builtin, ModuleType, Trap, VAL_SLOT_SIZE};

impl FuncTranslator<'_, '_> {
    /// The parameter and result types of the function type of continuation type `ct`.
    fn cont_func_types(&self, ct: u32) -> Result<(Vec<Type>, Vec<Type>)> {
        let ModuleType::Cont(ft) = self.env.module.types[ct as usize] else {
            bail!("type {ct} is not a continuation type");
        };
        self.env.func_value_types(ft)
    }

    fn store_context(&mut self) -> Value {
        self.env
            .vmctx_load(&mut self.b, wasmfx_environ::VMOffsets::STORE_CONTEXT)
    }

    fn load_field(&mut self, ty: Type, base: Value, offset: u32) -> Value {
        self.b.ins().load(ty, trusted_flags(), base, offset as i32)
    }

    fn store_field(&mut self, v: Value, base: Value, offset: u32) {
        self.b.ins().store(trusted_flags(), v, base, offset as i32);
    }

    /// Builds a fat pointer from an object address and a revision.
    fn make_fat(&mut self, ptr: Value, revision: Value) -> Value {
        let lo = self.b.ins().uextend(types::I128, ptr);
        let hi = self.b.ins().uextend(types::I128, revision);
        let hi = self.b.ins().ishl_imm_u(hi, 64);
        self.b.ins().bor(lo, hi)
    }

    /// Checks fat pointer `r` (null, then revision) and consumes it: the object's revision
    /// is bumped. Returns the object and its new revision.
    fn consume(&mut self, r: Value) -> (Value, Value) {
        let ptr = self.b.ins().ireduce(types::I64, r);
        let hi = self.b.ins().ushr_imm_u(r, 64);
        let revision = self.b.ins().ireduce(types::I64, hi);
        self.b
            .ins()
            .trapz(ptr, trap(Trap::NullContinuationReference));
        let current = self.load_field(types::I64, ptr, cont::REVISION);
        let stale = self.b.ins().icmp(IntCC::NotEqual, current, revision);
        self.b
            .ins()
            .trapnz(stale, trap(Trap::ContinuationAlreadyConsumed));
        let next = self.b.ins().iadd_imm_u(revision, 1);
        self.store_field(next, ptr, cont::REVISION);
        (ptr, next)
    }

    /// The payload buffer of `c`, with room for `slots` slots.
    fn payload_with_room(&mut self, c: Value, slots: Value) -> Value {
        let cap = self.load_field(types::I32, c, cont::PAYLOAD_CAPACITY);
        let short = self.b.ins().icmp(IntCC::UnsignedLessThan, cap, slots);
        let grow = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().brif(short, grow, &[], done, &[]);
        self.b.switch_to_block(grow);
        self.b.seal_block(grow);
        self.env
            .call_builtin(&mut self.b, Builtin::cont_reserve, &[c, slots]);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        self.b.seal_block(done);
        self.load_field(types::I64, c, cont::PAYLOAD)
    }

    /// Writes `values` into `c`'s payload buffer from slot `first` (an `i32`).
    fn write_payload(&mut self, c: Value, first: Value, values: &[Value]) {
        if values.is_empty() {
            return;
        }
        let end = self.b.ins().iadd_imm_u(first, values.len() as i64);
        let buf = self.payload_with_room(c, end);
        let first = self.b.ins().uextend(types::I64, first);
        let offset = self.b.ins().imul_imm_u(first, i64::from(VAL_SLOT_SIZE));
        let base = self.b.ins().iadd(buf, offset);
        for (i, v) in values.iter().enumerate() {
            self.store_field(*v, base, i as u32 * VAL_SLOT_SIZE);
        }
    }

    /// Reads values of `tys` from the start of `c`'s payload buffer.
    fn read_payload(&mut self, c: Value, tys: &[Type]) -> Vec<Value> {
        if tys.is_empty() {
            return Vec::new();
        }
        let buf = self.load_field(types::I64, c, cont::PAYLOAD);
        tys.iter()
            .enumerate()
            .map(|(i, t)| self.load_field(*t, buf, i as u32 * VAL_SLOT_SIZE))
            .collect()
    }

    /// `cont.new $ct`
    pub(crate) fn cont_new(&mut self) {
        let f = self.pop();
        self.b.ins().trapz(f, trap(Trap::NullFunctionReference));
        let c = self
            .env
            .call_builtin(&mut self.b, Builtin::cont_new, &[f])
            .expect("object result");
        self.b.ins().trapz(c, trap(Trap::HostError));
        let revision = self.load_field(types::I64, c, cont::REVISION);
        let fat = self.make_fat(c, revision);
        self.push(fat);
    }

    /// `cont.bind $ct1 $ct2`
    pub(crate) fn cont_bind(&mut self, from: u32, to: u32) -> Result<()> {
        let n = self.cont_func_types(from)?.0.len() - self.cont_func_types(to)?.0.len();
        let r = self.pop();
        let (c, revision) = self.consume(r);
        let values = self.pop_n(n);
        let bound = self.load_field(types::I32, c, cont::BOUND);
        self.write_payload(c, bound, &values);
        let bound = self.b.ins().iadd_imm_u(bound, n as i64);
        self.store_field(bound, c, cont::BOUND);
        let fat = self.make_fat(c, revision);
        self.push(fat);
        Ok(())
    }

    /// `resume $ct (on $tag $label)*`
    pub(crate) fn resume(&mut self, ct: u32, table: &ResumeTable, offset: u64) -> Result<()> {
        let mut clauses = Vec::new();
        for h in &table.handlers {
            match *h {
                Handle::OnLabel { tag, label } => clauses.push((tag, label)),
                Handle::OnSwitch { .. } => bail!(
                    "`resume` with `(on $tag switch)` (at offset {offset:#x}) is not supported yet"
                ),
            }
        }
        let mut clause_types = Vec::new();
        for (tag, _) in &clauses {
            clause_types.push(self.env.tag_value_types(*tag)?.0);
        }
        let (params, results) = self.cont_func_types(ct)?;
        let r = self.pop();
        let (c, _) = self.consume(r);
        let values = self.pop_n(params.len());
        let bound = self.load_field(types::I32, c, cont::BOUND);
        self.write_payload(c, bound, &values);
        let zero32 = self.b.ins().iconst(types::I32, 0);
        self.store_field(zero32, c, cont::BOUND);

        // The handler tags, in a slot of this frame, for `suspend` to search.
        let slot = self.b.create_sized_stack_slot(ir::StackSlotData::new(
            ir::StackSlotKind::ExplicitSlot,
            (clauses.len().max(1) * 8) as u32,
            3,
        ));
        let handlers = self.b.ins().stack_addr(types::I64, slot, 0);
        for (i, (tag, _)) in clauses.iter().enumerate() {
            let identity = self.env.vmctx_load(&mut self.b, self.env.offsets.tag(*tag));
            self.store_field(identity, handlers, (i * 8) as u32);
        }
        self.store_field(handlers, c, cont::HANDLERS);
        let count = self.b.ins().iconst(types::I32, clauses.len() as i64);
        self.store_field(count, c, cont::NUM_HANDLERS);

        // Link and switch to the innermost stack of the segment `c` heads.
        let sc = self.store_context();
        let current = self.load_field(types::I64, sc, store_context::CURRENT_CONT);
        self.store_field(current, c, cont::PARENT);
        let limit = self.load_field(types::I64, sc, store_context::STACK_LIMIT);
        self.store_field(limit, c, cont::PARENT_STACK_LIMIT);
        let target = self.load_field(types::I64, c, cont::LAST_ANCESTOR);
        self.store_field(target, sc, store_context::CURRENT_CONT);
        let target_limit = self.load_field(types::I64, target, cont::STACK_LIMIT);
        self.store_field(target_limit, sc, store_context::STACK_LIMIT);
        let parent_ctx = self.load_field(types::I64, c, cont::PARENT_CTX);
        let target_ctx = self.b.ins().iadd_imm_u(target, i64::from(cont::CTX));
        let zero = self.b.ins().iconst(types::I64, 0);
        let signal = self.b.ins().stack_switch(parent_ctx, target_ctx, zero);

        // Back on this stack: restore the chain and the stack limit.
        let parent = self.load_field(types::I64, c, cont::PARENT);
        self.store_field(parent, sc, store_context::CURRENT_CONT);
        let limit = self.load_field(types::I64, c, cont::PARENT_STACK_LIMIT);
        self.store_field(limit, sc, store_context::STACK_LIMIT);

        let kind = self.b.ins().ireduce(types::I32, signal);
        let returned = self.b.create_block();
        let not_returned = self.b.create_block();
        let threw = self.b.create_block();
        let suspended = self.b.create_block();
        let after = self.b.create_block();
        for t in &results {
            self.b.append_block_param(after, *t);
        }
        let is_return = self
            .b
            .ins()
            .icmp_imm_u(IntCC::Equal, kind, cont_signal::RETURNED as i64);
        self.b
            .ins()
            .brif(is_return, returned, &[], not_returned, &[]);
        self.b.switch_to_block(not_returned);
        self.b.seal_block(not_returned);
        let is_throw = self
            .b
            .ins()
            .icmp_imm_u(IntCC::Equal, kind, cont_signal::THREW as i64);
        self.b.ins().brif(is_throw, threw, &[], suspended, &[]);

        // Returned: take the results and recycle the continuation.
        self.b.switch_to_block(returned);
        self.b.seal_block(returned);
        let values = self.read_payload(c, &results);
        self.env
            .call_builtin(&mut self.b, Builtin::cont_recycle, &[c]);
        self.b.ins().jump(after, &args(&values));

        // An exception escaped: recycle, then rethrow it here.
        self.b.switch_to_block(threw);
        self.b.seal_block(threw);
        let exn = self.read_payload(c, &[types::I64])[0];
        self.env
            .call_builtin(&mut self.b, Builtin::cont_recycle, &[c]);
        self.throw(exn);

        // Suspended to handler `signal >> 32`: branch to its label with the tag's arguments
        // and the continuation.
        self.b.switch_to_block(suspended);
        self.b.seal_block(suspended);
        let index = self.b.ins().ushr_imm_u(signal, 32);
        let index = self.b.ins().ireduce(types::I32, index);
        let targets: Vec<ir::Block> = clauses.iter().map(|_| self.b.create_block()).collect();
        let bad = self.b.create_block();
        let default = self.b.func.dfg.block_call(bad, &[]);
        let calls: Vec<_> = targets
            .iter()
            .map(|t| self.b.func.dfg.block_call(*t, &[]))
            .collect();
        let jt = self
            .b
            .create_jump_table(ir::JumpTableData::new(default, &calls));
        self.b.ins().br_table(index, jt);
        for (((_, label), tys), block) in clauses.iter().zip(&clause_types).zip(&targets) {
            self.b.switch_to_block(*block);
            self.b.seal_block(*block);
            let (dest, _) = self.branch_target(*label);
            let mut values = self.read_payload(c, tys);
            let revision = self.load_field(types::I64, c, cont::REVISION);
            let fat = self.make_fat(c, revision);
            values.push(fat);
            self.b.ins().jump(dest, &args(&values));
        }
        self.b.switch_to_block(bad);
        self.b.seal_block(bad);
        self.b.ins().trap(trap(Trap::Unreachable));

        self.b.switch_to_block(after);
        self.b.seal_block(after);
        let results = self.b.block_params(after).to_vec();
        self.stack_extend(results);
        self.set_reachable();
        Ok(())
    }

    /// `suspend $tag`
    pub(crate) fn suspend(&mut self, tag: u32) -> Result<()> {
        let (params, results) = self.env.tag_value_types(tag)?;
        let identity = self.env.vmctx_load(&mut self.b, self.env.offsets.tag(tag));
        let sc = self.store_context();
        let current = self.load_field(types::I64, sc, store_context::CURRENT_CONT);

        // Search the chain of running continuations for a resume handling `tag`.
        let chain = self.b.create_block();
        self.b.append_block_param(chain, types::I64);
        let scan = self.b.create_block();
        self.b.append_block_param(scan, types::I32);
        let next = self.b.create_block();
        let unhandled = self.b.create_block();
        let found = self.b.create_block();
        self.b.append_block_param(found, types::I32);
        let ins_c = [ir::BlockArg::Value(current)];
        self.b.ins().jump(chain, &ins_c);

        self.b.switch_to_block(chain);
        let c = self.b.block_params(chain)[0];
        let zero = self.b.ins().iconst(types::I32, 0);
        self.b
            .ins()
            .brif(c, scan, &[ir::BlockArg::Value(zero)], unhandled, &[]);

        self.b.switch_to_block(scan);
        let i = self.b.block_params(scan)[0];
        let n = self.load_field(types::I32, c, cont::NUM_HANDLERS);
        let past = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, i, n);
        let check = self.b.create_block();
        self.b.ins().brif(past, next, &[], check, &[]);
        self.b.switch_to_block(check);
        self.b.seal_block(check);
        let handlers = self.load_field(types::I64, c, cont::HANDLERS);
        let i64v = self.b.ins().uextend(types::I64, i);
        let off = self.b.ins().imul_imm_u(i64v, 8);
        let addr = self.b.ins().iadd(handlers, off);
        let handled = self.load_field(types::I64, addr, 0);
        let hit = self.b.ins().icmp(IntCC::Equal, handled, identity);
        let i1 = self.b.ins().iadd_imm_u(i, 1);
        self.b.ins().brif(
            hit,
            found,
            &[ir::BlockArg::Value(i)],
            scan,
            &[ir::BlockArg::Value(i1)],
        );
        self.b.seal_block(scan);

        self.b.switch_to_block(next);
        self.b.seal_block(next);
        let parent = self.load_field(types::I64, c, cont::PARENT);
        self.b.ins().jump(chain, &[ir::BlockArg::Value(parent)]);
        self.b.seal_block(chain);

        self.b.switch_to_block(unhandled);
        self.b.seal_block(unhandled);
        self.env
            .call_builtin(&mut self.b, Builtin::unhandled_tag, &[identity]);
        self.b.ins().trap(trap(Trap::HostError));

        // Found handler `index` on the resume of `c`: pass the arguments, switch once.
        self.b.switch_to_block(found);
        self.b.seal_block(found);
        let index = self.b.block_params(found)[0];
        let values = self.pop_n(params.len());
        let zero = self.b.ins().iconst(types::I32, 0);
        self.write_payload(c, zero, &values);
        // The innermost running continuation (read before the search) is suspended with `c`.
        self.store_field(current, c, cont::LAST_ANCESTOR);
        let own_ctx = self.b.ins().iadd_imm_u(current, i64::from(cont::CTX));
        let parent_ctx = self.load_field(types::I64, c, cont::PARENT_CTX);
        let index = self.b.ins().uextend(types::I64, index);
        let index = self.b.ins().ishl_imm_u(index, 32);
        let signal = self.b.ins().bor_imm_u(index, cont_signal::SUSPENDED as i64);
        self.b.ins().stack_switch(own_ctx, parent_ctx, signal);
        // Resumed: the resume's arguments are in `c`'s payload buffer.
        let values = self.read_payload(c, &results);
        self.stack_extend(values);
        Ok(())
    }
}
