/* db_portal: users' password hashes and preferences, browser sessions and
 * login failures (migration 3). Statements here are prepared per call and
 * finalized, not cached: portal requests are rare next to ingest, and the
 * store's statement cache is sized for the ingest path.
 */
#include "store/db_portal.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store/db_incident.h"
#include "store/db_private.h"

/* Run a prepared write to completion and finalize it. 0 or DB_ERR_IO. */
static int db_portal_done(struct db *d, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        log_error("db", "%s: %s: %s", d->path, what, sqlite3_errmsg(d->h));
        return DB_ERR_IO;
    }
    return 0;
}

static void db_portal_copy(char *out, size_t cap, sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    snprintf(out, cap, "%s", s ? s : "");
}

int db_portal_user_get(struct db *d, const char *name, struct db_portal_user *u)
{
    sqlite3_stmt *st = db_prepare(d, "SELECT role, pw_hash, lang, tz FROM users"
                                         " WHERE name = ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = DB_ERR_NOENT;
    if (rc == SQLITE_ROW) {
        memset(u, 0, sizeof *u);
        u->role = db_auth_role_parse((const char *)sqlite3_column_text(st, 0));
        db_portal_copy(u->pw_hash, sizeof u->pw_hash, st, 1);
        db_portal_copy(u->lang, sizeof u->lang, st, 2);
        db_portal_copy(u->tz, sizeof u->tz, st, 3);
        ret = 0;
    } else if (rc != SQLITE_DONE) {
        ret = DB_ERR_IO;
    }
    sqlite3_finalize(st);
    return ret;
}

int db_portal_set_password(struct db *d, const char *name, const char *pw_hash,
                           const char *actor)
{
    int rc = db_begin(d);
    if (rc)
        return rc;
    sqlite3_stmt *st = db_prepare(d, "UPDATE users SET pw_hash = ? WHERE name = ?");
    if (!st) {
        rc = DB_ERR_IO;
        goto out;
    }
    sqlite3_bind_text(st, 1, pw_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    if ((rc = db_portal_done(d, st, "set password")) != 0)
        goto out;
    if (sqlite3_changes(d->h) == 0) {
        rc = DB_ERR_NOENT;
        goto out;
    }
    json_t *detail = json_pack("{s:s}", "user", name);
    rc = db_incident_audit(d, actor, "password_set", 0, detail);
    json_decref(detail);
out:
    if (rc) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}

int db_portal_set_prefs(struct db *d, const char *name, const char *lang, const char *tz)
{
    sqlite3_stmt *st = db_prepare(d, "UPDATE users SET lang = coalesce(?1, lang),"
                                         " tz = coalesce(?2, tz) WHERE name = ?3");
    if (!st)
        return DB_ERR_IO;
    db_bind_text_or_null(st, 1, lang);
    db_bind_text_or_null(st, 2, tz);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    int rc = db_portal_done(d, st, "set prefs");
    if (rc == 0 && sqlite3_changes(d->h) == 0)
        rc = DB_ERR_NOENT;
    return rc;
}

int db_portal_session_add(struct db *d, const unsigned char hash[DB_AUTH_HASH_LEN],
                          const char *user, const char *csrf, const char *peer, int64_t now_us)
{
    sqlite3_stmt *st = db_prepare(d, "INSERT INTO sessions (hash, user, csrf, created_us,"
                                         " last_us, peer) VALUES (?,?,?,?,?,?)");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_blob(st, 1, hash, DB_AUTH_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, csrf, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_us);
    sqlite3_bind_int64(st, 5, now_us);
    db_bind_text_or_null(st, 6, peer);
    return db_portal_done(d, st, "add session");
}

int db_portal_session_delete(struct db *d, const unsigned char hash[DB_AUTH_HASH_LEN])
{
    sqlite3_stmt *st = db_prepare(d, "DELETE FROM sessions WHERE hash = ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_blob(st, 1, hash, DB_AUTH_HASH_LEN, SQLITE_STATIC);
    return db_portal_done(d, st, "delete session");
}

int db_portal_session_get(struct db *d, const unsigned char hash[DB_AUTH_HASH_LEN],
                          int64_t idle_us, int64_t now_us, struct db_portal_session *s)
{
    sqlite3_stmt *st = db_prepare(d,
        "SELECT s.user, u.role, s.csrf, s.last_us, u.lang, u.tz FROM sessions s"
        " JOIN users u ON u.name = s.user WHERE s.hash = ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_blob(st, 1, hash, DB_AUTH_HASH_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? DB_ERR_NOENT : DB_ERR_IO;
    }
    memset(s, 0, sizeof *s);
    db_portal_copy(s->user, sizeof s->user, st, 0);
    s->role = db_auth_role_parse((const char *)sqlite3_column_text(st, 1));
    db_portal_copy(s->csrf, sizeof s->csrf, st, 2);
    int64_t last = sqlite3_column_int64(st, 3);
    db_portal_copy(s->lang, sizeof s->lang, st, 4);
    db_portal_copy(s->tz, sizeof s->tz, st, 5);
    sqlite3_finalize(st);
    if (now_us - last > idle_us) {
        db_portal_session_delete(d, hash);
        return DB_ERR_NOENT;
    }
    if (now_us - last > 60 * 1000000LL) {
        st = db_prepare(d, "UPDATE sessions SET last_us = ? WHERE hash = ?");
        if (!st)
            return DB_ERR_IO;
        sqlite3_bind_int64(st, 1, now_us);
        sqlite3_bind_blob(st, 2, hash, DB_AUTH_HASH_LEN, SQLITE_STATIC);
        if (db_portal_done(d, st, "touch session") != 0)
            return DB_ERR_IO;
    }
    return s->role == DB_ROLE_NONE ? DB_ERR_NOENT : 0;
}

int db_portal_expire(struct db *d, int64_t cutoff_us, int64_t fail_cutoff_us)
{
    sqlite3_stmt *st = db_prepare(d, "DELETE FROM sessions WHERE last_us < ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, cutoff_us);
    if (db_portal_done(d, st, "expire sessions") != 0)
        return DB_ERR_IO;
    int n = sqlite3_changes(d->h);
    st = db_prepare(d, "DELETE FROM login_failures WHERE at_us < ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_int64(st, 1, fail_cutoff_us);
    if (db_portal_done(d, st, "expire login failures") != 0)
        return DB_ERR_IO;
    return n;
}

int db_portal_fail_add(struct db *d, const char *key, int64_t now_us)
{
    sqlite3_stmt *st = db_prepare(d, "INSERT INTO login_failures (key, at_us) VALUES (?,?)");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_us);
    return db_portal_done(d, st, "login failure");
}

int db_portal_fail_count(struct db *d, const char *key, int64_t since_us, int *n,
                         int64_t *oldest_us)
{
    sqlite3_stmt *st = db_prepare(d, "SELECT count(*), min(at_us) FROM login_failures"
                                         " WHERE key = ? AND at_us >= ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, since_us);
    int ret = DB_ERR_IO;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *n = sqlite3_column_int(st, 0);
        *oldest_us = sqlite3_column_int64(st, 1);
        ret = 0;
    }
    sqlite3_finalize(st);
    return ret;
}

int db_portal_fail_clear(struct db *d, const char *key)
{
    sqlite3_stmt *st = db_prepare(d, "DELETE FROM login_failures WHERE key = ?");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    return db_portal_done(d, st, "clear login failures");
}
