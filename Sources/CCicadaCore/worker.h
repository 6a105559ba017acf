/* Internal to the engine: the worker's and the user's layout, shared by engine.c (threads, commands,
 * the control thread's API) and user_io.c (connections, requests and the users' state machines). */
#ifndef CICADA_CORE_WORKER_H
#define CICADA_CORE_WORKER_H

#include "internal.h"

#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <uv.h>

#define CC__READ_BUFFER_SIZE (64u * 1024u)
#define CC__TLS_BUFFER_SIZE (32u * 1024u)
#define CC__COMMAND_CAPACITY 1024u /* power of two */
#define CC__LAG_PERIOD_MS 50u
/* Users started per loop turn. Each start is a connect(), tens of microseconds of kernel time and more
 * when many ports are in TIME-WAIT: starting thousands in one turn would stall the loop for seconds,
 * and the users already connected would see that stall as latency (and their timers as timeouts). */
#define CC__SPAWN_BATCH 128u
#define CC__SPAWN_SLICE_NS 2000000u /* and at most 2 ms of them per turn */
#define CC__CACHE_LINE 64

/* ---- single-producer / single-consumer rings ------------------------------------------------------ */

typedef struct cc__sample_ring_s {
    _Alignas(CC__CACHE_LINE) _Atomic size_t head; /* next slot to read; written by the consumer */
    _Alignas(CC__CACHE_LINE) _Atomic size_t tail; /* next slot to write; written by the producer */
    _Alignas(CC__CACHE_LINE) size_t mask;
    cc_sample_t *slots;
} cc__sample_ring_t;

typedef enum cc__command_kind_e {
    CC__CMD_SPAWN,
    CC__CMD_RETIRE,
    CC__CMD_STOP,
    CC__CMD_CANCEL,
    CC__CMD_SHUTDOWN,
} cc__command_kind_t;

typedef struct cc__command_s {
    cc__command_kind_t kind;
    uint32_t user_class;
    uint32_t count;
} cc__command_t;

typedef struct cc__command_ring_s {
    _Alignas(CC__CACHE_LINE) _Atomic size_t head;
    _Alignas(CC__CACHE_LINE) _Atomic size_t tail;
    cc__command_t slots[CC__COMMAND_CAPACITY];
} cc__command_ring_t;

/* ---- users ------------------------------------------------------------------------------------------ */

typedef enum cc__slot_e { CC__SLOT_FREE, CC__SLOT_ACTIVE, CC__SLOT_RELEASING } cc__slot_t;
/* The connection, as the engine sees it. */
typedef enum cc__conn_e {
    CC__CONN_NONE,      /* no handle */
    CC__CONN_CONNECTING, /* TCP connect under way */
    CC__CONN_HANDSHAKE, /* TLS handshake under way */
    CC__CONN_OPEN,      /* requests may be sent */
    CC__CONN_CLOSING,   /* uv_close called; the handle is not free until its callback */
} cc__conn_t;
/* What one lane (pipeline slot) is doing with the connection. */
typedef enum cc__lane_io_e {
    CC__LANE_IDLE,       /* no request (waiting between tasks, or stopped) */
    CC__LANE_CONNECTING, /* its request waits for the connection to open */
    CC__LANE_IN_FLIGHT,  /* its request was sent (or is being written); its response is awaited */
} cc__lane_io_t;
typedef enum cc__timer_e { CC__TIMER_NONE, CC__TIMER_WAIT, CC__TIMER_CONNECT, CC__TIMER_REQUEST } cc__timer_t;

struct cc__worker_s;
struct cc__user_s;

/* A lane runs one sequence of the user's tasks: its own state machine, wait timer and request
 * bookkeeping. A user has one lane, or one per pipeline slot. */
typedef struct cc__lane_s {
    uv_timer_t timer;   /* the wait between tasks, or this lane's request (or connect) timeout */
    uv_write_t write;   /* a request write that could not complete at once */
    cc_user_machine_t machine;
    struct cc__user_s *user;
    uint64_t start_ns;
    uint64_t connected_ns; /* set when this lane's request opened the connection */
    uint64_t handshake_ns;
    uint64_t first_byte_ns;
    uint64_t bytes_received;
    uint32_t request;
    uint8_t index;
    uint8_t io;            /* a cc__lane_io_t */
    uint8_t timer_purpose; /* a cc__timer_t */
    uint8_t write_pending;
    uint8_t tls_resumed;
    uint8_t stopped;
    uint8_t unsent;        /* queued while the connection was corked; written by the uncork */
} cc__lane_t;

