/* db_dash: the aggregations behind GET /api/v1/dashboard, all on event
 * time over [since, until): alerts and incidents per time bucket, top
 * signatures, sources and destinations of alerts, and application
 * protocols of flows (nDPI's name, else Suricata's app_proto). Loop thread.
 */
#ifndef CANH_DB_DASH_H
#define CANH_DB_DASH_H

#include <jansson.h>
#include <stdint.h>

#include "store/db.h"

#define DB_DASH_TOP 10

/* Event time of the newest stored event, 0 when there is none. */
int64_t db_dash_newest_event(struct db *d);

/* Add "alerts_over_time", "incidents_over_time" (every bucket, zeros
 * included: [{"t": RFC 3339 bucket start, "n"}]), "top_signatures",
 * "top_src", "top_dest" and "app_protos" (at most DB_DASH_TOP each,
 * largest first) to out. 0 or DB_ERR_IO. */
int db_dash_fill(struct db *d, int64_t since_us, int64_t until_us, int64_t bucket_us,
                 json_t *out);

#endif
