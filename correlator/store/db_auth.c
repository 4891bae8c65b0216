/* db_auth: rows for sensors, users and token digests, and the token lookup
 * each API request makes (one indexed SELECT on the digest). Management
 * calls run their own transaction and write an audit row.
 */
#include "store/db_auth.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store/db_incident.h"
#include "store/db_private.h"

static const char *const db_auth_roles[] = { NULL, "viewer", "analyst", "responder", "admin" };

enum db_role db_auth_role_parse(const char *s)
{
    for (int i = 1; i <= DB_ROLE_ADMIN; i++)
        if (s && strcmp(s, db_auth_roles[i]) == 0)
            return (enum db_role)i;
    return DB_ROLE_NONE;
}

const char *db_auth_role_name(enum db_role r)
{
    return r >= DB_ROLE_VIEWER && r <= DB_ROLE_ADMIN ? db_auth_roles[r] : NULL;
}

int db_auth_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > DB_AUTH_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int db_auth_exists(struct db *d, const char *sql, const char *name)
{
    sqlite3_stmt *st = db_stmt(d, sql);
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : DB_ERR_IO;
}

int db_auth_sensor_exists(struct db *d, const char *name)
{
    return db_auth_exists(d, "SELECT 1 FROM sensors WHERE name = ?", name);
}

int db_auth_user_exists(struct db *d, const char *name)
{
    return db_auth_exists(d, "SELECT 1 FROM users WHERE name = ?", name);
}

int db_auth_user_count(struct db *d)
{
    return (int)db_scalar(d, "SELECT count(*) FROM users");
}

/* Insert one row in its own transaction with an audit entry. */
static int db_auth_insert(struct db *d, const char *sql, const char *name, const char *role,
                          const char *action, const char *actor)
{
    if (!db_auth_name_valid(name))
        return DB_ERR_INVAL;
    int rc = db_begin(d);
    if (rc)
        return rc;
    sqlite3_stmt *st = db_stmt(d, sql);
    if (!st) {
        rc = DB_ERR_IO;
        goto out;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, db_now_us());
    if (role)
        sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    rc = s == SQLITE_DONE ? 0 : (sqlite3_extended_errcode(d->h) ==
                                 SQLITE_CONSTRAINT_PRIMARYKEY ? DB_ERR_EXIST : DB_ERR_IO);
    sqlite3_reset(st);
    if (rc)
        goto out;
    json_t *detail = role ? json_pack("{s:s, s:s}", "name", name, "role", role)
                          : json_pack("{s:s}", "name", name);
    rc = db_incident_audit(d, actor, action, 0, detail);
    json_decref(detail);
out:
    if (rc) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}

int db_auth_sensor_add(struct db *d, const char *name, const char *actor)
{
    return db_auth_insert(d, "INSERT INTO sensors (name, created_us) VALUES (?1, ?2)", name,
                          NULL, "sensor_add", actor);
}

int db_auth_user_add(struct db *d, const char *name, enum db_role role, const char *actor)
{
    const char *r = db_auth_role_name(role);
    if (!r)
        return DB_ERR_INVAL;
    return db_auth_insert(d, "INSERT INTO users (name, created_us, role) VALUES (?1, ?2, ?3)",
                          name, r, "user_add", actor);
}

int db_auth_token_add(struct db *d, enum db_principal_kind kind, const char *owner,
                      const unsigned char hash[DB_AUTH_HASH_LEN], const char *actor,
                      int64_t *token_id)
{
    int ex = kind == DB_PRINCIPAL_SENSOR ? db_auth_sensor_exists(d, owner)
                                         : db_auth_user_exists(d, owner);
    if (ex < 0)
        return ex;
    if (ex == 0)
        return DB_ERR_NOENT;
    int rc = db_begin(d);
    if (rc)
        return rc;
    sqlite3_stmt *st = db_stmt(d, "INSERT INTO tokens (hash, kind, owner, scope, created_us)"
                                  " VALUES (?,?,?,?,?)");
    if (!st) {
        rc = DB_ERR_IO;
        goto out;
    }
    sqlite3_bind_blob(st, 1, hash, DB_AUTH_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind == DB_PRINCIPAL_SENSOR ? "sensor" : "user", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, kind == DB_PRINCIPAL_SENSOR ? "ingest" : "role", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, db_now_us());
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : DB_ERR_IO;
    sqlite3_reset(st);
    if (rc)
        goto out;
    int64_t id = sqlite3_last_insert_rowid(d->h);
    if (token_id)
        *token_id = id;
    json_t *detail = json_pack("{s:I, s:s}", "token_id", (json_int_t)id, "owner", owner);
    rc = db_incident_audit(d, actor, "token_create", 0, detail);
    json_decref(detail);
out:
    if (rc) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}

