//! `wasmfx run` of a module that throws and catches millions of exceptions: the collector
//! frees the exception objects nothing refers to any more, so memory stays bounded. The only
//! test of its binary, so the peak resident size of this process's children is the run's.

mod common;

#[test]
fn exceptions_thrown_and_caught_are_freed() {
    let path = common::scratch_file(
        "throw-forever.wat",
        r#"(module
  (tag $oops (param i64 i64))
  (func (export "run") (result i64)
    (local $i i64) (local $sum i64)
    (loop $again
      (block $caught (result i64 i64)
        (try_table (catch $oops $caught)
          (throw $oops (local.get $i) (i64.const 1)))
        (unreachable))
      (local.set $sum (i64.add (local.get $sum) (i64.add)))
      (br_if $again (i64.lt_u (local.tee $i (i64.add (local.get $i) (i64.const 1)))
                              (i64.const 3000000))))
    (local.get $sum)))"#,
    );
    let output =
        common::wasmfx_with_input(&["run", "--invoke", "run", path.to_str().unwrap()], b"");
    let stdout = common::text(&output.stdout);
    assert!(
        output.status.success(),
        "stderr: {}",
        common::text(&output.stderr)
    );
    // The sum of 0..3,000,000 plus one per exception.
    assert_eq!(
        stdout.trim(),
        (2_999_999u64 * 3_000_000 / 2 + 3_000_000).to_string()
    );

    // Kept, 3,000,000 exception objects would take hundreds of MiB.
    let peak_mib = common::children_peak_rss_mib();
    assert!(peak_mib < 64, "peak resident size {peak_mib} MiB");
}
