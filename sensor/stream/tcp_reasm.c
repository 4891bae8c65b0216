/* tcp_reasm: per-direction reassembly: in-order delivery, holes, gaps, depth
 * and the match window.
 *
 * In-order payload goes to the callback straight from the packet (no copy);
 * only early data is copied into pooled segments. Invariants per direction:
 * next_off only grows; every byte below it was delivered once or reported in
 * a gap; held segments all lie above it; the tail holds the last delivered
 * bytes (none after a gap) for tcp_reasm_window().
 */
#include <string.h>

#include "stream/stream_private.h"

void tcp_reasm_init_dir(struct tcp_dir *d, uint32_t next_seq)
{
    d->next_seq = next_seq;
    d->next_off = 0;
    d->max_end = 0;
    d->fin_off = 0;
    d->tail_used = 0;
    d->flags |= TCP_DF_INIT;
}

static void reasm_advance(struct tcp_dir *d, uint64_t n)
{
    d->next_off += n;
    d->next_seq += (uint32_t)n;
}

/* Keep the last cfg.window bytes of the stream in d->tail (taken from the
 * tail pool at the first delivery; without one the window stays empty). */
static void reasm_tail_update(struct tcp_ctx *ctx, struct tcp_dir *d,
                              const uint8_t *data, size_t len)
{
    size_t w = ctx->cfg.window;

    if (w == 0 || tcp_session_tail(ctx, d) == NULL)
        return;
    if (len >= w) {
        memcpy(d->tail, data + len - w, w);
        d->tail_used = (uint32_t)w;
        return;
    }
    size_t keep = d->tail_used;
    if (keep > w - len)
        keep = w - len;
    memmove(d->tail, d->tail + d->tail_used - keep, keep);
    memcpy(d->tail + keep, data, len);
    d->tail_used = (uint32_t)(keep + len);
}

static void reasm_call(struct tcp_ctx *ctx, struct tcp_session *s, int dir,
                       const uint8_t *data, size_t len, unsigned flags)
{
    /* Past depth the sequence is still followed, but the consumer's view of
     * the stream stopped at depth: later signals carry that offset. */
    uint64_t off = s->d[dir].next_off;
    if (s->d[dir].stop == 2)
        off = s->d[dir].stop_off;
    else if ((s->d[dir].flags & TCP_DF_DEPTH) && off > ctx->cfg.depth)
        off = ctx->cfg.depth;
    ctx->cb(ctx->cb_arg, s, dir, data, len, off, flags);
}

/* Depth reached: tell the consumer once and stop keeping content. */
static void reasm_check_depth(struct tcp_ctx *ctx, struct tcp_session *s, int dir)
{
    struct tcp_dir *d = &s->d[dir];

    if (ctx->cfg.depth == 0 || (d->flags & TCP_DF_DEPTH) || d->next_off < ctx->cfg.depth)
        return;
    d->flags |= TCP_DF_DEPTH;
    tcp_seg_free_all(ctx, d);
    reasm_call(ctx, s, dir, NULL, 0, TCP_DATA_DEPTH);
}

/* Bytes of the stream up to depth: how many of n bytes at next_off count. */
static uint64_t reasm_within_depth(const struct tcp_ctx *ctx, const struct tcp_dir *d, uint64_t n)
{
    if (d->flags & TCP_DF_DEPTH)
        return 0;
    if (ctx->cfg.depth != 0 && d->next_off + n > ctx->cfg.depth)
        return ctx->cfg.depth - d->next_off;
    return n;
}

/* No consumer wants more of d (tcp_reasm_stop): from here on its content is
 * neither held nor delivered, as past depth, but without the DEPTH signal;
 * the held segments and the tail go back to their pools. */
static void reasm_apply_stop(struct tcp_ctx *ctx, struct tcp_dir *d)
{
    uint64_t off = d->next_off;

    if ((d->flags & TCP_DF_DEPTH) && off > ctx->cfg.depth)
        off = ctx->cfg.depth;
    d->flags |= TCP_DF_DEPTH;
    tcp_seg_free_all(ctx, d);
    tcp_session_tail_put(ctx, d);
    d->stop = 2;
    d->stop_off = off;
    ctx->st.stopped_dirs++;
}

