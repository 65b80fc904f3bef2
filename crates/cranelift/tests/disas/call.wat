;; A direct call between two functions of the module, passing the caller's vmctx.
(module
  (func $add (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func $add_one (param i32) (result i32)
    (call $add (local.get 0) (i32.const 1))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i32, i32) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i32, v3: i32):
;;     jump block1
;;
;; block1:
;;     v5 = iadd.i32 v2, v3
;;     return v5
;; }
;;
;; function u0:1(i64 vmctx, i64, i32) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64 vmctx, i64, i32, i32) -> i32 tail
;;     fn0 = colocated u0:0 sig0
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i32):
;;     v4 = iconst.i32 1
;;     v5 = call fn0(v0, v0, v2, v4)  ; v4 = 1
;;     jump block1
;;
;; block1:
;;     return v5
;; }
