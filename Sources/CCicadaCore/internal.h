/* Internal declarations shared by the core's C files. Not part of the public API: cc__ names. */
#ifndef CICADA_CORE_INTERNAL_H
#define CICADA_CORE_INTERNAL_H

#include "cicada_core.h"

#include <regex.h>

/* A template's piece, compiled: text lives in the plan's arena. */
typedef struct cc__piece_s {
    uint8_t kind;     /* a cc_piece_kind_t */
    uint8_t encoding; /* a cc_encoding_t */
    uint8_t part;     /* a cc_request_part_t whose rule a rendered value obeys (TARGET, HEADER_VALUE), or
                         CC__PART_BODY */
    uint8_t by_reference; /* TEXT only: written from the arena, not copied into the lane's buffer */
    uint32_t variable;
    uint32_t text_offset; /* TEXT; RANDOM_CHOICE: first index into the plan's choices */
    uint32_t text_length; /* TEXT; RANDOM_CHOICE: the number of choices */
    int64_t min;
    int64_t max;
} cc__piece_t;

#define CC__PART_BODY 255u

/* A piece of text in the arena (a random choice). */
typedef struct cc__span_s {
    uint32_t offset;
    uint32_t length;
} cc__span_t;

typedef enum cc__inspect_need_e {
    CC__NEED_HEADERS = 1u << 0, /* header lines are read (header captures and checks, cookies) */
    CC__NEED_BODY = 1u << 1,    /* body bytes are read (JSON, regex, body_contains) */
} cc__inspect_need_t;

/* A capture or a check, compiled. */
typedef struct cc__probe_s {
    uint8_t is_check;
    uint8_t kind;      /* a cc_capture_source_t or a cc_check_kind_t */
    uint8_t optional;  /* captures */
    uint8_t has_default;
    uint8_t until;     /* checks */
    uint8_t uses_json; /* reads a JSON path: a matcher slot */
    uint8_t json_slot; /* which of the user's JSON matchers */
    uint8_t value_slot; /* which of the user's value buffers holds what was found (header, cookie) */
    uint32_t index;    /* plan-wide capture or check index (the sample's detail) */
    uint32_t variable; /* captures */
    cc__span_t expression;  /* header or cookie name, in the arena */
    cc__span_t value;       /* equals / contains value; the default of a capture */
    uint32_t first_status;  /* STATUS: ranges in the plan's status table */
    uint32_t status_count;
    uint32_t path;          /* JSON: index into the plan's JSON paths */
    int32_t regex;          /* REGEX, JSON_MATCHES: index into the plan's regexes, or -1 */
    uint32_t substring;     /* BODY_CONTAINS: offset of its failure table in the plan's tables */
    uint64_t max_duration_ns;
} cc__probe_t;

/* One compiled request: where its rendered bytes sit in the plan's arena (a static request), or its
 * pieces (a templated one), and what the engine must know about it without parsing those bytes again. */
typedef struct cc__request_s {
    uint32_t offset;
    uint32_t length;
    uint32_t endpoint;
    uint8_t head;             /* HEAD: the response has no body */
    uint8_t close_connection; /* the request says Connection: close */
    uint8_t dynamic;          /* rendered per request from pieces */
    uint8_t has_status_check; /* the default status rule does not apply */
    uint8_t needs;            /* cc__inspect_need_t bits of its probes */
    uint8_t has_until;        /* some check is a repeat's condition */
    uint8_t json_slots;       /* JSON matchers its probes use */
    uint8_t value_slots;      /* value buffers its probes use */
    uint8_t wants_length;     /* dynamic: Content-Length is sent (a body, or POST, PUT, PATCH) */
    uint8_t has_slots;        /* dynamic because of a slot (not only for a cookie) */
    uint32_t first_piece;     /* dynamic: the head's pieces (request line and headers, no framing) */
    uint32_t head_piece_count;
    uint32_t body_piece_count; /* then the body's */
    uint32_t first_probe;
    uint32_t probe_count;
    uint32_t static_bytes;    /* dynamic: bytes of its TEXT pieces that are copied, for the bound */
    cc_request_hook_cb hook;  /* the caller's, or NULL */
    void *hook_context;
} cc__request_t;

