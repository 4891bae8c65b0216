/* tcp_ctx: a worker's reassembly context: config, counters and the pools.
 *
 * Everything the stream stage needs per packet is carved here at start:
 * sessions and match-window tails (each pool big enough to spend all of
 * stream.memcap alone; together they are held to it by ssn_bytes), segments
 * (stream.reassembly.memcap / TCP_SEG_CAP) and the window scratch. The
 * pools are address space until used: never-used slots are handed out last,
 * so RSS follows the sessions and tails in use, not the memcaps.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flow_mem.h"
#include "log.h"
#include "stream/stream_private.h"

struct tcp_ctx *tcp_ctx_new(const struct tcp_cfg *cfg, tcp_data_fn cb, void *cb_arg)
{
    struct tcp_ctx *ctx = NULL;
    uint64_t nsegs, nssn, ntail = 0;

    if (cfg == NULL || cb == NULL)
        goto fail;
    ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        goto nomem;
    ctx->cfg = *cfg;
    ctx->cb = cb;
    ctx->cb_arg = cb_arg;
    ctx->ssn_size = tcp_session_align(sizeof(struct tcp_session));
    ctx->tail_size = tcp_session_align(cfg->window);
    nssn = cfg->memcap / ctx->ssn_size;
    if (ctx->tail_size > 0)
        ntail = cfg->memcap / ctx->tail_size;
    nsegs = cfg->reasm_memcap / TCP_SEG_CAP;
    if (nssn == 0 || nssn > UINT32_MAX) {
        log_error("stream", "stream.memcap: %llu bytes per worker is out of range "
                  "(a session takes %zu bytes; use 1mb or more)",
                  (unsigned long long)cfg->memcap, ctx->ssn_size);
        goto fail;
    }
    if (nsegs > UINT32_MAX) {
        log_error("stream", "stream.reassembly.memcap: %llu bytes per worker is too large",
                  (unsigned long long)cfg->reasm_memcap);
        goto fail;
    }
    if (ntail > UINT32_MAX)
        ntail = UINT32_MAX;
    ctx->ssn_max = (uint32_t)nssn;
    ctx->tail_max = (uint32_t)ntail;
    ctx->segs_max = (uint32_t)nsegs;
    ctx->ssn_mem = malloc((size_t)nssn * ctx->ssn_size);
    ctx->tail_mem = ntail > 0 ? malloc((size_t)ntail * ctx->tail_size) : NULL;
    ctx->segs = nsegs > 0 ? malloc((size_t)nsegs * sizeof(struct tcp_seg)) : NULL;
    ctx->scratch = malloc((size_t)cfg->window + TCP_CHUNK_MAX);
    if (ctx->ssn_mem == NULL || (ntail > 0 && ctx->tail_mem == NULL) ||
        (nsegs > 0 && ctx->segs == NULL) || ctx->scratch == NULL)
        goto nomem;
    flow_mem_huge(ctx->ssn_mem, (size_t)nssn * ctx->ssn_size);
    flow_mem_huge(ctx->tail_mem, (size_t)ntail * ctx->tail_size);
    flow_mem_huge(ctx->segs, (size_t)nsegs * sizeof(struct tcp_seg));
    return ctx;
nomem:
    log_error("stream", "out of memory for the stream pools (stream.memcap %llu, "
              "stream.reassembly.memcap %llu per worker)",
              cfg != NULL ? (unsigned long long)cfg->memcap : 0ULL,
              cfg != NULL ? (unsigned long long)cfg->reasm_memcap : 0ULL);
fail:
    tcp_ctx_free(ctx);
    return NULL;
}

void tcp_ctx_free(struct tcp_ctx *ctx)
{
    if (ctx == NULL)
        return;
    free(ctx->ssn_mem);
    free(ctx->tail_mem);
    free(ctx->segs);
    free(ctx->scratch);
    free(ctx);
}

const struct tcp_stats *tcp_ctx_stats(const struct tcp_ctx *ctx)
{
    return &ctx->st;
}

uint64_t tcp_ctx_held_bytes(const struct tcp_ctx *ctx)
{
    return ctx->held_bytes;
}

uint32_t tcp_ctx_sessions_in_use(const struct tcp_ctx *ctx)
{
    return ctx->ssn_used;
}

static const char *const ctx_event_names[TCP_EV_MAX] = {
    [TCP_EV_OVERLAP_DIFF] = "stream.reassembly_overlap_different_data",
    [TCP_EV_GAP] = "stream.reassembly_seq_gap",
    [TCP_EV_SEG_MEMCAP] = "stream.reassembly_segment_memcap",
    [TCP_EV_SSN_MEMCAP] = "stream.session_memcap",
    [TCP_EV_NO_SESSION] = "stream.pkt_without_session",
    [TCP_EV_OUT_OF_WINDOW] = "stream.pkt_out_of_window",
    [TCP_EV_RST_INVALID] = "stream.rst_invalid",
    [TCP_EV_SYNACK_BAD_ACK] = "stream.3whs_synack_with_wrong_ack",
    [TCP_EV_PKT_AFTER_CLOSE] = "stream.pkt_after_close",
};

const char *tcp_ctx_event_name(enum tcp_event ev)
{
    if ((unsigned)ev >= TCP_EV_MAX)
        return "stream.unknown";
    return ctx_event_names[ev];
}
