//! Fuzzing wasmfx on stable Rust (`ci/fuzz`): generators of programs and of damaged inputs,
//! and a driver that runs them case after case, each case reproducible from its seed.
//!
//! Targets:
//! - `generated`: wasm-smith modules, wasmfx under two settings and a reference engine;
//! - `continuations`: generated stack-switching programs, the same way;
//! - `mutated`: damaged modules and precompiled files, which must give errors, never a panic,
//!   a crash or a hang.

pub mod continuations;
pub mod execute;
pub mod generated;
pub mod mutated;
pub mod reference;
pub mod script;

use anyhow::{bail, Context, Result};
use reference::Reference;
use script::Dialect;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Something a case found: wasmfx disagreed, panicked or refused good input.
#[derive(Debug)]
pub struct Finding {
    /// The target that found it.
    pub target: &'static str,
    /// The case's seed: `ci/fuzz --seed SEED --cases 1 TARGET` reproduces it.
    pub seed: u64,
    /// What went wrong.
    pub description: String,
    /// The input (a module, a script or a precompiled file).
    pub input: Vec<u8>,
    /// The input's file extension.
    pub extension: &'static str,
}

impl Finding {
    /// A finding of `target` in the case `seed`.
    pub fn new(
        target: &'static str,
        seed: u64,
        description: String,
        input: Vec<u8>,
        extension: &'static str,
    ) -> Finding {
        Finding {
            target,
            seed,
            description,
            input,
            extension,
        }
    }

    /// The command line that runs this case again.
    pub fn reproduction(&self) -> String {
        format!("ci/fuzz --seed {} --cases 1 {}", self.seed, self.target)
    }

    /// Writes the input and a description into `dir`; returns the input's path.
    pub fn save(&self, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let base = dir.join(format!("{}-{}", self.target, self.seed));
        let input = base.with_extension(self.extension);
        std::fs::write(&input, &self.input)?;
        std::fs::write(
            base.with_extension("txt"),
            format!(
                "{}\n\nreproduce: {}\n",
                self.description,
                self.reproduction()
            ),
        )?;
        Ok(input)
    }
}

/// One kind of fuzzing.
pub trait Target {
    /// The name used on the command line.
    fn name(&self) -> &'static str;
    /// Runs the case `seed`.
    fn case(&mut self, seed: u64) -> Result<Option<Finding>>;
    /// Checks the cases waiting for a reference engine.
    fn flush(&mut self) -> Result<Option<Finding>> {
        Ok(None)
    }
    /// How many cases wait for a reference engine.
    fn pending(&self) -> usize {
        0
    }
    /// How many cases a reference engine has checked.
    fn compared(&self) -> u64 {
        0
    }
    /// Other counts worth reporting.
    fn summary(&self) -> String {
        String::new()
    }
}

/// Every target's name, in the order they run.
pub const TARGETS: [&str; 3] = ["generated", "continuations", "mutated"];

/// The input of case `seed` of `target`, as a finding would save it (for cases that crashed
/// or hung the process).
pub fn input_of(target: &str, seed: u64) -> Result<(Vec<u8>, &'static str)> {
    Ok(match target {
        "generated" => (generated::generate(seed)?, "wasm"),
        "continuations" => (continuations::generate(seed).text.into_bytes(), "wat"),
        "mutated" => mutated::input_of(seed)?,
        other => bail!("no fuzz target named `{other}`"),
    })
}

/// What a run does.
#[derive(Clone, Debug)]
pub struct Options {
    /// Time for all targets together (split evenly).
    pub seconds: Option<f64>,
    /// Cases per target.
    pub cases: Option<u64>,
    /// Case `i` of every target has seed `seed + i`.
    pub seed: u64,
    /// Targets to run; all when empty.
    pub targets: Vec<String>,
    /// Where findings and batch scripts go.
    pub out_dir: PathBuf,
    /// The wasmtime CLI, the reference for generated modules.
    pub wasmtime: Option<PathBuf>,
    /// Binaryen's `wasm-shell`, the reference for continuation programs.
    pub binaryen: Option<PathBuf>,
    /// Cases per reference-engine batch.
    pub batch: usize,
    /// The `wasmfx` command line, given some damaged inputs.
    pub cli: Option<PathBuf>,
}

/// What one target did.
#[derive(Debug)]
pub struct TargetReport {
    /// The target.
    pub name: &'static str,
    /// Cases run.
    pub cases: u64,
    /// Cases a reference engine checked.
    pub compared: u64,
    /// The first finding, which ended the run.
    pub finding: Option<Finding>,
    /// The target's other counts.
    pub summary: String,
    /// Time taken.
    pub elapsed: Duration,
}

/// A case that runs longer than this is a hang.
const HANG_TIMEOUT: Duration = Duration::from_secs(120);

/// Watches the running case: records it in `out_dir/running.txt` (so that a crash leaves its
/// seed behind) and ends the process when one runs past [`HANG_TIMEOUT`].
struct Watchdog {
    marker: std::fs::File,
    /// Milliseconds since `epoch` when the current case started, 0 when none runs.
    started: Arc<AtomicU64>,
    epoch: Instant,
}

