/* test_sigma: plain Sigma rules, table-driven.
 *
 * Each row is a detection block + an EVE event -> match or no match; every
 * modifier and every condition form has rows both ways. A second table holds
 * broken rules -> the error line; a file with one broken rule among good ones
 * must load the good ones and name the bad one's file and line.
 */
#include "../runner.h"
#include "corr_test_util.h"

#include <stdbool.h>
#include <sys/stat.h>

struct mcase {
    const char *det;   /* detection body, two-space indented */
    const char *event; /* EVE JSON */
    int match;
};

static const struct mcase match_cases[] = {
    /* plain values: strings case-insensitive, numbers numeric, lists OR */
    { "  s: {app_proto: HTTP}\n  condition: s", "{\"app_proto\":\"http\"}", 1 },
    { "  s: {app_proto: HTTP}\n  condition: s", "{\"app_proto\":\"https\"}", 0 },
    { "  s: {alert.severity: 1}\n  condition: s", "{\"alert\":{\"severity\":1}}", 1 },
    { "  s: {alert.severity: 1}\n  condition: s", "{\"alert\":{\"severity\":2}}", 0 },
    { "  s: {alert.severity: 1}\n  condition: s", "{\"alert\":{\"severity\":1.0}}", 1 },
    { "  s: {alert.severity: 1}\n  condition: s", "{\"alert\":{\"severity\":\"1\"}}", 1 },
    { "  s: {alert.severity: 1}\n  condition: s", "{\"alert\":{}}", 0 },
    { "  s: {dest_port: [22, 3389]}\n  condition: s", "{\"dest_port\":3389}", 1 },
    { "  s: {dest_port: [22, 3389]}\n  condition: s", "{\"dest_port\":80}", 0 },
    { "  s: {dest_port: '2*'}\n  condition: s", "{\"dest_port\":22}", 1 },
    { "  s: {proto: TCP, dest_port: 22}\n  condition: s", "{\"proto\":\"TCP\",\"dest_port\":22}", 1 },
    { "  s: {proto: TCP, dest_port: 22}\n  condition: s", "{\"proto\":\"UDP\",\"dest_port\":22}", 0 },
    /* wildcards */
    { "  s: {http.hostname: '*.example.com'}\n  condition: s",
      "{\"http\":{\"hostname\":\"www.EXAMPLE.com\"}}", 1 },
    { "  s: {http.hostname: '*.example.com'}\n  condition: s",
      "{\"http\":{\"hostname\":\"example.com\"}}", 0 },
    { "  s: {x: 'ab?d'}\n  condition: s", "{\"x\":\"abcd\"}", 1 },
    { "  s: {x: 'ab?d'}\n  condition: s", "{\"x\":\"abd\"}", 0 },
    { "  s: {x: 'a\\*b'}\n  condition: s", "{\"x\":\"a*b\"}", 1 },
    { "  s: {x: 'a\\*b'}\n  condition: s", "{\"x\":\"axb\"}", 0 },
    { "  s: {x: 'a*b*c'}\n  condition: s", "{\"x\":\"aXXbYYbc\"}", 1 },
    { "  s: {x: 'a*b*c'}\n  condition: s", "{\"x\":\"aXXbYYbd\"}", 0 },
    /* contains / startswith / endswith / all / cased */
    { "  s: {http.url|contains: /ADMIN}\n  condition: s", "{\"http\":{\"url\":\"/x/admin/y\"}}", 1 },
    { "  s: {http.url|contains: /admin}\n  condition: s", "{\"http\":{\"url\":\"/x/adm/y\"}}", 0 },
    { "  s: {http.url|startswith: /cgi}\n  condition: s", "{\"http\":{\"url\":\"/cgi-bin/a\"}}", 1 },
    { "  s: {http.url|startswith: /cgi}\n  condition: s", "{\"http\":{\"url\":\"/a/cgi\"}}", 0 },
    { "  s: {http.url|endswith: .php}\n  condition: s", "{\"http\":{\"url\":\"/a.PHP\"}}", 1 },
    { "  s: {http.url|endswith: .php}\n  condition: s", "{\"http\":{\"url\":\"/a.php?x\"}}", 0 },
    { "  s: {x|contains|all: [foo, bar]}\n  condition: s", "{\"x\":\"barfoo\"}", 1 },
    { "  s: {x|contains|all: [foo, bar]}\n  condition: s", "{\"x\":\"foo\"}", 0 },
    { "  s: {x|contains: [foo, bar]}\n  condition: s", "{\"x\":\"foo\"}", 1 },
    { "  s: {app_proto|cased: HTTP}\n  condition: s", "{\"app_proto\":\"HTTP\"}", 1 },
    { "  s: {app_proto|cased: HTTP}\n  condition: s", "{\"app_proto\":\"http\"}", 0 },
    /* re (case-sensitive unless |i) */
    { "  s: {http.url|re: '^/a[0-9]+$'}\n  condition: s", "{\"http\":{\"url\":\"/a12\"}}", 1 },
    { "  s: {http.url|re: '^/a[0-9]+$'}\n  condition: s", "{\"http\":{\"url\":\"/A12\"}}", 0 },
    { "  s: {http.url|re|i: '^/a[0-9]+$'}\n  condition: s", "{\"http\":{\"url\":\"/A12\"}}", 1 },
    { "  s: {dest_port|re: '^44[0-9]$'}\n  condition: s", "{\"dest_port\":443}", 1 },
    /* cidr v4 and v6 */
    { "  s: {src_ip|cidr: 10.0.0.0/8}\n  condition: s", "{\"src_ip\":\"10.200.3.4\"}", 1 },
    { "  s: {src_ip|cidr: 10.0.0.0/8}\n  condition: s", "{\"src_ip\":\"11.0.0.1\"}", 0 },
    { "  s: {src_ip|cidr: 192.168.1.128/25}\n  condition: s", "{\"src_ip\":\"192.168.1.200\"}", 1 },
    { "  s: {src_ip|cidr: 192.168.1.128/25}\n  condition: s", "{\"src_ip\":\"192.168.1.100\"}", 0 },
    { "  s: {src_ip|cidr: '2001:db8::/32'}\n  condition: s", "{\"src_ip\":\"2001:db8:1::5\"}", 1 },
    { "  s: {src_ip|cidr: '2001:db8::/32'}\n  condition: s", "{\"src_ip\":\"2001:db9::5\"}", 0 },
    { "  s: {src_ip|cidr: '::/0'}\n  condition: s", "{\"src_ip\":\"10.0.0.1\"}", 0 },
    { "  s: {src_ip|cidr: 0.0.0.0/0}\n  condition: s", "{\"src_ip\":\"10.0.0.1\"}", 1 },
    { "  s: {src_ip|cidr: 10.0.0.0/8}\n  condition: s", "{\"src_ip\":\"not-an-ip\"}", 0 },
    /* numeric comparisons; a numeric string counts */
    { "  s: {flow.bytes_toserver|gt: 1000}\n  condition: s", "{\"flow\":{\"bytes_toserver\":1001}}", 1 },
    { "  s: {flow.bytes_toserver|gt: 1000}\n  condition: s", "{\"flow\":{\"bytes_toserver\":1000}}", 0 },
    { "  s: {flow.bytes_toserver|gte: 1000}\n  condition: s", "{\"flow\":{\"bytes_toserver\":1000}}", 1 },
    { "  s: {flow.bytes_toserver|lt: 10}\n  condition: s", "{\"flow\":{\"bytes_toserver\":9}}", 1 },
    { "  s: {flow.bytes_toserver|lt: 10}\n  condition: s", "{\"flow\":{\"bytes_toserver\":10}}", 0 },
    { "  s: {flow.bytes_toserver|lte: 10}\n  condition: s", "{\"flow\":{\"bytes_toserver\":\"10\"}}", 1 },
    { "  s: {flow.bytes_toserver|lte: 10}\n  condition: s", "{\"flow\":{\"bytes_toserver\":\"ten\"}}", 0 },
    /* exists and null */
    { "  s: {fileinfo.yara|exists: true}\n  condition: s", "{\"fileinfo\":{\"yara\":[\"EICAR\"]}}", 1 },
    { "  s: {fileinfo.yara|exists: true}\n  condition: s", "{\"fileinfo\":{\"size\":3}}", 0 },
    { "  s: {fileinfo.yara|exists: true}\n  condition: s", "{\"fileinfo\":{\"yara\":[]}}", 0 },
    { "  s: {fileinfo.yara|exists: false}\n  condition: s", "{\"fileinfo\":{\"size\":3}}", 1 },
    { "  s: {http.http_user_agent: null}\n  condition: s", "{\"http\":{}}", 1 },
    { "  s: {http.http_user_agent: null}\n  condition: s", "{\"http\":{\"http_user_agent\":null}}", 1 },
    { "  s: {http.http_user_agent: null}\n  condition: s", "{\"http\":{\"http_user_agent\":\"x\"}}", 0 },
    { "  s: {x: 'null'}\n  condition: s", "{\"x\":\"null\"}", 1 },
    /* arrays: any element; arrays of objects on the way */
    { "  s: {fileinfo.yara: eicar}\n  condition: s", "{\"fileinfo\":{\"yara\":[\"x\",\"EICAR\"]}}", 1 },
    { "  s: {fileinfo.yara.rule: eicar*}\n  condition: s",
      "{\"fileinfo\":{\"yara\":[{\"rule\":\"a\"},{\"rule\":\"EICAR_test\"}]}}", 1 },
    { "  s: {fileinfo.yara.rule: eicar*}\n  condition: s",
      "{\"fileinfo\":{\"yara\":[{\"rule\":\"a\"}]}}", 0 },
    { "  s: {a.b.c: 5}\n  condition: s", "{\"a\":{\"b\":\"notanobject\"}}", 0 },
    /* booleans */
    { "  s: {tcp.syn: true}\n  condition: s", "{\"tcp\":{\"syn\":true}}", 1 },
    { "  s: {tcp.syn: true}\n  condition: s", "{\"tcp\":{\"syn\":false}}", 0 },
    /* selection as a list of maps: OR of ANDs */
    { "  s:\n    - {proto: TCP, dest_port: 22}\n    - {proto: UDP, dest_port: 53}\n  condition: s",
      "{\"proto\":\"UDP\",\"dest_port\":53}", 1 },
    { "  s:\n    - {proto: TCP, dest_port: 22}\n    - {proto: UDP, dest_port: 53}\n  condition: s",
      "{\"proto\":\"UDP\",\"dest_port\":22}", 0 },
    /* conditions */
    { "  s: {event_type: alert}\n  f: {src_ip: 10.0.0.1}\n  condition: s and not f",
      "{\"event_type\":\"alert\",\"src_ip\":\"10.0.0.2\"}", 1 },
    { "  s: {event_type: alert}\n  f: {src_ip: 10.0.0.1}\n  condition: s and not f",
      "{\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\"}", 0 },
    { "  a: {x: 1}\n  b: {y: 1}\n  condition: a or b", "{\"y\":1}", 1 },
    { "  a: {x: 1}\n  b: {y: 1}\n  condition: a or b", "{\"z\":1}", 0 },
    { "  a: {x: 1}\n  b: {y: 1}\n  c: {z: 1}\n  condition: (a or b) and c", "{\"y\":1,\"z\":1}", 1 },
    { "  a: {x: 1}\n  b: {y: 1}\n  c: {z: 1}\n  condition: (a or b) and c", "{\"y\":1}", 0 },
    { "  a: {x: 1}\n  b: {y: 1}\n  c: {z: 1}\n  condition: a or b and c", "{\"x\":1}", 1 },
    { "  a: {x: 1}\n  b: {y: 1}\n  condition: not a and b", "{\"y\":1}", 1 },
    { "  a: {x: 1}\n  b: {y: 1}\n  condition: not a and b", "{\"x\":1,\"y\":1}", 0 },
    { "  a: {x: 1}\n  b: {y: 1}\n  condition: not (a and b)", "{\"x\":1}", 1 },
    { "  sel_a: {x: 1}\n  sel_b: {y: 1}\n  other: {z: 1}\n  condition: 1 of sel_*", "{\"y\":1}", 1 },
    { "  sel_a: {x: 1}\n  sel_b: {y: 1}\n  other: {z: 1}\n  condition: 1 of sel_*", "{\"z\":1}", 0 },
    { "  sel_a: {x: 1}\n  sel_b: {y: 1}\n  condition: all of sel_*", "{\"x\":1,\"y\":1}", 1 },
    { "  sel_a: {x: 1}\n  sel_b: {y: 1}\n  condition: all of sel_*", "{\"x\":1}", 0 },
    { "  a: {x: 1}\n  _b: {y: 1}\n  condition: all of them", "{\"x\":1}", 1 },
    { "  a: {x: 1}\n  b: {y: 1}\n  condition: all of them", "{\"x\":1}", 0 },
    { "  a: {x: 1}\n  b: {y: 1}\n  condition: 1 of them", "{\"y\":1}", 1 },
    { "  a: {x: 1}\n  b: {y: 1}\n  condition:\n    - a\n    - b", "{\"y\":1}", 1 },
    { "  a: {x: 1}\n  b: {y: 1}\n  condition:\n    - a\n    - b", "{\"w\":1}", 0 },
};

