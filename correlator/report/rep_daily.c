/* rep_daily: day arithmetic in UTC and the summary queries. */
#include "report/rep_daily.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store/db_private.h"

static int64_t rep_daily_floor(int64_t us)
{
    int64_t d = us / REP_DAILY_DAY_US;
    if (us < 0 && us % REP_DAILY_DAY_US)
        d--;
    return d * REP_DAILY_DAY_US;
}

int64_t rep_daily_due(int64_t now_us, int daily_minute, int64_t last_done)
{
    int64_t today = rep_daily_floor(now_us);
    if (now_us - today < (int64_t)daily_minute * 60 * 1000000)
        return 0;
    int64_t day = today - REP_DAILY_DAY_US;
    return day > last_done ? day : 0;
}

void rep_daily_name(int64_t day_us, char *out, unsigned cap)
{
    time_t t = (time_t)(rep_daily_floor(day_us) / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, cap, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int64_t rep_daily_parse(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = s ? strptime(s, "%Y-%m-%d", &tm) : NULL;
    if (!end || *end || strlen(s) != 10)
        return 0;
    time_t t = timegm(&tm);
    return t > 0 ? (int64_t)t * 1000000 : 0;
}

/* {key: count} of one grouping. */
static json_t *rep_daily_group(struct db *d, const char *sql, int64_t from, int64_t to)
{
    json_t *o = json_object();
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("report", "%s: daily summary: %s", d->path, sqlite3_errmsg(d->h));
        json_decref(o);
        return NULL;
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        json_object_set_new(o, k ? k : "(none)", json_integer(sqlite3_column_int64(st, 1)));
    }
    sqlite3_finalize(st);
    return o;
}

/* {rule_id: {"en": title, "vi": title_vi}} of the day's rules, so the
 * summary can name them in the configured language (title_vi may be null). */
static json_t *rep_daily_titles(struct db *d, int64_t from, int64_t to)
{
    json_t *o = json_object();
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->h, "SELECT rule_id, max(title), max(title_vi) FROM incidents"
                           " WHERE created_us >= ?1 AND created_us < ?2 GROUP BY 1", -1, &st,
                           NULL) != SQLITE_OK) {
        log_error("report", "%s: daily summary: %s", d->path, sqlite3_errmsg(d->h));
        json_decref(o);
        return NULL;
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *en = (const char *)sqlite3_column_text(st, 1);
        const char *vi = (const char *)sqlite3_column_text(st, 2);
        json_t *t = json_object();
        if (en && *en)
            json_object_set_new(t, "en", json_string(en));
        if (vi && *vi)
            json_object_set_new(t, "vi", json_string(vi));
        json_object_set_new(o, k ? k : "(none)", t);
    }
    sqlite3_finalize(st);
    return o;
}

json_t *rep_daily_summary(struct db *d, int64_t day_us, int64_t generated_us, int min_severity,
                          const char *statuses_json, const char *rules_json)
{
    int64_t from = rep_daily_floor(day_us), to = from + REP_DAILY_DAY_US;
    char day[16], gen[40];
    rep_daily_name(from, day, sizeof day);
    db_format_us(generated_us, gen, sizeof gen);
    json_t *sev = rep_daily_group(d, "SELECT CASE severity WHEN 1 THEN 'high' WHEN 2 THEN"
                                     " 'medium' WHEN 3 THEN 'low' ELSE 'informational' END,"
                                     " count(*) FROM incidents WHERE created_us >= ?1 AND"
                                     " created_us < ?2 GROUP BY 1", from, to);
    json_t *rule = rep_daily_group(d, "SELECT rule_id, count(*) FROM incidents WHERE"
                                      " created_us >= ?1 AND created_us < ?2 GROUP BY 1",
                                      from, to);
    json_t *sensor = rep_daily_group(d, "SELECT s.sensor, count(*) FROM incidents i JOIN"
                                        " incident_sensors s ON s.incident_id = i.id WHERE"
                                        " i.created_us >= ?1 AND i.created_us < ?2 GROUP BY 1",
                                        from, to);
    json_t *titles = rep_daily_titles(d, from, to);
    json_t *ids = json_array(), *out = NULL;
    int64_t total = 0;
    sqlite3_stmt *st = NULL;
    if (!sev || !rule || !sensor || !titles ||
        sqlite3_prepare_v2(d->h, "SELECT id, severity <= ?3 AND status IN (SELECT value FROM"
                           " json_each(?4)) AND (json_array_length(?5) = 0 OR rule_id IN"
                           " (SELECT value FROM json_each(?5))) FROM incidents WHERE"
                           " created_us >= ?1 AND created_us < ?2 ORDER BY id", -1, &st,
                           NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    sqlite3_bind_int(st, 3, min_severity);
    sqlite3_bind_text(st, 4, statuses_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, rules_json, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        total++;
        if (sqlite3_column_int(st, 1) && json_array_size(ids) < 10000)
            json_array_append_new(ids, json_integer(sqlite3_column_int64(st, 0)));
    }
    out = json_pack("{s:s, s:s, s:I, s:O, s:O, s:O, s:O, s:O}", "day", day, "generated", gen,
                    "total", (json_int_t)total, "by_severity", sev, "by_rule", rule,
                    "by_sensor", sensor, "rule_titles", titles, "incidents", ids);
out:
    if (!out && d)
        log_error("report", "%s: daily summary of %s failed: %s", d->path, day,
                  sqlite3_errmsg(d->h));
    sqlite3_finalize(st);
    json_decref(sev);
    json_decref(rule);
    json_decref(sensor);
    json_decref(titles);
    json_decref(ids);
    return out;
}
