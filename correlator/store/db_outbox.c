/* db_outbox: the shipper's state in the store (see db_outbox.h): the events
 * cursor, the incident-version outbox filled by triggers, and the documents
 * refused for good. The frequent statements (the two pulls, done) use the
 * statement cache; rare ones are prepared per call.
 */
#include "store/db_outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/db_private.h"

#define DB_OUTBOX_CURSOR "es_events_cursor"
#define DB_OUTBOX_SEEDED "es_incidents_seeded"

int db_outbox_cursor_get(struct db *d, int64_t *cursor)
{
    *cursor = 0;
    int rc = db_state_get_int(d, DB_OUTBOX_CURSOR, cursor);
    return rc == DB_ERR_NOENT ? 0 : rc;
}

int db_outbox_cursor_set(struct db *d, int64_t cursor)
{
    return db_state_set_int(d, DB_OUTBOX_CURSOR, cursor);
}

int db_outbox_events_after(struct db *d, int64_t after, int limit, db_outbox_event_fn cb,
                           void *arg)
{
    sqlite3_stmt *st = db_stmt(d, "SELECT id, canh_id, coalesce(nullif(ts_us, 0), received_us),"
                                  " raw FROM events WHERE id > ?1 ORDER BY id LIMIT ?2");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, limit);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct db_outbox_event ev = {
            sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
            sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3),
            (size_t)sqlite3_column_bytes(st, 3),
        };
        if (!ev.canh_id || !ev.raw || cb(arg, &ev) != 0)
            break;
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        log_error("db", "%s: events after %lld: %s", d->path, (long long)after,
                  sqlite3_errmsg(d->h));
        n = DB_ERR_IO;
    }
    sqlite3_reset(st);
    return n;
}

int db_outbox_event_ident(struct db *d, int64_t rowid, char *canh_id, size_t cap,
                          int64_t *time_us)
{
    sqlite3_stmt *st = NULL;
    int ret = DB_ERR_IO;
    if (sqlite3_prepare_v2(d->h, "SELECT canh_id, coalesce(nullif(ts_us, 0), received_us)"
                                 " FROM events WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(st, 1, rowid);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(canh_id, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        *time_us = sqlite3_column_int64(st, 1);
        ret = 0;
    } else if (rc == SQLITE_DONE) {
        ret = DB_ERR_NOENT;
    }
out:
    sqlite3_finalize(st);
    return ret;
}

/* A JSON array of the strings one query returns for an incident. */
static json_t *db_outbox_strings(struct db *d, const char *sql, int64_t incident_id)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = db_stmt(d, sql);
    if (!st || !arr)
        return arr;
    sqlite3_bind_int64(st, 1, incident_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        if (s)
            json_array_append_new(arr, json_string(s));
    }
    sqlite3_reset(st);
    return arr;
}

/* Replace the integer microsecond member key_us by an RFC 3339 string key. */
static void db_outbox_time(json_t *o, const char *key_us, const char *key)
{
    json_t *v = json_object_get(o, key_us);
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        char buf[40];
        db_format_us(json_integer_value(v), buf, sizeof buf);
        json_object_set_new(o, key, json_string(buf));
    }
    json_object_del(o, key_us);
}

/* The snapshot a trigger wrote, made into the document OpenSearch gets. */
static char *db_outbox_doc(struct db *d, int64_t incident_id, int64_t version_us,
                           const char *snap)
{
    json_t *o = json_loads(snap, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "id", json_integer(incident_id));
    json_object_set_new(o, "version", json_integer(version_us));
    /* The group-by values are in group_key; the mapping wants the names. */
    json_t *gf = json_loads(json_string_value(json_object_get(o, "group_fields")) ?
                            json_string_value(json_object_get(o, "group_fields")) : "null",
                            JSON_DECODE_ANY, NULL);
    json_t *names = json_array();
    const char *k;
    json_t *v;
    if (json_is_object(gf))
        json_object_foreach(gf, k, v)
            json_array_append_new(names, json_string(k));
    json_decref(gf);
    json_object_set_new(o, "group_fields", names);
    db_outbox_time(o, "first_us", "first_seen");
    db_outbox_time(o, "last_us", "last_seen");
    db_outbox_time(o, "created_us", "created");
    json_object_set_new(o, "updated_us", json_integer(version_us));
    db_outbox_time(o, "updated_us", "updated");
    json_object_set(o, "timestamp", json_object_get(o, "updated"));
    json_object_set_new(o, "src", db_outbox_strings(d,
        "SELECT value FROM incident_entities WHERE incident_id = ? AND role = 'src'"
        " ORDER BY value", incident_id));
    json_object_set_new(o, "dest", db_outbox_strings(d,
        "SELECT value FROM incident_entities WHERE incident_id = ? AND role = 'dest'"
        " ORDER BY value", incident_id));
    json_object_set_new(o, "sensors", db_outbox_strings(d,
        "SELECT sensor FROM incident_sensors WHERE incident_id = ? ORDER BY sensor",
        incident_id));
    json_object_set_new(o, "tags", db_outbox_strings(d,
        "SELECT tag FROM incident_tags WHERE incident_id = ? ORDER BY tag", incident_id));
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}

