/* The transport: how a user's bytes cross its TCP socket, plain or TLS, behind one small table of
 * functions (as wrk's `struct sock`). The connection (connection.c) opens and closes the socket and
 * decides what to send; a transport turns that into bytes on the wire and bytes from the wire into
 * response bytes. Internal to the core; worker thread only. */
#ifndef CICADA_CORE_TRANSPORT_H
#define CICADA_CORE_TRANSPORT_H

#include "worker.h"

typedef struct cc__transport_s {
    /* The TCP connection is open. Plain is ready at once; TLS starts its handshake. Either ends in
     * cc__connection_ready or cc__connection_fail. */
    void (*opened)(cc__user_t *u);
    /* Bytes read from the socket (in the worker's read buffer, which the transport may reuse). */
    void (*received)(cc__user_t *u, const uint8_t *data, size_t length);
    /* The socket's stream ended (UV_EOF) or failed (a libuv error). */
    void (*stream_ended)(cc__user_t *u, int error);
    /* Writes the requests of `lanes`, in order, behind anything still being written. */
    void (*write)(cc__user_t *u, const uint8_t *lanes, uint32_t count);
    /* A read callback is over: send what it produced (TLS: records such as a key update's answer).
     * NULL when nothing can be produced. */
    void (*after_read)(cc__user_t *u);
    /* The connection is closing: free its per-connection state. NULL when there is none. */
    void (*release)(cc__user_t *u);
} cc__transport_t;

extern const cc__transport_t cc__transport_plain;
extern const cc__transport_t cc__transport_tls;

/* What the transports call in the connection (connection.c). */

/* The transport is ready for requests. */
void cc__connection_ready(cc__user_t *u);
/* Response bytes, in order. */
void cc__connection_received(cc__user_t *u, const uint8_t *data, size_t length);
/* The response stream ended (UV_EOF, or close_notify under TLS) or failed with a libuv error. */
void cc__connection_ended(cc__user_t *u, int error);

/* A libuv error as a failure kind; `otherwise` when it says nothing more specific. */
cc_failure_t cc__transport_failure(int uv_error, cc_failure_t otherwise);

/* Queues `count` buffers (at most CC__MAX_RUNS) for lane `l` behind any earlier write, so that requests
 * stay in order on the wire; the bytes must stay put until the write completes (the plan's, or the
 * lane's render buffer, which is not rendered again before its request has finished). Returns 0, or a
 * libuv error after failing the connection. */
int cc__connection_write_rest(cc__user_t *u, cc__lane_t *l, const uv_buf_t *buffers, uint32_t count);

#endif
