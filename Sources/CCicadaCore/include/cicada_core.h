/*
 * cicada_core.h: the one public header of Cicada's C core.
 *
 * The core runs simulated HTTP/1.1 users on libuv event loops, one loop per worker thread. Everything
 * the Swift layer needs crosses this header: a compiled plan (what users do), an engine (who does it),
 * samples (what happened) and the pieces that are worth testing on their own (the response parser and
 * the user state machine), which take no socket and no thread.
 *
 * Conventions
 * - Functions return 0 or a negative CC_E* code unless their comment says otherwise.
 * - Handles (cc_plan_t, cc_engine_t) are opaque and owned by whoever created them; each has one free
 *   function. Plain structs (cc_plan_spec_t, cc_sample_t, ...) are caller-owned values.
 * - "Control thread" means the one thread that created an engine. The engine's functions may be called
 *   only from it, except where a comment says otherwise. Worker threads never call back into the caller:
 *   results flow through sample rings that the control thread drains.
 */
#ifndef CICADA_CORE_H
#define CICADA_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CC_VERSION "0.1.0"

/* ---------------------------------------------------------------------------------------------------
 * Errors of the API itself (bad arguments, resources). Per-request failures are not errors: they are
 * counted as cc_failure_t in samples.
 */
#define CC_ERROR_MAP(X)                                                                          \
    X(CC_EINVAL, -1, "invalid argument")                                                          \
    X(CC_ENOMEM, -2, "out of memory")                                                             \
    X(CC_ERESOLVE, -3, "could not resolve the target host")                                       \
    X(CC_ESYSTEM, -4, "system call failed")                                                       \
    X(CC_EFULL, -5, "no room: the user capacity or the command queue is full")                    \
    X(CC_ESTATE, -6, "the engine is not in a state that allows this call")

typedef enum cc_error_e {
    CC_OK = 0,
#define CC__ERROR_ENUM(name, value, text) name = value,
    CC_ERROR_MAP(CC__ERROR_ENUM)
#undef CC__ERROR_ENUM
} cc_error_t;

/* Returns a static string describing an API error code; never NULL. Any thread. */
const char *cc_strerror(int code);

/* ---------------------------------------------------------------------------------------------------
 * Per-request failure kinds. A sample's `failure` is one of these; CC_FAIL_NONE means success.
 */
#define CC_FAILURE_MAP(X)                                                                         \
    X(CC_FAIL_NONE, 0, "none", "ok")                                                              \
    X(CC_FAIL_CONNECT_REFUSED, 1, "connect_refused", "connection refused")                        \
    X(CC_FAIL_CONNECT_TIMEOUT, 2, "connect_timeout", "connect timeout")                           \
    X(CC_FAIL_CONNECT, 3, "connect_error", "connect error")                                       \
    X(CC_FAIL_RESET, 4, "reset", "connection reset by peer")                                      \
    X(CC_FAIL_CLOSED, 5, "closed", "connection closed before the response was complete")          \
    X(CC_FAIL_WRITE, 6, "write_error", "write error")                                             \
    X(CC_FAIL_READ, 7, "read_error", "read error")                                                \
    X(CC_FAIL_TIMEOUT, 8, "timeout", "response timeout")                                          \
    X(CC_FAIL_MALFORMED, 9, "malformed", "malformed response")                                    \
    X(CC_FAIL_HTTP_4XX, 10, "http_4xx", "HTTP 4xx")                                               \
    X(CC_FAIL_HTTP_5XX, 11, "http_5xx", "HTTP 5xx")                                               \
    X(CC_FAIL_CANCELLED, 12, "cancelled", "cancelled at stop")                                   \
    X(CC_FAIL_TLS_VERIFY, 13, "tls_verify", "tls: certificate verify failed")                     \
    X(CC_FAIL_TLS_HANDSHAKE, 14, "tls_handshake", "tls: handshake failure")                       \
    X(CC_FAIL_TLS, 15, "tls_error", "tls: error")                                                 \
    X(CC_FAIL_CHECK, 16, "check", "check failed")                                                 \
    X(CC_FAIL_CAPTURE, 17, "capture", "capture found nothing")                                    \
    X(CC_FAIL_TEMPLATE, 18, "template", "request could not be rendered")                          \
    X(CC_FAIL_DATA, 19, "data", "no data row left for the user")

typedef enum cc_failure_e {
#define CC__FAILURE_ENUM(name, value, key, text) name = value,
    CC_FAILURE_MAP(CC__FAILURE_ENUM)
#undef CC__FAILURE_ENUM
    CC_FAIL__COUNT
} cc_failure_t;

/* Returns a stable snake_case key for a failure kind ("connect_refused"), for files; never NULL. */
const char *cc_failure_key(int failure);
/* Returns a short human description of a failure kind; never NULL. Any thread. */
const char *cc_failure_text(int failure);

/* Writes the words for a sample's `detail` into `buffer` (at most `size` bytes, NUL-terminated): the
 * parser's reason for MALFORMED ("bad chunk size"), OpenSSL's reason for the TLS kinds ("self-signed
 * certificate", "sslv3 alert handshake failure", "unexpected eof while reading"), the system error's
 * name otherwise ("ECONNRESET"); an empty string when there is nothing to add. Returns the length
 * written. Any thread. */
size_t cc_failure_detail_text(int failure, int32_t detail, char *buffer, size_t size);

/* ---------------------------------------------------------------------------------------------------
 * The response parser: an incremental HTTP/1.1 response parser (RFC 9112). It keeps no pointer into
 * the caller's bytes and copies none of them, so a response may arrive split at any byte boundary and
 * parses the same as one that arrives whole. Bodies are counted, not kept.
 */
#define CC_PARSE_ERROR_MAP(X)                                                                     \
    X(CC_PARSE_OK, 0, "ok")                                                                       \
    X(CC_PARSE_BAD_VERSION, 1, "bad HTTP version in the status line")                             \
    X(CC_PARSE_BAD_STATUS, 2, "bad status code")                                                  \
    X(CC_PARSE_BAD_REASON, 3, "bad reason phrase")                                                \
    X(CC_PARSE_BAD_HEADER_NAME, 4, "bad header name")                                             \
    X(CC_PARSE_BAD_HEADER_VALUE, 5, "bad header value")                                           \
    X(CC_PARSE_FOLDED_HEADER, 6, "folded header line (obs-fold)")                                 \
    X(CC_PARSE_HEADER_TOO_LARGE, 7, "header section too large")                                   \
    X(CC_PARSE_BAD_CONTENT_LENGTH, 8, "bad Content-Length")                                       \
    X(CC_PARSE_BAD_CHUNK_SIZE, 9, "bad chunk size")                                               \
    X(CC_PARSE_BAD_CHUNK_END, 10, "missing CRLF after chunk data")                                \
    X(CC_PARSE_BAD_LINE_END, 11, "bare CR in the header section")                                 \
    X(CC_PARSE_TOO_MANY_INTERIM, 12, "too many 1xx responses")

typedef enum cc_parse_error_e {
#define CC__PARSE_ENUM(name, value, text) name = value,
    CC_PARSE_ERROR_MAP(CC__PARSE_ENUM)
#undef CC__PARSE_ENUM
    CC_PARSE__COUNT
} cc_parse_error_t;

/* Returns a human description of a parser error code; never NULL. Any thread. */
const char *cc_parse_error_text(int code);

/* Limits the parser enforces. They bound what a hostile server can make a user hold, not buffers:
 * the parser holds no header bytes. */
#define CC_PARSE_MAX_HEADER_SECTION (64u * 1024u) /* status line + all header lines, in bytes */
#define CC_PARSE_MAX_HEADER_LINE (16u * 1024u)    /* one header line, like nginx's large buffers */
#define CC_PARSE_MAX_INTERIM 16u                  /* 1xx responses before the final one */

/* The parser's state. A plain value: zero it with cc_response_parser_reset, then feed bytes. The
 * fields below the line are the results; the rest is private state. 40 bytes. */
typedef struct cc_response_parser_s {
    uint8_t state_;         /* private */
    uint8_t match_;         /* private: which interesting header name is being matched */
    uint8_t match_pos_;     /* private */
    uint8_t flags_;         /* private */
    uint16_t interim_seen_; /* private */
    uint16_t scratch_;      /* private */
    uint32_t line_length_;  /* private */
    uint32_t header_bytes_; /* private */
    uint64_t remaining_;    /* private: body or chunk bytes still to come */
    /* ---- results ---- */
    uint64_t body_bytes;    /* body bytes seen so far (chunked framing excluded) */
    uint16_t status;        /* final status code, 0 until the status line is parsed */
    uint8_t http_minor;     /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    uint8_t keep_alive;     /* after completion: 1 when the connection may carry another request */
    uint8_t complete;       /* 1 once the whole response has been parsed */
    uint8_t error;          /* a cc_parse_error_t; sticky once set */
    uint8_t head_request;   /* set by reset: the request was HEAD, so the response has no body */
    uint8_t until_close;    /* 1 when the body is delimited by the end of the connection */
} cc_response_parser_t;

/* Prepares a parser for the response to one request. `head_request` is 1 when the request was HEAD
 * (RFC 9112 6.3: such a response has no body whatever its headers say). Any thread. */
void cc_response_parser_reset(cc_response_parser_t *parser, int head_request);

/* Feeds `length` bytes. Returns the number of bytes consumed, which is less than `length` only when
 * the response completed before the end of the input (the rest belongs to the next response), or -1
 * on a malformed response, with parser->error set. Once complete or failed, feeding consumes nothing
 * and returns 0 (complete) or -1 (failed). The parser keeps no pointer to `data`. Any thread. */
long cc_response_parser_feed(cc_response_parser_t *parser, const uint8_t *data, size_t length);

