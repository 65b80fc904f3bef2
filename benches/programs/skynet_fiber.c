/* skynet on the fiber interface (fiber.h): a tree 6 levels deep with 10
 * children per node, every node below the root a fiber (1,111,110). A leaf
 * yields its number; a parent runs its children one after the other, adds up
 * what they yield and yields the sum; each child is resumed once more to
 * return. Exits 0 when the sum is 499,999,500,000. */
#include "bench.h"
#include "fiber.h"

static int64_t run_child(int64_t num, int64_t depth);

/* A node; its argument is its number times 8 plus the levels below it. */
static int64_t node(int64_t arg) {
    int64_t num = arg >> 3, depth = arg & 7;
    if (depth == 0) {
        fiber_yield(num);
        return 0;
    }
    int64_t sum = 0;
    for (int64_t i = 0; i < 10; i++) sum += run_child(num * 10 + i, depth - 1);
    fiber_yield(sum);
    return 0;
}

/* Runs node `num` with `depth` levels below it as a new fiber: what it yields. */
static int64_t run_child(int64_t num, int64_t depth) {
    fiber_t fiber = fiber_alloc(node);
    int64_t value = fiber_resume(fiber, num << 3 | depth);
    fiber_resume(fiber, 0);
    if (!fiber_finished(fiber)) expect("skynet node returns", 0, 1);
    fiber_free(fiber);
    return value;
}

int main(void) {
    int64_t sum = 0;
    for (int64_t i = 0; i < 10; i++) sum += run_child(i, 5);
    expect("skynet sum", sum, 499999500000);
    return 0;
}
