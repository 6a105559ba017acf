/* The engine: worker threads, each with a libuv loop and a contiguous array of users, performing what
 * each user's state machine decides on real sockets and timers.
 *
 * Threads. The control thread (the engine's creator) sends commands through a single-producer ring
 * per worker and wakes the worker with uv_async_send. A worker produces samples into its own
 * single-producer ring, which the control thread drains. Nothing else is shared; the counters are
 * atomics written by one worker each.
 *
 * The per-request path (send, read, parse, sample) allocates nothing and takes no lock: requests are
 * bytes rendered once in the plan, every read lands in the worker's one receive buffer and is parsed
 * at once, and handles and requests live inline in the user. */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>
#include <uv.h>

#define CC__READ_BUFFER_SIZE (64u * 1024u)
#define CC__TLS_BUFFER_SIZE (32u * 1024u)
#define CC__COMMAND_CAPACITY 1024u /* power of two */
#define CC__LAG_PERIOD_MS 50u
/* Users started per loop turn. Each start is a connect(), tens of microseconds of kernel time and more
 * when many ports are in TIME-WAIT: starting thousands in one turn would stall the loop for seconds,
 * and the users already connected would see that stall as latency (and their timers as timeouts). */
#define CC__SPAWN_BATCH 128u
#define CC__CACHE_LINE 64

uint64_t cc_clock_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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

/* ---- users and workers ---------------------------------------------------------------------------- */

typedef enum cc__slot_e { CC__SLOT_FREE, CC__SLOT_ACTIVE, CC__SLOT_RELEASING } cc__slot_t;
typedef enum cc__tcp_e { CC__TCP_NONE, CC__TCP_OPEN, CC__TCP_CLOSING } cc__tcp_t;
typedef enum cc__io_e { CC__IO_IDLE, CC__IO_CONNECTING, CC__IO_HANDSHAKE, CC__IO_REQUEST } cc__io_t;
typedef enum cc__timer_e { CC__TIMER_NONE, CC__TIMER_WAIT, CC__TIMER_CONNECT, CC__TIMER_REQUEST } cc__timer_t;

struct cc__worker_s;

/* One simulated user: its handles inline (a uv_connect_t and a uv_write_t are never pending at the
 * same time, so they share storage), its state machine and its response parser. */
typedef struct cc__user_s {
    uv_tcp_t tcp;
    uv_timer_t timer;
    union {
        uv_connect_t connect;
        uv_write_t write;
    } req;
    cc_user_machine_t machine;
    cc_response_parser_t parser;
    struct cc__worker_s *worker;
    SSL *ssl;                 /* the connection's TLS state, or NULL */
    SSL_SESSION *tls_session; /* the last session, offered again on reconnect */
    uint8_t *tls_pending;     /* ciphertext a partial write left over (rare; kept for reuse) */
    size_t tls_pending_capacity;
    uint64_t start_ns;
    uint64_t connected_ns;
    uint64_t handshake_ns;
    uint64_t first_byte_ns;
    uint64_t bytes_received;
    uint32_t index;
    uint32_t request;
    uint8_t slot;
    uint8_t tcp_state;
    uint8_t tcp_connected;
    uint8_t io;
    uint8_t timer_purpose;
    uint8_t timer_ready;
    uint8_t write_pending;
    uint8_t connect_after_close;
    uint8_t tls_resumed;
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
    cc__user_t *users;
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

static void cc__user_apply(cc__user_t *u, const cc_user_action_t *action);

static void cc__user_event(cc__user_t *u, cc_user_event_kind_t kind, int failed, int keep_alive) {
    cc_user_event_t event = {.kind = kind, .now_ns = cc_clock_now_ns(), .failed = (uint8_t)failed,
                             .keep_alive = (uint8_t)keep_alive};
    cc_user_action_t action;
    cc_user_machine_handle(&u->machine, u->worker->plan, &event, &action);
    cc__user_apply(u, &action);
}

/* ---- samples -------------------------------------------------------------------------------------- */

static void cc__ring_push(cc__worker_t *w, const cc_sample_t *sample) {
    cc__sample_ring_t *ring = &w->samples;
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    if (tail - head > ring->mask) {
        cc__counter_add(&w->samples_dropped, 1);
        return;
    }
    ring->slots[tail & ring->mask] = *sample;
    atomic_store_explicit(&ring->tail, tail + 1, memory_order_release);
}

/* ---- connections ---------------------------------------------------------------------------------- */

static void cc__user_connect(cc__user_t *u);
static void cc__user_release_slot(cc__user_t *u);

static void cc__on_tcp_close(uv_handle_t *handle) {
    cc__user_t *u = handle->data;
    u->tcp_state = CC__TCP_NONE;
    u->write_pending = 0;
    if (u->slot == CC__SLOT_RELEASING) {
        cc__user_release_slot(u);
        return;
    }
    if (u->connect_after_close) {
        u->connect_after_close = 0;
        if (!u->worker->shutting_down) cc__user_connect(u);
    }
}

static void cc__user_close_tcp(cc__user_t *u) {
    if (u->tcp_state != CC__TCP_OPEN) return;
    if (u->tcp_connected) {
        u->tcp_connected = 0;
        cc__counter_add(&u->worker->connections_open, -1);
    }
    if (u->ssl != NULL) {
        cc__tls_connection_free(u->ssl);
        u->ssl = NULL;
    }
    u->tcp_state = CC__TCP_CLOSING;
    uv_close((uv_handle_t *)&u->tcp, cc__on_tcp_close);
}

static void cc__arm_timer(cc__user_t *u, cc__timer_t purpose, uint64_t timeout_ns);

/* Ends the current request: one sample, then the machine decides what follows. Every request that was
 * started passes through here exactly once. */
static void cc__user_finish(cc__user_t *u, cc_failure_t failure, int32_t detail, int keep_alive) {
    cc__worker_t *w = u->worker;
    const cc__request_t *request = &w->plan->requests[u->request];
    uint64_t now = cc_clock_now_ns();
    if (u->timer_purpose == CC__TIMER_CONNECT || u->timer_purpose == CC__TIMER_REQUEST) {
        uv_timer_stop(&u->timer);
        u->timer_purpose = CC__TIMER_NONE;
    }
    cc_sample_t sample = {
        .intended_ns = u->machine.intended_ns < u->start_ns ? u->machine.intended_ns : u->start_ns,
        .start_ns = u->start_ns,
        .connected_ns = u->connected_ns,
        .handshake_ns = u->handshake_ns,
        .first_byte_ns = u->first_byte_ns,
        .end_ns = now,
        .bytes_received = u->bytes_received,
        .endpoint = request->endpoint,
        .detail = detail,
        .status = u->parser.status,
        .failure = (uint8_t)failure,
        .worker = (uint8_t)w->index,
        .flags = u->handshake_ns != 0 && u->tls_resumed ? CC_SAMPLE_TLS_RESUMED : 0,
        .user = u->index,
    };
    cc__ring_push(w, &sample);
    cc__counter_add(&w->requests_in_flight, -1);
    u->io = CC__IO_IDLE;
    int failed = failure != CC_FAIL_NONE;
    /* A transport failure leaves the connection in an unknown state; an HTTP error status does not. */
    int transport_failure = failed && failure != CC_FAIL_HTTP_4XX && failure != CC_FAIL_HTTP_5XX;
    if (failure == CC_FAIL_TLS_VERIFY || failure == CC_FAIL_TLS_HANDSHAKE) {
        /* A session from a failed handshake is not worth offering again. */
        if (u->tls_session != NULL) {
            SSL_SESSION_free(u->tls_session);
            u->tls_session = NULL;
        }
    }
    if (transport_failure || !keep_alive) cc__user_close_tcp(u);
    cc__user_event(u, CC_EVENT_REQUEST_DONE, failed, keep_alive && !transport_failure);
}

static cc_failure_t cc__status_failure(uint16_t status) {
    if (status >= 500) return CC_FAIL_HTTP_5XX;
    if (status >= 400) return CC_FAIL_HTTP_4XX;
    return CC_FAIL_NONE;
}

static cc_failure_t cc__transport_failure(int uv_error, cc_failure_t otherwise) {
    switch (uv_error) {
    case UV_ECONNRESET:
    case UV_EPIPE:
        return CC_FAIL_RESET;
    case UV_ECONNREFUSED:
        return CC_FAIL_CONNECT_REFUSED;
    case UV_ETIMEDOUT:
        return otherwise == CC_FAIL_CONNECT ? CC_FAIL_CONNECT_TIMEOUT : CC_FAIL_TIMEOUT;
    default:
        return otherwise;
    }
}

static void cc__on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    cc__user_t *u = handle->data;
    /* One buffer per worker is enough: a read is parsed before the loop reads from another socket. */
    buf->base = (char *)u->worker->read_buffer;
    buf->len = CC__READ_BUFFER_SIZE;
}

