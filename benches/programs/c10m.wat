;; c10m, typed continuations: an async server with 10,000 workers alive at once and
;; 10,000,000 connections in all. Each worker suspends once with its argument, is resumed
;; and returns 1; a finished worker's slot gets a new worker; the last 10,000 are drained.
;; Exits 0 when the count is 10,010,000 and every worker yielded its own argument.
(module $c10m
  (type $worker (func (param i32) (result i32)))
  (type $worker_ct (cont $worker))
  ;; A worker after its suspension.
  (type $connection (func (result i32)))
  (type $connection_ct (cont $connection))
  (tag $accept (param i32))

  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (table $slots 10000 (ref null $connection_ct))

  (func $worker (param $arg i32) (result i32)
    (suspend $accept (local.get $arg))
    (i32.const 1))
  (elem declare func $worker)

  ;; Starts a worker with `arg` in `slot` and runs it to its suspension.
  (func $spawn (param $slot i32) (param $arg i32)
    (local $k (ref null $connection_ct))
    (block $accepted (result i32 (ref $connection_ct))
      (drop (resume $worker_ct (on $accept $accepted)
        (local.get $arg)
        (cont.new $worker_ct (ref.func $worker))))
      ;; The worker returned without suspending.
      (call $proc_exit (i32.const 1))
      (unreachable))
    (local.set $k)
    (if (i32.ne (local.get $arg)) (then (call $proc_exit (i32.const 1))))
    (table.set $slots (local.get $slot) (local.get $k)))

  ;; Resumes the worker in `slot` to completion: its result.
  (func $finish (param $slot i32) (result i32)
    (resume $connection_ct (table.get $slots (local.get $slot))))

  (func (export "_start")
    (local $slot i32) (local $n i32) (local $count i32)
    (loop $fill
      (call $spawn (local.get $slot) (local.get $slot))
      (br_if $fill (i32.lt_u
        (local.tee $slot (i32.add (local.get $slot) (i32.const 1)))
        (i32.const 10000))))
    (local.set $slot (i32.const 0))
    (loop $serve
      (local.set $count (i32.add (local.get $count) (call $finish (local.get $slot))))
      (call $spawn (local.get $slot) (i32.add (local.get $n) (i32.const 10000)))
      (local.set $slot (i32.add (local.get $slot) (i32.const 1)))
      (if (i32.eq (local.get $slot) (i32.const 10000)) (then (local.set $slot (i32.const 0))))
      (br_if $serve (i32.lt_u
        (local.tee $n (i32.add (local.get $n) (i32.const 1)))
        (i32.const 10000000))))
    (local.set $slot (i32.const 0))
    (loop $drain
      (local.set $count (i32.add (local.get $count) (call $finish (local.get $slot))))
      (br_if $drain (i32.lt_u
        (local.tee $slot (i32.add (local.get $slot) (i32.const 1)))
        (i32.const 10000))))
    (if (i32.ne (local.get $count) (i32.const 10010000))
      (then (call $proc_exit (i32.const 1))))))
