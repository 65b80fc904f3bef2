;; `switch` to another continuation through the `resume` that installed `(on $swap switch)`.
(module
  (rec
    (type $ft (func (param (ref null $ct))))
    (type $ct (cont $ft)))
  (tag $swap)
  (func $resume (param $k (ref $ct))
    (resume $ct (on $swap switch) (ref.null $ct) (local.get $k)))
  (func $switch (param $other (ref null $ct))
    (drop (switch $ct $swap (local.get $other)))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i128) tail {
;;     ss0 = explicit_slot 16, align = 8
;;     ss1 = explicit_slot 16, align = 16
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i64, i32) system_v
;;     sig1 = (i64, i64) -> i32 tail
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i128):
;;                                     v3 = iconst.i64 0
;;                                     v4 = uextend.i128 v3  ; v3 = 0
;;                                     v64 = stack_addr.i64 ss1
;;                                     store notrap aligned v4, v64
;;                                     v5, v6 = isplit v2
;;                                     trapz v5, user13
;;                                     v7 = load.i64 notrap aligned v5
;;                                     v8 = icmp ne v7, v6
;;                                     trapnz v8, user14
;;                                     v9 = iconst.i64 1
;;                                     v10 = iadd v6, v9  ; v9 = 1
;;                                     store notrap aligned v10, v5
;;                                     v12 = load.i32 notrap aligned v5+76
;;                                     v15 = load.i32 notrap aligned v5+88
;;                                     v13 = iconst.i32 1
;;                                     v14 = iadd v12, v13  ; v13 = 1
;;                                     v16 = icmp ult v15, v14
;;                                     brif v16, block2, block3
;;
;;                                 block2:
;;                                     v17 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v18 = load.i64 notrap aligned readonly can_move v17+128
;;                                     v68 = iadd.i32 v12, v13  ; v13 = 1
;;                                     call_indirect sig0, v18(v0, v5, v68), stack_map=[i128 @ ss1+0]
;;                                     jump block3
;;
;;                                 block3:
;;                                     v19 = load.i64 notrap aligned v5+80
;;                                     v63 = load.i128 notrap aligned v64
;;                                     v20 = uextend.i64 v12
;;                                     v65 = iconst.i64 4
;;                                     v66 = ishl v20, v65  ; v65 = 4
;;                                     v23 = iadd v19, v66
;;                                     store notrap aligned v63, v23
;;                                     v11 = iconst.i32 0
;;                                     store notrap aligned v11, v5+76  ; v11 = 0
;;                                     v24 = stack_addr.i64 ss0
;;                                     store.i64 notrap aligned v5, v24
;;                                     v25 = load.i64 notrap aligned readonly can_move v0+72
;;                                     v69 = iconst.i64 1
;;                                     v70 = bor v25, v69  ; v69 = 1
;;                                     store notrap aligned v70, v24+8
;;                                     store notrap aligned v24, v5+64
;;                                     v71 = iconst.i32 1
;;                                     store notrap aligned v71, v5+72  ; v71 = 1
;;                                     v29 = load.i64 notrap aligned readonly can_move v0+8
;;                                     v30 = load.i64 notrap aligned v29+8
;;                                     store notrap aligned v30, v5+8
;;                                     v31 = load.i64 notrap aligned v29
;;                                     store notrap aligned v31, v5+56
;;                                     v32 = load.i64 notrap aligned v5+16
;;                                     store notrap aligned v32, v29+8
;;                                     v33 = load.i64 notrap aligned v32+48
;;                                     store notrap aligned v33, v29
;;                                     v34 = load.i64 notrap aligned v5+96
;;                                     v35 = iconst.i64 24
;;                                     v36 = iadd v32, v35  ; v35 = 24
;; <0>                                 v39 = stack_switch v34, v36, v5
;;                                     v41 = load.i64 notrap aligned v24
;;                                     v43 = load.i64 notrap aligned v41+8
;;                                     store notrap aligned v43, v29+8
;;                                     v44 = load.i64 notrap aligned v41+56
;;                                     store notrap aligned v44, v29
;;                                     v45 = ireduce.i32 v39
;;                                     v47 = icmp eq v45, v11  ; v11 = 0
;;                                     brif v47, block4, block5
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
;;                                     v72 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v57 = load.i64 notrap aligned readonly can_move v72+112
;;                                     v58 = call_indirect sig1, v57(v0, v53)
;;                                     trap user16
;;
;;                                 block7:
;;                                     v59 = iconst.i64 32
;;                                     v60 = ushr.i64 v39, v59  ; v59 = 32
;;                                     v61 = ireduce.i32 v60
;;                                     br_table v61, block9, [block9]
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
;;
;; function u0:1(i64 vmctx, i64, i128) tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i64) system_v
;;     sig1 = (i64, i64, i32) system_v
;;     sig2 = (i64, i64) -> i32 tail
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i128):
;;                                     v3, v4 = isplit v2
;;                                     trapz v3, user13
;;                                     v5 = load.i64 notrap aligned v3
;;                                     v6 = icmp ne v5, v4
;;                                     trapnz v6, user14
;;                                     v7 = iconst.i64 1
;;                                     v8 = iadd v4, v7  ; v7 = 1
;;                                     store notrap aligned v8, v3
;;                                     v12 = load.i64 notrap aligned readonly can_move v0+8
;;                                     v13 = load.i64 notrap aligned v12+8
;;                                     jump block2(v13)
;;
;;                                 block2(v14: i64):
;;                                     brif v14, block7, block5
;;
;;                                 block7:
;;                                     v17 = load.i32 notrap aligned v14+72
;;                                     v18 = load.i64 notrap aligned v14+64
;;                                     v19 = iconst.i32 0
;;                                     v76 = iconst.i64 3
;;                                     v84 = load.i64 notrap aligned readonly can_move v0+72
;;                                     v85 = iconst.i64 1
;;                                     v86 = bor v84, v85  ; v85 = 1
;;                                     v27 = iconst.i32 1
;;                                     jump block3(v19)  ; v19 = 0
;;
;;                                 block3(v15: i32):
;;                                     v20 = icmp uge v15, v17
;;                                     brif v20, block4, block8
;;
;;                                 block8:
;;                                     v21 = uextend.i64 v15
;;                                     v82 = iconst.i64 3
;;                                     v83 = ishl v21, v82  ; v82 = 3
;;                                     v24 = iadd.i64 v18, v83
;;                                     v25 = load.i64 notrap aligned v24+8
;;                                     v26 = icmp eq v25, v86
;;                                     v87 = iconst.i32 1
;;                                     v88 = iadd.i32 v15, v87  ; v87 = 1
;;                                     brif v26, block6(v15), block3(v88)
;;
;;                                 block4:
;;                                     v29 = load.i64 notrap aligned v14+8
;;                                     jump block2(v29)
;;
;;                                 block5:
;;                                     v30 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v31 = load.i64 notrap aligned readonly can_move v30+136
;;                                     v9 = load.i64 notrap aligned readonly can_move v0+72
;;                                     call_indirect sig0, v31(v0, v9)
;;                                     trap user16
;;
;;                                 block6(v16: i32):
;;                                     store.i64 notrap aligned v13, v14+16
;;                                     v32 = load.i64 notrap aligned v14
;;                                     v34 = load.i32 notrap aligned v3+76
;;                                     v37 = load.i32 notrap aligned v3+88
;;                                     v89 = iconst.i32 1
;;                                     v90 = iadd v34, v89  ; v89 = 1
;;                                     v38 = icmp ult v37, v90
;;                                     brif v38, block9, block10
;;
;;                                 block9:
;;                                     v91 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v40 = load.i64 notrap aligned readonly can_move v91+128
;;                                     call_indirect sig1, v40(v0, v3, v90)
;;                                     jump block10
;;
;;                                 block10:
;;                                     v41 = load.i64 notrap aligned v3+80
;;                                     v33 = iconcat.i64 v14, v32
;;                                     v42 = uextend.i64 v34
;;                                     v79 = iconst.i64 4
;;                                     v80 = ishl v42, v79  ; v79 = 4
;;                                     v45 = iadd v41, v80
;;                                     store notrap aligned v33, v45
;;                                     v92 = iconst.i32 0
;;                                     store notrap aligned v92, v3+76  ; v92 = 0
;;                                     v47 = load.i64 notrap aligned v14+8
;;                                     store notrap aligned v47, v3+8
;;                                     v48 = load.i64 notrap aligned v14+56
;;                                     store notrap aligned v48, v3+56
;;                                     v49 = load.i64 notrap aligned v14+64
;;                                     store notrap aligned v49, v3+64
;;                                     v50 = load.i32 notrap aligned v14+72
;;                                     store notrap aligned v50, v3+72
;;                                     v51 = load.i64 notrap aligned v14+96
;;                                     v52 = load.i64 notrap aligned v3+96
;;                                     v53 = load.i64 notrap aligned v51
;;                                     store notrap aligned v53, v52
;;                                     v54 = load.i64 notrap aligned v51+8
;;                                     store notrap aligned v54, v52+8
;;                                     v55 = load.i64 notrap aligned v51+16
;;                                     store notrap aligned v55, v52+16
;;                                     store.i64 notrap aligned v3, v49
;;                                     v56 = load.i64 notrap aligned v3+16
;;                                     store notrap aligned v56, v12+8
;;                                     v57 = load.i64 notrap aligned v56+48
;;                                     store notrap aligned v57, v12
;;                                     v58 = iconst.i64 24
;;                                     v59 = iadd.i64 v13, v58  ; v58 = 24
;;                                     v61 = iadd v56, v58  ; v58 = 24
;; <0>                                 v64 = stack_switch v59, v61, v3
;;                                     v67 = iconst.i64 63
;;                                     v68 = band v64, v67  ; v67 = 63
;;                                     brif v68, block11, block12
;;
;;                                 block11:
;;                                     v93 = iconst.i64 -64
;;                                     v94 = band.i64 v64, v93  ; v93 = -64
;;                                     v69 = load.i64 notrap aligned v94+80
;;                                     v70 = load.i64 notrap aligned v69
;;                                     v95 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v72 = load.i64 notrap aligned readonly can_move v95+112
;;                                     v73 = call_indirect sig2, v72(v0, v70)
;;                                     trap user16
;;
;;                                 block12:
;;                                     v65 = iconst.i64 -64
;;                                     v66 = band.i64 v64, v65  ; v65 = -64
;;                                     v74 = load.i64 notrap aligned v66+80
;;                                     v75 = load.i128 notrap aligned v74
;;                                     jump block1
;;
;;                                 block1:
;;                                     return
;; }
