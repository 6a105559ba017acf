/*
 * Checks malloc_counter.so: a thread that renames itself "cc-worker-9" makes
 * exactly 2000 allocations after the rename; allocations before the rename, on
 * the main thread and on a thread named otherwise must not be counted.
 * Run by bench/malloc_counter/test.sh, which expects worker_mallocs=2000.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>

/* Per thread: a shared one would let two threads free each other's block, a double free. */
static __thread void *volatile sink;

static void churn(int n) {
    for (int i = 0; i < n; i++) {
        sink = malloc(32);
        free(sink);
    }
}

static void *worker(void *arg) {
    (void)arg;
    churn(10); /* Still named like the main thread: not counted. */
    pthread_setname_np(pthread_self(), "cc-worker-9");
    churn(1000);
    for (int i = 0; i < 500; i++) {
        sink = calloc(4, 8);
        sink = realloc(sink, 64);
        free(sink);
    }
    return NULL;
}

static void *bystander(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "cc-io");
    churn(1000);
    return NULL;
}

int main(void) {
    pthread_t a, b;
    churn(100);
    pthread_create(&a, NULL, worker, NULL);
    pthread_create(&b, NULL, bystander, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    churn(100);
    return 0;
}
