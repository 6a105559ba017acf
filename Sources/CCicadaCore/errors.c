/* The tables behind the core's error, failure and parser codes: one X-macro list each, in the header. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <uv.h>

int cc__fail(int code, char *error, size_t error_size, const char *format, ...) {
    if (error != NULL && error_size > 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(error, error_size, format, args);
        va_end(args);
    }
    return code;
}

const char *cc_strerror(int code) {
    switch (code) {
    case CC_OK:
        return "ok";
#define CC__ERROR_TEXT(name, value, text) \
    case name:                            \
        return text;
        CC_ERROR_MAP(CC__ERROR_TEXT)
#undef CC__ERROR_TEXT
    default:
        return "unknown error";
    }
}

const char *cc_failure_key(int failure) {
    switch (failure) {
#define CC__FAILURE_KEY(name, value, key, text) \
    case name:                                  \
        return key;
        CC_FAILURE_MAP(CC__FAILURE_KEY)
#undef CC__FAILURE_KEY
    default:
        return "unknown";
    }
}

const char *cc_failure_text(int failure) {
    switch (failure) {
#define CC__FAILURE_TEXT(name, value, key, text) \
    case name:                                   \
        return text;
        CC_FAILURE_MAP(CC__FAILURE_TEXT)
#undef CC__FAILURE_TEXT
    default:
        return "unknown failure";
    }
}

const char *cc_parse_error_text(int code) {
    switch (code) {
#define CC__PARSE_TEXT(name, value, text) \
    case name:                            \
        return text;
        CC_PARSE_ERROR_MAP(CC__PARSE_TEXT)
#undef CC__PARSE_TEXT
    default:
        return "unknown parse error";
    }
}

const char *cc_request_rule_text(int rule) {
    switch (rule) {
#define CC__RULE_TEXT(name, value, text) \
    case name:                           \
        return text;
        CC_REQUEST_RULE_MAP(CC__RULE_TEXT)
#undef CC__RULE_TEXT
    default:
        return "breaks an unknown rule";
    }
}

size_t cc_failure_detail_text(int failure, int32_t detail, char *buffer, size_t size) {
    if (buffer == NULL || size == 0) return 0;
    buffer[0] = '\0';
    switch (failure) {
    case CC_FAIL_NONE:
    case CC_FAIL_CANCELLED:
    case CC_FAIL_HTTP_4XX:
    case CC_FAIL_HTTP_5XX:
        return 0;
    case CC_FAIL_MALFORMED:
        return (size_t)snprintf(buffer, size, "%s", cc_parse_error_text(detail));
    case CC_FAIL_TLS_VERIFY:
    case CC_FAIL_TLS_HANDSHAKE:
    case CC_FAIL_TLS:
        return cc__tls_detail_text(failure, detail, buffer, size);
    default:
        return detail < 0 ? (size_t)snprintf(buffer, size, "%s", uv_err_name(detail)) : 0;
    }
}
