/*
 * The cookie jar declared in cicada_core.h: RFC 6265 for one user of one target host, in a fixed arena.
 *
 * Layout. The arena holds entries back to back from its start, jar->used bytes in all. An entry is a
 * cc__cookie_t header, copied in and out with memcpy (so the arena needs no alignment), then the name,
 * value, path and domain bytes. Entries are sorted as the Cookie header lists them (RFC 6265 5.4 step
 * 2): by path length, longest first, and among equal lengths by creation, oldest first. A new cookie
 * goes after the last entry whose path is at least as long as its own, which is its place since it is
 * the newest; a cookie that replaces one takes the old one's place, since it keeps its creation time
 * (RFC 6265 5.3 step 11.3) and has the same path. So no creation time is stored: the order is it.
 *
 * Room. When a cookie does not fit, expired cookies go first (they would have gone at the next use
 * anyway), then the entries with the smallest `stored`: the cookies the server set, or last reset,
 * longest ago. RFC 6265 5.3 says to evict the least recently accessed; every cookie of a one-host jar
 * is sent with nearly every request, so the last time the server set it is the useful age, and it
 * keeps a session cookie the server refreshes on every response. Moving entries costs a memmove of the
 * arena's tail; arenas are a few KiB and cookies change rarely next to how often they are sent.
 */
#include "cicada_core.h"

#include <string.h>

typedef struct cc__cookie_s {
    int64_t expires_s;     /* INT64_MAX: a session cookie, which lasts as long as the jar */
    uint64_t stored;       /* jar->stores_ when the server last set it: the smallest is dropped first */
    uint32_t value_length;
    uint16_t name_length;
    uint16_t path_length;
    uint8_t domain_length; /* lower-case; the host itself for a host-only cookie */
    uint8_t flags;         /* CC__COOKIE_* */
    uint8_t reserved_[6];
} cc__cookie_t;

enum {
    CC__COOKIE_SECURE = 1u << 0,    /* sent over a secure channel only (RFC 6265 5.4 step 1) */
    CC__COOKIE_HOST_ONLY = 1u << 1, /* set without Domain: for the host alone */
    CC__COOKIE_HTTP_ONLY = 1u << 2, /* kept for completeness: every request here is HTTP */
};

_Static_assert(sizeof(cc__cookie_t) == CC_COOKIE_ENTRY_OVERHEAD, "cicada_core.h says 32 bytes a cookie");
_Static_assert(sizeof(cc_cookie_jar_t) == 32, "cicada_core.h says 32 bytes");
_Static_assert(CC_COOKIE_MAX_NAME_VALUE <= UINT16_MAX, "name_length is a uint16_t");

#define CC__MAX_DOMAIN 255u /* domain_length is a uint8_t; no DNS name is longer than 253 */

const char *cc_cookie_result_text(int result) {
    switch (result) {
#define CC__COOKIE_RESULT_TEXT(name, value, text) \
    case name:                                    \
        return text;
        CC_COOKIE_RESULT_MAP(CC__COOKIE_RESULT_TEXT)
#undef CC__COOKIE_RESULT_TEXT
    default:
        return "unknown cookie result";
    }
}

/* ---- small helpers ---- */

static inline int cc__wsp(uint8_t c) {
    return c == ' ' || c == '\t';
}

/* RFC 6265bis 5.6: CTL characters but HTAB abort the whole set-cookie-string. */
static inline int cc__ctl(uint8_t c) {
    return (c < 0x20 && c != '\t') || c == 0x7F;
}

