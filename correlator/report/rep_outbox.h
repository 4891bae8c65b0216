/* rep_outbox: the durable outbox of reports in the store (table
 * report_outbox, migration 2). A row is one version of one subject
 * ("incident:<id>" or "daily:<YYYY-MM-DD>"), keyed by (subject, version):
 * enqueueing the same version twice stores it once, which is what makes
 * delivery exactly once per version. The bundle and its signature are
 * stored with the row, so a retry after a restart sends the same bytes.
 * A newer version supersedes older undelivered ones of the same subject.
 * States: pending -> sent | failed (refused; retried on a slow schedule up
 * to a cap, then only after a delivery-config change) | superseded.
 * Loop thread only (the store's one owner).
 */
#ifndef CANH_REP_OUTBOX_H
#define CANH_REP_OUTBOX_H

#include <jansson.h>
#include <stdint.h>

#include "store/db.h"

struct rep_outbox_row {
    int64_t id;
    char subject[64];
    int64_t version_us;
    int attempts;
    char *bundle;      /* malloc'd */
    char *signature;   /* malloc'd PEM */
};
void rep_outbox_row_fini(struct rep_outbox_row *r);

/* Store one version (inside the caller's transaction). 1 stored, 0 this
 * version was there already, <0 error. incident_id 0 for daily reports.
 * *row_id (may be NULL) gets the new row. */
int rep_outbox_enqueue(struct db *d, const char *subject, int64_t incident_id,
                       int64_t version_us, const char *bundle, const char *signature,
                       int64_t now_us, int64_t *row_id);

/* Incidents that match the policy and have a newer version than any
 * enqueued: up to max (id, updated_us) pairs, oldest change first.
 * statuses/rules are JSON arrays of strings. Returns the count or <0. */
int rep_outbox_changed(struct db *d, int min_severity, const char *statuses_json,
                       const char *rules_json, int64_t *ids, int64_t *versions, int max);

/* The oldest row due at now_us (pending, or failed with a retry planned).
 * 1 found (*out filled), 0 none, <0 error. */
int rep_outbox_next(struct db *d, int64_t now_us, struct rep_outbox_row *out);

/* After an attempt: state "sent", "pending" or "failed"; next_us 0 = no
 * attempt planned. reason NULL clears it. Own statement, autocommit. */
int rep_outbox_mark(struct db *d, int64_t id, const char *state, int attempts, int64_t next_us,
                    const char *reason, const char *transport, int64_t now_us);

/* Failed rows get a new attempt now (the delivery config changed). Returns
 * how many, or <0. */
int rep_outbox_retry_failed(struct db *d, int64_t now_us);

/* Reports waiting for delivery (pending or failed, not yet sent or
 * superseded): the national-centre queue depth. Negative on a store error. */
int64_t rep_outbox_depth(struct db *d);

/* The reporting state of one incident for the API: {"state", "version",
 * "attempts", "reason", "sent", "transport", "versions_sent"}, or
 * {"state": "none"} (new reference). */
json_t *rep_outbox_incident_state(struct db *d, int64_t incident_id);

/* Rows newest first (without bundles) and counts per state, for
 * GET /api/v1/reports. state NULL = all. New reference or NULL. */
json_t *rep_outbox_list(struct db *d, const char *state, int limit, int offset);

/* One row with its bundle and signature, or NULL when absent. */
json_t *rep_outbox_get(struct db *d, int64_t id);

#endif
