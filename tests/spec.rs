//! The spec conformance test: runs the official `.wast` scripts from
//! `../shared/spec-tests` (every folder, subfolders included) on two threads, each twice (with the
//! on-demand instance allocator, and with the pooling allocator and every module loaded from a
//! precompiled module), and compares the failing directives with
//! `tests/spec-expectations.txt`.
//!
//! The test fails on any failure not listed there, on any listed failure that
//! now passes, and on any panic. `WASMFX_BLESS=1 cargo test --test spec`
//! rewrites the list from the current failures instead. Arguments that do not
//! start with `-` select scripts whose path contains them.
//!
//! Environment: `WASMFX_SPEC_THREADS=N` runs N workers instead of 2;
//! `WASMFX_SPEC_VERBOSE=1` names each script as it starts (to find one that
//! crashes the process).
//!
//! This is a `harness = false` test so that its summary is always printed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use wasmfx::{Config, InstanceAllocationStrategy, PoolingConfig};
use wasmfx_wast::{Outcome, ScriptResults, WastContext};

/// Worker threads running scripts, unless `WASMFX_SPEC_THREADS` says otherwise.
const THREADS: usize = 2;
/// Stack size of each worker: deep expressions in the scripts make the
/// parser recurse, and wasm code runs on this stack.
const STACK_SIZE: usize = 16 << 20;
/// The longest one script may run before the test gives up on it (a script whose threads
/// wait for each other forever would otherwise hang the test; the slowest take seconds).
const SCRIPT_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);
/// Scripts with more failing directives than this are blessed as `path:*`.
const WILDCARD_THRESHOLD: usize = 20;
/// Failure reasons are cut to about this many characters when blessed.
const REASON_LEN: usize = 100;
/// The expectations file, relative to the package root.
const EXPECTATIONS: &str = "tests/spec-expectations.txt";

/// Scripts that run without stack switching, which changes their outcome: they assert that
/// something is invalid that the stack-switching proposal makes valid (tags with results).
/// Every other script runs with `wasmfx wast`'s defaults, stack switching on.
const WITHOUT_STACK_SWITCHING: &[&str] = &["spec/exceptions/tag.wast"];

/// What running one script produced.
struct ScriptRun {
    /// Path relative to the suite root, e.g. `spec/i32.wast`.
    name: String,
    /// The directive outcomes, or why the script could not run at all.
    results: Result<ScriptResults, String>,
}

impl ScriptRun {
    /// The failing directives as line -> reason.
    fn failures(&self) -> BTreeMap<usize, String> {
        match &self.results {
            Ok(results) => results
                .failures()
                .map(|(line, reason)| (line, reason.to_string()))
                .collect(),
            Err(reason) => BTreeMap::from([(0, reason.clone())]),
        }
    }
}

/// The checked-in list of expected failures.
#[derive(Default)]
struct Expectations {
    /// `path:LINE` entries with their reasons.
    directives: BTreeMap<(String, usize), String>,
    /// `path:*` entries with their reasons.
    scripts: BTreeMap<String, String>,
}

impl Expectations {
    /// Parses the expectations file format (see the module docs).
    fn parse(text: &str) -> Result<Expectations, String> {
        let mut expectations = Expectations::default();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (entry, reason) = match line.split_once('#') {
                Some((entry, reason)) => (entry.trim(), reason.trim()),
                None => (line, ""),
            };
            let bad = || format!("{EXPECTATIONS}:{}: malformed entry `{raw}`", index + 1);
            let (path, location) = entry.rsplit_once(':').ok_or_else(bad)?;
            if location == "*" {
                expectations
                    .scripts
                    .insert(path.to_string(), reason.to_string());
            } else {
                let number = location.parse::<usize>().map_err(|_| bad())?;
                expectations
                    .directives
                    .insert((path.to_string(), number), reason.to_string());
            }
        }
        Ok(expectations)
    }

    /// Whether any entry mentions `script`.
    fn mentions(&self, script: &str) -> bool {
        self.scripts.contains_key(script) || self.directives.keys().any(|(s, _)| s == script)
    }
}

