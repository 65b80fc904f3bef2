;; The linearity check every consuming instruction makes (`resume`, `resume_throw`,
;; `cont.bind`, `switch`), here alone in a `cont.bind` that binds nothing: trap on null, trap if
;; the object's revision differs from the reference's, then bump the revision.
(module
  (type $ft (func))
  (type $ct (cont $ft))
  (func (param $k (ref null $ct)) (result (ref $ct))
    (cont.bind $ct $ct (local.get $k))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i128) -> i128 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i128):
;;     v4, v5 = isplit v2
;;     trapz v4, user13
;;     v6 = load.i64 notrap aligned v4
;;     v7 = icmp ne v6, v5
;;     trapnz v7, user14
;;     v8 = iconst.i64 1
;;     v9 = iadd v5, v8  ; v8 = 1
;;     store notrap aligned v9, v4
;;     jump block1
;;
;; block1:
;;     v11 = iadd.i64 v5, v8  ; v8 = 1
;;     v12 = iconcat.i64 v4, v11
;;     return v12
;; }
