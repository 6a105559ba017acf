/* One user's connection and the requests on it, as a pure state machine: events in, actions out. No
 * I/O, no clock, no allocation, so tests drive it directly and the engine (connection.c) only
 * performs what it decides. Modelled on async-http-client's HTTP1ConnectionStateMachine.
 *
 * Requests are identified by their lane. A lane has at most one request at a time, so a lane is in at
 * most one of: `waiting` (for the connection to open), the queue (sent, response awaited), or being
 * finished. That is why 64-bit masks indexed by lane can describe requests, and why the queue needs
 * no more than CC_MAX_PIPELINE entries.
 *
 * Actions are owed, not returned: one event can cause several (a failed connection ends every request
 * on it), and performing one can feed new events (a finished lane sends its next request at once).
 * cc_connection_machine_next hands them out in this order: CLOSE, PARSE, the FINISH of a kept
 * connection's response, the FINISHes of an ending connection (its oldest request first), WRITE,
 * CONNECT. Events that arrive while actions are owed only add to what is owed. */
#include "internal.h"

#include <string.h>

_Static_assert(CC_MAX_PIPELINE <= 64, "lanes are bits of a uint64_t");

enum {
    CC__OWE_CLOSE = 0x01,
    CC__OWE_PARSE = 0x02,
    CC__OWE_WRITE = 0x04,
    CC__OWE_CONNECT = 0x08,
};

#define CC__NO_LANE 0xFFu

static uint64_t cc__bit(unsigned lane) { return (uint64_t)1 << lane; }

static void cc__ignored(cc_connection_machine_t *m) {
    if (m->ignored_events < UINT16_MAX) m->ignored_events++;
}

void cc_connection_machine_init(cc_connection_machine_t *m) {
    memset(m, 0, sizeof *m);
    m->state = CC_CONNECTION_CLOSED;
    m->finish_lane_ = CC__NO_LANE;
    m->first_lane_ = CC__NO_LANE;
}

static int cc__lane_busy(const cc_connection_machine_t *m, unsigned lane) {
    uint64_t bit = cc__bit(lane);
    if ((m->waiting | m->failing_waiting_) & bit) return 1;
    if (m->finish_lane_ == lane || m->first_lane_ == lane) return 1;
    for (unsigned i = 0; i < m->queue_count; i++)
        if (m->queue[(m->queue_head + i) % CC_MAX_PIPELINE] == lane) return 1;
    return 0;
}

/* The oldest request's lane leaves the queue. */
static unsigned cc__pop(cc_connection_machine_t *m) {
    unsigned lane = m->queue[m->queue_head];
    m->queue_head = (uint8_t)((m->queue_head + 1) % CC_MAX_PIPELINE);
    m->queue_count--;
    m->unsent_ &= ~cc__bit(lane);
    return lane;
}

/* A request joins the queue on an open connection. The parser works on the oldest request's response,
 * so a request that joins an empty queue is owed a PARSE. */
static void cc__enqueue(cc_connection_machine_t *m, unsigned lane) {
    uint64_t bit = cc__bit(lane);
    if (m->queue_count == 0) {
        m->pending_ |= CC__OWE_PARSE;
        m->parse_head_ = (m->head_requests_ & bit) != 0;
    }
    m->queue[(m->queue_head + m->queue_count) % CC_MAX_PIPELINE] = (uint8_t)lane;
    m->queue_count++;
    m->unsent_ |= bit;
    if (!m->corked) m->pending_ |= CC__OWE_WRITE;
}

/* The connection ends: close it, finish `first` (the request whose response was being read, or
 * CC__NO_LANE) with its own result, then every other request on it, in the order they were sent and
 * then those waiting to be, with `failure`. */
static void cc__end_connection(cc_connection_machine_t *m, unsigned first, uint8_t first_failure, uint16_t first_status,
                               int32_t first_detail, uint8_t failure, int32_t detail) {
    m->state = CC_CONNECTION_CLOSING;
    m->pending_ |= CC__OWE_CLOSE;
    m->pending_ &= (uint8_t)~(CC__OWE_WRITE | CC__OWE_PARSE | CC__OWE_CONNECT);
    m->unsent_ = 0;
    m->first_lane_ = (uint8_t)first;
    m->first_failure_ = first_failure;
    m->first_status_ = first_status;
    m->first_detail_ = first_detail;
    m->failing_ = 1;
    m->fail_failure_ = failure;
    m->fail_detail_ = detail;
    m->failing_waiting_ |= m->waiting;
    m->waiting = 0;
}

static void cc__fail_all(cc_connection_machine_t *m, uint8_t failure, int32_t detail, uint16_t status) {
    unsigned first = m->queue_count > 0 ? cc__pop(m) : CC__NO_LANE;
    cc__end_connection(m, first, failure, first == CC__NO_LANE ? 0 : status, detail, failure, detail);
}

