/*
 * The substring matcher declared in cicada_core.h: Knuth-Morris-Pratt (Knuth, Morris and Pratt, "Fast
 * pattern matching in strings", SIAM J. Computing 6(2), 1977).
 *
 * The matcher's only state is how many bytes of the needle the body's latest bytes match, so a needle
 * split across any chunks is found exactly as in one chunk, and each body byte is looked at once (plus
 * the failure links it follows, which are bounded by the bytes matched before: linear in all). When
 * nothing is matched, the scan jumps to the next copy of the needle's first byte with memchr, which is
 * how most of a body that does not contain the needle goes by.
 */
#include "cicada_core.h"

#include <string.h>

_Static_assert(sizeof(cc_substring_matcher_t) == 8, "cicada_core.h says 8 bytes");

int cc_substring_compile(const uint8_t *needle, uint32_t length, uint32_t *failure) {
    if (needle == NULL || length == 0 || failure == NULL) {
        return CC_EINVAL;
    }
    failure[0] = 0;
    uint32_t k = 0;
    for (uint32_t i = 1; i < length; i++) {
        while (k > 0 && needle[i] != needle[k]) {
            k = failure[k - 1];
        }
        if (needle[i] == needle[k]) {
            k++;
        }
        failure[i] = k;
    }
    return 0;
}

void cc_substring_matcher_reset(cc_substring_matcher_t *matcher) {
    memset(matcher, 0, sizeof *matcher);
}

void cc_substring_feed(cc_substring_matcher_t *matcher, const uint8_t *needle, uint32_t length,
                       const uint32_t *failure, const uint8_t *data, size_t n) {
    if (matcher->found) {
        return;
    }
    if (length == 0) {
        matcher->found = 1;
        return;
    }
    uint32_t k = matcher->matched;
    const uint8_t *p = data;
    const uint8_t *const end = data + n;
    while (p < end) {
        if (k == 0) {
            const uint8_t *first = memchr(p, needle[0], (size_t)(end - p));
            if (first == NULL) {
                break;
            }
            p = first + 1;
            k = 1;
        } else {
            const uint8_t c = *p++;
            while (k > 0 && needle[k] != c) {
                k = failure[k - 1];
            }
            if (needle[k] == c) {
                k++;
            }
        }
        if (k == length) {
            matcher->found = 1;
            break;
        }
    }
    matcher->matched = k;
}
