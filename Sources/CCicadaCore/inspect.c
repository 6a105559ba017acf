/* Reading a response for what its request's captures and checks want, as it streams: header lines one
 * at a time (a bounded line buffer), body bytes into each JSON matcher, each substring matcher and the
 * regex prefix, and nothing kept beyond what they need. When the response completes, the checks are
 * judged and the captures set. Set-Cookie lines go into the user's jar. Worker thread only; no
 * allocation except inside regexec (glibc's matcher allocates its state; only regex captures and
 * `matches` checks run it). */
#include "inspect.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* How the rest of a header line is read once its name is known. */
typedef enum cc__line_mode_e {
    CC__LINE_NAME = 0, /* reading the name, into inspection->name */
    CC__LINE_COPY = 1, /* a line that matters (Set-Cookie, a probed header): its value into the line buffer */
    CC__LINE_SKIP = 2, /* of no interest: skipped to its end */
} cc__line_mode_t;

static size_t cc__align(size_t n) { return (n + 15u) & ~(size_t)15u; }

static int cc__wants_lines(const cc_plan_t *plan) { return (plan->needs & CC__NEED_HEADERS) || plan->cookies; }

int cc__inspection_needed(const cc_plan_t *plan) { return plan->probe_count > 0 || plan->cookies; }

size_t cc__inspection_buffer_size(const cc_plan_t *plan) {
    if (!cc__inspection_needed(plan)) return 0;
    size_t size = cc__align(CC__MAX_PROBES * (1 + sizeof(uint32_t) + sizeof(cc_substring_matcher_t)));
    if (cc__wants_lines(plan)) size += CC__LINE_BYTES;
    size += cc__align((size_t)plan->value_slots * CC__VALUE_BYTES);
    size += cc__align((size_t)plan->json_slots * sizeof(cc_json_matcher_t));
    size += cc__align((size_t)plan->json_slots * CC__VALUE_BYTES);
    if (plan->needs_regex_prefix) size += cc__align(CC_CAPTURE_REGEX_PREFIX + 1);
    if (plan->cookies) size += cc__align(plan->cookie_bytes);
    return size;
}

void cc__inspection_init(cc__inspection_t *inspection, const cc_plan_t *plan, void *buffers) {
    uint8_t *p = buffers;
    memset(inspection, 0, sizeof *inspection);
    inspection->substrings = (cc_substring_matcher_t *)p;
    p += CC__MAX_PROBES * sizeof(cc_substring_matcher_t);
    inspection->value_length = (uint32_t *)p;
    p += CC__MAX_PROBES * sizeof(uint32_t);
    inspection->value_found = p;
    p = (uint8_t *)buffers + cc__align(CC__MAX_PROBES * (1 + sizeof(uint32_t) + sizeof(cc_substring_matcher_t)));
    if (cc__wants_lines(plan)) {
        inspection->line = p;
        p += CC__LINE_BYTES;
    }
    inspection->values = p;
    p += cc__align((size_t)plan->value_slots * CC__VALUE_BYTES);
    inspection->json = (cc_json_matcher_t *)p;
    p += cc__align((size_t)plan->json_slots * sizeof(cc_json_matcher_t));
    inspection->json_values = p;
    p += cc__align((size_t)plan->json_slots * CC__VALUE_BYTES);
    if (plan->needs_regex_prefix) {
        inspection->prefix = p;
        p += cc__align(CC_CAPTURE_REGEX_PREFIX + 1);
    }
    if (plan->cookies) {
        inspection->jar_arena = p;
        cc_cookie_jar_init(&inspection->jar, p, plan->cookie_bytes);
        inspection->jar_ready = 1;
    }
}

void cc__inspection_clear(cc__inspection_t *inspection) {
    inspection->request = NULL;
    inspection->verdict.valid = 0;
    if (inspection->jar_ready) cc_cookie_jar_init(&inspection->jar, inspection->jar_arena, inspection->jar.capacity);
}

int cc__inspect_begin(cc__inspection_t *in, const cc_plan_t *plan, const cc__request_t *request, int cookies,
                      const uint8_t *path, size_t path_length) {
    in->request = NULL;
    in->cookies = (uint8_t)(cookies && in->jar_ready);
    if (request->probe_count == 0 && !in->cookies) return 0;
    in->request = request;
    in->in_headers = 1;
    in->line_length = 0;
    in->line_cut = 0;
    in->line_mode = CC__LINE_NAME;
    in->name_length = 0;
    in->prefix_length = 0;
    in->request_path = path;
    in->request_path_length = (uint32_t)path_length;
    memset(in->value_found, 0, request->value_slots);
    for (uint32_t i = 0; i < request->probe_count; i++) {
        const cc__probe_t *probe = &plan->probes[request->first_probe + i];
        if (probe->uses_json)
            cc_json_matcher_reset(&in->json[probe->json_slot], &plan->paths[probe->path],
                                  in->json_values + (size_t)probe->json_slot * CC__VALUE_BYTES, CC__VALUE_BYTES - 1);
        if (probe->is_check && probe->kind == CC_CHECK_BODY_CONTAINS) cc_substring_matcher_reset(&in->substrings[i]);
    }
    return 1;
}

