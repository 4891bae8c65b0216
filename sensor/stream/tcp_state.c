/* tcp_state: the TCP session state machine, one small handler per state
 * (after Suricata's stream-tcp.c), and the stage's per-packet entry point.
 *
 * The handshake fixes each side's initial sequence number; payload and ACKs
 * then go to tcp_reasm. A session exists only from a SYN, or from any packet
 * when stream.midstream is on. A RST counts only when stream.reset-policy
 * accepts its sequence number (a forged RST must not stop inspection). No time is read: timeouts
 * belong to the flow table, which ends sessions with tcp_state_session_end().
 */
#include <stddef.h>

#include "stream/stream_private.h"

#define TCPF_FIN 0x01u
#define TCPF_SYN 0x02u
#define TCPF_RST 0x04u
#define TCPF_ACK 0x10u

/* The window scale option of a SYN (RFC 7323: at most 14), -1 if absent. */
static int state_wscale(const struct packet *p)
{
    const uint8_t *o;
    uint32_t i = 20, hlen = p->tcp_hlen;

    if (p->l4 == NULL || hlen > p->l4_len)
        return -1;
    o = p->l4;
    while (i < hlen) {
        uint8_t kind = o[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= hlen || o[i + 1] < 2 || i + o[i + 1] > hlen)
            break;
        if (kind == 3 && o[i + 1] == 3)
            return o[i + 2] > 14 ? 14 : o[i + 2];
        i += o[i + 1];
    }
    return -1;
}

/* Remember the window this side advertises (scaled once both sides agreed
 * on scaling in the handshake; a midstream pickup assumes the largest). */
static void state_window(struct tcp_session *s, int dir, const struct packet *p)
{
    struct tcp_dir *d = &s->d[dir];
    unsigned shift = 0;

    if (p->tcp_flags & TCPF_SYN)
        shift = 0;
    else if (s->midstream)
        shift = 14;
    else if (s->d[0].flags & s->d[1].flags & TCP_DF_WSCALE)
        shift = d->wscale;
    d->win = (uint32_t)p->tcp_win << shift;
}

static void state_syn_seen(struct tcp_session *s, int dir, const struct packet *p)
{
    struct tcp_dir *d = &s->d[dir];
    int ws = state_wscale(p);

    d->isn = p->tcp_seq;
    d->flags |= TCP_DF_SYN;
    if (ws >= 0) {
        d->flags |= TCP_DF_WSCALE;
        d->wscale = (uint8_t)ws;
    }
    tcp_reasm_init_dir(d, p->tcp_seq + 1);
    state_window(s, dir, p);
}

static void state_payload(struct tcp_ctx *ctx, struct tcp_session *s, int dir,
                          const struct packet *p, uint32_t seq)
{
    if (p->payload_len > 0 && p->payload != NULL)
        tcp_reasm_data(ctx, s, dir, seq, p->payload, p->payload_len);
}

/* The stream offset just past everything dir has sent: data, then its FIN
 * (which takes one sequence number). */
static uint64_t state_sent_end(const struct tcp_dir *d)
{
    uint64_t end = d->max_end > d->next_off ? d->max_end : d->next_off;

    if ((d->flags & TCP_DF_FIN) && d->fin_off + 1 > end)
        end = d->fin_off + 1;
    return end;
}

/* Does this RST of dir end the session? (stream.h: enum tcp_rst_policy) */
static bool state_rst_valid(const struct tcp_ctx *ctx, const struct tcp_session *s, int dir,
                            const struct packet *p)
{
    const struct tcp_dir *d = &s->d[dir], *r = &s->d[!dir];

    /* a RST may acknowledge only what the receiver has sent */
    if ((p->tcp_flags & TCPF_ACK) && p->tcp_ack != 0 && (r->flags & TCP_DF_INIT) &&
        tcp_reasm_seq_off(r, p->tcp_ack) > (int64_t)state_sent_end(r))
        return false;
    if (!(d->flags & TCP_DF_INIT))
        return true;   /* this side never sent anything: no sequence to check */
    int64_t off = tcp_reasm_seq_off(d, p->tcp_seq);
    if (ctx->cfg.rst_policy == TCP_RST_LINUX) {
        uint64_t win = r->win > 0 ? r->win : 1;
        return off >= (int64_t)d->next_off &&
               (uint64_t)off <= (d->max_end > d->next_off ? d->max_end : d->next_off) + win;
    }
    return off == (int64_t)state_sent_end(d);
}

/* RST: the session closes when the policy accepts it; held data of both
 * directions is flushed (holes as gaps). */
static void state_rst(struct tcp_ctx *ctx, struct tcp_session *s, int dir, const struct packet *p)
{
    if (!state_rst_valid(ctx, s, dir, p)) {
        tcp_ctx_event(ctx, TCP_EV_RST_INVALID);
        return;
    }
    ctx->st.rst++;
    s->state = TCP_STATE_CLOSED;
    for (int i = 0; i < 2; i++) {
        tcp_reasm_flush(ctx, s, i);
        tcp_reasm_signal(ctx, s, i, TCP_DATA_RST);
    }
}

