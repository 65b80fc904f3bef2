//! wasmfx-cranelift: compiles WebAssembly to x86_64 machine code with Cranelift.
//!
//! [`Compiler::compile_module`] translates every function body of a module (validating it on
//! the way) and lays the machine code out in one text section with calls between the module's
//! functions already linked. [`Compiler::array_to_wasm`] and [`Compiler::wasm_to_host`] build
//! the per-signature trampolines between the host's calling convention and wasm's.
//! [`Compiler::optimized_clif`] stops before code generation and returns each function's
//! optimised Cranelift IR as text.
//!
//! # Snapshot tests
//!
//! Each `tests/disas/*.wat` file holds a small module followed, in comment lines, by the
//! optimised IR of its functions; `cargo test -p wasmfx-cranelift --test disas` compares them
//! with what the compiler produces now. After an intended change to the generated code,
//! regenerate the expectations and review the diff:
//!
//! ```sh
//! WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
//! ```

#![deny(missing_docs)]

mod atomics;
mod func_env;
mod gc;
mod inline;
mod simd;
mod stack_maps;
mod stack_switching;
mod trampolines;
mod translate;

use anyhow::{anyhow, bail, Context as _, Result};
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::{self, TrapCode};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{
    Context, ExceptionContextLoc, FinalizedMachExceptionHandler, FinalizedRelocTarget,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use rayon::prelude::*;
use std::collections::BTreeMap;
use wasmfx_environ::{
    ExnCallSite, ExnHandler, FunctionBodyData, InlinedRange, ModuleInfo, StackMaps, Trap,
};

pub use func_env::{value_type, wasm_signature};

/// The Cranelift trap code generated code uses for `trap`.
pub fn trap_code(trap: Trap) -> TrapCode {
    match trap {
        Trap::StackOverflow => TrapCode::STACK_OVERFLOW,
        Trap::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
        Trap::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
        Trap::IntegerDivisionByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
        Trap::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
        other => TrapCode::unwrap_user(other as u8),
    }
}

/// The trap a Cranelift trap code stands for.
pub fn trap_from_code(code: TrapCode) -> Option<Trap> {
    Some(match code {
        TrapCode::STACK_OVERFLOW => Trap::StackOverflow,
        TrapCode::HEAP_OUT_OF_BOUNDS => Trap::MemoryOutOfBounds,
        TrapCode::INTEGER_OVERFLOW => Trap::IntegerOverflow,
        TrapCode::INTEGER_DIVISION_BY_ZERO => Trap::IntegerDivisionByZero,
        TrapCode::BAD_CONVERSION_TO_INTEGER => Trap::BadConversionToInteger,
        other => return Trap::from_u8(other.as_raw().get()),
    })
}

/// Machine code for one unit (a module or a trampoline), not yet placed in memory.
#[derive(Clone, Debug, Default)]
pub struct CompiledText {
    /// The code bytes, position independent.
    pub text: Vec<u8>,
    /// Byte range of each compiled function in `text`, in order of compilation.
    pub funcs: Vec<(u32, u32)>,
    /// Offsets in `text` of trapping instructions and their traps, sorted by offset.
    pub traps: Vec<(u32, Trap)>,
    /// Call sites with exception handlers, sorted by return address.
    pub exn_sites: Vec<ExnCallSite>,
    /// Where GC references live in frames waiting at calls and at stack switches.
    pub stack_maps: StackMaps,
    /// The code translated from inlined functions, sorted by offset.
    pub inlined: Vec<InlinedRange>,
}

impl CompiledText {
    /// Appends `other` (already linked, or with its calls to link given by the caller),
    /// returning the offset at which its text starts. Every offset of `other` lands after
    /// those already here, so sorted lists stay sorted.
    pub fn append(&mut self, other: &CompiledText) -> u32 {
        while !self.text.len().is_multiple_of(16) {
            self.text.push(0xcc);
        }
        let base = self.text.len() as u32;
        self.text.extend_from_slice(&other.text);
        self.funcs
            .extend(other.funcs.iter().map(|(start, len)| (base + start, *len)));
        self.traps
            .extend(other.traps.iter().map(|(off, trap)| (base + off, *trap)));
        self.exn_sites
            .extend(other.exn_sites.iter().map(|site| relocate_site(site, base)));
        self.stack_maps.append(&other.stack_maps, base);
        self.inlined
            .extend(other.inlined.iter().map(|range| InlinedRange {
                start: base + range.start,
                end: base + range.end,
                funcs: range.funcs.clone(),
            }));
        base
    }

    /// Appends one function's code, resolving calls to functions already laid out or given in
    /// `targets` by their module function index.
    fn push(
        &mut self,
        code: &cranelift_codegen::CompiledCode,
        func: &ir::Function,
        translated: &Translated,
        call_targets: &mut Vec<(u32, u32, i64)>,
    ) -> Result<()> {
        while !self.text.len().is_multiple_of(16) {
            self.text.push(0xcc);
        }
        let start = self.text.len() as u32;
        self.text.extend_from_slice(code.code_buffer());
        for t in code.buffer.traps() {
            let trap = trap_from_code(t.code)
                .ok_or_else(|| anyhow!("unknown trap code {} in generated code", t.code))?;
            self.traps.push((start + t.offset, trap));
        }
        for r in code.buffer.relocs() {
            let at = start + r.offset;
            match (&r.target, r.kind) {
                (
                    FinalizedRelocTarget::ExternalName(ir::ExternalName::User(name)),
                    Reloc::X86CallPCRel4,
                ) => {
                    let target = func.params.user_named_funcs()[*name].index;
                    call_targets.push((at, target, r.addend));
                }
                (target, kind) => bail!("unsupported relocation {kind:?} against {target:?}"),
            }
        }
        for site in code.buffer.call_sites() {
            if site.exception_handlers.is_empty() {
                continue;
            }
            let frame_offset = site
                .frame_offset
                .ok_or_else(|| anyhow!("a call site with handlers has no frame offset"))?;
            let mut vmctx_sp_offset = None;
            let mut handlers = Vec::new();
            for h in site.exception_handlers {
                match h {
                    FinalizedMachExceptionHandler::Context(ExceptionContextLoc::SPOffset(o)) => {
                        vmctx_sp_offset = Some(*o)
                    }
                    FinalizedMachExceptionHandler::Context(ExceptionContextLoc::GPR(_)) => {
                        bail!("exception context kept in a register is not supported")
                    }
                    FinalizedMachExceptionHandler::Tag(tag, target) => handlers.push(ExnHandler {
                        tag: Some(tag.as_u32()),
                        target: start + target,
                    }),
                    FinalizedMachExceptionHandler::Default(target) => handlers.push(ExnHandler {
                        tag: None,
                        target: start + target,
                    }),
                }
            }
            self.exn_sites.push(ExnCallSite {
                ret_addr: start + site.ret_addr,
                frame_offset,
                vmctx_sp_offset: vmctx_sp_offset
                    .ok_or_else(|| anyhow!("a call site with handlers has no vmctx"))?,
                handlers,
            });
        }
        let calls = stack_maps::sites(code.buffer.user_stack_maps(), start)?;
        self.stack_maps.calls.extend(calls);
        if !translated.switches.is_empty() {
            let switch_sites = stack_maps::switch_sites(code, &translated.switches, start)?;
            self.stack_maps.switches.extend(switch_sites);
        }
        if !translated.inline_sites.is_empty() {
            self.push_inlined(code, &translated.inline_sites, start)?;
        }
        self.funcs.push((start, code.code_buffer().len() as u32));
        Ok(())
    }

    /// Records the code ranges of a function's code (placed at `start`) whose source location
    /// is one of its inline sites, with the functions inlined there.
    fn push_inlined(
        &mut self,
        code: &cranelift_codegen::CompiledCode,
        sites: &[translate::InlineSite],
        start: u32,
    ) -> Result<()> {
        // Each site's functions, innermost first: its callee, then its parent site's. A
        // parent comes before its children in the list.
        let mut chains: Vec<Vec<u32>> = Vec::with_capacity(sites.len());
        for &(func, parent) in sites {
            let mut chain = vec![func];
            if parent != 0 {
                let outer = chains
                    .get(parent as usize - 1)
                    .ok_or_else(|| anyhow!("inline site {parent} used before it was made"))?;
                chain.extend_from_slice(outer);
            }
            chains.push(chain);
        }
        for loc in code.buffer.get_srclocs_sorted() {
            if loc.loc.is_default() || loc.start == loc.end {
                continue;
            }
            let site = loc.loc.bits();
            let funcs = site
                .checked_sub(1)
                .and_then(|i| chains.get(i as usize))
                .ok_or_else(|| anyhow!("code with an unknown inline site {site}"))?;
            let (range_start, range_end) = (start + loc.start, start + loc.end);
            match self.inlined.last_mut() {
                Some(last) if last.end == range_start && last.funcs == *funcs => {
                    last.end = range_end
                }
                _ => self.inlined.push(InlinedRange {
                    start: range_start,
                    end: range_end,
                    funcs: funcs.clone(),
                }),
            }
        }
        Ok(())
    }
}

/// What translating one function gives besides its Cranelift function.
#[derive(Default)]
struct Translated {
    /// The stack map entries of its stack switches.
    switches: stack_maps::SwitchEntries,
    /// The calls inlined into it.
    inline_sites: Vec<translate::InlineSite>,
}

/// Runs `f`, turning a panic (a compiler bug) into an error so the embedder does not lose the
/// process.
fn catching_panics<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(anyhow!("internal compiler error (a bug in wasmfx)")))
}

