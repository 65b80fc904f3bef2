/* The fiber interface the `*_fiber.c` programs are written against, with two
 * implementations: fiber_asyncify.c (Binaryen's Asyncify, linked in and then
 * transformed by `wasm-opt --asyncify`) and fiber_wasmfx.wat (typed
 * continuations, merged in by `wasm-merge`).
 *
 * A fiber runs `entry(value)` on its own stack. `fiber_resume` runs it until
 * it yields or returns, and gives back the yielded value or the result. The
 * first resume's value is the entry's argument; each later one is what the
 * pending `fiber_yield` returns. Entry functions must not take the address of
 * their locals: the C stack in linear memory is shared by all fibers. */
#ifndef FIBER_H
#define FIBER_H

#include <stdint.h>

typedef struct fiber *fiber_t;
typedef int64_t (*fiber_entry_t)(int64_t);

#define FIBER_IMPORT(name) \
    __attribute__((import_module("fiber"), import_name(#name)))

#ifdef FIBER_IMPORTED
/* Provided by another module, resolved by wasm-merge. */
#define FIBER_API(name) FIBER_IMPORT(name)
#else
#define FIBER_API(name)
#endif

/* A new fiber that will run `entry`; it starts at its first resume. */
FIBER_API(fiber_alloc) fiber_t fiber_alloc(fiber_entry_t entry);
/* Runs `fiber` until it yields (the yielded value) or returns (its result). */
FIBER_API(fiber_resume) int64_t fiber_resume(fiber_t fiber, int64_t value);
/* Whether the last resume of `fiber` ended with its entry returning. */
FIBER_API(fiber_finished) int fiber_finished(fiber_t fiber);
/* Suspends the running fiber, handing `value` to its resumer; returns the
 * value of the next resume. */
FIBER_API(fiber_yield) int64_t fiber_yield(int64_t value);
/* Releases a fiber that has finished. */
FIBER_API(fiber_free) void fiber_free(fiber_t fiber);

#endif