/* Hands response bytes (plaintext) to the parser. Returns 1 when that ended the request or the
 * connection, after which the caller must not touch the connection again. */
static int cc__user_consume(cc__user_t *u, const uint8_t *data, size_t length) {
    if (u->io != CC__IO_REQUEST) {
        /* Bytes nobody asked for: the connection can no longer be trusted to frame responses. */
        cc__user_close_tcp(u);
        cc__user_event(u, CC_EVENT_PEER_CLOSED, 0, 0);
        return 1;
    }
    if (u->first_byte_ns == 0) u->first_byte_ns = cc_clock_now_ns();
    long consumed = cc_response_parser_feed(&u->parser, data, length);
    if (consumed < 0) {
        cc__user_finish(u, CC_FAIL_MALFORMED, u->parser.error, 0);
        return 1;
    }
    if (!u->parser.complete) return 0;
    const cc__request_t *request = &u->worker->plan->requests[u->request];
    /* Leftover bytes after a complete response, with one request in flight, mean the server sent
     * more than it framed: do not reuse such a connection. */
    int keep_alive = u->parser.keep_alive && !request->close_connection && !u->write_pending &&
                     (size_t)consumed == length;
    cc__user_finish(u, cc__status_failure(u->parser.status), 0, keep_alive);
    return 1;
}

/* The stream ended (UV_EOF, or close_notify under TLS) or failed with a libuv error. */
static void cc__user_on_stream_end(cc__user_t *u, int error) {
    if (u->io == CC__IO_HANDSHAKE) {
        cc__user_finish(u, CC_FAIL_TLS_HANDSHAKE, error == UV_EOF ? cc__tls_unexpected_eof() : error, 0);
        return;
    }
    if (u->io == CC__IO_REQUEST) {
        if (error == UV_EOF) {
            if (cc_response_parser_finish(&u->parser) == 1)
                cc__user_finish(u, cc__status_failure(u->parser.status), 0, 0);
            else
                cc__user_finish(u, CC_FAIL_CLOSED, error, 0);
        } else {
            cc__user_finish(u, cc__transport_failure(error, CC_FAIL_READ), error, 0);
        }
        return;
    }
    cc__user_close_tcp(u);
    cc__user_event(u, CC_EVENT_PEER_CLOSED, 0, 0);
}

static int cc__tls_flush(cc__user_t *u);
static void cc__tls_handshake(cc__user_t *u);

/* Ciphertext arrived: hand it to OpenSSL, then either continue the handshake or decrypt into the
 * worker's receive buffer (free again, since OpenSSL copied the ciphertext) and parse. */
