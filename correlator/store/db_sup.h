/* db_sup: suppressions made from the portal (migration 3). A suppression
 * names a rule, an address or both, has a reason and an expiry (wall
 * time), and counts the hits it folded. Adding and deleting are audited
 * (on the incident it was made from, when there is one). Loop thread.
 */
#ifndef CANH_DB_SUP_H
#define CANH_DB_SUP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

#define DB_SUP_RULE_MAX 200
#define DB_SUP_ADDR_MAX 64

/* What the matcher needs of one live suppression. */
struct db_sup {
    int64_t id;
    char rule_id[DB_SUP_RULE_MAX + 1];  /* "" = any rule */
    char address[DB_SUP_ADDR_MAX + 1];  /* "" = any address */
    int64_t expires_us;
};

/* Add one (rule_id and/or address non-NULL; incident_id 0 for none) as
 * actor; *id gets its id. DB_ERR_INVAL for missing or oversized fields,
 * DB_ERR_NOENT when incident_id is given and unknown. Own transaction. */
int db_sup_add(struct db *d, const char *rule_id, const char *address, const char *reason,
               int64_t expires_us, const char *actor, int64_t incident_id, int64_t *id);

/* Delete one (audited). DB_ERR_NOENT when there is no such suppression. */
int db_sup_delete(struct db *d, int64_t id, const char *actor);

/* Every suppression, newest first, as the API shows them. NULL on error. */
json_t *db_sup_list(struct db *d);

/* Suppressions that have not expired at now_us into a new array (*out,
 * free() it) of *n entries. 0 or <0. */
int db_sup_active(struct db *d, int64_t now_us, struct db_sup **out, size_t *n);

/* Count one folded hit. Runs inside the caller's transaction. */
int db_sup_hit(struct db *d, int64_t id, int64_t now_us);

/* Hits folded by the suppressions made from an incident (0 when none). */
int64_t db_sup_incident_count(struct db *d, int64_t incident_id);

#endif
