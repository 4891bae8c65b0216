/* db_incident: turns correlation hits into incidents (append to the open
 * incident of the same rule and group key, else open one), links events,
 * entities, sensors and ATT&CK tags, and serves the analyst's reads and
 * changes. Every change writes an audit row with its actor.
 */
#include "store/db_incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/db_event.h"
#include "store/db_private.h"

static const char *const db_inc_statuses[] = {
    "new", "acknowledged", "investigating", "resolved", "false_positive",
};
static const char *const db_inc_dispositions[] = {
    "true_positive", "benign", "false_positive", "duplicate", "undetermined",
};

bool db_incident_status_valid(const char *s)
{
    for (size_t i = 0; i < sizeof db_inc_statuses / sizeof *db_inc_statuses; i++)
        if (strcmp(s, db_inc_statuses[i]) == 0)
            return true;
    return false;
}

bool db_incident_disposition_valid(const char *s)
{
    for (size_t i = 0; i < sizeof db_inc_dispositions / sizeof *db_inc_dispositions; i++)
        if (strcmp(s, db_inc_dispositions[i]) == 0)
            return true;
    return false;
}

int db_incident_audit(struct db *d, const char *actor, const char *action, int64_t incident_id,
                      json_t *detail)
{
    sqlite3_stmt *st = db_stmt(d, "INSERT INTO audit (at_us, actor, action, incident_id, detail)"
                                  " VALUES (?,?,?,?,?)");
    if (!st)
        return DB_ERR_IO;
    char *txt = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    sqlite3_bind_int64(st, 1, db_now_us());
    sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
    if (incident_id > 0)
        sqlite3_bind_int64(st, 4, incident_id);
    db_bind_text_or_null(st, 5, txt);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    free(txt);
    if (rc != SQLITE_DONE) {
        log_error("db", "%s: audit %s: %s", d->path, action, sqlite3_errmsg(d->h));
        return DB_ERR_IO;
    }
    return 0;
}

static int db_inc_find_open(struct db *d, const char *rule_id, const char *key, int64_t *id)
{
    sqlite3_stmt *st = db_stmt(d, "SELECT id FROM incidents WHERE rule_id = ? AND group_key = ?"
                                  " AND status IN ('new','acknowledged','investigating')"
                                  " ORDER BY id DESC LIMIT 1");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, rule_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = DB_ERR_NOENT;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        ret = 0;
    } else if (rc != SQLITE_DONE) {
        ret = DB_ERR_IO;
    }
    sqlite3_reset(st);
    return ret;
}

