//! Translation of one wasm function body into Cranelift IR: the operand stack, control frames,
//! locals, and one arm per operator. Every operator is validated before it is translated. The
//! bodies of small callees are translated in place of direct calls to them (see
//! [`crate::inline`]); their code carries the inlined call's site as its source location.

use crate::func_env::{self, trusted_flags, value_slot_flags, FuncEnv};
use crate::gc::Extend;
use crate::inline::{body_bytes, inline_budget, Inliner, MAX_INLINE_DEPTH};
use crate::trap_code;
use anyhow::{bail, Result};
use cranelift_codegen::ir::{
    self, condcodes::FloatCC, condcodes::IntCC, types, BlockArg, InstBuilder, MemFlagsData, Type,
    Value,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use wasmfx_environ::wasmparser::{
    self, BlockType, FuncType, FuncValidator, FunctionBody, MemArg, Operator, ValidatorResources,
};
use wasmfx_environ::{Builtin, Trap, VMOffsets, MEMORY_RESERVATION};

// The widest access (16 bytes) at the largest index and offset stays inside the reservation.
const _: () = assert!(MEMORY_RESERVATION >= 2 * u32::MAX as u64 + 16);

/// The reference type `(ref null? heap)`, which validation has accepted.
fn ref_type(nullable: bool, heap: wasmparser::HeapType) -> Result<wasmparser::RefType> {
    match wasmparser::RefType::new(nullable, heap) {
        Some(ty) => Ok(ty),
        None => bail!("reference type of heap type {heap:?} is too large to encode"),
    }
}

/// `e`, a translation error, with the byte offset in the module where it arose, written as
/// wasmparser writes the offsets of its own errors.
fn at_offset(e: anyhow::Error, offset: u64) -> anyhow::Error {
    anyhow::anyhow!("{e:#} (at offset {offset:#x})")
}

/// The memory a `memarg` addresses (memory instructions on GC arrays are not compiled).
pub(crate) fn memarg_memory(memarg: &MemArg) -> Result<u32> {
    match memarg.target {
        wasmparser::MemArgTarget::Memory(m) => Ok(m),
        wasmparser::MemArgTarget::Array(_) => bail!("GC array memory access is not supported yet"),
    }
}

/// A control frame (`block`, `loop`, `if`, or the function body).
struct Frame {
    kind: FrameKind,
    /// Where control goes after the frame's `end`; its block params are the results.
    dest: ir::Block,
    /// Number of branch arguments for a branch to a loop (its params).
    num_params: usize,
    num_results: usize,
    /// Operand stack height below the frame's params.
    height: usize,
    /// Whether some branch targets `dest`.
    exit_branched: bool,
}

enum FrameKind {
    Block,
    Loop {
        header: ir::Block,
    },
    If {
        else_block: ir::Block,
        params: Vec<Value>,
        has_else: bool,
    },
    /// A `try_table`: calls inside it carry its catch clauses as exception handlers.
    TryTable {
        pads: Vec<LandingPad>,
    },
    /// A frame entered in unreachable code: no blocks exist for it.
    Dead,
}

/// The block an exception caught by one catch clause of a `try_table` lands in; its only
/// parameter is the exception object.
struct LandingPad {
    block: ir::Block,
    /// The tag caught (a module tag index), or `None` for `catch_all`.
    tag: Option<u32>,
    /// The types of the tag's payload values (none for `catch_all`).
    payload: Vec<Type>,
    /// Whether the exception reference is passed to the label too (`catch_ref`).
    with_ref: bool,
    /// The index in `frames` of the label's frame.
    target: usize,
}

/// What a call instruction calls.
#[derive(Clone, Copy)]
enum Callee {
    Direct(ir::FuncRef),
    Indirect(ir::SigRef, Value),
}

/// One call inlined into the function being compiled: the callee (a defined function index)
/// and where the call was, as a site number: 0 for the compiled function's own code, `n` for
/// the body inlined at entry `n - 1` of the function's list of sites. A site's number is also
/// the source location of the code translated from its callee's body.
pub type InlineSite = (u32, u32);

/// What the translator puts aside while it translates an inlined body.
struct CallerState {
    stack: Vec<Value>,
    stack_checked: usize,
    frames: Vec<Frame>,
    locals: Vec<Variable>,
    outer_handlers: Vec<(Option<u32>, ir::Block)>,
    srcloc: ir::SourceLoc,
}

/// Translates one function body.
pub struct FuncTranslator<'a, 'm> {
    pub(crate) b: FunctionBuilder<'a>,
    pub(crate) env: FuncEnv<'m>,
    stack: Vec<Value>,
    /// How many values at the bottom of `stack` were looked at for GC references since they
    /// were pushed (see `declare_pushed_references`).
    stack_checked: usize,
    frames: Vec<Frame>,
    locals: Vec<Variable>,
    reachable: bool,
    /// Instructions translated since fuel was last charged.
    fuel_pending: i64,
    /// The inlining candidates, when inlining is on.
    inliner: Option<&'m Inliner<'m>>,
    /// The functions whose bodies are being translated, the compiled one first, then the
    /// inlined ones, innermost last.
    inline_chain: Vec<u32>,
    /// Every call inlined so far; the builder's source location is the number of the site
    /// whose body is being translated (none in the compiled function's own).
    inline_sites: Vec<InlineSite>,
    /// While an inlined body is translated: the exception handlers around its call in the
    /// functions it is inlined into, innermost first.
    outer_handlers: Vec<(Option<u32>, ir::Block)>,
    /// Bytes of callee bodies this function may still inline.
    inline_budget: u64,
}

fn block_arity(env: &FuncEnv, ty: BlockType) -> Result<(Vec<Type>, Vec<Type>)> {
    Ok(match ty {
        BlockType::Empty => (vec![], vec![]),
        BlockType::Type(t) => (vec![], vec![env.value_type(t)?]),
        BlockType::FuncType(idx) => env.func_value_types(idx)?,
    })
}

/// Whether `op` may transfer control: the instructions counted so far are charged to the
/// fuel before it, so every executed straight-line run is charged exactly once.
fn ends_straight_line(op: &Operator) -> bool {
    matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::BrOnNull { .. }
            | Operator::BrOnNonNull { .. }
            | Operator::BrOnCast { .. }
            | Operator::BrOnCastFail { .. }
            | Operator::Return
            | Operator::Unreachable
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. }
            | Operator::Throw { .. }
            | Operator::ThrowRef
            | Operator::TryTable { .. }
            | Operator::Resume { .. }
            | Operator::ResumeThrow { .. }
            | Operator::ResumeThrowRef { .. }
            | Operator::Suspend { .. }
            | Operator::Switch { .. }
    )
}

pub(crate) fn args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

/// Offset in an exception object of payload value `i`.
fn exn_payload_offset(i: usize) -> i32 {
    (wasmfx_environ::exn::VALUES + i as u32 * wasmfx_environ::VAL_SLOT_SIZE) as i32
}

pub(crate) fn trap(t: Trap) -> ir::TrapCode {
    trap_code(t)
}

impl<'a, 'm> FuncTranslator<'a, 'm> {
    /// Prepares to translate into `b`, a builder of a function with the wasm signature,
    /// inlining the candidates of `inliner` when given.
    pub fn new(b: FunctionBuilder<'a>, env: FuncEnv<'m>, inliner: Option<&'m Inliner<'m>>) -> Self {
        FuncTranslator {
            b,
            env,
            stack: Vec::new(),
            stack_checked: 0,
            frames: Vec::new(),
            locals: Vec::new(),
            reachable: true,
            fuel_pending: 0,
            inliner,
            inline_chain: Vec::new(),
            inline_sites: Vec::new(),
            outer_handlers: Vec::new(),
            inline_budget: 0,
        }
    }

    /// Translates `body` (of function `func_index`), validating it with `validator`; returns
    /// the calls it inlined.
    pub fn translate(
        mut self,
        func_index: u32,
        body: &FunctionBody<'_>,
        validator: &mut FuncValidator<ValidatorResources>,
        frontend_config: cranelift_codegen::isa::TargetFrontendConfig,
    ) -> Result<Vec<InlineSite>> {
        let ty = self.env.module.func_type(func_index).clone();
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        let params = self.b.block_params(entry).to_vec();
        self.env.vmctx = params[0];

        // Stack limit: loaded from the store context in every prologue.
        let vmctx_gv = self.b.create_global_value(ir::GlobalValueData::VMContext);
        let flags = self
            .b
            .func
            .dfg
            .mem_flags
            .insert(func_env::readonly_flags())
            .expect("memflags");
        let store_ctx = self.b.create_global_value(ir::GlobalValueData::Load {
            base: vmctx_gv,
            offset: (VMOffsets::STORE_CONTEXT as i32).into(),
            global_type: types::I64,
            flags,
        });
        let limit_flags = self
            .b
            .func
            .dfg
            .mem_flags
            .insert(MemFlagsData::trusted())
            .expect("memflags");
        let limit = self.b.create_global_value(ir::GlobalValueData::Load {
            base: store_ctx,
            offset: (wasmfx_environ::store_context::STACK_LIMIT as i32).into(),
            global_type: types::I64,
            flags: limit_flags,
        });
        self.b.func.stack_limit = Some(limit);

        self.inline_chain.push(func_index);
        self.inline_budget = inline_budget(body_bytes(body));
        if let Some(rets) = self.translate_body(&ty, body, validator, &params[2..])? {
            self.b.ins().return_(&rets);
        }
        self.b.seal_all_blocks();
        self.b.finalize(frontend_config);
        Ok(self.inline_sites)
    }

