/* Unit tests of sensor/detect: rule text -> accepted/rejected (with the
 * reason), rule + packet/buffers -> match/no match, flowbits, thresholds,
 * variables, the Hyperscan cache, and the ET Open load figure (skipped when
 * ../shared/corpus is absent). Real Hyperscan and PCRE2 throughout.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../runner.h"
#include "cfg.h"
#include "log.h"
#include "detect/det_private.h"

/* ---- helpers ---- */

static struct det_engine *load_text(const char *rules, struct det_load_stats *st)
{
    char path[] = "/tmp/canh-detect-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    fputs(rules, f);
    fclose(f);
    const char *files[1] = { path };
    struct det_engine *e = det_engine_load(NULL, files, 1, NULL, st);
    unlink(path);
    return e;
}

/* One rule: 1 loaded, 0 rejected. */
static int parses(const char *rule)
{
    struct det_load_stats st;
    struct det_engine *e = load_text(rule, &st);
    int ok = e != NULL && st.rules_loaded == 1;
    det_engine_free(e);
    return ok;
}

static struct packet mkpkt(uint8_t proto, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                           const void *payload, uint32_t len)
{
    struct packet p;
    memset(&p, 0, sizeof(p));
    p.ip_version = 4;
    p.proto = proto;
    p.ttl = 64;
    sscanf(src, "%hhu.%hhu.%hhu.%hhu", &p.src[0], &p.src[1], &p.src[2], &p.src[3]);
    sscanf(dst, "%hhu.%hhu.%hhu.%hhu", &p.dst[0], &p.dst[1], &p.dst[2], &p.dst[3]);
    p.sport = sp;
    p.dport = dp;
    p.payload = payload;
    p.payload_len = len;
    p.ts.tv_sec = 1000;
    return p;
}

/* Run one rule against a TCP to_server established payload; returns alerts. */
static int match_payload(const char *rule, const char *payload, size_t len)
{
    struct det_engine *e = load_text(rule, NULL);
    if (e == NULL || det_engine_rule_count(e) != 1) {
        det_engine_free(e);
        return -1;
    }
    struct det_thread *t = det_thread_new(e);
    struct packet p = mkpkt(IPPROTO_TCP, "192.168.1.5", 40000, "8.8.8.8", 80, payload, (uint32_t)len);
    struct det_flow fl = { 0 };
    struct det_input in = { .p = &p, .flow = &fl, .flags = DET_IN_TO_SERVER | DET_IN_ESTABLISHED | DET_IN_HAS_FLOW };
    in.buf[DET_BUF_PAYLOAD] = (struct det_buf_ref){ (const uint8_t *)payload, (uint32_t)len };
    struct det_alert a[4];
    int n = det_inspect(t, &in, a, 4);
    det_thread_free(t);
    det_engine_free(e);
    return n;
}

#define M(rule, payload) match_payload(rule, payload, sizeof(payload) - 1)

/* ---- parsing: accepted / rejected ---- */

