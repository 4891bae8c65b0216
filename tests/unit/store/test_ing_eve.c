/* Unit tests of batch validation (correlator/ingest/ing_eve.c): a table of
 * NDJSON bodies -> accepted count or (status, line), gzip handling
 * (round trip, truncated stream, gzip bomb) and RFC 3339 times. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../runner.h"
#include "ingest/ing_eve.h"

static const struct ing_limits lim = { 1 << 20, 4096, 1000 };

#define EV(seq) "{\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\",\"canh\":{\"id\":\"s1:" #seq \
                "\",\"sensor\":\"s1\",\"seq\":" #seq "}}"

static const struct {
    const char *name, *body;
    int status, line, count; /* status 0: accepted with count events */
} cases[] = {
    { "two events", EV(1) "\n" EV(2) "\n", 0, 0, 2 },
    { "no final newline, CRLF, blank lines", EV(1) "\r\n\n  \n" EV(2), 0, 0, 2 },
    { "malformed JSON on line 2", EV(1) "\n{\"event_type\":\n", 400, 2, 0 },
    { "array, not object", "[1,2]\n", 400, 1, 0 },
    { "missing canh", "{\"event_type\":\"dns\"}\n", 400, 1, 0 },
    { "seq not integer", "{\"canh\":{\"id\":\"s1:1\",\"sensor\":\"s1\",\"seq\":\"1\"}}", 400, 1, 0 },
    { "id does not match sensor:seq",
      "{\"canh\":{\"id\":\"s1:2\",\"sensor\":\"s1\",\"seq\":1}}", 400, 1, 0 },
    { "negative seq", "{\"canh\":{\"id\":\"s1:-1\",\"sensor\":\"s1\",\"seq\":-1}}", 400, 1, 0 },
    { "other sensor", EV(1) "\n{\"canh\":{\"id\":\"s2:1\",\"sensor\":\"s2\",\"seq\":1}}", 403, 2,
      0 },
    { "empty body", "\n\n", 400, 0, 0 },
    { "two objects on one line", EV(1) " " EV(2) "\n", 400, 1, 0 },
};

TEST(ing_eve_table)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct ing_error err;
        struct ing_batch *b = ing_eve_parse(cases[i].body, strlen(cases[i].body), false, "s1",
                                            &lim, &err);
        if (cases[i].status == 0) {
            if (!b)
                fprintf(stderr, "case '%s': rejected: %d %s\n", cases[i].name, err.status,
                        err.msg);
            CHECK(b != NULL);
            CHECK_EQ_INT(ing_batch_count(b), cases[i].count);
        } else {
            if (b)
                fprintf(stderr, "case '%s': accepted\n", cases[i].name);
            CHECK(b == NULL);
            CHECK_EQ_INT(err.status, cases[i].status);
            CHECK_EQ_INT(err.line, cases[i].line);
            CHECK(err.msg[0] != '\0');
        }
        ing_batch_free(b);
    }
}

TEST(ing_eve_columns_extracted)
{
    const char *body = "{\"timestamp\":\"2026-11-27T02:56:47.123456+00:00\",\"flow_id\":77,"
                       "\"event_type\":\"alert\",\"src_ip\":\"10.1.1.1\",\"dest_ip\":\"10.2.2.2\","
                       "\"alert\":{\"signature_id\":2001,\"severity\":2},"
                       "\"canh\":{\"id\":\"s1:9\",\"sensor\":\"s1\",\"seq\":9}}";
    struct ing_error err;
    struct ing_batch *b = ing_eve_parse(body, strlen(body), false, "s1", &lim, &err);
    CHECK(b != NULL);
    if (!b)
        return;
    const struct ing_event *ev = ing_batch_get(b, 0);
    CHECK_EQ_STR(ev->in.canh_id, "s1:9");
    CHECK_EQ_INT(ev->in.seq, 9);
    CHECK_EQ_STR(ev->in.event_type, "alert");
    CHECK_EQ_STR(ev->in.dest_ip, "10.2.2.2");
    CHECK_EQ_INT(ev->in.sig_id, 2001);
    CHECK_EQ_INT(ev->in.severity, 2);
    CHECK_EQ_INT(ev->in.flow_id, 77);
    CHECK_EQ_INT(ev->in.ts_us, 1795748207123456LL);
    CHECK_EQ_INT(ev->in.raw_len, strlen(body));
    ing_batch_free(b);
}

