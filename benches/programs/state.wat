;; state, typed continuations: counting to 10,000,000 with state effects,
;; `while get() < limit: put(get() + 1)`, where `get` and `put` suspend to a handler that
;; holds the state (about 30 million suspensions). The handler answers `get` by binding the
;; state to the continuation with `cont.bind`. Exits 0 when the final state is 10,000,000.
(module $state
  (type $counter (func))
  (type $counter_ct (cont $counter))
  ;; The counter waiting for the answer to `get`.
  (type $getting (func (param i32)))
  (type $getting_ct (cont $getting))
  (tag $get (result i32))
  (tag $put (param i32))

  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (func $counter
    (loop $count
      (if (i32.lt_u (suspend $get) (i32.const 10000000))
        (then
          (suspend $put (i32.add (suspend $get) (i32.const 1)))
          (br $count)))))
  (elem declare func $counter)

  (func (export "_start")
    (local $state i32) (local $k (ref null $counter_ct)) (local $getting (ref null $getting_ct))
    (local.set $k (cont.new $counter_ct (ref.func $counter)))
    (block $done
      (loop $handle
        (block $on_get (result (ref $getting_ct))
          (block $on_put (result i32 (ref $counter_ct))
            (resume $counter_ct (on $get $on_get) (on $put $on_put) (local.get $k))
            (br $done))
          (local.set $k)
          (local.set $state)
          (br $handle))
        (local.set $getting)
        (local.set $k
          (cont.bind $getting_ct $counter_ct (local.get $state) (local.get $getting)))
        (br $handle)))
    (if (i32.ne (local.get $state) (i32.const 10000000))
      (then (call $proc_exit (i32.const 1))))))