int db_outbox_versions_after(struct db *d, int64_t after, int limit, db_outbox_version_fn cb,
                             void *arg)
{
    sqlite3_stmt *st = db_stmt(d, "SELECT o.id, o.incident_id, o.version_us, o.doc,"
                                  " coalesce(i.created_us, o.version_us)"
                                  " FROM es_incident_outbox o LEFT JOIN incidents i"
                                  " ON i.id = o.incident_id WHERE o.id > ?1"
                                  " ORDER BY o.id LIMIT ?2");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, limit);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct db_outbox_version v = { sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                       sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 4),
                                       NULL, 0 };
        char *doc = db_outbox_doc(d, v.incident_id, v.version_us,
                                  (const char *)sqlite3_column_text(st, 3));
        if (!doc) {
            log_error("db", "%s: incident %lld version %lld: bad snapshot in the ES outbox",
                      d->path, (long long)v.incident_id, (long long)v.version_us);
            doc = strdup("{}");
            if (!doc)
                break;
        }
        v.doc = doc;
        v.len = strlen(doc);
        int stop = cb(arg, &v);
        free(doc);
        if (stop)
            break;
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        log_error("db", "%s: incident outbox: %s", d->path, sqlite3_errmsg(d->h));
        n = DB_ERR_IO;
    }
    sqlite3_reset(st);
    return n;
}

int db_outbox_version_ident(struct db *d, int64_t id, int64_t *incident_id,
                            int64_t *version_us, int64_t *created_us)
{
    sqlite3_stmt *st = NULL;
    int ret = DB_ERR_IO;
    if (sqlite3_prepare_v2(d->h, "SELECT o.incident_id, o.version_us,"
                                 " coalesce(i.created_us, o.version_us) FROM es_incident_outbox o"
                                 " LEFT JOIN incidents i ON i.id = o.incident_id WHERE o.id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *incident_id = sqlite3_column_int64(st, 0);
        *version_us = sqlite3_column_int64(st, 1);
        *created_us = sqlite3_column_int64(st, 2);
        ret = 0;
    } else if (rc == SQLITE_DONE) {
        ret = DB_ERR_NOENT;
    }
out:
    sqlite3_finalize(st);
    return ret;
}

int db_outbox_version_done(struct db *d, int64_t id)
{
    sqlite3_stmt *st = db_stmt(d, "DELETE FROM es_incident_outbox WHERE id = ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : DB_ERR_IO;
}

int db_outbox_enable(struct db *d, bool on)
{
    int64_t seeded = 0;
    int have = db_state_get_int(d, DB_OUTBOX_SEEDED, &seeded);
    if (have < 0 && have != DB_ERR_NOENT)
        return have;
    if (on && have == 0)
        return 0;
    if (!on && have == DB_ERR_NOENT)
        return 0;
    int rc = db_begin(d);
    if (rc)
        return rc;
    if (on) {
        /* The triggers write only while the key exists; a no-op update of
         * every incident then makes them snapshot each current version. */
        rc = db_state_set_int(d, DB_OUTBOX_SEEDED, 1);
        if (rc == 0)
            rc = db_exec(d, "UPDATE incidents SET updated_us = updated_us",
                         "seed the ES outbox with the current incident versions");
    } else {
        rc = db_exec(d, "DELETE FROM es_incident_outbox; DELETE FROM state WHERE key = '"
                        DB_OUTBOX_SEEDED "'", "empty the ES outbox");
    }
    if (rc) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}

int64_t db_outbox_versions_pending(struct db *d)
{
    return db_scalar(d, "SELECT count(*) FROM es_incident_outbox");
}

int db_outbox_reject(struct db *d, const char *kind, const char *doc_id, const char *index,
                     const char *reason, int64_t at_us)
{
    sqlite3_stmt *st = NULL;
    int ret = DB_ERR_IO;
    if (sqlite3_prepare_v2(d->h, "INSERT OR REPLACE INTO es_rejected (kind, doc_id, index_name,"
                                 " reason, at_us) VALUES (?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, doc_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, index ? index : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, reason ? reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, at_us);
    if (sqlite3_step(st) == SQLITE_DONE)
        ret = 0;
out:
    if (ret)
        log_error("db", "%s: record ES rejection of %s: %s", d->path, doc_id,
                  sqlite3_errmsg(d->h));
    sqlite3_finalize(st);
    return ret;
}

int64_t db_outbox_rejected_count(struct db *d)
{
    return db_scalar(d, "SELECT count(*) FROM es_rejected");
}

json_t *db_outbox_rejected_list(struct db *d, int limit, int offset)
{
    int64_t total = db_outbox_rejected_count(d);
    sqlite3_stmt *st = NULL;
    json_t *arr = json_array(), *res = NULL;
    if (total < 0 || !arr ||
        sqlite3_prepare_v2(d->h, "SELECT kind, doc_id, index_name, reason, at_us FROM es_rejected"
                                 " ORDER BY id DESC LIMIT ? OFFSET ?", -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int(st, 1, limit);
    sqlite3_bind_int(st, 2, offset);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char t[40];
        db_format_us(sqlite3_column_int64(st, 4), t, sizeof t);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s}",
            "kind", (const char *)sqlite3_column_text(st, 0),
            "id", (const char *)sqlite3_column_text(st, 1),
            "index", (const char *)sqlite3_column_text(st, 2),
            "reason", (const char *)sqlite3_column_text(st, 3), "time", t));
    }
    if (rc != SQLITE_DONE)
        goto out;
    res = json_pack("{s:I, s:O}", "total", (json_int_t)total, "rejected", arr);
out:
    if (!res && st)
        log_error("db", "%s: list ES rejections: %s", d->path, sqlite3_errmsg(d->h));
    sqlite3_finalize(st);
    json_decref(arr);
    return res;
}
