/* Compiling a plan: validation (the request rules are request_rules.c's), and rendering each request
 * once into the bytes sent on the wire. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 5.5, for the Host value the plan is given: no control character but tab. */
static int cc__is_field_value(const char *s) {
    return s != NULL && cc_request_check(CC_REQUEST_HEADER_VALUE, s, strlen(s), NULL) == CC_RULE_OK;
}

/* Appends to a growable buffer during compilation (not a hot path). */
typedef struct cc__builder_s {
    uint8_t *bytes;
    size_t length;
    size_t capacity;
    int failed;
} cc__builder_t;

static void cc__append(cc__builder_t *b, const void *data, size_t length) {
    if (b->failed) return;
    if (b->length + length > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->length + length) capacity *= 2;
        uint8_t *grown = realloc(b->bytes, capacity);
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        b->bytes = grown;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->length, data, length);
    b->length += length;
}

static void cc__append_str(cc__builder_t *b, const char *s) { cc__append(b, s, strlen(s)); }

static int cc__request_has_header(const cc_request_spec_t *r, const char *name) {
    for (uint32_t i = 0; i < r->header_count; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) return 1;
    return 0;
}

/* Applies one request rule; on a break writes "request N: <what> '<value>' <why>" into `error`. */
static int cc__check(cc_request_part_t part, const char *text, uint32_t index, const char *what, char *error,
                     size_t error_size) {
    if (text == NULL) return cc__fail(CC_EINVAL, error, error_size, "request %u: %s missing", index, what);
    int rule = cc_request_check(part, text, strlen(text), NULL);
    if (rule == CC_RULE_OK) return 0;
    return cc__fail(CC_EINVAL, error, error_size, "request %u: %s '%.200s' %s", index, what, text,
                    cc_request_rule_text(rule));
}

static int cc__render_request(const cc_plan_spec_t *spec, uint32_t index, cc__builder_t *b,
                              cc__request_t *out, char *error, size_t error_size) {
    const cc_request_spec_t *r = &spec->requests[index];
    int rc = cc__check(CC_REQUEST_METHOD, r->method, index, "method", error, error_size);
    if (rc == 0) rc = cc__check(CC_REQUEST_TARGET, r->target, index, "target", error, error_size);
    if (rc != 0) return rc;
    if (r->header_count > 0 && r->headers == NULL)
        return cc__fail(CC_EINVAL, error, error_size, "request %u: headers missing", index);
    if (r->body_length > 0 && r->body == NULL)
        return cc__fail(CC_EINVAL, error, error_size, "request %u: body missing", index);
    for (uint32_t h = 0; h < r->header_count; h++) {
        const cc_header_spec_t *header = &r->headers[h];
        rc = cc__check(CC_REQUEST_HEADER_NAME, header->name, index, "header", error, error_size);
        if (rc != 0) return rc;
        /* The value is not quoted: it is what has a CR or LF in it. */
        if (header->value == NULL || cc_request_check(CC_REQUEST_HEADER_VALUE, header->value, strlen(header->value),
                                                      NULL) != CC_RULE_OK)
            return cc__fail(CC_EINVAL, error, error_size, "request %u: the value of header '%s' %s", index,
                            header->name, cc_request_rule_text(CC_RULE_CONTROL_CHARACTER));
    }
    int close_connection = r->close_connection != 0;

    size_t start = b->length;
    cc__append_str(b, r->method);
    cc__append_str(b, " ");
    cc__append_str(b, r->target);
    cc__append_str(b, " HTTP/1.1\r\n");
    if (!cc__request_has_header(r, "Host")) {
        cc__append_str(b, "Host: ");
        cc__append_str(b, spec->host_header);
        cc__append_str(b, "\r\n");
    }
    if (!cc__request_has_header(r, "User-Agent")) cc__append_str(b, "User-Agent: cicada/" CC_VERSION "\r\n");
    for (uint32_t h = 0; h < r->header_count; h++) {
        cc__append_str(b, r->headers[h].name);
        cc__append_str(b, ": ");
        cc__append_str(b, r->headers[h].value);
        cc__append_str(b, "\r\n");
    }
    /* RFC 9110 8.6: a user agent should send Content-Length for a body, and for POST/PUT without one. */
    int wants_length = r->body_length > 0 || strcmp(r->method, "POST") == 0 ||
                       strcmp(r->method, "PUT") == 0 || strcmp(r->method, "PATCH") == 0;
    if (wants_length) {
        char line[48];
        snprintf(line, sizeof line, "Content-Length: %u\r\n", r->body_length);
        cc__append_str(b, line);
    }
    if (close_connection) cc__append_str(b, "Connection: close\r\n");
    cc__append_str(b, "\r\n");
    if (r->body_length > 0) cc__append(b, r->body, r->body_length);
    if (b->failed) return CC_ENOMEM;
    /* Requests sit at 32-bit offsets in one arena: all of them together must stay under 4 GiB. */
    if (b->length > UINT32_MAX)
        return cc__fail(CC_EINVAL, error, error_size, "request %u: the plan's requests pass 4 GiB together", index);

    out->offset = (uint32_t)start;
    out->length = (uint32_t)(b->length - start);
    out->endpoint = r->endpoint;
    out->head = strcmp(r->method, "HEAD") == 0;
    out->close_connection = (uint8_t)close_connection;
    return 0;
}

