/*
 * malloc_counter: an LD_PRELOAD library that counts heap allocations made on
 * Cicada's worker threads (threads whose name starts with "cc-worker").
 *
 * Build:  cc -shared -fPIC -O2 -o malloc_counter.so malloc_counter.c -ldl
 * Use:    LD_PRELOAD=./malloc_counter.so cicada run ...
 *
 * At exit it prints one line to stderr, or appends it to the file named by the
 * environment variable MALLOC_COUNTER_OUT:
 *
 *   malloc_counter: worker_mallocs=N worker_frees=N all_mallocs=N
 *
 * worker_mallocs counts malloc, calloc, realloc, posix_memalign, aligned_alloc,
 * memalign, valloc and pvalloc calls made on worker threads. Start-up and
 * tear-down allocations are counted too, so the number that matters is the
 * difference between two runs of different lengths divided by the difference in
 * requests (bench/run --case malloc does that): the steady-state allocations
 * per request, which must be 0.
 *
 * Two traps this file avoids:
 * - dlsym() itself may call calloc() before the real one is known. Calls made
 *   while resolving are served from a static bump buffer; free() ignores
 *   pointers into that buffer.
 * - A thread is created with its parent's name and renamed afterwards, so a
 *   negative answer is not cached for good: it is checked again after any
 *   pthread_setname_np() in the process, and every RECHECK_EVERY calls (a
 *   thread may also be renamed through prctl or /proc/self/task/TID/comm).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define WORKER_PREFIX "cc-worker"
#define RECHECK_EVERY 1024

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*aligned_alloc_fn)(size_t, size_t);
typedef void *(*valloc_fn)(size_t);
typedef int (*setname_fn)(pthread_t, const char *);

static malloc_fn real_malloc;
static calloc_fn real_calloc;
static realloc_fn real_realloc;
static free_fn real_free;
static posix_memalign_fn real_posix_memalign;
static aligned_alloc_fn real_aligned_alloc;
static aligned_alloc_fn real_memalign;
static valloc_fn real_valloc;
static valloc_fn real_pvalloc;
static setname_fn real_setname;

static unsigned long worker_mallocs;
static unsigned long worker_frees;
static unsigned long all_mallocs;
/* Bumped by every pthread_setname_np() so that threads look at their name again. */
static unsigned long name_generation = 1;

/* 0 = not checked yet for this generation, 1 = worker, 2 = not a worker. */
static __thread int thread_kind __attribute__((tls_model("initial-exec")));
static __thread unsigned long thread_generation __attribute__((tls_model("initial-exec")));
static __thread unsigned thread_calls __attribute__((tls_model("initial-exec")));

/* The bootstrap buffer for allocations made while dlsym() runs. */
static _Alignas(16) unsigned char boot_buf[64 * 1024];
static size_t boot_used;
static int resolving;

static int in_boot_buf(const void *p) {
    return (const unsigned char *)p >= boot_buf && (const unsigned char *)p < boot_buf + sizeof boot_buf;
}

/* Each bootstrap block is preceded by its size, so that realloc can copy it. */
static void *boot_alloc(size_t size) {
    size_t need = (size + 16 + 15) & ~(size_t)15;
    if (boot_used + need > sizeof boot_buf) return NULL;
    unsigned char *p = boot_buf + boot_used;
    boot_used += need;
    *(size_t *)p = size;
    memset(p + 16, 0, size);
    return p + 16;
}

static size_t boot_size(const void *p) {
    return *(const size_t *)((const unsigned char *)p - 16);
}

static void resolve(void) {
    if (real_malloc || resolving) return;
    resolving = 1;
    real_calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    real_realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    real_free = (free_fn)dlsym(RTLD_NEXT, "free");
    real_posix_memalign = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (aligned_alloc_fn)dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (aligned_alloc_fn)dlsym(RTLD_NEXT, "memalign");
    real_valloc = (valloc_fn)dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (valloc_fn)dlsym(RTLD_NEXT, "pvalloc");
    real_setname = (setname_fn)dlsym(RTLD_NEXT, "pthread_setname_np");
    /* Set last: it is the "resolved" flag. */
    real_malloc = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
    resolving = 0;
}

