/* Copies stdin to stdout unchanged, then reports the byte count on stderr. */
#include <stdio.h>

int main(void) {
    char buf[4096];
    size_t n;
    unsigned long total = 0;

    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        if (fwrite(buf, 1, n, stdout) != n) {
            fprintf(stderr, "write error\n");
            return 1;
        }
        total += n;
    }
    if (ferror(stdin)) {
        fprintf(stderr, "read error\n");
        return 1;
    }
    fflush(stdout);
    fprintf(stderr, "read %lu bytes\n", total);
    return 0;
}