/* Both directions: FINs and their ACKs decide the closing states. */
static void state_closing(struct tcp_session *s)
{
    unsigned f0 = s->d[0].flags, f1 = s->d[1].flags;
    bool fin0 = f0 & TCP_DF_FIN, fin1 = f1 & TCP_DF_FIN;
    bool ack0 = f0 & TCP_DF_FIN_ACKED, ack1 = f1 & TCP_DF_FIN_ACKED;

    if (fin0 && fin1)
        s->state = (ack0 && ack1) ? TCP_STATE_TIME_WAIT : TCP_STATE_CLOSING;
    else if (fin0 || fin1)
        s->state = (ack0 || ack1) ? TCP_STATE_FIN_WAIT2 : TCP_STATE_FIN_WAIT1;
}

/* ESTABLISHED and the closing states: ACKs, data, FIN. */
static void state_established(struct tcp_ctx *ctx, struct tcp_session *s, int dir,
                              const struct packet *p)
{
    struct tcp_dir *d = &s->d[dir];

    if (p->tcp_flags & TCPF_SYN)
        return; /* SYN or SYN/ACK retransmission */
    if (!(d->flags & TCP_DF_INIT))
        tcp_reasm_init_dir(d, p->tcp_seq); /* first packet of this side (pickup) */
    state_window(s, dir, p);
    if ((p->tcp_flags & TCPF_ACK) && (s->d[!dir].flags & TCP_DF_INIT))
        tcp_reasm_acked(ctx, s, !dir, p->tcp_ack);
    state_payload(ctx, s, dir, p, p->tcp_seq);
    if (p->tcp_flags & TCPF_FIN)
        tcp_reasm_fin(ctx, s, dir, p->tcp_seq + p->payload_len);
    state_closing(s);
}

static void state_syn_sent(struct tcp_ctx *ctx, struct tcp_session *s, int dir,
                           const struct packet *p)
{
    struct tcp_dir *c = &s->d[s->client];
    uint8_t fl = p->tcp_flags;

    if (dir == s->client) {
        if (fl & TCPF_SYN)
            return; /* SYN retransmission (a new ISN is a new session) */
        /* The SYN/ACK was not captured (asymmetric path): the client's ACK
         * tells where the server's sequence starts. */
        if ((fl & TCPF_ACK) && !(fl & (TCPF_SYN | TCPF_RST)) && p->tcp_seq == c->next_seq) {
            tcp_reasm_init_dir(&s->d[!dir], p->tcp_ack);
            s->state = TCP_STATE_ESTABLISHED;
            state_established(ctx, s, dir, p);
        }
        return;
    }
    if (fl & TCPF_RST) {
        if ((fl & TCPF_ACK) && p->tcp_ack == c->next_seq) {
            ctx->st.rst++;
            s->state = TCP_STATE_CLOSED; /* connection refused */
            tcp_reasm_signal(ctx, s, 0, TCP_DATA_RST);
            tcp_reasm_signal(ctx, s, 1, TCP_DATA_RST);
        } else {
            tcp_ctx_event(ctx, TCP_EV_RST_INVALID);
        }
        return;
    }
    if ((fl & (TCPF_SYN | TCPF_ACK)) != (TCPF_SYN | TCPF_ACK))
        return;
    /* The SYN/ACK acknowledges the SYN, and any data it carried (TFO). */
    if (SEQ_LEQ(p->tcp_ack, c->isn) || SEQ_GT(p->tcp_ack, c->next_seq)) {
        tcp_ctx_event(ctx, TCP_EV_SYNACK_BAD_ACK);
        return;
    }
    state_syn_seen(s, dir, p);
    s->state = TCP_STATE_SYN_RECV;
    state_payload(ctx, s, dir, p, p->tcp_seq + 1);
}

static void state_syn_recv(struct tcp_ctx *ctx, struct tcp_session *s, int dir,
                           const struct packet *p)
{
    uint8_t fl = p->tcp_flags;

    if (fl & TCPF_RST) {
        state_rst(ctx, s, dir, p);
        return;
    }
    if (fl & TCPF_SYN)
        return; /* SYN or SYN/ACK retransmission */
    /* The client's ACK completes the handshake; data from the server first
     * means that ACK was not captured. */
    s->state = TCP_STATE_ESTABLISHED;
    state_established(ctx, s, dir, p);
}

static void state_closed(struct tcp_ctx *ctx, struct tcp_session *s, int dir,
                         const struct packet *p)
{
    (void)s;
    (void)dir;
    if (p->payload_len > 0)
        tcp_ctx_event(ctx, TCP_EV_PKT_AFTER_CLOSE);
}

