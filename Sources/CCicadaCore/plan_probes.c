/* Compiling captures and checks ("probes": each reads something of a response). JSON paths are
 * compiled once (json_path.c), regexes once with regcomp, body substrings into KMP tables; each probe
 * gets the matcher slot or value buffer it will use in the user that runs it. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static uint32_t cc__add_cstr(cc__builder_t *arena, const char *s, cc__span_t *span) {
    span->length = (uint32_t)strlen(s);
    span->offset = cc__builder_add(arena, s, span->length);
    return span->offset;
}

static int cc__compile_path(cc_plan_t *plan, const char *text, uint32_t request, const char *what, char *error,
                            size_t error_size) {
    size_t at = 0;
    const char *reason = "malformed";
    if (text == NULL) return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: JSON path missing", request, what);
    if (cc_json_path_compile(text, strlen(text), &plan->paths[plan->path_count], &at, &reason) != 0)
        return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: JSON path '%.100s' at byte %zu: %s", request,
                        what, text, at, reason);
    return (int)plan->path_count++;
}

static int cc__compile_regex(cc_plan_t *plan, const char *text, uint32_t request, const char *what, char *error,
                             size_t error_size) {
    if (text == NULL) return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: regex missing", request, what);
    int rc = regcomp(&plan->regexes[plan->regex_count], text, REG_EXTENDED);
    if (rc != 0) {
        char reason[128];
        regerror(rc, &plan->regexes[plan->regex_count], reason, sizeof reason);
        return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: regex '%.100s': %s", request, what, text, reason);
    }
    return (int)plan->regex_count++;
}

/* A probe that reads the body at a JSON path: compiles the path and gives the probe a matcher slot. */
static int cc__use_json(cc_plan_t *plan, cc__probe_t *p, cc__request_t *out, uint8_t *json_slots, const char *path,
                        uint32_t request, const char *what, char *error, size_t error_size) {
    int compiled = cc__compile_path(plan, path, request, what, error, error_size);
    if (compiled < 0) return compiled;
    p->path = (uint32_t)compiled;
    p->uses_json = 1;
    p->json_slot = (*json_slots)++;
    out->needs |= CC__NEED_BODY;
    return 0;
}

/* A probe that reads a header (or a cookie): keeps its name and gives it a value buffer. */
static int cc__use_header(cc__builder_t *arena, cc__probe_t *p, cc__request_t *out, uint8_t *value_slots,
                          const char *name, uint32_t request, const char *what, uint32_t k, char *error,
                          size_t error_size) {
    if (name == NULL || name[0] == '\0')
        return cc__fail(CC_EINVAL, error, error_size, "request %u: %s %u: name missing", request, what, k);
    cc__add_cstr(arena, name, &p->expression);
    p->value_slot = (*value_slots)++;
    out->needs |= CC__NEED_HEADERS;
    return 0;
}

