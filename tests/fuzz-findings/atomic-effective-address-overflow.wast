;; Found by the `generated` target (seed 8122327, memory64 and threads): `memory.atomic.notify`
;; on a 64-bit memory with an effective address (index + offset) past 2^64 trapped
;; "unaligned atomic" when the wrapped address was misaligned, where wasmtime traps "out of
;; bounds memory access" (wait and notify check for overflow first; atomic accesses check
;; the wrapped address's alignment first). Expected traps checked with wasmtime 49.
(module (memory i64 1 4)
  (func (export "load") (param i64) (result i32) (i32.atomic.load offset=8 (local.get 0)))
  (func (export "notify") (param i64) (result i32)
    (memory.atomic.notify offset=147542 (local.get 0) (i32.const 1))))
(assert_trap (invoke "load" (i64.const -7)) "unaligned atomic")
(assert_trap (invoke "load" (i64.const -8)) "out of bounds memory access")
(assert_trap (invoke "load" (i64.const 1)) "unaligned atomic")
(assert_trap (invoke "load" (i64.const 65532)) "out of bounds memory access")
(assert_return (invoke "load" (i64.const 65524)) (i32.const 0))
(assert_trap (invoke "notify" (i64.const -25)) "out of bounds memory access")
(assert_trap (invoke "notify" (i64.const -26)) "out of bounds memory access")
