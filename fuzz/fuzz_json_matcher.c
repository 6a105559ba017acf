/*
 * libFuzzer entry point for the JSON path compiler and the streaming JSON matcher
 * (Sources/CCicadaCore/json_path.c, json_matcher.c).
 *
 * Input layout: byte 0 chooses the mode, cut points may follow, the rest is the document.
 *   bits 0-3   the path, from cc__fuzz_paths; 15 takes it from the input instead: the bytes up to the
 *              first '\n' (at most 64) are a path's text, compiled, printed and compiled again (the
 *              printed text must give the same path), and the rest is the document
 *   bits 4-5   the value buffer's capacity: 256, 0, 3 or 17 bytes
 *   bits 6-7   how the document is cut for the second pass: 0 byte by byte, 1-3 that many cut points,
 *              each taken from the next two bytes (little-endian, modulo the length)
 *
 * The document is matched three ways: fed whole, fed in the cut pieces (each copied into an allocation
 * of exactly its size, so that AddressSanitizer catches a read past a piece), and by a recursive-descent
 * reference below that reads the whole document at once. All three must agree on the result, the
 * value, its kind, truncation, and the error code and offset; every call must keep the contract in
 * cicada_core.h. Any disagreement aborts, which libFuzzer records as a crash.
 */
#include "cicada_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CC__FUZZ_CHECK(condition)                                                              \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            fprintf(stderr, "fuzz_json_matcher: %s:%d: %s\n", __FILE__, __LINE__, #condition); \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static const char *const cc__fuzz_paths[15] = {
    "",    "a",         "a.b",        "[0]",         "[1]",        "[*]",          "items[*].id", "data.items[1].name",
    "[\"odd.key\"]", "[*][*]", "a[*].b[0]", "$[2].a", "\xC3\xA9", "x.y.z", "[0][0][0][0]",
};

static const uint32_t cc__fuzz_capacities[4] = {256, 0, 3, 17};

/* ---- the outcome both sides report ---- */

typedef struct cc__fuzz_outcome_s {
    int result; /* 1 found, 0 not found, -1 malformed */
    int error;
    uint64_t error_offset;
    int kind;
    int truncated;
    size_t length;
    uint8_t value[256];
} cc__fuzz_outcome_t;

static void cc__fuzz_compare(const cc__fuzz_outcome_t *a, const cc__fuzz_outcome_t *b) {
    CC__FUZZ_CHECK(a->result == b->result);
    CC__FUZZ_CHECK(a->error == b->error);
    CC__FUZZ_CHECK(a->result != -1 || a->error_offset == b->error_offset);
    CC__FUZZ_CHECK(a->kind == b->kind);
    if (a->result == 1) {
        CC__FUZZ_CHECK(a->truncated == b->truncated);
        CC__FUZZ_CHECK(a->length == b->length);
        CC__FUZZ_CHECK(memcmp(a->value, b->value, a->length) == 0);
    }
}

/* ---- the matcher under test ---- */

static void cc__fuzz_match(const cc_json_path_t *path, uint32_t capacity, const uint8_t *doc, size_t size,
                           const size_t *cuts, size_t cut_count, cc__fuzz_outcome_t *out) {
    uint8_t value[256 + 8];
    memset(value, 0xA5, sizeof value);
    cc_json_matcher_t m;
    cc_json_matcher_reset(&m, path, capacity ? value : NULL, capacity);
    int last = 0;
    size_t start = 0;
    for (size_t i = 0; i <= cut_count; i++) {
        const size_t stop = i < cut_count ? cuts[i] : size;
        if (stop < start) {
            continue;
        }
        const size_t length = stop - start;
        uint8_t *piece = malloc(length ? length : 1);
        CC__FUZZ_CHECK(piece != NULL);
        memcpy(piece, doc + start, length);
        const int r = cc_json_matcher_feed(&m, piece, length);
        free(piece);
        CC__FUZZ_CHECK(r == -1 || r == 0 || r == 1);
        CC__FUZZ_CHECK(last == 0 || r == last); /* 1 and -1 are final */
        last = r;
        start = stop;
    }
    const int finished = cc_json_matcher_finish(&m);
    CC__FUZZ_CHECK(last == 0 || finished == last);
    CC__FUZZ_CHECK(cc_json_matcher_finish(&m) == finished);
    CC__FUZZ_CHECK(cc_json_matcher_feed(&m, (const uint8_t *)"x", 1) == finished);
    for (size_t i = capacity; i < sizeof value; i++) {
        CC__FUZZ_CHECK(value[i] == 0xA5); /* nothing past the capacity */
    }
    CC__FUZZ_CHECK(m.value_length <= capacity);
    CC__FUZZ_CHECK(m.error < CC_JSON__ERROR_COUNT);
    CC__FUZZ_CHECK((finished == -1) == (m.error != CC_JSON_OK));
    CC__FUZZ_CHECK((finished == 1) == (m.found == 1));
    CC__FUZZ_CHECK(finished != -1 || m.error_offset <= size);
    CC__FUZZ_CHECK(m.kind <= CC_JSON_KIND_ARRAY);
    CC__FUZZ_CHECK(finished != 1 || m.kind != CC_JSON_KIND_NONE);

    memset(out, 0, sizeof *out);
    out->result = finished;
    out->error = m.error;
    out->error_offset = m.error_offset;
    out->kind = m.kind;
    out->truncated = m.truncated;
    out->length = m.value_length;
    memcpy(out->value, value, m.value_length);
}

