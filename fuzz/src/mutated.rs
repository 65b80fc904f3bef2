//! The `mutated` target: damaged inputs. Modules of the spec suites (valid, invalid and
//! malformed ones) and wasm-smith modules are bit-flipped, truncated, spliced, have sections
//! swapped, dropped or resized, or are changed by wasm-mutate; precompiled files are damaged
//! the same way. wasmfx must answer each with a module or an error: never a panic, a crash or
//! a hang. Modules that compile are instantiated and run with fuel.

use crate::execute::{self, Settings};
use crate::{Finding, Target};
use anyhow::Result;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the spec suites are, relative to this crate.
fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec-tests")
}

/// The largest module taken into the corpus.
const MAX_CORPUS_MODULE: usize = 256 * 1024;

/// Every module of every `.wast` script under `dir`, in a fixed order (sorted paths).
pub fn spec_modules(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    collect_scripts(dir, &mut paths);
    paths.sort();
    let mut modules = Vec::new();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(buf) = wast::parser::ParseBuffer::new(&text) else {
            continue;
        };
        let Ok(script) = wast::parser::parse::<wast::Wast>(&buf) else {
            continue;
        };
        for directive in script.directives {
            use wast::WastDirective as D;
            let mut module = match directive {
                D::Module(m) | D::ModuleDefinition(m) => m,
                D::AssertMalformed { module, .. } | D::AssertInvalid { module, .. } => module,
                D::AssertUnlinkable { module, .. } => wast::QuoteWat::Wat(module),
                _ => continue,
            };
            if let Ok(bytes) = module.encode() {
                if bytes.len() <= MAX_CORPUS_MODULE {
                    modules.push(bytes);
                }
            }
        }
    }
    modules
}

fn collect_scripts(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_scripts(&path, out);
        } else if path.extension().is_some_and(|e| e == "wast") {
            out.push(path);
        }
    }
}

/// The corpus, loaded once per process.
fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| spec_modules(&suites_dir()))
}

/// A section of a module: its id and the byte range of the whole section (id, size and
/// contents).
fn sections(wasm: &[u8]) -> Vec<(u8, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        at += 1;
        let (mut size, mut shift) = (0usize, 0);
        loop {
            let Some(b) = wasm.get(at) else { return out };
            at += 1;
            size |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            if b & 0x80 == 0 || shift > 28 {
                break;
            }
        }
        let end = at.saturating_add(size);
        if end > wasm.len() {
            return out;
        }
        out.push((id, start..end));
        at = end;
    }
    out
}

