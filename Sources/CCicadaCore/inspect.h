/* Reading a response for its captures and checks (inspect.c), and a user's cookie jar. Internal to the
 * core; worker thread only. */
#ifndef CICADA_CORE_INSPECT_H
#define CICADA_CORE_INSPECT_H

#include "internal.h"

#define CC__LINE_BYTES 8192u /* a header line longer than this is not captured or checked (cut) */
#define CC__NAME_BYTES 64u   /* header names are matched up to this length: a longer one is of no interest */

/* What a response's probes concluded, kept apart from the streaming state: the connection machine
 * resets that (PARSE, for the next response) before it ends the request (FINISH). */
typedef struct cc__verdict_s {
    uint8_t lane;            /* whose response */
    uint8_t valid;
    uint8_t failure;         /* CC_FAIL_NONE, CHECK or CAPTURE */
    uint8_t until_met;       /* every `until` check held (1 when there is none) */
    uint8_t until_failure;   /* CC_FAIL_CHECK when an `until` check did not hold: the failure if this was
                                the repeat's last attempt */
    uint8_t evidence_length;
    uint8_t evidence_cut;
    uint8_t until_evidence_length;
    int32_t detail;
    int32_t until_detail;
    char evidence[CC_SAMPLE_EVIDENCE];
    char until_evidence[CC_SAMPLE_EVIDENCE];
} cc__verdict_t;

/* A user's inspection state: this struct in the worker's dense array of users' extras, and its buffers
 * in the sparse one (cc__inspection_buffer_size), which a user touches only for what it reads: a user
 * whose class keeps cookies from a server that sets none touches none of them. */
typedef struct cc__inspection_s {
    const cc__request_t *request; /* the request whose response is read, or NULL: none to inspect */
    uint8_t in_headers;
    uint8_t line_cut;
    uint8_t cookies;              /* Set-Cookie goes into the jar */
    uint8_t jar_ready;
    uint8_t line_mode;            /* a cc__line_mode_t */
    uint8_t name_length;
    uint32_t line_length;
    uint32_t prefix_length;
    const uint8_t *request_path;  /* the path the response answers, for cookies' default path */
    uint32_t request_path_length;
    uint8_t name[CC__NAME_BYTES]; /* the current header line's name, until its ':' */
    uint8_t *value_found;         /* CC__MAX_PROBES each */
    uint32_t *value_length;
    cc_substring_matcher_t *substrings;
    uint8_t *line;
    uint8_t *values;              /* value_slots * CC__VALUE_BYTES */
    cc_json_matcher_t *json;      /* json_slots */
    uint8_t *json_values;         /* json_slots * CC__VALUE_BYTES */
    uint8_t *prefix;              /* CC_CAPTURE_REGEX_PREFIX + 1 */
    uint8_t *jar_arena;           /* cookie_bytes */
    cc_cookie_jar_t jar;
    cc__verdict_t verdict;
} cc__inspection_t;

/* Whether users of `plan` inspect responses (a probe, or a class that keeps cookies); the bytes of a
 * user's buffers; laying the inspection's buffers over `buffers`. */
int cc__inspection_needed(const cc_plan_t *plan);
size_t cc__inspection_buffer_size(const cc_plan_t *plan);
void cc__inspection_init(cc__inspection_t *inspection, const cc_plan_t *plan, void *buffers);
/* A new user in the slot: an empty jar. */
void cc__inspection_clear(cc__inspection_t *inspection);

/* The response to `request` (sent by a user whose class keeps cookies when `cookies`) begins: returns 1
 * when it must be read with cc__inspect_headers and cc__inspect_body, 0 when nothing in it matters. */
int cc__inspect_begin(cc__inspection_t *inspection, const cc_plan_t *plan, const cc__request_t *request, int cookies,
                      const uint8_t *path, size_t path_length);
/* The parser's observer callbacks (ctx: the user's cc__inspect_context_t). */
typedef struct cc__inspect_context_s {
    cc__inspection_t *inspection;
    const cc_plan_t *plan;
    const char *host; /* for cookies */
    int secure;
    uint64_t cookies_dropped; /* cookies this user's jar dropped when full, for the worker's counter */
} cc__inspect_context_t;
void cc__inspect_headers(void *context, const uint8_t *data, size_t length);
void cc__inspect_body(void *context, const uint8_t *data, size_t length);
/* The response is complete: evaluate checks and captures into inspection->verdict (for `lane`), setting
 * the captured variables in `store`. `duration_ns` is the request's time so far. */
void cc__inspect_complete(cc__inspection_t *inspection, const cc_plan_t *plan, uint8_t lane, uint16_t status,
                          uint64_t duration_ns, cc__store_t *store);

#endif
