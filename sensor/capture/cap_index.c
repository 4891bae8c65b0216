/* cap_index: one shared walk of an offline file for its N readers (see
 * cap_index.h). Chunk k holds CAP_INDEX_RECS records; it can only be
 * indexed once chunk k-1 is (its end is chunk k's start), so claims go in
 * order through one counter (`claimed`, CAS) and whichever reader first
 * needs the next chunk does the work. Publication is a release store of
 * k + 1 into the slot's `ready`; a reader that finished chunk k release-
 * stores k + 1 into its `done`, and a slot is refilled only when every
 * reader's `done` has passed the chunk it held.
 *
 * An entry is one 32-bit word per record and worker: the record's offset
 * from the chunk's start (a chunk of CAP_INDEX_RECS records of at most
 * 256 KB each spans less than 2^30 bytes) plus the PACKET and TICK flags,
 * so a worker's list never has more entries than the chunk has records.
 * Memory: nreaders x CAP_INDEX_RECS x 4 bytes per slot, all allocated by
 * cap_index_new (2 readers: 16 KB a slot, 4 MB for the ring).
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/cap_hash.h"
#include "capture/cap_index.h"
#include "log.h"

/* records per chunk and slots in the ring (a unit test makes both small) */
#ifndef CAP_INDEX_RECS
#define CAP_INDEX_RECS   2048u
#endif
#ifndef CAP_INDEX_SLOTS
#define CAP_INDEX_SLOTS  256u      /* for up to 4 readers, fewer beyond */
#endif
#define CAP_INDEX_MAX_READERS 64
#define CAP_INDEX_AHEAD  4u        /* records prefetched ahead of the one read */
#define CAP_INDEX_OFF    0x3fffffffu
#define CAP_INDEX_FPKT   (1u << 30)
#define CAP_INDEX_FTICK  (1u << 31)

struct cap_index_slot {
    _Alignas(64) atomic_ullong ready;   /* chunk number + 1 once published */
    size_t start;                       /* offset of the chunk's first record */
    uint64_t npkts;                     /* records that passed the filter */
    struct timeval last;                /* latest packet time up to the chunk's end */
    int rc;                             /* 0, or -1 / -2 after the chunk's last record */
    uint32_t *cnt;                      /* [nreaders] entries per reader */
    uint32_t *ent;                      /* [nreaders][CAP_INDEX_RECS] */
};

struct cap_index_reader {
    _Alignas(64) atomic_ullong done;    /* chunks finished; UINT64_MAX once left */
    struct cap_index *ix;
    struct cap *cap;
    int i;
    uint64_t k;                         /* the chunk being read */
    const struct cap_index_slot *s;     /* its slot, NULL between chunks */
    const uint32_t *e;
    uint32_t pos, cnt;
    size_t start;
    const uint8_t *base;                /* the mapping, for prefetches */
    int end_rc;                         /* -1 / -2 once the last chunk was read */
    uint64_t seen;
    struct timeval last;
};

struct cap_index {
    int n, dl;
    bool vlan;
    uint32_t nslots;
    const atomic_bool *stop;
    struct cap_index_slot *slot;
    uint32_t *mem;
    struct cap_index_reader *rd;
    _Alignas(64) atomic_ullong claimed; /* chunks claimed for indexing so far */
    /* The walk's state between chunks: written by the indexer of chunk k,
     * read by that of k + 1, which claimed it after seeing chunk k ready
     * (acquire), so no lock is needed. */
    _Alignas(64) size_t next_off;
    struct timeval tick, last;
};

struct cap_index *cap_index_new(int nreaders, int dl, bool vlan_tracking, const atomic_bool *stop)
{
    struct cap_index *ix = NULL;
    size_t per_slot;

