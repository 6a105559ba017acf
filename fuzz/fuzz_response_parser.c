/*
 * libFuzzer entry point for the response parser (Sources/CCicadaCore/response_parser.c).
 *
 * Input layout: byte 0 chooses the mode, a few configuration bytes may follow, the rest is what a
 * server sent.
 *   bit 0      the request was HEAD (cc_response_parser_reset's head_request)
 *   bits 1-2   how the bytes are cut for the second pass: 0 byte by byte, 1-3 that many cut points,
 *              each taken from the next two bytes (little-endian, modulo the length)
 *   bit 3      amplify: the next four bytes say where (two bytes, modulo the length), which pattern
 *              (the 1 to 16 bytes found there) and how long (a byte, times 320: up to 81600 bytes) a
 *              repeated run is inserted, so that inputs small enough to mutate reach the 16 KiB line
 *              and 64 KiB section limits
 *
 * The bytes are parsed twice as a connection would carry them: up to CC__FUZZ_RESPONSES responses back
 * to back, the parser reset after each complete one and fed what the previous one left. The first pass
 * feeds everything at once, the second feeds the cut pieces, each copied into its own allocation of
 * exactly its size so that AddressSanitizer catches a read past the end of a piece. Both passes must
 * report the same responses; every call must keep the contract in cicada_core.h. Any disagreement
 * aborts, which libFuzzer records as a crash.
 */
#include "cicada_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CC__FUZZ_RESPONSES 4
#define CC__FUZZ_MAX_CUTS 3

typedef struct cc__fuzz_outcome_s {
    int result; /* 1 complete, 2 completed by the close, 0 incomplete at the close, -1 failed */
    size_t consumed;
    uint64_t body_bytes;
    uint16_t status;
    uint8_t http_minor;
    uint8_t keep_alive;
    uint8_t until_close;
    uint8_t error;
} cc__fuzz_outcome_t;

typedef struct cc__fuzz_session_s {
    cc__fuzz_outcome_t outcomes[CC__FUZZ_RESPONSES];
    int count;
} cc__fuzz_session_t;