static const struct { const char *rule; int ok; } parse_cases[] = {
    { "alert tcp any any -> any any (msg:\"x\"; content:\"abc\"; sid:1; rev:2;)", 1 },
    { "alert tcp any any -> any any (content:\"abc\"; rev:2;)", 0 },                    /* no sid */
    { "alert tcp any any -> any any (content:\"abc\"; sid:1; foo;)", 0 },              /* unknown keyword */
    { "alert tcp any any -> any any (content:\"abc\"; depth:2; sid:1;)", 0 },          /* depth < len */
    { "alert tcp any any -> any any (content:\"abc\"; within:2; sid:1;)", 0 },
    { "alert tcp any any -> any any (content:\"abc\"; offset:1; distance:1; sid:1;)", 0 },
    { "alert tcp any any -> any any (content:\"a|0g|\"; sid:1;)", 0 },                 /* bad hex */
    { "alert tcp any any -> any any (content:\"a|0d 0a|b\"; nocase; sid:1;)", 1 },
    { "alert tcp any any -> any any (content:!\"abc\"; sid:1;)", 1 },
    { "alert tcp any any -> any any (pcre:\"/a(b/\"; sid:1;)", 0 },                    /* bad regex */
    { "alert tcp any any -> any any (pcre:\"/ab/Ri\"; sid:1;)", 1 },
    { "alert tcp any any -> any any (classtype:no-such-class; sid:1;)", 0 },
    { "alert tcp any any -> any any (classtype:trojan-activity; sid:1;)", 1 },
    { "alert tcp any any -> any any (reference:nosuch,foo; sid:1;)", 0 },
    { "alert tcp any any -> any any (reference:url,example.com; sid:1;)", 1 },
    { "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (sid:1;)", 1 },
    { "alert tcp $NO_SUCH any -> any any (sid:1;)", 0 },
    { "alert tcp [10.0.0.0/8,!10.1.0.0/16] any -> any [80,443,1024:] (sid:1;)", 1 },
    { "alert tcp 10.0.0.0/33 any -> any any (sid:1;)", 0 },
    { "alert tcp 10.0.0.0/4294967297 any -> any any (sid:1;)", 0 },               /* fuzz find */
    { "alert tcp any 70000 -> any any (sid:1;)", 0 },
    { "alert tcp !any any -> any any (sid:1;)", 0 },
    { "alert tcp any any <> any any (sid:1;)", 1 },
    { "alert tcp any any => any any (sid:1;)", 0 },                                   /* no app buffer */
    { "alert http any any => any any (http.uri; content:\"/a\"; http.stat_code; content:\"200\"; sid:1;)", 1 },
    { "alert http any any => any any (flow:to_server; http.uri; content:\"/a\"; sid:1;)", 0 },
    { "alert http any any => any any (content:\"x\"; http.uri; content:\"/a\"; sid:1;)", 0 },
    { "alert http any any -> any any (file.data: to_client; content:\"x\"; sid:1;)", 1 },
    { "alert http any any -> any any (file.data: sideways; content:\"x\"; sid:1;)", 0 },
    { "bogus tcp any any -> any any (sid:1;)", 0 },
    { "alert foo any any -> any any (sid:1;)", 0 },
    { "alert tcp any any -> any (sid:1;)", 0 },
    { "alert tcp any any -> any any (sid:1)", 0 },                                     /* no ';' */
    { "alert http any any -> any any (http.uri; content:\"/x\"; sid:1;)", 1 },
    { "alert http any any -> any any (content:\"/x\"; http_uri; sid:1;)", 1 },
    { "alert http any any -> any any (http_uri; sid:1;)", 0 },                         /* modifier w/o content */
    { "alert dns any any -> any any (http.uri; content:\"/x\"; sid:1;)", 0 },          /* wrong protocol */
    { "alert dns any any -> any any (dns.query; dotprefix; content:\".evil.com\"; endswith; sid:1;)", 1 },
    { "alert tcp any any -> any any (flow:established,to_server; sid:1;)", 1 },
    { "alert tcp any any -> any any (flow:to_server,to_client; sid:1;)", 0 },
    { "alert tcp any any -> any any (flow:sideways; sid:1;)", 0 },
    { "alert tcp any any -> any any (flowbits:set,a; flowbits:isset,b|c; sid:1;)", 1 },
    { "alert tcp any any -> any any (flowbits:frob,a; sid:1;)", 0 },
    { "alert tcp any any -> any any (byte_test:4,>,1000,0,relative,little; sid:1;)", 1 },
    { "alert tcp any any -> any any (byte_test:4,?,1000,0; sid:1;)", 0 },
    { "alert tcp any any -> any any (byte_extract:2,0,len; byte_jump:2,0,relative; content:\"x\"; distance:len; sid:1;)", 1 },
    { "alert tcp any any -> any any (content:\"x\"; distance:nolen; sid:1;)", 0 },
    { "alert tcp any any -> any any (dsize:>100; sid:1;)", 1 },
    { "alert tcp any any -> any any (dsize:100<>50; sid:1;)", 0 },
    { "alert tcp any any -> any any (flags:SA,12; sid:1;)", 1 },
    { "alert tcp any any -> any any (flags:Q; sid:1;)", 0 },
    { "alert icmp any any -> any any (itype:8; icode:0; sid:1;)", 1 },
    { "alert ip any any -> any any (ttl:<5; ip_proto:tcp; sid:1;)", 1 },
    { "alert tcp any any -> any any (threshold:type limit, track by_src, count 1, seconds 60; sid:1;)", 1 },
    { "alert tcp any any -> any any (threshold:type limit, track by_src; sid:1;)", 0 },
    { "alert tcp any any -> any any (detection_filter:track by_dst, count 5, seconds 10; sid:1;)", 1 },
    { "alert http any any -> any any (urilen:>10; sid:1;)", 1 },
    { "alert tcp any any -> any any (app-layer-protocol:http; sid:1;)", 1 },
    { "alert tcp any any -> any any (app-layer-protocol:klingon; sid:1;)", 0 },
    { "alert tcp any any -> any any (isdataat:!10,relative; sid:1;)", 1 },
    { "alert tcp any any -> any any (metadata:a b, c d; target:src_ip; sid:1;)", 1 },
    { "alert tcp any any -> any any (target:nowhere; sid:1;)", 0 },
};

