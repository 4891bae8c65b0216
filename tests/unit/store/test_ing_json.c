/* Unit tests of the ingest JSON tape parser (correlator/ingest/ing_json.c)
 * against jansson, the parser it replaced: a table of edge cases and
 * thousands of seeded mutations of an EVE line must be accepted or
 * rejected alike, and accepted ones must build the same tree. Also the
 * member filter and ing_eve_parse_want's trees. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../runner.h"
#include "ingest/ing_eve.h"
#include "ingest/ing_json.h"

/* 1 accepted with the same tree as jansson, 0 both reject, -1 differ. */
static int same_as_jansson(struct ing_json *j, const char *text, size_t len)
{
    char *sbuf = malloc(len + 1);
    json_error_t e;
    json_t *want = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    long used = ing_json_parse(j, text, len, sbuf);
    int ret;
    if (!want || used < 0) {
        ret = (!want && used < 0) ? 0 : -1;
        if (ret < 0)
            fprintf(stderr, "differ on %.*s: jansson %s, ing_json %s\n", (int)len, text,
                    want ? "accepts" : e.text, used < 0 ? ing_json_error(j) : "accepts");
    } else {
        json_t *got = ing_json_build(j, 0, NULL, NULL);
        ret = got && json_equal(got, want) ? 1 : -1;
        if (ret < 0)
            fprintf(stderr, "different trees for %.*s\n", (int)len, text);
        json_decref(got);
    }
    json_decref(want);
    free(sbuf);
    return ret;
}

static const struct {
    const char *text;
    int ok;
} cases[] = {
    { "{}", 1 }, { "[]", 1 }, { " { \"a\" : [ 1 , 2 ] } ", 1 },
    { "{\"a\":1,\"a\":2}", 1 }, /* duplicate key: the last wins */
    { "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", 1 },
    { "{\"u\":\"\\u00e9\\u4e2d\\ud83d\\ude00\"}", 1 },
    { "{\"u\":\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"}", 1 },
    { "{\"n\":[0,-0,1.5,-2e10,3E+2,4e-2,9223372036854775807,-9223372036854775808]}", 1 },
    { "{\"l\":[true,false,null]}", 1 },
    { "{\"n\":9223372036854775808}", 0 },   /* too big integer */
    { "{\"n\":-9223372036854775809}", 0 },
    { "{\"n\":1e400}", 0 },                  /* real overflow */
    { "{\"n\":01}", 0 }, { "{\"n\":1.}", 0 }, { "{\"n\":.5}", 0 }, { "{\"n\":-}", 0 },
    { "{\"n\":1e}", 0 }, { "{\"n\":+1}", 0 },
    { "{\"s\":\"\\u0000\"}", 1 },            /* NUL in a value: wire data */
    { "{\"a\\u0000b\":1}", 0 },               /* NUL in a key: not allowed */
    { "{\"s\":\"\\ud800\"}", 0 }, { "{\"s\":\"\\udc00\"}", 0 }, { "{\"s\":\"\\ud800\\u0041\"}", 0 },
    { "{\"s\":\"\\x\"}", 0 }, { "{\"s\":\"\\u12\"}", 0 },
    { "{\"s\":\"\xc0\xaf\"}", 0 },           /* overlong */
    { "{\"s\":\"\xed\xa0\x80\"}", 0 },       /* UTF-8 surrogate */
    { "{\"s\":\"\xf4\x90\x80\x80\"}", 0 },   /* above U+10FFFF */
    { "{\"s\":\"\xe4\xb8\"}", 0 },           /* truncated sequence */
    { "{\"s\":\"a\tb\"}", 0 },               /* raw control character */
    { "{\"a\":1,}", 0 }, { "{\"a\" 1}", 0 }, { "{a:1}", 0 }, { "[1,]", 0 }, { "[1 2]", 0 },
    { "{\"a\":tru}", 0 }, { "{\"a\":nul}", 0 }, { "{} {}", 0 }, { "{\"a\":1", 0 },
    { "{\"s\":\"abc", 0 }, { "", 0 }, { "{\"a\":1}x", 0 },
};

TEST(ing_json_table_matches_jansson)
{
    struct ing_json *j = ing_json_new();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int r = same_as_jansson(j, cases[i].text, strlen(cases[i].text));
        CHECK(r >= 0);
        CHECK_EQ_INT(r, cases[i].ok);
    }
    ing_json_free(j);
}

TEST(ing_json_depth_limit_as_jansson)
{
    struct ing_json *j = ing_json_new();
    size_t n = JSON_PARSER_MAX_DEPTH + 1;
    for (size_t depth = n - 1; depth <= n; depth++) {
        char *s = malloc(2 * depth + 1);
        memset(s, '[', depth);
        memset(s + depth, ']', depth);
        int r = same_as_jansson(j, s, 2 * depth);
        CHECK_EQ_INT(r, depth < n ? 1 : 0);
        free(s);
    }
    ing_json_free(j);
}

