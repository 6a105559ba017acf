/*
 * JSON paths (cicada_core.h): the compiler from text and the canonical printer.
 *
 * The grammar, one step after another:
 *   path   = [ "$" ] *step  /  bare *step      ("$" only as the whole first bare key)
 *   step   = "." bare  /  "[" ( index / "*" / quoted ) "]"
 *   bare   = 1*( ALPHA / DIGIT / "_" / "-" / "$" / %x80-FF )
 *   index  = "0" / %x31-39 *DIGIT              (at most CC_JSON_PATH_MAX_INDEX)
 *   quoted = DQUOTE *( char / "\" ( DQUOTE / "'" / "\" ) ) DQUOTE, or the same with "'"
 *   char   = any byte but the quote, "\" and the control characters %x00-1F / %x7F
 * It is the part of JSONPath (RFC 9535) that names one position, plus the bare first key that a check
 * in a scenario file reads best with ("access_token"). Whitespace is not allowed anywhere: a path is
 * short, and a space in one is more likely a typo than a key. Control characters are refused even
 * quoted: a path is text from a scenario file, and its canonical text goes into messages.
 */
#include "cicada_core.h"

#include <string.h>

_Static_assert(sizeof(cc_json_step_t) == 12, "cicada_core.h says 12 bytes");
_Static_assert(sizeof(cc_json_path_t) == 452, "cicada_core.h says 452 bytes");
_Static_assert(CC_JSON_PATH_MAX_STEPS <= UINT8_MAX, "step_count is a uint8_t");
_Static_assert(CC_JSON_PATH_MAX_KEY_BYTES <= UINT16_MAX, "key offsets are uint16_t");
/* The longest text: 16 quoted keys (["..."], 4 bytes each) whose 256 bytes all take a backslash, and
 * the NUL. Index steps are shorter: 16 of [4294967294] come to 192 bytes. */
_Static_assert(CC_JSON_PATH_TEXT_MAX == 4 * CC_JSON_PATH_MAX_STEPS + 2 * CC_JSON_PATH_MAX_KEY_BYTES + 1,
               "the longest canonical text, with its NUL");

static int cc__bare_byte(unsigned c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '$' || c >= 0x80;
}

static int cc__path_fail(cc_json_path_t *out, size_t *error_offset, const char **reason, size_t offset,
                         const char *why) {
    memset(out, 0, sizeof *out);
    if (error_offset != NULL) {
        *error_offset = offset;
    }
    if (reason != NULL) {
        *reason = why;
    }
    return CC_EINVAL;
}

/* Appends a key step whose bytes are already in out->keys from `start`. */
static const char *cc__add_key(cc_json_path_t *out, uint16_t start) {
    if (out->step_count == CC_JSON_PATH_MAX_STEPS) {
        return "too many steps (at most 16)";
    }
    cc_json_step_t *step = &out->steps[out->step_count++];
    step->kind = CC_JSON_STEP_KEY;
    step->key_offset = start;
    step->key_length = (uint16_t)(out->key_bytes - start);
    return NULL;
}

