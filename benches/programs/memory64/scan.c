// A memory-bound kernel built both for wasm32 and for wasm64 (freestanding, no libc): a
// 32 MiB array of 32-bit words is filled, then ROUNDS times each word is updated from its
// predecessor (a dependent prefix scan, one load and one store per word), and the last word
// is summed. Exported as `run(rounds) -> u64`; `wasmfx run --invoke run FILE ROUNDS`.
#include <stddef.h>
#include <stdint.h>

#define WORDS (8u << 20)

static uint32_t data[WORDS];

__attribute__((export_name("run"))) uint64_t run(uint32_t rounds) {
    for (size_t i = 0; i < WORDS; i++) data[i] = (uint32_t)(i * 2654435761u);
    uint64_t sum = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        for (size_t i = 1; i < WORDS; i++) data[i] += data[i - 1] ^ r;
        sum += data[WORDS - 1];
    }
    return sum;
}