/* What an observed feed reports, for captures and checks: the final response's header section (not a
 * 1xx's, not the trailers) as it arrives, from the first field line through the empty line that ends
 * it, cut wherever the input was cut; and the body's bytes with any chunked framing removed. The
 * pointers are into the caller's input and valid only during the call. */
typedef struct cc_response_observer_s {
    void (*headers)(void *context, const uint8_t *data, size_t length);
    void (*body)(void *context, const uint8_t *data, size_t length);
    void *context;
} cc_response_observer_t;

/* As cc_response_parser_feed, reporting to `observer` (not NULL) what it parses. Any thread. */
long cc_response_parser_feed_observed(cc_response_parser_t *parser, const uint8_t *data, size_t length,
                                      const cc_response_observer_t *observer);

/* Tells the parser that the connection ended. Returns 1 when that completes the response (a body
 * delimited by the close, RFC 9112 6.3 item 8), 0 when the response is incomplete, -1 when the parser
 * had already failed. Any thread. */
int cc_response_parser_finish(cc_response_parser_t *parser);

/* ---------------------------------------------------------------------------------------------------
 * The plan: what the simulated users do, as plain structs. The caller fills a cc_plan_spec_t and
 * compiles it; compilation validates it and copies everything it needs, so the spec's memory may be
 * freed as soon as cc_plan_compile returns.
 */

/* The rules every request obeys (request_rules.c): the plan compiler refuses a request that breaks one,
 * and a front end may check values with cc_request_check first, to say where in its own input they
 * came from. */
typedef enum cc_request_part_e {
    CC_REQUEST_METHOD = 0,       /* a token (RFC 9110 9); a standard method only in upper case */
    CC_REQUEST_TARGET = 1,       /* origin-form, "/path?query" (RFC 9112 3.2.1): visible ASCII, no '#' */
    CC_REQUEST_HEADER_NAME = 2,  /* a token (RFC 9110 5.1), not one of the headers Cicada writes */
    CC_REQUEST_HEADER_VALUE = 3, /* no control character but tab (RFC 9110 5.5) */
} cc_request_part_t;

#define CC_REQUEST_RULE_MAP(X)                                                                     \
    X(CC_RULE_OK, 0, "ok")                                                                          \
    X(CC_RULE_EMPTY, 1, "is empty")                                                                 \
    X(CC_RULE_NOT_TOKEN, 2, "has a character a token cannot have (RFC 9110 5.6.2)")                 \
    X(CC_RULE_METHOD_CASE, 3, "is a standard method in lower case; methods are case-sensitive")    \
    X(CC_RULE_NOT_ORIGIN_FORM, 4, "does not start with '/'")                                       \
    X(CC_RULE_TARGET_CHARACTER, 5, "has a character that must be percent-encoded (RFC 3986 2.1)")   \
    X(CC_RULE_FRAGMENT, 6, "has a fragment ('#'), which is never sent")                            \
    X(CC_RULE_CONTROL_CHARACTER, 7, "has a control character (RFC 9110 5.5)")                      \
    X(CC_RULE_OWNED_CONTENT_LENGTH, 8, "is Content-Length, which Cicada sets from the body")        \
    X(CC_RULE_OWNED_TRANSFER_ENCODING, 9, "is Transfer-Encoding; Cicada sends bodies with Content-Length") \
    X(CC_RULE_OWNED_CONNECTION, 10, "is Connection, which Cicada manages (ask for Connection: close with close_connection)")

typedef enum cc_request_rule_e {
#define CC__RULE_ENUM(name, value, text) name = value,
    CC_REQUEST_RULE_MAP(CC__RULE_ENUM)
#undef CC__RULE_ENUM
    CC_RULE__COUNT
} cc_request_rule_t;

/* Checks `length` bytes of `text` (which need not be NUL-terminated, and may contain NUL) as `part` of
 * a request. Returns CC_RULE_OK or the rule broken, and stores in *offset (when not NULL) the offset of
 * the byte that broke it (0 when the whole value did). Any thread. */
int cc_request_check(cc_request_part_t part, const char *text, size_t length, size_t *offset);

/* Returns the words for a cc_request_rule_t ("has a fragment ('#'), which is never sent"); never NULL.
 * Any thread. */
const char *cc_request_rule_text(int rule);

/* ---- templates --------------------------------------------------------------------------------------
 * A part of a request that varies per request (a target, a header value, a body) is a template: pieces
 * of literal text and slots, rendered into the lane's own buffer when the request starts, with no
 * allocation. A request with no template keeps the bytes rendered once at compile time. */
typedef enum cc_piece_kind_e {
    CC_PIECE_TEXT = 0,          /* `text_length` bytes of `text`, as they are */
    CC_PIECE_VARIABLE = 1,      /* the user's variable `variable` (a list: its newest item); unset: the
                                   request fails as CC_FAIL_TEMPLATE, detail = the variable */
    CC_PIECE_LIST_RANDOM = 2,   /* a random item of the list variable `variable` */
    CC_PIECE_USER_ID = 3,       /* the user's run-unique number, from 1 */
    CC_PIECE_USER_INDEX = 4,    /* the user's number within its class, from 0 */
    CC_PIECE_ITERATION = 5,     /* the number of tasks the user has begun before this one, from 0 */
    CC_PIECE_RANDOM_INT = 6,    /* uniform in [min, max] */
    CC_PIECE_RANDOM_CHOICE = 7, /* one of `choices`, uniformly */
    CC_PIECE_UUID = 8,          /* a random version 4 UUID (RFC 9562 5.4), lower case */
    CC_PIECE_TIME_UNIX = 9,     /* the wall clock, seconds since 1970 */
    CC_PIECE_TIME_UNIX_MS = 10, /* the wall clock, milliseconds since 1970 */
    CC_PIECE_DATA = 11,         /* column `variable` of the user's row of its class's data table */
} cc_piece_kind_t;

typedef enum cc_encoding_e {
    CC_ENCODE_NONE = 0, /* as it is; in a target or a header value the bytes must then obey its rule, or
                           the request fails as CC_FAIL_TEMPLATE */
    CC_ENCODE_URL = 1,  /* percent-encoded except RFC 3986's unreserved characters */
    CC_ENCODE_JSON = 2, /* escaped for the inside of a JSON string (RFC 8259 7) */
    CC_ENCODE_JSON_VALUE = 3, /* a whole JSON value: a variable captured from JSON as a number, true,
                                 false, null, object or array is written as it was; anything else as a
                                 JSON string, quoted and escaped. For a body's `"field": "${id}"`, so
                                 that an id the server sent as 12 goes back as 12, not "12" */
} cc_encoding_t;

typedef struct cc_piece_spec_s {
    uint8_t kind;                /* a cc_piece_kind_t */
    uint8_t encoding;            /* a cc_encoding_t, applied to a slot's value (not to TEXT) */
    uint32_t variable;           /* VARIABLE, LIST_RANDOM: the variable's index; DATA: the column */
    int64_t min;                 /* RANDOM_INT */
    int64_t max;                 /* RANDOM_INT, >= min */
    const char *text;            /* TEXT */
    uint32_t text_length;        /* TEXT */
    const char *const *choices;  /* RANDOM_CHOICE: NUL-terminated strings */
    uint32_t choice_count;       /* RANDOM_CHOICE, >= 1 */
} cc_piece_spec_t;

typedef struct cc_template_spec_s {
    const cc_piece_spec_t *pieces;
    uint32_t piece_count;
} cc_template_spec_t;

/* One header line of a request. Name and value are NUL-terminated and obey cc_request_check. A header
 * whose value varies gives `value_template` instead (its TEXT pieces obey the rule; rendered values
 * are checked at render time). */
typedef struct cc_header_spec_s {
    const char *name;
    const char *value;                     /* used when value_template is NULL */
    const cc_template_spec_t *value_template;
} cc_header_spec_t;

/* ---- variables, captures and checks -------------------------------------------------------------
 * Each user (each lane, with pipelining) keeps its variables in a fixed arena of the plan's
 * variable_bytes. A capture sets a variable from a response as it streams; a check judges a response. A
 * capture that finds nothing fails its request as CC_FAIL_CAPTURE (detail: the plan-wide capture index)
 * unless it is optional or has a default; a failed check fails it as CC_FAIL_CHECK (detail: the plan-wide
 * check index), and the sample's evidence holds what was found instead. */
typedef struct cc_variable_spec_s {
    const char *name;  /* for messages */
    uint32_t list_max; /* 0: one value; N: a list of the newest N values (a capture appends) */
} cc_variable_spec_t;

typedef enum cc_capture_source_e {
    CC_CAPTURE_JSON = 0,   /* `expression` is a JSON path (cc_json_path_compile) into the body */
    CC_CAPTURE_HEADER = 1, /* `expression` is a header name, matched without regard to case */
    CC_CAPTURE_REGEX = 2,  /* `expression` is a POSIX extended regex with GNU escapes (\w, \s, \b) run
                              over the first CC_CAPTURE_REGEX_PREFIX bytes of the body; the first group,
                              or the whole match when there is none */
    CC_CAPTURE_STATUS = 3, /* the status code */
    CC_CAPTURE_COOKIE = 4, /* `expression` is a cookie name set by the response's Set-Cookie */
} cc_capture_source_t;

#define CC_CAPTURE_REGEX_PREFIX (16u * 1024u)

typedef struct cc_capture_spec_s {
    uint8_t source;            /* a cc_capture_source_t */
    uint8_t optional;          /* 1: finding nothing leaves the variable as it is and is no failure */
    uint32_t variable;         /* the variable set (or appended to, for a list) */
    const char *expression;    /* as `source` says; NULL for STATUS */
    const char *default_value; /* NULL, or the value taken when nothing is found (no failure) */
} cc_capture_spec_t;