int cc__compile_probes(const cc_plan_spec_t *spec, cc_plan_t *plan, cc__builder_t *arena, char *error,
                       size_t error_size) {
    uint64_t probes = 0, statuses = 0, substring_bytes = 0, paths = 0, regexes = 0;
    for (uint32_t i = 0; i < spec->request_count; i++) {
        const cc_request_spec_t *r = &spec->requests[i];
        if ((r->capture_count > 0 && r->captures == NULL) || (r->check_count > 0 && r->checks == NULL))
            return cc__fail(CC_EINVAL, error, error_size, "request %u: captures or checks missing", i);
        if ((uint64_t)r->capture_count + r->check_count > CC__MAX_PROBES)
            return cc__fail(CC_EINVAL, error, error_size, "request %u: %u captures and checks; at most %u", i,
                            r->capture_count + r->check_count, CC__MAX_PROBES);
        probes += r->capture_count + r->check_count;
        for (uint32_t k = 0; k < r->capture_count; k++) {
            paths += r->captures[k].source == CC_CAPTURE_JSON;
            regexes += r->captures[k].source == CC_CAPTURE_REGEX;
        }
        for (uint32_t k = 0; k < r->check_count; k++) {
            const cc_check_spec_t *c = &r->checks[k];
            if (c->kind == CC_CHECK_STATUS) {
                if (c->status_count == 0 || c->statuses == NULL)
                    return cc__fail(CC_EINVAL, error, error_size, "request %u: check %u: no status given", i, k);
                statuses += c->status_count;
            }
            if (c->kind == CC_CHECK_BODY_CONTAINS) substring_bytes += c->value_length;
            paths += c->kind == CC_CHECK_JSON_EQUALS || c->kind == CC_CHECK_JSON_EXISTS || c->kind == CC_CHECK_JSON_MATCHES;
            regexes += c->kind == CC_CHECK_JSON_MATCHES;
        }
    }
    if (probes == 0) return 0;
    plan->probes = calloc(probes, sizeof *plan->probes);
    plan->statuses = calloc(statuses + 1, sizeof *plan->statuses);
    plan->substring_tables = calloc(substring_bytes + 1, sizeof *plan->substring_tables);
    plan->paths = calloc(paths + 1, sizeof *plan->paths);
    plan->regexes = calloc(regexes + 1, sizeof *plan->regexes);
    if (!plan->probes || !plan->statuses || !plan->substring_tables || !plan->paths || !plan->regexes) return CC_ENOMEM;

    uint32_t status_next = 0, substring_next = 0;
    for (uint32_t i = 0; i < spec->request_count; i++) {
        const cc_request_spec_t *r = &spec->requests[i];
        cc__request_t *out = &plan->requests[i];
        out->first_probe = plan->probe_count;
        uint8_t json_slots = 0, value_slots = 0;
        for (uint32_t k = 0; k < r->capture_count; k++) {
            const cc_capture_spec_t *c = &r->captures[k];
            cc__probe_t *p = &plan->probes[plan->probe_count++];
            p->kind = c->source;
            p->optional = c->optional;
            p->index = plan->capture_count++;
            p->variable = c->variable;
            p->regex = -1;
            if (c->variable >= spec->variable_count)
                return cc__fail(CC_EINVAL, error, error_size, "request %u: capture %u names variable %u of %u", i, k,
                                c->variable, spec->variable_count);
            if (c->default_value != NULL) {
                p->has_default = 1;
                cc__add_cstr(arena, c->default_value, &p->value);
            }
            switch ((cc_capture_source_t)c->source) {
            case CC_CAPTURE_JSON: {
                int rc = cc__use_json(plan, p, out, &json_slots, c->expression, i, "capture", error, error_size);
                if (rc < 0) return rc;
                break;
            }
            case CC_CAPTURE_HEADER:
            case CC_CAPTURE_COOKIE: {
                int rc = cc__use_header(arena, p, out, &value_slots, c->expression, i, "capture", k, error, error_size);
                if (rc < 0) return rc;
                break;
            }
            case CC_CAPTURE_REGEX: {
                int regex = cc__compile_regex(plan, c->expression, i, "capture", error, error_size);
                if (regex < 0) return regex;
                p->regex = regex;
                out->needs |= CC__NEED_BODY;
                plan->needs_regex_prefix = 1;
                break;
            }
            case CC_CAPTURE_STATUS:
                break;
            default:
                return cc__fail(CC_EINVAL, error, error_size, "request %u: capture %u has unknown source %u", i, k,
                                c->source);
            }
        }
        for (uint32_t k = 0; k < r->check_count; k++) {
            const cc_check_spec_t *c = &r->checks[k];
            cc__probe_t *p = &plan->probes[plan->probe_count++];
            p->is_check = 1;
            p->kind = c->kind;
            p->until = c->until;
            p->index = plan->check_count++;
            p->regex = -1;
            out->has_until |= c->until;
            if (c->value != NULL) {
                p->value.length = c->value_length;
                p->value.offset = cc__builder_add(arena, c->value, c->value_length);
            } else if (c->kind == CC_CHECK_BODY_CONTAINS || c->kind == CC_CHECK_JSON_EQUALS ||
                       c->kind == CC_CHECK_JSON_MATCHES || c->kind == CC_CHECK_HEADER_EQUALS) {
                return cc__fail(CC_EINVAL, error, error_size, "request %u: check %u: value missing", i, k);
            }
            switch ((cc_check_kind_t)c->kind) {
            case CC_CHECK_STATUS:
                p->first_status = status_next;
                p->status_count = c->status_count;
                for (uint32_t s = 0; s < c->status_count; s++) {
                    cc_status_range_t range = c->statuses[s];
                    if (range.low < 100 || range.high > 599 || range.high < range.low)
                        return cc__fail(CC_EINVAL, error, error_size, "request %u: check %u: status range %u-%u",
                                        i, k, range.low, range.high);
                    plan->statuses[status_next++] = range;
                }
                if (!c->until) out->has_status_check = 1;
                break;
            case CC_CHECK_BODY_CONTAINS:
                if (c->value_length == 0)
                    return cc__fail(CC_EINVAL, error, error_size, "request %u: check %u: empty body_contains", i, k);
                p->substring = substring_next;
                cc_substring_compile((const uint8_t *)c->value, c->value_length, plan->substring_tables + substring_next);
                substring_next += c->value_length;
                out->needs |= CC__NEED_BODY;
                break;
            case CC_CHECK_JSON_MATCHES: {
                int regex = cc__compile_regex(plan, c->value, i, "check", error, error_size);
                if (regex < 0) return regex;
                p->regex = regex;
            }
                /* fall through */
            case CC_CHECK_JSON_EQUALS:
            case CC_CHECK_JSON_EXISTS: {
                int rc = cc__use_json(plan, p, out, &json_slots, c->expression, i, "check", error, error_size);
                if (rc < 0) return rc;
                break;
            }
            case CC_CHECK_HEADER_EQUALS: {
                int rc = cc__use_header(arena, p, out, &value_slots, c->expression, i, "check", k, error, error_size);
                if (rc < 0) return rc;
                break;
            }
            case CC_CHECK_MAX_DURATION:
                p->max_duration_ns = c->max_duration_ns;
                break;
            default:
                return cc__fail(CC_EINVAL, error, error_size, "request %u: check %u has unknown kind %u", i, k, c->kind);
            }
        }
        if (json_slots > CC__MAX_JSON_SLOTS)
            return cc__fail(CC_EINVAL, error, error_size, "request %u: %u JSON paths; at most %u", i, json_slots,
                            CC__MAX_JSON_SLOTS);
        out->probe_count = plan->probe_count - out->first_probe;
        out->json_slots = json_slots;
        out->value_slots = value_slots;
        if (json_slots > plan->json_slots) plan->json_slots = json_slots;
        if (value_slots > plan->value_slots) plan->value_slots = value_slots;
        plan->needs |= out->needs;
    }
    if (arena->failed) return CC_ENOMEM;
    return 0;
}

void cc__free_probes(cc_plan_t *plan) {
    for (uint32_t i = 0; plan->regexes != NULL && i < plan->regex_count; i++) regfree(&plan->regexes[i]);
    free(plan->regexes);
    free(plan->paths);
    free(plan->probes);
    free(plan->statuses);
    free(plan->substring_tables);
}
