;; Microbenchmarks of typed continuations (see benches/continuations.rs): suspend + resume,
;; cont.new + resume + return, switch, cont.bind + resume, and a plain call as reference.
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

  ;; `switch` ping-pong: two continuations hand a counter back and forth with `switch`
  ;; (which suspends the running one and resumes the other directly) until it reaches `n`.
  (rec
    (type $side (func (param i32 (ref null $side_ct))))
    (type $side_ct (cont $side)))
  (tag $swap)
  (global $switches (mut i32) (i32.const 0))
  (func $ping_pong (type $side) (param $count i32) (param $other (ref null $side_ct))
    (loop $l
      (if (i32.ge_u (local.get $count) (global.get $switches)) (then (return)))
      (switch $side_ct $swap
        (i32.add (local.get $count) (i32.const 1))
        (local.get $other))
      (local.set $other)
      (local.set $count)
      (br $l)))
  (elem declare func $ping_pong)
  ;; Returns `n` after `n` switches.
  (func (export "switches") (param $n i32) (result i32)
    (global.set $switches (local.get $n))
    (resume $side_ct (on $swap switch)
      (i32.const 0)
      (cont.new $side_ct (ref.func $ping_pong))
      (cont.new $side_ct (ref.func $ping_pong)))
    (local.get $n))

  ;; `cont.bind` + `resume`: an accumulator suspends asking for its next addend; the driver
  ;; binds the addend to the continuation and resumes the bound continuation.
  (type $adding (func (param i32)))
  (type $adding_ct (cont $adding))
  (tag $ask (result i32))
  (func $accumulate
    (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum) (suspend $ask)))
      (br $l)))
  (elem declare func $accumulate)
  ;; `n` bind + resume round trips; returns `n`.
  (func (export "binds") (param $n i32) (result i32)
    (local $k (ref null $c)) (local $asking (ref null $adding_ct)) (local $i i32)
    (local.set $k (cont.new $c (ref.func $accumulate)))
    (loop $l
      (block $on (result (ref $adding_ct))
        (resume $c (on $ask $on) (local.get $k))
        (unreachable))
      (local.set $asking)
      (local.set $k (cont.bind $adding_ct $c (i32.const 1) (local.get $asking)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $i))

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