    if (nreaders < 1 || nreaders > CAP_INDEX_MAX_READERS)
        return NULL;
    ix = aligned_alloc(64, sizeof(*ix));
    if (ix == NULL)
        goto fail;
    memset(ix, 0, sizeof(*ix));
    ix->n = nreaders;
    ix->dl = dl;
    ix->vlan = vlan_tracking;
    ix->stop = stop;
    /* 256 slots (2 readers: ~128 MB of the bench capture) for up to 4
     * readers; more readers get fewer slots, so the ring stays <= 8 MB */
    ix->nslots = nreaders <= 4 ? CAP_INDEX_SLOTS : (uint32_t)(1024 / nreaders);
    if (nreaders > 4 && ix->nslots < 16)
        ix->nslots = 16;
    per_slot = (size_t)nreaders * (CAP_INDEX_RECS + 1);
    ix->slot = aligned_alloc(64, sizeof(*ix->slot) * ix->nslots);
    ix->rd = aligned_alloc(64, sizeof(*ix->rd) * (size_t)nreaders);
    ix->mem = malloc(per_slot * ix->nslots * sizeof(uint32_t));
    if (ix->slot == NULL || ix->rd == NULL || ix->mem == NULL)
        goto fail;
    memset(ix->slot, 0, sizeof(*ix->slot) * ix->nslots);
    memset(ix->rd, 0, sizeof(*ix->rd) * (size_t)nreaders);
    for (uint32_t s = 0; s < ix->nslots; s++) {
        ix->slot[s].cnt = ix->mem + per_slot * s;
        ix->slot[s].ent = ix->slot[s].cnt + nreaders;
    }
    for (int i = 0; i < nreaders; i++) {
        ix->rd[i].ix = ix;
        ix->rd[i].i = i;
    }
    return ix;
fail:
    log_error("capture", "cannot allocate the shared index of %d readers", nreaders);
    cap_index_free(ix);
    return NULL;
}

void cap_index_free(struct cap_index *ix)
{
    if (ix == NULL)
        return;
    free(ix->mem);
    free(ix->rd);
    free(ix->slot);
    free(ix);
}

struct cap_index_reader *cap_index_reader(struct cap_index *ix, int i, struct cap *c)
{
    if (i < 0 || i >= ix->n || !cap_is_mapped(c))
        return NULL;
    ix->rd[i].cap = c;
    ix->rd[i].base = cap_scan_base(c);
    return &ix->rd[i];
}

/* Index chunk k into s with the claiming reader's handle c: the walk each
 * reader of cap_loop.c made for itself, once. */
static void cap_index_fill(struct cap_index *ix, struct cap_index_slot *s, uint64_t k, struct cap *c)
{
    uint32_t n = (uint32_t)ix->n, *ent = s->ent, cnt[CAP_INDEX_MAX_READERS] = { 0 };
    size_t start = k == 0 ? cap_scan_begin(c) : ix->next_off, off = start;
    struct timeval tick = ix->tick, last = ix->last;
    uint64_t npkts = 0;
    int rc = 0;

    for (uint32_t rec = 0; rec < CAP_INDEX_RECS; rec++) {
        uint32_t delta = (uint32_t)(off - start), caplen, w;
        const uint8_t *data;
        struct timeval ts;
        int got = cap_scan(c, &off, &ts, &caplen, &data);

        if (got < 0) {
            rc = got;
            break;
        }
        if (got == 0)
            continue;       /* dropped by the BPF filter, as cap_next does */
        npkts++;
        if (timercmp(&ts, &last, >))
            last = ts;
        w = n == 1 ? 0 : cap_hash(ix->dl, data, caplen, ix->vlan) % n;
        if (ts.tv_sec > tick.tv_sec) {
            bool first = tick.tv_sec == 0;
            tick = ts;
            if (!first) {
                /* every worker ticks here, the owner before its packet */
                for (uint32_t j = 0; j < n; j++)
                    ent[(size_t)j * CAP_INDEX_RECS + cnt[j]++] =
                        delta | CAP_INDEX_FTICK | (j == w ? CAP_INDEX_FPKT : 0);
                continue;
            }
        }
        ent[(size_t)w * CAP_INDEX_RECS + cnt[w]++] = delta | CAP_INDEX_FPKT;
    }
    memcpy(s->cnt, cnt, n * sizeof(*cnt));
    s->start = start;
    s->npkts = npkts;
    s->last = last;
    s->rc = rc;
    ix->next_off = off;
    ix->tick = tick;
    ix->last = last;
}

/* May chunk k go into its slot: has every reader finished the chunk that
 * slot held before (k - nslots)? */
static bool cap_index_free_slot(struct cap_index *ix, uint64_t k)
{
    if (k < ix->nslots)
        return true;
    for (int i = 0; i < ix->n; i++)
        if (atomic_load_explicit(&ix->rd[i].done, memory_order_acquire) < k - ix->nslots + 1)
            return false;
    return true;
}

