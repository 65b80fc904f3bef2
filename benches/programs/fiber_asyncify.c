/* The fiber interface (fiber.h) on Binaryen's Asyncify: the program is linked
 * with this file, then `wasm-opt --asyncify` instruments every function that
 * may reach `fiber_yield`. A yield unwinds the fiber's wasm frames into its
 * own buffer, saving their locals, back to `fiber_resume`; the next resume
 * calls the entry again, which rewinds the frames from the buffer to the
 * yield point.
 *
 * `fiber_yield` calls `asyncify.start_unwind`, so Asyncify leaves it
 * uninstrumented and calls it again during a rewind, where it ends the rewind.
 * `fiber_resume` calls `stop_unwind` and `start_rewind`, so it is not
 * instrumented either, and a fiber may resume other fibers. Finished fibers
 * are kept on a free list for reuse. */
#include "fiber.h"

#include <stdlib.h>

/* Room for the frames one fiber saves when it yields. */
#define UNWIND_BYTES 1024

__attribute__((import_module("asyncify"), import_name("start_unwind")))
void asyncify_start_unwind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_unwind")))
void asyncify_stop_unwind(void);
__attribute__((import_module("asyncify"), import_name("start_rewind")))
void asyncify_start_rewind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_rewind")))
void asyncify_stop_rewind(void);

struct fiber {
    /* Asyncify's data: the next free byte of `frames` and its end. */
    char *unwind_next;
    char *unwind_end;
    fiber_entry_t entry;
    /* The value passed by the last resume or yield. */
    int64_t transfer;
    int started;
    int suspending;
    int rewinding;
    int finished;
    struct fiber *next_free;
    char frames[UNWIND_BYTES];
};

static struct fiber *current;
static struct fiber *free_fibers;

fiber_t fiber_alloc(fiber_entry_t entry) {
    struct fiber *fiber = free_fibers;
    if (fiber) {
        free_fibers = fiber->next_free;
    } else {
        fiber = malloc(sizeof *fiber);
        if (!fiber) abort();
    }
    fiber->entry = entry;
    fiber->started = 0;
    fiber->suspending = 0;
    fiber->rewinding = 0;
    fiber->finished = 0;
    return fiber;
}

int64_t fiber_resume(fiber_t fiber, int64_t value) {
    struct fiber *resumer = current;
    current = fiber;
    fiber->transfer = value;
    if (fiber->started) {
        fiber->rewinding = 1;
        asyncify_start_rewind(&fiber->unwind_next);
    }
    fiber->started = 1;
    int64_t result = fiber->entry(value);
    current = resumer;
    if (fiber->suspending) {
        asyncify_stop_unwind();
        fiber->suspending = 0;
        return fiber->transfer;
    }
    fiber->finished = 1;
    return result;
}

int fiber_finished(fiber_t fiber) { return fiber->finished; }

int64_t fiber_yield(int64_t value) {
    struct fiber *fiber = current;
    if (fiber->rewinding) {
        /* Called again by the rewind: the fiber is back where it yielded. */
        asyncify_stop_rewind();
        fiber->rewinding = 0;
        return fiber->transfer;
    }
    fiber->transfer = value;
    fiber->suspending = 1;
    fiber->unwind_next = fiber->frames;
    fiber->unwind_end = fiber->frames + UNWIND_BYTES;
    asyncify_start_unwind(&fiber->unwind_next);
    return 0;
}

void fiber_free(fiber_t fiber) {
    fiber->next_free = free_fibers;
    free_fibers = fiber;
}