/* A new session from this packet, or NULL (counted). */
static struct tcp_session *state_start(struct tcp_ctx *ctx, void *user, const struct packet *p,
                                       int dir)
{
    uint8_t fl = p->tcp_flags;
    bool syn = (fl & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
    struct tcp_session *s;

    if (fl & TCPF_RST)
        return NULL;
    if (!syn && !ctx->cfg.midstream) {
        ctx->st.no_session++;
        tcp_ctx_event(ctx, TCP_EV_NO_SESSION);
        return NULL;
    }
    s = tcp_session_get(ctx);
    if (s == NULL) {
        ctx->st.ssn_memcap_drops++;
        tcp_ctx_event(ctx, TCP_EV_SSN_MEMCAP);
        return NULL;
    }
    s->user = user;
    ctx->st.sessions++;
    if (syn) {
        s->client = (uint8_t)dir;
        s->state = TCP_STATE_SYN_SENT;
        state_syn_seen(s, dir, p);
        state_payload(ctx, s, dir, p, p->tcp_seq + 1); /* TCP Fast Open data */
        return s;
    }
    ctx->st.midstream++;
    s->midstream = true;
    if (fl & TCPF_SYN) {
        /* A SYN/ACK: the server side; the client starts at its ack. */
        s->client = (uint8_t)!dir;
        state_syn_seen(s, dir, p);
        tcp_reasm_init_dir(&s->d[!dir], p->tcp_ack);
        s->state = TCP_STATE_SYN_RECV;
        state_payload(ctx, s, dir, p, p->tcp_seq + 1);
        return s;
    }
    s->client = (uint8_t)dir;
    s->state = TCP_STATE_ESTABLISHED;
    tcp_reasm_init_dir(&s->d[dir], p->tcp_seq);
    if (fl & TCPF_ACK)
        tcp_reasm_init_dir(&s->d[!dir], p->tcp_ack);
    state_established(ctx, s, dir, p);
    return s;
}

/* A SYN on a finished session (the 4-tuple is being reused), or a SYN with
 * another ISN before the handshake completed (a new attempt): the old
 * session ends and a new one starts. */
static bool state_reused(const struct tcp_session *s, const struct packet *p, int dir)
{
    if ((p->tcp_flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) != TCPF_SYN)
        return false;
    if (s->state == TCP_STATE_CLOSED || s->state == TCP_STATE_TIME_WAIT)
        return true;
    return s->state == TCP_STATE_SYN_SENT && dir == s->client && p->tcp_seq != s->d[dir].isn;
}

unsigned tcp_state_packet(struct tcp_ctx *ctx, struct tcp_session **sp, void *user,
                          const struct packet *p, int dir)
{
    struct tcp_session *s = *sp;

    ctx->ev = 0;
    ctx->st.pkts++;
    dir = dir != 0;
    if (s != NULL && state_reused(s, p, dir))
        tcp_state_session_end(ctx, sp);
    s = *sp;
    if (s == NULL) {
        *sp = state_start(ctx, user, p, dir);
        return ctx->ev;
    }
    switch (s->state) {
    case TCP_STATE_SYN_SENT:
        state_syn_sent(ctx, s, dir, p);
        break;
    case TCP_STATE_SYN_RECV:
        state_syn_recv(ctx, s, dir, p);
        break;
    case TCP_STATE_ESTABLISHED:
    case TCP_STATE_FIN_WAIT1:
    case TCP_STATE_FIN_WAIT2:
    case TCP_STATE_CLOSING:
    case TCP_STATE_TIME_WAIT:
        if (p->tcp_flags & TCPF_RST)
            state_rst(ctx, s, dir, p);
        else
            state_established(ctx, s, dir, p);
        break;
    case TCP_STATE_NONE:
    case TCP_STATE_CLOSED:
    case TCP_STATE_MAX:
        state_closed(ctx, s, dir, p);
        break;
    }
    return ctx->ev;
}

void tcp_state_session_end(struct tcp_ctx *ctx, struct tcp_session **sp)
{
    struct tcp_session *s = *sp;

    if (s == NULL)
        return;
    for (int i = 0; i < 2; i++) {
        tcp_reasm_flush(ctx, s, i);
        tcp_reasm_signal(ctx, s, i, TCP_DATA_CLOSE);
    }
    s->state = TCP_STATE_CLOSED;
    tcp_session_put(ctx, s);
    *sp = NULL;
}

static const char *const state_names[TCP_STATE_MAX] = {
    [TCP_STATE_NONE] = "none",
    [TCP_STATE_SYN_SENT] = "syn_sent",
    [TCP_STATE_SYN_RECV] = "syn_recv",
    [TCP_STATE_ESTABLISHED] = "established",
    [TCP_STATE_FIN_WAIT1] = "fin_wait1",
    [TCP_STATE_FIN_WAIT2] = "fin_wait2",
    [TCP_STATE_CLOSING] = "closing",
    [TCP_STATE_TIME_WAIT] = "time_wait",
    [TCP_STATE_CLOSED] = "closed",
};

const char *tcp_state_name(enum tcp_state st)
{
    if ((unsigned)st >= TCP_STATE_MAX)
        return "unknown";
    return state_names[st];
}
