;; `i32.store` and `i32.load` on a 64-bit memory: each access checks address + offset + size
;; (trapping if that overflows) against the memory's current length, since no reservation
;; can catch a 64-bit address.
(module
  (memory i64 1)
  (func (param $addr i64) (result i32)
    (i32.store offset=4 (local.get $addr) (i32.const 7))
    (i32.load offset=8 (local.get $addr))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i64) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i64):
;;     v6 = iconst.i64 8
;;     v7 = uadd_overflow_trap v2, v6, heap_oob  ; v6 = 8
;;     v8 = load.i64 notrap aligned readonly can_move v0+64
;;     v9 = load.i64 notrap aligned v8+8
;;     v10 = icmp ugt v7, v9
;;     trapnz v10, heap_oob
;;     v4 = iconst.i32 7
;;     v5 = load.i64 notrap aligned readonly can_move v0+72
;;     v11 = iadd v5, v2
;;     store v4, v11+4  ; v4 = 7
;;     v13 = iconst.i64 12
;;     v14 = uadd_overflow_trap v2, v13, heap_oob  ; v13 = 12
;;     v16 = load.i64 notrap aligned v8+8
;;     v17 = icmp ugt v14, v16
;;     trapnz v17, heap_oob
;;     v19 = load.i32 v11+8
;;     jump block1
;;
;; block1:
;;     return v19
;; }
