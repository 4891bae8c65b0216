/* db_portal: what the analyst portal keeps per person: password hashes
 * (Argon2id strings made by portal_auth.c; this file never sees a
 * password), language and time-zone preferences, browser sessions (only
 * the SHA-256 of the cookie is stored) and the login failures the lockout
 * counts. Each call is one statement or its own transaction; loop thread.
 */
#ifndef CANH_DB_PORTAL_H
#define CANH_DB_PORTAL_H

#include <stdint.h>

#include "store/db.h"
#include "store/db_auth.h"

#define DB_PORTAL_PWHASH_MAX 256
#define DB_PORTAL_CSRF_LEN 64 /* hex characters */

struct db_portal_user {
    enum db_role role;
    char pw_hash[DB_PORTAL_PWHASH_MAX]; /* "" when the user has no password */
    char lang[8];                       /* "" when never chosen */
    char tz[64];
};

/* The user's role, password hash and preferences. DB_ERR_NOENT if unknown. */
int db_portal_user_get(struct db *d, const char *name, struct db_portal_user *u);

/* Store a password hash for an existing user (audited as actor).
 * DB_ERR_NOENT for an unknown user. Own transaction. */
int db_portal_set_password(struct db *d, const char *name, const char *pw_hash,
                           const char *actor);

/* Remember lang and tz (NULL leaves one as is). DB_ERR_NOENT if unknown. */
int db_portal_set_prefs(struct db *d, const char *name, const char *lang, const char *tz);

struct db_portal_session {
    char user[DB_AUTH_NAME_MAX + 1];
    enum db_role role;
    char csrf[DB_PORTAL_CSRF_LEN + 1];
    char lang[8], tz[64];
};

/* A new session for user under the digest of its cookie value. */
int db_portal_session_add(struct db *d, const unsigned char hash[DB_AUTH_HASH_LEN],
                          const char *user, const char *csrf, const char *peer, int64_t now_us);

/* The live session with this digest. A session idle for longer than
 * idle_us is deleted and reported as DB_ERR_NOENT; otherwise its last use
 * becomes now_us (written at most once a minute). 0, DB_ERR_NOENT or
 * DB_ERR_IO. */
int db_portal_session_get(struct db *d, const unsigned char hash[DB_AUTH_HASH_LEN],
                          int64_t idle_us, int64_t now_us, struct db_portal_session *s);

/* Delete one session (logout); 0 whether or not it existed. */
int db_portal_session_delete(struct db *d, const unsigned char hash[DB_AUTH_HASH_LEN]);

/* Delete sessions idle since before cutoff_us and failures older than
 * fail_cutoff_us. Returns the number of sessions removed or <0. */
int db_portal_expire(struct db *d, int64_t cutoff_us, int64_t fail_cutoff_us);

/* Login failures under key ("user:NAME", "addr:IP"). */
int db_portal_fail_add(struct db *d, const char *key, int64_t now_us);
/* Failures at or after since_us: *n, and *oldest_us the earliest of them. */
int db_portal_fail_count(struct db *d, const char *key, int64_t since_us, int *n,
                         int64_t *oldest_us);
int db_portal_fail_clear(struct db *d, const char *key);

#endif
