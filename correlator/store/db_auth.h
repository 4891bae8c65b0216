/* db_auth: sensors, users with roles, and their bearer tokens.
 *
 * Tokens are random values shown once; only their SHA-256 is stored (the
 * hashing and the randomness live in ingest/ing_auth.c, this file sees
 * digests). A sensor token has the scope "ingest" and is bound to its
 * sensor; a user token carries the user's role at lookup time.
 */
#ifndef CANH_DB_AUTH_H
#define CANH_DB_AUTH_H

#include <jansson.h>
#include <stdint.h>

#include "store/db.h"

#define DB_AUTH_HASH_LEN 32
#define DB_AUTH_NAME_MAX 64

/* Roles are ordered: each can do what the one before it can. */
enum db_role {
    DB_ROLE_NONE = 0,
    DB_ROLE_VIEWER,    /* read incidents, events, sensors */
    DB_ROLE_ANALYST,   /* + comment, status, assignee */
    DB_ROLE_RESPONDER, /* + disposition, close (resolved / false_positive) */
    DB_ROLE_ADMIN,     /* + users, sensors, tokens */
};

enum db_principal_kind { DB_PRINCIPAL_SENSOR = 1, DB_PRINCIPAL_USER };

/* Who a token belongs to. */
struct db_principal {
    enum db_principal_kind kind;
    enum db_role role;                /* DB_ROLE_NONE for sensors */
    char name[DB_AUTH_NAME_MAX + 1];  /* sensor or user name */
    int64_t token_id;
};

/* "viewer" .. "admin" <-> enum; DB_ROLE_NONE / NULL when unknown. */
enum db_role db_auth_role_parse(const char *s);
const char *db_auth_role_name(enum db_role r);

/* Names: 1..64 of [A-Za-z0-9._-]. */
int db_auth_name_valid(const char *name);

/* DB_ERR_EXIST when the name is taken, DB_ERR_INVAL for a bad name/role.
 * actor (who did it, for the audit trail) is a user name or "cli". */
int db_auth_sensor_add(struct db *d, const char *name, const char *actor);
int db_auth_user_add(struct db *d, const char *name, enum db_role role, const char *actor);
int db_auth_sensor_exists(struct db *d, const char *name);
int db_auth_user_exists(struct db *d, const char *name);
int db_auth_user_count(struct db *d);

/* Store a token digest for a sensor (kind SENSOR) or user (kind USER);
 * the owner must exist (DB_ERR_NOENT). *token_id gets its id. */
int db_auth_token_add(struct db *d, enum db_principal_kind kind, const char *owner,
                      const unsigned char hash[DB_AUTH_HASH_LEN], const char *actor,
                      int64_t *token_id);
/* DB_ERR_NOENT when there is no such live token. */
int db_auth_token_revoke(struct db *d, int64_t token_id, const char *actor);
/* Find the live token with this digest. 0, DB_ERR_NOENT or DB_ERR_IO. */
int db_auth_lookup(struct db *d, const unsigned char hash[DB_AUTH_HASH_LEN],
                   struct db_principal *p);
/* Tokens (never their digests) and users, for the admin API. */
json_t *db_auth_tokens(struct db *d);
json_t *db_auth_users(struct db *d);

#endif