/* The oldest request's response completed and the connection ends with it: that request succeeds
 * (its status decides, later), the requests behind it will get no response and fail as closed. */
static void cc__last_response(cc_connection_machine_t *m, uint16_t status, int32_t detail) {
    unsigned head = cc__pop(m);
    cc__end_connection(m, head, CC_FAIL_NONE, status, 0, CC_FAIL_CLOSED, detail);
}

static void cc__on_send(cc_connection_machine_t *m, const cc_connection_event_t *e) {
    unsigned lane = e->lane;
    if (lane >= CC_MAX_PIPELINE || cc__lane_busy(m, lane)) {
        cc__ignored(m);
        return;
    }
    uint64_t bit = cc__bit(lane);
    m->head_requests_ = e->head_request ? m->head_requests_ | bit : m->head_requests_ & ~bit;
    m->close_requests_ = e->close_request ? m->close_requests_ | bit : m->close_requests_ & ~bit;
    switch ((cc_connection_state_t)m->state) {
    case CC_CONNECTION_CLOSED:
        m->waiting |= bit;
        m->state = CC_CONNECTION_CONNECTING;
        m->queue_head = 0;
        m->queue_count = 0;
        m->connect_lane_ = (uint8_t)lane;
        m->pending_ |= CC__OWE_CONNECT;
        break;
    case CC_CONNECTION_CONNECTING:
    case CC_CONNECTION_CLOSING: /* libuv frees nothing before the close callback: CLOSED reconnects */
        m->waiting |= bit;
        break;
    case CC_CONNECTION_OPEN:
        cc__enqueue(m, lane);
        break;
    }
}

static void cc__on_opened(cc_connection_machine_t *m) {
    if (m->state != CC_CONNECTION_CONNECTING) {
        cc__ignored(m);
        return;
    }
    m->state = CC_CONNECTION_OPEN;
    /* Every waiting request is written now, lanes in index order. */
    uint64_t waiting = m->waiting;
    m->waiting = 0;
    for (unsigned lane = 0; waiting != 0; lane++, waiting >>= 1)
        if (waiting & 1) cc__enqueue(m, lane);
}

static void cc__on_response(cc_connection_machine_t *m, const cc_connection_event_t *e) {
    if (m->state != CC_CONNECTION_OPEN || m->queue_count == 0 || m->finish_lane_ != CC__NO_LANE) {
        cc__ignored(m);
        return;
    }
    unsigned head = m->queue[m->queue_head];
    /* Bytes after the last response awaited were framed by no request: the connection cannot be
     * trusted to frame the next one. */
    int reuse = e->keep_alive && !(m->close_requests_ & cc__bit(head)) && !(e->more_bytes && m->queue_count == 1);
    if (!reuse) {
        cc__last_response(m, e->status, e->detail);
        return;
    }
    cc__pop(m);
    if (m->queue_count > 0) {
        m->pending_ |= CC__OWE_PARSE;
        m->parse_head_ = (m->head_requests_ & cc__bit(m->queue[m->queue_head])) != 0;
    }
    m->finish_lane_ = (uint8_t)head;
    m->finish_status_ = e->status;
}

static void cc__on_end(cc_connection_machine_t *m, const cc_connection_event_t *e) {
    if (m->state != CC_CONNECTION_OPEN) {
        cc__ignored(m);
        return;
    }
    if (m->queue_count == 0) {
        /* An idle connection went away: close it; the next request reconnects. */
        cc__end_connection(m, CC__NO_LANE, 0, 0, 0, CC_FAIL_CLOSED, e->detail);
        return;
    }
    if (e->complete) {
        cc__last_response(m, e->status, e->detail);
        return;
    }
    cc__fail_all(m, CC_FAIL_CLOSED, e->detail, e->status);
}

/* FAILED and CLOSE: the connection ends and takes its requests with it. While it is already closing,
 * only the requests waiting for the next connection are left to end. */
static void cc__on_failed(cc_connection_machine_t *m, uint8_t failure, int32_t detail, uint16_t status) {
    switch ((cc_connection_state_t)m->state) {
    case CC_CONNECTION_OPEN:
    case CC_CONNECTION_CONNECTING:
        cc__fail_all(m, failure, detail, status);
        return;
    case CC_CONNECTION_CLOSING:
        if (m->waiting == 0) break;
        m->failing_ = 1;
        m->fail_failure_ = failure;
        m->fail_detail_ = detail;
        m->failing_waiting_ |= m->waiting;
        m->waiting = 0;
        return;
    case CC_CONNECTION_CLOSED:
        break;
    }
    cc__ignored(m);
}