typedef struct cc__step_s {
    uint8_t kind;
    uint8_t when;
    uint8_t continue_on_failure;
    uint32_t request;
    uint32_t when_variable;
    cc_wait_spec_t wait;
    uint32_t repeat_max;
    uint64_t repeat_every_ns;
} cc__step_t;

typedef struct cc__task_s {
    uint32_t first_step;
    uint32_t step_count;
    uint32_t weight;
} cc__task_t;

typedef struct cc__user_class_s {
    uint32_t first_task;
    uint32_t task_count;
    int32_t on_start_task;
    int32_t on_stop_task;
    cc_wait_spec_t wait;
    uint64_t total_weight;      /* sum of the weights of the class's tasks */
    const uint64_t *cumulative; /* cumulative[i] = weight of tasks first_task..first_task+i, inclusive */
    int32_t data_table;
    uint8_t data_mode;
    uint8_t data_recycle;
    uint8_t cookies;
} cc__user_class_t;

typedef struct cc__variable_s {
    uint32_t first_slot; /* value slots in a lane's variable store */
    uint32_t slot_count; /* 1, or the list's length */
    uint32_t name;       /* offset of its NUL-terminated name in the arena */
} cc__variable_t;

typedef struct cc__data_table_s {
    uint32_t first_cell; /* spans in the plan's cells */
    uint32_t row_count;
    uint32_t column_count;
} cc__data_table_t;

struct cc_plan_s {
    uint8_t *arena; /* every static request's bytes and every template's text, back to back */
    size_t arena_length;
    cc__request_t *requests;
    uint32_t request_count;
    cc__step_t *steps;
    uint32_t step_count;
    cc__task_t *tasks;
    uint32_t task_count;
    cc__user_class_t *classes;
    uint32_t class_count;
    uint64_t *cumulative; /* storage for the classes' cumulative weights */
    cc__piece_t *pieces;
    uint32_t piece_count;
    cc__span_t *choices;
    cc__probe_t *probes;
    uint32_t probe_count;
    uint32_t capture_count;
    uint32_t check_count;
    cc_status_range_t *statuses;
    cc_json_path_t *paths;
    uint32_t path_count;
    regex_t *regexes;
    uint32_t regex_count;
    uint32_t *substring_tables; /* KMP failure tables, back to back */
    cc__variable_t *variables;
    uint32_t variable_count;
    uint32_t variable_slots;  /* value slots a lane's store has */
    uint32_t variable_bytes;  /* a lane's variable arena */
    uint32_t cookie_bytes;
    cc__span_t *cells;
    cc__data_table_t *data_tables;
    uint32_t data_table_count;
    /* What users need, from the compiled requests: zero for a plan of static requests, which then
     * costs nothing more than before templates existed. */
    uint32_t render_bytes;    /* a lane's render buffer */
    uint8_t json_slots;       /* JSON matchers a user keeps */
    uint8_t value_slots;      /* value buffers a user keeps, CC__VALUE_BYTES each */
    uint8_t needs;            /* the union of the requests' needs */
    uint8_t needs_regex_prefix;
    uint8_t cookies;          /* some class keeps cookies */
    uint8_t has_on_stop;
};

#define CC__VALUE_BYTES 4096u /* a value found in a response (JSON, header, cookie) is kept up to this */
#define CC__MAX_PROBES 32u    /* captures and checks on one request */
#define CC__MAX_JSON_SLOTS 16u

/* ---- a lane's variables (variables.c) --------------------------------------------------------------
 * One block per lane: a header, the value slots (one per scalar, list_max per list), the lists' state
 * and the arena the values live in. Values are appended at the arena's end; when it is full the live
 * values are moved down over the dead ones, and a value that still does not fit is refused. */
