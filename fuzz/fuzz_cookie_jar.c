/*
 * libFuzzer entry point for the cookie jar (Sources/CCicadaCore/cookie_jar.c), which it includes so
 * that it can walk the arena and check the layout's invariants after every call.
 *
 * Input layout: byte 0 chooses the setting, the rest is lines of operations.
 *   bit 0      the channel is secure (https)
 *   bits 1-2   the host: api.example.com, example.com, 127.0.0.1 or localhost
 *   bits 3-5   the arena's size: 0, 40, 64, 128, 256, 512, 1024 or 4096 bytes
 * Each line (split at '\n') is one operation; its first byte says which:
 *   bits 0-3   the clock advances by that many times 7 seconds first
 *   bit 4      1: write the Cookie header for the path that is the rest of the line; 0: store the rest
 *              of the line as a Set-Cookie value
 *   bit 5      flip the channel's security for this operation
 *   bits 6-7   for a store, the request path: "/", "/a/b", "/a/b/c?x=/y" or ""
 *
 * Checked after every operation: the entries fill exactly `used` bytes and number `count`, sorted by
 * path length, no two with the same name, domain and path, none expired after a purge, no control
 * byte in any; a store that fails leaves the arena as it was, one that succeeds leaves the cookie
 * there; a header lists exactly the cookies that RFC 6265 5.4 says, in its order, and a buffer one
 * byte short gets nothing written. Any breach aborts, which libFuzzer records as a crash.
 */
#include "../Sources/CCicadaCore/cookie_jar.c"

#include <stdio.h>
#include <stdlib.h>

