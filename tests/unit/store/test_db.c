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
#include "store/db_migrations.h"
#include "store/db_private.h"

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

/* Search cost: table rows visited by full scans and VM steps of every
 * statement that finished, read from SQLite's own counters. */
static int64_t scan_steps, vm_steps;
static int count_steps(unsigned type, void *ctx, void *p, void *x)
{
    (void)ctx;
    (void)x;
    if (type == SQLITE_TRACE_PROFILE) {
        scan_steps += sqlite3_stmt_status(p, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
        vm_steps += sqlite3_stmt_status(p, SQLITE_STMTSTATUS_VM_STEP, 0);
    }
    return 0;
}

static int64_t search_total(struct db *d, const struct db_event_filter *f, const char *first)
{
    json_t *out = NULL;
    if (db_event_search(d, f, &out) != 0)
        return -1;
    int64_t n = json_integer_value(json_object_get(out, "total"));
    json_t *ev = json_array_get(json_object_get(out, "events"), 0);
    if (first && (!ev || strcmp(json_string_value(json_object_get(ev, "id")), first) != 0))
        n = -2;
    json_decref(out);
    return n;
}

/* 40000 rows span three blocks of the address/flow indexes (migration 6):
 * a search finds rows in every block, newest first, with index seeks (a
 * full scan would step through every row). */
TEST(store_search_by_address_and_flow_uses_block_indexes)
{
    struct db *d = db_open(":memory:");
    CHECK(d != NULL);
    char id[32], src[32], raw[160];
    CHECK_EQ_INT(db_begin(d), 0);
    for (int i = 1; i <= 40000; i++) {
        snprintf(id, sizeof id, "s1:%d", i);
        /* 10.9.9.9 is the source of rows 5, 20005 and 39999 and the
         * destination of row 30000; flow 77 is rows 7 and 35000. */
        if (i == 5 || i == 20005 || i == 39999)
            snprintf(src, sizeof src, "10.9.9.9");
        else
            snprintf(src, sizeof src, "10.%d.%d.%d", i % 7, i % 200, i % 250 + 1);
        snprintf(raw, sizeof raw, "{\"n\":%d}", i);
        struct db_event_in ev = { .canh_id = id, .sensor = "s1", .seq = i, .ts_us = 1000 + i,
                                  .event_type = "flow", .src_ip = src,
                                  .dest_ip = i == 30000 ? "10.9.9.9" : "192.168.0.1",
                                  .sig_id = -1, .severity = -1,
                                  .flow_id = i == 7 || i == 35000 ? 77 : 100000 + i,
                                  .raw = raw, .raw_len = strlen(raw) };
        CHECK_EQ_INT(db_event_insert(d, &ev, 5000 + i, NULL), 1);
    }
    CHECK_EQ_INT(db_commit(d), 0);
    sqlite3_trace_v2(d->h, SQLITE_TRACE_PROFILE, count_steps, NULL);
    struct db_event_filter f = { .sig_id = -1, .limit = 10, .addr = "10.9.9.9" };
    scan_steps = vm_steps = 0;
    CHECK_EQ_INT(search_total(d, &f, "s1:39999"), 4);
    CHECK(scan_steps < 100);
    CHECK(vm_steps < 5000);
    f.since_us = 1000 + 20005;
    CHECK_EQ_INT(search_total(d, &f, "s1:39999"), 3);
    f.since_us = 0;
    f.offset = 3;
    CHECK_EQ_INT(search_total(d, &f, "s1:5"), 4);
    f.offset = 0;
    f.addr = NULL;
    f.flow_id = 77;
    scan_steps = vm_steps = 0;
    CHECK_EQ_INT(search_total(d, &f, "s1:35000"), 2);
    CHECK(scan_steps < 100);
    CHECK(vm_steps < 5000);
    f.addr = "192.168.0.1";
    CHECK_EQ_INT(search_total(d, &f, "s1:35000"), 2);
    f.addr = "10.9.9.9";
    CHECK_EQ_INT(search_total(d, &f, NULL), 0);
    /* The counters would see a scan: the same search without the index. */
    f.addr = NULL;
    f.flow_id = 0;
    f.text = "\"n\":77}";
    scan_steps = 0;
    CHECK_EQ_INT(search_total(d, &f, "s1:77"), 1);
    CHECK(scan_steps >= 40000);
    /* Retention deletes the oldest blocks; the rest is still found. */
    CHECK_EQ_INT(db_event_expire(d, 5000 + 20001), 20000);
    f.text = NULL;
    f.addr = "10.9.9.9";
    CHECK_EQ_INT(search_total(d, &f, "s1:39999"), 3);
    sqlite3_trace_v2(d->h, 0, NULL, NULL);
    db_close(d);
}

static int page_size_of(const char *path)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_open(path, &h) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* A new store gets 16 KiB pages; an existing file keeps its own. */
TEST(store_new_file_has_16k_pages)
{
    char path[] = "/tmp/canh-test-db-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);
    struct db *d = db_open(path);
    CHECK(d != NULL);
    db_close(d);
    CHECK_EQ_INT(page_size_of(path), 16384);
    unlink(path);
    sqlite3 *h = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &h), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(h, "PRAGMA page_size=4096; CREATE TABLE t (x)", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(h);
    d = db_open(path);
    CHECK(d != NULL);
    CHECK_EQ_INT(db_schema_version(d), db_schema_latest());
    db_close(d);
    CHECK_EQ_INT(page_size_of(path), 4096);
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* A store written by the schema before migration 6 (events with the old
 * single-column address/flow indexes) is migrated at open: its events are
 * still found by address and flow, and dedupe still holds across it. */
TEST(store_migration_6_converts_an_existing_store)
{
    char path[] = "/tmp/canh-test-db-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);
    sqlite3 *h = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &h), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(h, "CREATE TABLE schema_version (version INTEGER NOT NULL)",
                              NULL, NULL, NULL), SQLITE_OK);
    for (int v = 1; v <= 5; v++) {
        char sql[64];
        CHECK_EQ_INT(sqlite3_exec(h, db_migrations_get(v), NULL, NULL, NULL), SQLITE_OK);
        snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d)", v);
        CHECK_EQ_INT(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    CHECK_EQ_INT(sqlite3_exec(h,
        "INSERT INTO events (canh_id, sensor, seq, ts_us, received_us, event_type, src_ip,"
        " dest_ip, sig_id, severity, flow_id, raw) VALUES"
        " ('old:1', 'old', 1, 10, 20, 'alert', '10.1.1.1', '10.2.2.2', 9, 1, 555, '{\"a\":1}'),"
        " ('old:2', 'old', 2, 11, 21, 'flow', '10.1.1.3', '10.1.1.1', NULL, NULL, 556,"
        " '{\"a\":2}')", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);

    struct db *d = db_open(path);
    CHECK(d != NULL);
    CHECK_EQ_INT(db_schema_version(d), db_schema_latest());
    CHECK(db_schema_latest() >= 6);
    struct db_event_filter f = { .sig_id = -1, .limit = 10, .addr = "10.1.1.1" };
    CHECK_EQ_INT(search_total(d, &f, "old:2"), 2);
    f.addr = NULL;
    f.flow_id = 555;
    CHECK_EQ_INT(search_total(d, &f, "old:1"), 1);
    f.flow_id = 0;
    f.sig_id = 9;
    CHECK_EQ_INT(search_total(d, &f, "old:1"), 1);
    /* Dedupe across the migration: old:1 again is a duplicate (the same
     * raw line), a different line under old:2 is a conflict. */
    struct db_event_in ev = { .canh_id = "old:1", .sensor = "old", .seq = 1, .sig_id = -1,
                              .severity = -1, .src_ip = "10.7.7.7", .flow_id = 557,
                              .raw = "{\"a\":1}", .raw_len = 7 };
    CHECK_EQ_INT(db_begin(d), 0);
    CHECK_EQ_INT(db_event_insert(d, &ev, 30, NULL), 0);
    CHECK_EQ_INT(db_event_same(d, "old:1", "{\"a\":1}", 7), 1);
    CHECK_EQ_INT(db_event_same(d, "old:2", "{\"a\":9}", 7), 0);
    ev.canh_id = "old:3";
    ev.seq = 3;
    int64_t row = 0;
    CHECK_EQ_INT(db_event_insert(d, &ev, 30, &row), 1);
    CHECK_EQ_INT(row, 3);
    CHECK_EQ_INT(db_commit(d), 0);
    f.sig_id = -1;
    f.addr = "10.7.7.7";
    CHECK_EQ_INT(search_total(d, &f, "old:3"), 1);
    f.addr = NULL;
    f.flow_id = 557;
    CHECK_EQ_INT(search_total(d, &f, "old:3"), 1);
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
