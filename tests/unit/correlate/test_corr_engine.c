/* test_corr_engine: Sigma correlation rules on timed event sequences.
 *
 * event_count, value_count, temporal and temporal_ordered: window edges
 * (inclusive), group keys, distinct values, order, aliases, chaining,
 * generate, expiry, the group cap and the event-id cap. Times are event
 * times from the "timestamp" field, never the wall clock.
 */
#include "../runner.h"
#include "corr_test_util.h"

#define BASE_A "title: base a\nname: a\ndetection: {s: {kind: a}, condition: s}\n---\n"
#define BASE_B "title: base b\nname: b\ndetection: {s: {kind: b}, condition: s}\n---\n"

struct fixture {
    struct corr_rules *r;
    struct corr_engine *e;
    struct hits h;
    int nerr;
};

static void setup(struct fixture *f, const char *yaml)
{
    memset(&f->h, 0, sizeof(f->h));
    f->r = load_rules(yaml, &f->nerr);
    f->e = f->r ? corr_engine_new(f->r) : NULL;
    if (f->nerr != 0 || f->e == NULL)
        fprintf(stderr, "fixture did not load (%d errors)\n", f->nerr);
}

static void teardown(struct fixture *f)
{
    corr_engine_free(f->e);
    corr_rules_free(f->r);
}

/* Feed {"timestamp": t, "kind": kind, "src_ip": src, <extra>, "canh": {"id": id}}. */
static int ev(struct fixture *f, int t, const char *kind, const char *src, const char *extra,
              const char *id)
{
    char json[1024], tb[64];
    snprintf(json, sizeof(json),
             "{\"timestamp\":\"%s\",\"kind\":\"%s\",\"src_ip\":\"%s\"%s%s,\"canh\":{\"id\":\"%s\"}}",
             ts(t, tb), kind, src, extra ? "," : "", extra ? extra : "", id);
    return feed_json(f->e, json, &f->h);
}

#define EVENT_COUNT BASE_A "title: ec\nid: ec\ncorrelation:\n  type: event_count\n  rules: [a]\n" \
    "  group-by: [src_ip]\n  timespan: 60s\n  condition: {gte: 3}\n"

TEST(event_count_fires_on_threshold_per_group)
{
    struct fixture f;
    setup(&f, EVENT_COUNT);
    CHECK_EQ_INT(f.nerr, 0);
    CHECK_EQ_INT(ev(&f, 0, "a", "1.1.1.1", NULL, "s:1"), 0);
    CHECK_EQ_INT(ev(&f, 5, "a", "2.2.2.2", NULL, "s:2"), 0);
    CHECK_EQ_INT(ev(&f, 10, "a", "1.1.1.1", NULL, "s:3"), 0);
    CHECK_EQ_INT(ev(&f, 15, "b", "1.1.1.1", NULL, "s:4"), 0); /* other rule: no count */
    CHECK_EQ_INT(ev(&f, 20, "a", "1.1.1.1", NULL, "s:5"), 1);
    CHECK_EQ_INT(f.h.n, 1);
    CHECK_EQ_STR(f.h.rule[0], "ec");
    CHECK_EQ_STR(f.h.key[0], "src_ip=1.1.1.1");
    CHECK_EQ_STR(f.h.ids[0], "s:1,s:3,s:5");
    CHECK_EQ_INT(f.h.last[0] - f.h.first[0], 20 * 1000000LL);
    /* The group starts over after a hit: two more are not enough, three are. */
    CHECK_EQ_INT(ev(&f, 21, "a", "1.1.1.1", NULL, "s:6"), 0);
    CHECK_EQ_INT(ev(&f, 22, "a", "1.1.1.1", NULL, "s:7"), 0);
    CHECK_EQ_INT(ev(&f, 23, "a", "1.1.1.1", NULL, "s:8"), 1);
    CHECK_EQ_STR(f.h.ids[1], "s:6,s:7,s:8");
    CHECK_EQ_INT(f.h.n, 2);
    teardown(&f);
}

