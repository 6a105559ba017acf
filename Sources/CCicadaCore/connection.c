/* A user's connection: the TCP socket on the worker's loop, the response parser, and the actions of
 * the user's connection machine (connect, parse, write, finish, close), performed in one loop.
 *
 * Everything that happens to the connection becomes an event for the machine: a lane's request, the
 * socket opening, a response completing, the stream ending, a failure, a read beginning and ending.
 * What bytes cross the socket, and how, is the transport's (transport.h: plain or TLS).
 *
 * The per-request path allocates nothing and takes no lock: requests are bytes rendered once in the
 * plan, every read lands in the worker's one receive buffer and is parsed at once, and handles and
 * write requests live inline in the user. Worker thread only. */
#include "transport.h"

cc_failure_t cc__transport_failure(int uv_error, cc_failure_t otherwise) {
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

static void cc__connection_open(cc__user_t *u, cc__lane_t *guard);

/* The oldest request's response is next: when its request has captures or checks, or its user keeps
 * cookies, the response is read with the inspection's observer (inspect.c). */
static void cc__connection_inspect_begin(cc__user_t *u) {
    cc__user_extra_t *x = u->extra;
    if (x == NULL || x->inspection == NULL) return;
    x->inspecting = 0;
    if (u->connection.queue_count == 0) return;
    const cc__lane_t *head = &u->lanes[u->connection.queue[u->connection.queue_head]];
    const cc_plan_t *plan = u->worker->plan;
    const uint8_t *path = head->extra != NULL ? head->extra->path : NULL;
    size_t path_length = head->extra != NULL ? head->extra->path_length : 0;
    x->inspecting = (uint8_t)cc__inspect_begin(x->inspection, plan, &plan->requests[head->request],
                                               plan->classes[head->machine.user_class].cookies, path, path_length);
}
static void cc__connection_close(cc__user_t *u);

/* Drains the machine's owed actions. Performing one may feed new events (a finished lane sends its
 * next request); those only add to what is owed while this loop runs, so nothing recurses. */
static void cc__connection_perform(cc__user_t *u) {
    u->performing = 1;
    cc_connection_action_t action;
    while (cc_connection_machine_next(&u->connection, &action)) {
        switch (action.kind) {
        case CC_CONN_ACTION_CONNECT:
            cc__connection_open(u, &u->lanes[action.lane]);
            break;
        case CC_CONN_ACTION_PARSE:
            cc_response_parser_reset(&u->parser, action.head_request);
            cc__connection_inspect_begin(u);
            break;
        case CC_CONN_ACTION_WRITE: {
            uint8_t lanes[CC_MAX_PIPELINE];
            uint32_t n = cc_connection_machine_take_unsent(&u->connection, lanes);
            for (uint32_t k = 0; k < n; k++) cc__lane_request_written(&u->lanes[lanes[k]]);
            u->worker->transport->write(u, lanes, n);
            break;
        }
        case CC_CONN_ACTION_FINISH:
            cc__lane_finish(&u->lanes[action.lane], (cc_failure_t)action.failure, action.detail, action.status);
            break;
        case CC_CONN_ACTION_CLOSE:
            cc__connection_close(u);
            break;
        case CC_CONN_ACTION_NONE:
            break;
        }
    }
    u->performing = 0;
}

void cc__connection_event(cc__user_t *u, const cc_connection_event_t *event) {
    uint16_t ignored = u->connection.ignored_events;
    cc_connection_machine_handle(&u->connection, event);
    if (u->connection.ignored_events != ignored) cc__counter_add(&u->worker->events_ignored, 1);
    if (!u->performing) cc__connection_perform(u);
}

void cc__connection_send(cc__user_t *u, cc__lane_t *l) {
    const cc__request_t *request = &u->worker->plan->requests[l->request];
    cc_connection_event_t event = {.kind = CC_CONN_EVENT_SEND, .lane = l->index, .head_request = request->head,
                                   .close_request = request->close_connection};
    cc__connection_event(u, &event);
}

void cc__connection_fail(cc__user_t *u, cc_failure_t failure, int32_t detail) {
    cc_connection_event_t event = {.kind = CC_CONN_EVENT_FAILED, .failure = (uint8_t)failure, .detail = detail,
                                   .status = u->connection.queue_count > 0 ? u->parser.status : 0};
    cc__connection_event(u, &event);
}

void cc__connection_cancel(cc__user_t *u) {
    const cc_connection_machine_t *m = &u->connection;
    if (m->state == CC_CONNECTION_CLOSED || (m->state == CC_CONNECTION_CLOSING && m->waiting == 0)) return;
    cc__connection_fail(u, CC_FAIL_CANCELLED, 0);
}

void cc__connection_ready(cc__user_t *u) {
    cc__lane_stop_timer(&u->lanes[u->connect_lane], CC__TIMER_CONNECT);
    cc_connection_event_t event = {.kind = CC_CONN_EVENT_OPENED};
    cc__connection_event(u, &event);
}

/* ---- reading -------------------------------------------------------------------------------------- */

void cc__connection_received(cc__user_t *u, const uint8_t *data, size_t length) {
    while (length > 0 && u->connection.state == CC_CONNECTION_OPEN) {
        if (u->connection.queue_count == 0) {
            /* Bytes nobody asked for: the connection can no longer be trusted to frame responses. */
            cc_connection_event_t close = {.kind = CC_CONN_EVENT_CLOSE};
            cc__connection_event(u, &close);
            return;
        }
        cc__lane_t *head = &u->lanes[u->connection.queue[u->connection.queue_head]];
        if (head->first_byte_ns == 0) head->first_byte_ns = cc_clock_now_ns();
        cc__user_extra_t *x = u->extra;
        long consumed;
        if (x != NULL && x->inspecting) {
            const cc_response_observer_t observer = {.headers = cc__inspect_headers, .body = cc__inspect_body,
                                                     .context = &x->context};
            consumed = cc_response_parser_feed_observed(&u->parser, data, length, &observer);
        } else {
            consumed = cc_response_parser_feed(&u->parser, data, length);
        }
        if (consumed < 0) {
            head->bytes_received += length;
            cc__connection_fail(u, CC_FAIL_MALFORMED, u->parser.error);
            return;
        }
        head->bytes_received += (uint64_t)consumed;
        if (!u->parser.complete) return;
        if (x != NULL && x->inspecting) {
            x->inspecting = 0;
            cc__inspect_complete(x->inspection, u->worker->plan, head->index, u->parser.status,
                                 cc_clock_now_ns() - head->start_ns, head->extra != NULL ? &head->extra->store : NULL);
            if (x->context.cookies_dropped > 0) {
                cc__counter_add(&u->worker->cookies_dropped, (int64_t)x->context.cookies_dropped);
                x->context.cookies_dropped = 0;
            }
        }
        data += consumed;
        length -= (size_t)consumed;
        /* A response that arrived before its request was written whole leaves the connection unframed. */
        cc_connection_event_t response = {.kind = CC_CONN_EVENT_RESPONSE,
                                          .keep_alive = u->parser.keep_alive && !head->write_pending,
                                          .more_bytes = length > 0, .status = u->parser.status, .detail = UV_EOF};
        cc__connection_event(u, &response);
    }
}

void cc__connection_ended(cc__user_t *u, int error) {
    if (error != UV_EOF) {
        cc__connection_fail(u, cc__transport_failure(error, CC_FAIL_READ), error);
        return;
    }
    int in_flight = u->connection.queue_count > 0;
    int complete = in_flight && cc_response_parser_finish(&u->parser) == 1;
    cc__user_extra_t *x = u->extra;
    if (complete && x != NULL && x->inspecting) {
        /* A body delimited by the close is judged now that it is whole. */
        const cc__lane_t *head = &u->lanes[u->connection.queue[u->connection.queue_head]];
        x->inspecting = 0;
        cc__inspect_complete(x->inspection, u->worker->plan, head->index, u->parser.status,
                             cc_clock_now_ns() - head->start_ns, head->extra != NULL ? &head->extra->store : NULL);
    }
    cc_connection_event_t event = {.kind = CC_CONN_EVENT_END, .detail = UV_EOF, .complete = (uint8_t)complete,
                                   .status = in_flight ? u->parser.status : 0};
    cc__connection_event(u, &event);
}

static void cc__on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    cc__user_t *u = handle->data;
    /* One buffer per worker is enough: a read is parsed before the loop reads from another socket. */
    buf->base = (char *)u->worker->read_buffer;
    buf->len = CC__READ_BUFFER_SIZE;
}

