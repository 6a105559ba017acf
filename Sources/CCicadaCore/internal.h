/* Internal declarations shared by the core's C files. Not part of the public API: cc__ names. */
#ifndef CICADA_CORE_INTERNAL_H
#define CICADA_CORE_INTERNAL_H

#include "cicada_core.h"

/* One compiled request: where its rendered bytes sit in the plan's arena, and what the engine must
 * know about it without parsing those bytes again. */
typedef struct cc__request_s {
    uint32_t offset;
    uint32_t length;
    uint32_t endpoint;
    uint8_t head;             /* HEAD: the response has no body */
    uint8_t close_connection; /* the request says Connection: close */
} cc__request_t;

typedef struct cc__task_s {
    uint32_t first_request;
    uint32_t request_count;
    uint32_t weight;
} cc__task_t;

typedef struct cc__user_class_s {
    uint32_t first_task;
    uint32_t task_count;
    int32_t on_start_task;
    cc_wait_spec_t wait;
    uint64_t total_weight;      /* sum of the weights of the class's tasks */
    const uint64_t *cumulative; /* cumulative[i] = weight of tasks first_task..first_task+i, inclusive */
} cc__user_class_t;

struct cc_plan_s {
    uint8_t *arena; /* every request's bytes, back to back */
    size_t arena_length;
    cc__request_t *requests;
    uint32_t request_count;
    cc__task_t *tasks;
    uint32_t task_count;
    cc__user_class_t *classes;
    uint32_t class_count;
    uint64_t *cumulative; /* storage for the classes' cumulative weights */
};

/* Writes a reason into `error` (when not NULL) and returns `code`: how the compile and create
 * functions report what they refused (errors.c). */
int cc__fail(int code, char *error, size_t error_size, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* TLS (tls.c). OpenSSL's types are declared opaque here so that only the files that use OpenSSL itself
 * (tls.c, transport_tls.c, lane.c and user_slots.c, which free sessions, and tls_memory.c) include its
 * headers. */
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

int cc__tls_context_new(const cc_tls_options_t *options, SSL_CTX **out, char *error, size_t size);
int cc__tls_name_is_ip(const char *name);
SSL *cc__tls_connection_new(SSL_CTX *ctx, const char *name, int name_is_ip, int verify, SSL_SESSION **session_slot);
void cc__tls_connection_free(SSL *ssl);
void cc__tls_context_free(SSL_CTX *ctx);
int32_t cc__tls_take_error(void);
int32_t cc__tls_unexpected_eof(void);
size_t cc__tls_detail_text(int failure, int32_t detail, char *buffer, size_t size);

#endif
