;; wasi-threads: a thread that calls `proc_exit` or traps ends the whole process, while the
;; main thread waits forever (`exit_from_thread`, `trap_in_thread`); a thread whose instance
;; cannot be made is `thread-spawn`'s error -6 (EAGAIN), and the process goes on
;; (`failed_spawn`).
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "memory" (memory 1 1 shared))
  ;; Every instance runs this; once address 8 holds 1, new instances trap in it.
  (start $refuse_when_asked)
  (func $refuse_when_asked
    (if (i32.atomic.load (i32.const 8)) (then unreachable)))
  (func (export "wasi_thread_start") (param $tid i32) (param $trap i32)
    (if (local.get $trap) (then unreachable))
    (call $proc_exit (i32.const 7)))
  (func $start_and_wait (param $trap i32)
    (if (i32.le_s (call $spawn (local.get $trap)) (i32.const 0)) (then unreachable))
    ;; Nothing notifies address 0: only the other thread's end ends this.
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
  (func (export "exit_from_thread") (call $start_and_wait (i32.const 0)))
  (func (export "trap_in_thread") (call $start_and_wait (i32.const 1)))
  (func (export "failed_spawn") (result i32)
    (i32.atomic.store (i32.const 8) (i32.const 1))
    (call $spawn (i32.const 0))))
