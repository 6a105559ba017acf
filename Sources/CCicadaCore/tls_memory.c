/* OpenSSL's allocations, served per thread. OpenSSL 3.0 allocates small blocks on every record it
 * encrypts or decrypts (CRYPTO_zalloc(40), twice in SSL_write and twice in SSL_read, seen with gdb), so
 * a kept-alive HTTPS request cost four malloc calls on the worker. Handing OpenSSL per-thread free
 * lists for small sizes makes its steady state allocation-free too: a block freed on a thread goes back
 * to that thread's list, with no lock, and the lists never shrink (they hold the peak of what OpenSSL
 * had outstanding at once). Larger blocks (record buffers, certificates) go to malloc as before. */
#include "internal.h"

#include <openssl/crypto.h>
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
        size_t capacity = c == CC__POOL_LARGE ? size : cc__class_capacity(c);
        if (capacity > SIZE_MAX - sizeof *header) return NULL;
        header = malloc(sizeof *header + capacity);
        if (header == NULL) return NULL;
        header->magic = CC__POOL_MAGIC;
        header->size_class = (uint8_t)c;
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
    CRYPTO_set_mem_functions(cc__pool_malloc, cc__pool_realloc, cc__pool_free);
}
