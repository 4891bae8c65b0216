/* inc_corr: drives the Sigma engine (correlate/corr_engine.h) over events
 * that ingest has committed and turns its hits into incidents in the store.
 *
 * Each call runs one transaction that applies all hits of the events and
 * moves a watermark (the last correlated event row); at start-up
 * inc_corr_replay() correlates rows committed after the watermark, so a
 * crash between the event commit and the incident commit loses nothing.
 * Also keeps the receipt-to-incident delays for /api/v1/metrics.
 * One owner: the loop thread.
 */
#ifndef CANH_INC_CORR_H
#define CANH_INC_CORR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate/corr_engine.h"
#include "store/db.h"

struct inc_corr;

/* Runs before a hit is applied (the portal's suppressions): 1 folds the
 * hit (no incident opened or extended), 0 applies it. It runs inside the
 * feed transaction, so what it writes commits or rolls back with the hits. */
typedef int (*inc_corr_filter_fn)(const struct corr_hit *hit, json_t *event, void *arg);

/* rules_dir: Sigma rules (a missing directory is logged and leaves the
 * engine without rules). *nerrors gets the rule files that did not load. */
struct inc_corr *inc_corr_new(struct db *d, const char *rules_dir, int *nerrors);
void inc_corr_free(struct inc_corr *c);
size_t inc_corr_rule_count(const struct inc_corr *c);
/* Set (or clear with NULL) the hit filter; call before inc_corr_replay(). */
void inc_corr_set_filter(struct inc_corr *c, inc_corr_filter_fn fn, void *arg);

/* Correlate n committed events (borrowed) whose rows are rowids, received
 * at received_us. Returns the number of hits applied, or <0 when the
 * incident transaction failed (the watermark then stays behind and the
 * events are correlated again at the next start). */
int inc_corr_feed(struct inc_corr *c, json_t *const *events, const int64_t *rowids, size_t n,
                  int64_t received_us);
/* inc_corr_feed with events made one at a time: get(i, arg) returns event
 * i as a new reference, which is fed and released before the next is made
 * (ingest builds each tree just before its use). NULL (out of memory) fails
 * the call like a failed transaction. */
typedef json_t *(*inc_corr_event_fn)(size_t i, void *arg);
int inc_corr_feed_each(struct inc_corr *c, inc_corr_event_fn get, void *arg,
                       const int64_t *rowids, size_t n, int64_t received_us);

/* Ingest's prefilter: whether an event whose "event_type" is this string
 * (NULL: absent, or not a string when present) can match a rule and must be
 * fed; and which top-level members the fed event must keep (what the rules
 * read, plus timestamp, event_type, canh, src_ip and dest_ip, which this
 * module and the hit filter read). */
bool inc_corr_wants(const struct inc_corr *c, const char *event_type, bool present);
bool inc_corr_reads_key(const struct inc_corr *c, const char *key, size_t len);
/* Events committed up to rowid (event times up to ts_us) that no rule can
 * match and were not fed: the next inc_corr_feed() moves the watermark and
 * the expiry clock past them in its transaction. */
void inc_corr_skip(struct inc_corr *c, int64_t rowid, int64_t ts_us);

/* Correlate everything stored after the watermark. Returns events fed. */
int inc_corr_replay(struct inc_corr *c);

struct inc_corr_stats {
    uint64_t events, hits, opened, appended, failures;
    uint64_t suppressed;  /* hits folded by the filter */
    size_t delay_samples;
    int64_t delay_p50_us, delay_p99_us, delay_max_us; /* receipt -> incident commit */
};
void inc_corr_get_stats(struct inc_corr *c, struct inc_corr_stats *s);

#endif