static void cc__tls_on_ciphertext(cc__user_t *u, const uint8_t *data, size_t length) {
    if (u->io == CC__IO_REQUEST) u->bytes_received += length;
    BIO_write(SSL_get_rbio(u->ssl), data, (int)length); /* a memory BIO takes everything */
    if (u->io == CC__IO_HANDSHAKE) {
        cc__tls_handshake(u);
        return;
    }
    uint8_t *plain = u->worker->read_buffer;
    for (;;) {
        int n = SSL_read(u->ssl, plain, CC__READ_BUFFER_SIZE);
        if (n > 0) {
            if (cc__user_consume(u, plain, (size_t)n)) return;
            continue;
        }
        int e = SSL_get_error(u->ssl, n);
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            ERR_clear_error();
            cc__user_on_stream_end(u, UV_EOF);
            return;
        }
        int32_t detail = cc__tls_take_error();
        if (u->io == CC__IO_REQUEST) {
            cc__user_finish(u, CC_FAIL_TLS, detail, 0);
        } else {
            cc__user_close_tcp(u);
            cc__user_event(u, CC_EVENT_PEER_CLOSED, 0, 0);
        }
        return;
    }
    /* Reading may have produced records to send (a key update's answer). */
    int rc = cc__tls_flush(u);
    if (rc < 0 && u->io == CC__IO_REQUEST) cc__user_finish(u, cc__transport_failure(rc, CC_FAIL_WRITE), rc, 0);
}

static void cc__on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    cc__user_t *u = stream->data;
    if (nread == 0 || u->tcp_state != CC__TCP_OPEN) return;
    if (nread < 0) {
        cc__user_on_stream_end(u, (int)nread);
        return;
    }
    if (u->ssl != NULL) {
        cc__tls_on_ciphertext(u, (const uint8_t *)buf->base, (size_t)nread);
        return;
    }
    if (u->io == CC__IO_REQUEST) u->bytes_received += (uint64_t)nread;
    cc__user_consume(u, (const uint8_t *)buf->base, (size_t)nread);
}

static void cc__on_write(uv_write_t *req, int status) {
    cc__user_t *u = req->data;
    u->write_pending = 0;
    if (status == UV_ECANCELED || u->tcp_state != CC__TCP_OPEN) return;
    /* Under TLS, records produced while this write was pending wait in the BIO: send them now. */
    if (status == 0 && u->ssl != NULL) status = cc__tls_flush(u);
    if (status == 0) return;
    if (u->io == CC__IO_REQUEST)
        cc__user_finish(u, cc__transport_failure(status, CC_FAIL_WRITE), status, 0);
    else if (u->io == CC__IO_HANDSHAKE)
        cc__user_finish(u, CC_FAIL_TLS_HANDSHAKE, status, 0);
}

/* Sends what OpenSSL wrote into the connection's outgoing memory BIO: at once with uv_try_write, the
 * rest (rarely any) with uv_write from the user's own buffer. Returns 0 or a libuv error. */
static int cc__tls_flush(cc__user_t *u) {
    if (u->write_pending) return 0; /* the write callback flushes again */
    cc__worker_t *w = u->worker;
    BIO *out = SSL_get_wbio(u->ssl);
    while (BIO_ctrl_pending(out) > 0) {
        int n = BIO_read(out, w->tls_buffer, CC__TLS_BUFFER_SIZE);
        if (n <= 0) break;
        uv_buf_t buf = uv_buf_init((char *)w->tls_buffer, (unsigned)n);
        int written = uv_try_write((uv_stream_t *)&u->tcp, &buf, 1);
        if (written == n) continue;
        if (written < 0 && written != UV_EAGAIN) return written;
        if (written < 0) written = 0;
        size_t rest = (size_t)(n - written);
        size_t more = BIO_ctrl_pending(out);
        if (rest + more > u->tls_pending_capacity) {
            uint8_t *grown = realloc(u->tls_pending, rest + more);
            if (grown == NULL) return UV_ENOMEM;
            u->tls_pending = grown;
            u->tls_pending_capacity = rest + more;
        }
        memcpy(u->tls_pending, w->tls_buffer + written, rest);
        if (more > 0) BIO_read(out, u->tls_pending + rest, (int)more);
        buf = uv_buf_init((char *)u->tls_pending, (unsigned)(rest + more));
        u->req.write.data = u;
        int rc = uv_write(&u->req.write, (uv_stream_t *)&u->tcp, &buf, 1, cc__on_write);
        if (rc < 0) return rc;
        u->write_pending = 1;
        return 0;
    }
    return 0;
}

static void cc__stop_connect_timer(cc__user_t *u) {
    if (u->timer_purpose == CC__TIMER_CONNECT) {
        uv_timer_stop(&u->timer);
        u->timer_purpose = CC__TIMER_NONE;
    }
}

static void cc__tls_handshake(cc__user_t *u) {
    int r = SSL_do_handshake(u->ssl);
    int rc = cc__tls_flush(u);
    if (rc < 0) {
        ERR_clear_error();
        cc__user_finish(u, CC_FAIL_TLS_HANDSHAKE, rc, 0);
        return;
    }
    if (r == 1) {
        cc__worker_t *w = u->worker;
        u->handshake_ns = cc_clock_now_ns();
        u->tls_resumed = (uint8_t)SSL_session_reused(u->ssl);
        cc__counter_add(&w->tls_handshakes, 1);
        if (u->tls_resumed) cc__counter_add(&w->tls_resumed, 1);
        cc__stop_connect_timer(u);
        u->io = CC__IO_CONNECTING;
        cc__user_event(u, CC_EVENT_CONNECTED, 0, 1);
        return;
    }
    int e = SSL_get_error(u->ssl, r);
    if (e == SSL_ERROR_WANT_READ) return;
    long verify = SSL_get_verify_result(u->ssl);
    if (verify != X509_V_OK) {
        ERR_clear_error();
        cc__user_finish(u, CC_FAIL_TLS_VERIFY, (int32_t)verify, 0);
        return;
    }
    int32_t detail = cc__tls_take_error();
    cc__user_finish(u, CC_FAIL_TLS_HANDSHAKE, detail != 0 ? detail : cc__tls_unexpected_eof(), 0);
}