static int run_match(const struct mcase *c)
{
    char yaml[2048];
    snprintf(yaml, sizeof(yaml), "title: t\nid: r1\ndetection:\n%s\n", c->det);
    int nerr;
    struct corr_rules *r = load_rules(yaml, &nerr);
    if (r == NULL || nerr != 0 || corr_rules_count(r) != 1) {
        fprintf(stderr, "rule did not load: %s\n", c->det);
        corr_rules_free(r);
        return -1;
    }
    struct corr_engine *e = corr_engine_new(r);
    struct hits h = { 0 };
    int rc = feed_json(e, c->event, &h);
    corr_engine_free(e);
    corr_rules_free(r);
    return rc < 0 ? -1 : h.n;
}

TEST(match_table)
{
    for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
        int got = run_match(&match_cases[i]);
        if (got != match_cases[i].match)
            fprintf(stderr, "case %zu: %s on %s: got %d want %d\n", i, match_cases[i].det,
                    match_cases[i].event, got, match_cases[i].match);
        CHECK_EQ_INT(got, match_cases[i].match);
    }
}

struct ecase {
    const char *yaml;
    int line; /* expected line in "test.yml:LINE:" */
    const char *reason; /* a part of the message */
};

static const struct ecase error_cases[] = {
    { "title: t\ndetection:\n  s: {x|base64: a}\n  condition: s\n", 3, "unsupported modifier 'base64'" },
    { "title: t\ndetection:\n  s:\n    x|re: '(('\n  condition: s\n", 4, "regex" },
    { "title: t\ndetection:\n  s: {x|cidr: 10.0.0.0/33}\n  condition: s\n", 3, "CIDR" },
    { "title: t\ndetection:\n  s: {x: 1}\n  condition: s and t\n", 4, "unknown selection 't'" },
    { "title: t\ndetection:\n  s: {x: 1}\n  condition: s and\n", 4, "ends early" },
    { "title: t\ndetection:\n  s: {x: 1}\n  condition: (s\n", 4, "missing ')'" },
    { "title: t\ndetection:\n  s: {x: 1}\n  condition: 1 of z*\n", 4, "matches no selection" },
    { "title: t\ndetection:\n  s: {x: 1}\n", 3, "no 'condition'" },
    { "title: t\ndetection:\n  k:\n    - evil\n    - bad\n  condition: k\n", 4, "keyword" },
    { "title: t\ndetection:\n  s: {x: 1}\n  condition: s | count() > 5\n", 4, "correlation rule" },
    { "title: t\nlevel: severe\ndetection:\n  s: {x: 1}\n  condition: s\n", 2, "level 'severe'" },
    { "title: t\ndetection:\n  s: {x|gt: many}\n  condition: s\n", 3, "not a number" },
    { "title: t\ndetection:\n  s: {x|contains|re: a}\n  condition: s\n", 3, "combined" },
    { "detection:\n  s: {x: 1}\n  condition: s\n", 1, "no 'title'" },
    { "title: t\n", 1, "no 'detection'" },
    { "title: t\ndetection:\n  s: {x: 1}\n  condition: s\n  bad: [\n", 6, "YAML" },
    { "title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5m\n"
      "  condition: {gte: 2}\n", 1, "references rule 'a'" },
    { "title: a\nname: a\ndetection: {s: {x: 1}, condition: s}\n---\n"
      "title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n  condition: {gte: 2}\n",
      7, "timespan" },
    { "title: a\nname: a\ndetection: {s: {x: 1}, condition: s}\n---\n"
      "title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5m\n"
      "  condition: {lt: 2}\n", 10, "lt/lte" },
    { "title: a\nname: a\ndetection: {s: {x: 1}, condition: s}\n---\n"
      "title: c\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 5m\n"
      "  condition: {gte: 2}\n", 10, "needs 'field'" },
    { "title: a\nname: a\ndetection: {s: {x: 1}, condition: s}\n---\n"
      "title: c\ncorrelation:\n  type: event_sum\n  rules: [a]\n  timespan: 5m\n"
      "  condition: {gte: 2}\n", 7, "event_sum" },
    { "title: a\nname: a\ndetection: {s: {x: 1}, condition: s}\n---\n"
      "title: c\ncorrelation:\n  type: temporal\n  rules: [a]\n  timespan: 5x\n", 9, "timespan" },
    { "title: a\nname: a\ndetection: {s: {x: 1}, condition: s}\n---\n"
      "title: b\nname: a\ndetection: {s: {x: 2}, condition: s}\n", 5, "duplicate name 'a'" },
    { "title: a\nname: a\ncorrelation: {type: event_count, rules: [b], timespan: 1m, condition: {gte: 1}}\n---\n"
      "title: b\nname: b\ncorrelation: {type: event_count, rules: [a], timespan: 1m, condition: {gte: 1}}\n",
      1, "cycle" },
    { "title: t\ndetection: {s: {x: 1}, condition: s}\ncanh:\n  description_vi: [a, b]\n", 4,
      "'description_vi' must be a single value" },
};

