/* sieve on the fiber interface (fiber.h): a filter fiber per prime found;
 * each candidate is sent through the filters in order until one divides it;
 * a candidate no filter divides is prime and gets a new filter. Exits 0 when
 * the 8,100th prime is 82,891. */
#include "bench.h"
#include "fiber.h"

#define PRIMES 8100

static fiber_t filters[PRIMES];

/* A filter for `prime`: answers each candidate with whether the prime divides it. */
static int64_t filter(int64_t prime) {
    int64_t candidate = fiber_yield(0);
    for (;;) candidate = fiber_yield(candidate % prime == 0);
}

int main(void) {
    int32_t found = 0;
    int64_t candidate = 2, last = 0;
    while (found < PRIMES) {
        int32_t i = 0;
        while (i < found && !fiber_resume(filters[i], candidate)) i++;
        if (i == found) {
            fiber_t fiber = fiber_alloc(filter);
            fiber_resume(fiber, candidate);
            filters[found++] = fiber;
            last = candidate;
        }
        candidate++;
    }
    expect("sieve last prime", last, 82891);
    return 0;
}
