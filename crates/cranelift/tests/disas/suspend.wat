;; `suspend`: looks for a handler of `$yield` up the chain of running continuations, switches
;; to it with the tag's argument, and reads the value it is resumed with.
(module
  (tag $yield (param i32) (result i64))
  (func (param $x i32) (result i64)
    (suspend $yield (local.get $x))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i32) -> i64 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i64) system_v
;;     sig1 = (i64, i64, i32) system_v
;;     sig2 = (i64, i64) -> i32 tail
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i32):
;;                                     v5 = load.i64 notrap aligned readonly can_move v0+8
;;                                     v6 = load.i64 notrap aligned v5+8
;;                                     jump block2(v6)
;;
;;                                 block2(v7: i64):
;;                                     brif v7, block7, block5
;;
;;                                 block7:
;;                                     v10 = load.i32 notrap aligned v7+72
;;                                     v11 = load.i64 notrap aligned v7+64
;;                                     v12 = iconst.i32 0
;;                                     v57 = iconst.i64 3
;;                                     v77 = load.i64 notrap aligned readonly can_move v0+64
;;                                     v20 = iconst.i32 1
;;                                     jump block3(v12)  ; v12 = 0
;;
;;                                 block3(v8: i32):
;;                                     v13 = icmp uge v8, v10
;;                                     brif v13, block4, block8
;;
;;                                 block8:
;;                                     v14 = uextend.i64 v8
;;                                     v75 = iconst.i64 3
;;                                     v76 = ishl v14, v75  ; v75 = 3
;;                                     v17 = iadd.i64 v11, v76
;;                                     v18 = load.i64 notrap aligned v17+8
;;                                     v19 = icmp eq v18, v77
;;                                     v78 = iconst.i32 1
;;                                     v79 = iadd.i32 v8, v78  ; v78 = 1
;;                                     brif v19, block6(v8), block3(v79)
;;
;;                                 block4:
;;                                     v22 = load.i64 notrap aligned v7+8
;;                                     jump block2(v22)
;;
;;                                 block5:
;;                                     v23 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v24 = load.i64 notrap aligned readonly can_move v23+136
;;                                     v4 = load.i64 notrap aligned readonly can_move v0+64
;;                                     call_indirect sig0, v24(v0, v4)
;;                                     trap user16
;;
;;                                 block6(v9: i32):
;;                                     v28 = load.i32 notrap aligned v7+88
;;                                     v80 = iconst.i32 0
;;                                     v81 = icmp eq v28, v80  ; v80 = 0
;;                                     brif v81, block9, block10
;;
;;                                 block9:
;;                                     v82 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v31 = load.i64 notrap aligned readonly can_move v82+128
;;                                     v83 = iconst.i32 1
;;                                     call_indirect sig1, v31(v0, v7, v83)  ; v83 = 1
;;                                     jump block10
;;
;;                                 block10:
;;                                     v32 = load.i64 notrap aligned v7+80
;;                                     store.i32 notrap aligned v2, v32
;;                                     store.i64 notrap aligned v6, v7+16
;;                                     v39 = load.i64 notrap aligned v7+96
;;                                     v37 = iconst.i64 24
;;                                     v38 = iadd.i64 v6, v37  ; v37 = 24
;;                                     v40 = uextend.i64 v9
;;                                     v41 = iconst.i64 32
;;                                     v42 = ishl v40, v41  ; v41 = 32
;;                                     v43 = iconst.i64 1
;;                                     v44 = bor v42, v43  ; v43 = 1
;; <0>                                 v45 = stack_switch v38, v39, v44
;;                                     v48 = iconst.i64 63
;;                                     v49 = band v45, v48  ; v48 = 63
;;                                     brif v49, block11, block12
;;
;;                                 block11:
;;                                     v84 = iconst.i64 -64
;;                                     v85 = band.i64 v45, v84  ; v84 = -64
;;                                     v50 = load.i64 notrap aligned v85+80
;;                                     v51 = load.i64 notrap aligned v50
;;                                     v86 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v53 = load.i64 notrap aligned readonly can_move v86+112
;;                                     v54 = call_indirect sig2, v53(v0, v51)
;;                                     trap user16
;;
;;                                 block12:
;;                                     v46 = iconst.i64 -64
;;                                     v47 = band.i64 v45, v46  ; v46 = -64
;;                                     v55 = load.i64 notrap aligned v47+80
;;                                     v56 = load.i64 notrap aligned v55
;;                                     jump block1
;;
;;                                 block1:
;;                                     return v56
;; }
