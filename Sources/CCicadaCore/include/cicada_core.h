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
    X(CC_FAIL_TLS, 15, "tls_error", "tls: error")

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

/* Tells the parser that the connection ended. Returns 1 when that completes the response (a body
 * delimited by the close, RFC 9112 6.3 item 8), 0 when the response is incomplete, -1 when the parser
 * had already failed. Any thread. */
int cc_response_parser_finish(cc_response_parser_t *parser);

/* ---------------------------------------------------------------------------------------------------
 * The plan: what the simulated users do, as plain structs. The caller fills a cc_plan_spec_t and
 * compiles it; compilation validates it and copies everything it needs, so the spec's memory may be
 * freed as soon as cc_plan_compile returns.
 */

/* One header line of a request. Name and value are NUL-terminated; neither may contain CR or LF. */
typedef struct cc_header_spec_s {
    const char *name;
    const char *value;
} cc_header_spec_t;

/* One request: rendered once at compile time into the bytes sent on the wire (RFC 9112 3). The writer
 * adds Host (from the plan) unless a header names it, Content-Length when there is a body (or for
 * POST/PUT/PATCH with an empty one), and User-Agent: cicada/CC_VERSION unless a header names it. */
typedef struct cc_request_spec_s {
    const char *method;            /* a token: GET, POST, ... */
    const char *target;            /* origin-form: "/path?query" */
    const cc_header_spec_t *headers;
    uint32_t header_count;
    const uint8_t *body;           /* may be NULL when body_length is 0 */
    uint32_t body_length;
    uint32_t endpoint;             /* the metrics group this request counts in */
    uint8_t close_connection;      /* 1: send Connection: close and reconnect for the next request */
} cc_request_spec_t;

/* A task: one or more requests sent in order, the next as soon as the previous one completes. A failed
 * request ends the task (the rest of a log-in flow makes no sense after a failed log-in). */
typedef struct cc_task_spec_s {
    uint32_t first_request; /* index into the plan's requests */
    uint32_t request_count; /* >= 1 */
    uint32_t weight;        /* relative chance of being picked; 0 means never picked (on_start only) */
} cc_task_spec_t;

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

/* A user class: its tasks (a range of the plan's tasks), an optional task run once when a user starts
 * (Locust's on_start), and its wait between tasks. */
typedef struct cc_user_class_spec_s {
    uint32_t first_task;
    uint32_t task_count;
    int32_t on_start_task; /* index into the plan's tasks, or -1 */
    cc_wait_spec_t wait;
} cc_user_class_spec_t;