static void cc__user_send(cc__user_t *u) {
    cc__worker_t *w = u->worker;
    const cc__request_t *request = &w->plan->requests[u->request];
    cc_response_parser_reset(&u->parser, request->head);
    u->io = CC__IO_REQUEST;
    u->first_byte_ns = 0;
    u->bytes_received = 0;
    cc__arm_timer(u, CC__TIMER_REQUEST, w->engine->options.request_timeout_ns);

    if (u->ssl != NULL) {
        /* Into the memory BIO, which takes it all, then out to the socket. */
        if (SSL_write(u->ssl, w->plan->arena + request->offset, (int)request->length) <= 0) {
            cc__user_finish(u, CC_FAIL_TLS, cc__tls_take_error(), 0);
            return;
        }
        int rc = cc__tls_flush(u);
        if (rc < 0) cc__user_finish(u, cc__transport_failure(rc, CC_FAIL_WRITE), rc, 0);
        return;
    }

    /* Write at once: uv_try_write is one send() and, unlike waiting for a writable event, costs no
     * epoll_ctl (DESIGN.md: the syscalls per request decide the CPU cost on loopback). */
    uv_buf_t buf = uv_buf_init((char *)(w->plan->arena + request->offset), request->length);
    int written = uv_try_write((uv_stream_t *)&u->tcp, &buf, 1);
    if (written == (int)request->length) return;
    if (written < 0 && written != UV_EAGAIN) {
        cc__user_finish(u, cc__transport_failure(written, CC_FAIL_WRITE), written, 0);
        return;
    }
    if (written > 0) {
        buf.base += written;
        buf.len -= (size_t)written;
    }
    u->req.write.data = u;
    int rc = uv_write(&u->req.write, (uv_stream_t *)&u->tcp, &buf, 1, cc__on_write);
    if (rc < 0) {
        cc__user_finish(u, cc__transport_failure(rc, CC_FAIL_WRITE), rc, 0);
        return;
    }
    u->write_pending = 1;
}

static void cc__on_connect(uv_connect_t *req, int status) {
    cc__user_t *u = req->data;
    if (status == UV_ECANCELED || u->io != CC__IO_CONNECTING || u->tcp_state != CC__TCP_OPEN) return;
    if (status < 0) {
        cc__user_finish(u, cc__transport_failure(status, CC_FAIL_CONNECT), status, 0);
        return;
    }
    cc__worker_t *w = u->worker;
    u->tcp_connected = 1;
    cc__counter_add(&w->connections_open, 1);
    u->connected_ns = cc_clock_now_ns();
    int rc = uv_read_start((uv_stream_t *)&u->tcp, cc__on_alloc, cc__on_read);
    if (rc < 0) {
        cc__user_finish(u, CC_FAIL_CONNECT, rc, 0);
        return;
    }
    if (w->tls_context != NULL) {
        /* The handshake is part of connecting: the connect timeout keeps running through it. */
        cc_engine_t *e = w->engine;
        u->ssl = cc__tls_connection_new(w->tls_context, e->tls_name, e->tls_name_is_ip, e->options.tls.verify,
                                        e->options.tls.resume ? &u->tls_session : NULL);
        if (u->ssl == NULL) {
            cc__user_finish(u, CC_FAIL_TLS_HANDSHAKE, cc__tls_take_error(), 0);
            return;
        }
        u->io = CC__IO_HANDSHAKE;
        cc__tls_handshake(u);
        return;
    }
    cc__stop_connect_timer(u);
    cc__user_event(u, CC_EVENT_CONNECTED, 0, 1);
}

static void cc__user_connect(cc__user_t *u) {
    cc__worker_t *w = u->worker;
    if (u->tcp_state == CC__TCP_CLOSING) {
        u->connect_after_close = 1; /* libuv frees nothing before the close callback: wait for it */
        return;
    }
    cc__arm_timer(u, CC__TIMER_CONNECT, w->engine->options.connect_timeout_ns);
    /* With AF_UNSPEC uv_tcp_init creates no socket and cannot fail in practice; the socket is made
     * by uv_tcp_connect below. */
    int rc = uv_tcp_init(&w->loop, &u->tcp);
    if (rc < 0) {
        cc__user_finish(u, CC_FAIL_CONNECT, rc, 0);
        return;
    }
    u->tcp.data = u;
    u->tcp_state = CC__TCP_OPEN;
    cc__counter_add(&w->connections_opened, 1);
    u->req.connect.data = u;
    rc = uv_tcp_connect(&u->req.connect, &u->tcp, (const struct sockaddr *)&w->engine->address, cc__on_connect);
    if (rc < 0) {
        /* Typically EMFILE or EADDRNOTAVAIL. Failing here is safe from recursion: the failure closes
         * the handle, and the next connect waits for the close callback. */
        cc__user_finish(u, cc__transport_failure(rc, CC_FAIL_CONNECT), rc, 0);
        return;
    }
    uv_tcp_nodelay(&u->tcp, 1);
}

/* ---- timers --------------------------------------------------------------------------------------- */

static void cc__on_timer(uv_timer_t *timer) {
    cc__user_t *u = timer->data;
    cc__timer_t purpose = (cc__timer_t)u->timer_purpose;
    u->timer_purpose = CC__TIMER_NONE;
    switch (purpose) {
    case CC__TIMER_WAIT:
        cc__user_event(u, CC_EVENT_TIMER, 0, 0);
        break;
    case CC__TIMER_CONNECT:
        if (u->io == CC__IO_CONNECTING)
            cc__user_finish(u, CC_FAIL_CONNECT_TIMEOUT, UV_ETIMEDOUT, 0);
        else if (u->io == CC__IO_HANDSHAKE)
            cc__user_finish(u, CC_FAIL_TLS_HANDSHAKE, UV_ETIMEDOUT, 0);
        break;
    case CC__TIMER_REQUEST:
        if (u->io == CC__IO_REQUEST) cc__user_finish(u, CC_FAIL_TIMEOUT, UV_ETIMEDOUT, 0);
        break;
    case CC__TIMER_NONE:
        break;
    }
}

