//! Lowering of the stack-switching instructions: `cont.new`, `cont.bind`, `resume`,
//! `resume_throw`, `resume_throw_ref`, `suspend` and `switch`.
//!
//! A continuation reference is an `I128` fat pointer: the `VMContRef` address in the low half
//! and the revision it is valid for in the high half. Consuming instructions check and bump the
//! object's revision. `resume` installs its handler tags on the continuation, links it below the
//! current one and switches to the innermost stack of the segment with `stack_switch`;
//! `suspend` walks the chain of running continuations for a handler of its tag in generated
//! code and switches once, directly to that handler's resumer.

use crate::func_env::value_slot_flags;
use crate::translate::{args, trap, FuncTranslator};
use anyhow::{bail, Result};
use cranelift_codegen::ir::{self, condcodes::IntCC, types, InstBuilder, Type, Value};
use wasmfx_environ::wasmparser::{Handle, ResumeTable};
use wasmfx_environ::{
    concrete_index, cont, cont_reset, cont_signal, handler_record, resume_signal, stack_context,
    store_context, Builtin, ModuleType, Trap, PTR_SIZE, VAL_SLOT_SIZE,
};

impl FuncTranslator<'_, '_> {
    /// The parameter and result types of the function type of continuation type `ct`.
    fn cont_func_types(&self, ct: u32) -> Result<(Vec<Type>, Vec<Type>)> {
        self.env.func_value_types(self.cont_func_type(ct)?)
    }

    /// The index of the function type of continuation type `ct`.
    fn cont_func_type(&self, ct: u32) -> Result<u32> {
        match self.env.module.types[ct as usize] {
            ModuleType::Cont(ft) => Ok(ft),
            _ => bail!("type {ct} is not a continuation type"),
        }
    }

    pub(crate) fn store_context(&mut self) -> Value {
        self.env
            .vmctx_load(&mut self.b, wasmfx_environ::VMOffsets::STORE_CONTEXT)
    }

    /// Loads a word at the saved stack pointer and at the saved frame pointer of the innermost
    /// stack of `c`'s segment, for their cache lines only (`resume` and `switch` do this
    /// first). A stack switched to has usually been idle (c10m resumes 10,000 of them in turn,
    /// the sieve thousands of filters), and the code resumed there loads from that frame at
    /// once: issued here, the misses overlap with the rest of the sequence instead of
    /// following the switch (c10m 23% and the sieve 28% faster). The loads may trap as far as
    /// Cranelift knows, so they are kept though their values are unused; they never do (the
    /// saved pointers are inside that stack: a fresh continuation's point at its start
    /// frame).
    /// Returns that innermost continuation, the one to switch to.
    fn touch_saved_frame(&mut self, c: Value) -> Value {
        let innermost = self.load_field(types::I64, c, cont::LAST_ANCESTOR);
        let flags = ir::MemFlagsData::new().with_aligned();
        for word in [stack_context::SP, stack_context::FP] {
            let at = self.load_field(types::I64, innermost, cont::CTX + word);
            self.b.ins().load(types::I64, flags, at, 0);
        }
        innermost
    }

    fn load_field(&mut self, ty: Type, base: Value, offset: u32) -> Value {
        self.b
            .ins()
            .load(ty, value_slot_flags(ty), base, offset as i32)
    }

    fn store_field(&mut self, v: Value, base: Value, offset: u32) {
        let flags = value_slot_flags(self.b.func.dfg.value_type(v));
        self.b.ins().store(flags, v, base, offset as i32);
    }

    /// Builds a fat pointer from an object address and a revision.
    fn make_fat(&mut self, ptr: Value, revision: Value) -> Value {
        // A register pair: no shifting.
        self.b.ins().iconcat(ptr, revision)
    }

    /// A fat pointer to object `c` for its current revision.
    fn fat_ref(&mut self, c: Value) -> Value {
        let revision = self.load_field(types::I64, c, cont::REVISION);
        self.make_fat(c, revision)
    }

    /// Checks fat pointer `r` (null, then revision) and consumes it: the object's revision
    /// is bumped. Returns the object and its new revision.
    fn consume(&mut self, r: Value) -> (Value, Value) {
        let (ptr, revision) = self.ref_words(r);
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
        self.read_slots(c, cont::PAYLOAD, tys)
    }