static char *db_inc_dump(json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

static int db_inc_open(struct db *d, const struct corr_hit *h, int64_t now_us, int64_t *id)
{
    int ret = DB_ERR_IO;
    json_t *tags = json_array();
    for (size_t i = 0; i < h->ntags; i++)
        json_array_append_new(tags, json_string(h->tags[i]));
    char *tags_txt = db_inc_dump(tags), *gf = db_inc_dump(h->group_fields),
         *matched = db_inc_dump(h->matched);
    sqlite3_stmt *st = db_stmt(d,
        "INSERT INTO incidents (rule_id, group_key, title, description, severity, level,"
        " first_us, last_us, created_us, updated_us, group_fields, matched, tags, title_vi,"
        " description_vi) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, h->rule_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, h->group_key ? h->group_key : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, h->rule_title ? h->rule_title : h->rule_id, -1, SQLITE_STATIC);
    db_bind_text_or_null(st, 4, h->description);
    sqlite3_bind_int(st, 5, h->severity >= 1 && h->severity <= 4 ? h->severity : 3);
    db_bind_text_or_null(st, 6, h->level);
    sqlite3_bind_int64(st, 7, h->first_us);
    sqlite3_bind_int64(st, 8, h->last_us);
    sqlite3_bind_int64(st, 9, now_us);
    sqlite3_bind_int64(st, 10, now_us);
    db_bind_text_or_null(st, 11, gf);
    db_bind_text_or_null(st, 12, matched);
    db_bind_text_or_null(st, 13, tags_txt);
    db_bind_text_or_null(st, 14, h->rule_title_vi);
    db_bind_text_or_null(st, 15, h->description_vi);
    if (sqlite3_step(st) != SQLITE_DONE) {
        log_error("db", "%s: open incident for %s: %s", d->path, h->rule_id,
                  sqlite3_errmsg(d->h));
        sqlite3_reset(st);
        goto out;
    }
    sqlite3_reset(st);
    *id = sqlite3_last_insert_rowid(d->h);
    st = db_stmt(d, "INSERT OR IGNORE INTO incident_tags (incident_id, tag) VALUES (?,?)");
    if (!st)
        goto out;
    for (size_t i = 0; i < h->ntags; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, *id);
        sqlite3_bind_text(st, 2, h->tags[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
    }
    sqlite3_reset(st);
    json_t *detail = json_pack("{s:s, s:s}", "rule", h->rule_id, "group_key",
                               h->group_key ? h->group_key : "");
    ret = db_incident_audit(d, "system", "opened", *id, detail);
    json_decref(detail);
out:
    json_decref(tags);
    free(tags_txt);
    free(gf);
    free(matched);
    return ret;
}

static int db_inc_touch(struct db *d, const struct corr_hit *h, int64_t now_us, int64_t id)
{
    char *matched = db_inc_dump(h->matched);
    sqlite3_stmt *st = db_stmt(d,
        "UPDATE incidents SET first_us = min(first_us, ?2), last_us = max(last_us, ?3),"
        " severity = min(severity, ?4), hits = hits + 1, updated_us = ?5,"
        " matched = coalesce(?6, matched) WHERE id = ?1");
    int ret = DB_ERR_IO;
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, h->first_us);
        sqlite3_bind_int64(st, 3, h->last_us);
        sqlite3_bind_int(st, 4, h->severity >= 1 && h->severity <= 4 ? h->severity : 3);
        sqlite3_bind_int64(st, 5, now_us);
        db_bind_text_or_null(st, 6, matched);
        ret = sqlite3_step(st) == SQLITE_DONE ? 0 : DB_ERR_IO;
        sqlite3_reset(st);
    }
    free(matched);
    return ret;
}

/* Link the hit's events; entities and sensors come from the stored rows. */
static int db_inc_link(struct db *d, const struct corr_hit *h, int64_t id)
{
    static const char *const sql[] = {
        "INSERT OR IGNORE INTO incident_sensors (incident_id, sensor)"
        " SELECT ?1, sensor FROM events WHERE canh_id = ?2",
        "INSERT OR IGNORE INTO incident_entities (incident_id, role, value)"
        " SELECT ?1, 'src', src_ip FROM events WHERE canh_id = ?2 AND src_ip IS NOT NULL",
        "INSERT OR IGNORE INTO incident_entities (incident_id, role, value)"
        " SELECT ?1, 'dest', dest_ip FROM events WHERE canh_id = ?2 AND dest_ip IS NOT NULL",
    };
    int64_t added = 0;
    for (size_t i = 0; i < h->nevents; i++) {
        sqlite3_stmt *st = db_stmt(d, "INSERT OR IGNORE INTO incident_events (incident_id,"
                                      " canh_id) VALUES (?1, ?2)");
        if (!st)
            return DB_ERR_IO;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, h->event_ids[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail;
        int fresh = sqlite3_changes(d->h);
        sqlite3_reset(st);
        if (!fresh)
            continue;
        added++;
        for (size_t q = 0; q < sizeof sql / sizeof *sql; q++) {
            st = db_stmt(d, sql[q]);
            if (!st)
                return DB_ERR_IO;
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_text(st, 2, h->event_ids[i], -1, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE)
                goto fail;
            sqlite3_reset(st);
        }
    }
    sqlite3_stmt *st = db_stmt(d, "UPDATE incidents SET event_count = event_count + ? WHERE id = ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, added);
    sqlite3_bind_int64(st, 2, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : DB_ERR_IO;
fail:
    log_error("db", "%s: link events of incident %lld: %s", d->path, (long long)id,
              sqlite3_errmsg(d->h));
    return DB_ERR_IO;
}

int db_incident_apply(struct db *d, const struct corr_hit *hit, int64_t now_us,
                      int64_t *incident_id, bool *created)
{
    if (!hit->rule_id)
        return DB_ERR_INVAL;
    int64_t id = 0;
    int rc = db_inc_find_open(d, hit->rule_id, hit->group_key ? hit->group_key : "", &id);
    bool fresh = false;
    if (rc == DB_ERR_NOENT) {
        rc = db_inc_open(d, hit, now_us, &id);
        fresh = true;
    } else if (rc == 0) {
        rc = db_inc_touch(d, hit, now_us, id);
    }
    if (rc == 0)
        rc = db_inc_link(d, hit, id);
    if (rc == 0) {
        if (incident_id)
            *incident_id = id;
        if (created)
            *created = fresh;
    }
    return rc;
}

/* ---- reads ---------------------------------------------------------------- */

static void db_inc_set_json(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    json_t *v = s ? json_loads(s, JSON_ALLOW_NUL, NULL) : NULL;
    json_object_set_new(o, key, v ? v : json_null());
}

/* Strings of one column for one incident, as a JSON array. */
static json_t *db_inc_strings(struct db *d, const char *sql, int64_t id, const char *role)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = db_stmt(d, sql);
    if (!st)
        return arr;
    sqlite3_bind_int64(st, 1, id);
    if (role)
        sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(arr, json_string((const char *)sqlite3_column_text(st, 0)));
    sqlite3_reset(st);
    return arr;
}

#define DB_INC_COLS "id, rule_id, group_key, title, description, severity, level, status," \
    " assignee, disposition, first_us, last_us, created_us, updated_us, event_count, hits," \
    " group_fields, matched, tags, title_vi, description_vi"

static json_t *db_inc_row(struct db *d, sqlite3_stmt *st)
{
    json_t *o = json_object();
    int64_t id = sqlite3_column_int64(st, 0);
    json_object_set_new(o, "id", json_integer(id));
    db_json_text(o, "rule_id", st, 1);
    db_json_text(o, "group_key", st, 2);
    db_json_text(o, "title", st, 3);
    db_json_text(o, "description", st, 4);
    json_object_set_new(o, "severity", json_integer(sqlite3_column_int(st, 5)));
    db_json_text(o, "level", st, 6);
    db_json_text(o, "status", st, 7);
    db_json_text(o, "assignee", st, 8);
    db_json_text(o, "disposition", st, 9);
    db_json_time(o, "first_seen", st, 10);
    db_json_time(o, "last_seen", st, 11);
    db_json_time(o, "created", st, 12);
    db_json_time(o, "updated", st, 13);
    json_object_set_new(o, "event_count", json_integer(sqlite3_column_int64(st, 14)));
    json_object_set_new(o, "hits", json_integer(sqlite3_column_int64(st, 15)));
    db_inc_set_json(o, "group_fields", st, 16);
    db_inc_set_json(o, "matched", st, 17);
    db_inc_set_json(o, "tags", st, 18);
    db_json_text(o, "title_vi", st, 19);
    db_json_text(o, "description_vi", st, 20);
    json_object_set_new(o, "sensors", db_inc_strings(d,
        "SELECT sensor FROM incident_sensors WHERE incident_id = ? ORDER BY sensor", id, NULL));
    json_object_set_new(o, "src", db_inc_strings(d,
        "SELECT value FROM incident_entities WHERE incident_id = ? AND role = ? ORDER BY value"
        " LIMIT 100", id, "src"));
    json_object_set_new(o, "dest", db_inc_strings(d,
        "SELECT value FROM incident_entities WHERE incident_id = ? AND role = ? ORDER BY value"
        " LIMIT 100", id, "dest"));
    return o;
}

static int db_inc_status_clause(const char *list, char *out, size_t cap)
{
    /* "new,acknowledged" -> "status IN ('new','acknowledged')"; each name
     * is checked against the fixed set, so the text is safe to embed. */
    char buf[128];
    size_t n = (size_t)snprintf(out, cap, "status IN (");
    if (strlen(list) >= sizeof buf)
        return DB_ERR_INVAL;
    strcpy(buf, list);
    char *save = NULL;
    int count = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!db_incident_status_valid(tok))
            return DB_ERR_INVAL;
        n += (size_t)snprintf(out + n, cap - n, "%s'%s'", count ? "," : "", tok);
        count++;
        if (n >= cap)
            return DB_ERR_INVAL;
    }
    if (count == 0)
        return DB_ERR_INVAL;
    snprintf(out + n, cap - n, ")");
    return 0;
}

static void db_inc_bind_filter(sqlite3_stmt *s, const struct db_incident_filter *f)
{
    db_bind_named_int64(s, ":sev", f->severity);
    db_bind_named_text(s, ":sensor", f->sensor);
    db_bind_named_text(s, ":addr", f->addr);
    db_bind_named_text(s, ":rule", f->rule);
    db_bind_named_text(s, ":assignee", f->assignee);
    db_bind_named_int64(s, ":since", f->since_us);
    db_bind_named_int64(s, ":until", f->until_us);
    db_bind_named_text(s, ":text", f->text);
    db_bind_named_int64(s, ":updated", f->updated_since_us);
    db_bind_named_int64(s, ":limit", f->limit);
    db_bind_named_int64(s, ":offset", f->offset);
}

/* The WHERE clause of a filter (values stay bound parameters). */
static int db_inc_where(const struct db_incident_filter *f, char *where, size_t cap)
{
    char clause[256];
    size_t n = (size_t)snprintf(where, cap, "1");
#define DB_INC_AND(text) (n += (size_t)snprintf(where + n, cap - n, " AND %s", text))
    if (f->status) {
        if (db_inc_status_clause(f->status, clause, sizeof clause) != 0)
            return DB_ERR_INVAL;
        DB_INC_AND(clause);
    }
    if (f->severity > 0)
        DB_INC_AND("severity <= :sev");
    if (f->sensor)
        DB_INC_AND("id IN (SELECT incident_id FROM incident_sensors WHERE sensor = :sensor)");
    if (f->addr)
        DB_INC_AND("id IN (SELECT incident_id FROM incident_entities WHERE value = :addr)");
    if (f->rule)
        DB_INC_AND("rule_id = :rule");
    if (f->assignee)
        DB_INC_AND("assignee = :assignee");
    if (f->since_us)
        DB_INC_AND("last_us >= :since");
    if (f->until_us)
        DB_INC_AND("first_us < :until");
    if (f->text)
        DB_INC_AND("(instr(lower(title), lower(:text)) > 0 OR instr(lower(coalesce(description,"
                   " '')), lower(:text)) > 0 OR instr(group_key, :text) > 0"
                   " OR instr(lower(coalesce(title_vi, '')), lower(:text)) > 0"
                   " OR instr(lower(coalesce(description_vi, '')), lower(:text)) > 0)");
    if (f->updated_since_us)
        DB_INC_AND("updated_us > :updated");
#undef DB_INC_AND
    return n < cap ? 0 : DB_ERR_INVAL;
}

/* "-last_seen" -> "last_us DESC"; NULL for an unknown sort key. */
static const char *db_inc_order(const char *sort)
{
    static const char *const map[][2] = {
        { "last_seen", "last_us" }, { "first_seen", "first_us" }, { "severity", "severity" },
        { "event_count", "event_count" }, { "id", "id" },
    };
    static const char *const asc[] = { "last_us ASC", "first_us ASC", "severity ASC",
                                       "event_count ASC", "id ASC" };
    static const char *const desc[] = { "last_us DESC", "first_us DESC", "severity DESC",
                                        "event_count DESC", "id DESC" };
    if (!sort)
        return "last_us DESC";
    int neg = sort[0] == '-';
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(sort + neg, map[i][0]) == 0)
            return neg ? desc[i] : asc[i];
    return NULL;
}

