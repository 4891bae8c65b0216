/* Unit tests of the correlator store (correlator/store/): migrations,
 * dedupe on canh.id, incidents from hits (append vs open), analyst changes
 * with audit, comments, tokens, sensor health and persistence across a
 * reopen. Real SQLite, in memory or in a temporary file. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runner.h"
#include "store/db.h"
#include "store/db_auth.h"
#include "store/db_event.h"
#include "store/db_incident.h"

static int put(struct db *d, const char *sensor, int seq, const char *src, const char *dst,
               int64_t sig)
{
    char id[64], raw[256];
    snprintf(id, sizeof id, "%s:%d", sensor, seq);
    snprintf(raw, sizeof raw, "{\"event_type\":\"alert\",\"src_ip\":\"%s\",\"canh\":{\"id\":\"%s\"}}",
             src, id);
    struct db_event_in ev = { .canh_id = id, .sensor = sensor, .seq = seq, .ts_us = 1000 + seq,
                              .event_type = "alert", .src_ip = src, .dest_ip = dst,
                              .sig_id = sig, .severity = 1, .flow_id = 0, .raw = raw,
                              .raw_len = strlen(raw) };
    return db_event_insert(d, &ev, db_now_us(), NULL);
}

static struct corr_hit hit(const char *rule, const char *key, const char *const *ids, size_t n)
{
    static const char *const tags[] = { "attack.t1046", "attack.discovery" };
    struct corr_hit h;
    memset(&h, 0, sizeof h);
    h.rule_id = rule;
    h.rule_title = "Port scan";
    h.severity = 2;
    h.level = "medium";
    h.tags = tags;
    h.ntags = 2;
    h.group_key = key;
    h.event_ids = ids;
    h.nevents = n;
    h.first_us = 1000;
    h.last_us = 2000;
    return h;
}

static json_t *get(struct db *d, int64_t id)
{
    json_t *o = NULL;
    return db_incident_get(d, id, 100, &o) == 0 ? o : NULL;
}

TEST(store_migrates_to_latest)
{
    struct db *d = db_open(":memory:");
    CHECK(d != NULL);
    CHECK(db_schema_latest() >= 1);
    CHECK_EQ_INT(db_schema_version(d), db_schema_latest());
    db_close(d);
}

TEST(store_event_dedupe_by_canh_id)
{
    struct db *d = db_open(":memory:");
    CHECK_EQ_INT(db_begin(d), 0);
    CHECK_EQ_INT(put(d, "s1", 1, "10.0.0.1", "10.0.0.2", 7), 1);
    CHECK_EQ_INT(put(d, "s1", 1, "10.0.0.1", "10.0.0.2", 7), 0);
    CHECK_EQ_INT(put(d, "s1", 2, "10.0.0.9", "10.0.0.2", 8), 1);
    CHECK_EQ_INT(db_commit(d), 0);
    struct db_event_filter f = { .sig_id = -1, .limit = 10 };
    json_t *out = NULL;
    CHECK_EQ_INT(db_event_search(d, &f, &out), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(out, "total")), 2);
    json_decref(out);
    f.addr = "10.0.0.9";
    CHECK_EQ_INT(db_event_search(d, &f, &out), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(out, "total")), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(out, "events"),
                                                                  0), "id")), "s1:2");
    json_decref(out);
    f.addr = NULL;
    f.sig_id = 7;
    CHECK_EQ_INT(db_event_search(d, &f, &out), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(out, "total")), 1);
    json_decref(out);
    db_close(d);
}

TEST(store_rollback_leaves_nothing)
{
    struct db *d = db_open(":memory:");
    CHECK_EQ_INT(db_begin(d), 0);
    CHECK_EQ_INT(put(d, "s1", 1, "10.0.0.1", "10.0.0.2", 7), 1);
    db_rollback(d);
    CHECK_EQ_INT(db_event_max_rowid(d), 0);
    db_close(d);
}

TEST(store_hits_with_same_key_fold_into_one_incident)
{
    struct db *d = db_open(":memory:");
    db_begin(d);
    for (int i = 1; i <= 5; i++)
        put(d, "s1", i, "10.0.0.1", i < 5 ? "10.0.0.2" : "10.0.0.3", 7);
    put(d, "s2", 1, "10.0.0.1", "10.0.0.2", 7);
    const char *a[] = { "s1:1", "s1:2" }, *b[] = { "s1:2", "s1:3", "s1:5", "s2:1" },
               *c[] = { "s1:4" };
    int64_t i1 = 0, i2 = 0, i3 = 0;
    bool created = false;
    struct corr_hit h = hit("scan", "src_ip=10.0.0.1", a, 2);
    CHECK_EQ_INT(db_incident_apply(d, &h, 1, &i1, &created), 0);
    CHECK(created);
    h = hit("scan", "src_ip=10.0.0.1", b, 4);
    CHECK_EQ_INT(db_incident_apply(d, &h, 2, &i2, &created), 0);
    CHECK(!created);
    CHECK_EQ_INT(i1, i2);
    h = hit("scan", "src_ip=10.0.0.7", c, 1);
    CHECK_EQ_INT(db_incident_apply(d, &h, 3, &i3, &created), 0);
    CHECK(created);
    CHECK(i3 != i1);
    CHECK_EQ_INT(db_commit(d), 0);
    json_t *o = get(d, i1);
    CHECK(o != NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(o, "event_count")), 5);
    CHECK_EQ_INT(json_integer_value(json_object_get(o, "hits")), 2);
    CHECK_EQ_INT(json_array_size(json_object_get(o, "events")), 5);
    CHECK_EQ_INT(json_array_size(json_object_get(o, "sensors")), 2);
    CHECK_EQ_INT(json_array_size(json_object_get(o, "dest")), 2);
    CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(o, "tags"), 0)), "attack.t1046");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "status")), "new");
    json_decref(o);
    /* List filters. */
    struct db_incident_filter f = { .limit = 10 };
    json_t *l = NULL;
    CHECK_EQ_INT(db_incident_list(d, &f, &l), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(l, "total")), 2);
    json_decref(l);
    f.sensor = "s2";
    CHECK_EQ_INT(db_incident_list(d, &f, &l), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(l, "total")), 1);
    json_decref(l);
    f.sensor = NULL;
    f.addr = "10.0.0.3";
    CHECK_EQ_INT(db_incident_list(d, &f, &l), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(l, "total")), 1);
    json_decref(l);
    f.addr = NULL;
    f.status = "resolved";
    CHECK_EQ_INT(db_incident_list(d, &f, &l), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(l, "total")), 0);
    json_decref(l);
    f.status = "new,bogus";
    CHECK_EQ_INT(db_incident_list(d, &f, &l), DB_ERR_INVAL);
    db_close(d);
}

