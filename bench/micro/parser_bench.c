/* parser_bench: the cost of Cicada's response parser (cc_response_parser_reset/feed) per response.
 *
 * A corpus of realistic HTTP/1.1 responses, each parsed again and again from one buffer: fed whole,
 * then fed in 512-byte pieces (what a read of a small socket buffer hands the parser). Each line is
 * the median of BATCHES timed batches, sized so that a line takes about --time seconds (default 0.5),
 * with the fastest and slowest batch beside it so that a noisy figure shows as one. Time is the
 * thread's CPU time, so that being descheduled on a shared machine does not count; what other
 * processes do to the caches still does.
 *
 *     bench/micro/build.sh && bench/.work/micro/parser_bench [--time SECONDS]
 *
 * MB/s counts every byte of the response, head and body, in 10^6 bytes per second.
 */
#include "cicada_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCHES 5
#define PIECE 512

typedef struct corpus_entry_s {
    const char *name;
    char *bytes;
    size_t length;
    uint16_t status;
    uint64_t body_bytes; /* what the parser must count: the payload, chunk framing excluded */
} corpus_entry_t;

/* Appends to a growing buffer; the corpus is built once, before any timing. */
typedef struct text_s {
    char *data;
    size_t length, capacity;
} text_t;

static void text_add(text_t *t, const char *bytes, size_t n) {
    if (t->length + n + 1 > t->capacity) {
        t->capacity = (t->length + n + 1) * 2;
        t->data = realloc(t->data, t->capacity);
        if (t->data == NULL) abort();
    }
    memcpy(t->data + t->length, bytes, n);
    t->length += n;
    t->data[t->length] = '\0';
}

static void text_puts(text_t *t, const char *s) {
    text_add(t, s, strlen(s));
}

static void text_printf(text_t *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(text_t *t, const char *format, ...) {
    char line[4096];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= sizeof line) abort();
    text_add(t, line, (size_t)n);
}

static const char DATE[] = "Date: Sat, 29 Nov 2026 09:00:00 GMT\r\n";

/* A small JSON answer as an Express app behind nginx sends it. */
static corpus_entry_t small_json(void) {
    const char *body = "{\"id\":4217,\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\",\"active\":true,"
                       "\"roles\":[\"admin\",\"editor\"],\"updated_at\":\"2026-11-29T09:00:00.000Z\"}";
    text_t t = {0};
    text_printf(&t, "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n%s", DATE);
    text_printf(&t, "Content-Type: application/json; charset=utf-8\r\nContent-Length: %zu\r\n"
                    "Connection: keep-alive\r\nX-Powered-By: Express\r\n"
                    "ETag: W/\"8f-Jk2oSWdbnT0bJx4oS5W0y3DdN6c\"\r\nVary: Accept-Encoding\r\n\r\n",
                strlen(body));
    text_puts(&t, body);
    return (corpus_entry_t){"small JSON 200 (nginx + Express headers)", t.data, t.length, 200, strlen(body)};
}

/* A chunked answer of several chunks of different sizes, one with an extension, ending with an
 * empty trailer section (RFC 9112 7.1). */
static corpus_entry_t chunked(void) {
    static const size_t sizes[] = {128, 1024, 17, 4000, 512, 1};
    text_t t = {0};
    text_printf(&t, "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n%s", DATE);
    text_puts(&t, "Content-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n"
                  "Connection: keep-alive\r\nX-Powered-By: Express\r\n\r\n");
    uint64_t body = 0;
    char data[4096];
    memset(data, 'c', sizeof data);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (i == 2)
            text_printf(&t, "%zx;name=value\r\n", sizes[i]);
        else
            text_printf(&t, "%zx\r\n", sizes[i]);
        text_add(&t, data, sizes[i]);
        text_puts(&t, "\r\n");
        body += sizes[i];
    }
    text_puts(&t, "0\r\n\r\n");
    return (corpus_entry_t){"chunked, 6 chunks, 5682 B of data", t.data, t.length, 200, body};
}

/* A conditional GET's answer: no body by definition (RFC 9110 15.4.5). */
static corpus_entry_t not_modified(void) {
    text_t t = {0};
    text_printf(&t, "HTTP/1.1 304 Not Modified\r\nServer: nginx/1.22.1\r\n%s", DATE);
    text_puts(&t, "Last-Modified: Tue, 18 Nov 2026 14:22:05 GMT\r\nConnection: keep-alive\r\n"
                  "ETag: \"673b4a3d-1f4a\"\r\nCache-Control: max-age=3600\r\n\r\n");
    return (corpus_entry_t){"304 Not Modified, no body", t.data, t.length, 304, 0};
}

/* A 16 KiB static file. */
static corpus_entry_t large_body(void) {
    enum { SIZE = 16 * 1024 };
    text_t t = {0};
    text_printf(&t, "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n%s", DATE);
    text_printf(&t, "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n"
                    "Last-Modified: Tue, 18 Nov 2026 14:22:05 GMT\r\nConnection: keep-alive\r\n"
                    "ETag: \"673b4a3d-4000\"\r\nAccept-Ranges: bytes\r\n\r\n", SIZE);
    char *data = malloc(SIZE);
    if (data == NULL) abort();
    memset(data, 'b', SIZE);
    text_add(&t, data, SIZE);
    free(data);
    return (corpus_entry_t){"16 KiB body", t.data, t.length, 200, SIZE};
}