bool db_incident_sort_valid(const char *sort)
{
    return db_inc_order(sort) != NULL;
}

int db_incident_list(struct db *d, const struct db_incident_filter *f, json_t **out)
{
    char where[1200];
    const char *order = db_inc_order(f->sort);
    if (!order || db_inc_where(f, where, sizeof where) != 0)
        return DB_ERR_INVAL;

    int ret = DB_ERR_IO;
    json_t *res = NULL, *arr = NULL;
    sqlite3_stmt *st[2] = { NULL, NULL };
    char sql[1600];
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0)
            snprintf(sql, sizeof sql, "SELECT count(*) FROM incidents WHERE %s", where);
        else
            snprintf(sql, sizeof sql, "SELECT " DB_INC_COLS " FROM incidents WHERE %s"
                     " ORDER BY %s, id DESC LIMIT :limit OFFSET :offset", where, order);
        if (sqlite3_prepare_v2(d->h, sql, -1, &st[pass], NULL) != SQLITE_OK) {
            log_error("db", "%s: incident list: %s", d->path, sqlite3_errmsg(d->h));
            goto out;
        }
        db_inc_bind_filter(st[pass], f);
    }
    if (sqlite3_step(st[0]) != SQLITE_ROW)
        goto out;
    arr = json_array();
    res = json_pack("{s:I, s:i, s:i}", "total", (json_int_t)sqlite3_column_int64(st[0], 0),
                    "limit", f->limit, "offset", f->offset);
    int rc;
    while ((rc = sqlite3_step(st[1])) == SQLITE_ROW)
        json_array_append_new(arr, db_inc_row(d, st[1]));
    if (rc != SQLITE_DONE)
        goto out;
    json_object_set(res, "incidents", arr);
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