TEST(error_table)
{
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const struct ecase *c = &error_cases[i];
        char log[4096], want[32];
        int nerr = 0;
        errlog_start();
        struct corr_rules *r = load_rules(c->yaml, &nerr);
        errlog_read(log, sizeof(log));
        snprintf(want, sizeof(want), "test.yml:%d: ", c->line);
        CHECK(r != NULL);
        CHECK(nerr >= 1);
        bool ok = strstr(log, want) != NULL && strstr(log, c->reason) != NULL;
        if (!ok)
            fprintf(stderr, "error case %zu: want '%s' and '%s' in:\n%s\n", i, want, c->reason, log);
        CHECK(ok);
        corr_rules_free(r);
    }
}

/* One broken rule among good ones: the rest load, the error names file and line. */
TEST(broken_rule_among_good_ones)
{
    const char *yaml =
        "title: good one\nid: g1\ndetection:\n  s: {event_type: alert}\n  condition: s\n"
        "---\n"
        "title: broken\nid: b1\ndetection:\n  s: {x|nosuchmod: 1}\n  condition: s\n"
        "---\n"
        "title: good two\nid: g2\ndetection:\n  s: {event_type: flow}\n  condition: s\n";
    char log[4096];
    int nerr = 0;
    errlog_start();
    struct corr_rules *r = corr_rules_load_string("rules/mixed.yml", yaml, strlen(yaml), &nerr);
    errlog_read(log, sizeof(log));
    CHECK_EQ_INT(nerr, 1);
    CHECK_EQ_INT(corr_rules_count(r), 2);
    CHECK(strstr(log, "rules/mixed.yml:10: rule 'broken': field 'x': unsupported modifier "
                      "'nosuchmod'") != NULL);
    struct corr_engine *e = corr_engine_new(r);
    struct hits h = { 0 };
    CHECK_EQ_INT(feed_json(e, "{\"event_type\":\"flow\"}", &h), 1);
    CHECK_EQ_STR(h.rule[0], "g2");
    corr_engine_free(e);
    corr_rules_free(r);
}