/* Bytes of d followed without being kept: past depth, or stopped. */
static void reasm_count_skipped(struct tcp_ctx *ctx, const struct tcp_dir *d, uint64_t n)
{
    if (d->stop)
        ctx->st.stopped_bytes += n;
    else
        ctx->st.depth_bytes += n;
}

/* Data at exactly next_off. */
static void reasm_deliver(struct tcp_ctx *ctx, struct tcp_session *s, int dir,
                          const uint8_t *data, uint64_t len)
{
    struct tcp_dir *d = &s->d[dir];
    uint64_t n = reasm_within_depth(ctx, d, len);

    while (n > 0) {
        size_t chunk = n > TCP_CHUNK_MAX ? TCP_CHUNK_MAX : (size_t)n;
        ctx->cur_dir = d;
        ctx->cur_data = data;
        ctx->cur_len = chunk;
        reasm_call(ctx, s, dir, data, chunk, 0);
        ctx->cur_dir = NULL;
        ctx->st.reassembled_bytes += chunk;
        reasm_advance(d, chunk);
        data += chunk;
        len -= chunk;
        n -= chunk;
        if (d->stop == 1) {     /* the consumer let go during the call */
            reasm_apply_stop(ctx, d);
            break;
        }
        reasm_tail_update(ctx, d, data - chunk, chunk);
    }
    reasm_check_depth(ctx, s, dir);
    if (len > 0) {
        reasm_count_skipped(ctx, d, len);
        reasm_advance(d, len);
    }
}

/* len bytes at next_off will never arrive. */
static void reasm_gap(struct tcp_ctx *ctx, struct tcp_session *s, int dir, uint64_t len)
{
    struct tcp_dir *d = &s->d[dir];
    uint64_t n = reasm_within_depth(ctx, d, len);

    if (n > 0) {
        reasm_call(ctx, s, dir, NULL, n, TCP_DATA_GAP);
        ctx->st.gaps++;
        ctx->st.gap_bytes += n;
        tcp_ctx_event(ctx, TCP_EV_GAP);
        d->tail_used = 0;
        reasm_advance(d, n);
        reasm_check_depth(ctx, s, dir);
    }
    reasm_advance(d, len - n);
}

/* Deliver held segments that are now in order, then the FIN once reached. */
static void reasm_drain(struct tcp_ctx *ctx, struct tcp_session *s, int dir)
{
    struct tcp_dir *d = &s->d[dir];
    struct tcp_seg *seg;

    while ((seg = d->head) != NULL && seg->off <= d->next_off) {
        d->head = seg->next;
        if (d->head == NULL)
            d->last = NULL;
        if (seg->off + seg->len > d->next_off) {
            uint64_t skip = d->next_off - seg->off;
            reasm_deliver(ctx, s, dir, seg->data + skip, seg->len - skip);
        }
        tcp_seg_put(ctx, seg);
    }
    if ((d->flags & (TCP_DF_FIN | TCP_DF_FIN_DONE | TCP_DF_DEPTH)) == TCP_DF_FIN &&
        d->next_off >= d->fin_off) {
        d->flags |= TCP_DF_FIN_DONE;
        ctx->st.fin++;
        reasm_call(ctx, s, dir, NULL, 0, TCP_DATA_FIN);
    }
}

/* Skip every hole below `target` as a gap, delivering held data between. */
static void reasm_skip_to(struct tcp_ctx *ctx, struct tcp_session *s, int dir, uint64_t target)
{
    struct tcp_dir *d = &s->d[dir];

    while (d->next_off < target) {
        if (d->head != NULL && d->head->off <= d->next_off) {
            reasm_drain(ctx, s, dir);
            continue;
        }
        uint64_t to = target;
        if (d->head != NULL && d->head->off < to)
            to = d->head->off;
        reasm_gap(ctx, s, dir, to - d->next_off);
        reasm_drain(ctx, s, dir);
    }
}

/* Compare bytes that were already delivered with the copy still in the
 * tail, as far as the tail reaches. True when they differ. */