TEST(event_count_window_edges)
{
    struct fixture f;
    setup(&f, EVENT_COUNT);
    /* 0, 30, 61: the first has left the 60 s window when the third comes. */
    ev(&f, 0, "a", "1.1.1.1", NULL, "s:1");
    ev(&f, 30, "a", "1.1.1.1", NULL, "s:2");
    CHECK_EQ_INT(ev(&f, 61, "a", "1.1.1.1", NULL, "s:3"), 0);
    CHECK_EQ_INT(ev(&f, 90, "a", "1.1.1.1", NULL, "s:4"), 1);
    CHECK_EQ_STR(f.h.ids[0], "s:2,s:3,s:4");
    /* Exactly timespan apart is inside (inclusive edge). */
    ev(&f, 1000, "a", "3.3.3.3", NULL, "s:5");
    ev(&f, 1030, "a", "3.3.3.3", NULL, "s:6");
    CHECK_EQ_INT(ev(&f, 1060, "a", "3.3.3.3", NULL, "s:7"), 1);
    teardown(&f);
}

TEST(base_rules_of_a_correlation_are_quiet_unless_generate)
{
    struct fixture f;
    setup(&f, EVENT_COUNT);
    CHECK_EQ_INT(ev(&f, 0, "a", "1.1.1.1", NULL, "s:1"), 0);
    CHECK_EQ_INT(f.h.n, 0);
    teardown(&f);
    setup(&f, BASE_A "title: ec\nid: ec\ncorrelation:\n  type: event_count\n  rules: [a]\n"
              "  group-by: [src_ip]\n  timespan: 60s\n  condition: {gte: 2}\n  generate: true\n");
    CHECK_EQ_INT(ev(&f, 0, "a", "1.1.1.1", NULL, "s:1"), 1);
    CHECK_EQ_STR(f.h.rule[0], "a");
    CHECK_EQ_INT(ev(&f, 1, "a", "1.1.1.1", NULL, "s:2"), 2);
    CHECK_EQ_STR(f.h.rule[2], "ec");
    teardown(&f);
}

#define VALUE_COUNT BASE_A "title: vc\nid: vc\ncorrelation:\n  type: value_count\n  rules: [a]\n" \
    "  group-by: [src_ip, dest_ip]\n  timespan: 60s\n  condition: {field: dest_port, gte: 3}\n"

TEST(value_count_counts_distinct_values)
{
    struct fixture f;
    setup(&f, VALUE_COUNT);
    CHECK_EQ_INT(f.nerr, 0);
    CHECK_EQ_INT(ev(&f, 0, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\",\"dest_port\":22", "s:1"), 0);
    CHECK_EQ_INT(ev(&f, 1, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\",\"dest_port\":22", "s:2"), 0);
    CHECK_EQ_INT(ev(&f, 2, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\",\"dest_port\":22", "s:3"), 0);
    CHECK_EQ_INT(ev(&f, 3, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\",\"dest_port\":23", "s:4"), 0);
    /* another destination is another group */
    CHECK_EQ_INT(ev(&f, 4, "a", "1.1.1.1", "\"dest_ip\":\"8.8.8.8\",\"dest_port\":24", "s:5"), 0);
    /* no dest_port: not counted */
    CHECK_EQ_INT(ev(&f, 5, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\"", "s:6"), 0);
    CHECK_EQ_INT(ev(&f, 6, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\",\"dest_port\":24", "s:7"), 1);
    CHECK_EQ_STR(f.h.key[0], "src_ip=1.1.1.1|dest_ip=9.9.9.9");
    CHECK_EQ_STR(f.h.ids[0], "s:1,s:2,s:3,s:4,s:7");
    CHECK(strstr(f.h.matched[0], "\"dest_port\":24") != NULL);
    teardown(&f);
}

