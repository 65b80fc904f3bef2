;; skynet, typed continuations: a tree 6 levels deep with 10 children per node, every node
;; below the root a continuation (1,111,110 of them). A leaf suspends with its number (0 to
;; 999,999); a parent runs its children one after the other, adds up what they yield, and
;; yields the sum. Each child is resumed once more after it yields, to return. Exits 0 when
;; the sum is 499,999,500,000.
(module $skynet
  ;; A node: its number, then the levels below it.
  (type $node (func (param i64 i32)))
  (type $node_ct (cont $node))
  ;; A node after it yielded.
  (type $done (func))
  (type $done_ct (cont $done))
  (tag $yield (param i64))

  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (func $node (param $num i64) (param $depth i32)
    (local $sum i64) (local $i i64)
    (if (i32.eqz (local.get $depth))
      (then
        (suspend $yield (local.get $num))
        (return)))
    (loop $children
      (local.set $sum (i64.add (local.get $sum)
        (call $run_child
          (i64.add (i64.mul (local.get $num) (i64.const 10)) (local.get $i))
          (i32.sub (local.get $depth) (i32.const 1)))))
      (br_if $children (i64.lt_u
        (local.tee $i (i64.add (local.get $i) (i64.const 1)))
        (i64.const 10))))
    (suspend $yield (local.get $sum)))
  (elem declare func $node)

  ;; Runs node `num` with `depth` levels below it as a new continuation: what it yields.
  (func $run_child (param $num i64) (param $depth i32) (result i64)
    (local $value i64) (local $k (ref null $done_ct))
    (block $yielded (result i64 (ref $done_ct))
      (resume $node_ct (on $yield $yielded)
        (local.get $num) (local.get $depth)
        (cont.new $node_ct (ref.func $node)))
      ;; Nodes always yield.
      (call $proc_exit (i32.const 1))
      (unreachable))
    (local.set $k)
    (local.set $value)
    (resume $done_ct (local.get $k))
    (local.get $value))

  (func (export "_start")
    (local $sum i64) (local $i i64)
    (loop $children
      (local.set $sum (i64.add (local.get $sum)
        (call $run_child (local.get $i) (i32.const 5))))
      (br_if $children (i64.lt_u
        (local.tee $i (i64.add (local.get $i) (i64.const 1)))
        (i64.const 10))))
    (if (i64.ne (local.get $sum) (i64.const 499999500000))
      (then (call $proc_exit (i32.const 1))))))