/// `site` moved by `base` bytes.
fn relocate_site(site: &ExnCallSite, base: u32) -> ExnCallSite {
    ExnCallSite {
        ret_addr: base + site.ret_addr,
        handlers: site
            .handlers
            .iter()
            .map(|h| ExnHandler {
                tag: h.tag,
                target: base + h.target,
            })
            .collect(),
        frame_offset: site.frame_offset,
        vmctx_sp_offset: site.vmctx_sp_offset,
    }
}

/// One function's code on its own (text from offset 0), with its calls to link: code offset,
/// callee's function index, addend.
type CompiledFunction = (CompiledText, Vec<(u32, u32, i64)>);

/// What translating and compiling one function needs, reused from one function to the next
/// (one per thread).
struct Workspace {
    ctx: Context,
    builder: FunctionBuilderContext,
    validator_allocs: wasmfx_environ::wasmparser::FuncValidatorAllocations,
}

impl Default for Workspace {
    fn default() -> Workspace {
        Workspace {
            ctx: Context::new(),
            builder: FunctionBuilderContext::new(),
            validator_allocs: Default::default(),
        }
    }
}

/// A compiler for one target: the host's CPU.
pub struct Compiler {
    isa: OwnedTargetIsa,
    tunables: wasmfx_environ::Tunables,
}

