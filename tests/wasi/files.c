/* Exercises file operations inside the preopened directory /sandbox.
 * Prints "files ok" and returns 0 on success, or prints what failed and
 * returns 1. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUT "/sandbox/out.txt"
#define SUB "/sandbox/sub"
#define MOVED "/sandbox/sub/moved.txt"

static int fail(const char *what) {
    printf("FAILED: %s: %s\n", what, strerror(errno));
    return 1;
}

static int fail_msg(const char *what) {
    printf("FAILED: %s\n", what);
    return 1;
}

/* Reads the whole file at path into buf (NUL-terminated); returns length or -1. */
static long read_all(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    size_t n;
    if (f == NULL)
        return -1;
    n = fread(buf, 1, cap - 1, f);
    if (ferror(f)) {
        fclose(f);
        return -1;
    }
    buf[n] = '\0';
    fclose(f);
    return (long)n;
}

int main(void) {
    const char *lines = "line one\nline two\nline three\n";
    const char *expected = "line one\nline two\nline three\nline four\n";
    char buf[256];
    long n, pos;
    FILE *f;
    struct stat st;

    /* Write. */
    f = fopen(OUT, "w");
    if (f == NULL)
        return fail("fopen " OUT " for writing");
    if (fputs(lines, f) == EOF)
        return fail("fputs");
    if (fclose(f) != 0)
        return fail("fclose after write");

    /* Read back and check. */
    n = read_all(OUT, buf, sizeof buf);
    if (n < 0)
        return fail("read back " OUT);
    if (strcmp(buf, lines) != 0)
        return fail_msg("content read back differs from what was written");

    /* Append. */
    f = fopen(OUT, "a");
    if (f == NULL)
        return fail("fopen " OUT " for appending");
    if (fputs("line four\n", f) == EOF)
        return fail("fputs append");
    if (fclose(f) != 0)
        return fail("fclose after append");
    n = read_all(OUT, buf, sizeof buf);
    if (n < 0)
        return fail("read back after append");
    if (strcmp(buf, expected) != 0)
        return fail_msg("content after append differs");

    /* fseek / ftell. */
    f = fopen(OUT, "r");
    if (f == NULL)
        return fail("fopen for seeking");
    if (fseek(f, 0, SEEK_END) != 0)
        return fail("fseek SEEK_END");
    pos = ftell(f);
    if (pos != (long)strlen(expected)) {
        printf("FAILED: ftell at end gave %ld, expected %ld\n", pos,
               (long)strlen(expected));
        return 1;
    }
    if (fseek(f, 9, SEEK_SET) != 0) /* start of "line two" */
        return fail("fseek SEEK_SET");
    if (ftell(f) != 9)
        return fail_msg("ftell after SEEK_SET is not 9");
    if (fgets(buf, sizeof buf, f) == NULL)
        return fail("fgets after seek");
    if (strcmp(buf, "line two\n") != 0) {
        printf("FAILED: line after seek is \"%s\"\n", buf);
        return 1;
    }
    if (fseek(f, -10, SEEK_END) != 0) /* start of "line four" */
        return fail("fseek SEEK_END -10");
    if (fgets(buf, sizeof buf, f) == NULL)
        return fail("fgets after SEEK_END");
    if (strcmp(buf, "line four\n") != 0) {
        printf("FAILED: last line is \"%s\"\n", buf);
        return 1;
    }
    fclose(f);

    /* Stat the file. */
    if (stat(OUT, &st) != 0)
        return fail("stat " OUT);
    if (!S_ISREG(st.st_mode))
        return fail_msg(OUT " is not a regular file");
    if ((long)st.st_size != (long)strlen(expected)) {
        printf("FAILED: size of " OUT " is %ld\n", (long)st.st_size);
        return 1;
    }

    /* Subdirectory and rename into it. */
    if (mkdir(SUB, 0755) != 0)
        return fail("mkdir " SUB);
    if (stat(SUB, &st) != 0)
        return fail("stat " SUB);
    if (!S_ISDIR(st.st_mode))
        return fail_msg(SUB " is not a directory");
    if (rename(OUT, MOVED) != 0)
        return fail("rename " OUT " -> " MOVED);
    if (access(OUT, F_OK) == 0)
        return fail_msg(OUT " still exists after rename");
    if (stat(MOVED, &st) != 0)
        return fail("stat " MOVED);
    if (!S_ISREG(st.st_mode) || (long)st.st_size != (long)strlen(expected))
        return fail_msg(MOVED " has the wrong type or size");
    n = read_all(MOVED, buf, sizeof buf);
    if (n < 0 || strcmp(buf, expected) != 0)
        return fail_msg("content of " MOVED " differs");

    /* rmdir of a non-empty directory must fail. */
    if (rmdir(SUB) == 0)
        return fail_msg("rmdir of non-empty " SUB " succeeded");

    /* Clean up. */
    if (unlink(MOVED) != 0)
        return fail("unlink " MOVED);
    if (stat(MOVED, &st) == 0)
        return fail_msg(MOVED " still exists after unlink");
    if (errno != ENOENT)
        return fail("stat after unlink did not give ENOENT");
    if (rmdir(SUB) != 0)
        return fail("rmdir " SUB);
    if (access(SUB, F_OK) == 0)
        return fail_msg(SUB " still exists after rmdir");

    printf("files ok\n");
    return 0;
}
