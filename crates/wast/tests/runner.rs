//! Tests of the script runner on small hand-written scripts: every directive
//! kind, passing and failing, and the skipping of unknown proposals.

use wasmfx_wast::{run_script, Outcome, ScriptResults};

/// Runs `text` and returns its results.
fn run(text: &str) -> ScriptResults {
    run_script("test.wast", text).expect("failed to create a wast context")
}

/// The outcome of the directive at `line`.
fn at(results: &ScriptResults, line: usize) -> &Outcome {
    &results
        .directives
        .iter()
        .find(|d| d.line == line)
        .unwrap_or_else(|| panic!("no directive at line {line}: {results:#?}"))
        .outcome
}

/// Asserts that every directive passed.
fn assert_all_pass(results: &ScriptResults) {
    let failures: Vec<_> = results.failures().collect();
    assert!(failures.is_empty(), "failures: {failures:#?}");
    assert_eq!(results.skipped(), 0, "{results:#?}");
}

#[test]
fn returns_and_values() {
    let results = run(r#"(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "i64") (param i64) (result i64) (local.get 0))
  (func (export "f32") (param f32) (result f32) (local.get 0))
  (func (export "f64") (param f64) (result f64) (local.get 0))
  (func (export "nan32") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "nan64") (result f64) (f64.div (f64.const 0) (f64.const 0)))
  (func (export "null") (result funcref) (ref.null func))
  (func $f (export "func") (result funcref) (ref.func $f))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (global (export "g") i32 (i32.const 42))
)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "i64" (i64.const -5)) (i64.const -5))
(assert_return (invoke "f32" (f32.const -0)) (f32.const -0))
(assert_return (invoke "f64" (f64.const 1.5)) (f64.const 1.5))
(assert_return (invoke "nan32") (f32.const nan:canonical))
(assert_return (invoke "nan64") (f64.const nan:arithmetic))
(assert_return (invoke "null") (ref.null func))
(assert_return (invoke "null") (ref.null))
(assert_return (invoke "func") (ref.func))
(assert_return (invoke "ext" (ref.extern 7)) (ref.extern 7))
(assert_return (invoke "ext" (ref.null extern)) (ref.null extern))
(assert_return (invoke "add" (i32.const 1) (i32.const 1)) (either (i32.const 1) (i32.const 2)))
(assert_return (get "g") (i32.const 42))
(invoke "add" (i32.const 0) (i32.const 0))
"#);
    assert_all_pass(&results);
    assert_eq!(results.passed(), 15);
}

#[test]
fn mismatches_fail_with_reasons() {
    let results = run(r#"(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "f32") (result f32) (f32.const 0))
  (func (export "ext") (param externref) (result externref) (local.get 0))
)
(assert_return (invoke "one") (i32.const 2))
(assert_return (invoke "f32") (f32.const -0))
(assert_return (invoke "f32") (f32.const nan:canonical))
(assert_return (invoke "ext" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "one"))
(assert_return (invoke "missing") (i32.const 1))
(assert_trap (invoke "one") "unreachable")
"#);
    for line in 6..=12 {
        assert!(
            matches!(at(&results, line), Outcome::Failed(_)),
            "line {line}: {:?}",
            at(&results, line)
        );
    }
    match at(&results, 6) {
        Outcome::Failed(reason) => assert!(reason.contains("i32:2") && reason.contains("i32:1")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn gc_reference_patterns_compare_values() {
    let results = run(r#"(module
  (func (export "null") (result i31ref) (ref.null i31))
  (func (export "id") (param anyref) (result anyref) (local.get 0))
)
(assert_return (invoke "null") (ref.null i31))
(assert_return (invoke "null") (ref.null any))
(assert_return (invoke "id" (ref.null none)) (ref.null none))
(assert_return (invoke "null") (either (ref.i31) (ref.null)))
(assert_return (invoke "null") (ref.i31))
(assert_return (invoke "null") (ref.any))
(assert_return (invoke "null") (ref.eq))
(assert_return (invoke "null") (ref.struct))
(assert_return (invoke "null") (ref.array))
(assert_return (invoke "null") (ref.i31_shared))
(assert_return (invoke "null") (ref.null func))
"#);
    for line in 5..=8 {
        assert!(
            matches!(at(&results, line), Outcome::Passed),
            "line {line}: {:?}",
            at(&results, line)
        );
    }
    // Real comparisons, not "cannot check": a null is no non-null reference.
    for line in 9..=15 {
        match at(&results, line) {
            Outcome::Failed(reason) => {
                assert!(reason.contains("got ref.null any"), "line {line}: {reason}")
            }
            other => panic!("line {line}: {other:?}"),
        }
    }
}

#[test]
fn traps_and_exhaustion() {
    let results = run(r#"(module
  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func $loop (export "loop") (call $loop))
  (memory 1)
  (func (export "load") (result i32) (i32.load (i32.const 65536)))
)
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 0)) "integer divide")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(assert_trap (invoke "load") "out of bounds memory access")
(assert_trap (invoke "div" (i32.const 0)) "unreachable")
(assert_trap (invoke "div" (i32.const 1)) "integer divide by zero")
(assert_return (invoke "div" (i32.const 1)) (i32.const 1))
"#);
    for line in [7, 8, 9, 10, 13] {
        assert_eq!(at(&results, line), &Outcome::Passed, "line {line}");
    }
    for line in [11, 12] {
        assert!(
            matches!(at(&results, line), Outcome::Failed(_)),
            "line {line}"
        );
    }
}