int db_auth_token_revoke(struct db *d, int64_t token_id, const char *actor)
{
    int rc = db_begin(d);
    if (rc)
        return rc;
    sqlite3_stmt *st = db_stmt(d, "UPDATE tokens SET revoked_us = ? WHERE id = ?"
                                  " AND revoked_us IS NULL");
    if (!st) {
        rc = DB_ERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, db_now_us());
    sqlite3_bind_int64(st, 2, token_id);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : DB_ERR_IO;
    sqlite3_reset(st);
    if (rc == 0 && sqlite3_changes(d->h) == 0)
        rc = DB_ERR_NOENT;
    if (rc)
        goto out;
    json_t *detail = json_pack("{s:I}", "token_id", (json_int_t)token_id);
    rc = db_incident_audit(d, actor, "token_revoke", 0, detail);
    json_decref(detail);
out:
    if (rc) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d);
}

int db_auth_lookup(struct db *d, const unsigned char hash[DB_AUTH_HASH_LEN],
                   struct db_principal *p)
{
    sqlite3_stmt *st = db_stmt(d,
        "SELECT t.id, t.kind, t.owner, u.role FROM tokens t"
        " LEFT JOIN users u ON t.kind = 'user' AND u.name = t.owner"
        " WHERE t.hash = ? AND t.revoked_us IS NULL");
    if (!st)
        return DB_ERR_IO;
    sqlite3_bind_blob(st, 1, hash, DB_AUTH_HASH_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = DB_ERR_NOENT;
    if (rc == SQLITE_ROW) {
        memset(p, 0, sizeof *p);
        p->token_id = sqlite3_column_int64(st, 0);
        const char *kind = (const char *)sqlite3_column_text(st, 1);
        p->kind = kind && strcmp(kind, "sensor") == 0 ? DB_PRINCIPAL_SENSOR : DB_PRINCIPAL_USER;
        snprintf(p->name, sizeof p->name, "%s", (const char *)sqlite3_column_text(st, 2));
        p->role = p->kind == DB_PRINCIPAL_USER
                      ? db_auth_role_parse((const char *)sqlite3_column_text(st, 3))
                      : DB_ROLE_NONE;
        /* A user token whose user is gone grants nothing. */
        ret = p->kind == DB_PRINCIPAL_USER && p->role == DB_ROLE_NONE ? DB_ERR_NOENT : 0;
    } else if (rc != SQLITE_DONE) {
        ret = DB_ERR_IO;
    }
    sqlite3_reset(st);
    return ret;
}

json_t *db_auth_tokens(struct db *d)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = db_stmt(d, "SELECT id, kind, owner, scope, created_us, revoked_us"
                                  " FROM tokens ORDER BY id");
    if (!st)
        return arr;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char t[40];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
        json_object_set_new(o, "kind", json_string((const char *)sqlite3_column_text(st, 1)));
        json_object_set_new(o, "owner", json_string((const char *)sqlite3_column_text(st, 2)));
        json_object_set_new(o, "scope", json_string((const char *)sqlite3_column_text(st, 3)));
        db_format_us(sqlite3_column_int64(st, 4), t, sizeof t);
        json_object_set_new(o, "created", json_string(t));
        json_object_set_new(o, "revoked", json_boolean(sqlite3_column_type(st, 5) != SQLITE_NULL));
        json_array_append_new(arr, o);
    }
    sqlite3_reset(st);
    return arr;
}

json_t *db_auth_users(struct db *d)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = db_stmt(d, "SELECT name, role FROM users ORDER BY name");
    if (!st)
        return arr;
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(arr, json_pack("{s:s, s:s}",
                                             "name", (const char *)sqlite3_column_text(st, 0),
                                             "role", (const char *)sqlite3_column_text(st, 1)));
    sqlite3_reset(st);
    return arr;
}
