/* db: opens the SQLite file (WAL, synchronous=FULL, foreign keys), applies
 * the numbered migrations and owns the transaction and statement helpers
 * that db_event.c, db_incident.c and db_auth.c share.
 * One transaction at a time on the owner's thread.
 */
#include "store/db.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"
#include "store/db_migrations.h"
#include "store/db_private.h"

int64_t db_now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

void db_format_us(int64_t us, char *out, unsigned cap)
{
    time_t sec = (time_t)(us / 1000000);
    long frac = (long)(us % 1000000);
    if (frac < 0) {
        frac += 1000000;
        sec -= 1;
    }
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

int db_exec(struct db *d, const char *sql, const char *what)
{
    char *err = NULL;
    if (sqlite3_exec(d->h, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_error("db", "%s: %s: %s", d->path, what, err ? err : sqlite3_errmsg(d->h));
        sqlite3_free(err);
        return DB_ERR_IO;
    }
    return 0;
}

sqlite3_stmt *db_prepare(struct db *d, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("db", "%s: prepare failed: %s: %.80s", d->path, sqlite3_errmsg(d->h), sql);
        return NULL;
    }
    return st;
}

sqlite3_stmt *db_stmt(struct db *d, const char *sql)
{
    for (int i = 0; i < d->ncache; i++) {
        if (d->cache[i].sql == sql) {
            sqlite3_reset(d->cache[i].st);
            sqlite3_clear_bindings(d->cache[i].st);
            return d->cache[i].st;
        }
    }
    sqlite3_stmt *st = db_prepare(d, sql);
    if (st == NULL)
        return NULL;
    if (d->ncache < DB_STMT_CACHE) {
        d->cache[d->ncache].sql = sql;
        d->cache[d->ncache].st = st;
        d->ncache++;
    } else {
        /* Cache full is a programming error (too many distinct statements);
         * keep working but say so once per statement. */
        log_warning("db", "statement cache full; raise DB_STMT_CACHE");
    }
    return st;
}

void db_bind_text_or_null(sqlite3_stmt *st, int idx, const char *s)
{
    if (s)
        sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, idx);
}

void db_bind_named_text(sqlite3_stmt *st, const char *name, const char *text)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0)
        sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

void db_bind_named_int64(sqlite3_stmt *st, const char *name, int64_t v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0)
        sqlite3_bind_int64(st, i, v);
}

int64_t db_scalar(struct db *d, const char *sql)
{
    sqlite3_stmt *st = db_stmt(d, sql);
    int64_t n = DB_ERR_IO;

    if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    if (st != NULL)
        sqlite3_reset(st);
    return n;
}

void db_json_time(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
    char t[40];

    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        json_object_set_new(o, key, json_null());
        return;
    }
    db_format_us(sqlite3_column_int64(st, col), t, sizeof t);
    json_object_set_new(o, key, json_string(t));
}

void db_json_text(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);

    json_object_set_new(o, key, s ? json_string(s) : json_null());
}

int db_schema_latest(void)
{
    return db_migrations_count();
}

int db_schema_version(struct db *d)
{
    int64_t v = db_scalar(d, "SELECT max(version) FROM schema_version");
    return v < 0 ? -1 : (int)v;
}

static int db_migrate(struct db *d)
{
    int rc = db_exec(d, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
                     "create schema_version");
    if (rc)
        return rc;
    int cur = db_schema_version(d);
    if (cur > db_migrations_count()) {
        log_error("db", "%s: schema version %d is newer than this build knows (%d); "
                  "use a newer canh-correlator", d->path, cur, db_migrations_count());
        return DB_ERR_INVAL;
    }
    for (int v = cur + 1; v <= db_migrations_count(); v++) {
        if (v == 0)
            continue;
        char sql[96];
        if ((rc = db_begin(d)) != 0)
            return rc;
        if ((rc = db_exec(d, db_migrations_get(v), "migration")) != 0) {
            log_error("db", "%s: migration %d failed", d->path, v);
            db_rollback(d);
            return rc;
        }
        snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d)", v);
        if ((rc = db_exec(d, sql, "schema_version")) != 0) {
            db_rollback(d);
            return rc;
        }
        if ((rc = db_commit(d)) != 0)
            return rc;
        log_info("db", "%s: schema migrated to version %d", d->path, v);
    }
    return 0;
}

