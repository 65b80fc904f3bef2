/* Exits with status 3 via exit(). */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("exiting with 3\n");
    exit(3);
}
