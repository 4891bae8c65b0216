/* rep_outbox: SQL of the reporting outbox. It prepares its own statements
 * (finalised after each use) instead of the store's statement cache, which
 * belongs to db_*.c; it reaches the handle through store/db_private.h.
 */
#include "report/rep_outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/db_private.h"

static int rep_ob_done(struct db *d, sqlite3_stmt *st, int rc, const char *what)
{
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        log_error("report", "%s: outbox %s: %s", d->path, what, sqlite3_errmsg(d->h));
        sqlite3_finalize(st);
        return DB_ERR_IO;
    }
    sqlite3_finalize(st);
    return 0;
}

static char *rep_ob_dup(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    return s ? strdup(s) : NULL;
}

void rep_outbox_row_fini(struct rep_outbox_row *r)
{
    free(r->bundle);
    free(r->signature);
    r->bundle = r->signature = NULL;
}

int rep_outbox_enqueue(struct db *d, const char *subject, int64_t incident_id,
                       int64_t version_us, const char *bundle, const char *signature,
                       int64_t now_us, int64_t *row_id)
{
    sqlite3_stmt *st = db_prepare(d,
        "INSERT OR IGNORE INTO report_outbox (subject, incident_id, version_us, state, next_us,"
        " created_us, bundle, signature) VALUES (?1, ?2, ?3, 'pending', ?4, ?4, ?5, ?6)");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
    if (incident_id > 0)
        sqlite3_bind_int64(st, 2, incident_id);
    sqlite3_bind_int64(st, 3, version_us);
    sqlite3_bind_int64(st, 4, now_us);
    sqlite3_bind_text(st, 5, bundle, -1, SQLITE_STATIC);
    db_bind_text_or_null(st, 6, signature);
    int rc = sqlite3_step(st);
    int added = sqlite3_changes(d->h);
    if (added && row_id)
        *row_id = sqlite3_last_insert_rowid(d->h);
    if (rep_ob_done(d, st, rc, "insert") != 0)
        return DB_ERR_IO;
    if (!added)
        return 0;
    st = db_prepare(d, "UPDATE report_outbox SET state = 'superseded', next_us = NULL"
                        " WHERE subject = ?1 AND version_us < ?2 AND state IN ('pending','failed')");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, version_us);
    rc = sqlite3_step(st);
    return rep_ob_done(d, st, rc, "supersede") ? DB_ERR_IO : 1;
}

int rep_outbox_changed(struct db *d, int min_severity, const char *statuses_json,
                       const char *rules_json, int64_t *ids, int64_t *versions, int max)
{
    sqlite3_stmt *st = db_prepare(d,
        "SELECT i.id, i.updated_us FROM incidents i"
        " WHERE i.severity <= ?1 AND i.status IN (SELECT value FROM json_each(?2))"
        "   AND (json_array_length(?3) = 0 OR i.rule_id IN (SELECT value FROM json_each(?3)))"
        "   AND i.updated_us > coalesce((SELECT max(o.version_us) FROM report_outbox o"
        "                                 WHERE o.subject = 'incident:' || i.id), 0)"
        " ORDER BY i.updated_us, i.id LIMIT ?4");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int(st, 1, min_severity);
    sqlite3_bind_text(st, 2, statuses_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, rules_json, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, max);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
        ids[n] = sqlite3_column_int64(st, 0);
        versions[n] = sqlite3_column_int64(st, 1);
        n++;
    }
    return rep_ob_done(d, st, rc, "changed incidents") ? DB_ERR_IO : n;
}

int rep_outbox_next(struct db *d, int64_t now_us, struct rep_outbox_row *out)
{
    sqlite3_stmt *st = db_prepare(d,
        "SELECT id, subject, version_us, attempts, bundle, signature FROM report_outbox"
        " WHERE next_us IS NOT NULL AND next_us <= ?1 AND state IN ('pending','failed')"
        " ORDER BY id LIMIT 1");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, now_us);
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
    memset(out, 0, sizeof *out);
    if (found) {
        out->id = sqlite3_column_int64(st, 0);
        snprintf(out->subject, sizeof out->subject, "%s", sqlite3_column_text(st, 1));
        out->version_us = sqlite3_column_int64(st, 2);
        out->attempts = sqlite3_column_int(st, 3);
        out->bundle = rep_ob_dup(st, 4);
        out->signature = rep_ob_dup(st, 5);
        if (!out->bundle) {
            rep_outbox_row_fini(out);
            found = 0;
        }
    }
    return rep_ob_done(d, st, rc, "next") ? DB_ERR_IO : found;
}