    /// Reads values of `tys` from the start of the buffer `c`'s field `field` points to.
    fn read_slots(&mut self, c: Value, field: u32, tys: &[Type]) -> Vec<Value> {
        if tys.is_empty() {
            return Vec::new();
        }
        let buf = self.load_field(types::I64, c, field);
        tys.iter()
            .enumerate()
            .map(|(i, t)| self.load_field(*t, buf, i as u32 * VAL_SLOT_SIZE))
            .collect()
    }

    /// `cont.new $ct`
    pub(crate) fn cont_new(&mut self, ct: u32) -> Result<()> {
        // The function's arguments and results pass through the payload buffer: a function
        // with more of either than the object holds gets a large enough buffer now, so that
        // the buffer it starts with has room for its results.
        let (params, results) = self.cont_func_types(ct)?;
        let slots = params.len().max(results.len());
        let f = self.pop();
        self.b.ins().trapz(f, trap(Trap::NullFunctionReference));
        // Take the store's first free object, or have the runtime make one.
        let sc = self.store_context();
        let free = self.load_field(types::I64, sc, store_context::CONT_FREE);
        let reuse = self.b.create_block();
        let make = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, types::I64);
        self.b.ins().brif(free, reuse, &[], make, &[]);

        // Pop the free list and reset the object as `cont_reset` lists (the runtime's
        // `VMContRef::reset` is tested against the same list).
        self.b.switch_to_block(reuse);
        self.b.seal_block(reuse);
        let next = self.load_field(types::I64, free, cont::FREE_LINK);
        self.store_field(next, sc, store_context::CONT_FREE);
        for (offset, init) in cont_reset::FIELDS {
            let v = match init {
                cont_reset::Init::Null => self.b.ins().iconst(types::I64, 0),
                cont_reset::Init::Zero32 => self.b.ins().iconst(types::I32, 0),
                cont_reset::Init::Itself => free,
                cont_reset::Init::FuncRef => f,
                cont_reset::Init::CopyOf(from) => self.load_field(types::I64, free, from),
            };
            self.store_field(v, free, offset);
        }
        self.b.ins().jump(done, &[free.into()]);

        self.b.switch_to_block(make);
        self.b.seal_block(make);
        let made = self
            .env
            .call_builtin(&mut self.b, Builtin::cont_new, &[f])
            .expect("object result");
        self.b.ins().trapz(made, trap(Trap::HostError));
        self.b.ins().jump(done, &[made.into()]);

