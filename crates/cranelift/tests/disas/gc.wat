;; GC objects: `struct.new` calls the runtime's allocator and stores the fields; `struct.get`
;; checks for null and loads at the field's offset (a packed i8 widened); `ref.test` of a
;; final struct type tells i31s and host references from objects by the word's low bits and
;; compares the object's type id.
(module
  (type $point (struct (field i32) (field (mut i8))))
  (func (param i32) (result (ref $point)) (struct.new $point (local.get 0) (i32.const 7)))
  (func (param (ref null $point)) (result i32) (struct.get_s $point 1 (local.get 0)))
  (func (param anyref) (result i32) (ref.test (ref $point) (local.get 0))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i32) -> i64 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64, i32, i64, i32) -> i64 system_v
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i32):
;;     v9 = load.i64 notrap aligned readonly can_move v0+8
;;     v10 = load.i64 notrap aligned v9+64
;;     v11 = load.i64 notrap aligned v9+72
;;     v5 = iconst.i64 16
;;     v13 = iadd v10, v5  ; v5 = 16
;;     v14 = icmp ule v13, v11
;;     brif v14, block2, block3
;;
;; block2:
;;     v27 = iadd.i64 v10, v5  ; v5 = 16
;;     store notrap aligned v27, v9+64
;;     v28 = load.i64 notrap aligned readonly can_move v0+24
;;     v29 = load.i32 notrap aligned readonly can_move v28
;;     v16 = uextend.i64 v29
;;     v17 = iconst.i64 -4294967296
;;     v18 = bor v16, v17  ; v17 = -4294967296
;;     store notrap aligned v18, v10
;;     jump block4(v10)
;;
;; block3 cold:
;;     v22 = get_stack_pointer.i64
;;     store notrap aligned v22, v9+48
;;     v23 = get_frame_pointer.i64
;;     store notrap aligned v23, v9+56
;;     v19 = load.i64 notrap aligned readonly can_move v0+16
;;     v20 = load.i64 notrap aligned readonly can_move v19+144
;;     v7 = load.i64 notrap aligned readonly can_move v0+24
;;     v8 = load.i32 notrap aligned readonly can_move v7
;;     v26 = iconst.i64 16
;;     v6 = iconst.i32 -1
;;     v24 = call_indirect sig0, v20(v0, v8, v26, v6)  ; v26 = 16, v6 = -1
;;     v25 = iconst.i64 0
;;     store notrap aligned v25, v9+48  ; v25 = 0
;;     trapz v24, user16
;;     jump block4(v24)
;;
;; block4(v15: i64):
;;     store.i32 notrap aligned v2, v15+8
;;     v4 = iconst.i32 7
;;     istore8 notrap aligned v4, v15+12  ; v4 = 7
;;     jump block1(v15)
;;
;; block1(v3: i64):
;;     return v3
;; }
;;
;; function u0:1(i64 vmctx, i64, i64) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i64):
;;     trapz v2, user22
;;     v4 = sload8.i32 notrap aligned v2+12
;;     jump block1
;;
;; block1:
;;     return v4
;; }
;;
;; function u0:2(i64 vmctx, i64, i64) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i64):
;;     v5 = iconst.i8 0
;;     brif v2, block3, block2(v5)  ; v5 = 0
;;
;; block3:
;;     v7 = iconst.i64 3
;;     v8 = band.i64 v2, v7  ; v7 = 3
;;     v15 = iconst.i8 0
;;     brif v8, block4(v15), block5  ; v15 = 0
;;
;; block5:
;;     v10 = load.i32 notrap aligned v2
;;     v11 = load.i64 notrap aligned readonly can_move v0+24
;;     v12 = load.i32 notrap aligned readonly can_move v11
;;     v13 = icmp eq v10, v12
;;     jump block4(v13)
;;
;; block4(v6: i8):
;;     jump block2(v6)
;;
;; block2(v4: i8):
;;     jump block1
;;
;; block1:
;;     v14 = uextend.i32 v4
;;     return v14
;; }
