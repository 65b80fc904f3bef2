//! `wasmfx compile`: compiles a `.wasm` or `.wat` module ahead of time to a precompiled
//! `.cwasm` file, which `wasmfx run --allow-precompiled` runs without compiling again. The
//! file records the wasmfx build and the code generation settings (`-W` options and `-O
//! inlining`), and only
//! an engine with the same ones loads it.

use std::path::PathBuf;

use crate::options::EngineOptions;
use anyhow::{Context, Result};
use wasmfx::{Config, Engine};

/// Options of `wasmfx compile`.
#[derive(clap::Args)]
pub struct CompileCommand {
    /// Where to write the precompiled module [default: FILE with the extension `.cwasm`].
    #[arg(short = 'o', long = "output", value_name = "OUTPUT")]
    output: Option<PathBuf>,

    // The `-W` and `-O` options, as for `wasmfx run` (the subcommand's long help says which
    // must be given to `run` too).
    #[command(flatten)]
    engine: EngineOptions,

    /// The module to compile: a `.wasm` binary or a `.wat` text file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

impl CompileCommand {
    /// Compiles the module and writes the precompiled file.
    pub fn execute(self) -> Result<()> {
        let mut config = Config::new();
        self.engine
            .configure(&mut config)?
            .refuse_for("compile", true)?;
        let engine = Engine::new(&config).context("failed to create the engine")?;
        let bytes = std::fs::read(&self.file)
            .with_context(|| format!("failed to read `{}`", self.file.display()))?;
        let precompiled = engine
            .precompile_module(&bytes)
            .with_context(|| format!("failed to compile `{}`", self.file.display()))?;
        let output = self
            .output
            .unwrap_or_else(|| self.file.with_extension("cwasm"));
        // Renamed into place: a process running the old file (which it maps) keeps it.
        Engine::write_precompiled_file(&output, &precompiled)
            .with_context(|| format!("failed to write `{}`", output.display()))
    }
}