static void cc__on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    cc__user_t *u = stream->data;
    uint8_t state = u->connection.state;
    if (nread == 0 || state == CC_CONNECTION_CLOSING || state == CC_CONNECTION_CLOSED) return;
    const cc__transport_t *transport = u->worker->transport;
    if (nread < 0) {
        transport->stream_ended(u, (int)nread);
        return;
    }
    /* One read can complete many pipelined responses; the requests that follow them leave together,
     * in one write, as wrk's pipelining does. */
    cc_connection_event_t cork = {.kind = CC_CONN_EVENT_CORK};
    cc__connection_event(u, &cork);
    transport->received(u, (const uint8_t *)buf->base, (size_t)nread);
    cc_connection_event_t uncork = {.kind = CC_CONN_EVENT_UNCORK};
    cc__connection_event(u, &uncork);
    if (transport->after_read != NULL) transport->after_read(u);
}

/* ---- writing -------------------------------------------------------------------------------------- */

static void cc__on_lane_write(uv_write_t *req, int status) {
    cc__lane_t *l = req->data;
    cc__user_t *u = l->user;
    l->write_pending = 0;
    if (u->writes_pending > 0) u->writes_pending--;
    if (status == 0 || status == UV_ECANCELED || u->connection.state != CC_CONNECTION_OPEN) return;
    cc__connection_fail(u, cc__transport_failure(status, CC_FAIL_WRITE), status);
}