static void cap_index_pause(unsigned spins)
{
    if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else if (spins < 256) {
        sched_yield();
    } else {
        /* waiting for the slowest reader: sleep rather than take the core */
        struct timespec t = { 0, 50 * 1000 };
        nanosleep(&t, NULL);
    }
}

/* Chunk k, ready to read (indexed by this reader if it is first), or NULL
 * when told to stop while waiting. Once per chunk: kept out of line, so that
 * cap_index_next, called per packet, stays a small leaf-like function. */
__attribute__((noinline)) static const struct cap_index_slot *cap_index_get(struct cap_index_reader *r, uint64_t k)
{
    struct cap_index *ix = r->ix;
    struct cap_index_slot *s = &ix->slot[k % ix->nslots];

    for (unsigned spins = 0;; spins++) {
        unsigned long long want = k;

        if (atomic_load_explicit(&s->ready, memory_order_acquire) == k + 1)
            return s;
        if (atomic_load_explicit(&ix->claimed, memory_order_relaxed) == k && cap_index_free_slot(ix, k) &&
            atomic_compare_exchange_strong(&ix->claimed, &want, k + 1)) {
            cap_index_fill(ix, s, k, r->cap);
            atomic_store_explicit(&s->ready, k + 1, memory_order_release);
            return s;
        }
        if (ix->stop != NULL && atomic_load_explicit(ix->stop, memory_order_relaxed))
            return NULL;
        cap_index_pause(spins);
    }
}

/* Lets the finished chunk go and takes the next that holds an entry for
 * r: 0, or -1 / -2 at the end. Once per chunk: this and
 * cap_index_next_chunk stay out of line, so that cap_index_next, per
 * packet, saves few registers. */
__attribute__((noinline)) static int cap_index_turn(struct cap_index_reader *r)
{
    for (;;) {
        const struct cap_index_slot *s = r->s;

        if (s != NULL) {
            /* everything needed from the slot is read before it is let go */
            r->seen += s->npkts;
            r->last = s->last;
            r->end_rc = s->rc;
            r->s = NULL;
            r->k++;
            atomic_store_explicit(&r->done, r->k, memory_order_release);
        }
        if (r->end_rc != 0)
            return r->end_rc;
        s = cap_index_get(r, r->k);
        if (s == NULL)
            return -1;
        r->s = s;
        r->e = s->ent + (size_t)r->i * CAP_INDEX_RECS;
        r->cnt = s->cnt[r->i];
        r->pos = 0;
        r->start = s->start;
        if (r->cnt > 0)
            return 0;
    }
}

/* The reader's next entry (there is one). */
static inline int cap_index_emit(struct cap_index_reader *r, struct timeval *ts, uint32_t *caplen,
                                 uint32_t *len, const uint8_t **data)
{
    uint32_t e = r->e[r->pos++];

    /* the records are scattered: ask for one a few ahead, as the walk's
     * prefetch did for the next headers */
    if (r->pos + CAP_INDEX_AHEAD < r->cnt)
        __builtin_prefetch(r->base + r->start + (r->e[r->pos + CAP_INDEX_AHEAD] & CAP_INDEX_OFF));
    cap_record(r->cap, r->start + (e & CAP_INDEX_OFF), ts, caplen, len, data);
    return (e & CAP_INDEX_FPKT ? CAP_INDEX_PACKET : 0) | (e & CAP_INDEX_FTICK ? CAP_INDEX_TICK : 0);
}

__attribute__((noinline)) static int cap_index_next_chunk(struct cap_index_reader *r, struct timeval *ts,
                                                          uint32_t *caplen, uint32_t *len,
                                                          const uint8_t **data)
{
    int rc = cap_index_turn(r);

    return rc != 0 ? rc : cap_index_emit(r, ts, caplen, len, data);
}

int cap_index_next(struct cap_index_reader *r, struct timeval *ts, uint32_t *caplen, uint32_t *len,
                   const uint8_t **data)
{
    if (r->pos >= r->cnt)
        return cap_index_next_chunk(r, ts, caplen, len, data);
    return cap_index_emit(r, ts, caplen, len, data);
}

void cap_index_progress(const struct cap_index_reader *r, uint64_t *seen, struct timeval *last)
{
    *seen = r->seen;
    *last = r->last;
}

void cap_index_leave(struct cap_index_reader *r)
{
    atomic_store_explicit(&r->done, UINT64_MAX, memory_order_release);
}
