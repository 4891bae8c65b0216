/* tcp_seg: the per-worker segment pool and the held (out-of-order) list.
 *
 * Pieces of TCP_SEG_CAP bytes are carved at start (stream.reassembly.memcap /
 * TCP_SEG_CAP of them); holding data never allocates. A direction's list is
 * sorted by stream offset and never overlaps: insertion implements the
 * "first" policy by storing only the bytes that fall in holes, and compares
 * the others with what is held.
 */
#include <string.h>

#include "stream/stream_private.h"

struct tcp_seg *tcp_seg_get(struct tcp_ctx *ctx)
{
    struct tcp_seg *seg = ctx->seg_free;

    if (seg != NULL)
        ctx->seg_free = seg->next;
    else if (ctx->segs_hwm < ctx->segs_max)
        seg = &ctx->segs[ctx->segs_hwm++];
    else
        return NULL;
    ctx->segs_used++;
    seg->next = NULL;
    seg->len = 0;
    return seg;
}

void tcp_seg_put(struct tcp_ctx *ctx, struct tcp_seg *seg)
{
    ctx->held_bytes -= seg->len;
    ctx->segs_used--;
    seg->next = ctx->seg_free;
    ctx->seg_free = seg;
}

void tcp_seg_free_all(struct tcp_ctx *ctx, struct tcp_dir *d)
{
    struct tcp_seg *seg = d->head;

    while (seg != NULL) {
        struct tcp_seg *next = seg->next;
        tcp_seg_put(ctx, seg);
        seg = next;
    }
    d->head = d->last = NULL;
}

/* Store [pos, end) of the caller's data (which starts at offset base) in
 * the hole after prev and before cur. Fills prev's spare room first when it
 * ends exactly at pos, so that small segments do not waste whole pieces.
 * Returns the offset reached (end, or less when the pool ran out). */
static uint64_t seg_fill_hole(struct tcp_ctx *ctx, struct tcp_dir *d, struct tcp_seg **prevp,
                              struct tcp_seg *cur, uint64_t base, const uint8_t *data,
                              uint64_t pos, uint64_t end)
{
    struct tcp_seg *prev = *prevp;

    while (pos < end) {
        uint32_t n;
        if (prev != NULL && prev->off + prev->len == pos && prev->len < TCP_SEG_CAP) {
            n = TCP_SEG_CAP - prev->len;
            if (n > end - pos)
                n = (uint32_t)(end - pos);
            memcpy(prev->data + prev->len, data + (pos - base), n);
            prev->len += n;
        } else {
            struct tcp_seg *seg = tcp_seg_get(ctx);
            if (seg == NULL)
                break;
            n = end - pos > TCP_SEG_CAP ? TCP_SEG_CAP : (uint32_t)(end - pos);
            seg->off = pos;
            seg->len = n;
            memcpy(seg->data, data + (pos - base), n);
            seg->next = cur;
            if (prev != NULL)
                prev->next = seg;
            else
                d->head = seg;
            if (cur == NULL)
                d->last = seg;
            prev = seg;
        }
        ctx->held_bytes += n;
        pos += n;
    }
    *prevp = prev;
    return pos;
}

int tcp_seg_insert(struct tcp_ctx *ctx, struct tcp_dir *d, uint64_t off,
                   const uint8_t *data, uint32_t len, uint64_t limit)
{
    uint64_t end = off + len, pos = off;
    struct tcp_seg *prev = NULL, *cur = d->head;
    bool overlap = false, diff = false;
    int rc = 0;

    if (end > limit)
        end = limit;
    /* Common case: the data goes after everything held. */
    if (d->last != NULL && d->last->off + d->last->len <= off) {
        prev = d->last;
        cur = NULL;
    }
    while (pos < end) {
        while (cur != NULL && cur->off + cur->len <= pos) {
            prev = cur;
            cur = cur->next;
        }
        if (cur != NULL && cur->off <= pos) {
            /* Held bytes win; only compare. */
            uint64_t ov_end = cur->off + cur->len < end ? cur->off + cur->len : end;
            overlap = true;
            if (memcmp(cur->data + (pos - cur->off), data + (pos - off), ov_end - pos) != 0)
                diff = true;
            pos = ov_end;
            continue;
        }
        uint64_t hole_end = (cur != NULL && cur->off < end) ? cur->off : end;
        uint64_t reached = seg_fill_hole(ctx, d, &prev, cur, off, data, pos, hole_end);
        if (reached < hole_end) {
            rc = -1;
            break;
        }
        pos = reached;
    }
    if (overlap) {
        ctx->st.overlaps++;
        if (diff) {
            ctx->st.overlaps_diff++;
            tcp_ctx_event(ctx, TCP_EV_OVERLAP_DIFF);
        }
    }
    return rc;
}
