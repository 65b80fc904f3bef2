;; `resume` with a handler clause: the continuation returns (its result goes to the function's
;; result) or suspends with `$yield` (the handler block gets the tag's value and the rest of the
;; computation).
(module
  (type $ft (func (result i32)))
  (type $ct (cont $ft))
  (tag $yield (param i32))
  (func (param $k (ref $ct)) (result i32)
    (block $on_yield (result i32 (ref $ct))
      (resume $ct (on $yield $on_yield) (local.get $k))
      (return))
    (drop)))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i128) -> i32 tail {
;;     ss0 = explicit_slot 16, align = 8
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i64) -> i32 tail
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i128):
;;                                     v6, v7 = isplit v2
;;                                     trapz v6, user13
;;                                     v8 = load.i64 notrap aligned v6
;;                                     v9 = icmp ne v8, v7
;;                                     trapnz v9, user14
;;                                     v10 = iconst.i64 1
;;                                     v11 = iadd v7, v10  ; v10 = 1
;;                                     store notrap aligned v11, v6
;;                                     v12 = load.i64 notrap aligned v6+16
;;                                     v13 = load.i64 notrap aligned v12+24
;;                                     v14 = load.i64 aligned v13
;;                                     v15 = load.i64 notrap aligned v12+32
;;                                     v16 = load.i64 aligned v15
;;                                     v18 = load.i32 notrap aligned v6+76
;;                                     v17 = iconst.i32 0
;;                                     store notrap aligned v17, v6+76  ; v17 = 0
;;                                     v19 = stack_addr.i64 ss0
;;                                     store notrap aligned v6, v19
;;                                     v20 = load.i64 notrap aligned readonly can_move v0+64
;;                                     store notrap aligned v20, v19+8
;;                                     store notrap aligned v19, v6+64
;;                                     v21 = iconst.i32 1
;;                                     store notrap aligned v21, v6+72  ; v21 = 1
;;                                     v22 = load.i64 notrap aligned readonly can_move v0+8
;;                                     v23 = load.i64 notrap aligned v22+8
;;                                     store notrap aligned v23, v6+8
;;                                     v24 = load.i64 notrap aligned v22
;;                                     store notrap aligned v24, v6+56
;;                                     store notrap aligned v12, v22+8
;;                                     v25 = load.i64 notrap aligned v12+48
;;                                     store notrap aligned v25, v22
;;                                     v26 = load.i64 notrap aligned v6+96
;;                                     v27 = iconst.i64 24
;;                                     v28 = iadd v12, v27  ; v27 = 24
;; <0>                                 v31 = stack_switch v26, v28, v6
;;                                     v33 = load.i64 notrap aligned v19
;;                                     v35 = load.i64 notrap aligned v33+8
;;                                     store notrap aligned v35, v22+8
;;                                     v36 = load.i64 notrap aligned v33+56
;;                                     store notrap aligned v36, v22
;;                                     v37 = ireduce.i32 v31
;;                                     v40 = icmp eq v37, v17  ; v17 = 0
;;                                     brif v40, block3, block4
;;
;;                                 block4:
;;                                     v41 = iconst.i32 2
;;                                     v42 = icmp.i32 eq v37, v41  ; v41 = 2
;;                                     brif v42, block5, block6
;;
;;                                 block3:
;;                                     v43 = load.i64 notrap aligned v33+392
;;                                     v44 = load.i32 notrap aligned v43
;;                                     v46 = load.i64 notrap aligned v22+40
;;                                     store notrap aligned v46, v33+8
;;                                     store.i64 notrap aligned v33, v22+40
;;                                     jump block7
;;
;;                                 block5:
;;                                     v47 = load.i64 notrap aligned v33+80
;;                                     v48 = load.i64 notrap aligned v47
;;                                     v50 = load.i64 notrap aligned v22+40
;;                                     store notrap aligned v50, v33+8
;;                                     store.i64 notrap aligned v33, v22+40
;;                                     v51 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v52 = load.i64 notrap aligned readonly can_move v51+112
;;                                     v53 = call_indirect sig0, v52(v0, v48)
;;                                     trap user16
;;
;;                                 block6:
;;                                     v54 = iconst.i64 32
;;                                     v55 = ushr.i64 v31, v54  ; v54 = 32
;;                                     v56 = ireduce.i32 v55
;;                                     br_table v56, block8, [block9]
;;
;;                                 block9:
;;                                     v57 = load.i64 notrap aligned v33+80
;;                                     v58 = load.i32 notrap aligned v57
;;                                     v59 = load.i64 notrap aligned v33
;;                                     jump block2
;;
;;                                 block8:
;;                                     trap user1
;;
;;                                 block7:
;;                                     return v44
;;
;;                                 block2:
;;                                     jump block1
;;
;;                                 block1:
;;                                     return v58
;; }
