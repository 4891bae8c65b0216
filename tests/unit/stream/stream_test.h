/* stream_test: helpers shared by the stream unit tests: packets built by
 * hand (no capture) and a collector callback that rebuilds each direction's
 * delivered byte stream and checks the delivery contract on every call
 * (offsets contiguous, gaps as NULL data, nothing after CLOSE).
 */
#ifndef CANH_STREAM_TEST_H
#define CANH_STREAM_TEST_H

#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

#define T_FIN 0x01u
#define T_SYN 0x02u
#define T_RST 0x04u
#define T_PSH 0x08u
#define T_ACK 0x10u

#define COLL_MAX 16384

struct coll_dir {
    uint8_t buf[COLL_MAX]; /* delivered bytes; gaps filled with '?' */
    size_t len;            /* == next expected stream_offset */
    int calls, gaps, fins, rsts, closes, depths;
    uint64_t gap_bytes;
    int contract_errors;   /* offset mismatch, data after close, ... */
};

struct coll {
    struct coll_dir d[2];
    struct tcp_ctx *ctx;
    /* optional pattern counted through tcp_reasm_window() */
    const char *pat;
    int matches[2];
};

static inline void coll_cb(void *arg, struct tcp_session *s, int dir, const uint8_t *data,
                           size_t len, uint64_t off, unsigned flags)
{
    struct coll *c = arg;
    struct coll_dir *d = &c->d[dir];

    (void)s;
    d->calls++;
    if (off != d->len || d->closes > 0)
        d->contract_errors++;
    if (flags & TCP_DATA_FIN)
        d->fins++;
    if (flags & TCP_DATA_RST)
        d->rsts++;
    if (flags & TCP_DATA_CLOSE)
        d->closes++;
    if (flags & TCP_DATA_DEPTH)
        d->depths++;
    if (flags & TCP_DATA_GAP) {
        if (data != NULL || len == 0)
            d->contract_errors++;
        d->gaps++;
        d->gap_bytes += len;
        for (size_t i = 0; i < len && d->len < COLL_MAX; i++)
            d->buf[d->len++] = '?';
        return;
    }
    if (len > 0 && (data == NULL || flags != 0))
        d->contract_errors++;
    if (len > 0 && c->pat != NULL) {
        const uint8_t *w;
        size_t wl, ns, pl = strlen(c->pat);
        if (tcp_reasm_window(c->ctx, &w, &wl, &ns) != 0 || wl != ns + len ||
            memcmp(w + ns, data, len) != 0)
            d->contract_errors++;
        /* Count matches that end in the new bytes only. */
        for (size_t i = 0; i + pl <= wl; i++)
            if (i + pl > ns && memcmp(w + i, c->pat, pl) == 0)
                c->matches[dir]++;
    }
    if (data != NULL) {
        size_t n = len;
        if (d->len + n > COLL_MAX)
            n = COLL_MAX - d->len;
        memcpy(d->buf + d->len, data, n);
    }
    d->len += len;
}

static inline struct tcp_cfg t_cfg(void)
{
    struct tcp_cfg cfg = {
        .midstream = false,
        .memcap = 1 << 20,
        .reasm_memcap = 1 << 20,
        .depth = 0,
        .window = 64,
    };
    return cfg;
}

static inline struct tcp_ctx *t_ctx(struct coll *c, const struct tcp_cfg *cfg)
{
    memset(c, 0, sizeof(*c));
    c->ctx = tcp_ctx_new(cfg, coll_cb, c);
    return c->ctx;
}

static inline struct packet t_pkt(uint8_t flags, uint32_t seq, uint32_t ack, const char *payload)
{
    struct packet p;

    memset(&p, 0, sizeof(p));
    p.proto = 6;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.tcp_win = 65535;
    p.tcp_hlen = 20;
    if (payload != NULL) {
        p.payload = (const uint8_t *)payload;
        p.payload_len = (uint32_t)strlen(payload);
    }
    return p;
}

/* Send one packet; returns its event mask. */
static inline unsigned t_send(struct coll *c, struct tcp_session **s, int dir, uint8_t flags,
                              uint32_t seq, uint32_t ack, const char *payload)
{
    struct packet p = t_pkt(flags, seq, ack, payload);
    return tcp_state_packet(c->ctx, s, NULL, &p, dir);
}

/* The three-way handshake: client ISN ci, server ISN si. */
static inline void t_handshake(struct coll *c, struct tcp_session **s, uint32_t ci, uint32_t si)
{
    t_send(c, s, 0, T_SYN, ci, 0, NULL);
    t_send(c, s, 1, T_SYN | T_ACK, si, ci + 1, NULL);
    t_send(c, s, 0, T_ACK, ci + 1, si + 1, NULL);
}

static inline int t_streq(const struct coll_dir *d, const char *want)
{
    return d->len == strlen(want) && memcmp(d->buf, want, d->len) == 0;
}

#endif
