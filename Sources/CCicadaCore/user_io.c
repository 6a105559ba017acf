/* The users' I/O on a worker's loop: connections, TLS, requests, responses and timers, performing
 * what each lane's state machine decides.
 *
 * A user is one connection and one lane, or one lane per pipeline slot. Lanes send on the shared
 * connection in turn; `in_flight` remembers the order, and responses, which HTTP/1.1 returns in request
 * order (RFC 9112 9.3.2), go to the lane at its head. The engine, not the machine, decides when the
 * connection closes: when it failed, when the server said so, or when the last lane stopped.
 *
 * The per-request path (send, read, parse, sample) allocates nothing and takes no lock: requests are
 * bytes rendered once in the plan, every read lands in the worker's one receive buffer and is parsed
 * at once, and handles and write requests live inline in the user. Worker thread only. */
#include "worker.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

size_t cc__user_stride(uint32_t lanes) {
    size_t size = sizeof(cc__user_t) + (size_t)lanes * sizeof(cc__lane_t);
    size_t align = _Alignof(max_align_t);
    return (size + align - 1) / align * align;
}

static void cc__lane_apply(cc__lane_t *l, const cc_user_action_t *action);
static void cc__user_connect(cc__user_t *u, cc__lane_t *guard);
static void cc__user_release_slot(cc__user_t *u);
static int cc__tls_flush(cc__user_t *u);
static void cc__tls_handshake(cc__user_t *u);

static void cc__lane_event(cc__lane_t *l, cc_user_event_kind_t kind, int failed, int keep_alive) {
    /* The machine decides between CONNECT and SEND by `connected`: show it the shared connection. */
    l->machine.connected = l->user->conn == CC__CONN_OPEN;
    cc_user_event_t event = {.kind = kind, .now_ns = cc_clock_now_ns(), .failed = (uint8_t)failed,
                             .keep_alive = (uint8_t)keep_alive};
    cc_user_action_t action;
    cc_user_machine_handle(&l->machine, l->user->worker->plan, &event, &action);
    cc__lane_apply(l, &action);
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

/* ---- timers --------------------------------------------------------------------------------------- */

static void cc__on_lane_timer(uv_timer_t *timer);

static void cc__lane_arm_timer(cc__lane_t *l, cc__timer_t purpose, uint64_t timeout_ns) {
    if (timeout_ns == 0) {
        if (l->timer_purpose != CC__TIMER_NONE) uv_timer_stop(&l->timer);
        l->timer_purpose = CC__TIMER_NONE;
        return;
    }
    l->timer_purpose = (uint8_t)purpose;
    /* libuv timers have millisecond resolution; round up so a timeout never fires early. */
    uv_timer_start(&l->timer, cc__on_lane_timer, (timeout_ns + 999999ull) / 1000000ull, 0);
}

static void cc__lane_stop_timer(cc__lane_t *l, cc__timer_t purpose) {
    if (l->timer_purpose == purpose) {
        uv_timer_stop(&l->timer);
        l->timer_purpose = CC__TIMER_NONE;
    }
}

/* ---- requests ------------------------------------------------------------------------------------- */

static void cc__lane_start_request(cc__lane_t *l, uint32_t request) {
    cc__worker_t *w = l->user->worker;
    l->request = request;
    l->start_ns = cc_clock_now_ns();
    l->connected_ns = 0;
    l->handshake_ns = 0;
    l->first_byte_ns = 0;
    l->bytes_received = 0;
    cc__counter_add(&w->requests_started, 1);
    cc__counter_add(&w->requests_in_flight, 1);
}

/* Ends the lane's request: one sample, then its machine decides what follows. Every request that was
 * started passes through here exactly once. */
static void cc__lane_finish(cc__lane_t *l, cc_failure_t failure, int32_t detail, int keep_alive, uint16_t status) {
    cc__user_t *u = l->user;
    cc__worker_t *w = u->worker;
    cc__lane_stop_timer(l, CC__TIMER_CONNECT);
    cc__lane_stop_timer(l, CC__TIMER_REQUEST);
    cc_sample_t sample = {
        .intended_ns = l->machine.intended_ns < l->start_ns ? l->machine.intended_ns : l->start_ns,
        .start_ns = l->start_ns,
        .connected_ns = l->connected_ns,
        .handshake_ns = l->handshake_ns,
        .first_byte_ns = l->first_byte_ns,
        .end_ns = cc_clock_now_ns(),
        .bytes_received = l->bytes_received,
        .endpoint = w->plan->requests[l->request].endpoint,
        .detail = detail,
        .user = u->index,
        .status = status,
        .failure = (uint8_t)failure,
        .worker = (uint8_t)w->index,
        .flags = l->handshake_ns != 0 && l->tls_resumed ? CC_SAMPLE_TLS_RESUMED : 0,
    };
    cc__ring_push(w, &sample);
    cc__counter_add(&w->requests_in_flight, -1);
    l->io = CC__LANE_IDLE;
    l->unsent = 0;
    if ((failure == CC_FAIL_TLS_VERIFY || failure == CC_FAIL_TLS_HANDSHAKE) && u->tls_session != NULL) {
        SSL_SESSION_free(u->tls_session); /* a session from a failed handshake is not worth offering */
        u->tls_session = NULL;
    }
    cc__lane_event(l, CC_EVENT_REQUEST_DONE, failure != CC_FAIL_NONE, keep_alive);
}

/* ---- connections ---------------------------------------------------------------------------------- */

static void cc__on_tcp_close(uv_handle_t *handle) {
    cc__user_t *u = handle->data;
    u->conn = CC__CONN_NONE;
    u->writes_pending = 0;
    u->tls_write_pending = 0;
    if (u->slot == CC__SLOT_RELEASING) {
        cc__user_release_slot(u);
        return;
    }
    if (!u->connect_after_close || u->worker->shutting_down) return;
    u->connect_after_close = 0;
    for (uint32_t i = 0; i < u->lane_count; i++) {
        if (u->lanes[i].io == CC__LANE_CONNECTING) {
            cc__user_connect(u, &u->lanes[i]);
            return;
        }
    }
}

static void cc__user_close(cc__user_t *u) {
    if (u->conn == CC__CONN_NONE || u->conn == CC__CONN_CLOSING) return;
    if (u->tcp_connected) {
        u->tcp_connected = 0;
        cc__counter_add(&u->worker->connections_open, -1);
    }
    if (u->ssl != NULL) {
        cc__tls_connection_free(u->ssl);
        u->ssl = NULL;
    }
    u->in_flight_count = 0;
    u->conn = CC__CONN_CLOSING;
    uv_close((uv_handle_t *)&u->tcp, cc__on_tcp_close);
}

/* Takes every request on the connection, in flight first (in the order sent), then those waiting for
 * it, and forgets them; returns how many lanes it wrote to `lanes`. */
static uint32_t cc__user_take_requests(cc__user_t *u, uint8_t *lanes) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < u->in_flight_count; i++)
        lanes[n++] = u->in_flight[(u->in_flight_head + i) % CC_MAX_PIPELINE];
    for (uint32_t i = 0; i < u->lane_count; i++)
        if (u->lanes[i].io == CC__LANE_CONNECTING) lanes[n++] = (uint8_t)i;
    u->in_flight_count = 0;
    return n;
}