    /// Translates `body`, of a function of type `ty` whose parameters are `args`, from the
    /// current block: its locals, then its operators. Returns its results, in the block the
    /// builder is left in, when the end of the body is reachable.
    fn translate_body(
        &mut self,
        ty: &FuncType,
        body: &FunctionBody<'_>,
        validator: &mut FuncValidator<ValidatorResources>,
        args: &[Value],
    ) -> Result<Option<Vec<Value>>> {
        let body_offset = body.range().start;
        for (i, p) in ty.params().iter().enumerate() {
            let cty = self
                .env
                .value_type(*p)
                .map_err(|e| at_offset(e, body_offset))?;
            let var = self.b.declare_var(cty);
            if self.env.needs_stack_map(*p) {
                self.b.declare_var_needs_stack_map(var);
            }
            self.b.def_var(var, args[i]);
            self.locals.push(var);
        }
        let mut locals_reader = body.get_locals_reader()?;
        for _ in 0..locals_reader.get_count() {
            let offset = locals_reader.original_position();
            let (count, ty) = locals_reader.read()?;
            validator.define_locals(offset, count, ty)?;
            let cty = self.env.value_type(ty).map_err(|e| at_offset(e, offset))?;
            for _ in 0..count {
                let var = self.b.declare_var(cty);
                if self.env.needs_stack_map(ty) {
                    self.b.declare_var_needs_stack_map(var);
                }
                let zero = self.zero(cty);
                self.b.def_var(var, zero);
                self.locals.push(var);
            }
        }

        let exit = self.b.create_block();
        for r in ty.results() {
            let cty = self
                .env
                .value_type(*r)
                .map_err(|e| at_offset(e, body_offset))?;
            self.b.append_block_param(exit, cty);
        }
        self.frames.push(Frame {
            kind: FrameKind::Block,
            dest: exit,
            num_params: 0,
            num_results: ty.results().len(),
            height: 0,
            exit_branched: false,
        });

        // A call (inlined or not) costs one unit of fuel; runaway recursion meets the checks
        // here.
        self.fuel_pending = 1;
        self.check_interruption();

        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            let offset = reader.original_position();
            let op = reader.read()?;
            validator.op(offset, &op)?;
            self.operator(&op).map_err(|e| at_offset(e, offset))?;
            self.declare_pushed_references(validator)
                .map_err(|e| at_offset(e, offset))?;
        }
        reader.finish()?;