/// One random change to `wasm`.
fn mutate_once(rng: &mut SmallRng, wasm: &mut Vec<u8>) {
    if wasm.is_empty() {
        wasm.extend_from_slice(b"\0asm\x01\0\0\0");
    }
    let len = wasm.len();
    match rng.gen_range(0..14) {
        0 | 1 => {
            for _ in 0..rng.gen_range(1..=8) {
                let i = rng.gen_range(0..len);
                wasm[i] ^= 1 << rng.gen_range(0..8);
            }
        }
        2 => {
            let i = rng.gen_range(0..len);
            wasm[i] = [0, 0xff, 0x7f, 0x80, 0x40, rng.gen()][rng.gen_range(0..6)];
        }
        3 => wasm.truncate(rng.gen_range(0..len)),
        4 => {
            let i = rng.gen_range(0..=len);
            let n = rng.gen_range(1..16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            wasm.splice(i..i, bytes);
        }
        5 => {
            let i = rng.gen_range(0..len);
            let j = (i + rng.gen_range(1..32)).min(len);
            wasm.drain(i..j);
        }
        6 | 7 => {
            let secs = sections(wasm);
            if secs.len() < 2 {
                return mutate_once(rng, wasm);
            }
            let a = rng.gen_range(0..secs.len());
            let b = rng.gen_range(0..secs.len());
            let (ra, rb) = (secs[a].1.clone(), secs[b].1.clone());
            let (sa, sb) = (wasm[ra.clone()].to_vec(), wasm[rb.clone()].to_vec());
            match rng.gen_range(0..3) {
                // Swap two sections.
                0 if ra.start < rb.start => {
                    let mut out = wasm[..ra.start].to_vec();
                    out.extend_from_slice(&sb);
                    out.extend_from_slice(&wasm[ra.end..rb.start]);
                    out.extend_from_slice(&sa);
                    out.extend_from_slice(&wasm[rb.end..]);
                    *wasm = out;
                }
                // Duplicate one.
                1 => {
                    wasm.splice(rb.start..rb.start, sa);
                }
                // Drop one.
                _ => {
                    wasm.drain(ra);
                }
            }
        }
        8 => {
            // Splice in a section of another module of the corpus.
            let corpus = corpus();
            if let Some(other) = corpus.choose(rng) {
                let secs = sections(other);
                if let Some((_, r)) = secs.choose(rng) {
                    let at = sections(wasm)
                        .choose(rng)
                        .map(|(_, r)| r.start)
                        .unwrap_or(len.min(8));
                    wasm.splice(at..at, other[r.clone()].to_vec());
                }
            }
        }
        // wasm-mutate, most often: its changes keep modules valid more often than not.
        _ => {
            // wasm-mutate expects valid modules (it panics on some invalid ones).
            let features = wasmparser::WasmFeatures::all();
            if wasmparser::Validator::new_with_features(features)
                .validate_all(wasm)
                .is_err()
            {
                return mutate_once(rng, wasm);
            }
            let mut m = wasm_mutate::WasmMutate::default();
            m.seed(rng.gen()).fuel(1_000).preserve_semantics(false);
            let input = wasm.clone();
            // wasm-mutate 0.263 also panics on some valid modules (exported tags, for one):
            // such a case falls back to another mutation, without printing the panic.
            let hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let mutated =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match m.run(&input) {
                    Ok(mut it) => it.next(),
                    Err(_) => None,
                }));
            std::panic::set_hook(hook);
            match mutated {
                Ok(Some(Ok(out))) => *wasm = out,
                Ok(_) => {}
                Err(_) => mutate_once(rng, wasm),
            }
        }
    }
}

/// Fuel for running a damaged module that compiled: enough for real work, short enough that
/// loops end quickly.
const MUTATED_FUEL: u64 = 5_000_000;

/// Whether case `seed` damages a precompiled file rather than a module.
fn damages_precompiled(seed: u64) -> bool {
    seed % 16 == 15
}

/// The module case `seed` starts from: a corpus module or a wasm-smith one.
fn original(seed: u64, rng: &mut SmallRng) -> Result<Vec<u8>> {
    let corpus = corpus();
    if corpus.is_empty() || rng.gen_ratio(1, 4) {
        return crate::generated::generate(seed);
    }
    Ok(corpus[rng.gen_range(0..corpus.len())].clone())
}

/// The damaged input of case `seed`, and its extension.
pub fn input_of(seed: u64) -> Result<(Vec<u8>, &'static str)> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut bytes = original(seed, &mut rng)?;
    let ext = if damages_precompiled(seed) {
        let engine = execute::engine(Settings::BASELINE)?;
        match engine.precompile_module(&bytes) {
            Ok(cwasm) => bytes = cwasm,
            Err(_) => bytes = engine.precompile_module(b"\0asm\x01\0\0\0")?,
        }
        "cwasm"
    } else {
        "wasm"
    };
    for _ in 0..[1, 1, 1, 2, 3][rng.gen_range(0..5)] {
        mutate_once(&mut rng, &mut bytes);
    }
    Ok((bytes, ext))
}

/// Every how many cases the `wasmfx` command line also gets the damaged input.
const CLI_EVERY: u64 = 50;