impl Compiler {
    /// A compiler for the host CPU, with the settings wasmfx's runtime relies on, generating
    /// the checks `tunables` ask for.
    pub fn new(tunables: wasmfx_environ::Tunables) -> Result<Compiler> {
        let mut flags = settings::builder();
        for (name, value) in [
            ("opt_level", "speed"),
            ("preserve_frame_pointers", "true"),
            ("enable_probestack", "false"),
            ("unwind_info", "false"),
            ("stack_switch_model", "basic"),
            ("enable_multi_ret_implicit_sret", "true"),
            (
                "enable_verifier",
                if cfg!(debug_assertions) {
                    "true"
                } else {
                    "false"
                },
            ),
        ] {
            flags
                .set(name, value)
                .with_context(|| format!("setting Cranelift flag {name}"))?;
        }
        let isa = cranelift_native::builder()
            .map_err(|e| anyhow!("host CPU not supported by Cranelift: {e}"))?
            .finish(settings::Flags::new(flags))
            .context("building the Cranelift target")?;
        if isa.name() != "x64" {
            bail!("wasmfx generates code for x86_64 only");
        }
        Ok(Compiler { isa, tunables })
    }

    /// Every setting that shapes the generated code, as `(name, value)` pairs: Cranelift's
    /// shared flags, then the target's (the host CPU features it may use), then the tunables.
    pub fn settings(&self) -> Vec<(String, String)> {
        let shared = self.isa.flags().iter().map(|v| ("cranelift", v));
        let target = self
            .isa
            .isa_flags()
            .into_iter()
            .map(|v| (self.isa.name(), v));
        let mut settings: Vec<(String, String)> = shared
            .chain(target)
            .map(|(group, v)| (format!("{group}.{}", v.name), v.value_string()))
            .collect();
        let wasmfx_environ::Tunables {
            consume_fuel,
            epoch_interruption,
            inlining,
        } = self.tunables;
        settings.push(("consume_fuel".into(), consume_fuel.to_string()));
        settings.push(("epoch_interruption".into(), epoch_interruption.to_string()));
        settings.push(("inlining".into(), inlining.to_string()));
        settings
    }