int db_incident_counts(struct db *d, const struct db_incident_filter *f, json_t **out)
{
    struct db_incident_filter g = *f;
    g.status = NULL;
    char where[1200], sql[1400];
    if (db_inc_where(&g, where, sizeof where) != 0)
        return DB_ERR_INVAL;
    snprintf(sql, sizeof sql, "SELECT status, count(*) FROM incidents WHERE %s GROUP BY status",
             where);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("db", "%s: incident counts: %s", d->path, sqlite3_errmsg(d->h));
        return DB_ERR_IO;
    }
    db_inc_bind_filter(st, &g);
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof db_inc_statuses / sizeof *db_inc_statuses; i++)
        json_object_set_new(o, db_inc_statuses[i], json_integer(0));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_object_set_new(o, (const char *)sqlite3_column_text(st, 0),
                            json_integer(sqlite3_column_int64(st, 1)));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(o);
        return DB_ERR_IO;
    }
    *out = o;
    return 0;
}

static json_t *db_inc_comments(struct db *d, int64_t id)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = db_stmt(d, "SELECT id, author, body, created_us FROM comments"
                                  " WHERE incident_id = ? ORDER BY id");
    if (!st)
        return arr;
    sqlite3_bind_int64(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
        db_json_text(o, "author", st, 1);
        db_json_text(o, "body", st, 2);
        db_json_time(o, "created", st, 3);
        json_array_append_new(arr, o);
    }
    sqlite3_reset(st);
    return arr;
}