/* The file's page size (known once a table exists: after the migrations). */
static int db_page_size(struct db *d)
{
    sqlite3_stmt *st = db_stmt(d, "PRAGMA page_size");
    int v = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    if (st)
        sqlite3_reset(st);
    return v >= 512 && v <= 65536 ? v : 4096;
}

struct db *db_open(const char *path)
{
    struct db *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->path = strdup(path);
    if (!d->path)
        goto fail;
    if (sqlite3_open_v2(path, &d->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        log_error("db", "%s: cannot open: %s (check the data directory exists and is "
                  "writable)", path, d->h ? sqlite3_errmsg(d->h) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(d->h, 5000);
    /* A new file gets 16 KiB pages (an existing one keeps its own): ingest
     * appends rows and index entries in runs, and bigger pages mean fewer
     * page splits, WAL frames and checkpoint writes per event (bench with
     * rules: 1.57 -> 1.38 CPU-s per 200k events, for ~15% more disk).
     * WAL for concurrent readers (sqlite3 CLI, backups); FULL so that a
     * commit survives power loss: ingest acknowledges only after it.
     * Checkpoint every 32 MiB of WAL, not 4 MiB: every ingest batch dirties
     * most index leaf pages, which a checkpoint then writes once instead of
     * once per few batches (checkpoints were 15% of ingest CPU). */
    if (db_exec(d, "PRAGMA page_size=16384", "page_size") ||
        db_exec(d, "PRAGMA journal_mode=WAL", "journal_mode") ||
        db_exec(d, "PRAGMA synchronous=FULL", "synchronous") ||
        db_exec(d, "PRAGMA foreign_keys=ON", "foreign_keys") ||
        db_exec(d, "PRAGMA temp_store=MEMORY", "temp_store") ||
        db_exec(d, "PRAGMA cache_size=-65536", "cache_size"))
        goto fail;
    if (db_migrate(d) != 0)
        goto fail;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint=%d", (32 << 20) / db_page_size(d));
    if (db_exec(d, sql, "wal_autocheckpoint"))
        goto fail;
    return d;
fail:
    db_close(d);
    return NULL;
}

void db_close(struct db *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->ncache; i++)
        sqlite3_finalize(d->cache[i].st);
    if (d->h)
        sqlite3_close(d->h);
    free(d->path);
    free(d);
}

int db_begin(struct db *d)
{
    if (d->in_tx) {
        log_error("db", "%s: nested transaction", d->path);
        return DB_ERR_INVAL;
    }
    sqlite3_stmt *st = db_stmt(d, "BEGIN IMMEDIATE");
    if (!st || sqlite3_step(st) != SQLITE_DONE) {
        log_error("db", "%s: begin: %s", d->path, sqlite3_errmsg(d->h));
        return DB_ERR_IO;
    }
    d->in_tx = 1;
    return 0;
}

int db_commit(struct db *d)
{
    sqlite3_stmt *st = db_stmt(d, "COMMIT");
    if (!st || sqlite3_step(st) != SQLITE_DONE) {
        log_error("db", "%s: commit: %s", d->path, sqlite3_errmsg(d->h));
        db_rollback(d);
        return DB_ERR_IO;
    }
    d->in_tx = 0;
    return 0;
}

void db_rollback(struct db *d)
{
    if (sqlite3_get_autocommit(d->h) == 0) {
        sqlite3_stmt *st = db_stmt(d, "ROLLBACK");
        if (st)
            sqlite3_step(st);
    }
    d->in_tx = 0;
}

int db_state_get_int(struct db *d, const char *key, int64_t *out)
{
    sqlite3_stmt *st = db_stmt(d, "SELECT value FROM state WHERE key = ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int ret = DB_ERR_NOENT;
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        ret = 0;
    } else if (rc != SQLITE_DONE) {
        ret = DB_ERR_IO;
    }
    sqlite3_reset(st);
    return ret;
}

int db_state_set_int(struct db *d, const char *key, int64_t v)
{
    sqlite3_stmt *st = db_stmt(d, "INSERT INTO state(key, value) VALUES (?, ?) "
                                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : DB_ERR_IO;
}
