/* Unit tests of the ES outbox in the store (correlator/store/db_outbox.c and
 * the triggers of migration 4): no versions while shipping is off, seeding
 * on enable, one version per incident transaction, documents with RFC 3339
 * times and entities, the events cursor and pull order, rejections. Real
 * SQLite in memory. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runner.h"
#include "store/db.h"
#include "store/db_event.h"
#include "store/db_incident.h"
#include "store/db_outbox.h"

static int put(struct db *d, int seq, const char *src)
{
    char id[64], raw[256];
    snprintf(id, sizeof id, "s1:%d", seq);
    snprintf(raw, sizeof raw, "{\"event_type\":\"alert\",\"src_ip\":\"%s\",\"canh\":{\"id\":\"%s\"}}",
             src, id);
    struct db_event_in ev = { .canh_id = id, .sensor = "s1", .seq = seq,
                              .ts_us = seq % 2 ? 1795000000000000LL + seq : 0,
                              .event_type = "alert", .src_ip = src, .dest_ip = "10.0.0.2",
                              .sig_id = 1, .severity = 1, .flow_id = 0, .raw = raw,
                              .raw_len = strlen(raw) };
    return db_event_insert(d, &ev, 1796000000000000LL, NULL);
}

/* One transaction applying n hits of rule r on key k with one event each. */
static int64_t hits(struct db *d, const char *k, int first, int n, int64_t now)
{
    int64_t id = 0;
    bool created;
    if (db_begin(d) != 0)
        return -1;
    for (int i = first; i < first + n; i++) {
        char ev[32];
        snprintf(ev, sizeof ev, "s1:%d", i);
        const char *ids[] = { ev };
        struct corr_hit h;
        memset(&h, 0, sizeof h);
        h.rule_id = "r1";
        h.rule_title = "Port scan";
        h.severity = 2;
        h.group_key = k;
        h.event_ids = ids;
        h.nevents = 1;
        h.first_us = 1000;
        h.last_us = 2000 + i;
        if (db_incident_apply(d, &h, now, &id, &created) != 0) {
            db_rollback(d);
            return -1;
        }
    }
    return db_commit(d) == 0 ? id : -1;
}

struct seen {
    int n;
    int64_t ids[16], versions[16];
    json_t *docs[16];
    int64_t rows[16];
    char canh[16][32];
    int stop_after;
};

static int on_version(void *arg, const struct db_outbox_version *v)
{
    struct seen *s = arg;
    if (s->n == 16)
        return 1;
    s->ids[s->n] = v->incident_id;
    s->versions[s->n] = v->version_us;
    s->rows[s->n] = v->id;
    s->docs[s->n] = json_loadb(v->doc, v->len, 0, NULL);
    s->n++;
    return 0;
}

static int on_event(void *arg, const struct db_outbox_event *e)
{
    struct seen *s = arg;
    if (s->stop_after && s->n == s->stop_after)
        return 1;
    s->rows[s->n] = e->rowid;
    s->versions[s->n] = e->time_us;
    snprintf(s->canh[s->n], sizeof s->canh[0], "%s", e->canh_id);
    s->n++;
    return 0;
}

static void seen_free(struct seen *s)
{
    for (int i = 0; i < s->n; i++)
        json_decref(s->docs[i]);
    memset(s, 0, sizeof *s);
}

TEST(outbox_off_keeps_no_versions)
{
    struct db *d = db_open(":memory:");
    CHECK(d != NULL);
    CHECK_EQ_INT(put(d, 1, "10.0.0.1"), 1);
    CHECK(hits(d, "src_ip=10.0.0.1", 1, 1, 5000) > 0);
    CHECK_EQ_INT(db_outbox_versions_pending(d), 0);
    CHECK_EQ_INT(db_outbox_enable(d, false), 0);
    CHECK_EQ_INT(db_outbox_versions_pending(d), 0);
    db_close(d);
}