typedef struct cc__value_slot_s {
    uint32_t offset;
    uint32_t length; /* CC__UNSET: no value */
    uint8_t literal; /* captured from JSON as a value other than a string (CC_ENCODE_JSON_VALUE) */
} cc__value_slot_t;

#define CC__UNSET UINT32_MAX

typedef struct cc__list_state_s {
    uint32_t count;  /* values held, up to the variable's slot_count */
    uint32_t newest; /* slot (within the variable's) of the newest value */
} cc__list_state_t;

typedef struct cc__store_s {
    uint32_t used;  /* arena bytes in use, dead values included */
    uint32_t live;  /* arena bytes of live values */
    cc__value_slot_t *slots;
    cc__list_state_t *lists;
    uint8_t *bytes;
} cc__store_t;

/* Bytes a lane's store takes for `plan`; 0 when the plan has no variables. */
size_t cc__store_size(const cc_plan_t *plan);
/* Lays a store over `memory` (cc__store_size bytes) with every variable unset. */
void cc__store_init(cc__store_t *store, const cc_plan_t *plan, void *memory);
/* Clears every variable (a new user in the slot). */
void cc__store_clear(cc__store_t *store, const cc_plan_t *plan);
/* Sets a scalar variable, or appends to a list (dropping its oldest value when full). Returns 0, or -1
 * when the value does not fit in the arena (the variable keeps its old value). */
int cc__store_set(cc__store_t *store, const cc_plan_t *plan, uint32_t variable, const uint8_t *value, size_t length,
                  int literal);
/* 1 when the variable has a value (a list: at least one). */
int cc__store_is_set(const cc__store_t *store, const cc_plan_t *plan, uint32_t variable);
/* The value `back` steps before the newest (0: the newest); returns 0 and the bytes, or -1 when unset.
 * The bytes stay valid until the next cc__store_set. */
int cc__store_get(const cc__store_t *store, const cc_plan_t *plan, uint32_t variable, uint32_t back,
                  const uint8_t **value, size_t *length, int *literal);
/* How many values a list holds (a scalar: 0 or 1). */
uint32_t cc__store_count(const cc__store_t *store, const cc_plan_t *plan, uint32_t variable);

/* ---- rendering a templated request (template.c) ---------------------------------------------------- */

/* What a request's slots are filled from. */
typedef struct cc__render_context_s {
    const cc_plan_t *plan;
    const cc__store_t *store;   /* the lane's variables, or NULL when the plan has none */
    uint64_t user_id;           /* ${user.id} */
    uint64_t user_index;        /* ${user.index} */
    uint64_t iteration;         /* ${iteration} */
    uint64_t *random;           /* the lane's random state (xorshift64*, never 0) */
    const cc__data_table_t *table; /* the user's class's data table, or NULL */
    uint32_t row;                  /* the user's row in it */
    cc_cookie_jar_t *jar;       /* the user's cookies to send, or NULL */
    int64_t now_s;              /* the wall clock, for the cookies' expiry */
    int secure;                 /* https: Secure cookies are sent */
} cc__render_context_t;

/* A rendered request: up to three runs of bytes, written in order. A large text piece (an uploaded
 * file) is written from the plan's arena rather than copied: the runs before and after it are in the
 * lane's buffer. */
#define CC__MAX_RUNS 3u
typedef struct cc__rendered_s {
    const uint8_t *base[CC__MAX_RUNS];
    uint32_t length[CC__MAX_RUNS];
    uint32_t count;
    uint64_t total;
} cc__rendered_t;

/* Why a request could not be rendered (the sample's evidence). */
typedef enum cc__render_problem_e {
    CC__RENDER_UNSET = 1,         /* a variable has no value yet */
    CC__RENDER_TOO_LARGE = 2,     /* the request does not fit in the lane's render buffer */
    CC__RENDER_BAD_CHARACTER = 3, /* a value has a byte that its place (target, header) cannot hold */
    CC__RENDER_NO_DATA = 4,       /* ${row.x} without a data row */
    CC__RENDER_HOOK = 5,          /* the request's hook failed it */
} cc__render_problem_t;

