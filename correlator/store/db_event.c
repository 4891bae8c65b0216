/* db_event: inserts raw EVE events (INSERT OR IGNORE on canh_id, so a
 * batch sent twice is stored once), keeps per-sensor health from `stats`
 * events, searches events for the API and expires old ones.
 * Incidents keep their links (canh_id) when raw events expire.
 */
#include "store/db_event.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store/db_private.h"

int db_event_insert(struct db *d, const struct db_event_in *ev, int64_t received_us,
                    int64_t *rowid)
{
    sqlite3_stmt *st = db_stmt(d,
        "INSERT OR IGNORE INTO events (canh_id, sensor, seq, ts_us, received_us, event_type,"
        " src_ip, dest_ip, sig_id, severity, flow_id, raw)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, ev->canh_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->sensor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ev->seq);
    if (ev->ts_us)
        sqlite3_bind_int64(st, 4, ev->ts_us);
    sqlite3_bind_int64(st, 5, received_us);
    if (ev->event_type)
        sqlite3_bind_text(st, 6, ev->event_type, -1, SQLITE_STATIC);
    if (ev->src_ip)
        sqlite3_bind_text(st, 7, ev->src_ip, -1, SQLITE_STATIC);
    if (ev->dest_ip)
        sqlite3_bind_text(st, 8, ev->dest_ip, -1, SQLITE_STATIC);
    if (ev->sig_id >= 0)
        sqlite3_bind_int64(st, 9, ev->sig_id);
    if (ev->severity >= 0)
        sqlite3_bind_int(st, 10, ev->severity);
    if (ev->flow_id)
        sqlite3_bind_int64(st, 11, ev->flow_id);
    sqlite3_bind_text(st, 12, ev->raw, (int)ev->raw_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int ret;
    if (rc != SQLITE_DONE) {
        log_error("db", "%s: insert event %s: %s", d->path, ev->canh_id, sqlite3_errmsg(d->h));
        ret = DB_ERR_IO;
    } else if (sqlite3_changes(d->h) == 1) {
        if (rowid)
            *rowid = sqlite3_last_insert_rowid(d->h);
        ret = 1;
    } else {
        ret = 0;
    }
    sqlite3_reset(st);
    return ret;
}

int db_event_same(struct db *d, const char *canh_id, const char *raw, size_t len)
{
    sqlite3_stmt *st = db_stmt(d, "SELECT raw = ?2 FROM events WHERE canh_id = ?1");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, canh_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, raw, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    /* Gone (expired) counts as the same: nothing to compare with. */
    int ret = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : rc == SQLITE_DONE ? 1 : DB_ERR_IO;
    sqlite3_reset(st);
    return ret;
}

int db_event_sensor_seen(struct db *d, const char *sensor, int64_t now_us, int64_t max_seq,
                         int64_t nnew)
{
    sqlite3_stmt *st = db_stmt(d,
        "UPDATE sensors SET last_seen_us = ?2, last_seq = max(coalesce(last_seq, -1), ?3),"
        " events = events + ?4 WHERE name = ?1");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, sensor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_us);
    sqlite3_bind_int64(st, 3, max_seq);
    sqlite3_bind_int64(st, 4, nnew);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : DB_ERR_IO;
}

int db_event_sensor_stats(struct db *d, const char *sensor, int64_t ts_us, int64_t packets,
                          int64_t drops, const char *raw)
{
    /* packets/s from the previous stats event of this sensor; a counter
     * that went backwards means the sensor restarted: no rate this time. */
    sqlite3_stmt *st = db_stmt(d,
        "UPDATE sensors SET"
        " pkts_per_s = CASE WHEN stats_us IS NOT NULL AND ?2 > stats_us AND ?3 >= packets"
        "   THEN (?3 - packets) * 1000000.0 / (?2 - stats_us) ELSE pkts_per_s END,"
        " stats_us = ?2, packets = ?3, drops = ?4, last_stats = ?5"
        " WHERE name = ?1 AND (stats_us IS NULL OR ?2 >= stats_us)");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, sensor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ts_us);
    sqlite3_bind_int64(st, 3, packets);
    sqlite3_bind_int64(st, 4, drops);
    db_bind_text_or_null(st, 5, raw);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : DB_ERR_IO;
}

/* Appends " AND <clause>" to the WHERE text; the caller binds in order. */
static void db_event_where(char *sql, size_t cap, const char *clause)
{
    size_t n = strlen(sql);
    snprintf(sql + n, cap - n, " AND %s", clause);
}

