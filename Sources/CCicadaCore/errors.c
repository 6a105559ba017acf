/* The tables behind the core's error, failure and parser codes: one X-macro list each, in the header. */
#include "cicada_core.h"

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