static int on_worker_thread(void) {
    unsigned long gen = __atomic_load_n(&name_generation, __ATOMIC_RELAXED);
    if (thread_kind == 1) return 1;
    if (thread_kind == 0 || thread_generation != gen || ++thread_calls % RECHECK_EVERY == 0) {
        char name[17] = {0};
        /* PR_GET_NAME is a plain syscall: it does not allocate. */
        if (prctl(PR_GET_NAME, (unsigned long)name, 0, 0, 0) == 0 &&
            strncmp(name, WORKER_PREFIX, sizeof WORKER_PREFIX - 1) == 0)
            thread_kind = 1;
        else
            thread_kind = 2;
        thread_generation = gen;
    }
    return thread_kind == 1;
}

static void count_alloc(void) {
    __atomic_fetch_add(&all_mallocs, 1, __ATOMIC_RELAXED);
    if (on_worker_thread()) __atomic_fetch_add(&worker_mallocs, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t size) {
    if (!real_malloc) {
        resolve();
        if (!real_malloc) return boot_alloc(size);
    }
    count_alloc();
    return real_malloc(size);
}

void *calloc(size_t n, size_t size) {
    if (!real_malloc) {
        resolve();
        if (!real_malloc) {
            if (size && n > SIZE_MAX / size) return NULL;
            return boot_alloc(n * size);
        }
    }
    count_alloc();
    return real_calloc(n, size);
}

void *realloc(void *p, size_t size) {
    if (!real_malloc) resolve();
    if (in_boot_buf(p) || !real_malloc) {
        void *q = real_malloc ? malloc(size) : boot_alloc(size);
        if (q && p) {
            size_t old = boot_size(p);
            memcpy(q, p, old < size ? old : size);
        }
        return q;
    }
    count_alloc();
    return real_realloc(p, size);
}

void free(void *p) {
    if (!p || in_boot_buf(p)) return;
    if (!real_malloc) resolve();
    if (on_worker_thread()) __atomic_fetch_add(&worker_frees, 1, __ATOMIC_RELAXED);
    real_free(p);
}

int posix_memalign(void **out, size_t align, size_t size) {
    if (!real_malloc) resolve();
    count_alloc();
    return real_posix_memalign(out, align, size);
}

void *aligned_alloc(size_t align, size_t size) {
    if (!real_malloc) resolve();
    count_alloc();
    return real_aligned_alloc(align, size);
}

void *memalign(size_t align, size_t size) {
    if (!real_malloc) resolve();
    count_alloc();
    return real_memalign(align, size);
}

void *valloc(size_t size) {
    if (!real_malloc) resolve();
    count_alloc();
    return real_valloc(size);
}

void *pvalloc(size_t size) {
    if (!real_malloc) resolve();
    count_alloc();
    return real_pvalloc(size);
}

int pthread_setname_np(pthread_t thread, const char *name) {
    if (!real_malloc) resolve();
    int rc = real_setname(thread, name);
    __atomic_fetch_add(&name_generation, 1, __ATOMIC_RELAXED);
    return rc;
}

/* Resolves the real functions while the process still has one thread: resolve() itself is not
 * thread-safe, and a program's first allocation could otherwise race between two threads. */
__attribute__((constructor)) static void resolve_early(void) {
    resolve();
}

__attribute__((destructor)) static void report(void) {
    char line[160];
    int n = snprintf(line, sizeof line, "malloc_counter: worker_mallocs=%lu worker_frees=%lu all_mallocs=%lu\n",
                     __atomic_load_n(&worker_mallocs, __ATOMIC_RELAXED),
                     __atomic_load_n(&worker_frees, __ATOMIC_RELAXED),
                     __atomic_load_n(&all_mallocs, __ATOMIC_RELAXED));
    if (n <= 0) return;
    const char *path = getenv("MALLOC_COUNTER_OUT");
    int fd = 2;
    if (path && *path) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) fd = 2;
    }
    ssize_t unused = write(fd, line, (size_t)n);
    (void)unused;
    if (fd != 2) close(fd);
}
