/* Rendering a templated request into a lane's buffer: literal pieces and slots (variables, built-ins,
 * data columns), encoded as the template asks, then the framing that depends on what was rendered
 * (Content-Length, RFC 9112 6.2). No allocation: the buffer is the lane's, sized by the plan.
 *
 * A value put into the target or a header value without an encoding must obey that place's rule
 * (request_rules.c): a captured value with a CR or LF in it must never split a header (request
 * smuggling), so such a request fails as CC_FAIL_TEMPLATE instead. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *cc__render_problem_text(int problem) {
    switch (problem) {
    case CC__RENDER_UNSET: return "unset variable";
    case CC__RENDER_TOO_LARGE: return "request too large to render";
    case CC__RENDER_BAD_CHARACTER: return "value has a character its place cannot hold";
    case CC__RENDER_NO_DATA: return "no data row";
    case CC__RENDER_HOOK: return "the request hook failed";
    default: return "cannot render";
    }
}

typedef struct cc__writer_s {
    uint8_t *buffer;
    size_t capacity;
    size_t length;
    int overflow;
} cc__writer_t;

static void cc__put(cc__writer_t *w, const void *data, size_t n) {
    if (w->overflow || n > w->capacity - w->length) {
        w->overflow = 1;
        return;
    }
    memcpy(w->buffer + w->length, data, n);
    w->length += n;
}

static void cc__put_byte(cc__writer_t *w, uint8_t c) {
    if (w->overflow || w->length == w->capacity) {
        w->overflow = 1;
        return;
    }
    w->buffer[w->length++] = c;
}

static const char cc__hex[] = "0123456789ABCDEF";

/* Whether `c` may stand as it is in `part`: the target takes visible ASCII but '#' (RFC 9112 3.2,
 * RFC 3986 2), a header value anything but controls other than tab (RFC 9110 5.5). */
static int cc__fits(uint8_t part, uint8_t c) {
    switch (part) {
    case CC_REQUEST_TARGET: return c > 0x20 && c < 0x7f && c != '#';
    case CC_REQUEST_HEADER_VALUE: return (c >= 0x20 && c != 0x7f) || c == '\t';
    default: return 1;
    }
}

/* Writes `value` encoded; returns 0 or CC__RENDER_BAD_CHARACTER. */
static int cc__put_value(cc__writer_t *w, const cc__piece_t *piece, const uint8_t *value, size_t n) {
    switch (piece->encoding) {
    case CC_ENCODE_URL:
        for (size_t i = 0; i < n; i++) {
            uint8_t c = value[i];
            int unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                             c == '-' || c == '.' || c == '_' || c == '~';
            if (unreserved) {
                cc__put_byte(w, c);
            } else {
                uint8_t escaped[3] = {'%', (uint8_t)cc__hex[c >> 4], (uint8_t)cc__hex[c & 15]};
                cc__put(w, escaped, 3);
            }
        }
        return 0;
    case CC_ENCODE_JSON:
    case CC_ENCODE_JSON_VALUE:
        if (piece->encoding == CC_ENCODE_JSON_VALUE) cc__put_byte(w, '"');
        for (size_t i = 0; i < n; i++) {
            uint8_t c = value[i];
            if (c == '"' || c == '\\') {
                uint8_t escaped[2] = {'\\', c};
                cc__put(w, escaped, 2);
            } else if (c < 0x20) {
                const char *short_form = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
                if (short_form != NULL) {
                    cc__put(w, short_form, 2);
                } else {
                    uint8_t escaped[6] = {'\\', 'u', '0', '0', (uint8_t)cc__hex[c >> 4], (uint8_t)cc__hex[c & 15]};
                    cc__put(w, escaped, 6);
                }
            } else {
                cc__put_byte(w, c);
            }
        }
        if (piece->encoding == CC_ENCODE_JSON_VALUE) cc__put_byte(w, '"');
        /* A JSON-escaped value is still bound by its place's rule (a header cannot hold a raw byte
         * 0x7f); only a body takes anything. */
        if (piece->part == CC__PART_BODY) return 0;
        for (size_t i = 0; i < n; i++)
            if (!cc__fits(piece->part, value[i]) && value[i] >= 0x20) return CC__RENDER_BAD_CHARACTER;
        return 0;
    default:
        if (piece->part != CC__PART_BODY)
            for (size_t i = 0; i < n; i++)
                if (!cc__fits(piece->part, value[i])) return CC__RENDER_BAD_CHARACTER;
        cc__put(w, value, n);
        return 0;
    }
}

