/* db_outbox: what the Elasticsearch/OpenSearch shipper (ship/ship_outbox.c)
 * keeps in the store so that nothing is lost while the cluster is away.
 *
 * Events need no outbox table: every stored event already has a rowid that
 * only grows, so the outbox is a cursor ("every row up to N has its final
 * outcome", state key es_events_cursor) plus the rows after it. Incident
 * versions are written into es_incident_outbox by triggers (migration 4) in
 * the same transaction as the incident change, one row per (incident,
 * updated time), holding a snapshot of the incident row; a row is deleted
 * once the cluster has it. Documents the cluster refused for good (mapping
 * errors) are kept in es_rejected with the reason. Loop thread only.
 */
#ifndef CANH_DB_OUTBOX_H
#define CANH_DB_OUTBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

/* The events cursor (0 when never set). */
int db_outbox_cursor_get(struct db *d, int64_t *cursor);
/* Set it (inside the caller's transaction or autocommit). 0 or <0. */
int db_outbox_cursor_set(struct db *d, int64_t cursor);

/* One stored event as the shipper needs it; pointers borrowed for the
 * call. time_us: event time, or the time of receipt when it has none. */
struct db_outbox_event {
    int64_t rowid;
    const char *canh_id;
    int64_t time_us;
    const char *raw;
    size_t len;
};
/* Return 0 to go on, non-zero to stop (e.g. the shipper is full). */
typedef int (*db_outbox_event_fn)(void *arg, const struct db_outbox_event *ev);

/* Visit events with rowid > after, oldest first, at most limit. Returns the
 * number of rows read (a row whose callback said stop counts as not read)
 * or <0. */
int db_outbox_events_after(struct db *d, int64_t after, int limit, db_outbox_event_fn cb,
                           void *arg);

/* canh_id (cap bytes) and time of the event at rowid. DB_ERR_NOENT when the
 * row is gone (retention). */
int db_outbox_event_ident(struct db *d, int64_t rowid, char *canh_id, size_t cap,
                          int64_t *time_us);

/* One incident version ready to ship: doc is the whole document (one JSON
 * line, borrowed for the call). */
struct db_outbox_version {
    int64_t id;          /* es_incident_outbox row */
    int64_t incident_id;
    int64_t version_us;  /* the incident's updated time: "<incident_id>:<version_us>" is _id */
    int64_t created_us;  /* the incident's creation (names a date-suffixed index) */
    const char *doc;
    size_t len;
};
typedef int (*db_outbox_version_fn)(void *arg, const struct db_outbox_version *v);

/* Visit outbox rows with id > after, oldest first, at most limit, each
 * turned into its document: the snapshot's fields with RFC 3339 times, plus
 * src, dest, sensors and tags of the incident as stored now (they only grow).
 * Returns rows read (as db_outbox_events_after) or <0. */
int db_outbox_versions_after(struct db *d, int64_t after, int limit, db_outbox_version_fn cb,
                             void *arg);

/* incident_id, version and creation time of an outbox row. DB_ERR_NOENT. */
int db_outbox_version_ident(struct db *d, int64_t id, int64_t *incident_id,
                            int64_t *version_us, int64_t *created_us);

/* Delete a delivered (or rejected) version. */
int db_outbox_version_done(struct db *d, int64_t id);

/* Shipping switched on: the incident triggers write only while the state
 * key es_incidents_seeded exists; when it did not, set it and queue the
 * current version of every incident. Switched off: empty the incident
 * outbox and drop the key, so nothing piles up unread. 0 or <0. Own
 * transaction. */
int db_outbox_enable(struct db *d, bool on);

/* Rows waiting in the incident outbox (or <0). */
int64_t db_outbox_versions_pending(struct db *d);

/* Record a document refused for good. kind "event" or "incident". A
 * second refusal of the same doc_id replaces the first. 0 or <0. */
int db_outbox_reject(struct db *d, const char *kind, const char *doc_id, const char *index,
                     const char *reason, int64_t at_us);

/* Number of recorded refusals (or <0). */
int64_t db_outbox_rejected_count(struct db *d);

/* {"total": n, "rejected": [{"kind", "id", "index", "reason", "time"}]},
 * newest first. New reference, or NULL on error. */
json_t *db_outbox_rejected_list(struct db *d, int limit, int offset);

#endif
