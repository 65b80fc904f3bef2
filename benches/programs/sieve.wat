;; sieve, typed continuations: a concurrent prime sieve finding the first 8,100 primes. Each
;; prime found gets a filter continuation; each candidate is sent through the filters in
;; order until one divides it (about 33 million send round trips); a candidate no filter
;; divides is prime and gets a new filter. Exits 0 when the 8,100th prime is 82,891.
(module $sieve
  ;; A filter: its prime, then the first candidate it is sent.
  (type $filter (func (param i32 i32)))
  (type $filter_ct (cont $filter))
  ;; A filter waiting for its next candidate.
  (type $waiting (func (param i32)))
  (type $waiting_ct (cont $waiting))
  ;; A filter's answer (whether its prime divides the candidate), resumed with the next
  ;; candidate.
  (tag $verdict (param i32) (result i32))

  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (table $filters 8100 (ref null $waiting_ct))

  (func $filter (param $prime i32) (param $candidate i32)
    (loop $next
      (local.set $candidate
        (suspend $verdict
          (i32.eqz (i32.rem_u (local.get $candidate) (local.get $prime)))))
      (br $next)))
  (elem declare func $filter)

  ;; Sends `candidate` to filter `i`: whether its prime divides the candidate.
  (func $send (param $i i32) (param $candidate i32) (result i32)
    (local $k (ref null $waiting_ct))
    (block $answered (result i32 (ref $waiting_ct))
      (resume $waiting_ct (on $verdict $answered)
        (local.get $candidate)
        (table.get $filters (local.get $i)))
      ;; Filters never return.
      (call $proc_exit (i32.const 1))
      (unreachable))
    (local.set $k)
    (table.set $filters (local.get $i) (local.get $k)))

  (func (export "_start")
    (local $candidate i32) (local $primes i32) (local $i i32)
    (local.set $candidate (i32.const 2))
    (loop $next_candidate
      (local.set $i (i32.const 0))
      (block $composite
        (block $prime
          (loop $next_filter
            (br_if $prime (i32.eq (local.get $i) (local.get $primes)))
            (br_if $composite (call $send (local.get $i) (local.get $candidate)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next_filter)))
        (table.set $filters (local.get $primes)
          (cont.bind $filter_ct $waiting_ct (local.get $candidate)
            (cont.new $filter_ct (ref.func $filter))))
        (local.set $primes (i32.add (local.get $primes) (i32.const 1))))
      (local.set $candidate (i32.add (local.get $candidate) (i32.const 1)))
      (br_if $next_candidate (i32.lt_u (local.get $primes) (i32.const 8100))))
    ;; The last prime found was the candidate before this one.
    (if (i32.ne (local.get $candidate) (i32.const 82892))
      (then (call $proc_exit (i32.const 1))))))