static size_t gz(const char *in, size_t len, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

TEST(ing_eve_gzip_round_trip_and_truncation)
{
    const char *body = EV(1) "\n" EV(2) "\n" EV(3) "\n";
    unsigned char buf[4096];
    size_t n = gz(body, strlen(body), buf, sizeof buf);
    struct ing_error err;
    struct ing_batch *b = ing_eve_parse((char *)buf, n, true, "s1", &lim, &err);
    CHECK(b != NULL);
    CHECK_EQ_INT(ing_batch_count(b), 3);
    ing_batch_free(b);
    /* Two gzip members back to back are one batch. */
    unsigned char two[8192];
    memcpy(two, buf, n);
    memcpy(two + n, buf, n);
    b = ing_eve_parse((char *)two, 2 * n, true, "s1", &lim, &err);
    CHECK_EQ_INT(ing_batch_count(b), 6);
    ing_batch_free(b);
    for (size_t cut = 1; cut < n; cut += 7) {
        b = ing_eve_parse((char *)buf, n - cut, true, "s1", &lim, &err);
        CHECK(b == NULL);
        CHECK_EQ_INT(err.status, 400);
        ing_batch_free(b);
    }
    b = ing_eve_parse(body, strlen(body), true, "s1", &lim, &err);
    CHECK(b == NULL);
    CHECK_EQ_INT(err.status, 400);
}

TEST(ing_eve_gzip_bomb_and_long_line)
{
    size_t big = 4u << 20; /* 4 MiB of spaces: compresses to a few KiB */
    char *raw = malloc(big);
    memset(raw, ' ', big);
    unsigned char *buf = malloc(big);
    size_t n = gz(raw, big, buf, big);
    CHECK(n < 64 * 1024);
    struct ing_error err;
    struct ing_batch *b = ing_eve_parse((char *)buf, n, true, "s1", &lim, &err);
    CHECK(b == NULL);
    CHECK_EQ_INT(err.status, 413);
    /* A line over max_line (4096) is 413 with its line number. */
    char line[6000];
    memset(line, 'x', sizeof line);
    line[0] = '\n';
    line[sizeof line - 1] = '\0';
    b = ing_eve_parse(line, strlen(line), false, "s1", &lim, &err);
    CHECK(b == NULL);
    CHECK_EQ_INT(err.status, 413);
    CHECK_EQ_INT(err.line, 2);
    free(raw);
    free(buf);
}

TEST(ing_eve_too_many_events)
{
    struct ing_limits small = { 1 << 20, 4096, 2 };
    const char *body = EV(1) "\n" EV(2) "\n" EV(3) "\n";
    struct ing_error err;
    struct ing_batch *b = ing_eve_parse(body, strlen(body), false, "s1", &small, &err);
    CHECK(b == NULL);
    CHECK_EQ_INT(err.status, 413);
    CHECK_EQ_INT(err.line, 3);
}

TEST(ing_eve_times)
{
    CHECK_EQ_INT(ing_eve_time("1970-01-01T00:00:01Z"), 1000000);
    CHECK_EQ_INT(ing_eve_time("1970-01-01T00:00:01.5+00:00"), 1500000);
    CHECK_EQ_INT(ing_eve_time("1970-01-01T07:00:01+07:00"), 1000000);
    CHECK_EQ_INT(ing_eve_time("1970-01-01T00:00:01.000001+0000"), 1000001);
    CHECK_EQ_INT(ing_eve_time("yesterday"), 0);
    CHECK_EQ_INT(ing_eve_time("2026-13-01T00:00:00Z"), 0);
    CHECK_EQ_INT(ing_eve_time(NULL), 0);
    CHECK_EQ_INT(ing_eve_time("2026-11-27T02:56:47.123456+00:00"), 1795748207123456LL);
    CHECK_EQ_INT(ing_eve_time("2024-02-29T00:00:00Z"), 1709164800000000LL);
    CHECK_EQ_INT(ing_eve_time("1969-12-31T23:59:59Z"), -1000000);
    CHECK_EQ_INT(ing_eve_time("2026-11-27T02:56:47.+00:00"), 0);
    CHECK_EQ_INT(ing_eve_time("2026-11-27T02:56:47+00:00junk"), 0);
    CHECK_EQ_INT(ing_eve_time("2026-11-27T02:56:47Zjunk"), 0);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
