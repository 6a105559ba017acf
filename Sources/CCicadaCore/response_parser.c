/*
 * The incremental HTTP/1.1 response parser declared in cicada_core.h (RFC 9112, RFC 9110).
 *
 * The parser is a byte-driven state machine whose whole state fits in cc_response_parser_t, so a
 * response split at any byte boundary parses exactly like one that arrives whole: every decision,
 * including which error is reported and where the line limits trip, depends only on the bytes seen,
 * never on how they were cut into feeds. The status line, field lines and chunk-size lines go through
 * one switch per byte (with tight scans over the long runs: names, values, reasons); bodies and chunk
 * data are skipped in bulk.
 *
 * Only three fields change how a response is framed or whether its connection is reusable, so only
 * their names are matched, byte by byte and case-insensitively, against a small word table. Their
 * values are interpreted on the fly; every other field value is only validated. No header byte is kept.
 *
 * Content-Length (RFC 9110 8.6, RFC 9112 6.3 item 5): digits with optional surrounding OWS. A list or a
 * repeated field is accepted when every element has the same value ("5, 5", "05" next to "5"), since
 * the RFC lets a recipient process such a message with that single value; an empty element, a
 * non-digit, a value above 2^62 or elements that differ are CC_PARSE_BAD_CONTENT_LENGTH. The first
 * value is built in remaining_; later ones are compared with it digit by digit (match_pos_ counts the
 * significant digits matched), so no second 64-bit accumulator is needed. The value is checked even
 * when Transfer-Encoding overrides it: a malformed Content-Length is a malformed response.
 *
 * Private state: state_ is a cc__state_t; match_ a cc__word_t being matched (a field name, or an element
 * of a Transfer-Encoding or Connection list); match_pos_ the bytes of it matched (CC__MISMATCH once it
 * cannot match), also the version bytes and status digits seen, and the Content-Length digits compared;
 * flags_ the CC__F_* bits; scratch_ the status code being read; line_length_ the bytes of the current
 * line; header_bytes_ the bytes of the section's finished lines; remaining_ the Content-Length or chunk
 * size being read, then the body or chunk bytes still to come.
 */
#include "cicada_core.h"

#include <limits.h>
#include <string.h>

_Static_assert(sizeof(cc_response_parser_t) == 40, "cicada_core.h and docs/ARCHITECTURE.md say 40 bytes");

_Static_assert(sizeof(cc_response_parser_t) <= 48, "the parser lives inline in every user");
_Static_assert(CC_PARSE_MAX_HEADER_LINE <= CC_PARSE_MAX_HEADER_SECTION, "a line fits in a section");

typedef enum cc__state_e {
    /* Status line, RFC 9112 4: HTTP-version SP status-code SP [ reason-phrase ] CRLF. */
    CC__S_VERSION = 0, /* "HTTP/1.", match_pos_ bytes of it seen; 0 so that a zeroed parser starts here */
    CC__S_MINOR,
    CC__S_VERSION_SP,
    CC__S_STATUS, /* match_pos_ digits seen, the code in scratch_ */
    CC__S_STATUS_END,
    CC__S_REASON,
    CC__S_STATUS_LF, /* CR seen at the end of the status line */
    /* Header section (RFC 9112 5) and trailer section (RFC 9112 7.1.2), line by line. */
    CC__S_LINE_START,
    CC__S_NAME,       /* a field name of no interest */
    CC__S_NAME_MATCH, /* a field name that may still be cc__words[match_] */
    CC__S_VALUE,      /* a field value that is only validated */
    CC__S_CL_BEFORE,  /* Content-Length: OWS before an element */
    CC__S_CL_DIGITS,
    CC__S_CL_AFTER,      /* OWS after an element */
    CC__S_LIST_BEFORE,   /* Transfer-Encoding or Connection: before an element */
    CC__S_LIST_TOKEN,    /* in an element, matching cc__words[match_] */
    CC__S_LIST_AFTER,    /* OWS after an element's token */
    CC__S_LIST_PARAMS,   /* transfer-coding parameters, skipped */
    CC__S_LINE_LF,       /* CR seen at the end of a field line */
    CC__S_SECTION_LF,    /* CR seen on the empty line that ends a section */
    /* Chunked framing, RFC 9112 7.1. The chunk-size line states come first: see the limit below. */
    CC__S_CHUNK_SIZE_START,
    CC__S_CHUNK_SIZE,
    CC__S_CHUNK_SIZE_WS, /* BWS before a chunk extension */
    CC__S_CHUNK_EXT,
    CC__S_CHUNK_SIZE_LF,
    CC__S_CHUNK_DATA_CR,
    CC__S_CHUNK_DATA_LF,
    /* Bodies, skipped in bulk. These stay last: feed dispatches on state >= CC__S_BODY_FIXED. */
    CC__S_BODY_FIXED,
    CC__S_CHUNK_DATA,
    CC__S_BODY_UNTIL_CLOSE,
    CC__S_DONE,
} cc__state_t;

