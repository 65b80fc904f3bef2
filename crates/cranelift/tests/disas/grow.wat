;; `memory.grow` and `table.grow` call the runtime, which returns the old size, -1, or -2 when
;; the store's resource limiter failed with an error: generated code traps then.
(module
  (memory 1)
  (table $t 1 funcref)
  (func (param i32) (result i32) (memory.grow (local.get 0)))
  (func (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i32) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i32, i64) -> i64 system_v
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i32):
;;     v6 = load.i64 notrap aligned readonly can_move v0+16
;;     v7 = load.i64 notrap aligned readonly can_move v6
;;     v5 = iconst.i32 0
;;     v4 = uextend.i64 v2
;;     v8 = call_indirect sig0, v7(v0, v5, v4)  ; v5 = 0
;;     v9 = iconst.i64 -2
;;     v10 = icmp eq v8, v9  ; v9 = -2
;;     trapnz v10, user16
;;     jump block1
;;
;; block1:
;;     v11 = ireduce.i32 v8
;;     return v11
;; }
;;
;; function u0:1(i64 vmctx, i64, i32) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i32, i64, i64, i64) -> i64 system_v
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i32):
;;     v8 = load.i64 notrap aligned readonly can_move v0+16
;;     v9 = load.i64 notrap aligned readonly can_move v8+56
;;     v6 = iconst.i32 0
;;     v5 = uextend.i64 v2
;;     v4 = iconst.i64 0
;;     v10 = call_indirect sig0, v9(v0, v6, v5, v4, v4)  ; v6 = 0, v4 = 0, v4 = 0
;;     v11 = iconst.i64 -2
;;     v12 = icmp eq v10, v11  ; v11 = -2
;;     trapnz v12, user16
;;     jump block1
;;
;; block1:
;;     v13 = ireduce.i32 v10
;;     return v13
;; }