TEST(value_count_values_leave_the_window)
{
    struct fixture f;
    setup(&f, VALUE_COUNT);
    ev(&f, 0, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\",\"dest_port\":1", "s:1");
    ev(&f, 10, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\",\"dest_port\":2", "s:2");
    CHECK_EQ_INT(ev(&f, 100, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\",\"dest_port\":3", "s:3"), 0);
    /* port 1 seen again keeps it alive: 1, 3 and now 4 are in the window */
    ev(&f, 110, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\",\"dest_port\":1", "s:4");
    CHECK_EQ_INT(ev(&f, 120, "a", "1.1.1.1", "\"dest_ip\":\"9.9.9.9\",\"dest_port\":4", "s:5"), 1);
    CHECK_EQ_STR(f.h.ids[0], "s:3,s:4,s:5");
    teardown(&f);
}

#define TEMPORAL(type) BASE_A BASE_B "title: tp\nid: tp\ncorrelation:\n  type: " type "\n" \
    "  rules: [a, b]\n  group-by: [src_ip]\n  timespan: 5m\n"

TEST(temporal_any_order_within_window)
{
    struct fixture f;
    setup(&f, TEMPORAL("temporal"));
    CHECK_EQ_INT(f.nerr, 0);
    CHECK_EQ_INT(ev(&f, 0, "a", "1.1.1.1", NULL, "s:1"), 0);
    CHECK_EQ_INT(ev(&f, 10, "a", "1.1.1.1", NULL, "s:2"), 0); /* a twice is not a and b */
    CHECK_EQ_INT(ev(&f, 20, "b", "2.2.2.2", NULL, "s:3"), 0); /* other group */
    CHECK_EQ_INT(ev(&f, 100, "b", "1.1.1.1", NULL, "s:4"), 1);
    CHECK_EQ_STR(f.h.ids[0], "s:1,s:2,s:4");
    CHECK_EQ_INT(ev(&f, 200, "a", "2.2.2.2", NULL, "s:5"), 1); /* b then a */
    CHECK_EQ_INT(ev(&f, 1000, "a", "3.3.3.3", NULL, "s:6"), 0);
    CHECK_EQ_INT(ev(&f, 1301, "b", "3.3.3.3", NULL, "s:7"), 0); /* 301 s > 5m */
    teardown(&f);
}

TEST(temporal_ordered_needs_the_order)
{
    struct fixture f;
    setup(&f, TEMPORAL("temporal_ordered"));
    CHECK_EQ_INT(f.nerr, 0);
    CHECK_EQ_INT(ev(&f, 0, "b", "1.1.1.1", NULL, "s:1"), 0);
    CHECK_EQ_INT(ev(&f, 10, "a", "1.1.1.1", NULL, "s:2"), 0); /* b then a: no */
    CHECK_EQ_INT(ev(&f, 20, "b", "1.1.1.1", NULL, "s:3"), 1); /* a (10) then b (20) */
    CHECK_EQ_STR(f.h.ids[0], "s:2,s:3"); /* the b before the a is not part of it */
    CHECK_EQ_INT(f.h.last[0] - f.h.first[0], 10 * 1000000LL);
    /* a, then b too late; a again restarts the chain and b in time fires */
    CHECK_EQ_INT(ev(&f, 1000, "a", "1.1.1.1", NULL, "s:4"), 0);
    CHECK_EQ_INT(ev(&f, 1301, "b", "1.1.1.1", NULL, "s:5"), 0);
    CHECK_EQ_INT(ev(&f, 1400, "a", "1.1.1.1", NULL, "s:6"), 0);
    CHECK_EQ_INT(ev(&f, 1450, "b", "1.1.1.1", NULL, "s:7"), 1);
    teardown(&f);
}

TEST(temporal_ordered_one_event_cannot_be_both_steps)
{
    struct fixture f;
    setup(&f, "title: x\nname: x\ndetection: {s: {kind: a}, condition: s}\n---\n"
              "title: y\nname: y\ndetection: {s: {src_ip: 1.1.1.1}, condition: s}\n---\n"
              "title: o\nid: o\ncorrelation: {type: temporal_ordered, rules: [x, y], "
              "group-by: [src_ip], timespan: 5m}\n");
    CHECK_EQ_INT(ev(&f, 0, "a", "1.1.1.1", NULL, "s:1"), 0);
    CHECK_EQ_INT(ev(&f, 1, "a", "1.1.1.1", NULL, "s:2"), 1);
    teardown(&f);
}

