/* db_sup: rows of the suppressions table: add and delete with an audit
 * row, the list the API shows, the live set the matcher caches
 * (portal/portal_sup.c) and the hit counter it bumps inside the
 * correlation transaction. Statements are prepared per call (see
 * db_portal.c for why).
 */
#include "store/db_sup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/db_incident.h"
#include "store/db_private.h"

static json_t *db_sup_time(int64_t us)
{
    char t[40];
    db_format_us(us, t, sizeof t);
    return json_string(t);
}

int db_sup_add(struct db *d, const char *rule_id, const char *address, const char *reason,
               int64_t expires_us, const char *actor, int64_t incident_id, int64_t *id)
{
    if ((!rule_id && !address) || !reason || !reason[0] || strlen(reason) > 4096 ||
        (rule_id && (!rule_id[0] || strlen(rule_id) > DB_SUP_RULE_MAX)) ||
        (address && (!address[0] || strlen(address) > DB_SUP_ADDR_MAX)))
        return DB_ERR_INVAL;
    int rc = db_begin(d);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    if (incident_id > 0) {
        st = db_prepare(d, "SELECT 1 FROM incidents WHERE id = ?");
        if (!st) {
            rc = DB_ERR_IO;
            goto out;
        }
        sqlite3_bind_int64(st, 1, incident_id);
        rc = sqlite3_step(st) == SQLITE_ROW ? 0 : DB_ERR_NOENT;
        sqlite3_finalize(st);
        if (rc)
            goto out;
    }
    st = db_prepare(d, "INSERT INTO suppressions (rule_id, address, reason, expires_us,"
                        " created_by, created_us, incident_id) VALUES (?,?,?,?,?,?,?)");
    if (!st) {
        rc = DB_ERR_IO;
        goto out;
    }
    db_bind_text_or_null(st, 1, rule_id);
    db_bind_text_or_null(st, 2, address);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, expires_us);
    sqlite3_bind_text(st, 5, actor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, db_now_us());
    if (incident_id > 0)
        sqlite3_bind_int64(st, 7, incident_id);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : DB_ERR_IO;
    sqlite3_finalize(st);
    if (rc)
        goto out;
    *id = sqlite3_last_insert_rowid(d->h);
    json_t *detail = json_pack("{s:I, s:o, s:o, s:s, s:o}", "suppression", (json_int_t)*id,
                               "rule_id", rule_id ? json_string(rule_id) : json_null(),
                               "address", address ? json_string(address) : json_null(),
                               "reason", reason, "expires", db_sup_time(expires_us));
    rc = db_incident_audit(d, actor, "suppression_add", incident_id, detail);
    json_decref(detail);
out:
    if (rc) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}