/* ---- the reference: recursive descent over the whole document ---- */

typedef struct cc__ref_s {
    const uint8_t *s;
    size_t n;
    size_t i;
    const cc_json_path_t *path;
    uint32_t capacity;
    int depth;
    int stop;  /* found or failed: unwind */
    cc__fuzz_outcome_t *out;
    uint8_t *key; /* the decoded key being read, when compared */
    size_t key_length;
    size_t key_capacity;
    int collect; /* 1: decoded string bytes go to the value; 2: to key */
    size_t full_length; /* the value's whole length */
} cc__ref_t;

static void cc__ref_fail(cc__ref_t *r, int error, size_t offset) {
    r->out->result = -1;
    r->out->error = error;
    r->out->error_offset = offset;
    r->stop = 1;
}

static void cc__ref_truncated(cc__ref_t *r) {
    cc__ref_fail(r, CC_JSON_TRUNCATED, r->n);
}

static void cc__ref_keep(cc__ref_t *r, const uint8_t *bytes, size_t length) {
    for (size_t k = 0; k < length; k++) {
        if (r->full_length < r->capacity) {
            r->out->value[r->full_length] = bytes[k];
        }
        r->full_length++;
    }
}

static void cc__ref_emit(cc__ref_t *r, uint8_t b) {
    if (r->collect == 1) {
        cc__ref_keep(r, &b, 1);
    } else if (r->collect == 2) {
        if (r->key_length == r->key_capacity) {
            r->key_capacity = r->key_capacity ? 2 * r->key_capacity : 64;
            r->key = realloc(r->key, r->key_capacity);
            CC__FUZZ_CHECK(r->key != NULL);
        }
        r->key[r->key_length++] = b;
    }
}