TEST(aliases_join_different_fields)
{
    struct fixture f;
    setup(&f, BASE_A BASE_B
              "title: cb\nid: cb\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n"
              "  group-by: [victim, attacker]\n  timespan: 10m\n  aliases:\n"
              "    victim: {a: dest_ip, b: src_ip}\n    attacker: {a: src_ip, b: dest_ip}\n");
    CHECK_EQ_INT(f.nerr, 0);
    CHECK_EQ_INT(ev(&f, 0, "a", "6.6.6.6", "\"dest_ip\":\"10.0.0.5\"", "s:1"), 0);
    /* the victim talks to someone else: other group */
    CHECK_EQ_INT(ev(&f, 10, "b", "10.0.0.5", "\"dest_ip\":\"7.7.7.7\"", "s:2"), 0);
    CHECK_EQ_INT(ev(&f, 20, "b", "10.0.0.5", "\"dest_ip\":\"6.6.6.6\"", "s:3"), 1);
    CHECK_EQ_STR(f.h.key[0], "victim=10.0.0.5|attacker=6.6.6.6");
    CHECK_EQ_STR(f.h.ids[0], "s:1,s:3");
    teardown(&f);
    /* an alias naming a rule the correlation does not use is an error */
    setup(&f, BASE_A "title: cb\ncorrelation:\n  type: temporal\n  rules: [a]\n"
              "  group-by: [v]\n  timespan: 10m\n  aliases:\n    v: {zz: dest_ip}\n");
    CHECK_EQ_INT(f.nerr, 1);
    CHECK_EQ_INT(corr_rules_count(f.r), 1);
    teardown(&f);
}

TEST(correlation_of_a_correlation)
{
    struct fixture f;
    setup(&f, BASE_A "title: c1\nname: c1\ncorrelation: {type: event_count, rules: [a], "
                     "group-by: [src_ip], timespan: 1h, condition: {gte: 2}}\n---\n"
                     "title: c2\nid: c2\ncorrelation: {type: event_count, rules: [c1], "
                     "group-by: [src_ip], timespan: 1h, condition: {gte: 2}}\n");
    CHECK_EQ_INT(f.nerr, 0);
    CHECK_EQ_INT(corr_rules_count(f.r), 3);
    int total = 0;
    for (int i = 0; i < 3; i++)
        total += ev(&f, i, "a", "1.1.1.1", NULL, "s:x");
    CHECK_EQ_INT(total, 0);
    CHECK_EQ_INT(ev(&f, 3, "a", "1.1.1.1", NULL, "s:y"), 1);
    CHECK_EQ_STR(f.h.rule[0], "c2");
    teardown(&f);
}

TEST(expire_drops_old_groups)
{
    struct fixture f;
    struct corr_stats st;
    setup(&f, EVENT_COUNT);
    ev(&f, 0, "a", "1.1.1.1", NULL, "s:1");
    ev(&f, 1, "a", "1.1.1.1", NULL, "s:2");
    ev(&f, 50, "a", "2.2.2.2", NULL, "s:3");
    corr_engine_stats(f.e, &st);
    CHECK_EQ_INT(st.groups, 2);
    char tb[64];
    corr_engine_expire(f.e, corr_parse_time(ts(100, tb)));
    corr_engine_stats(f.e, &st);
    CHECK_EQ_INT(st.groups, 1);
    CHECK_EQ_INT(st.groups_expired, 1);
    corr_engine_expire(f.e, corr_parse_time(ts(111, tb)));
    corr_engine_stats(f.e, &st);
    CHECK_EQ_INT(st.groups, 0);
    CHECK_EQ_INT(st.events, 3);
    teardown(&f);
}

