;; Found by `ci/fuzz generated` (seed 786): a `call_ref` of a null reference inside a loop
;; crashed the process with SIGSEGV instead of trapping. The loads of the function
;; reference's fields were marked movable, so Cranelift hoisted them out of the loop, above
;; the null check, where reading through null is no trap site. Expected traps checked with
;; wasmtime 49.
(module
  (type $t (func (param i64)))
  (global $n (mut i32) (i32.const 1))
  (table $tab 1 funcref)
  (func (export "constant") (param i64)
    (loop (call_ref $t (local.get 0) (ref.null $t)) (br 0)))
  (func (export "local") (param i64) (local $f (ref null $t))
    (loop (call_ref $t (local.get 0) (local.get $f)) (br 0)))
  (func (export "counted") (param i64)
    (block (loop
      (br_if 1 (i32.eqz (global.get $n)))
      (call_ref $t (local.get 0) (ref.null $t))
      (br 0))))
  (func (export "tail") (param i64) (local $f (ref null $t))
    (loop (return_call_ref $t (local.get 0) (local.get $f))))
  (func (export "indirect") (param i64)
    (loop (call_indirect (type $t) (local.get 0) (i32.const 0)) (br 0)))
)
(assert_trap (invoke "constant" (i64.const 5)) "null function reference")
(assert_trap (invoke "local" (i64.const 5)) "null function reference")
(assert_trap (invoke "counted" (i64.const 5)) "null function reference")
(assert_trap (invoke "tail" (i64.const 5)) "null function reference")
(assert_trap (invoke "indirect" (i64.const 5)) "uninitialized element")
