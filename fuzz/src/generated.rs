//! The `generated` target: wasm-smith modules with every proposal wasmfx supports, run by
//! wasmfx under two settings (compared with each other, memories included) and checked by a
//! reference engine in batches.

use crate::execute::{self, Engines, Outcome, Settings};
use crate::reference::{check_batch, Fragment, Reference};
use crate::script::{self, Dialect};
use crate::{Finding, Target};
use anyhow::Result;
use arbitrary::Unstructured;
use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};
use std::path::PathBuf;

/// How much a generated module may do, counted by wasm-smith's own instrumentation (loop
/// iterations and calls), so every engine stops at the same point.
const TERMINATION_FUEL: u32 = 20_000;

/// The wasm-smith configuration: wasmfx's proposals, no imports (nothing to provide), small
/// memories and tables, NaNs canonicalised so results are deterministic. Relaxed SIMD is left
/// out: its results are implementation-defined, and wasmtime takes other choices than wasmfx.
pub fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        simd_enabled: true,
        relaxed_simd_enabled: false,
        threads_enabled: true,
        memory64_enabled: true,
        wide_arithmetic_enabled: false,
        custom_page_sizes_enabled: false,
        shared_everything_threads_enabled: false,
        gc_enabled: true,
        exceptions_enabled: true,
        tail_call_enabled: true,
        reference_types_enabled: true,
        bulk_memory_enabled: true,
        multi_value_enabled: true,
        extended_const_enabled: true,
        canonicalize_nans: true,
        export_everything: true,
        max_imports: 0,
        min_types: 6,
        min_funcs: 4,
        max_funcs: 30,
        max_memories: 2,
        max_tables: 2,
        // Every memory has a maximum, so that growing never depends on an engine's limits.
        max_memory32_bytes: 1 << 20,
        max_memory64_bytes: 1 << 20,
        memory_max_size_required: true,
        // Likewise tables (wasmtime grows one by 688 million elements, wasmfx refuses).
        table_max_size_required: true,
        max_table_elements: 1_000,
        max_instructions: 200,
        ..wasm_smith::Config::default()
    }
}

/// A module generated from `seed`.
pub fn generate(seed: u64) -> Result<Vec<u8>> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut data = vec![0u8; 64 * 1024];
    rng.fill_bytes(&mut data);
    let mut u = Unstructured::new(&data);
    let mut module = wasm_smith::Module::new(smith_config(), &mut u)?;
    module.ensure_termination(TERMINATION_FUEL)?;
    Ok(module.to_bytes())
}

/// Runs `wasm` under `settings`; `Err` when wasmfx refused the module.
fn outcome(
    engines: &mut Engines,
    settings: Settings,
    wasm: &[u8],
    seed: u64,
) -> Result<(Outcome, Vec<execute::Call>)> {
    let engine = engines.get(settings)?;
    let module = execute::load(&engine, settings, wasm)?;
    let calls = execute::plan_calls(&module, seed);
    Ok((execute::run(&module, settings.safety_fuel(), &calls), calls))
}

/// The first difference between two runs of the same calls, ignoring everything after a
/// point where they may legitimately differ.
pub fn compare(a: &Outcome, b: &Outcome) -> Option<String> {
    let early = |s: &Option<execute::Stop>| s.as_ref().is_some_and(execute::Stop::ends_comparison);
    if early(&a.instantiation) || early(&b.instantiation) {
        return None;
    }
    if a.instantiation != b.instantiation {
        return Some(format!(
            "instantiation: {:?} vs {:?}",
            a.instantiation, b.instantiation
        ));
    }
    for (i, (x, y)) in a.calls.iter().zip(&b.calls).enumerate() {
        let early = |c: &execute::CallOutcome| matches!(c, execute::CallOutcome::Stopped(s) if s.ends_comparison());
        if early(x) || early(y) {
            return None;
        }
        if x != y {
            return Some(format!("call {i}: {x:?} vs {y:?}"));
        }
    }
    if a.calls.len() != b.calls.len() && !a.ended_early() && !b.ended_early() {
        return Some(format!("{} calls vs {}", a.calls.len(), b.calls.len()));
    }
    if a.ended_early() || b.ended_early() {
        return None;
    }
    if a.globals != b.globals {
        return Some(format!("globals: {:?} vs {:?}", a.globals, b.globals));
    }
    if a.memories != b.memories {
        return Some(format!("memories: {:?} vs {:?}", a.memories, b.memories));
    }
    None
}

/// The `generated` target's state: engines by settings, and the batch waiting for the
/// reference.
pub struct Generated {
    engines: Engines,
    reference: Option<Reference>,
    work_dir: PathBuf,
    pending: Vec<(Fragment, Vec<u8>)>,
    /// Modules checked by the reference engine so far.
    pub compared_with_reference: u64,
}

impl Generated {
    /// A target checking against `reference` (when there is one), with scripts in `work_dir`.
    pub fn new(reference: Option<Reference>, work_dir: PathBuf) -> Generated {
        Generated {
            engines: Engines::default(),
            reference,
            work_dir,
            pending: Vec::new(),
            compared_with_reference: 0,
        }
    }
}

impl Target for Generated {
    fn name(&self) -> &'static str {
        "generated"
    }

    fn case(&mut self, seed: u64) -> Result<Option<Finding>> {
        let wasm = generate(seed)?;
        let finding = |what: String| Finding::new("generated", seed, what, wasm.clone(), "wasm");
        let (baseline, calls) = match outcome(&mut self.engines, Settings::BASELINE, &wasm, seed) {
            Ok(o) => o,
            Err(e) => {
                return Ok(Some(finding(format!(
                    "wasmfx refused a valid module: {e:#}"
                ))))
            }
        };
        let varied = Settings::varied(seed);
        let (other, _) = match outcome(&mut self.engines, varied, &wasm, seed) {
            Ok(o) => o,
            Err(e) => {
                return Ok(Some(finding(format!(
                    "wasmfx refused a valid module with {varied:?}: {e:#}"
                ))))
            }
        };
        if let Some(diff) = compare(&baseline, &other) {
            return Ok(Some(finding(format!(
                "baseline settings and {varied:?} disagree: {diff}"
            ))));
        }
        if self.reference.is_some() {
            let text = script::fragment(
                &script::binary_module(&wasm),
                &calls,
                &baseline,
                Dialect::Wasmtime,
                seed,
            );
            self.pending.push((Fragment { seed, text }, wasm));
        }
        Ok(None)
    }

    fn flush(&mut self) -> Result<Option<Finding>> {
        check_batch(
            self.reference.as_ref(),
            &mut self.pending,
            &self.work_dir,
            ("generated", "wasm"),
            &mut self.compared_with_reference,
        )
    }

    fn pending(&self) -> usize {
        self.pending.len()
    }

    fn compared(&self) -> u64 {
        self.compared_with_reference
    }
}
