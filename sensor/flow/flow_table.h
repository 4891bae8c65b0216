/* flow_table: one worker's flows, in a pool preallocated at start.
 *
 * Chained hash buckets over a fixed array of max_flows records: lookups and
 * inserts never allocate. Each flow also sits on one of 16 timeout lists
 * (protocol group x state), kept in last-seen order, so expiry pops list
 * heads and costs O(expired flows). Timeouts run on packet time only.
 * When the pool (or a shared flow_budget) is full the flow idle the longest
 * is ended with reason "forced" (counted); above 95% use (of the pool, or
 * of the budget) the emergency timeouts apply until use drops below 70%, as
 * Suricata's emergency mode does.
 * Single-threaded: one table per worker, no locks.
 */
#ifndef CANH_FLOW_TABLE_H
#define CANH_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

#define FLOW_NSTATES 4

struct flow_budget;

struct flow_table_cfg {
    uint32_t max_flows;
    /* NULL: max_flows alone bounds the table. Else the tables sharing it
     * hold at most its total between them (each still at most max_flows):
     * a table that cannot get a slot from it ends its own oldest flow. */
    struct flow_budget *budget;
    /* seconds, [enum flow_proto_group][enum flow_state] */
    uint32_t timeout[FLOW_PG_MAX][FLOW_NSTATES];
    uint32_t emerg_timeout[FLOW_PG_MAX][FLOW_NSTATES];
};

struct flow_table_stats {
    uint64_t active;     /* flows in the table now */
    uint64_t total;      /* flows ever created */
    uint64_t timeouts;   /* ended by timeout (scan or on lookup) */
    uint64_t evicted;    /* ended with reason "forced" */
    uint64_t shutdown;   /* ended by flow_table_flush */
    uint64_t tcp_reuse;  /* closed TCP flow ended by a new SYN on the same tuple */
    uint64_t emergency;  /* times emergency mode was entered */
    uint64_t mem;        /* bytes held by the table */
};

/* Called for every flow that ends, before its record is reused. The flow is
 * valid only during the call. */
typedef void (*flow_end_fn)(struct flow *f, enum flow_end_reason r, void *arg);

/* Suricata's default timeouts (suricata.yaml flow-timeouts) and max_flows. */
void flow_table_cfg_defaults(struct flow_table_cfg *c);

/* NULL on failure (logged). end may be NULL. */
struct flow_table *flow_table_new(const struct flow_table_cfg *c, flow_end_fn end, void *arg);
/* Frees without calling end: flush first to report the flows. NULL is fine. */
void flow_table_free(struct flow_table *t);

/* The flow of packet p (key k from flow_key_from_packet, which returned
 * src_is_lo; hash = flow_key_hash(k)). Creates it when absent: a flow that
 * has timed out at p's time, or a closed TCP flow seeing a new SYN, is ended
 * first and a new one starts. *dir gets FLOW_DIR_TOSERVER/TOCLIENT, *is_new
 * whether the flow was created. NULL only when max_flows is 0. */
struct flow *flow_table_get(struct flow_table *t, const struct flow_key *k, uint32_t hash,
                            const struct packet *p, int src_is_lo, int *dir, bool *is_new);

/* Count p on f in direction dir, advance the TCP/UDP state, last-seen time
 * and timeout list. */
void flow_table_update(struct flow_table *t, struct flow *f, const struct packet *p, int dir);

/* End flows idle past their timeout at packet time now, at most budget of
 * them. Returns how many ended. */
size_t flow_table_expire(struct flow_table *t, struct timeval now, size_t budget);

/* End every flow with reason "shutdown". */
void flow_table_flush(struct flow_table *t);

const struct flow_table_stats *flow_table_get_stats(const struct flow_table *t);

/* A limit of total flows shared by several tables (one per worker), so a
 * worker whose traffic is heavier than the others' may hold more than an
 * even share. Tables take slots from it in small batches (one atomic
 * operation per batch, never per packet). NULL on failure. */
struct flow_budget *flow_budget_new(uint64_t total);
/* After every table using it is freed. NULL is fine. */
void flow_budget_free(struct flow_budget *b);

/* Bytes of memory one flow slot costs (pool record + bucket share). */
size_t flow_table_bytes_per_flow(void);

#endif
