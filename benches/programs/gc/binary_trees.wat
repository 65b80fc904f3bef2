;; binary-trees (as in the Computer Language Benchmarks Game), depth 18, on Wasm GC structs:
;; a stretch tree of depth 19, a long-lived tree of depth 18, and for each depth d = 4, 6, ...,
;; 18, 2^(22 - d) short-lived trees of depth d, each built, checked (its nodes counted) and
;; dropped. Traps (`unreachable`) if a count is wrong.
(module
  (type $node (struct (field $left (ref null $node)) (field $right (ref null $node))))

  (func $make (param $depth i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $depth))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else
        (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
        (struct.new $node (call $make (local.get $depth)) (call $make (local.get $depth))))))

  (func $check (param $n (ref $node)) (result i32)
    (local $left (ref null $node))
    (local.set $left (struct.get $node $left (local.get $n)))
    (if (result i32) (ref.is_null (local.get $left))
      (then (i32.const 1))
      (else
        (i32.add (i32.const 1)
          (i32.add (call $check (ref.as_non_null (local.get $left)))
                   (call $check (ref.as_non_null (struct.get $node $right (local.get $n)))))))))

  ;; Traps unless `actual` is the number of nodes of a tree of depth `depth`, times `trees`.
  (func $expect (param $actual i32) (param $depth i32) (param $trees i32)
    (if (i32.ne (local.get $actual)
                (i32.mul (local.get $trees)
                         (i32.sub (i32.shl (i32.const 1) (i32.add (local.get $depth) (i32.const 1)))
                                  (i32.const 1))))
      (then (unreachable))))

  (func (export "_start")
    (local $max i32) (local $depth i32) (local $trees i32) (local $i i32) (local $sum i32)
    (local $long (ref null $node))
    (local.set $max (i32.const 18))
    (call $expect (call $check (call $make (i32.add (local.get $max) (i32.const 1))))
                  (i32.add (local.get $max) (i32.const 1)) (i32.const 1))
    (local.set $long (call $make (local.get $max)))
    (local.set $depth (i32.const 4))
    (loop $depths
      (local.set $trees
        (i32.shl (i32.const 1) (i32.add (i32.sub (local.get $max) (local.get $depth)) (i32.const 4))))
      (local.set $sum (i32.const 0))
      (local.set $i (i32.const 0))
      (loop $each
        (local.set $sum (i32.add (local.get $sum) (call $check (call $make (local.get $depth)))))
        (br_if $each (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                               (local.get $trees))))
      (call $expect (local.get $sum) (local.get $depth) (local.get $trees))
      (br_if $depths (i32.le_u (local.tee $depth (i32.add (local.get $depth) (i32.const 2)))
                               (local.get $max))))
    (call $expect (call $check (ref.as_non_null (local.get $long))) (local.get $max) (i32.const 1))))
