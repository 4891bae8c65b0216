/* tcp_session: the per-worker session and tail pools, session accessors.
 *
 * A session slot holds only struct tcp_session; a direction's match-window
 * tail (cfg.window bytes) comes from a second pool when the direction first
 * delivers data, so sessions that never carry payload (port scans, refused
 * connections) cost one small slot. Both are carved in tcp_ctx_new() and
 * share stream.memcap. A session is taken on a SYN (or a midstream pickup)
 * and given back, with its held segments and tails, when the flow ends.
 * Never-used slots are taken last so the untouched part of a large
 * stream.memcap stays uncommitted.
 */
#include <string.h>

#include "stream/stream_private.h"

struct tcp_tail_free {
    struct tcp_tail_free *next;
};

struct tcp_session *tcp_session_get(struct tcp_ctx *ctx)
{
    struct tcp_session *s = ctx->ssn_free;

    if (ctx->ssn_bytes + ctx->ssn_size > ctx->cfg.memcap)
        return NULL;
    if (s != NULL)
        ctx->ssn_free = s->next_free;
    else if (ctx->ssn_hwm < ctx->ssn_max)
        s = (struct tcp_session *)(ctx->ssn_mem + (size_t)ctx->ssn_hwm++ * ctx->ssn_size);
    else
        return NULL;
    memset(s, 0, sizeof(*s));
    ctx->ssn_used++;
    ctx->ssn_bytes += ctx->ssn_size;
    return s;
}

uint8_t *tcp_session_tail(struct tcp_ctx *ctx, struct tcp_dir *d)
{
    struct tcp_tail_free *t = ctx->tail_free;

    if (d->stop == 2)
        return NULL;   /* stopped: the slot holds stop_off */
    if (d->tail != NULL || ctx->tail_size == 0)
        return d->tail;
    if (ctx->ssn_bytes + ctx->tail_size > ctx->cfg.memcap) {
        ctx->st.ssn_memcap_drops++;
        return NULL;
    }
    if (t != NULL)
        ctx->tail_free = t->next;
    else if (ctx->tail_hwm < ctx->tail_max)
        t = (struct tcp_tail_free *)(ctx->tail_mem + (size_t)ctx->tail_hwm++ * ctx->tail_size);
    else
        return NULL;
    ctx->tail_used++;
    ctx->ssn_bytes += ctx->tail_size;
    d->tail = (uint8_t *)t;
    return d->tail;
}

void tcp_session_tail_put(struct tcp_ctx *ctx, struct tcp_dir *d)
{
    struct tcp_tail_free *t = d->stop == 2 ? NULL : (struct tcp_tail_free *)d->tail;

    if (t == NULL)
        return;
    t->next = ctx->tail_free;
    ctx->tail_free = t;
    ctx->tail_used--;
    ctx->ssn_bytes -= ctx->tail_size;
    d->tail = NULL;
    d->tail_used = 0;
}

void tcp_session_put(struct tcp_ctx *ctx, struct tcp_session *s)
{
    for (int i = 0; i < 2; i++) {
        tcp_seg_free_all(ctx, &s->d[i]);
        tcp_session_tail_put(ctx, &s->d[i]);
    }
    s->next_free = ctx->ssn_free;
    ctx->ssn_free = s;
    ctx->ssn_used--;
    ctx->ssn_bytes -= ctx->ssn_size;
}

enum tcp_state tcp_session_state(const struct tcp_session *s)
{
    return s->state;
}

void *tcp_session_user(const struct tcp_session *s)
{
    return s->user;
}

int tcp_session_client_dir(const struct tcp_session *s)
{
    return s->client;
}

uint64_t tcp_session_offset(const struct tcp_session *s, int dir)
{
    return s->d[dir != 0].next_off;
}