static inline uint8_t cc__lower(uint8_t c) {
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

static void cc__trim(const uint8_t *s, size_t *start, size_t *end) {
    while (*start < *end && cc__wsp(s[*start])) {
        (*start)++;
    }
    while (*end > *start && cc__wsp(s[*end - 1])) {
        (*end)--;
    }
}

static int cc__equal_nocase(const uint8_t *a, size_t a_length, const char *b) {
    const size_t b_length = strlen(b);
    if (a_length != b_length) {
        return 0;
    }
    for (size_t i = 0; i < a_length; i++) {
        if (cc__lower(a[i]) != (uint8_t)b[i]) {
            return 0;
        }
    }
    return 1;
}

static inline uint32_t cc__entry_size(const cc__cookie_t *c) {
    return (uint32_t)sizeof(cc__cookie_t) + c->name_length + c->value_length + c->path_length + c->domain_length;
}

static inline void cc__read(const cc_cookie_jar_t *jar, uint32_t offset, cc__cookie_t *c) {
    memcpy(c, jar->arena + offset, sizeof *c);
}

/* The entry's strings, in arena order. */
static inline const uint8_t *cc__name(const cc_cookie_jar_t *jar, uint32_t offset) {
    return jar->arena + offset + sizeof(cc__cookie_t);
}
static inline const uint8_t *cc__value(const cc_cookie_jar_t *jar, uint32_t offset, const cc__cookie_t *c) {
    return cc__name(jar, offset) + c->name_length;
}
static inline const uint8_t *cc__path(const cc_cookie_jar_t *jar, uint32_t offset, const cc__cookie_t *c) {
    return cc__value(jar, offset, c) + c->value_length;
}
static inline const uint8_t *cc__domain(const cc_cookie_jar_t *jar, uint32_t offset, const cc__cookie_t *c) {
    return cc__path(jar, offset, c) + c->path_length;
}

/* RFC 6265 5.3: a cookie expires when its expiry time is reached; a session cookie never, here. */
static inline int cc__expired(int64_t expires_s, int64_t now_s) {
    return expires_s != INT64_MAX && expires_s <= now_s;
}

static void cc__remove(cc_cookie_jar_t *jar, uint32_t offset, uint32_t size) {
    memmove(jar->arena + offset, jar->arena + offset + size, jar->used - offset - size);
    jar->used -= size;
    jar->count--;
}

/* Drops every cookie whose expiry is at or before now_s (RFC 6265 5.3: expired cookies are evicted),
 * in one pass that slides the kept entries down. */
static void cc__purge(cc_cookie_jar_t *jar, int64_t now_s) {
    uint32_t read = 0;
    uint32_t write = 0;
    while (read < jar->used) {
        cc__cookie_t c;
        cc__read(jar, read, &c);
        const uint32_t size = cc__entry_size(&c);
        if (cc__expired(c.expires_s, now_s)) {
            jar->count--;
        } else {
            if (write != read) {
                memmove(jar->arena + write, jar->arena + read, size);
            }
            write += size;
        }
        read += size;
    }
    jar->used = write;
}

void cc_cookie_jar_init(cc_cookie_jar_t *jar, uint8_t *arena, uint32_t capacity) {
    memset(jar, 0, sizeof *jar);
    jar->arena = arena;
    jar->capacity = arena != NULL ? capacity : 0;
}

/* ---- RFC 6265 5.1.1: dates ---- */

/* delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E */
static inline int cc__date_delimiter(uint8_t c) {
    return c == 0x09 || (c >= 0x20 && c <= 0x2F) || (c >= 0x3B && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
}

/* Reads min..max digits at t[*i]; fails when fewer come or when a digit follows the last one read
 * (the productions' "1*2DIGIT ( non-digit *OCTET )" and "2*4DIGIT ( non-digit *OCTET )"). */
static int cc__date_digits(const uint8_t *t, size_t n, size_t *i, unsigned min, unsigned max, unsigned *value) {
    unsigned count = 0;
    unsigned v = 0;
    while (*i < n && count < max && t[*i] - '0' <= 9u) {
        v = v * 10 + (unsigned)(t[*i] - '0');
        (*i)++;
        count++;
    }
    if (count < min || (*i < n && t[*i] - '0' <= 9u)) {
        return 0;
    }
    *value = v;
    return 1;
}

/* time = hms-time ( non-digit *OCTET ); hms-time = time-field ":" time-field ":" time-field. */
static int cc__date_time(const uint8_t *t, size_t n, unsigned *hour, unsigned *minute, unsigned *second) {
    size_t i = 0;
    if (!cc__date_digits(t, n, &i, 1, 2, hour) || i == n || t[i++] != ':') {
        return 0;
    }
    if (!cc__date_digits(t, n, &i, 1, 2, minute) || i == n || t[i++] != ':') {
        return 0;
    }
    return cc__date_digits(t, n, &i, 1, 2, second);
}

/* Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t cc__days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Parses a cookie-date as RFC 6265 5.1.1 does, which reads the three HTTP date forms (IMF-fixdate,
 * RFC 850, asctime: RFC 9110 5.6.7) and the variants servers send. Returns 1 with seconds since the
 * epoch in *out, or 0. */
static int cc__parse_date(const uint8_t *s, size_t n, int64_t *out) {
    static const char months[12][4] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
    int have_time = 0, have_day = 0, have_month = 0, have_year = 0;
    unsigned hour = 0, minute = 0, second = 0, day = 0, month = 0, year = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && cc__date_delimiter(s[i])) {
            i++;
        }
        const size_t start = i;
        while (i < n && !cc__date_delimiter(s[i])) {
            i++;
        }
        const uint8_t *t = s + start;
        const size_t length = i - start;
        if (length == 0) {
            break;
        }
        unsigned h, mi, se;
        if (!have_time && cc__date_time(t, length, &h, &mi, &se)) {
            have_time = 1;
            hour = h;
            minute = mi;
            second = se;
            continue;
        }
        size_t j = 0;
        unsigned v;
        if (!have_day && cc__date_digits(t, length, &j, 1, 2, &v)) {
            have_day = 1;
            day = v;
            continue;
        }
        if (!have_month && length >= 3) {
            unsigned k = 0;
            while (k < 12 && !(cc__lower(t[0]) == (uint8_t)months[k][0] && cc__lower(t[1]) == (uint8_t)months[k][1] &&
                               cc__lower(t[2]) == (uint8_t)months[k][2])) {
                k++;
            }
            if (k < 12) {
                have_month = 1;
                month = k + 1;
                continue;
            }
        }
        j = 0;
        if (!have_year && cc__date_digits(t, length, &j, 2, 4, &v)) {
            have_year = 1;
            year = v;
            continue;
        }
    }
    if (have_year && year >= 70 && year <= 99) {
        year += 1900;
    } else if (have_year && year <= 69) {
        year += 2000;
    }
    if (!have_time || !have_day || !have_month || !have_year || day < 1 || day > 31 || year < 1601 || hour > 23 ||
        minute > 59 || second > 59) {
        return 0;
    }
    /* "If no such date exists" (RFC 6265 5.1.1 step 6): 30 February fails. */
    static const uint8_t month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > month_days[month - 1] || (month == 2 && day == 29 && !leap)) {
        return 0;
    }
    *out = cc__days_from_civil((int64_t)year, month, day) * 86400 + (int64_t)hour * 3600 + (int64_t)minute * 60 +
           (int64_t)second;
    return 1;
}