static void cc__ref_code_point(cc__ref_t *r, uint32_t cp) {
    if (cp < 0x80) {
        cc__ref_emit(r, (uint8_t)cp);
    } else if (cp < 0x800) {
        cc__ref_emit(r, (uint8_t)(0xC0 | cp >> 6));
        cc__ref_emit(r, (uint8_t)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        cc__ref_emit(r, (uint8_t)(0xE0 | cp >> 12));
        cc__ref_emit(r, (uint8_t)(0x80 | (cp >> 6 & 0x3F)));
        cc__ref_emit(r, (uint8_t)(0x80 | (cp & 0x3F)));
    } else {
        cc__ref_emit(r, (uint8_t)(0xF0 | cp >> 18));
        cc__ref_emit(r, (uint8_t)(0x80 | (cp >> 12 & 0x3F)));
        cc__ref_emit(r, (uint8_t)(0x80 | (cp >> 6 & 0x3F)));
        cc__ref_emit(r, (uint8_t)(0x80 | (cp & 0x3F)));
    }
}

static int cc__ref_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void cc__ref_ws(cc__ref_t *r) {
    while (r->i < r->n && cc__ref_space(r->s[r->i])) {
        r->i++;
    }
}

static int cc__ref_hex(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* r->i is at the opening quote; on success it is past the closing one. */
static void cc__ref_string(cc__ref_t *r) {
    uint32_t pending = 0; /* a high surrogate */
    r->i++;
    for (;;) {
        if (r->i >= r->n) {
            cc__ref_truncated(r);
            return;
        }
        const uint8_t c = r->s[r->i];
        if (c == '"') {
            if (pending) cc__ref_code_point(r, 0xFFFD);
            r->i++;
            return;
        }
        if (c == '\\') {
            r->i++;
            if (r->i >= r->n) {
                cc__ref_truncated(r);
                return;
            }
            const uint8_t e = r->s[r->i];
            if (e == 'u') {
                uint32_t unit = 0;
                for (int k = 0; k < 4; k++) {
                    r->i++;
                    if (r->i >= r->n) {
                        cc__ref_truncated(r);
                        return;
                    }
                    const int h = cc__ref_hex(r->s[r->i]);
                    if (h < 0) {
                        cc__ref_fail(r, CC_JSON_BAD_UNICODE_ESCAPE, r->i);
                        return;
                    }
                    unit = unit << 4 | (uint32_t)h;
                }
                r->i++;
                if (pending && unit >= 0xDC00 && unit <= 0xDFFF) {
                    cc__ref_code_point(r, 0x10000 + ((pending - 0xD800) << 10) + (unit - 0xDC00));
                    pending = 0;
                    continue;
                }
                if (pending) cc__ref_code_point(r, 0xFFFD);
                pending = 0;
                if (unit >= 0xD800 && unit <= 0xDBFF) {
                    pending = unit;
                } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                    cc__ref_code_point(r, 0xFFFD);
                } else {
                    cc__ref_code_point(r, unit);
                }
                continue;
            }
            const char *from = "\"\\/bfnrt";
            const char *to = "\"\\/\b\f\n\r\t";
            const char *at = e ? strchr(from, e) : NULL;
            if (at == NULL) {
                cc__ref_fail(r, CC_JSON_BAD_ESCAPE, r->i);
                return;
            }
            if (pending) cc__ref_code_point(r, 0xFFFD);
            pending = 0;
            cc__ref_emit(r, (uint8_t)to[at - from]);
            r->i++;
            continue;
        }
        if (c < 0x20) {
            cc__ref_fail(r, CC_JSON_CONTROL_CHARACTER, r->i);
            return;
        }
        int need;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            need = 0;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            cc__ref_fail(r, CC_JSON_BAD_UTF8, r->i);
            return;
        }
        if (pending) cc__ref_code_point(r, 0xFFFD);
        pending = 0;
        cc__ref_emit(r, c);
        r->i++;
        for (int k = 0; k < need; k++) {
            if (r->i >= r->n) {
                cc__ref_truncated(r);
                return;
            }
            const uint8_t b = r->s[r->i];
            if (b < lo || b > hi) {
                cc__ref_fail(r, CC_JSON_BAD_UTF8, r->i);
                return;
            }
            cc__ref_emit(r, b);
            lo = 0x80;
            hi = 0xBF;
            r->i++;
        }
    }
}

enum { CC__CTX_TOP, CC__CTX_ARRAY, CC__CTX_OBJECT };

static void cc__ref_found(cc__ref_t *r) {
    r->out->result = 1;
    r->out->truncated = r->full_length > r->capacity;
    r->out->length = r->full_length < r->capacity ? r->full_length : r->capacity;
    r->stop = 1;
}

static int cc__ref_digit(cc__ref_t *r) {
    return r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9';
}

/* A number, RFC 8259 6. Returns 1 when it ended where it may; reports errors itself. */
static int cc__ref_number(cc__ref_t *r) {
    if (r->s[r->i] == '-') {
        r->i++;
        if (r->i >= r->n) return 0; /* the caller decides: truncated */
        if (!cc__ref_digit(r)) {
            cc__ref_fail(r, CC_JSON_BAD_NUMBER, r->i);
            return -1;
        }
    }
    if (r->s[r->i] == '0') {
        r->i++;
    } else {
        while (cc__ref_digit(r)) r->i++;
    }
    if (r->i < r->n && r->s[r->i] == '.') {
        r->i++;
        if (r->i >= r->n) return 0;
        if (!cc__ref_digit(r)) {
            cc__ref_fail(r, CC_JSON_BAD_NUMBER, r->i);
            return -1;
        }
        while (cc__ref_digit(r)) r->i++;
    }
    if (r->i < r->n && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
        r->i++;
        if (r->i < r->n && (r->s[r->i] == '+' || r->s[r->i] == '-')) r->i++;
        if (r->i >= r->n) return 0;
        if (!cc__ref_digit(r)) {
            cc__ref_fail(r, CC_JSON_BAD_NUMBER, r->i);
            return -1;
        }
        while (cc__ref_digit(r)) r->i++;
    }
    if (r->i < r->n) {
        const uint8_t c = r->s[r->i];
        const int glued = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '.' ||
                          c == '+' || c == '-';
        if (glued) {
            cc__ref_fail(r, CC_JSON_BAD_NUMBER, r->i);
            return -1;
        }
    }
    return 1;
}