/* Ends the given requests with `failure`; the first gets `first_status` (the status line already read). */
static void cc__user_fail_taken(cc__user_t *u, const uint8_t *lanes, uint32_t n, cc_failure_t failure, int32_t detail,
                                uint16_t first_status) {
    for (uint32_t k = 0; k < n; k++) {
        cc__lane_t *l = &u->lanes[lanes[k]];
        if (l->io != CC__LANE_IDLE) cc__lane_finish(l, failure, detail, 0, k == 0 ? first_status : 0);
    }
}

/* The connection failed: close it, and every request on it ends with `failure`. */
static void cc__user_fail(cc__user_t *u, cc_failure_t failure, int32_t detail) {
    uint8_t lanes[2 * CC_MAX_PIPELINE];
    uint16_t status = u->in_flight_count > 0 ? u->parser.status : 0;
    uint32_t n = cc__user_take_requests(u, lanes);
    cc__user_close(u);
    cc__user_fail_taken(u, lanes, n, failure, detail, status);
}

/* The connection is open: every lane waiting for it sends its request. */
static void cc__user_connected(cc__user_t *u) {
    for (uint32_t i = 0; i < u->lane_count && u->conn == CC__CONN_OPEN; i++)
        if (u->lanes[i].io == CC__LANE_CONNECTING) cc__lane_event(&u->lanes[i], CC_EVENT_CONNECTED, 0, 1);
}