        self.b.switch_to_block(done);
        self.b.seal_block(done);
        let c = self.b.block_params(done)[0];
        if slots > cont::INLINE_PAYLOAD_SLOTS as usize {
            let slots = self.b.ins().iconst(types::I32, slots as i64);
            self.payload_with_room(c, slots);
        }
        let fat = self.fat_ref(c);
        self.push(fat);
        Ok(())
    }

    /// `cont.bind $ct1 $ct2`
    pub(crate) fn cont_bind(&mut self, from: u32, to: u32) -> Result<()> {
        let n = self.cont_func_types(from)?.0.len() - self.cont_func_types(to)?.0.len();
        let r = self.pop();
        let (c, revision) = self.consume(r);
        if n > 0 {
            let values = self.pop_n(n);
            let bound = self.load_field(types::I32, c, cont::BOUND);
            self.write_payload(c, bound, &values);
            let bound = self.b.ins().iadd_imm_u(bound, n as i64);
            self.store_field(bound, c, cont::BOUND);
        }
        let fat = self.make_fat(c, revision);
        self.push(fat);
        Ok(())
    }

    /// `resume $ct (on ...)*`: resumes with the continuation's arguments.
    pub(crate) fn resume(&mut self, ct: u32, table: &ResumeTable) -> Result<()> {
        self.resume_with(ct, table, ResumeEntry::Arguments)
    }

    /// `resume_throw $ct $tag (on ...)*`: resumes by throwing a new exception of `$tag`.
    pub(crate) fn resume_throw(&mut self, ct: u32, tag: u32, table: &ResumeTable) -> Result<()> {
        self.resume_with(ct, table, ResumeEntry::Throw(tag))
    }

    /// `resume_throw_ref $ct (on ...)*`: resumes by throwing an `exnref`.
    pub(crate) fn resume_throw_ref(&mut self, ct: u32, table: &ResumeTable) -> Result<()> {
        self.resume_with(ct, table, ResumeEntry::ThrowRef)
    }

    /// The three forms of `resume`: consume the continuation, hand it what it resumes with,
    /// install the handler record, switch, and dispatch on how control came back.
    fn resume_with(&mut self, ct: u32, table: &ResumeTable, entry: ResumeEntry) -> Result<()> {
        // Each clause with its label (`None` for `(on $tag switch)`) and the tag's params.
        let mut clauses = Vec::new();
        for h in &table.handlers {
            let (tag, label) = match *h {
                Handle::OnLabel { tag, label } => (tag, Some(label)),
                Handle::OnSwitch { tag } => (tag, None),
            };
            clauses.push((tag, label, self.env.tag_value_types(tag)?.0));
        }
        let (params, results) = self.cont_func_types(ct)?;
        let r = self.pop();
        // The exception to throw is made before the continuation is consumed: making it may
        // collect, and the reference, live across that call, keeps the continuation.
        let exn = match entry {
            ResumeEntry::Arguments => None,
            ResumeEntry::Throw(tag) => Some(self.new_exception(tag)?),
            ResumeEntry::ThrowRef => Some(self.pop_exnref()),
        };
        let (c, _) = self.consume(r);
        let innermost = self.touch_saved_frame(c);
        let zero32 = self.b.ins().iconst(types::I32, 0);
        let signal = match exn {
            None => {
                let values = self.pop_n(params.len());
                let bound = self.load_field(types::I32, c, cont::BOUND);
                self.write_payload(c, bound, &values);
                resume_signal::NORMAL
            }
            Some(exn) => {
                self.write_payload(c, zero32, &[exn]);
                resume_signal::THROW
            }
        };
        self.store_field(zero32, c, cont::BOUND);

        // The handler record, in a slot of this frame, for `suspend` and `switch` to search.
        let slot = self.b.create_sized_stack_slot(ir::StackSlotData::new(
            ir::StackSlotKind::ExplicitSlot,
            handler_record::TAGS + (clauses.len() as u32) * PTR_SIZE,
            3,
        ));
        let record = self.b.ins().stack_addr(types::I64, slot, 0);
        self.store_field(c, record, handler_record::HEAD);
        for (i, (tag, label, _)) in clauses.iter().enumerate() {
            let mut entry = self.env.vmctx_load(&mut self.b, self.env.offsets.tag(*tag));
            if label.is_none() {
                entry = self.b.ins().bor_imm_u(entry, handler_record::SWITCH_CLAUSE);
            }
            self.store_field(entry, record, handler_record::TAGS + i as u32 * PTR_SIZE);
        }
        self.store_field(record, c, cont::HANDLERS);
        let count = self.b.ins().iconst(types::I32, clauses.len() as i64);
        self.store_field(count, c, cont::NUM_HANDLERS);

        // Link and switch to the innermost stack of the segment `c` heads.
        let sc = self.store_context();
        let current = self.load_field(types::I64, sc, store_context::CURRENT_CONT);
        self.store_field(current, c, cont::PARENT);
        let limit = self.load_field(types::I64, sc, store_context::STACK_LIMIT);
        self.store_field(limit, c, cont::PARENT_STACK_LIMIT);
        self.enter(sc, innermost);
        let parent_ctx = self.load_field(types::I64, c, cont::PARENT_CTX);
        let target_ctx = self.b.ins().iadd_imm_u(innermost, i64::from(cont::CTX));
        let signal = self.b.ins().bor_imm_u(c, signal as i64);
        let signal = self.b.ins().stack_switch(parent_ctx, target_ctx, signal);

        // Back on this stack. A `switch` may have replaced the head of the segment.
        let record = self.b.ins().stack_addr(types::I64, slot, 0);
        let c = self.load_field(types::I64, record, handler_record::HEAD);
        let sc = self.store_context();
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
        let values = self.read_slots(c, cont::RESULTS, &results);
        self.recycle(c);
        self.b.ins().jump(after, &args(&values));

        // An exception escaped: recycle, then rethrow it here.
        self.b.switch_to_block(threw);
        self.b.seal_block(threw);
        let exn = self.read_payload(c, &[types::I64])[0];
        self.recycle(c);
        self.throw(exn);

        // Suspended to clause `signal >> 32`: branch to its label with the tag's arguments
        // and the continuation. `switch` clauses never receive a suspension.
        self.b.switch_to_block(suspended);
        self.b.seal_block(suspended);
        let index = self.b.ins().ushr_imm_u(signal, 32);
        let index = self.b.ins().ireduce(types::I32, index);
        let bad = self.b.create_block();
        let targets: Vec<ir::Block> = clauses
            .iter()
            .map(|(_, label, _)| match label {
                Some(_) => self.b.create_block(),
                None => bad,
            })
            .collect();
        let default = self.b.func.dfg.block_call(bad, &[]);
        let calls: Vec<_> = targets
            .iter()
            .map(|t| self.b.func.dfg.block_call(*t, &[]))
            .collect();
        let jt = self
            .b
            .create_jump_table(ir::JumpTableData::new(default, &calls));
        self.b.ins().br_table(index, jt);
        for ((_, label, tys), block) in clauses.iter().zip(&targets) {
            let Some(label) = label else { continue };
            self.b.switch_to_block(*block);
            self.b.seal_block(*block);
            let (dest, _) = self.branch_target(*label);
            let mut values = self.read_payload(c, tys);
            let fat = self.fat_ref(c);
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

    /// Puts continuation object `c`, which finished, on the store's free list (what the
    /// runtime's `recycle` does).
    fn recycle(&mut self, c: Value) {
        let sc = self.store_context();
        let free = self.load_field(types::I64, sc, store_context::CONT_FREE);
        self.store_field(free, c, cont::FREE_LINK);
        self.store_field(c, sc, store_context::CONT_FREE);
    }

    /// Makes `target` the innermost running continuation, with its stack limit.
    fn enter(&mut self, sc: Value, target: Value) {
        self.store_field(target, sc, store_context::CURRENT_CONT);
        let target_limit = self.load_field(types::I64, target, cont::STACK_LIMIT);
        self.store_field(target_limit, sc, store_context::STACK_LIMIT);
    }

    /// Searches the chain of running continuations, from the innermost (`current`) outwards,
    /// for a handler record with tag entry `entry`. Returns the continuation whose resume
    /// handles it and the clause's index; when there is none, the generated code reports an
    /// unhandled tag.
    fn find_handler(&mut self, current: Value, entry: Value, identity: Value) -> (Value, Value) {
        let chain = self.b.create_block();
        self.b.append_block_param(chain, types::I64);
        let scan = self.b.create_block();
        self.b.append_block_param(scan, types::I32);
        let next = self.b.create_block();
        let unhandled = self.b.create_block();
        let found = self.b.create_block();
        self.b.append_block_param(found, types::I32);
        self.b.ins().jump(chain, &[ir::BlockArg::Value(current)]);

        self.b.switch_to_block(chain);
        let c = self.b.block_params(chain)[0];
        let enter = self.b.create_block();
        self.b.ins().brif(c, enter, &[], unhandled, &[]);

        // The handler record of `c`'s resume, loaded once for all its clauses.
        self.b.switch_to_block(enter);
        self.b.seal_block(enter);
        let n = self.load_field(types::I32, c, cont::NUM_HANDLERS);
        let record = self.load_field(types::I64, c, cont::HANDLERS);
        let zero = self.b.ins().iconst(types::I32, 0);
        self.b.ins().jump(scan, &[ir::BlockArg::Value(zero)]);

        self.b.switch_to_block(scan);
        let i = self.b.block_params(scan)[0];
        let past = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, i, n);
        let check = self.b.create_block();
        self.b.ins().brif(past, next, &[], check, &[]);
        self.b.switch_to_block(check);
        self.b.seal_block(check);
        let i64v = self.b.ins().uextend(types::I64, i);
        let off = self.b.ins().imul_imm_u(i64v, i64::from(PTR_SIZE));
        let addr = self.b.ins().iadd(record, off);
        let handled = self.load_field(types::I64, addr, handler_record::TAGS);
        let hit = self.b.ins().icmp(IntCC::Equal, handled, entry);
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

        self.b.switch_to_block(found);
        self.b.seal_block(found);
        (c, self.b.block_params(found)[0])
    }

    /// The code after this stack's `stack_switch` away from a suspension point (of `suspend`
    /// or `switch`), reached when the continuation that headed the suspended segment is
    /// resumed: throws if it was resumed by `resume_throw(_ref)`, otherwise takes the values
    /// of `tys` it was resumed with. The resumer passes that continuation in the signal, which
    /// saves reloading it from this stack, whose lines are likely cold after a suspension.
    fn resumed_at_suspension(&mut self, signal: Value, tys: &[Type]) {
        let mask = resume_signal::KIND_MASK as i64;
        let head = self.b.ins().band_imm_s(signal, !mask);
        let kind = self.b.ins().band_imm_u(signal, mask);
        let throw = self.b.create_block();
        let resumed = self.b.create_block();
        self.b.ins().brif(kind, throw, &[], resumed, &[]);
        self.b.switch_to_block(throw);
        self.b.seal_block(throw);
        let exn = self.read_payload(head, &[types::I64])[0];
        self.throw(exn);
        self.b.switch_to_block(resumed);
        self.b.seal_block(resumed);
        self.set_reachable();
        let values = self.read_payload(head, tys);
        self.stack_extend(values);
    }

    /// `suspend $tag`
    pub(crate) fn suspend(&mut self, tag: u32) -> Result<()> {
        let (params, results) = self.env.tag_value_types(tag)?;
        let identity = self.env.vmctx_load(&mut self.b, self.env.offsets.tag(tag));
        let sc = self.store_context();
        let current = self.load_field(types::I64, sc, store_context::CURRENT_CONT);
        let (c, index) = self.find_handler(current, identity, identity);

        // Found clause `index` on the resume of `c`: pass the arguments, switch once.
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
        let signal = self.b.ins().stack_switch(own_ctx, parent_ctx, signal);
        self.resumed_at_suspension(signal, &results);
        Ok(())
    }

    /// `switch $ct $tag`: suspends the segment up to the nearest `(on $tag switch)` handler
    /// and runs the target continuation in its place, under the same handler, passing it the
    /// suspended segment as its last argument.
    pub(crate) fn switch(&mut self, ct: u32, tag: u32) -> Result<()> {
        let ft = self.cont_func_type(ct)?;
        let (params, _) = self.env.func_value_types(ft)?;
        let own_type = self.env.module.func_type_at(ft).params().last().copied();
        let own_ct = own_type
            .and_then(|t| t.as_reference_type())
            .and_then(|r| concrete_index(r.heap_type()));
        let Some(own_ct) = own_ct else {
            bail!("`switch` through type {ct}: its last parameter is not a continuation type");
        };
        let (results, _) = self.cont_func_types(own_ct)?;

        let r = self.pop();
        let (target, _) = self.consume(r);
        // The target's segment is suspended, so its innermost continuation stays the same
        // while the stores below change `h` and the target.
        let innermost = self.touch_saved_frame(target);
        let values = self.pop_n(params.len() - 1);
        let identity = self.env.vmctx_load(&mut self.b, self.env.offsets.tag(tag));
        let entry = self
            .b
            .ins()
            .bor_imm_u(identity, handler_record::SWITCH_CLAUSE);
        let sc = self.store_context();
        let current = self.load_field(types::I64, sc, store_context::CURRENT_CONT);
        let (h, _) = self.find_handler(current, entry, identity);

        // The segment from `h` to the current continuation becomes the target's last argument.
        self.store_field(current, h, cont::LAST_ANCESTOR);
        let own = self.fat_ref(h);
        let bound = self.load_field(types::I32, target, cont::BOUND);
        let mut target_args = values;
        target_args.push(own);
        self.write_payload(target, bound, &target_args);
        let zero32 = self.b.ins().iconst(types::I32, 0);
        self.store_field(zero32, target, cont::BOUND);

        // The target takes `h`'s place under the handler: same parent, handler record,
        // stack limit to restore and resumer's context.
        for field in [cont::PARENT, cont::PARENT_STACK_LIMIT] {
            let v = self.load_field(types::I64, h, field);
            self.store_field(v, target, field);
        }
        let record = self.load_field(types::I64, h, cont::HANDLERS);
        self.store_field(record, target, cont::HANDLERS);
        let n = self.load_field(types::I32, h, cont::NUM_HANDLERS);
        self.store_field(n, target, cont::NUM_HANDLERS);
        let from_ctx = self.load_field(types::I64, h, cont::PARENT_CTX);
        let to_ctx = self.load_field(types::I64, target, cont::PARENT_CTX);
        for word in stack_context::WORDS {
            let v = self.load_field(types::I64, from_ctx, word);
            self.store_field(v, to_ctx, word);
        }
        self.store_field(target, record, handler_record::HEAD);

        // Switch to the innermost stack of the target's segment.
        self.enter(sc, innermost);
        let own_ctx = self.b.ins().iadd_imm_u(current, i64::from(cont::CTX));
        let innermost_ctx = self.b.ins().iadd_imm_u(innermost, i64::from(cont::CTX));
        let normal = self.b.ins().bor_imm_u(target, resume_signal::NORMAL as i64);
        let signal = self.b.ins().stack_switch(own_ctx, innermost_ctx, normal);
        self.resumed_at_suspension(signal, &results);
        Ok(())
    }
}

/// What a `resume` hands the continuation it resumes.
enum ResumeEntry {
    /// The values on the operand stack.
    Arguments,
    /// A new exception of this tag, its payload on the operand stack.
    Throw(u32),
    /// An `exnref` on the operand stack.
    ThrowRef,
}
