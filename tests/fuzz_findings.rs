//! Regression tests for what `ci/fuzz` found: each script in `tests/fuzz-findings` (its
//! header says what the bug was) runs under every combination of on-demand or pooling
//! allocation, precompiled or freshly compiled modules, and a collection at every allocation
//! or not. Expected values were checked with a reference engine.

use std::path::Path;
use wasmfx::{InstanceAllocationStrategy, PoolingConfig};
use wasmfx_wast::WastContext;

#[test]
fn fuzz_findings_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-findings");
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .expect("the findings folder")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty());
    let mut failures = Vec::new();
    for script in &scripts {
        for setting in 0..8u32 {
            let mut config = wasmfx_wast::default_config();
            if setting & 1 != 0 {
                let mut pool = PoolingConfig::new();
                pool.total_stacks(100);
                config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
            }
            config.gc_zeal(setting & 4 != 0);
            let mut context = WastContext::with_config(&config).expect("a context");
            context.precompile_modules(setting & 2 != 0);
            match context.run_file(script) {
                Ok(results) if results.failed() == 0 && results.passed() > 0 => {}
                Ok(results) => failures.push(format!(
                    "{} (setting {setting}): {:?}",
                    script.display(),
                    results.failures().collect::<Vec<_>>()
                )),
                Err(e) => failures.push(format!("{} (setting {setting}): {e:#}", script.display())),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