static bool reasm_differs_delivered(const struct tcp_dir *d, uint64_t off,
                                    const uint8_t *data, uint64_t len)
{
    uint64_t tail_start = d->next_off - d->tail_used;
    uint64_t end = off + len;

    if (end <= tail_start || d->tail_used == 0)
        return false;
    if (off < tail_start) {
        data += tail_start - off;
        off = tail_start;
    }
    return memcmp(d->tail + (off - tail_start), data, end - off) != 0;
}

/* Hold early data. When the pool is full, this direction gives up its own
 * holes (gaps) to free its segments, and the data is tried once more. */
static void reasm_hold(struct tcp_ctx *ctx, struct tcp_session *s, int dir,
                       uint64_t off, const uint8_t *data, uint32_t len)
{
    struct tcp_dir *d = &s->d[dir];
    uint64_t limit = ctx->cfg.depth != 0 ? ctx->cfg.depth : UINT64_MAX;

    if ((d->flags & TCP_DF_FIN) && d->fin_off < limit)
        limit = d->fin_off;
    if (tcp_seg_insert(ctx, d, off, data, len, limit) == 0)
        return;
    ctx->st.seg_memcap_drops++;
    tcp_ctx_event(ctx, TCP_EV_SEG_MEMCAP);
    if (d->head == NULL || (d->flags & TCP_DF_DEPTH))
        return;
    reasm_skip_to(ctx, s, dir, d->last->off + d->last->len);
    if (off + len <= d->next_off)
        return;
    if (off < d->next_off) {
        data += d->next_off - off;
        len -= (uint32_t)(d->next_off - off);
        off = d->next_off;
    }
    if (off == d->next_off) {
        reasm_deliver(ctx, s, dir, data, len);
        reasm_drain(ctx, s, dir);
    } else if (tcp_seg_insert(ctx, d, off, data, len, limit) != 0) {
        ctx->st.seg_memcap_drops++;
    }
}

void tcp_reasm_data(struct tcp_ctx *ctx, struct tcp_session *s, int dir,
                    uint32_t seq, const uint8_t *data, uint32_t len)
{
    struct tcp_dir *d = &s->d[dir];
    int64_t off = tcp_reasm_seq_off(d, seq), end = off + len;
    int64_t next = (int64_t)d->next_off;

    ctx->st.segments++;
    if (end > next + (int64_t)TCP_MAX_AHEAD || end < next - (int64_t)TCP_MAX_AHEAD) {
        ctx->st.out_of_window++;
        tcp_ctx_event(ctx, TCP_EV_OUT_OF_WINDOW);
        return;
    }
    if ((d->flags & TCP_DF_FIN) && end > (int64_t)d->fin_off) {
        /* Nothing follows a FIN in the sequence space. */
        if (off >= (int64_t)d->fin_off)
            return;
        len = (uint32_t)((int64_t)d->fin_off - off);
        end = off + len;
    }
    if (end > (int64_t)d->max_end)
        d->max_end = (uint64_t)end;
    if (off < next) {
        /* Bytes already received: retransmission (wholly) or overlap. */
        uint32_t cut = end <= next ? len : (uint32_t)(next - off);
        if (end <= next)
            ctx->st.retransmissions++;
        ctx->st.overlaps++;
        if (off >= 0 && reasm_differs_delivered(d, (uint64_t)off, data, cut)) {
            ctx->st.overlaps_diff++;
            tcp_ctx_event(ctx, TCP_EV_OVERLAP_DIFF);
        }
        data += cut;
        len -= cut;
        off = next;
        if (len == 0)
            return;
    }
    if (d->flags & TCP_DF_DEPTH) {
        /* Content no longer kept: just follow the sequence space. */
        if ((uint64_t)end > d->next_off) {
            reasm_count_skipped(ctx, d, (uint64_t)end - d->next_off);
            reasm_advance(d, (uint64_t)end - d->next_off);
        }
        return;
    }
    if (off > next) {
        ctx->st.out_of_order++;
        reasm_hold(ctx, s, dir, (uint64_t)off, data, len);
        return;
    }
    uint64_t n = len;
    if (d->head != NULL && d->head->off - d->next_off < n)
        n = d->head->off - d->next_off;
    reasm_deliver(ctx, s, dir, data, n);
    if (n < len && !(d->flags & TCP_DF_DEPTH)) {
        /* The rest meets held data: held bytes win, the rest fills holes. */
        reasm_hold(ctx, s, dir, (uint64_t)off + n, data + n, (uint32_t)(len - n));
    }
    reasm_drain(ctx, s, dir);
}

