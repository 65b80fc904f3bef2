;; SIMD: a `v128` is an `i8x16`; lane-typed instructions bitcast their operands and result
;; (no machine instruction), shifts mask their amount, and `pmin` is a compare and a
;; `bitselect`.
(module
  (memory 1)
  (func (param $a v128) (param $b v128) (param $n i32) (result v128)
    (i32x4.shl
      (f32x4.pmin
        (i32x4.add (local.get $a) (v128.load offset=16 (i32.const 0)))
        (local.get $b))
      (local.get $n))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i8x16, i8x16, i32) -> i8x16 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i8x16, v3: i8x16, v4: i32):
;;     v7 = load.i64 notrap aligned readonly can_move v0+72
;;     v10 = load.i8x16 v7+16
;;     jump block1
;;
;; block1:
;;     v15 = bitcast.f32x4 little v3
;;     v12 = bitcast.i32x4 little v2
;;     v11 = bitcast.i32x4 little v10
;;     v13 = iadd v12, v11
;;     v14 = bitcast.i8x16 little v13
;;     v16 = bitcast.f32x4 little v14
;;     v17 = fcmp lt v15, v16
;;     v18 = bitcast.f32x4 little v17
;;     v19 = bitselect v18, v15, v16
;;     v20 = bitcast.i8x16 little v19
;;     v21 = bitcast.i32x4 little v20
;;     v22 = iconst.i32 31
;;     v23 = band.i32 v4, v22  ; v22 = 31
;;     v24 = ishl v21, v23
;;     v25 = bitcast.i8x16 little v24
;;     return v25
;; }
