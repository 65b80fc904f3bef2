//! Snapshot tests of the compiler: every `tests/disas/*.wat` file holds a module and, below a
//! marker line, the optimised Cranelift IR of its defined functions (what goes to lowering) in
//! comment lines. The test compiles each module with wasmfx's default features and settings
//! (without inlining, so that every function shows its own code, unless the file has the line
//! [`INLINING_ON`]) and fails with a line diff when the IR differs from the expectation.
//!
//! `WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas` rewrites the expectations.

use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};
use wasmfx_cranelift::Compiler;
use wasmfx_environ::Tunables;

/// The line between a file's module and its expected IR.
const MARKER: &str =
    ";; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas";

/// The line that makes a file's module compile with inlining.
const INLINING_ON: &str = ";; inlining: on";

/// How each line of the expected IR starts (an empty line is the prefix without its space).
const LINE_PREFIX: &str = ";; ";

/// Unchanged lines shown around each change in a diff.
const DIFF_CONTEXT: usize = 3;

#[test]
fn disas_snapshots() {
    let bless = std::env::var("WASMFX_BLESS").is_ok_and(|v| v == "1");
    let compiler = Compiler::new(Tunables::default()).expect("a compiler for the host");
    let inlining = Compiler::new(Tunables {
        inlining: true,
        ..Tunables::default()
    })
    .expect("a compiler for the host");
    let mut failures = Vec::new();
    let files = snapshot_files().expect("listing tests/disas");
    assert!(!files.is_empty(), "no .wat files in tests/disas");
    for path in &files {
        if let Err(failure) = check_file(&compiler, &inlining, path, bless) {
            failures.push(format!("{}: {failure:#}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} snapshot(s) failed:\n\n{}\n\nIf the new IR is intended, run \
         `WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas` to accept it.",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// The `.wat` files under `tests/disas`, sorted by name.
fn snapshot_files() -> Result<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/disas");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wat") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Compiles the module in `path` (with `inlining` when it asks for it, else with `compiler`)
/// and compares its IR with the file's expectation, or with `bless` rewrites the expectation.
fn check_file(compiler: &Compiler, inlining: &Compiler, path: &Path, bless: bool) -> Result<()> {
    let text = std::fs::read_to_string(path).context("reading the file")?;
    let (module_text, expected) = match text.split_once(&format!("\n{MARKER}\n")) {
        Some((module_text, expected)) => (module_text, Some(expected)),
        None => (text.as_str(), None),
    };
    let compiler = if module_text.lines().any(|line| line.trim() == INLINING_ON) {
        inlining
    } else {
        compiler
    };
    let actual = optimized_clif(compiler, module_text)?;
    if bless {
        let mut blessed = format!("{}\n\n{MARKER}\n", module_text.trim_end());
        for line in actual.lines() {
            blessed.push_str(format!("{LINE_PREFIX}{line}").trim_end());
            blessed.push('\n');
        }
        if blessed != text {
            std::fs::write(path, blessed).context("writing the expectation")?;
        }
        return Ok(());
    }
    let Some(expected) = expected else {
        bail!("no expected IR (no line `{MARKER}`)");
    };
    let expected: Vec<&str> = expected.lines().map(strip_line_prefix).collect();
    // Blessing trims trailing whitespace (Cranelift prints some): so does the comparison.
    let actual: Vec<&str> = actual.lines().map(str::trim_end).collect();
    if expected != actual {
        // The module's lines, then the marker.
        let first_line = module_text.split('\n').count() + 2;
        bail!(
            "the IR differs (- expected, + actual):\n{}",
            line_diff(&expected, &actual, first_line)
        );
    }
    Ok(())
}

/// The optimised IR of every defined function of the module `wat`, separated by blank lines.
fn optimized_clif(compiler: &Compiler, wat: &str) -> Result<String> {
    let binary = wat::parse_str(wat).context("parsing the module")?;
    let (info, bodies) =
        wasmfx_environ::translate_module(&binary, wasmfx_environ::default_features())
            .context("validating the module")?;
    let funcs = compiler
        .optimized_clif(&info, bodies)
        .context("compiling the module")?;
    Ok(funcs
        .iter()
        .map(|f| f.trim_end())
        .collect::<Vec<_>>()
        .join("\n\n"))
}

/// One line of the expected IR without its comment prefix (a line without the prefix is
/// kept as it is, so the diff shows it).
fn strip_line_prefix(line: &str) -> &str {
    if line == LINE_PREFIX.trim_end() {
        ""
    } else {
        line.strip_prefix(LINE_PREFIX).unwrap_or(line)
    }
}

/// One line of a diff.
enum DiffLine<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// A line diff from `old` to `new` showing each change with a few unchanged lines around it;
/// `first_line` is the line number in the file of `old[0]`, for the headers of the hunks.
fn line_diff(old: &[&str], new: &[&str], first_line: usize) -> String {
    let edits = edit_script(old, new);
    let mut shown = vec![false; edits.len()];
    for (i, edit) in edits.iter().enumerate() {
        if !matches!(edit, DiffLine::Same(_)) {
            let context = i.saturating_sub(DIFF_CONTEXT)..(i + DIFF_CONTEXT + 1).min(edits.len());
            shown[context].fill(true);
        }
    }
    let mut out = String::new();
    let mut old_line = first_line;
    for (i, edit) in edits.iter().enumerate() {
        if shown[i] {
            if i == 0 || !shown[i - 1] {
                out.push_str(&format!("@@ line {old_line} @@\n"));
            }
            let (sign, line) = match edit {
                DiffLine::Same(line) => (' ', line),
                DiffLine::Removed(line) => ('-', line),
                DiffLine::Added(line) => ('+', line),
            };
            out.push_str(&format!("{sign}{line}\n"));
        }
        if !matches!(edit, DiffLine::Added(_)) {
            old_line += 1;
        }
    }
    out
}

/// The shortest sequence of kept, removed and added lines turning `old` into `new` (through
/// their longest common subsequence), removals before additions at each change.
fn edit_script<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<DiffLine<'a>> {
    // common[i][j]: length of the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut edits = Vec::with_capacity(old.len().max(new.len()));
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            edits.push(DiffLine::Same(old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || common[i + 1][j] >= common[i][j + 1]) {
            edits.push(DiffLine::Removed(old[i]));
            i += 1;
        } else {
            edits.push(DiffLine::Added(new[j]));
            j += 1;
        }
    }
    edits
}
