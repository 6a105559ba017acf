/* Internal to the engine: the worker's and the user's layout, shared by engine.c (threads, commands,
 * the control thread's API), user_slots.c (spawning and retiring), lane.c (a lane's requests, timers
 * and samples), connection.c (the socket and the connection machine's actions) and the transports. */
#ifndef CICADA_CORE_WORKER_H
#define CICADA_CORE_WORKER_H

#include "inspect.h"

#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <uv.h>

#define CC__READ_BUFFER_SIZE (64u * 1024u)
#define CC__TLS_BUFFER_SIZE (32u * 1024u)
#define CC__COMMAND_CAPACITY CC_ENGINE_COMMAND_QUEUE /* a power of two */
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
    CC__CMD_ARRIVAL,
} cc__command_kind_t;

typedef struct cc__command_s {
    cc__command_kind_t kind;
    uint32_t user_class;
    uint32_t count;  /* SPAWN, RETIRE: users; ARRIVAL: this worker's share of the class's max_users */
    double rate;     /* ARRIVAL: iterations per second, all workers together */
} cc__command_t;

typedef struct cc__command_ring_s {
    _Alignas(CC__CACHE_LINE) _Atomic size_t head;
    _Alignas(CC__CACHE_LINE) _Atomic size_t tail;
    cc__command_t slots[CC__COMMAND_CAPACITY];
} cc__command_ring_t;

/* ---- users ------------------------------------------------------------------------------------------ */

typedef enum cc__slot_e { CC__SLOT_FREE, CC__SLOT_ACTIVE, CC__SLOT_RELEASING } cc__slot_t;
typedef enum cc__timer_e {
    CC__TIMER_NONE,
    CC__TIMER_WAIT,
    CC__TIMER_CONNECT,
    CC__TIMER_REQUEST,
    CC__TIMER_FAIL, /* a request that failed before any I/O ends on the next loop turn, not recursively */
} cc__timer_t;

struct cc__worker_s;
struct cc__user_s;

/* What a lane needs only when the plan has templates or variables: its variables, its render buffer and
 * the request it rendered (in the worker's lane_extras, laid out by cc__lane_extra_size). */
typedef struct cc__lane_extra_s {
    cc__store_t store;
    cc__rendered_t rendered;
    uint64_t random;         /* for the renderer's random slots */
    const uint8_t *path;     /* the request target as sent (for cookies) */
    uint32_t path_length;
    uint32_t render_capacity;
    uint32_t fail_detail;    /* a request that failed before any I/O: its detail */
    uint8_t fail_kind;       /* and its failure */
    uint8_t fail_problem;    /* and, for CC_FAIL_TEMPLATE, the cc__render_problem_t */
    uint8_t reason_length;   /* a request hook's words, when it failed the request */
    char reason[CC_SAMPLE_EVIDENCE + 1]; /* one byte more, so that the sample can say a reason was cut */
    uint8_t use_rendered;    /* the request in flight is `rendered`, not the plan's bytes */
    uint8_t *render;
} cc__lane_extra_t;

/* What a user needs only when the plan reads responses (probes, cookies) or has templates. */
typedef struct cc__user_extra_s {
    uint64_t user_id;
    uint64_t user_index;
    uint32_t row;
    uint8_t has_row;
    uint8_t no_row; /* CC_DATA_PER_USER ran out: the user's first request fails as CC_FAIL_DATA */
    uint8_t inspecting;
    cc__inspect_context_t context;
    cc__inspection_t *inspection; /* &inspection_state, or NULL when the plan reads no response */
    cc__inspection_t inspection_state;
} cc__user_extra_t;

/* A lane runs one sequence of the user's tasks: its own state machine, wait timer and request
 * bookkeeping (lane.c). A user has one lane, or one per pipeline slot. */
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
    uint8_t busy;          /* a request has started and not finished */
    uint8_t timer_purpose; /* a cc__timer_t */
    uint8_t write_pending; /* part of the request waits in a uv_write */
    uint8_t tls_resumed;
    uint8_t stopped;
    uint32_t idle_next;      /* open model: the next lane in its class's idle list (a lane id) */
    uint64_t handed_due_ns;  /* open model: an iteration handed over before the lane was idle (a user
                                added for it, in its on_start), or 0 */
    cc__lane_extra_t *extra; /* NULL when the plan has no template and no variable */
} cc__lane_t;

/* A TLS connection's state (transport_tls.c): OpenSSL over two memory BIOs, so that the bytes move on
 * the same libuv socket as plain HTTP. */
typedef struct cc__tls_link_s {
    SSL *ssl;               /* the connection's TLS state, or NULL */
    SSL_SESSION *session;   /* the user's last session, offered again on reconnect */
    uv_write_t write;       /* ciphertext a partial write left over */
    uint8_t *pending;       /* the bytes of `write` (rare; kept for reuse) */
    size_t pending_capacity;
    uint8_t write_pending;
    uint8_t handshaking;
} cc__tls_link_t;