typedef enum cc_check_kind_e {
    CC_CHECK_STATUS = 0,        /* the status is in one of `statuses`; a request with a status check
                                   does not also apply the default rule (2xx and 3xx succeed) */
    CC_CHECK_BODY_CONTAINS = 1, /* the body contains `value` (value_length bytes) */
    CC_CHECK_JSON_EQUALS = 2,   /* the value at JSON path `expression` is `value`: a string's unescaped
                                   text, or a number's or literal's text */
    CC_CHECK_JSON_EXISTS = 3,   /* the JSON path `expression` is in the body */
    CC_CHECK_JSON_MATCHES = 4,  /* the value at JSON path `expression` matches regex `value` */
    CC_CHECK_HEADER_EQUALS = 5, /* header `expression` (any case) has the value `value` exactly */
    CC_CHECK_MAX_DURATION = 6,  /* the request took at most max_duration_ns, start to last byte */
} cc_check_kind_t;

typedef struct cc_status_range_s {
    uint16_t low;  /* 100-599 */
    uint16_t high; /* >= low */
} cc_status_range_t;

typedef struct cc_check_spec_s {
    uint8_t kind;                      /* a cc_check_kind_t */
    uint8_t until;                     /* 1: a condition of the step's repeat, not a failure: the repeat
                                          ends once every `until` check of the request holds */
    const char *expression;            /* JSON path or header name */
    const char *value;                 /* BODY_CONTAINS, JSON_EQUALS, JSON_MATCHES, HEADER_EQUALS */
    uint32_t value_length;
    const cc_status_range_t *statuses; /* STATUS */
    uint32_t status_count;
    uint64_t max_duration_ns;          /* MAX_DURATION */
} cc_check_spec_t;

/* A request hook: code of the caller's, run on the worker thread just before a templated request is
 * rendered, to set variables that the declarative forms cannot compute (a body signed with HMAC over
 * other fields). It reads and sets the lane's variables through `hook` with cc_hook_get and cc_hook_set,
 * and returns 0, or non-zero to fail the request (CC_FAIL_TEMPLATE, with the hook's words from
 * cc_hook_fail). It must not block: it runs on the event loop of every user of its worker. `context` is
 * the request spec's hook_context, which must outlive every engine using the plan. Worker threads. */
typedef struct cc_hook_s cc_hook_t; /* opaque, valid only during the call */
typedef int (*cc_request_hook_cb)(void *context, cc_hook_t *hook);

/* The value of `variable` (a list: its newest): returns 0 and the bytes, valid until the next
 * cc_hook_set, or -1 when it is unset. */
int cc_hook_get(const cc_hook_t *hook, uint32_t variable, const uint8_t **value, size_t *length);
/* Sets `variable` (a list: appends). Returns 0, or -1 when the value does not fit the variables. */
int cc_hook_set(cc_hook_t *hook, uint32_t variable, const uint8_t *value, size_t length);
/* The user's run-unique number (${user.id}) and the lane's ${iteration}. */
uint64_t cc_hook_user_id(const cc_hook_t *hook);
uint64_t cc_hook_iteration(const cc_hook_t *hook);
/* Words for the sample's evidence when the hook fails the request: copied, cut at CC_SAMPLE_EVIDENCE
 * bytes (the sample's CC_SAMPLE_EVIDENCE_CUT says so). `reason` may be NULL. */
void cc_hook_fail(cc_hook_t *hook, const char *reason);

/* One request: rendered once at compile time into the bytes sent on the wire (RFC 9112 3). The writer
 * adds Host (from the plan) unless a header names it, Content-Length when there is a body (or for
 * POST/PUT/PATCH with an empty one), User-Agent: cicada/CC_VERSION unless a header names it, and
 * Connection: close when close_connection asks for it. Method, target and headers obey
 * cc_request_check. */
typedef struct cc_request_spec_s {
    const char *method;            /* a token: GET, POST, ... */
    const char *target;            /* origin-form: "/path?query" */
    const cc_header_spec_t *headers;
    uint32_t header_count;
    const uint8_t *body;           /* may be NULL when body_length is 0 */
    uint32_t body_length;
    uint32_t endpoint;             /* the metrics group this request counts in */
    uint8_t close_connection;      /* 1: send Connection: close and reconnect for the next request (the
                                      only way to: a Connection header is refused) */
    const cc_template_spec_t *target_template; /* NULL: `target`; else the target, rendered per request */
    const cc_template_spec_t *body_template;   /* NULL: `body`; else the body, rendered per request, and
                                                  Content-Length computed from what was rendered */
    const cc_capture_spec_t *captures;
    uint32_t capture_count;
    const cc_check_spec_t *checks;
    uint32_t check_count;
    cc_request_hook_cb hook;       /* NULL, or run before each rendering (the request is then templated) */
    void *hook_context;
} cc_request_spec_t;

typedef enum cc_wait_kind_e {
    CC_WAIT_CONSTANT = 0, /* wait min_ns after each task */
    CC_WAIT_BETWEEN = 1,  /* wait uniformly between min_ns and max_ns after each task */
    CC_WAIT_PACING = 2,   /* start tasks min_ns apart: wait min_ns minus the task's own duration */
} cc_wait_kind_t;

typedef struct cc_wait_spec_s {
    cc_wait_kind_t kind;
    uint64_t min_ns;
    uint64_t max_ns; /* used by CC_WAIT_BETWEEN; must be >= min_ns */
} cc_wait_spec_t;

/* A task: one or more requests sent in order, the next as soon as the previous one completes. A failed
 * request ends the task (the rest of a log-in flow makes no sense after a failed log-in). */
typedef struct cc_task_spec_s {
    uint32_t first_request; /* index into the plan's requests (when the plan has no steps) */
    uint32_t request_count; /* >= 1 (when the plan has no steps) */
    uint32_t weight;        /* relative chance of being picked; 0 means never picked (on_start only) */
    uint32_t first_step;    /* index into the plan's steps (when it has steps) */
    uint32_t step_count;    /* >= 1 (when the plan has steps) */
} cc_task_spec_t;

/* A step of a task. A plan without steps runs each task's requests in order, each once. */
typedef enum cc_step_kind_e {
    CC_STEP_REQUEST = 0, /* send `request` (repeatedly, when repeat_max > 0) */
    CC_STEP_WAIT = 1,    /* wait as `wait` says (constant or between) */
} cc_step_kind_t;

typedef enum cc_step_when_e {
    CC_WHEN_ALWAYS = 0,
    CC_WHEN_SET = 1,   /* only when variable when_variable is set (a list: not empty) */
    CC_WHEN_UNSET = 2, /* only when it is not */
} cc_step_when_t;

typedef struct cc_step_spec_s {
    uint8_t kind;                /* a cc_step_kind_t */
    uint8_t when;                /* a cc_step_when_t: a step whose condition is false is skipped */
    uint8_t continue_on_failure; /* 1: a failure of this step does not end the task */
    uint32_t request;            /* REQUEST */
    uint32_t when_variable;
    cc_wait_spec_t wait;         /* WAIT */
    uint32_t repeat_max;         /* REQUEST: 0 sends it once; N sends it up to N times, repeat_every_ns
                                    apart, until its `until` checks hold; the last attempt's sample fails
                                    as CC_FAIL_CHECK when they still do not */
    uint64_t repeat_every_ns;
} cc_step_spec_t;


/* A user class: its tasks (a range of the plan's tasks), an optional task run once when a user starts
 * (Locust's on_start), and its wait between tasks. */
typedef enum cc_data_mode_e {
    CC_DATA_PER_USER = 0,    /* user i of the class takes row i; a user beyond the last row fails its
                                start (CC_FAIL_DATA) unless `data_recycle` */
    CC_DATA_ROUND_ROBIN = 1, /* user i takes row i modulo the row count */
    CC_DATA_RANDOM = 2,      /* each user takes a random row */
} cc_data_mode_t;

typedef struct cc_user_class_spec_s {
    uint32_t first_task;
    uint32_t task_count;
    int32_t on_start_task; /* index into the plan's tasks, or -1 */
    cc_wait_spec_t wait;
    int32_t on_stop_task;  /* index into the plan's tasks, or -1: run once when the user is retired or
                              the run stops gracefully (not after cc_engine_cancel) */
    int32_t data_table;    /* index into the plan's data tables, or -1 */
    uint8_t data_mode;     /* a cc_data_mode_t */
    uint8_t data_recycle;  /* CC_DATA_PER_USER: users beyond the last row start again at row 0 */
    uint8_t cookies;       /* 1: a cookie jar per user (Set-Cookie honoured, Cookie sent) */
} cc_user_class_spec_t;

/* A data file's rows, read by the front end: `cells` holds row_count * column_count NUL-terminated
 * strings, row after row. */
typedef struct cc_data_table_spec_s {
    const char *const *cells;
    uint32_t row_count;    /* >= 1 */
    uint32_t column_count; /* >= 1 */
} cc_data_table_spec_t;

#define CC_PLAN_DEFAULT_VARIABLE_BYTES 4096u /* a user's variable arena when variable_bytes is 0 */
#define CC_PLAN_MAX_VARIABLE_BYTES (1u << 20)
#define CC_PLAN_DEFAULT_COOKIE_BYTES 4096u   /* a user's cookie jar when cookie_bytes is 0 */
#define CC_PLAN_MAX_COOKIE_BYTES (1u << 20)

typedef struct cc_plan_spec_s {
    const char *host_header; /* the Host header value, "example.com:8080" */
    const cc_request_spec_t *requests;
    uint32_t request_count;
    const cc_task_spec_t *tasks;
    uint32_t task_count;
    const cc_user_class_spec_t *classes;
    uint32_t class_count;
    const cc_step_spec_t *steps; /* NULL: every task is its requests in order */
    uint32_t step_count;
    const cc_variable_spec_t *variables;
    uint32_t variable_count;
    uint32_t variable_bytes;     /* each user's variable arena; 0: CC_PLAN_DEFAULT_VARIABLE_BYTES */
    uint32_t cookie_bytes;       /* each user's cookie jar; 0: CC_PLAN_DEFAULT_COOKIE_BYTES */
    const cc_data_table_spec_t *data_tables;
    uint32_t data_table_count;
} cc_plan_spec_t;