    /// Whether the target CPU has the feature Cranelift calls `name` (`has_sse41`, say).
    pub fn has_cpu_feature(&self, name: &str) -> bool {
        self.isa
            .isa_flags()
            .iter()
            .any(|v| v.name == name && v.as_bool() == Some(true))
    }

    /// The native calling convention (for builtins and host functions).
    pub fn native_call_conv(&self) -> CallConv {
        self.isa.default_call_conv()
    }

    /// Compiles the functions defined by `module` (validating their bodies) and links calls
    /// between them. `funcs[i]` of the result is defined function `i`.
    pub fn compile_module(
        &self,
        module: &ModuleInfo,
        bodies: Vec<FunctionBodyData<'_>>,
    ) -> Result<CompiledText> {
        catching_panics(|| {
            let inliner = self.inliner(module, &bodies);
            // Each function is translated and compiled on its own, on every core; the results
            // are laid out in order, so the output does not depend on the scheduling.
            let compiled: Vec<Result<CompiledFunction>> = bodies
                .par_iter()
                .enumerate()
                .map_init(Workspace::default, |workspace, (i, body)| {
                    let translated =
                        self.translate_one(module, i, body, workspace, inliner.as_ref())?;
                    let mut text = CompiledText::default();
                    let mut calls = Vec::new();
                    self.compile_into(&mut workspace.ctx, &translated, &mut text, &mut calls)?;
                    Ok((text, calls))
                })
                .collect();
            let mut out = CompiledText::default();
            let mut calls = Vec::new();
            // The first error in function order, as a sequential compilation would give.
            for function in compiled {
                let (text, function_calls) = function?;
                let base = out.append(&text);
                calls.extend(
                    function_calls
                        .into_iter()
                        .map(|(at, target, addend)| (base + at, target, addend)),
                );
            }
            let starts: BTreeMap<u32, u32> = out
                .funcs
                .iter()
                .enumerate()
                .map(|(i, (start, _))| (module.num_imported_funcs + i as u32, *start))
                .collect();
            for (at, target, addend) in calls {
                let target = starts[&target];
                let value = i64::from(target) - i64::from(at) + addend;
                let value = i32::try_from(value).context("call displacement out of range")?;
                out.text[at as usize..at as usize + 4].copy_from_slice(&value.to_le_bytes());
            }
            out.traps.sort_by_key(|t| t.0);
            Ok(out)
        })
    }

    /// The Cranelift IR of each function defined by `module` (validating their bodies) as it
    /// stands after Cranelift's mid-end optimisations, just before lowering to machine code,
    /// in Cranelift's text format. `result[i]` is defined function `i`.
    ///
    /// This is what [`Compiler::compile_module`] hands to the code generator; it exists for
    /// snapshot tests and for reading what the compiler makes of a module.
    pub fn optimized_clif(
        &self,
        module: &ModuleInfo,
        bodies: Vec<FunctionBodyData<'_>>,
    ) -> Result<Vec<String>> {
        catching_panics(|| {
            let mut clif = Vec::new();
            self.translate_each(module, &bodies, |ctx, _| {
                ctx.optimize(&*self.isa, &mut Default::default())
                    .map_err(|e| {
                        anyhow!("Cranelift failed to optimise {}: {e:?}", ctx.func.name)
                    })?;
                clif.push(ctx.func.display().to_string());
                Ok(())
            })?;
            Ok(clif)
        })
    }

