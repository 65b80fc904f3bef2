;; Microbenchmarks of typed continuations (see benches/continuations.rs).
(module
  (type $f (func))
  (type $c (cont $f))
  (type $gf (func (param i32)))
  (type $gc (cont $gf))
  (tag $yield (param i32))

  ;; Yields 1, 2, ... forever.
  (func $counter
    (local $i i32)
    (loop $l
      (suspend $yield (local.tee $i (i32.add (local.get $i) (i32.const 1))))
      (br $l)))
  (func $nothing)
  (elem declare func $counter $nothing)

  ;; `n` suspend + resume round trips with one generator; returns the last value yielded.
  (func (export "round_trips") (param $n i32) (result i32)
    (local $k (ref null $c)) (local $v i32)
    (local.set $k (cont.new $c (ref.func $counter)))
    (loop $l
      (block $on (result i32 (ref $c))
        (resume $c (on $yield $on) (local.get $k))
        (unreachable))
      (local.set $k)
      (local.set $v)
      (br_if $l (i32.lt_u (local.get $v) (local.get $n))))
    (local.get $v))

  ;; `n` continuations created, resumed and returned.
  (func (export "lifecycles") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (resume $c (cont.new $c (ref.func $nothing)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $i))

  ;; Baseline: `n` indirect calls of a function doing what the generator does per step.
  (type $step (func (param i32) (result i32)))
  (func $step (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (elem declare func $step)
  (func (export "calls") (param $n i32) (result i32)
    (local $v i32)
    (loop $l
      (local.set $v (call_ref $step (local.get $v) (ref.func $step)))
      (br_if $l (i32.lt_u (local.get $v) (local.get $n))))
    (local.get $v))

  ;; Suspends `n` continuations at once, keeping them in a table.
  (table $held 0 (ref null $c))
  (func $wait (suspend $yield (i32.const 0)))
  (elem declare func $wait)
  (func (export "hold") (param $n i32) (result i32)
    (local $i i32) (local $k (ref null $c))
    (drop (table.grow $held (ref.null $c) (local.get $n)))
    (loop $l
      (block $on (result i32 (ref $c))
        (resume $c (on $yield $on) (cont.new $c (ref.func $wait)))
        (unreachable))
      (local.set $k)
      (drop)
      (table.set $held (local.get $i) (local.get $k))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $i))
)
