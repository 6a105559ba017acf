/* The TLS transport: OpenSSL over two memory BIOs on the same libuv socket as plain HTTP. Ciphertext
 * read from the socket goes into the incoming BIO and comes out of SSL_read as response bytes;
 * requests go into SSL_write and their records out of the outgoing BIO to the socket, at once with
 * uv_try_write. The handshake is part of connecting: the connect timeout runs through it. The
 * SSL_CTX and the translation of OpenSSL's errors are tls.c's. Worker thread only. */
#include "transport.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

static void cc__on_tls_write(uv_write_t *req, int status);

/* Sends what OpenSSL wrote into the outgoing memory BIO: at once with uv_try_write, the rest (rarely
 * any) with uv_write from the user's own buffer. Returns 0 or a libuv error. */
static int cc__tls_flush(cc__user_t *u) {
    cc__tls_link_t *tls = &u->tls;
    if (tls->write_pending) return 0; /* the write callback flushes again */
    cc__worker_t *w = u->worker;
    BIO *out = SSL_get_wbio(tls->ssl);
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
        if (rest + more > tls->pending_capacity) {
            uint8_t *grown = realloc(tls->pending, rest + more);
            if (grown == NULL) return UV_ENOMEM;
            tls->pending = grown;
            tls->pending_capacity = rest + more;
        }
        memcpy(tls->pending, w->tls_buffer + written, rest);
        if (more > 0) BIO_read(out, tls->pending + rest, (int)more);
        buf = uv_buf_init((char *)tls->pending, (unsigned)(rest + more));
        tls->write.data = u;
        int rc = uv_write(&tls->write, (uv_stream_t *)&u->tcp, &buf, 1, cc__on_tls_write);
        if (rc < 0) return rc;
        tls->write_pending = 1;
        return 0;
    }
    return 0;
}

static void cc__on_tls_write(uv_write_t *req, int status) {
    cc__user_t *u = req->data;
    u->tls.write_pending = 0;
    if (status == UV_ECANCELED || u->tls.ssl == NULL) return;
    /* Records produced while this write was pending wait in the BIO: send them now. */
    if (status == 0) status = cc__tls_flush(u);
    if (status == 0) return;
    cc__connection_fail(u, u->tls.handshaking ? CC_FAIL_TLS_HANDSHAKE : cc__transport_failure(status, CC_FAIL_WRITE),
                        status);
}

static void cc__tls_handshake(cc__user_t *u) {
    cc__tls_link_t *tls = &u->tls;
    int r = SSL_do_handshake(tls->ssl);
    int rc = cc__tls_flush(u);
    if (rc < 0) {
        ERR_clear_error();
        cc__connection_fail(u, CC_FAIL_TLS_HANDSHAKE, rc);
        return;
    }
    if (r == 1) {
        cc__worker_t *w = u->worker;
        cc__lane_t *guard = &u->lanes[u->connect_lane];
        int resumed = SSL_session_reused(tls->ssl);
        cc__counter_add(&w->tls_handshakes, 1);
        if (resumed) cc__counter_add(&w->tls_resumed, 1);
        if (guard->busy) {
            guard->handshake_ns = cc_clock_now_ns();
            guard->tls_resumed = (uint8_t)resumed;
        }
        tls->handshaking = 0;
        cc__connection_ready(u);
        return;
    }
    int e = SSL_get_error(tls->ssl, r);
    if (e == SSL_ERROR_WANT_READ) return;
    long verify = SSL_get_verify_result(tls->ssl);
    if (verify != X509_V_OK) {
        ERR_clear_error();
        cc__connection_fail(u, CC_FAIL_TLS_VERIFY, (int32_t)verify);
        return;
    }
    int32_t detail = cc__tls_take_error();
    cc__connection_fail(u, CC_FAIL_TLS_HANDSHAKE, detail != 0 ? detail : cc__tls_unexpected_eof());
}