static int cc__ref_key_matches(const cc__ref_t *r, const cc_json_step_t *step) {
    /* An empty key ("") leaves r->key NULL, which memcmp may not be given even for no bytes. */
    return r->key_length == step->key_length &&
           (r->key_length == 0 || memcmp(r->key, r->path->keys + step->key_offset, r->key_length) == 0);
}

/* A value at position length d; `on_path` when its position matches the path's first d steps. */
static void cc__ref_value(cc__ref_t *r, int on_path, unsigned d, int context) {
    const unsigned steps = r->path->step_count;
    const int wanted = on_path && d == steps;
    if (r->i >= r->n) {
        cc__ref_truncated(r);
        return;
    }
    const size_t start = r->i;
    const uint8_t c = r->s[r->i];
    if (c == '{' || c == '[') {
        const int array = c == '[';
        if (r->depth == (int)CC_JSON_MAX_DEPTH) {
            cc__ref_fail(r, CC_JSON_TOO_DEEP, r->i);
            return;
        }
        if (wanted) r->out->kind = array ? CC_JSON_KIND_ARRAY : CC_JSON_KIND_OBJECT;
        const cc_json_step_t *step = on_path && d < steps ? &r->path->steps[d] : NULL;
        const int children_on_path =
            step != NULL && (array ? step->kind != CC_JSON_STEP_KEY : step->kind == CC_JSON_STEP_KEY);
        r->depth++;
        r->i++;
        cc__ref_ws(r);
        if (r->i >= r->n) {
            cc__ref_truncated(r);
            return;
        }
        if (r->s[r->i] == (array ? ']' : '}')) {
            r->i++;
        } else {
            uint32_t index = 0;
            for (;;) {
                int child = 0;
                if (array) {
                    child = children_on_path &&
                            (step->kind == CC_JSON_STEP_ANY || (step->kind == CC_JSON_STEP_INDEX && step->index == index));
                } else {
                    if (r->i >= r->n) {
                        cc__ref_truncated(r);
                        return;
                    }
                    if (r->s[r->i] != '"') {
                        cc__ref_fail(r, CC_JSON_EXPECTED_KEY, r->i);
                        return;
                    }
                    const int saved = r->collect;
                    r->collect = children_on_path ? 2 : 0;
                    r->key_length = 0;
                    cc__ref_string(r);
                    r->collect = saved;
                    if (r->stop) return;
                    child = children_on_path && cc__ref_key_matches(r, step);
                    cc__ref_ws(r);
                    if (r->i >= r->n) {
                        cc__ref_truncated(r);
                        return;
                    }
                    if (r->s[r->i] != ':') {
                        cc__ref_fail(r, CC_JSON_EXPECTED_COLON, r->i);
                        return;
                    }
                    r->i++;
                    cc__ref_ws(r);
                }
                cc__ref_value(r, child, d + 1, array ? CC__CTX_ARRAY : CC__CTX_OBJECT);
                if (r->stop) return;
                cc__ref_ws(r);
                if (r->i >= r->n) {
                    cc__ref_truncated(r);
                    return;
                }
                const uint8_t next = r->s[r->i];
                if (next == ',') {
                    r->i++;
                    cc__ref_ws(r);
                    if (index != UINT32_MAX) index++;
                    continue;
                }
                if (next == (array ? ']' : '}')) {
                    r->i++;
                    break;
                }
                cc__ref_fail(r, array ? CC_JSON_EXPECTED_ARRAY_COMMA : CC_JSON_EXPECTED_OBJECT_COMMA, r->i);
                return;
            }
        }
        r->depth--;
        if (wanted) {
            cc__ref_keep(r, r->s + start, r->i - start);
            cc__ref_found(r);
        }
        return;
    }
    if (c == '"') {
        if (wanted) r->out->kind = CC_JSON_KIND_STRING;
        const int saved = r->collect;
        r->collect = wanted ? 1 : 0;
        cc__ref_string(r);
        r->collect = saved;
        if (!r->stop && wanted) cc__ref_found(r);
        return;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (wanted) r->out->kind = CC_JSON_KIND_NUMBER;
        const int ended = cc__ref_number(r);
        if (ended < 0) return;
        if (ended == 0) {
            cc__ref_truncated(r);
            return;
        }
        if (!wanted) return;
        cc__ref_keep(r, r->s + start, r->i - start);
        /* The matcher knows the number has ended only at the next byte, which it reads and checks. */
        if (r->i == r->n) {
            if (context == CC__CTX_TOP) {
                cc__ref_found(r);
            } else {
                cc__ref_truncated(r);
            }
            return;
        }
        const uint8_t next = r->s[r->i];
        if (cc__ref_space(next) || (context == CC__CTX_ARRAY && (next == ',' || next == ']')) ||
            (context == CC__CTX_OBJECT && (next == ',' || next == '}'))) {
            cc__ref_found(r);
            return;
        }
        cc__ref_fail(r, context == CC__CTX_TOP     ? CC_JSON_TRAILING_DATA
                        : context == CC__CTX_ARRAY ? CC_JSON_EXPECTED_ARRAY_COMMA
                                                   : CC_JSON_EXPECTED_OBJECT_COMMA,
                     r->i);
        return;
    }
    if (c == 't' || c == 'f' || c == 'n') {
        const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
        if (wanted) r->out->kind = c == 't' ? CC_JSON_KIND_TRUE : c == 'f' ? CC_JSON_KIND_FALSE : CC_JSON_KIND_NULL;
        for (size_t k = 0; word[k]; k++) {
            if (r->i >= r->n) {
                cc__ref_truncated(r);
                return;
            }
            if (r->s[r->i] != (uint8_t)word[k]) {
                cc__ref_fail(r, CC_JSON_BAD_LITERAL, r->i);
                return;
            }
            r->i++;
        }
        if (wanted) {
            cc__ref_keep(r, r->s + start, r->i - start);
            cc__ref_found(r);
        }
        return;
    }
    cc__ref_fail(r, CC_JSON_EXPECTED_VALUE, r->i);
}

