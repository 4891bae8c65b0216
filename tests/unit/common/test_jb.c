/* Unit tests for common/jb.c: structure, escaping of wire bytes, overflow.
 * Every output is parsed back with jansson, so "valid JSON" is checked by a
 * real parser, not by string comparison alone. */
#include "../runner.h"

#include "jb.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static json_t *jb_parse(struct jb *j)
{
    json_error_t err;
    json_t *v = json_loads(jb_text(j), JSON_ALLOW_NUL, &err);
    if (v == NULL)
        fprintf(stderr, "not JSON: %s (%s)\n", jb_text(j), err.text);
    return v;
}

TEST(jb_nested_object)
{
    char buf[512];
    struct jb j;
    jb_init(&j, buf, sizeof(buf));
    jb_open_object(&j, NULL);
    jb_str(&j, "event_type", "flow");
    jb_uint(&j, "flow_id", 9007199254740991ull);
    jb_int(&j, "neg", -5);
    jb_bool(&j, "alerted", false);
    jb_open_object(&j, "flow");
    jb_uint(&j, "pkts_toserver", 51);
    jb_close_object(&j);
    jb_open_array(&j, "vlan");
    jb_uint(&j, NULL, 10);
    jb_uint(&j, NULL, 20);
    jb_close_array(&j);
    jb_null(&j, "nothing");
    jb_close_object(&j);
    CHECK(jb_ok(&j));
    json_t *v = jb_parse(&j);
    CHECK(v != NULL);
    if (v == NULL)
        return;
    CHECK_EQ_STR(json_string_value(json_object_get(v, "event_type")), "flow");
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(v, "flow"), "pkts_toserver")), 51);
    CHECK_EQ_INT(json_array_size(json_object_get(v, "vlan")), 2);
    CHECK_EQ_INT(json_integer_value(json_object_get(v, "neg")), -5);
    CHECK(json_is_false(json_object_get(v, "alerted")));
    CHECK(json_is_null(json_object_get(v, "nothing")));
    json_decref(v);
}

TEST(jb_escapes_wire_bytes)
{
    /* quotes, backslash, control bytes, a NUL, valid UTF-8 (Vietnamese),
     * an invalid byte, a truncated sequence and an overlong encoding */
    static const char raw[] = "a\"b\\c\n\x01\x00 Vi\xe1\xbb\x87t \xff \xe1\xbb \xc0\xaf";
    char buf[512];
    struct jb j;
    jb_init(&j, buf, sizeof(buf));
    jb_open_object(&j, NULL);
    jb_strn(&j, "uri", raw, sizeof(raw) - 1);
    jb_close_object(&j);
    CHECK(jb_ok(&j));
    json_t *v = jb_parse(&j);
    CHECK(v != NULL);
    if (v == NULL)
        return;
    json_t *u = json_object_get(v, "uri");
    const char *s = json_string_value(u);
    size_t n = json_string_length(u);
    CHECK(s != NULL);
    CHECK(strncmp(s, "a\"b\\c\n\x01", 7) == 0);
    CHECK(memmem(s, n, "Vi\xe1\xbb\x87t", 6) != NULL); /* valid UTF-8 kept as is */
    CHECK(memmem(s, n, "\xc3\xbf", 2) != NULL);         /* 0xff read as Latin-1 U+00FF */
    CHECK(strstr(buf, "\\u0000") != NULL);
    json_decref(v);
}

TEST(jb_script_in_value_stays_text)
{
    char buf[256];
    struct jb j;
    jb_init(&j, buf, sizeof(buf));
    jb_open_object(&j, NULL);
    jb_str(&j, "user_agent", "<script>alert(\"x\")</script>");
    jb_close_object(&j);
    json_t *v = jb_parse(&j);
    CHECK(v != NULL);
    if (v)
        CHECK_EQ_STR(json_string_value(json_object_get(v, "user_agent")),
                     "<script>alert(\"x\")</script>");
    json_decref(v);
}

TEST(jb_overflow_is_reported)
{
    char buf[16];
    struct jb j;
    jb_init(&j, buf, sizeof(buf));
    jb_open_object(&j, NULL);
    jb_str(&j, "key", "a value much longer than sixteen bytes");
    jb_close_object(&j);
    CHECK(!jb_ok(&j));
    CHECK(j.len < sizeof(buf));
    jb_reset(&j);
    jb_open_object(&j, NULL);
    jb_close_object(&j);
    CHECK(jb_ok(&j));
    CHECK_EQ_STR(jb_text(&j), "{}");
}

TEST(jb_time_is_utc_rfc3339)
{
    char out[40];
    struct timeval tv = { .tv_sec = 1795138607, .tv_usec = 123456 };
    jb_format_time(tv, out, sizeof(out));
    CHECK_EQ_STR(out, "2026-11-20T01:36:47.123456+00:00");
}

TEST(jb_doubles_stay_json)
{
    char buf[128];
    struct jb j;
    jb_init(&j, buf, sizeof(buf));
    jb_open_object(&j, NULL);
    jb_double(&j, "loss", 12.5);
    jb_double(&j, "nan", 0.0 / 0.0);
    jb_close_object(&j);
    json_t *v = jb_parse(&j);
    CHECK(v != NULL);
    if (v)
        CHECK(json_real_value(json_object_get(v, "loss")) == 12.5);
    json_decref(v);
}

