/*
 * The streaming JSON matcher declared in cicada_core.h.
 *
 * A byte-driven JSON tokenizer (RFC 8259) whose whole state fits in cc_json_matcher_t, so a document
 * split at any byte boundary reads exactly like one that arrives whole: every decision, including
 * which error is reported and at which offset, depends only on the bytes seen. There is no recursion
 * and no stack of frames: the kind of each open container is one bit of arrays_ (CC_JSON_MAX_DEPTH
 * bits), and the matching needs state for one level only.
 *
 * Matching. A value's position is the list of keys and indices that lead to it. The open containers
 * whose positions match a prefix of the path form a prefix of the open containers; path_depth_ counts
 * them ("on the path"). Only the innermost of them, the frontier, compares its children with the path:
 * an array counts its elements in index_, an object compares each key with the step's key as the key
 * is decoded (key_pos_ bytes matched, CC__F_MATCH_KEY while it still may match), and CC__F_CHILD says
 * whether the current element or member matches. Deeper containers are off the path and only
 * validated. When a container on the path closes, its parent becomes the frontier again and needs no
 * saved state: the child that closed was the one its step matched, so for an index step index_ is that
 * index again, and the next element cannot match. A value that starts at the frontier, matches, and
 * sits at the path's full length is the one looked for: it is captured and, once complete, found. The
 * first such value in document order is the answer, and with [*] that is the first element under which
 * the rest of the path matches.
 *
 * Private state: state_ a cc__state_t, sub_ the state's own progress (the bytes of a BOM or a literal,
 * the hex digits of a \u escape, the number grammar's state), utf8_need_/utf8_low_/utf8_high_ the
 * continuation bytes a UTF-8 sequence in a string still owes and the range the next must be in (RFC
 * 3629 4), code_unit_ the \u escape being read, high_surrogate_ a high surrogate waiting for its low
 * half, capture_depth_ the depth at which the value found started.
 */
#include "cicada_core.h"

#include <string.h>

_Static_assert(sizeof(cc_json_matcher_t) == 72, "cicada_core.h says 72 bytes");
_Static_assert(sizeof(cc_json_matcher_t) <= 160, "a matcher lives inline in every user's check slot");
_Static_assert(CC_JSON_MAX_DEPTH <= 64, "arrays_ has one bit per level");
_Static_assert(CC_JSON_PATH_MAX_STEPS <= CC_JSON_MAX_DEPTH, "path_depth_ never passes depth_");
_Static_assert(CC_JSON__ERROR_COUNT <= UINT8_MAX, "error is a uint8_t");

typedef enum cc__state_e {
    CC__S_VALUE = 0,    /* a value: at the top, after ':', after ',' in an array */
    CC__S_ARRAY_FIRST,  /* after '[': a value or ']' */
    CC__S_OBJECT_FIRST, /* after '{': a key or '}' */
    CC__S_KEY,          /* after ',' in an object: a key */
    CC__S_COLON,        /* after a key */
    CC__S_AFTER,        /* after a value in an array or object: ',' or its closing bracket */
    CC__S_END,          /* after the top-level value: whitespace only */
    CC__S_BOM,          /* sub_ bytes of EF BB BF seen at the start */
    CC__S_STRING,       /* in a string */
    CC__S_ESCAPE,       /* after '\' in a string */
    CC__S_UNICODE,      /* in \uXXXX, sub_ hex digits read */
    CC__S_NUMBER,       /* sub_ a cc__number_t */
    CC__S_LITERAL,      /* sub_ = literal << 3 | bytes matched */
    CC__S_DONE,         /* found, failed or finished: nothing more is read */
} cc__state_t;

/* flags_ */
enum {
    CC__F_KEY = 1u << 0,       /* the string being read is a key */
    CC__F_MATCH_KEY = 1u << 1, /* ... at the frontier, and its bytes so far are the step's */
    CC__F_CHILD = 1u << 2,     /* at the frontier: the current element or member matches the step */
    CC__F_CAPTURE = 1u << 3,   /* the value looked for has started: its bytes go to `value` */
    CC__F_COMPLETE = 1u << 4,  /* ... and has ended */
};

