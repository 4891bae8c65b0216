/* flow_table: per-worker flow hash over a preallocated pool, with timeout
 * lists (see flow_table.h for the contract).
 *
 * Invariants: a flow is in_use iff it is on exactly one bucket chain and
 * one timeout list; ended records are chained through their link's hnext on
 * the free list, and records never used yet lie above `fresh` (handed out in
 * order, so pool pages a run never needs are never touched). Indexes, not
 * pointers, keep records small and relocatable.
 * Memory layout (one block, 64-byte aligned): the records (192 bytes, three
 * whole cache lines each), then one 16-byte link per record (its hash, the
 * next entry of its bucket chain, its timeout-list neighbours). A bucket
 * chain entry is the record index in the low bits and the top bits of that
 * record's hash above them (a tag): a lookup reads the bucket, then a
 * record only when the tag matches (its key decides); a chain is walked
 * through the links, never through other flows' records. Same bytes per
 * flow as when the links were fields of struct flow (208 + 4 per bucket).
 * Timeout lists are ordered by queued_us, the flow's last-seen time when it
 * was put on the list; a packet only updates `last` (no relinking, so the
 * per-packet update touches no other flow). A flow whose queued_us is older
 * than its timeout is requeued (or ended) when it reaches the head, so the
 * scan still ends each expired flow and stops at the first head that proves
 * the rest of its list young (queued_us + timeout >= now).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_mem.h"
#include "flow/flow_table.h"
#include "log.h"

#define FT_NONE   UINT32_MAX
#define FT_NLISTS (FLOW_PG_MAX * FLOW_NSTATES)
#define TH_SYN 0x02u
#define TH_ACK 0x10u
#define TH_FIN 0x01u
#define TH_RST 0x04u

struct ft_list {
    uint32_t head, tail;
};

/* The table's bookkeeping of one record, kept beside the pool. */
struct ft_link {
    uint32_t hnext;          /* next chain entry (index | tag), or the next free record */
    uint32_t hash;           /* flow_key_hash of the record's key */
    uint32_t lprev, lnext;   /* neighbours in the timeout list */
};

/* Slots a table takes from (and gives back to) a shared budget at once. */
#define FT_BATCH 64

struct flow_budget {
    _Alignas(64) _Atomic int64_t left;  /* slots no table holds */
    uint64_t total;
};

struct flow_table {
    struct flow_table_cfg cfg;
    uint32_t credit;         /* budget slots held and not in use */
    uint32_t touched;        /* records [0, touched) were handed out at least once */
    struct flow *pool;       /* cfg.max_flows records, then their links (ft_links) */
    uint32_t *buckets;       /* chain heads: entries (index | tag), FT_NONE when empty */
    uint32_t mask;           /* buckets - 1; also masks a record index out of an entry */
    uint32_t free_head;
    uint32_t fresh;          /* records [fresh, max_flows) were never used */
    bool emergency;
    struct ft_list lists[FT_NLISTS];
    flow_end_fn end;
    void *end_arg;
    struct flow_table_stats st;
};

_Static_assert(sizeof(struct flow_key) == 40, "flow_key must have no padding: it is hashed as bytes");
_Static_assert(sizeof(struct flow) == 192, "struct flow is three cache lines (see flow.h)");
_Static_assert(sizeof(struct ft_link) == 16, "four links per cache line");

#define FT_ALIGN 64

void flow_table_cfg_defaults(struct flow_table_cfg *c)
{
    static const uint32_t to[FLOW_PG_MAX][FLOW_NSTATES] = {
        /*                new  est  closed bypassed */
        [FLOW_PG_TCP]   = { 60, 600, 60, 100 },
        [FLOW_PG_UDP]   = { 30, 300, 0, 100 },
        [FLOW_PG_ICMP]  = { 30, 300, 0, 100 },
        [FLOW_PG_OTHER] = { 30, 300, 0, 100 },
    };
    static const uint32_t em[FLOW_PG_MAX][FLOW_NSTATES] = {
        [FLOW_PG_TCP]   = { 5, 100, 10, 50 },
        [FLOW_PG_UDP]   = { 10, 100, 0, 50 },
        [FLOW_PG_ICMP]  = { 10, 100, 0, 50 },
        [FLOW_PG_OTHER] = { 10, 100, 0, 50 },
    };

    memset(c, 0, sizeof(*c));
    c->max_flows = 65536;
    memcpy(c->timeout, to, sizeof(to));
    memcpy(c->emerg_timeout, em, sizeof(em));
}

