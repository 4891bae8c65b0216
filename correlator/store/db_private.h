/* db_private.h: what the store's files share and nobody else sees: the
 * struct db and its prepared-statement cache. */
#ifndef CANH_DB_PRIVATE_H
#define CANH_DB_PRIVATE_H

#include <sqlite3.h>

#include "store/db.h"

#define DB_STMT_CACHE 64

struct db {
    sqlite3 *h;
    char *path;
    int in_tx;
    struct {
        const char *sql; /* static string: the pointer is the key */
        sqlite3_stmt *st;
    } cache[DB_STMT_CACHE];
    int ncache;
};

/* A prepared statement for a static SQL string, reset and with its bindings
 * cleared; cached for the life of the db. NULL on error (logged). */
sqlite3_stmt *db_stmt(struct db *d, const char *sql);
/* A fresh (uncached) prepared statement the caller finalizes, for SQL built
 * at run time or used once. NULL on error (logged with the SQL). */
sqlite3_stmt *db_prepare(struct db *d, const char *sql);
/* The first column of the first row of a static query (cached statement),
 * e.g. a count(*); DB_ERR_IO when it cannot run or returns no row. */
int64_t db_scalar(struct db *d, const char *sql);
/* Run SQL without results; 0 or DB_ERR_IO (logged with what). */
int db_exec(struct db *d, const char *sql, const char *what);
/* Bind a text or NULL when s is NULL. */
void db_bind_text_or_null(sqlite3_stmt *st, int idx, const char *s);
/* Bind the parameter called name when the statement has one (filters build
 * their SQL from the fields that are set); text is borrowed until the step. */
void db_bind_named_text(sqlite3_stmt *st, const char *name, const char *text);
void db_bind_named_int64(sqlite3_stmt *st, const char *name, int64_t v);
/* Set o[key] from column col: microseconds as an RFC 3339 string (json null
 * for SQL NULL), or text (null for SQL NULL). */
struct json_t;
void db_json_time(struct json_t *o, const char *key, sqlite3_stmt *st, int col);
void db_json_text(struct json_t *o, const char *key, sqlite3_stmt *st, int col);

#endif
