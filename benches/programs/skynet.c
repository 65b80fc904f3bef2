/* skynet, bespoke: the tree of skynet.wat as plain recursion: 6 levels with
 * 10 children per node, leaves numbered 0 to 999,999, each node the sum of its
 * children. Exits 0 when the sum is 499,999,500,000. */
#include "bench.h"

/* The sum of node `num` with `depth` levels below it. */
__attribute__((noinline)) static int64_t node(int64_t num, int depth) {
    if (depth == 0) return num;
    int64_t sum = 0;
    for (int64_t i = 0; i < 10; i++) sum += node(num * 10 + i, depth - 1);
    return sum;
}

int main(void) {
    int64_t sum = 0;
    for (int64_t i = 0; i < 10; i++) sum += node(i, 5);
    expect("skynet sum", sum, 499999500000);
    return 0;
}