void tcp_reasm_fin(struct tcp_ctx *ctx, struct tcp_session *s, int dir, uint32_t fin_seq)
{
    struct tcp_dir *d = &s->d[dir];
    int64_t off = tcp_reasm_seq_off(d, fin_seq);

    if (d->flags & TCP_DF_FIN)
        return;
    if (off < (int64_t)d->next_off || off > (int64_t)(d->next_off + TCP_MAX_AHEAD))
        return;
    d->flags |= TCP_DF_FIN;
    d->fin_off = (uint64_t)off;
    reasm_drain(ctx, s, dir);
}

void tcp_reasm_acked(struct tcp_ctx *ctx, struct tcp_session *s, int dir, uint32_t ack)
{
    struct tcp_dir *d = &s->d[dir];
    int64_t ack_off = tcp_reasm_seq_off(d, ack);
    uint64_t target;

    if (!(d->flags & TCP_DF_INIT) || ack_off <= (int64_t)d->next_off ||
        ack_off > (int64_t)(d->next_off + TCP_MAX_AHEAD))
        return;
    if ((d->flags & TCP_DF_FIN) && (uint64_t)ack_off > d->fin_off)
        d->flags |= TCP_DF_FIN_ACKED;
    if (d->flags & TCP_DF_DEPTH)
        return;
    /* Only up to data we saw: an ACK alone never invents a stream. */
    target = (uint64_t)ack_off < d->max_end ? (uint64_t)ack_off : d->max_end;
    if (target > d->next_off)
        reasm_skip_to(ctx, s, dir, target);
    reasm_drain(ctx, s, dir);
}

void tcp_reasm_flush(struct tcp_ctx *ctx, struct tcp_session *s, int dir)
{
    struct tcp_dir *d = &s->d[dir];

    if (!(d->flags & TCP_DF_INIT))
        return;
    if (d->last != NULL)
        reasm_skip_to(ctx, s, dir, d->last->off + d->last->len);
    if ((d->flags & TCP_DF_FIN) && d->fin_off > d->next_off)
        reasm_skip_to(ctx, s, dir, d->fin_off);
    reasm_drain(ctx, s, dir);
}

void tcp_reasm_signal(struct tcp_ctx *ctx, struct tcp_session *s, int dir, unsigned flags)
{
    struct tcp_dir *d = &s->d[dir];

    if (d->flags & TCP_DF_CLOSED)
        return;
    if (flags & TCP_DATA_CLOSE)
        d->flags |= TCP_DF_CLOSED;
    reasm_call(ctx, s, dir, NULL, 0, flags);
}

int tcp_reasm_window(struct tcp_ctx *ctx, const uint8_t **buf, size_t *len, size_t *new_start)
{
    const struct tcp_dir *d = ctx->cur_dir;

    if (d == NULL)
        return -1;
    if (d->tail_used > 0)
        memcpy(ctx->scratch, d->tail, d->tail_used);
    memcpy(ctx->scratch + d->tail_used, ctx->cur_data, ctx->cur_len);
    *buf = ctx->scratch;
    *len = d->tail_used + ctx->cur_len;
    *new_start = d->tail_used;
    return 0;
}

void tcp_reasm_stop(struct tcp_ctx *ctx, struct tcp_session *s, int dir)
{
    struct tcp_dir *d = &s->d[dir];

    if (d->stop)
        return;
    if (ctx->cur_dir == d)
        d->stop = 1;            /* applied when the delivery returns */
    else
        reasm_apply_stop(ctx, d);
}

bool tcp_reasm_stopped(const struct tcp_session *s, int dir)
{
    return s->d[dir].stop != 0;
}
