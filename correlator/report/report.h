/* report: automated reporting of incidents to the national cyber monitoring
 * centre, on the correlator's event loop.
 *
 * Every report.poll-interval seconds the store is asked for incidents that
 * meet the reporting policy and changed since their last enqueued version;
 * each becomes a STIX 2.1 bundle (stix_build.h), signed with the
 * organisation's certificate (rep_sign.h) and stored in the outbox
 * (rep_outbox.h) in one transaction. The daily summary joins the outbox the
 * same way once a day. Then the oldest due row is delivered, one at a time,
 * by TAXII 2.1 (rep_taxii.h) or HTTPS POST (rep_post.h); transient failures
 * back off exponentially, refusals (401/403/...) are retried slowly and a
 * bounded number of times. The API shows each incident's reporting state.
 * One owner: the loop thread.
 */
#ifndef CANH_REPORT_H
#define CANH_REPORT_H

#include <event2/event.h>
#include <stdint.h>

#include "ingest/ing_http.h"
#include "report/rep_cfg.h"
#include "store/db.h"

struct report;

/* cfg (borrowed, must outlive the reporter). With reporting disabled the
 * reporter only serves the API. NULL on a start-up problem (certificate,
 * key, ...), already logged. */
struct report *report_new(struct event_base *base, struct db *d, const struct rep_cfg *cfg);
/* Stops the timer and abandons a delivery in flight (it is retried at the
 * next start: the row is still pending). */
void report_free(struct report *r);

/* Register GET /api/v1/reports, GET /api/v1/reports/# and POST
 * /api/v1/reports/daily on h. 0 or -1. */
int report_register(struct report *r, struct ing_http *h);

/* Build, sign and enqueue the daily summary of the UTC day starting at
 * day_us as a new version (now). 1 enqueued, <0 error or disabled. */
int report_daily_enqueue(struct report *r, int64_t day_us, int64_t *row_id);

/* The store the reporter works on (borrowed). */
struct db *report_db(const struct report *r);

struct report_stats {
    uint64_t enqueued, sent, retries, refusals, build_errors;
};
void report_get_stats(const struct report *r, struct report_stats *s);
/* Reports waiting in the outbox, for /metrics (arg: the struct report). */
int64_t report_queue_depth(void *arg);

#endif
