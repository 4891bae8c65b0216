/* db_relate: merge, move-event and related-incident queries over the
 * incident tables of migration 1. Counts (event_count) are recomputed from
 * incident_events after each change rather than adjusted, so a retried or
 * partial operation cannot leave them off by one.
 */
#include "store/db_relate.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store/db_incident.h"
#include "store/db_private.h"

/* Run sql with ?1 = a and ?2 = b (and ?3 = text when given). 0 or DB_ERR_IO. */
static int db_relate_run(struct db *d, const char *sql, int64_t a, int64_t b, const char *text)
{
    sqlite3_stmt *st = db_prepare(d, sql);
    if (st == NULL)
        return DB_ERR_IO;
    db_bind_named_int64(st, "?1", a);
    db_bind_named_int64(st, "?2", b);
    db_bind_named_text(st, "?3", text);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        log_error("db", "%s: %.60s: %s", d->path, sql, sqlite3_errmsg(d->h));
        return DB_ERR_IO;
    }
    return 0;
}

/* 1 when the query returns a row, 0 when not, DB_ERR_IO. */
static int db_relate_exists(struct db *d, const char *sql, int64_t a, const char *text)
{
    sqlite3_stmt *st = db_prepare(d, sql);
    if (st == NULL)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, a);
    if (text)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : DB_ERR_IO;
}

static int db_relate_recount(struct db *d, int64_t id, int64_t now_us)
{
    return db_relate_run(d, "UPDATE incidents SET event_count = (SELECT count(*) FROM"
                            " incident_events WHERE incident_id = ?1), updated_us = ?2"
                            " WHERE id = ?1", id, now_us, NULL);
}

static int db_relate_audit2(struct db *d, const char *actor, const char *action, int64_t a,
                            int64_t b, json_t *detail)
{
    int rc = db_incident_audit(d, actor, action, a, detail);
    if (rc == 0)
        rc = db_incident_audit(d, actor, action, b, detail);
    return rc;
}

int db_relate_merge(struct db *d, int64_t from, int64_t into, const char *actor)
{
    static const char *const moves[] = {
        "INSERT OR IGNORE INTO incident_events (incident_id, canh_id)"
        " SELECT ?2, canh_id FROM incident_events WHERE incident_id = ?1",
        "DELETE FROM incident_events WHERE incident_id = ?1",
        "UPDATE comments SET incident_id = ?2 WHERE incident_id = ?1",
        "INSERT OR IGNORE INTO incident_entities (incident_id, role, value)"
        " SELECT ?2, role, value FROM incident_entities WHERE incident_id = ?1",
        "INSERT OR IGNORE INTO incident_sensors (incident_id, sensor)"
        " SELECT ?2, sensor FROM incident_sensors WHERE incident_id = ?1",
        "INSERT OR IGNORE INTO incident_tags (incident_id, tag)"
        " SELECT ?2, tag FROM incident_tags WHERE incident_id = ?1",
        "UPDATE incidents SET"
        " first_us = min(first_us, (SELECT first_us FROM incidents WHERE id = ?1)),"
        " last_us = max(last_us, (SELECT last_us FROM incidents WHERE id = ?1)),"
        " severity = min(severity, (SELECT severity FROM incidents WHERE id = ?1)),"
        " hits = hits + (SELECT hits FROM incidents WHERE id = ?1) WHERE id = ?2",
        "UPDATE incidents SET status = 'resolved', disposition = 'duplicate' WHERE id = ?1",
    };
    if (from == into)
        return DB_ERR_INVAL;
    int rc = db_begin(d);
    if (rc)
        return rc;
    const char *q = "SELECT 1 FROM incidents WHERE id = ?";
    int a = db_relate_exists(d, q, from, NULL), b = db_relate_exists(d, q, into, NULL);
    if (a < 0 || b < 0) {
        rc = DB_ERR_IO;
        goto out;
    }
    if (!a || !b) {
        rc = DB_ERR_NOENT;
        goto out;
    }
    for (size_t i = 0; i < sizeof moves / sizeof *moves && rc == 0; i++)
        rc = db_relate_run(d, moves[i], from, into, NULL);
    int64_t now = db_now_us();
    if (rc == 0)
        rc = db_relate_recount(d, from, now);
    if (rc == 0)
        rc = db_relate_recount(d, into, now);
    if (rc == 0) {
        char note[96];
        snprintf(note, sizeof note, "merged #%lld into #%lld", (long long)from,
                 (long long)into);
        json_t *detail = json_pack("{s:I, s:I, s:s}", "from", (json_int_t)from, "into",
                                   (json_int_t)into, "note", note);
        rc = db_relate_audit2(d, actor, "merge", from, into, detail);
        json_decref(detail);
    }
out:
    if (rc) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}