/* ---- RFC 6265 5.1.3 and 5.1.4: domains and paths ---- */

static int cc__is_ip_address(const uint8_t *host, size_t n) {
    int dotted_digits = n > 0;
    for (size_t i = 0; i < n; i++) {
        if (host[i] == ':' || host[i] == '[') {
            return 1; /* IPv6 */
        }
        if (!(host[i] == '.' || host[i] - '0' <= 9u)) {
            dotted_digits = 0;
        }
    }
    return dotted_digits; /* IPv4: no top-level domain is all digits */
}

/* `host` and `domain` are both lower case. */
static int cc__domain_match(const uint8_t *host, size_t host_length, const uint8_t *domain, size_t domain_length) {
    if (host_length == domain_length) {
        return memcmp(host, domain, host_length) == 0;
    }
    return domain_length < host_length && memcmp(host + host_length - domain_length, domain, domain_length) == 0 &&
           host[host_length - domain_length - 1] == '.' && !cc__is_ip_address(host, host_length);
}

/* The path part of a request target: up to a '?' or '#'. */
static size_t cc__path_part(const uint8_t *path, size_t length) {
    for (size_t i = 0; i < length; i++) {
        if (path[i] == '?' || path[i] == '#') {
            return i;
        }
    }
    return length;
}

/* RFC 6265 5.1.4: the default-path of a request path. */
static void cc__default_path(const uint8_t *path, size_t length, const uint8_t **out, size_t *out_length) {
    static const uint8_t root[] = "/";
    length = cc__path_part(path, length);
    size_t last = 0;
    for (size_t i = 0; i < length; i++) {
        if (path[i] == '/') {
            last = i;
        }
    }
    if (length == 0 || path[0] != '/' || last == 0) {
        *out = root;
        *out_length = 1;
        return;
    }
    *out = path;
    *out_length = last;
}

static int cc__path_match(const uint8_t *request, size_t request_length, const uint8_t *cookie, size_t cookie_length) {
    if (cookie_length > request_length || memcmp(request, cookie, cookie_length) != 0) {
        return 0;
    }
    return cookie_length == request_length || cookie[cookie_length - 1] == '/' || request[cookie_length] == '/';
}

/* ---- RFC 6265 5.2: the Set-Cookie value ---- */