static json_t *db_inc_audit_list(struct db *d, int64_t id)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = db_stmt(d, "SELECT at_us, actor, action, detail FROM audit"
                                  " WHERE incident_id = ? ORDER BY id");
    if (!st)
        return arr;
    sqlite3_bind_int64(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();
        db_json_time(o, "at", st, 0);
        db_json_text(o, "actor", st, 1);
        db_json_text(o, "action", st, 2);
        db_inc_set_json(o, "detail", st, 3);
        json_array_append_new(arr, o);
    }
    sqlite3_reset(st);
    return arr;
}

int db_incident_get(struct db *d, int64_t id, int max_events, json_t **out)
{
    sqlite3_stmt *st = db_stmt(d, "SELECT " DB_INC_COLS " FROM incidents WHERE id = ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? DB_ERR_NOENT : DB_ERR_IO;
    }
    json_t *o = db_inc_row(d, st);
    sqlite3_reset(st);
    json_object_set_new(o, "events", db_event_of_incident(d, id, max_events));
    json_object_set_new(o, "comments", db_inc_comments(d, id));
    json_object_set_new(o, "audit", db_inc_audit_list(d, id));
    *out = o;
    return 0;
}

/* ---- changes -------------------------------------------------------------- */

/* Set one text column when it differs, auditing from -> to. 1 changed, 0 same. */
static int db_inc_set_field(struct db *d, int64_t id, const char *actor, const char *field,
                            const char *sql_get, const char *sql_set, const char *val)
{
    sqlite3_stmt *st = db_stmt(d, sql_get);
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return DB_ERR_NOENT;
    }
    const char *cur_txt = (const char *)sqlite3_column_text(st, 0);
    char cur[256] = "";
    bool had = cur_txt != NULL;
    if (cur_txt)
        snprintf(cur, sizeof cur, "%s", cur_txt);
    sqlite3_reset(st);
    const char *newv = val[0] ? val : NULL;
    if ((!had && !newv) || (had && newv && strcmp(cur, newv) == 0))
        return 0;
    st = db_stmt(d, sql_set);
    if (!st)
        return DB_ERR_IO;
    db_bind_text_or_null(st, 1, newv);
    sqlite3_bind_int64(st, 2, db_now_us());
    sqlite3_bind_int64(st, 3, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return DB_ERR_IO;
    json_t *detail = json_pack("{s:s, s:o, s:o}", "field", field,
                               "from", had ? json_string(cur) : json_null(),
                               "to", newv ? json_string(newv) : json_null());
    char action[48];
    snprintf(action, sizeof action, "set_%s", field);
    rc = db_incident_audit(d, actor, action, id, detail);
    json_decref(detail);
    return rc == 0 ? 1 : rc;
}