/* The number grammar, RFC 8259 6: [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ ("e"/"E") ["+"/"-"] 1*DIGIT ].
 * A number may end only in the states marked "end". */
typedef enum cc__number_e {
    CC__N_MINUS = 0, /* "-" */
    CC__N_ZERO,      /* "0": end */
    CC__N_INT,       /* 1-9 *DIGIT: end */
    CC__N_DOT,       /* "." */
    CC__N_FRAC,      /* "." 1*DIGIT: end */
    CC__N_E,         /* "e" */
    CC__N_E_SIGN,    /* "e+" */
    CC__N_EXP,       /* "e" 1*DIGIT: end */
} cc__number_t;

static const char *const cc__literals[3] = {"true", "false", "null"};
static const uint8_t cc__literal_lengths[3] = {4, 5, 4};
static const uint8_t cc__literal_kinds[3] = {CC_JSON_KIND_TRUE, CC_JSON_KIND_FALSE, CC_JSON_KIND_NULL};

/* Bytes a string may hold that need no attention: 0x20-0x7F but '"' and '\'. Runs of them are
 * most of a document and go through in bulk. */
static const uint8_t cc__plain[256] = {
    [' '] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
    ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1, ['?'] = 1,
    ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1, ['~'] = 1, [0x7F] = 1,
};

static inline int cc__space(unsigned c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t'; /* RFC 8259 2 */
}

static inline int cc__hex(unsigned c) {
    if (c - '0' <= 9) {
        return (int)(c - '0');
    }
    c |= 0x20;
    return c - 'a' <= 5 ? (int)(c - 'a' + 10) : -1;
}

const char *cc_json_error_text(int code) {
    switch (code) {
#define CC__JSON_ERROR_TEXT(name, value, text) \
    case name:                                 \
        return text;
        CC_JSON_ERROR_MAP(CC__JSON_ERROR_TEXT)
#undef CC__JSON_ERROR_TEXT
    default:
        return "unknown JSON error";
    }
}

static void cc__append(cc_json_matcher_t *m, const uint8_t *bytes, size_t n) {
    const uint32_t room = m->capacity - m->value_length;
    if (n > room) {
        m->truncated = 1;
        n = room;
    }
    if (n > 0) {
        memcpy(m->value + m->value_length, bytes, n);
        m->value_length += (uint32_t)n;
    }
}

static inline const cc_json_step_t *cc__frontier_step(const cc_json_matcher_t *m) {
    return &m->path_->steps[m->depth_ - 1];
}

/* One decoded byte of a string: compared with the key looked for, or kept as the value's. */
static void cc__string_byte(cc_json_matcher_t *m, uint8_t b) {
    if (m->flags_ & CC__F_MATCH_KEY) {
        const cc_json_step_t *step = cc__frontier_step(m);
        if (m->key_pos_ < step->key_length && m->path_->keys[step->key_offset + m->key_pos_] == b) {
            m->key_pos_++;
        } else {
            m->flags_ &= (uint8_t)~CC__F_MATCH_KEY;
        }
    } else if ((m->flags_ & CC__F_CAPTURE) && m->kind == CC_JSON_KIND_STRING) {
        cc__append(m, &b, 1);
    }
}

/* A run of plain string bytes (cc__plain), whose decoded form is themselves. */
static void cc__string_run(cc_json_matcher_t *m, const uint8_t *run, size_t n) {
    if (m->flags_ & CC__F_MATCH_KEY) {
        const cc_json_step_t *step = cc__frontier_step(m);
        const size_t left = (size_t)(step->key_length - m->key_pos_);
        if (n <= left && memcmp(m->path_->keys + step->key_offset + m->key_pos_, run, n) == 0) {
            m->key_pos_ = (uint16_t)(m->key_pos_ + n);
        } else {
            m->flags_ &= (uint8_t)~CC__F_MATCH_KEY;
        }
    } else if (m->flags_ & CC__F_CAPTURE) {
        cc__append(m, run, n); /* decoded for a string, raw for an object or array: the same bytes */
    }
}

