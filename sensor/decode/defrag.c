/* defrag: IPv4 and IPv6 fragment reassembly for one worker (policy and
 * limits are stated in defrag.h).
 *
 * Everything is carved in defrag_new(): trackers (hashed by key, and on a
 * list ordered by creation for timeouts and eviction), pieces (sorted,
 * non-overlapping byte ranges of one datagram) and 256-byte data chunks,
 * whose count is the memcap. A completed datagram is copied into one output
 * buffer and decoded with dec_ip(); it lives until the next defrag_add().
 * A tracker knows its last piece, so an in-order fragment (the common case)
 * is appended there without walking the piece list.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "decode/decode_private.h"
#include "decode/defrag.h"

#define DF_CHUNK_SHIFT 8
#define DF_CHUNK (1u << DF_CHUNK_SHIFT)
#define DF_NONE UINT32_MAX
/* Largest header kept: IPv4 (60) or the unfragmentable part of IPv6. */
#define DF_HDR_MAX DF_CHUNK /* the header is held in one data chunk */
#define DF_MAX_DATAGRAM 65535u
#define DF_MAX_TRACKERS (1u << 24)
#define DF_MIN_MEMCAP (4u * 1024u)

struct df_piece {
    uint32_t off, len;   /* byte range in the datagram payload */
    uint32_t chunk;      /* first data chunk; the rest follow chunk_next[] */
    uint32_t last;       /* last data chunk (appends fill it first) */
    uint32_t next;       /* next piece by offset */
};

struct df_tracker {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint16_t vlan[PKT_MAX_VLAN];
    uint8_t proto, version;
    bool have_first, have_last;
    uint32_t end;        /* payload length, known once the last fragment came */
    uint32_t max_end;    /* highest byte held + 1 */
    uint32_t held;       /* payload bytes held */
    uint32_t npieces;
    uint32_t pieces;     /* head of the sorted piece list */
    uint32_t tail;       /* its last piece (the highest offset), DF_NONE when empty */
    uint32_t hnext;      /* hash chain, or free list */
    uint32_t bucket;
    uint32_t prev, next; /* creation order, oldest first */
    uint64_t start_us;   /* packet time of the first fragment */
    uint16_t hdr_len, nh_off;
    uint32_t hdr_chunk;  /* the header of the offset-0 fragment, once have_first */
};

struct defrag {
    struct defrag_cfg cfg;
    struct defrag_stats stats;
    uint64_t timeout_us;
    uint64_t seed;
    struct df_tracker *tr;
    uint32_t ntr, tr_free;
    uint32_t *buckets, bucket_mask;
    uint32_t oldest, newest;
    uint8_t *arena;
    uint32_t *chunk_next;
    uint32_t nchunks, chunk_free, chunks_avail;
    struct df_piece *pc;
    uint32_t pc_free;
    uint8_t *out;        /* DF_HDR_MAX + 64 KiB */
    uint64_t last_events; /* bit e: event e was counted since defrag_add() began */
};

_Static_assert(DEC_EV_MAX <= 64, "defrag_last_events() keeps one bit per event code");

static void df_event(struct defrag *d, struct packet *ev_pkt, struct dec_stats *st,
                     enum dec_event ev)
{
    if (ev_pkt != NULL && ev_pkt->event == DEC_EV_NONE)
        ev_pkt->event = ev;
    if (st != NULL)
        st->events[ev]++;
    d->last_events |= 1ull << ev;
}

static uint64_t df_time_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static inline uint64_t df_rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* Bucket of a fragment's key. Four independent seeded multiplies (source,
 * destination, id + protocol, VLANs) and one finalizer: a short dependency
 * chain per fragment, where mixing the 32 address bytes one word after the
 * other was a chain of eight multiplies. The seed enters every product, so
 * colliding keys cannot be chosen without it. */