int cc_cookie_parse_pair(const uint8_t *set_cookie, size_t length, size_t *name_offset, size_t *name_length,
                         size_t *value_offset, size_t *value_length) {
    size_t end = 0;
    while (end < length && set_cookie[end] != ';') {
        end++;
    }
    size_t equals = 0;
    while (equals < end && set_cookie[equals] != '=') {
        equals++;
    }
    if (equals == end) {
        return CC_EINVAL; /* RFC 6265 5.2 step 2: no '=', ignore the whole string */
    }
    for (size_t i = 0; i < end; i++) {
        if (cc__ctl(set_cookie[i])) {
            return CC_EINVAL;
        }
    }
    size_t name_start = 0, name_end = equals, value_start = equals + 1, value_end = end;
    cc__trim(set_cookie, &name_start, &name_end);
    cc__trim(set_cookie, &value_start, &value_end);
    if (name_start == name_end) {
        return CC_EINVAL; /* step 5 */
    }
    *name_offset = name_start;
    *name_length = name_end - name_start;
    *value_offset = value_start;
    *value_length = value_end - value_start;
    return 0;
}

typedef struct cc__attributes_s {
    const uint8_t *domain; /* NULL: no Domain attribute (or only empty ones) */
    size_t domain_length;
    const uint8_t *path;   /* NULL: the default path */
    size_t path_length;
    int64_t expires_s;     /* INT64_MAX: a session cookie */
    uint8_t flags;
} cc__attributes_t;

/* RFC 6265 5.2 steps 6-8 and 5.2.1-5.2.6, for the attributes after the first ';'. When an attribute
 * comes twice, the last one counts (5.3 steps 3, 4, 7); Max-Age wins over Expires whatever the order
 * (5.3 step 3). An attribute whose value is invalid, or longer than CC_COOKIE_MAX_ATTRIBUTE_VALUE
 * (RFC 6265bis 5.6), is ignored. */
static void cc__parse_attributes(const uint8_t *s, size_t length, size_t start, int64_t now_s, cc__attributes_t *a) {
    int have_max_age = 0;
    int64_t max_age_expiry = 0;
    int have_expires = 0;
    int64_t expires = 0;
    size_t i = start;
    while (i < length) {
        i++; /* the ';' */
        size_t end = i;
        while (end < length && s[end] != ';') {
            end++;
        }
        size_t equals = i;
        while (equals < end && s[equals] != '=') {
            equals++;
        }
        size_t name_start = i, name_end = equals;
        size_t value_start = equals < end ? equals + 1 : end, value_end = end;
        cc__trim(s, &name_start, &name_end);
        cc__trim(s, &value_start, &value_end);
        const uint8_t *name = s + name_start;
        const size_t name_length = name_end - name_start;
        const uint8_t *value = s + value_start;
        const size_t value_length = value_end - value_start;
        i = end;
        if (value_length > CC_COOKIE_MAX_ATTRIBUTE_VALUE) {
            continue;
        }
        if (cc__equal_nocase(name, name_length, "expires")) {
            int64_t t;
            if (cc__parse_date(value, value_length, &t)) {
                have_expires = 1;
                expires = t;
            }
        } else if (cc__equal_nocase(name, name_length, "max-age")) {
            /* 5.2.2: a DIGIT or '-' first, DIGITs after. */
            const int negative = value_length > 0 && value[0] == '-';
            size_t k = negative ? 1 : 0;
            if (k == value_length) {
                continue;
            }
            int64_t delta = 0;
            for (; k < value_length && value[k] - '0' <= 9u; k++) {
                const int digit = value[k] - '0';
                delta = delta > (INT64_MAX - digit) / 10 ? INT64_MAX : delta * 10 + digit;
            }
            if (k != value_length) {
                continue;
            }
            have_max_age = 1;
            if (negative || delta == 0) {
                max_age_expiry = INT64_MIN; /* "the earliest representable date and time" */
            } else {
                max_age_expiry = now_s > 0 && delta > INT64_MAX - now_s ? INT64_MAX : now_s + delta;
            }
        } else if (cc__equal_nocase(name, name_length, "domain")) {
            /* 5.2.3: an empty value is ignored; a leading '.' is dropped. */
            if (value_length == 0) {
                continue;
            }
            a->domain = value[0] == '.' ? value + 1 : value;
            a->domain_length = value[0] == '.' ? value_length - 1 : value_length;
        } else if (cc__equal_nocase(name, name_length, "path")) {
            /* 5.2.4: a value that does not start with '/' means the default path. */
            if (value_length == 0 || value[0] != '/') {
                a->path = NULL;
            } else {
                a->path = value;
                a->path_length = value_length;
            }
        } else if (cc__equal_nocase(name, name_length, "secure")) {
            a->flags |= CC__COOKIE_SECURE;
        } else if (cc__equal_nocase(name, name_length, "httponly")) {
            a->flags |= CC__COOKIE_HTTP_ONLY;
        }
    }
    a->expires_s = have_max_age ? max_age_expiry : have_expires ? expires : INT64_MAX;
}

