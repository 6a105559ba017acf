/* TLS with OpenSSL: building a worker's SSL_CTX from the options, a connection's SSL, and turning
 * OpenSSL's errors into a sample's detail and back into words. The bytes themselves move in
 * transport_tls.c, through memory BIOs, on the same libuv sockets as plain HTTP. */
#include "internal.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

/* A detail packs OpenSSL's library and reason codes so that one int32 can carry them; negative details
 * are libuv errors (a timeout, a reset during the handshake). */
static int32_t cc__pack_error(unsigned long code) {
    return (int32_t)(((uint32_t)ERR_GET_LIB(code) & 0x7Fu) << 24 | ((uint32_t)ERR_GET_REASON(code) & 0xFFFFFFu));
}

int32_t cc__tls_take_error(void) {
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error(); /* the queue is per thread: leave nothing for the next connection to trip on */
    return code == 0 ? 0 : cc__pack_error(code);
}

int32_t cc__tls_unexpected_eof(void) {
    return cc__pack_error(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_UNEXPECTED_EOF_WHILE_READING));
}

size_t cc__tls_detail_text(int failure, int32_t detail, char *buffer, size_t size) {
    const char *text = NULL;
    if (failure == CC_FAIL_TLS_VERIFY) {
        text = X509_verify_cert_error_string(detail);
    } else if (detail < 0) {
        text = detail == UV_ETIMEDOUT ? "timed out" : uv_err_name(detail);
    } else if (detail > 0) {
        unsigned long code = ERR_PACK((unsigned long)detail >> 24, 0, (unsigned long)detail & 0xFFFFFFu);
        text = ERR_reason_error_string(code);
        if (text == NULL) return (size_t)snprintf(buffer, size, "OpenSSL error %d:%d", detail >> 24, detail & 0xFFFFFF);
    }
    return (size_t)snprintf(buffer, size, "%s", text ? text : "");
}

/* OpenSSL hands every new session (TLS 1.3 tickets arrive after the handshake) to this callback. The
 * connection's app data points at the user's session slot when resumption is on. */
static int cc__on_new_session(SSL *ssl, SSL_SESSION *session) {
    SSL_SESSION **slot = SSL_get_app_data(ssl);
    if (slot == NULL) return 0;
    if (*slot != NULL) SSL_SESSION_free(*slot);
    *slot = session;
    return 1; /* we keep the reference */
}

static int cc__tls_fail(char *error, size_t size, const char *format, const char *path) {
    char reason[256] = "";
    unsigned long code = ERR_peek_last_error();
    if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    if (error != NULL && size > 0)
        snprintf(error, size, format, path ? path : "", reason[0] ? reason : "unknown reason");
    return CC_EINVAL;
}

static int cc__protocol_version(uint8_t version) {
    switch (version) {
    case CC_TLS_VERSION_1_2:
        return TLS1_2_VERSION;
    case CC_TLS_VERSION_1_3:
        return TLS1_3_VERSION;
    default:
        return 0;
    }
}

int cc__tls_context_new(const cc_tls_options_t *options, SSL_CTX **out, char *error, size_t size) {
    *out = NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) return cc__tls_fail(error, size, "cannot create a TLS context%s: %s", NULL);
    /* TLS 1.2 and 1.3 unless the options narrow it; older versions are not worth measuring. */
    int min = cc__protocol_version(options->min_version);
    int max = cc__protocol_version(options->max_version);
    SSL_CTX_set_min_proto_version(ctx, min ? min : TLS1_2_VERSION);
    if (max) SSL_CTX_set_max_proto_version(ctx, max);
    if (min && max && min > max) {
        SSL_CTX_free(ctx);
        if (error) snprintf(error, size, "the TLS minimum version is above the maximum");
        return CC_EINVAL;
    }
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
    /* Keep OpenSSL's record buffers for the connection's life: releasing them would allocate again on
     * every request of a kept-alive connection. */
    SSL_CTX_clear_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    if (options->verify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
            SSL_CTX_free(ctx);
            return cc__tls_fail(error, size, "cannot load the system's CA store%s: %s", NULL);
        }
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    if (options->ca_file != NULL && SSL_CTX_load_verify_locations(ctx, options->ca_file, NULL) != 1) {
        SSL_CTX_free(ctx);
        return cc__tls_fail(error, size, "cannot load the CA file '%s': %s", options->ca_file);
    }
    if (options->cert_file != NULL) {
        const char *key = options->key_file ? options->key_file : options->cert_file;
        if (SSL_CTX_use_certificate_chain_file(ctx, options->cert_file) != 1) {
            SSL_CTX_free(ctx);
            return cc__tls_fail(error, size, "cannot load the client certificate '%s': %s", options->cert_file);
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
            SSL_CTX_free(ctx);
            return cc__tls_fail(error, size, "cannot load the client key '%s': %s", key);
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            SSL_CTX_free(ctx);
            return cc__tls_fail(error, size, "the client key '%s' does not match the certificate: %s", key);
        }
    }
    if (options->resume) {
        /* The client keeps sessions itself, one per user: no internal cache, which would need a lock. */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx, cc__on_new_session);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    }
    *out = ctx;
    return 0;
}

int cc__tls_name_is_ip(const char *name) {
    unsigned char address[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, name, address) == 1 || inet_pton(AF_INET6, name, address) == 1;
}

SSL *cc__tls_connection_new(SSL_CTX *ctx, const char *name, int name_is_ip, int verify, SSL_SESSION **session_slot) {
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL) return NULL;
    BIO *in = BIO_new(BIO_s_mem());
    BIO *out = BIO_new(BIO_s_mem());
    if (in == NULL || out == NULL) {
        BIO_free(in);
        BIO_free(out);
        SSL_free(ssl);
        return NULL;
    }
    /* An empty memory BIO reports "retry", not end of file, so OpenSSL asks for more (WANT_READ). */
    BIO_set_mem_eof_return(in, -1);
    BIO_set_mem_eof_return(out, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
    if (!name_is_ip) SSL_set_tlsext_host_name(ssl, name); /* RFC 6066 3: no SNI for literal addresses */
    if (verify) {
        if (name_is_ip)
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
        else
            SSL_set1_host(ssl, name);
    }
    SSL_set_app_data(ssl, session_slot);
    if (session_slot != NULL && *session_slot != NULL) SSL_set_session(ssl, *session_slot);
    return ssl;
}

void cc__tls_connection_free(SSL *ssl) {
    /* Marking the connection as shut down keeps its session resumable; without it OpenSSL would treat
     * the session as broken. Sending close_notify costs a write the load test does not need. */
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl);
}

void cc__tls_context_free(SSL_CTX *ctx) {
    if (ctx != NULL) SSL_CTX_free(ctx);
}