static uint32_t df_hash(const struct defrag *d, const struct packet *p)
{
    uint64_t s = d->seed, a[2], b[2], x, y, z, h;

    memcpy(a, p->src, 16);
    memcpy(b, p->dst, 16);
    x = (a[0] ^ s) * 0x9e3779b97f4a7c15ull + (a[1] ^ df_rotl(s, 17)) * 0xc2b2ae3d27d4eb4full;
    y = (b[0] ^ df_rotl(s, 31)) * 0x165667b19e3779f9ull + (b[1] ^ df_rotl(s, 47)) * 0xd6e8feb86659fd93ull;
    z = (((uint64_t)p->frag_id << 8 | p->proto) ^ df_rotl(s, 7)) * 0xff51afd7ed558ccdull +
        (((uint64_t)p->vlan[0] << 16 | p->vlan[1]) ^ df_rotl(s, 53)) * 0xc4ceb9fe1a85ec53ull;
    h = x ^ df_rotl(y, 29) ^ df_rotl(z, 43);
    h ^= h >> 32;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 29;
    return (uint32_t)h & d->bucket_mask;
}

static bool df_match(const struct df_tracker *t, const struct packet *p)
{
    return t->id == p->frag_id && t->proto == p->proto && t->version == p->ip_version &&
           t->vlan[0] == p->vlan[0] && t->vlan[1] == p->vlan[1] &&
           memcmp(t->src, p->src, 16) == 0 && memcmp(t->dst, p->dst, 16) == 0;
}

struct defrag *defrag_new(const struct defrag_cfg *cfg)
{
    struct defrag *d = NULL;
    uint32_t nb = 1;

    if (cfg == NULL || cfg->max_trackers == 0 || cfg->max_trackers > DF_MAX_TRACKERS ||
        cfg->memcap < DF_MIN_MEMCAP || (cfg->memcap >> DF_CHUNK_SHIFT) >= DF_NONE)
        goto fail;
    d = calloc(1, sizeof(*d));
    if (d == NULL)
        goto fail;
    d->cfg = *cfg;
    d->timeout_us = (uint64_t)cfg->timeout_sec * 1000000u;
    if (getrandom(&d->seed, sizeof(d->seed), GRND_NONBLOCK) != (ssize_t)sizeof(d->seed))
        d->seed = 0x2545f491u; /* any value works; random only resists collisions */
    d->ntr = cfg->max_trackers;
    while (nb < d->ntr)
        nb <<= 1;
    d->bucket_mask = nb - 1;
    d->nchunks = (uint32_t)(cfg->memcap >> DF_CHUNK_SHIFT);
    d->tr = calloc(d->ntr, sizeof(*d->tr));
    d->buckets = malloc((size_t)nb * sizeof(*d->buckets));
    d->arena = malloc((size_t)d->nchunks << DF_CHUNK_SHIFT);
    d->chunk_next = malloc((size_t)d->nchunks * sizeof(*d->chunk_next));
    d->pc = malloc((size_t)d->nchunks * sizeof(*d->pc));
    d->out = malloc(DF_HDR_MAX + DF_MAX_DATAGRAM + 1);
    if (d->tr == NULL || d->buckets == NULL || d->arena == NULL || d->chunk_next == NULL ||
        d->pc == NULL || d->out == NULL)
        goto fail;
    for (uint32_t i = 0; i < nb; i++)
        d->buckets[i] = DF_NONE;
    for (uint32_t i = 0; i < d->ntr; i++)
        d->tr[i].hnext = i + 1 < d->ntr ? i + 1 : DF_NONE;
    for (uint32_t i = 0; i < d->nchunks; i++) {
        d->chunk_next[i] = i + 1 < d->nchunks ? i + 1 : DF_NONE;
        d->pc[i].next = i + 1 < d->nchunks ? i + 1 : DF_NONE;
    }
    d->tr_free = 0;
    d->chunk_free = 0;
    d->pc_free = 0;
    d->chunks_avail = d->nchunks;
    d->oldest = d->newest = DF_NONE;
    return d;
fail:
    defrag_free(d);
    return NULL;
}

void defrag_free(struct defrag *d)
{
    if (d == NULL)
        return;
    free(d->tr);
    free(d->buckets);
    free(d->arena);
    free(d->chunk_next);
    free(d->pc);
    free(d->out);
    free(d);
}

const struct defrag_stats *defrag_get_stats(const struct defrag *d)
{
    return &d->stats;
}

uint64_t defrag_last_events(const struct defrag *d)
{
    return d->last_events;
}

static uint32_t df_chunk_take(struct defrag *d)
{
    uint32_t ci = d->chunk_free;

    d->chunk_free = d->chunk_next[ci];
    d->chunks_avail--;
    d->chunk_next[ci] = DF_NONE;
    return ci;
}