/* A code point from an escape, as UTF-8 (RFC 3629 3). */
static void cc__code_point(cc_json_matcher_t *m, uint32_t cp) {
    if (cp < 0x80) {
        cc__string_byte(m, (uint8_t)cp);
    } else if (cp < 0x800) {
        cc__string_byte(m, (uint8_t)(0xC0 | cp >> 6));
        cc__string_byte(m, (uint8_t)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        cc__string_byte(m, (uint8_t)(0xE0 | cp >> 12));
        cc__string_byte(m, (uint8_t)(0x80 | (cp >> 6 & 0x3F)));
        cc__string_byte(m, (uint8_t)(0x80 | (cp & 0x3F)));
    } else {
        cc__string_byte(m, (uint8_t)(0xF0 | cp >> 18));
        cc__string_byte(m, (uint8_t)(0x80 | (cp >> 12 & 0x3F)));
        cc__string_byte(m, (uint8_t)(0x80 | (cp >> 6 & 0x3F)));
        cc__string_byte(m, (uint8_t)(0x80 | (cp & 0x3F)));
    }
}

/* A high surrogate not followed by its low half stands for U+FFFD (RFC 8259 8.2 leaves such strings'
 * meaning open; replacing them is what the Unicode standard recommends, 3.9 U+FFFD substitution). */
static inline void cc__flush_surrogate(cc_json_matcher_t *m) {
    if (m->high_surrogate_ != 0) {
        m->high_surrogate_ = 0;
        cc__code_point(m, 0xFFFD);
    }
}

static void cc__code_unit(cc_json_matcher_t *m, uint32_t unit) {
    if (m->high_surrogate_ != 0 && unit >= 0xDC00 && unit <= 0xDFFF) {
        const uint32_t high = m->high_surrogate_;
        m->high_surrogate_ = 0;
        cc__code_point(m, 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00));
        return;
    }
    cc__flush_surrogate(m);
    if (unit >= 0xD800 && unit <= 0xDBFF) {
        m->high_surrogate_ = (uint16_t)unit;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
        cc__code_point(m, 0xFFFD); /* a low surrogate alone */
    } else {
        cc__code_point(m, unit);
    }
}

static inline int cc__step_takes_index(const cc_json_step_t *step, uint32_t index) {
    return step->kind == CC_JSON_STEP_ANY || (step->kind == CC_JSON_STEP_INDEX && step->index == index);
}

static inline void cc__set_child(cc_json_matcher_t *m, int matches) {
    if (matches) {
        m->flags_ |= CC__F_CHILD;
    } else {
        m->flags_ &= (uint8_t)~CC__F_CHILD;
    }
}

/* A value (or, inside a container, a member's or element's value) has ended at depth_. */
static void cc__value_end(cc_json_matcher_t *m) {
    if ((m->flags_ & CC__F_CAPTURE) && m->depth_ == m->capture_depth_) {
        m->flags_ |= CC__F_COMPLETE;
    }
    m->state_ = m->depth_ == 0 ? CC__S_END : CC__S_AFTER;
}

static void cc__close(cc_json_matcher_t *m) {
    m->depth_--;
    if (m->path_depth_ > m->depth_) {
        /* The container on the path closed: its parent is the frontier again. It was the child the
         * parent's step matched, so for an index step the parent is at that index. */
        m->path_depth_ = m->depth_;
        if (m->depth_ > 0) {
            const cc_json_step_t *step = cc__frontier_step(m);
            m->index_ = step->kind == CC_JSON_STEP_INDEX ? step->index : 0;
        }
    }
    cc__value_end(m);
}

