/* What every C benchmark program shares: checking its own result. */
#ifndef BENCH_H
#define BENCH_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Exits with status 1 (proc_exit(1)) when `got` is not `expected`. */
static inline void expect(const char *what, int64_t got, int64_t expected) {
    if (got != expected) {
        fprintf(stderr, "%s: expected %" PRId64 ", got %" PRId64 "\n", what, expected, got);
        exit(1);
    }
}

#endif