TEST(store_closed_incident_is_not_reopened)
{
    struct db *d = db_open(":memory:");
    const char *a[] = { "s1:1" };
    int64_t i1 = 0, i2 = 0;
    bool created;
    struct corr_hit h = hit("scan", "k", a, 1);
    db_begin(d);
    db_incident_apply(d, &h, 1, &i1, &created);
    db_commit(d);
    CHECK_EQ_INT(db_incident_update(d, i1, "alice", "resolved", NULL, "true_positive"), 0);
    db_begin(d);
    CHECK_EQ_INT(db_incident_apply(d, &h, 2, &i2, &created), 0);
    db_commit(d);
    CHECK(created);
    CHECK(i2 != i1);
    db_close(d);
}

TEST(store_changes_are_audited)
{
    struct db *d = db_open(":memory:");
    const char *a[] = { "s1:1" };
    int64_t id = 0;
    bool created;
    struct corr_hit h = hit("scan", "k", a, 1);
    db_begin(d);
    db_incident_apply(d, &h, 1, &id, &created);
    db_commit(d);
    CHECK_EQ_INT(db_incident_update(d, id, "alice", "bogus", NULL, NULL), DB_ERR_INVAL);
    CHECK_EQ_INT(db_incident_update(d, id, "alice", NULL, NULL, "maybe"), DB_ERR_INVAL);
    CHECK_EQ_INT(db_incident_update(d, 999, "alice", "acknowledged", NULL, NULL), DB_ERR_NOENT);
    CHECK_EQ_INT(db_incident_update(d, id, "alice", "acknowledged", "bob", NULL), 0);
    /* The same values again change nothing and audit nothing. */
    CHECK_EQ_INT(db_incident_update(d, id, "alice", "acknowledged", "bob", NULL), 0);
    int64_t cid = 0;
    CHECK_EQ_INT(db_incident_comment(d, id, "bob", "looking", &cid), 0);
    CHECK(cid > 0);
    CHECK_EQ_INT(db_incident_comment(d, 999, "bob", "x", NULL), DB_ERR_NOENT);
    json_t *o = get(d, id);
    json_t *audit = json_object_get(o, "audit");
    /* opened, set_status, set_assignee, comment */
    CHECK_EQ_INT(json_array_size(audit), 4);
    json_t *st = json_array_get(audit, 1);
    CHECK_EQ_STR(json_string_value(json_object_get(st, "actor")), "alice");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(st, "detail"), "from")), "new");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(st, "detail"), "to")),
                 "acknowledged");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "assignee")), "bob");
    CHECK_EQ_INT(json_array_size(json_object_get(o, "comments")), 1);
    json_decref(o);
    db_close(d);
}

