/* db_relate: incidents in relation to each other: merge one into another,
 * move one event between two, and list the incidents that share an
 * address with one. Merges and moves run in one transaction each and are
 * audited on both incidents. Loop thread.
 */
#ifndef CANH_DB_RELATE_H
#define CANH_DB_RELATE_H

#include <jansson.h>
#include <stdint.h>

#include "store/db.h"

/* Move the events, comments, entities, sensors and tags of `from` into
 * `into`, then close `from` as resolved with disposition duplicate.
 * DB_ERR_INVAL when from == into, DB_ERR_NOENT when either is unknown. */
int db_relate_merge(struct db *d, int64_t from, int64_t into, const char *actor);

/* Move event canh_id from incident `from` to incident `to` (the target
 * gains its sensor and addresses; both counts are recomputed). DB_ERR_NOENT
 * when either incident is unknown or the event is not in `from`. */
int db_relate_move_event(struct db *d, int64_t from, const char *canh_id, int64_t to,
                         const char *actor);

/* Up to limit other incidents sharing a src or dest address with id, latest
 * activity first: [{"id","title","title_vi","status","severity"}]. */
json_t *db_relate_related(struct db *d, int64_t id, int limit);

#endif
