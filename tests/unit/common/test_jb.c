/* Unit tests for common/jb.c: structure, escaping of wire bytes, overflow,
 * the compile-time-key variants (byte for byte the same as the plain calls)
 * and the hand-written formatters against the C library's (printf, gmtime,
 * inet_ntop). Outputs are parsed back with jansson, so "valid JSON" is
 * checked by a real parser, not by string comparison alone. */
#include "../runner.h"

#include "jb.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdint.h>
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

/* xorshift64: a fixed sequence, so a failure reproduces */
static uint64_t test_rand(uint64_t *st)
{
    uint64_t x = *st;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *st = x;
}

static void check_ip6(const uint8_t ip[16])
{
    char want[INET6_ADDRSTRLEN], got[JB_IP_MAX];
    CHECK(inet_ntop(AF_INET6, ip, want, sizeof(want)) != NULL);
    size_t n = jb_format_ip(ip, 6, got);
    CHECK_EQ_STR(got, want);
    CHECK_EQ_INT(n, strlen(want));
}

/* RFC 5952 text as glibc's inet_ntop writes it: every zero run of each
 * length at each position, two runs (the first longest wins, a single
 * zero group stays), ::, ::1, IPv4-mapped and -compatible forms, and
 * random addresses with groups of every width. */
TEST(jb_ipv6_matches_inet_ntop)
{
    uint8_t ip[16];
    uint64_t st = 0x9e3779b97f4a7c15ull;

    memset(ip, 0, sizeof(ip));
    check_ip6(ip); /* :: */
    ip[15] = 1;
    check_ip6(ip); /* ::1 */
    for (int len = 1; len <= 8; len++) {
        for (int pos = 0; pos + len <= 8; pos++) {
            for (int g = 0; g < 8; g++) {
                bool zero = g >= pos && g < pos + len;
                unsigned w = zero ? 0 : (unsigned)(0x1000 * g + 0x0a0b * (g & 1) + 1);
                ip[2 * g] = (uint8_t)(w >> 8);
                ip[2 * g + 1] = (uint8_t)w;
            }
            check_ip6(ip);
        }
    }
    /* two zero runs: every pair of (start, length) that do not touch */
    for (int a = 0; a < 8; a++)
        for (int al = 1; a + al <= 8; al++)
            for (int b = a + al + 1; b < 8; b++)
                for (int bl = 1; b + bl <= 8; bl++) {
                    for (int g = 0; g < 8; g++) {
                        bool zero = (g >= a && g < a + al) || (g >= b && g < b + bl);
                        ip[2 * g] = 0;
                        ip[2 * g + 1] = zero ? 0 : (uint8_t)(g + 1);
                    }
                    check_ip6(ip);
                }
    /* IPv4-mapped, -compatible and near misses of both */
    static const uint8_t v4[][4] = { { 192, 168, 1, 13 }, { 0, 0, 0, 0 }, { 0, 0, 0, 1 },
                                     { 1, 0, 0, 0 }, { 255, 255, 255, 255 }, { 10, 0, 100, 9 } };
    for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
        for (int form = 0; form < 4; form++) {
            memset(ip, 0, sizeof(ip));
            if (form == 0 || form == 2) {
                ip[10] = 0xff;
                ip[11] = 0xff;
            }
            if (form == 2)
                ip[1] = 1; /* not mapped: a group before the ffff */
            if (form == 3)
                ip[11] = 0xfe; /* ::fe:a.b.c.d is not mapped either */
            memcpy(ip + 12, v4[i], 4);
            check_ip6(ip);
        }
    }
    for (int k = 0; k < 20000; k++) {
        uint64_t r = test_rand(&st);
        for (int g = 0; g < 8; g++) {
            /* each group zero, one, two, three or four hex digits wide */
            static const unsigned mask[5] = { 0, 0xf, 0xff, 0xfff, 0xffff };
            unsigned kind = (unsigned)(r >> (5 * g)) % 5;
            unsigned w = (unsigned)test_rand(&st) & mask[kind];
            ip[2 * g] = (uint8_t)(w >> 8);
            ip[2 * g + 1] = (uint8_t)w;
        }
        check_ip6(ip);
    }
}

TEST(jb_ipv4_matches_inet_ntop)
{
    uint8_t ip[4];
    for (int pos = 0; pos < 4; pos++) {
        for (int v = 0; v < 256; v++) {
            char want[INET_ADDRSTRLEN], got[JB_IP_MAX];
            for (int k = 0; k < 4; k++)
                ip[k] = k == pos ? (uint8_t)v : (uint8_t)(k * 70 + 9);
            CHECK(inet_ntop(AF_INET, ip, want, sizeof(want)) != NULL);
            CHECK_EQ_INT(jb_format_ip(ip, 4, got), strlen(want));
            CHECK_EQ_STR(got, want);
        }
    }
}