/* ---- header lines ---------------------------------------------------------------------------------- */

static int cc__name_is(const uint8_t *line, size_t name_length, const uint8_t *name, size_t length) {
    return name_length == length && strncasecmp((const char *)line, (const char *)name, length) == 0;
}

static void cc__keep_value(cc__inspection_t *in, const cc__probe_t *probe, const uint8_t *value, size_t length) {
    if (in->value_found[probe->value_slot]) return; /* the first field line with the name wins */
    if (length > CC__VALUE_BYTES - 1) length = CC__VALUE_BYTES - 1;
    memcpy(in->values + (size_t)probe->value_slot * CC__VALUE_BYTES, value, length);
    in->value_length[probe->value_slot] = (uint32_t)length;
    in->value_found[probe->value_slot] = 1;
}

static void cc__header_line(cc__inspect_context_t *c, const uint8_t *line, size_t length) {
    cc__inspection_t *in = c->inspection;
    const cc_plan_t *plan = c->plan;
    const uint8_t *colon = memchr(line, ':', length);
    if (colon == NULL) return; /* the parser has checked the line: this is only a cut one */
    size_t name_length = (size_t)(colon - line);
    const uint8_t *value = colon + 1, *end = line + length;
    while (value < end && (*value == ' ' || *value == '\t')) value++;
    while (end > value && (end[-1] == ' ' || end[-1] == '\t')) end--;
    size_t value_length = (size_t)(end - value);
    int set_cookie = cc__name_is(line, name_length, (const uint8_t *)"set-cookie", 10);
    if (set_cookie && in->cookies && !in->line_cut) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        uint32_t dropped = in->jar.dropped;
        cc_cookie_jar_store(&in->jar, value, value_length, c->host, in->request_path, in->request_path_length,
                            (int64_t)now.tv_sec, c->secure);
        c->cookies_dropped += in->jar.dropped - dropped;
    }
    const cc__request_t *r = in->request;
    for (uint32_t i = 0; i < r->probe_count; i++) {
        const cc__probe_t *probe = &plan->probes[r->first_probe + i];
        const uint8_t *want = plan->arena + probe->expression.offset;
        if (!probe->is_check && probe->kind == CC_CAPTURE_COOKIE) {
            size_t no, nl, vo, vl;
            if (set_cookie && cc_cookie_parse_pair(value, value_length, &no, &nl, &vo, &vl) == 0 &&
                nl == probe->expression.length && memcmp(value + no, want, nl) == 0)
                cc__keep_value(in, probe, value + vo, vl);
        } else if ((!probe->is_check && probe->kind == CC_CAPTURE_HEADER) ||
                   (probe->is_check && probe->kind == CC_CHECK_HEADER_EQUALS)) {
            if (cc__name_is(line, name_length, want, probe->expression.length)) cc__keep_value(in, probe, value, value_length);
        }
    }
}

/* Whether a header named `name` matters to the request being inspected. */
static int cc__line_matters(const cc__inspect_context_t *c, const uint8_t *name, size_t length) {
    const cc__inspection_t *in = c->inspection;
    if (in->cookies && cc__name_is(name, length, (const uint8_t *)"set-cookie", 10)) return 1;
    const cc__request_t *r = in->request;
    if (!(r->needs & CC__NEED_HEADERS)) return 0;
    for (uint32_t i = 0; i < r->probe_count; i++) {
        const cc__probe_t *probe = &c->plan->probes[r->first_probe + i];
        int reads_header = (!probe->is_check && (probe->kind == CC_CAPTURE_HEADER || probe->kind == CC_CAPTURE_COOKIE)) ||
                           (probe->is_check && probe->kind == CC_CHECK_HEADER_EQUALS);
        if (!reads_header) continue;
        const uint8_t *want = c->plan->arena + probe->expression.offset;
        if (probe->kind == CC_CAPTURE_COOKIE) {
            if (cc__name_is(name, length, (const uint8_t *)"set-cookie", 10)) return 1;
        } else if (cc__name_is(name, length, want, probe->expression.length)) {
            return 1;
        }
    }
    return 0;
}