static void cc__arm_timer(cc__user_t *u, cc__timer_t purpose, uint64_t timeout_ns) {
    if (timeout_ns == 0) {
        if (u->timer_purpose != CC__TIMER_NONE) uv_timer_stop(&u->timer);
        u->timer_purpose = CC__TIMER_NONE;
        return;
    }
    u->timer_purpose = (uint8_t)purpose;
    /* libuv timers have millisecond resolution; round up so a timeout never fires early. */
    uint64_t ms = (timeout_ns + 999999ull) / 1000000ull;
    uv_timer_start(&u->timer, cc__on_timer, ms, 0);
}

/* ---- actions -------------------------------------------------------------------------------------- */

static void cc__start_request(cc__user_t *u, uint32_t request) {
    cc__worker_t *w = u->worker;
    u->request = request;
    u->start_ns = cc_clock_now_ns();
    u->connected_ns = 0;
    u->handshake_ns = 0;
    u->first_byte_ns = 0;
    u->bytes_received = 0;
    u->parser.status = 0;
    cc__counter_add(&w->requests_started, 1);
    cc__counter_add(&w->requests_in_flight, 1);
}

static void cc__user_apply(cc__user_t *u, const cc_user_action_t *action) {
    if (action->close_connection) cc__user_close_tcp(u);
    switch (action->kind) {
    case CC_ACTION_NONE:
        break;
    case CC_ACTION_CONNECT:
        if (action->request_started) cc__start_request(u, action->request);
        u->io = CC__IO_CONNECTING;
        cc__user_connect(u);
        break;
    case CC_ACTION_SEND:
        if (action->request_started) cc__start_request(u, action->request);
        u->request = action->request;
        cc__user_send(u);
        break;
    case CC_ACTION_WAIT:
        u->io = CC__IO_IDLE;
        u->timer_purpose = CC__TIMER_WAIT;
        /* Round down: the next request's intended start is exact, and firing late shows up in the
         * latency measured from the intended start. */
        uv_timer_start(&u->timer, cc__on_timer, action->wait_ns / 1000000ull, 0);
        break;
    case CC_ACTION_STOP:
        u->io = CC__IO_IDLE;
        if (u->timer_purpose != CC__TIMER_NONE) uv_timer_stop(&u->timer);
        u->timer_purpose = CC__TIMER_NONE;
        u->slot = CC__SLOT_RELEASING;
        cc__counter_add(&u->worker->users_active, -1);
        cc__user_close_tcp(u);
        if (u->tcp_state == CC__TCP_NONE) cc__user_release_slot(u);
        break;
    }
}

/* ---- spawning and stopping ------------------------------------------------------------------------ */

static void cc__user_release_slot(cc__user_t *u) {
    cc__worker_t *w = u->worker;
    u->slot = CC__SLOT_FREE;
    u->connect_after_close = 0;
    if (u->tls_session != NULL) {
        SSL_SESSION_free(u->tls_session); /* the next user of this slot starts afresh */
        u->tls_session = NULL;
    }
    w->free_slots[w->free_count++] = u->index;
}

static cc__user_t *cc__acquire_slot(cc__worker_t *w) {
    if (w->free_count > 0) return &w->users[w->free_slots[--w->free_count]];
    if (w->high_water >= w->capacity) return NULL;
    cc__user_t *u = &w->users[w->high_water];
    u->index = w->high_water++;
    u->worker = w;
    uv_timer_init(&w->loop, &u->timer);
    u->timer.data = u;
    u->timer_ready = 1;
    return u;
}

static void cc__start_user(cc__worker_t *w, uint32_t user_class) {
    cc__user_t *u = cc__acquire_slot(w);
    if (u == NULL) return; /* the control thread checks capacity; this is a last line of defence */
    u->slot = CC__SLOT_ACTIVE;
    u->io = CC__IO_IDLE;
    u->timer_purpose = CC__TIMER_NONE;
    uint64_t seed = w->engine->options.seed ^ ((uint64_t)w->index << 48) ^ w->spawn_serial++;
    cc_user_machine_init(&u->machine, user_class, seed);
    cc__counter_add(&w->users_active, 1);
    cc__user_event(u, CC_EVENT_START, 0, 0);
}

static void cc__on_spawn_timer(uv_timer_t *timer);

/* Starts at most one batch of the pending users, the classes interleaved, and comes back on the next
 * loop turn for the rest. */
static void cc__spawn_batch(cc__worker_t *w) {
    uint32_t started = 0, classes = w->plan->class_count;
    int more = 1;
    while (more && started < CC__SPAWN_BATCH) {
        more = 0;
        for (uint32_t c = 0; c < classes && started < CC__SPAWN_BATCH; c++) {
            if (w->spawn_pending[c] == 0) continue;
            w->spawn_pending[c]--;
            cc__start_user(w, c);
            started++;
            more |= w->spawn_pending[c] > 0;
        }
    }
    for (uint32_t c = 0; c < classes; c++) {
        if (w->spawn_pending[c] > 0) {
            uv_timer_start(&w->spawn_timer, cc__on_spawn_timer, 0, 0);
            return;
        }
    }
}

static void cc__on_spawn_timer(uv_timer_t *timer) {
    cc__worker_t *w = timer->data;
    if (!w->stopping) cc__spawn_batch(w);
}

static void cc__retire(cc__worker_t *w, uint32_t user_class, uint32_t count) {
    /* Users not started yet go first. */
    uint32_t unstarted = w->spawn_pending[user_class] < count ? w->spawn_pending[user_class] : count;
    w->spawn_pending[user_class] -= unstarted;
    count -= unstarted;
    /* Newest first: the slots at the top were spawned last (Locust also stops the newest users). */
    for (uint32_t i = w->high_water; i > 0 && count > 0; i--) {
        cc__user_t *u = &w->users[i - 1];
        if (u->slot != CC__SLOT_ACTIVE || u->machine.user_class != user_class || u->machine.retiring) continue;
        count--;
        cc__user_event(u, CC_EVENT_RETIRE, 0, 0);
    }
}

