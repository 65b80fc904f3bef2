;; A continuation-heavy GC workload: a generator kept in a struct field between resumes,
;; yielding a freshly allocated struct each time (10,000,000 resumes), and 200,000
;; continuations suspended with a struct in a frame local and then dropped, which only a
;; collector that reclaims continuations runs in bounded memory. Traps if a sum is wrong.
(module
  (type $f (func))
  (type $c (cont $f))
  (type $holder (struct (field (mut (ref null $c)))))
  (type $node (struct (field i32)))
  (tag $yield (param (ref $node)))
  (tag $pause)

  (func $count
    (local $i i32)
    (loop $l
      (suspend $yield (struct.new $node (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))

  (func $park (local $b (ref $node)) (local.set $b (struct.new $node (i32.const 1))) (suspend $pause))

  (elem declare func $count $park)

  (func (export "_start")
    (local $h (ref $holder)) (local $n i32) (local $sum i32)
    (local $k (ref null $c)) (local $v (ref null $node))
    (local.set $h (struct.new $holder (cont.new $c (ref.func $count))))
    (local.set $n (i32.const 10000000))
    (loop $next
      (block $yielded (result (ref $node) (ref $c))
        (resume $c (on $yield $yielded) (struct.get $holder 0 (local.get $h)))
        (unreachable))
      (local.set $k)
      (local.set $v)
      (struct.set $holder 0 (local.get $h) (local.get $k))
      (local.set $sum (i32.add (local.get $sum) (struct.get $node 0 (local.get $v))))
      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    ;; 0 + 1 + ... + 9,999,999, modulo 2^32.
    (if (i32.ne (local.get $sum) (i32.const -2014260032)) (then (unreachable)))
    (local.set $n (i32.const 200000))
    (loop $abandon
      (block $h (result (ref $c))
        (resume $c (on $pause $h) (cont.new $c (ref.func $park)))
        (unreachable))
      (drop)
      (br_if $abandon (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