TEST(outbox_versions_one_per_transaction)
{
    struct db *d = db_open(":memory:");
    struct seen s;
    memset(&s, 0, sizeof s);
    for (int i = 1; i <= 6; i++)
        CHECK_EQ_INT(put(d, i, i < 6 ? "10.0.0.1" : "10.0.0.9"), 1);
    int64_t iid = hits(d, "src_ip=10.0.0.1", 1, 2, 5000); /* before shipping was on */
    CHECK(iid > 0);
    CHECK_EQ_INT(db_outbox_enable(d, true), 0);
    CHECK_EQ_INT(db_outbox_versions_pending(d), 1);       /* seeded: the current version */
    CHECK_EQ_INT(db_outbox_enable(d, true), 0);
    CHECK_EQ_INT(db_outbox_versions_pending(d), 1);       /* seeded once */
    CHECK_EQ_INT(hits(d, "src_ip=10.0.0.1", 3, 3, 6000), iid); /* 3 hits, one transaction */
    CHECK_EQ_INT(db_outbox_versions_pending(d), 2);
    CHECK_EQ_INT(db_incident_update(d, iid, "lan", "acknowledged", NULL, NULL), 0);
    CHECK_EQ_INT(db_outbox_versions_pending(d), 3);
    CHECK_EQ_INT(db_outbox_versions_after(d, 0, 100, on_version, &s), 3);
    CHECK_EQ_INT(s.ids[0], iid);
    CHECK_EQ_INT(s.versions[0], 5000);
    CHECK_EQ_INT(s.versions[1], 6000);
    CHECK(s.versions[2] > 6000);
    json_t *mid = s.docs[1], *last = s.docs[2];
    CHECK(mid && last);
    CHECK_EQ_INT(json_integer_value(json_object_get(mid, "event_count")), 5);
    CHECK_EQ_INT(json_integer_value(json_object_get(mid, "hits")), 5);
    CHECK_EQ_STR(json_string_value(json_object_get(mid, "status")), "new");
    CHECK_EQ_STR(json_string_value(json_object_get(last, "status")), "acknowledged");
    CHECK_EQ_INT(json_integer_value(json_object_get(last, "id")), iid);
    CHECK_EQ_INT(json_integer_value(json_object_get(mid, "version")), 6000);
    CHECK_EQ_STR(json_string_value(json_object_get(mid, "updated")),
                 "1970-01-01T00:00:00.006000+00:00");
    CHECK_EQ_STR(json_string_value(json_object_get(mid, "timestamp")),
                 "1970-01-01T00:00:00.006000+00:00");
    CHECK(json_object_get(mid, "updated_us") == NULL);
    CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(mid, "src"), 0)), "10.0.0.1");
    CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(mid, "sensors"), 0)), "s1");
    CHECK(json_is_array(json_object_get(mid, "group_fields")));
    /* Delivered rows go; pulling after the last row seen finds nothing. */
    int64_t r0 = s.rows[0], r2 = s.rows[2];
    seen_free(&s);
    CHECK_EQ_INT(db_outbox_versions_after(d, r2, 100, on_version, &s), 0);
    CHECK_EQ_INT(db_outbox_version_done(d, r0), 0);
    CHECK_EQ_INT(db_outbox_versions_pending(d), 2);
    int64_t inc = 0, ver = 0, created = 0;
    CHECK_EQ_INT(db_outbox_version_ident(d, r2, &inc, &ver, &created), 0);
    CHECK_EQ_INT(inc, iid);
    CHECK_EQ_INT(created, 5000);
    CHECK_EQ_INT(db_outbox_version_ident(d, r0, &inc, &ver, &created), DB_ERR_NOENT);
    /* Off: emptied, and the triggers stop writing. */
    CHECK_EQ_INT(db_outbox_enable(d, false), 0);
    CHECK_EQ_INT(db_outbox_versions_pending(d), 0);
    CHECK(hits(d, "src_ip=10.0.0.9", 6, 1, 7000) > 0);
    CHECK_EQ_INT(db_outbox_versions_pending(d), 0);
    db_close(d);
}