static json_t *db_event_row(sqlite3_stmt *st)
{
    /* columns: canh_id, received_us, raw */
    char when[40];
    db_format_us(sqlite3_column_int64(st, 1), when, sizeof when);
    const char *raw = (const char *)sqlite3_column_text(st, 2);
    json_t *ev = raw ? json_loads(raw, JSON_ALLOW_NUL, NULL) : NULL;
    return json_pack("{s:s, s:s, s:o}", "id", (const char *)sqlite3_column_text(st, 0),
                     "received", when, "event", ev ? ev : json_null());
}

/* The blocks (events.blk) from the newest row's to the oldest's: every
 * block of the table (retention deletes the oldest rows only). */
#define DB_EVENT_BLOCKS                                                                   \
    "WITH RECURSIVE db_blk(b) AS (SELECT (SELECT blk FROM events ORDER BY id DESC LIMIT 1)" \
    " UNION ALL SELECT b - 1 FROM db_blk"                                                 \
    " WHERE b > (SELECT blk FROM events ORDER BY id LIMIT 1)) "

int db_event_search(struct db *d, const struct db_event_filter *f, json_t **out)
{
    char where[768] = "1";
    if (f->sensor)
        db_event_where(where, sizeof where, "sensor = :sensor");
    if (f->event_type)
        db_event_where(where, sizeof where, "event_type = :etype");
    /* Address and flow_id indexes lead with the rowid block (migration 6):
     * one seek per block that exists, newest first (DB_EVENT_BLOCKS). */
    if (f->addr)
        db_event_where(where, sizeof where, "id IN (SELECT id FROM events WHERE blk IN db_blk"
                       " AND src_ip = :addr UNION ALL SELECT id FROM events WHERE"
                       " blk IN db_blk AND dest_ip = :addr)");
    if (f->sig_id >= 0)
        db_event_where(where, sizeof where, "sig_id = :sig");
    if (f->flow_id)
        db_event_where(where, sizeof where, "blk IN db_blk AND flow_id = :flow");
    if (f->since_us)
        db_event_where(where, sizeof where, "ts_us >= :since");
    if (f->until_us)
        db_event_where(where, sizeof where, "ts_us < :until");
    if (f->text)
        db_event_where(where, sizeof where, "instr(raw, :text) > 0");

    int ret = DB_ERR_IO;
    json_t *res = NULL, *arr = NULL;
    sqlite3_stmt *st[2] = { NULL, NULL };
    char sql[1280];
    const char *with = f->addr || f->flow_id ? DB_EVENT_BLOCKS : "";
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0)
            snprintf(sql, sizeof sql, "%sSELECT count(*) FROM events WHERE %s", with, where);
        else
            snprintf(sql, sizeof sql, "%sSELECT canh_id, received_us, raw FROM events WHERE %s"
                     " ORDER BY id DESC LIMIT :limit OFFSET :offset", with, where);
        if (sqlite3_prepare_v2(d->h, sql, -1, &st[pass], NULL) != SQLITE_OK) {
            log_error("db", "%s: event search: %s", d->path, sqlite3_errmsg(d->h));
            goto out;
        }
        sqlite3_stmt *s = st[pass];
        db_bind_named_text(s, ":sensor", f->sensor);
        db_bind_named_text(s, ":etype", f->event_type);
        db_bind_named_text(s, ":addr", f->addr);
        db_bind_named_int64(s, ":sig", f->sig_id);
        db_bind_named_int64(s, ":flow", f->flow_id);
        db_bind_named_int64(s, ":since", f->since_us);
        db_bind_named_int64(s, ":until", f->until_us);
        db_bind_named_text(s, ":text", f->text);
        db_bind_named_int64(s, ":limit", f->limit);
        db_bind_named_int64(s, ":offset", f->offset);
    }
    if (sqlite3_step(st[0]) != SQLITE_ROW)
        goto out;
    arr = json_array();
    res = json_pack("{s:I, s:i, s:i}", "total", (json_int_t)sqlite3_column_int64(st[0], 0),
                    "limit", f->limit, "offset", f->offset);
    if (!arr || !res)
        goto out;
    int rc;
    while ((rc = sqlite3_step(st[1])) == SQLITE_ROW)
        json_array_append_new(arr, db_event_row(st[1]));
    if (rc != SQLITE_DONE) {
        log_error("db", "%s: event search: %s", d->path, sqlite3_errmsg(d->h));
        goto out;
    }
    json_object_set(res, "events", arr);
    *out = res;
    res = NULL;
    ret = 0;
out:
    sqlite3_finalize(st[0]);
    sqlite3_finalize(st[1]);
    json_decref(arr);
    json_decref(res);
    return ret;
}

