//! Which direct calls are inlined: the translator translates a small callee's body in place
//! of a `call` to it. Candidates are chosen by their shape only; an invalid one fails the
//! caller's translation, which the compiler then does again without inlining (so the error
//! is the callee's own, reported when the callee is compiled).

use rayon::prelude::*;
use wasmfx_environ::wasmparser::{
    FuncToValidate, FuncValidator, FunctionBody, Operator, ValidatorResources,
};
use wasmfx_environ::{FunctionBodyData, ModuleInfo};

/// Bodies of at most this many bytes (locals and operators) are inlined. The fiber-library
/// functions that wrap one `resume` or `suspend` (with their table accesses) fit.
pub(crate) const MAX_INLINED_BODY: u64 = 96;

/// The most parameters and locals an inlined function may have: each inlined copy defines
/// every one of them again, and a few bytes of local declarations can declare thousands.
const MAX_INLINED_LOCALS: usize = 32;

/// How many inlined bodies may nest in one another at one call site.
pub(crate) const MAX_INLINE_DEPTH: usize = 2;

/// The bytes of callee bodies one function may inline: its own size, but at least
/// [`MIN_INLINE_BUDGET`] and at most [`MAX_INLINE_BUDGET`], so that inlining at most doubles
/// a function and adds little to the large ones (whose compilation time and memory grow
/// faster than their size).
pub(crate) fn inline_budget(body_bytes: u64) -> u64 {
    body_bytes.clamp(MIN_INLINE_BUDGET, MAX_INLINE_BUDGET)
}

/// See [`inline_budget`].
const MIN_INLINE_BUDGET: u64 = 1024;

/// See [`inline_budget`].
const MAX_INLINE_BUDGET: u64 = 8192;

/// The size of a body in bytes (locals and operators).
pub(crate) fn body_bytes(body: &FunctionBody<'_>) -> u64 {
    body.range().end - body.range().start
}

/// A function that may be inlined: its body and what validates it.
struct Candidate<'d> {
    body: FunctionBody<'d>,
    validator: FuncToValidate<ValidatorResources>,
}

/// A copy of `validator` (wasmparser's type is not `Clone`), to validate its body again.
pub(crate) fn copy_validator(
    validator: &FuncToValidate<ValidatorResources>,
) -> FuncToValidate<ValidatorResources> {
    FuncToValidate {
        resources: validator.resources.clone(),
        index: validator.index,
        ty: validator.ty,
        features: validator.features,
    }
}

/// The inlining candidates among a module's defined functions.
pub(crate) struct Inliner<'d> {
    num_imported_funcs: u32,
    /// Per defined function, the candidate it is, if it is one.
    candidates: Vec<Option<Candidate<'d>>>,
}

impl<'d> Inliner<'d> {
    /// The candidates among `bodies` (the defined functions of `module`): bodies of at most
    /// [`MAX_INLINED_BODY`] bytes with at most [`MAX_INLINED_LOCALS`] parameters and locals
    /// that make no tail call (a tail call inside an inlined body would have to return from
    /// the caller) and have no `unreachable` outside their blocks. Such a function always
    /// traps when it gets there, and Cranelift may fold a trap that ends the inlined code into
    /// its caller's branch, where the trap would lose the inlined function's frame; it is no
    /// loss, as trapping is not a fast path.
    pub(crate) fn new(module: &ModuleInfo, bodies: &[FunctionBodyData<'d>]) -> Inliner<'d> {
        let candidates = bodies
            .par_iter()
            .map(|data| {
                let body = &data.body;
                let params = module.func_type_at(data.validator.ty).params().len();
                if body_bytes(body) > MAX_INLINED_BODY || !may_inline(data, params) {
                    return None;
                }
                Some(Candidate {
                    body: body.clone(),
                    validator: copy_validator(&data.validator),
                })
            })
            .collect();
        Inliner {
            num_imported_funcs: module.num_imported_funcs,
            candidates,
        }
    }

    /// The body of function `func_index` with a fresh validator for it, if it is a candidate.
    pub(crate) fn callee(
        &self,
        func_index: u32,
    ) -> Option<(&FunctionBody<'d>, FuncValidator<ValidatorResources>)> {
        let defined = func_index.checked_sub(self.num_imported_funcs)?;
        let candidate = self.candidates.get(defined as usize)?.as_ref()?;
        let validator = copy_validator(&candidate.validator).into_validator(Default::default());
        Some((&candidate.body, validator))
    }
}

/// Whether `data`'s body (of a function with `params` parameters) reads, declares few enough
/// locals, makes no tail call and has no `unreachable` at its top level.
fn may_inline(data: &FunctionBodyData<'_>, params: usize) -> bool {
    let check = || -> wasmfx_environ::wasmparser::Result<bool> {
        let mut locals = data.body.get_locals_reader()?;
        let mut declared = params;
        for _ in 0..locals.get_count() {
            let (count, _) = locals.read()?;
            declared = declared.saturating_add(count as usize);
            if declared > MAX_INLINED_LOCALS {
                return Ok(false);
            }
        }
        let mut reader = data.body.get_operators_reader()?;
        let mut depth = 0usize;
        while !reader.eof() {
            match reader.read()? {
                Operator::ReturnCall { .. }
                | Operator::ReturnCallIndirect { .. }
                | Operator::ReturnCallRef { .. } => return Ok(false),
                Operator::Unreachable if depth == 0 => return Ok(false),
                Operator::Block { .. }
                | Operator::Loop { .. }
                | Operator::If { .. }
                | Operator::TryTable { .. } => depth += 1,
                Operator::End => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        reader.finish()?;
        Ok(true)
    };
    check().unwrap_or(false)
}
