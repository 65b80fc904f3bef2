;; `cont.new`: traps on a null function reference, takes a continuation object (and its
;; stack) from the store's free list or from the runtime, and returns a fat reference to it.
(module
  (type $ft (func (param i32) (result i32)))
  (type $ct (cont $ft))
  (func (param $f (ref null $ft)) (result (ref $ct))
    (cont.new $ct (local.get $f))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i64) -> i128 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i64) -> i64 system_v
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i64):
;;     trapz v2, user11
;;     v4 = load.i64 notrap aligned readonly can_move v0+8
;;     v5 = load.i64 notrap aligned v4+40
;;     brif v5, block2, block3
;;
;; block2:
;;     v7 = load.i64 notrap aligned v5+8
;;     store notrap aligned v7, v4+40
;;     v22 = iconst.i64 0
;;     store notrap aligned v22, v5+8  ; v22 = 0
;;     store.i64 notrap aligned v5, v5+16
;;     v9 = iconst.i32 0
;;     store notrap aligned v9, v5+76  ; v9 = 0
;;     store.i64 notrap aligned v2, v5+104
;;     v10 = load.i64 notrap aligned v5+368
;;     store notrap aligned v10, v5+24
;;     v11 = load.i64 notrap aligned v5+376
;;     store notrap aligned v11, v5+32
;;     v12 = load.i64 notrap aligned v5+384
;;     store notrap aligned v12, v5+40
;;     jump block4(v5)
;;
;; block3:
;;     v16 = get_stack_pointer.i64
;;     store notrap aligned v16, v4+48
;;     v17 = get_frame_pointer.i64
;;     store notrap aligned v17, v4+56
;;     v13 = load.i64 notrap aligned readonly can_move v0+16
;;     v14 = load.i64 notrap aligned readonly can_move v13+120
;;     v18 = call_indirect sig0, v14(v0, v2)
;;     v19 = iconst.i64 0
;;     store notrap aligned v19, v4+48  ; v19 = 0
;;     trapz v18, user16
;;     jump block4(v18)
;;
;; block4(v6: i64):
;;     v20 = load.i64 notrap aligned v6
;;     jump block1
;;
;; block1:
;;     v21 = iconcat.i64 v6, v20
;;     return v21
;; }