/* Every digit count and its edges, both signs, against printf. */
TEST(jb_integers_every_width)
{
    uint64_t p = 1;
    for (int d = 0; d < 20; d++, p *= 10) {
        const uint64_t us[] = { p - 1, p, p + 1, p * 5, p * 9 + (p - 1) };
        for (size_t i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
            char got[32], want[32];
            *jb_fmt_u64(got, us[i]) = '\0';
            snprintf(want, sizeof(want), "%llu", (unsigned long long)us[i]);
            CHECK_EQ_STR(got, want);
            int64_t sv = (int64_t)(us[i] & INT64_MAX);
            *jb_fmt_i64(got, -sv) = '\0';
            snprintf(want, sizeof(want), "%lld", (long long)-sv);
            CHECK_EQ_STR(got, want);
        }
    }
}

/* Times formatted one after another reuse the last second's text: a new
 * second, a step back, a time out of range (slow form) and the earlier
 * second again must each come out as gmtime says. */
TEST(jb_time_cache_follows_every_second)
{
    static const long long secs[] = { 1795138607, 1795138607, 1795138608, 1795138607, 86399,
                                      86400, 253402300800LL, 1795138607, -1, -1, 0 };
    for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
        struct timeval tv = { .tv_sec = (time_t)secs[i], .tv_usec = (suseconds_t)(i * 7919) };
        time_t t = tv.tv_sec;
        struct tm tm;
        char want[80], buf[128];
        struct jb j;
        CHECK(gmtime_r(&t, &tm) != NULL);
        snprintf(want, sizeof(want), "{\"t\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00\"}",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (long)tv.tv_usec);
        jb_init(&j, buf, sizeof(buf));
        jb_open_object(&j, NULL);
        jb_time_k(&j, JB_K("t"), tv);
        jb_close_object(&j);
        CHECK_EQ_STR(jb_text(&j), want);
    }
}

/* The same fields through the plain calls and through the JB_K ones give
 * the same bytes: commas at every nesting level, NULL strings, escaping,
 * extremes of the integers, times, raw JSON, addresses. */
static void fill_plain(struct jb *j, const uint8_t *ip6, const uint8_t *ip4, struct timeval tv)
{
    jb_open_object(j, NULL);
    jb_time(j, "timestamp", tv);
    jb_uint(j, "flow_id", 9007199254740993ull);
    jb_str(j, "event_type", "flow");
    jb_ip(j, "src_ip", ip6, 6);
    jb_ip(j, "dest_ip", ip4, 4);
    jb_open_object(j, "flow");
    jb_int(j, "age", INT64_MIN);
    jb_bool(j, "alerted", false);
    jb_bool(j, "t", true);
    jb_str(j, "none", NULL);
    jb_strn(j, "bin", "a\"\x01\xff\xe1\xbb\x87", 7);
    jb_open_array(j, "list");
    jb_uint(j, NULL, 0);
    jb_open_object(j, NULL);
    jb_raw(j, "raw", "{\"x\":[1]}", 9);
    jb_close_object(j);
    jb_close_array(j);
    jb_open_array(j, "empty");
    jb_close_array(j);
    jb_close_object(j);
    jb_int(j, "last", 42);
    jb_close_object(j);
}

static void fill_k(struct jb *j, const uint8_t *ip6, const uint8_t *ip4, struct timeval tv)
{
    jb_open_object(j, NULL);
    jb_time_k(j, JB_K("timestamp"), tv);
    jb_uint_k(j, JB_K("flow_id"), 9007199254740993ull);
    jb_str_k(j, JB_K("event_type"), "flow");
    jb_ip_k(j, JB_K("src_ip"), ip6, 6);
    jb_ip_k(j, JB_K("dest_ip"), ip4, 4);
    jb_open_object_k(j, JB_K("flow"));
    jb_int_k(j, JB_K("age"), INT64_MIN);
    jb_bool_k(j, JB_K("alerted"), false);
    jb_bool_k(j, JB_K("t"), true);
    jb_str_k(j, JB_K("none"), NULL);
    jb_strn_k(j, JB_K("bin"), "a\"\x01\xff\xe1\xbb\x87", 7);
    jb_open_array_k(j, JB_K("list"));
    jb_uint(j, NULL, 0);
    jb_open_object(j, NULL);
    jb_raw_k(j, JB_K("raw"), "{\"x\":[1]}", 9);
    jb_close_object(j);
    jb_close_array(j);
    jb_open_array_k(j, JB_K("empty"));
    jb_close_array(j);
    jb_close_object(j);
    jb_int_k(j, JB_K("last"), 42);
    jb_close_object(j);
}

