;; A `_start` function, run by `wasmfx run examples/hello.wat` without
;; `--invoke`; it returns the sum of the squares of 1..=10 (385).
(module
  (func (export "_start") (result i32)
    (local $i i32)
    (local $sum i32)
    (loop $next
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $sum
        (i32.add (local.get $sum) (i32.mul (local.get $i) (local.get $i))))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 10))))
    (local.get $sum)))