typedef struct cc_plan_s cc_plan_t; /* opaque, immutable once compiled, shareable across threads */

/* Validates and compiles `spec`. On success returns 0 and stores a new plan in *out, which the caller
 * frees with cc_plan_free after every engine using it is destroyed. On failure returns CC_EINVAL or
 * CC_ENOMEM and, when `error` is not NULL, writes a NUL-terminated reason naming the offending item
 * into it (at most error_size bytes). Any thread. */
int cc_plan_compile(const cc_plan_spec_t *spec, cc_plan_t **out, char *error, size_t error_size);

/* Frees a plan. NULL is allowed. */
void cc_plan_free(cc_plan_t *plan);

/* Returns the rendered bytes of request `index` and stores their length in *length, or NULL when the
 * index is out of range or the request has templates (see cc_plan_render). The bytes belong to the
 * plan. Any thread. */
const uint8_t *cc_plan_request_bytes(const cc_plan_t *plan, uint32_t index, size_t *length);

/* What cc_plan_render fills a request's slots with, as a user's state would. */
typedef struct cc_render_input_s {
    const char *const *values;     /* variable_count entries: a variable's value (a list's only item), or
                                      NULL when it is unset; NULL: every variable is unset */
    const uint32_t *value_lengths; /* their lengths */
    const uint8_t *literals;       /* NULL, or 1 where a value was captured from JSON as a non-string */
    uint64_t user_id;
    uint64_t user_index;
    uint64_t iteration;
    uint64_t seed;                 /* for random slots (not 0) */
    int32_t data_table;            /* the table ${row.x} reads, or -1 */
    uint32_t data_row;
} cc_render_input_t;

/* Renders request `index` as a user with `input` would send it (a static request: its bytes), into
 * `buffer`. Returns the length written, or -1 when it does not fit in `capacity`, or -2 when the request
 * cannot be rendered (an unset variable, a value its place cannot hold, a missing data row), with the
 * variable at fault in *variable (UINT32_MAX when none) and the words in `reason` (NUL-terminated, at
 * most reason_size bytes). For tests and for showing what a template makes; not for the hot path (it
 * allocates). Any thread. */
long cc_plan_render(const cc_plan_t *plan, uint32_t index, const cc_render_input_t *input, uint8_t *buffer,
                    size_t capacity, uint32_t *variable, char *reason, size_t reason_size);

/* ---------------------------------------------------------------------------------------------------
 * The user state machine: what a simulated user (or one pipeline lane of it) does next, as a pure
 * value. It knows requests, tasks and waits, not connections: a SEND goes to the user's connection
 * machine, which opens the connection first when there is none. The engine feeds it events from its
 * connection and timers and performs the action it returns; tests feed it events directly.
 */
typedef enum cc_user_state_e {
    CC_USER_NEW = 0,       /* not started */
    CC_USER_IN_FLIGHT = 1, /* a request is under way (waiting for its connection, written, or being read) */
    CC_USER_WAITING = 2,   /* between tasks, a timer armed */
    CC_USER_STOPPED = 3,   /* done */
    CC_USER_IDLE = 4,      /* the open model: between iterations, until the schedule hands it one */
} cc_user_state_t;

typedef enum cc_user_event_kind_e {
    CC_EVENT_START = 0,        /* the user was spawned */
    CC_EVENT_REQUEST_DONE = 1, /* the current request ended: see `failed` and `until_met` */
    CC_EVENT_TIMER = 2,        /* the wait timer fired */
    CC_EVENT_RETIRE = 3,       /* stop after the current request, if any, running the class's on_stop
                                  task first unless `now` (to stop at once, the engine retires the user
                                  with `now`, then ends its request as cancelled) */
    CC_EVENT_ITERATION = 4,    /* the open model: an IDLE user begins an iteration (one task, picked by
                                  weight) whose first request is intended for `intended_ns` */
} cc_user_event_kind_t;

typedef struct cc_user_event_s {
    cc_user_event_kind_t kind;
    uint8_t failed;    /* REQUEST_DONE: the request failed */
    uint8_t until_met; /* REQUEST_DONE: the request's `until` checks held (a repeat ends) */
    uint8_t now;       /* RETIRE: no on_stop task */
    uint8_t open;      /* START: the open model (arrival rates): the user runs the iterations handed to
                          it (ITERATION) and is IDLE between them, instead of running its tasks in a
                          loop with its class's wait time between them */
    uint64_t now_ns;   /* monotonic time of the event */
    uint64_t intended_ns; /* ITERATION: when the iteration was due (its schedule's time, not the hand-over) */
    /* Whether a variable is set, for steps with a condition; NULL: every variable is unset. */
    int (*variable_is_set)(const void *variables, uint32_t variable);
    const void *variables;
} cc_user_event_t;

typedef enum cc_user_action_kind_e {
    CC_ACTION_NONE = 0, /* nothing to do */
    CC_ACTION_SEND = 1, /* start `request` (a new request: count it), then deliver REQUEST_DONE */
    CC_ACTION_WAIT = 2, /* arm the timer for `wait_ns`, then deliver TIMER */
    CC_ACTION_STOP = 3, /* the user is finished */
    CC_ACTION_IDLE = 4, /* the open model: the iteration is over; the user waits for ITERATION */
} cc_user_action_kind_t;

typedef struct cc_user_action_s {
    cc_user_action_kind_t kind;
    uint32_t request; /* SEND: the request index in the plan */
    uint64_t wait_ns; /* WAIT */
} cc_user_action_t;

typedef enum cc_user_phase_e {
    CC_PHASE_RUNNING = 0, /* on_start, then the tasks */
    CC_PHASE_ON_STOP = 1, /* the class's on_stop task, after a retire */
} cc_user_phase_t;

/* A user's state. A plain value of 56 bytes; the engine keeps one inline in each lane. */
typedef struct cc_user_machine_s {
    uint8_t state;           /* a cc_user_state_t */
    uint8_t retiring;        /* stop after the current request (after on_stop, when there is one) */
    uint16_t ignored_events; /* events that made no sense in the state they came in (saturating); the
                                engine sums them into cc_engine_counters_t.events_ignored, which a
                                correct engine keeps at 0 */
    uint32_t user_class;     /* index of the user's class in the plan */
    uint32_t task;           /* current task index in the plan */
    uint32_t step;           /* index of the current step within the task */
    uint64_t random;         /* private PRNG state (xorshift64*) */
    uint64_t intended_ns;    /* when the current request should have started */
    uint64_t task_start_ns;  /* when the current task started (for pacing) */
    uint32_t attempt;        /* the current step's attempts before this one (a repeat) */
    uint32_t iteration;      /* tasks begun before the current one (on_start and on_stop not counted) */
    uint32_t tasks_begun;    /* private */
    uint8_t phase;           /* a cc_user_phase_t */
    uint8_t wait_for_;       /* private: what the armed timer resumes */
    uint8_t no_on_stop_;     /* private */
    uint8_t open;            /* set by START: the open model (see cc_user_event_t.open) */
} cc_user_machine_t;

/* Prepares a user of class `user_class` whose random choices derive from `seed` (equal seeds give
 * equal choices). Any thread. */
void cc_user_machine_init(cc_user_machine_t *machine, uint32_t user_class, uint64_t seed);

/* Applies `event` to `machine` and writes the next action to *action. Any thread; the plan is only
 * read. An event that makes no sense in the current state changes nothing, returns NONE and is
 * counted in `ignored_events`.
 *
 * A task runs its steps in order: a request step sends its request (again, `repeat_every_ns` later,
 * while its `until` checks do not hold and attempts remain), a wait step waits, a step whose condition
 * is false is skipped, and a failed step ends the task unless it continues on failure. */
void cc_user_machine_handle(cc_user_machine_t *machine, const cc_plan_t *plan,
                            const cc_user_event_t *event, cc_user_action_t *action);

/* Returns 1 when the request in flight is its repeat step's last attempt: if its `until` checks do not
 * hold, the repeat has run out and the request fails as CC_FAIL_CHECK. Any thread. */
int cc_user_machine_last_attempt(const cc_user_machine_t *machine, const cc_plan_t *plan);

/* ---------------------------------------------------------------------------------------------------
 * The connection state machine: one user's connection and the requests on it, as a pure value. It
 * decides when the connection opens and closes, keeps the requests in the order they were sent
 * (responses come back in that order, RFC 9112 9.3.2), gathers the requests that follow responses read
 * together so that they leave in one write (corking), and ends every request exactly once: with its
 * response, or with the connection's failure. Lanes are a user's pipeline slots, 0 to CC_MAX_PIPELINE-1.
 *
 * Events go in with cc_connection_machine_handle; the actions they cause come out, in the order they
 * must be performed, from cc_connection_machine_next. Performing an action may feed further events
 * (a finished lane sends its next request): the machine queues what they cause behind what is already
 * pending, so an engine drains actions in one loop and never recurses. No I/O, no clock, no allocation.
 */
#define CC_MAX_PIPELINE 64u

typedef enum cc_connection_state_e {
    CC_CONNECTION_CLOSED = 0,     /* no connection; a request opens one */
    CC_CONNECTION_CONNECTING = 1, /* connect (and TLS handshake) under way; requests wait for it */
    CC_CONNECTION_OPEN = 2,       /* requests are written as they come */
    CC_CONNECTION_CLOSING = 3,    /* being closed; requests that come now wait for CLOSED, then reconnect */
} cc_connection_state_t;

