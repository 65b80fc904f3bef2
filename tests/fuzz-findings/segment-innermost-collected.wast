;; Found by `ci/fuzz continuations` (seed 77): a collection while a suspended segment of two
;; stacks (`$outer` resuming `$inner`) was held only by a local recycled the innermost
;; continuation: the collector marked the segment's frames but not its innermost object.
;; Resuming the segment then ran on a recycled stack (wrong result, unhandled suspensions, or
;; a collector looping on a corrupted parent chain). Expected values checked with Binaryen's
;; interpreter.
(module
  (type $fb (func (param i32) (result i32)))
  (type $cb (cont $fb))
  (tag $y0 (param i32) (result i32))
  (tag $y1 (param i32) (result i32))
  (func $nop (type $fb) (local.get 0))
  (func $inner (type $fb) (param $x i32) (result i32)
    (drop (suspend $y0 (local.get $x)))
    (i32.add (suspend $y1 (local.get $x)) (i32.const 1)))
  (func $outer (type $fb) (param $x i32) (result i32)
    (block $h (result i32 (ref $cb))
      (return (resume $cb (on $y1 $h) (local.get $x) (cont.new $cb (ref.func $inner)))))
    (drop) (drop) (i32.const -5))
  (elem declare func $inner $outer $nop)
  ;; `$y0` is forwarded past `$outer` (which handles only `$y1`): the continuation handed
  ;; over is the segment `$outer` + `$inner`. A `cont.new` then collects (with `gc_zeal`).
  (func (export "run") (param $x i32) (result i32) (local $k (ref null $cb))
    (block $h (result i32 (ref $cb))
      (return (resume $cb (on $y0 $h) (local.get $x) (cont.new $cb (ref.func $outer)))))
    (local.set $k) (drop)
    (drop (cont.new $cb (ref.func $nop)))
    (resume $cb (i32.const 1) (local.get $k)))
)
(assert_return (invoke "run" (i32.const 5)) (i32.const -5))
(assert_return (invoke "run" (i32.const 6)) (i32.const -5))