static void cc__on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    cc__user_t *u = handle->data;
    /* One buffer per worker is enough: a read is parsed before the loop reads from another socket. */
    buf->base = (char *)u->worker->read_buffer;
    buf->len = CC__READ_BUFFER_SIZE;
}

/* The head's response completed and the connection ends with it: the head succeeds (or fails by its
 * status), and the requests pipelined behind it, which will get no response, fail as closed. */
static void cc__user_last_response(cc__user_t *u) {
    cc__lane_t *head = &u->lanes[u->in_flight[u->in_flight_head]];
    uint16_t status = u->parser.status;
    u->in_flight_head = (uint8_t)((u->in_flight_head + 1) % CC_MAX_PIPELINE);
    u->in_flight_count--;
    uint8_t rest[2 * CC_MAX_PIPELINE];
    uint32_t n = cc__user_take_requests(u, rest);
    cc__user_close(u);
    cc__lane_finish(head, cc__status_failure(status), 0, 0, status);
    cc__user_fail_taken(u, rest, n, CC_FAIL_CLOSED, UV_EOF, 0);
}

/* Response bytes (plaintext) for the requests in flight, head first. */
static void cc__user_consume(cc__user_t *u, const uint8_t *data, size_t length) {
    const cc_plan_t *plan = u->worker->plan;
    while (length > 0 && u->conn == CC__CONN_OPEN) {
        if (u->in_flight_count == 0) {
            /* Bytes nobody asked for: the connection can no longer be trusted to frame responses. */
            cc__user_close(u);
            return;
        }
        cc__lane_t *head = &u->lanes[u->in_flight[u->in_flight_head]];
        if (head->first_byte_ns == 0) head->first_byte_ns = cc_clock_now_ns();
        long consumed = cc_response_parser_feed(&u->parser, data, length);
        if (consumed < 0) {
            head->bytes_received += length;
            cc__user_fail(u, CC_FAIL_MALFORMED, u->parser.error);
            return;
        }
        head->bytes_received += (uint64_t)consumed;
        if (!u->parser.complete) return;
        data += consumed;
        length -= (size_t)consumed;
        const cc__request_t *request = &plan->requests[head->request];
        uint16_t status = u->parser.status;
        /* Bytes after the last response in flight were not framed by any request: do not reuse. */
        int keep_alive = u->parser.keep_alive && !request->close_connection && !head->write_pending &&
                         !(length > 0 && u->in_flight_count == 1);
        if (!keep_alive) {
            cc__user_last_response(u);
            return;
        }
        u->in_flight_head = (uint8_t)((u->in_flight_head + 1) % CC_MAX_PIPELINE);
        u->in_flight_count--;
        if (u->in_flight_count > 0) {
            const cc__lane_t *next = &u->lanes[u->in_flight[u->in_flight_head]];
            cc_response_parser_reset(&u->parser, plan->requests[next->request].head);
        }
        /* The lane's next request, if it sends one at once, joins the tail of in_flight. */
        cc__lane_finish(head, cc__status_failure(status), 0, 1, status);
    }
}

/* The stream ended (UV_EOF, or close_notify under TLS) or failed with a libuv error. */
static void cc__user_on_stream_end(cc__user_t *u, int error) {
    if (u->conn == CC__CONN_HANDSHAKE) {
        cc__user_fail(u, CC_FAIL_TLS_HANDSHAKE, error == UV_EOF ? cc__tls_unexpected_eof() : error);
        return;
    }
    if (u->in_flight_count == 0) {
        cc__user_close(u); /* an idle connection went away: the next request reconnects */
        return;
    }
    if (error == UV_EOF && cc_response_parser_finish(&u->parser) == 1) {
        cc__user_last_response(u); /* the head's body was delimited by the close (RFC 9112 6.3 item 8) */
        return;
    }
    cc__user_fail(u, error == UV_EOF ? CC_FAIL_CLOSED : cc__transport_failure(error, CC_FAIL_READ), error);
}

/* Ciphertext arrived: hand it to OpenSSL, then either continue the handshake or decrypt into the
 * worker's receive buffer (free again, since OpenSSL copied the ciphertext) and parse. */
