/* db_event: raw EVE events with their indexed columns, sensor health, search
 * and retention.
 *
 * An event is stored once per canh.id ("sensor:seq"): inserting one that is
 * already there is a duplicate, not an error. The raw line is kept as
 * received; the columns are copies for filtering. Call inside a
 * db_begin()/db_commit() pair for batches.
 */
#ifndef CANH_DB_EVENT_H
#define CANH_DB_EVENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

/* One event to store; every pointer is borrowed for the call. Unknown
 * values: NULL strings, 0 for ts_us/flow_id, -1 for sig_id/severity. */
struct db_event_in {
    const char *canh_id;
    const char *sensor;
    int64_t seq;
    int64_t ts_us;
    const char *event_type;
    const char *src_ip, *dest_ip;
    int64_t sig_id;
    int severity;
    int64_t flow_id;
    const char *raw;
    size_t raw_len;
};

/* 1 when stored, 0 when canh_id was already there, <0 on error (logged). */
int db_event_insert(struct db *d, const struct db_event_in *ev, int64_t received_us,
                    int64_t *rowid);

/* For an event that was a duplicate: 1 when the stored raw line is the
 * same (a resend), 0 when it differs (the sensor reused a seq, e.g. after
 * its canh.seq file was lost), <0 on error. */
int db_event_same(struct db *d, const char *canh_id, const char *raw, size_t len);

/* After a batch from a sensor: last seen time, highest seq, event count. */
int db_event_sensor_seen(struct db *d, const char *sensor, int64_t now_us, int64_t max_seq,
                         int64_t nnew);
/* A `stats` event from a sensor: packets and drops counters (absolute, as
 * the sensor reports them) at event time ts_us; packets/s is derived from
 * the previous stats event. raw is the whole stats object as JSON text. */
int db_event_sensor_stats(struct db *d, const char *sensor, int64_t ts_us, int64_t packets,
                          int64_t drops, const char *raw);

/* Search filters; NULL / 0 / -1 mean "any". */
struct db_event_filter {
    const char *sensor;
    const char *event_type;
    const char *addr;        /* src_ip or dest_ip */
    int64_t sig_id;          /* -1 any */
    int64_t flow_id;         /* 0 any */
    int64_t since_us, until_us; /* event time, 0 = open */
    const char *text;        /* substring of the raw line */
    int limit, offset;
};

/* {"total": n, "events": [ {"id": canh_id, "received": ..., "event": {...}} ]},
 * newest first. New reference in *out. */
int db_event_search(struct db *d, const struct db_event_filter *f, json_t **out);

/* The events of one incident (newest first, at most limit) as a JSON array. */
json_t *db_event_of_incident(struct db *d, int64_t incident_id, int limit);

/* Calls cb for every event stored with rowid > after (oldest first, at
 * most limit): used to correlate events committed before a crash.
 * Returns the number visited or <0. */
typedef void (*db_event_fn)(int64_t rowid, const char *raw, size_t len, void *arg);
int db_event_since(struct db *d, int64_t after, int limit, db_event_fn cb, void *arg);

/* The highest rowid in events (0 when empty). */
int64_t db_event_max_rowid(struct db *d);

/* Delete events received before cutoff_us; returns how many (or <0). */
int64_t db_event_expire(struct db *d, int64_t cutoff_us);

/* Sensors with their health, as a JSON array. */
json_t *db_event_sensors(struct db *d);

#endif