int db_sup_delete(struct db *d, int64_t id, const char *actor)
{
    int rc = db_begin(d);
    if (rc)
        return rc;
    json_t *detail = NULL;
    int64_t incident = 0;
    sqlite3_stmt *st = db_prepare(d, "SELECT rule_id, address, reason, hits, incident_id"
                                      " FROM suppressions WHERE id = ?");
    if (!st) {
        rc = DB_ERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        rc = DB_ERR_NOENT;
        goto out;
    }
    const char *rule = (const char *)sqlite3_column_text(st, 0);
    const char *addr = (const char *)sqlite3_column_text(st, 1);
    detail = json_pack("{s:I, s:o, s:o, s:s, s:I}", "suppression", (json_int_t)id,
                       "rule_id", rule ? json_string(rule) : json_null(),
                       "address", addr ? json_string(addr) : json_null(),
                       "reason", (const char *)sqlite3_column_text(st, 2),
                       "hits", (json_int_t)sqlite3_column_int64(st, 3));
    incident = sqlite3_column_int64(st, 4);
    sqlite3_finalize(st);
    st = db_prepare(d, "DELETE FROM suppressions WHERE id = ?");
    if (!st) {
        rc = DB_ERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : DB_ERR_IO;
    sqlite3_finalize(st);
    if (rc == 0)
        rc = db_incident_audit(d, actor, "suppression_delete", incident, detail);
out:
    json_decref(detail);
    if (rc) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}

json_t *db_sup_list(struct db *d)
{
    /* The incident it was made from lends its title (the rule's title when
     * its rule is the suppressed one) to the portal's list. */
    sqlite3_stmt *st = db_prepare(d, "SELECT s.id, s.rule_id, s.address, s.reason,"
                                      " s.expires_us, s.created_by, s.created_us,"
                                      " s.incident_id, s.hits, s.last_hit_us, i.title,"
                                      " i.title_vi, i.rule_id FROM suppressions s"
                                      " LEFT JOIN incidents i ON i.id = s.incident_id"
                                      " ORDER BY s.id DESC");
    if (!st)
        return NULL;
    json_t *arr = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *rule = (const char *)sqlite3_column_text(st, 1);
        const char *addr = (const char *)sqlite3_column_text(st, 2);
        json_t *o = json_pack("{s:I, s:o, s:o, s:s, s:o, s:s, s:o, s:o, s:I, s:o, s:b}",
            "id", (json_int_t)sqlite3_column_int64(st, 0),
            "rule_id", rule ? json_string(rule) : json_null(),
            "address", addr ? json_string(addr) : json_null(),
            "reason", (const char *)sqlite3_column_text(st, 3),
            "expires", db_sup_time(sqlite3_column_int64(st, 4)),
            "created_by", (const char *)sqlite3_column_text(st, 5),
            "created", db_sup_time(sqlite3_column_int64(st, 6)),
            "incident", sqlite3_column_type(st, 7) == SQLITE_NULL ? json_null()
                        : json_integer(sqlite3_column_int64(st, 7)),
            "hits", (json_int_t)sqlite3_column_int64(st, 8),
            "last_hit", sqlite3_column_type(st, 9) == SQLITE_NULL ? json_null()
                        : db_sup_time(sqlite3_column_int64(st, 9)),
            "expired", sqlite3_column_int64(st, 4) <= db_now_us());
        if (!o)
            continue;
        static const char *const extra[] = { "incident_title", "incident_title_vi",
                                             "incident_rule_id" };
        for (int k = 0; k < 3; k++) {
            const char *v = (const char *)sqlite3_column_text(st, 10 + k);
            json_object_set_new(o, extra[k], v ? json_string(v) : json_null());
        }
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

int db_sup_active(struct db *d, int64_t now_us, struct db_sup **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_prepare(d, "SELECT id, rule_id, address, expires_us FROM"
                                      " suppressions WHERE expires_us > ? ORDER BY id");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, now_us);
    struct db_sup *arr = NULL;
    size_t cap = 0, cnt = 0;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct db_sup *na = realloc(arr, ncap * sizeof *na);
            if (!na) {
                ret = DB_ERR_NOMEM;
                goto out;
            }
            arr = na;
            cap = ncap;
        }
        struct db_sup *s = &arr[cnt++];
        s->id = sqlite3_column_int64(st, 0);
        const char *rule = (const char *)sqlite3_column_text(st, 1);
        const char *addr = (const char *)sqlite3_column_text(st, 2);
        snprintf(s->rule_id, sizeof s->rule_id, "%s", rule ? rule : "");
        snprintf(s->address, sizeof s->address, "%s", addr ? addr : "");
        s->expires_us = sqlite3_column_int64(st, 3);
    }
    if (rc != SQLITE_DONE)
        ret = DB_ERR_IO;
out:
    sqlite3_finalize(st);
    if (ret) {
        free(arr);
        return ret;
    }
    *out = arr;
    *n = cnt;
    return 0;
}

int db_sup_hit(struct db *d, int64_t id, int64_t now_us)
{
    sqlite3_stmt *st = db_stmt(d, "UPDATE suppressions SET hits = hits + 1, last_hit_us = ?"
                                  " WHERE id = ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, now_us);
    sqlite3_bind_int64(st, 2, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : DB_ERR_IO;
}

int64_t db_sup_incident_count(struct db *d, int64_t incident_id)
{
    sqlite3_stmt *st = db_prepare(d, "SELECT coalesce(sum(hits), 0) FROM suppressions"
                                      " WHERE incident_id = ?");
    int64_t n = 0;
    if (!st)
        return 0;
    sqlite3_bind_int64(st, 1, incident_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}
