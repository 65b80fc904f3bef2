//! `wasmfx-fuzz` (run through `ci/fuzz`): runs the fuzz targets for a time or a number of
//! cases and exits with status 1 on the first finding, after saving its input and printing the
//! command that reproduces it.

use anyhow::Result;
use clap::Parser;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// Differential and robustness fuzzing of wasmfx.
#[derive(Parser)]
#[command(name = "wasmfx-fuzz")]
struct Cli {
    /// Total time for all targets, split evenly between them.
    #[arg(long)]
    seconds: Option<f64>,
    /// Cases per target.
    #[arg(long)]
    cases: Option<u64>,
    /// Seed of the first case (case `i` has seed `SEED + i`); random when not given.
    #[arg(long)]
    seed: Option<u64>,
    /// Where findings and batch scripts go.
    #[arg(long, default_value = "target/fuzz")]
    out: PathBuf,
    /// The wasmtime CLI used as the reference for generated modules.
    #[arg(long)]
    wasmtime: Option<PathBuf>,
    /// Binaryen's `wasm-shell`, the reference for continuation programs.
    #[arg(long)]
    binaryen: Option<PathBuf>,
    /// The `wasmfx` command line, given every 50th damaged input of `mutated`.
    #[arg(long)]
    cli: Option<PathBuf>,
    /// Cases per batch given to a reference engine.
    #[arg(long, default_value_t = 250)]
    batch: usize,
    /// Write case SEED's input of the one TARGET into FILE and exit (for a case that crashed
    /// the process).
    #[arg(long, value_name = "FILE")]
    write_input: Option<PathBuf>,
    /// Targets to run (`generated`, `continuations`, `mutated`); all when none are named.
    targets: Vec<String>,
}

fn main() {
    let cli = Cli::parse();
    match run(cli) {
        Ok(found) => std::process::exit(i32::from(found)),
        Err(e) => {
            eprintln!("wasmfx-fuzz: error: {e:#}");
            std::process::exit(2);
        }
    }
}

fn run(cli: Cli) -> Result<bool> {
    let seed = cli.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    if let Some(file) = &cli.write_input {
        let [target] = cli.targets.as_slice() else {
            anyhow::bail!("--write-input needs exactly one target");
        };
        let (input, _) = wasmfx_fuzz::input_of(target, seed)?;
        std::fs::write(file, input)?;
        return Ok(false);
    }
    let options = wasmfx_fuzz::Options {
        seconds: cli.seconds,
        cases: cli.cases,
        seed,
        targets: cli.targets,
        out_dir: cli.out,
        wasmtime: cli.wasmtime,
        binaryen: cli.binaryen,
        batch: cli.batch.max(1),
        cli: cli.cli,
    };
    println!(
        "fuzzing from seed {seed}; references: wasmtime {}, binaryen {}",
        options
            .wasmtime
            .as_ref()
            .map_or("(none)".into(), |p| p.display().to_string()),
        options
            .binaryen
            .as_ref()
            .map_or("(none)".into(), |p| p.display().to_string())
    );
    let reports = wasmfx_fuzz::run(&options, |line| println!("{line}"))?;
    let mut found = false;
    for r in &reports {
        println!(
            "{}: {} cases in {:.1} s, {} checked by a reference engine{}{}",
            r.name,
            r.cases,
            r.elapsed.as_secs_f64(),
            r.compared,
            if r.summary.is_empty() { "" } else { "; " },
            r.summary
        );
        if let Some(f) = &r.finding {
            wasmfx_fuzz::print_finding(f, &options.out_dir);
            found = true;
        }
    }
    Ok(found)
}
