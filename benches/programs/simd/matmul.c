// Single-precision matrix multiply, C = A x B for N x N matrices (N from argv[1], 256 by
// default), written as plain loops that clang vectorises with -msimd128. Every element is a
// multiple of 1/4 and every sum stays below 2^14, so each product and partial sum is exact:
// the result does not depend on the order of the additions, with or without SIMD.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 256;
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    if (n <= 0 || n > 2048 || rounds <= 0) {
        fprintf(stderr, "usage: matmul [N (1-2048)] [ROUNDS]\n");
        return 2;
    }
    float *a = malloc(sizeof(float) * n * n);
    float *b = malloc(sizeof(float) * n * n);
    float *c = malloc(sizeof(float) * n * n);
    if (!a || !b || !c) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            a[i * n + j] = (float)((i * 7 + j * 3) % 9 - 4) / 4.0f;
            b[i * n + j] = (float)((i * 5 + j * 11) % 7 - 3) / 4.0f;
        }
    }
    double checksum = 0;
    for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < n * n; i++) c[i] = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                float aik = a[i * n + k];
                for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
            }
        }
        for (int i = 0; i < n * n; i++) checksum += c[i] * (double)((i % 13) + 1);
        a[round % (n * n)] += 0.25f;
    }
    printf("matmul %d x %d, %d rounds: checksum %.4f, c[0] %.4f, c[last] %.4f\n", n, n, rounds,
           checksum, c[0], c[n * n - 1]);
    free(a);
    free(b);
    free(c);
    return 0;
}