        // The body's final `end` left us at the exit block (if it is reachable).
        Ok(self.reachable.then(|| self.stack.clone()))
    }

    /// Translates a `call` of `func_index` as the callee's body, when it is an inlining
    /// candidate, not already being translated, not nested too deep and within the
    /// function's inlining budget; whether it did.
    fn inline_call(&mut self, func_index: u32) -> Result<bool> {
        let Some(inliner) = self.inliner else {
            return Ok(false);
        };
        if self.inline_chain.len() > MAX_INLINE_DEPTH || self.inline_chain.contains(&func_index) {
            return Ok(false);
        }
        let Some((body, mut validator)) = inliner.callee(func_index) else {
            return Ok(false);
        };
        let Some(budget_left) = self.inline_budget.checked_sub(body_bytes(body)) else {
            return Ok(false);
        };
        self.inline_budget = budget_left;
        let ty = self.env.module.func_type(func_index).clone();
        let args = self.pop_n(ty.params().len());
        let handlers = self.handlers_in_scope();
        let caller = CallerState {
            stack: std::mem::take(&mut self.stack),
            stack_checked: std::mem::take(&mut self.stack_checked),
            frames: std::mem::take(&mut self.frames),
            locals: std::mem::take(&mut self.locals),
            outer_handlers: std::mem::replace(&mut self.outer_handlers, handlers),
            srcloc: self.b.srcloc(),
        };
        // Cranelift stores source locations relative to the first one set, and a location
        // below that base would wrap around to the value meaning "none": the base is the
        // lowest site number, 1 (a nested site's code can come before its parent's).
        self.b.func.params.ensure_base_srcloc(ir::SourceLoc::new(1));
        let defined = func_index - self.env.module.num_imported_funcs;
        let parent = match caller.srcloc {
            loc if loc.is_default() => 0,
            loc => loc.bits(),
        };
        self.inline_sites.push((defined, parent));
        self.b
            .set_srcloc(ir::SourceLoc::new(self.inline_sites.len() as u32));
        // The body starts a block of its own: the code generator folds a load into an
        // instruction using it only within a block, and a load of the caller folded into the
        // callee's first instruction would fault with the callee's location.
        let body_block = self.b.create_block();
        self.b.ins().jump(body_block, &[]);
        self.b.switch_to_block(body_block);
        self.b.seal_block(body_block);
        self.inline_chain.push(func_index);
        let results = self.translate_body(&ty, body, &mut validator, &args)?;
        self.inline_chain.pop();
        self.stack = caller.stack;
        self.stack_checked = caller.stack_checked;
        self.frames = caller.frames;
        self.locals = caller.locals;
        self.outer_handlers = caller.outer_handlers;
        self.b.set_srcloc(caller.srcloc);
        match results {
            Some(results) => {
                self.stack.extend(results);
                self.reachable = true;
            }
            None => self.reachable = false,
        }
        Ok(true)
    }

    /// Declares the GC references among the values pushed since the last call (the validator,
    /// which has just checked the same instruction, knows their types) as needing stack maps:
    /// Cranelift then keeps them in stack slots across every call, and describes those slots.
    fn declare_pushed_references(
        &mut self,
        validator: &FuncValidator<ValidatorResources>,
    ) -> Result<()> {
        let height = self.stack.len();
        if !self.reachable {
            // Nothing is pushed in unreachable code; what was is checked.
            self.stack_checked = self.stack_checked.min(height);
            return Ok(());
        }
        if validator.operand_stack_height() as usize != height {
            bail!(
                "internal error: {height} operands translated, {} validated",
                validator.operand_stack_height()
            );
        }
        for i in self.stack_checked..height {
            let Some(Some(ty)) = validator.get_operand_type(height - 1 - i) else {
                bail!("internal error: operand {i} has no type");
            };
            if self.env.needs_stack_map(ty) {
                self.b.declare_value_needs_stack_map(self.stack[i]);
            }
        }
        self.stack_checked = height;
        Ok(())
    }

    /// Notes that the operand stack may have shrunk.
    fn stack_shrunk(&mut self) {
        self.stack_checked = self.stack_checked.min(self.stack.len());
    }

    fn zero(&mut self, ty: Type) -> Value {
        match ty {
            types::F32 => self.b.ins().f32const(0.0),
            types::F64 => self.b.ins().f64const(0.0),
            types::I128 => {
                let z = self.b.ins().iconst(types::I64, 0);
                self.b.ins().uextend(types::I128, z)
            }
            types::I8X16 => self.v128_const(0),
            t => self.b.ins().iconst(t, 0),
        }
    }

    pub(crate) fn pop(&mut self) -> Value {
        let v = self.stack.pop().expect("validated operand stack");
        self.stack_shrunk();
        v
    }

    pub(crate) fn pop2(&mut self) -> (Value, Value) {
        let y = self.pop();
        let x = self.pop();
        (x, y)
    }

    pub(crate) fn pop3(&mut self) -> (Value, Value, Value) {
        let z = self.pop();
        let (x, y) = self.pop2();
        (x, y, z)
    }

    /// Pops the top `n` values, in stack order.
    /// Pops an `exnref`, trapping if it is null.
    pub(crate) fn pop_exnref(&mut self) -> Value {
        let exn = self.pop();
        self.b.ins().trapz(exn, trap(Trap::NullExceptionReference));
        exn
    }

    pub(crate) fn pop_n(&mut self, n: usize) -> Vec<Value> {
        let start = self.stack.len() - n;
        let values = self.stack.drain(start..).collect();
        self.stack_shrunk();
        values
    }

    pub(crate) fn stack_extend(&mut self, values: Vec<Value>) {
        self.stack.extend(values);
    }

    pub(crate) fn set_reachable(&mut self) {
        self.reachable = true;
    }

    pub(crate) fn peek_n(&self, n: usize) -> Vec<Value> {
        self.stack[self.stack.len() - n..].to_vec()
    }

    pub(crate) fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    fn bool_to_i32(&mut self, c: Value) -> Value {
        self.b.ins().uextend(types::I32, c)
    }

    fn unop(&mut self, f: impl FnOnce(&mut FunctionBuilder, Value) -> Value) {
        let x = self.pop();
        let r = f(&mut self.b, x);
        self.push(r);
    }

    fn binop(&mut self, f: impl FnOnce(&mut FunctionBuilder, Value, Value) -> Value) {
        let (x, y) = self.pop2();
        let r = f(&mut self.b, x, y);
        self.push(r);
    }

    fn icmp(&mut self, cc: IntCC) {
        let (x, y) = self.pop2();
        let c = self.b.ins().icmp(cc, x, y);
        let r = self.bool_to_i32(c);
        self.push(r);
    }

    fn fcmp(&mut self, cc: FloatCC) {
        let (x, y) = self.pop2();
        let c = self.b.ins().fcmp(cc, x, y);
        let r = self.bool_to_i32(c);
        self.push(r);
    }

    /// Whether reference `r` is null: a zero pointer (the low half of a fat pointer).
    fn is_null(&mut self, r: Value) -> Value {
        let ptr = if self.b.func.dfg.value_type(r) == types::I128 {
            self.b.ins().ireduce(types::I64, r)
        } else {
            r
        };
        self.b.ins().icmp_imm_u(IntCC::Equal, ptr, 0)
    }

    fn eqz(&mut self) {
        let x = self.pop();
        let c = self.b.ins().icmp_imm_u(IntCC::Equal, x, 0);
        let r = self.bool_to_i32(c);
        self.push(r);
    }

    /// Effective address of a memory access of `size` bytes: base + index, plus the part of
    /// the static offset that does not fit the instruction's immediate. A 32-bit memory needs
    /// no bounds check: it sits in a reservation of [`MEMORY_RESERVATION`] bytes that faults
    /// past the memory's length, and no 32-bit index, offset and access size can leave it. A
    /// 64-bit memory's accesses are checked against its length.
    pub(crate) fn mem_addr(
        &mut self,
        memarg: &MemArg,
        index: Value,
        size: u32,
    ) -> Result<(Value, i32)> {
        let memory = memarg_memory(memarg)?;
        let base = self.env.memory_base(&mut self.b, memory);
        let index = if self.env.module.memories[memory as usize].memory64 {
            self.bounds_check(memory, index, memarg.offset, size);
            index
        } else {
            self.b.ins().uextend(types::I64, index)
        };
        let mut addr = self.b.ins().iadd(base, index);
        let offset = if memarg.offset > i32::MAX as u64 {
            addr = self.b.ins().iadd_imm_u(addr, memarg.offset as i64);
            0
        } else {
            memarg.offset as i32
        };
        Ok((addr, offset))
    }

    /// Traps "out of bounds memory access" unless the `size` bytes at `index` (an `i64`) plus
    /// `offset` lie inside memory `memory`: `index + offset + size` (trapping if it overflows)
    /// must not exceed the length. Accesses to 64-bit memories and atomic accesses need it.
    pub(crate) fn bounds_check(&mut self, memory: u32, index: Value, offset: u64, size: u32) {
        let code = trap(Trap::MemoryOutOfBounds);
        let Some(end) = offset.checked_add(u64::from(size)) else {
            // Past every address: the access always traps.
            let always = self.b.ins().iconst(types::I8, 1);
            self.b.ins().trapnz(always, code);
            return;
        };
        let end = self.b.ins().iconst(types::I64, end as i64);
        let last = self.b.ins().uadd_overflow_trap(index, end, code);
        let length = self.env.memory_length(&mut self.b, memory);
        let outside = self.b.ins().icmp(IntCC::UnsignedGreaterThan, last, length);
        self.b.ins().trapnz(outside, code);
    }

    fn load(&mut self, memarg: &MemArg, ty: Type, kind: LoadKind) -> Result<()> {
        let index = self.pop();
        let size = match kind {
            LoadKind::Full => ty.bytes(),
            LoadKind::S8 | LoadKind::U8 => 1,
            LoadKind::S16 | LoadKind::U16 => 2,
            LoadKind::S32 | LoadKind::U32 => 4,
        };
        let (addr, off) = self.mem_addr(memarg, index, size)?;
        let flags = MemFlagsData::new();
        let ins = self.b.ins();
        let v = match kind {
            LoadKind::Full => ins.load(ty, flags, addr, off),
            LoadKind::S8 => ins.sload8(ty, flags, addr, off),
            LoadKind::U8 => ins.uload8(ty, flags, addr, off),
            LoadKind::S16 => ins.sload16(ty, flags, addr, off),
            LoadKind::U16 => ins.uload16(ty, flags, addr, off),
            LoadKind::S32 => ins.sload32(flags, addr, off),
            LoadKind::U32 => ins.uload32(flags, addr, off),
        };
        self.push(v);
        Ok(())
    }

    /// Stores the top value; `bits` 8, 16 or 32 narrows an integer, 0 stores it whole.
    fn store(&mut self, memarg: &MemArg, bits: u32) -> Result<()> {
        let value = self.pop();
        let index = self.pop();
        let size = match bits {
            0 => self.b.func.dfg.value_type(value).bytes(),
            bits => bits / 8,
        };
        let (addr, off) = self.mem_addr(memarg, index, size)?;
        let flags = MemFlagsData::new();
        match bits {
            8 => self.b.ins().istore8(flags, value, addr, off),
            16 => self.b.ins().istore16(flags, value, addr, off),
            32 => self.b.ins().istore32(flags, value, addr, off),
            _ => self.b.ins().store(flags, value, addr, off),
        };
        Ok(())
    }

    /// Branch target and argument count of the frame `depth` levels out.
    pub(crate) fn branch_target(&mut self, depth: u32) -> (ir::Block, usize) {
        self.branch_target_of(self.frames.len() - 1 - depth as usize)
    }

    /// Branch target and argument count of `frames[i]`.
    fn branch_target_of(&mut self, i: usize) -> (ir::Block, usize) {
        let frame = &mut self.frames[i];
        match frame.kind {
            FrameKind::Loop { header } => (header, frame.num_params),
            _ => {
                frame.exit_branched = true;
                (frame.dest, frame.num_results)
            }
        }
    }

    fn push_frame(
        &mut self,
        ty: BlockType,
        make: impl FnOnce(&mut Self, &[Type]) -> FrameKind,
    ) -> Result<()> {
        let (params, results) = block_arity(&self.env, ty)?;
        let dest = self.b.create_block();
        for r in &results {
            self.b.append_block_param(dest, *r);
        }
        let kind = make(self, &params);
        let height = self.stack.len() - params.len();
        self.frames.push(Frame {
            kind,
            dest,
            num_params: params.len(),
            num_results: results.len(),
            height,
            exit_branched: false,
        });
        Ok(())
    }

    fn push_dead_frame(&mut self) {
        let dest = self.b.create_block();
        self.frames.push(Frame {
            kind: FrameKind::Dead,
            dest,
            num_params: 0,
            num_results: 0,
            height: self.stack.len(),
            exit_branched: false,
        });
    }

    fn end_frame(&mut self) {
        let frame = self.frames.pop().expect("validated control stack");
        if let FrameKind::Dead = frame.kind {
            return;
        }
        let mut exit_reachable = frame.exit_branched;
        if self.reachable {
            let results = self.peek_n(frame.num_results);
            self.b.ins().jump(frame.dest, &args(&results));
            exit_reachable = true;
        }
        match frame.kind {
            FrameKind::If {
                else_block,
                params,
                has_else: false,
            } => {
                // The missing else forwards the params as results.
                self.b.switch_to_block(else_block);
                self.b.seal_block(else_block);
                self.b.ins().jump(frame.dest, &args(&params));
                exit_reachable = true;
            }
            FrameKind::Loop { header } => self.b.seal_block(header),
            FrameKind::TryTable { pads } => {
                for pad in pads {
                    self.emit_landing_pad(pad);
                }
            }
            _ => {}
        }
        self.stack.truncate(frame.height);
        self.stack_shrunk();
        if exit_reachable {
            self.b.switch_to_block(frame.dest);
            self.b.seal_block(frame.dest);
            let results = self.b.block_params(frame.dest).to_vec();
            self.stack.extend(results);
            self.reachable = true;
        } else {
            self.reachable = false;
        }
    }

    /// Charges the instructions translated since the last charge to the store's fuel, and
    /// returns the fuel left (with fuel consumption on).
    fn charge_fuel(&mut self) -> Option<Value> {
        if !self.env.tunables.consume_fuel {
            return None;
        }
        let ctx = self.store_context();
        let flags = MemFlagsData::trusted();
        let offset = wasmfx_environ::store_context::FUEL as i32;
        let fuel = self.b.ins().load(types::I64, flags, ctx, offset);
        let pending = std::mem::take(&mut self.fuel_pending);
        if pending == 0 {
            return Some(fuel);
        }
        let left = self.b.ins().iadd_imm_s(fuel, -pending);
        self.b.ins().store(flags, left, ctx, offset);
        Some(left)
    }

    /// At function entries and loop headers: traps when fuel ran out or the epoch deadline
    /// passed, as configured.
    fn check_interruption(&mut self) {
        if let Some(left) = self.charge_fuel() {
            let out = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, left, 0);
            self.b.ins().trapnz(out, trap(Trap::OutOfFuel));
        }
        if self.env.tunables.epoch_interruption {
            let ctx = self.store_context();
            let flags = MemFlagsData::trusted();
            let ptr_offset = wasmfx_environ::store_context::EPOCH_PTR as i32;
            // The counter's address is set when the store is made: hoistable out of loops.
            let epoch_ptr = self.b.ins().load(
                types::I64,
                crate::func_env::readonly_flags(),
                ctx,
                ptr_offset,
            );
            // An atomic load: another thread advances the epoch, and a plain load would be
            // merged with the one before the loop.
            let epoch = self.b.ins().atomic_load(types::I64, flags, epoch_ptr);
            let deadline_offset = wasmfx_environ::store_context::EPOCH_DEADLINE as i32;
            let deadline = self.b.ins().load(types::I64, flags, ctx, deadline_offset);
            let passed = self
                .b
                .ins()
                .icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, deadline);
            self.b.ins().trapnz(passed, trap(Trap::Interrupt));
        }
    }

    fn operator(&mut self, op: &Operator) -> Result<()> {
        if !self.reachable {
            return self.unreachable_operator(op);
        }
        if self.env.tunables.consume_fuel {
            self.fuel_pending += 1;
            if ends_straight_line(op) {
                self.charge_fuel();
            }
        }
        if let Operator::Loop { .. } = op {
            self.operator_unchecked(op)?;
            // Now in the loop header: every iteration passes the checks.
            self.check_interruption();
            return Ok(());
        }
        self.operator_unchecked(op)
    }

    fn operator_unchecked(&mut self, op: &Operator) -> Result<()> {
        let b = &mut self.b;
        match *op {
            Operator::Unreachable => {
                b.ins().trap(trap(Trap::Unreachable));
                self.reachable = false;
            }
            Operator::Nop => {}
            Operator::Block { blockty } => self.push_frame(blockty, |_, _| FrameKind::Block)?,
            Operator::Loop { blockty } => self.push_frame(blockty, |t, params| {
                let header = t.b.create_block();
                for p in params {
                    t.b.append_block_param(header, *p);
                }
                let entry_args = t.peek_n(params.len());
                t.b.ins().jump(header, &args(&entry_args));
                t.b.switch_to_block(header);
                let new = t.b.block_params(header).to_vec();
                let n = t.stack.len() - params.len();
                t.stack.truncate(n);
                t.stack.extend(new);
                FrameKind::Loop { header }
            })?,
            Operator::If { blockty } => {
                let cond = self.pop();
                self.push_frame(blockty, |t, params| {
                    let then_block = t.b.create_block();
                    let else_block = t.b.create_block();
                    t.b.ins().brif(cond, then_block, &[], else_block, &[]);
                    t.b.switch_to_block(then_block);
                    t.b.seal_block(then_block);
                    FrameKind::If {
                        else_block,
                        params: t.peek_n(params.len()),
                        has_else: false,
                    }
                })?;
            }
            Operator::Else => self.else_op(),
            Operator::End => self.end_frame(),
            Operator::TryTable { ref try_table } => {
                let mut pads = Vec::new();
                for catch in &try_table.catches {
                    use wasmparser::Catch;
                    let (tag, with_ref, label) = match *catch {
                        Catch::One { tag, label } => (Some(tag), false, label),
                        Catch::OneRef { tag, label } => (Some(tag), true, label),
                        Catch::All { label } => (None, false, label),
                        Catch::AllRef { label } => (None, true, label),
                    };
                    let block = self.b.create_block();
                    self.b.append_block_param(block, types::I64);
                    let payload = match tag {
                        Some(tag) => self.env.tag_value_types(tag)?.0,
                        None => Vec::new(),
                    };
                    pads.push(LandingPad {
                        block,
                        tag,
                        payload,
                        with_ref,
                        target: self.frames.len() - 1 - label as usize,
                    });
                }
                self.push_frame(try_table.ty, |_, _| FrameKind::TryTable { pads })?;
            }
            Operator::ContNew { cont_type_index } => self.cont_new(cont_type_index)?,
            Operator::ContBind {
                argument_index,
                result_index,
            } => self.cont_bind(argument_index, result_index)?,
            Operator::Resume {
                cont_type_index,
                ref resume_table,
            } => self.resume(cont_type_index, resume_table)?,
            Operator::ResumeThrow {
                cont_type_index,
                tag_index,
                ref resume_table,
            } => self.resume_throw(cont_type_index, tag_index, resume_table)?,
            Operator::ResumeThrowRef {
                cont_type_index,
                ref resume_table,
            } => self.resume_throw_ref(cont_type_index, resume_table)?,
            Operator::Suspend { tag_index } => self.suspend(tag_index)?,
            Operator::Switch {
                cont_type_index,
                tag_index,
            } => self.switch(cont_type_index, tag_index)?,
            Operator::Throw { tag_index } => {
                let exn = self.new_exception(tag_index)?;
                self.throw(exn);
            }
            Operator::ThrowRef => {
                let exn = self.pop_exnref();
                self.throw(exn);
            }
            Operator::Br { relative_depth } => {
                let (target, n) = self.branch_target(relative_depth);
                let a = self.peek_n(n);
                self.b.ins().jump(target, &args(&a));
                self.reachable = false;
            }
            Operator::BrIf { relative_depth } => {
                let cond = self.pop();
                let (target, n) = self.branch_target(relative_depth);
                let a = self.peek_n(n);
                let next = self.b.create_block();
                self.b.ins().brif(cond, target, &args(&a), next, &[]);
                self.b.switch_to_block(next);
                self.b.seal_block(next);
            }
            Operator::BrTable { ref targets } => {
                let index = self.pop();
                let mut calls = Vec::new();
                let mut n = 0;
                for depth in targets.targets() {
                    let (block, arity) = self.branch_target(depth?);
                    n = arity;
                    calls.push(block);
                }
                let (default, arity) = self.branch_target(targets.default());
                n = n.max(arity);
                let a = args(&self.peek_n(n));
                let default = self.b.func.dfg.block_call(default, &a);
                let table: Vec<_> = calls
                    .into_iter()
                    .map(|blk| self.b.func.dfg.block_call(blk, &a))
                    .collect();
                let jt = self
                    .b
                    .create_jump_table(ir::JumpTableData::new(default, &table));
                self.b.ins().br_table(index, jt);
                self.reachable = false;
            }
            Operator::Return => {
                if self.inline_chain.len() > 1 {
                    // From an inlined body: to the code after its call.
                    let (target, n) = self.branch_target_of(0);
                    let rets = self.peek_n(n);
                    self.b.ins().jump(target, &args(&rets));
                } else {
                    let n = self.frames[0].num_results;
                    let rets = self.peek_n(n);
                    self.b.ins().return_(&rets);
                }
                self.reachable = false;
            }
            Operator::Call { function_index } => self.call(function_index, false)?,
            Operator::ReturnCall { function_index } => self.call(function_index, true)?,
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index, false)?,
            Operator::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index, true)?,
            Operator::CallRef { type_index } => self.call_ref(type_index, false)?,
            Operator::ReturnCallRef { type_index } => self.call_ref(type_index, true)?,
            Operator::Drop => {
                self.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let (x, y, c) = self.pop3();
                let r = self.b.ins().select(c, x, y);
                self.push(r);
            }
            Operator::LocalGet { local_index } => {
                let v = b.use_var(self.locals[local_index as usize]);
                self.push(v);
            }
            Operator::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            Operator::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated");
                b.def_var(self.locals[local_index as usize], v);
            }
            Operator::GlobalGet { global_index } => {
                let ty = self.env.value_type(
                    self.env.module.globals[global_index as usize]
                        .ty
                        .content_type,
                )?;
                let (base, offset) = self.env.global_addr(&mut self.b, global_index);
                let v = self.b.ins().load(ty, value_slot_flags(ty), base, offset);
                self.push(v);
            }
            Operator::GlobalSet { global_index } => {
                let v = self.pop();
                let (base, offset) = self.env.global_addr(&mut self.b, global_index);
                let flags = value_slot_flags(self.b.func.dfg.value_type(v));
                self.b.ins().store(flags, v, base, offset);
            }

            // Memory.
            Operator::I32Load { ref memarg } => self.load(memarg, types::I32, LoadKind::Full)?,
            Operator::I64Load { ref memarg } => self.load(memarg, types::I64, LoadKind::Full)?,
            Operator::F32Load { ref memarg } => self.load(memarg, types::F32, LoadKind::Full)?,
            Operator::F64Load { ref memarg } => self.load(memarg, types::F64, LoadKind::Full)?,
            Operator::I32Load8S { ref memarg } => self.load(memarg, types::I32, LoadKind::S8)?,
            Operator::I32Load8U { ref memarg } => self.load(memarg, types::I32, LoadKind::U8)?,
            Operator::I32Load16S { ref memarg } => self.load(memarg, types::I32, LoadKind::S16)?,
            Operator::I32Load16U { ref memarg } => self.load(memarg, types::I32, LoadKind::U16)?,
            Operator::I64Load8S { ref memarg } => self.load(memarg, types::I64, LoadKind::S8)?,
            Operator::I64Load8U { ref memarg } => self.load(memarg, types::I64, LoadKind::U8)?,
            Operator::I64Load16S { ref memarg } => self.load(memarg, types::I64, LoadKind::S16)?,
            Operator::I64Load16U { ref memarg } => self.load(memarg, types::I64, LoadKind::U16)?,
            Operator::I64Load32S { ref memarg } => self.load(memarg, types::I64, LoadKind::S32)?,
            Operator::I64Load32U { ref memarg } => self.load(memarg, types::I64, LoadKind::U32)?,
            Operator::I32Store { ref memarg }
            | Operator::F32Store { ref memarg }
            | Operator::I64Store { ref memarg }
            | Operator::F64Store { ref memarg } => self.store(memarg, 0)?,
            Operator::I32Store8 { ref memarg } | Operator::I64Store8 { ref memarg } => {
                self.store(memarg, 8)?
            }
            Operator::I32Store16 { ref memarg } | Operator::I64Store16 { ref memarg } => {
                self.store(memarg, 16)?
            }
            Operator::I64Store32 { ref memarg } => self.store(memarg, 32)?,
            Operator::MemorySize { mem } => {
                let len = self.env.memory_length(&mut self.b, mem);
                let mut pages = self.b.ins().ushr_imm_u(len, 16);
                if !self.env.module.memories[mem as usize].memory64 {
                    pages = self.b.ins().ireduce(types::I32, pages);
                }
                self.push(pages);
            }
            Operator::MemoryGrow { mem } => {
                let delta = self.pop();
                let index_type = self.b.func.dfg.value_type(delta);
                let delta = self.widen_to_i64(delta);
                let m = self.b.ins().iconst(types::I32, i64::from(mem));
                self.grow_builtin(Builtin::memory_grow, &[m, delta], index_type);
            }
            Operator::MemoryFill { mem } => {
                let (dst, val, len) = self.pop3();
                let m = self.b.ins().iconst(types::I32, i64::from(mem));
                let dst = self.widen_to_i64(dst);
                let len = self.widen_to_i64(len);
                self.checked_builtin(
                    Builtin::memory_fill,
                    &[m, dst, val, len],
                    Trap::MemoryOutOfBounds,
                );
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                let (dst, src, len) = self.pop3();
                let dm = self.b.ins().iconst(types::I32, i64::from(dst_mem));
                let sm = self.b.ins().iconst(types::I32, i64::from(src_mem));
                let dst = self.widen_to_i64(dst);
                let src = self.widen_to_i64(src);
                let len = self.widen_to_i64(len);
                self.checked_builtin(
                    Builtin::memory_copy,
                    &[dm, dst, sm, src, len],
                    Trap::MemoryOutOfBounds,
                );
            }
            Operator::MemoryInit { data_index, mem } => {
                let (dst, src, len) = self.pop3();
                let m = self.b.ins().iconst(types::I32, i64::from(mem));
                let d = self.b.ins().iconst(types::I32, i64::from(data_index));
                let dst = self.widen_to_i64(dst);
                self.checked_builtin(
                    Builtin::memory_init,
                    &[m, d, dst, src, len],
                    Trap::MemoryOutOfBounds,
                );
            }
            Operator::DataDrop { data_index } => {
                let d = self.b.ins().iconst(types::I32, i64::from(data_index));
                self.env.call_builtin(&mut self.b, Builtin::data_drop, &[d]);
            }

            // Tables and references.
            Operator::TableGet { table } => {
                let i = self.pop();
                let addr =
                    self.env
                        .table_elem_addr(&mut self.b, table, i, trap(Trap::TableOutOfBounds));
                let ty = self.env.table_elem_value_type(table);
                let v = self.b.ins().load(ty, trusted_flags(), addr, 0);
                self.push(v);
            }
            Operator::TableSet { table } => {
                let (i, v) = self.pop2();
                let addr =
                    self.env
                        .table_elem_addr(&mut self.b, table, i, trap(Trap::TableOutOfBounds));
                self.b.ins().store(trusted_flags(), v, addr, 0);
            }
            Operator::TableSize { table } => {
                let def = self.env.table_def(&mut self.b, table);
                let mut len = self.b.ins().load(
                    types::I64,
                    trusted_flags(),
                    def,
                    wasmfx_environ::table_def::LENGTH as i32,
                );
                if !self.env.module.tables[table as usize].ty.table64 {
                    len = self.b.ins().ireduce(types::I32, len);
                }
                self.push(len);
            }
            Operator::TableGrow { table } => {
                let (init, delta) = self.pop2();
                let index_type = self.b.func.dfg.value_type(delta);
                let delta = self.widen_to_i64(delta);
                let t = self.b.ins().iconst(types::I32, i64::from(table));
                let (lo, hi) = self.ref_words(init);
                self.grow_builtin(Builtin::table_grow, &[t, delta, lo, hi], index_type);
            }
            Operator::TableFill { table } => {
                let (dst, val, len) = self.pop3();
                let (dst, len) = (self.widen_to_i64(dst), self.widen_to_i64(len));
                let t = self.b.ins().iconst(types::I32, i64::from(table));
                let (lo, hi) = self.ref_words(val);
                self.checked_builtin(
                    Builtin::table_fill,
                    &[t, dst, lo, hi, len],
                    Trap::TableOutOfBounds,
                );
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let (dst, src, len) = self.pop3();
                let (dst, src, len) = (
                    self.widen_to_i64(dst),
                    self.widen_to_i64(src),
                    self.widen_to_i64(len),
                );
                let dt = self.b.ins().iconst(types::I32, i64::from(dst_table));
                let st = self.b.ins().iconst(types::I32, i64::from(src_table));
                self.checked_builtin(
                    Builtin::table_copy,
                    &[dt, st, dst, src, len],
                    Trap::TableOutOfBounds,
                );
            }
            Operator::TableInit { elem_index, table } => {
                let (dst, src, len) = self.pop3();
                let dst = self.widen_to_i64(dst);
                let t = self.b.ins().iconst(types::I32, i64::from(table));
                let e = self.b.ins().iconst(types::I32, i64::from(elem_index));
                self.checked_builtin(
                    Builtin::table_init,
                    &[t, e, dst, src, len],
                    Trap::TableOutOfBounds,
                );
            }
            Operator::ElemDrop { elem_index } => {
                let e = self.b.ins().iconst(types::I32, i64::from(elem_index));
                self.env.call_builtin(&mut self.b, Builtin::elem_drop, &[e]);
            }
            Operator::RefNull { hty } => {
                let ty = match wasmparser::RefType::new(true, hty) {
                    Some(r) => self.env.value_type(wasmparser::ValType::Ref(r))?,
                    None => types::I64,
                };
                let v = self.zero(ty);
                self.push(v);
            }
            Operator::RefIsNull => {
                let r = self.pop();
                let is_null = self.is_null(r);
                let v = self.bool_to_i32(is_null);
                self.push(v);
            }
            Operator::RefAsNonNull => {
                let r = *self.stack.last().expect("validated");
                let is_null = self.is_null(r);
                self.b.ins().trapnz(is_null, trap(Trap::NullReference));
            }
            Operator::BrOnNull { relative_depth } => {
                let r = self.pop();
                let is_null = self.is_null(r);
                let (target, n) = self.branch_target(relative_depth);
                let a = self.peek_n(n);
                let next = self.b.create_block();
                self.b.ins().brif(is_null, target, &args(&a), next, &[]);
                self.b.switch_to_block(next);
                self.b.seal_block(next);
                self.push(r);
            }
            Operator::BrOnNonNull { relative_depth } => {
                let r = *self.stack.last().expect("validated");
                let is_null = self.is_null(r);
                let (target, n) = self.branch_target(relative_depth);
                let a = self.peek_n(n);
                let next = self.b.create_block();
                self.b.ins().brif(is_null, next, &[], target, &args(&a));
                self.b.switch_to_block(next);
                self.b.seal_block(next);
                self.pop();
            }
            Operator::RefFunc { function_index } => {
                let v = self.env.func_ref(&mut self.b, function_index);
                self.push(v);
            }

            // Constants.
            Operator::I32Const { value } => {
                let v = b.ins().iconst(types::I32, i64::from(value));
                self.push(v);
            }
            Operator::I64Const { value } => {
                let v = b.ins().iconst(types::I64, value);
                self.push(v);
            }
            Operator::F32Const { value } => {
                let v = b
                    .ins()
                    .f32const(ir::immediates::Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            Operator::F64Const { value } => {
                let v = b
                    .ins()
                    .f64const(ir::immediates::Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            // Integer comparisons.
            Operator::I32Eqz | Operator::I64Eqz => self.eqz(),
            Operator::I32Eq | Operator::I64Eq => self.icmp(IntCC::Equal),
            Operator::I32Ne | Operator::I64Ne => self.icmp(IntCC::NotEqual),
            Operator::I32LtS | Operator::I64LtS => self.icmp(IntCC::SignedLessThan),
            Operator::I32LtU | Operator::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            Operator::I32GtS | Operator::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            Operator::I32GtU | Operator::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            Operator::I32LeS | Operator::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            Operator::I32LeU | Operator::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            Operator::I32GeS | Operator::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            Operator::I32GeU | Operator::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),

            // Float comparisons.
            Operator::F32Eq | Operator::F64Eq => self.fcmp(FloatCC::Equal),
            Operator::F32Ne | Operator::F64Ne => self.fcmp(FloatCC::NotEqual),
            Operator::F32Lt | Operator::F64Lt => self.fcmp(FloatCC::LessThan),
            Operator::F32Gt | Operator::F64Gt => self.fcmp(FloatCC::GreaterThan),
            Operator::F32Le | Operator::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            Operator::F32Ge | Operator::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),

            // Integer arithmetic.
            Operator::I32Clz | Operator::I64Clz => self.unop(|b, x| b.ins().clz(x)),
            Operator::I32Ctz | Operator::I64Ctz => self.unop(|b, x| b.ins().ctz(x)),
            Operator::I32Popcnt | Operator::I64Popcnt => self.unop(|b, x| b.ins().popcnt(x)),
            Operator::I32Add | Operator::I64Add => self.binop(|b, x, y| b.ins().iadd(x, y)),
            Operator::I32Sub | Operator::I64Sub => self.binop(|b, x, y| b.ins().isub(x, y)),
            Operator::I32Mul | Operator::I64Mul => self.binop(|b, x, y| b.ins().imul(x, y)),
            Operator::I32DivS | Operator::I64DivS => self.binop(|b, x, y| b.ins().sdiv(x, y)),
            Operator::I32DivU | Operator::I64DivU => self.binop(|b, x, y| b.ins().udiv(x, y)),
            Operator::I32RemS | Operator::I64RemS => self.binop(|b, x, y| b.ins().srem(x, y)),
            Operator::I32RemU | Operator::I64RemU => self.binop(|b, x, y| b.ins().urem(x, y)),
            Operator::I32And | Operator::I64And => self.binop(|b, x, y| b.ins().band(x, y)),
            Operator::I32Or | Operator::I64Or => self.binop(|b, x, y| b.ins().bor(x, y)),
            Operator::I32Xor | Operator::I64Xor => self.binop(|b, x, y| b.ins().bxor(x, y)),
            Operator::I32Shl | Operator::I64Shl => self.binop(|b, x, y| b.ins().ishl(x, y)),
            Operator::I32ShrS | Operator::I64ShrS => self.binop(|b, x, y| b.ins().sshr(x, y)),
            Operator::I32ShrU | Operator::I64ShrU => self.binop(|b, x, y| b.ins().ushr(x, y)),
            Operator::I32Rotl | Operator::I64Rotl => self.binop(|b, x, y| b.ins().rotl(x, y)),
            Operator::I32Rotr | Operator::I64Rotr => self.binop(|b, x, y| b.ins().rotr(x, y)),

            // Float arithmetic.
            Operator::F32Abs | Operator::F64Abs => self.unop(|b, x| b.ins().fabs(x)),
            Operator::F32Neg | Operator::F64Neg => self.unop(|b, x| b.ins().fneg(x)),
            Operator::F32Ceil | Operator::F64Ceil => self.unop(|b, x| b.ins().ceil(x)),
            Operator::F32Floor | Operator::F64Floor => self.unop(|b, x| b.ins().floor(x)),
            Operator::F32Trunc | Operator::F64Trunc => self.unop(|b, x| b.ins().trunc(x)),
            Operator::F32Nearest | Operator::F64Nearest => self.unop(|b, x| b.ins().nearest(x)),
            Operator::F32Sqrt | Operator::F64Sqrt => self.unop(|b, x| b.ins().sqrt(x)),
            Operator::F32Add | Operator::F64Add => self.binop(|b, x, y| b.ins().fadd(x, y)),
            Operator::F32Sub | Operator::F64Sub => self.binop(|b, x, y| b.ins().fsub(x, y)),
            Operator::F32Mul | Operator::F64Mul => self.binop(|b, x, y| b.ins().fmul(x, y)),
            Operator::F32Div | Operator::F64Div => self.binop(|b, x, y| b.ins().fdiv(x, y)),
            Operator::F32Min | Operator::F64Min => self.binop(|b, x, y| b.ins().fmin(x, y)),
            Operator::F32Max | Operator::F64Max => self.binop(|b, x, y| b.ins().fmax(x, y)),
            Operator::F32Copysign | Operator::F64Copysign => {
                self.binop(|b, x, y| b.ins().fcopysign(x, y))
            }

            // Conversions.
            Operator::I32WrapI64 => self.unop(|b, x| b.ins().ireduce(types::I32, x)),
            Operator::I64ExtendI32S => self.unop(|b, x| b.ins().sextend(types::I64, x)),
            Operator::I64ExtendI32U => self.unop(|b, x| b.ins().uextend(types::I64, x)),
            Operator::I32TruncF32S | Operator::I32TruncF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint(types::I32, x))
            }
            Operator::I32TruncF32U | Operator::I32TruncF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint(types::I32, x))
            }
            Operator::I64TruncF32S | Operator::I64TruncF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint(types::I64, x))
            }
            Operator::I64TruncF32U | Operator::I64TruncF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint(types::I64, x))
            }
            Operator::I32TruncSatF32S | Operator::I32TruncSatF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint_sat(types::I32, x))
            }
            Operator::I32TruncSatF32U | Operator::I32TruncSatF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint_sat(types::I32, x))
            }
            Operator::I64TruncSatF32S | Operator::I64TruncSatF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint_sat(types::I64, x))
            }
            Operator::I64TruncSatF32U | Operator::I64TruncSatF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint_sat(types::I64, x))
            }
            Operator::F32ConvertI32S | Operator::F32ConvertI64S => {
                self.unop(|b, x| b.ins().fcvt_from_sint(types::F32, x))
            }
            Operator::F32ConvertI32U | Operator::F32ConvertI64U => {
                self.unop(|b, x| b.ins().fcvt_from_uint(types::F32, x))
            }
            Operator::F64ConvertI32S | Operator::F64ConvertI64S => {
                self.unop(|b, x| b.ins().fcvt_from_sint(types::F64, x))
            }
            Operator::F64ConvertI32U | Operator::F64ConvertI64U => {
                self.unop(|b, x| b.ins().fcvt_from_uint(types::F64, x))
            }
            Operator::F32DemoteF64 => self.unop(|b, x| b.ins().fdemote(types::F32, x)),
            Operator::F64PromoteF32 => self.unop(|b, x| b.ins().fpromote(types::F64, x)),
            Operator::I32ReinterpretF32 => {
                self.unop(|b, x| b.ins().bitcast(types::I32, MemFlagsData::new(), x))
            }
            Operator::I64ReinterpretF64 => {
                self.unop(|b, x| b.ins().bitcast(types::I64, MemFlagsData::new(), x))
            }
            Operator::F32ReinterpretI32 => {
                self.unop(|b, x| b.ins().bitcast(types::F32, MemFlagsData::new(), x))
            }
            Operator::F64ReinterpretI64 => {
                self.unop(|b, x| b.ins().bitcast(types::F64, MemFlagsData::new(), x))
            }
            Operator::I32Extend8S => self.sign_extend(types::I32, types::I8),
            Operator::I32Extend16S => self.sign_extend(types::I32, types::I16),
            Operator::I64Extend8S => self.sign_extend(types::I64, types::I8),
            Operator::I64Extend16S => self.sign_extend(types::I64, types::I16),
            Operator::I64Extend32S => self.sign_extend(types::I64, types::I32),

            // GC.
            Operator::StructNew { struct_type_index } => {
                self.struct_new(struct_type_index, false)?
            }
            Operator::StructNewDefault { struct_type_index } => {
                self.struct_new(struct_type_index, true)?
            }
            Operator::StructGet {
                struct_type_index,
                field_index,
            } => self.struct_get(struct_type_index, field_index, Extend::None)?,
            Operator::StructGetS {
                struct_type_index,
                field_index,
            } => self.struct_get(struct_type_index, field_index, Extend::Signed)?,
            Operator::StructGetU {
                struct_type_index,
                field_index,
            } => self.struct_get(struct_type_index, field_index, Extend::Unsigned)?,
            Operator::StructSet {
                struct_type_index,
                field_index,
            } => self.struct_set(struct_type_index, field_index)?,
            Operator::ArrayNew { array_type_index } => self.array_new(array_type_index, false)?,
            Operator::ArrayNewDefault { array_type_index } => {
                self.array_new(array_type_index, true)?
            }
            Operator::ArrayNewFixed {
                array_type_index,
                array_size,
            } => self.array_new_fixed(array_type_index, array_size)?,
            Operator::ArrayNewData {
                array_type_index,
                array_data_index,
            } => {
                self.array_new_segment(Builtin::array_new_data, array_type_index, array_data_index)
            }
            Operator::ArrayNewElem {
                array_type_index,
                array_elem_index,
            } => {
                self.array_new_segment(Builtin::array_new_elem, array_type_index, array_elem_index)
            }
            Operator::ArrayInitData {
                array_type_index,
                array_data_index,
            } => self.array_init_segment(
                Builtin::array_init_data,
                array_type_index,
                array_data_index,
            ),
            Operator::ArrayInitElem {
                array_type_index,
                array_elem_index,
            } => self.array_init_segment(
                Builtin::array_init_elem,
                array_type_index,
                array_elem_index,
            ),
            Operator::ArrayGet { array_type_index } => {
                self.array_get(array_type_index, Extend::None)?
            }
            Operator::ArrayGetS { array_type_index } => {
                self.array_get(array_type_index, Extend::Signed)?
            }
            Operator::ArrayGetU { array_type_index } => {
                self.array_get(array_type_index, Extend::Unsigned)?
            }
            Operator::ArraySet { array_type_index } => self.array_set(array_type_index)?,
            Operator::ArrayLen => self.array_len(),
            Operator::ArrayFill { array_type_index } => self.array_fill(array_type_index)?,
            Operator::ArrayCopy {
                array_type_index_dst,
                array_type_index_src,
            } => self.array_copy(array_type_index_dst, array_type_index_src)?,
            Operator::RefI31 => self.ref_i31(),
            Operator::I31GetS => self.i31_get(true),
            Operator::I31GetU => self.i31_get(false),
            Operator::RefEq => self.ref_eq(),
            // The same word serves in both hierarchies (see `gc_layout::REF_TAG_MASK`).
            Operator::AnyConvertExtern | Operator::ExternConvertAny => {}
            Operator::RefTestNonNull { hty } => self.ref_test(ref_type(false, hty)?)?,
            Operator::RefTestNullable { hty } => self.ref_test(ref_type(true, hty)?)?,
            Operator::RefCastNonNull { hty } => self.ref_cast(ref_type(false, hty)?)?,
            Operator::RefCastNullable { hty } => self.ref_cast(ref_type(true, hty)?)?,
            Operator::BrOnCast {
                relative_depth,
                to_ref_type,
                ..
            } => self.br_on_cast(relative_depth, to_ref_type, true)?,
            Operator::BrOnCastFail {
                relative_depth,
                to_ref_type,
                ..
            } => self.br_on_cast(relative_depth, to_ref_type, false)?,

            ref other => {
                if !self.simd_operator(other)? && !self.atomic_operator(other)? {
                    bail!(
                        "instruction `{}` is not supported yet",
                        operator_name(other)
                    )
                }
            }
        }
        Ok(())
    }

    /// An index or length (`i32`, or `i64` for 64-bit memories and tables) as an `i64`.
    pub(crate) fn widen_to_i64(&mut self, v: Value) -> Value {
        self.zero_extend(v, types::I64)
    }

    /// Integer `v` zero-extended to `ty`, if it is narrower.
    pub(crate) fn zero_extend(&mut self, v: Value, ty: Type) -> Value {
        if self.b.func.dfg.value_type(v) == ty {
            v
        } else {
            self.b.ins().uextend(ty, v)
        }
    }

    /// Calls `memory_grow` or `table_grow` and pushes its result (old size or -1) as an
    /// `index_type` value, trapping when the store's limiter failed with an error.
    fn grow_builtin(&mut self, builtin: Builtin, args: &[Value], index_type: Type) {
        let r = self
            .env
            .call_builtin(&mut self.b, builtin, args)
            .expect("grow builtins return a value");
        let trapped = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, r, wasmfx_environ::GROW_TRAPPED);
        self.b.ins().trapnz(trapped, trap(Trap::HostError));
        let r = if index_type == types::I64 {
            r
        } else {
            self.b.ins().ireduce(index_type, r)
        };
        self.push(r);
    }

    fn sign_extend(&mut self, to: Type, from: Type) {
        self.unop(|b, x| {
            let narrow = b.ins().ireduce(from, x);
            b.ins().sextend(to, narrow)
        })
    }

    /// Calls a builtin that returns non-zero on failure, trapping with `t` then.
    fn checked_builtin(&mut self, builtin: Builtin, a: &[Value], t: Trap) {
        let status = self
            .env
            .call_builtin(&mut self.b, builtin, a)
            .expect("status result");
        self.b.ins().trapnz(status, trap(t));
    }

    fn else_op(&mut self) {
        let frame = self.frames.last_mut().expect("validated");
        let (else_block, params) = match &mut frame.kind {
            FrameKind::If {
                else_block,
                params,
                has_else,
            } => {
                *has_else = true;
                (*else_block, params.clone())
            }
            FrameKind::Dead => return,
            _ => unreachable!("validated: else outside if"),
        };
        let dest = frame.dest;
        let height = frame.height;
        let num_results = frame.num_results;
        if self.reachable {
            let results = self.peek_n(num_results);
            self.b.ins().jump(dest, &args(&results));
            self.frames.last_mut().unwrap().exit_branched = true;
        }
        self.stack.truncate(height);
        self.stack_shrunk();
        self.stack.extend(params);
        self.b.switch_to_block(else_block);
        self.b.seal_block(else_block);
        self.reachable = true;
    }

    fn unreachable_operator(&mut self, op: &Operator) -> Result<()> {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => self.push_dead_frame(),
            Operator::Else => {
                let live_if = matches!(
                    self.frames.last().map(|f| &f.kind),
                    Some(FrameKind::If { .. })
                );
                if live_if {
                    self.else_op();
                }
            }
            Operator::End => self.end_frame(),
            _ => {}
        }
        Ok(())
    }

    fn call_args(&mut self, callee_vmctx: Value, n: usize) -> Vec<Value> {
        let mut a = Vec::with_capacity(n + 2);
        a.push(callee_vmctx);
        a.push(self.env.vmctx);
        a.extend(self.pop_n(n));
        a
    }

    /// The exception handlers in scope, innermost first: the landing pad of every catch
    /// clause of every enclosing `try_table`, in this body and around its inlined calls.
    fn handlers_in_scope(&self) -> Vec<(Option<u32>, ir::Block)> {
        let mut handlers = Vec::new();
        for frame in self.frames.iter().rev() {
            if let FrameKind::TryTable { pads } = &frame.kind {
                handlers.extend(pads.iter().map(|p| (p.tag, p.block)));
            }
        }
        handlers.extend(self.outer_handlers.iter().copied());
        handlers
    }

    /// Emits a call, as a `try_call` carrying the handlers in scope when there are any,
    /// returning its results.
    fn emit_call(&mut self, callee: Callee, a: &[Value]) -> Vec<Value> {
        let handlers = self.handlers_in_scope();
        if handlers.is_empty() {
            let call = match callee {
                Callee::Direct(f) => self.b.ins().call(f, a),
                Callee::Indirect(sig, ptr) => self.b.ins().call_indirect(sig, ptr, a),
            };
            return self.b.inst_results(call).to_vec();
        }
        let sig = match callee {
            Callee::Direct(f) => self.b.func.dfg.ext_funcs[f].signature,
            Callee::Indirect(sig, _) => sig,
        };
        let returns: Vec<Type> = self.b.func.dfg.signatures[sig]
            .returns
            .iter()
            .map(|r| r.value_type)
            .collect();
        let cont = self.b.create_block();
        let mut ret_args = Vec::new();
        for (i, t) in returns.iter().enumerate() {
            self.b.append_block_param(cont, *t);
            ret_args.push(BlockArg::TryCallRet(i as u32));
        }
        let normal = self.b.func.dfg.block_call(cont, &ret_args);
        // The catching frame's vmctx comes first: the runtime resolves the tags through it.
        let mut items = vec![ir::ExceptionTableItem::Context(self.env.vmctx)];
        for (tag, block) in handlers {
            let call = self
                .b
                .func
                .dfg
                .block_call(block, &[BlockArg::TryCallExn(0)]);
            items.push(match tag {
                Some(t) => ir::ExceptionTableItem::Tag(
                    ir::ExceptionTag::from_u32(self.env.offsets.tag(t)),
                    call,
                ),
                None => ir::ExceptionTableItem::Default(call),
            });
        }
        let table = self
            .b
            .func
            .dfg
            .exception_tables
            .push(ir::ExceptionTableData::new(sig, normal, items));
        match callee {
            Callee::Direct(f) => self.b.ins().try_call(f, a, table),
            Callee::Indirect(_, ptr) => self.b.ins().try_call_indirect(ptr, a, table),
        };
        self.b.switch_to_block(cont);
        self.b.seal_block(cont);
        self.b.block_params(cont).to_vec()
    }

    /// A reference as two 64-bit words, as a table element stores it: the pointer, then the
    /// revision of a continuation's fat pointer (zero for every other reference).
    pub(crate) fn ref_words(&mut self, r: Value) -> (Value, Value) {
        if self.b.func.dfg.value_type(r) == types::I128 {
            // The register pair's halves: no shifting.
            self.b.ins().isplit(r)
        } else {
            (r, self.b.ins().iconst(types::I64, 0))
        }
    }

    /// Allocates an exception with tag `tag_index`, its payload popped from the stack.
    pub(crate) fn new_exception(&mut self, tag_index: u32) -> Result<Value> {
        let ty = self
            .env
            .module
            .func_type_at(self.env.module.tags[tag_index as usize]);
        let n = ty.params().len();
        let tag = self
            .env
            .vmctx_load(&mut self.b, self.env.offsets.tag(tag_index));
        let count = self.b.ins().iconst(types::I32, n as i64);
        let exn = self
            .env
            .call_builtin(&mut self.b, Builtin::exn_new, &[tag, count])
            .expect("exception pointer");
        self.b.ins().trapz(exn, trap(Trap::HostError));
        for (i, v) in self.pop_n(n).into_iter().enumerate() {
            let flags = value_slot_flags(self.b.func.dfg.value_type(v));
            self.b.ins().store(flags, v, exn, exn_payload_offset(i));
        }
        Ok(exn)
    }

    /// Throws exception `exn` (non-null). The call to the runtime carries the handlers in
    /// scope, so a `try_table` of this function catches it like any other; when it returns,
    /// the exception escaped to the host.
    pub(crate) fn throw(&mut self, exn: Value) {
        let (sig, fptr) = self.env.builtin_callee(&mut self.b, Builtin::throw_ref);
        let a = [self.env.vmctx, exn];
        self.emit_call(Callee::Indirect(sig, fptr), &a);
        self.b.ins().trap(trap(Trap::HostError));
        self.reachable = false;
    }

    /// Fills a `try_table` landing pad: unpacks the exception and branches to the label.
    fn emit_landing_pad(&mut self, pad: LandingPad) {
        self.b.switch_to_block(pad.block);
        self.b.seal_block(pad.block);
        let exn = self.b.block_params(pad.block)[0];
        let mut values = Vec::new();
        for (i, ty) in pad.payload.iter().enumerate() {
            values.push(
                self.b
                    .ins()
                    .load(*ty, value_slot_flags(*ty), exn, exn_payload_offset(i)),
            );
        }
        if pad.with_ref {
            values.push(exn);
        }
        let (target, _) = self.branch_target_of(pad.target);
        self.b.ins().jump(target, &args(&values));
    }

    /// `call` (or `return_call` when `tail`).
    fn call(&mut self, function_index: u32, tail: bool) -> Result<()> {
        if !tail && self.inline_call(function_index)? {
            return Ok(());
        }
        let type_index = self.env.module.functions[function_index as usize];
        let n = self.env.module.func_type_at(type_index).params().len();
        let sig = self.env.wasm_sig(&mut self.b, type_index)?;
        if self.env.module.is_imported_func(function_index) {
            let fref = self.env.func_ref(&mut self.b, function_index);
            self.call_func_ref(fref, sig, n, tail);
        } else {
            let name = self
                .b
                .func
                .declare_imported_user_function(ir::UserExternalName::new(0, function_index));
            let callee = self.b.import_function(ir::ExtFuncData {
                name: ir::ExternalName::user(name),
                signature: sig,
                colocated: true,
                patchable: false,
            });
            let a = self.call_args(self.env.vmctx, n);
            if tail {
                self.b.ins().return_call(callee, &a);
                self.reachable = false;
            } else {
                let results = self.emit_call(Callee::Direct(callee), &a);
                self.stack.extend(results);
            }
        }
        Ok(())
    }

    /// Calls through the `VMFuncRef` `fref` (a tail call when `tail`).
    fn call_func_ref(&mut self, fref: Value, sig: ir::SigRef, n: usize, tail: bool) {
        use wasmfx_environ::func_ref;
        let code = self.b.ins().load(
            types::I64,
            func_env::func_ref_flags(),
            fref,
            func_ref::WASM_CALL as i32,
        );
        let callee_vmctx = self.b.ins().load(
            types::I64,
            func_env::func_ref_flags(),
            fref,
            func_ref::VMCTX as i32,
        );
        let a = self.call_args(callee_vmctx, n);
        if tail {
            self.b.ins().return_call_indirect(sig, code, &a);
            self.reachable = false;
        } else {
            let results = self.emit_call(Callee::Indirect(sig, code), &a);
            self.stack.extend(results);
        }
    }

    /// `call_ref` (or `return_call_ref` when `tail`).
    fn call_ref(&mut self, type_index: u32, tail: bool) -> Result<()> {
        let fref = self.pop();
        self.b.ins().trapz(fref, trap(Trap::NullFunctionReference));
        let n = self.env.module.func_type_at(type_index).params().len();
        let sig = self.env.wasm_sig(&mut self.b, type_index)?;
        self.call_func_ref(fref, sig, n, tail);
        Ok(())
    }

    /// `call_indirect` (or `return_call_indirect` when `tail`).
    fn call_indirect(&mut self, type_index: u32, table_index: u32, tail: bool) -> Result<()> {
        use wasmfx_environ::func_ref;
        let n = self.env.module.func_type_at(type_index).params().len();
        let sig = self.env.wasm_sig(&mut self.b, type_index)?;
        let index = self.pop();
        let addr = self.env.table_elem_addr(
            &mut self.b,
            table_index,
            index,
            trap(Trap::UndefinedElement),
        );
        let fref = self.b.ins().load(types::I64, trusted_flags(), addr, 0);
        self.b.ins().trapz(fref, trap(Trap::UninitializedElement));
        let actual = self.b.ins().load(
            types::I32,
            func_env::func_ref_flags(),
            fref,
            func_ref::TYPE_ID as i32,
        );
        let expected = self.env.type_id(&mut self.b, type_index);
        let is_final = self.env.module.sub_types[type_index as usize].is_final;
        // A final type has no subtypes: only the same type matches. Otherwise a declared
        // subtype matches too.
        let matches = if is_final {
            self.b.ins().icmp(IntCC::Equal, actual, expected)
        } else {
            self.supertype_test(actual, expected, type_index)
        };
        self.b
            .ins()
            .trapz(matches, trap(Trap::IndirectCallTypeMismatch));
        self.call_func_ref(fref, sig, n, tail);
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum LoadKind {
    Full,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
}

/// The wasm text name of an operator, for error messages.
fn operator_name(op: &Operator) -> String {
    let debug = format!("{op:?}");
    let name = debug.split([' ', '{', '(']).next().unwrap_or("?");
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