TEST(parse_table)
{
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        int ok = parses(parse_cases[i].rule);
        if (ok != parse_cases[i].ok)
            fprintf(stderr, "case %zu: expected %s: %s\n", i, parse_cases[i].ok ? "accepted" : "rejected",
                    parse_cases[i].rule);
        CHECK_EQ_INT(ok, parse_cases[i].ok);
    }
}

TEST(parse_error_names_file_line_sid)
{
    struct rule_parse_env env = { 0 };
    struct det_arena a = { 0 };
    struct rule_vars *v = rule_vars_new();
    rule_vars_from_cfg(v, NULL);
    env.vars = v;
    env.arena = &a;
    env.fbnames = rule_fbnames_new(NULL);
    struct det_rule *r = NULL;
    char err[256];
    int rc = rule_parse(&env, "alert tcp any any -> any any (content:\"abc\"; depth:1; sid:77;)", "f", 3, &r, err,
                        sizeof(err));
    CHECK(rc != 0);
    CHECK(strstr(err, "depth") != NULL);
    CHECK_EQ_INT(rule_parse_sid_hint("alert tcp any any -> any any (msg:\"sid:1\"; sid: 77;)"), 77);
    rule_fbnames_free(env.fbnames);
    rule_vars_free(v);
    det_arena_free(&a);
}

/* ---- matching on the payload ---- */

static const struct { const char *rule; const char *payload; int alerts; } match_cases[] = {
    { "alert tcp any any -> any any (content:\"evil\"; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"EVIL\"; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any any (content:\"EVIL\"; nocase; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"evil\"; depth:4; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any any (content:\"evil\"; offset:3; depth:4; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"an\"; startswith; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"evil\"; startswith; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any any (content:\"thing\"; endswith; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"evil\"; endswith; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any any (content:\"an\"; content:\"thing\"; distance:1; within:11; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"an\"; content:\"thing\"; distance:0; within:6; sid:1;)", "an evil thing", 0 },
    /* backtracking: the first "a" is not followed by "b" but a later one is */
    { "alert tcp any any -> any any (content:\"a\"; content:\"b\"; distance:0; within:1; sid:1;)", "ac ab", 1 },
    { "alert tcp any any -> any any (content:\"evil\"; content:!\"good\"; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"evil\"; content:!\"thing\"; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any any (pcre:\"/e.il\\s+t/\"; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"evil\"; pcre:\"/^\\s+thing/R\"; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"an\"; pcre:\"/^\\s+thing/R\"; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any any (pcre:!\"/good/\"; content:\"evil\"; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"evil\"; isdataat:6,relative; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any any (content:\"evil\"; isdataat:5,relative; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"evil\"; isdataat:!6,relative; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (content:\"X\"; byte_test:2,>,0x100,1; sid:1;)", "X\x01\x01", 1 },
    { "alert tcp any any -> any any (content:\"X\"; byte_test:2,>,0x101,1; sid:1;)", "X\x01\x01", 0 },
    { "alert tcp any any -> any any (content:\"X\"; byte_test:2,=,0x0201,1,little; sid:1;)", "X\x01\x02", 1 },
    { "alert tcp any any -> any any (content:\"L=\"; byte_test:3,=,123,0,relative,string,dec; sid:1;)", "L=123", 1 },
    { "alert tcp any any -> any any (content:\"X\"; byte_jump:1,0,relative; content:\"Z\"; within:1; sid:1;)", "X\x02" "abZ", 1 },
    { "alert tcp any any -> any any (content:\"X\"; byte_jump:1,0,relative; content:\"Z\"; within:1; sid:1;)", "X\x01" "abZ", 0 },
    { "alert tcp any any -> any any (content:\"X\"; byte_extract:1,0,n,relative; content:\"Z\"; distance:n; within:1; sid:1;)", "X\x02" "abZ", 1 },
    { "alert tcp any any -> any any (dsize:13; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (dsize:<13; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any 80 (content:\"evil\"; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any !80 (content:\"evil\"; sid:1;)", "an evil thing", 0 },
    { "alert tcp $HOME_NET any -> $EXTERNAL_NET any (content:\"evil\"; sid:1;)", "an evil thing", 1 },
    { "alert tcp $EXTERNAL_NET any -> $HOME_NET any (content:\"evil\"; sid:1;)", "an evil thing", 0 },
    { "alert tcp $EXTERNAL_NET any <> $HOME_NET any (content:\"evil\"; sid:1;)", "an evil thing", 1 },
    { "alert udp any any -> any any (content:\"evil\"; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any any (flow:to_client; content:\"evil\"; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any any (flow:established,to_server; content:\"evil\"; sid:1;)", "an evil thing", 1 },
    { "alert tcp any any -> any any (flow:not_established; content:\"evil\"; sid:1;)", "an evil thing", 0 },
    { "alert tcp any any -> any any (content:\"evil\"; fast_pattern:3,1; sid:1;)", "an evil thing", 1 },
};