size_t flow_table_bytes_per_flow(void)
{
    return sizeof(struct flow) + sizeof(struct ft_link) + 2 * sizeof(uint32_t);
}

struct flow_table *flow_table_new(const struct flow_table_cfg *c, flow_end_fn end, void *arg)
{
    struct flow_table *t = calloc(1, sizeof(*t));
    uint32_t nb = 16;
    size_t pool_bytes;

    if (t == NULL)
        goto fail;
    t->cfg = *c;
    t->end = end;
    t->end_arg = arg;
    while (nb < c->max_flows && nb < (1u << 31))
        nb <<= 1;
    t->mask = nb - 1;
    /* not zeroed: records and links are initialised when first handed out */
    pool_bytes = (size_t)(c->max_flows ? c->max_flows : 1) * (sizeof(struct flow) + sizeof(struct ft_link));
    t->pool = aligned_alloc(FT_ALIGN, (pool_bytes + FT_ALIGN - 1) & ~(size_t)(FT_ALIGN - 1));
    t->buckets = malloc((size_t)nb * sizeof(uint32_t));
    if (t->pool == NULL || t->buckets == NULL)
        goto fail;
    flow_mem_huge(t->pool, pool_bytes);
    flow_mem_huge(t->buckets, (size_t)nb * sizeof(uint32_t));
    for (uint32_t i = 0; i < nb; i++)
        t->buckets[i] = FT_NONE;
    t->free_head = FT_NONE;
    t->fresh = 0;
    for (int i = 0; i < FT_NLISTS; i++)
        t->lists[i].head = t->lists[i].tail = FT_NONE;
    /* with a shared budget, records count as they are first handed out
     * (ft_create): every table may grow to the budget's total, which would
     * otherwise count once per table */
    t->st.mem = sizeof(*t) + (size_t)nb * sizeof(uint32_t) +
                (c->budget != NULL ? 0 : (size_t)c->max_flows * (sizeof(struct flow) + sizeof(struct ft_link)));
    return t;
fail:
    log_error("flow", "cannot allocate a flow table of %u flows: out of memory (lower max-flows)",
              c->max_flows);
    flow_table_free(t);
    return NULL;
}

struct flow_budget *flow_budget_new(uint64_t total)
{
    struct flow_budget *b = aligned_alloc(64, sizeof(*b));

    if (b == NULL)
        return NULL;
    atomic_init(&b->left, (int64_t)total);
    b->total = total;
    return b;
}

void flow_budget_free(struct flow_budget *b)
{
    free(b);
}

/* One budget slot for a new flow: from the table's credit, else a batch
 * (or what is left) from the budget. false when the budget is exhausted. */
static bool ft_take_slot(struct flow_table *t)
{
    struct flow_budget *b = t->cfg.budget;
    int64_t got;

    if (b == NULL)
        return true;
    if (t->credit == 0) {
        got = atomic_fetch_sub_explicit(&b->left, FT_BATCH, memory_order_relaxed);
        if (got < FT_BATCH) { /* hand back what was not there */
            atomic_fetch_add_explicit(&b->left, FT_BATCH - (got > 0 ? got : 0), memory_order_relaxed);
            got = got > 0 ? got : 0;
        } else {
            got = FT_BATCH;
        }
        t->credit = (uint32_t)got;
        if (t->credit == 0)
            return false;
    }
    t->credit--;
    return true;
}

/* An ended flow's slot: kept as credit, beyond two batches given back. */
static void ft_put_slot(struct flow_table *t)
{
    if (t->cfg.budget == NULL)
        return;
    if (++t->credit >= 2 * FT_BATCH) {
        atomic_fetch_add_explicit(&t->cfg.budget->left, FT_BATCH, memory_order_relaxed);
        t->credit -= FT_BATCH;
    }
}

void flow_table_free(struct flow_table *t)
{
    if (t == NULL)
        return;
    if (t->cfg.budget != NULL)
        atomic_fetch_add(&t->cfg.budget->left, (int64_t)t->credit + (int64_t)t->st.active);
    free(t->pool);
    free(t->buckets);
    free(t);
}

static inline uint32_t ft_idx(const struct flow_table *t, const struct flow *f)
{
    return (uint32_t)(f - t->pool);
}

/* The links follow the records in the pool's block (no pointer of their own,
 * so the table struct and its reported size stay as they were). */