    /// Translates (and validates) each function body of `module` in order into a Cranelift
    /// function, handing the context holding it to `each`.
    fn translate_each(
        &self,
        module: &ModuleInfo,
        bodies: &[FunctionBodyData<'_>],
        mut each: impl FnMut(&mut Context, &Translated) -> Result<()>,
    ) -> Result<()> {
        let inliner = self.inliner(module, bodies);
        let mut workspace = Workspace::default();
        for (i, body) in bodies.iter().enumerate() {
            let translated =
                self.translate_one(module, i, body, &mut workspace, inliner.as_ref())?;
            each(&mut workspace.ctx, &translated)?;
        }
        Ok(())
    }

    /// The inlining candidates among `bodies`, when inlining is on.
    fn inliner<'d>(
        &self,
        module: &ModuleInfo,
        bodies: &[FunctionBodyData<'d>],
    ) -> Option<inline::Inliner<'d>> {
        self.tunables
            .inlining
            .then(|| inline::Inliner::new(module, bodies))
    }

    /// Translates (and validates) the body of defined function `i` of `module` into the
    /// Cranelift function of `workspace.ctx`, inlining the candidates of `inliner` if given.
    /// When that fails, translates it again without inlining: its own errors then come out
    /// as they would without inlining.
    fn translate_one<'d>(
        &self,
        module: &ModuleInfo,
        i: usize,
        body: &FunctionBodyData<'d>,
        workspace: &mut Workspace,
        inliner: Option<&inline::Inliner<'d>>,
    ) -> Result<Translated> {
        match self.translate_with(module, i, body, workspace, inliner) {
            Err(_) if inliner.is_some() => self.translate_with(module, i, body, workspace, None),
            translated => translated,
        }
    }

    /// [`Compiler::translate_one`], inlining as `inliner` says.
    fn translate_with<'d>(
        &self,
        module: &ModuleInfo,
        i: usize,
        body: &FunctionBodyData<'d>,
        workspace: &mut Workspace,
        inliner: Option<&inline::Inliner<'d>>,
    ) -> Result<Translated> {
        let func_index = module.num_imported_funcs + i as u32;
        let allocs = std::mem::take(&mut workspace.validator_allocs);
        let mut validator = inline::copy_validator(&body.validator).into_validator(allocs);
        let sig = match wasm_signature(module, module.func_type(func_index)) {
            Ok(s) => s,
            Err(e) => {
                // Validate anyway so invalid modules report validation errors first.
                validator.validate(&body.body)?;
                return Err(e);
            }
        };
        let ctx = &mut workspace.ctx;
        ctx.clear();
        ctx.func = ir::Function::with_name_signature(ir::UserFuncName::user(0, func_index), sig);
        let builder = FunctionBuilder::new(&mut ctx.func, &mut workspace.builder);
        let mut env = func_env::FuncEnv::new(module, self.native_call_conv());
        env.tunables = self.tunables;
        let translated = translate::FuncTranslator::new(builder, env, inliner).translate(
            func_index,
            &body.body,
            &mut validator,
            self.isa.frontend_config(),
        );
        if translated.is_err() {
            // A translation stopped half way leaves the builder's context in use: the next
            // function (on this thread) starts from a fresh one.
            workspace.builder = FunctionBuilderContext::new();
        }
        let inline_sites = translated?;
        workspace.validator_allocs = validator.into_allocations();
        Ok(Translated {
            switches: stack_maps::detach_from_switches(&mut ctx.func),
            inline_sites,
        })
    }

    fn compile_single(&self, func: ir::Function) -> Result<CompiledText> {
        let mut ctx = Context::for_function(func);
        let mut out = CompiledText::default();
        self.compile_into(&mut ctx, &Translated::default(), &mut out, &mut Vec::new())?;
        Ok(out)
    }

    /// Compiles the function in `ctx` and appends its code to `out`, collecting the calls
    /// that still need linking.
    fn compile_into(
        &self,
        ctx: &mut Context,
        translated: &Translated,
        out: &mut CompiledText,
        calls: &mut Vec<(u32, u32, i64)>,
    ) -> Result<()> {
        ctx.compile(&*self.isa, &mut Default::default())
            .map_err(|e| anyhow!("Cranelift failed to compile {}: {:?}", e.func.name, e.inner))?;
        let code = ctx.compiled_code().expect("just compiled");
        out.push(code, &ctx.func, translated, calls)
    }
}
