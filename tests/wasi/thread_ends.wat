;; wasi-threads: a thread that calls `proc_exit` or traps ends the whole process, while the
;; main thread waits forever. `exit_from_thread` and `trap_in_thread` start such a thread.
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "memory" (memory 1 1 shared))
  (func (export "wasi_thread_start") (param $tid i32) (param $trap i32)
    (if (local.get $trap) (then unreachable))
    (call $proc_exit (i32.const 7)))
  (func $start_and_wait (param $trap i32)
    (if (i32.le_s (call $spawn (local.get $trap)) (i32.const 0)) (then unreachable))
    ;; Nothing notifies address 0: only the other thread's end ends this.
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
  (func (export "exit_from_thread") (call $start_and_wait (i32.const 0)))
  (func (export "trap_in_thread") (call $start_and_wait (i32.const 1))))