/* Renders request `index` (dynamic, or static with a cookie to add) into `buffer`. Returns 0, or a
 * cc__render_problem_t with *variable set to the variable at fault (CC__UNSET when none). */
int cc__render_request(const cc__render_context_t *context, uint32_t index, uint8_t *buffer, size_t capacity,
                       cc__rendered_t *out, uint32_t *variable);
/* The words for a cc__render_problem_t ("unset variable"). */
const char *cc__render_problem_text(int problem);
/* xorshift64* (Vigna 2016), shared by the user machine and the renderer. */
static inline uint64_t cc__random_next(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}
/* Uniform in [0, bound): Lemire's multiply-shift. */
static inline uint64_t cc__random_below(uint64_t *state, uint64_t bound) {
    return (uint64_t)(((__uint128_t)cc__random_next(state) * bound) >> 64);
}

/* ---- compiling a plan (plan.c, plan_templates.c, plan_probes.c) ------------------------------------ */

/* A growable buffer used while compiling (not a hot path). */
typedef struct cc__builder_s {
    uint8_t *bytes;
    size_t length;
    size_t capacity;
    int failed;
} cc__builder_t;

void cc__builder_append(cc__builder_t *b, const void *data, size_t length);
/* Appends `length` bytes to the arena and returns their offset (UINT32_MAX once past 4 GiB). */
uint32_t cc__builder_add(cc__builder_t *b, const void *data, size_t length);

/* Growable arrays of compiled pieces and choices. */
typedef struct cc__plan_builder_s {
    cc__builder_t arena;
    cc__piece_t *pieces;
    uint32_t piece_count, piece_capacity;
    cc__span_t *choices;
    uint32_t choice_count, choice_capacity;
} cc__plan_builder_t;

/* Compiles request `index`'s pieces (plan_templates.c): the head's (request line, Host, User-Agent,
 * headers) and the body's. Sets first_piece, head/body_piece_count, static_bytes and has_slots. */
int cc__compile_pieces(const cc_plan_spec_t *spec, uint32_t index, cc__plan_builder_t *b, cc__request_t *out,
                       char *error, size_t error_size);
/* The most bytes request `r`'s pieces can render to, framing included. */
uint64_t cc__render_bound(const cc_plan_t *plan, const cc__request_t *r);

/* Compiles the captures and checks of every request (plan_probes.c) into plan->probes and the tables
 * they use; frees with cc__free_probes. */
int cc__compile_probes(const cc_plan_spec_t *spec, cc_plan_t *plan, cc__builder_t *arena, char *error,
                       size_t error_size);
void cc__free_probes(cc_plan_t *plan);

/* Writes a reason into `error` (when not NULL) and returns `code`: how the compile and create
 * functions report what they refused (errors.c). */
int cc__fail(int code, char *error, size_t error_size, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* TLS (tls.c). OpenSSL's types are declared opaque here so that only the files that use OpenSSL itself
 * (tls.c, transport_tls.c, lane.c and user_slots.c, which free sessions, and tls_memory.c) include its
 * headers. */
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

int cc__tls_context_new(const cc_tls_options_t *options, SSL_CTX **out, char *error, size_t size);
int cc__tls_name_is_ip(const char *name);
SSL *cc__tls_connection_new(SSL_CTX *ctx, const char *name, int name_is_ip, int verify, SSL_SESSION **session_slot);
void cc__tls_connection_free(SSL *ssl);
void cc__tls_context_free(SSL_CTX *ctx);
int32_t cc__tls_take_error(void);
int32_t cc__tls_unexpected_eof(void);
size_t cc__tls_detail_text(int failure, int32_t detail, char *buffer, size_t size);

#endif
