//! `wasmfx run` of a module that starts 200,000 continuations and drops each one suspended,
//! with the on-demand allocator: the collector recycles the abandoned continuations' stacks, so
//! the run stays under 100 MiB. The only test of its binary, so the peak resident size of this
//! process's children is the run's.

mod common;

#[test]
fn abandoned_continuations_run_in_bounded_memory() {
    let path = common::scratch_file(
        "abandon.wat",
        r#"(module
  (type $f (func))
  (type $c (cont $f))
  (tag $pause)
  (func $body (suspend $pause))
  (elem declare func $body)
  (func (export "abandon") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (block $h (result (ref $c))
        (resume $c (on $pause $h) (cont.new $c (ref.func $body)))
        (unreachable))
      (drop)
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (local.get $i)))"#,
    );
    let output = common::wasmfx_with_input(
        &[
            "run",
            "--invoke",
            "abandon",
            path.to_str().unwrap(),
            "200000",
        ],
        b"",
    );
    assert!(
        output.status.success(),
        "stderr: {}",
        common::text(&output.stderr)
    );
    assert_eq!(common::text(&output.stdout).trim(), "200000");

    // Kept, 200,000 suspended continuations would take about 0.8 GB.
    let peak_mib = common::children_peak_rss_mib();
    assert!(peak_mib < 100, "peak resident size {peak_mib} MiB");
}
