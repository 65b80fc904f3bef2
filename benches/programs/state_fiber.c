/* state on the fiber interface (fiber.h): a counter fiber runs
 * `while get() < limit: put(get() + 1)`, where `get` and `put` yield to the
 * main program, which holds the state (about 30 million yields). Exits 0 when
 * the final state is 10,000,000. */
#include "bench.h"
#include "fiber.h"

#define LIMIT 10000000
/* What `get` yields; `put` yields the new state (never negative). */
#define GET (-1)

static int64_t get(void) { return fiber_yield(GET); }
static void put(int64_t value) { fiber_yield(value); }

static int64_t counter(int64_t limit) {
    while (get() < limit) put(get() + 1);
    return 0;
}

int main(void) {
    int64_t state = 0;
    fiber_t fiber = fiber_alloc(counter);
    int64_t request = fiber_resume(fiber, LIMIT);
    while (!fiber_finished(fiber)) {
        if (request == GET) {
            request = fiber_resume(fiber, state);
        } else {
            state = request;
            request = fiber_resume(fiber, 0);
        }
    }
    expect("state", state, LIMIT);
    return 0;
}
