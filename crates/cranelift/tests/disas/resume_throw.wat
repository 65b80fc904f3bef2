;; `resume_throw`: consumes the continuation and resumes it by raising `$e` at its suspension
;; point.
(module
  (type $ft (func))
  (type $ct (cont $ft))
  (tag $e (param i32))
  (func (param $k (ref $ct)) (param $x i32)
    (resume_throw $ct $e (local.get $x) (local.get $k))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i128, i32) tail {
;;     ss0 = explicit_slot 8, align = 8
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i64, i32) -> i64 system_v
;;     sig1 = (i64, i64, i32) system_v
;;     sig2 = (i64, i64) -> i32 tail
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i128, v3: i32):
;;                                     v4, v5 = isplit v2
;;                                     trapz v4, user13
;;                                     v6 = load.i64 notrap aligned v4
;;                                     v7 = icmp ne v6, v5
;;                                     trapnz v7, user14
;;                                     v8 = iconst.i64 1
;;                                     v9 = iadd v5, v8  ; v8 = 1
;;                                     store notrap aligned v9, v4
;;                                     v13 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v14 = load.i64 notrap aligned readonly can_move v13+88
;;                                     v11 = load.i64 notrap aligned readonly can_move v0+64
;;                                     v12 = iconst.i32 1
;;                                     v15 = call_indirect sig0, v14(v0, v11, v12)  ; v12 = 1
;;                                     store notrap aligned v3, v15+16
;;                                     v18 = load.i32 notrap aligned v4+88
;;                                     v10 = iconst.i32 0
;;                                     v67 = icmp eq v18, v10  ; v10 = 0
;;                                     brif v67, block2, block3
;;
;;                                 block2:
;;                                     v21 = load.i64 notrap aligned readonly can_move v13+112
;;                                     v77 = iconst.i32 1
;;                                     call_indirect sig1, v21(v0, v4, v77)  ; v77 = 1
;;                                     jump block3
;;
;;                                 block3:
;;                                     v22 = load.i64 notrap aligned v4+80
;;                                     store.i64 notrap aligned v15, v22
;;                                     v78 = iconst.i32 0
;;                                     store notrap aligned v78, v4+76  ; v78 = 0
;;                                     v27 = stack_addr.i64 ss0
;;                                     store.i64 notrap aligned v4, v27
;;                                     store notrap aligned v27, v4+64
;;                                     store notrap aligned v78, v4+72  ; v78 = 0
;;                                     v29 = load.i64 notrap aligned readonly can_move v0+8
;;                                     v30 = load.i64 notrap aligned v29+8
;;                                     store notrap aligned v30, v4+8
;;                                     v31 = load.i64 notrap aligned v29
;;                                     store notrap aligned v31, v4+56
;;                                     v32 = load.i64 notrap aligned v4+16
;;                                     store notrap aligned v32, v29+8
;;                                     v33 = load.i64 notrap aligned v32+48
;;                                     store notrap aligned v33, v29
;;                                     v34 = load.i64 notrap aligned v4+96
;;                                     v35 = iconst.i64 24
;;                                     v36 = iadd v32, v35  ; v35 = 24
;;                                     v79 = iconst.i64 1
;;                                     v80 = bor.i64 v4, v79  ; v79 = 1
;; <0>                                 v39 = stack_switch v34, v36, v80
;;                                     v41 = load.i64 notrap aligned v27
;;                                     v43 = load.i64 notrap aligned v41+8
;;                                     store notrap aligned v43, v29+8
;;                                     v44 = load.i64 notrap aligned v41+56
;;                                     store notrap aligned v44, v29
;;                                     v45 = ireduce.i32 v39
;;                                     v81 = icmp eq v45, v78  ; v78 = 0
;;                                     brif v81, block4, block5
;;
;;                                 block5:
;;                                     v48 = iconst.i32 2
;;                                     v49 = icmp.i32 eq v45, v48  ; v48 = 2
;;                                     brif v49, block6, block7
;;
;;                                 block4:
;;                                     v51 = load.i64 notrap aligned v29+40
;;                                     store notrap aligned v51, v41+8
;;                                     store.i64 notrap aligned v41, v29+40
;;                                     jump block8
;;
;;                                 block6:
;;                                     v52 = load.i64 notrap aligned v41+80
;;                                     v53 = load.i64 notrap aligned v52
;;                                     v55 = load.i64 notrap aligned v29+40
;;                                     store notrap aligned v55, v41+8
;;                                     store.i64 notrap aligned v41, v29+40
;;                                     v57 = load.i64 notrap aligned readonly can_move v13+96
;;                                     v58 = call_indirect sig2, v57(v0, v53)
;;                                     trap user16
;;
;;                                 block7:
;;                                     v59 = iconst.i64 32
;;                                     v60 = ushr.i64 v39, v59  ; v59 = 32
;;                                     v61 = ireduce.i32 v60
;;                                     br_table v61, block9, []
;;
;;                                 block9:
;;                                     trap user1
;;
;;                                 block8:
;;                                     jump block1
;;
;;                                 block1:
;;                                     return
;; }
