/* state, bespoke: counting to 10,000,000 with `get` and `put` as plain calls
 * on a variable (the state effects of state.wat without a handler). Exits 0
 * when the final state is 10,000,000. */
#include "bench.h"

#define LIMIT 10000000

static volatile int32_t state;

__attribute__((noinline)) static int32_t get(void) { return state; }
__attribute__((noinline)) static void put(int32_t value) { state = value; }

int main(void) {
    while (get() < LIMIT) put(get() + 1);
    expect("state", state, LIMIT);
    return 0;
}
