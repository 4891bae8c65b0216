/* Unit tests of the Sigma prefilter (correlator/correlate/corr_prefilter.c):
 * the default rules (./rules) on a generated mix of EVE events give exactly
 * the same hits with the prefilter as without it, and the same again when
 * each event is cut down to the members the rules read (what ingest feeds);
 * the per-rule event_type analysis on a table of conditions. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runner.h"
#include "correlate/corr_engine.h"
#include "correlate/corr_private.h"
#include "ingest/ing_json.h"

struct digest {
    uint64_t h;
    int n;
    char rules[64][96]; /* distinct rule ids that hit */
    int nrules;
};

static uint64_t mix(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
}

static void digest_cb(const struct corr_hit *hit, void *arg)
{
    struct digest *d = arg;
    char buf[64];
    d->n++;
    d->h = mix(d->h, hit->rule_id);
    d->h = mix(d->h, hit->group_key);
    for (size_t i = 0; i < hit->nevents; i++)
        d->h = mix(d->h, hit->event_ids[i]);
    snprintf(buf, sizeof buf, "%lld-%lld", (long long)hit->first_us, (long long)hit->last_us);
    d->h = mix(d->h, buf);
    char *m = hit->matched ? json_dumps(hit->matched, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    d->h = mix(d->h, m);
    free(m);
    char *gf = json_dumps(hit->group_fields, JSON_SORT_KEYS | JSON_COMPACT);
    d->h = mix(d->h, gf);
    free(gf);
    for (int i = 0; i < d->nrules; i++)
        if (strcmp(d->rules[i], hit->rule_id) == 0)
            return;
    if (d->nrules < 64)
        snprintf(d->rules[d->nrules++], sizeof d->rules[0], "%s", hit->rule_id);
}

/* Event i of the mix: flows (some to login ports, some fanning out over
 * ports, some calling back to an attacker), alerts of several signatures
 * and severities from two sensors, dns, fileinfo with YARA matches, odd
 * event_type values (upper case, missing, a number). */
static int make_event(int i, char *out, size_t cap)
{
    int min = i / 420, sec = (i / 7) % 60;
    const char *sensor = i % 5 == 0 ? "s2" : "s1";
    char head[256];
    snprintf(head, sizeof head,
             "\"timestamp\":\"2026-11-27T03:%02d:%02d.%06d+00:00\",\"canh\":{\"id\":\"%s:%d\","
             "\"sensor\":\"%s\",\"seq\":%d},\"flow_id\":%d",
             min % 60, sec, i % 1000000, sensor, i, sensor, i, 1000 + i);
    int k = i % 20;
    if (k < 8) /* flows; src 10.0.0.x to 10.1.0.y, ports vary per step */
        return snprintf(out, cap, "{%s,\"event_type\":\"flow\",\"proto\":\"TCP\",\"src_ip\":"
                        "\"10.0.0.%d\",\"dest_ip\":\"10.1.0.%d\",\"dest_port\":%d,\"flow\":"
                        "{\"pkts_toserver\":3}}", head, i % 3, i % 2,
                        k < 4 ? 22 : 1000 + i % 97);
    if (k < 10) /* callback: the alerted victim connects to the attacker */
        return snprintf(out, cap, "{%s,\"event_type\":\"flow\",\"proto\":\"TCP\",\"src_ip\":"
                        "\"192.168.5.%d\",\"dest_ip\":\"203.0.113.%d\",\"dest_port\":4444}",
                        head, i % 2, i % 2);
    if (k < 14)
        return snprintf(out, cap, "{%s,\"event_type\":\"%s\",\"src_ip\":\"203.0.113.%d\","
                        "\"dest_ip\":\"192.168.5.%d\",\"alert\":{\"signature_id\":%d,"
                        "\"severity\":%d,\"signature\":\"x\"}}", head,
                        k == 13 ? "ALERT" : "alert", i % 2, i % 2, 2000 + (i / 20) % 5, 1 + i % 3);
    if (k < 17)
        return snprintf(out, cap, "{%s,\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\","
                        "\"dns\":{\"rrname\":\"a%d.example\"}}", head, i);
    if (k == 17)
        return snprintf(out, cap, "{%s,\"event_type\":\"fileinfo\",\"dest_ip\":\"10.0.0.9\","
                        "\"fileinfo\":{\"sha256\":\"ab%d\",\"yara\":[{\"rule\":\"r\"}]}}",
                        head, i % 3);
    if (k == 18)
        return snprintf(out, cap, "{%s,\"src_ip\":\"10.0.0.1\"}", head);
    return snprintf(out, cap, "{%s,\"event_type\":7,\"src_ip\":\"10.0.0.1\"}", head);
}

static bool keep_read(const char *key, size_t len, void *arg)
{
    /* What ingest keeps (incident/inc_corr.c adds these to the rules' keys). */
    static const char *const own[] = { "event_type", "src_ip", "dest_ip" };
    for (size_t i = 0; i < 3; i++)
        if (strlen(own[i]) == len && memcmp(own[i], key, len) == 0)
            return true;
    return corr_rules_reads_key(arg, key, len);
}

/* mode 0: whole events, no prefilter; 1: whole, prefilter; 2: cut, prefilter. */
static void run(struct corr_rules *rules, int mode, int nevents, struct digest *d)
{
    struct corr_prefilter *pre = rules->pre;
    if (mode == 0)
        rules->pre = NULL;
    struct corr_engine *e = corr_engine_new(rules);
    struct ing_json *j = ing_json_new();
    char line[1024], sbuf[1024];
    memset(d, 0, sizeof *d);
    d->h = 1469598103934665603ULL;
    for (int i = 0; i < nevents; i++) {
        int n = make_event(i, line, sizeof line);
        json_t *ev = NULL;
        if (mode < 2) {
            ev = json_loadb(line, (size_t)n, 0, NULL);
        } else if (ing_json_parse(j, line, (size_t)n, sbuf) >= 0) {
            ev = ing_json_build(j, 0, keep_read, rules);
        }
        if (ev == NULL)
            continue;
        corr_engine_feed(e, ev, digest_cb, d);
        json_decref(ev);
    }
    ing_json_free(j);
    corr_engine_free(e);
    rules->pre = pre;
}

TEST(prefilter_same_hits_on_default_rules)
{
    int nerr = 0;
    struct corr_rules *rules = corr_rules_load_dir("rules", &nerr);
    if (rules == NULL) {
        SKIP("no ./rules directory (run from the repository root)");
        return;
    }
    CHECK_EQ_INT(nerr, 0);
    CHECK(rules->pre != NULL);
    struct digest *d = calloc(3, sizeof *d);
    for (int mode = 0; mode < 3; mode++)
        run(rules, mode, 6000, &d[mode]);
    CHECK(d[0].n > 20);
    CHECK(d[0].nrules >= 6); /* plain rules and every correlation type fire */
    for (int i = 0; i < d[0].nrules; i++)
        fprintf(stderr, "  hit rule %s\n", d[0].rules[i]);
    CHECK_EQ_INT(d[1].n, d[0].n);
    CHECK(d[1].h == d[0].h);
    CHECK_EQ_INT(d[2].n, d[0].n);
    CHECK(d[2].h == d[0].h);
    /* What ingest asks of the rule set. */
    CHECK(corr_rules_may_match(rules, "flow", true));
    CHECK(corr_rules_may_match(rules, "Alert", true));
    CHECK(!corr_rules_may_match(rules, "dns", true));
    CHECK(!corr_rules_may_match(rules, NULL, false));
    CHECK(corr_rules_may_match(rules, NULL, true));
    CHECK(corr_rules_reads_key(rules, "src_ip", 6));
    CHECK(corr_rules_reads_key(rules, "timestamp", 9));
    CHECK(!corr_rules_reads_key(rules, "flow", 4));
    CHECK(!corr_rules_reads_key(rules, "dns", 3));
    free(d);
    corr_rules_free(rules);
}

static const struct {
    const char *detection;
    const char *types; /* the event types it may match, "" when any */
} analysis[] = {
    { "  sel: {event_type: alert}\n  condition: sel\n", "alert" },
    { "  sel: {event_type: [Alert, dns]}\n  condition: sel\n", "alert,dns" },
    { "  sel: {event_type: alert}\n  f: {src_ip: 1.2.3.4}\n  condition: sel and not f\n",
      "alert" },
    { "  sel: {event_type: alert}\n  condition: not sel\n", "" },
    { "  a: {event_type: alert}\n  b: {event_type: flow}\n  condition: a or b\n", "alert,flow" },
    { "  a: {event_type: alert}\n  b: {src_ip: 1.2.3.4}\n  condition: a or b\n", "" },
    { "  a: {event_type: alert}\n  b: {src_ip: 1.2.3.4}\n  condition: 1 of them\n", "" },
    { "  s_a: {event_type: alert}\n  s_b: {event_type: tls}\n  condition: 1 of s_*\n",
      "alert,tls" },
    { "  s_a: {event_type: alert}\n  s_b: {src_ip: 1.2.3.4}\n  condition: all of s_*\n",
      "alert" },
    { "  sel: {event_type|contains: ale}\n  condition: sel\n", "" },
    { "  sel: {event_type: 'al*'}\n  condition: sel\n", "" },
    { "  sel:\n    - {event_type: alert}\n    - {event_type: flow, proto: TCP}\n"
      "  condition: sel\n", "alert,flow" },
    { "  sel:\n    - {event_type: alert}\n    - {proto: TCP}\n  condition: sel\n", "" },
};

TEST(prefilter_condition_analysis)
{
    static const char *const probe[] = { "alert", "dns", "flow", "tls", "http" };
    for (size_t i = 0; i < sizeof analysis / sizeof *analysis; i++) {
        char yaml[512];
        int n = snprintf(yaml, sizeof yaml, "title: t%zu\nlogsource: {product: canh}\n"
                         "detection:\n%s", i, analysis[i].detection);
        int nerr = 0;
        struct corr_rules *r = corr_rules_load_string("t.yml", yaml, (size_t)n, &nerr);
        CHECK(r != NULL && nerr == 0 && corr_rules_count(r) == 1);
        if (r == NULL)
            continue;
        for (size_t p = 0; p < sizeof probe / sizeof *probe; p++) {
            bool want = analysis[i].types[0] == '\0' || strstr(analysis[i].types, probe[p]);
            if (corr_rules_may_match(r, probe[p], true) != want)
                fprintf(stderr, "case %zu, type %s: expected %d\n", i, probe[p], want);
            CHECK(corr_rules_may_match(r, probe[p], true) == want);
        }
        corr_rules_free(r);
    }
}

int main(int c, char **v)
{
    return runner_main(c, v);
}