/// Command-line options: script filters (`cargo test --test spec -- i32`).
struct Options {
    /// Substrings selecting scripts; empty selects all.
    filters: Vec<String>,
    /// Substrings excluding scripts (`--skip NAME`).
    skips: Vec<String>,
}

impl Options {
    /// Reads the arguments, ignoring libtest flags such as `--nocapture`.
    fn from_args() -> Options {
        let mut options = Options {
            filters: Vec::new(),
            skips: Vec::new(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if arg == "--skip" {
                options.skips.extend(args.next());
            } else if !arg.starts_with('-') {
                options.filters.push(arg);
            }
        }
        options
    }

    /// Whether `script` is selected.
    fn selects(&self, script: &str) -> bool {
        (self.filters.is_empty() || self.filters.iter().any(|f| script.contains(f.as_str())))
            && !self.skips.iter().any(|s| script.contains(s.as_str()))
    }

    /// Whether every script is selected.
    fn selects_all(&self) -> bool {
        self.filters.is_empty() && self.skips.is_empty()
    }
}

fn main() -> ExitCode {
    let options = Options::from_args();
    if std::env::args().any(|a| a == "--list") {
        // `cargo test -- --list`: this binary is a single test.
        println!("spec: test");
        return ExitCode::SUCCESS;
    }
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite = package.join("../shared/spec-tests");
    let scripts = match find_scripts(&suite) {
        Ok(scripts) => scripts,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let selected: Vec<String> = scripts.into_iter().filter(|s| options.selects(s)).collect();
    if selected.is_empty() {
        println!("spec: no script matches the filters");
        return ExitCode::SUCCESS;
    }

    let runs = run_scripts(&suite, &selected);
    print_summary(&runs);

    let expectations_path = package.join(EXPECTATIONS);
    let bless = std::env::var("WASMFX_BLESS").is_ok_and(|v| v == "1");
    let existing = match std::fs::read_to_string(&expectations_path) {
        Ok(text) => text,
        Err(_) if bless => String::new(),
        Err(err) => {
            eprintln!(
                "error: cannot read {}: {err}\n(run `WASMFX_BLESS=1 cargo test --test spec` to create it)",
                expectations_path.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let expectations = match Expectations::parse(&existing) {
        Ok(expectations) => expectations,
        Err(err) if bless => {
            eprintln!("warning: replacing unreadable expectations: {err}");
            Expectations::default()
        }
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };

    let panicked: Vec<&ScriptRun> = runs
        .iter()
        .filter(|r| matches!(&r.results, Err(reason) if reason.starts_with("panicked")))
        .collect();
    for run in &panicked {
        eprintln!("error: {}: {}", run.name, run.failures()[&0]);
    }

    if bless {
        let text = bless_text(&runs, &expectations, &options);
        if let Err(err) = std::fs::write(&expectations_path, text) {
            eprintln!("error: cannot write {}: {err}", expectations_path.display());
            return ExitCode::FAILURE;
        }
        println!("spec: wrote {}", expectations_path.display());
        return if panicked.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }

    let problems = compare(&runs, &expectations, &options);
    if problems.is_empty() && panicked.is_empty() {
        println!("spec: all failures are expected");
        ExitCode::SUCCESS
    } else {
        eprintln!("\n{} difference(s) from {EXPECTATIONS}:", problems.len());
        for problem in &problems {
            eprintln!("  {problem}");
        }
        eprintln!(
            "\nFix the regressions, or run `WASMFX_BLESS=1 cargo test --test spec` to accept the \
             current results."
        );
        ExitCode::FAILURE
    }
}

/// Every script to run, as paths relative to `suite`, in a stable order.
fn find_scripts(suite: &Path) -> Result<Vec<String>, String> {
    if !suite.is_dir() {
        return Err(format!(
            "the spec test suite is missing: expected it at {} (a `shared/spec-tests` folder \
             beside the checkout)",
            suite.display()
        ));
    }
    let mut scripts = Vec::new();
    collect_scripts(suite, "", &mut scripts)?;
    scripts.sort();
    if scripts.is_empty() {
        return Err(format!("no .wast scripts found under {}", suite.display()));
    }
    Ok(scripts)
}

/// Adds the `.wast` scripts under `suite/folder`, every subfolder included, as paths relative
/// to `suite`.
fn collect_scripts(suite: &Path, folder: &str, scripts: &mut Vec<String>) -> Result<(), String> {
    let dir = suite.join(folder);
    let entries =
        std::fs::read_dir(&dir).map_err(|err| format!("cannot list {}: {err}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|err| format!("cannot list {}: {err}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if folder.is_empty() {
            name.clone()
        } else {
            format!("{folder}/{name}")
        };
        if entry.path().is_dir() {
            collect_scripts(suite, &relative, scripts)?;
        } else if name.ends_with(".wast") {
            scripts.push(relative);
        }
    }
    Ok(())
}

/// Ends the test, naming the script, when a script has run for longer than
/// [`SCRIPT_TIME_LIMIT`]; returns once all `workers` have finished.
fn watch_time_limit(
    in_flight: &Mutex<Vec<Option<(usize, std::time::Instant)>>>,
    finished_workers: &AtomicUsize,
    workers: usize,
    scripts: &[String],
) {
    while finished_workers.load(Ordering::SeqCst) < workers {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let overdue = lock(in_flight)
            .iter()
            .flatten()
            .find(|(_, started)| started.elapsed() > SCRIPT_TIME_LIMIT)
            .map(|(index, _)| *index);
        if let Some(index) = overdue {
            eprintln!(
                "spec: {} has run for more than {} s: it hangs (threads waiting forever?)",
                scripts[index],
                SCRIPT_TIME_LIMIT.as_secs()
            );
            std::process::exit(1);
        }
    }
}

/// Runs the scripts on [`THREADS`] workers (or `WASMFX_SPEC_THREADS`), each taking the next script from
/// a shared index. A panicking script is recorded as such; the worker that
/// panicked stops and the other ones carry on.
fn run_scripts(suite: &Path, scripts: &[String]) -> Vec<ScriptRun> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<ScriptRun>>> =
        Mutex::new((0..scripts.len()).map(|_| None).collect());
    // Which script each worker is running, to name the one that panicked.
    let threads = std::env::var("WASMFX_SPEC_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(THREADS);
    // With when it started.
    let in_flight: Mutex<Vec<Option<(usize, std::time::Instant)>>> =
        Mutex::new(vec![None; threads]);
    let finished_workers = AtomicUsize::new(0);
    let verbose = std::env::var("WASMFX_SPEC_VERBOSE").is_ok_and(|v| v == "1");

    std::thread::scope(|scope| {
        scope.spawn(|| watch_time_limit(&in_flight, &finished_workers, threads, scripts));
        let mut handles = Vec::new();
        for worker in 0..threads {
            let (next, results, in_flight) = (&next, &results, &in_flight);
            let finished_workers = &finished_workers;
            let handle = std::thread::Builder::new()
                .name(format!("spec-{worker}"))
                .stack_size(STACK_SIZE)
                .spawn_scoped(scope, move || loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(name) = scripts.get(index) else {
                        finished_workers.fetch_add(1, Ordering::SeqCst);
                        break;
                    };
                    lock(in_flight)[worker] = Some((index, std::time::Instant::now()));
                    if verbose {
                        eprintln!("spec: running {name}");
                    }
                    let results_of_script = run_one(suite, name);
                    print_script_line(name, &results_of_script);
                    lock(results)[index] = Some(ScriptRun {
                        name: name.clone(),
                        results: results_of_script,
                    });
                    lock(in_flight)[worker] = None;
                })
                .expect("failed to spawn a spec worker thread");
            handles.push(handle);
        }
        for (worker, handle) in handles.into_iter().enumerate() {
            if let Err(payload) = handle.join() {
                finished_workers.fetch_add(1, Ordering::SeqCst);
                let message = panic_message(payload.as_ref());
                if let Some((index, _)) = lock(&in_flight)[worker] {
                    lock(&results)[index] = Some(ScriptRun {
                        name: scripts[index].clone(),
                        results: Err(format!("panicked: {message}")),
                    });
                }
            }
        }
    });

    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results
        .into_iter()
        .zip(scripts)
        .map(|(run, name)| {
            run.unwrap_or_else(|| ScriptRun {
                name: name.clone(),
                results: Err("not run: its worker thread died".to_string()),
            })
        })
        .collect()
}

/// Runs the script `name` (relative to `suite`) in fresh contexts twice: with on-demand
/// allocation and modules compiled directly, then with the pooling allocator, every module
/// loaded from a precompiled module, and a GC collection at every GC allocation. A directive counts as passed only if it passes both
/// times.
fn run_one(suite: &Path, name: &str) -> Result<ScriptResults, String> {
    let path = suite.join(name);
    let mut config = config_for(name);
    let direct = run_with(&path, &config, false)?;
    let mut pooling = PoolingConfig::new();
    // Room for the largest tables the scripts create.
    pooling.table_elements(100_000);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    // A collection at every GC allocation: a reference the collector misses shows at once.
    config.gc_zeal(true);
    let pooled = run_with(&path, &config, true)?;
    Ok(merge_runs(direct, pooled))
}

/// The engine configuration of the script `name`: `wasmfx wast`'s defaults (every proposal,
/// stack switching included), minus stack switching for [`WITHOUT_STACK_SWITCHING`].
fn config_for(name: &str) -> Config {
    let mut config = wasmfx_wast::default_config();
    if WITHOUT_STACK_SWITCHING.contains(&name) {
        config.wasm_stack_switching(false);
    }
    config
}

/// Runs one script in a fresh context whose engine `config` describes, with modules
/// precompiled or not.
fn run_with(path: &Path, config: &Config, precompile: bool) -> Result<ScriptResults, String> {
    let mut context = WastContext::with_config(config)
        .map_err(|err| format!("cannot create context: {err:#}"))?;
    context.precompile_modules(precompile);
    context.run_file(path).map_err(|err| format!("{err:#}"))
}

/// The first run's results, with each directive that passed there but not in the second run
/// turned into a failure saying so.
fn merge_runs(mut direct: ScriptResults, pooled: ScriptResults) -> ScriptResults {
    for (a, b) in direct.directives.iter_mut().zip(&pooled.directives) {
        if matches!(a.outcome, Outcome::Passed) {
            if let Outcome::Failed(reason) = &b.outcome {
                a.outcome = Outcome::Failed(format!(
                    "with the pooling allocator and precompiled modules: {reason}"
                ));
            }
        }
    }
    direct
}

/// Locks a mutex, ignoring poisoning (a panicking worker must not hide the
/// results of the others).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// Prints the one-line result of a script as soon as it finishes.
fn print_script_line(name: &str, results: &Result<ScriptResults, String>) {
    match results {
        Ok(r) => println!(
            "{:>5} {name}: {} passed, {} failed, {} skipped",
            if r.failed() == 0 { "ok" } else { "FAIL" },
            r.passed(),
            r.failed(),
            r.skipped()
        ),
        Err(reason) => println!("ERROR {name}: {reason}"),
    }
}

/// Directive counts.
#[derive(Default)]
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Counts {
    /// Adds one script's results.
    fn add(&mut self, run: &ScriptRun) {
        match &run.results {
            Ok(r) => {
                self.passed += r.passed();
                self.failed += r.failed();
                self.skipped += r.skipped();
            }
            Err(_) => self.failed += 1,
        }
    }
}

/// Prints the totals of each folder and of all scripts.
fn print_summary(runs: &[ScriptRun]) {
    let mut folders: BTreeMap<&str, (usize, Counts)> = BTreeMap::new();
    for run in runs {
        let folder = run.name.rsplit_once('/').map_or("", |(folder, _)| folder);
        let (scripts, counts) = folders.entry(folder).or_default();
        *scripts += 1;
        counts.add(run);
    }
    println!();
    for (folder, (scripts, counts)) in &folders {
        println!(
            "spec: {folder}/: {scripts} scripts, {} passed, {} failed, {} skipped",
            counts.passed, counts.failed, counts.skipped
        );
    }
    let mut all = Counts::default();
    let mut clean = 0;
    for run in runs {
        all.add(run);
        if run.failures().is_empty() {
            clean += 1;
        }
    }
    let percent = |c: &Counts| {
        let total = c.passed + c.failed;
        if total == 0 {
            100.0
        } else {
            100.0 * c.passed as f64 / total as f64
        }
    };
    println!(
        "spec: {} scripts ({clean} fully passing), {} directives: {} passed, {} failed, \
         {} skipped ({:.1}% of run directives pass)",
        runs.len(),
        all.passed + all.failed + all.skipped,
        all.passed,
        all.failed,
        all.skipped,
        percent(&all)
    );
}

/// Every difference between the current failures and the expectations.
fn compare(runs: &[ScriptRun], expectations: &Expectations, options: &Options) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ran = BTreeSet::new();
    for run in runs {
        ran.insert(run.name.as_str());
        let failures = run.failures();
        if expectations.scripts.contains_key(&run.name) {
            if failures.is_empty() {
                problems.push(format!(
                    "{}:* now passes completely: remove it from the list",
                    run.name
                ));
            }
            continue;
        }
        for (line, reason) in &failures {
            if !expectations
                .directives
                .contains_key(&(run.name.clone(), *line))
            {
                problems.push(format!("{}:{line}: unexpected failure: {reason}", run.name));
            }
        }
        for ((script, line), reason) in expectations
            .directives
            .range((run.name.clone(), 0)..=(run.name.clone(), usize::MAX))
        {
            if !failures.contains_key(line) {
                problems.push(format!(
                    "{script}:{line} now passes (expected failure: {reason}): remove it from the list"
                ));
            }
        }
    }
    // Entries naming scripts that no longer exist.
    let listed: BTreeSet<&str> = expectations
        .scripts
        .keys()
        .map(String::as_str)
        .chain(expectations.directives.keys().map(|(s, _)| s.as_str()))
        .collect();
    for script in listed {
        if !ran.contains(script) && (options.selects_all() || options.selects(script)) {
            problems.push(format!(
                "{script}: listed in the expectations but no such script was run: remove it"
            ));
        }
    }
    problems
}

/// The new expectations file: the current failures of the scripts that ran,
/// plus the old entries of scripts that were filtered out.
fn bless_text(runs: &[ScriptRun], old: &Expectations, options: &Options) -> String {
    let mut entries: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for run in runs {
        let failures = run.failures();
        if failures.is_empty() {
            continue;
        }
        let lines = entries.entry(run.name.clone()).or_default();
        if failures.len() > WILDCARD_THRESHOLD || run.results.is_err() {
            let first = failures.values().next().map(String::as_str).unwrap_or("");
            lines.push(format!(
                "{}:*  # {} failures; first: {}",
                run.name,
                failures.len(),
                clip(first)
            ));
        } else {
            for (line, reason) in &failures {
                lines.push(format!("{}:{line}  # {}", run.name, clip(reason)));
            }
        }
    }
    if !options.selects_all() {
        let ran: BTreeSet<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        let kept = old
            .scripts
            .iter()
            .map(|(s, r)| (s.clone(), format!("{s}:*  # {r}")))
            .chain(
                old.directives
                    .iter()
                    .map(|((s, l), r)| (s.clone(), format!("{s}:{l}  # {r}"))),
            );
        for (script, line) in kept {
            if !ran.contains(script.as_str()) && old.mentions(&script) {
                entries.entry(script).or_default().push(line);
            }
        }
    }

    let mut text = String::from(
        "# Spec-script directives expected to fail, checked by tests/spec.rs.\n\
         # Regenerate with `WASMFX_BLESS=1 cargo test --test spec`.\n\
         # `path:LINE  # reason` expects the directive at LINE to fail; `path:*  # reason` lets\n\
         # the whole script fail (it must still fail somewhere). Paths are relative to\n\
         # ../shared/spec-tests.\n",
    );
    for (script, lines) in &entries {
        let _ = writeln!(text, "\n# {script}");
        for line in lines {
            let _ = writeln!(text, "{line}");
        }
    }
    text
}

/// A failure reason shortened to about [`REASON_LEN`] characters, on one line.
fn clip(reason: &str) -> String {
    let one_line: String = reason
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= REASON_LEN {
        one_line
    } else {
        let mut clipped: String = one_line.chars().take(REASON_LEN).collect();
        clipped.push_str("...");
        clipped
    }
}
