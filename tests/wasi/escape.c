/* Tries to open paths outside the preopened /sandbox; all must be refused.
 * Returns 0 if every attempt was refused, 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int report_file(const char *path, FILE *f) {
    if (f != NULL) {
        printf("OPENED: %s\n", path);
        fclose(f);
        return 1;
    }
    printf("refused: %s: %s\n", path, strerror(errno));
    return 0;
}

static int report_fd(const char *path, int fd) {
    if (fd >= 0) {
        printf("OPENED: %s\n", path);
        close(fd);
        return 1;
    }
    printf("refused: %s: %s\n", path, strerror(errno));
    return 0;
}

int main(void) {
    int opened = 0;

    errno = 0;
    opened += report_file("/sandbox/../outside",
                          fopen("/sandbox/../outside", "r"));
    errno = 0;
    opened += report_fd("/etc/passwd", open("/etc/passwd", O_RDONLY));
    errno = 0;
    opened += report_file("../outside", fopen("../outside", "r"));
    return opened == 0 ? 0 : 1;
}
