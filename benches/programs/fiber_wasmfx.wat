;; The fiber interface (fiber.h) on typed continuations, merged into a C program by
;; `wasm-merge` (as the module "fiber"; it imports the program's memory, function table and
;; malloc as "main").
;;
;; A fiber is a 12-byte record in the program's memory: the index of its continuation in
;; $fibers, whether it finished, and the next record on the free list. A finished fiber's
;; record, with its slot, goes on the free list for the next fiber_alloc.
;;
;; Written the way the published fiber libraries on typed continuations are: the table of
;; continuations starts with 1024 slots and doubles with `table.grow` when full, every fiber
;; starts through a trampoline (`cont.bind` of the entry's table index, then `call_indirect`),
;; and every resume does `table.get`, a null check, `resume` with one handler and `table.set`
;; (null when the fiber returned).
(module $fiber
  (type $entry (func (param i64) (result i64)))
  (type $fiber_ct (cont $entry))
  ;; A fiber's first frame: the entry's table index, then its argument.
  (type $start (func (param i32 i64) (result i64)))
  (type $start_ct (cont $start))

  (import "main" "memory" (memory 0))
  (import "main" "__indirect_function_table" (table $entries 0 funcref))
  (import "main" "malloc" (func $malloc (param i32) (result i32)))

  (tag $yield (param i64) (result i64))

  (table $fibers 1024 (ref null $fiber_ct))
  ;; The free list of records.
  (global $free (mut i32) (i32.const 0))
  ;; Slots of $fibers handed out so far.
  (global $used (mut i32) (i32.const 0))

  (func $start (param $entry i32) (param $value i64) (result i64)
    (call_indirect $entries (type $entry) (local.get $value) (local.get $entry)))
  (elem declare func $start)

  (func (export "fiber_alloc") (param $entry i32) (result i32)
    (local $fiber i32)
    (local.set $fiber (global.get $free))
    (if (local.get $fiber)
      (then (global.set $free (i32.load offset=8 (local.get $fiber))))
      (else
        (local.set $fiber (call $malloc (i32.const 12)))
        (if (i32.eqz (local.get $fiber)) (then (unreachable)))
        (if (i32.eq (global.get $used) (table.size $fibers))
          (then
            (if (i32.eq (table.grow $fibers (ref.null $fiber_ct) (table.size $fibers))
                        (i32.const -1))
              (then (unreachable)))))
        (i32.store (local.get $fiber) (global.get $used))
        (global.set $used (i32.add (global.get $used) (i32.const 1)))))
    (i32.store offset=4 (local.get $fiber) (i32.const 0))
    (table.set $fibers (i32.load (local.get $fiber))
      (cont.bind $start_ct $fiber_ct (local.get $entry)
        (cont.new $start_ct (ref.func $start))))
    (local.get $fiber))

  (func (export "fiber_resume") (param $fiber i32) (param $value i64) (result i64)
    (local $result i64)
    (local $k (ref null $fiber_ct))
    (local.set $k (table.get $fibers (i32.load (local.get $fiber))))
    (if (ref.is_null (local.get $k)) (then (unreachable)))
    (block $yielded (result i64 (ref $fiber_ct))
      (local.set $result
        (resume $fiber_ct (on $yield $yielded) (local.get $value) (local.get $k)))
      (i32.store offset=4 (local.get $fiber) (i32.const 1))
      (table.set $fibers (i32.load (local.get $fiber)) (ref.null $fiber_ct))
      (return (local.get $result)))
    (local.set $k)
    (table.set $fibers (i32.load (local.get $fiber)) (local.get $k)))

  (func (export "fiber_finished") (param $fiber i32) (result i32)
    (i32.load offset=4 (local.get $fiber)))

  (func (export "fiber_yield") (param $value i64) (result i64)
    (suspend $yield (local.get $value)))

  (func (export "fiber_free") (param $fiber i32)
    (i32.store offset=8 (local.get $fiber) (global.get $free))
    (global.set $free (local.get $fiber))))