static void cc__tls_on_ciphertext(cc__user_t *u, const uint8_t *data, size_t length) {
    BIO_write(SSL_get_rbio(u->ssl), data, (int)length); /* a memory BIO takes everything */
    if (u->conn == CC__CONN_HANDSHAKE) {
        cc__tls_handshake(u);
        return;
    }
    uint8_t *plain = u->worker->read_buffer;
    while (u->ssl != NULL) {
        int n = SSL_read(u->ssl, plain, CC__READ_BUFFER_SIZE);
        if (n > 0) {
            cc__user_consume(u, plain, (size_t)n);
            continue;
        }
        int e = SSL_get_error(u->ssl, n);
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            ERR_clear_error();
            cc__user_on_stream_end(u, UV_EOF);
            return;
        }
        cc__user_fail(u, CC_FAIL_TLS, cc__tls_take_error());
        return;
    }
    if (u->ssl == NULL) return;
    /* Reading may have produced records to send (a key update's answer). */
    int rc = cc__tls_flush(u);
    if (rc < 0) cc__user_fail(u, cc__transport_failure(rc, CC_FAIL_WRITE), rc);
}

static void cc__user_uncork(cc__user_t *u);
static void cc__on_lane_write(uv_write_t *req, int status);

/* Queues what the socket did not take of a lane's request behind any earlier write, so that requests
 * stay in order on the wire. Returns 0, or a libuv error after failing the connection. */
static int cc__lane_write_rest(cc__lane_t *l, uv_buf_t rest) {
    cc__user_t *u = l->user;
    l->write.data = l;
    int rc = uv_write(&l->write, (uv_stream_t *)&u->tcp, &rest, 1, cc__on_lane_write);
    if (rc < 0) {
        cc__user_fail(u, cc__transport_failure(rc, CC_FAIL_WRITE), rc);
        return rc;
    }
    l->write_pending = 1;
    u->writes_pending++;
    return 0;
}

static void cc__on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    cc__user_t *u = stream->data;
    if (nread == 0 || u->conn == CC__CONN_CLOSING || u->conn == CC__CONN_NONE) return;
    if (nread < 0) {
        cc__user_on_stream_end(u, (int)nread);
        return;
    }
    /* One read can complete many pipelined responses; the requests that follow them leave together,
     * in one write, as wrk's pipelining does. */
    u->corked = 1;
    if (u->ssl != NULL)
        cc__tls_on_ciphertext(u, (const uint8_t *)buf->base, (size_t)nread);
    else
        cc__user_consume(u, (const uint8_t *)buf->base, (size_t)nread);
    cc__user_uncork(u);
}

/* Writes the requests gathered while corked: one uv_try_write for all of them, and uv_write, in order,
 * for whatever the socket did not take. */
static void cc__user_uncork(cc__user_t *u) {
    u->corked = 0;
    if (u->conn != CC__CONN_OPEN) return;
    if (u->ssl != NULL) {
        int rc = cc__tls_flush(u);
        if (rc < 0) cc__user_fail(u, cc__transport_failure(rc, CC_FAIL_WRITE), rc);
        return;
    }
    const cc_plan_t *plan = u->worker->plan;
    uv_buf_t bufs[CC_MAX_PIPELINE];
    cc__lane_t *lanes[CC_MAX_PIPELINE];
    uint32_t n = 0;
    for (uint32_t i = 0; i < u->in_flight_count; i++) {
        cc__lane_t *l = &u->lanes[u->in_flight[(u->in_flight_head + i) % CC_MAX_PIPELINE]];
        if (!l->unsent) continue;
        const cc__request_t *request = &plan->requests[l->request];
        lanes[n] = l;
        bufs[n++] = uv_buf_init((char *)(plan->arena + request->offset), request->length);
    }
    if (n == 0) return;
    int written = 0;
    if (u->writes_pending == 0) {
        written = uv_try_write((uv_stream_t *)&u->tcp, bufs, n);
        if (written < 0 && written != UV_EAGAIN) {
            cc__user_fail(u, cc__transport_failure(written, CC_FAIL_WRITE), written);
            return;
        }
        if (written < 0) written = 0;
    }
    size_t left = (size_t)written;
    for (uint32_t k = 0; k < n; k++) {
        cc__lane_t *l = lanes[k];
        l->unsent = 0;
        if (left >= bufs[k].len) {
            left -= bufs[k].len;
            continue;
        }
        uv_buf_t rest = uv_buf_init(bufs[k].base + left, (unsigned)(bufs[k].len - left));
        left = 0;
        if (cc__lane_write_rest(l, rest) < 0) return;
    }
}

static void cc__on_lane_write(uv_write_t *req, int status) {
    cc__lane_t *l = req->data;
    cc__user_t *u = l->user;
    l->write_pending = 0;
    if (u->writes_pending > 0) u->writes_pending--;
    if (status == 0 || status == UV_ECANCELED || u->conn != CC__CONN_OPEN) return;
    cc__user_fail(u, cc__transport_failure(status, CC_FAIL_WRITE), status);
}

