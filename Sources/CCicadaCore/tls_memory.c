/* OpenSSL's allocations, served per thread. OpenSSL 3.0 allocates small blocks on every record it
 * encrypts or decrypts (CRYPTO_zalloc(40), twice in SSL_write and twice in SSL_read, seen with gdb), so
 * a kept-alive HTTPS request cost four malloc calls on the worker. Handing OpenSSL per-thread free
 * lists for small sizes makes its steady state allocation-free too: a block freed on a thread goes back
 * to that thread's list, with no lock, and the lists do not shrink while the thread lives (they hold
 * the peak of what OpenSSL had outstanding at once). When the thread exits, its lists are freed, so a
 * process that runs engine after engine (a web UI starting runs again and again) does not keep every
 * dead worker's blocks. Larger blocks (record buffers, certificates) go to malloc as before. */
#include "internal.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CC__POOL_CLASSES 5                      /* 32, 64, 128, 256, 512 bytes */
#define CC__POOL_LARGE 0xFFu
#define CC__POOL_MAGIC 0xC1CAu

/* 16 bytes before every block, so that the payload stays 16-byte aligned like malloc's. */
typedef struct cc__block_header_s {
    uint16_t magic;
    uint8_t size_class;
    uint8_t unused_[5];
    uint64_t size; /* what was asked for: realloc copies this much */
} cc__block_header_t;

typedef struct cc__free_block_s {
    struct cc__free_block_s *next;
} cc__free_block_t;

static __thread cc__free_block_t *cc__free_lists[CC__POOL_CLASSES];
/* 0: the thread's lists are not registered for release yet; 1: registered; 2: the thread is exiting
 * and its lists were released, so blocks freed from now on go straight back to free(). */
static __thread uint8_t cc__thread_phase;
static pthread_key_t cc__exit_key;
/* Pooled blocks that exist (in use by OpenSSL or waiting in a list): changed only when a block is made
 * or truly freed, never on the steady-state path. */
static _Atomic size_t cc__pooled_blocks;

size_t cc_tls_pooled_blocks(void) { return atomic_load_explicit(&cc__pooled_blocks, memory_order_relaxed); }

static void cc__release_lists(void *unused) {
    (void)unused;
    cc__thread_phase = 2;
    size_t released = 0;
    for (unsigned c = 0; c < CC__POOL_CLASSES; c++) {
        while (cc__free_lists[c] != NULL) {
            cc__free_block_t *block = cc__free_lists[c];
            cc__free_lists[c] = block->next;
            free((cc__block_header_t *)block - 1);
            released++;
        }
    }
    atomic_fetch_sub_explicit(&cc__pooled_blocks, released, memory_order_relaxed);
}

/* The first pooled block a thread makes registers its lists for release at thread exit. The main
 * thread's are released by exit() itself, not by this: its key destructor does not run. */
static void cc__register_thread(void) {
    if (cc__thread_phase != 0) return;
    cc__thread_phase = 1;
    pthread_setspecific(cc__exit_key, &cc__thread_phase);
}

static unsigned cc__class_of(size_t size) {
    size_t capacity = 32;
    for (unsigned c = 0; c < CC__POOL_CLASSES; c++, capacity <<= 1)
        if (size <= capacity) return c;
    return CC__POOL_LARGE;
}

static size_t cc__class_capacity(unsigned c) { return (size_t)32 << c; }

static void *cc__pool_malloc(size_t size, const char *file, int line) {
    (void)file;
    (void)line;
    unsigned c = cc__class_of(size);
    cc__block_header_t *header;
    if (c != CC__POOL_LARGE && cc__free_lists[c] != NULL) {
        cc__free_block_t *block = cc__free_lists[c];
        cc__free_lists[c] = block->next;
        header = (cc__block_header_t *)block - 1;
    } else {
        if (c != CC__POOL_LARGE && cc__thread_phase == 2) c = CC__POOL_LARGE; /* exiting: no list to return to */
        size_t capacity = c == CC__POOL_LARGE ? size : cc__class_capacity(c);
        if (capacity > SIZE_MAX - sizeof *header) return NULL;
        header = malloc(sizeof *header + capacity);
        if (header == NULL) return NULL;
        header->magic = CC__POOL_MAGIC;
        header->size_class = (uint8_t)c;
        if (c != CC__POOL_LARGE) {
            cc__register_thread();
            atomic_fetch_add_explicit(&cc__pooled_blocks, 1, memory_order_relaxed);
        }
    }
    header->size = size;
    return header + 1;
}

static void cc__pool_free(void *pointer, const char *file, int line) {
    (void)file;
    (void)line;
    if (pointer == NULL) return;
    cc__block_header_t *header = (cc__block_header_t *)pointer - 1;
    if (header->size_class == CC__POOL_LARGE) {
        free(header);
        return;
    }
    if (cc__thread_phase == 2) {
        /* Freed by a thread whose lists are gone (OpenSSL's own thread-exit cleanup runs late). */
        free(header);
        atomic_fetch_sub_explicit(&cc__pooled_blocks, 1, memory_order_relaxed);
        return;
    }
    cc__register_thread();
    cc__free_block_t *block = pointer;
    block->next = cc__free_lists[header->size_class];
    cc__free_lists[header->size_class] = block;
}

static void *cc__pool_realloc(void *pointer, size_t size, const char *file, int line) {
    if (pointer == NULL) return cc__pool_malloc(size, file, line);
    if (size == 0) {
        cc__pool_free(pointer, file, line);
        return NULL;
    }
    cc__block_header_t *header = (cc__block_header_t *)pointer - 1;
    if (header->size_class != CC__POOL_LARGE && size <= cc__class_capacity(header->size_class)) {
        header->size = size;
        return pointer;
    }
    if (header->size_class == CC__POOL_LARGE) {
        cc__block_header_t *grown = realloc(header, sizeof *header + size);
        if (grown == NULL) return NULL;
        grown->size = size;
        return grown + 1;
    }
    void *moved = cc__pool_malloc(size, file, line);
    if (moved == NULL) return NULL;
    memcpy(moved, pointer, header->size < size ? header->size : size);
    cc__pool_free(pointer, file, line);
    return moved;
}

/* OpenSSL accepts new memory functions only before its first allocation, so they are installed when
 * the program loads. If something allocated through OpenSSL earlier, the call fails and OpenSSL keeps
 * malloc: slower, never wrong. */
__attribute__((constructor)) static void cc__install_tls_memory(void) {
    if (pthread_key_create(&cc__exit_key, cc__release_lists) != 0) return; /* then OpenSSL keeps malloc */
    CRYPTO_set_mem_functions(cc__pool_malloc, cc__pool_realloc, cc__pool_free);
}