TEST(outbox_events_cursor_and_order)
{
    struct db *d = db_open(":memory:");
    struct seen s;
    memset(&s, 0, sizeof s);
    int64_t c = -1;
    CHECK_EQ_INT(db_outbox_cursor_get(d, &c), 0);
    CHECK_EQ_INT(c, 0);
    for (int i = 1; i <= 5; i++)
        CHECK_EQ_INT(put(d, i, "10.0.0.1"), 1);
    CHECK_EQ_INT(db_outbox_events_after(d, 0, 3, on_event, &s), 3);
    CHECK_EQ_STR(s.canh[0], "s1:1");
    CHECK_EQ_STR(s.canh[2], "s1:3");
    CHECK(s.rows[0] < s.rows[1] && s.rows[1] < s.rows[2]);
    CHECK_EQ_INT(s.versions[0], 1795000000000001LL); /* event time */
    CHECK_EQ_INT(s.versions[1], 1796000000000000LL); /* none: time of receipt */
    int64_t third = s.rows[2];
    memset(&s, 0, sizeof s);
    s.stop_after = 1; /* the consumer is full after one row */
    CHECK_EQ_INT(db_outbox_events_after(d, third, 100, on_event, &s), 1);
    CHECK_EQ_STR(s.canh[0], "s1:4");
    CHECK_EQ_INT(db_outbox_cursor_set(d, third), 0);
    CHECK_EQ_INT(db_outbox_cursor_get(d, &c), 0);
    CHECK_EQ_INT(c, third);
    char id[64];
    int64_t t = 0;
    CHECK_EQ_INT(db_outbox_event_ident(d, third, id, sizeof id, &t), 0);
    CHECK_EQ_STR(id, "s1:3");
    CHECK_EQ_INT(t, 1795000000000003LL);
    CHECK_EQ_INT(db_outbox_event_ident(d, 999, id, sizeof id, &t), DB_ERR_NOENT);
    db_close(d);
}

TEST(outbox_rejections_listed_once_per_id)
{
    struct db *d = db_open(":memory:");
    CHECK_EQ_INT(db_outbox_rejected_count(d), 0);
    CHECK_EQ_INT(db_outbox_reject(d, "event", "s1:7", "canh-events-2026.11.27",
                                  "400 mapper_parsing_exception: first", 10), 0);
    CHECK_EQ_INT(db_outbox_reject(d, "event", "s1:7", "canh-events-2026.11.27",
                                  "400 mapper_parsing_exception: second", 20), 0);
    CHECK_EQ_INT(db_outbox_reject(d, "incident", "3:99", "canh-incidents", "400 x: y", 30), 0);
    CHECK(db_outbox_reject(d, "bogus", "z", "i", "r", 1) < 0); /* kind is checked */
    CHECK_EQ_INT(db_outbox_rejected_count(d), 2);
    json_t *l = db_outbox_rejected_list(d, 10, 0);
    CHECK(l != NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(l, "total")), 2);
    json_t *first = json_array_get(json_object_get(l, "rejected"), 0);
    json_t *second = json_array_get(json_object_get(l, "rejected"), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(first, "id")), "3:99"); /* newest first */
    CHECK_EQ_STR(json_string_value(json_object_get(first, "kind")), "incident");
    CHECK_EQ_STR(json_string_value(json_object_get(second, "id")), "s1:7");
    CHECK_EQ_STR(json_string_value(json_object_get(second, "reason")),
                 "400 mapper_parsing_exception: second");
    json_decref(l);
    l = db_outbox_rejected_list(d, 1, 1);
    CHECK_EQ_INT(json_array_size(json_object_get(l, "rejected")), 1);
    json_decref(l);
    db_close(d);
}

int main(int c, char **v) { return runner_main(c, v); }