static void cc__on_tls_write(uv_write_t *req, int status) {
    cc__user_t *u = req->data;
    u->tls_write_pending = 0;
    if (status == UV_ECANCELED || u->ssl == NULL) return;
    /* Records produced while this write was pending wait in the BIO: send them now. */
    if (status == 0) status = cc__tls_flush(u);
    if (status == 0) return;
    cc__user_fail(u, u->conn == CC__CONN_HANDSHAKE ? CC_FAIL_TLS_HANDSHAKE : cc__transport_failure(status, CC_FAIL_WRITE),
                  status);
}

/* Sends what OpenSSL wrote into the connection's outgoing memory BIO: at once with uv_try_write, the
 * rest (rarely any) with uv_write from the user's own buffer. Returns 0 or a libuv error. */
static int cc__tls_flush(cc__user_t *u) {
    if (u->tls_write_pending) return 0; /* the write callback flushes again */
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
        u->tls_write.data = u;
        int rc = uv_write(&u->tls_write, (uv_stream_t *)&u->tcp, &buf, 1, cc__on_tls_write);
        if (rc < 0) return rc;
        u->tls_write_pending = 1;
        return 0;
    }
    return 0;
}

static void cc__tls_handshake(cc__user_t *u) {
    int r = SSL_do_handshake(u->ssl);
    int rc = cc__tls_flush(u);
    if (rc < 0) {
        ERR_clear_error();
        cc__user_fail(u, CC_FAIL_TLS_HANDSHAKE, rc);
        return;
    }
    if (r == 1) {
        cc__worker_t *w = u->worker;
        cc__lane_t *guard = &u->lanes[u->connect_lane];
        int resumed = SSL_session_reused(u->ssl);
        cc__counter_add(&w->tls_handshakes, 1);
        if (resumed) cc__counter_add(&w->tls_resumed, 1);
        if (guard->io == CC__LANE_CONNECTING) {
            guard->handshake_ns = cc_clock_now_ns();
            guard->tls_resumed = (uint8_t)resumed;
        }
        cc__lane_stop_timer(guard, CC__TIMER_CONNECT);
        u->conn = CC__CONN_OPEN;
        cc__user_connected(u);
        return;
    }
    int e = SSL_get_error(u->ssl, r);
    if (e == SSL_ERROR_WANT_READ) return;
    long verify = SSL_get_verify_result(u->ssl);
    if (verify != X509_V_OK) {
        ERR_clear_error();
        cc__user_fail(u, CC_FAIL_TLS_VERIFY, (int32_t)verify);
        return;
    }
    int32_t detail = cc__tls_take_error();
    cc__user_fail(u, CC_FAIL_TLS_HANDSHAKE, detail != 0 ? detail : cc__tls_unexpected_eof());
}

static void cc__on_connect(uv_connect_t *req, int status) {
    cc__user_t *u = req->data;
    if (status == UV_ECANCELED || u->conn != CC__CONN_CONNECTING) return;
    if (status < 0) {
        cc__user_fail(u, cc__transport_failure(status, CC_FAIL_CONNECT), status);
        return;
    }
    cc__worker_t *w = u->worker;
    cc__lane_t *guard = &u->lanes[u->connect_lane];
    u->tcp_connected = 1;
    cc__counter_add(&w->connections_open, 1);
    if (guard->io == CC__LANE_CONNECTING) guard->connected_ns = cc_clock_now_ns();
    int rc = uv_read_start((uv_stream_t *)&u->tcp, cc__on_alloc, cc__on_read);
    if (rc < 0) {
        cc__user_fail(u, CC_FAIL_CONNECT, rc);
        return;
    }
    if (w->tls_context != NULL) {
        /* The handshake is part of connecting: the connect timeout keeps running through it. */
        cc_engine_t *e = w->engine;
        u->ssl = cc__tls_connection_new(w->tls_context, e->tls_name, e->tls_name_is_ip, e->options.tls.verify,
                                        e->options.tls.resume ? &u->tls_session : NULL);
        if (u->ssl == NULL) {
            cc__user_fail(u, CC_FAIL_TLS_HANDSHAKE, cc__tls_take_error());
            return;
        }
        u->conn = CC__CONN_HANDSHAKE;
        cc__tls_handshake(u);
        return;
    }
    cc__lane_stop_timer(guard, CC__TIMER_CONNECT);
    u->conn = CC__CONN_OPEN;
    cc__user_connected(u);
}