/* A user: one connection (its handles inline) and its lanes, laid out contiguously in the worker's
 * array with a stride that depends on the pipeline depth. */
typedef struct cc__user_s {
    uv_tcp_t tcp;
    uv_connect_t connect;
    cc_connection_machine_t connection;
    cc_response_parser_t parser; /* for the response of the oldest request on the connection */
    struct cc__worker_s *worker;
    cc__tls_link_t tls;
    uint32_t index;
    uint32_t class_prev;       /* the worker's list of its class's users not yet retired, oldest first */
    uint32_t class_next;
    uint32_t writes_pending;   /* uv_write requests under way on the connection */
    uint8_t slot;              /* a cc__slot_t */
    uint8_t listed;            /* in its class's list */
    uint8_t tcp_connected;     /* counted in connections_open */
    uint8_t performing;        /* inside cc__connection_perform: events only add to what is owed */
    uint8_t connect_lane;      /* the lane whose timer guards the connect */
    uint8_t lane_count;
    uint8_t lanes_active;      /* lanes not stopped */
    cc__user_extra_t *extra;   /* NULL when the plan needs none */
    cc__lane_t lanes[];
} cc__user_t;

/* One class's arrival schedule on one worker (arrival.c). The counters are written by the worker and
 * read by the control thread. */
typedef struct cc__arrival_s {
    double interval_ns;  /* between this worker's iterations of the class; 0: no schedule */
    double next_due_ns;
    uint32_t max_users;  /* this worker's share of the class's max_users */
    uint32_t alive;      /* users of the class on this worker that have not stopped */
    uint32_t idle;       /* the idle lanes, newest first (lane id: user index * lane_count + lane) */
    uint32_t queue_head;
    uint32_t queue_count;
    uint32_t queue_capacity; /* 0 unless CC_SATURATION_QUEUE */
    uint64_t *queue;     /* due times waiting for a user, a ring */
    _Atomic uint64_t scheduled;
    _Atomic uint64_t started;
    _Atomic uint64_t dropped;
    _Atomic uint64_t queued;
    _Atomic uint64_t added;
} cc__arrival_t;

typedef struct cc__worker_s {
    uv_loop_t loop;
    uv_async_t wakeup;
    uv_timer_t lag_timer;
    uv_timer_t spawn_timer; /* continues a spawn larger than one batch on the next loop turn */
    uv_timer_t arrival_timer; /* open model: the next iteration due */
    cc__arrival_t *arrivals;  /* open model: one per class; NULL otherwise */
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
    uint32_t *class_oldest;  /* per class: the list of users not yet retired (cc__user_t.class_prev/next) */
    uint32_t *class_newest;
    uint64_t *class_serial;  /* per class: users started, for ${user.index} */
    uint8_t *lane_extras;    /* capacity * lane_count states of lane_extra_stride bytes (calloc), or NULL */
    size_t lane_extra_stride;
    uint8_t *lane_buffers;   /* and their buffers, lane_buffer_stride each (sparse) */
    size_t lane_buffer_stride;
    size_t lane_buffers_size;
    uint8_t *user_extras;    /* capacity states of user_extra_stride bytes (calloc), or NULL */
    size_t user_extra_stride;
    uint8_t *user_buffers;   /* and their buffers, user_buffer_stride each (sparse) */
    size_t user_buffer_stride;
    size_t user_buffers_size;
    const struct cc__transport_s *transport;
    uint64_t lag_last_ns;
    uint8_t *read_buffer;
    uint8_t *tls_buffer; /* ciphertext on its way out */
    SSL_CTX *tls_context;
    uint8_t stopping;
    uint8_t shutting_down;
    uint8_t thread_started;
    uint8_t loop_ready;      /* the loop was initialised: it must be closed, handles first */
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
    _Atomic uint64_t events_ignored;
    _Atomic uint64_t cookies_dropped;
} cc__worker_t;

