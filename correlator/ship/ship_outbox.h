/* ship_outbox: the correlator's durable outbox to Elasticsearch/OpenSearch.
 *
 * Feeds ship_es (ship_es.h) from the store (store/db_outbox.h): the events
 * after a persisted cursor, in rowid order, and the incident versions the
 * store's triggers wrote. Pulls happen after each ingest commit, when an
 * outcome frees room, and on a 1 s tick; each pull reads a bounded chunk,
 * and pulling stops while the in-flight window or ship_es's memory queue is
 * full, so a slow or dead cluster never blocks ingest: the events simply
 * wait in the store. The cursor moves past the contiguous prefix of rows
 * with a final outcome (DONE, or REJECTED recorded in es_rejected) and is
 * saved once per burst of outcomes, with the rejections, in one
 * transaction. After a crash the rows past the saved cursor are sent again;
 * `create` with the deterministic _id makes that harmless (409 = done).
 * One owner: the loop thread.
 */
#ifndef CANH_SHIP_OUTBOX_H
#define CANH_SHIP_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "ship/ship_es.h"
#include "store/db.h"

struct cfg;
struct event_base;
struct ing_http;

/* The `elasticsearch` section as the daemon keeps it: owned copies of the
 * strings (the cfg is freed after start-up) plus the outbox's own keys. */
struct ship_outbox_cfg {
    bool enabled;
    char url[512], username[128], password[256], api_key[512], ca_file[512];
    char index_events[128], index_incidents[128], templates_dir[512];
    struct ship_es_cfg es;  /* numbers and flags; strings: see ship_outbox_cfg_es() */
    uint32_t window;        /* events handed to ship_es and not final yet, at most */
};

/* Adds elasticsearch.* (ship_es's keys and the outbox's) to the schema. */
int ship_outbox_cfg_schema(struct cfg *c);
/* Fills *out from a loaded cfg; returns the number of errors (logged with
 * path and key). */
int ship_outbox_cfg_read(const struct cfg *c, const char *path, struct ship_outbox_cfg *out);
/* A ship_es_cfg whose strings point into oc (valid while oc is). */
void ship_outbox_cfg_es(const struct ship_outbox_cfg *oc, struct ship_es_cfg *out);

struct ship_outbox;

/* Start shipping on base when cfg->enabled (installing the templates first,
 * then backfilling whatever the store holds past the cursor); when
 * disabled, an object that only serves the API and keeps no incident
 * versions. NULL on error (logged). */
struct ship_outbox *ship_outbox_new(struct event_base *base, struct db *d,
                                    const struct ship_outbox_cfg *cfg);
/* Saves the cursor and frees; what was in flight is sent again at the next
 * start. Accepts NULL. */
void ship_outbox_free(struct ship_outbox *o);

/* New rows may be in the store (call after an ingest or incident commit).
 * Cheap: the pull runs later on the loop. Accepts NULL. */
void ship_outbox_kick(void *o);

/* Documents not yet delivered: events past the cursor plus incident
 * versions waiting (for /metrics). */
int64_t ship_outbox_depth(void *o);

struct ship_outbox_stats {
    bool enabled, templates_ready;
    int64_t cursor;           /* every event row up to here is final */
    int64_t pulled;           /* highest event row handed to ship_es */
    int64_t events_behind;    /* rows past the cursor (approximate: rowid gaps) */
    int64_t versions_waiting; /* incident versions in the outbox */
    uint64_t events_done, events_rejected, versions_done, versions_rejected;
    uint64_t pulls, full;     /* pulls, and pulls cut short by a full queue */
    uint64_t saves, save_failures;
    int64_t rejected_total;   /* rows in es_rejected */
};
void ship_outbox_stats_get(struct ship_outbox *o, struct ship_outbox_stats *out);
/* The shipper's own counters; false when shipping is off. */
bool ship_outbox_es_stats(struct ship_outbox *o, struct ship_es_stats *out);

/* The store it reads (borrowed). */
struct db *ship_outbox_db(struct ship_outbox *o);

/* GET /api/v1/es/stats and GET /api/v1/es/rejected (viewer). 0 or -1. */
int ship_outbox_register(struct ship_outbox *o, struct ing_http *h);

#endif