static void df_chunk_give(struct defrag *d, uint32_t ci)
{
    d->chunk_next[ci] = d->chunk_free;
    d->chunk_free = ci;
    d->chunks_avail++;
}

/* Return a tracker's pieces and chunks to the pools and unlink it. */
static void df_tracker_release(struct defrag *d, uint32_t ti)
{
    struct df_tracker *t = &d->tr[ti];
    uint32_t *link;

    for (uint32_t pi = t->pieces; pi != DF_NONE;) {
        uint32_t pnext = d->pc[pi].next, ci = d->pc[pi].chunk;

        while (ci != DF_NONE) {
            uint32_t cnext = d->chunk_next[ci];

            df_chunk_give(d, ci);
            ci = cnext;
        }
        d->pc[pi].next = d->pc_free;
        d->pc_free = pi;
        pi = pnext;
    }
    if (t->have_first)
        df_chunk_give(d, t->hdr_chunk);
    /* the hash chain is short: find the link that points at ti */
    link = &d->buckets[t->bucket];
    while (*link != DF_NONE && *link != ti)
        link = &d->tr[*link].hnext;
    if (*link == ti)
        *link = t->hnext;
    if (t->prev != DF_NONE)
        d->tr[t->prev].next = t->next;
    else
        d->oldest = t->next;
    if (t->next != DF_NONE)
        d->tr[t->next].prev = t->prev;
    else
        d->newest = t->prev;
    t->hnext = d->tr_free;
    d->tr_free = ti;
}

static void df_drop_tracker(struct defrag *d, uint32_t ti)
{
    df_tracker_release(d, ti);
}

/* Expire the oldest trackers whose time is up; at most `budget` of them. */
static void df_expire(struct defrag *d, uint64_t now_us, struct dec_stats *st, uint32_t budget)
{
    while (budget-- > 0 && d->oldest != DF_NONE &&
           d->tr[d->oldest].start_us + d->timeout_us < now_us) {
        df_tracker_release(d, d->oldest);
        d->stats.timeouts++;
        df_event(d, NULL, st, DEC_EV_FRAG_TIMEOUT);
    }
}

void defrag_timeout(struct defrag *d, struct timeval now, struct dec_stats *st)
{
    df_expire(d, df_time_us(now), st, UINT32_MAX);
}

static uint32_t df_lookup(struct defrag *d, const struct packet *p, uint32_t bucket)
{
    for (uint32_t ti = d->buckets[bucket]; ti != DF_NONE; ti = d->tr[ti].hnext)
        if (df_match(&d->tr[ti], p))
            return ti;
    return DF_NONE;
}

static uint32_t df_tracker_new(struct defrag *d, const struct packet *p, uint32_t bucket,
                               uint64_t now_us)
{
    struct df_tracker *t;
    uint32_t ti;

    if (d->tr_free == DF_NONE) { /* pool full: the oldest datagram goes */
        df_tracker_release(d, d->oldest);
        d->stats.evicted++;
    }
    ti = d->tr_free;
    t = &d->tr[ti];
    d->tr_free = t->hnext;
    memset(t, 0, sizeof(*t));
    memcpy(t->src, p->src, 16);
    memcpy(t->dst, p->dst, 16);
    t->id = p->frag_id;
    t->proto = p->proto;
    t->version = p->ip_version;
    t->vlan[0] = p->vlan[0];
    t->vlan[1] = p->vlan[1];
    t->pieces = DF_NONE;
    t->tail = DF_NONE;
    t->start_us = now_us;
    t->bucket = bucket;
    t->hnext = d->buckets[bucket];
    d->buckets[bucket] = ti;
    t->prev = d->newest;
    t->next = DF_NONE;
    if (d->newest != DF_NONE)
        d->tr[d->newest].next = ti;
    else
        d->oldest = ti;
    d->newest = ti;
    return ti;
}

/* What a fragment would add: new pieces (a gap right after a held piece
 * extends it instead), chunks they need, and whether any of its bytes is
 * held already. */
struct df_gap_walk {
    uint32_t gaps, chunks, bytes;
    bool overlap;
};

/* Chunks needed to add n bytes to a piece that holds `have` bytes. */
static uint32_t df_chunks_for(uint32_t have, uint32_t n)
{
    uint32_t room = (DF_CHUNK - (have & (DF_CHUNK - 1))) & (DF_CHUNK - 1);

    return n > room ? (n - room + DF_CHUNK - 1) >> DF_CHUNK_SHIFT : 0;
}