#define CC__FUZZ_CHECK(condition)                                                             \
    do {                                                                                      \
        if (!(condition)) {                                                                   \
            fprintf(stderr, "fuzz_cookie_jar: %s:%d: %s\n", __FILE__, __LINE__, #condition); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

static const char *const cc__fuzz_hosts[4] = {"api.example.com", "example.com", "127.0.0.1", "localhost"};
static const uint32_t cc__fuzz_arenas[8] = {0, 40, 64, 128, 256, 512, 1024, 4096};
static const char *const cc__fuzz_request_paths[4] = {"/", "/a/b", "/a/b/c?x=/y", ""};

/* Walks the arena: every invariant of the layout. */
static void cc__fuzz_check_jar(const cc_cookie_jar_t *jar, int64_t purged_at, int purged) {
    CC__FUZZ_CHECK(jar->used <= jar->capacity);
    uint32_t offset = 0, count = 0;
    unsigned previous_path = UINT32_MAX;
    while (offset < jar->used) {
        CC__FUZZ_CHECK(jar->used - offset >= sizeof(cc__cookie_t));
        cc__cookie_t c;
        cc__read(jar, offset, &c);
        const uint32_t size = cc__entry_size(&c);
        CC__FUZZ_CHECK(size <= jar->used - offset);
        CC__FUZZ_CHECK(c.name_length > 0 && c.name_length + c.value_length <= CC_COOKIE_MAX_NAME_VALUE);
        CC__FUZZ_CHECK(c.path_length > 0 && cc__path(jar, offset, &c)[0] == '/');
        CC__FUZZ_CHECK(c.domain_length > 0);
        CC__FUZZ_CHECK(c.stored > 0 && c.stored <= jar->stores_);
        CC__FUZZ_CHECK(c.path_length <= previous_path); /* RFC 6265 5.4: longer paths first */
        previous_path = c.path_length;
        CC__FUZZ_CHECK(!purged || !cc__expired(c.expires_s, purged_at));
        const uint8_t *bytes = cc__name(jar, offset);
        for (uint32_t k = 0; k < size - sizeof(cc__cookie_t); k++) {
            CC__FUZZ_CHECK(!cc__ctl(bytes[k]));
        }
        for (uint32_t k = 0; k < c.name_length; k++) {
            CC__FUZZ_CHECK(bytes[k] != '=' && bytes[k] != ';');
        }
        const uint8_t *domain = cc__domain(jar, offset, &c);
        for (uint32_t k = 0; k < c.domain_length; k++) {
            CC__FUZZ_CHECK(!(domain[k] >= 'A' && domain[k] <= 'Z'));
        }
        /* No other entry has the same name, domain and path. */
        for (uint32_t other = offset + size; other < jar->used;) {
            cc__cookie_t o;
            cc__read(jar, other, &o);
            CC__FUZZ_CHECK(!(o.name_length == c.name_length && o.path_length == c.path_length &&
                             o.domain_length == c.domain_length &&
                             memcmp(cc__name(jar, other), bytes, c.name_length) == 0 &&
                             memcmp(cc__path(jar, other, &o), cc__path(jar, offset, &c), c.path_length) == 0 &&
                             memcmp(cc__domain(jar, other, &o), domain, c.domain_length) == 0));
            other += cc__entry_size(&o);
        }
        offset += size;
        count++;
    }
    CC__FUZZ_CHECK(offset == jar->used);
    CC__FUZZ_CHECK(count == jar->count);
}

static void cc__fuzz_store(cc_cookie_jar_t *jar, const uint8_t *line, size_t length, const char *host,
                           const char *request_path, int64_t now, int secure) {
    uint8_t *value = malloc(length ? length : 1); /* exactly sized: an over-read is caught */
    CC__FUZZ_CHECK(value != NULL);
    memcpy(value, line, length);
    const size_t path_length = strlen(request_path);
    uint8_t *path = malloc(path_length ? path_length : 1);
    CC__FUZZ_CHECK(path != NULL);
    memcpy(path, request_path, path_length);

    uint8_t *before = malloc(jar->capacity ? jar->capacity : 1);
    CC__FUZZ_CHECK(before != NULL);
    memcpy(before, jar->arena, jar->capacity);
    const cc_cookie_jar_t was = *jar;

    const int result = cc_cookie_jar_store(jar, value, length, host, path, path_length, now, secure);
    CC__FUZZ_CHECK(result >= 0 && result < CC_COOKIE__RESULT_COUNT);

    size_t name_offset, name_length, value_offset, value_length;
    const int pair = cc_cookie_parse_pair(value, length, &name_offset, &name_length, &value_offset, &value_length);
    if (pair == 0) {
        CC__FUZZ_CHECK(name_length > 0 && name_offset + name_length <= length && value_offset + value_length <= length);
        CC__FUZZ_CHECK(!cc__wsp(value[name_offset]) && !cc__wsp(value[name_offset + name_length - 1]));
        CC__FUZZ_CHECK(value_length == 0 || (!cc__wsp(value[value_offset]) && !cc__wsp(value[value_offset + value_length - 1])));
    } else {
        CC__FUZZ_CHECK(pair == CC_EINVAL);
        CC__FUZZ_CHECK(result == CC_COOKIE_MALFORMED);
    }

    if (result == CC_COOKIE_MALFORMED || result == CC_COOKIE_REFUSED || result == CC_COOKIE_TOO_LARGE) {
        /* Refused before anything changed: not even a purge. */
        CC__FUZZ_CHECK(jar->used == was.used && jar->count == was.count && jar->dropped == was.dropped);
        CC__FUZZ_CHECK(memcmp(before, jar->arena, jar->used) == 0);
        cc__fuzz_check_jar(jar, now, 0);
    } else {
        CC__FUZZ_CHECK(pair == 0);
        cc__fuzz_check_jar(jar, now, 1);
    }
    if (result == CC_COOKIE_STORED) {
        /* The cookie is there, with its value, as the newest stored. */
        int there = 0;
        for (uint32_t offset = 0; offset < jar->used;) {
            cc__cookie_t c;
            cc__read(jar, offset, &c);
            if (c.stored == jar->stores_) {
                CC__FUZZ_CHECK(!there);
                there = 1;
                CC__FUZZ_CHECK(c.name_length == name_length && memcmp(cc__name(jar, offset), value + name_offset, name_length) == 0);
                CC__FUZZ_CHECK(c.value_length == value_length &&
                               memcmp(cc__value(jar, offset, &c), value + value_offset, value_length) == 0);
                CC__FUZZ_CHECK(secure || !(c.flags & CC__COOKIE_SECURE));
            }
            offset += cc__entry_size(&c);
        }
        CC__FUZZ_CHECK(there);
        CC__FUZZ_CHECK(jar->stores_ == was.stores_ + 1);
    } else {
        CC__FUZZ_CHECK(jar->stores_ == was.stores_);
    }
    if (result == CC_COOKIE_DELETED) {
        CC__FUZZ_CHECK(jar->count <= was.count && jar->dropped == was.dropped);
    }
    free(before);
    free(path);
    free(value);
}

static void cc__fuzz_header(cc_cookie_jar_t *jar, const uint8_t *line, size_t length, int64_t now, int secure) {
    uint8_t *path = malloc(length ? length : 1);
    CC__FUZZ_CHECK(path != NULL);
    memcpy(path, line, length);

    const size_t needed = cc_cookie_jar_header(jar, path, length, now, secure, NULL, 0);
    cc__fuzz_check_jar(jar, now, 1);
    uint8_t *out = malloc(needed + 1);
    CC__FUZZ_CHECK(out != NULL);
    memset(out, 0xEE, needed + 1);
    if (needed > 0) {
        CC__FUZZ_CHECK(cc_cookie_jar_header(jar, path, length, now, secure, out, needed - 1) == needed);
        for (size_t k = 0; k <= needed; k++) {
            CC__FUZZ_CHECK(out[k] == 0xEE);
        }
    }
    CC__FUZZ_CHECK(cc_cookie_jar_header(jar, path, length, now, secure, out, needed) == needed);
    CC__FUZZ_CHECK(out[needed] == 0xEE);

    /* What RFC 6265 5.4 says the header holds, in the arena's order, which the jar check proved sorted. */
    size_t request_length = cc__path_part(path, length);
    const uint8_t *request = path;
    if (request_length == 0) {
        request = (const uint8_t *)"/";
        request_length = 1;
    }
    size_t at = 0;
    for (uint32_t offset = 0; offset < jar->used;) {
        cc__cookie_t c;
        cc__read(jar, offset, &c);
        const int secure_ok = secure || !(c.flags & CC__COOKIE_SECURE);
        if (secure_ok && cc__path_match(request, request_length, cc__path(jar, offset, &c), c.path_length)) {
            if (at > 0) {
                CC__FUZZ_CHECK(at + 2 <= needed && out[at] == ';' && out[at + 1] == ' ');
                at += 2;
            }
            CC__FUZZ_CHECK(at + c.name_length + 1 + c.value_length <= needed);
            CC__FUZZ_CHECK(memcmp(out + at, cc__name(jar, offset), c.name_length) == 0);
            at += c.name_length;
            CC__FUZZ_CHECK(out[at++] == '=');
            CC__FUZZ_CHECK(memcmp(out + at, cc__value(jar, offset, &c), c.value_length) == 0);
            at += c.value_length;
        }
        offset += cc__entry_size(&c);
    }
    CC__FUZZ_CHECK(at == needed);
    free(out);
    free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const uint8_t setting = data[0];
    const int secure_channel = setting & 1;
    const char *host = cc__fuzz_hosts[setting >> 1 & 3];
    const uint32_t capacity = cc__fuzz_arenas[setting >> 3 & 7];
    data++;
    size--;

    uint8_t *arena = malloc(capacity + 16);
    CC__FUZZ_CHECK(arena != NULL);
    memset(arena + capacity, 0x5A, 16);
    cc_cookie_jar_t jar;
    cc_cookie_jar_init(&jar, arena, capacity);
    int64_t now = 784111777 - 3600; /* an hour before RFC 9110's example date, which seeds use */

    size_t start = 0;
    while (start < size) {
        size_t end = start;
        while (end < size && data[end] != '\n') {
            end++;
        }
        if (end > start) {
            const uint8_t op = data[start];
            now += (int64_t)(op & 15) * 7;
            const int secure = secure_channel ^ (op >> 5 & 1);
            const uint8_t *rest = data + start + 1;
            const size_t rest_length = end - start - 1;
            if (op & 16) {
                cc__fuzz_header(&jar, rest, rest_length, now, secure);
            } else {
                cc__fuzz_store(&jar, rest, rest_length, host, cc__fuzz_request_paths[op >> 6], now, secure);
            }
            for (size_t k = 0; k < 16; k++) {
                CC__FUZZ_CHECK(arena[capacity + k] == 0x5A);
            }
        }
        start = end + 1;
    }
    free(arena);
    return 0;
}