static const char seed[] =
    "{\"timestamp\":\"2026-11-27T02:56:47.123456+00:00\",\"flow_id\":1234567890123,"
    "\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\",\"src_port\":40000,\"dest_ip\":"
    "\"192.168.1.2\",\"dest_port\":445,\"proto\":\"TCP\",\"alert\":{\"signature_id\":2001219,"
    "\"severity\":1,\"signature\":\"ET SCAN \\\"x\\\" \\u00e9\xc3\xa9\",\"score\":-1.25e3},"
    "\"tags\":[\"a\",1,true,null,[],{}],\"canh\":{\"id\":\"s1:9\",\"sensor\":\"s1\",\"seq\":9}}";

/* Seeded mutations: replace, insert or delete a byte drawn from JSON's
 * syntax, escapes, digits and UTF-8 lead/continuation bytes. */
TEST(ing_json_mutations_match_jansson)
{
    static const char alphabet[] = "{}[]:,\"\\/ubfnrt0123456789eE+-.aZ \t\x01\x7f\xc3\xa9\xed"
                                   "\xf0\x9f\x80\xff";
    struct ing_json *j = ing_json_new();
    size_t slen = sizeof seed - 1;
    char *buf = malloc(slen + 16);
    unsigned long long x = 0x9E3779B97F4A7C15ULL;
    int accepted = 0, rejected = 0, differ = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, seed, slen);
        size_t len = slen;
        int edits = 1 + round % 3;
        for (int k = 0; k < edits; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t pos = (size_t)(x % len);
            char c = alphabet[(x >> 32) % (sizeof alphabet - 1)];
            switch ((x >> 48) % 3) {
            case 0: buf[pos] = c; break;
            case 1: memmove(buf + pos + 1, buf + pos, len - pos); buf[pos] = c; len++; break;
            default: memmove(buf + pos, buf + pos + 1, len - pos - 1); len--; break;
            }
        }
        int r = same_as_jansson(j, buf, len);
        accepted += r == 1;
        rejected += r == 0;
        differ += r < 0;
    }
    CHECK_EQ_INT(differ, 0);
    CHECK(accepted > 100 && rejected > 100); /* both sides exercised */
    free(buf);
    ing_json_free(j);
}

static bool keep_src(const char *key, size_t len, void *arg)
{
    (void)arg;
    return len == 6 && memcmp(key, "src_ip", 6) == 0;
}

TEST(ing_json_member_filter_and_get)
{
    const char *t = "{\"src_ip\":\"a\",\"x\":{\"y\":[1]},\"src_ip\":\"b\"}";
    struct ing_json *j = ing_json_new();
    char sbuf[128];
    CHECK(ing_json_parse(j, t, strlen(t), sbuf) >= 0);
    size_t ntok;
    const struct ing_json_tok *tok = ing_json_tape(j, &ntok);
    size_t i = ing_json_get(j, 0, "src_ip");
    CHECK(i > 0 && tok[i].type == ING_JSON_STR);
    CHECK_EQ_STR(tok[i].v.s, "b");
    CHECK_EQ_INT(ing_json_get(j, 0, "nope"), 0);
    CHECK_EQ_INT(tok[0].span, ntok);
    json_t *o = ing_json_build(j, 0, keep_src, NULL);
    CHECK_EQ_INT(json_object_size(o), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(o, "src_ip")), "b");
    json_decref(o);
    ing_json_free(j);
}

static enum ing_want_kind want_alerts(const char *type, bool present, void *arg)
{
    (void)present;
    (void)arg;
    return type && strcmp(type, "alert") == 0 ? ING_WANT_KEYS : ING_WANT_NONE;
}

TEST(ing_eve_parse_want_trees)
{
    const char *body =
        "{\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\",\"flow\":{\"a\":1},"
        "\"canh\":{\"id\":\"s1:1\",\"sensor\":\"s1\",\"seq\":1}}\n"
        "{\"event_type\":\"dns\",\"src_ip\":\"10.0.0.2\",\"canh\":{\"id\":\"s1:2\","
        "\"sensor\":\"s1\",\"seq\":2}}\n";
    const struct ing_limits lim = { 1 << 20, 4096, 100 };
    struct ing_want w = { want_alerts, keep_src, NULL, false };
    struct ing_error err;
    struct ing_batch *b = ing_eve_parse_want(body, strlen(body), false, "s1", &lim, &w, &err);
    CHECK(b != NULL);
    if (!b)
        return;
    CHECK_EQ_INT(ing_batch_count(b), 2);
    const struct ing_event *a = ing_batch_get(b, 0), *d = ing_batch_get(b, 1);
    CHECK(a->json != NULL);
    CHECK_EQ_INT(json_object_size(a->json), 1);
    CHECK(json_object_get(a->json, "flow") == NULL);
    CHECK(d->json == NULL);
    CHECK_EQ_STR(d->in.src_ip, "10.0.0.2"); /* columns do not depend on the tree */
    CHECK_EQ_STR(d->in.canh_id, "s1:2");
    ing_batch_free(b);
}

