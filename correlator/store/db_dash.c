/* db_dash: dashboard queries. Each is one indexed range scan on
 * events(ts_us) or incidents; the alert signature and the flow's
 * application protocol are read from the stored EVE line with SQLite's
 * json_extract, so nothing new is stored at ingest for the dashboard.
 */
#include "store/db_dash.h"

#include <stdlib.h>

#include "log.h"
#include "store/db_private.h"

int64_t db_dash_newest_event(struct db *d)
{
    sqlite3_stmt *st = NULL;
    int64_t t = 0;
    if (sqlite3_prepare_v2(d->h, "SELECT max(ts_us) FROM events", -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        t = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return t;
}

static sqlite3_stmt *db_dash_prep(struct db *d, const char *sql, int64_t since, int64_t until,
                                  int64_t bucket)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("db", "%s: dashboard: %s: %.60s", d->path, sqlite3_errmsg(d->h), sql);
        return NULL;
    }
    db_bind_named_int64(st, ":since", since);
    db_bind_named_int64(st, ":until", until);
    db_bind_named_int64(st, ":bucket", bucket);
    db_bind_named_int64(st, ":top", DB_DASH_TOP);
    return st;
}

/* A time series with every bucket of [since, until) present. */
static int db_dash_series(struct db *d, const char *sql, int64_t since, int64_t until,
                          int64_t bucket, json_t *out, const char *key)
{
    int64_t nb = (until - since + bucket - 1) / bucket;
    int64_t *counts = calloc((size_t)(nb > 0 ? nb : 1), sizeof *counts);
    sqlite3_stmt *st = counts ? db_dash_prep(d, sql, since, until, bucket) : NULL;
    int rc = DB_ERR_IO;
    if (!st)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t b = sqlite3_column_int64(st, 0);
        if (b >= 0 && b < nb)
            counts[b] += sqlite3_column_int64(st, 1);
    }
    if (rc != SQLITE_DONE) {
        rc = DB_ERR_IO;
        goto out;
    }
    json_t *arr = json_array();
    for (int64_t b = 0; b < nb; b++) {
        char t[40];
        db_format_us(since + b * bucket, t, sizeof t);
        json_array_append_new(arr, json_pack("{s:s, s:I}", "t", t, "n", (json_int_t)counts[b]));
    }
    json_object_set_new(out, key, arr);
    rc = 0;
out:
    sqlite3_finalize(st);
    free(counts);
    return rc;
}

/* Rows of (key, n[, label]) as [{k1: key, "n": n[, k3: label]}]. */
static int db_dash_top(struct db *d, const char *sql, int64_t since, int64_t until, json_t *out,
                       const char *key, const char *k1, int k1_int, const char *k3)
{
    sqlite3_stmt *st = db_dash_prep(d, sql, since, until, 0);
    if (!st)
        return DB_ERR_IO;
    json_t *arr = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        if (k1_int)
            json_object_set_new(o, k1, json_integer(sqlite3_column_int64(st, 0)));
        else
            json_object_set_new(o, k1, json_string((const char *)sqlite3_column_text(st, 0)));
        json_object_set_new(o, "n", json_integer(sqlite3_column_int64(st, 1)));
        if (k3) {
            const char *l = (const char *)sqlite3_column_text(st, 2);
            json_object_set_new(o, k3, l ? json_string(l) : json_null());
        }
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        return DB_ERR_IO;
    }
    json_object_set_new(out, key, arr);
    return 0;
}

#define DB_DASH_ALERTS " FROM events WHERE event_type = 'alert' AND ts_us >= :since" \
    " AND ts_us < :until"

int db_dash_fill(struct db *d, int64_t since_us, int64_t until_us, int64_t bucket_us,
                 json_t *out)
{
    int rc = db_dash_series(d, "SELECT (ts_us - :since) / :bucket, count(*)" DB_DASH_ALERTS
                            " GROUP BY 1", since_us, until_us, bucket_us, out,
                            "alerts_over_time");
    if (rc == 0)
        rc = db_dash_series(d, "SELECT (first_us - :since) / :bucket, count(*) FROM incidents"
                            " WHERE first_us >= :since AND first_us < :until GROUP BY 1",
                            since_us, until_us, bucket_us, out, "incidents_over_time");
    if (rc == 0)
        rc = db_dash_top(d, "SELECT sig_id, count(*), max(json_extract(raw,"
                         " '$.alert.signature'))" DB_DASH_ALERTS " AND sig_id IS NOT NULL"
                         " GROUP BY sig_id ORDER BY 2 DESC, 1 LIMIT :top", since_us, until_us,
                         out, "top_signatures", "sid", 1, "signature");
    if (rc == 0)
        rc = db_dash_top(d, "SELECT src_ip, count(*)" DB_DASH_ALERTS " AND src_ip IS NOT NULL"
                         " GROUP BY src_ip ORDER BY 2 DESC, 1 LIMIT :top", since_us, until_us,
                         out, "top_src", "ip", 0, NULL);
    if (rc == 0)
        rc = db_dash_top(d, "SELECT dest_ip, count(*)" DB_DASH_ALERTS
                         " AND dest_ip IS NOT NULL GROUP BY dest_ip ORDER BY 2 DESC, 1"
                         " LIMIT :top", since_us, until_us, out, "top_dest", "ip", 0, NULL);
    if (rc == 0)
        rc = db_dash_top(d, "SELECT p, count(*) FROM (SELECT coalesce(json_extract(raw,"
                         " '$.ndpi.protocol'), json_extract(raw, '$.app_proto')) AS p"
                         " FROM events WHERE event_type = 'flow' AND ts_us >= :since"
                         " AND ts_us < :until) WHERE p IS NOT NULL GROUP BY p"
                         " ORDER BY 2 DESC, 1 LIMIT :top", since_us, until_us, out,
                         "app_protos", "name", 0, NULL);
    return rc;
}
