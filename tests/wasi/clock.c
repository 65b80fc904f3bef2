/* Checks clocks, sleeping (poll_oneoff) and random bytes.
 * Prints "clock ok" and returns 0 on success. */
/* clock_gettime, nanosleep, getentropy and arc4random_buf are POSIX/BSD
 * extensions: ask for them so this also builds with -std=c99. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(const struct timespec *t) {
    return (int64_t)t->tv_sec * 1000000000 + (int64_t)t->tv_nsec;
}

int main(void) {
    struct timespec m0, m1, real, req;
    unsigned char a[16], b[16];
    int64_t elapsed;
    size_t i;
    int nonzero = 0;

    if (clock_gettime(CLOCK_MONOTONIC, &m0) != 0) {
        printf("FAILED: clock_gettime(CLOCK_MONOTONIC): %s\n", strerror(errno));
        return 1;
    }
    if (clock_gettime(CLOCK_REALTIME, &real) != 0) {
        printf("FAILED: clock_gettime(CLOCK_REALTIME): %s\n", strerror(errno));
        return 1;
    }
    /* After 2020-01-01 and before 2200. */
    if (real.tv_sec < 1577836800 || real.tv_sec > 7258118400LL) {
        printf("FAILED: realtime clock says %lld s since the epoch\n",
               (long long)real.tv_sec);
        return 1;
    }

    req.tv_sec = 0;
    req.tv_nsec = 10 * 1000 * 1000;
    if (nanosleep(&req, NULL) != 0) {
        printf("FAILED: nanosleep: %s\n", strerror(errno));
        return 1;
    }
    if (clock_gettime(CLOCK_MONOTONIC, &m1) != 0) {
        printf("FAILED: clock_gettime(CLOCK_MONOTONIC) again: %s\n",
               strerror(errno));
        return 1;
    }
    elapsed = ns(&m1) - ns(&m0);
    if (elapsed < 10 * 1000 * 1000) {
        printf("FAILED: monotonic clock advanced only %lld ns over a 10 ms sleep\n",
               (long long)elapsed);
        return 1;
    }

    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    if (getentropy(a, sizeof a) != 0) {
        printf("FAILED: getentropy: %s\n", strerror(errno));
        return 1;
    }
    arc4random_buf(b, sizeof b);
    for (i = 0; i < sizeof a; i++)
        nonzero |= a[i] | b[i];
    if (!nonzero || memcmp(a, b, sizeof a) == 0) {
        printf("FAILED: random bytes look wrong\n");
        return 1;
    }

    printf("clock ok\n");
    return 0;
}