static void cc__stop_all(cc__worker_t *w) {
    w->stopping = 1;
    memset(w->spawn_pending, 0, w->plan->class_count * sizeof *w->spawn_pending);
    uv_timer_stop(&w->spawn_timer);
    for (uint32_t i = 0; i < w->high_water; i++) {
        cc__user_t *u = &w->users[i];
        if (u->slot == CC__SLOT_ACTIVE && !u->machine.retiring) cc__user_event(u, CC_EVENT_RETIRE, 0, 0);
    }
}

static void cc__cancel_all(cc__worker_t *w) {
    for (uint32_t i = 0; i < w->high_water; i++) {
        cc__user_t *u = &w->users[i];
        if (u->slot != CC__SLOT_ACTIVE) continue;
        if (u->io != CC__IO_IDLE) {
            /* The request was sent (or its connection was being opened): account for it as cancelled. */
            u->machine.retiring = 1;
            cc__user_finish(u, CC_FAIL_CANCELLED, 0, 0);
            if (u->slot != CC__SLOT_ACTIVE) continue;
        }
        cc__user_event(u, CC_EVENT_CANCEL, 0, 0);
    }
}

static void cc__close_walk(uv_handle_t *handle, void *arg) {
    (void)arg;
    if (!uv_is_closing(handle)) uv_close(handle, NULL);
}

static void cc__shutdown(cc__worker_t *w) {
    w->shutting_down = 1;
    cc__stop_all(w);
    cc__cancel_all(w);
    /* Every handle is inline in memory the engine frees after the thread ends, so closing them all
     * and letting uv_run return is enough. */
    uv_walk(&w->loop, cc__close_walk, NULL);
}

static int cc__command_pop(cc__command_ring_t *ring, cc__command_t *out) {
    size_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
    if (head == tail) return 0;
    *out = ring->slots[head & (CC__COMMAND_CAPACITY - 1)];
    atomic_store_explicit(&ring->head, head + 1, memory_order_release);
    return 1;
}

static void cc__on_wakeup(uv_async_t *async) {
    cc__worker_t *w = async->data;
    cc__command_t command;
    while (!w->shutting_down && cc__command_pop(&w->commands, &command)) {
        switch (command.kind) {
        case CC__CMD_SPAWN:
            if (!w->stopping) {
                w->spawn_pending[command.user_class] += command.count;
                cc__spawn_batch(w);
            }
            break;
        case CC__CMD_RETIRE:
            cc__retire(w, command.user_class, command.count);
            break;
        case CC__CMD_STOP:
            cc__stop_all(w);
            break;
        case CC__CMD_CANCEL:
            cc__cancel_all(w);
            break;
        case CC__CMD_SHUTDOWN:
            cc__shutdown(w);
            break;
        }
    }
}

/* Event-loop lag: how late a periodic timer fires. A loop that is late to its timers is late to its
 * sockets too, and then the generator, not the target, shapes the latency. */