/* ---- the jar ---- */

int cc_cookie_jar_store(cc_cookie_jar_t *jar, const uint8_t *set_cookie, size_t length, const char *host,
                        const uint8_t *request_path, size_t path_length, int64_t now_s, int secure_channel) {
    for (size_t i = 0; i < length; i++) {
        if (cc__ctl(set_cookie[i])) {
            return CC_COOKIE_MALFORMED;
        }
    }
    size_t name_offset, name_length, value_offset, value_length;
    if (cc_cookie_parse_pair(set_cookie, length, &name_offset, &name_length, &value_offset, &value_length) != 0) {
        return CC_COOKIE_MALFORMED;
    }
    if (name_length + value_length > CC_COOKIE_MAX_NAME_VALUE) {
        return CC_COOKIE_TOO_LARGE;
    }
    size_t pair_end = 0;
    while (pair_end < length && set_cookie[pair_end] != ';') {
        pair_end++;
    }
    cc__attributes_t a = {0};
    cc__parse_attributes(set_cookie, length, pair_end, now_s, &a);

    /* RFC 6265 5.3 steps 4-6: the domain, lower case. */
    uint8_t host_lower[CC__MAX_DOMAIN];
    const size_t host_length = host != NULL ? strlen(host) : 0;
    if (host_length == 0 || host_length > CC__MAX_DOMAIN) {
        return CC_COOKIE_REFUSED;
    }
    for (size_t i = 0; i < host_length; i++) {
        host_lower[i] = cc__lower((uint8_t)host[i]);
    }
    uint8_t domain[CC__MAX_DOMAIN];
    size_t domain_length = host_length;
    uint8_t flags = a.flags;
    if (a.domain != NULL && a.domain_length > 0) {
        if (a.domain_length > CC__MAX_DOMAIN) {
            return CC_COOKIE_REFUSED;
        }
        for (size_t i = 0; i < a.domain_length; i++) {
            domain[i] = cc__lower(a.domain[i]);
        }
        domain_length = a.domain_length;
        if (!cc__domain_match(host_lower, host_length, domain, domain_length)) {
            return CC_COOKIE_REFUSED;
        }
    } else {
        memcpy(domain, host_lower, host_length);
        flags |= CC__COOKIE_HOST_ONLY;
    }
    /* RFC 6265bis 5.6 step 14: only a secure channel sets a Secure cookie. */
    if ((flags & CC__COOKIE_SECURE) && !secure_channel) {
        return CC_COOKIE_REFUSED;
    }
    const uint8_t *path = a.path;
    size_t cookie_path_length = a.path_length;
    if (path == NULL) {
        cc__default_path(request_path != NULL ? request_path : (const uint8_t *)"", request_path != NULL ? path_length : 0,
                         &path, &cookie_path_length);
    }
    if (cookie_path_length > UINT16_MAX) {
        return CC_COOKIE_TOO_LARGE;
    }
    const uint64_t size = sizeof(cc__cookie_t) + name_length + value_length + cookie_path_length + domain_length;
    const int expired = cc__expired(a.expires_s, now_s);
    if (!expired && size > jar->capacity) {
        return CC_COOKIE_TOO_LARGE;
    }

    cc__purge(jar, now_s);

    /* Step 11: a cookie with the same name, domain and path is replaced, keeping its place. */
    const uint8_t *name = set_cookie + name_offset;
    uint32_t at = UINT32_MAX;
    for (uint32_t offset = 0; offset < jar->used;) {
        cc__cookie_t c;
        cc__read(jar, offset, &c);
        const uint32_t entry_size = cc__entry_size(&c);
        if (c.name_length == name_length && c.path_length == cookie_path_length && c.domain_length == domain_length &&
            memcmp(cc__name(jar, offset), name, name_length) == 0 &&
            memcmp(cc__path(jar, offset, &c), path, cookie_path_length) == 0 &&
            memcmp(cc__domain(jar, offset, &c), domain, domain_length) == 0) {
            cc__remove(jar, offset, entry_size);
            at = offset;
            break;
        }
        offset += entry_size;
    }
    if (expired) {
        return CC_COOKIE_DELETED; /* step 12 evicts it at once; what it replaced is gone */
    }

    /* Make room: the entries the server set longest ago go first. */
    while (jar->capacity - jar->used < size) {
        uint32_t victim = 0, victim_size = 0;
        uint64_t oldest = UINT64_MAX;
        for (uint32_t offset = 0; offset < jar->used;) {
            cc__cookie_t c;
            cc__read(jar, offset, &c);
            if (c.stored < oldest) {
                oldest = c.stored;
                victim = offset;
                victim_size = cc__entry_size(&c);
            }
            offset += cc__entry_size(&c);
        }
        cc__remove(jar, victim, victim_size);
        jar->dropped++;
        if (at != UINT32_MAX && victim < at) {
            at -= victim_size;
        }
    }

    if (at == UINT32_MAX) {
        /* A new cookie is the newest: after every entry whose path is at least as long. */
        at = 0;
        while (at < jar->used) {
            cc__cookie_t c;
            cc__read(jar, at, &c);
            if (c.path_length < cookie_path_length) {
                break;
            }
            at += cc__entry_size(&c);
        }
    }

    cc__cookie_t entry;
    memset(&entry, 0, sizeof entry);
    entry.expires_s = a.expires_s;
    entry.stored = ++jar->stores_;
    entry.value_length = (uint32_t)value_length;
    entry.name_length = (uint16_t)name_length;
    entry.path_length = (uint16_t)cookie_path_length;
    entry.domain_length = (uint8_t)domain_length;
    entry.flags = flags;
    uint8_t *slot = jar->arena + at;
    memmove(slot + size, slot, jar->used - at);
    memcpy(slot, &entry, sizeof entry);
    uint8_t *bytes = slot + sizeof entry;
    memcpy(bytes, name, name_length);
    bytes += name_length;
    memcpy(bytes, set_cookie + value_offset, value_length);
    bytes += value_length;
    memcpy(bytes, path, cookie_path_length);
    bytes += cookie_path_length;
    memcpy(bytes, domain, domain_length);
    jar->used += (uint32_t)size;
    jar->count++;
    return CC_COOKIE_STORED;
}

