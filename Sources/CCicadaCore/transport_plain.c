/* The plain transport: request bytes go straight to the socket, response bytes straight to the
 * connection. Worker thread only. */
#include "transport.h"

static void cc__plain_opened(cc__user_t *u) { cc__connection_ready(u); }

static void cc__plain_received(cc__user_t *u, const uint8_t *data, size_t length) {
    cc__connection_received(u, data, length);
}

static void cc__plain_stream_ended(cc__user_t *u, int error) { cc__connection_ended(u, error); }

/* Writes the requests in one uv_try_write (one send() for all of them, and, unlike waiting for a
 * writable event, no epoll_ctl: on loopback the syscalls per request decide the CPU cost, see
 * docs/ARCHITECTURE.md), then queues, in order, whatever the socket did not take. */
static void cc__plain_write(cc__user_t *u, const uint8_t *lanes, uint32_t count) {
    uv_buf_t bufs[CC_MAX_PIPELINE * CC__MAX_RUNS];
    uint8_t runs[CC_MAX_PIPELINE];
    uint32_t n = 0;
    for (uint32_t k = 0; k < count; k++) {
        runs[k] = (uint8_t)cc__lane_request_runs(&u->lanes[lanes[k]], bufs + n);
        n += runs[k];
    }
    int written = 0;
    if (u->writes_pending == 0) {
        written = uv_try_write((uv_stream_t *)&u->tcp, bufs, n);
        if (written < 0 && written != UV_EAGAIN) {
            cc__connection_fail(u, cc__transport_failure(written, CC_FAIL_WRITE), written);
            return;
        }
        if (written < 0) written = 0;
    }
    /* What the socket did not take is queued lane by lane, in order, from where it stopped. At most
     * CC__MAX_RUNS buffers per uv_write, which libuv holds without allocating (it has room for 4). */
    size_t left = (size_t)written;
    uint32_t b = 0;
    for (uint32_t k = 0; k < count; k++) {
        uv_buf_t rest[CC__MAX_RUNS];
        uint32_t rest_count = 0;
        for (uint32_t r = 0; r < runs[k]; r++, b++) {
            if (left >= bufs[b].len) {
                left -= bufs[b].len;
                continue;
            }
            rest[rest_count++] = uv_buf_init(bufs[b].base + left, (unsigned)(bufs[b].len - left));
            left = 0;
        }
        if (rest_count > 0 && cc__connection_write_rest(u, &u->lanes[lanes[k]], rest, rest_count) < 0) return;
    }
}

const cc__transport_t cc__transport_plain = {
    .opened = cc__plain_opened,
    .received = cc__plain_received,
    .stream_ended = cc__plain_stream_ended,
    .write = cc__plain_write,
    .after_read = NULL,
    .release = NULL,
};