TEST(jb_k_variants_write_the_same_bytes)
{
    static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    static const uint8_t ip4[4] = { 192, 0, 2, 255 };
    struct timeval tv = { .tv_sec = 1795138607, .tv_usec = 5 };
    char a[512], b[512];
    struct jb ja, jk;

    jb_init(&ja, a, sizeof(a));
    fill_plain(&ja, ip6, ip4, tv);
    jb_init(&jk, b, sizeof(b));
    fill_k(&jk, ip6, ip4, tv);
    CHECK(jb_ok(&ja));
    CHECK(jb_ok(&jk));
    CHECK_EQ_STR(jb_text(&jk), jb_text(&ja));
    json_t *v = jb_parse(&jk);
    CHECK(v != NULL);
    if (v != NULL) {
        CHECK_EQ_STR(json_string_value(json_object_get(v, "src_ip")), "2001:db8::1");
        CHECK_EQ_STR(json_string_value(json_object_get(v, "dest_ip")), "192.0.2.255");
        CHECK(json_is_null(json_object_get(json_object_get(v, "flow"), "none")));
    }
    json_decref(v);

    /* at every buffer size both overflow alike, never write past the
     * buffer and keep the text NUL-terminated */
    size_t full = ja.len;
    for (size_t cap = 1; cap <= full + 1; cap++) {
        char sa[520], sk[520];
        memset(sa, 'X', sizeof(sa));
        memset(sk, 'X', sizeof(sk));
        jb_init(&ja, sa, cap);
        fill_plain(&ja, ip6, ip4, tv);
        jb_init(&jk, sk, cap);
        fill_k(&jk, ip6, ip4, tv);
        CHECK(jb_ok(&jk) == (cap > full));
        CHECK(jb_ok(&ja) == jb_ok(&jk));
        CHECK(jk.len < cap);
        CHECK(sk[jk.len] == '\0');
        CHECK(sk[cap] == 'X');
    }
}

/* Strings with many escapes are written straight into the buffer when
 * the worst case fits, piece by piece near its end: both give the same
 * bytes, and the text parses back to the input (bytes that are not UTF-8
 * read as Latin-1). */
TEST(jb_escaping_direct_and_bounded_agree)
{
    uint64_t st = 12345;
    for (int k = 0; k < 3000; k++) {
        char raw[96], big[1024], tight[1024];
        size_t n = (size_t)(test_rand(&st) % sizeof(raw));
        int mode = k % 3;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = test_rand(&st);
            /* binary, mostly text, or text with Vietnamese UTF-8 */
            raw[i] = mode == 0 ? (char)r : (r % 7 != 0) ? (char)('a' + r % 26) : (char)(r >> 8);
            if (mode == 2 && r % 5 == 0 && i + 3 <= n) {
                memcpy(raw + i, "\xe1\xbb\x87", 3);
                i += 2;
            }
        }
        struct jb j;
        jb_init(&j, big, sizeof(big));
        jb_strn(&j, NULL, raw, n);
        CHECK(!j.overflow);
        size_t len = j.len;
        /* room for the text and the NUL only: the bounded path (unless no
         * byte needs an escape, when the one-copy path fits exactly) */
        jb_init(&j, tight, len + 1);
        jb_strn(&j, NULL, raw, n);
        CHECK(!j.overflow);
        CHECK_EQ_STR(tight, big);
        jb_init(&j, tight, len);
        jb_strn(&j, NULL, raw, n);
        CHECK(j.overflow);
        json_error_t err;
        json_t *v = json_loads(big, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        CHECK(v != NULL && json_is_string(v));
        if (v != NULL)
            CHECK(json_string_length(v) >= n);
        json_decref(v);
    }
}

/* NUL-terminated values are measured while they are copied: the same
 * bytes as with the length given, for short and long strings with a byte
 * to escape anywhere, and the same overflow at every buffer size. */
TEST(jb_str_measures_as_it_copies)
{
    static const char *const vals[] = { "", "a", "flow", "TLS.Google", "exactly-15bytes",
                                        "sixteen-bytes-xx", "q\"", "\\start", "tab\there",
                                        "Vi\xe1\xbb\x87t Nam", "bad\xff", "\x01",
                                        "a longer plain value with spaces, commas, and: colons" };
    for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
        size_t n = strlen(vals[v]);
        for (size_t cap = 1; cap < 6 * n + 16; cap++) {
            char a[512], b[512];
            struct jb ja, jb2;
            memset(a, 'X', sizeof(a));
            memset(b, 'X', sizeof(b));
            jb_init(&ja, a, cap);
            jb_str(&ja, NULL, vals[v]);
            jb_init(&jb2, b, cap);
            jb_strn(&jb2, NULL, vals[v], n);
            CHECK(ja.overflow == jb2.overflow);
            CHECK(a[cap] == 'X');
            if (!ja.overflow && !jb2.overflow)
                CHECK_EQ_STR(a, b);
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