/* Opens the connection; `guard` is the lane whose timer enforces the connect timeout. */
static void cc__user_connect(cc__user_t *u, cc__lane_t *guard) {
    cc__worker_t *w = u->worker;
    u->connect_lane = guard->index;
    cc__lane_arm_timer(guard, CC__TIMER_CONNECT, w->engine->options.connect_timeout_ns);
    /* With AF_UNSPEC uv_tcp_init creates no socket and cannot fail in practice; the socket is made
     * by uv_tcp_connect below. */
    uv_tcp_init(&w->loop, &u->tcp);
    u->tcp.data = u;
    u->conn = CC__CONN_CONNECTING;
    u->in_flight_head = 0;
    u->in_flight_count = 0;
    cc__counter_add(&w->connections_opened, 1);
    u->connect.data = u;
    int rc = uv_tcp_connect(&u->connect, &u->tcp, (const struct sockaddr *)&w->engine->address, cc__on_connect);
    if (rc < 0) {
        /* Typically EMFILE or EADDRNOTAVAIL. Failing here cannot recurse: the failure closes the
         * handle, and a new connect waits for the close callback. */
        cc__user_fail(u, cc__transport_failure(rc, CC_FAIL_CONNECT), rc);
        return;
    }
    uv_tcp_nodelay(&u->tcp, 1);
}

/* A lane's request needs the connection. */
static void cc__lane_need_connection(cc__lane_t *l) {
    cc__user_t *u = l->user;
    switch ((cc__conn_t)u->conn) {
    case CC__CONN_NONE:
        cc__user_connect(u, l);
        break;
    case CC__CONN_CLOSING:
        u->connect_after_close = 1; /* libuv frees nothing before the close callback: wait for it */
        break;
    case CC__CONN_CONNECTING:
    case CC__CONN_HANDSHAKE:
        break; /* it opens for every waiting lane at once */
    case CC__CONN_OPEN:
        cc__lane_event(l, CC_EVENT_CONNECTED, 0, 1);
        break;
    }
}

static void cc__lane_send(cc__lane_t *l) {
    cc__user_t *u = l->user;
    cc__worker_t *w = u->worker;
    const cc__request_t *request = &w->plan->requests[l->request];
    l->io = CC__LANE_IN_FLIGHT;
    l->first_byte_ns = 0;
    l->bytes_received = 0;
    /* The parser works on the response at the head of in_flight; a request joining an empty queue is
     * the head. */
    if (u->in_flight_count == 0) cc_response_parser_reset(&u->parser, request->head);
    u->in_flight[(u->in_flight_head + u->in_flight_count) % CC_MAX_PIPELINE] = l->index;
    u->in_flight_count++;
    cc__lane_arm_timer(l, CC__TIMER_REQUEST, w->engine->options.request_timeout_ns);

    const uint8_t *bytes = w->plan->arena + request->offset;
    if (u->ssl != NULL) {
        /* Into the memory BIO, which takes it all, then out to the socket (after the read callback,
         * when corked, so that pipelined requests leave in one write). */
        if (SSL_write(u->ssl, bytes, (int)request->length) <= 0) {
            cc__user_fail(u, CC_FAIL_TLS, cc__tls_take_error());
            return;
        }
        int rc = u->corked ? 0 : cc__tls_flush(u);
        if (rc < 0) cc__user_fail(u, cc__transport_failure(rc, CC_FAIL_WRITE), rc);
        return;
    }
    if (u->corked) {
        l->unsent = 1;
        return;
    }
    uv_buf_t buf = uv_buf_init((char *)bytes, request->length);
    if (u->writes_pending == 0) {
        /* Write at once: uv_try_write is one send() and, unlike waiting for a writable event, costs no
         * epoll_ctl (DESIGN.md: the syscalls per request decide the CPU cost on loopback). */
        int written = uv_try_write((uv_stream_t *)&u->tcp, &buf, 1);
        if (written == (int)request->length) return;
        if (written < 0 && written != UV_EAGAIN) {
            cc__user_fail(u, cc__transport_failure(written, CC_FAIL_WRITE), written);
            return;
        }
        if (written > 0) {
            buf.base += written;
            buf.len -= (size_t)written;
        }
    }
    cc__lane_write_rest(l, buf);
}

