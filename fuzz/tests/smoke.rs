//! A short run of every fuzz target (a few hundred cases each) so that the fuzzers keep
//! working: no finding is expected. The reference engines are used when `ci/install-wasmtime`
//! and `ci/install-binaryen` have installed them into `target/tools` (`.ci/run` does).

use std::path::{Path, PathBuf};

fn tool(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    path.exists().then_some(path)
}

#[test]
fn every_target_runs_without_findings() {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-smoke");
    let options = wasmfx_fuzz::Options {
        seconds: None,
        cases: Some(200),
        seed: 20261203,
        targets: Vec::new(),
        out_dir: out_dir.clone(),
        wasmtime: tool("target/tools/wasmtime-49/wasmtime"),
        binaryen: tool("target/tools/binaryen/node_modules/.bin/wasm-shell"),
        batch: 200,
        cli: None,
    };
    let reports = wasmfx_fuzz::run(&options, |line| eprintln!("{line}")).expect("the run");
    for report in &reports {
        eprintln!(
            "{}: {} cases, {} checked by a reference; {}",
            report.name, report.cases, report.compared, report.summary
        );
        if let Some(finding) = &report.finding {
            wasmfx_fuzz::print_finding(finding, &out_dir);
            panic!("{} found something (seed {})", report.name, finding.seed);
        }
        assert_eq!(report.cases, 200);
    }
    // The run stops at the first finding; without one, every target ran.
    assert_eq!(reports.len(), wasmfx_fuzz::TARGETS.len());
}
