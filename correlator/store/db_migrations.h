/* db_migrations: numbered schema migrations (SQL text), applied in order
 * by db_open(). */
#ifndef CANH_DB_MIGRATIONS_H
#define CANH_DB_MIGRATIONS_H

/* How many migrations exist (the newest schema version). */
int db_migrations_count(void);
/* SQL that moves the schema from version-1 to version; NULL if none. */
const char *db_migrations_get(int version);

#endif
