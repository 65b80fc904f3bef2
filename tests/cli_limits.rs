//! `wasmfx run` with store limits: a module that keeps suspended continuations in a growing
//! table without end stops with the continuation-limit trap (exit status 134) under
//! `-W max-continuations`, having used bounded memory. The only test of its binary, so the
//! peak resident size of this process's children is the run's.

mod common;

#[test]
fn max_continuations_stops_a_module_that_parks_continuations_forever() {
    let path = common::scratch_file(
        "park-forever.wat",
        r#"(module
  (type $f (func))
  (type $c (cont $f))
  (tag $park)
  (table $parked 0 (ref null $c))
  (func $sleeper (suspend $park))
  (elem declare func $sleeper)
  (func (export "run")
    (loop $forever
      (block $suspended (result (ref $c))
        (resume $c (on $park $suspended) (cont.new $c (ref.func $sleeper)))
        (unreachable))
      (drop (table.grow $parked (i32.const 1)))
      (br $forever))))"#,
    );
    let output = common::wasmfx_with_input(
        &[
            "run",
            "-W",
            "max-continuations=10000",
            "--invoke",
            "run",
            path.to_str().unwrap(),
        ],
        b"",
    );
    let stderr = common::text(&output.stderr);
    assert_eq!(output.status.code(), Some(134), "stderr: {stderr}");
    assert!(
        stderr.contains("continuation limit reached"),
        "stderr: {stderr}"
    );

    // 10,000 suspended continuations take a few pages each.
    let peak_mib = common::children_peak_rss_mib();
    assert!(peak_mib < 256, "peak resident size {peak_mib} MiB");
}
