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
;;                                     v72 = stack_addr.i64 ss1
;;                                     store notrap aligned v2, v72
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
;;                                     v71 = load.i128 notrap aligned v72
;;                                     v13, v14 = isplit v71
;;                                     trapz v13, user13
;;                                     v15 = load.i64 notrap aligned v13
;;                                     v16 = icmp ne v15, v14
;;                                     trapnz v16, user14
;;                                     v17 = iconst.i64 1
;;                                     v18 = iadd v14, v17  ; v17 = 1
;;                                     store notrap aligned v18, v13
;;                                     v19 = load.i64 notrap aligned v13+16
;;                                     v20 = load.i64 notrap aligned v19+24
;;                                     v21 = load.i64 aligned v20
;;                                     v22 = load.i64 notrap aligned v19+32
;;                                     v23 = load.i64 aligned v22
;;                                     v27 = load.i32 notrap aligned v13+88
;;                                     v24 = iconst.i32 0
;;                                     v78 = icmp eq v27, v24  ; v24 = 0
;;                                     brif v78, block2, block3
;;
;;                                 block2:
;;                                     v30 = load.i64 notrap aligned readonly can_move v6+128
;;                                     v87 = iconst.i32 1
;;                                     call_indirect sig1, v30(v0, v13, v87)  ; v87 = 1
;;                                     jump block3
;;
;;                                 block3:
;;                                     v31 = load.i64 notrap aligned v13+80
;;                                     store.i64 notrap aligned v11, v31
;;                                     v88 = iconst.i32 0
;;                                     store notrap aligned v88, v13+76  ; v88 = 0
;;                                     v36 = stack_addr.i64 ss0
;;                                     store.i64 notrap aligned v13, v36
;;                                     store notrap aligned v36, v13+64
;;                                     store notrap aligned v88, v13+72  ; v88 = 0
;;                                     v39 = load.i64 notrap aligned v8+8
;;                                     store notrap aligned v39, v13+8
;;                                     v40 = load.i64 notrap aligned v8
;;                                     store notrap aligned v40, v13+56
;;                                     store.i64 notrap aligned v19, v8+8
;;                                     v41 = load.i64 notrap aligned v19+48
;;                                     store notrap aligned v41, v8
;;                                     v42 = load.i64 notrap aligned v13+96
;;                                     v43 = iconst.i64 24
;;                                     v44 = iadd.i64 v19, v43  ; v43 = 24
;;                                     v89 = iconst.i64 1
;;                                     v90 = bor.i64 v13, v89  ; v89 = 1
;; <0>                                 v47 = stack_switch v42, v44, v90
;;                                     v49 = load.i64 notrap aligned v36
;;                                     v51 = load.i64 notrap aligned v49+8
;;                                     store notrap aligned v51, v8+8
;;                                     v52 = load.i64 notrap aligned v49+56
;;                                     store notrap aligned v52, v8
;;                                     v53 = ireduce.i32 v47
;;                                     v91 = icmp eq v53, v88  ; v88 = 0
;;                                     brif v91, block4, block5
;;
;;                                 block5:
;;                                     v56 = iconst.i32 2
;;                                     v57 = icmp.i32 eq v53, v56  ; v56 = 2
;;                                     brif v57, block6, block7
;;
;;                                 block4:
;;                                     v59 = load.i64 notrap aligned v8+40
;;                                     store notrap aligned v59, v49+8
;;                                     store.i64 notrap aligned v49, v8+40
;;                                     jump block8
;;
;;                                 block6:
;;                                     v60 = load.i64 notrap aligned v49+80
;;                                     v61 = load.i64 notrap aligned v60
;;                                     v63 = load.i64 notrap aligned v8+40
;;                                     store notrap aligned v63, v49+8
;;                                     store.i64 notrap aligned v49, v8+40
;;                                     v65 = load.i64 notrap aligned readonly can_move v6+112
;;                                     v66 = call_indirect sig2, v65(v0, v61)
;;                                     trap user16
;;
;;                                 block7:
;;                                     v67 = iconst.i64 32
;;                                     v68 = ushr.i64 v47, v67  ; v67 = 32
;;                                     v69 = ireduce.i32 v68
;;                                     br_table v69, block9, []
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