/* Header lines one at a time: the name into a small buffer, then, only for a line that matters, the
 * whole line into the line buffer; other lines are skipped without being copied. */
void cc__inspect_headers(void *context, const uint8_t *data, size_t length) {
    cc__inspect_context_t *c = context;
    cc__inspection_t *in = c->inspection;
    if (in->request == NULL || !in->in_headers || in->line == NULL) return;
    if (!(in->request->needs & CC__NEED_HEADERS) && !in->cookies) return;
    while (length > 0) {
        if (in->line_mode == CC__LINE_NAME) {
            if (in->name_length == 0 && (data[0] == '\r' || data[0] == '\n')) {
                in->in_headers = 0; /* the empty line: the section is over */
                return;
            }
            const uint8_t *colon = memchr(data, ':', length);
            size_t take = colon != NULL ? (size_t)(colon - data) : length;
            size_t room = CC__NAME_BYTES - in->name_length;
            memcpy(in->name + in->name_length, data, take < room ? take : room);
            in->name_length = (uint8_t)(in->name_length + (take < room ? take : room));
            if (take > room) in->name_length = CC__NAME_BYTES; /* too long to be one we look for */
            if (colon == NULL) return;
            data += take;
            length -= take;
            int matters = in->name_length < CC__NAME_BYTES && cc__line_matters(c, in->name, in->name_length);
            in->line_mode = matters ? CC__LINE_COPY : CC__LINE_SKIP;
            if (matters) {
                memcpy(in->line, in->name, in->name_length);
                in->line_length = in->name_length;
                in->line_cut = 0;
            }
            continue;
        }
        const uint8_t *lf = memchr(data, '\n', length);
        size_t take = lf != NULL ? (size_t)(lf - data) : length;
        if (in->line_mode == CC__LINE_COPY) {
            size_t room = CC__LINE_BYTES - in->line_length;
            if (take > room) in->line_cut = 1;
            memcpy(in->line + in->line_length, data, take < room ? take : room);
            in->line_length += (uint32_t)(take < room ? take : room);
        }
        if (lf == NULL) return;
        data += take + 1;
        length -= take + 1;
        if (in->line_mode == CC__LINE_COPY) {
            size_t line_length = in->line_length;
            if (line_length > 0 && in->line[line_length - 1] == '\r') line_length--;
            cc__header_line(c, in->line, line_length);
        }
        in->line_mode = CC__LINE_NAME;
        in->name_length = 0;
        in->line_length = 0;
    }
}

/* ---- the body -------------------------------------------------------------------------------------- */

void cc__inspect_body(void *context, const uint8_t *data, size_t length) {
    cc__inspect_context_t *c = context;
    cc__inspection_t *in = c->inspection;
    const cc_plan_t *plan = c->plan;
    const cc__request_t *r = in->request;
    if (r == NULL || !(r->needs & CC__NEED_BODY)) return;
    int prefix = 0;
    for (uint32_t i = 0; i < r->probe_count; i++) {
        const cc__probe_t *probe = &plan->probes[r->first_probe + i];
        if (probe->uses_json) {
            cc_json_matcher_feed(&in->json[probe->json_slot], data, length);
        } else if (probe->is_check && probe->kind == CC_CHECK_BODY_CONTAINS) {
            cc_substring_feed(&in->substrings[i], plan->arena + probe->value.offset, probe->value.length,
                              plan->substring_tables + probe->substring, data, length);
        } else if (!probe->is_check && probe->kind == CC_CAPTURE_REGEX) {
            prefix = 1;
        }
    }
    if (prefix && in->prefix_length < CC_CAPTURE_REGEX_PREFIX) {
        size_t take = CC_CAPTURE_REGEX_PREFIX - in->prefix_length;
        if (take > length) take = length;
        memcpy(in->prefix + in->prefix_length, data, take);
        in->prefix_length += (uint32_t)take;
    }
}

/* ---- judging ---------------------------------------------------------------------------------------- */

typedef struct cc__evidence_s {
    char text[CC_SAMPLE_EVIDENCE];
    uint8_t length;
    uint8_t cut;
} cc__evidence_t;

