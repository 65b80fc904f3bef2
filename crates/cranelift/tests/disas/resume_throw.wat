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
;;     ss1 = explicit_slot 16, align = 16
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i64, i32) -> i64 system_v
;;     sig1 = (i64, i64, i32) system_v
;;     sig2 = (i64, i64) -> i32 tail
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i128, v3: i32):
;;                                     v68 = stack_addr.i64 ss1
;;                                     store notrap aligned v2, v68
;;                                     v9 = get_stack_pointer.i64
;;                                     v8 = load.i64 notrap aligned readonly can_move v0+8
;;                                     store notrap aligned v9, v8+48
;;                                     v10 = get_frame_pointer.i64
;;                                     store notrap aligned v10, v8+56
;;                                     v6 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v7 = load.i64 notrap aligned readonly can_move v6+104
;;                                     v4 = load.i64 notrap aligned readonly can_move v0+64
;;                                     v5 = iconst.i32 1
;;                                     v11 = call_indirect sig0, v7(v0, v4, v5), stack_map=[i128 @ ss1+0]  ; v5 = 1
;;                                     v12 = iconst.i64 0
;;                                     store notrap aligned v12, v8+48  ; v12 = 0
;;                                     trapz v11, user16
;;                                     store notrap aligned v3, v11+16
;;                                     v67 = load.i128 notrap aligned v68
;;                                     v13, v14 = isplit v67
;;                                     trapz v13, user13
;;                                     v15 = load.i64 notrap aligned v13
;;                                     v16 = icmp ne v15, v14
;;                                     trapnz v16, user14
;;                                     v17 = iconst.i64 1
;;                                     v18 = iadd v14, v17  ; v17 = 1
;;                                     store notrap aligned v18, v13
;;                                     v22 = load.i32 notrap aligned v13+88
;;                                     v19 = iconst.i32 0
;;                                     v74 = icmp eq v22, v19  ; v19 = 0
;;                                     brif v74, block2, block3
;;
;;                                 block2:
;;                                     v25 = load.i64 notrap aligned readonly can_move v6+128
;;                                     v83 = iconst.i32 1
;;                                     call_indirect sig1, v25(v0, v13, v83)  ; v83 = 1
;;                                     jump block3
;;
;;                                 block3:
;;                                     v26 = load.i64 notrap aligned v13+80
;;                                     store.i64 notrap aligned v11, v26
;;                                     v84 = iconst.i32 0
;;                                     store notrap aligned v84, v13+76  ; v84 = 0
;;                                     v31 = stack_addr.i64 ss0
;;                                     store.i64 notrap aligned v13, v31
;;                                     store notrap aligned v31, v13+64
;;                                     store notrap aligned v84, v13+72  ; v84 = 0
;;                                     v34 = load.i64 notrap aligned v8+8
;;                                     store notrap aligned v34, v13+8
;;                                     v35 = load.i64 notrap aligned v8
;;                                     store notrap aligned v35, v13+56
;;                                     v36 = load.i64 notrap aligned v13+16
;;                                     store notrap aligned v36, v8+8
;;                                     v37 = load.i64 notrap aligned v36+48
;;                                     store notrap aligned v37, v8
;;                                     v38 = load.i64 notrap aligned v13+96
;;                                     v39 = iconst.i64 24
;;                                     v40 = iadd v36, v39  ; v39 = 24
;;                                     v85 = iconst.i64 1
;;                                     v86 = bor.i64 v13, v85  ; v85 = 1
;; <0>                                 v43 = stack_switch v38, v40, v86
;;                                     v45 = load.i64 notrap aligned v31
;;                                     v47 = load.i64 notrap aligned v45+8
;;                                     store notrap aligned v47, v8+8
;;                                     v48 = load.i64 notrap aligned v45+56
;;                                     store notrap aligned v48, v8
;;                                     v49 = ireduce.i32 v43
;;                                     v87 = icmp eq v49, v84  ; v84 = 0
;;                                     brif v87, block4, block5
;;
;;                                 block5:
;;                                     v52 = iconst.i32 2
;;                                     v53 = icmp.i32 eq v49, v52  ; v52 = 2
;;                                     brif v53, block6, block7
;;
;;                                 block4:
;;                                     v55 = load.i64 notrap aligned v8+40
;;                                     store notrap aligned v55, v45+8
;;                                     store.i64 notrap aligned v45, v8+40
;;                                     jump block8
;;
;;                                 block6:
;;                                     v56 = load.i64 notrap aligned v45+80
;;                                     v57 = load.i64 notrap aligned v56
;;                                     v59 = load.i64 notrap aligned v8+40
;;                                     store notrap aligned v59, v45+8
;;                                     store.i64 notrap aligned v45, v8+40
;;                                     v61 = load.i64 notrap aligned readonly can_move v6+112
;;                                     v62 = call_indirect sig2, v61(v0, v57)
;;                                     trap user16
;;
;;                                 block7:
;;                                     v63 = iconst.i64 32
;;                                     v64 = ushr.i64 v43, v63  ; v63 = 32
;;                                     v65 = ireduce.i32 v64
;;                                     br_table v65, block9, []
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