/* A user: one connection (its handles inline) and its lanes, laid out contiguously in the worker's
 * array with a stride that depends on the pipeline depth. */
typedef struct cc__user_s {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t tls_write;      /* ciphertext a partial write left over */
    cc_response_parser_t parser; /* for the response of the lane at the head of `in_flight` */
    struct cc__worker_s *worker;
    SSL *ssl;                  /* the connection's TLS state, or NULL */
    SSL_SESSION *tls_session;  /* the last session, offered again on reconnect */
    uint8_t *tls_pending;      /* the bytes of tls_write (rare; kept for reuse) */
    size_t tls_pending_capacity;
    uint32_t index;
    uint32_t writes_pending;   /* uv_write requests under way on the connection */
    uint8_t slot;              /* a cc__slot_t */
    uint8_t conn;              /* a cc__conn_t */
    uint8_t tcp_connected;     /* counted in connections_open */
    uint8_t connect_after_close;
    uint8_t tls_write_pending;
    uint8_t corked;            /* inside a read callback: requests are gathered and written once */
    uint8_t connect_lane;      /* the lane whose timer guards the connect */
    uint8_t lane_count;
    uint8_t lanes_active;      /* lanes not stopped */
    uint8_t in_flight_head;    /* FIFO of lane indices, in the order their requests were sent */
    uint8_t in_flight_count;
    uint8_t in_flight[CC_MAX_PIPELINE];
    cc__lane_t lanes[];
} cc__user_t;

typedef struct cc__worker_s {
    uv_loop_t loop;
    uv_async_t wakeup;
    uv_timer_t lag_timer;
    uv_timer_t spawn_timer; /* continues a spawn larger than one batch on the next loop turn */
    uv_thread_t thread;
    struct cc_engine_s *engine;
    const cc_plan_t *plan;
    uint32_t index;
    uint8_t *users;     /* `capacity` users of `user_stride` bytes each */
    size_t user_stride;
    uint32_t lane_count;
    uint32_t capacity;
    uint32_t high_water; /* slots [0, high_water) have been used at least once */
    uint32_t *free_slots;
    uint32_t free_count;
    uint64_t spawn_serial;
    uint32_t *spawn_pending; /* users per class still to start */
    uint64_t lag_last_ns;
    uint8_t *read_buffer;
    uint8_t *tls_buffer; /* ciphertext on its way out */
    SSL_CTX *tls_context;
    uint8_t stopping;
    uint8_t shutting_down;
    uint8_t thread_started;
    cc__command_ring_t commands;
    cc__sample_ring_t samples;
    /* Counters: written by this worker only, read by the control thread. */
    _Alignas(CC__CACHE_LINE) _Atomic uint64_t users_active;
    _Atomic uint64_t connections_open;
    _Atomic uint64_t requests_started;
    _Atomic uint64_t requests_in_flight;
    _Atomic uint64_t connections_opened;
    _Atomic uint64_t tls_handshakes;
    _Atomic uint64_t tls_resumed;
    _Atomic uint64_t samples_dropped;
    _Atomic uint64_t loop_lag_max_ns;
} cc__worker_t;

struct cc_engine_s {
    const cc_plan_t *plan;
    cc_engine_options_t options;
    struct sockaddr_storage address;
    char target_text[INET6_ADDRSTRLEN + 16];
    char *tls_name; /* SNI and the name the certificate must match */
    int tls_name_is_ip;
    cc__worker_t *workers;
    uint32_t worker_count;
    uint32_t *alive_by_worker_class; /* the control thread's view: [worker * class_count + class] */
    uint64_t alive_total;
    uint32_t next_worker;
    uint8_t started;
    uint8_t stopped;
    uint8_t joined;
};

/* Counters have a single writer, so a relaxed load and store is enough and costs no locked operation. */
static inline void cc__counter_add(_Atomic uint64_t *counter, int64_t delta) {
    atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + (uint64_t)delta,
                          memory_order_relaxed);
}

static inline cc__user_t *cc__user_at(cc__worker_t *w, uint32_t index) {
    return (cc__user_t *)(w->users + (size_t)index * w->user_stride);
}

/* user_io.c: what a worker does to its users. Worker thread only. */
void cc__worker_spawn_batch(cc__worker_t *w);
void cc__worker_retire(cc__worker_t *w, uint32_t user_class, uint32_t count);
void cc__worker_stop_all(cc__worker_t *w);
void cc__worker_cancel_all(cc__worker_t *w);
/* Frees what users hold outside the worker's arrays (TLS state). Any thread, once the loop is done. */
void cc__worker_free_users(cc__worker_t *w);
size_t cc__user_stride(uint32_t lanes);

#endif