/* flags_ */
enum {
    CC__F_CONTENT_LENGTH = 1u << 0, /* a Content-Length value is in remaining_ */
    CC__F_TRANSFER_ENCODING = 1u << 1,
    CC__F_CHUNKED = 1u << 2, /* the final transfer coding seen so far is chunked */
    CC__F_CLOSE = 1u << 3,
    CC__F_KEEP_ALIVE = 1u << 4,
    CC__F_TRAILERS = 1u << 5, /* the field lines being read are the trailer section */
    CC__F_REUSABLE = 1u << 6, /* the connection may carry another request once the body has ended */
};

/* The words matched case-insensitively: field names, then list elements. The lowercase text is what
 * a byte is compared with after `| 0x20`, which maps 'A'-'Z' to 'a'-'z' and maps no other tchar or
 * field-value byte onto a lowercase letter or '-'. */
typedef enum cc__word_e {
    CC__W_NONE = 0,
    CC__W_CONTENT_LENGTH,
    CC__W_TRANSFER_ENCODING,
    CC__W_CONNECTION, /* the name; in the value, a Connection element not started yet */
    CC__W_CHUNKED,    /* a Transfer-Encoding element */
    CC__W_CLOSE,      /* a Connection element */
    CC__W_KEEP_ALIVE, /* a Connection element */
    CC__W_OTHER,      /* a Connection element that is neither */
} cc__word_t;

static const struct {
    const char *text;
    uint8_t length;
} cc__words[] = {
    [CC__W_NONE] = {"", 0},
    [CC__W_CONTENT_LENGTH] = {"content-length", 14},
    [CC__W_TRANSFER_ENCODING] = {"transfer-encoding", 17},
    [CC__W_CONNECTION] = {"connection", 10},
    [CC__W_CHUNKED] = {"chunked", 7},
    [CC__W_CLOSE] = {"close", 5},
    [CC__W_KEEP_ALIVE] = {"keep-alive", 10},
    [CC__W_OTHER] = {"", 0},
};

#define CC__MISMATCH 0xFFu
/* The largest Content-Length or chunk size accepted: far beyond any real body, and body_bytes plus
 * one more such length still fits in 64 bits. */
#define CC__MAX_LENGTH (UINT64_C(1) << 62)

/* Byte classes. VALUE: field-vchar, SP or HTAB, RFC 9110 5.5 (obs-text 0x80-0xFF included; NUL, the
 * other CTLs and DEL excluded), also what a reason phrase may hold (RFC 9112 4). TCHAR: RFC 9110 5.6.2.
 * HEX: HEXDIG, RFC 5234 B.1 (case-insensitive). */
enum { CC__C_VALUE = 1, CC__C_TCHAR = 2, CC__C_HEX = 4 };