TEST(match_table)
{
    for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
        int n = match_payload(match_cases[i].rule, match_cases[i].payload, strlen(match_cases[i].payload));
        if (n != match_cases[i].alerts)
            fprintf(stderr, "case %zu: expected %d alerts, got %d: %s\n", i, match_cases[i].alerts, n,
                    match_cases[i].rule);
        CHECK_EQ_INT(n, match_cases[i].alerts);
    }
}

TEST(match_binary_payload)
{
    /* NUL bytes inside the payload (strlen would stop there) */
    CHECK_EQ_INT(M("alert tcp any any -> any any (content:\"|00 00|AB\"; sid:1;)", "x\x00\x00" "ABy"), 1);
    CHECK_EQ_INT(M("alert tcp any any -> any any (content:\"|00 01|x\"; sid:1;)", "a\x00\x01" "xb"), 1);
    CHECK_EQ_INT(M("alert tcp any any -> any any (content:\"|00 02|x\"; sid:1;)", "a\x00\x01" "xb"), 0);
    CHECK_EQ_INT(M("alert tcp any any -> any any (content:\"|00|\"; byte_test:1,=,7,0,relative; sid:1;)", "\x00\x07"), 1);
    CHECK_EQ_INT(M("alert tcp any any -> any any (content:\"|00|\"; byte_test:1,=,8,0,relative; sid:1;)", "\x00\x07"), 0);
}

/* ---- app buffers, flowbits, alerts ---- */

TEST(http_buffers_and_alert_fields)
{
    struct det_engine *e = load_text(
        "alert http any any -> any any (msg:\"uri\"; flow:to_server; http.method; content:\"GET\"; http.uri; "
        "content:\"/admin\"; startswith; classtype:web-application-attack; metadata:former_category WEB, "
        "signature_severity Major; sid:10; rev:3;)\n"
        "alert http any any -> any any (msg:\"old\"; content:\"/admin\"; http_uri; content:\"GET\"; http_method; sid:11;)\n"
        "alert http any any -> any any (msg:\"host\"; http.host; dotprefix; content:\".example.com\"; endswith; sid:12;)\n",
        NULL);
    CHECK(e != NULL);
    if (e == NULL)
        return;
    CHECK_EQ_INT(det_engine_rule_count(e), 3);
    struct det_thread *t = det_thread_new(e);
    struct packet p = mkpkt(IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 80, NULL, 0);
    struct det_input in = { .p = &p, .flags = DET_IN_TO_SERVER | DET_IN_ESTABLISHED | DET_IN_APP, .app = DET_APP_HTTP };
    in.buf[DET_BUF_HTTP_METHOD] = (struct det_buf_ref){ (const uint8_t *)"GET", 3 };
    in.buf[DET_BUF_HTTP_URI] = (struct det_buf_ref){ (const uint8_t *)"/admin/x", 8 };
    in.buf[DET_BUF_HTTP_HOST] = (struct det_buf_ref){ (const uint8_t *)"www.example.com", 15 };
    struct det_alert a[8];
    int n = det_inspect(t, &in, a, 8);
    CHECK_EQ_INT(n, 3);
    int seen10 = 0;
    for (int i = 0; i < n; i++)
        if (a[i].sid == 10) {
            seen10 = 1;
            CHECK_EQ_INT(a[i].rev, 3);
            CHECK_EQ_INT(a[i].gid, 1);
            CHECK_EQ_INT(a[i].priority, 1);
            CHECK_EQ_STR(a[i].msg, "uri");
            CHECK_EQ_STR(a[i].category, "Web Application Attack");
            CHECK_EQ_STR(a[i].metadata, "{\"former_category\":[\"WEB\"],\"signature_severity\":[\"Major\"]}");
        }
    CHECK(seen10);
    /* not http: nothing */
    in.app = DET_APP_UNKNOWN;
    CHECK_EQ_INT(det_inspect(t, &in, a, 8), 0);
    /* host that only ends like the domain */
    in.app = DET_APP_HTTP;
    in.buf[DET_BUF_HTTP_HOST] = (struct det_buf_ref){ (const uint8_t *)"badexample.com", 14 };
    in.buf[DET_BUF_HTTP_URI] = (struct det_buf_ref){ (const uint8_t *)"/x/admin", 8 };
    n = det_inspect(t, &in, a, 8);
    CHECK_EQ_INT(n, 1); /* only sid 11: /admin anywhere in the uri */
    CHECK_EQ_INT(n > 0 ? a[0].sid : 0, 11);
    det_thread_free(t);
    det_engine_free(e);
}