static size_t cc__format_int(int64_t value, char *out) {
    char digits[24];
    size_t n = 0;
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    size_t length = 0;
    if (value < 0) out[length++] = '-';
    while (n > 0) out[length++] = digits[--n];
    return length;
}

static size_t cc__format_uuid(uint64_t *random, char *out) {
    uint8_t bytes[16];
    uint64_t a = cc__random_next(random), b = cc__random_next(random);
    memcpy(bytes, &a, 8);
    memcpy(bytes + 8, &b, 8);
    bytes[6] = (uint8_t)((bytes[6] & 0x0f) | 0x40); /* version 4 */
    bytes[8] = (uint8_t)((bytes[8] & 0x3f) | 0x80); /* the RFC 9562 variant */
    static const char lower[] = "0123456789abcdef";
    size_t n = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[n++] = '-';
        out[n++] = lower[bytes[i] >> 4];
        out[n++] = lower[bytes[i] & 15];
    }
    return n;
}

static int64_t cc__wall_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Writes one piece; returns 0 or a cc__render_problem_t. */
static int cc__put_piece(cc__writer_t *w, const cc__render_context_t *c, const cc__piece_t *piece,
                         uint32_t *variable) {
    const cc_plan_t *plan = c->plan;
    char scratch[48];
    size_t n;
    switch ((cc_piece_kind_t)piece->kind) {
    case CC_PIECE_TEXT:
        cc__put(w, plan->arena + piece->text_offset, piece->text_length);
        return 0;
    case CC_PIECE_VARIABLE:
    case CC_PIECE_LIST_RANDOM: {
        const uint8_t *value;
        size_t length;
        uint32_t back = 0;
        if (c->store != NULL && piece->kind == CC_PIECE_LIST_RANDOM) {
            uint32_t count = cc__store_count(c->store, plan, piece->variable);
            if (count > 1) back = (uint32_t)cc__random_below(c->random, count);
        }
        int literal = 0;
        if (c->store == NULL || cc__store_get(c->store, plan, piece->variable, back, &value, &length, &literal) != 0) {
            *variable = piece->variable;
            return CC__RENDER_UNSET;
        }
        if (piece->encoding == CC_ENCODE_JSON_VALUE && literal) {
            cc__put(w, value, length); /* a number, literal, object or array, as the server sent it */
            return 0;
        }
        int rc = cc__put_value(w, piece, value, length);
        if (rc != 0) *variable = piece->variable;
        return rc;
    }
    case CC_PIECE_DATA: {
        if (c->table == NULL) return CC__RENDER_NO_DATA;
        const cc__span_t *cell = &plan->cells[c->table->first_cell + (size_t)c->row * c->table->column_count +
                                              piece->variable];
        return cc__put_value(w, piece, plan->arena + cell->offset, cell->length);
    }
    case CC_PIECE_USER_ID: n = cc__format_int((int64_t)c->user_id, scratch); break;
    case CC_PIECE_USER_INDEX: n = cc__format_int((int64_t)c->user_index, scratch); break;
    case CC_PIECE_ITERATION: n = cc__format_int((int64_t)c->iteration, scratch); break;
    case CC_PIECE_RANDOM_INT: {
        uint64_t span = (uint64_t)piece->max - (uint64_t)piece->min;
        uint64_t draw = span == UINT64_MAX ? cc__random_next(c->random) : cc__random_below(c->random, span + 1);
        n = cc__format_int((int64_t)((uint64_t)piece->min + draw), scratch);
        break;
    }
    case CC_PIECE_RANDOM_CHOICE: {
        const cc__span_t *choice = &plan->choices[piece->text_offset + cc__random_below(c->random, piece->text_length)];
        return cc__put_value(w, piece, plan->arena + choice->offset, choice->length);
    }
    case CC_PIECE_UUID: n = cc__format_uuid(c->random, scratch); break;
    case CC_PIECE_TIME_UNIX: n = cc__format_int(cc__wall_ms() / 1000, scratch); break;
    case CC_PIECE_TIME_UNIX_MS: n = cc__format_int(cc__wall_ms(), scratch); break;
    default: return CC__RENDER_UNSET;
    }
    return cc__put_value(w, piece, (const uint8_t *)scratch, n);
}