TEST(group_cap_evicts_the_oldest)
{
    struct fixture f;
    struct corr_stats st;
    setup(&f, EVENT_COUNT);
    corr_engine_set_limits(f.e, 2, 0);
    ev(&f, 0, "a", "1.1.1.1", NULL, "s:1");
    ev(&f, 1, "a", "1.1.1.1", NULL, "s:2");
    ev(&f, 2, "a", "2.2.2.2", NULL, "s:3");
    ev(&f, 3, "a", "3.3.3.3", NULL, "s:4"); /* evicts 1.1.1.1 (least recent) */
    corr_engine_stats(f.e, &st);
    CHECK_EQ_INT(st.groups, 2);
    CHECK_EQ_INT(st.groups_evicted, 1);
    /* 1.1.1.1 starts from zero again: one more event does not fire */
    CHECK_EQ_INT(ev(&f, 4, "a", "1.1.1.1", NULL, "s:5"), 0);
    teardown(&f);
}

TEST(event_ids_are_capped_to_the_latest)
{
    struct fixture f;
    setup(&f, BASE_A "title: big\nid: big\ncorrelation: {type: event_count, rules: [a], "
                     "group-by: [src_ip], timespan: 1h, condition: {gte: 150}}\n");
    int hits = 0;
    for (int i = 0; i < 150; i++) {
        char id[32];
        snprintf(id, sizeof(id), "s:%d", i);
        hits += ev(&f, i, "a", "1.1.1.1", NULL, id);
    }
    CHECK_EQ_INT(hits, 1);
    CHECK_EQ_INT(f.h.nevents[0], CORR_HIT_MAX_EVENTS);
    CHECK(strncmp(f.h.ids[0], "s:50,s:51,", 10) == 0);
    CHECK_EQ_INT(f.h.last[0] - f.h.first[0], 149 * 1000000LL); /* first of all 150 */
    teardown(&f);
}

TEST(value_cap_is_counted)
{
    struct fixture f;
    struct corr_stats st;
    setup(&f, EVENT_COUNT);
    corr_engine_set_limits(f.e, 0, 2);
    ev(&f, 0, "a", "1.1.1.1", NULL, "s:1");
    ev(&f, 1, "a", "1.1.1.1", NULL, "s:2");
    CHECK_EQ_INT(ev(&f, 2, "a", "1.1.1.1", NULL, "s:3"), 0); /* cap 2 < threshold 3 */
    corr_engine_stats(f.e, &st);
    CHECK_EQ_INT(st.values_dropped, 1);
    teardown(&f);
}

TEST(missing_timestamp_uses_the_last_event_time)
{
    struct fixture f;
    struct corr_stats st;
    setup(&f, EVENT_COUNT);
    ev(&f, 0, "a", "1.1.1.1", NULL, "s:1");
    CHECK_EQ_INT(feed_json(f.e, "{\"kind\":\"a\",\"src_ip\":\"1.1.1.1\",\"timestamp\":\"junk\"}", &f.h), 0);
    CHECK_EQ_INT(feed_json(f.e, "{\"kind\":\"a\",\"src_ip\":\"1.1.1.1\"}", &f.h), 1);
    CHECK_EQ_INT(f.h.first[0], f.h.last[0]);
    CHECK_EQ_STR(f.h.ids[0], "s:1");
    corr_engine_stats(f.e, &st);
    CHECK_EQ_INT(st.bad_time, 2);
    teardown(&f);
}

TEST(condition_ranges)
{
    struct fixture f;
    setup(&f, BASE_A "title: r\nid: r\ncorrelation: {type: event_count, rules: [a], "
                     "group-by: [src_ip], timespan: 1h, condition: {gt: 2, lte: 5}}\n");
    int hits = 0;
    for (int i = 0; i < 3; i++)
        hits += ev(&f, i, "a", "1.1.1.1", NULL, "s:1");
    CHECK_EQ_INT(hits, 1); /* fires at 3 (> 2 and <= 5) */
    teardown(&f);
    setup(&f, BASE_A "title: r\nid: r\ncorrelation: {type: event_count, rules: [a], "
                     "timespan: 1h, condition: {eq: 2}}\n");
    CHECK_EQ_INT(ev(&f, 0, "a", "1.1.1.1", NULL, "s:1"), 0);
    CHECK_EQ_INT(ev(&f, 1, "a", "2.2.2.2", NULL, "s:2"), 1); /* no group-by: one group */
    CHECK_EQ_STR(f.h.key[0], "");
    teardown(&f);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