/* The hand-written formatters against the C library's, over edge cases. */
TEST(jb_time_matches_gmtime)
{
    static const long long secs[] = { 0, -1, 951782400 /* 2000-02-29 */, 4107542399 /* 2100-02-28 */,
                                      253402300799 /* 9999-12-31T23:59:59 */, -62167219200 /* 0000-01-01 */,
                                      1795138607, 1609459199, 253402300800 /* year 10000 */ };
    for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
        struct timeval tv = { .tv_sec = (time_t)secs[i], .tv_usec = (suseconds_t)(i * 111111 % 1000000) };
        time_t t = tv.tv_sec;
        struct tm tm;
        char want[64], got[64];
        CHECK(gmtime_r(&t, &tm) != NULL);
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
        jb_format_time(tv, got, sizeof(got));
        CHECK_EQ_STR(got, want);
        char buf[128], quoted[80];
        struct jb j;
        jb_init(&j, buf, sizeof(buf));
        jb_time(&j, NULL, tv);
        snprintf(quoted, sizeof(quoted), "\"%s\"", want);
        CHECK_EQ_STR(jb_text(&j), quoted);
    }
}

TEST(jb_integers_match_printf)
{
    static const int64_t v[] = { 0, 1, -1, 9, 10, -10, 4294967296LL, INT64_MAX, INT64_MIN };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char buf[64], want[64];
        struct jb j;
        jb_init(&j, buf, sizeof(buf));
        jb_open_array(&j, NULL);
        jb_int(&j, NULL, v[i]);
        jb_uint(&j, NULL, (uint64_t)v[i]);
        jb_close_array(&j);
        snprintf(want, sizeof(want), "[%lld,%llu]", (long long)v[i], (unsigned long long)(uint64_t)v[i]);
        CHECK_EQ_STR(jb_text(&j), want);
    }
}

TEST(jb_long_strings_escape_at_any_offset)
{
    /* a special byte at each position of a 40-byte run (the scanner reads
     * 8 bytes at a time) is escaped, and the rest is copied unchanged */
    static const char specials[] = "\"\\\n\x01\x1f\x7f\xff";
    for (size_t pos = 0; pos < 40; pos++) {
        for (size_t k = 0; k < sizeof(specials) - 1; k++) {
            char raw[40], buf[512];
            struct jb j;
            memset(raw, 'x', sizeof(raw));
            raw[pos] = specials[k];
            jb_init(&j, buf, sizeof(buf));
            jb_open_object(&j, NULL);
            jb_strn(&j, "v", raw, sizeof(raw));
            jb_close_object(&j);
            json_t *v = jb_parse(&j);
            CHECK(v != NULL);
            if (v == NULL)
                return;
            json_t *u = json_object_get(v, "v");
            const char *s = json_string_value(u);
            size_t n = json_string_length(u);
            unsigned char c = (unsigned char)specials[k];
            /* 0xff comes back as U+00FF (2 bytes in UTF-8) */
            CHECK_EQ_INT(n, c == 0xff ? 41 : 40);
            CHECK(s[pos] == (c == 0xff ? '\xc3' : (char)c));
            for (size_t i = 0; i < n; i++)
                if (i < pos || i > pos + (c == 0xff))
                    CHECK(s[i] == 'x');
            json_decref(v);
        }
    }
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}

/* Keys take a one-copy fast path when plain ASCII; keys with quotes,
 * control bytes or non-ASCII must still be escaped, and a key that does
 * not fit must set overflow at every buffer size without writing past it. */
TEST(jb_keys_fast_and_escaped)
{
    char buf[256];
    struct jb j;
    jb_init(&j, buf, sizeof(buf));
    jb_open_object(&j, NULL);
    jb_uint(&j, "plain_key_longer_than_8", 1);
    jb_uint(&j, "q\"k", 2);
    jb_uint(&j, "nl\nk\xff", 3);
    jb_open_object(&j, "o");
    jb_bool(&j, "a", true);
    jb_close_object(&j);
    jb_close_object(&j);
    CHECK(jb_ok(&j));
    CHECK_EQ_STR(jb_text(&j), "{\"plain_key_longer_than_8\":1,\"q\\\"k\":2,"
                              "\"nl\\nk\\u00ff\":3,\"o\":{\"a\":true}}");
    json_t *v = jb_parse(&j);
    CHECK(v != NULL);
    json_decref(v);

    for (size_t cap = 1; cap < 40; cap++) {
        char small[48];
        memset(small, 'X', sizeof(small));
        jb_init(&j, small, cap);
        jb_open_object(&j, NULL);
        jb_uint(&j, "first", 1);
        jb_uint(&j, "second_key", 22);
        jb_close_object(&j);
        CHECK(j.len < cap);
        CHECK(small[j.len] == '\0');
        CHECK(small[cap] == 'X');
        CHECK(jb_ok(&j) == (cap > strlen("{\"first\":1,\"second_key\":22}")));
    }
}