TEST(flowbits_set_then_isset)
{
    struct det_engine *e = load_text(
        "alert tcp any any -> any any (msg:\"login\"; content:\"USER\"; flowbits:set,logged; flowbits:noalert; sid:1;)\n"
        "alert tcp any any -> any any (msg:\"after\"; content:\"RETR\"; flowbits:isset,logged; sid:2;)\n"
        "alert tcp any any -> any any (msg:\"not\"; content:\"RETR\"; flowbits:isnotset,logged; sid:3;)\n",
        NULL);
    CHECK(e != NULL);
    if (e == NULL)
        return;
    struct det_thread *t = det_thread_new(e);
    struct det_flow fl = { 0 };
    struct packet p = mkpkt(IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 21, "RETR x", 6);
    struct det_input in = { .p = &p, .flow = &fl, .flags = DET_IN_TO_SERVER };
    in.buf[DET_BUF_PAYLOAD] = (struct det_buf_ref){ p.payload, p.payload_len };
    struct det_alert a[4];
    int n = det_inspect(t, &in, a, 4);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(n ? a[0].sid : 0, 3);
    p.payload = (const uint8_t *)"USER bob";
    p.payload_len = 8;
    in.buf[DET_BUF_PAYLOAD] = (struct det_buf_ref){ p.payload, p.payload_len };
    CHECK_EQ_INT(det_inspect(t, &in, a, 4), 0); /* noalert */
    p.payload = (const uint8_t *)"RETR x";
    p.payload_len = 6;
    in.buf[DET_BUF_PAYLOAD] = (struct det_buf_ref){ p.payload, p.payload_len };
    n = det_inspect(t, &in, a, 4);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(n ? a[0].sid : 0, 2);
    det_thread_free(t);
    det_engine_free(e);
}

TEST(threshold_limit_and_detection_filter)
{
    struct det_engine *e = load_text(
        "alert tcp any any -> any any (content:\"x\"; threshold:type limit, track by_src, count 2, seconds 60; sid:1;)\n"
        "alert tcp any any -> any any (content:\"x\"; detection_filter:track by_src, count 3, seconds 60; sid:2;)\n",
        NULL);
    CHECK(e != NULL);
    if (e == NULL)
        return;
    struct det_thread *t = det_thread_new(e);
    struct packet p = mkpkt(IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 21, "x", 1);
    struct det_input in = { .p = &p, .flags = DET_IN_TO_SERVER };
    in.buf[DET_BUF_PAYLOAD] = (struct det_buf_ref){ p.payload, 1 };
    int per[3] = { 0 };
    for (int i = 0; i < 5; i++) {
        struct det_alert a[4];
        int n = det_inspect(t, &in, a, 4);
        for (int k = 0; k < n; k++)
            per[a[k].sid]++;
    }
    CHECK_EQ_INT(per[1], 2);  /* limit 2 */
    CHECK_EQ_INT(per[2], 2);  /* matches 4 and 5 are past count 3 */
    p.ts.tv_sec += 61;        /* a new window */
    struct det_alert a[4];
    int n = det_inspect(t, &in, a, 4);
    CHECK_EQ_INT(n, 1);
    det_thread_free(t);
    det_engine_free(e);
}

TEST(vars_negation_and_ranges)
{
    struct rule_vars *v = rule_vars_new();
    struct det_arena a = { 0 };
    char err[200];
    struct det_addrs s;
    struct det_ports ps;
    rule_vars_from_cfg(v, NULL);
    rule_vars_set(v, false, "HOME_NET", "[10.0.0.0/8,192.168.1.0/24]");
    CHECK_EQ_INT(rule_vars_parse_addrs(v, &a, "$EXTERNAL_NET", &s, err, sizeof(err)), 0);
    uint8_t in10[16] = { 10, 1, 2, 3 }, out[16] = { 8, 8, 8, 8 };
    CHECK(!rule_vars_addr_match(&s, in10, 4));
    CHECK(rule_vars_addr_match(&s, out, 4));
    CHECK_EQ_INT(rule_vars_parse_addrs(v, &a, "[$HOME_NET,!10.1.0.0/16]", &s, err, sizeof(err)), 0);
    CHECK(!rule_vars_addr_match(&s, in10, 4));
    uint8_t in10b[16] = { 10, 2, 0, 1 };
    CHECK(rule_vars_addr_match(&s, in10b, 4));
    CHECK_EQ_INT(rule_vars_parse_addrs(v, &a, "2001:db8::/32", &s, err, sizeof(err)), 0);
    uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    CHECK(rule_vars_addr_match(&s, v6, 6));
    CHECK(!rule_vars_addr_match(&s, in10, 4));
    CHECK_EQ_INT(rule_vars_parse_ports(v, &a, "[1024:,!8080]", &ps, err, sizeof(err)), 0);
    CHECK(rule_vars_port_match(&ps, 5000));
    CHECK(!rule_vars_port_match(&ps, 8080));
    CHECK(!rule_vars_port_match(&ps, 80));
    CHECK_EQ_INT(rule_vars_parse_ports(v, &a, "$HTTP_PORTS", &ps, err, sizeof(err)), 0);
    CHECK(rule_vars_port_match(&ps, 80));
    rule_vars_set(v, false, "LOOP", "$LOOP");
    CHECK(rule_vars_parse_addrs(v, &a, "$LOOP", &s, err, sizeof(err)) != 0);
    det_arena_free(&a);
    rule_vars_free(v);
}