static void cc__say(cc__evidence_t *e, const char *prefix, const uint8_t *value, size_t n, const char *suffix) {
    char text[CC_SAMPLE_EVIDENCE * 2];
    int k = snprintf(text, sizeof text, "%s", prefix);
    size_t length = k > 0 ? (size_t)k : 0;
    for (size_t i = 0; i < n && length < sizeof text - 1; i++)
        text[length++] = value[i] >= 0x20 && value[i] < 0x7f ? (char)value[i] : (value[i] >= 0x80 ? (char)value[i] : '?');
    for (const char *s = suffix; *s != '\0' && length < sizeof text - 1; s++) text[length++] = *s;
    e->cut = length > CC_SAMPLE_EVIDENCE || (n > 0 && length >= sizeof text - 1);
    if (length > CC_SAMPLE_EVIDENCE) length = CC_SAMPLE_EVIDENCE;
    memcpy(e->text, text, length);
    e->length = (uint8_t)length;
}

static void cc__say_text(cc__evidence_t *e, const char *text) { cc__say(e, text, NULL, 0, ""); }

static int cc__regex_matches(const cc_plan_t *plan, int32_t regex, uint8_t *text, size_t length, regmatch_t *match,
                             size_t groups) {
    text[length] = '\0'; /* every buffer keeps a byte for this */
    return regexec(&plan->regexes[regex], (const char *)text, groups, match, 0) == 0;
}

/* Describes what a JSON matcher found, for evidence: `got "running"`, `got 5`, `nothing at the path`. */
static void cc__json_evidence(cc__evidence_t *e, const cc_json_matcher_t *m, int result) {
    if (result < 0) {
        char text[64];
        snprintf(text, sizeof text, "malformed JSON at byte %llu", (unsigned long long)m->error_offset);
        cc__say_text(e, text);
    } else if (result == 0) {
        cc__say_text(e, "nothing at the path");
    } else if (m->kind == CC_JSON_KIND_STRING) {
        cc__say(e, "got \"", m->value, m->value_length, "\"");
    } else {
        cc__say(e, "got ", m->value, m->value_length, "");
    }
}

/* Judges one check; returns 1 when it holds, else 0 with the evidence. */
static int cc__judge(cc__inspection_t *in, const cc_plan_t *plan, const cc__probe_t *probe, uint32_t position,
                     uint16_t status, uint64_t duration_ns, cc__evidence_t *e) {
    switch ((cc_check_kind_t)probe->kind) {
    case CC_CHECK_STATUS:
        for (uint32_t s = 0; s < probe->status_count; s++) {
            const cc_status_range_t *range = &plan->statuses[probe->first_status + s];
            if (status >= range->low && status <= range->high) return 1;
        }
        {
            char text[32];
            snprintf(text, sizeof text, "got %u", status);
            cc__say_text(e, text);
        }
        return 0;
    case CC_CHECK_BODY_CONTAINS:
        if (in->substrings[position].found) return 1;
        cc__say_text(e, "not in the body");
        return 0;
    case CC_CHECK_JSON_EXISTS:
    case CC_CHECK_JSON_EQUALS:
    case CC_CHECK_JSON_MATCHES: {
        cc_json_matcher_t *m = &in->json[probe->json_slot];
        int result = cc_json_matcher_finish(m);
        if (result == 1 && probe->kind == CC_CHECK_JSON_EXISTS) return 1;
        if (result == 1 && probe->kind == CC_CHECK_JSON_EQUALS && !m->truncated && m->value_length == probe->value.length &&
            memcmp(m->value, plan->arena + probe->value.offset, m->value_length) == 0)
            return 1;
        if (result == 1 && probe->kind == CC_CHECK_JSON_MATCHES) {
            regmatch_t match[1];
            if (cc__regex_matches(plan, probe->regex, m->value, m->value_length, match, 1)) return 1;
        }
        cc__json_evidence(e, m, result);
        return 0;
    }
    case CC_CHECK_HEADER_EQUALS:
        if (!in->value_found[probe->value_slot]) {
            cc__say_text(e, "no such header");
            return 0;
        }
        {
            const uint8_t *got = in->values + (size_t)probe->value_slot * CC__VALUE_BYTES;
            uint32_t n = in->value_length[probe->value_slot];
            if (n == probe->value.length && memcmp(got, plan->arena + probe->value.offset, n) == 0) return 1;
            cc__say(e, "got \"", got, n, "\"");
        }
        return 0;
    case CC_CHECK_MAX_DURATION:
        if (duration_ns <= probe->max_duration_ns) return 1;
        {
            char text[48];
            snprintf(text, sizeof text, "took %llu ms", (unsigned long long)(duration_ns / 1000000ull));
            cc__say_text(e, text);
        }
        return 0;
    }
    return 1;
}