typedef enum cc_connection_event_kind_e {
    CC_CONN_EVENT_SEND = 0,     /* `lane` has a request (`head_request`, `close_request` describe it) */
    CC_CONN_EVENT_OPENED = 1,   /* the connection is ready for requests */
    CC_CONN_EVENT_RESPONSE = 2, /* the oldest request's response is complete: `keep_alive`, `more_bytes`,
                                   `status`; `detail` is what requests behind it fail with if the
                                   connection ends here */
    CC_CONN_EVENT_END = 3,      /* the server ended the stream: `complete` when that completed the oldest
                                   request's response (a body delimited by the close, RFC 9112 6.3 item 8);
                                   `status` is its status line's code or 0; `detail` as for FAILED */
    CC_CONN_EVENT_FAILED = 4,   /* the connection failed with `failure` and `detail`; `status` is the
                                   oldest request's status line, when it had arrived, or 0 */
    CC_CONN_EVENT_CLOSE = 5,    /* close the connection: the user is done with it, or stray bytes came.
                                   Requests still on it end as CC_FAIL_CANCELLED */
    CC_CONN_EVENT_CLOSED = 6,   /* the close has completed: the handle may be used again */
    CC_CONN_EVENT_CORK = 7,     /* a read begins: gather the requests sent until UNCORK */
    CC_CONN_EVENT_UNCORK = 8,   /* the read ended: write what was gathered */
} cc_connection_event_kind_t;

typedef struct cc_connection_event_s {
    cc_connection_event_kind_t kind;
    uint8_t lane;          /* SEND */
    uint8_t head_request;  /* SEND: the request is HEAD, so its response has no body (RFC 9112 6.3) */
    uint8_t close_request; /* SEND: the request asks for the connection to close after its response */
    uint8_t keep_alive;    /* RESPONSE: the response allows reuse and its request was written whole */
    uint8_t more_bytes;    /* RESPONSE: bytes follow the response in the same read */
    uint8_t complete;      /* END */
    uint8_t failure;       /* FAILED: a cc_failure_t */
    uint16_t status;       /* RESPONSE, END, FAILED */
    int32_t detail;        /* RESPONSE, END, FAILED */
} cc_connection_event_t;

typedef enum cc_connection_action_kind_e {
    CC_CONN_ACTION_NONE = 0,    /* nothing (more) to do */
    CC_CONN_ACTION_CONNECT = 1, /* open the connection, then deliver OPENED or FAILED; `lane`'s timer
                                   guards the connect */
    CC_CONN_ACTION_PARSE = 2,   /* the response to read next belongs to a new oldest request: reset the
                                   response parser (`head_request` says whether that request was HEAD) */
    CC_CONN_ACTION_WRITE = 3,   /* write the requests of the lanes that cc_connection_machine_take_unsent
                                   returns, in that order */
    CC_CONN_ACTION_FINISH = 4,  /* `lane`'s request ended: `failure` (CC_FAIL_NONE when its response
                                   arrived), `status`, `detail`; `keep_alive` when the connection stays */
    CC_CONN_ACTION_CLOSE = 5,   /* close the connection, then deliver CLOSED */
} cc_connection_action_kind_t;

typedef struct cc_connection_action_s {
    cc_connection_action_kind_t kind;
    uint8_t lane;         /* CONNECT, FINISH */
    uint8_t head_request; /* PARSE */
    uint8_t keep_alive;   /* FINISH */
    uint8_t failure;      /* FINISH: a cc_failure_t */
    uint16_t status;      /* FINISH */
    int32_t detail;       /* FINISH */
} cc_connection_action_t;

/* A connection's state. A plain value; the fields marked private are the machine's. */
typedef struct cc_connection_machine_s {
    uint8_t state;           /* a cc_connection_state_t */
    uint8_t corked;          /* between CORK and UNCORK */
    uint8_t queue_head;      /* private */
    uint8_t queue_count;     /* requests sent (or gathered) whose responses are awaited */
    uint8_t pending_;        /* private: actions owed */
    uint8_t parse_head_;     /* private */
    uint8_t connect_lane_;   /* private */
    uint8_t finish_lane_;    /* private */
    uint16_t finish_status_; /* private */
    uint16_t ignored_events; /* events that made no sense in the state they came in (saturating) */
    uint8_t first_lane_;     /* private: the oldest request of a connection that ends, finished first */
    uint8_t first_failure_;  /* private */
    uint16_t first_status_;  /* private */
    int32_t first_detail_;   /* private */
    uint8_t failing_;        /* private: the queue's requests (and failing_waiting_) are being failed */
    uint8_t fail_failure_;   /* private */
    uint16_t reserved_;
    int32_t fail_detail_;    /* private */
    uint64_t waiting;        /* lanes whose request waits for the connection to open */
    uint64_t failing_waiting_; /* private */
    uint64_t unsent_;        /* private: lanes in the queue whose requests are not written yet */
    uint64_t head_requests_; /* private: lanes whose request is HEAD */
    uint64_t close_requests_; /* private: lanes whose request asks to close */
    uint8_t queue[CC_MAX_PIPELINE]; /* lanes in the order their requests were sent, from queue_head */
} cc_connection_machine_t;

/* Prepares a closed connection with no requests. Any thread. */
void cc_connection_machine_init(cc_connection_machine_t *machine);

/* Applies `event`. Actions it causes are owed until cc_connection_machine_next hands them out. An event
 * that makes no sense in the current state changes nothing and is counted in `ignored_events`. Any
 * thread. */
void cc_connection_machine_handle(cc_connection_machine_t *machine, const cc_connection_event_t *event);

/* Writes the next owed action to *action and returns 1, or returns 0 (action NONE) when none is owed.
 * Any thread. */
int cc_connection_machine_next(cc_connection_machine_t *machine, cc_connection_action_t *action);

/* For a WRITE action: stores the lanes whose requests are to be written now, oldest first, into
 * `lanes` (room for CC_MAX_PIPELINE) and returns how many; they count as written from then on. */
uint32_t cc_connection_machine_take_unsent(cc_connection_machine_t *machine, uint8_t *lanes);

/* ---------------------------------------------------------------------------------------------------
 * Samples: one fixed-size record per request, success or failure. Times are monotonic nanoseconds
 * (cc_clock_now_ns). 104 bytes.
 */
#define CC_SAMPLE_TLS_RESUMED 0x01u /* the request's connection resumed a TLS session */
#define CC_SAMPLE_EVIDENCE_CUT 0x02u /* the evidence was longer than CC_SAMPLE_EVIDENCE and was cut */
#define CC_SAMPLE_ON_STOP 0x04u   /* the request belongs to the class's on_stop task */
#define CC_SAMPLE_EVIDENCE 30u

typedef struct cc_sample_s {
    uint64_t intended_ns;    /* when the request should have started (after its wait) */
    uint64_t start_ns;       /* when it started: the connect, or the first write on a reused connection */
    uint64_t connected_ns;   /* when the TCP connection opened, or 0 when an open one was reused */
    uint64_t handshake_ns;   /* when the TLS handshake completed, or 0 (no TLS, or a reused connection) */
    uint64_t first_byte_ns;  /* first response byte, or 0 */
    uint64_t end_ns;         /* when it completed or failed */
    uint64_t bytes_received; /* response bytes (decrypted, under TLS), headers and framing included */
    uint32_t endpoint;       /* the request's endpoint (cc_request_spec_t.endpoint) */
    int32_t detail;          /* failure detail, for cc_failure_detail_text */
    uint32_t user;           /* the user's index within its worker */
    uint16_t status;         /* HTTP status, 0 when no status line arrived */
    uint8_t failure;         /* a cc_failure_t */
    uint8_t worker;          /* the worker that ran it */
    uint8_t flags;           /* CC_SAMPLE_* bits */
    uint8_t evidence_length; /* bytes of `evidence` */
    char evidence[CC_SAMPLE_EVIDENCE]; /* CHECK: what the response had instead (a value, cut at this
                                  size; CC_SAMPLE_EVIDENCE_CUT says so); TEMPLATE: the variable's
                                  problem; otherwise empty */
} cc_sample_t;

/* ---------------------------------------------------------------------------------------------------
 * The engine: worker threads, each with its own libuv loop and a contiguous array of users.
 */
typedef enum cc_tls_version_e {
    CC_TLS_VERSION_ANY = 0, /* OpenSSL's default bound */
    CC_TLS_VERSION_1_2 = 12,
    CC_TLS_VERSION_1_3 = 13,
} cc_tls_version_t;

/* TLS towards the target (OpenSSL). Each worker builds one SSL_CTX from these at cc_engine_create and
 * shares it among its connections. Files are PEM; they are read at create time. */
typedef struct cc_tls_options_s {
    uint8_t enabled;         /* 1: https */
    uint8_t verify;          /* 1: verify the certificate chain and the host name (the default a caller
                                should choose); 0: accept any certificate */
    uint8_t resume;          /* 1: resume the user's last session when it reconnects */
    uint8_t min_version;     /* a cc_tls_version_t */
    uint8_t max_version;     /* a cc_tls_version_t */
    const char *server_name; /* SNI and the name the certificate must match; NULL: the target host.
                                SNI is not sent for IP addresses (RFC 6066 3), which are matched as IPs. */
    const char *ca_file;     /* a CA to trust besides the system's store, or NULL */
    const char *cert_file;   /* a client certificate (mutual TLS), or NULL */
    const char *key_file;    /* its private key; NULL: the key is in cert_file */
} cc_tls_options_t;