/* The same from a folder: corr_rules_load_dir and corr_test_rules_main. */
TEST(load_dir_with_a_broken_file)
{
    char dir[] = "/tmp/canh-sigma-XXXXXX", path[256], log[4096];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/sub", dir);
    CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof(path), "%s/a.yml", dir);
    FILE *f = fopen(path, "w");
    fputs("title: a\ndetection:\n  s: {x: 1}\n  condition: s\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/sub/b.yaml", dir);
    f = fopen(path, "w");
    fputs("title: b\ndetection:\n  s: {x: 1}\n  condition: s and nope\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    f = fopen(path, "w");
    fputs("not yaml: [", f);
    fclose(f);
    int nerr = 0;
    errlog_start();
    struct corr_rules *r = corr_rules_load_dir(dir, &nerr);
    errlog_read(log, sizeof(log));
    CHECK_EQ_INT(nerr, 1);
    CHECK_EQ_INT(corr_rules_count(r), 1);
    snprintf(path, sizeof(path), "%s/sub/b.yaml:4: rule 'b': ", dir);
    CHECK(strstr(log, path) != NULL);
    corr_rules_free(r);
    CHECK_EQ_INT(corr_test_rules_main(dir), 1);
    CHECK(corr_rules_load_dir("/nonexistent/canh", &nerr) == NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* Hit contents of a plain rule: id, severity, tags, group key, matched, ids. */
TEST(plain_hit_fields)
{
    const char *yaml =
        "title: Sev1\nid: 11111111-2222\nlevel: critical\ntags: [attack.t1190, attack.initial_access]\n"
        "canh: {title_vi: 'Cảnh báo', description_vi: 'Cảnh báo mức 1',\n"
        "       group-by: [src_ip, alert.signature_id]}\n"
        "detection:\n  s: {event_type: alert, alert.severity: 1}\n  condition: s\n";
    int nerr;
    struct corr_rules *r = load_rules(yaml, &nerr);
    CHECK_EQ_INT(nerr, 0);
    struct corr_engine *e = corr_engine_new(r);
    struct hits h = { 0 };
    CHECK_EQ_INT(feed_json(e, "{\"timestamp\":\"2026-01-01T00:00:01.5+00:00\",\"event_type\":\"alert\","
                              "\"src_ip\":\"1.2.3.4\",\"alert\":{\"severity\":1,\"signature_id\":2001},"
                              "\"canh\":{\"id\":\"s1:42\"}}", &h), 1);
    CHECK_EQ_STR(h.rule[0], "11111111-2222");
    CHECK_EQ_INT(h.severity[0], 1);
    CHECK_EQ_INT(h.ntags[0], 2);
    CHECK_EQ_STR(h.key[0], "src_ip=1.2.3.4|alert.signature_id=2001");
    CHECK_EQ_STR(h.ids[0], "s1:42");
    CHECK_EQ_STR(h.title_vi[0], "Cảnh báo");
    CHECK_EQ_STR(h.desc_vi[0], "Cảnh báo mức 1");
    CHECK_EQ_STR(h.matched[0], "{\"alert.severity\":1,\"event_type\":\"alert\"}");
    CHECK_EQ_INT(h.first[0], corr_parse_time("2026-01-01T00:00:01.500000Z"));
    CHECK_EQ_INT(feed_json(e, "[1,2]", &h), -1);
    corr_engine_free(e);
    corr_rules_free(r);
}

TEST(level_to_severity)
{
    static const struct { const char *level; int sev; } t[] = {
        { "critical", 1 }, { "high", 1 }, { "medium", 2 }, { "low", 3 }, { "informational", 4 },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char yaml[256];
        snprintf(yaml, sizeof(yaml), "title: t\nlevel: %s\ndetection: {s: {x: 1}, condition: s}\n",
                 t[i].level);
        int nerr;
        struct corr_rules *r = load_rules(yaml, &nerr);
        struct corr_engine *e = corr_engine_new(r);
        struct hits h = { 0 };
        CHECK_EQ_INT(feed_json(e, "{\"x\":1}", &h), 1);
        CHECK_EQ_INT(h.severity[0], t[i].sev);
        corr_engine_free(e);
        corr_rules_free(r);
    }
}

TEST(parse_time)
{
    int64_t base = corr_parse_time("2026-11-27T02:56:47.123456+00:00");
    CHECK(base > 0);
    CHECK_EQ_INT(corr_parse_time("2026-11-27T02:56:47.123456+0000"), base);
    CHECK_EQ_INT(corr_parse_time("2026-11-27T02:56:47.123456Z"), base);
    CHECK_EQ_INT(corr_parse_time("2026-11-27T09:56:47.123456+0700"), base);
    CHECK_EQ_INT(corr_parse_time("2026-11-27T02:56:47.123456789Z"), base);
    CHECK_EQ_INT(corr_parse_time("1970-01-01T00:00:01Z"), 1000000);
    CHECK_EQ_INT(corr_parse_time("2000-03-01T00:00:00Z") - corr_parse_time("2000-02-28T00:00:00Z"),
                 2LL * 86400 * 1000000);
    CHECK_EQ_INT(corr_parse_time("2026-13-01T00:00:00Z"), -1);
    CHECK_EQ_INT(corr_parse_time("2026-01-01 00:00"), -1);
    CHECK_EQ_INT(corr_parse_time("2026-01-01T00:00:00+07"), -1);
    CHECK_EQ_INT(corr_parse_time(NULL), -1);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