/* The first byte of a value. Returns 0 or a cc_json_error_t. */
static int cc__begin_value(cc_json_matcher_t *m, unsigned c) {
    const cc_json_path_t *path = m->path_;
    const int on_path = m->depth_ == m->path_depth_ && (m->depth_ == 0 || (m->flags_ & CC__F_CHILD));
    const int wanted = on_path && m->depth_ == path->step_count;
    uint8_t kind;
    switch (c) {
    case '{':
    case '[': {
        if (m->depth_ == CC_JSON_MAX_DEPTH) {
            return CC_JSON_TOO_DEEP;
        }
        const int array = c == '[';
        kind = array ? CC_JSON_KIND_ARRAY : CC_JSON_KIND_OBJECT;
        if (wanted) {
            m->kind = kind;
            m->flags_ |= CC__F_CAPTURE;
            m->capture_depth_ = m->depth_;
            const uint8_t byte = (uint8_t)c;
            cc__append(m, &byte, 1);
        } else if (on_path) {
            const cc_json_step_t *step = &path->steps[m->depth_];
            if (array ? step->kind != CC_JSON_STEP_KEY : step->kind == CC_JSON_STEP_KEY) {
                m->path_depth_ = (uint8_t)(m->depth_ + 1);
                m->index_ = 0;
                cc__set_child(m, array && cc__step_takes_index(step, 0));
            }
        }
        if (array) {
            m->arrays_ |= UINT64_C(1) << m->depth_;
        } else {
            m->arrays_ &= ~(UINT64_C(1) << m->depth_);
        }
        m->depth_++;
        m->state_ = array ? CC__S_ARRAY_FIRST : CC__S_OBJECT_FIRST;
        return 0;
    }
    case '"':
        if (wanted) {
            m->kind = CC_JSON_KIND_STRING;
            m->flags_ |= CC__F_CAPTURE;
            m->capture_depth_ = m->depth_;
        }
        m->flags_ &= (uint8_t)~(CC__F_KEY | CC__F_MATCH_KEY);
        m->utf8_need_ = 0;
        m->high_surrogate_ = 0;
        m->state_ = CC__S_STRING;
        return 0;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        kind = CC_JSON_KIND_NUMBER;
        m->sub_ = c == '-' ? CC__N_MINUS : c == '0' ? CC__N_ZERO : CC__N_INT;
        m->state_ = CC__S_NUMBER;
        break;
    case 't':
    case 'f':
    case 'n': {
        const unsigned literal = c == 't' ? 0 : c == 'f' ? 1 : 2;
        kind = cc__literal_kinds[literal];
        m->sub_ = (uint8_t)(literal << 3 | 1);
        m->state_ = CC__S_LITERAL;
        break;
    }
    default:
        return CC_JSON_EXPECTED_VALUE;
    }
    if (wanted) {
        m->kind = kind;
        m->flags_ |= CC__F_CAPTURE;
        m->capture_depth_ = m->depth_;
        const uint8_t byte = (uint8_t)c;
        cc__append(m, &byte, 1);
    }
    return 0;
}

static void cc__begin_key(cc_json_matcher_t *m) {
    m->flags_ |= CC__F_KEY;
    if (m->depth_ == m->path_depth_) {
        m->flags_ |= CC__F_MATCH_KEY;
        m->flags_ &= (uint8_t)~CC__F_CHILD;
        m->key_pos_ = 0;
    } else {
        m->flags_ &= (uint8_t)~CC__F_MATCH_KEY;
    }
    m->utf8_need_ = 0;
    m->high_surrogate_ = 0;
    m->state_ = CC__S_STRING;
}

static void cc__end_string(cc_json_matcher_t *m) {
    cc__flush_surrogate(m);
    if (m->flags_ & CC__F_KEY) {
        if (m->flags_ & CC__F_MATCH_KEY) {
            cc__set_child(m, m->key_pos_ == cc__frontier_step(m)->key_length);
        }
        m->flags_ &= (uint8_t)~(CC__F_KEY | CC__F_MATCH_KEY);
        m->state_ = CC__S_COLON;
        return;
    }
    cc__value_end(m);
}