typedef struct cc_engine_options_s {
    const char *host;            /* name or address to connect to, resolved once by cc_engine_create */
    uint16_t port;
    uint32_t threads;            /* worker threads; 0 means one per core */
    uint32_t max_users;          /* the most users alive at once, across all workers; 1 to
                                    CC_ENGINE_MAX_USERS */
    uint64_t connect_timeout_ns; /* 0: none */
    uint64_t request_timeout_ns; /* from the moment a request is written (after any connect, which
                                    connect_timeout_ns bounds) to its last byte read; 0: none */
    uint32_t ring_capacity;      /* samples per worker ring, rounded up to a power of two; 0: 65536 */
    uint64_t seed;               /* for the users' random choices */
    uint32_t pipeline_depth;     /* requests a user keeps in flight on its connection (HTTP/1.1
                                    pipelining, RFC 9112 9.3.2); 0 or 1: none; at most CC_MAX_PIPELINE */
    cc_tls_options_t tls;        /* TLS, when tls.enabled */
    uint8_t open_model;          /* 1: the open model (arrival rates, cc_engine_set_arrival) */
    uint8_t saturation;          /* open model: a cc_saturation_t */
    uint32_t queue_limit;        /* open model, CC_SATURATION_QUEUE: iterations that may wait for a free
                                    user, across the workers (each holds its share); 1 to
                                    CC_ENGINE_MAX_QUEUE; 0: CC_ENGINE_DEFAULT_QUEUE */
} cc_engine_options_t;

/* The open model (k6's arrival-rate executors): with options.open_model, users do not run their tasks
 * in a loop with their class's wait time between them. Each worker keeps a schedule per class, on its
 * loop's timer, and at each due time hands one iteration (one task of the class, picked by weight) to
 * an idle user of the class; the iteration's first request is intended for the due time, so a late
 * hand-over shows in the latency from the intended start. The timer is armed for the millisecond before
 * a due time and takes what is due within the next millisecond, so an iteration starts up to 1 ms early
 * rather than late (libuv's timers count milliseconds); a sample's intended start is never after its
 * start. A user runs its on_start once, when it is
 * spawned, then idles between iterations. An iteration due when no user of the class is idle goes, in
 * this order, to a user the worker adds for it (while the class has fewer than its max_users on that
 * worker; it runs on_start first), to the queue (CC_SATURATION_QUEUE, while it has room), or is
 * dropped and counted. Nothing of this runs per request: a schedule costs a timer per worker. */
typedef enum cc_saturation_e {
    CC_SATURATION_DROP = 0,  /* an iteration that finds no user is dropped (k6's rule) */
    CC_SATURATION_QUEUE = 1, /* it waits for the next free user, in a bounded queue (wrk2's rule: its
                                latency counts from its due time); what overflows the queue is dropped */
} cc_saturation_t;

#define CC_ENGINE_MAX_QUEUE 10000000u      /* queue_limit's bound: 8 bytes each */
#define CC_ENGINE_DEFAULT_QUEUE 100000u
#define CC_ENGINE_MAX_ARRIVAL_RATE 10000000.0 /* iterations per second, per class */

/* One class's schedule, summed over the workers. scheduled = started + dropped + queued once the
 * engine is joined; while it runs, the figures are read one worker at a time. */
typedef struct cc_arrival_counters_s {
    uint64_t scheduled;   /* iterations that came due */
    uint64_t started;     /* handed to a user (one added for it runs its on_start first) */
    uint64_t dropped;     /* found no user and no room in the queue; or still queued at the stop */
    uint64_t queued;      /* waiting in the queue now */
    uint64_t users_added; /* users the workers added for iterations, beyond those spawned */
} cc_arrival_counters_t;

/* With pipelining, each of a user's pipeline slots (lanes) runs the user's tasks independently (its
 * own task choices, waits and on_start), and the lanes share the user's one connection (the connection
 * machine above): responses are matched to requests in order, and a connection that fails fails every
 * request in flight on it. */

typedef struct cc_engine_s cc_engine_t; /* opaque */

#define CC_ENGINE_MAX_USERS 10000000u  /* max_users' bound: far beyond one machine's sockets */
#define CC_ENGINE_COMMAND_QUEUE 1024u  /* commands a worker's queue holds */
#define CC_ENGINE_LAG_PERIOD_MS 50u    /* each worker measures its loop's lag with a timer of this period */

/* Resolves the host and prepares the workers without starting them. On success returns 0 and stores
 * the engine in *out; `plan` must outlive it. On failure returns CC_EINVAL, CC_ERESOLVE, CC_ENOMEM or
 * CC_ESYSTEM and writes a reason into `error` when it is not NULL. The calling thread becomes the
 * engine's control thread. */
int cc_engine_create(const cc_plan_t *plan, const cc_engine_options_t *options, cc_engine_t **out,
                     char *error, size_t error_size);

/* Starts the worker threads, named cc-worker-N, each with SIGPIPE blocked (a write to a reset
 * connection then fails with EPIPE and counts as a reset; the caller's own signal mask is untouched).
 * Returns 0, CC_ESTATE when already started, or CC_ESYSTEM. Control thread. */
int cc_engine_start(cc_engine_t *engine);

/* Returns the number of worker threads. Any thread. */
uint32_t cc_engine_worker_count(const cc_engine_t *engine);

/* Writes the address the engine connects to as text ("127.0.0.1:8080", "[::1]:80") into `buffer`.
 * Any thread. */
void cc_engine_describe_target(const cc_engine_t *engine, char *buffer, size_t size);

/* Adds `count` users of class `user_class`, spread over the workers. Returns 0, CC_EINVAL for an
 * unknown class, CC_EFULL when that would exceed max_users, or CC_ESTATE after cc_engine_stop.
 * Control thread. */
int cc_engine_spawn(cc_engine_t *engine, uint32_t user_class, uint32_t count);

/* Stops `count` users of class `user_class` (the newest first) after their current request; a count
 * above the class's live users stops them all. Costs one command per worker whatever the count, and
 * each worker stops its share in time proportional to that share. Returns 0, CC_EINVAL for an unknown
 * class, CC_ESTATE before cc_engine_start, after cc_engine_stop or in the open model (whose users stay
 * until the stop; lower the rate instead), or CC_EFULL when a worker's command
 * queue is full (it holds CC_ENGINE_COMMAND_QUEUE commands; the users the call could not retire are
 * still counted alive, so the call may be repeated). Control thread. */
int cc_engine_retire(cc_engine_t *engine, uint32_t user_class, uint32_t count);

/* Open model: sets class `user_class`'s arrival rate to `per_second` iterations per second (0 to
 * CC_ENGINE_MAX_ARRIVAL_RATE; 0 pauses it), spread evenly over the workers, and the most users of the
 * class alive at once to `max_users` (spawned ones included; each worker holds its share). The first
 * call starts the schedule at once; a later one (a ramp) keeps its phase: the next iteration comes one
 * new interval after the last one due. Returns 0, CC_EINVAL for an unknown class, a rate out of range
 * (NaN included) or max_users above options.max_users, CC_ESTATE without options.open_model, before
 * cc_engine_start or after cc_engine_stop, or CC_EFULL when a command queue is full. Control thread. */
int cc_engine_set_arrival(cc_engine_t *engine, uint32_t user_class, double per_second, uint32_t max_users);

/* Fills *out with class `user_class`'s schedule figures, or every class's added up when `user_class` is
 * UINT32_MAX; zeroes for an engine without the open model or an unknown class. Takes no lock. Control
 * thread. */
void cc_engine_arrival_counters(cc_engine_t *engine, uint32_t user_class, cc_arrival_counters_t *out);

/* Graceful stop: no request starts after this; waiting users stop now and users with a request in
 * flight stop when it ends. Control thread. */
int cc_engine_stop(cc_engine_t *engine);

/* Abandons every request still in flight; each yields a sample with CC_FAIL_CANCELLED. Call after
 * cc_engine_stop. Control thread. */
int cc_engine_cancel(cc_engine_t *engine);

/* Ends the workers: closes every connection and joins the threads. Call after cc_engine_stop and
 * once no users are active (or after cc_engine_cancel). Samples still in the rings remain drainable.
 * Control thread. */
int cc_engine_join(cc_engine_t *engine);

/* Frees the engine; joins it first if needed. NULL is allowed. Control thread. */
void cc_engine_destroy(cc_engine_t *engine);

/* Copies up to `capacity` samples out of the workers' rings into `out` and returns how many. Samples
 * of one worker come in the order they were produced. The control thread only (the single consumer). */
size_t cc_engine_drain(cc_engine_t *engine, cc_sample_t *out, size_t capacity);

/* Live figures, summed over the workers. Reading them takes no lock. */
typedef struct cc_engine_counters_s {
    uint64_t users_active;      /* spawned and not yet stopped */
    uint64_t connections_open;
    uint64_t requests_started;  /* each yields exactly one sample */
    uint64_t requests_in_flight;
    uint64_t connections_opened; /* total connects attempted */
    uint64_t tls_handshakes;     /* TLS handshakes completed */
    uint64_t tls_resumed;        /* of which resumed a session */
    uint64_t samples_dropped;   /* samples lost to a full ring (should stay 0) */
    uint64_t loop_lag_max_ns;   /* the largest event-loop lag since the last call (reset by reading) */
    uint64_t events_ignored;    /* events the user and connection machines ignored as out of place:
                                   a correct engine keeps this at 0 (tests assert it) */
    uint64_t cookies_dropped;   /* cookies dropped, oldest first, from users' full jars */
} cc_engine_counters_t;

/* Fills *out. Control thread (it resets loop_lag_max_ns). */
void cc_engine_counters(cc_engine_t *engine, cc_engine_counters_t *out);

/* Returns how many small blocks the core's OpenSSL allocator holds, in use by OpenSSL or kept for
 * reuse. Each worker thread keeps its own free lists for OpenSSL's small allocations (so that a
 * kept-alive HTTPS request allocates nothing) and frees them when it exits: the figure goes back down
 * when an engine's workers are joined. For diagnostics and tests. Any thread. */
size_t cc_tls_pooled_blocks(void);

/* Returns the monotonic clock used for every time in samples, in nanoseconds. Any thread. */
uint64_t cc_clock_now_ns(void);