impl Watchdog {
    fn new(out_dir: &Path) -> Result<Watchdog> {
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("creating {}", out_dir.display()))?;
        let marker = std::fs::File::create(out_dir.join("running.txt"))?;
        let started = Arc::new(AtomicU64::new(0));
        let epoch = Instant::now();
        let watched = started.clone();
        let marker_path = out_dir.join("running.txt");
        let out = out_dir.to_path_buf();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            let at = watched.load(Ordering::Relaxed);
            if at != 0 && epoch.elapsed().as_millis() as u64 > at + HANG_TIMEOUT.as_millis() as u64
            {
                let running = std::fs::read_to_string(&marker_path).unwrap_or_default();
                report_hang(&running, &out);
                std::process::exit(1);
            }
        });
        Ok(Watchdog {
            marker,
            started,
            epoch,
        })
    }

    fn begin(&mut self, target: &str, seed: u64) {
        use std::io::Seek;
        let _ = self.marker.set_len(0);
        let _ = self.marker.rewind();
        let _ = writeln!(self.marker, "{target} {seed}");
        let now = self.epoch.elapsed().as_millis() as u64;
        self.started.store(now.max(1), Ordering::Relaxed);
    }

    fn end(&mut self) {
        self.started.store(0, Ordering::Relaxed);
    }
}

/// Saves and reports the case named in a `running.txt` marker as a hang.
fn report_hang(running: &str, out: &Path) {
    let mut parts = running.split_whitespace();
    let (Some(target), Some(seed)) = (parts.next(), parts.next().and_then(|s| s.parse().ok()))
    else {
        eprintln!("fuzz: a case hung, and its marker is unreadable");
        return;
    };
    let name = TARGETS
        .iter()
        .find(|t| **t == target)
        .copied()
        .unwrap_or("?");
    let finding = match input_of(target, seed) {
        Ok((input, ext)) => Finding::new(
            name,
            seed,
            format!("ran for over {} s", HANG_TIMEOUT.as_secs()),
            input,
            ext,
        ),
        Err(e) => {
            eprintln!("fuzz: case {seed} of {target} hung; its input: {e:#}");
            return;
        }
    };
    print_finding(&finding, out);
}

/// Saves `finding` into `out` and prints it with its reproduction command.
pub fn print_finding(finding: &Finding, out: &Path) {
    let saved = finding
        .save(out)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|e| format!("(not saved: {e:#})"));
    eprintln!(
        "\nFINDING in {} (seed {}): {}\ninput: {saved}\nreproduce: {}",
        finding.target,
        finding.seed,
        finding.description,
        finding.reproduction()
    );
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

fn make_target(name: &str, options: &Options) -> Result<Box<dyn Target>> {
    let reference = |program: &Option<PathBuf>, dialect| {
        program
            .clone()
            .map(|program| Reference { dialect, program })
    };
    Ok(match name {
        "generated" => Box::new(generated::Generated::new(
            reference(&options.wasmtime, Dialect::Wasmtime),
            options.out_dir.clone(),
        )),
        "continuations" => Box::new(continuations::Continuations::new(
            reference(&options.binaryen, Dialect::Binaryen),
            reference(&options.wasmtime, Dialect::Wasmtime),
            options.out_dir.clone(),
        )),
        "mutated" => Box::new(mutated::Mutated::new(
            options.cli.clone(),
            options.out_dir.clone(),
        )?),
        other => bail!(
            "no fuzz target named `{other}` (targets: {})",
            TARGETS.join(", ")
        ),
    })
}

/// Runs the targets `options` names; stops at the first finding. `progress` receives a line
/// now and then.
pub fn run(options: &Options, mut progress: impl FnMut(&str)) -> Result<Vec<TargetReport>> {
    let names: Vec<String> = if options.targets.is_empty() {
        TARGETS.iter().map(|t| t.to_string()).collect()
    } else {
        options.targets.clone()
    };
    if options.seconds.is_none() && options.cases.is_none() {
        bail!("give --seconds or --cases");
    }
    let mut targets = names
        .iter()
        .map(|n| make_target(n, options))
        .collect::<Result<Vec<_>>>()?;
    let mut watchdog = Watchdog::new(&options.out_dir)?;
    let share = options
        .seconds
        .map(|s| Duration::from_secs_f64(s / names.len() as f64));
    let mut reports = Vec::new();
    for target in &mut targets {
        let start = Instant::now();
        let mut report = TargetReport {
            name: target.name(),
            cases: 0,
            compared: 0,
            finding: None,
            summary: String::new(),
            elapsed: Duration::ZERO,
        };
        let mut last_progress = Instant::now();
        loop {
            if options.cases.is_some_and(|n| report.cases >= n)
                || share.is_some_and(|s| start.elapsed() >= s)
            {
                break;
            }
            let seed = options.seed.wrapping_add(report.cases);
            watchdog.begin(target.name(), seed);
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| target.case(seed)));
            watchdog.end();
            report.cases += 1;
            let finding = match result {
                Ok(r) => r.with_context(|| format!("case {seed} of {}", target.name()))?,
                Err(payload) => {
                    let (input, ext) = input_of(target.name(), seed)?;
                    Some(Finding::new(
                        target.name(),
                        seed,
                        format!("panic: {}", panic_message(&*payload)),
                        input,
                        ext,
                    ))
                }
            };
            let finding = match finding {
                Some(f) => Some(f),
                None if target.pending() >= options.batch => target.flush()?,
                None => None,
            };
            if finding.is_some() {
                report.finding = finding;
                break;
            }
            if last_progress.elapsed() > Duration::from_secs(30) {
                last_progress = Instant::now();
                progress(&format!(
                    "{}: {} cases, {} checked by a reference",
                    target.name(),
                    report.cases,
                    target.compared()
                ));
            }
        }
        if report.finding.is_none() {
            report.finding = target.flush()?;
        }
        report.compared = target.compared();
        report.summary = target.summary();
        report.elapsed = start.elapsed();
        let found = report.finding.is_some();
        reports.push(report);
        if found {
            break;
        }
    }
    let _ = std::fs::remove_file(options.out_dir.join("running.txt"));
    Ok(reports)
}