int cc__render_request(const cc__render_context_t *c, uint32_t index, uint8_t *buffer, size_t capacity,
                       cc__rendered_t *out, uint32_t *variable) {
    const cc_plan_t *plan = c->plan;
    const cc__request_t *r = &plan->requests[index];
    *variable = CC__UNSET;
    /* The head goes first; the body is rendered after a gap that the framing lines then fill, with
     * the head moved up against them (a few hundred bytes at most), so that Content-Length is that of
     * the body really rendered. */
    enum { GAP = 64 }; /* "Content-Length: 18446744073709551615\r\nConnection: close\r\n\r\n" */
    cc__writer_t w = {.buffer = buffer, .capacity = capacity};
    const cc__piece_t *pieces = plan->pieces + r->first_piece;
    for (uint32_t i = 0; i < r->head_piece_count; i++) {
        int rc = cc__put_piece(&w, c, &pieces[i], variable);
        if (rc != 0) return rc;
    }
    if (c->jar != NULL && !w.overflow) {
        /* The cookies for this request's path: the target is between the method and " HTTP/1.1". */
        const uint8_t *space = memchr(buffer, ' ', w.length);
        const uint8_t *path = space != NULL ? space + 1 : buffer;
        const uint8_t *path_end = memchr(path, ' ', w.length - (size_t)(path - buffer));
        size_t path_length = path_end != NULL ? (size_t)(path_end - path) : 0;
        size_t room = capacity - w.length;
        if (room > 8 + 2 + 64) {
            size_t n = cc_cookie_jar_header(c->jar, path, path_length, c->now_s, c->secure, buffer + w.length + 8,
                                            room - 8 - 2 - 64);
            if (n > room - 8 - 2 - 64) return CC__RENDER_TOO_LARGE;
            if (n > 0) {
                memcpy(buffer + w.length, "Cookie: ", 8);
                w.length += 8 + n;
                cc__put(&w, "\r\n", 2);
            }
        }
    }
    const size_t head_end = w.length;
    if (w.overflow || capacity - w.length < GAP) return CC__RENDER_TOO_LARGE;
    w.length += GAP;
    const size_t body_start = w.length;
    /* The body: pieces into the buffer, except one large text piece written from the arena. */
    const cc__piece_t *reference = NULL;
    size_t before_reference = 0;
    for (uint32_t i = 0; i < r->body_piece_count; i++) {
        const cc__piece_t *piece = &pieces[r->head_piece_count + i];
        if (piece->by_reference && reference == NULL) {
            reference = piece;
            before_reference = w.length;
            continue;
        }
        int rc = cc__put_piece(&w, c, piece, variable);
        if (rc != 0) return rc;
    }
    if (w.overflow) return CC__RENDER_TOO_LARGE;
    const uint64_t body_length = (w.length - body_start) + (reference != NULL ? reference->text_length : 0);

    /* The framing, right-aligned in the gap, and the head moved up to meet it. */
    char framing[GAP];
    size_t f = 0;
    if (r->wants_length) {
        memcpy(framing + f, "Content-Length: ", 16);
        f += 16;
        f += cc__format_int((int64_t)body_length, framing + f);
        memcpy(framing + f, "\r\n", 2);
        f += 2;
    }
    if (r->close_connection) {
        memcpy(framing + f, "Connection: close\r\n", 19);
        f += 19;
    }
    memcpy(framing + f, "\r\n", 2);
    f += 2;
    size_t head_start = body_start - f - head_end;
    memcpy(buffer + body_start - f, framing, f);
    memmove(buffer + head_start, buffer, head_end);

    out->count = 0;
    if (reference == NULL) {
        out->base[0] = buffer + head_start;
        out->length[0] = (uint32_t)(w.length - head_start);
        out->count = 1;
    } else {
        out->base[0] = buffer + head_start;
        out->length[0] = (uint32_t)(before_reference - head_start);
        out->base[1] = plan->arena + reference->text_offset;
        out->length[1] = reference->text_length;
        out->count = 2;
        if (w.length > before_reference) {
            out->base[2] = buffer + before_reference;
            out->length[2] = (uint32_t)(w.length - before_reference);
            out->count = 3;
        }
    }
    out->total = 0;
    for (uint32_t i = 0; i < out->count; i++) out->total += out->length[i];
    return 0;
}

