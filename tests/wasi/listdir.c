/* Lists the entries of /sandbox (without . and ..), sorted, one per line. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t count = 0, cap = 0, i;

    d = opendir("/sandbox");
    if (d == NULL) {
        printf("FAILED: opendir /sandbox: %s\n", strerror(errno));
        return 1;
    }
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            names = realloc(names, cap * sizeof *names);
            if (names == NULL) {
                printf("FAILED: out of memory\n");
                return 1;
            }
        }
        names[count] = strdup(e->d_name);
        if (names[count] == NULL) {
            printf("FAILED: out of memory\n");
            return 1;
        }
        count++;
        errno = 0;
    }
    if (errno != 0) {
        printf("FAILED: readdir: %s\n", strerror(errno));
        return 1;
    }
    closedir(d);

    qsort(names, count, sizeof *names, cmp);
    for (i = 0; i < count; i++) {
        printf("%s\n", names[i]);
        free(names[i]);
    }
    free(names);
    return 0;
}