static void cc__on_lane_timer(uv_timer_t *timer) {
    cc__lane_t *l = timer->data;
    cc__user_t *u = l->user;
    cc__timer_t purpose = (cc__timer_t)l->timer_purpose;
    l->timer_purpose = CC__TIMER_NONE;
    switch (purpose) {
    case CC__TIMER_WAIT:
        cc__lane_event(l, CC_EVENT_TIMER, 0, 0);
        break;
    case CC__TIMER_CONNECT:
        if (u->conn == CC__CONN_CONNECTING)
            cc__user_fail(u, CC_FAIL_CONNECT_TIMEOUT, UV_ETIMEDOUT);
        else if (u->conn == CC__CONN_HANDSHAKE)
            cc__user_fail(u, CC_FAIL_TLS_HANDSHAKE, UV_ETIMEDOUT);
        break;
    case CC__TIMER_REQUEST:
        /* Responses come in order: a stalled one holds up every request behind it on the connection. */
        if (l->io == CC__LANE_IN_FLIGHT) cc__user_fail(u, CC_FAIL_TIMEOUT, UV_ETIMEDOUT);
        break;
    case CC__TIMER_NONE:
        break;
    }
}

/* ---- actions -------------------------------------------------------------------------------------- */

static void cc__lane_stopped(cc__lane_t *l) {
    cc__user_t *u = l->user;
    l->io = CC__LANE_IDLE;
    if (l->timer_purpose != CC__TIMER_NONE) uv_timer_stop(&l->timer);
    l->timer_purpose = CC__TIMER_NONE;
    if (l->stopped) return;
    l->stopped = 1;
    if (--u->lanes_active > 0) return;
    /* The user's last lane: the user is done, and so is its connection. */
    cc__counter_add(&u->worker->users_active, -1);
    u->slot = CC__SLOT_RELEASING;
    cc__user_close(u);
    if (u->conn == CC__CONN_NONE) cc__user_release_slot(u);
}

static void cc__lane_apply(cc__lane_t *l, const cc_user_action_t *action) {
    /* action->close_connection is the machine's view of one lane; the engine closes the shared
     * connection itself (failure, the server's wish, the last lane stopping). */
    switch (action->kind) {
    case CC_ACTION_NONE:
        break;
    case CC_ACTION_CONNECT:
        if (action->request_started) cc__lane_start_request(l, action->request);
        l->io = CC__LANE_CONNECTING;
        cc__lane_need_connection(l);
        break;
    case CC_ACTION_SEND:
        if (action->request_started) cc__lane_start_request(l, action->request);
        l->request = action->request;
        cc__lane_send(l);
        break;
    case CC_ACTION_WAIT:
        l->io = CC__LANE_IDLE;
        l->timer_purpose = CC__TIMER_WAIT;
        /* Round down: the next request's intended start is exact, and firing late shows up in the
         * latency measured from the intended start. */
        uv_timer_start(&l->timer, cc__on_lane_timer, action->wait_ns / 1000000ull, 0);
        break;
    case CC_ACTION_STOP:
        cc__lane_stopped(l);
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
    if (w->free_count > 0) return cc__user_at(w, w->free_slots[--w->free_count]);
    if (w->high_water >= w->capacity) return NULL;
    cc__user_t *u = cc__user_at(w, w->high_water);
    u->index = w->high_water++;
    u->worker = w;
    u->lane_count = (uint8_t)w->lane_count;
    for (uint32_t i = 0; i < u->lane_count; i++) {
        cc__lane_t *l = &u->lanes[i];
        l->user = u;
        l->index = (uint8_t)i;
        uv_timer_init(&w->loop, &l->timer);
        l->timer.data = l;
    }
    return u;
}

static void cc__start_user(cc__worker_t *w, uint32_t user_class) {
    cc__user_t *u = cc__acquire_slot(w);
    if (u == NULL) return; /* the control thread checks capacity; this is a last line of defence */
    u->slot = CC__SLOT_ACTIVE;
    u->conn = CC__CONN_NONE;
    u->in_flight_head = 0;
    u->in_flight_count = 0;
    u->writes_pending = 0;
    u->lanes_active = u->lane_count;
    cc__counter_add(&w->users_active, 1);
    uint64_t serial = w->spawn_serial++;
    for (uint32_t i = 0; i < u->lane_count; i++) {
        cc__lane_t *l = &u->lanes[i];
        l->io = CC__LANE_IDLE;
        l->timer_purpose = CC__TIMER_NONE;
        l->write_pending = 0;
        l->stopped = 0;
        uint64_t seed = w->engine->options.seed ^ ((uint64_t)w->index << 48) ^ (serial << 6) ^ i;
        cc_user_machine_init(&l->machine, user_class, seed);
    }
    for (uint32_t i = 0; i < u->lane_count && u->slot == CC__SLOT_ACTIVE; i++)
        cc__lane_event(&u->lanes[i], CC_EVENT_START, 0, 0);
}

static void cc__on_spawn_timer(uv_timer_t *timer) {
    cc__worker_t *w = timer->data;
    if (!w->stopping) cc__worker_spawn_batch(w);
}

/* Starts at most one batch of the pending users, the classes interleaved, and comes back on the next
 * loop turn for the rest. A batch also ends after CC__SPAWN_SLICE_NS: with many ports in TIME-WAIT a
 * connect() can take a millisecond, and the users already running must not wait on the spawn. */
void cc__worker_spawn_batch(cc__worker_t *w) {
    uint32_t started = 0, classes = w->plan->class_count;
    uint64_t deadline = cc_clock_now_ns() + CC__SPAWN_SLICE_NS;
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
        if (cc_clock_now_ns() > deadline) break;
    }
    for (uint32_t c = 0; c < classes; c++) {
        if (w->spawn_pending[c] > 0) {
            uv_timer_start(&w->spawn_timer, cc__on_spawn_timer, 0, 0);
            return;
        }
    }
}

