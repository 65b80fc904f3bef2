//! `wasmfx wast`: runs `.wast` spec scripts and prints, per file, how many
//! directives passed, failed and were skipped, followed by every failure. Every script runs
//! with every proposal wasmfx validates (stack switching included, whatever folder the script
//! is in), then the `-W` and `-O` options.

use std::path::PathBuf;

use crate::options::EngineOptions;
use anyhow::{Context, Result};
use wasmfx_wast::Outcome;

/// Stack size of the thread running the scripts: the script parser recurses
/// on nested expressions and wasm code runs on this stack too.
const STACK_SIZE: usize = 16 << 20;

/// Options of `wasmfx wast`.
#[derive(clap::Args)]
pub struct WastCommand {
    /// Also list skipped directives and their reasons.
    #[arg(long)]
    show_skipped: bool,

    // The `-W` and `-O` options, applied on top of `wasmfx_wast::default_config`.
    #[command(flatten)]
    engine: EngineOptions,

    /// The scripts to run.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

impl WastCommand {
    /// Runs every script; `Ok(false)` if any directive failed or any file
    /// could not be read.
    pub fn execute(self) -> Result<bool> {
        let handle = std::thread::Builder::new()
            .name("wast".to_string())
            .stack_size(STACK_SIZE)
            .spawn(move || self.run_all())
            .context("failed to start the script thread")?;
        match handle.join() {
            Ok(result) => result,
            // A panic is a bug: let it continue unwinding with its message.
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }

    /// Runs the scripts one after the other and prints their results.
    fn run_all(&self) -> Result<bool> {
        let mut all_passed = true;
        let (mut passed, mut failed, mut skipped) = (0, 0, 0);
        for file in &self.files {
            let mut config = wasmfx_wast::default_config();
            self.engine
                .configure(&mut config)?
                .refuse_for("wast", false)?;
            let results = match wasmfx_wast::run_file_with(file, &config) {
                Ok(results) => results,
                Err(err) => {
                    eprintln!("Error: {err:?}");
                    all_passed = false;
                    continue;
                }
            };
            println!(
                "{}: {} passed, {} failed, {} skipped",
                file.display(),
                results.passed(),
                results.failed(),
                results.skipped()
            );
            for directive in &results.directives {
                match &directive.outcome {
                    Outcome::Failed(reason) => println!(
                        "  {}:{}: {} failed: {reason}",
                        file.display(),
                        directive.line,
                        directive.kind
                    ),
                    Outcome::Skipped(reason) if self.show_skipped => println!(
                        "  {}:{}: {} skipped: {reason}",
                        file.display(),
                        directive.line,
                        directive.kind
                    ),
                    _ => {}
                }
            }
            passed += results.passed();
            failed += results.failed();
            skipped += results.skipped();
            all_passed &= results.failed() == 0;
        }
        if self.files.len() > 1 {
            println!("total: {passed} passed, {failed} failed, {skipped} skipped");
        }
        Ok(all_passed)
    }
}