static inline struct ft_link *ft_links(const struct flow_table *t)
{
    return (struct ft_link *)(t->pool + t->cfg.max_flows);
}

/* The tag of a hash: its bits above the bucket index. An entry is
 * tag | index with index <= mask, so it is FT_NONE only when both are all
 * ones; the lowest tag bit is cleared then (a tag only filters, the key
 * decides), so an entry is never FT_NONE. */
static inline uint32_t ft_tag(const struct flow_table *t, uint32_t hash)
{
    uint32_t tag = hash & ~t->mask;

    return tag == ~t->mask ? tag & (tag - 1) : tag;
}

static inline int64_t tv_us(struct timeval tv)
{
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static inline int ft_list_of(const struct flow *f)
{
    return flow_proto_group(f->key.proto) * FLOW_NSTATES + f->state;
}

static void ft_list_unlink(struct flow_table *t, struct flow *f)
{
    struct ft_list *l = &t->lists[f->tlist];
    struct ft_link *ln = ft_links(t), *me = &ln[ft_idx(t, f)];

    if (me->lprev != FT_NONE)
        ln[me->lprev].lnext = me->lnext;
    else
        l->head = me->lnext;
    if (me->lnext != FT_NONE)
        ln[me->lnext].lprev = me->lprev;
    else
        l->tail = me->lprev;
}

static void ft_list_append(struct flow_table *t, struct flow *f)
{
    uint32_t i = ft_idx(t, f);
    struct ft_link *ln = ft_links(t);
    struct ft_list *l;

    f->tlist = (uint8_t)ft_list_of(f);
    f->queued_us = tv_us(f->last);
    l = &t->lists[f->tlist];
    ln[i].lnext = FT_NONE;
    ln[i].lprev = l->tail;
    if (l->tail != FT_NONE)
        ln[l->tail].lnext = i;
    else
        l->head = i;
    l->tail = i;
}

static uint32_t ft_timeout(const struct flow_table *t, const struct flow *f)
{
    enum flow_proto_group pg = flow_proto_group(f->key.proto);

    return t->emergency ? t->cfg.emerg_timeout[pg][f->state] : t->cfg.timeout[pg][f->state];
}

/* The single expiry predicate used by both the scan and the lookup, so a
 * flow's end does not depend on when the scan happened to run. */
static bool ft_expired(const struct flow_table *t, const struct flow *f, struct timeval now)
{
    return tv_us(now) > tv_us(f->last) + (int64_t)ft_timeout(t, f) * 1000000;
}

static void ft_update_emergency(struct flow_table *t)
{
    uint64_t max = t->cfg.max_flows, used = t->st.active;
    const struct flow_budget *b = t->cfg.budget;

    if (b != NULL) { /* the fuller of the pool and the shared budget */
        int64_t left = atomic_load_explicit(&b->left, memory_order_relaxed);
        uint64_t bused = b->total - (uint64_t)(left > 0 ? left : 0);

        if (bused * max > used * b->total) {
            used = bused;
            max = b->total;
        }
    }
    if (!t->emergency && used * 100 >= max * 95) {
        t->emergency = true;
        t->st.emergency++;
    } else if (t->emergency && used * 100 < max * 70) {
        t->emergency = false;
    }
}

/* End f: report it, then unlink it from its bucket and list and free it. */
static void ft_end(struct flow_table *t, struct flow *f, enum flow_end_reason r)
{
    uint32_t i = ft_idx(t, f);
    struct ft_link *ln = ft_links(t);
    uint32_t *pp = &t->buckets[ln[i].hash & t->mask];

    if (t->end != NULL)
        t->end(f, r, t->end_arg);
    while (*pp != FT_NONE && (*pp & t->mask) != i)
        pp = &ln[*pp & t->mask].hnext;
    if (*pp != FT_NONE)
        *pp = ln[i].hnext;
    ft_list_unlink(t, f);
    f->in_use = 0;
    ln[i].hnext = t->free_head;
    t->free_head = i;
    t->st.active--;
    ft_put_slot(t);
    if (r == FLOW_END_TIMEOUT)
        t->st.timeouts++;
    else if (r == FLOW_END_FORCED)
        t->st.evicted++;
    else
        t->st.shutdown++;
    ft_update_emergency(t);
}

/* Requeue f at the tail of its list with its current last-seen time. */
static void ft_requeue(struct flow_table *t, struct flow *f)
{
    ft_list_unlink(t, f);
    ft_list_append(t, f);
}

/* The flow idle the longest: over all lists, the oldest head once each head
 * is requeued until it was queued at its own last-seen time (then no flow
 * behind it was seen earlier). */
static struct flow *ft_oldest(struct flow_table *t)
{
    struct flow *best = NULL;

    for (int i = 0; i < FT_NLISTS; i++) {
        struct flow *f = NULL;
        while (t->lists[i].head != FT_NONE) {
            f = &t->pool[t->lists[i].head];
            if (f->queued_us == tv_us(f->last))
                break;
            ft_requeue(t, f);
        }
        if (f == NULL)
            continue;
        if (best == NULL || tv_us(f->last) < tv_us(best->last))
            best = f;
    }
    return best;
}

static inline bool ft_key_eq(const struct flow_key *a, const struct flow_key *b)
{
    uint64_t x[5], y[5];

    memcpy(x, a, sizeof(x));
    memcpy(y, b, sizeof(y));
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

static struct flow *ft_lookup(struct flow_table *t, const struct flow_key *k, uint32_t hash)
{
    const struct ft_link *ln = ft_links(t);
    uint32_t tag = ft_tag(t, hash);

    for (uint32_t e = t->buckets[hash & t->mask]; e != FT_NONE;) {
        uint32_t i = e & t->mask;

        if ((e & ~t->mask) == tag && ft_key_eq(&t->pool[i].key, k))
            return &t->pool[i];
        e = ln[i].hnext;
    }
    return NULL;
}

static struct flow *ft_create(struct flow_table *t, const struct flow_key *k, uint32_t hash,
                              const struct packet *p, int src_is_lo)
{
    struct flow *f;
    uint32_t i;

    if ((t->free_head == FT_NONE && t->fresh >= t->cfg.max_flows) || !ft_take_slot(t)) {
        f = ft_oldest(t);
        if (f == NULL)
            return NULL;
        ft_end(t, f, FLOW_END_FORCED);
        if (!ft_take_slot(t)) /* the slot it freed */
            return NULL;
    }
    if (t->free_head != FT_NONE) {
        i = t->free_head;
        t->free_head = ft_links(t)[i].hnext;
    } else {
        i = t->fresh++;
        if (t->cfg.budget != NULL && i >= t->touched) { /* a record first handed out */
            t->touched = i + 1;
            t->st.mem += sizeof(struct flow) + sizeof(struct ft_link);
        }
    }
    f = &t->pool[i];
    memset(f, 0, sizeof(*f));
    f->key = *k;
    f->start = f->last = p->ts;
    f->flow_id = flow_key_flow_id(k, p->ts);
    f->in_use = 1;
    f->state = FLOW_STATE_NEW;
    /* The first packet's sender is the client, except a first-seen SYN-ACK
     * (we missed the SYN): then the receiver is the client, as in Suricata. */
    f->client_is_lo = (uint8_t)src_is_lo;
    if (p->proto == 6 && (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
        f->client_is_lo = (uint8_t)!src_is_lo;
    ft_links(t)[i].hash = hash;
    ft_links(t)[i].hnext = t->buckets[hash & t->mask];
    t->buckets[hash & t->mask] = ft_tag(t, hash) | i;
    ft_list_append(t, f);
    t->st.active++;
    t->st.total++;
    ft_update_emergency(t);
    return f;
}

struct flow *flow_table_get(struct flow_table *t, const struct flow_key *k, uint32_t hash,
                            const struct packet *p, int src_is_lo, int *dir, bool *is_new)
{
    struct flow *f = ft_lookup(t, k, hash);

    *is_new = false;
    if (f != NULL) {
        bool syn_only = p->proto == 6 && (p->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN;
        if (ft_expired(t, f, p->ts)) {
            ft_end(t, f, FLOW_END_TIMEOUT);
            f = NULL;
        } else if (syn_only && f->state == FLOW_STATE_CLOSED) {
            t->st.tcp_reuse++;
            ft_end(t, f, FLOW_END_TIMEOUT);
            f = NULL;
        }
    }
    if (f == NULL) {
        f = ft_create(t, k, hash, p, src_is_lo);
        if (f == NULL)
            return NULL;
        *is_new = true;
    }
    *dir = (src_is_lo == f->client_is_lo) ? FLOW_DIR_TOSERVER : FLOW_DIR_TOCLIENT;
    return f;
}

static void ft_tcp_state(struct flow *f, const struct packet *p, int dir)
{
    uint8_t fl = p->tcp_flags;

    if (fl & TH_RST)
        f->tcp_seen |= FLOW_TCP_RST;
    if ((fl & (TH_SYN | TH_ACK)) == TH_SYN && dir == FLOW_DIR_TOSERVER)
        f->tcp_seen |= FLOW_TCP_SYN;
    else if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) && dir == FLOW_DIR_TOCLIENT)
        f->tcp_seen |= FLOW_TCP_SYNACK;
    else if ((fl & TH_ACK) && dir == FLOW_DIR_TOSERVER && (f->tcp_seen & FLOW_TCP_SYNACK))
        f->tcp_seen |= FLOW_TCP_ACK3;
    if (fl & TH_FIN)
        f->tcp_seen |= dir == FLOW_DIR_TOSERVER ? FLOW_TCP_FIN_TS : FLOW_TCP_FIN_TC;

    if ((f->tcp_seen & FLOW_TCP_RST) ||
        (f->tcp_seen & (FLOW_TCP_FIN_TS | FLOW_TCP_FIN_TC)) == (FLOW_TCP_FIN_TS | FLOW_TCP_FIN_TC)) {
        f->state = FLOW_STATE_CLOSED;
    } else if (f->state == FLOW_STATE_NEW) {
        /* Handshake complete, or picked up midstream (no SYN seen) with
         * traffic both ways. */
        bool both = f->pkts[0] > 0 && f->pkts[1] > 0;
        if ((f->tcp_seen & FLOW_TCP_ACK3) || (both && !(f->tcp_seen & FLOW_TCP_SYN)))
            f->state = FLOW_STATE_ESTABLISHED;
    }
}

void flow_table_update(struct flow_table *t, struct flow *f, const struct packet *p, int dir)
{
    f->pkts[dir]++;
    f->bytes[dir] += p->len;
    if (tv_us(p->ts) > tv_us(f->last))
        f->last = p->ts;
    if (p->proto == 6) {
        f->tcp_flags[dir] |= p->tcp_flags;
        ft_tcp_state(f, p, dir);
    } else if (f->state == FLOW_STATE_NEW && f->pkts[0] > 0 && f->pkts[1] > 0) {
        f->state = FLOW_STATE_ESTABLISHED;
    }
    /* Only a state change moves the flow (to the tail of its new list);
     * otherwise the scan requeues it lazily (see the top of this file). */
    if (f->tlist != ft_list_of(f))
        ft_requeue(t, f);
}

size_t flow_table_expire(struct flow_table *t, struct timeval now, size_t budget)
{
    int64_t now_us = tv_us(now);
    size_t n = 0;

    for (int i = 0; i < FT_NLISTS && n < budget; i++) {
        while (n < budget && t->lists[i].head != FT_NONE) {
            struct flow *f = &t->pool[t->lists[i].head];
            if (ft_expired(t, f, now)) {
                ft_end(t, f, FLOW_END_TIMEOUT);
                n++;
            } else if (now_us > f->queued_us + (int64_t)ft_timeout(t, f) * 1000000) {
                ft_requeue(t, f); /* seen since it was queued: not expired */
            } else {
                break; /* every flow behind was queued later: none expired */
            }
        }
    }
    return n;
}

/* Every flow is reported, then the table is reset whole: no per-flow
 * unlinking from buckets and lists. */
void flow_table_flush(struct flow_table *t)
{
    uint64_t n = 0;

    for (int i = 0; i < FT_NLISTS; i++) {
        for (uint32_t x = t->lists[i].head; x != FT_NONE;) {
            struct flow *f = &t->pool[x];
            x = ft_links(t)[x].lnext;
            if (t->end != NULL)
                t->end(f, FLOW_END_SHUTDOWN, t->end_arg);
            f->in_use = 0;
            n++;
        }
        t->lists[i].head = t->lists[i].tail = FT_NONE;
    }
    for (uint32_t i = 0; i <= t->mask; i++)
        t->buckets[i] = FT_NONE;
    /* every record is free again; creation initialises a record whole */
    t->free_head = FT_NONE;
    t->fresh = 0;
    t->st.shutdown += n;
    t->st.active = 0;
    if (t->cfg.budget != NULL)
        atomic_fetch_add_explicit(&t->cfg.budget->left, (int64_t)n, memory_order_relaxed);
    ft_update_emergency(t);
}

const struct flow_table_stats *flow_table_get_stats(const struct flow_table *t)
{
    return &t->st;
}
