/* c10m, bespoke: the async server of c10m.wat without coroutines. A worker is
 * a two-state machine (accepted, then finished) in a slot array: 10,000 alive
 * at once, 10,000,000 connections, the last 10,000 drained. Exits 0 when the
 * count is 10,010,000 and every worker reported its own argument. */
#include "bench.h"

#define WORKERS 10000
#define CONNECTIONS 10000000

struct worker {
    int32_t arg;
    int32_t accepted;
};

static struct worker slots[WORKERS];

/* Starts a worker with `arg` in `slot` and runs it to its accept: its argument. */
__attribute__((noinline)) static int32_t spawn(int32_t slot, int32_t arg) {
    slots[slot].arg = arg;
    slots[slot].accepted = 1;
    return arg;
}

/* Runs the worker in `slot` to completion: its result. */
__attribute__((noinline)) static int32_t finish(int32_t slot) {
    if (!slots[slot].accepted) exit(1);
    slots[slot].accepted = 0;
    return 1;
}

int main(void) {
    int32_t count = 0;
    for (int32_t slot = 0; slot < WORKERS; slot++) expect("c10m accept", spawn(slot, slot), slot);
    for (int32_t n = 0, slot = 0; n < CONNECTIONS; n++) {
        count += finish(slot);
        int32_t arg = n + WORKERS;
        if (spawn(slot, arg) != arg) expect("c10m accept", slots[slot].arg, arg);
        if (++slot == WORKERS) slot = 0;
    }
    for (int32_t slot = 0; slot < WORKERS; slot++) count += finish(slot);
    expect("c10m count", count, 10010000);
    return 0;
}
