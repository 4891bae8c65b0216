/* db: the correlator's SQLite store (events, incidents, comments, audit,
 * sensors, users, tokens): open, migrate, transactions.
 *
 * WAL journal with synchronous=FULL: a COMMIT has reached the disk when
 * db_commit() returns, which is what lets ingest acknowledge a batch only
 * after commit. One owner (the correlator's loop thread); not thread-safe.
 * Siblings (db_event.c, db_incident.c, db_auth.c) reach the handle through
 * db_private.h; callers only see this opaque struct.
 */
#ifndef CANH_DB_H
#define CANH_DB_H

#include <stdint.h>

/* The small error set of the store (0 is success). */
enum db_err {
    DB_ERR_NOMEM = -1,
    DB_ERR_INVAL = -2,
    DB_ERR_LIMIT = -3,
    DB_ERR_EXIST = -4,
    DB_ERR_NOENT = -5,
    DB_ERR_IO = -6,
};

struct db;

/* Open (creating when absent) the database file at path and bring its
 * schema to the newest version. NULL on failure (logged with the SQLite
 * message). ":memory:" works for tests. */
struct db *db_open(const char *path);
void db_close(struct db *d);

/* The schema version the file is at (after db_open: the newest). */
int db_schema_version(struct db *d);
/* Number of migrations this build knows. */
int db_schema_latest(void);

/* One transaction at a time. db_commit() returns only when the commit is
 * durable; on failure the transaction has been rolled back. */
int db_begin(struct db *d);
int db_commit(struct db *d);
void db_rollback(struct db *d);

/* Small key/value state (e.g. the correlation watermark). */
int db_state_get_int(struct db *d, const char *key, int64_t *out);
int db_state_set_int(struct db *d, const char *key, int64_t v);

/* Wall clock in microseconds since the epoch (retention, audit times). */
int64_t db_now_us(void);
/* Format microseconds since the epoch as UTC RFC 3339 with microseconds
 * into out (at least 33 bytes). */
void db_format_us(int64_t us, char *out, unsigned cap);

#endif
