/* sieve, bespoke: the prime sieve of sieve.wat without coroutines. Each
 * candidate is tested against the primes found so far, in order, until one
 * divides it; one no prime divides is the next prime. Exits 0 when the
 * 8,100th prime is 82,891. */
#include "bench.h"

#define PRIMES 8100

static uint32_t primes[PRIMES];

int main(void) {
    uint32_t found = 0, candidate = 2, last = 0;
    while (found < PRIMES) {
        uint32_t i = 0;
        while (i < found && candidate % primes[i] != 0) i++;
        if (i == found) primes[found++] = last = candidate;
        candidate++;
    }
    expect("sieve last prime", last, 82891);
    return 0;
}