static const uint8_t cc__class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, /* 0x00: HTAB only */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    1, 3, 1, 3, 3, 3, 3, 3, 1, 1, 3, 3, 1, 3, 3, 1, /* 0x20: SP ! " # $ % & ' ( ) * + , - . / */
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 1, 1, 1, 1, 1, 1, /* 0x30: 0-9 : ; < = > ? */
    1, 7, 7, 7, 7, 7, 7, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x40: @ A-O */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 3, 3, /* 0x50: P-Z [ \ ] ^ _ */
    3, 7, 7, 7, 7, 7, 7, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x60: ` a-o */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 3, 1, 3, 0, /* 0x70: p-z { | } ~ DEL */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x80-0xFF: obs-text */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static const uint64_t cc__pow10[20] = {
    UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000), UINT64_C(100000),
    UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000),
    UINT64_C(10000000000), UINT64_C(100000000000), UINT64_C(1000000000000), UINT64_C(10000000000000),
    UINT64_C(100000000000000), UINT64_C(1000000000000000), UINT64_C(10000000000000000),
    UINT64_C(100000000000000000), UINT64_C(1000000000000000000), UINT64_C(10000000000000000000),
};

/* The most bytes the current line may still grow to: a line is bounded by CC_PARSE_MAX_HEADER_LINE and
 * by what is left of the section. Chunk-size lines keep header_bytes_ at 0, so only the line bound
 * applies to them. */
static inline uint32_t cc__line_cap(uint32_t header_bytes) {
    const uint32_t left = CC_PARSE_MAX_HEADER_SECTION - header_bytes;
    return left < CC_PARSE_MAX_HEADER_LINE ? left : CC_PARSE_MAX_HEADER_LINE;
}

/* Advances p over bytes of class `mask`, stopping at `end` and at the line's cap, and counts them in
 * *line. The runs it skips (names, values, reasons, chunk extensions) are most of a header section. */
static inline const uint8_t *cc__scan(const uint8_t *p, const uint8_t *end, uint32_t *line, uint32_t cap,
                                      unsigned mask) {
    size_t room = (size_t)(end - p);
    if (room > cap - *line) {
        room = cap - *line;
    }
    const uint8_t *const start = p;
    const uint8_t *const stop = p + room;
    while (p < stop && (cc__class[*p] & mask)) {
        p++;
    }
    *line += (uint32_t)(p - start);
    return p;
}

static unsigned cc__decimal_digits(uint64_t value) {
    unsigned digits = 0;
    while (digits < 20 && value >= cc__pow10[digits]) {
        digits++;
    }
    return digits;
}

/* One digit of a Content-Length element. The first element ever is built in remaining_; later ones
 * must spell the same number (leading zeros aside): RFC 9112 6.3 item 5 and RFC 9110 8.6 allow a list
 * of identical values and nothing else. */
static int cc__content_length_digit(cc_response_parser_t *parser, unsigned digit) {
    if (!(parser->flags_ & CC__F_CONTENT_LENGTH)) {
        if (parser->remaining_ > (CC__MAX_LENGTH - digit) / 10) {
            return CC_PARSE_BAD_CONTENT_LENGTH;
        }
        parser->remaining_ = parser->remaining_ * 10 + digit;
        return CC_PARSE_OK;
    }
    const unsigned matched = parser->match_pos_;
    if (matched == 0 && digit == 0) {
        return CC_PARSE_OK; /* a leading zero */
    }
    const unsigned digits = cc__decimal_digits(parser->remaining_);
    if (matched >= digits || (parser->remaining_ / cc__pow10[digits - 1 - matched]) % 10 != digit) {
        return CC_PARSE_BAD_CONTENT_LENGTH;
    }
    parser->match_pos_ = (uint8_t)(matched + 1);
    return CC_PARSE_OK;
}

static int cc__content_length_end(cc_response_parser_t *parser) {
    if (!(parser->flags_ & CC__F_CONTENT_LENGTH)) {
        parser->flags_ |= CC__F_CONTENT_LENGTH;
        return CC_PARSE_OK;
    }
    return parser->match_pos_ == cc__decimal_digits(parser->remaining_) ? CC_PARSE_OK
                                                                         : CC_PARSE_BAD_CONTENT_LENGTH;
}

/* Starts a Transfer-Encoding or Connection element whose first byte is c. A Connection element picks
 * the word it may be from its first byte; "close" and "keep-alive" differ there. */
static void cc__list_element_start(cc_response_parser_t *parser, unsigned c) {
    if (parser->match_ == CC__W_CHUNKED) {
        parser->match_pos_ = (c | 0x20) == 'c' ? 1 : CC__MISMATCH;
        return;
    }
    switch (c | 0x20) {
    case 'c':
        parser->match_ = CC__W_CLOSE;
        parser->match_pos_ = 1;
        break;
    case 'k':
        parser->match_ = CC__W_KEEP_ALIVE;
        parser->match_pos_ = 1;
        break;
    default:
        parser->match_ = CC__W_OTHER;
        parser->match_pos_ = CC__MISMATCH;
        break;
    }
}

static inline void cc__list_element_byte(cc_response_parser_t *parser, unsigned c) {
    const unsigned pos = parser->match_pos_;
    if (pos != CC__MISMATCH) {
        const unsigned word = parser->match_;
        parser->match_pos_ =
            pos < cc__words[word].length && (unsigned char)cc__words[word].text[pos] == (c | 0x20)
                ? (uint8_t)(pos + 1)
                : CC__MISMATCH;
    }
}

/* Ends a list element. Transfer-Encoding: the codings of all its field lines form one list (RFC 9110
 * 5.3) and only the last one decides the framing (RFC 9112 6.3 item 4). Connection: RFC 9112 9.3 and
 * 9.6 (close), C.2.2 (keep-alive for HTTP/1.0). Option names are case-insensitive (RFC 9110 7.6.1). */
static void cc__list_element_end(cc_response_parser_t *parser) {
    const unsigned word = parser->match_;
    const int whole = parser->match_pos_ == cc__words[word].length;
    parser->match_pos_ = 0;
    if (word == CC__W_CHUNKED) {
        if (whole) {
            parser->flags_ |= CC__F_CHUNKED;
        } else {
            parser->flags_ &= (uint8_t)~CC__F_CHUNKED;
        }
        return;
    }
    if (whole && word == CC__W_CLOSE) {
        parser->flags_ |= CC__F_CLOSE;
    } else if (whole && word == CC__W_KEEP_ALIVE) {
        parser->flags_ |= CC__F_KEEP_ALIVE;
    }
    parser->match_ = CC__W_CONNECTION;
}

/* The header section of a final response has ended: decides how its body is delimited (RFC 9112 6.3)
 * and whether the connection stays open, and returns the state that reads the body, or CC__S_DONE. */
static cc__state_t cc__begin_body(cc_response_parser_t *parser) {
    const unsigned flags = parser->flags_;
    const unsigned status = parser->status;
    const uint64_t content_length = parser->remaining_;
    parser->remaining_ = 0;
    parser->header_bytes_ = 0;
    parser->match_ = CC__W_NONE;
    parser->match_pos_ = 0;

    /* RFC 9112 9.3: HTTP/1.1 connections persist unless "close" is sent; an HTTP/1.0 one persists only
     * with "keep-alive" (RFC 9112 C.2.2). */
    int keep_alive = (flags & CC__F_CLOSE) ? 0 : parser->http_minor == 1 ? 1 : (flags & CC__F_KEEP_ALIVE) != 0;
    if (flags & CC__F_TRANSFER_ENCODING) {
        /* RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message means the framing is faulty, so close
         * after it. RFC 9112 6.3 item 3: with Content-Length too, it may be response splitting, which
         * "ought to be handled as an error"; the body is read as Transfer-Encoding says, then closed. */
        if (parser->http_minor == 0 || (flags & CC__F_CONTENT_LENGTH)) {
            keep_alive = 0;
        }
    }
    if (status == 101) {
        /* RFC 9110 15.2.2: the connection speaks another protocol right after the empty line. */
        return CC__S_DONE;
    }

    cc__state_t next;
    if (parser->head_request || status == 204 || status == 304) {
        /* RFC 9112 6.3 item 1: no body after HEAD, 1xx (101 above), 204 or 304, whatever the fields
         * say. */
        next = CC__S_DONE;
    } else if (flags & CC__F_TRANSFER_ENCODING) {
        /* RFC 9112 6.3 item 4: chunked when it is the final coding; otherwise a response's body runs to
         * the close. Transfer-Encoding overrides Content-Length (item 3). */
        next = (flags & CC__F_CHUNKED) ? CC__S_CHUNK_SIZE_START : CC__S_BODY_UNTIL_CLOSE;
    } else if (flags & CC__F_CONTENT_LENGTH) {
        /* RFC 9112 6.3 item 6. */
        parser->remaining_ = content_length;
        next = content_length == 0 ? CC__S_DONE : CC__S_BODY_FIXED;
    } else {
        /* RFC 9112 6.3 item 8. */
        next = CC__S_BODY_UNTIL_CLOSE;
    }
    if (next == CC__S_BODY_UNTIL_CLOSE) {
        /* Delimited by the close, so the connection cannot be reused. */
        parser->until_close = 1;
        keep_alive = 0;
    }
    if (keep_alive) {
        parser->flags_ |= CC__F_REUSABLE; /* published in keep_alive when the response completes */
    }
    return next;
}

void cc_response_parser_reset(cc_response_parser_t *parser, int head_request) {
    memset(parser, 0, sizeof *parser);
    parser->state_ = CC__S_VERSION;
    parser->head_request = head_request ? 1 : 0;
}

/* The parser proper. `observer` is NULL for cc_response_parser_feed, which inlines this with the
 * observer's branches folded away: a response nobody inspects costs what it did before observers. */
static inline __attribute__((always_inline)) long cc__feed(cc_response_parser_t *parser, const uint8_t *data,
                                                           size_t length, const cc_response_observer_t *observer) {
    if (parser->error != CC_PARSE_OK) {
        return -1;
    }
    if (parser->complete) {
        return 0;
    }
    if (length == 0) {
        return 0;
    }
    if (length > (size_t)LONG_MAX) {
        length = (size_t)LONG_MAX; /* the count must fit the return value; the caller feeds the rest */
    }

    const uint8_t *p = data;
    const uint8_t *const end = data + length;
    cc__state_t state = (cc__state_t)parser->state_;
    uint32_t line = parser->line_length_;
    uint32_t cap = cc__line_cap(parser->header_bytes_);
    int error = CC_PARSE_OK;
    /* Where the final response's header section began in this input, while it is being read. */
    const uint8_t *section = NULL;
    if (observer != NULL && state >= CC__S_LINE_START && state <= CC__S_SECTION_LF && parser->status >= 200 &&
        !(parser->flags_ & CC__F_TRAILERS))
        section = data;

    while (p < end) {
        if (state >= CC__S_BODY_FIXED) {
            const size_t available = (size_t)(end - p);
            if (state == CC__S_BODY_UNTIL_CLOSE) {
                parser->body_bytes += available;
                if (observer != NULL) observer->body(observer->context, p, available);
                p = end;
                break;
            }
            const size_t take = parser->remaining_ < available ? (size_t)parser->remaining_ : available;
            if (observer != NULL && take > 0) observer->body(observer->context, p, take);
            p += take;
            parser->body_bytes += take;
            parser->remaining_ -= take;
            if (parser->remaining_ != 0) {
                break;
            }
            if (state == CC__S_BODY_FIXED) {
                goto complete;
            }
            state = CC__S_CHUNK_DATA_CR;
            continue;
        }

        /* Every line-oriented byte counts against the line's cap, before anything else is checked, so
         * that the error does not depend on where the input was split. */
        if (line == cap) {
            error = state >= CC__S_CHUNK_SIZE_START ? CC_PARSE_BAD_CHUNK_SIZE : CC_PARSE_HEADER_TOO_LARGE;
            goto fail;
        }
        line++;
        const unsigned c = *p++;

        switch (state) {
        case CC__S_VERSION:
            /* RFC 9112 2.3: HTTP-name is case-sensitive; only 1.0 and 1.1 are HTTP/1 versions we speak. */
            if (c != (unsigned char)"HTTP/1."[parser->match_pos_]) {
                error = CC_PARSE_BAD_VERSION;
                goto fail;
            }
            if (++parser->match_pos_ == 7) {
                parser->match_pos_ = 0;
                state = CC__S_MINOR;
            }
            break;

        case CC__S_MINOR:
            if (c != '0' && c != '1') {
                error = CC_PARSE_BAD_VERSION;
                goto fail;
            }
            parser->http_minor = (uint8_t)(c - '0');
            state = CC__S_VERSION_SP;
            break;

        case CC__S_VERSION_SP:
            if (c != ' ') {
                error = c - '0' <= 9 ? CC_PARSE_BAD_VERSION : CC_PARSE_BAD_STATUS;
                goto fail;
            }
            parser->scratch_ = 0;
            state = CC__S_STATUS;
            break;

        case CC__S_STATUS:
            /* RFC 9110 15: three digits, 100 to 999 (a first digit 0 is no status class). */
            if (c - '0' > 9) {
                error = CC_PARSE_BAD_STATUS;
                goto fail;
            }
            parser->scratch_ = (uint16_t)(parser->scratch_ * 10 + (c - '0'));
            if (++parser->match_pos_ == 3) {
                parser->match_pos_ = 0;
                if (parser->scratch_ < 100) {
                    error = CC_PARSE_BAD_STATUS;
                    goto fail;
                }
                state = CC__S_STATUS_END;
            }
            break;

        case CC__S_STATUS_END:
            /* RFC 9112 4: the reason phrase may be absent; "200" and "200 " both end the line here. */
            if (c == ' ') {
                state = CC__S_REASON;
            } else if (c == '\r') {
                state = CC__S_STATUS_LF;
            } else if (c == '\n') {
                goto status_line_done;
            } else {
                error = CC_PARSE_BAD_STATUS;
                goto fail;
            }
            break;

        case CC__S_REASON:
            if (cc__class[c] & CC__C_VALUE) {
                p = cc__scan(p, end, &line, cap, CC__C_VALUE);
            } else if (c == '\r') {
                state = CC__S_STATUS_LF;
            } else if (c == '\n') {
                goto status_line_done;
            } else {
                error = CC_PARSE_BAD_REASON;
                goto fail;
            }
            break;

        case CC__S_STATUS_LF:
            if (c != '\n') {
                error = CC_PARSE_BAD_LINE_END;
                goto fail;
            }
            goto status_line_done;

        case CC__S_LINE_START:
            if (cc__class[c] & CC__C_TCHAR) {
                state = CC__S_NAME;
                /* Trailer fields never change the framing (RFC 9110 6.5.1), so their names are not
                 * matched. */
                if (!(parser->flags_ & CC__F_TRAILERS)) {
                    if ((c | 0x20) == 'c') {
                        parser->match_ = CC__W_CONTENT_LENGTH; /* or Connection: see CC__S_NAME_MATCH */
                        parser->match_pos_ = 1;
                        state = CC__S_NAME_MATCH;
                    } else if ((c | 0x20) == 't') {
                        parser->match_ = CC__W_TRANSFER_ENCODING;
                        parser->match_pos_ = 1;
                        state = CC__S_NAME_MATCH;
                    }
                }
            } else if (c == '\r') {
                state = CC__S_SECTION_LF;
            } else if (c == '\n') {
                goto section_done;
            } else if (c == ' ' || c == '\t') {
                /* RFC 9112 5.2: obs-fold is deprecated outside message/http; a user agent may reject
                 * it. The same holds for whitespace before the first field line (RFC 9112 2.2). */
                error = CC_PARSE_FOLDED_HEADER;
                goto fail;
            } else {
                error = CC_PARSE_BAD_HEADER_NAME;
                goto fail;
            }
            break;

        case CC__S_NAME:
            if (cc__class[c] & CC__C_TCHAR) {
                p = cc__scan(p, end, &line, cap, CC__C_TCHAR);
            } else if (c == ':') {
                state = CC__S_VALUE;
            } else {
                /* RFC 9112 5.1: no whitespace between the name and the colon. A line with no colon ends
                 * up here too. */
                error = CC_PARSE_BAD_HEADER_NAME;
                goto fail;
            }
            break;

        case CC__S_NAME_MATCH:
            if (cc__class[c] & CC__C_TCHAR) {
                const unsigned word = parser->match_;
                const unsigned pos = parser->match_pos_;
                const unsigned lower = c | 0x20;
                if (pos < cc__words[word].length && (unsigned char)cc__words[word].text[pos] == lower) {
                    parser->match_pos_ = (uint8_t)(pos + 1);
                } else if (word == CC__W_CONTENT_LENGTH && pos == 3 && lower == 'n') {
                    parser->match_ = CC__W_CONNECTION; /* "con" + "n": the two names part here */
                    parser->match_pos_ = 4;
                } else {
                    state = CC__S_NAME;
                }
            } else if (c == ':') {
                const unsigned word = parser->match_;
                state = CC__S_VALUE;
                if (parser->match_pos_ == cc__words[word].length) {
                    parser->match_pos_ = 0;
                    if (word == CC__W_CONTENT_LENGTH) {
                        state = CC__S_CL_BEFORE;
                    } else if (word == CC__W_TRANSFER_ENCODING) {
                        parser->flags_ |= CC__F_TRANSFER_ENCODING;
                        parser->match_ = CC__W_CHUNKED;
                        state = CC__S_LIST_BEFORE;
                    } else {
                        state = CC__S_LIST_BEFORE; /* Connection */
                    }
                }
            } else {
                error = CC_PARSE_BAD_HEADER_NAME;
                goto fail;
            }
            break;

        case CC__S_VALUE:
            /* RFC 9110 5.5: field-vchar, SP and HTAB; NUL, CR, LF and the other CTLs are rejected. */
            if (cc__class[c] & CC__C_VALUE) {
                p = cc__scan(p, end, &line, cap, CC__C_VALUE);
            } else if (c == '\r') {
                state = CC__S_LINE_LF;
            } else if (c == '\n') {
                goto field_line_done;
            } else {
                error = CC_PARSE_BAD_HEADER_VALUE;
                goto fail;
            }
            break;

        case CC__S_CL_BEFORE:
            /* RFC 9110 8.6: Content-Length = 1*DIGIT, in a list (RFC 9110 5.6.1) with OWS around. An
             * empty element is a missing length, not one to ignore. */
            if (c == ' ' || c == '\t') {
                break;
            }
            if (c - '0' <= 9) {
                parser->match_pos_ = 0;
                if ((error = cc__content_length_digit(parser, c - '0')) != CC_PARSE_OK) {
                    goto fail;
                }
                state = CC__S_CL_DIGITS;
                break;
            }
            error = (cc__class[c] & CC__C_VALUE) || c == '\r' || c == '\n' ? CC_PARSE_BAD_CONTENT_LENGTH
                                                                              : CC_PARSE_BAD_HEADER_VALUE;
            goto fail;

        case CC__S_CL_DIGITS:
            if (c - '0' <= 9) {
                if ((error = cc__content_length_digit(parser, c - '0')) != CC_PARSE_OK) {
                    goto fail;
                }
                break;
            }
            if (c != ' ' && c != '\t' && c != ',' && c != '\r' && c != '\n') {
                error = (cc__class[c] & CC__C_VALUE) ? CC_PARSE_BAD_CONTENT_LENGTH : CC_PARSE_BAD_HEADER_VALUE;
                goto fail;
            }
            if ((error = cc__content_length_end(parser)) != CC_PARSE_OK) {
                goto fail;
            }
            if (c == ',') {
                state = CC__S_CL_BEFORE;
            } else if (c == '\r') {
                state = CC__S_LINE_LF;
            } else if (c == '\n') {
                goto field_line_done;
            } else {
                state = CC__S_CL_AFTER;
            }
            break;

        case CC__S_CL_AFTER:
            if (c == ' ' || c == '\t') {
                break;
            }
            if (c == ',') {
                state = CC__S_CL_BEFORE;
            } else if (c == '\r') {
                state = CC__S_LINE_LF;
            } else if (c == '\n') {
                goto field_line_done;
            } else {
                error = (cc__class[c] & CC__C_VALUE) ? CC_PARSE_BAD_CONTENT_LENGTH : CC_PARSE_BAD_HEADER_VALUE;
                goto fail;
            }
            break;

        case CC__S_LIST_BEFORE:
            /* RFC 9110 5.6.1: empty elements and the OWS around commas are ignored. */
            if (c == ' ' || c == '\t' || c == ',') {
                break;
            }
            if (c == '\r') {
                state = CC__S_LINE_LF;
            } else if (c == '\n') {
                goto field_line_done;
            } else if (cc__class[c] & CC__C_VALUE) {
                cc__list_element_start(parser, c);
                state = CC__S_LIST_TOKEN;
            } else {
                error = CC_PARSE_BAD_HEADER_VALUE;
                goto fail;
            }
            break;

        case CC__S_LIST_TOKEN:
        case CC__S_LIST_AFTER:
            if (c == ',') {
                cc__list_element_end(parser);
                state = CC__S_LIST_BEFORE;
            } else if (c == ' ' || c == '\t') {
                state = CC__S_LIST_AFTER;
            } else if (c == ';' && parser->match_ == CC__W_CHUNKED) {
                /* RFC 9112 7: transfer-coding parameters; the coding's name is complete. Quoted
                 * parameter values are not tracked: a comma inside one would split the element, which
                 * can only turn a chunked final coding into an unknown one (read until close). */
                state = CC__S_LIST_PARAMS;
            } else if (c == '\r') {
                cc__list_element_end(parser);
                state = CC__S_LINE_LF;
            } else if (c == '\n') {
                cc__list_element_end(parser);
                goto field_line_done;
            } else if (cc__class[c] & CC__C_VALUE) {
                if (state == CC__S_LIST_AFTER) {
                    parser->match_pos_ = CC__MISMATCH; /* "chunked x": not a single token */
                    state = CC__S_LIST_TOKEN;
                } else {
                    cc__list_element_byte(parser, c);
                }
            } else {
                error = CC_PARSE_BAD_HEADER_VALUE;
                goto fail;
            }
            break;

        case CC__S_LIST_PARAMS:
            if (c == ',') {
                cc__list_element_end(parser);
                state = CC__S_LIST_BEFORE;
            } else if (c == '\r') {
                cc__list_element_end(parser);
                state = CC__S_LINE_LF;
            } else if (c == '\n') {
                cc__list_element_end(parser);
                goto field_line_done;
            } else if (!(cc__class[c] & CC__C_VALUE)) {
                error = CC_PARSE_BAD_HEADER_VALUE;
                goto fail;
            }
            break;

        case CC__S_LINE_LF:
            /* RFC 9112 2.2: a CR not followed by LF is invalid (a bare LF alone is accepted). */
            if (c != '\n') {
                error = CC_PARSE_BAD_LINE_END;
                goto fail;
            }
            goto field_line_done;

        case CC__S_SECTION_LF:
            if (c != '\n') {
                error = CC_PARSE_BAD_LINE_END;
                goto fail;
            }
            goto section_done;

        case CC__S_CHUNK_SIZE_START:
            /* RFC 9112 7.1: chunk-size = 1*HEXDIG. */
            if (!(cc__class[c] & CC__C_HEX)) {
                error = CC_PARSE_BAD_CHUNK_SIZE;
                goto fail;
            }
            parser->remaining_ = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
            state = CC__S_CHUNK_SIZE;
            break;

        case CC__S_CHUNK_SIZE:
        case CC__S_CHUNK_SIZE_WS:
            if (state == CC__S_CHUNK_SIZE && (cc__class[c] & CC__C_HEX)) {
                const unsigned digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
                if (parser->remaining_ > (CC__MAX_LENGTH - digit) / 16) {
                    error = CC_PARSE_BAD_CHUNK_SIZE;
                    goto fail;
                }
                parser->remaining_ = parser->remaining_ * 16 + digit;
                break;
            }
            if (c == ' ' || c == '\t') {
                state = CC__S_CHUNK_SIZE_WS; /* RFC 9112 7.1.1: BWS before ";" */
            } else if (c == ';') {
                state = CC__S_CHUNK_EXT;
            } else if (c == '\r') {
                state = CC__S_CHUNK_SIZE_LF;
            } else if (c == '\n') {
                goto chunk_size_done;
            } else {
                error = CC_PARSE_BAD_CHUNK_SIZE;
                goto fail;
            }
            break;

        case CC__S_CHUNK_EXT:
            /* RFC 9112 7.1.1: extensions are ignored; their length is bounded by the line cap. */
            if (cc__class[c] & CC__C_VALUE) {
                p = cc__scan(p, end, &line, cap, CC__C_VALUE);
            } else if (c == '\r') {
                state = CC__S_CHUNK_SIZE_LF;
            } else if (c == '\n') {
                goto chunk_size_done;
            } else {
                error = CC_PARSE_BAD_CHUNK_SIZE;
                goto fail;
            }
            break;

        case CC__S_CHUNK_SIZE_LF:
            if (c != '\n') {
                error = CC_PARSE_BAD_CHUNK_SIZE;
                goto fail;
            }
            goto chunk_size_done;

        case CC__S_CHUNK_DATA_CR:
            /* RFC 9112 7.1: chunk-data CRLF; a bare LF is accepted as everywhere else. */
        case CC__S_CHUNK_DATA_LF:
            if (c == '\r' && state == CC__S_CHUNK_DATA_CR) {
                state = CC__S_CHUNK_DATA_LF;
                break;
            }
            if (c != '\n') {
                error = CC_PARSE_BAD_CHUNK_END;
                goto fail;
            }
            line = 0;
            state = CC__S_CHUNK_SIZE_START;
            break;

        default: /* the body states, handled above */
            break;
        }
        continue;

    status_line_done:
        parser->status = parser->scratch_;
        if (observer != NULL && parser->status >= 200) section = p;
        /* fall through */
    field_line_done:
        parser->header_bytes_ += line;
        line = 0;
        cap = cc__line_cap(parser->header_bytes_);
        state = CC__S_LINE_START;
        continue;

    chunk_size_done:
        line = 0;
        if (parser->remaining_ != 0) {
            state = CC__S_CHUNK_DATA;
            continue;
        }
        /* The last chunk: a trailer section follows, bounded like a header section (RFC 9112 7.1.2). */
        parser->flags_ |= CC__F_TRAILERS;
        parser->header_bytes_ = 0;
        cap = cc__line_cap(0);
        state = CC__S_LINE_START;
        continue;

    section_done:
        if (section != NULL) {
            observer->headers(observer->context, section, (size_t)(p - section));
            section = NULL;
        }
        if (parser->flags_ & CC__F_TRAILERS) {
            goto complete;
        }
        if (parser->status < 200 && parser->status != 101) {
            /* RFC 9110 15.2: an interim response; the final one follows on the same connection. */
            if (++parser->interim_seen_ > CC_PARSE_MAX_INTERIM) {
                error = CC_PARSE_TOO_MANY_INTERIM;
                goto fail;
            }
            parser->status = 0;
            parser->flags_ = 0;
            parser->match_ = CC__W_NONE;
            parser->match_pos_ = 0;
            parser->scratch_ = 0;
            parser->remaining_ = 0;
            parser->header_bytes_ = 0;
            line = 0;
            cap = cc__line_cap(0);
            state = CC__S_VERSION;
            continue;
        }
        state = cc__begin_body(parser);
        line = 0;
        cap = cc__line_cap(0);
        if (state == CC__S_DONE) {
            goto complete;
        }
    }

    if (section != NULL) observer->headers(observer->context, section, (size_t)(p - section));
    parser->state_ = (uint8_t)state;
    parser->line_length_ = line;
    return (long)(p - data);

complete:
    parser->complete = 1;
    parser->keep_alive = (parser->flags_ & CC__F_REUSABLE) != 0;
    parser->state_ = CC__S_DONE;
    parser->line_length_ = 0;
    return (long)(p - data);

fail:
    parser->error = (uint8_t)error;
    parser->state_ = (uint8_t)state;
    parser->line_length_ = line;
    return -1;
}

long cc_response_parser_feed(cc_response_parser_t *parser, const uint8_t *data, size_t length) {
    return cc__feed(parser, data, length, NULL);
}

long cc_response_parser_feed_observed(cc_response_parser_t *parser, const uint8_t *data, size_t length,
                                      const cc_response_observer_t *observer) {
    return cc__feed(parser, data, length, observer);
}

int cc_response_parser_finish(cc_response_parser_t *parser) {
    if (parser->error != CC_PARSE_OK) {
        return -1;
    }
    if (parser->complete) {
        return 1;
    }
    /* RFC 9112 6.3 items 4 and 8: the close is what ends such a body, even an empty one. */
    if (parser->state_ == CC__S_BODY_UNTIL_CLOSE) {
        parser->complete = 1;
        parser->state_ = CC__S_DONE;
        return 1;
    }
    return 0;
}