int db_incident_update(struct db *d, int64_t id, const char *actor, const char *status,
                       const char *assignee, const char *disposition)
{
    if (status && !db_incident_status_valid(status))
        return DB_ERR_INVAL;
    if (disposition && disposition[0] && !db_incident_disposition_valid(disposition))
        return DB_ERR_INVAL;
    if (assignee && strlen(assignee) > 128)
        return DB_ERR_INVAL;
    int rc = db_begin(d);
    if (rc)
        return rc;
    if (status && status[0])
        rc = db_inc_set_field(d, id, actor, "status",
                              "SELECT status FROM incidents WHERE id = ?",
                              "UPDATE incidents SET status = ?1, updated_us = ?2 WHERE id = ?3",
                              status);
    if (rc >= 0 && assignee)
        rc = db_inc_set_field(d, id, actor, "assignee",
                              "SELECT assignee FROM incidents WHERE id = ?",
                              "UPDATE incidents SET assignee = ?1, updated_us = ?2 WHERE id = ?3",
                              assignee);
    if (rc >= 0 && disposition)
        rc = db_inc_set_field(d, id, actor, "disposition",
                              "SELECT disposition FROM incidents WHERE id = ?",
                              "UPDATE incidents SET disposition = ?1, updated_us = ?2"
                              " WHERE id = ?3", disposition);
    if (rc >= 0 && !status && !assignee && !disposition) {
        /* Nothing to change: still tell the caller whether the id exists. */
        sqlite3_stmt *st = db_stmt(d, "SELECT 1 FROM incidents WHERE id = ?");
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st) == SQLITE_ROW ? 0 : DB_ERR_NOENT;
        sqlite3_reset(st);
    }
    if (rc < 0) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}

int db_incident_comment(struct db *d, int64_t id, const char *actor, const char *body,
                        int64_t *comment_id)
{
    int rc = db_begin(d);
    if (rc)
        return rc;
    sqlite3_stmt *st = db_stmt(d, "INSERT INTO comments (incident_id, author, body, created_us)"
                                  " SELECT id, ?2, ?3, ?4 FROM incidents WHERE id = ?1");
    if (!st) {
        rc = DB_ERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, db_now_us());
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : DB_ERR_IO;
    sqlite3_reset(st);
    if (rc)
        goto out;
    if (sqlite3_changes(d->h) == 0) {
        rc = DB_ERR_NOENT;
        goto out;
    }
    int64_t cid = sqlite3_last_insert_rowid(d->h);
    if (comment_id)
        *comment_id = cid;
    json_t *detail = json_pack("{s:I}", "comment_id", (json_int_t)cid);
    rc = db_incident_audit(d, actor, "comment", id, detail);
    json_decref(detail);
out:
    if (rc) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}