TEST(store_tokens_lookup_and_revoke)
{
    struct db *d = db_open(":memory:");
    unsigned char h1[32], h2[32], h3[32];
    memset(h1, 1, 32);
    memset(h2, 2, 32);
    memset(h3, 3, 32);
    CHECK_EQ_INT(db_auth_sensor_add(d, "dc-1", "cli"), 0);
    CHECK_EQ_INT(db_auth_sensor_add(d, "dc-1", "cli"), DB_ERR_EXIST);
    CHECK_EQ_INT(db_auth_sensor_add(d, "bad name", "cli"), DB_ERR_INVAL);
    CHECK_EQ_INT(db_auth_user_add(d, "alice", DB_ROLE_ANALYST, "cli"), 0);
    int64_t t1 = 0, t2 = 0;
    CHECK_EQ_INT(db_auth_token_add(d, DB_PRINCIPAL_SENSOR, "dc-1", h1, "cli", &t1), 0);
    CHECK_EQ_INT(db_auth_token_add(d, DB_PRINCIPAL_USER, "alice", h2, "cli", &t2), 0);
    CHECK_EQ_INT(db_auth_token_add(d, DB_PRINCIPAL_USER, "nobody", h3, "cli", NULL),
                 DB_ERR_NOENT);
    struct db_principal p;
    CHECK_EQ_INT(db_auth_lookup(d, h1, &p), 0);
    CHECK_EQ_INT(p.kind, DB_PRINCIPAL_SENSOR);
    CHECK_EQ_STR(p.name, "dc-1");
    CHECK_EQ_INT(db_auth_lookup(d, h2, &p), 0);
    CHECK_EQ_INT(p.kind, DB_PRINCIPAL_USER);
    CHECK_EQ_INT(p.role, DB_ROLE_ANALYST);
    CHECK_EQ_INT(db_auth_lookup(d, h3, &p), DB_ERR_NOENT);
    CHECK_EQ_INT(db_auth_token_revoke(d, t1, "cli"), 0);
    CHECK_EQ_INT(db_auth_token_revoke(d, t1, "cli"), DB_ERR_NOENT);
    CHECK_EQ_INT(db_auth_lookup(d, h1, &p), DB_ERR_NOENT);
    db_close(d);
}

TEST(store_sensor_health_from_stats)
{
    struct db *d = db_open(":memory:");
    db_auth_sensor_add(d, "s1", "cli");
    CHECK_EQ_INT(db_event_sensor_stats(d, "s1", 10000000, 1000, 0, "{}"), 0);
    CHECK_EQ_INT(db_event_sensor_stats(d, "s1", 12000000, 5000, 3, "{}"), 0);
    CHECK_EQ_INT(db_event_sensor_seen(d, "s1", db_now_us(), 42, 10), 0);
    json_t *s = db_event_sensors(d);
    json_t *o = json_array_get(s, 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(o, "drops")), 3);
    CHECK_EQ_INT(json_integer_value(json_object_get(o, "last_seq")), 42);
    CHECK(json_real_value(json_object_get(o, "packets_per_s")) > 1999.0 &&
          json_real_value(json_object_get(o, "packets_per_s")) < 2001.0);
    json_decref(s);
    db_close(d);
}

TEST(store_retention_cuts_at_receipt_time)
{
    struct db *d = db_open(":memory:");
    char id[32];
    /* 100 events received at t = 1000 + 10*i. */
    db_begin(d);
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof id, "s1:%d", i);
        struct db_event_in ev = { .canh_id = id, .sensor = "s1", .seq = i, .sig_id = -1,
                                  .severity = -1, .raw = "{}", .raw_len = 2 };
        CHECK_EQ_INT(db_event_insert(d, &ev, 1000 + 10 * i, NULL), 1);
    }
    db_commit(d);
    CHECK_EQ_INT(db_event_expire(d, 1000), 0);      /* nothing older */
    CHECK_EQ_INT(db_event_expire(d, 1001), 1);      /* only t=1000 */
    CHECK_EQ_INT(db_event_expire(d, 1355), 35);     /* t=1010..1350 */
    CHECK_EQ_INT(db_event_expire(d, 1355), 0);
    CHECK_EQ_INT(db_event_expire(d, 99999), 64);    /* the rest */
    CHECK_EQ_INT(db_event_max_rowid(d), 0);
    CHECK_EQ_INT(db_event_expire(d, 99999), 0);     /* empty table */
    db_close(d);
}

TEST(store_survives_reopen_and_retention)
{
    char path[] = "/tmp/canh-test-db-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);
    struct db *d = db_open(path);
    db_begin(d);
    put(d, "s1", 1, "10.0.0.1", "10.0.0.2", 7);
    put(d, "s1", 2, "10.0.0.1", "10.0.0.2", 7);
    db_commit(d);
    CHECK_EQ_INT(db_state_set_int(d, "corr_rowid", 1), 0);
    db_close(d);
    d = db_open(path);
    CHECK(d != NULL);
    CHECK_EQ_INT(db_schema_version(d), db_schema_latest());
    CHECK_EQ_INT(db_event_max_rowid(d), 2);
    int64_t mark = 0;
    CHECK_EQ_INT(db_state_get_int(d, "corr_rowid", &mark), 0);
    CHECK_EQ_INT(mark, 1);
    CHECK_EQ_INT(db_event_expire(d, db_now_us() + 1000000), 2);
    CHECK_EQ_INT(db_event_max_rowid(d), 0);
    db_close(d);
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
