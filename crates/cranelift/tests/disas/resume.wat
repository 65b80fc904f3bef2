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
;;                                     v13 = load.i32 notrap aligned v6+76
;;                                     v12 = iconst.i32 0
;;                                     store notrap aligned v12, v6+76  ; v12 = 0
;;                                     v14 = stack_addr.i64 ss0
;;                                     store notrap aligned v6, v14
;;                                     v15 = load.i64 notrap aligned readonly can_move v0+64
;;                                     store notrap aligned v15, v14+8
;;                                     store notrap aligned v14, v6+64
;;                                     v16 = iconst.i32 1
;;                                     store notrap aligned v16, v6+72  ; v16 = 1
;;                                     v17 = load.i64 notrap aligned readonly can_move v0+8
;;                                     v18 = load.i64 notrap aligned v17+8
;;                                     store notrap aligned v18, v6+8
;;                                     v19 = load.i64 notrap aligned v17
;;                                     store notrap aligned v19, v6+56
;;                                     v20 = load.i64 notrap aligned v6+16
;;                                     store notrap aligned v20, v17+8
;;                                     v21 = load.i64 notrap aligned v20+48
;;                                     store notrap aligned v21, v17
;;                                     v22 = load.i64 notrap aligned v6+96
;;                                     v23 = iconst.i64 24
;;                                     v24 = iadd v20, v23  ; v23 = 24
;; <0>                                 v27 = stack_switch v22, v24, v6
;;                                     v29 = load.i64 notrap aligned v14
;;                                     v31 = load.i64 notrap aligned v29+8
;;                                     store notrap aligned v31, v17+8
;;                                     v32 = load.i64 notrap aligned v29+56
;;                                     store notrap aligned v32, v17
;;                                     v33 = ireduce.i32 v27
;;                                     v36 = icmp eq v33, v12  ; v12 = 0
;;                                     brif v36, block3, block4
;;
;;                                 block4:
;;                                     v37 = iconst.i32 2
;;                                     v38 = icmp.i32 eq v33, v37  ; v37 = 2
;;                                     brif v38, block5, block6
;;
;;                                 block3:
;;                                     v39 = load.i64 notrap aligned v29+392
;;                                     v40 = load.i32 notrap aligned v39
;;                                     v42 = load.i64 notrap aligned v17+40
;;                                     store notrap aligned v42, v29+8
;;                                     store.i64 notrap aligned v29, v17+40
;;                                     jump block7
;;
;;                                 block5:
;;                                     v43 = load.i64 notrap aligned v29+80
;;                                     v44 = load.i64 notrap aligned v43
;;                                     v46 = load.i64 notrap aligned v17+40
;;                                     store notrap aligned v46, v29+8
;;                                     store.i64 notrap aligned v29, v17+40
;;                                     v47 = load.i64 notrap aligned readonly can_move v0+16
;;                                     v48 = load.i64 notrap aligned readonly can_move v47+112
;;                                     v49 = call_indirect sig0, v48(v0, v44)
;;                                     trap user16
;;
;;                                 block6:
;;                                     v50 = iconst.i64 32
;;                                     v51 = ushr.i64 v27, v50  ; v50 = 32
;;                                     v52 = ireduce.i32 v51
;;                                     br_table v52, block8, [block9]
;;
;;                                 block9:
;;                                     v53 = load.i64 notrap aligned v29+80
;;                                     v54 = load.i32 notrap aligned v53
;;                                     v55 = load.i64 notrap aligned v29
;;                                     jump block2
;;
;;                                 block8:
;;                                     trap user1
;;
;;                                 block7:
;;                                     return v40
;;
;;                                 block2:
;;                                     jump block1
;;
;;                                 block1:
;;                                     return v54
;; }