/* ---------------------------------------------------------------------------------------------------
 * Response matchers: pure pieces that read a response as it streams, for checks and captures. Each is a
 * plain value driven by functions, like the response parser: no allocation, no lock, no global state,
 * no I/O and no clock (times are passed in), and no pointer kept into the bytes a call is given. Any
 * buffer a matcher writes into, and anything it keeps a pointer to, is the caller's and must outlive it.
 */

/* JSON paths: which value of a JSON document to find. The syntax:
 *   access_token          a key of the top-level object
 *   data.items[0].id      keys and array indices, in any order
 *   items[*].id           [*]: any element of an array (the first under which the rest matches wins)
 *   ["odd.key"]['k']      quoted keys, for keys that are not bare; \" \' and \\ are their only escapes,
 *                         and they hold no control characters
 *   $  $.a  $[0]          an optional leading $ names the whole document
 * A bare key is one or more letters, digits, '_', '-', '$' or bytes 0x80-0xFF; the first step may omit
 * its '.'. A bare key that is exactly "$" at the start is the root, so a key named "$" is written
 * ["$"]. An index is decimal without leading zeros, at most CC_JSON_PATH_MAX_INDEX. An empty path, or
 * "$" alone, means the whole document. Keys are compared byte for byte with the document's keys after
 * their JSON escapes are decoded, so a path's keys are UTF-8 text. */
#define CC_JSON_PATH_MAX_STEPS 16u
#define CC_JSON_PATH_MAX_KEY_BYTES 256u       /* all of a path's keys together */
#define CC_JSON_PATH_MAX_INDEX 4294967294u    /* UINT32_MAX - 1: an element counter saturates above it */
#define CC_JSON_PATH_TEXT_MAX 577u            /* cc_json_path_text never needs more, NUL included */

typedef enum cc_json_step_kind_e {
    CC_JSON_STEP_KEY = 0,   /* a member of an object */
    CC_JSON_STEP_INDEX = 1, /* an element of an array, counted from 0 */
    CC_JSON_STEP_ANY = 2,   /* [*]: any element of an array */
} cc_json_step_kind_t;

/* One step of a path. 12 bytes. */
typedef struct cc_json_step_s {
    uint8_t kind;        /* a cc_json_step_kind_t */
    uint8_t reserved_;
    uint16_t key_offset; /* KEY: where the key's bytes start in the path's `keys` */
    uint16_t key_length; /* KEY: how many bytes it has (0 for the key "") */
    uint16_t reserved2_;
    uint32_t index;      /* INDEX */
} cc_json_step_t;

/* A compiled path: a plain value with fixed capacity, 452 bytes. Copy it freely. */
typedef struct cc_json_path_s {
    uint8_t step_count;  /* 0: the whole document */
    uint8_t reserved_;
    uint16_t key_bytes;  /* bytes of `keys` in use */
    cc_json_step_t steps[CC_JSON_PATH_MAX_STEPS];
    uint8_t keys[CC_JSON_PATH_MAX_KEY_BYTES];
} cc_json_path_t;

/* Compiles `length` bytes of `text` (not necessarily NUL-terminated) into *out. Returns 0, or CC_EINVAL
 * with *error_offset set to the offset of the byte at fault (`length` when the text ends where more was
 * expected, the opening quote of an unterminated quoted key, the step that is one too many) and
 * *reason to a static sentence ("expected a key after '.'", "index too large", "too many steps (at most
 * 16)"); either pointer may be NULL. *out is fully written either way (an empty path on failure). Keeps
 * no pointer to `text`. Any thread. */
int cc_json_path_compile(const char *text, size_t length, cc_json_path_t *out, size_t *error_offset,
                         const char **reason);

/* Writes `path` back as text in its canonical form ("data.items[0].id", "items[*]", "a[\"odd.key\"]";
 * "$" for the whole document; bare keys where they may be bare, quoted ones with \" and \\ escaped
 * otherwise), which compiles to the same path. Like snprintf: writes at most `size` bytes including a
 * NUL (nothing when `size` is 0) and returns the length of the whole text, at most
 * CC_JSON_PATH_TEXT_MAX - 1. Any thread. */
size_t cc_json_path_text(const cc_json_path_t *path, char *buffer, size_t size);

/* The streaming JSON matcher: finds the first value of a JSON document (RFC 8259) whose position
 * matches a path, reading the document in chunks of any size; the result does not depend on where the
 * chunks are cut. It validates what it reads as a JSON parser must (the grammar of strings, escapes,
 * numbers and literals, commas, colons, nesting, UTF-8 in strings) up to the end of the value found, or
 * to the end of the document when the value is not there; once the value is found it reads nothing
 * more. A number ends only at the byte after it, so that byte is read (and checked) too. A UTF-8
 * byte order mark at the very start is skipped (RFC 8259 8.1 allows ignoring it); whitespace may
 * surround the top-level value; anything else after it is CC_JSON_TRAILING_DATA. */
#define CC_JSON_MAX_DEPTH 64u /* nested arrays and objects; one more is CC_JSON_TOO_DEEP */

#define CC_JSON_ERROR_MAP(X)                                                                      \
    X(CC_JSON_OK, 0, "ok")                                                                        \
    X(CC_JSON_EMPTY, 1, "the document is empty")                                                  \
    X(CC_JSON_TRUNCATED, 2, "the document ended before its value did")                            \
    X(CC_JSON_EXPECTED_VALUE, 3, "expected a value")                                              \
    X(CC_JSON_EXPECTED_KEY, 4, "expected a string key")                                           \
    X(CC_JSON_EXPECTED_COLON, 5, "expected ':' after a key")                                      \
    X(CC_JSON_EXPECTED_OBJECT_COMMA, 6, "expected ',' or '}' after an object member")             \
    X(CC_JSON_EXPECTED_ARRAY_COMMA, 7, "expected ',' or ']' after an array element")              \
    X(CC_JSON_BAD_LITERAL, 8, "bad literal: expected true, false or null")                        \
    X(CC_JSON_BAD_NUMBER, 9, "bad number (RFC 8259 6)")                                           \
    X(CC_JSON_CONTROL_CHARACTER, 10, "unescaped control character in a string")                   \
    X(CC_JSON_BAD_ESCAPE, 11, "bad escape in a string")                                           \
    X(CC_JSON_BAD_UNICODE_ESCAPE, 12, "bad \\u escape: expected four hex digits")                 \
    X(CC_JSON_BAD_UTF8, 13, "invalid UTF-8 in a string")                                          \
    X(CC_JSON_TOO_DEEP, 14, "nested too deeply (more than 64 arrays and objects)")               \
    X(CC_JSON_TRAILING_DATA, 15, "data after the top-level value")

typedef enum cc_json_error_e {
#define CC__JSON_ERROR_ENUM(name, value, text) name = value,
    CC_JSON_ERROR_MAP(CC__JSON_ERROR_ENUM)
#undef CC__JSON_ERROR_ENUM
    CC_JSON__ERROR_COUNT
} cc_json_error_t;

/* Returns a human description of a cc_json_error_t; never NULL. Any thread. */
const char *cc_json_error_text(int code);

typedef enum cc_json_kind_e {
    CC_JSON_KIND_NONE = 0, /* nothing found (yet) */
    CC_JSON_KIND_STRING = 1,
    CC_JSON_KIND_NUMBER = 2,
    CC_JSON_KIND_TRUE = 3,
    CC_JSON_KIND_FALSE = 4,
    CC_JSON_KIND_NULL = 5,
    CC_JSON_KIND_OBJECT = 6,
    CC_JSON_KIND_ARRAY = 7,
} cc_json_kind_t;

/* The matcher's state: a plain value of 72 bytes. The fields below the line are the results; the rest
 * is private. The value found is written into the caller's buffer: a string unescaped, as UTF-8 (every
 * JSON escape decoded, surrogate pairs joined, a lone surrogate as U+FFFD); a number or literal as its
 * text; an object or array as its raw JSON text, from its opening to its closing bracket, whitespace
 * included. A value longer than the buffer keeps its first `capacity` bytes, which may end inside a
 * UTF-8 sequence, and sets `truncated`. */
typedef struct cc_json_matcher_s {
    const cc_json_path_t *path_; /* private: the caller's */
    uint8_t *value;              /* the caller's buffer */
    uint64_t offset_;            /* private: document bytes read */
    uint64_t arrays_;            /* private: bit d set when the container at depth d+1 is an array */
    uint32_t capacity;           /* the buffer's size */
    uint32_t index_;             /* private: the element being read in the deepest array on the path */
    uint16_t key_pos_;           /* private: bytes of a key that matched the path's so far */
    uint16_t code_unit_;         /* private: the \u escape being read */
    uint16_t high_surrogate_;    /* private: a \u high surrogate waiting for its low half, or 0 */
    uint8_t state_;              /* private */
    uint8_t sub_;                /* private: the state's own progress (digits, literal bytes, ...) */
    uint8_t depth_;              /* private: open arrays and objects */
    uint8_t path_depth_;         /* private: how many of those are on the path */
    uint8_t capture_depth_;      /* private: the depth the value found starts at */
    uint8_t flags_;              /* private */
    uint8_t utf8_need_;          /* private: continuation bytes owed by a UTF-8 sequence */
    uint8_t utf8_low_;           /* private: the range the next continuation byte must be in */
    uint8_t utf8_high_;          /* private */
    uint8_t reserved_;
    /* ---- results ---- */
    uint64_t error_offset;       /* with an error: the document offset of the byte at fault (for
                                    TRUNCATED and EMPTY, the document's length) */
    uint32_t value_length;       /* bytes of the value in `value`, at most `capacity` */
    uint8_t found;               /* 1 once the value is found and complete */
    uint8_t kind;                /* a cc_json_kind_t, set as soon as the value starts */
    uint8_t truncated;           /* 1: the value is longer than `capacity` */
    uint8_t error;               /* a cc_json_error_t; sticky once set */
} cc_json_matcher_t;