json_t *db_event_of_incident(struct db *d, int64_t incident_id, int limit)
{
    sqlite3_stmt *st = db_stmt(d,
        "SELECT e.canh_id, e.received_us, e.raw FROM incident_events ie"
        " JOIN events e ON e.canh_id = ie.canh_id WHERE ie.incident_id = ?"
        " ORDER BY e.id DESC LIMIT ?");
    json_t *arr = json_array();
    if (!st || !arr)
        return arr;
    sqlite3_bind_int64(st, 1, incident_id);
    sqlite3_bind_int(st, 2, limit);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(arr, db_event_row(st));
    sqlite3_reset(st);
    return arr;
}

int db_event_since(struct db *d, int64_t after, int limit, db_event_fn cb, void *arg)
{
    sqlite3_stmt *st = db_stmt(d, "SELECT id, raw FROM events WHERE id > ? ORDER BY id LIMIT ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, limit);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cb(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
           (size_t)sqlite3_column_bytes(st, 1), arg);
        n++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? n : DB_ERR_IO;
}

int64_t db_event_max_rowid(struct db *d)
{
    sqlite3_stmt *st = db_stmt(d, "SELECT coalesce(max(id), 0) FROM events");
    int64_t v = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    if (st)
        sqlite3_reset(st);
    return v;
}

/* The first row with id >= from: 1 and its id and receipt time, 0 none. */
static int db_event_probe(struct db *d, int64_t from, int64_t *id, int64_t *recv)
{
    sqlite3_stmt *st = db_stmt(d, "SELECT id, received_us FROM events WHERE id >= ?"
                                  " ORDER BY id LIMIT 1");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, from);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *recv = sqlite3_column_int64(st, 1);
        ret = 1;
    } else if (rc != SQLITE_DONE) {
        ret = DB_ERR_IO;
    }
    sqlite3_reset(st);
    return ret;
}

/* Rows are inserted in order of receipt, so received_us grows with the
 * rowid: the boundary is found by binary search on the rowid (about 30
 * lookups) instead of keeping an index on received_us, which cost ~5% of
 * ingest. A wall clock stepped backwards only delays expiry a little. */
int64_t db_event_expire(struct db *d, int64_t cutoff_us)
{
    int64_t lo, r, id, hi = db_event_max_rowid(d) + 1;
    int rc = db_event_probe(d, 0, &lo, &r);
    if (rc <= 0 || r >= cutoff_us)
        return rc < 0 ? rc : 0;
    /* Invariant: row lo was received before the cutoff; the first row at or
     * after hi was not (or there is none). */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        rc = db_event_probe(d, mid, &id, &r);
        if (rc < 0)
            return rc;
        if (rc == 1 && r < cutoff_us && id < hi)
            lo = id;
        else
            hi = mid;
    }
    sqlite3_stmt *st = db_stmt(d, "DELETE FROM events WHERE id <= ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, lo);
    rc = sqlite3_step(st);
    int64_t n = rc == SQLITE_DONE ? sqlite3_changes(d->h) : DB_ERR_IO;
    sqlite3_reset(st);
    if (n < 0)
        log_error("db", "%s: retention: %s", d->path, sqlite3_errmsg(d->h));
    return n;
}

json_t *db_event_sensors(struct db *d)
{
    sqlite3_stmt *st = db_stmt(d,
        "SELECT name, created_us, last_seen_us, last_seq, events, stats_us, packets, drops,"
        " pkts_per_s FROM sensors ORDER BY name");
    json_t *arr = json_array();
    if (!st || !arr)
        return arr;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char t[40];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string((const char *)sqlite3_column_text(st, 0)));
        db_format_us(sqlite3_column_int64(st, 1), t, sizeof t);
        json_object_set_new(o, "created", json_string(t));
        if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
            db_format_us(sqlite3_column_int64(st, 2), t, sizeof t);
            json_object_set_new(o, "last_seen", json_string(t));
        } else {
            json_object_set_new(o, "last_seen", json_null());
        }
        json_object_set_new(o, "last_seq", sqlite3_column_type(st, 3) == SQLITE_NULL
                            ? json_null() : json_integer(sqlite3_column_int64(st, 3)));
        json_object_set_new(o, "events", json_integer(sqlite3_column_int64(st, 4)));
        if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
            db_format_us(sqlite3_column_int64(st, 5), t, sizeof t);
            json_object_set_new(o, "stats_time", json_string(t));
            json_object_set_new(o, "packets", json_integer(sqlite3_column_int64(st, 6)));
            json_object_set_new(o, "drops", json_integer(sqlite3_column_int64(st, 7)));
            json_object_set_new(o, "packets_per_s", sqlite3_column_type(st, 8) == SQLITE_NULL
                                ? json_null() : json_real(sqlite3_column_double(st, 8)));
        }
        json_array_append_new(arr, o);
    }
    sqlite3_reset(st);
    return arr;
}
