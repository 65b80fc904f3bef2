;; Found by the `generated` target (seed 920022, once generated modules used atomics): an
;; atomic access both misaligned and out of bounds trapped "out of bounds memory access";
;; alignment is checked first, as the reference interpreter and wasmtime do.
(module
  (memory 1)
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "rmw") (param i32) (result i64)
    (i64.atomic.rmw.add offset=4 (local.get 0) (i64.const 1))))
(assert_trap (invoke "load" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke "load" (i32.const -1)) "unaligned atomic")
(assert_trap (invoke "load" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "rmw" (i32.const 65532)) "out of bounds memory access")
(assert_trap (invoke "rmw" (i32.const 65530)) "unaligned atomic")
(assert_return (invoke "rmw" (i32.const 65524)) (i64.const 0))