struct cc_engine_s {
    const cc_plan_t *plan;
    cc_engine_options_t options;
    struct sockaddr_storage address;
    char target_text[INET6_ADDRSTRLEN + 16];
    char *tls_name; /* SNI and the name the certificate must match */
    char *host;     /* the target host as given, for cookies */
    int tls_name_is_ip;
    cc__worker_t *workers;
    uint32_t worker_count;
    uint32_t *alive_by_worker_class; /* the control thread's view: [worker * class_count + class] */
    uint64_t alive_total;
    uint32_t *next_worker_by_class; /* per class: the worker its next user goes to */
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

/* The timeout that makes a timer fire at `due_ns` or just after, never before. libuv measures a
 * timeout from the loop's cached millisecond clock (the same CLOCK_MONOTONIC, read when the
 * iteration began, so up to an iteration stale) and fires once that clock reaches the due
 * millisecond; counting from the cached clock to the millisecond rounded up keeps a poll's `every`
 * and a think time whole, at the cost of under a millisecond of lateness, which the
 * latency from the intended start then shows. */
static inline uint64_t cc__timeout_until_ms(uv_loop_t *loop, uint64_t due_ns) {
    uint64_t due_ms = (due_ns + 999999ull) / 1000000ull;
    uint64_t loop_ms = uv_now(loop);
    return due_ms > loop_ms ? due_ms - loop_ms : 0;
}

#define CC__NO_USER UINT32_MAX

/* user_slots.c: a worker's users. Worker thread only. */
void cc__worker_spawn_batch(cc__worker_t *w);
/* Starts one user of `user_class` now; in the open model, `handed_due_ns` (not 0) is an iteration its
 * first lane takes once its on_start is done. Returns 0, or -1 when the worker has no free slot. */
int cc__worker_start_user(cc__worker_t *w, uint32_t user_class, uint64_t handed_due_ns);
void cc__worker_retire(cc__worker_t *w, uint32_t user_class, uint32_t count);
void cc__worker_stop_all(cc__worker_t *w);
void cc__worker_cancel_all(cc__worker_t *w);
/* A user's lanes have all stopped: it gives up its connection and, once that is closed, its slot. */
void cc__user_done(cc__user_t *u);
/* The connection's handle has closed: release the slot of a user that is done. */
void cc__user_connection_closed(cc__user_t *u);
/* Frees what users hold outside the worker's arrays (TLS state). Any thread, once the loop is done. */
void cc__worker_free_users(cc__worker_t *w);
size_t cc__user_stride(uint32_t lanes);

/* arrival.c: the open model's schedules. Worker thread only. */
int cc__arrival_init(cc__worker_t *w, const cc_engine_options_t *options);
void cc__arrival_free(cc__worker_t *w);
/* An ARRIVAL command: the class's rate (all workers together) and this worker's max_users share. */
void cc__arrival_set(cc__worker_t *w, uint32_t user_class, double per_second, uint32_t max_users);
/* The lane's iteration is over (its machine said IDLE): give it the next one, or list it as idle. */
void cc__arrival_lane_idle(cc__lane_t *l);
/* The run stops: no more iterations; those still queued are dropped. */
void cc__arrival_stop(cc__worker_t *w);

/* lane.c: a lane's requests, timers and samples. Worker thread only. */
void cc__lane_init(cc__lane_t *l, cc__user_t *u, uint32_t index);
#define CC__LANE_FAILED 1u    /* REQUEST_DONE: the request failed */
#define CC__LANE_UNTIL_MET 2u /* REQUEST_DONE: its repeat's condition held */
#define CC__LANE_NOW 4u       /* RETIRE: at once, without on_stop */
void cc__lane_event(cc__lane_t *l, cc_user_event_kind_t kind, unsigned flags);
/* Open model: the IDLE lane begins an iteration due at `due_ns`. */
void cc__lane_iteration(cc__lane_t *l, uint64_t due_ns);
/* The connection ended the lane's request (a FINISH action). */
void cc__lane_finish(cc__lane_t *l, cc_failure_t failure, int32_t detail, uint16_t status);
/* The lane's request is being written: its response timeout starts. */
void cc__lane_request_written(cc__lane_t *l);
void cc__lane_arm_timer(cc__lane_t *l, cc__timer_t purpose, uint64_t timeout_ns);
void cc__lane_stop_timer(cc__lane_t *l, cc__timer_t purpose);
/* The request's bytes as runs to write: the plan's for a static request, the lane's rendered ones
 * otherwise. Returns the number of runs (1 to CC__MAX_RUNS). */
uint32_t cc__lane_request_runs(const cc__lane_t *l, uv_buf_t *runs);

/* hook.c: runs request `r`'s hook for lane `l`; returns 0, or -1 when the hook failed the request. */
int cc__lane_run_hook(cc__lane_t *l, const cc__request_t *r);

/* user_extras.c: laying out the extra memory of lanes and users. */
size_t cc__lane_extra_size(const cc_plan_t *plan);
size_t cc__lane_buffer_size(const cc_plan_t *plan);
size_t cc__user_extra_size(const cc_plan_t *plan);
size_t cc__user_buffer_size(const cc_plan_t *plan);
void cc__lane_extra_init(cc__lane_extra_t *extra, const cc_plan_t *plan, uint8_t *buffer);
void cc__user_extra_init(cc__user_extra_t *extra, const cc_plan_t *plan, uint8_t *buffer);
/* Zeroed memory that costs only the pages touched: mmap'ed without reserving swap (MAP_NORESERVE), so
 * a worker's room for a million users' buffers is address space until users use it. NULL on failure. */
void *cc__sparse_alloc(size_t size);
void cc__sparse_free(void *memory, size_t size);

/* connection.c: the user's socket, and the connection machine's actions. Worker thread only. */
void cc__connection_event(cc__user_t *u, const cc_connection_event_t *event);
void cc__connection_send(cc__user_t *u, cc__lane_t *l);
/* Fails the connection and every request on it. */
void cc__connection_fail(cc__user_t *u, cc_failure_t failure, int32_t detail);
/* Ends every request on the connection, or waiting for it, as cancelled. */
void cc__connection_cancel(cc__user_t *u);

#endif