static enum ing_want_kind want_by_type(const char *type, bool present, void *arg)
{
    (void)present;
    (void)arg;
    if (type && strcmp(type, "alert") == 0)
        return ING_WANT_KEYS;
    return type && strcmp(type, "stats") == 0 ? ING_WANT_ALL : ING_WANT_NONE;
}

static bool keep_src_and_canh(const char *key, size_t len, void *arg)
{
    (void)arg;
    return (len == 6 && memcmp(key, "src_ip", 6) == 0) || (len == 4 && memcmp(key, "canh", 4) == 0);
}

/* want.later: no KEYS tree while parsing; ing_batch_tree builds the same
 * tree as an eager parse would, also after the request's body is gone (a
 * plain body is copied into the batch), as many times as asked. */
TEST(ing_batch_tree_later_equals_eager)
{
    const char *lines =
        "{\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\",\"flow\":{\"a\":1},"
        "\"canh\":{\"id\":\"s1:1\",\"sensor\":\"s1\",\"seq\":1}}\n"
        "  {\"event_type\":\"dns\",\"src_ip\":\"10.0.0.2\",\"canh\":{\"id\":\"s1:2\","
        "\"sensor\":\"s1\",\"seq\":2}}\n"
        "{\"event_type\":\"stats\",\"stats\":{\"uptime\":5},\"canh\":{\"id\":\"s1:3\","
        "\"sensor\":\"s1\",\"seq\":3}}\n"
        "{\"event_type\":\"alert\",\"src_ip\":\"a\\u00e9\\n\",\"src_ip\":\"last\","
        "\"canh\":{\"id\":\"s1:4\",\"sensor\":\"s1\",\"seq\":4},\"x\":[1,2.5,null]}\n";
    const struct ing_limits lim = { 1 << 20, 4096, 100 };
    struct ing_want eager = { want_by_type, keep_src_and_canh, NULL, false };
    struct ing_want later = eager;
    later.later = true;
    struct ing_error err;
    char *body = strdup(lines);
    struct ing_batch *e = ing_eve_parse_want(body, strlen(body), false, "s1", &lim, &eager, &err);
    struct ing_batch *l = ing_eve_parse_want(body, strlen(body), false, "s1", &lim, &later, &err);
    memset(body, 'x', strlen(body)); /* the request buffer is reused */
    free(body);
    CHECK(e != NULL && l != NULL);
    if (!e || !l)
        goto out;
    CHECK_EQ_INT(ing_batch_count(l), 4);
    CHECK(ing_batch_get(l, 0)->json == NULL);             /* KEYS: later */
    CHECK(ing_batch_get(l, 2)->json != NULL);             /* ALL: at once */
    CHECK_EQ_INT(ing_batch_get(l, 0)->want, ING_WANT_KEYS);
    CHECK_EQ_INT(ing_batch_get(l, 1)->want, ING_WANT_NONE);
    CHECK_EQ_INT(ing_batch_get(l, 2)->want, ING_WANT_ALL);
    CHECK(ing_batch_tree(l, 1) == NULL);
    CHECK(ing_batch_tree(l, 9) == NULL);
    for (size_t i = 0; i < 4; i++) {
        for (int twice = 0; twice < 2; twice++) {
            json_t *t = ing_batch_tree(l, i);
            const json_t *want = ing_batch_get(e, i)->json;
            CHECK((t == NULL) == (want == NULL));
            if (t && want)
                CHECK(json_equal(t, (json_t *)want));
            json_decref(t);
        }
    }
    json_t *t = ing_batch_tree(l, 3);
    CHECK_EQ_STR(json_string_value(json_object_get(t, "src_ip")), "last");
    CHECK(json_object_get(t, "x") == NULL);
    CHECK_EQ_INT(json_object_size(t), 2);
    json_decref(t);
    const struct ing_event *dns = ing_batch_get(l, 1); /* raw: the batch's copy */
    CHECK(strncmp(dns->in.raw, "{\"event_type\":\"dns\"", 19) == 0);
    CHECK(dns->in.raw[dns->in.raw_len - 1] == '}' && dns->in.raw[dns->in.raw_len] == '\n');
out:
    ing_batch_free(e);
    ing_batch_free(l);
}

int main(int c, char **v)
{
    return runner_main(c, v);
}