/* Twenty header lines (Server, Date, Content-Type, Content-Length and 16 more), as an application
 * behind a CDN or a security middleware sends them. */
static corpus_entry_t many_headers(void) {
    const char *body = "{\"ok\":true}";
    text_t t = {0};
    text_printf(&t, "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n%s", DATE);
    text_printf(&t, "Content-Type: application/json; charset=utf-8\r\nContent-Length: %zu\r\n", strlen(body));
    text_puts(&t,
              "Connection: keep-alive\r\n"
              "Cache-Control: private, no-cache, no-store, must-revalidate\r\n"
              "Pragma: no-cache\r\n"
              "Expires: 0\r\n"
              "Vary: Accept-Encoding, Origin\r\n"
              "X-Request-Id: 9f1c2e7a-5b3d-4c8e-a1f0-6d2b8e4c7a90\r\n"
              "X-Frame-Options: SAMEORIGIN\r\n"
              "X-Content-Type-Options: nosniff\r\n"
              "X-XSS-Protection: 0\r\n"
              "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
              "Referrer-Policy: strict-origin-when-cross-origin\r\n"
              "Content-Security-Policy: default-src 'self'; img-src 'self' data:; frame-ancestors 'none'\r\n"
              "Access-Control-Allow-Origin: https://app.example.com\r\n"
              "Access-Control-Allow-Credentials: true\r\n"
              "Set-Cookie: session=eyJ1c2VyIjo0MjE3fQ.ZmFrZQ; Path=/; HttpOnly; Secure; SameSite=Lax\r\n"
              "X-Powered-By: Express\r\n"
              "\r\n");
    text_puts(&t, body);
    return (corpus_entry_t){"20 header lines, small body", t.data, t.length, 200, strlen(body)};
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint64_t sink; /* keeps the results alive */

/* Parses the response `iterations` times, in pieces of `piece` bytes (0: whole). Returns 0, or -1 when
 * a parse does not end as expected (the corpus or the parser is wrong: no figure then). */
static int parse_many(const corpus_entry_t *e, size_t piece, long iterations) {
    const uint8_t *bytes = (const uint8_t *)e->bytes;
    uint64_t total = 0;
    for (long i = 0; i < iterations; i++) {
        cc_response_parser_t parser;
        cc_response_parser_reset(&parser, 0);
        if (piece == 0) {
            if (cc_response_parser_feed(&parser, bytes, e->length) != (long)e->length) return -1;
        } else {
            for (size_t at = 0; at < e->length; at += piece) {
                size_t n = e->length - at < piece ? e->length - at : piece;
                if (cc_response_parser_feed(&parser, bytes + at, n) != (long)n) return -1;
            }
        }
        if (!parser.complete || parser.status != e->status || parser.body_bytes != e->body_bytes) return -1;
        total += parser.body_bytes;
    }
    sink += total;
    return 0;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench_line(const corpus_entry_t *e, size_t piece, double seconds) {
    /* Calibrate: double the count until a batch takes at least 20 ms, then size the batches. */
    long n = 64;
    double t;
    for (;;) {
        double t0 = now_s();
        if (parse_many(e, piece, n) != 0) {
            fprintf(stderr, "parser_bench: %s: the parse did not end as expected\n", e->name);
            return -1;
        }
        t = now_s() - t0;
        if (t >= 0.02) break;
        n *= 2;
    }
    long per_batch = (long)((double)n * (seconds / BATCHES) / t);
    if (per_batch < 1) per_batch = 1;
    double ns[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_s();
        parse_many(e, piece, per_batch);
        ns[b] = (now_s() - t0) * 1e9 / (double)per_batch;
    }
    qsort(ns, BATCHES, sizeof ns[0], compare_double);
    double median = ns[BATCHES / 2];
    char how[32];
    snprintf(how, sizeof how, piece ? "%zu-byte pieces" : "whole", piece);
    printf("%-42s %-16s %7zu %12.1f %9.1f–%-9.1f %10.0f %12ld\n", e->name, how, e->length, median, ns[0],
           ns[BATCHES - 1], (double)e->length / median * 1e3, per_batch * BATCHES);
    return 0;
}

int main(int argc, char **argv) {
    double seconds = 0.5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--time SECONDS_PER_LINE]\n", argv[0]);
            return 2;
        }
    }
    if (!(seconds > 0)) seconds = 0.5;
    corpus_entry_t corpus[] = {small_json(), chunked(), not_modified(), large_body(), many_headers()};
    size_t count = sizeof corpus / sizeof corpus[0];
    printf("parser_bench: cc_response_parser_reset + feed, CPU time, median of %d batches (~%.2f s per line)\n",
           BATCHES, seconds);
    printf("%-42s %-16s %7s %12s %-19s %10s %12s\n", "response", "fed", "bytes", "ns/response", "  (min–max)",
           "MB/s", "responses");
    int failed = 0;
    for (size_t piece = 0; piece <= PIECE; piece += PIECE)
        for (size_t i = 0; i < count; i++) failed |= bench_line(&corpus[i], piece, seconds);
    for (size_t i = 0; i < count; i++) free(corpus[i].bytes);
    return failed ? 1 : 0;
}
