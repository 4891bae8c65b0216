/* db_incident: incidents built from correlation hits, their events,
 * entities, sensors and tags, analyst changes, comments and the audit trail.
 *
 * A hit joins the open incident (status new, acknowledged or investigating)
 * with the same rule id and group key, or opens a new one: a thousand
 * alerts of one scan become one incident. Every change is audited with its
 * actor ("system" for automatic ones). Call db_incident_apply() inside a
 * db_begin()/db_commit() pair; the analyst calls run their own transaction.
 */
#ifndef CANH_DB_INCIDENT_H
#define CANH_DB_INCIDENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "correlate/corr_engine.h"
#include "store/db.h"

/* Apply one hit (borrowed). *incident_id gets the incident; *created tells
 * whether it was opened now. Events of the hit that are stored give the
 * incident its sensors and src/dest entities. 0 or <0. */
int db_incident_apply(struct db *d, const struct corr_hit *hit, int64_t now_us,
                      int64_t *incident_id, bool *created);

/* List filters; NULL / 0 mean "any". */
struct db_incident_filter {
    const char *status;      /* one status, or several comma-separated */
    int severity;            /* at most this number (1 = only critical/high) */
    const char *sensor;
    const char *addr;        /* a src or dest entity */
    const char *rule;        /* rule id */
    const char *assignee;
    int64_t since_us, until_us; /* overlap with [first seen, last seen] */
    const char *text;        /* substring of title, description or group key */
    int64_t updated_since_us; /* only incidents updated after this */
    const char *sort;        /* NULL ("-last_seen") or a key of db_incident_sort_valid() */
    int limit, offset;
};

/* True for last_seen first_seen severity event_count id, each with an
 * optional leading '-' (descending); ties go newest id first. */
bool db_incident_sort_valid(const char *sort);

/* {"total": n, "limit", "offset", "incidents": [...]}, latest activity
 * first. New reference in *out. DB_ERR_INVAL for a bad status filter. */
int db_incident_list(struct db *d, const struct db_incident_filter *f, json_t **out);

/* {"new": n, "acknowledged": n, ...} for the filter, ignoring its status,
 * limit and offset. New reference in *out. */
int db_incident_counts(struct db *d, const struct db_incident_filter *f, json_t **out);

/* One incident with up to max_events events, its comments and audit trail.
 * DB_ERR_NOENT when there is no such incident. */
int db_incident_get(struct db *d, int64_t id, int max_events, json_t **out);

/* Change fields (NULL = leave as is; "" clears assignee/disposition) as
 * actor, auditing each change. DB_ERR_INVAL for an unknown status or
 * disposition, DB_ERR_NOENT for an unknown incident. Own transaction. */
int db_incident_update(struct db *d, int64_t id, const char *actor, const char *status,
                       const char *assignee, const char *disposition);

/* Add a comment as actor (audited). Own transaction. */
int db_incident_comment(struct db *d, int64_t id, const char *actor, const char *body,
                        int64_t *comment_id);

/* Audit entry not tied to an incident (user and token management). */
int db_incident_audit(struct db *d, const char *actor, const char *action, int64_t incident_id,
                      json_t *detail);

/* True for the five statuses and the known dispositions. */
bool db_incident_status_valid(const char *s);
bool db_incident_disposition_valid(const char *s);

#endif