/* Append n bytes to piece pi, filling its last chunk before taking new ones
 * (so in-order tiny fragments do not waste a chunk each). */
static void df_piece_append(struct defrag *d, uint32_t pi, const uint8_t *data, uint32_t n)
{
    struct df_piece *pc = &d->pc[pi];
    uint32_t used = pc->len & (DF_CHUNK - 1);

    if (pc->len > 0 && used != 0) {
        uint32_t k = DF_CHUNK - used < n ? DF_CHUNK - used : n;

        memcpy(d->arena + ((size_t)pc->last << DF_CHUNK_SHIFT) + used, data, k);
        data += k;
        n -= k;
        pc->len += k;
    }
    while (n > 0) {
        uint32_t ci = df_chunk_take(d), k = n < DF_CHUNK ? n : DF_CHUNK;

        memcpy(d->arena + ((size_t)ci << DF_CHUNK_SHIFT), data, k);
        if (pc->len == 0)
            pc->chunk = ci;
        else
            d->chunk_next[pc->last] = ci;
        pc->last = ci;
        data += k;
        n -= k;
        pc->len += k;
    }
}

/* Walk the gaps that [off, off+len) leaves between held pieces, counting
 * them into *w; when fill is true, store each gap ("first" policy: held
 * bytes are never replaced). Both passes see the same pieces, so the counts
 * of the first pass are exactly what the second one takes. */
static void df_gaps(struct defrag *d, struct df_tracker *t, uint32_t off, uint32_t len,
                    const uint8_t *data, bool fill, struct df_gap_walk *w)
{
    uint32_t cur = off, stop = off + len, prev = DF_NONE, it = t->pieces;

    memset(w, 0, sizeof(*w));
    while (cur < stop) {
        uint32_t gap_end, n;
        bool merge;

        while (it != DF_NONE && d->pc[it].off + d->pc[it].len <= cur) {
            prev = it;
            it = d->pc[it].next;
        }
        if (it != DF_NONE && d->pc[it].off <= cur) { /* cur is held already */
            w->overlap = true;
            cur = d->pc[it].off + d->pc[it].len;
            prev = it;
            it = d->pc[it].next;
            continue;
        }
        gap_end = (it != DF_NONE && d->pc[it].off < stop) ? d->pc[it].off : stop;
        n = gap_end - cur;
        merge = prev != DF_NONE && d->pc[prev].off + d->pc[prev].len == cur;
        w->chunks += df_chunks_for(merge ? d->pc[prev].len : 0, n);
        w->gaps += !merge;
        w->bytes += n;
        if (fill) {
            if (!merge) { /* a new piece between prev and it */
                uint32_t pi = d->pc_free;

                d->pc_free = d->pc[pi].next;
                d->pc[pi] = (struct df_piece){ .off = cur, .chunk = DF_NONE, .last = DF_NONE,
                                               .next = it };
                if (prev == DF_NONE)
                    t->pieces = pi;
                else
                    d->pc[prev].next = pi;
                if (it == DF_NONE)
                    t->tail = pi;
                prev = pi;
                t->npieces++;
            }
            df_piece_append(d, prev, data + (cur - off), n);
            t->held += n;
        }
        cur = gap_end;
    }
}

/* In-order fragments (the common case) start at or after the end of the
 * last piece: they hold no byte already held and make one gap, right after
 * the tail (extending it when adjacent). This is what df_gaps() finds and
 * does for them, without walking the piece list twice. */
static bool df_is_append(const struct defrag *d, const struct df_tracker *t, uint32_t off,
                         uint32_t len)
{
    return len > 0 && (t->tail == DF_NONE || d->pc[t->tail].off + d->pc[t->tail].len <= off);
}

static void df_append_plan(const struct defrag *d, const struct df_tracker *t, uint32_t off,
                           uint32_t len, struct df_gap_walk *w)
{
    bool merge = t->tail != DF_NONE && d->pc[t->tail].off + d->pc[t->tail].len == off;

    *w = (struct df_gap_walk){ .gaps = !merge,
                               .chunks = df_chunks_for(merge ? d->pc[t->tail].len : 0, len),
                               .bytes = len };
}