TEST(vars_from_config)
{
    struct cfg *c = cfg_new();
    det_cfg_schema(c);
    const char *y = "vars:\n  address-groups:\n    HOME_NET: \"[172.20.0.0/16]\"\n  port-groups:\n    HTTP_PORTS: \"[80,8080]\"\n";
    CHECK_EQ_INT(cfg_load_string(c, "t.yaml", y, strlen(y)), 0);
    struct rule_vars *v = rule_vars_new();
    struct det_arena a = { 0 };
    struct det_addrs s;
    struct det_ports ps;
    char err[200];
    CHECK_EQ_INT(rule_vars_from_cfg(v, c), 0);
    CHECK_EQ_INT(rule_vars_parse_addrs(v, &a, "$HOME_NET", &s, err, sizeof(err)), 0);
    uint8_t x[16] = { 172, 20, 9, 9 }, y2[16] = { 192, 168, 0, 1 };
    CHECK(rule_vars_addr_match(&s, x, 4));
    CHECK(!rule_vars_addr_match(&s, y2, 4));
    CHECK_EQ_INT(rule_vars_parse_ports(v, &a, "$HTTP_PORTS", &ps, err, sizeof(err)), 0);
    CHECK(rule_vars_port_match(&ps, 8080));
    det_arena_free(&a);
    rule_vars_free(v);
    cfg_free(c);
}

