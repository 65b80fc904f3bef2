//! Reference engines run as separate processes on batches of script fragments: the prebuilt
//! wasmtime CLI (`wasmtime wast`) and Binaryen's interpreter (`wasm-shell`). A batch is one
//! script; when the reference disagrees, the failing line names the fragment (the case).

use crate::script::Dialect;
use crate::Finding;
use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A reference engine.
#[derive(Clone, Debug)]
pub struct Reference {
    /// Which program.
    pub dialect: Dialect,
    /// Its executable.
    pub program: PathBuf,
}

/// One case's part of a batch script.
#[derive(Clone, Debug)]
pub struct Fragment {
    /// The case's seed.
    pub seed: u64,
    /// The script text.
    pub text: String,
}

/// A case the reference engine disagreed on.
#[derive(Clone, Debug)]
pub struct Disagreement {
    /// Index of the fragment in the batch.
    pub index: usize,
    /// What the reference said.
    pub message: String,
}

/// How long one batch may take before the reference is taken to hang.
const BATCH_TIMEOUT: Duration = Duration::from_secs(600);

impl Reference {
    /// The engine's name for messages.
    pub fn name(&self) -> &'static str {
        match self.dialect {
            Dialect::Wasmtime => "wasmtime",
            Dialect::Binaryen => "binaryen",
        }
    }

    /// Checks `fragments` in one script written into `dir`. Fragments whose disagreement is a
    /// legitimate difference between engines (where the stack runs out) are dropped and the
    /// rest of the batch is checked again. Returns the first real disagreement.
    pub fn check(&self, fragments: &[Fragment], dir: &Path) -> Result<Option<Disagreement>> {
        let mut start = 0;
        while start < fragments.len() {
            let batch = &fragments[start..];
            let mut text = String::new();
            let mut first_lines = Vec::with_capacity(batch.len());
            let mut line = 1;
            for f in batch {
                first_lines.push(line);
                line += f.text.matches('\n').count();
                text.push_str(&f.text);
            }
            let path = dir.join(format!("batch-{}.wast", self.name()));
            std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
            let Some((failed_line, message)) = self.run(&path)? else {
                return Ok(None);
            };
            let index = first_lines
                .partition_point(|l| *l <= failed_line)
                .saturating_sub(1);
            if legitimate_difference(&message) {
                start += index + 1;
                continue;
            }
            return Ok(Some(Disagreement {
                index: start + index,
                message,
            }));
        }
        Ok(None)
    }

    /// Runs the script; on failure returns the line of the failing directive and the output.
    fn run(&self, script: &Path) -> Result<Option<(usize, String)>> {
        let mut command = Command::new(&self.program);
        match self.dialect {
            Dialect::Wasmtime => {
                command.args([
                    "wast",
                    "-W",
                    "gc=y,function-references=y,exceptions=y,tail-call=y,multi-memory=y,\
                     stack-switching=y,threads=y,shared-memory=y,max-wasm-stack=4194304,\
                     async-stack-size=8388608",
                ]);
            }
            Dialect::Binaryen => {}
        }
        let mut child = command
            .arg(script)
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {}", self.program.display()))?;
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let Some(status) = wait_with_timeout(&mut child, BATCH_TIMEOUT)? else {
            bail!(
                "{} took over {} s on {}",
                self.name(),
                BATCH_TIMEOUT.as_secs(),
                script.display()
            );
        };
        let stdout = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        if status.success() {
            return Ok(None);
        }
        let output = format!("{stdout}{stderr}");
        let line = match self.dialect {
            Dialect::Wasmtime => last_number_after(&output, "failed directive on ", ":"),
            Dialect::Binaryen => last_number_after(&output, "[line: ", ""),
        };
        match line {
            Some(line) => Ok(Some((line, tail(&output)))),
            None => bail!(
                "{} failed without naming a line ({status}):\n{}",
                self.name(),
                tail(&output)
            ),
        }
    }
}

/// Waits for `child` to exit; past `timeout`, kills it and returns `None`.
pub(crate) fn wait_with_timeout(
    child: &mut std::process::Child,
    timeout: Duration,
) -> Result<Option<std::process::ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Checks the cases waiting for `reference` (none when there is no reference) and empties
/// the batch: each case's fragment and input. `compared` counts the cases checked; a
/// disagreement becomes a finding of `target` (its name and its inputs' extension).
pub fn check_batch(
    reference: Option<&Reference>,
    pending: &mut Vec<(Fragment, Vec<u8>)>,
    work_dir: &Path,
    target: (&'static str, &'static str),
    compared: &mut u64,
) -> Result<Option<Finding>> {
    let batch = std::mem::take(pending);
    let Some(reference) = reference else {
        return Ok(None);
    };
    let fragments: Vec<Fragment> = batch.iter().map(|(f, _)| f.clone()).collect();
    let disagreement = reference.check(&fragments, work_dir)?;
    *compared += fragments.len() as u64;
    Ok(disagreement.map(|d| {
        let (fragment, input) = &batch[d.index];
        Finding::new(
            target.0,
            fragment.seed,
            format!(
                "{} disagrees with wasmfx:\n{}\n--- script ---\n{}",
                reference.name(),
                d.message,
                fragment.text
            ),
            input.clone(),
            target.1,
        )
    }))
}

/// The number after the last `marker` (and after `sep` following it, when given) in `text`.
fn last_number_after(text: &str, marker: &str, sep: &str) -> Option<usize> {
    let at = text.rfind(marker)? + marker.len();
    let rest = &text[at..];
    let rest = if sep.is_empty() {
        rest
    } else {
        &rest[rest.find(sep)? + sep.len()..]
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The end of a long output, which is where engines say what failed.
fn tail(output: &str) -> String {
    // Not the interpreter's JavaScript stack trace or source.
    let lines: Vec<&str> = output
        .lines()
        .filter(|l| !l.starts_with("    at ") && l.len() < 400)
        .collect();
    let from = lines.len().saturating_sub(12);
    lines[from..].join("\n")
}

/// Whether a reference's complaint is a difference engines are allowed to have: where the
/// call stack runs out depends on frame sizes.
fn legitimate_difference(message: &str) -> bool {
    message.contains("call stack exhausted") || message.contains("stack overflow")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_lines_are_found() {
        let wasmtime = "Error: failed\n    0: failed directive on /tmp/b.wast:17:3\n";
        assert_eq!(
            last_number_after(wasmtime, "failed directive on ", ":"),
            Some(17)
        );
        let binaryen = "0 BUILDING MODULE [line: 1]\n1 CHECKING [line: 16]\nexpected 1, got 2";
        assert_eq!(last_number_after(binaryen, "[line: ", ""), Some(16));
    }
}
