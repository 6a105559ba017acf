/* A lane: one sequence of a user's tasks. It performs what its user machine decides (send a request,
 * wait, stop), keeps the request's timings, arms its timers, and turns every request that ended into
 * one sample. Worker thread only.
 *
 * The per-request path here allocates nothing and takes no lock: the sample is a fixed-size record
 * pushed into the worker's single-producer ring. */
#include "transport.h"

#include <openssl/ssl.h>

_Static_assert(sizeof(cc_sample_t) == 104, "cicada_core.h and docs/ARCHITECTURE.md say 104 bytes");

static void cc__lane_apply(cc__lane_t *l, const cc_user_action_t *action);
static void cc__on_lane_timer(uv_timer_t *timer);

void cc__lane_init(cc__lane_t *l, cc__user_t *u, uint32_t index) {
    l->user = u;
    l->index = (uint8_t)index;
    uv_timer_init(&u->worker->loop, &l->timer);
    l->timer.data = l;
}

void cc__lane_event(cc__lane_t *l, cc_user_event_kind_t kind, int failed) {
    cc_user_event_t event = {.kind = kind, .now_ns = cc_clock_now_ns(), .failed = (uint8_t)failed};
    cc_user_action_t action;
    uint16_t ignored = l->machine.ignored_events;
    cc_user_machine_handle(&l->machine, l->user->worker->plan, &event, &action);
    if (l->machine.ignored_events != ignored) cc__counter_add(&l->user->worker->events_ignored, 1);
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

/* 2xx and 3xx succeed; an HTTP error status is a failure of the request, not of the connection. */
static cc_failure_t cc__status_failure(uint16_t status) {
    if (status >= 500) return CC_FAIL_HTTP_5XX;
    if (status >= 400) return CC_FAIL_HTTP_4XX;
    return CC_FAIL_NONE;
}

/* ---- timers --------------------------------------------------------------------------------------- */

void cc__lane_arm_timer(cc__lane_t *l, cc__timer_t purpose, uint64_t timeout_ns) {
    if (timeout_ns == 0) {
        if (l->timer_purpose != CC__TIMER_NONE) uv_timer_stop(&l->timer);
        l->timer_purpose = CC__TIMER_NONE;
        return;
    }
    l->timer_purpose = (uint8_t)purpose;
    /* libuv timers have millisecond resolution; round up so a timeout never fires early. */
    uv_timer_start(&l->timer, cc__on_lane_timer, (timeout_ns + 999999ull) / 1000000ull, 0);
}

void cc__lane_stop_timer(cc__lane_t *l, cc__timer_t purpose) {
    if (l->timer_purpose == purpose) {
        uv_timer_stop(&l->timer);
        l->timer_purpose = CC__TIMER_NONE;
    }
}

static void cc__on_lane_timer(uv_timer_t *timer) {
    cc__lane_t *l = timer->data;
    cc__user_t *u = l->user;
    cc__timer_t purpose = (cc__timer_t)l->timer_purpose;
    l->timer_purpose = CC__TIMER_NONE;
    switch (purpose) {
    case CC__TIMER_WAIT:
        cc__lane_event(l, CC_EVENT_TIMER, 0);
        break;
    case CC__TIMER_CONNECT:
        /* The connect timeout covers the TLS handshake too: past the TCP connect, it is the handshake
         * that did not finish in time. */
        if (u->connection.state == CC_CONNECTION_CONNECTING)
            cc__connection_fail(u, u->tcp_connected ? CC_FAIL_TLS_HANDSHAKE : CC_FAIL_CONNECT_TIMEOUT, UV_ETIMEDOUT);
        break;
    case CC__TIMER_REQUEST:
        /* Responses come in order: a stalled one holds up every request behind it on the connection. */
        if (l->busy) cc__connection_fail(u, CC_FAIL_TIMEOUT, UV_ETIMEDOUT);
        break;
    case CC__TIMER_NONE:
        break;
    }
}

/* ---- requests ------------------------------------------------------------------------------------- */

static void cc__lane_start_request(cc__lane_t *l, uint32_t request) {
    cc__worker_t *w = l->user->worker;
    l->request = request;
    l->busy = 1;
    l->start_ns = cc_clock_now_ns();
    l->connected_ns = 0;
    l->handshake_ns = 0;
    l->first_byte_ns = 0;
    l->bytes_received = 0;
    l->write_pending = 0;
    l->tls_resumed = 0;
    cc__counter_add(&w->requests_started, 1);
    cc__counter_add(&w->requests_in_flight, 1);
    cc__connection_send(l->user, l);
}

void cc__lane_request_written(cc__lane_t *l) {
    l->first_byte_ns = 0;
    l->bytes_received = 0;
    cc__lane_arm_timer(l, CC__TIMER_REQUEST, l->user->worker->engine->options.request_timeout_ns);
}

/* Ends the lane's request: one sample, then its machine decides what follows. Every request that was
 * started passes through here exactly once. */
void cc__lane_finish(cc__lane_t *l, cc_failure_t failure, int32_t detail, uint16_t status) {
    cc__user_t *u = l->user;
    cc__worker_t *w = u->worker;
    if (!l->busy) {
        cc__counter_add(&w->events_ignored, 1); /* the connection ended a request this lane did not have */
        return;
    }
    cc__lane_stop_timer(l, CC__TIMER_CONNECT);
    cc__lane_stop_timer(l, CC__TIMER_REQUEST);
    if (failure == CC_FAIL_NONE) failure = cc__status_failure(status);
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
    l->busy = 0;
    if ((failure == CC_FAIL_TLS_VERIFY || failure == CC_FAIL_TLS_HANDSHAKE) && u->tls.session != NULL) {
        SSL_SESSION_free(u->tls.session); /* a session from a failed handshake is not worth offering */
        u->tls.session = NULL;
    }
    cc__lane_event(l, CC_EVENT_REQUEST_DONE, failure != CC_FAIL_NONE);
}

/* ---- actions -------------------------------------------------------------------------------------- */

static void cc__lane_stopped(cc__lane_t *l) {
    cc__user_t *u = l->user;
    if (l->timer_purpose != CC__TIMER_NONE) uv_timer_stop(&l->timer);
    l->timer_purpose = CC__TIMER_NONE;
    if (l->stopped) return;
    l->stopped = 1;
    if (--u->lanes_active == 0) cc__user_done(u);
}

static void cc__lane_apply(cc__lane_t *l, const cc_user_action_t *action) {
    switch (action->kind) {
    case CC_ACTION_NONE:
        break;
    case CC_ACTION_SEND:
        cc__lane_start_request(l, action->request);
        break;
    case CC_ACTION_WAIT:
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