/// How long the command line may take on one input.
const CLI_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The `mutated` target's state.
pub struct Mutated {
    engines: Vec<wasmfx::Engine>,
    cli: Option<PathBuf>,
    work_dir: PathBuf,
    compiled: u64,
    ran: u64,
    cli_runs: u64,
}

impl Mutated {
    /// Loads the corpus and makes the engines; `cli` is the `wasmfx` binary to give some
    /// inputs to, with scratch files in `work_dir`.
    pub fn new(cli: Option<PathBuf>, work_dir: PathBuf) -> Result<Mutated> {
        corpus();
        let engines = (0..4u64)
            .map(|i| {
                execute::engine(Settings {
                    fuel: true,
                    ..Settings::varied(i)
                })
            })
            .collect::<Result<_>>()?;
        Ok(Mutated {
            engines,
            cli,
            work_dir,
            compiled: 0,
            ran: 0,
            cli_runs: 0,
        })
    }

    /// Runs `wasmfx run` on `input`: it must exit with an error or success, not die of a
    /// signal, panic or hang. Returns what went wrong.
    fn run_cli(&mut self, cli: &Path, input: &[u8], ext: &str) -> Result<Option<String>> {
        use std::os::unix::process::ExitStatusExt;
        let file = self.work_dir.join(format!("cli-input.{ext}"));
        std::fs::write(&file, input)?;
        let mut command = std::process::Command::new(cli);
        command.args(["run", "-W", "fuel=5000000"]);
        if ext == "cwasm" {
            command.arg("--allow-precompiled");
        }
        let mut child = command
            .arg(&file)
            .env("RUST_BACKTRACE", "0")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        self.cli_runs += 1;
        let Some(status) = crate::reference::wait_with_timeout(&mut child, CLI_TIMEOUT)? else {
            return Ok(Some(format!(
                "`wasmfx run` ran for over {} s",
                CLI_TIMEOUT.as_secs()
            )));
        };
        Ok(match (status.signal(), status.code()) {
            (Some(signal), _) => Some(format!("`wasmfx run` died of signal {signal}")),
            (_, Some(101)) => Some("`wasmfx run` panicked".to_string()),
            _ => None,
        })
    }
}

impl Target for Mutated {
    fn name(&self) -> &'static str {
        "mutated"
    }

    fn case(&mut self, seed: u64) -> Result<Option<Finding>> {
        let (input, ext) = input_of(seed)?;
        if let Some(cli) = self.cli.clone().filter(|_| seed.is_multiple_of(CLI_EVERY)) {
            if let Some(what) = self.run_cli(&cli, &input, ext)? {
                return Ok(Some(Finding::new("mutated", seed, what, input, ext)));
            }
        }
        let engine = &self.engines[(seed as usize / 16) % self.engines.len()];
        if ext == "cwasm" {
            // SAFETY: a damaged file must be refused by the checks of the loader; that is
            // what this case tests.
            let _ = unsafe { wasmfx::Module::deserialize(engine, &input) };
            return Ok(None);
        }
        let Ok(module) = wasmfx::Module::new(engine, &input) else {
            return Ok(None);
        };
        self.compiled += 1;
        if module.imports().next().is_none() {
            self.ran += 1;
            let calls = execute::plan_calls(&module, seed);
            execute::run(&module, Some(MUTATED_FUEL), &calls);
        }
        Ok(None)
    }

    fn summary(&self) -> String {
        format!(
            "{} compiled, {} of them run, {} given to the command line",
            self.compiled, self.ran, self.cli_runs
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_found() {
        let wasm = wat::parse_str("(module (func) (memory 1) (export \"f\" (func 0)))").unwrap();
        let ids: Vec<u8> = sections(&wasm).iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1, 3, 5, 7, 10]);
    }

    #[test]
    fn inputs_are_reproducible() {
        for seed in [3, 15, 31] {
            assert_eq!(input_of(seed).unwrap(), input_of(seed).unwrap());
        }
    }
}
