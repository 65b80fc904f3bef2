;; `i32.store` and `i32.load` with offsets: the access goes to base + address + offset with no
;; explicit bounds check (a 32-bit memory's reservation and guard region make an out-of-bounds
;; access fault, and the signal handler turns the fault into a trap).
(module
  (memory 1)
  (func (param $addr i32) (result i32)
    (i32.store offset=4 (local.get $addr) (i32.const 7))
    (i32.load offset=8 (local.get $addr))))

;; ==== optimised CLIF; regenerate: WASMFX_BLESS=1 cargo test -p wasmfx-cranelift --test disas
;; function u0:0(i64 vmctx, i64, i32) -> i32 tail {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned readonly can_move gv0+8
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;; block0(v0: i64, v1: i64, v2: i32):
;;     v4 = iconst.i32 7
;;     v5 = load.i64 notrap aligned readonly can_move v0+72
;;     v6 = uextend.i64 v2
;;     v7 = iadd v5, v6
;;     store v4, v7+4  ; v4 = 7
;;     v11 = load.i32 v7+8
;;     jump block1
;;
;; block1:
;;     return v11
;; }
