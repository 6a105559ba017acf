/* A lane: one sequence of a user's tasks. It performs what its user machine decides (send a request,
 * wait, stop), keeps the request's timings, arms its timers, and turns every request that ended into
 * one sample. Worker thread only.
 *
 * The per-request path here allocates nothing and takes no lock: the sample is a fixed-size record
 * pushed into the worker's single-producer ring. */
#include "transport.h"

#include <openssl/ssl.h>
#include <string.h>
#include <time.h>

_Static_assert(sizeof(cc_sample_t) == 104, "cicada_core.h and docs/ARCHITECTURE.md say 104 bytes");

static void cc__lane_apply(cc__lane_t *l, const cc_user_action_t *action);
static void cc__on_lane_timer(uv_timer_t *timer);

void cc__lane_init(cc__lane_t *l, cc__user_t *u, uint32_t index) {
    l->user = u;
    l->index = (uint8_t)index;
    uv_timer_init(&u->worker->loop, &l->timer);
    l->timer.data = l;
}

static int cc__lane_variable_is_set(const void *variables, uint32_t variable) {
    const cc__lane_t *l = variables;
    return l->extra != NULL && l->user->worker->plan->variable_count > 0 &&
           cc__store_is_set(&l->extra->store, l->user->worker->plan, variable);
}

/* Hands the machine one event and performs the action it returns. */
static void cc__lane_deliver(cc__lane_t *l, cc_user_event_t *event) {
    cc_user_action_t action;
    uint16_t ignored = l->machine.ignored_events;
    cc_user_machine_handle(&l->machine, l->user->worker->plan, event, &action);
    if (l->machine.ignored_events != ignored) cc__counter_add(&l->user->worker->events_ignored, 1);
    cc__lane_apply(l, &action);
}

void cc__lane_iteration(cc__lane_t *l, uint64_t due_ns) {
    cc_user_event_t event = {.kind = CC_EVENT_ITERATION,
                             .now_ns = cc_clock_now_ns(),
                             .intended_ns = due_ns,
                             .variable_is_set = cc__lane_variable_is_set,
                             .variables = l};
    cc__lane_deliver(l, &event);
}

void cc__lane_event(cc__lane_t *l, cc_user_event_kind_t kind, unsigned flags) {
    cc_user_event_t event = {.kind = kind,
                             .open = l->user->worker->arrivals != NULL,
                             .now_ns = cc_clock_now_ns(),
                             .failed = (flags & CC__LANE_FAILED) != 0,
                             .until_met = (flags & CC__LANE_UNTIL_MET) != 0,
                             .now = (flags & CC__LANE_NOW) != 0,
                             .variable_is_set = cc__lane_variable_is_set,
                             .variables = l};
    cc__lane_deliver(l, &event);
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
    case CC__TIMER_FAIL:
        if (l->busy && l->extra != NULL) cc__lane_finish(l, (cc_failure_t)l->extra->fail_kind, (int32_t)l->extra->fail_detail, 0);
        break;
    case CC__TIMER_NONE:
        break;
    }
}

/* ---- requests ------------------------------------------------------------------------------------- */

/* The target of the rendered request (between the method and " HTTP/1.1"), for cookies. */
static void cc__find_path(const uint8_t *bytes, size_t length, const uint8_t **path, uint32_t *path_length) {
    const uint8_t *space = memchr(bytes, ' ', length);
    *path = NULL;
    *path_length = 0;
    if (space == NULL) return;
    const uint8_t *start = space + 1, *end = memchr(start, ' ', length - (size_t)(start - bytes));
    if (end == NULL) return;
    *path = start;
    *path_length = (uint32_t)(end - start);
}

/* Renders a templated request (or a static one with cookies to send) into the lane's buffer. Returns
 * 0, or the failure with its detail when it cannot be rendered. */