static void cc__ref_match(const cc_json_path_t *path, uint32_t capacity, const uint8_t *s, size_t n,
                          cc__fuzz_outcome_t *out) {
    memset(out, 0, sizeof *out);
    cc__ref_t r = {.s = s, .n = n, .path = path, .capacity = capacity, .out = out};
    /* RFC 8259 8.1: a BOM at the very start is skipped; a broken one is no value. */
    if (n > 0 && s[0] == 0xEF) {
        if ((n > 1 && s[1] != 0xBB) || (n > 2 && s[2] != 0xBF)) {
            cc__ref_fail(&r, CC_JSON_EXPECTED_VALUE, 0);
            return;
        }
        if (n < 3) {
            cc__ref_fail(&r, CC_JSON_EMPTY, n);
            return;
        }
        r.i = 3;
    }
    cc__ref_ws(&r);
    if (r.i == n) {
        cc__ref_fail(&r, CC_JSON_EMPTY, n);
        return;
    }
    cc__ref_value(&r, 1, 0, CC__CTX_TOP);
    if (!r.stop) {
        cc__ref_ws(&r);
        if (r.i < n) {
            cc__ref_fail(&r, CC_JSON_TRAILING_DATA, r.i);
        } else {
            out->result = 0;
        }
    }
    free(r.key);
}

/* ---- the path round trip ---- */

