/* The rules a request obeys, in one place: the plan compiler applies them to every request it renders,
 * and the Swift loader calls cc_request_check on the same values so that a scenario file is refused
 * with its line and column before anything is compiled. Any thread; no state. */
#include "internal.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 5.6.2: tchar. */
static int cc__is_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Methods of RFC 9110 9 and RFC 5789, to catch `post` written for `POST`: methods are case-sensitive
 * (RFC 9110 9.1), and a server answers `post` with 501 or 405. */
static const char *const cc__standard_methods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                   "CONNECT", "OPTIONS", "TRACE", "PATCH"};

static int cc__is_standard_method_in_wrong_case(const char *text, size_t length) {
    for (size_t i = 0; i < sizeof cc__standard_methods / sizeof *cc__standard_methods; i++) {
        const char *method = cc__standard_methods[i];
        if (strlen(method) == length && strncasecmp(method, text, length) == 0 && strncmp(method, text, length) != 0)
            return 1;
    }
    return 0;
}

/* Headers the request writer owns: it frames the body itself (RFC 9112 6) and manages the connection. */
static int cc__owned_header(const char *text, size_t length) {
    static const struct {
        const char *name;
        int rule;
    } owned[] = {
        {"Content-Length", CC_RULE_OWNED_CONTENT_LENGTH},
        {"Transfer-Encoding", CC_RULE_OWNED_TRANSFER_ENCODING},
        {"Connection", CC_RULE_OWNED_CONNECTION},
    };
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        if (strlen(owned[i].name) == length && strncasecmp(owned[i].name, text, length) == 0) return owned[i].rule;
    return CC_RULE_OK;
}

static int cc__check_token(const char *text, size_t length, size_t *offset) {
    if (length == 0) return CC_RULE_EMPTY;
    for (size_t i = 0; i < length; i++) {
        if (!cc__is_tchar((unsigned char)text[i])) {
            *offset = i;
            return CC_RULE_NOT_TOKEN;
        }
    }
    return CC_RULE_OK;
}

int cc_request_check(cc_request_part_t part, const char *text, size_t length, size_t *offset) {
    size_t ignored;
    if (offset == NULL) offset = &ignored;
    *offset = 0;
    if (text == NULL) return CC_RULE_EMPTY;
    switch (part) {
    case CC_REQUEST_METHOD: {
        int rule = cc__check_token(text, length, offset);
        if (rule != CC_RULE_OK) return rule;
        return cc__is_standard_method_in_wrong_case(text, length) ? CC_RULE_METHOD_CASE : CC_RULE_OK;
    }
    case CC_REQUEST_TARGET:
        /* RFC 9112 3.2.1: origin-form, "/" path [ "?" query ], as sent: visible ASCII (RFC 3986 2.1:
         * anything else is percent-encoded) and no '#', which starts a fragment that is never sent. */
        if (length == 0 || text[0] != '/') return CC_RULE_NOT_ORIGIN_FORM;
        for (size_t i = 0; i < length; i++) {
            unsigned char c = (unsigned char)text[i];
            if (c == '#') {
                *offset = i;
                return CC_RULE_FRAGMENT;
            }
            if (c <= 0x20 || c >= 0x7F) {
                *offset = i;
                return CC_RULE_TARGET_CHARACTER;
            }
        }
        return CC_RULE_OK;
    case CC_REQUEST_HEADER_NAME: {
        int rule = cc__check_token(text, length, offset);
        return rule != CC_RULE_OK ? rule : cc__owned_header(text, length);
    }
    case CC_REQUEST_HEADER_VALUE:
        /* RFC 9110 5.5: VCHAR, obs-text, SP and HTAB. CR and LF would end the header early and let the
         * value inject others; NUL is refused by most servers. */
        for (size_t i = 0; i < length; i++) {
            unsigned char c = (unsigned char)text[i];
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                *offset = i;
                return CC_RULE_CONTROL_CHARACTER;
            }
        }
        return CC_RULE_OK;
    }
    return CC_RULE_EMPTY;
}
