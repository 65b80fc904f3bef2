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
;;                                     v68 = stack_addr.i64 ss1
;;                                     store notrap aligned v4, v68
;;                                     v5, v6 = isplit v2
;;                                     trapz v5, user13
;;                                     v7 = load.i64 notrap aligned v5
;;                                     v8 = icmp ne v7, v6
;;                                     trapnz v8, user14
;;                                     v9 = iconst.i64 1
;;                                     v10 = iadd v6, v9  ; v9 = 1
;;                                     store notrap aligned v10, v5
;;                                     v11 = load.i64 notrap aligned v5+16
;;                                     v12 = load.i64 notrap aligned v11+24
;;                                     v13 = load.i64 aligned v12
;;                                     v14 = load.i64 notrap aligned v11+32
;;                                     v15 = load.i64 aligned v14
;;                                     v17 = load.i32 notrap aligned v5+76
;;                                     v20 = load.i32 notrap aligned v5+88
;;                                     v18 = iconst.i32 1
;;                                     v19 = iadd v17, v18  ; v18 = 1
;;                                     v21 = icmp ult v20, v19
;;                                     brif v21, block2, block3
;;
;;                                 block2:
;;                                     v22 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v23 = load.i64 notrap aligned readonly can_move v22+128
;;                                     v72 = iadd.i32 v17, v18  ; v18 = 1
;;                                     call_indirect sig0, v23(v0, v5, v72), stack_map=[i128 @ ss1+0]
;;                                     jump block3
;;
;;                                 block3:
;;                                     v24 = load.i64 notrap aligned v5+80
;;                                     v67 = load.i128 notrap aligned v68
;;                                     v25 = uextend.i64 v17
;;                                     v69 = iconst.i64 4
;;                                     v70 = ishl v25, v69  ; v69 = 4
;;                                     v28 = iadd v24, v70
;;                                     store notrap aligned v67, v28
;;                                     v16 = iconst.i32 0
;;                                     store notrap aligned v16, v5+76  ; v16 = 0
;;                                     v29 = stack_addr.i64 ss0
;;                                     store.i64 notrap aligned v5, v29
;;                                     v30 = load.i64 notrap aligned readonly can_move v0+72
;;                                     v73 = iconst.i64 1
;;                                     v74 = bor v30, v73  ; v73 = 1
;;                                     store notrap aligned v74, v29+8
;;                                     store notrap aligned v29, v5+64
;;                                     v75 = iconst.i32 1
;;                                     store notrap aligned v75, v5+72  ; v75 = 1
;;                                     v34 = load.i64 notrap aligned readonly can_move v0+8
;;                                     v35 = load.i64 notrap aligned v34+8
;;                                     store notrap aligned v35, v5+8
;;                                     v36 = load.i64 notrap aligned v34
;;                                     store notrap aligned v36, v5+56
;;                                     store.i64 notrap aligned v11, v34+8
;;                                     v37 = load.i64 notrap aligned v11+48
;;                                     store notrap aligned v37, v34
;;                                     v38 = load.i64 notrap aligned v5+96
;;                                     v39 = iconst.i64 24
;;                                     v40 = iadd.i64 v11, v39  ; v39 = 24
;; <0>                                 v43 = stack_switch v38, v40, v5
;;                                     v45 = load.i64 notrap aligned v29
;;                                     v47 = load.i64 notrap aligned v45+8
;;                                     store notrap aligned v47, v34+8
;;                                     v48 = load.i64 notrap aligned v45+56
;;                                     store notrap aligned v48, v34
;;                                     v49 = ireduce.i32 v43
;;                                     v51 = icmp eq v49, v16  ; v16 = 0
;;                                     brif v51, block4, block5
;;
;;                                 block5:
;;                                     v52 = iconst.i32 2
;;                                     v53 = icmp.i32 eq v49, v52  ; v52 = 2
;;                                     brif v53, block6, block7
;;
;;                                 block4:
;;                                     v55 = load.i64 notrap aligned v34+40
;;                                     store notrap aligned v55, v45+8
;;                                     store.i64 notrap aligned v45, v34+40
;;                                     jump block8
;;
;;                                 block6:
;;                                     v56 = load.i64 notrap aligned v45+80
;;                                     v57 = load.i64 notrap aligned v56
;;                                     v59 = load.i64 notrap aligned v34+40
;;                                     store notrap aligned v59, v45+8
;;                                     store.i64 notrap aligned v45, v34+40
;;                                     v76 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v61 = load.i64 notrap aligned readonly can_move v76+112
;;                                     v62 = call_indirect sig1, v61(v0, v57)
;;                                     trap user16
;;
;;                                 block7:
;;                                     v63 = iconst.i64 32
;;                                     v64 = ushr.i64 v43, v63  ; v63 = 32
;;                                     v65 = ireduce.i32 v64
;;                                     br_table v65, block9, [block9]
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
;;                                     v9 = load.i64 notrap aligned v3+16
;;                                     v10 = load.i64 notrap aligned v9+24
;;                                     v11 = load.i64 aligned v10
;;                                     v12 = load.i64 notrap aligned v9+32
;;                                     v13 = load.i64 aligned v12
;;                                     v17 = load.i64 notrap aligned readonly can_move v0+8
;;                                     v18 = load.i64 notrap aligned v17+8
;;                                     jump block2(v18)
;;
;;                                 block2(v19: i64):
;;                                     brif v19, block7, block5
;;
;;                                 block7:
;;                                     v22 = load.i32 notrap aligned v19+72
;;                                     v23 = load.i64 notrap aligned v19+64
;;                                     v24 = iconst.i32 0
;;                                     v80 = iconst.i64 3
;;                                     v88 = load.i64 notrap aligned readonly can_move v0+72
;;                                     v89 = iconst.i64 1
;;                                     v90 = bor v88, v89  ; v89 = 1
;;                                     v32 = iconst.i32 1
;;                                     jump block3(v24)  ; v24 = 0
;;
;;                                 block3(v20: i32):
;;                                     v25 = icmp uge v20, v22
;;                                     brif v25, block4, block8
;;
;;                                 block8:
;;                                     v26 = uextend.i64 v20
;;                                     v86 = iconst.i64 3
;;                                     v87 = ishl v26, v86  ; v86 = 3
;;                                     v29 = iadd.i64 v23, v87
;;                                     v30 = load.i64 notrap aligned v29+8
;;                                     v31 = icmp eq v30, v90
;;                                     v91 = iconst.i32 1
;;                                     v92 = iadd.i32 v20, v91  ; v91 = 1
;;                                     brif v31, block6(v20), block3(v92)
;;
;;                                 block4:
;;                                     v34 = load.i64 notrap aligned v19+8
;;                                     jump block2(v34)
;;
;;                                 block5:
;;                                     v35 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v36 = load.i64 notrap aligned readonly can_move v35+136
;;                                     v14 = load.i64 notrap aligned readonly can_move v0+72
;;                                     call_indirect sig0, v36(v0, v14)
;;                                     trap user16
;;
;;                                 block6(v21: i32):
;;                                     store.i64 notrap aligned v18, v19+16
;;                                     v37 = load.i64 notrap aligned v19
;;                                     v39 = load.i32 notrap aligned v3+76
;;                                     v42 = load.i32 notrap aligned v3+88
;;                                     v93 = iconst.i32 1
;;                                     v94 = iadd v39, v93  ; v93 = 1
;;                                     v43 = icmp ult v42, v94
;;                                     brif v43, block9, block10
;;
;;                                 block9:
;;                                     v95 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v45 = load.i64 notrap aligned readonly can_move v95+128
;;                                     call_indirect sig1, v45(v0, v3, v94)
;;                                     jump block10
;;
;;                                 block10:
;;                                     v46 = load.i64 notrap aligned v3+80
;;                                     v38 = iconcat.i64 v19, v37
;;                                     v47 = uextend.i64 v39
;;                                     v83 = iconst.i64 4
;;                                     v84 = ishl v47, v83  ; v83 = 4
;;                                     v50 = iadd v46, v84
;;                                     store notrap aligned v38, v50
;;                                     v96 = iconst.i32 0
;;                                     store notrap aligned v96, v3+76  ; v96 = 0
;;                                     v52 = load.i64 notrap aligned v19+8
;;                                     store notrap aligned v52, v3+8
;;                                     v53 = load.i64 notrap aligned v19+56
;;                                     store notrap aligned v53, v3+56
;;                                     v54 = load.i64 notrap aligned v19+64
;;                                     store notrap aligned v54, v3+64
;;                                     v55 = load.i32 notrap aligned v19+72
;;                                     store notrap aligned v55, v3+72
;;                                     v56 = load.i64 notrap aligned v19+96
;;                                     v57 = load.i64 notrap aligned v3+96
;;                                     v58 = load.i64 notrap aligned v56
;;                                     store notrap aligned v58, v57
;;                                     v59 = load.i64 notrap aligned v56+8
;;                                     store notrap aligned v59, v57+8
;;                                     v60 = load.i64 notrap aligned v56+16
;;                                     store notrap aligned v60, v57+16
;;                                     store.i64 notrap aligned v3, v54
;;                                     store.i64 notrap aligned v9, v17+8
;;                                     v61 = load.i64 notrap aligned v9+48
;;                                     store notrap aligned v61, v17
;;                                     v62 = iconst.i64 24
;;                                     v63 = iadd.i64 v18, v62  ; v62 = 24
;;                                     v65 = iadd.i64 v9, v62  ; v62 = 24
;; <0>                                 v68 = stack_switch v63, v65, v3
;;                                     v71 = iconst.i64 63
;;                                     v72 = band v68, v71  ; v71 = 63
;;                                     brif v72, block11, block12
;;
;;                                 block11:
;;                                     v97 = iconst.i64 -64
;;                                     v98 = band.i64 v68, v97  ; v97 = -64
;;                                     v73 = load.i64 notrap aligned v98+80
;;                                     v74 = load.i64 notrap aligned v73
;;                                     v99 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v76 = load.i64 notrap aligned readonly can_move v99+112
;;                                     v77 = call_indirect sig2, v76(v0, v74)
;;                                     trap user16
;;
;;                                 block12:
;;                                     v69 = iconst.i64 -64
;;                                     v70 = band.i64 v68, v69  ; v69 = -64
;;                                     v78 = load.i64 notrap aligned v70+80
;;                                     v79 = load.i128 notrap aligned v78
;;                                     jump block1
;;
;;                                 block1:
;;                                     return
;; }
