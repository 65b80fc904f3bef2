//! The `wasmfx` command-line tool: `wasmfx run` executes a WebAssembly module,
//! `wasmfx compile` precompiles one, `wasmfx wast` runs `.wast` spec scripts. Each subcommand lives in its own
//! module; this file parses the command line and turns errors into exit codes.

mod compile;
mod options;
mod run;
mod wast;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A WebAssembly runtime with typed continuations, built on Cranelift.
#[derive(Parser)]
#[command(name = "wasmfx", version, about, propagate_version = true)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
enum Command {
    /// Run a WebAssembly module (`.wasm` binary or `.wat` text).
    Run(run::RunCommand),
    /// Compile a module ahead of time to a `.cwasm` file for `run --allow-precompiled`.
    ///
    /// The options that change the generated code (the `-W` proposals, `fuel` and `timeout`,
    /// and `-O inlining`) must be given to `run` too.
    Compile(compile::CompileCommand),
    /// Run `.wast` spec scripts and report passed, failed and skipped directives.
    ///
    /// Every script runs with every proposal wasmfx validates, stack switching included,
    /// whatever folder it is in; the `-W` and `-O` options apply on top (e.g. `-W
    /// stack-switching=n` for a suite that stack switching changes), except `fuel` and
    /// `timeout`, which do not apply to scripts.
    Wast(wast::WastCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(cmd) => match cmd.execute() {
            Ok(code) => code,
            Err(err) => report_error(&err),
        },
        Command::Compile(cmd) => match cmd.execute() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => report_error(&err),
        },
        Command::Wast(cmd) => match cmd.execute() {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(err) => report_error(&err),
        },
    }
}

/// Prints an error with its whole chain (and wasm backtrace, for traps) and
/// picks the exit code: [`wasmfx_wasi::EXIT_TRAP`] for traps, 1 otherwise.
fn report_error(err: &anyhow::Error) -> ExitCode {
    eprintln!("Error: {err:?}");
    if wasmfx::trap_of(err).is_some() {
        ExitCode::from(wasmfx_wasi::EXIT_TRAP)
    } else {
        ExitCode::FAILURE
    }
}