/* The next state of the number grammar after byte c, or -1 when c cannot continue the number. */
static int cc__number_next(unsigned state, unsigned c) {
    const int digit = c - '0' <= 9;
    switch (state) {
    case CC__N_MINUS:
        return c == '0' ? CC__N_ZERO : digit ? CC__N_INT : -1;
    case CC__N_ZERO:
    case CC__N_INT:
        if (digit) {
            return state == CC__N_INT ? CC__N_INT : -1; /* "01": no leading zeros */
        }
        return c == '.' ? CC__N_DOT : (c | 0x20) == 'e' ? CC__N_E : -1;
    case CC__N_DOT:
    case CC__N_FRAC:
        return digit ? CC__N_FRAC : (state == CC__N_FRAC && (c | 0x20) == 'e') ? CC__N_E : -1;
    case CC__N_E:
        return c == '+' || c == '-' ? CC__N_E_SIGN : digit ? CC__N_EXP : -1;
    default: /* CC__N_E_SIGN, CC__N_EXP */
        return digit ? CC__N_EXP : -1;
    }
}

static inline int cc__number_may_end(unsigned state) {
    return state == CC__N_ZERO || state == CC__N_INT || state == CC__N_FRAC || state == CC__N_EXP;
}

/* Bytes that cannot follow a number directly: they would make it a longer, broken one ("01", "1.2.3",
 * "12a", "1e5e", "1-2"), which is reported as a bad number rather than as a missing comma. */
static inline int cc__number_glued(unsigned c) {
    return c - '0' <= 9 || (c | 0x20) - 'a' < 26 || c == '.' || c == '+' || c == '-';
}