static void cc__on_lag_timer(uv_timer_t *timer) {
    cc__worker_t *w = timer->data;
    uint64_t now = cc_clock_now_ns();
    uint64_t expected = w->lag_last_ns + (uint64_t)CC__LAG_PERIOD_MS * 1000000ull;
    uint64_t lag = now > expected ? now - expected : 0;
    w->lag_last_ns = now;
    uint64_t seen = atomic_load_explicit(&w->loop_lag_max_ns, memory_order_relaxed);
    while (lag > seen &&
           !atomic_compare_exchange_weak_explicit(&w->loop_lag_max_ns, &seen, lag, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

static void cc__worker_main(void *arg) {
    cc__worker_t *w = arg;
    char name[16];
    snprintf(name, sizeof name, "cc-worker-%u", w->index);
    pthread_setname_np(pthread_self(), name);
    w->lag_last_ns = cc_clock_now_ns();
    uv_timer_start(&w->lag_timer, cc__on_lag_timer, CC__LAG_PERIOD_MS, CC__LAG_PERIOD_MS);
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* ---- the control thread's API --------------------------------------------------------------------- */

static int cc__engine_fail(char *error, size_t error_size, int code, const char *format, ...) {
    if (error != NULL && error_size > 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(error, error_size, format, args);
        va_end(args);
    }
    return code;
}

static int cc__resolve(cc_engine_t *e, const char *name, char *error, size_t error_size) {
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    char port[8];
    snprintf(port, sizeof port, "%u", e->options.port);
    struct addrinfo *result = NULL;
    int rc = getaddrinfo(name, port, &hints, &result);
    if (rc != 0 || result == NULL)
        return cc__engine_fail(error, error_size, CC_ERESOLVE, "could not resolve '%s': %s", name,
                               gai_strerror(rc));
    memcpy(&e->address, result->ai_addr, result->ai_addrlen);
    char host[INET6_ADDRSTRLEN];
    if (result->ai_family == AF_INET6) {
        uv_ip6_name((const struct sockaddr_in6 *)result->ai_addr, host, sizeof host);
        snprintf(e->target_text, sizeof e->target_text, "[%s]:%u", host, e->options.port);
    } else {
        uv_ip4_name((const struct sockaddr_in *)result->ai_addr, host, sizeof host);
        snprintf(e->target_text, sizeof e->target_text, "%s:%u", host, e->options.port);
    }
    freeaddrinfo(result);
    return 0;
}

static void cc__worker_free(cc__worker_t *w) {
    for (uint32_t i = 0; w->users != NULL && i < w->high_water; i++) {
        if (w->users[i].ssl != NULL) SSL_free(w->users[i].ssl);
        if (w->users[i].tls_session != NULL) SSL_SESSION_free(w->users[i].tls_session);
        free(w->users[i].tls_pending);
    }
    if (w->tls_context != NULL) SSL_CTX_free(w->tls_context);
    free(w->tls_buffer);
    free(w->users);
    free(w->free_slots);
    free(w->spawn_pending);
    free(w->read_buffer);
    free(w->samples.slots);
}

static size_t cc__round_up_power_of_two(size_t n) {
    size_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

int cc_engine_create(const cc_plan_t *plan, const cc_engine_options_t *options, cc_engine_t **out, char *error,
                     size_t error_size) {
    if (out == NULL) return CC_EINVAL;
    *out = NULL;
    if (plan == NULL || options == NULL || options->host == NULL || options->host[0] == '\0')
        return cc__engine_fail(error, error_size, CC_EINVAL, "a plan and a target host are required");
    if (options->port == 0) return cc__engine_fail(error, error_size, CC_EINVAL, "the target port is 0");
    if (options->max_users == 0)
        return cc__engine_fail(error, error_size, CC_EINVAL, "max_users must be at least 1");

    cc_engine_t *e = calloc(1, sizeof *e);
    if (e == NULL) return CC_ENOMEM;
    e->plan = plan;
    e->options = *options;
    /* The caller's strings need not outlive this call. */
    e->options.host = NULL;
    e->options.tls.server_name = e->options.tls.ca_file = e->options.tls.cert_file = e->options.tls.key_file = NULL;
    int rc = cc__resolve(e, options->host, error, error_size);
    if (rc != 0) {
        free(e);
        return rc;
    }
    if (options->tls.enabled) {
        e->tls_name = strdup(options->tls.server_name ? options->tls.server_name : options->host);
        if (e->tls_name == NULL) {
            free(e);
            return CC_ENOMEM;
        }
        e->tls_name_is_ip = cc__tls_name_is_ip(e->tls_name);
    }
    uint32_t threads = options->threads;
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (uint32_t)cores : 1;
    }
    if (threads > 255) threads = 255; /* a sample names its worker in one byte */
    if (threads > options->max_users) threads = options->max_users;
    e->worker_count = threads;
    e->workers = calloc(threads, sizeof *e->workers);
    e->alive_by_worker_class = calloc((size_t)threads * plan->class_count, sizeof *e->alive_by_worker_class);
    if (e->workers == NULL || e->alive_by_worker_class == NULL) {
        free(e->workers);
        free(e->alive_by_worker_class);
        free(e);
        return CC_ENOMEM;
    }
    size_t ring_capacity = cc__round_up_power_of_two(options->ring_capacity ? options->ring_capacity : 65536);
    /* Users retired but still finishing a request hold their slots; leave room for a full turnover. The
     * array is calloc'ed, so slots never used cost address space, not memory. */
    uint32_t per_worker = (options->max_users + threads - 1) / threads;
    uint32_t capacity = per_worker * 2 + 16;
    for (uint32_t i = 0; i < threads; i++) {
        cc__worker_t *w = &e->workers[i];
        w->engine = e;
        w->plan = plan;
        w->index = i;
        w->capacity = capacity;
        w->users = calloc(capacity, sizeof *w->users);
        w->free_slots = calloc(capacity, sizeof *w->free_slots);
        w->spawn_pending = calloc(plan->class_count, sizeof *w->spawn_pending);
        w->read_buffer = malloc(CC__READ_BUFFER_SIZE);
        w->samples.slots = calloc(ring_capacity, sizeof(cc_sample_t));
        w->samples.mask = ring_capacity - 1;
        int failed = !w->users || !w->free_slots || !w->spawn_pending || !w->read_buffer || !w->samples.slots ? CC_ENOMEM : 0;
        if (!failed && options->tls.enabled) {
            w->tls_buffer = malloc(CC__TLS_BUFFER_SIZE);
            failed = w->tls_buffer == NULL ? CC_ENOMEM : cc__tls_context_new(&options->tls, &w->tls_context, error, error_size);
        }
        if (!failed && uv_loop_init(&w->loop) != 0) failed = CC_ESYSTEM;
        if (failed) {
            for (uint32_t j = 0; j <= i; j++) cc__worker_free(&e->workers[j]);
            for (uint32_t j = 0; j < i; j++) uv_loop_close(&e->workers[j].loop);
            free(e->workers);
            free(e->alive_by_worker_class);
            free(e->tls_name);
            free(e);
            return failed;
        }
        uv_async_init(&w->loop, &w->wakeup, cc__on_wakeup);
        w->wakeup.data = w;
        uv_timer_init(&w->loop, &w->lag_timer);
        w->lag_timer.data = w;
        uv_timer_init(&w->loop, &w->spawn_timer);
        w->spawn_timer.data = w;
    }
    *out = e;
    return 0;
}

int cc_engine_start(cc_engine_t *e) {
    if (e == NULL) return CC_EINVAL;
    if (e->started) return CC_ESTATE;
    e->started = 1;
    for (uint32_t i = 0; i < e->worker_count; i++) {
        if (uv_thread_create(&e->workers[i].thread, cc__worker_main, &e->workers[i]) != 0) return CC_ESYSTEM;
        e->workers[i].thread_started = 1;
    }
    return 0;
}

uint32_t cc_engine_worker_count(const cc_engine_t *e) { return e ? e->worker_count : 0; }

void cc_engine_describe_target(const cc_engine_t *e, char *buffer, size_t size) {
    if (buffer == NULL || size == 0) return;
    snprintf(buffer, size, "%s", e ? e->target_text : "");
}

static int cc__command_push(cc__worker_t *w, cc__command_t command) {
    cc__command_ring_t *ring = &w->commands;
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    if (tail - head >= CC__COMMAND_CAPACITY) return CC_EFULL;
    ring->slots[tail & (CC__COMMAND_CAPACITY - 1)] = command;
    atomic_store_explicit(&ring->tail, tail + 1, memory_order_release);
    uv_async_send(&w->wakeup);
    return 0;
}

int cc_engine_spawn(cc_engine_t *e, uint32_t user_class, uint32_t count) {
    if (e == NULL || user_class >= e->plan->class_count) return CC_EINVAL;
    if (!e->started || e->stopped) return CC_ESTATE;
    if (e->alive_total + count > e->options.max_users) return CC_EFULL;
    uint32_t classes = e->plan->class_count;
    /* Spread over the workers one user at a time, starting where the last spawn ended, so that any
     * sequence of spawns leaves the workers at most one user apart. */
    uint32_t share[256] = {0};
    for (uint32_t i = 0; i < count; i++) {
        share[e->next_worker]++;
        e->next_worker = (e->next_worker + 1) % e->worker_count;
    }
    for (uint32_t w = 0; w < e->worker_count; w++) {
        if (share[w] == 0) continue;
        cc__command_t command = {.kind = CC__CMD_SPAWN, .user_class = user_class, .count = share[w]};
        int rc = cc__command_push(&e->workers[w], command);
        if (rc != 0) return rc;
        e->alive_by_worker_class[w * classes + user_class] += share[w];
        e->alive_total += share[w];
    }
    return 0;
}

int cc_engine_retire(cc_engine_t *e, uint32_t user_class, uint32_t count) {
    if (e == NULL || user_class >= e->plan->class_count) return CC_EINVAL;
    if (!e->started || e->stopped) return CC_ESTATE;
    uint32_t classes = e->plan->class_count;
    while (count > 0) {
        /* Take from the worker with the most users of the class, keeping the workers balanced. */
        uint32_t best = UINT32_MAX, most = 0;
        for (uint32_t w = 0; w < e->worker_count; w++) {
            uint32_t alive = e->alive_by_worker_class[w * classes + user_class];
            if (alive > most) {
                most = alive;
                best = w;
            }
        }
        if (best == UINT32_MAX) break;
        cc__command_t command = {.kind = CC__CMD_RETIRE, .user_class = user_class, .count = 1};
        int rc = cc__command_push(&e->workers[best], command);
        if (rc != 0) return rc;
        e->alive_by_worker_class[best * classes + user_class]--;
        e->alive_total--;
        count--;
    }
    return 0;
}

static int cc__broadcast(cc_engine_t *e, cc__command_kind_t kind) {
    int result = 0;
    for (uint32_t w = 0; w < e->worker_count; w++) {
        cc__command_t command = {.kind = kind};
        int rc = cc__command_push(&e->workers[w], command);
        if (rc != 0) result = rc;
    }
    return result;
}

int cc_engine_stop(cc_engine_t *e) {
    if (e == NULL) return CC_EINVAL;
    if (!e->started) return CC_ESTATE;
    if (e->stopped) return 0;
    e->stopped = 1;
    return cc__broadcast(e, CC__CMD_STOP);
}

int cc_engine_cancel(cc_engine_t *e) {
    if (e == NULL) return CC_EINVAL;
    if (!e->stopped) return CC_ESTATE;
    return cc__broadcast(e, CC__CMD_CANCEL);
}

int cc_engine_join(cc_engine_t *e) {
    if (e == NULL) return CC_EINVAL;
    if (e->joined) return 0;
    if (e->started) {
        e->stopped = 1;
        for (uint32_t w = 0; w < e->worker_count; w++) {
            cc__command_t command = {.kind = CC__CMD_SHUTDOWN};
            /* The ring can only be full if the worker is wedged; keep trying rather than leak a thread. */
            while (cc__command_push(&e->workers[w], command) != 0) usleep(1000);
        }
        for (uint32_t w = 0; w < e->worker_count; w++)
            if (e->workers[w].thread_started) uv_thread_join(&e->workers[w].thread);
    } else {
        /* Never started: close the handles on this thread. */
        for (uint32_t w = 0; w < e->worker_count; w++) {
            uv_walk(&e->workers[w].loop, cc__close_walk, NULL);
            uv_run(&e->workers[w].loop, UV_RUN_DEFAULT);
        }
    }
    for (uint32_t w = 0; w < e->worker_count; w++) uv_loop_close(&e->workers[w].loop);
    e->joined = 1;
    return 0;
}

void cc_engine_destroy(cc_engine_t *e) {
    if (e == NULL) return;
    cc_engine_join(e);
    for (uint32_t w = 0; w < e->worker_count; w++) cc__worker_free(&e->workers[w]);
    free(e->workers);
    free(e->alive_by_worker_class);
    free(e->tls_name);
    free(e);
}

size_t cc_engine_drain(cc_engine_t *e, cc_sample_t *out, size_t capacity) {
    if (e == NULL || out == NULL) return 0;
    size_t copied = 0;
    for (uint32_t i = 0; i < e->worker_count && copied < capacity; i++) {
        cc__sample_ring_t *ring = &e->workers[i].samples;
        size_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
        size_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
        while (head != tail && copied < capacity) out[copied++] = ring->slots[head++ & ring->mask];
        atomic_store_explicit(&ring->head, head, memory_order_release);
    }
    return copied;
}

void cc_engine_counters(cc_engine_t *e, cc_engine_counters_t *out) {
    memset(out, 0, sizeof *out);
    if (e == NULL) return;
    for (uint32_t i = 0; i < e->worker_count; i++) {
        cc__worker_t *w = &e->workers[i];
        out->users_active += atomic_load_explicit(&w->users_active, memory_order_relaxed);
        out->connections_open += atomic_load_explicit(&w->connections_open, memory_order_relaxed);
        out->requests_started += atomic_load_explicit(&w->requests_started, memory_order_relaxed);
        out->requests_in_flight += atomic_load_explicit(&w->requests_in_flight, memory_order_relaxed);
        out->connections_opened += atomic_load_explicit(&w->connections_opened, memory_order_relaxed);
        out->tls_handshakes += atomic_load_explicit(&w->tls_handshakes, memory_order_relaxed);
        out->tls_resumed += atomic_load_explicit(&w->tls_resumed, memory_order_relaxed);
        out->samples_dropped += atomic_load_explicit(&w->samples_dropped, memory_order_relaxed);
        uint64_t lag = atomic_exchange_explicit(&w->loop_lag_max_ns, 0, memory_order_relaxed);
        if (lag > out->loop_lag_max_ns) out->loop_lag_max_ns = lag;
    }
}
