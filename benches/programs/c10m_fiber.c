/* c10m on the fiber interface (fiber.h): 10,000 worker fibers alive at once,
 * 10,000,000 connections; each worker yields its argument once, is resumed
 * and returns 1; a finished worker's slot gets a new worker; the last 10,000
 * are drained. Exits 0 when the count is 10,010,000 and every worker yielded
 * its own argument. */
#include "bench.h"
#include "fiber.h"

#define WORKERS 10000
#define CONNECTIONS 10000000

static fiber_t slots[WORKERS];

static int64_t worker(int64_t arg) {
    fiber_yield(arg);
    return 1;
}

/* Starts a worker with `arg` in `slot` and runs it to its yield. */
static void spawn(int32_t slot, int64_t arg) {
    fiber_t fiber = fiber_alloc(worker);
    int64_t accepted = fiber_resume(fiber, arg);
    if (fiber_finished(fiber)) expect("c10m worker yields", 0, 1);
    expect("c10m accept", accepted, arg);
    slots[slot] = fiber;
}

/* Resumes the worker in `slot` to completion: its result. */
static int64_t finish(int32_t slot) {
    fiber_t fiber = slots[slot];
    int64_t result = fiber_resume(fiber, 0);
    if (!fiber_finished(fiber)) expect("c10m worker returns", 0, 1);
    fiber_free(fiber);
    return result;
}

int main(void) {
    int64_t count = 0;
    for (int32_t slot = 0; slot < WORKERS; slot++) spawn(slot, slot);
    for (int32_t n = 0, slot = 0; n < CONNECTIONS; n++) {
        count += finish(slot);
        spawn(slot, n + WORKERS);
        if (++slot == WORKERS) slot = 0;
    }
    for (int32_t slot = 0; slot < WORKERS; slot++) count += finish(slot);
    expect("c10m count", count, 10010000);
    return 0;
}