int db_relate_move_event(struct db *d, int64_t from, const char *canh_id, int64_t to,
                         const char *actor)
{
    static const char *const moves[] = {
        "DELETE FROM incident_events WHERE incident_id = ?1 AND canh_id = ?3",
        "INSERT OR IGNORE INTO incident_events (incident_id, canh_id) VALUES (?2, ?3)",
        "INSERT OR IGNORE INTO incident_sensors (incident_id, sensor)"
        " SELECT ?2, sensor FROM events WHERE canh_id = ?3",
        "INSERT OR IGNORE INTO incident_entities (incident_id, role, value)"
        " SELECT ?2, 'src', src_ip FROM events WHERE canh_id = ?3 AND src_ip IS NOT NULL",
        "INSERT OR IGNORE INTO incident_entities (incident_id, role, value)"
        " SELECT ?2, 'dest', dest_ip FROM events WHERE canh_id = ?3 AND dest_ip IS NOT NULL",
        "UPDATE incidents SET"
        " first_us = min(first_us, coalesce((SELECT ts_us FROM events WHERE canh_id = ?3),"
        " first_us)),"
        " last_us = max(last_us, coalesce((SELECT ts_us FROM events WHERE canh_id = ?3),"
        " last_us)) WHERE id = ?2",
    };
    if (from == to)
        return DB_ERR_INVAL;
    int rc = db_begin(d);
    if (rc)
        return rc;
    int a = db_relate_exists(d, "SELECT 1 FROM incident_events WHERE incident_id = ?"
                                " AND canh_id = ?", from, canh_id);
    int b = db_relate_exists(d, "SELECT 1 FROM incidents WHERE id = ?", to, NULL);
    if (a < 0 || b < 0) {
        rc = DB_ERR_IO;
        goto out;
    }
    if (!a || !b) {
        rc = DB_ERR_NOENT;
        goto out;
    }
    for (size_t i = 0; i < sizeof moves / sizeof *moves && rc == 0; i++)
        rc = db_relate_run(d, moves[i], from, to, canh_id);
    int64_t now = db_now_us();
    if (rc == 0)
        rc = db_relate_recount(d, from, now);
    if (rc == 0)
        rc = db_relate_recount(d, to, now);
    if (rc == 0) {
        json_t *detail = json_pack("{s:s, s:I, s:I}", "event_id", canh_id, "from",
                                   (json_int_t)from, "to", (json_int_t)to);
        rc = db_relate_audit2(d, actor, "event_move", from, to, detail);
        json_decref(detail);
    }
out:
    if (rc) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}

json_t *db_relate_related(struct db *d, int64_t id, int limit)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->h,
            "SELECT i.id, i.title, i.title_vi, i.status, i.severity FROM incidents i"
            " WHERE i.id != ?1 AND i.id IN (SELECT o.incident_id FROM incident_entities e"
            " JOIN incident_entities o ON o.value = e.value WHERE e.incident_id = ?1)"
            " ORDER BY i.last_us DESC, i.id DESC LIMIT ?2", -1, &st, NULL) != SQLITE_OK) {
        log_error("db", "%s: related incidents: %s", d->path, sqlite3_errmsg(d->h));
        return arr;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, limit);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *tv = (const char *)sqlite3_column_text(st, 2);
        json_t *o = json_pack("{s:I, s:s, s:o, s:s, s:i}",
                              "id", (json_int_t)sqlite3_column_int64(st, 0),
                              "title", (const char *)sqlite3_column_text(st, 1),
                              "title_vi", tv ? json_string(tv) : json_null(),
                              "status", (const char *)sqlite3_column_text(st, 3),
                              "severity", sqlite3_column_int(st, 4));
        if (o)
            json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    return arr;
}