/* Prepares `matcher` to find `path` in a new document, writing the value into `value` (`capacity`
 * bytes; NULL with 0 to learn only whether the value is there and its kind). `path` and `value` are the
 * caller's and must outlive the matching: the matcher keeps pointers to both. A NULL path is the whole
 * document. Any thread. */
void cc_json_matcher_reset(cc_json_matcher_t *matcher, const cc_json_path_t *path, uint8_t *value,
                           uint32_t capacity);

/* Feeds the next `length` bytes of the document. Returns 1 once the value has been found and is
 * complete (later feeds read nothing and return 1), 0 when more bytes are needed, or -1 when the
 * document is malformed, with `error` and `error_offset` set (sticky: later feeds and finish return
 * -1). After cc_json_matcher_finish, returns what finish returned and reads nothing. Keeps no pointer
 * to `data`. Any thread. */
int cc_json_matcher_feed(cc_json_matcher_t *matcher, const uint8_t *data, size_t length);

/* Ends the document (the body is complete). Returns 1 when the value was found (a number at the very
 * end of the document completes here), 0 when the document is complete and valid but the path is not
 * in it, or -1 when it is malformed or truncated (`error` CC_JSON_TRUNCATED or CC_JSON_EMPTY, and
 * `error_offset` the document's length). Calling it again returns the same. Any thread. */
int cc_json_matcher_finish(cc_json_matcher_t *matcher);

/* The substring matcher, for body_contains checks: Knuth-Morris-Pratt over a body read in chunks, so a
 * needle split across chunks is found and no byte is looked at twice. The needle and its failure table
 * are the caller's; the matcher holds only how much of the needle the last bytes matched. 8 bytes. */
typedef struct cc_substring_matcher_s {
    uint32_t matched; /* bytes of the needle the latest bytes match */
    uint8_t found;    /* 1 once the needle has been seen; stays 1 */
} cc_substring_matcher_t;

/* Fills `failure` (`length` entries) with the needle's KMP failure function: failure[i] is the length
 * of the longest proper prefix of needle[0..i] that is also its suffix. Returns 0, or CC_EINVAL for an
 * empty needle (which every body contains: check for it before). Any thread. */
int cc_substring_compile(const uint8_t *needle, uint32_t length, uint32_t *failure);

/* Prepares a matcher for a new body. Any thread. */
void cc_substring_matcher_reset(cc_substring_matcher_t *matcher);

/* Feeds `n` body bytes. `needle`, `length` and `failure` must be the ones compiled; a needle of length
 * 0 counts as found. Once found, the matcher stays found and reads nothing. Any thread. */
void cc_substring_feed(cc_substring_matcher_t *matcher, const uint8_t *needle, uint32_t length,
                       const uint32_t *failure, const uint8_t *data, size_t n);

/* The cookie jar: one simulated user's cookies for one target host (RFC 6265), in a fixed arena that
 * the caller provides, so a user's cookies cost no allocation. cc_cookie_jar_t is 32 bytes; entries are
 * laid out back to back in the arena (which needs no alignment), each a 32-byte header (expiry, when
 * it was stored, the lengths and flags) followed by its name, value, path and domain bytes: a cookie
 * costs 32 bytes plus those. Entries are kept sorted the way RFC 6265 5.4 orders the Cookie header
 * (longer paths first, then earlier created first), so writing the header is one pass. A cookie that
 * replaces another (same name, domain and path) keeps the old one's creation time (RFC 6265 5.3 step
 * 11.3) and so its place.
 *
 * What is not done: the public suffix list (RFC 6265 5.3 step 5; with one target host, a cookie set
 * for a public suffix can only reach that host anyway), cookie name prefixes (__Secure-, __Host-) and
 * SameSite, which matter to browsers, not to one user of one host. Expiry times are not capped. */
#define CC_COOKIE_MAX_NAME_VALUE 4096u      /* name and value together (RFC 6265bis 5.6 step 4) */
#define CC_COOKIE_MAX_ATTRIBUTE_VALUE 1024u /* a longer attribute value is ignored (RFC 6265bis 5.6) */
#define CC_COOKIE_ENTRY_OVERHEAD 32u        /* arena bytes a cookie takes besides its four strings */

#define CC_COOKIE_RESULT_MAP(X)                                                                   \
    X(CC_COOKIE_STORED, 0, "stored")                                                              \
    X(CC_COOKIE_DELETED, 1, "deleted: it had expired (Max-Age <= 0 or Expires in the past)")       \
    X(CC_COOKIE_REFUSED, 2, "refused: its Domain does not match the host, or it is Secure over a " \
                            "channel that is not")                                                \
    X(CC_COOKIE_MALFORMED, 3, "malformed: no '=', an empty name or a control character")           \
    X(CC_COOKIE_TOO_LARGE, 4, "too large: over 4096 bytes of name and value, or for the arena")

typedef enum cc_cookie_result_e {
#define CC__COOKIE_RESULT_ENUM(name, value, text) name = value,
    CC_COOKIE_RESULT_MAP(CC__COOKIE_RESULT_ENUM)
#undef CC__COOKIE_RESULT_ENUM
    CC_COOKIE__RESULT_COUNT
} cc_cookie_result_t;

/* Returns a human description of a cc_cookie_result_t; never NULL. Any thread. */
const char *cc_cookie_result_text(int result);

typedef struct cc_cookie_jar_s {
    uint8_t *arena;    /* the caller's */
    uint32_t capacity; /* the arena's size in bytes */
    uint32_t used;     /* bytes of it the entries take, from its start */
    uint32_t count;    /* cookies in the jar, expired ones not yet purged included */
    uint32_t dropped;  /* cookies dropped to make room for others, those set longest ago first
                          (expired cookies that were purged are not counted) */
    uint64_t stores_;  /* private: cookies stored so far, which orders them by age */
} cc_cookie_jar_t;

/* Prepares an empty jar over `arena` (`capacity` bytes, the caller's, which must outlive the jar).
 * Any thread. */
void cc_cookie_jar_init(cc_cookie_jar_t *jar, uint8_t *arena, uint32_t capacity);

/* Parses one Set-Cookie field value (RFC 6265 5.2) received from `host` (the target's name or address
 * as in its URL, without port; NUL-terminated; compared case-insensitively; empty or over 255 bytes
 * refuses every cookie) for a request to `request_path` (its path; a query after '?' is ignored), at
 * `now_s` seconds since the epoch, over a secure channel (https) when `secure_channel` is 1, and applies
 * it (RFC 6265 5.3):
 * - Domain must domain-match the host (RFC 6265 5.1.3; an IP address only equals), or the cookie is
 *   REFUSED; without Domain, the cookie is host-only. A leading '.' is ignored.
 * - Path defaults to the request path's directory (RFC 6265 5.1.4) when absent or not starting with '/'.
 * - Max-Age (which wins over Expires) or Expires (the three HTTP date forms, parsed as RFC 6265 5.1.1
 *   says) set the expiry; without either the cookie lasts as long as the jar. An expiry at or before
 *   `now_s` deletes the cookie with the same name, domain and path: DELETED, whether or not there was
 *   one. Secure is kept; HttpOnly, SameSite and unknown attributes are ignored.
 * - A Secure cookie over a channel that is not secure is REFUSED (RFC 6265bis 5.6 step 14).
 * - The cookie replaces one with the same name, domain and path. Expired cookies are purged first;
 *   when the arena still has no room, the cookies stored longest ago are dropped, each counted in
 *   `dropped`. A cookie that cannot fit even in an empty arena, or whose name and value pass
 *   CC_COOKIE_MAX_NAME_VALUE, is TOO_LARGE.
 * - A MALFORMED, REFUSED or TOO_LARGE cookie leaves the jar as it was, unpurged.
 * Returns a cc_cookie_result_t. Copies what it keeps; keeps no pointer to its arguments. Any thread. */
int cc_cookie_jar_store(cc_cookie_jar_t *jar, const uint8_t *set_cookie, size_t length, const char *host,
                        const uint8_t *request_path, size_t path_length, int64_t now_s, int secure_channel);

/* Writes the Cookie header value for a request to `path` (a query after '?' is ignored; an empty path
 * is "/") at `now_s`: the cookies whose path path-matches it (RFC 6265 5.1.4), that have not expired
 * and, when `secure_channel` is 0, are not Secure, as "name=value" joined by "; ", longer paths first,
 * then earlier created first (RFC 6265 5.4). Purges the expired cookies first. Returns the value's length
 * (no NUL is written): 0 when no cookie applies, and when the length is more than `capacity`, nothing is
 * written to `out` and the caller may call again with at least that many bytes (a NULL `out` only asks
 * for the length). Any thread. */
size_t cc_cookie_jar_header(cc_cookie_jar_t *jar, const uint8_t *path, size_t path_length, int64_t now_s,
                            int secure_channel, uint8_t *out, size_t capacity);

/* Finds a Set-Cookie value's name and value the way cc_cookie_jar_store does (RFC 6265 5.2 steps 1-4:
 * up to the first ';', split at the first '=', spaces and tabs trimmed; quotes around the value are
 * kept, as they are sent back), for capturing one cookie from a response. Returns 0 with the offsets and
 * lengths into `set_cookie` stored, or CC_EINVAL when the pair has no '=', its name is empty, or the
 * pair holds a control character other than tab (cc_cookie_jar_store refuses one anywhere in the
 * value, attributes included). Any thread. */
int cc_cookie_parse_pair(const uint8_t *set_cookie, size_t length, size_t *name_offset, size_t *name_length,
                         size_t *value_offset, size_t *value_length);

#ifdef __cplusplus
}
#endif
#endif /* CICADA_CORE_H */