static int cc__validate_shape(const cc_plan_spec_t *spec, char *error, size_t error_size) {
    if (spec == NULL) return cc__fail(CC_EINVAL, error, error_size, "no plan");
    if (spec->host_header == NULL || !cc__is_field_value(spec->host_header) || spec->host_header[0] == '\0')
        return cc__fail(CC_EINVAL, error, error_size, "the Host header value is missing or has control characters");
    if (spec->request_count == 0 || spec->requests == NULL)
        return cc__fail(CC_EINVAL, error, error_size, "the plan has no requests");
    if (spec->task_count == 0 || spec->tasks == NULL) return cc__fail(CC_EINVAL, error, error_size, "the plan has no tasks");
    if (spec->class_count == 0 || spec->classes == NULL)
        return cc__fail(CC_EINVAL, error, error_size, "the plan has no user classes");
    for (uint32_t t = 0; t < spec->task_count; t++) {
        const cc_task_spec_t *task = &spec->tasks[t];
        if (task->request_count == 0)
            return cc__fail(CC_EINVAL, error, error_size, "task %u has no requests", t);
        if (task->first_request >= spec->request_count ||
            task->request_count > spec->request_count - task->first_request)
            return cc__fail(CC_EINVAL, error, error_size, "task %u names requests beyond the plan's %u", t,
                                 spec->request_count);
    }
    for (uint32_t c = 0; c < spec->class_count; c++) {
        const cc_user_class_spec_t *uc = &spec->classes[c];
        if (uc->task_count == 0) return cc__fail(CC_EINVAL, error, error_size, "user class %u has no tasks", c);
        if (uc->first_task >= spec->task_count || uc->task_count > spec->task_count - uc->first_task)
            return cc__fail(CC_EINVAL, error, error_size, "user class %u names tasks beyond the plan's %u", c,
                                 spec->task_count);
        if (uc->on_start_task < -1 || uc->on_start_task >= (int32_t)spec->task_count)
            return cc__fail(CC_EINVAL, error, error_size, "user class %u: on_start task %d does not exist", c,
                                 uc->on_start_task);
        uint64_t total = 0;
        for (uint32_t t = 0; t < uc->task_count; t++) total += spec->tasks[uc->first_task + t].weight;
        if (total == 0)
            return cc__fail(CC_EINVAL, error, error_size, "user class %u: every task has weight 0", c);
        if (uc->wait.kind != CC_WAIT_CONSTANT && uc->wait.kind != CC_WAIT_BETWEEN &&
            uc->wait.kind != CC_WAIT_PACING)
            return cc__fail(CC_EINVAL, error, error_size, "user class %u: unknown wait kind %d", c, (int)uc->wait.kind);
        if (uc->wait.kind == CC_WAIT_BETWEEN && uc->wait.max_ns < uc->wait.min_ns)
            return cc__fail(CC_EINVAL, error, error_size, "user class %u: wait between(a, b) needs a <= b", c);
    }
    return 0;
}

int cc_plan_compile(const cc_plan_spec_t *spec, cc_plan_t **out, char *error, size_t error_size) {
    if (out == NULL) return CC_EINVAL;
    *out = NULL;
    int rc = cc__validate_shape(spec, error, error_size);
    if (rc != 0) return rc;

    cc_plan_t *plan = calloc(1, sizeof *plan);
    if (plan == NULL) return CC_ENOMEM;
    plan->requests = calloc(spec->request_count, sizeof *plan->requests);
    plan->tasks = calloc(spec->task_count, sizeof *plan->tasks);
    plan->classes = calloc(spec->class_count, sizeof *plan->classes);
    uint64_t cumulative_count = 0;
    for (uint32_t c = 0; c < spec->class_count; c++) cumulative_count += spec->classes[c].task_count;
    plan->cumulative = calloc((size_t)cumulative_count, sizeof *plan->cumulative);
    if (!plan->requests || !plan->tasks || !plan->classes || !plan->cumulative) {
        cc_plan_free(plan);
        return CC_ENOMEM;
    }

    cc__builder_t builder = {0};
    for (uint32_t i = 0; i < spec->request_count; i++) {
        rc = cc__render_request(spec, i, &builder, &plan->requests[i], error, error_size);
        if (rc != 0) {
            free(builder.bytes);
            cc_plan_free(plan);
            return rc;
        }
    }
    plan->arena = builder.bytes;
    plan->arena_length = builder.length;
    plan->request_count = spec->request_count;

    for (uint32_t t = 0; t < spec->task_count; t++) {
        plan->tasks[t].first_request = spec->tasks[t].first_request;
        plan->tasks[t].request_count = spec->tasks[t].request_count;
        plan->tasks[t].weight = spec->tasks[t].weight;
    }
    plan->task_count = spec->task_count;

    uint64_t *next = plan->cumulative;
    for (uint32_t c = 0; c < spec->class_count; c++) {
        const cc_user_class_spec_t *uc = &spec->classes[c];
        cc__user_class_t *compiled = &plan->classes[c];
        compiled->first_task = uc->first_task;
        compiled->task_count = uc->task_count;
        compiled->on_start_task = uc->on_start_task;
        compiled->wait = uc->wait;
        uint64_t total = 0;
        for (uint32_t t = 0; t < uc->task_count; t++) {
            total += spec->tasks[uc->first_task + t].weight;
            next[t] = total;
        }
        compiled->total_weight = total;
        compiled->cumulative = next;
        next += uc->task_count;
    }
    plan->class_count = spec->class_count;
    *out = plan;
    return 0;
}

void cc_plan_free(cc_plan_t *plan) {
    if (plan == NULL) return;
    free(plan->arena);
    free(plan->requests);
    free(plan->tasks);
    free(plan->classes);
    free(plan->cumulative);
    free(plan);
}

const uint8_t *cc_plan_request_bytes(const cc_plan_t *plan, uint32_t index, size_t *length) {
    if (plan == NULL || index >= plan->request_count) return NULL;
    if (length != NULL) *length = plan->requests[index].length;
    return plan->arena + plan->requests[index].offset;
}