#[test]
fn module_assertions() {
    let results = run(
        r#"(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func") "unexpected end")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_invalid (module (func)) "not really invalid")
(assert_unlinkable (module (import "spectest" "nothing" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i64)))) "incompatible import type")
(assert_trap (module (memory 0) (data (i32.const 1) "x")) "out of bounds memory access")
(assert_unlinkable (module (func)) "unknown import")
"#,
    );
    for line in [1, 2, 3, 5, 6, 7] {
        assert_eq!(at(&results, line), &Outcome::Passed, "line {line}");
    }
    for line in [4, 8] {
        assert!(
            matches!(at(&results, line), Outcome::Failed(_)),
            "line {line}"
        );
    }
}

#[test]
fn named_modules_register_and_spectest() {
    let results = run(r#"(module $A
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global $g i32))
  (import "spectest" "memory" (memory 1 2))
  (import "spectest" "table" (table 10 20 funcref))
  (func (export "g") (result i32) (call $print (global.get $g)) (global.get $g))
)
(register "a" $A)
(module $B
  (import "a" "g" (func $g (result i32)))
  (func (export "twice") (result i32) (i32.add (call $g) (call $g)))
)
(assert_return (invoke $A "g") (i32.const 666))
(assert_return (invoke "twice") (i32.const 1332))
(assert_return (invoke $B "twice") (i32.const 1332))
(assert_return (invoke $C "twice") (i32.const 1332))
"#);
    for line in [1, 8, 9, 13, 14, 15] {
        assert_eq!(at(&results, line), &Outcome::Passed, "line {line}");
    }
    assert!(matches!(at(&results, 16), Outcome::Failed(_)));
}

#[test]
fn failed_module_fails_later_uses() {
    let results = run(r#"(module (func (export "f") (result i32) (i32.const 1)))
(module (import "nowhere" "f" (func)))
(invoke "f")
(assert_return (invoke "f") (i32.const 1))
"#);
    assert_eq!(at(&results, 1), &Outcome::Passed);
    for line in [2, 3, 4] {
        assert!(
            matches!(at(&results, line), Outcome::Failed(_)),
            "line {line}"
        );
    }
    match at(&results, 4) {
        Outcome::Failed(reason) => assert!(reason.contains("line 2"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn definitions_and_instances() {
    let results = run(r#"(module definition $M
  (global (export "g") (mut i32) (i32.const 0))
  (func (export "inc") (global.set 0 (i32.add (global.get 0) (i32.const 1))))
)
(module instance $I1 $M)
(module instance $I2 $M)
(invoke $I1 "inc")
(assert_return (get $I1 "g") (i32.const 1))
(assert_return (get $I2 "g") (i32.const 0))
"#);
    assert_all_pass(&results);
}

#[test]
fn threads_share_memories_and_report_at_wait() {
    let results = run(r#"(module $Mem (memory (export "m") 1 1 shared))
(register "mem" $Mem)
(thread $T (shared (module $Mem))
  (register "mem" $Mem)
  (module (memory (import "mem" "m") 1 1 shared)
    (func (export "store") (i32.atomic.store (i32.const 0) (i32.const 42))))
  (invoke "store")
  (invoke $Mem "store"))
(wait $T)
(module (memory (import "mem" "m") 1 1 shared)
  (func (export "load") (result i32) (i32.atomic.load (i32.const 0))))
(assert_return (invoke "load") (i32.const 42))
(wait $T)
"#);
    assert_eq!(results.passed(), 9);
    assert_eq!(results.skipped(), 0);
    let failures: Vec<_> = results.failures().collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    // Only a shared module's shared memories cross into the thread.
    assert_eq!(failures[0].0, 8);
    assert!(failures[0].1.contains("shared memories"), "{failures:?}");
    // A thread is waited for once.
    assert_eq!(failures[1].0, 13);
    assert!(failures[1].1.contains("no running thread"), "{failures:?}");
}

#[test]
fn assert_suspension_needs_an_unhandled_suspension() {
    let results = run(r#"(module
  (tag $t)
  (func (export "suspends") (suspend $t))
  (func (export "returns")))
(assert_suspension (invoke "suspends") "unhandled")
(assert_suspension (invoke "returns") "unhandled")
"#);
    assert_eq!(results.passed(), 2);
    let failures: Vec<_> = results.failures().collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, 6);
    assert!(failures[0].1.contains("got 0 result(s)"), "{failures:?}");
}

#[test]
fn assert_exception_needs_an_uncaught_exception() {
    let results = run(r#"(module
  (tag $e (param i32))
  (func (export "throws") (throw $e (i32.const 1)))
  (func (export "returns")))
(assert_exception (invoke "throws"))
(assert_exception (invoke "returns"))
"#);
    assert_eq!(results.passed(), 2);
    assert_eq!(results.failed(), 1);
}

#[test]
fn parse_errors_and_confusing_unicode() {
    let results = run("(module (func (export \"f\")))\n(assert_return (invoke \"f\"\n");
    assert_eq!(results.failed(), 1);
    assert_eq!(results.directives[0].kind, "script");

    // A bidirectional override character inside a string, as in names.wast.
    let results = run("(module (func (export \"\u{202e}x\")))\n(invoke \"\u{202e}x\")\n");
    assert_all_pass(&results);
}