int rep_outbox_mark(struct db *d, int64_t id, const char *state, int attempts, int64_t next_us,
                    const char *reason, const char *transport, int64_t now_us)
{
    sqlite3_stmt *st = db_prepare(d,
        "UPDATE report_outbox SET state = ?2, attempts = ?3, next_us = ?4, reason = ?5,"
        " transport = coalesce(?6, transport),"
        " sent_us = CASE WHEN ?2 = 'sent' THEN ?7 ELSE sent_us END WHERE id = ?1");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, attempts);
    if (next_us > 0)
        sqlite3_bind_int64(st, 4, next_us);
    db_bind_text_or_null(st, 5, reason);
    db_bind_text_or_null(st, 6, transport);
    sqlite3_bind_int64(st, 7, now_us);
    int rc = sqlite3_step(st);
    return rep_ob_done(d, st, rc, "mark");
}

int rep_outbox_retry_failed(struct db *d, int64_t now_us)
{
    sqlite3_stmt *st = db_prepare(d, "UPDATE report_outbox SET state = 'pending', attempts = 0,"
                                      " next_us = ?1 WHERE state = 'failed'");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, now_us);
    int rc = sqlite3_step(st), n = sqlite3_changes(d->h);
    return rep_ob_done(d, st, rc, "retry failed") ? DB_ERR_IO : n;
}

int64_t rep_outbox_depth(struct db *d)
{
    sqlite3_stmt *st = db_prepare(d, "SELECT count(*) FROM report_outbox"
                                      " WHERE state IN ('pending','failed')");
    if (!st)
        return DB_ERR_IO;
    int rc = sqlite3_step(st);
    int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    return rep_ob_done(d, st, rc, "depth") ? DB_ERR_IO : n;
}

#define REP_OB_COLS "id, subject, version_us, state, attempts, next_us, created_us, sent_us," \
    " reason, transport"

static json_t *rep_ob_row(sqlite3_stmt *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
    db_json_text(o, "subject", st, 1);
    db_json_time(o, "version", st, 2);
    db_json_text(o, "state", st, 3);
    json_object_set_new(o, "attempts", json_integer(sqlite3_column_int(st, 4)));
    db_json_time(o, "next_attempt", st, 5);
    db_json_time(o, "queued", st, 6);
    db_json_time(o, "sent", st, 7);
    db_json_text(o, "reason", st, 8);
    db_json_text(o, "transport", st, 9);
    return o;
}

json_t *rep_outbox_incident_state(struct db *d, int64_t incident_id)
{
    sqlite3_stmt *st = db_prepare(d, "SELECT " REP_OB_COLS ", (SELECT count(*) FROM"
                                      " report_outbox s WHERE s.incident_id = ?1 AND"
                                      " s.state = 'sent') FROM report_outbox"
                                      " WHERE incident_id = ?1 ORDER BY version_us DESC LIMIT 1");
    json_t *o = NULL;
    if (!st)
        return json_pack("{s:s}", "state", "unknown");
    sqlite3_bind_int64(st, 1, incident_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        o = rep_ob_row(st);
        json_object_set_new(o, "versions_sent", json_integer(sqlite3_column_int(st, 10)));
    }
    rep_ob_done(d, st, rc, "incident state");
    return o ? o : json_pack("{s:s}", "state", "none");
}

json_t *rep_outbox_list(struct db *d, const char *state, int limit, int offset)
{
    sqlite3_stmt *st = db_prepare(d, "SELECT " REP_OB_COLS " FROM report_outbox"
                                      " WHERE ?1 IS NULL OR state = ?1"
                                      " ORDER BY id DESC LIMIT ?2 OFFSET ?3");
    if (!st)
        return NULL;
    db_bind_text_or_null(st, 1, state);
    sqlite3_bind_int(st, 2, limit);
    sqlite3_bind_int(st, 3, offset);
    json_t *arr = json_array(), *counts = json_object();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(arr, rep_ob_row(st));
    rep_ob_done(d, st, rc, "list");
    st = db_prepare(d, "SELECT state, count(*) FROM report_outbox GROUP BY state");
    if (st) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            json_object_set_new(counts, (const char *)sqlite3_column_text(st, 0),
                                json_integer(sqlite3_column_int64(st, 1)));
        rep_ob_done(d, st, rc, "counts");
    }
    return json_pack("{s:o, s:o}", "counts", counts, "reports", arr);
}

json_t *rep_outbox_get(struct db *d, int64_t id)
{
    sqlite3_stmt *st = db_prepare(d, "SELECT " REP_OB_COLS ", bundle, signature"
                                      " FROM report_outbox WHERE id = ?1");
    json_t *o = NULL;
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        o = rep_ob_row(st);
        db_json_text(o, "bundle", st, 10);
        db_json_text(o, "signature", st, 11);
    }
    rep_ob_done(d, st, rc, "get");
    return o;
}
