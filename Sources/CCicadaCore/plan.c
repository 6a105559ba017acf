/* Compiling a plan: validation (the request rules are request_rules.c's), rendering each request without
 * templates once into the bytes sent on the wire, and handing templates (plan_templates.c) and captures
 * and checks (plan_probes.c) to their own files. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 5.5, for the Host value the plan is given: no control character but tab. */
static int cc__is_field_value(const char *s) {
    return s != NULL && cc_request_check(CC_REQUEST_HEADER_VALUE, s, strlen(s), NULL) == CC_RULE_OK;
}

void cc__builder_append(cc__builder_t *b, const void *data, size_t length) {
    if (b->failed || length == 0) return;
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

uint32_t cc__builder_add(cc__builder_t *b, const void *data, size_t length) {
    size_t start = b->length;
    cc__builder_append(b, data, length);
    /* Offsets are 32-bit: the whole arena must stay under 4 GiB. */
    return b->length > UINT32_MAX ? UINT32_MAX : (uint32_t)start;
}

static void cc__append(cc__builder_t *b, const void *data, size_t length) { cc__builder_append(b, data, length); }

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

static int cc__has_templates(const cc_request_spec_t *r) {
    if (r->target_template != NULL || r->body_template != NULL) return 1;
    for (uint32_t h = 0; h < r->header_count; h++)
        if (r->headers[h].value_template != NULL) return 1;
    return 0;
}

/* The literal parts of a request, by the request rules; templates' literal pieces are checked as they
 * compile (plan_templates.c). */
static int cc__check_request(const cc_plan_spec_t *spec, uint32_t index, char *error, size_t error_size) {
    const cc_request_spec_t *r = &spec->requests[index];
    int rc = cc__check(CC_REQUEST_METHOD, r->method, index, "method", error, error_size);
    if (rc == 0 && r->target_template == NULL) rc = cc__check(CC_REQUEST_TARGET, r->target, index, "target", error, error_size);
    if (rc != 0) return rc;
    if (r->header_count > 0 && r->headers == NULL)
        return cc__fail(CC_EINVAL, error, error_size, "request %u: headers missing", index);
    if (r->body_length > 0 && r->body == NULL && r->body_template == NULL)
        return cc__fail(CC_EINVAL, error, error_size, "request %u: body missing", index);
    for (uint32_t h = 0; h < r->header_count; h++) {
        const cc_header_spec_t *header = &r->headers[h];
        rc = cc__check(CC_REQUEST_HEADER_NAME, header->name, index, "header", error, error_size);
        if (rc != 0) return rc;
        if (header->value_template != NULL) continue;
        /* The value is not quoted: it is what has a CR or LF in it. */
        if (header->value == NULL || cc_request_check(CC_REQUEST_HEADER_VALUE, header->value, strlen(header->value),
                                                      NULL) != CC_RULE_OK)
            return cc__fail(CC_EINVAL, error, error_size, "request %u: the value of header '%s' %s", index,
                            header->name, cc_request_rule_text(CC_RULE_CONTROL_CHARACTER));
    }
    return 0;
}

/* Renders a request without templates once, into the bytes sent on the wire. */
static int cc__render_static(const cc_plan_spec_t *spec, uint32_t index, cc__builder_t *b, cc__request_t *out,
                             char *error, size_t error_size) {
    const cc_request_spec_t *r = &spec->requests[index];
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
    if (r->close_connection) cc__append_str(b, "Connection: close\r\n");
    cc__append_str(b, "\r\n");
    if (r->body_length > 0) cc__append(b, r->body, r->body_length);
    if (b->failed) return CC_ENOMEM;
    /* Requests sit at 32-bit offsets in one arena: all of them together must stay under 4 GiB. */
    if (b->length > UINT32_MAX)
        return cc__fail(CC_EINVAL, error, error_size, "request %u: the plan's requests pass 4 GiB together", index);
    out->offset = (uint32_t)start;
    out->length = (uint32_t)(b->length - start);
    return 0;
}

#define CC__MAX_VARIABLES 4096u
#define CC__MAX_LIST 10000u
#define CC__MAX_STEPS_PER_TASK 4096u
#define CC__MAX_REPEAT 1000000u

static int cc__validate_wait(const cc_wait_spec_t *wait, const char *what, uint32_t index, char *error,
                             size_t error_size) {
    if (wait->kind != CC_WAIT_CONSTANT && wait->kind != CC_WAIT_BETWEEN && wait->kind != CC_WAIT_PACING)
        return cc__fail(CC_EINVAL, error, error_size, "%s %u: unknown wait kind %d", what, index, (int)wait->kind);
    if (wait->kind == CC_WAIT_BETWEEN && wait->max_ns < wait->min_ns)
        return cc__fail(CC_EINVAL, error, error_size, "%s %u: wait between(a, b) needs a <= b", what, index);
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
    if (spec->step_count > 0 && spec->steps == NULL) return cc__fail(CC_EINVAL, error, error_size, "steps missing");
    if (spec->variable_count > CC__MAX_VARIABLES || (spec->variable_count > 0 && spec->variables == NULL))
        return cc__fail(CC_EINVAL, error, error_size, "variables missing or more than %u", CC__MAX_VARIABLES);
    if (spec->variable_bytes > CC_PLAN_MAX_VARIABLE_BYTES)
        return cc__fail(CC_EINVAL, error, error_size, "variable_bytes %u is above %u", spec->variable_bytes,
                        CC_PLAN_MAX_VARIABLE_BYTES);
    if (spec->cookie_bytes > CC_PLAN_MAX_COOKIE_BYTES)
        return cc__fail(CC_EINVAL, error, error_size, "cookie_bytes %u is above %u", spec->cookie_bytes,
                        CC_PLAN_MAX_COOKIE_BYTES);
    for (uint32_t v = 0; v < spec->variable_count; v++)
        if (spec->variables[v].list_max > CC__MAX_LIST || spec->variables[v].name == NULL)
            return cc__fail(CC_EINVAL, error, error_size, "variable %u: no name, or a list of more than %u", v,
                            CC__MAX_LIST);
    if (spec->data_table_count > 0 && spec->data_tables == NULL)
        return cc__fail(CC_EINVAL, error, error_size, "data tables missing");
    for (uint32_t d = 0; d < spec->data_table_count; d++) {
        const cc_data_table_spec_t *t = &spec->data_tables[d];
        if (t->row_count == 0 || t->column_count == 0 || t->cells == NULL ||
            (uint64_t)t->row_count * t->column_count > UINT32_MAX / 2)
            return cc__fail(CC_EINVAL, error, error_size, "data table %u: no rows, no columns or too many cells", d);
        for (uint64_t k = 0; k < (uint64_t)t->row_count * t->column_count; k++)
            if (t->cells[k] == NULL) return cc__fail(CC_EINVAL, error, error_size, "data table %u: a cell is missing", d);
    }
    for (uint32_t t = 0; t < spec->task_count; t++) {
        const cc_task_spec_t *task = &spec->tasks[t];
        if (spec->steps != NULL) {
            if (task->step_count == 0 || task->step_count > CC__MAX_STEPS_PER_TASK)
                return cc__fail(CC_EINVAL, error, error_size, "task %u has no steps or more than %u", t,
                                CC__MAX_STEPS_PER_TASK);
            if (task->first_step >= spec->step_count || task->step_count > spec->step_count - task->first_step)
                return cc__fail(CC_EINVAL, error, error_size, "task %u names steps beyond the plan's %u", t,
                                spec->step_count);
            continue;
        }
        if (task->request_count == 0)
            return cc__fail(CC_EINVAL, error, error_size, "task %u has no requests", t);
        if (task->first_request >= spec->request_count ||
            task->request_count > spec->request_count - task->first_request)
            return cc__fail(CC_EINVAL, error, error_size, "task %u names requests beyond the plan's %u", t,
                                 spec->request_count);
    }
    for (uint32_t i = 0; i < spec->step_count; i++) {
        const cc_step_spec_t *step = &spec->steps[i];
        if (step->kind == CC_STEP_REQUEST) {
            if (step->request >= spec->request_count)
                return cc__fail(CC_EINVAL, error, error_size, "step %u names request %u of %u", i, step->request,
                                spec->request_count);
            if (step->repeat_max > CC__MAX_REPEAT)
                return cc__fail(CC_EINVAL, error, error_size, "step %u: repeat at most %u times", i, CC__MAX_REPEAT);
        } else if (step->kind == CC_STEP_WAIT) {
            int rc = cc__validate_wait(&step->wait, "step", i, error, error_size);
            if (rc != 0) return rc;
            if (step->wait.kind == CC_WAIT_PACING)
                return cc__fail(CC_EINVAL, error, error_size, "step %u: a wait step is constant or between", i);
        } else {
            return cc__fail(CC_EINVAL, error, error_size, "step %u has unknown kind %u", i, step->kind);
        }
        if (step->when > CC_WHEN_UNSET || (step->when != CC_WHEN_ALWAYS && step->when_variable >= spec->variable_count))
            return cc__fail(CC_EINVAL, error, error_size, "step %u: condition on an unknown variable", i);
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
        if (uc->on_stop_task < -1 || uc->on_stop_task >= (int32_t)spec->task_count)
            return cc__fail(CC_EINVAL, error, error_size, "user class %u: on_stop task %d does not exist", c,
                            uc->on_stop_task);
        if (uc->data_table < -1 || uc->data_table >= (int32_t)spec->data_table_count || uc->data_mode > CC_DATA_RANDOM)
            return cc__fail(CC_EINVAL, error, error_size, "user class %u: data table %d or mode %u unknown", c,
                            uc->data_table, uc->data_mode);
        uint64_t total = 0;
        for (uint32_t t = 0; t < uc->task_count; t++) total += spec->tasks[uc->first_task + t].weight;
        if (total == 0)
            return cc__fail(CC_EINVAL, error, error_size, "user class %u: every task has weight 0", c);
        int rc = cc__validate_wait(&uc->wait, "user class", c, error, error_size);
        if (rc != 0) return rc;
    }
    return 0;
}

static int cc__compile_variables(const cc_plan_spec_t *spec, cc_plan_t *plan, cc__builder_t *arena) {
    plan->variable_bytes = spec->variable_bytes ? spec->variable_bytes : CC_PLAN_DEFAULT_VARIABLE_BYTES;
    plan->cookie_bytes = spec->cookie_bytes ? spec->cookie_bytes : CC_PLAN_DEFAULT_COOKIE_BYTES;
    if (spec->variable_count == 0) return 0;
    plan->variables = calloc(spec->variable_count, sizeof *plan->variables);
    if (plan->variables == NULL) return CC_ENOMEM;
    uint32_t slots = 0;
    for (uint32_t v = 0; v < spec->variable_count; v++) {
        const cc_variable_spec_t *variable = &spec->variables[v];
        plan->variables[v].first_slot = slots;
        plan->variables[v].slot_count = variable->list_max > 0 ? variable->list_max : 1;
        plan->variables[v].name = cc__builder_add(arena, variable->name, strlen(variable->name) + 1);
        slots += plan->variables[v].slot_count;
    }
    plan->variable_count = spec->variable_count;
    plan->variable_slots = slots;
    return arena->failed ? CC_ENOMEM : 0;
}

static int cc__compile_data(const cc_plan_spec_t *spec, cc_plan_t *plan, cc__builder_t *arena) {
    if (spec->data_table_count == 0) return 0;
    uint64_t cells = 0;
    for (uint32_t d = 0; d < spec->data_table_count; d++)
        cells += (uint64_t)spec->data_tables[d].row_count * spec->data_tables[d].column_count;
    plan->data_tables = calloc(spec->data_table_count, sizeof *plan->data_tables);
    plan->cells = calloc(cells, sizeof *plan->cells);
    if (plan->data_tables == NULL || plan->cells == NULL) return CC_ENOMEM;
    uint32_t next = 0;
    for (uint32_t d = 0; d < spec->data_table_count; d++) {
        const cc_data_table_spec_t *t = &spec->data_tables[d];
        plan->data_tables[d] = (cc__data_table_t){.first_cell = next, .row_count = t->row_count,
                                                  .column_count = t->column_count};
        for (uint64_t k = 0; k < (uint64_t)t->row_count * t->column_count; k++) {
            uint32_t length = (uint32_t)strlen(t->cells[k]);
            plan->cells[next++] = (cc__span_t){cc__builder_add(arena, t->cells[k], length), length};
        }
    }
    plan->data_table_count = spec->data_table_count;
    return arena->failed ? CC_ENOMEM : 0;
}

static int cc__compile_steps(const cc_plan_spec_t *spec, cc_plan_t *plan) {
    uint64_t steps = spec->steps != NULL ? spec->step_count : 0;
    if (spec->steps == NULL)
        for (uint32_t t = 0; t < spec->task_count; t++) steps += spec->tasks[t].request_count;
    plan->steps = calloc(steps ? steps : 1, sizeof *plan->steps);
    if (plan->steps == NULL) return CC_ENOMEM;
    if (spec->steps != NULL) {
        for (uint32_t i = 0; i < spec->step_count; i++) {
            const cc_step_spec_t *s = &spec->steps[i];
            plan->steps[i] = (cc__step_t){.kind = s->kind, .when = s->when, .continue_on_failure = s->continue_on_failure,
                                          .request = s->request, .when_variable = s->when_variable, .wait = s->wait,
                                          .repeat_max = s->repeat_max, .repeat_every_ns = s->repeat_every_ns};
        }
        for (uint32_t t = 0; t < spec->task_count; t++) {
            plan->tasks[t].first_step = spec->tasks[t].first_step;
            plan->tasks[t].step_count = spec->tasks[t].step_count;
        }
    } else {
        /* A task is its requests in order, each a step. */
        uint32_t next = 0;
        for (uint32_t t = 0; t < spec->task_count; t++) {
            plan->tasks[t].first_step = next;
            plan->tasks[t].step_count = spec->tasks[t].request_count;
            for (uint32_t k = 0; k < spec->tasks[t].request_count; k++)
                plan->steps[next++] = (cc__step_t){.kind = CC_STEP_REQUEST, .request = spec->tasks[t].first_request + k};
        }
    }
    plan->step_count = (uint32_t)steps;
    for (uint32_t t = 0; t < spec->task_count; t++) plan->tasks[t].weight = spec->tasks[t].weight;
    plan->task_count = spec->task_count;
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
    cc__plan_builder_t b = {0};
    if (!plan->requests || !plan->tasks || !plan->classes || !plan->cumulative) {
        rc = CC_ENOMEM;
        goto failed;
    }
    for (uint32_t c = 0; c < spec->class_count; c++) plan->cookies |= spec->classes[c].cookies != 0;
    plan->request_count = spec->request_count;
    if ((rc = cc__compile_variables(spec, plan, &b.arena)) != 0 || (rc = cc__compile_data(spec, plan, &b.arena)) != 0)
        goto failed;

    for (uint32_t i = 0; i < spec->request_count; i++) {
        const cc_request_spec_t *r = &spec->requests[i];
        cc__request_t *compiled = &plan->requests[i];
        if ((rc = cc__check_request(spec, i, error, error_size)) != 0) goto failed;
        compiled->endpoint = r->endpoint;
        compiled->head = strcmp(r->method, "HEAD") == 0;
        compiled->close_connection = r->close_connection != 0;
        int templated = cc__has_templates(r) || r->hook != NULL;
        compiled->hook = r->hook;
        compiled->hook_context = r->hook_context;
        if (!templated && (rc = cc__render_static(spec, i, &b.arena, compiled, error, error_size)) != 0) goto failed;
        /* Pieces for a templated request, and for every request when cookies may have to be added. */
        if (templated || plan->cookies) {
            if ((rc = cc__compile_pieces(spec, i, &b, compiled, error, error_size)) != 0) goto failed;
            compiled->dynamic = compiled->has_slots || r->hook != NULL;
        }
    }
    if ((rc = cc__compile_probes(spec, plan, &b.arena, error, error_size)) != 0) goto failed;
    if (b.arena.failed) {
        rc = CC_ENOMEM;
        goto failed;
    }
    if (b.arena.length > UINT32_MAX) {
        rc = cc__fail(CC_EINVAL, error, error_size, "the plan's requests pass 4 GiB together");
        goto failed;
    }
    plan->arena = b.arena.bytes;
    plan->arena_length = b.arena.length;
    plan->pieces = b.pieces;
    plan->piece_count = b.piece_count;
    plan->choices = b.choices;
    b = (cc__plan_builder_t){0};
    for (uint32_t i = 0; i < spec->request_count; i++) {
        const cc__request_t *r = &plan->requests[i];
        if (r->head_piece_count == 0) continue;
        uint64_t bound = cc__render_bound(plan, r);
        if (bound > 64u * 1024u * 1024u + (uint64_t)r->static_bytes) bound = 64u * 1024u * 1024u;
        if (bound > plan->render_bytes) plan->render_bytes = (uint32_t)bound;
    }

    if ((rc = cc__compile_steps(spec, plan)) != 0) goto failed;
    uint64_t *next = plan->cumulative;
    for (uint32_t c = 0; c < spec->class_count; c++) {
        const cc_user_class_spec_t *uc = &spec->classes[c];
        cc__user_class_t *compiled = &plan->classes[c];
        compiled->first_task = uc->first_task;
        compiled->task_count = uc->task_count;
        compiled->on_start_task = uc->on_start_task;
        compiled->on_stop_task = uc->on_stop_task;
        compiled->wait = uc->wait;
        compiled->data_table = uc->data_table;
        compiled->data_mode = uc->data_mode;
        compiled->data_recycle = uc->data_recycle;
        compiled->cookies = uc->cookies;
        plan->has_on_stop |= uc->on_stop_task >= 0;
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

failed:
    free(b.arena.bytes);
    free(b.pieces);
    free(b.choices);
    cc_plan_free(plan);
    return rc;
}

void cc_plan_free(cc_plan_t *plan) {
    if (plan == NULL) return;
    cc__free_probes(plan);
    free(plan->arena);
    free(plan->requests);
    free(plan->steps);
    free(plan->tasks);
    free(plan->classes);
    free(plan->cumulative);
    free(plan->pieces);
    free(plan->choices);
    free(plan->variables);
    free(plan->cells);
    free(plan->data_tables);
    free(plan);
}

const uint8_t *cc_plan_request_bytes(const cc_plan_t *plan, uint32_t index, size_t *length) {
    if (plan == NULL || index >= plan->request_count || plan->requests[index].dynamic) return NULL;
    if (length != NULL) *length = plan->requests[index].length;
    return plan->arena + plan->requests[index].offset;
}