/* RFC 6265 5.4 step 1, for a jar whose cookies all domain-match the one host. */
static int cc__sends(const cc_cookie_jar_t *jar, uint32_t offset, const cc__cookie_t *c, const uint8_t *path,
                     size_t path_length, int secure_channel) {
    if ((c->flags & CC__COOKIE_SECURE) && !secure_channel) {
        return 0;
    }
    return cc__path_match(path, path_length, cc__path(jar, offset, c), c->path_length);
}

size_t cc_cookie_jar_header(cc_cookie_jar_t *jar, const uint8_t *path, size_t path_length, int64_t now_s,
                            int secure_channel, uint8_t *out, size_t capacity) {
    cc__purge(jar, now_s);
    static const uint8_t root[] = "/";
    path_length = path != NULL ? cc__path_part(path, path_length) : 0;
    if (path_length == 0) {
        path = root; /* an empty path is the root (RFC 9110 4.2.3) */
        path_length = 1;
    }
    size_t total = 0;
    for (uint32_t offset = 0; offset < jar->used;) {
        cc__cookie_t c;
        cc__read(jar, offset, &c);
        if (cc__sends(jar, offset, &c, path, path_length, secure_channel)) {
            total += (total > 0 ? 2 : 0) + c.name_length + 1 + c.value_length;
        }
        offset += cc__entry_size(&c);
    }
    if (total == 0 || total > capacity || out == NULL) {
        return total; /* a NULL buffer only asks for the length */
    }
    uint8_t *w = out;
    for (uint32_t offset = 0; offset < jar->used;) {
        cc__cookie_t c;
        cc__read(jar, offset, &c);
        if (cc__sends(jar, offset, &c, path, path_length, secure_channel)) {
            if (w != out) {
                *w++ = ';';
                *w++ = ' ';
            }
            memcpy(w, cc__name(jar, offset), c.name_length);
            w += c.name_length;
            *w++ = '=';
            memcpy(w, cc__value(jar, offset, &c), c.value_length);
            w += c.value_length;
        }
        offset += cc__entry_size(&c);
    }
    return total;
}
