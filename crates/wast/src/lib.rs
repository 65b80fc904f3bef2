//! Runs WebAssembly `.wast` spec scripts on wasmfx.
//!
//! A script is a list of directives: modules to instantiate, functions to
//! invoke and assertions about results, traps and modules that must be
//! rejected. [`WastContext`] executes them through the `wasmfx` embedding API
//! and records, for every directive, its line and whether it passed, failed
//! (with a reason) or was skipped (directives of proposals the runner does not
//! know, such as `assert_suspension` or threads). A failing directive never
//! stops the script.
//!
//! ```no_run
//! let results = wasmfx_wast::run_file("tests/spec/i32.wast".as_ref()).unwrap();
//! println!("{} passed, {} failed", results.passed(), results.failed());
//! ```

mod context;
mod spectest;
mod values;

use std::fmt;
use std::path::Path;

pub use context::WastContext;

/// What happened to one directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The directive did what the script expects.
    Passed,
    /// The directive did not behave as expected, for the given reason.
    Failed(String),
    /// The directive was not run, for the given reason (usually a proposal
    /// the runner does not support).
    Skipped(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Passed => f.write_str("passed"),
            Outcome::Failed(reason) => write!(f, "failed: {reason}"),
            Outcome::Skipped(reason) => write!(f, "skipped: {reason}"),
        }
    }
}

/// The outcome of one directive of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectiveResult {
    /// The 1-based line the directive starts on.
    pub line: usize,
    /// The directive's keyword, e.g. `assert_return`, or `script` for a
    /// script that failed to parse.
    pub kind: &'static str,
    /// What happened.
    pub outcome: Outcome,
}

/// The results of running one script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptResults {
    /// The script's name (usually its path).
    pub name: String,
    /// One entry per directive, in script order.
    pub directives: Vec<DirectiveResult>,
}

impl ScriptResults {
    /// How many directives passed.
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Passed))
    }

    /// How many directives failed.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
    }

    /// How many directives were skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }

    /// The failed directives as `(line, reason)` pairs, in script order.
    pub fn failures(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        self.directives.iter().filter_map(|d| match &d.outcome {
            Outcome::Failed(reason) => Some((d.line, reason.as_str())),
            _ => None,
        })
    }

    /// How many directives have an outcome satisfying `pred`.
    fn count(&self, pred: impl Fn(&Outcome) -> bool) -> usize {
        self.directives.iter().filter(|d| pred(&d.outcome)).count()
    }
}

/// Runs the script at `path` in a fresh [`WastContext`] (one engine and one
/// store per script) configured by [`default_config`]. Errors only if the context cannot be
/// created or the file cannot be read.
pub fn run_file(path: &Path) -> wasmfx::Result<ScriptResults> {
    run_file_with(path, &default_config())
}

/// Runs the script at `path` like [`run_file`], with an engine configured by `config`.
pub fn run_file_with(path: &Path, config: &wasmfx::Config) -> wasmfx::Result<ScriptResults> {
    WastContext::with_config(config)?.run_file(path)
}

/// The configuration scripts run with unless told otherwise, wherever they are: validation
/// of every WebAssembly 3.0 proposal plus stack switching (`Config::all_proposals`).
/// Stack switching relaxes a few rules other suites test (it allows tags with results, which
/// `spec/exceptions/tag.wast` asserts are invalid); a caller running such a suite switches it
/// off with `Config::wasm_stack_switching(false)`.
pub fn default_config() -> wasmfx::Config {
    let mut config = wasmfx::Config::new();
    config.all_proposals(true);
    config
}

/// Runs the script `text` in a fresh [`WastContext`]; `name` appears in
/// parse error messages.
pub fn run_script(name: &str, text: &str) -> wasmfx::Result<ScriptResults> {
    Ok(WastContext::new()?.run_script(name, text))
}
