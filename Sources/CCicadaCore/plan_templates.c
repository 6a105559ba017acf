/* Compiling a request's templates into pieces: the literal text goes into the plan's arena (adjacent
 * literals merged into one piece), each slot becomes a piece naming what fills it. The rules for what
 * a request may hold are request_rules.c's: a literal is checked here, a slot's value when it is
 * rendered (template.c). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A text piece at least this large, in a body, is written from the arena instead of being copied into
 * the lane's buffer: an uploaded file of 256 KiB costs each user nothing. */
#define CC__BY_REFERENCE_MIN 4096u

static int cc__grow(void **items, uint32_t *capacity, uint32_t count, size_t size) {
    if (count < *capacity) return 0;
    uint32_t grown = *capacity ? *capacity * 2 : 64;
    void *p = realloc(*items, (size_t)grown * size);
    if (p == NULL) return CC_ENOMEM;
    *items = p;
    *capacity = grown;
    return 0;
}

/* Appends a text piece, merged into the previous one when that is text of the same part that directly
 * precedes it in the arena. */
static int cc__add_text(cc__plan_builder_t *b, const void *text, size_t length, uint8_t part, uint32_t first_piece) {
    if (length == 0) return 0;
    uint32_t offset = cc__builder_add(&b->arena, text, length);
    if (b->arena.failed) return CC_ENOMEM;
    if (offset == UINT32_MAX) return CC_EINVAL;
    if (b->piece_count > first_piece) {
        cc__piece_t *last = &b->pieces[b->piece_count - 1];
        if (last->kind == CC_PIECE_TEXT && last->part == part && last->text_offset + last->text_length == offset &&
            (uint64_t)last->text_length + length <= UINT32_MAX) {
            last->text_length += (uint32_t)length;
            return 0;
        }
    }
    if (cc__grow((void **)&b->pieces, &b->piece_capacity, b->piece_count, sizeof *b->pieces) != 0) return CC_ENOMEM;
    b->pieces[b->piece_count++] = (cc__piece_t){.kind = CC_PIECE_TEXT, .part = part, .text_offset = offset,
                                                .text_length = (uint32_t)length};
    return 0;
}

static int cc__add_str(cc__plan_builder_t *b, const char *s, uint8_t part, uint32_t first_piece) {
    return cc__add_text(b, s, strlen(s), part, first_piece);
}