static int cc__lane_render(cc__lane_t *l, uint32_t request, uint32_t *detail, uint8_t *failure) {
    cc__user_t *u = l->user;
    cc__worker_t *w = u->worker;
    const cc_plan_t *plan = w->plan;
    const cc__request_t *r = &plan->requests[request];
    cc__lane_extra_t *x = l->extra;
    cc__user_extra_t *ux = u->extra;
    x->use_rendered = 0;
    const cc__user_class_t *uc = &plan->classes[l->machine.user_class];
    cc_cookie_jar_t *jar = NULL;
    if (uc->cookies && ux != NULL && ux->inspection != NULL && ux->inspection->jar_ready && ux->inspection->jar.count > 0)
        jar = &ux->inspection->jar;
    if (!r->dynamic && jar == NULL) {
        if (plan->cookies) cc__find_path(plan->arena + r->offset, r->length, &x->path, &x->path_length);
        return 0;
    }
    if (ux != NULL && ux->no_row) {
        *failure = CC_FAIL_DATA;
        *detail = (uint32_t)uc->data_table;
        return -1;
    }
    struct timespec now;
    if (jar != NULL) clock_gettime(CLOCK_REALTIME, &now);
    cc__render_context_t context = {
        .plan = plan,
        .store = plan->variable_count > 0 ? &x->store : NULL,
        .user_id = ux != NULL ? ux->user_id : u->index,
        .user_index = ux != NULL ? ux->user_index : 0,
        .iteration = l->machine.iteration,
        .random = &x->random,
        .table = ux != NULL && ux->has_row ? &plan->data_tables[uc->data_table] : NULL,
        .row = ux != NULL ? ux->row : 0,
        .jar = jar,
        .now_s = jar != NULL ? (int64_t)now.tv_sec : 0,
        .secure = w->engine->options.tls.enabled,
    };
    uint32_t variable = CC__UNSET;
    if (r->hook != NULL && cc__lane_run_hook(l, r) != 0) {
        *failure = CC_FAIL_TEMPLATE;
        *detail = CC__UNSET;
        x->fail_detail = CC__RENDER_HOOK;
        return -1;
    }
    int problem = cc__render_request(&context, request, x->render, x->render_capacity, &x->rendered, &variable);
    if (problem != 0) {
        *failure = problem == CC__RENDER_NO_DATA ? CC_FAIL_DATA : CC_FAIL_TEMPLATE;
        *detail = variable;
        x->fail_detail = (uint32_t)problem; /* the evidence, in cc__lane_finish */
        return -1;
    }
    x->use_rendered = 1;
    cc__find_path(x->rendered.base[0], x->rendered.length[0], &x->path, &x->path_length);
    return 0;
}

uint32_t cc__lane_request_runs(const cc__lane_t *l, uv_buf_t *runs) {
    if (l->extra != NULL && l->extra->use_rendered) {
        const cc__rendered_t *r = &l->extra->rendered;
        for (uint32_t i = 0; i < r->count; i++) runs[i] = uv_buf_init((char *)r->base[i], r->length[i]);
        return r->count;
    }
    const cc_plan_t *plan = l->user->worker->plan;
    const cc__request_t *request = &plan->requests[l->request];
    runs[0] = uv_buf_init((char *)(plan->arena + request->offset), request->length);
    return 1;
}

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
    if (l->extra != NULL) {
        uint32_t detail = 0;
        uint8_t failure = CC_FAIL_NONE;
        if (cc__lane_render(l, request, &detail, &failure) != 0) {
            /* Fails without touching the connection, on the next loop turn: a user whose every request
             * fails this way must not recurse through its tasks. */
            l->extra->fail_kind = failure;
            uint32_t problem = l->extra->fail_detail;
            l->extra->fail_detail = detail;
            l->extra->fail_problem = (uint8_t)problem;
            l->timer_purpose = CC__TIMER_FAIL;
            uv_timer_start(&l->timer, cc__on_lane_timer, 0, 0);
            return;
        }
    }
    cc__connection_send(l->user, l);
}

void cc__lane_request_written(cc__lane_t *l) {
    l->first_byte_ns = 0;
    l->bytes_received = 0;
    cc__lane_arm_timer(l, CC__TIMER_REQUEST, l->user->worker->engine->options.request_timeout_ns);
}

/* Copies evidence into the sample, marking it cut when it was. */
static void cc__evidence(cc_sample_t *sample, const char *text, size_t length, int cut) {
    if (length > CC_SAMPLE_EVIDENCE) {
        length = CC_SAMPLE_EVIDENCE;
        cut = 1;
    }
    memcpy(sample->evidence, text, length);
    sample->evidence_length = (uint8_t)length;
    if (cut) sample->flags |= CC_SAMPLE_EVIDENCE_CUT;
}

/* Ends the lane's request: one sample, then its machine decides what follows. Every request that was
 * started passes through here exactly once. */