static void cc__on_closed(cc_connection_machine_t *m) {
    if (m->state != CC_CONNECTION_CLOSING || m->failing_) {
        cc__ignored(m);
        return;
    }
    m->state = CC_CONNECTION_CLOSED;
    m->queue_head = 0;
    m->queue_count = 0;
    if (m->waiting == 0) return;
    /* Requests came while the connection closed: open a new one for them. */
    unsigned lane = 0;
    while (!(m->waiting & cc__bit(lane))) lane++;
    m->state = CC_CONNECTION_CONNECTING;
    m->connect_lane_ = (uint8_t)lane;
    m->pending_ |= CC__OWE_CONNECT;
}

void cc_connection_machine_handle(cc_connection_machine_t *m, const cc_connection_event_t *e) {
    switch (e->kind) {
    case CC_CONN_EVENT_SEND:
        cc__on_send(m, e);
        return;
    case CC_CONN_EVENT_OPENED:
        cc__on_opened(m);
        return;
    case CC_CONN_EVENT_RESPONSE:
        cc__on_response(m, e);
        return;
    case CC_CONN_EVENT_END:
        cc__on_end(m, e);
        return;
    case CC_CONN_EVENT_FAILED:
        cc__on_failed(m, e->failure, e->detail, e->status);
        return;
    case CC_CONN_EVENT_CLOSE:
        cc__on_failed(m, CC_FAIL_CANCELLED, 0, 0);
        return;
    case CC_CONN_EVENT_CLOSED:
        cc__on_closed(m);
        return;
    case CC_CONN_EVENT_CORK:
        m->corked = 1;
        return;
    case CC_CONN_EVENT_UNCORK:
        m->corked = 0;
        if (m->state == CC_CONNECTION_OPEN && m->unsent_ != 0) m->pending_ |= CC__OWE_WRITE;
        return;
    }
    cc__ignored(m);
}

static int cc__finish(cc_connection_action_t *a, unsigned lane, uint8_t failure, uint16_t status, int32_t detail,
                      int keep_alive) {
    a->kind = CC_CONN_ACTION_FINISH;
    a->lane = (uint8_t)lane;
    a->failure = failure;
    a->status = status;
    a->detail = detail;
    a->keep_alive = (uint8_t)keep_alive;
    return 1;
}

int cc_connection_machine_next(cc_connection_machine_t *m, cc_connection_action_t *a) {
    memset(a, 0, sizeof *a);
    a->kind = CC_CONN_ACTION_NONE;
    if (m->pending_ & CC__OWE_CLOSE) {
        m->pending_ &= (uint8_t)~CC__OWE_CLOSE;
        a->kind = CC_CONN_ACTION_CLOSE;
        return 1;
    }
    if (m->pending_ & CC__OWE_PARSE) {
        m->pending_ &= (uint8_t)~CC__OWE_PARSE;
        a->kind = CC_CONN_ACTION_PARSE;
        a->head_request = m->parse_head_;
        return 1;
    }
    if (m->finish_lane_ != CC__NO_LANE) {
        unsigned lane = m->finish_lane_;
        m->finish_lane_ = CC__NO_LANE;
        return cc__finish(a, lane, CC_FAIL_NONE, m->finish_status_, 0, 1);
    }
    if (m->failing_) {
        if (m->first_lane_ != CC__NO_LANE) {
            unsigned lane = m->first_lane_;
            m->first_lane_ = CC__NO_LANE;
            return cc__finish(a, lane, m->first_failure_, m->first_status_, m->first_detail_, 0);
        }
        if (m->queue_count > 0) return cc__finish(a, cc__pop(m), m->fail_failure_, 0, m->fail_detail_, 0);
        if (m->failing_waiting_ != 0) {
            unsigned lane = 0;
            while (!(m->failing_waiting_ & cc__bit(lane))) lane++;
            m->failing_waiting_ &= ~cc__bit(lane);
            return cc__finish(a, lane, m->fail_failure_, 0, m->fail_detail_, 0);
        }
        m->failing_ = 0;
    }
    if (m->pending_ & CC__OWE_WRITE) {
        m->pending_ &= (uint8_t)~CC__OWE_WRITE;
        if (m->state == CC_CONNECTION_OPEN && m->unsent_ != 0) {
            a->kind = CC_CONN_ACTION_WRITE;
            return 1;
        }
    }
    if (m->pending_ & CC__OWE_CONNECT) {
        m->pending_ &= (uint8_t)~CC__OWE_CONNECT;
        a->kind = CC_CONN_ACTION_CONNECT;
        a->lane = m->connect_lane_;
        return 1;
    }
    return 0;
}

uint32_t cc_connection_machine_take_unsent(cc_connection_machine_t *m, uint8_t *lanes) {
    uint32_t n = 0;
    for (unsigned i = 0; i < m->queue_count && m->unsent_ != 0; i++) {
        unsigned lane = m->queue[(m->queue_head + i) % CC_MAX_PIPELINE];
        if (!(m->unsent_ & cc__bit(lane))) continue;
        m->unsent_ &= ~cc__bit(lane);
        lanes[n++] = (uint8_t)lane;
    }
    return n;
}
