/* Prints a greeting, its arguments and the GREETING env var. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int i;
    const char *greeting;

    printf("Hello, world!\n");
    for (i = 1; i < argc; i++)
        printf("arg: %s\n", argv[i]);
    greeting = getenv("GREETING");
    if (greeting != NULL)
        printf("GREETING=%s\n", greeting);
    return 0;
}
