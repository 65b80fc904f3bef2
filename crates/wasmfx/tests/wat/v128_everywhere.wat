;; v128 values through every place a value can go: continuation payloads (cont.bind,
;; resume arguments, suspend payloads and answers, returns, switch), exception payloads
;; (throw, resume_throw), globals, GC struct fields and array elements, tables of functions
;; with v128 signatures, and an imported host function. Used by tests/simd.rs.
(module
  (import "host" "twice" (func $twice (param v128) (result v128)))

  (type $f1 (func (param v128) (result v128)))
  (type $c1 (cont $f1))
  (type $f2 (func (param v128 v128) (result v128)))
  (type $c2 (cont $f2))
  (rec (type $sf (func (param v128 (ref null $sc)) (result v128)))
       (type $sc (cont $sf)))
  (type $box (struct (field (mut v128))))
  (type $vec (array (mut v128)))

  (tag $yield (param v128) (result v128))
  (tag $exn (param v128 i32))
  (tag $sw (result v128))

  (global $last_payload (export "last_payload") (mut v128) (v128.const i64x2 0 0))
  (table $fns 2 funcref)
  (elem (table $fns) (i32.const 0) func $plus1 $twice)

  (func $plus1 (type $f1) (i32x4.add (local.get 0) (v128.const i32x4 1 1 1 1)))

  ;; Suspends with a + b; returns the answer plus [100 200 300 400].
  (func $body (param $a v128) (param $b v128) (result v128)
    (i32x4.add
      (suspend $yield (i32x4.add (local.get $a) (local.get $b)))
      (v128.const i32x4 100 200 300 400)))

  ;; Binds a, resumes with b, answers the suspension with three times its payload.
  (func (export "bind_resume_suspend") (param $a v128) (param $b v128) (result v128)
    (local $k (ref null $c1))
    (local $p v128)
    (block $on_yield (result v128 (ref $c1))
      (return
        (resume $c1 (on $yield $on_yield)
          (local.get $b)
          (cont.bind $c2 $c1 (local.get $a) (cont.new $c2 (ref.func $body))))))
    (local.set $k)
    (local.set $p)
    (global.set $last_payload (local.get $p))
    (resume $c1 (i32x4.mul (local.get $p) (v128.const i32x4 3 3 3 3)) (local.get $k)))

  (func $thrower (param $v v128) (result v128)
    (throw $exn (local.get $v) (i32.const 7)))

  ;; Catches the v128 and i32 that $thrower throws: v + splat(n).
  (func (export "throw_catch") (param $v v128) (result v128)
    (local $n i32)
    (block $h (result v128 i32)
      (try_table (catch $exn $h) (drop (call $thrower (local.get $v))))
      (return (v128.const i64x2 0 0)))
    (local.set $n)
    (i32x4.add (i32x4.splat (local.get $n))))

  ;; Suspends with v; a thrown $exn is caught and gives payload - splat(n).
  (func $catcher (param $v v128) (result v128)
    (local $n i32)
    (block $h (result v128 i32)
      (try_table (catch $exn $h) (drop (suspend $yield (local.get $v))))
      (return (local.get $v)))
    (local.set $n)
    (i32x4.sub (i32x4.splat (local.get $n))))
  (elem declare func $body $catcher $ping $pong)

  ;; Resumes $catcher, then throws into it the suspended payload times two and 5.
  (func (export "resume_throw") (param $v v128) (result v128)
    (local $k (ref null $c1))
    (block $on_yield (result v128 (ref $c1))
      (return
        (resume $c1 (on $yield $on_yield) (local.get $v) (cont.new $c1 (ref.func $catcher)))))
    (local.set $k)
    (i32x4.shl (i32.const 1))
    (i32.const 5)
    (resume_throw $c1 $exn (local.get $k)))

  ;; (x, null): starts $pong with x; gets (y, k) back and switches to k with y + 5.
  (func $ping (type $sf) (param $x v128) (param $k (ref null $sc)) (result v128)
    (switch $sc $sw (local.get $x) (cont.new $sc (ref.func $pong)))
    (local.set $k)
    (i32x4.add (v128.const i32x4 5 5 5 5))
    (local.get $k)
    (switch $sc $sw)
    (drop)
    (drop)
    (unreachable))

  ;; (x, k): switches back to k with x * 2, then returns what it receives plus one.
  (func $pong (type $sf) (param $x v128) (param $k (ref null $sc)) (result v128)
    (switch $sc $sw (i32x4.mul (local.get $x) (v128.const i32x4 2 2 2 2)) (local.get $k))
    (drop)
    (i32x4.add (v128.const i32x4 1 1 1 1)))

  (func (export "switch") (param $x v128) (result v128)
    (resume $sc (on $sw switch) (local.get $x) (ref.null $sc) (cont.new $sc (ref.func $ping))))

  ;; Through a struct field, an array element and both table entries.
  (func (export "heap_and_tables") (param $v v128) (result v128)
    (local $b (ref $box))
    (local $a (ref $vec))
    (local.set $b (struct.new $box (local.get $v)))
    (struct.set $box 0 (local.get $b)
      (call_indirect $fns (type $f1) (struct.get $box 0 (local.get $b)) (i32.const 0)))
    (local.set $a (array.new $vec (struct.get $box 0 (local.get $b)) (i32.const 3)))
    (array.set $vec (local.get $a) (i32.const 2)
      (call_indirect $fns (type $f1) (array.get $vec (local.get $a) (i32.const 1)) (i32.const 1)))
    (array.get $vec (local.get $a) (i32.const 2)))
)