#define CC__FUZZ_CHECK(condition)                                                                \
    do {                                                                                         \
        if (!(condition)) {                                                                      \
            fprintf(stderr, "fuzz_response_parser: %s:%d: %s\n", __FILE__, __LINE__, #condition); \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

static void cc__fuzz_record(cc__fuzz_outcome_t *outcome, const cc_response_parser_t *parser, int result,
                            size_t consumed) {
    memset(outcome, 0, sizeof *outcome);
    outcome->result = result;
    outcome->consumed = result < 0 ? 0 : consumed; /* a failed feed reports no count */
    outcome->body_bytes = parser->body_bytes;
    outcome->status = parser->status;
    outcome->http_minor = parser->http_minor;
    outcome->keep_alive = parser->keep_alive;
    outcome->until_close = parser->until_close;
    outcome->error = parser->error;

    CC__FUZZ_CHECK(parser->status == 0 || (parser->status >= 100 && parser->status <= 999));
    CC__FUZZ_CHECK(parser->http_minor <= 1);
    CC__FUZZ_CHECK((result < 0) == (parser->error != CC_PARSE_OK));
    CC__FUZZ_CHECK(parser->error < CC_PARSE__COUNT);
    CC__FUZZ_CHECK(result < 0 || parser->body_bytes <= consumed);
    if (result > 0) {
        CC__FUZZ_CHECK(parser->complete);
        CC__FUZZ_CHECK(parser->status >= 200 || parser->status == 101);
        CC__FUZZ_CHECK(!parser->until_close || !parser->keep_alive);
        CC__FUZZ_CHECK(!parser->head_request || parser->body_bytes == 0);
        CC__FUZZ_CHECK(parser->until_close == (result == 2));
    }
}

/* Feeds one piece to the session's current parser, starting new responses for what a complete one
 * leaves. Returns 0 when the session is over (an error, or the last response it parses is complete). */
static int cc__fuzz_feed(cc__fuzz_session_t *session, cc_response_parser_t *parser, int head_request,
                         size_t *consumed, const uint8_t *piece, size_t length) {
    while (length > 0) {
        const long n = cc_response_parser_feed(parser, piece, length);
        if (n < 0) {
            CC__FUZZ_CHECK(n == -1);
            /* Errors are sticky: more bytes, no bytes and the close all report the failure again. */
            CC__FUZZ_CHECK(cc_response_parser_feed(parser, piece, length) == -1);
            CC__FUZZ_CHECK(cc_response_parser_feed(parser, piece, 0) == -1);
            CC__FUZZ_CHECK(cc_response_parser_finish(parser) == -1);
            cc__fuzz_record(&session->outcomes[session->count++], parser, -1, *consumed);
            return 0;
        }
        CC__FUZZ_CHECK((size_t)n <= length);
        *consumed += (size_t)n;
        if (!parser->complete) {
            CC__FUZZ_CHECK((size_t)n == length); /* only a complete response leaves bytes behind */
            return 1;
        }
        /* Complete: nothing more is consumed, and the close changes nothing. */
        CC__FUZZ_CHECK(cc_response_parser_feed(parser, piece + n, length - (size_t)n) == 0);
        CC__FUZZ_CHECK(cc_response_parser_finish(parser) == 1);
        cc__fuzz_record(&session->outcomes[session->count++], parser, 1, *consumed);
        if (session->count == CC__FUZZ_RESPONSES) {
            return 0;
        }
        cc_response_parser_reset(parser, head_request);
        *consumed = 0;
        piece += n;
        length -= (size_t)n;
    }
    return 1;
}

/* Parses `data` fed as the pieces that end at cuts[0..cut_count) and at `size`. */
static void cc__fuzz_session(cc__fuzz_session_t *session, const uint8_t *data, size_t size, int head_request,
                             const size_t *cuts, size_t cut_count) {
    memset(session, 0, sizeof *session);
    cc_response_parser_t parser;
    cc_response_parser_reset(&parser, head_request);
    size_t consumed = 0;
    size_t start = 0;
    int running = 1;
    for (size_t i = 0; running && i <= cut_count; i++) {
        const size_t stop = i < cut_count ? cuts[i] : size;
        if (stop <= start) {
            continue;
        }
        const size_t length = stop - start;
        uint8_t *piece = malloc(length);
        CC__FUZZ_CHECK(piece != NULL);
        memcpy(piece, data + start, length);
        running = cc__fuzz_feed(session, &parser, head_request, &consumed, piece, length);
        free(piece);
        start = stop;
    }
    if (running) {
        /* The connection closes: that completes a body delimited by the close, and nothing else. */
        const int finished = cc_response_parser_finish(&parser);
        CC__FUZZ_CHECK(finished == 0 || finished == 1);
        CC__FUZZ_CHECK(finished == parser.until_close);
        CC__FUZZ_CHECK(cc_response_parser_finish(&parser) == finished);
        if (finished) {
            CC__FUZZ_CHECK(cc_response_parser_feed(&parser, data, size) == 0);
        }
        cc__fuzz_record(&session->outcomes[session->count++], &parser, finished ? 2 : 0, consumed);
    }
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
    const int head_request = mode & 1;
    const int byte_by_byte = (mode >> 1 & 3) == 0;
    size_t cut_count = mode >> 1 & 3;
    data++;
    size--;

    uint16_t raw_cuts[CC__FUZZ_MAX_CUTS];
    if (size < 2 * cut_count) {
        cut_count = size / 2;
    }
    for (size_t i = 0; i < cut_count; i++) {
        raw_cuts[i] = (uint16_t)(data[2 * i] | data[2 * i + 1] << 8);
    }
    data += 2 * cut_count;
    size -= 2 * cut_count;

    /* The response, in an allocation of exactly its size. */
    uint8_t *response;
    if ((mode & 8) && size >= 4) {
        const size_t at = (size_t)(data[0] | data[1] << 8) % (size - 4 + 1);
        const size_t pattern_length = 1 + data[2] % 16;
        const size_t run = (size_t)data[3] * 320;
        data += 4;
        size -= 4;
        const uint8_t *pattern = data + at;
        const size_t available = size - at;
        const size_t used = available < pattern_length ? available : pattern_length;
        response = malloc(size + (used ? run : 0) + 1);
        CC__FUZZ_CHECK(response != NULL);
        memcpy(response, data, at);
        size_t length = at;
        for (size_t i = 0; used && i < run; i++) {
            response[length++] = pattern[i % used];
        }
        memcpy(response + length, data + at, size - at);
        size = length + size - at;
        uint8_t *exact = realloc(response, size ? size : 1);
        CC__FUZZ_CHECK(exact != NULL);
        response = exact;
    } else {
        response = malloc(size ? size : 1);
        CC__FUZZ_CHECK(response != NULL);
        memcpy(response, data, size);
    }

    cc__fuzz_session_t whole;
    cc__fuzz_session(&whole, response, size, head_request, NULL, 0);

    cc__fuzz_session_t pieces;
    if (byte_by_byte) {
        size_t *cuts = malloc((size + 1) * sizeof *cuts);
        CC__FUZZ_CHECK(cuts != NULL);
        for (size_t i = 0; i < size; i++) {
            cuts[i] = i + 1;
        }
        cc__fuzz_session(&pieces, response, size, head_request, cuts, size);
        free(cuts);
    } else {
        size_t cuts[CC__FUZZ_MAX_CUTS];
        for (size_t i = 0; i < cut_count; i++) {
            cuts[i] = raw_cuts[i] % (size + 1);
        }
        qsort(cuts, cut_count, sizeof cuts[0], cc__fuzz_compare_sizes);
        cc__fuzz_session(&pieces, response, size, head_request, cuts, cut_count);
    }
    free(response);

    CC__FUZZ_CHECK(whole.count == pieces.count);
    for (int i = 0; i < whole.count; i++) {
        const cc__fuzz_outcome_t *a = &whole.outcomes[i];
        const cc__fuzz_outcome_t *b = &pieces.outcomes[i];
        CC__FUZZ_CHECK(a->result == b->result);
        CC__FUZZ_CHECK(a->error == b->error);
        CC__FUZZ_CHECK(a->consumed == b->consumed);
        CC__FUZZ_CHECK(a->status == b->status);
        CC__FUZZ_CHECK(a->body_bytes == b->body_bytes);
        CC__FUZZ_CHECK(a->http_minor == b->http_minor);
        CC__FUZZ_CHECK(a->keep_alive == b->keep_alive);
        CC__FUZZ_CHECK(a->until_close == b->until_close);
    }
    return 0;
}