int cc_json_path_compile(const char *text, size_t length, cc_json_path_t *out, size_t *error_offset,
                         const char **reason) {
    memset(out, 0, sizeof *out);
    const uint8_t *const s = (const uint8_t *)text;
    size_t i = 0;
    const char *why;

    /* The first step may be a bare key without its '.'; "$" alone there is the root. */
    if (i < length && cc__bare_byte(s[i])) {
        const size_t start = i;
        while (i < length && cc__bare_byte(s[i])) {
            i++;
        }
        if (!(i - start == 1 && s[start] == '$')) {
            if (i - start > CC_JSON_PATH_MAX_KEY_BYTES) {
                return cc__path_fail(out, error_offset, reason, start + CC_JSON_PATH_MAX_KEY_BYTES,
                                     "keys too long (at most 256 bytes in all)");
            }
            memcpy(out->keys, s + start, i - start);
            out->key_bytes = (uint16_t)(i - start);
            cc__add_key(out, 0); /* the first step always fits */
        }
    }

    while (i < length) {
        const size_t step_start = i;
        if (s[i] == '.') {
            i++;
            if (i == length || !cc__bare_byte(s[i])) {
                return cc__path_fail(out, error_offset, reason, i,
                                     i < length && (s[i] == '"' || s[i] == '\'')
                                         ? "expected a key after '.'; quote a key as [\"key\"]"
                                         : "expected a key after '.'");
            }
            const uint16_t start = out->key_bytes;
            while (i < length && cc__bare_byte(s[i])) {
                if (out->key_bytes == CC_JSON_PATH_MAX_KEY_BYTES) {
                    return cc__path_fail(out, error_offset, reason, i, "keys too long (at most 256 bytes in all)");
                }
                out->keys[out->key_bytes++] = s[i++];
            }
            if ((why = cc__add_key(out, start)) != NULL) {
                return cc__path_fail(out, error_offset, reason, step_start, why);
            }
            continue;
        }
        if (s[i] != '[') {
            return cc__path_fail(out, error_offset, reason, i,
                                 cc__bare_byte(s[i]) ? "expected '.' or '[' before a key"
                                                     : "a bare key may hold only letters, digits, '_', '-', '$' "
                                                       "and non-ASCII bytes; quote others as [\"key\"]");
        }
        i++;
        if (i == length) {
            return cc__path_fail(out, error_offset, reason, i, "expected an index, '*' or a quoted key after '['");
        }
        const uint8_t c = s[i];
        if (c == '*') {
            i++;
            if (out->step_count == CC_JSON_PATH_MAX_STEPS) {
                return cc__path_fail(out, error_offset, reason, step_start, "too many steps (at most 16)");
            }
            out->steps[out->step_count++].kind = CC_JSON_STEP_ANY;
        } else if (c >= '0' && c <= '9') {
            const size_t digits_start = i;
            uint64_t index = 0;
            while (i < length && s[i] >= '0' && s[i] <= '9') {
                if (i > digits_start && s[digits_start] == '0') {
                    return cc__path_fail(out, error_offset, reason, digits_start, "an index has no leading zeros");
                }
                index = index * 10 + (uint64_t)(s[i] - '0');
                if (index > CC_JSON_PATH_MAX_INDEX) {
                    return cc__path_fail(out, error_offset, reason, digits_start,
                                         "index too large (at most 4294967294)");
                }
                i++;
            }
            if (out->step_count == CC_JSON_PATH_MAX_STEPS) {
                return cc__path_fail(out, error_offset, reason, step_start, "too many steps (at most 16)");
            }
            cc_json_step_t *step = &out->steps[out->step_count++];
            step->kind = CC_JSON_STEP_INDEX;
            step->index = (uint32_t)index;
        } else if (c == '"' || c == '\'') {
            const uint8_t quote = c;
            const uint16_t start = out->key_bytes;
            i++;
            for (;;) {
                if (i == length) {
                    return cc__path_fail(out, error_offset, reason, step_start + 1, "unterminated quoted key");
                }
                uint8_t b = s[i];
                if (b == quote) {
                    i++;
                    break;
                }
                if (b < 0x20 || b == 0x7F) {
                    return cc__path_fail(out, error_offset, reason, i, "a quoted key may not hold control characters");
                }
                if (b == '\\') {
                    if (i + 1 == length) {
                        return cc__path_fail(out, error_offset, reason, step_start + 1, "unterminated quoted key");
                    }
                    b = s[i + 1];
                    if (b != '"' && b != '\'' && b != '\\') {
                        return cc__path_fail(out, error_offset, reason, i,
                                             "a quoted key may escape only \", ' and \\");
                    }
                    i++;
                }
                if (out->key_bytes == CC_JSON_PATH_MAX_KEY_BYTES) {
                    return cc__path_fail(out, error_offset, reason, i, "keys too long (at most 256 bytes in all)");
                }
                out->keys[out->key_bytes++] = b;
                i++;
            }
            if ((why = cc__add_key(out, start)) != NULL) {
                return cc__path_fail(out, error_offset, reason, step_start, why);
            }
        } else if (c == '-') {
            return cc__path_fail(out, error_offset, reason, i, "negative indices are not supported");
        } else {
            return cc__path_fail(out, error_offset, reason, i, "expected an index, '*' or a quoted key after '['");
        }
        if (i == length || s[i] != ']') {
            return cc__path_fail(out, error_offset, reason, i, "expected ']'");
        }
        i++;
    }
    return 0;
}

/* Writes into buffer[0..size-1) as far as it goes and counts every byte; the caller adds the NUL. */
typedef struct cc__text_s {
    char *buffer;
    size_t size;
    size_t length;
} cc__text_t;

static void cc__put(cc__text_t *t, const char *bytes, size_t n) {
    for (size_t k = 0; k < n; k++) {
        if (t->length + 1 < t->size) {
            t->buffer[t->length] = bytes[k];
        }
        t->length++;
    }
}

size_t cc_json_path_text(const cc_json_path_t *path, char *buffer, size_t size) {
    cc__text_t t = {buffer, size, 0};
    if (path->step_count == 0) {
        cc__put(&t, "$", 1);
    }
    for (unsigned n = 0; n < path->step_count && n < CC_JSON_PATH_MAX_STEPS; n++) {
        const cc_json_step_t *step = &path->steps[n];
        if (step->kind == CC_JSON_STEP_ANY) {
            cc__put(&t, "[*]", 3);
        } else if (step->kind == CC_JSON_STEP_INDEX) {
            char digits[12];
            size_t d = sizeof digits;
            uint32_t v = step->index;
            digits[--d] = ']';
            do {
                digits[--d] = (char)('0' + v % 10);
                v /= 10;
            } while (v != 0);
            digits[--d] = '[';
            cc__put(&t, digits + d, sizeof digits - d);
        } else {
            const uint8_t *key = path->keys + step->key_offset;
            const size_t key_length = step->key_length;
            int bare = key_length > 0 && !(n == 0 && key_length == 1 && key[0] == '$');
            for (size_t k = 0; bare && k < key_length; k++) {
                bare = cc__bare_byte(key[k]);
            }
            if (bare) {
                if (n > 0) {
                    cc__put(&t, ".", 1);
                }
                cc__put(&t, (const char *)key, key_length);
            } else {
                cc__put(&t, "[\"", 2);
                for (size_t k = 0; k < key_length; k++) {
                    if (key[k] == '"' || key[k] == '\\') {
                        cc__put(&t, "\\", 1);
                    }
                    cc__put(&t, (const char *)key + k, 1);
                }
                cc__put(&t, "\"]", 2);
            }
        }
    }
    if (size > 0) {
        buffer[t.length < size ? t.length : size - 1] = '\0';
    }
    return t.length;
}
