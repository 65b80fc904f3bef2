;; A WASI command whose generator runs as a continuation and prints from inside it: each
;; value is written to stdout by the generator itself (a WASI call on the continuation's
;; stack), then yielded to `_start`, which prints its running sum.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (type $gen_fn (func))
  (type $gen (cont $gen_fn))
  (tag $yield (param i32))

  ;; Prints `prefix` (a 4-byte string at 100), then `value` as a decimal, then a newline.
  (func $print (param $prefix i32) (param $value i32)
    (local $end i32) (local $p i32)
    (i32.store (i32.const 200) (local.get $prefix))
    ;; Digits, right to left, ending at 240.
    (local.set $end (i32.const 240))
    (local.set $p (local.get $end))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
      (local.set $value (i32.div_u (local.get $value) (i32.const 10)))
      (br_if $digits (local.get $value)))
    (i32.store8 (local.get $end) (i32.const 10))
    ;; iovecs at 0: the prefix, then the digits and newline.
    (i32.store (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (i32.const 4))
    (i32.store (i32.const 8) (local.get $p))
    (i32.store (i32.const 12) (i32.sub (i32.add (local.get $end) (i32.const 1)) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16))))

  ;; Yields the squares 1, 4, 9, 16, 25, printing each before yielding it.
  (func $squares
    (local $i i32)
    (loop $next
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (call $print (i32.const 0x3a6e6567) (i32.mul (local.get $i) (local.get $i)))
      (suspend $yield (i32.mul (local.get $i) (local.get $i)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 5)))))
  (elem declare func $squares)

  (func (export "_start")
    (local $k (ref null $gen)) (local $sum i32)
    (local.set $k (cont.new $gen (ref.func $squares)))
    (loop $more
      (block $done
        (block $yielded (result i32 (ref $gen))
          (resume $gen (on $yield $yielded) (local.get $k))
          (br $done))
        (local.set $k)
        (local.set $sum (i32.add (local.get $sum)))
        (call $print (i32.const 0x3a6d7573) (local.get $sum))
        (br $more)))))