static void cc__fuzz_path_round_trip(const uint8_t *text, size_t length, cc_json_path_t *path, int *ok) {
    size_t offset = 12345;
    const char *reason = NULL;
    const int status = cc_json_path_compile((const char *)text, length, path, &offset, &reason);
    CC__FUZZ_CHECK(status == 0 || status == CC_EINVAL);
    CC__FUZZ_CHECK(path->step_count <= CC_JSON_PATH_MAX_STEPS && path->key_bytes <= CC_JSON_PATH_MAX_KEY_BYTES);
    *ok = status == 0;
    if (status != 0) {
        CC__FUZZ_CHECK(offset <= length && reason != NULL && reason[0] != '\0');
        CC__FUZZ_CHECK(path->step_count == 0);
        return;
    }
    for (unsigned k = 0; k < path->step_count; k++) {
        const cc_json_step_t *step = &path->steps[k];
        CC__FUZZ_CHECK(step->kind <= CC_JSON_STEP_ANY);
        CC__FUZZ_CHECK(step->kind != CC_JSON_STEP_KEY || (uint32_t)step->key_offset + step->key_length <= path->key_bytes);
        CC__FUZZ_CHECK(step->kind != CC_JSON_STEP_INDEX || step->index <= CC_JSON_PATH_MAX_INDEX);
    }
    char printed[CC_JSON_PATH_TEXT_MAX];
    const size_t printed_length = cc_json_path_text(path, printed, sizeof printed);
    CC__FUZZ_CHECK(printed_length < sizeof printed && printed[printed_length] == '\0');
    cc_json_path_t again;
    CC__FUZZ_CHECK(cc_json_path_compile(printed, printed_length, &again, NULL, NULL) == 0);
    CC__FUZZ_CHECK(memcmp(&again, path, sizeof again) == 0);
    char small[8];
    CC__FUZZ_CHECK(cc_json_path_text(path, small, sizeof small) == printed_length);
    CC__FUZZ_CHECK(strlen(small) == (printed_length < sizeof small ? printed_length : sizeof small - 1));
}

static int cc__fuzz_compare_sizes(const void *a, const void *b) {
    const size_t x = *(const size_t *)a;
    const size_t y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const uint8_t mode = data[0];
    const unsigned path_choice = mode & 15;
    const uint32_t capacity = cc__fuzz_capacities[mode >> 4 & 3];
    size_t cut_count = mode >> 6;
    const int byte_by_byte = cut_count == 0;
    data++;
    size--;
    uint16_t raw_cuts[3];
    if (size < 2 * cut_count) {
        cut_count = size / 2;
    }
    for (size_t i = 0; i < cut_count; i++) {
        raw_cuts[i] = (uint16_t)(data[2 * i] | data[2 * i + 1] << 8);
    }
    data += 2 * cut_count;
    size -= 2 * cut_count;

    cc_json_path_t path;
    if (path_choice == 15) {
        size_t line = 0;
        while (line < size && line < 64 && data[line] != '\n') {
            line++;
        }
        int ok;
        cc__fuzz_path_round_trip(data, line, &path, &ok);
        if (!ok) {
            return 0;
        }
        const size_t skip = line < size ? line + 1 : line;
        data += skip;
        size -= skip;
    } else {
        const char *text = cc__fuzz_paths[path_choice];
        int ok;
        cc__fuzz_path_round_trip((const uint8_t *)text, strlen(text), &path, &ok);
        CC__FUZZ_CHECK(ok);
    }

    uint8_t *doc = malloc(size ? size : 1);
    CC__FUZZ_CHECK(doc != NULL);
    memcpy(doc, data, size);

    cc__fuzz_outcome_t whole, pieces, reference;
    cc__fuzz_match(&path, capacity, doc, size, NULL, 0, &whole);
    if (byte_by_byte) {
        size_t *cuts = malloc((size + 1) * sizeof *cuts);
        CC__FUZZ_CHECK(cuts != NULL);
        for (size_t i = 0; i < size; i++) {
            cuts[i] = i + 1;
        }
        cc__fuzz_match(&path, capacity, doc, size, cuts, size, &pieces);
        free(cuts);
    } else {
        size_t cuts[3];
        for (size_t i = 0; i < cut_count; i++) {
            cuts[i] = raw_cuts[i] % (size + 1);
        }
        qsort(cuts, cut_count, sizeof cuts[0], cc__fuzz_compare_sizes);
        cc__fuzz_match(&path, capacity, doc, size, cuts, cut_count, &pieces);
    }
    cc__ref_match(&path, capacity, doc, size, &reference);
    free(doc);

    cc__fuzz_compare(&whole, &pieces);
    cc__fuzz_compare(&whole, &reference);
    return 0;
}