int cc__connection_write_rest(cc__user_t *u, cc__lane_t *l, const uv_buf_t *buffers, uint32_t count) {
    l->write.data = l;
    int rc = uv_write(&l->write, (uv_stream_t *)&u->tcp, buffers, count, cc__on_lane_write);
    if (rc < 0) {
        cc__connection_fail(u, cc__transport_failure(rc, CC_FAIL_WRITE), rc);
        return rc;
    }
    l->write_pending = 1;
    u->writes_pending++;
    return 0;
}

/* ---- opening and closing -------------------------------------------------------------------------- */

static void cc__on_connect(uv_connect_t *req, int status) {
    cc__user_t *u = req->data;
    /* A connect cancelled by a close reports UV_ECANCELED, before the close callback. */
    if (status == UV_ECANCELED || u->connection.state != CC_CONNECTION_CONNECTING) return;
    if (status < 0) {
        cc__connection_fail(u, cc__transport_failure(status, CC_FAIL_CONNECT), status);
        return;
    }
    cc__worker_t *w = u->worker;
    cc__lane_t *guard = &u->lanes[u->connect_lane];
    u->tcp_connected = 1;
    cc__counter_add(&w->connections_open, 1);
    if (guard->busy) guard->connected_ns = cc_clock_now_ns();
    int rc = uv_read_start((uv_stream_t *)&u->tcp, cc__on_alloc, cc__on_read);
    if (rc < 0) {
        cc__connection_fail(u, CC_FAIL_CONNECT, rc);
        return;
    }
    w->transport->opened(u);
}

/* Opens the connection; `guard` is the lane whose timer enforces the connect timeout. */
static void cc__connection_open(cc__user_t *u, cc__lane_t *guard) {
    cc__worker_t *w = u->worker;
    u->connect_lane = guard->index;
    cc__lane_arm_timer(guard, CC__TIMER_CONNECT, w->engine->options.connect_timeout_ns);
    /* With AF_UNSPEC uv_tcp_init creates no socket and cannot fail in practice; the socket is made
     * by uv_tcp_connect below. */
    uv_tcp_init(&w->loop, &u->tcp);
    u->tcp.data = u;
    cc__counter_add(&w->connections_opened, 1);
    u->connect.data = u;
    int rc = uv_tcp_connect(&u->connect, &u->tcp, (const struct sockaddr *)&w->engine->address, cc__on_connect);
    if (rc < 0) {
        /* Typically EMFILE or EADDRNOTAVAIL. The failure closes the handle; a new connect waits for
         * the close callback. */
        cc__connection_fail(u, cc__transport_failure(rc, CC_FAIL_CONNECT), rc);
        return;
    }
    uv_tcp_nodelay(&u->tcp, 1);
}

static void cc__on_tcp_close(uv_handle_t *handle) {
    cc__user_t *u = handle->data;
    u->writes_pending = 0;
    u->tls.write_pending = 0;
    if (u->worker->shutting_down) return; /* the loop is ending: no reconnect */
    cc_connection_event_t closed = {.kind = CC_CONN_EVENT_CLOSED};
    cc__connection_event(u, &closed);
    cc__user_connection_closed(u);
}

static void cc__connection_close(cc__user_t *u) {
    if (u->tcp_connected) {
        u->tcp_connected = 0;
        cc__counter_add(&u->worker->connections_open, -1);
    }
    const cc__transport_t *transport = u->worker->transport;
    if (transport->release != NULL) transport->release(u);
    uv_close((uv_handle_t *)&u->tcp, cc__on_tcp_close);
}
