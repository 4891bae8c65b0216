/* ing_events: POST /api/v1/events, the sensors' batch endpoint.
 *
 * Contract with the sensor's shipper: the body is NDJSON EVE (optionally
 * Content-Encoding: gzip); the answer 200 {"accepted": n, "duplicates": d}
 * is sent only after the batch is committed (SQLite, synchronous=FULL), so
 * the sensor may then drop it from its spool. A rejected batch
 * (400/401/403/413/415, JSON error with the line) stores nothing; a batch
 * sent again is answered 200 with its events counted as duplicates. A
 * duplicate id with different content is also counted in "conflicts" and
 * logged: the sensor lost its canh.seq state and its events are being
 * dropped as resends (give it a new sensor id or restore the seq file).
 */
#ifndef CANH_ING_EVENTS_H
#define CANH_ING_EVENTS_H

#include <stdint.h>

#include "incident/inc_corr.h"
#include "ingest/ing_eve.h"
#include "ingest/ing_http.h"

struct ing_events_stats {
    uint64_t batches, accepted, duplicates, rejected, failed;
    uint64_t conflicts; /* duplicates whose content differed: a sensor reused seqs */
};

struct ing_events {
    struct db *db;
    struct inc_corr *corr;     /* may be NULL: store only */
    struct ing_limits lim;
    struct ing_events_stats st;
    /* Called after each commit that stored new events, once correlation
     * has run (the ES outbox pulls then). NULL: none. */
    void (*on_commit)(void *arg);
    void *on_commit_arg;
};

/* The route handler; arg is a struct ing_events. */
void ing_events_handle(struct ing_req *r, void *arg);

#endif