static void cc__user_retire(cc__user_t *u) {
    for (uint32_t i = 0; i < u->lane_count && u->slot == CC__SLOT_ACTIVE; i++)
        if (!u->lanes[i].stopped && !u->lanes[i].machine.retiring) cc__lane_event(&u->lanes[i], CC_EVENT_RETIRE, 0, 0);
}

void cc__worker_retire(cc__worker_t *w, uint32_t user_class, uint32_t count) {
    /* Users not started yet go first. */
    uint32_t unstarted = w->spawn_pending[user_class] < count ? w->spawn_pending[user_class] : count;
    w->spawn_pending[user_class] -= unstarted;
    count -= unstarted;
    /* Newest first: the slots at the top were spawned last (Locust also stops the newest users). */
    for (uint32_t i = w->high_water; i > 0 && count > 0; i--) {
        cc__user_t *u = cc__user_at(w, i - 1);
        if (u->slot != CC__SLOT_ACTIVE || u->lanes[0].machine.user_class != user_class || u->lanes[0].machine.retiring)
            continue;
        count--;
        cc__user_retire(u);
    }
}

void cc__worker_stop_all(cc__worker_t *w) {
    w->stopping = 1;
    memset(w->spawn_pending, 0, w->plan->class_count * sizeof *w->spawn_pending);
    uv_timer_stop(&w->spawn_timer);
    for (uint32_t i = 0; i < w->high_water; i++) {
        cc__user_t *u = cc__user_at(w, i);
        if (u->slot == CC__SLOT_ACTIVE) cc__user_retire(u);
    }
}

void cc__worker_cancel_all(cc__worker_t *w) {
    for (uint32_t i = 0; i < w->high_water; i++) {
        cc__user_t *u = cc__user_at(w, i);
        if (u->slot != CC__SLOT_ACTIVE) continue;
        /* Requests sent (or waiting for their connection) are accounted for as cancelled. */
        uint8_t lanes[2 * CC_MAX_PIPELINE];
        uint32_t n = cc__user_take_requests(u, lanes);
        for (uint32_t k = 0; k < n; k++) u->lanes[lanes[k]].machine.retiring = 1;
        cc__user_close(u);
        cc__user_fail_taken(u, lanes, n, CC_FAIL_CANCELLED, 0, 0);
        for (uint32_t k = 0; k < u->lane_count && u->slot == CC__SLOT_ACTIVE; k++)
            if (!u->lanes[k].stopped) cc__lane_event(&u->lanes[k], CC_EVENT_CANCEL, 0, 0);
    }
}

void cc__worker_free_users(cc__worker_t *w) {
    for (uint32_t i = 0; w->users != NULL && i < w->high_water; i++) {
        cc__user_t *u = cc__user_at(w, i);
        if (u->ssl != NULL) SSL_free(u->ssl);
        if (u->tls_session != NULL) SSL_SESSION_free(u->tls_session);
        free(u->tls_pending);
    }
}