static void df_append_fill(struct defrag *d, struct df_tracker *t, uint32_t off, uint32_t len,
                           const uint8_t *data)
{
    if (t->tail == DF_NONE || d->pc[t->tail].off + d->pc[t->tail].len != off) {
        uint32_t pi = d->pc_free;

        d->pc_free = d->pc[pi].next;
        d->pc[pi] = (struct df_piece){ .off = off, .chunk = DF_NONE, .last = DF_NONE,
                                       .next = DF_NONE };
        if (t->tail == DF_NONE)
            t->pieces = pi;
        else
            d->pc[t->tail].next = pi;
        t->tail = pi;
        t->npieces++;
    }
    df_piece_append(d, t->tail, data, len);
    t->held += len;
}

/* Make room for `need` chunks by evicting the oldest other trackers. */
static bool df_make_room(struct defrag *d, uint32_t keep, uint32_t need)
{
    while (d->chunks_avail < need) {
        uint32_t victim = d->oldest;

        if (victim == keep)
            victim = d->tr[victim].next;
        if (victim == DF_NONE)
            return false;
        df_tracker_release(d, victim);
        d->stats.evicted++;
    }
    return true;
}

/* Copy the held datagram into d->out, fix its header, decode it into out. */
static int df_complete(struct defrag *d, uint32_t ti, const struct packet *p,
                       struct packet *out, struct dec_stats *st)
{
    struct df_tracker *t = &d->tr[ti];
    uint32_t total = t->hdr_len + t->end;
    uint8_t *o = d->out;
    uint64_t before[DEC_EV_MAX];
    enum dec_result r;

    memcpy(o, d->arena + ((size_t)t->hdr_chunk << DF_CHUNK_SHIFT), t->hdr_len);
    for (uint32_t pi = t->pieces; pi != DF_NONE; pi = d->pc[pi].next) {
        uint8_t *dst = o + t->hdr_len + d->pc[pi].off;
        uint32_t left = d->pc[pi].len;

        for (uint32_t ci = d->pc[pi].chunk; ci != DF_NONE; ci = d->chunk_next[ci]) {
            uint32_t n = left < DF_CHUNK ? left : DF_CHUNK;

            memcpy(dst, d->arena + ((size_t)ci << DF_CHUNK_SHIFT), n);
            dst += n;
            left -= n;
        }
    }
    if (t->version == 4) {
        uint16_t sum;

        o[2] = (uint8_t)(total >> 8);
        o[3] = (uint8_t)total;
        o[6] &= 0x40; /* keep DF, clear MF and the offset */
        o[7] = 0;
        o[10] = o[11] = 0;
        sum = (uint16_t)~dec_csum_fold(dec_csum_add(0, o, t->hdr_len));
        memcpy(o + 10, &sum, 2);
    } else {
        uint32_t plen = total - 40;

        o[4] = (uint8_t)(plen >> 8);
        o[5] = (uint8_t)plen;
        o[t->nh_off] = t->proto;
    }
    df_drop_tracker(d, ti);
    d->stats.reassembled++;

    memset(out, 0, sizeof(*out));
    out->ts = p->ts;
    out->data = p->data;
    out->caplen = p->caplen;
    out->len = p->len;
    out->datalink = p->datalink;
    memcpy(out->vlan, p->vlan, sizeof(out->vlan));
    out->vlan_count = p->vlan_count;
    out->flags = PKT_REASSEMBLED | (p->flags & PKT_HAS_VLAN);
    if (st != NULL) /* once per datagram: note which events decoding it counts */
        memcpy(before, st->events, sizeof(before));
    r = dec_ip(out, st, o, total, d->cfg.verify_csum);
    for (int e = 0; st != NULL && e < DEC_EV_MAX; e++)
        if (st->events[e] != before[e])
            d->last_events |= 1ull << e;
    out->flags |= PKT_REASSEMBLED;
    return r == DEC_OK ? 1 : 0;
}

/* Reject fragments that can never be part of a valid datagram. */
static bool df_valid(struct defrag *d, const struct packet *p, struct packet *ev,
                     struct dec_stats *st)
{
    uint32_t hdr = p->ip_version == 4 ? p->ip_hlen : p->frag_hdr_off;
    uint32_t max = p->ip_version == 4 ? DF_MAX_DATAGRAM - hdr : DF_MAX_DATAGRAM + 40 - hdr;