static void cc__tls_opened(cc__user_t *u) {
    cc__worker_t *w = u->worker;
    cc_engine_t *e = w->engine;
    u->tls.ssl = cc__tls_connection_new(w->tls_context, e->tls_name, e->tls_name_is_ip, e->options.tls.verify,
                                        e->options.tls.resume ? &u->tls.session : NULL);
    if (u->tls.ssl == NULL) {
        cc__connection_fail(u, CC_FAIL_TLS_HANDSHAKE, cc__tls_take_error());
        return;
    }
    u->tls.handshaking = 1;
    cc__tls_handshake(u);
}

/* Ciphertext arrived: hand it to OpenSSL, then either continue the handshake or decrypt into the
 * worker's receive buffer (free again, since OpenSSL copied the ciphertext) and pass the bytes on. */
static void cc__tls_received(cc__user_t *u, const uint8_t *data, size_t length) {
    cc__tls_link_t *tls = &u->tls;
    BIO_write(SSL_get_rbio(tls->ssl), data, (int)length); /* a memory BIO takes everything */
    if (tls->handshaking) {
        cc__tls_handshake(u);
        return;
    }
    uint8_t *plain = u->worker->read_buffer;
    while (tls->ssl != NULL) {
        int n = SSL_read(tls->ssl, plain, CC__READ_BUFFER_SIZE);
        if (n > 0) {
            cc__connection_received(u, plain, (size_t)n);
            continue;
        }
        int e = SSL_get_error(tls->ssl, n);
        if (e == SSL_ERROR_WANT_READ) return;
        if (e == SSL_ERROR_ZERO_RETURN) {
            ERR_clear_error();
            cc__connection_ended(u, UV_EOF); /* close_notify */
            return;
        }
        cc__connection_fail(u, CC_FAIL_TLS, cc__tls_take_error());
        return;
    }
}

static void cc__tls_stream_ended(cc__user_t *u, int error) {
    if (u->tls.handshaking) {
        cc__connection_fail(u, CC_FAIL_TLS_HANDSHAKE, error == UV_EOF ? cc__tls_unexpected_eof() : error);
        return;
    }
    cc__connection_ended(u, error);
}

static void cc__tls_write(cc__user_t *u, const uint8_t *lanes, uint32_t count) {
    /* Into the memory BIO, which takes it all, then out to the socket in as few writes as the records
     * allow. */
    for (uint32_t k = 0; k < count; k++) {
        uv_buf_t runs[CC__MAX_RUNS];
        uint32_t n = cc__lane_request_runs(&u->lanes[lanes[k]], runs);
        for (uint32_t r = 0; r < n; r++) {
            if (runs[r].len > 0 && SSL_write(u->tls.ssl, runs[r].base, (int)runs[r].len) <= 0) {
                cc__connection_fail(u, CC_FAIL_TLS, cc__tls_take_error());
                return;
            }
        }
    }
    int rc = cc__tls_flush(u);
    if (rc < 0) cc__connection_fail(u, cc__transport_failure(rc, CC_FAIL_WRITE), rc);
}

/* Reading may have produced records to send (a key update's answer, a handshake's last flight). */
static void cc__tls_after_read(cc__user_t *u) {
    if (u->tls.ssl == NULL) return;
    int rc = cc__tls_flush(u);
    if (rc < 0) cc__connection_fail(u, cc__transport_failure(rc, CC_FAIL_WRITE), rc);
}

static void cc__tls_release(cc__user_t *u) {
    if (u->tls.ssl != NULL) {
        cc__tls_connection_free(u->tls.ssl);
        u->tls.ssl = NULL;
    }
    u->tls.handshaking = 0;
}

const cc__transport_t cc__transport_tls = {
    .opened = cc__tls_opened,
    .received = cc__tls_received,
    .stream_ended = cc__tls_stream_ended,
    .write = cc__tls_write,
    .after_read = cc__tls_after_read,
    .release = cc__tls_release,
};