/* Adds a template's pieces, checking the literal ones against `part`'s rule and the slots' fields. */
static int cc__add_template(const cc_plan_spec_t *spec, const cc_template_spec_t *t, uint8_t part, uint32_t index,
                            const char *what, cc__plan_builder_t *b, uint32_t first_piece, int *has_slots,
                            char *error, size_t error_size) {
    if (t->piece_count > 0 && t->pieces == NULL)
        return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: pieces missing", index, what);
    for (uint32_t i = 0; i < t->piece_count; i++) {
        const cc_piece_spec_t *p = &t->pieces[i];
        if (p->kind == CC_PIECE_TEXT) {
            if (p->text_length > 0 && p->text == NULL)
                return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: piece %u: text missing", index, what, i);
            if (part == CC_REQUEST_HEADER_VALUE || part == CC_REQUEST_TARGET) {
                size_t at = 0;
                int rule = cc_request_check(CC_REQUEST_HEADER_VALUE, p->text, p->text_length, &at);
                if (rule == CC_RULE_OK && part == CC_REQUEST_TARGET)
                    for (at = 0; at < p->text_length; at++) {
                        unsigned char c = (unsigned char)p->text[at];
                        if (c <= 0x20 || c >= 0x7f) { rule = CC_RULE_TARGET_CHARACTER; break; }
                        if (c == '#') { rule = CC_RULE_FRAGMENT; break; }
                    }
                if (rule != CC_RULE_OK)
                    return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: text at byte %zu %s", index, what,
                                    at, cc_request_rule_text(rule));
            }
            int rc = cc__add_text(b, p->text, p->text_length, part, first_piece);
            if (rc != 0) return rc == CC_EINVAL ? cc__fail(rc, error, error_size, "the plan's text passes 4 GiB") : rc;
            continue;
        }
        if (p->kind > CC_PIECE_DATA)
            return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: piece %u has unknown kind %u", index, what,
                            i, p->kind);
        if (p->encoding > CC_ENCODE_JSON_VALUE)
            return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: piece %u has unknown encoding %u", index,
                            what, i, p->encoding);
        if ((p->kind == CC_PIECE_VARIABLE || p->kind == CC_PIECE_LIST_RANDOM) && p->variable >= spec->variable_count)
            return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: piece %u names variable %u of %u", index,
                            what, i, p->variable, spec->variable_count);
        if (p->kind == CC_PIECE_RANDOM_INT && p->max < p->min)
            return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: random.int needs min <= max", index, what);
        if (p->kind == CC_PIECE_RANDOM_CHOICE && (p->choice_count == 0 || p->choices == NULL))
            return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: random.choice needs a choice", index, what);
        cc__piece_t piece = {.kind = p->kind, .encoding = p->encoding, .part = part, .variable = p->variable,
                             .min = p->min, .max = p->max};
        if (p->kind == CC_PIECE_RANDOM_CHOICE) {
            piece.text_offset = b->choice_count;
            piece.text_length = p->choice_count;
            for (uint32_t k = 0; k < p->choice_count; k++) {
                if (p->choices[k] == NULL)
                    return cc__fail(CC_EINVAL, error, error_size, "request %u: %s: choice %u missing", index, what, k);
                if (cc__grow((void **)&b->choices, &b->choice_capacity, b->choice_count, sizeof *b->choices) != 0)
                    return CC_ENOMEM;
                size_t length = strlen(p->choices[k]);
                uint32_t offset = cc__builder_add(&b->arena, p->choices[k], length);
                if (b->arena.failed) return CC_ENOMEM;
                b->choices[b->choice_count++] = (cc__span_t){offset, (uint32_t)length};
            }
        }
        if (cc__grow((void **)&b->pieces, &b->piece_capacity, b->piece_count, sizeof *b->pieces) != 0) return CC_ENOMEM;
        b->pieces[b->piece_count++] = piece;
        *has_slots = 1;
    }
    return 0;
}

static int cc__has_header(const cc_request_spec_t *r, const char *name) {
    for (uint32_t h = 0; h < r->header_count; h++)
        if (strcasecmp(r->headers[h].name, name) == 0) return 1;
    return 0;
}