/* Reads one byte. Returns 0 or a cc_json_error_t. */
static int cc__byte(cc_json_matcher_t *m, unsigned c) {
again:
    switch ((cc__state_t)m->state_) {
    case CC__S_VALUE:
        if (cc__space(c)) {
            return 0;
        }
        if (c == 0xEF && m->offset_ == 0) {
            m->state_ = CC__S_BOM;
            m->sub_ = 1;
            return 0;
        }
        return cc__begin_value(m, c);

    case CC__S_BOM:
        if (c != (m->sub_ == 1 ? 0xBBu : 0xBFu)) {
            return CC_JSON_EXPECTED_VALUE; /* reported at the BOM's first byte: see cc__fail */
        }
        if (++m->sub_ == 3) {
            m->state_ = CC__S_VALUE;
        }
        return 0;

    case CC__S_ARRAY_FIRST:
        if (cc__space(c)) {
            return 0;
        }
        if (c == ']') {
            cc__close(m);
            return 0;
        }
        return cc__begin_value(m, c);

    case CC__S_OBJECT_FIRST:
    case CC__S_KEY:
        if (cc__space(c)) {
            return 0;
        }
        if (c == '"') {
            cc__begin_key(m);
            return 0;
        }
        if (c == '}' && m->state_ == CC__S_OBJECT_FIRST) {
            cc__close(m);
            return 0;
        }
        return CC_JSON_EXPECTED_KEY;

    case CC__S_COLON:
        if (cc__space(c)) {
            return 0;
        }
        if (c != ':') {
            return CC_JSON_EXPECTED_COLON;
        }
        m->state_ = CC__S_VALUE;
        return 0;

    case CC__S_AFTER: {
        if (cc__space(c)) {
            return 0;
        }
        const int array = (int)(m->arrays_ >> (m->depth_ - 1) & 1);
        if (c == ',') {
            if (!array) {
                m->state_ = CC__S_KEY;
                return 0;
            }
            if (m->depth_ == m->path_depth_) {
                if (m->index_ != UINT32_MAX) {
                    m->index_++;
                }
                cc__set_child(m, cc__step_takes_index(cc__frontier_step(m), m->index_));
            }
            m->state_ = CC__S_VALUE;
            return 0;
        }
        if (c == (array ? ']' : '}')) {
            cc__close(m);
            return 0;
        }
        return array ? CC_JSON_EXPECTED_ARRAY_COMMA : CC_JSON_EXPECTED_OBJECT_COMMA;
    }

    case CC__S_END:
        return cc__space(c) ? 0 : CC_JSON_TRAILING_DATA;

    case CC__S_STRING:
        if (m->utf8_need_ != 0) {
            /* RFC 3629 4: the continuation bytes, in the range the lead byte allows for the first. */
            if (c < m->utf8_low_ || c > m->utf8_high_) {
                return CC_JSON_BAD_UTF8;
            }
            m->utf8_need_--;
            m->utf8_low_ = 0x80;
            m->utf8_high_ = 0xBF;
            cc__string_byte(m, (uint8_t)c);
            return 0;
        }
        if (c == '"') {
            cc__end_string(m);
            return 0;
        }
        if (c == '\\') {
            m->state_ = CC__S_ESCAPE;
            return 0;
        }
        if (c < 0x20) {
            return CC_JSON_CONTROL_CHARACTER; /* RFC 8259 7 */
        }
        if (c >= 0x80) {
            if (c >= 0xC2 && c <= 0xDF) {
                m->utf8_need_ = 1;
                m->utf8_low_ = 0x80;
                m->utf8_high_ = 0xBF;
            } else if (c >= 0xE0 && c <= 0xEF) {
                m->utf8_need_ = 2;
                m->utf8_low_ = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
                m->utf8_high_ = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
            } else if (c >= 0xF0 && c <= 0xF4) {
                m->utf8_need_ = 3;
                m->utf8_low_ = c == 0xF0 ? 0x90 : 0x80;
                m->utf8_high_ = c == 0xF4 ? 0x8F : 0xBF; /* nothing past U+10FFFF */
            } else {
                return CC_JSON_BAD_UTF8;
            }
        }
        cc__flush_surrogate(m);
        cc__string_byte(m, (uint8_t)c);
        return 0;

    case CC__S_ESCAPE: {
        /* RFC 8259 7. */
        unsigned decoded;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            decoded = c;
            break;
        case 'b':
            decoded = '\b';
            break;
        case 'f':
            decoded = '\f';
            break;
        case 'n':
            decoded = '\n';
            break;
        case 'r':
            decoded = '\r';
            break;
        case 't':
            decoded = '\t';
            break;
        case 'u':
            m->state_ = CC__S_UNICODE;
            m->sub_ = 0;
            m->code_unit_ = 0;
            return 0;
        default:
            return CC_JSON_BAD_ESCAPE;
        }
        cc__flush_surrogate(m);
        cc__string_byte(m, (uint8_t)decoded);
        m->state_ = CC__S_STRING;
        return 0;
    }

    case CC__S_UNICODE: {
        const int value = cc__hex(c);
        if (value < 0) {
            return CC_JSON_BAD_UNICODE_ESCAPE;
        }
        m->code_unit_ = (uint16_t)((unsigned)m->code_unit_ << 4 | (unsigned)value);
        if (++m->sub_ == 4) {
            cc__code_unit(m, m->code_unit_);
            m->state_ = CC__S_STRING;
        }
        return 0;
    }

    case CC__S_NUMBER: {
        const int next = cc__number_next(m->sub_, c);
        if (next >= 0) {
            m->sub_ = (uint8_t)next;
            if ((m->flags_ & CC__F_CAPTURE) && m->kind == CC_JSON_KIND_NUMBER) {
                const uint8_t byte = (uint8_t)c;
                cc__append(m, &byte, 1);
            }
            return 0;
        }
        if (!cc__number_may_end(m->sub_) || cc__number_glued(c)) {
            return CC_JSON_BAD_NUMBER;
        }
        /* The number ended before c, which belongs to what follows it. */
        cc__value_end(m);
        goto again;
    }

    case CC__S_LITERAL: {
        const unsigned literal = m->sub_ >> 3;
        const unsigned matched = m->sub_ & 7;
        if (c != (unsigned char)cc__literals[literal][matched]) {
            return CC_JSON_BAD_LITERAL;
        }
        if ((m->flags_ & CC__F_CAPTURE) && m->kind >= CC_JSON_KIND_TRUE && m->kind <= CC_JSON_KIND_NULL) {
            const uint8_t byte = (uint8_t)c;
            cc__append(m, &byte, 1);
        }
        if (matched + 1 == cc__literal_lengths[literal]) {
            cc__value_end(m);
        } else {
            m->sub_++;
        }
        return 0;
    }

    case CC__S_DONE:
    default:
        return 0;
    }
}