TEST(hyperscan_cache_round_trip)
{
    char dir[] = "/tmp/canh-hscache-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char rules[] = "/tmp/canh-rules-XXXXXX";
    int fd = mkstemp(rules);
    FILE *f = fdopen(fd, "w");
    fputs("alert tcp any any -> any any (content:\"cached-pattern\"; sid:1;)\n", f);
    fclose(f);
    struct cfg *c = cfg_new();
    det_cfg_schema(c);
    char set[300];
    snprintf(set, sizeof(set), "detect.sgh-mpm-caching-path=%s", dir);
    CHECK_EQ_INT(cfg_set(c, set), 0);
    const char *files[1] = { rules };
    struct det_load_stats s1, s2;
    struct det_engine *e1 = det_engine_load(c, files, 1, NULL, &s1);
    struct det_engine *e2 = det_engine_load(c, files, 1, e1, &s2);
    CHECK(e1 != NULL && e2 != NULL);
    CHECK_EQ_INT(s1.cache_misses, 1);
    CHECK_EQ_INT(s1.cache_hits, 0);
    CHECK_EQ_INT(s2.cache_hits, 1);
    CHECK_EQ_INT(s2.cache_misses, 0);
    if (e2 != NULL) { /* the cached database still matches */
        struct det_thread *t = det_thread_new(e2);
        struct packet p = mkpkt(IPPROTO_TCP, "10.0.0.1", 1, "10.0.0.2", 2, "xx cached-pattern", 17);
        struct det_input in = { .p = &p };
        in.buf[DET_BUF_PAYLOAD] = (struct det_buf_ref){ p.payload, p.payload_len };
        struct det_alert a[2];
        CHECK_EQ_INT(det_inspect(t, &in, a, 2), 1);
        det_thread_free(t);
    }
    det_engine_free(e1);
    det_engine_free(e2);
    cfg_free(c);
    unlink(rules);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* One app-layer pass of an HTTP transaction side; returns the alerts. */
static int tx_pass(struct det_thread *t, struct det_flow *fl, bool request, const char *uri, const char *code,
                   const char *body, struct det_alert *a)
{
    struct packet p = request ? mkpkt(IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 80, NULL, 0)
                              : mkpkt(IPPROTO_TCP, "10.0.0.2", 80, "10.0.0.1", 40000, NULL, 0);
    struct det_input in = { .p = &p, .flow = fl, .app = DET_APP_HTTP,
                            .flags = DET_IN_APP | DET_IN_ESTABLISHED | DET_IN_HAS_FLOW |
                                     (request ? DET_IN_TO_SERVER : 0) };
    if (uri != NULL)
        in.buf[DET_BUF_HTTP_URI] = (struct det_buf_ref){ (const uint8_t *)uri, (uint32_t)strlen(uri) };
    if (code != NULL)
        in.buf[DET_BUF_HTTP_STAT_CODE] = (struct det_buf_ref){ (const uint8_t *)code, (uint32_t)strlen(code) };
    if (body != NULL)
        in.buf[DET_BUF_FILE_DATA] = (struct det_buf_ref){ (const uint8_t *)body, (uint32_t)strlen(body) };
    return det_inspect(t, &in, a, 4);
}

TEST(transactional_rule_pairs_request_and_response)
{
    struct det_engine *e = load_text(
        "alert http 10.0.0.1 any => 10.0.0.2 80 (msg:\"tx\"; http.uri; content:\"/login\"; "
        "http.stat_code; content:\"200\"; file.data: to_client; content:\"welcome\"; sid:20;)\n"
        "alert http 10.0.0.9 any => any any (http.uri; content:\"/login\"; http.stat_code; content:\"200\"; sid:21;)\n",
        NULL);
    CHECK(e != NULL);
    if (e == NULL)
        return;
    CHECK_EQ_INT(det_engine_rule_count(e), 2);
    struct det_thread *t = det_thread_new(e);
    struct det_flow fl = { 0 };
    struct det_alert a[4];
    /* a response alone: nothing */
    CHECK_EQ_INT(tx_pass(t, &fl, false, NULL, "200", "welcome", a), 0);
    /* request matches: no alert yet; the response completes it (reversed addresses) */
    CHECK_EQ_INT(tx_pass(t, &fl, true, "/login", NULL, NULL, a), 0);
    int n = tx_pass(t, &fl, false, NULL, "200", "welcome back", a);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(n ? (int)a[0].sid : 0, 20);
    /* once per transaction */
    CHECK_EQ_INT(tx_pass(t, &fl, false, NULL, "200", "welcome", a), 0);
    /* request side matches, response side does not; then another request does not match */
    CHECK_EQ_INT(tx_pass(t, &fl, true, "/login", NULL, NULL, a), 0);
    CHECK_EQ_INT(tx_pass(t, &fl, false, NULL, "403", "welcome", a), 0);
    CHECK_EQ_INT(tx_pass(t, &fl, true, "/logout", NULL, NULL, a), 0);
    CHECK_EQ_INT(tx_pass(t, &fl, false, NULL, "200", "welcome", a), 0);
    /* the request's verdict is per flow */
    struct det_flow other = { 0 };
    CHECK_EQ_INT(tx_pass(t, &fl, true, "/login", NULL, NULL, a), 0);
    CHECK_EQ_INT(tx_pass(t, &other, false, NULL, "200", "welcome", a), 0);
    det_thread_free(t);
    det_engine_free(e);
}

/* Rules per port group: a packet sees the any-port rules and those of its
 * destination and source port only. */
TEST(port_groups_select_rules)
{
    struct det_engine *e = load_text(
        "alert tcp any any -> any 445 (content:\"AB\"; sid:30;)\n"
        "alert tcp any any -> any [80,8080] (content:\"AB\"; sid:31;)\n"
        "alert tcp any 25 -> any any (content:\"AB\"; sid:32;)\n"
        "alert tcp any any -> any any (content:\"AB\"; sid:33;)\n"
        "alert tcp any any <> any 445 (content:\"AB\"; sid:34;)\n"
        "alert udp any any -> any 445 (content:\"AB\"; sid:35;)\n",
        NULL);
    CHECK(e != NULL);
    if (e == NULL)
        return;
    struct det_thread *t = det_thread_new(e);
    static const struct { uint16_t sp, dp; uint8_t proto; unsigned want; } cases[] = {
        { 40000, 445, IPPROTO_TCP, 1u << 0 | 1u << 3 | 1u << 4 },
        { 40000, 8080, IPPROTO_TCP, 1u << 1 | 1u << 3 },
        { 25, 445, IPPROTO_TCP, 1u << 0 | 1u << 2 | 1u << 3 | 1u << 4 },
        { 445, 40000, IPPROTO_TCP, 1u << 3 | 1u << 4 },
        { 40000, 1234, IPPROTO_TCP, 1u << 3 },
        { 40000, 445, IPPROTO_UDP, 1u << 5 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct packet p = mkpkt(cases[i].proto, "10.0.0.1", cases[i].sp, "10.0.0.2", cases[i].dp, "xxABxx", 6);
        struct det_input in = { .p = &p, .flags = DET_IN_TO_SERVER };
        in.buf[DET_BUF_PAYLOAD] = (struct det_buf_ref){ p.payload, p.payload_len };
        struct det_alert a[8];
        int n = det_inspect(t, &in, a, 8);
        unsigned got = 0;
        for (int k = 0; k < n; k++)
            got |= 1u << (a[k].sid - 30);
        CHECK_EQ_INT(got, cases[i].want);
    }
    det_thread_free(t);
    det_engine_free(e);
}

/* Rules without content over address lists: found through the address index. */
TEST(address_index_finds_list_rules)
{
    struct det_engine *e = load_text(
        "alert ip [1.2.3.4,5.6.7.0/24] any -> $HOME_NET any (sid:40;)\n"
        "alert ip $HOME_NET any -> [9.9.9.9,5.6.7.8] any (sid:41;)\n"
        "alert ip [1.2.3.4] any <> $HOME_NET any (sid:42;)\n"
        "alert tcp [2001:db8::/64] any -> any any (sid:43;)\n"
        "alert ip [5.6.0.0/16,!5.6.7.0/24] any -> any any (sid:44;)\n",
        NULL);
    CHECK(e != NULL);
    if (e == NULL)
        return;
    struct det_thread *t = det_thread_new(e);
    static const struct { const char *src, *dst; unsigned want; } cases[] = {
        { "5.6.7.9", "192.168.1.1", 1u << 0 },
        { "1.2.3.4", "192.168.1.1", 1u << 0 | 1u << 2 },
        { "192.168.1.1", "1.2.3.4", 1u << 2 },
        { "192.168.1.1", "9.9.9.9", 1u << 1 },
        { "192.168.1.1", "5.6.7.8", 1u << 1 },
        { "5.6.8.1", "192.168.1.1", 1u << 4 },
        { "5.6.7.1", "8.8.8.8", 0 },
        { "8.8.8.8", "192.168.1.1", 0 },
    };
    struct det_alert a[8];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct packet p = mkpkt(IPPROTO_TCP, cases[i].src, 1000, cases[i].dst, 2000, NULL, 0);
        struct det_input in = { .p = &p, .flags = DET_IN_TO_SERVER };
        int n = det_inspect(t, &in, a, 8);
        unsigned got = 0;
        for (int k = 0; k < n; k++)
            got |= 1u << (a[k].sid - 40);
        CHECK_EQ_INT(got, cases[i].want);
    }
    struct packet p6 = mkpkt(IPPROTO_TCP, "0.0.0.0", 1000, "0.0.0.0", 2000, NULL, 0);
    static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
    p6.ip_version = 6;
    memcpy(p6.src, a6, 16);
    struct det_input in6 = { .p = &p6, .flags = DET_IN_TO_SERVER };
    int n = det_inspect(t, &in6, a, 8);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(n ? (int)a[0].sid : 0, 43);
    p6.src[7] = 1;   /* 2001:db8:0:1::7: outside the /64 */
    CHECK_EQ_INT(det_inspect(t, &in6, a, 8), 0);
    det_thread_free(t);
    det_engine_free(e);
}

TEST(bad_rule_does_not_stop_others)
{
    struct det_load_stats st;
    struct det_engine *e = load_text("alert tcp any any -> any any (content:\"a\"; sid:1;)\n"
                                     "alert tcp any any -> any any (nonsense; sid:2;)\n"
                                     "# alert tcp any any -> any any (sid:3;)\n"
                                     "alert tcp any any -> any any (content:\"b\"; \\\n sid:4;)\n"
                                     "alert tcp any any -> any any (content:\"c\"; sid:1;)\n",
                                     &st);
    CHECK(e != NULL);
    CHECK_EQ_INT(st.rules_total, 4);
    CHECK_EQ_INT(st.rules_loaded, 2);
    CHECK_EQ_INT(st.rules_failed, 2); /* unknown keyword and duplicate sid */
    det_engine_free(e);
}

TEST(et_open_loads_90_percent)
{
    const char *path = "../shared/corpus/rules/et-open.rules";
    if (access(path, R_OK) != 0)
        SKIP("../shared/corpus absent");
    struct det_load_stats st;
    const char *files[1] = { path };
    struct det_engine *e = det_engine_load(NULL, files, 1, NULL, &st);
    CHECK(e != NULL);
    fprintf(stderr, "et-open: %zu of %zu rules loaded (%.1f%%)\n", st.rules_loaded, st.rules_total,
            100.0 * (double)st.rules_loaded / (double)(st.rules_total ? st.rules_total : 1));
    CHECK(st.rules_total >= 24800);
    CHECK(st.rules_loaded * 10 >= st.rules_total * 9);
    det_engine_free(e);
}

int main(int argc, char **argv)
{
    log_init("test");
    return runner_main(argc, argv);
}