void cc__lane_finish(cc__lane_t *l, cc_failure_t failure, int32_t detail, uint16_t status) {
    cc__user_t *u = l->user;
    cc__worker_t *w = u->worker;
    const cc_plan_t *plan = w->plan;
    if (!l->busy) {
        cc__counter_add(&w->events_ignored, 1); /* the connection ended a request this lane did not have */
        return;
    }
    cc__lane_stop_timer(l, CC__TIMER_CONNECT);
    cc__lane_stop_timer(l, CC__TIMER_REQUEST);
    const cc__request_t *request = &plan->requests[l->request];
    /* What the response's checks and captures said, when it arrived and they looked at it. */
    const cc__verdict_t *verdict = NULL;
    if (u->extra != NULL && u->extra->inspection != NULL && u->extra->inspection->verdict.valid &&
        u->extra->inspection->verdict.lane == l->index) {
        verdict = &u->extra->inspection->verdict;
        u->extra->inspection->verdict.valid = 0;
    }
    unsigned flags = 0;
    if (failure == CC_FAIL_NONE && !request->has_status_check) failure = cc__status_failure(status);
    const char *evidence = NULL;
    size_t evidence_length = 0;
    int evidence_cut = 0;
    if (failure == CC_FAIL_NONE && verdict != NULL) {
        if (verdict->failure != CC_FAIL_NONE) {
            failure = (cc_failure_t)verdict->failure;
            detail = verdict->detail;
            evidence = verdict->evidence;
            evidence_length = verdict->evidence_length;
            evidence_cut = verdict->evidence_cut;
        } else if (!verdict->until_met && cc_user_machine_last_attempt(&l->machine, plan)) {
            /* The repeat ran out of attempts: its condition's failure is the request's. */
            failure = (cc_failure_t)verdict->until_failure;
            detail = verdict->until_detail;
            evidence = verdict->until_evidence;
            evidence_length = verdict->until_evidence_length;
        } else if (verdict->until_met) {
            flags |= CC__LANE_UNTIL_MET;
        }
    } else if (failure == CC_FAIL_NONE) {
        flags |= CC__LANE_UNTIL_MET; /* nothing was inspected: no condition to wait for */
    }
    if (failure == CC_FAIL_TEMPLATE && l->extra != NULL) {
        if (l->extra->fail_problem == CC__RENDER_HOOK && l->extra->reason_length > 0) {
            evidence = l->extra->reason;
            evidence_length = l->extra->reason_length;
        } else {
            evidence = cc__render_problem_text(l->extra->fail_problem);
            evidence_length = strlen(evidence);
        }
    }
    cc_sample_t sample = {
        .intended_ns = l->machine.intended_ns < l->start_ns ? l->machine.intended_ns : l->start_ns,
        .start_ns = l->start_ns,
        .connected_ns = l->connected_ns,
        .handshake_ns = l->handshake_ns,
        .first_byte_ns = l->first_byte_ns,
        .end_ns = cc_clock_now_ns(),
        .bytes_received = l->bytes_received,
        .endpoint = request->endpoint,
        .detail = detail,
        .user = u->index,
        .status = status,
        .failure = (uint8_t)failure,
        .worker = (uint8_t)w->index,
        .flags = l->handshake_ns != 0 && l->tls_resumed ? CC_SAMPLE_TLS_RESUMED : 0,
    };
    if (l->machine.phase == CC_PHASE_ON_STOP) sample.flags |= CC_SAMPLE_ON_STOP;
    if (evidence != NULL) cc__evidence(&sample, evidence, evidence_length, evidence_cut);
    cc__ring_push(w, &sample);
    cc__counter_add(&w->requests_in_flight, -1);
    l->busy = 0;
    if (l->extra != NULL) l->extra->use_rendered = 0;
    if ((failure == CC_FAIL_TLS_VERIFY || failure == CC_FAIL_TLS_HANDSHAKE) && u->tls.session != NULL) {
        SSL_SESSION_free(u->tls.session); /* a session from a failed handshake is not worth offering */
        u->tls.session = NULL;
    }
    if (failure == CC_FAIL_DATA && u->extra != NULL && u->extra->no_row) {
        /* No row for this user: it cannot run, so it stops rather than failing every request. */
        cc__lane_event(l, CC_EVENT_RETIRE, CC__LANE_NOW);
    }
    if (failure != CC_FAIL_NONE) flags |= CC__LANE_FAILED;
    cc__lane_event(l, CC_EVENT_REQUEST_DONE, flags);
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
        uv_timer_start(&l->timer, cc__on_lane_timer, cc__timeout_until_ms(l->timer.loop, l->machine.intended_ns), 0);
        break;
    case CC_ACTION_STOP:
        cc__lane_stopped(l);
        break;
    case CC_ACTION_IDLE:
        cc__arrival_lane_idle(l);
        break;
    }
}
