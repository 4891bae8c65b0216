/* tcp_session: the per-worker session pool and the session accessors.
 *
 * A pool slot is a struct tcp_session followed by the two directions'
 * match-window tails (cfg.window bytes each), carved in tcp_ctx_new(); a
 * session is taken on a SYN (or a midstream pickup) and given back, with its
 * held segments, when the flow ends. Never-used slots are taken last so the
 * untouched part of a large stream.memcap stays uncommitted.
 */
#include <string.h>

#include "stream/stream_private.h"

struct tcp_session *tcp_session_get(struct tcp_ctx *ctx)
{
    struct tcp_session *s = ctx->ssn_free;
    uint8_t *slot;

    if (s != NULL) {
        ctx->ssn_free = s->next_free;
        slot = (uint8_t *)s;
    } else if (ctx->ssn_hwm < ctx->ssn_max) {
        slot = ctx->ssn_mem + (size_t)ctx->ssn_hwm++ * ctx->ssn_size;
        s = (struct tcp_session *)slot;
    } else {
        return NULL;
    }
    memset(s, 0, sizeof(*s));
    if (ctx->cfg.window > 0) {
        size_t base = tcp_session_align(sizeof(struct tcp_session));
        s->d[0].tail = slot + base;
        s->d[1].tail = slot + base + tcp_session_align(ctx->cfg.window);
    }
    ctx->ssn_used++;
    return s;
}

void tcp_session_put(struct tcp_ctx *ctx, struct tcp_session *s)
{
    tcp_seg_free_all(ctx, &s->d[0]);
    tcp_seg_free_all(ctx, &s->d[1]);
    s->next_free = ctx->ssn_free;
    ctx->ssn_free = s;
    ctx->ssn_used--;
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