void cc_json_matcher_reset(cc_json_matcher_t *matcher, const cc_json_path_t *path, uint8_t *value,
                           uint32_t capacity) {
    static const cc_json_path_t whole_document; /* all zero: no steps */
    memset(matcher, 0, sizeof *matcher);
    matcher->path_ = path != NULL ? path : &whole_document;
    matcher->value = value;
    matcher->capacity = value != NULL ? capacity : 0;
    matcher->state_ = CC__S_VALUE;
}

static int cc__result(const cc_json_matcher_t *m) {
    return m->error != CC_JSON_OK ? -1 : m->found ? 1 : 0;
}

static int cc__fail(cc_json_matcher_t *m, int error) {
    m->error = (uint8_t)error;
    /* A broken BOM is reported where it started: those bytes were never a value. */
    m->error_offset = m->state_ == CC__S_BOM ? m->offset_ - m->sub_ : m->offset_;
    m->state_ = CC__S_DONE;
    return -1;
}

int cc_json_matcher_feed(cc_json_matcher_t *matcher, const uint8_t *data, size_t length) {
    cc_json_matcher_t *const m = matcher;
    if (m->state_ == CC__S_DONE) {
        return cc__result(m);
    }
    const uint8_t *p = data;
    const uint8_t *const end = data + length;
    while (p < end) {
        /* Bulk runs: plain string bytes, and whitespace between tokens. */
        if (m->state_ == CC__S_STRING && m->utf8_need_ == 0 && m->high_surrogate_ == 0 && cc__plain[*p]) {
            const uint8_t *q = p + 1;
            while (q < end && cc__plain[*q]) {
                q++;
            }
            cc__string_run(m, p, (size_t)(q - p));
            m->offset_ += (uint64_t)(q - p);
            p = q;
            continue;
        }
        if (m->state_ <= CC__S_END && cc__space(*p)) {
            const uint8_t *q = p + 1;
            while (q < end && cc__space(*q)) {
                q++;
            }
            if ((m->flags_ & CC__F_CAPTURE) && m->kind >= CC_JSON_KIND_OBJECT) {
                cc__append(m, p, (size_t)(q - p));
            }
            m->offset_ += (uint64_t)(q - p);
            p = q;
            continue;
        }

        const unsigned c = *p;
        /* Inside an object or array found, every byte is the value's, whatever else it does. */
        if ((m->flags_ & CC__F_CAPTURE) && m->kind >= CC_JSON_KIND_OBJECT) {
            cc__append(m, p, 1);
        }
        const int error = cc__byte(m, c);
        if (error != CC_JSON_OK) {
            return cc__fail(m, error);
        }
        m->offset_++;
        p++;
        if (m->flags_ & CC__F_COMPLETE) {
            m->found = 1;
            m->state_ = CC__S_DONE;
            return 1;
        }
    }
    return 0;
}

int cc_json_matcher_finish(cc_json_matcher_t *matcher) {
    cc_json_matcher_t *const m = matcher;
    if (m->state_ == CC__S_DONE) {
        return cc__result(m);
    }
    if (m->state_ == CC__S_NUMBER && m->depth_ == 0 && cc__number_may_end(m->sub_)) {
        cc__value_end(m); /* a number at the top level ends with the document */
        if (m->flags_ & CC__F_COMPLETE) {
            m->found = 1;
            m->state_ = CC__S_DONE;
            return 1;
        }
    }
    if (m->state_ == CC__S_END) {
        m->state_ = CC__S_DONE;
        return 0;
    }
    const int empty = (m->state_ == CC__S_VALUE && m->depth_ == 0) || m->state_ == CC__S_BOM;
    m->error = (uint8_t)(empty ? CC_JSON_EMPTY : CC_JSON_TRUNCATED);
    m->error_offset = m->offset_;
    m->state_ = CC__S_DONE;
    return -1;
}