int cc__compile_pieces(const cc_plan_spec_t *spec, uint32_t index, cc__plan_builder_t *b, cc__request_t *out,
                       char *error, size_t error_size) {
    const cc_request_spec_t *r = &spec->requests[index];
    uint32_t first = b->piece_count;
    int slots = 0, rc;
    const uint8_t line = CC_REQUEST_HEADER_VALUE; /* literal head text: already checked by the caller */
    out->first_piece = first;
    if ((rc = cc__add_str(b, r->method, line, first)) != 0 || (rc = cc__add_str(b, " ", line, first)) != 0) return rc;
    if (r->target_template != NULL) {
        rc = cc__add_template(spec, r->target_template, CC_REQUEST_TARGET, index, "target", b, first, &slots, error,
                              error_size);
    } else {
        rc = cc__add_str(b, r->target, CC_REQUEST_TARGET, first);
    }
    if (rc != 0) return rc;
    if ((rc = cc__add_str(b, " HTTP/1.1\r\n", line, first)) != 0) return rc;
    if (!cc__has_header(r, "Host")) {
        if ((rc = cc__add_str(b, "Host: ", line, first)) != 0 || (rc = cc__add_str(b, spec->host_header, line, first)) != 0 ||
            (rc = cc__add_str(b, "\r\n", line, first)) != 0)
            return rc;
    }
    if (!cc__has_header(r, "User-Agent") && (rc = cc__add_str(b, "User-Agent: cicada/" CC_VERSION "\r\n", line, first)) != 0)
        return rc;
    for (uint32_t h = 0; h < r->header_count; h++) {
        const cc_header_spec_t *header = &r->headers[h];
        if ((rc = cc__add_str(b, header->name, line, first)) != 0 || (rc = cc__add_str(b, ": ", line, first)) != 0) return rc;
        if (header->value_template != NULL) {
            char what[96];
            snprintf(what, sizeof what, "header '%.64s'", header->name);
            rc = cc__add_template(spec, header->value_template, CC_REQUEST_HEADER_VALUE, index, what, b, first, &slots,
                                  error, error_size);
        } else {
            rc = cc__add_str(b, header->value, CC_REQUEST_HEADER_VALUE, first);
        }
        if (rc != 0 || (rc = cc__add_str(b, "\r\n", line, first)) != 0) return rc;
    }
    out->head_piece_count = b->piece_count - first;
    uint32_t body_first = b->piece_count;
    if (r->body_template != NULL) {
        rc = cc__add_template(spec, r->body_template, CC__PART_BODY, index, "body", b, body_first, &slots, error,
                              error_size);
    } else if (r->body_length > 0) {
        rc = cc__add_text(b, r->body, r->body_length, CC__PART_BODY, body_first);
    }
    if (rc != 0) return rc;
    out->body_piece_count = b->piece_count - body_first;
    out->wants_length = out->body_piece_count > 0 || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
                        strcmp(r->method, "PATCH") == 0;
    /* The largest body text goes by reference when it is large. */
    cc__piece_t *largest = NULL;
    for (uint32_t i = body_first; i < b->piece_count; i++) {
        cc__piece_t *piece = &b->pieces[i];
        if (piece->kind == CC_PIECE_TEXT && piece->text_length >= CC__BY_REFERENCE_MIN &&
            (largest == NULL || piece->text_length > largest->text_length))
            largest = piece;
    }
    if (largest != NULL) largest->by_reference = 1;
    uint64_t copied = 0;
    for (uint32_t i = first; i < b->piece_count; i++)
        if (b->pieces[i].kind == CC_PIECE_TEXT && !b->pieces[i].by_reference) copied += b->pieces[i].text_length;
    out->static_bytes = copied > UINT32_MAX ? UINT32_MAX : (uint32_t)copied;
    out->has_slots = (uint8_t)slots;
    return 0;
}

/* How much a slot's value can grow when encoded. */
static uint64_t cc__expansion(uint8_t encoding) {
    return encoding == CC_ENCODE_URL ? 3 : encoding >= CC_ENCODE_JSON ? 6 : 1;
}

uint64_t cc__render_bound(const cc_plan_t *plan, const cc__request_t *r) {
    uint64_t bound = r->static_bytes + 64; /* the framing's gap (template.c) */
    uint64_t variables = 0;
    for (uint32_t i = 0; i < r->head_piece_count + r->body_piece_count; i++) {
        const cc__piece_t *p = &plan->pieces[r->first_piece + i];
        uint64_t x = cc__expansion(p->encoding);
        if (p->encoding == CC_ENCODE_JSON_VALUE) bound += 2; /* its quotes */
        switch ((cc_piece_kind_t)p->kind) {
        case CC_PIECE_TEXT: break;
        case CC_PIECE_VARIABLE:
        case CC_PIECE_LIST_RANDOM: variables += plan->variable_bytes * x; break;
        case CC_PIECE_DATA: {
            uint32_t longest = 0;
            for (uint32_t c = 0; c < plan->data_table_count; c++) {
                const cc__data_table_t *t = &plan->data_tables[c];
                for (uint32_t k = 0; k < t->row_count * t->column_count; k++)
                    if (plan->cells[t->first_cell + k].length > longest) longest = plan->cells[t->first_cell + k].length;
            }
            bound += longest * x;
            break;
        }
        case CC_PIECE_RANDOM_CHOICE: {
            uint32_t longest = 0;
            for (uint32_t k = 0; k < p->text_length; k++)
                if (plan->choices[p->text_offset + k].length > longest) longest = plan->choices[p->text_offset + k].length;
            bound += longest * x;
            break;
        }
        default: bound += 40 * x; break; /* numbers, UUIDs, times */
        }
    }
    /* Every value together lives in the variable arena: no request renders more of them than that,
     * encoded, unless it names one variable many times; such a request may fail as too large. */
    uint64_t cap = (uint64_t)plan->variable_bytes * 6;
    bound += variables < cap ? variables : cap;
    if (plan->cookies) bound += plan->cookie_bytes + 10;
    return bound;
}