typedef struct cc_plan_spec_s {
    const char *host_header; /* the Host header value, "example.com:8080" */
    const cc_request_spec_t *requests;
    uint32_t request_count;
    const cc_task_spec_t *tasks;
    uint32_t task_count;
    const cc_user_class_spec_t *classes;
    uint32_t class_count;
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
 * index is out of range. The bytes belong to the plan. Any thread. */
const uint8_t *cc_plan_request_bytes(const cc_plan_t *plan, uint32_t index, size_t *length);

/* ---------------------------------------------------------------------------------------------------
 * The user state machine: what a simulated user does next, as a pure value. The engine feeds it
 * events from sockets and timers and performs the action it returns; tests feed it events directly.
 */
typedef enum cc_user_state_e {
    CC_USER_NEW = 0,        /* not started */
    CC_USER_CONNECTING = 1, /* opening a connection for the current request */
    CC_USER_IN_FLIGHT = 2,  /* request written or being written, response being read */
    CC_USER_WAITING = 3,    /* between tasks, a timer armed */
    CC_USER_STOPPED = 4,    /* done; holds no connection */
} cc_user_state_t;

typedef enum cc_user_event_kind_e {
    CC_EVENT_START = 0,           /* the user was spawned */
    CC_EVENT_CONNECTED = 1,       /* the connection for the current request is open */
    CC_EVENT_REQUEST_DONE = 2,    /* the current request ended: see `failed` and `keep_alive` */
    CC_EVENT_TIMER = 3,           /* the wait timer fired */
    CC_EVENT_PEER_CLOSED = 4,     /* the idle connection was closed by the server */
    CC_EVENT_RETIRE = 5,          /* stop after the current request, if any */
    CC_EVENT_CANCEL = 6,          /* stop now; a request in flight is abandoned */
} cc_user_event_kind_t;

typedef struct cc_user_event_s {
    cc_user_event_kind_t kind;
    uint64_t now_ns;    /* monotonic time of the event */
    uint8_t failed;     /* REQUEST_DONE: the request failed */
    uint8_t keep_alive; /* REQUEST_DONE: the connection may carry another request */
} cc_user_event_t;

typedef enum cc_user_action_kind_e {
    CC_ACTION_NONE = 0,    /* nothing to do */
    CC_ACTION_CONNECT = 1, /* open a connection, then deliver CONNECTED */
    CC_ACTION_SEND = 2,    /* send `request` on the open connection, then deliver REQUEST_DONE */
    CC_ACTION_WAIT = 3,    /* arm the timer for `wait_ns`, then deliver TIMER */
    CC_ACTION_STOP = 4,    /* the user is finished */
} cc_user_action_kind_t;

typedef struct cc_user_action_s {
    cc_user_action_kind_t kind;
    uint8_t close_connection; /* this lane no longer wants its connection. Advisory: the engine closes the
                                 connection itself (it failed, the server asked, or every lane of the
                                 user stopped), since pipeline lanes share it */
    uint8_t request_started;  /* `request` is a new request (count it as sent) */
    uint32_t request;         /* CONNECT and SEND: the request index in the plan */
    uint64_t wait_ns;         /* WAIT */
} cc_user_action_t;

/* A user's state. A plain value of 40 bytes; the engine keeps one inline in each lane. */
typedef struct cc_user_machine_s {
    uint8_t state;       /* a cc_user_state_t */
    uint8_t connected;   /* a reusable connection is open (the engine sets it from the user's shared
                            connection before each event) */
    uint8_t retiring;    /* stop after the current request */
    uint8_t started;     /* the on_start task has been run (or there is none) */
    uint32_t user_class; /* index of the user's class in the plan */
    uint32_t task;       /* current task index in the plan */
    uint32_t step;       /* index of the current request within the task */
    uint64_t random;     /* private PRNG state (xorshift64*) */
    uint64_t intended_ns; /* when the current request should have started */
    uint64_t task_start_ns; /* when the current task started (for pacing) */
} cc_user_machine_t;

/* Prepares a user of class `user_class` whose random choices derive from `seed` (equal seeds give
 * equal choices). Any thread. */
void cc_user_machine_init(cc_user_machine_t *machine, uint32_t user_class, uint64_t seed);

/* Applies `event` to `machine` and writes the next action to *action. Any thread; the plan is only
 * read. Events that make no sense in the current state are ignored (action NONE). */
void cc_user_machine_handle(cc_user_machine_t *machine, const cc_plan_t *plan,
                            const cc_user_event_t *event, cc_user_action_t *action);

/* ---------------------------------------------------------------------------------------------------
 * Samples: one fixed-size record per request, success or failure. Times are monotonic nanoseconds
 * (cc_clock_now_ns). 80 bytes.
 */
#define CC_SAMPLE_TLS_RESUMED 0x01u /* the request's connection resumed a TLS session */

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
    uint8_t reserved_[7];
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
    uint32_t max_users;          /* the most users alive at once, across all workers */
    uint64_t connect_timeout_ns; /* 0: none */
    uint64_t request_timeout_ns; /* from the start of a request to its last byte; 0: none */
    uint32_t ring_capacity;      /* samples per worker ring, rounded up to a power of two; 0: 65536 */
    uint64_t seed;               /* for the users' random choices */
    uint32_t pipeline_depth;     /* requests a user keeps in flight on its connection (HTTP/1.1
                                    pipelining, RFC 9112 9.3.2); 0 or 1: none; at most CC_MAX_PIPELINE */
    cc_tls_options_t tls;        /* TLS, when tls.enabled */
} cc_engine_options_t;

/* With pipelining, each of a user's pipeline slots runs the user's tasks independently (its own task
 * choices, waits and on_start), and the slots share the user's one connection; responses are matched
 * to requests in order, and a connection that fails fails every request in flight on it. */
#define CC_MAX_PIPELINE 64u

typedef struct cc_engine_s cc_engine_t; /* opaque */

/* Resolves the host and prepares the workers without starting them. On success returns 0 and stores
 * the engine in *out; `plan` must outlive it. On failure returns CC_EINVAL, CC_ERESOLVE, CC_ENOMEM or
 * CC_ESYSTEM and writes a reason into `error` when it is not NULL. The calling thread becomes the
 * engine's control thread. */
int cc_engine_create(const cc_plan_t *plan, const cc_engine_options_t *options, cc_engine_t **out,
                     char *error, size_t error_size);

/* Starts the worker threads. Returns 0, CC_ESTATE when already started, or CC_ESYSTEM. Control thread. */
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

/* Stops `count` users of class `user_class` (the newest first) after their current request. Returns 0,
 * CC_EINVAL or CC_ESTATE. Control thread. */
int cc_engine_retire(cc_engine_t *engine, uint32_t user_class, uint32_t count);

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
} cc_engine_counters_t;

/* Fills *out. Control thread (it resets loop_lag_max_ns). */
void cc_engine_counters(cc_engine_t *engine, cc_engine_counters_t *out);

/* Returns the monotonic clock used for every time in samples, in nanoseconds. Any thread. */
uint64_t cc_clock_now_ns(void);

#ifdef __cplusplus
}
#endif
#endif /* CICADA_CORE_H */