/* Finds a capture's value; returns 1 with the bytes, or 0 with the evidence. */
static int cc__find(cc__inspection_t *in, const cc_plan_t *plan, const cc__probe_t *probe, uint16_t status,
                    char *scratch, const uint8_t **value, size_t *length, int *literal, cc__evidence_t *e) {
    *literal = 0;
    switch ((cc_capture_source_t)probe->kind) {
    case CC_CAPTURE_JSON: {
        cc_json_matcher_t *m = &in->json[probe->json_slot];
        int result = cc_json_matcher_finish(m);
        if (result == 1 && !m->truncated) {
            *value = m->value;
            *length = m->value_length;
            *literal = m->kind != CC_JSON_KIND_STRING;
            return 1;
        }
        if (result == 1) cc__say_text(e, "value longer than 4095 bytes");
        else cc__json_evidence(e, m, result);
        return 0;
    }
    case CC_CAPTURE_HEADER:
    case CC_CAPTURE_COOKIE:
        if (!in->value_found[probe->value_slot]) {
            cc__say_text(e, probe->kind == CC_CAPTURE_HEADER ? "no such header" : "no such cookie");
            return 0;
        }
        *value = in->values + (size_t)probe->value_slot * CC__VALUE_BYTES;
        *length = in->value_length[probe->value_slot];
        return 1;
    case CC_CAPTURE_REGEX: {
        regmatch_t match[2];
        if (in->prefix == NULL || !cc__regex_matches(plan, probe->regex, in->prefix, in->prefix_length, match, 2)) {
            cc__say_text(e, "no match");
            return 0;
        }
        int group = match[1].rm_so >= 0 ? 1 : 0;
        *value = in->prefix + match[group].rm_so;
        *length = (size_t)(match[group].rm_eo - match[group].rm_so);
        return 1;
    }
    case CC_CAPTURE_STATUS: {
        int n = snprintf(scratch, 8, "%u", status);
        *value = (const uint8_t *)scratch;
        *length = n > 0 ? (size_t)n : 0;
        return 1;
    }
    }
    return 0;
}

void cc__inspect_complete(cc__inspection_t *in, const cc_plan_t *plan, uint8_t lane, uint16_t status,
                          uint64_t duration_ns, cc__store_t *store) {
    cc__verdict_t *v = &in->verdict;
    const cc__request_t *r = in->request;
    memset(v, 0, offsetof(cc__verdict_t, evidence));
    v->lane = lane;
    v->valid = 1;
    v->until_met = 1;
    if (r == NULL) return;
    in->request = NULL;
    /* A status that fails by the default rule fails the request; its checks and captures are moot. */
    if (!r->has_status_check && status >= 400) return;
    cc__evidence_t e = {0};
    for (uint32_t i = 0; i < r->probe_count; i++) {
        const cc__probe_t *probe = &plan->probes[r->first_probe + i];
        if (!probe->is_check) continue;
        if (cc__judge(in, plan, probe, i, status, duration_ns, &e)) continue;
        if (probe->until) {
            if (v->until_met) {
                v->until_met = 0;
                v->until_failure = CC_FAIL_CHECK;
                v->until_detail = (int32_t)probe->index;
                memcpy(v->until_evidence, e.text, e.length);
                v->until_evidence_length = e.length;
            }
            continue;
        }
        v->failure = CC_FAIL_CHECK;
        v->detail = (int32_t)probe->index;
        memcpy(v->evidence, e.text, e.length);
        v->evidence_length = e.length;
        v->evidence_cut = e.cut;
        return;
    }
    for (uint32_t i = 0; i < r->probe_count; i++) {
        const cc__probe_t *probe = &plan->probes[r->first_probe + i];
        if (probe->is_check) continue;
        const uint8_t *value = NULL;
        size_t length = 0;
        char scratch[8];
        int literal = 0;
        e = (cc__evidence_t){0};
        if (!cc__find(in, plan, probe, status, scratch, &value, &length, &literal, &e)) {
            if (probe->has_default) {
                value = plan->arena + probe->value.offset;
                length = probe->value.length;
            } else if (probe->optional) {
                continue;
            } else {
                v->failure = CC_FAIL_CAPTURE;
                v->detail = (int32_t)probe->index;
                memcpy(v->evidence, e.text, e.length);
                v->evidence_length = e.length;
                return;
            }
        }
        if (store == NULL || cc__store_set(store, plan, probe->variable, value, length, literal) != 0) {
            v->failure = CC_FAIL_CAPTURE;
            v->detail = (int32_t)probe->index;
            cc__say_text(&e, "value does not fit the variables");
            memcpy(v->evidence, e.text, e.length);
            v->evidence_length = e.length;
            return;
        }
    }
}
