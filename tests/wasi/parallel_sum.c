/* A parallel sum on wasi-threads, built by Zig's clang for wasm32-wasi with shared memory:
 * worker threads take chunks of 1..N from a shared counter under a mutex, add their partial
 * sums into a shared total, and signal a condition variable as each finishes; the main thread
 * waits on it until all are done, then prints the total.
 *
 * Zig's wasi-libc is its single-threaded build (no pthread_create), so the program carries
 * its own small thread layer: `wasi::thread-spawn` to start a thread, the exported
 * `wasi_thread_start` that gives the thread its own stack, and a mutex and a condition
 * variable made of atomics and `memory.atomic.wait32`/`notify`. Workers call no libc
 * function. Arguments: threads (1 to 64), N. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { CHUNK = 1000, STACK_SIZE = 64 * 1024, MAX_THREADS = 64 };

/* ---- The thread layer ---- */

__attribute__((import_module("wasi"), import_name("thread-spawn"))) int32_t
thread_spawn(void *start_arg);

struct thread {
    void *stack_top;
    void (*run)(void);
    int done;
};

static void finish_thread(struct thread *t);

/* Runs on the new thread with the instance's initial stack pointer, which is the main
 * thread's: it switches to the thread's own stack before anything else touches the stack. */
__attribute__((export_name("wasi_thread_start"))) void wasi_thread_start(int32_t tid,
                                                                         struct thread *t) {
    (void)tid;
    void *top = t->stack_top;
    __asm__ volatile(".globaltype __stack_pointer, i32\n\t"
                     "local.get %0\n\t"
                     "global.set __stack_pointer" ::"r"(top));
    finish_thread(t);
}

__attribute__((noinline)) static void finish_thread(struct thread *t) {
    t->run();
    __atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_notify(&t->done, 1);
}

static int start_thread(struct thread *t, void (*run)(void)) {
    char *stack = malloc(STACK_SIZE);
    if (!stack)
        return -1;
    t->stack_top = stack + STACK_SIZE;
    t->run = run;
    t->done = 0;
    return thread_spawn(t) > 0 ? 0 : -1;
}

static void join_thread(struct thread *t) {
    while (!__atomic_load_n(&t->done, __ATOMIC_SEQ_CST))
        __builtin_wasm_memory_atomic_wait32(&t->done, 0, -1);
}

/* A mutex: 0 free, 1 held, 2 held with waiters. */
typedef struct { int state; } mutex;

static void mutex_lock(mutex *m) {
    int expected = 0;
    if (__atomic_compare_exchange_n(&m->state, &expected, 1, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED))
        return;
    while (__atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE) != 0)
        __builtin_wasm_memory_atomic_wait32(&m->state, 2, -1);
}

static void mutex_unlock(mutex *m) {
    if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2)
        __builtin_wasm_memory_atomic_notify(&m->state, 1);
}

/* A condition variable: a sequence number bumped by every signal. */
typedef struct { int seq; } condvar;

static void cond_wait(condvar *c, mutex *m) {
    int seq = __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST);
    mutex_unlock(m);
    __builtin_wasm_memory_atomic_wait32(&c->seq, seq, -1);
    mutex_lock(m);
}

static void cond_signal(condvar *c) {
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_notify(&c->seq, 1);
}

/* ---- The program ---- */

static mutex lock;
static condvar finished;
static unsigned long long next_start = 1, limit, total;
static int running, chunks_taken;

static void worker(void) {
    for (;;) {
        mutex_lock(&lock);
        unsigned long long start = next_start;
        next_start += CHUNK;
        if (start <= limit)
            chunks_taken++;
        mutex_unlock(&lock);
        if (start > limit)
            break;
        unsigned long long end = start + CHUNK - 1, sum = 0;
        if (end > limit)
            end = limit;
        for (unsigned long long i = start; i <= end; i++)
            sum += i;
        mutex_lock(&lock);
        total += sum;
        mutex_unlock(&lock);
    }
    mutex_lock(&lock);
    running--;
    cond_signal(&finished);
    mutex_unlock(&lock);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    limit = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    if (threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "threads must be 1 to %d\n", MAX_THREADS);
        return 2;
    }
    static struct thread workers[MAX_THREADS];
    running = threads;
    for (int i = 0; i < threads; i++) {
        if (start_thread(&workers[i], worker) != 0) {
            fprintf(stderr, "cannot start a thread\n");
            return 1;
        }
    }
    mutex_lock(&lock);
    while (running > 0)
        cond_wait(&finished, &lock);
    mutex_unlock(&lock);
    for (int i = 0; i < threads; i++)
        join_thread(&workers[i]);
    printf("threads %d, sum of 1..%llu = %llu in %d chunks\n", threads, limit, total,
           chunks_taken);
    return 0;
}