long cc_plan_render(const cc_plan_t *plan, uint32_t index, const cc_render_input_t *input, uint8_t *buffer,
                    size_t capacity, uint32_t *variable, char *reason, size_t reason_size) {
    uint32_t unused = CC__UNSET;
    if (variable == NULL) variable = &unused;
    *variable = CC__UNSET;
    if (reason != NULL && reason_size > 0) reason[0] = '\0';
    if (plan == NULL || input == NULL || index >= plan->request_count || buffer == NULL) return -2;
    const cc__request_t *r = &plan->requests[index];
    if (!r->dynamic) {
        if (r->length > capacity) return -1;
        memcpy(buffer, plan->arena + r->offset, r->length);
        return (long)r->length;
    }
    /* A store with the given values, and a render buffer of the plan's size, as a lane would have. */
    size_t store_size = cc__store_size(plan);
    uint8_t *memory = malloc(store_size + plan->render_bytes + 1);
    if (memory == NULL) return -2;
    cc__store_t store;
    if (plan->variable_count > 0) {
        cc__store_init(&store, plan, memory);
        for (uint32_t v = 0; input->values != NULL && v < plan->variable_count; v++) {
            if (input->values[v] == NULL) continue;
            int literal = input->literals != NULL && input->literals[v];
            if (cc__store_set(&store, plan, v, (const uint8_t *)input->values[v], input->value_lengths[v], literal) != 0) {
                free(memory);
                *variable = v;
                if (reason != NULL) snprintf(reason, reason_size, "value does not fit the variables");
                return -2;
            }
        }
    }
    uint64_t random = input->seed ? input->seed : 1;
    cc__render_context_t context = {
        .plan = plan,
        .store = plan->variable_count > 0 ? &store : NULL,
        .user_id = input->user_id,
        .user_index = input->user_index,
        .iteration = input->iteration,
        .random = &random,
        .table = input->data_table >= 0 && (uint32_t)input->data_table < plan->data_table_count
                     ? &plan->data_tables[input->data_table] : NULL,
        .row = input->data_row,
    };
    if (context.table != NULL && context.row >= context.table->row_count) context.table = NULL;
    cc__rendered_t rendered;
    int problem = cc__render_request(&context, index, memory + store_size, plan->render_bytes, &rendered, variable);
    long result;
    if (problem != 0) {
        if (reason != NULL) snprintf(reason, reason_size, "%s", cc__render_problem_text(problem));
        result = -2;
    } else if (rendered.total > capacity) {
        result = -1;
    } else {
        size_t at = 0;
        for (uint32_t i = 0; i < rendered.count; i++) {
            memcpy(buffer + at, rendered.base[i], rendered.length[i]);
            at += rendered.length[i];
        }
        result = (long)at;
    }
    free(memory);
    return result;
}
