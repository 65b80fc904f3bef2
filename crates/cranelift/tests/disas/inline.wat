;; inlining: on
;; Inlining: the bodies of `$get` (a load) and `$bump` (an early return) are translated in place
;; of the calls to them. Their code carries its inline site as source location (`@0001`: `$get`
;; in the exported function, `@0002`: `$bump`), which the code tables turn into the inlined
;; frames of backtraces; `$bump`'s `return` branches to the code after its call.
(module
  (memory 1)
  (func $get (param i32) (result i32) (i32.load (local.get 0)))
  (func $bump (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 1))))
    (i32.add (local.get 0) (i32.const 1)))
  (func (export "f") (param i32) (result i32)
    (call $bump (call $get (local.get 0)))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i32) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i32):
;;     v4 = load.i64 notrap aligned readonly can_move v0+88
;;     v5 = uextend.i64 v2
;;     v6 = iadd v4, v5
;;     v7 = load.i32 v6
;;     jump block1
;;
;; block1:
;;     return v7
;; }
;;
;; function u0:1(i64 vmctx, i64, i32) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i32):
;;     v4 = iconst.i32 0
;;     v5 = icmp eq v2, v4  ; v4 = 0
;;     brif v5, block3, block4
;;
;; block3:
;;     v10 = iconst.i32 1
;;     return v10  ; v10 = 1
;;
;; block4:
;;     jump block2
;;
;; block2:
;;     jump block1
;;
;; block1:
;;     v8 = iconst.i32 1
;;     v9 = iadd.i32 v2, v8  ; v8 = 1
;;     return v9
;; }
;;
;; function u0:2(i64 vmctx, i64, i32) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i32):
;; @0001                               jump block2
;;
;;                                 block2:
;; @0001                               v5 = load.i64 notrap aligned readonly can_move v0+88
;; @0001                               v6 = uextend.i64 v2
;; @0001                               v7 = iadd v5, v6
;; @0001                               v8 = load.i32 v7
;; @0001                               jump block3
;;
;;                                 block3:
;; @0002                               jump block4
;;
;;                                 block4:
;; @0002                               v10 = iconst.i32 0
;; @0002                               v11 = icmp.i32 eq v8, v10  ; v10 = 0
;; @0002                               brif v11, block7, block8
;;
;;                                 block7:
;;                                     v16 = iconst.i32 1
;; @0002                               jump block5(v16)  ; v16 = 1
;;
;;                                 block8:
;; @0002                               jump block6
;;
;;                                 block6:
;; @0002                               v14 = iconst.i32 1
;; @0002                               v15 = iadd.i32 v8, v14  ; v14 = 1
;; @0002                               jump block5(v15)
;;
;;                                 block5(v9: i32):
;;                                     jump block1(v9)
;;
;;                                 block1(v3: i32):
;;                                     return v3
;; }
