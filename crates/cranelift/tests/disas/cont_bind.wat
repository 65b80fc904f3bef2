;; `cont.bind`: consumes the continuation, stores the bound argument in its argument buffer,
;; and returns a new fat reference to the same object.
(module
  (type $ft2 (func (param i32 i64) (result i32)))
  (type $ft1 (func (param i64) (result i32)))
  (type $ct2 (cont $ft2))
  (type $ct1 (cont $ft1))
  (func (param $k (ref null $ct2)) (param $x i32) (result (ref $ct1))
    (cont.bind $ct2 $ct1 (local.get $x) (local.get $k))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i128, i32) -> i128 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i64, i32) system_v
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i128, v3: i32):
;;     v5, v6 = isplit v2
;;     trapz v5, user13
;;     v7 = load.i64 notrap aligned v5
;;     v8 = icmp ne v7, v6
;;     trapnz v8, user14
;;     v9 = iconst.i64 1
;;     v10 = iadd v6, v9  ; v9 = 1
;;     store notrap aligned v10, v5
;;     v11 = load.i32 notrap aligned v5+76
;;     v14 = load.i32 notrap aligned v5+88
;;     v12 = iconst.i32 1
;;     v13 = iadd v11, v12  ; v12 = 1
;;     v15 = icmp ult v14, v13
;;     brif v15, block2, block3
;;
;; block2:
;;     v16 = load.i64 notrap aligned readonly can_move v0+16
;;     v17 = load.i64 notrap aligned readonly can_move v16+128
;;     v29 = iadd.i32 v11, v12  ; v12 = 1
;;     call_indirect sig0, v17(v0, v5, v29)
;;     jump block3
;;
;; block3:
;;     v18 = load.i64 notrap aligned v5+80
;;     v19 = uextend.i64 v11
;;     v26 = iconst.i64 4
;;     v27 = ishl v19, v26  ; v26 = 4
;;     v22 = iadd v18, v27
;;     store.i32 notrap aligned v3, v22
;;     v30 = iadd.i32 v11, v12  ; v12 = 1
;;     store notrap aligned v30, v5+76
;;     jump block1
;;
;; block1:
;;     v31 = iadd.i64 v6, v9  ; v9 = 1
;;     v32 = iconcat.i64 v5, v31
;;     return v32
;; }