    if ((p->flags & PKT_TRUNCATED) || hdr > DF_HDR_MAX ||
        (p->frag_more && (p->frag_data_len == 0 || (p->frag_data_len & 7) != 0))) {
        d->stats.invalid++;
        df_event(d, ev, st, DEC_EV_FRAG_INVALID);
        return false;
    }
    if ((uint32_t)p->frag_off + p->frag_data_len > max) {
        d->stats.invalid++;
        df_event(d, ev, st, DEC_EV_FRAG_TOO_LARGE);
        return false;
    }
    return true;
}

int defrag_add(struct defrag *d, const struct packet *p, struct packet *out,
               struct dec_stats *st)
{
    /* p is const for the caller's sake: events are counted in st and
     * reported through out->event, which the caller may read on 0 */
    struct packet *ev = out;
    uint64_t now_us = df_time_us(p->ts);
    uint32_t bucket, ti, off = p->frag_off, len = p->frag_data_len, need;
    struct df_tracker *t;
    struct df_gap_walk w;
    bool append;

    out->event = DEC_EV_NONE;
    d->last_events = 0;
    if (!(p->flags & PKT_IS_FRAGMENT) || (p->ip_version != 4 && p->ip_version != 6))
        return 0;
    d->stats.fragments++;
    df_expire(d, now_us, st, 4);
    if (!df_valid(d, p, ev, st))
        return 0;

    bucket = df_hash(d, p);
    ti = df_lookup(d, p, bucket);
    if (ti != DF_NONE && d->tr[ti].start_us + d->timeout_us < now_us) {
        df_tracker_release(d, ti);
        d->stats.timeouts++;
        df_event(d, NULL, st, DEC_EV_FRAG_TIMEOUT);
        ti = DF_NONE;
    }
    if (ti == DF_NONE)
        ti = df_tracker_new(d, p, bucket, now_us);
    t = &d->tr[ti];

    if (!p->frag_more) {
        if ((t->have_last && t->end != off + len) || t->max_end > off + len) {
            /* a second, different end: keep the first, refuse this one */
            d->stats.invalid++;
            df_event(d, ev, st, DEC_EV_FRAG_INVALID);
            return 0;
        }
        t->have_last = true;
        t->end = off + len;
    } else if (t->have_last && off + len > t->end) {
        d->stats.invalid++;
        df_event(d, ev, st, DEC_EV_FRAG_INVALID);
        return 0;
    }

    append = df_is_append(d, t, off, len);
    if (append)
        df_append_plan(d, t, off, len, &w);
    else
        df_gaps(d, t, off, len, NULL, false, &w);
    if (w.overlap) {
        d->stats.overlaps++;
        df_event(d, ev, st, DEC_EV_FRAG_OVERLAP);
    }
    if (t->npieces + w.gaps > DEFRAG_MAX_PIECES) {
        d->stats.invalid++;
        df_event(d, ev, st, DEC_EV_FRAG_TOO_MANY);
        df_drop_tracker(d, ti);
        return 0;
    }
    need = w.chunks + (off == 0 && !t->have_first);
    if (d->chunks_avail < need) {
        df_event(d, ev, st, DEC_EV_FRAG_MEMCAP);
        if (!df_make_room(d, ti, need)) {
            d->stats.memcap_drops++;
            if (t->npieces == 0)
                df_drop_tracker(d, ti);
            return 0;
        }
    }
    if (append)
        df_append_fill(d, t, off, len, p->frag_data);
    else if (w.bytes > 0)
        df_gaps(d, t, off, len, p->frag_data, true, &w);
    if (off + len > t->max_end)
        t->max_end = off + len;
    if (off == 0 && !t->have_first) {
        uint32_t hl = p->ip_version == 4 ? p->ip_hlen : p->frag_hdr_off;

        t->hdr_chunk = df_chunk_take(d);
        memcpy(d->arena + ((size_t)t->hdr_chunk << DF_CHUNK_SHIFT), p->l3, hl);
        t->hdr_len = (uint16_t)hl;
        t->nh_off = p->frag_nh_off;
        t->have_first = true;
    }
    if (t->have_first && t->have_last && t->held == t->end)
        return df_complete(d, ti, p, out, st);
    return 0;
}
