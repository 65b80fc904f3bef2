// A 3x3 box blur applied repeatedly to a W x H 8-bit greyscale image (argv: W H PASSES,
// 512 512 4 by default), then a checksum of the result. Built with -msimd128 the inner loop
// uses wasm_simd128.h intrinsics (widening, lane arithmetic, narrowing); without it, plain C
// computes the same pixels: each output is (sum of the 9 neighbours) * 7282 >> 16, which
// equals sum / 9 rounded down for every possible sum (0..2295).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

static uint8_t scalar_pixel(const uint8_t *up, const uint8_t *mid, const uint8_t *down, int x) {
    unsigned sum = up[x - 1] + up[x] + up[x + 1] + mid[x - 1] + mid[x] + mid[x + 1] +
                   down[x - 1] + down[x] + down[x + 1];
    return (uint8_t)((sum * 7282u) >> 16);
}

#ifdef __wasm_simd128__
// Horizontal sums of three neighbours of 8 pixels starting at x, as u16 lanes.
static v128_t row_sums(const uint8_t *row, int x) {
    v128_t left = wasm_u16x8_load8x8(row + x - 1);
    v128_t centre = wasm_u16x8_load8x8(row + x);
    v128_t right = wasm_u16x8_load8x8(row + x + 1);
    return wasm_i16x8_add(wasm_i16x8_add(left, centre), right);
}
#endif

static void blur_row(const uint8_t *up, const uint8_t *mid, const uint8_t *down, uint8_t *out,
                     int w) {
    int x = 1;
#ifdef __wasm_simd128__
    const v128_t scale = wasm_i32x4_splat(7282);
    for (; x + 16 <= w - 1; x += 16) {
        v128_t lo = wasm_i16x8_add(wasm_i16x8_add(row_sums(up, x), row_sums(mid, x)),
                                   row_sums(down, x));
        v128_t hi = wasm_i16x8_add(wasm_i16x8_add(row_sums(up, x + 8), row_sums(mid, x + 8)),
                                   row_sums(down, x + 8));
        // sum * 7282 >> 16 in 32-bit lanes, then narrowed back to bytes.
        v128_t q0 = wasm_u32x4_shr(wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), scale), 16);
        v128_t q1 = wasm_u32x4_shr(wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), scale), 16);
        v128_t q2 = wasm_u32x4_shr(wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(hi), scale), 16);
        v128_t q3 = wasm_u32x4_shr(wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(hi), scale), 16);
        v128_t words_lo = wasm_u16x8_narrow_i32x4(q0, q1);
        v128_t words_hi = wasm_u16x8_narrow_i32x4(q2, q3);
        wasm_v128_store(out + x, wasm_u8x16_narrow_i16x8(words_lo, words_hi));
    }
#endif
    for (; x < w - 1; x++) out[x] = scalar_pixel(up, mid, down, x);
}

int main(int argc, char **argv) {
    int w = argc > 1 ? atoi(argv[1]) : 512;
    int h = argc > 2 ? atoi(argv[2]) : 512;
    int passes = argc > 3 ? atoi(argv[3]) : 4;
    if (w < 3 || h < 3 || w > 16384 || h > 16384 || passes < 0) {
        fprintf(stderr, "usage: blur [W H (3-16384)] [PASSES]\n");
        return 2;
    }
    uint8_t *image = malloc((size_t)w * h);
    uint8_t *next = malloc((size_t)w * h);
    if (!image || !next) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint32_t seed = 12345;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        seed = seed * 1103515245u + 12345u;
        image[i] = (uint8_t)(seed >> 23);
    }
    for (int pass = 0; pass < passes; pass++) {
        for (size_t i = 0; i < (size_t)w * h; i++) next[i] = image[i];
        for (int y = 1; y < h - 1; y++) {
            const uint8_t *up = image + (size_t)(y - 1) * w;
            blur_row(up, up + w, up + 2 * w, next + (size_t)y * w, w);
        }
        uint8_t *t = image;
        image = next;
        next = t;
    }
    uint64_t hash = 1469598103934665603ull;
    for (size_t i = 0; i < (size_t)w * h; i++) hash = (hash ^ image[i]) * 1099511628211ull;
    printf("blur %d x %d, %d passes: fnv1a %016llx, centre %u\n", w, h, passes,
           (unsigned long long)hash, image[(size_t)(h / 2) * w + w / 2]);
    free(image);
    free(next);
    return 0;
}
