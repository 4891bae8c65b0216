/* app_pipe: the worker hooks that run reassembly, the app layer and the
 * three detection passes (see app.h and detect.h for which rules each pass
 * runs). A packet's payload reaches rules once: through the stream pass when
 * the flow has a TCP session, else through the packet pass. The current
 * packet is remembered for the duration of the hooks so that stream data and
 * transactions (which may complete on a packet of the other direction, or at
 * flow end with no packet) get the addresses of their own direction.
 */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/app_private.h"
#include "classify/dpi_ndpi.h"
#include "detect/det_reload.h"
#include "filescan/filescan.h"
#include "log.h"

#define APP_ALERTS_MAX 64

struct app_tls_flow {
    char sni[APP_TLS_SNI_MAX];
    uint32_t sni_len;
    char ja3[33], ja3s[33];     /* the JA3 string is inspected at the hello, not kept */
    struct app_tls_conn *conn;  /* handshake parser (app_tls.c), until the tls event */
    uint8_t logged;             /* the tls event was written */
};

/* Per-flow record (f->app), from the pipe's pool. */
struct app_flow {
    struct det_flow det;        /* flowbits */
    struct app_http *http;
    struct app_tls_flow *tls;
    uint8_t proto[2];           /* enum det_app per direction */
    uint8_t guessed[2];         /* the first bytes of that direction were seen */
    uint8_t was_est;            /* the TCP session reached ESTABLISHED */
    uint8_t http_closed;
    uint8_t http_rev;           /* the server spoke first: libhtp's request side is dir 1 */
    uint8_t proto_done_now;     /* bit per direction: detection completed on this packet */
    uint8_t dpi_app;            /* enum det_app of nDPI's final verdict, once dpi_app_set */
    uint8_t dpi_app_set;
    struct fscan_stream *fscan; /* filescan: stream head kept for YARA */
    struct app_dns_tcp *dns_tcp; /* DNS over TCP: a message split across deliveries */
};

struct app_pipe {
    struct app_pipe_cfg c;
    int id;
    struct tcp_ctx *tcp;
    struct app_http_cfg *http_cfg;
    struct det_reload *rules;
    const struct det_engine *engine;
    struct det_thread *dt;
    uint32_t gen;

    struct app_pool flows;      /* struct app_flow, up to max_flow_states */
    struct app_pool tls;        /* struct app_tls_flow of TLS flows, same cap */
    struct app_pool tls_conns;  /* handshake parsers (app_tls.c), while a handshake is read */
    bool released;              /* app_pipe_release ran: counters below are final */
    struct tcp_stats tcp_final; /* the stream counters, kept when the context is freed */
    struct det_thread_stats det_final;

    /* the packet being handled (hooks and callbacks inside them) */
    struct worker *w;
    struct flow *f;
    const struct packet *p;
    int dir;
    struct packet fake;         /* addresses of the other direction, or of a flow end */

    struct det_input in;
    struct det_alert alerts[APP_ALERTS_MAX];
    struct app_pipe_stats st;
    struct fscan_worker *fw;    /* filescan: files and stream heads (NULL: off) */
    bool stream_heads;          /* fscan scans stream heads: a direction is read until both heads are done */
};

/* ---- per-flow records ---- */

static struct app_flow *app_flow_get(struct app_pipe *ap, struct flow *f)
{
    struct app_flow *af = f->app;

    if (af != NULL)
        return af;
    if ((af = app_pool_get(&ap->flows)) == NULL) {   /* zeroed */
        ap->st.states_exhausted++;
        return NULL;
    }
    f->app = af;
    return af;
}

static void app_tls_conn_put(struct app_pipe *ap, struct app_tls_conn *c)
{
    app_tls_conn_fini(c);
    app_pool_put(&ap->tls_conns, c);
}

static void app_tls_flow_free(struct app_pipe *ap, struct app_tls_flow *t)
{
    if (t == NULL)
        return;
    app_tls_conn_put(ap, t->conn);
    app_pool_put(&ap->tls, t);
}

static void app_flow_put(struct app_pipe *ap, struct flow *f)
{
    struct app_flow *af = f->app;

    if (af == NULL)
        return;
    fscan_stream_end(ap->fw, &af->fscan, f, f->last);
    app_http_free(af->http);
    app_tls_flow_free(ap, af->tls);
    app_dns_tcp_free(af->dns_tcp);
    app_pool_put(&ap->flows, af);
    f->app = NULL;
}

/* ---- addresses and the detection input ---- */

static const struct packet *app_pkt_for(struct app_pipe *ap, const struct flow *f, int dir)
{
    struct packet *q = &ap->fake;

    if (ap->p != NULL && ap->dir == dir)
        return ap->p;
    memset(q, 0, sizeof(*q));
    const uint8_t *cip = f->client_is_lo ? f->key.ip_lo : f->key.ip_hi;
    const uint8_t *sip = f->client_is_lo ? f->key.ip_hi : f->key.ip_lo;
    uint16_t cport = f->client_is_lo ? f->key.port_lo : f->key.port_hi;
    uint16_t sport = f->client_is_lo ? f->key.port_hi : f->key.port_lo;
    memcpy(q->src, dir == 0 ? cip : sip, 16);
    memcpy(q->dst, dir == 0 ? sip : cip, 16);
    q->sport = dir == 0 ? cport : sport;
    q->dport = dir == 0 ? sport : cport;
    q->ip_version = f->key.ipver;
    q->proto = f->key.proto;
    q->ts = ap->p != NULL ? ap->p->ts : f->last;
    if (ap->p != NULL) {
        q->vlan_count = ap->p->vlan_count;
        memcpy(q->vlan, ap->p->vlan, sizeof(q->vlan));
    } else if (f->key.vlan != 0) {
        q->vlan[0] = f->key.vlan;
        q->vlan_count = 1;
    }
    return q;
}

static enum det_app app_flow_app(const struct flow *f, struct app_flow *af)
{
    if (af != NULL && af->proto[0] != DET_APP_UNKNOWN)
        return (enum det_app)af->proto[0];
    if (af != NULL && af->proto[1] != DET_APP_UNKNOWN)
        return (enum det_app)af->proto[1];
    if (af != NULL && af->dpi_app_set)
        return (enum det_app)af->dpi_app;
    enum det_app a = DET_APP_UNKNOWN;
    if (f->dpi.done) {
        const char *n = dpi_app_proto(&f->dpi);
        if (n != NULL)
            a = det_app_from_name(n);   /* name lookups once per flow, not per pass */
        if (af != NULL) {
            af->dpi_app = (uint8_t)a;
            af->dpi_app_set = 1;
        }
    }
    return a;
}

static bool app_established(const struct flow *f, struct app_flow *af)
{
    if (f->key.proto == 6) {
        if (f->stream == NULL)
            return false;
        enum tcp_state s = tcp_session_state(f->stream);
        if (s >= TCP_STATE_ESTABLISHED && s < TCP_STATE_CLOSED) {
            if (af != NULL)
                af->was_est = 1;
            return true;
        }
        return af != NULL && af->was_est && s == TCP_STATE_CLOSED;
    }
    return f->state != FLOW_STATE_NEW;
}

/* Reset ap->in for a pass over flow f in direction dir. */
static struct det_input *app_input(struct app_pipe *ap, struct flow *f, struct app_flow *af,
                                   const struct packet *p, int dir, uint32_t flags)
{
    struct det_input *in = &ap->in;

    memset(in, 0, sizeof(*in));
    in->p = p;
    in->flow = af != NULL ? &af->det : NULL;
    in->flags = flags | DET_IN_HAS_FLOW | (dir == 0 ? DET_IN_TO_SERVER : 0) |
                (app_established(f, af) ? DET_IN_ESTABLISHED : 0);
    in->app = app_flow_app(f, af);
    in->app_ts = af != NULL && af->proto[0] ? (enum det_app)af->proto[0] : in->app;
    in->app_tc = af != NULL && af->proto[1] ? (enum det_app)af->proto[1] : in->app;
    return in;
}

/* Pick up a reloaded engine between packets. */
static void app_sync_engine(struct app_pipe *ap)
{
    if (ap->rules == NULL || det_reload_gen(ap->rules) == ap->gen)
        return;
    uint32_t gen;
    const struct det_engine *e = det_reload_get(ap->rules, &gen);
    struct det_thread *t = det_thread_new(e);
    if (t == NULL) {
        log_warning("detect", "worker %d: no memory for the reloaded rules; keeping the old ones", ap->id);
        return;
    }
    det_thread_free(ap->dt);
    ap->dt = t;
    ap->engine = e;
    ap->gen = gen;
    det_reload_ack(ap->rules, ap->id, gen);
    ap->st.reloads_seen++;
}

static void app_tls_info(const struct app_flow *af, struct eve_alert_app *info)
{
    const struct app_tls_flow *t = af->tls;

    memset(info, 0, sizeof(*info));
    info->app_proto = "tls";
    info->tls = true;
    info->sni = (struct eve_bytes){ (const uint8_t *)t->sni, t->sni_len };
    info->ja3 = (struct eve_bytes){ (const uint8_t *)t->ja3, (uint32_t)strlen(t->ja3) };
    info->ja3s = (struct eve_bytes){ (const uint8_t *)t->ja3s, (uint32_t)strlen(t->ja3s) };
}

/* Run det_inspect on ap->in and write the alerts. */
static void app_run(struct app_pipe *ap, struct flow *f, const struct eve_alert_app *info)
{
    struct eve_alert_app dflt;
    struct app_flow *af = f->app;

    if (ap->dt == NULL)
        return;
    int n = det_inspect(ap->dt, &ap->in, ap->alerts, APP_ALERTS_MAX);
    if (n <= 0)
        return;
    if (info == NULL) {
        memset(&dflt, 0, sizeof(dflt));
        dflt.app_proto = app_proto_name(ap->in.app);
        if (dflt.app_proto == NULL && ap->in.app != DET_APP_UNKNOWN)
            dflt.app_proto = det_app_name(ap->in.app);
        if (af != NULL && af->tls != NULL && ap->in.app == DET_APP_TLS)
            app_tls_info(af, &dflt);
        info = &dflt;
    }
    struct eve_out *o = ap->w != NULL ? worker_eve(ap->w) : NULL;
    f->alerted = 1;
    for (int i = 0; i < n; i++) {
        ap->st.alerts++;
        if (o == NULL || eve_alert_log(o, f, ap->in.p, &ap->alerts[i], info, &ap->c.alert) != 0)
            ap->st.alerts_dropped++;
    }
}

/* ---- app layer ---- */

/* dir is libhtp's (0 request, 1 response); the packet direction is the
 * flow's, reversed when the flow's initiator is the HTTP server (Suricata
 * reverses such flows too, so to_server means "request"). */
static void app_on_http_tx(void *arg, int dir, const struct det_buf_ref *buf, const struct eve_alert_app *info)
{
    struct app_pipe *ap = arg;
    struct flow *f = ap->f;
    struct app_flow *af = f != NULL ? f->app : NULL;

    ap->st.http_tx += dir == 0;
    if (dir == APP_HTTP_LOG_ONLY) {   /* a transaction without a response: its http event only */
        if (f != NULL && af != NULL && ap->c.proto.http && ap->w != NULL && worker_eve(ap->w) != NULL)
            eve_proto_log(worker_eve(ap->w), f, app_pkt_for(ap, f, af->http_rev), info, false);
        return;
    }
    if (dir == 1 && f != NULL && af != NULL && ap->c.proto.http && ap->w != NULL &&
        worker_eve(ap->w) != NULL)   /* the http event, once the response is complete */
        eve_proto_log(worker_eve(ap->w), f, app_pkt_for(ap, f, af->http_rev), info, false);
    if (f == NULL || af == NULL || ap->dt == NULL)
        return;
    struct det_input *in = app_input(ap, f, af, app_pkt_for(ap, f, dir ^ af->http_rev), dir,
                                     DET_IN_APP | DET_IN_NO_PKT_KW);
    memcpy(in->buf, buf, sizeof(in->buf));
    ap->st.app_passes++;
    app_run(ap, f, info);
}

/* The tls event: once per handshake (app_tls.c says when), or at flow end. */
static void app_tls_log(struct app_pipe *ap, struct flow *f, struct app_tls_flow *t)
{
    struct eve_tls ev;

    if (t->logged || t->conn == NULL)
        return;
    t->logged = 1;
    if (!ap->c.proto.tls || ap->w == NULL || worker_eve(ap->w) == NULL)
        return;
    app_tls_eve(app_tls_conn_state(t->conn), &ev);
    eve_proto_tls(worker_eve(ap->w), f, app_pkt_for(ap, f, 0), &ev);
}

/* Handshake events (inside app_tls_conn_data): an app pass per hello with
 * its buffers, and one at the certificate; the tls event at CERT/DONE. */
static void app_on_tls(void *arg, int dir, enum app_tls_ev ev, const struct app_tls_state *st)
{
    struct app_pipe *ap = arg;
    struct flow *f = ap->f;
    struct app_flow *af = f != NULL ? f->app : NULL;
    struct app_tls_flow *t = af != NULL ? af->tls : NULL;

    if (t == NULL)
        return;
    if (ev == APP_TLS_EV_CLIENT_HELLO) {
        memcpy(t->sni, st->ch.sni, st->ch.sni_len + 1);
        t->sni_len = st->ch.sni_len;
        memcpy(t->ja3, st->ch.ja3, sizeof(t->ja3));
    } else if (ev == APP_TLS_EV_SERVER_HELLO) {
        memcpy(t->ja3s, st->sh.ja3, sizeof(t->ja3s));
    }
    if (ev == APP_TLS_EV_CLIENT_HELLO || ev == APP_TLS_EV_SERVER_HELLO)
        ap->st.tls_hellos++;
    else
        app_tls_log(ap, f, t);
    if (ev == APP_TLS_EV_DONE || ap->dt == NULL)
        return;
    struct det_input *in = app_input(ap, f, af, app_pkt_for(ap, f, dir), dir, DET_IN_APP | DET_IN_NO_PKT_KW);
    if (ev == APP_TLS_EV_CLIENT_HELLO) {
        if (t->sni_len > 0)
            in->buf[DET_BUF_TLS_SNI] = (struct det_buf_ref){ (const uint8_t *)t->sni, t->sni_len };
        in->buf[DET_BUF_JA3_HASH] = (struct det_buf_ref){ (const uint8_t *)t->ja3, 32 };
        in->buf[DET_BUF_JA3_STRING] = (struct det_buf_ref){ (const uint8_t *)st->ch.ja3_str, st->ch.ja3_str_len };
    } else if (ev == APP_TLS_EV_SERVER_HELLO) {
        in->buf[DET_BUF_JA3S_HASH] = (struct det_buf_ref){ (const uint8_t *)t->ja3s, 32 };
    } else {
        const struct app_tls_cert *c = &st->cert;
        in->buf[DET_BUF_TLS_CERT_SUBJECT] = (struct det_buf_ref){ (const uint8_t *)c->subject, c->subject_len };
        in->buf[DET_BUF_TLS_CERT_ISSUER] = (struct det_buf_ref){ (const uint8_t *)c->issuer, c->issuer_len };
        in->buf[DET_BUF_TLS_CERT_SERIAL] = (struct det_buf_ref){ (const uint8_t *)c->serial, c->serial_len };
        in->buf[DET_BUF_TLS_CERTS] = (struct det_buf_ref){ st->cert_der, st->cert_der_len };
    }
    ap->st.app_passes++;
    app_run(ap, f, NULL);
}

static void app_tls_data(struct app_pipe *ap, struct app_flow *af, int dir,
                         const uint8_t *d, size_t n)
{
    struct app_tls_flow *t = af->tls;

    if (t == NULL && (t = af->tls = app_pool_get(&ap->tls)) == NULL)
        return;
    if (t->conn == NULL && !t->logged) {
        void *m = app_pool_get(&ap->tls_conns);   /* not cleared: app_tls_conn_init resets it */
        if (m == NULL)
            return;
        t->conn = app_tls_conn_init(m);
    }
    if (t->conn == NULL)
        return;
    app_tls_conn_data(t->conn, dir, d, n, app_on_tls, ap);
    if (app_tls_conn_idle(t->conn) && app_tls_conn_finished(t->conn)) {
        app_tls_conn_put(ap, t->conn);   /* the handshake state lives only until its event */
        t->conn = NULL;
    }
}

/* ---- DNS (UDP datagrams, TCP messages) ---- */

/* One DNS message of flow f in dir (p: its addresses): the dns event, and
 * an app pass with dns.query for a query. 0, or -1 when it is not DNS. */
static int app_dns_msg(struct app_pipe *ap, struct flow *f, struct app_flow *af,
                       const struct packet *p, int dir, const uint8_t *d, size_t n)
{
    struct eve_dns m;

    if (app_dns_parse(d, n, &m) != 0)
        return -1;
    ap->st.dns_msgs++;
    if (af != NULL) {
        if (af->proto[dir] == DET_APP_UNKNOWN)
            af->proto_done_now |= (uint8_t)(1u << dir);
        af->proto[0] = af->proto[1] = DET_APP_DNS;
    }
    if (ap->c.proto.dns && ap->w != NULL && worker_eve(ap->w) != NULL)
        eve_proto_dns(worker_eve(ap->w), f, p, &m, 0);
    if (m.response || ap->dt == NULL)
        return 0;
    struct det_input *in = app_input(ap, f, af, p, dir, DET_IN_APP | DET_IN_NO_PKT_KW);
    in->buf[DET_BUF_DNS_QUERY] = (struct det_buf_ref){ (const uint8_t *)m.qname, m.qname_len };
    struct eve_alert_app info;
    memset(&info, 0, sizeof(info));
    info.app_proto = "dns";
    info.dns = true;
    info.rrname = (struct eve_bytes){ (const uint8_t *)m.qname, m.qname_len };
    info.rrtype = m.qtype;
    info.dns_id = m.id;
    ap->st.app_passes++;
    app_run(ap, f, &info);
    return 0;
}

static int app_on_dns_tcp(void *arg, int dir, const uint8_t *msg, size_t n)
{
    struct app_pipe *ap = arg;
    struct flow *f = ap->f;

    return app_dns_msg(ap, f, f->app, app_pkt_for(ap, f, dir), dir, msg, n);
}

/* HTTP bodies become files (sensor/filescan). */
static const struct app_file_ops app_fscan_ops = {
    fscan_file_open, fscan_file_http, fscan_file_data, fscan_file_close,
};

/* First bytes of a direction: which parser. */
static void app_guess(struct app_pipe *ap, struct flow *f, struct app_flow *af, int dir,
                      const uint8_t *d, size_t n)
{
    af->guessed[dir] = 1;
    enum det_app a = app_proto_guess(dir, d, n);
    if (a == DET_APP_UNKNOWN && af->proto[!dir] != DET_APP_UNKNOWN && af->proto[!dir] != DET_APP_SSH)
        a = (enum det_app)af->proto[!dir];   /* e.g. a response without a status line */
    if (a == DET_APP_UNKNOWN && (f->key.port_lo == 53 || f->key.port_hi == 53))
        a = DET_APP_DNS;
    af->proto[dir] = (uint8_t)a;
    if (a != DET_APP_UNKNOWN)
        af->proto_done_now |= (uint8_t)(1u << dir);
    if (a == DET_APP_HTTP && af->http == NULL && ap->http_cfg != NULL) {
        bool resp = n >= 5 && memcmp(d, "HTTP/", 5) == 0;
        af->http_rev = (uint8_t)(resp == (dir == 0));
        af->http = app_http_new(ap->http_cfg, app_on_http_tx, ap);
        if (af->http != NULL && ap->fw != NULL)
            app_http_set_files(af->http, &app_fscan_ops, ap->fw, f, af->http_rev);
    }
}

static void app_stream_app(struct app_pipe *ap, struct flow *f, struct app_flow *af, int dir,
                           const uint8_t *d, size_t n)
{
    if (!af->guessed[dir])
        app_guess(ap, f, af, dir, d, n);
    enum det_app a = (enum det_app)(af->proto[dir] ? af->proto[dir] : af->proto[!dir]);
    if (af->http != NULL && (a == DET_APP_HTTP || af->proto[dir] == DET_APP_UNKNOWN))
        app_http_data(af->http, dir ^ af->http_rev, d, n, ap->p != NULL ? ap->p->ts : f->last);
    else if (a == DET_APP_TLS)
        app_tls_data(ap, af, dir, d, n);
    else if (a == DET_APP_DNS)
        app_dns_tcp_data(&af->dns_tcp, dir, d, n, app_on_dns_tcp, ap);
}

/* ---- stream ---- */

/* Reassemble a direction only while something reads it (issue 2): rules
 * (stream matching; a reload may add them), YARA stream heads not yet
 * complete, or a parser for the flow's protocol that still wants bytes. HTTP keeps both
 * directions (transactions, files); DNS over TCP too; TLS until its event
 * is written and its handshake state freed. A direction whose first bytes
 * named no parser is let go once the other one says the same, or at once
 * when it named a protocol we do not parse (the other direction cannot
 * hand it to a parser then). What remains per packet is TCP state. */
static void app_stream_release(struct app_pipe *ap, struct tcp_session *s, struct app_flow *af, int dir)
{
    if (ap->rules != NULL || af->http != NULL)
        return;
    /* YARA stream heads: both directions keep their bytes until both heads are done */
    if (ap->stream_heads && (!fscan_stream_done(ap->fw, af->fscan, dir) ||
                             !fscan_stream_done(ap->fw, af->fscan, !dir)))
        return;
    enum det_app a = (enum det_app)af->proto[dir], b = (enum det_app)af->proto[!dir];
    if (a == DET_APP_DNS || b == DET_APP_DNS || a == DET_APP_HTTP || b == DET_APP_HTTP)
        return;
    if (a == DET_APP_TLS || b == DET_APP_TLS) {
        if (af->tls == NULL || !af->tls->logged || af->tls->conn != NULL)
            return;
        tcp_reasm_stop(ap->tcp, s, dir);
        tcp_reasm_stop(ap->tcp, s, !dir);
        return;
    }
    if (a != DET_APP_UNKNOWN) {
        tcp_reasm_stop(ap->tcp, s, dir);
    } else if (af->guessed[!dir] && b == DET_APP_UNKNOWN) {
        tcp_reasm_stop(ap->tcp, s, dir);
        tcp_reasm_stop(ap->tcp, s, !dir);
    }
}

static void app_on_stream(void *arg, struct tcp_session *s, int dir, const uint8_t *d, size_t len,
                          uint64_t off, unsigned flags)
{
    struct app_pipe *ap = arg;
    struct flow *f = tcp_session_user(s);
    struct app_flow *af = f != NULL ? f->app : NULL;
    (void)off;

    if (f == NULL)
        return;
    ap->f = f;
    if (flags & TCP_DATA_GAP) {
        if (af != NULL && af->http != NULL)
            app_http_gap(af->http, dir ^ af->http_rev);
        if (af != NULL && (af->proto[dir] == DET_APP_DNS || af->proto[!dir] == DET_APP_DNS))
            app_dns_tcp_gap(&af->dns_tcp, dir);
        return;
    }
    if (d == NULL || len == 0) {
        bool end = (flags & (TCP_DATA_CLOSE | TCP_DATA_RST)) ||
                   ((flags & TCP_DATA_FIN) && af != NULL && (dir ^ af->http_rev) == 1);
        if (end && af != NULL && af->http != NULL && !af->http_closed) {
            af->http_closed = 1;
            app_http_close(af->http, ap->p != NULL ? ap->p->ts : f->last);
        }
        return;
    }
    if (af != NULL)
        app_stream_app(ap, f, af, dir, d, len);
    /* stream heads, HTTP included (filescan drops an alert its file scan already gave) */
    if (af != NULL && ap->fw != NULL)
        fscan_stream_data(ap->fw, &af->fscan, f, dir, d, len, ap->p != NULL ? ap->p->ts : f->last);
    if (af != NULL)
        app_stream_release(ap, s, af, dir);
    if (ap->dt == NULL)
        return;
    const uint8_t *buf;
    size_t blen, nstart;
    if (tcp_reasm_window(ap->tcp, &buf, &blen, &nstart) != 0) {
        buf = d;
        blen = len;
        nstart = 0;
    }
    struct det_input *in = app_input(ap, f, af, app_pkt_for(ap, f, dir), dir, DET_IN_STREAM | DET_IN_NO_PKT_KW);
    in->buf[DET_BUF_PAYLOAD] = (struct det_buf_ref){ buf, (uint32_t)blen };
    in->stream_new = (uint32_t)nstart;
    ap->st.stream_passes++;
    app_run(ap, f, NULL);
}

/* ---- hooks ---- */

static void app_begin(struct app_pipe *ap, struct worker *w, struct flow *f, const struct packet *p, int dir)
{
    ap->w = w;
    ap->f = f;
    ap->p = p;
    ap->dir = dir;
}

static void app_end(struct app_pipe *ap)
{
    ap->p = NULL;
    ap->f = NULL;
}

static void app_hook_stream(void *arg, struct worker *w, struct flow *f, struct packet *p, int dir)
{
    struct app_pipe *ap = arg;

    app_sync_engine(ap);
    app_begin(ap, w, f, p, dir);
    /* A record for TCP (parsers, stream state) or when rules may need flowbits;
     * UDP DNS logs without one, other flows without rules need none. */
    struct app_flow *af = p->proto == 6 || ap->rules != NULL ? app_flow_get(ap, f) : f->app;
    if (af != NULL)
        af->proto_done_now = 0;
    if (p->proto == 6 && ap->tcp != NULL) {
        struct tcp_session *s = f->stream;
        tcp_state_packet(ap->tcp, &s, f, p, dir);
        f->stream = s;
    }
    app_end(ap);
}

static void app_hook_app(void *arg, struct worker *w, struct flow *f, struct packet *p, int dir)
{
    struct app_pipe *ap = arg;

    if (p->proto != 17 || (p->sport != 53 && p->dport != 53) || p->payload_len == 0)
        return;
    app_begin(ap, w, f, p, dir);
    (void)app_dns_msg(ap, f, f->app, p, dir, p->payload, p->payload_len);
    app_end(ap);
}

static void app_hook_detect(void *arg, struct worker *w, struct flow *f, struct packet *p, int dir)
{
    struct app_pipe *ap = arg;
    struct app_flow *af = f->app;
    uint32_t flags = 0;

    if (ap->dt == NULL)
        return;
    app_begin(ap, w, f, p, dir);
    if (p->proto == 6 && f->stream != NULL && p->payload_len > 0)
        flags |= DET_IN_PKT_STREAMED;
    if (af != NULL && (af->proto_done_now & (1u << dir)))
        flags |= DET_IN_PROTO_DONE;
    struct det_input *in = app_input(ap, f, af, p, dir, flags);
    if (p->payload_len > 0)
        in->buf[DET_BUF_PAYLOAD] = (struct det_buf_ref){ p->payload, p->payload_len };
    ap->st.packet_passes++;
    app_run(ap, f, NULL);
    app_end(ap);
}

static void app_hook_flow_end(void *arg, struct worker *w, struct flow *f)
{
    struct app_pipe *ap = arg;

    app_begin(ap, w, f, NULL, 0);
    if (f->stream != NULL && ap->tcp != NULL) {
        struct tcp_session *s = f->stream;
        tcp_state_session_end(ap->tcp, &s);
        f->stream = s;
    }
    struct app_flow *af = f->app;
    if (af != NULL && af->http != NULL && !af->http_closed) {
        af->http_closed = 1;
        app_http_close(af->http, f->last);
    }
    if (af != NULL && af->tls != NULL && af->tls->conn != NULL &&
        app_tls_conn_state(af->tls->conn)->have_ch)
        app_tls_log(ap, f, af->tls);   /* an unfinished handshake: what is known */
    app_flow_put(ap, f);
    app_end(ap);
}

/* ---- life cycle ---- */

/* main.c builds the pipes one after another on its own thread: only what
 * is small or checks the configuration is made here. The rest (the file
 * tracker's slots, ~22 MB zeroed per worker with the default
 * files.max-open-files; the detection thread state) waits for app_ready,
 * on the worker's thread, and app_release frees it there again. */
struct app_pipe *app_pipe_new(const struct app_pipe_cfg *c, struct det_reload *rules, int id)
{
    struct app_pipe *ap = calloc(1, sizeof(*ap));

    if (ap == NULL)
        goto fail;
    ap->c = *c;
    ap->id = id;
    ap->rules = rules;
    app_pool_init(&ap->flows, sizeof(struct app_flow), sizeof(struct app_flow), c->max_flow_states);
    app_pool_init(&ap->tls, sizeof(struct app_tls_flow), sizeof(struct app_tls_flow), c->max_flow_states);
    app_pool_init(&ap->tls_conns, app_tls_conn_size(), 0, c->max_flow_states);
    if ((ap->tcp = tcp_ctx_new(&c->tcp, app_on_stream, ap)) == NULL)
        goto fail;
    ap->http_cfg = app_http_cfg_new(c->req_body_limit, c->resp_body_limit, c->decompress_layers);
    if (ap->http_cfg == NULL)
        goto fail;
    return ap;
fail:
    log_error("app", "worker %d: cannot set up reassembly or the HTTP parser (lower stream.memcap)", id);
    app_pipe_free(ap);
    return NULL;
}

/* worker_hooks.ready: on the worker's thread, before its first packet. */
static int app_ready(void *arg, struct worker *w)
{
    struct app_pipe *ap = arg;
    (void)w;

    if (ap->released)
        return -1;
    app_sync_engine(ap);
    if (ap->rules != NULL && ap->dt == NULL) {
        log_error("app", "worker %d: cannot set up detection state (no memory for the rule set)", ap->id);
        return -1;
    }
    if (ap->c.fscan != NULL && ap->fw == NULL && (ap->fw = fscan_worker_new(ap->c.fscan, NULL)) == NULL) {
        log_error("app", "worker %d: cannot set up file tracking (lower files.max-open-files)", ap->id);
        return -1;
    }
    ap->stream_heads = fscan_stream_wanted(ap->fw);
    return 0;
}

/* Everything per worker and per flow, once: the flows have ended (their
 * records are back in the pools). The counters are kept for stats. */
static void app_release_all(struct app_pipe *ap)
{
    if (ap->released)
        return;
    ap->released = true;
    app_pool_fini(&ap->flows);
    app_pool_fini(&ap->tls);
    app_pool_fini(&ap->tls_conns);
    if (ap->tcp != NULL)
        ap->tcp_final = *tcp_ctx_stats(ap->tcp);
    tcp_ctx_free(ap->tcp);
    ap->tcp = NULL;
    if (ap->dt != NULL)
        det_thread_stats(ap->dt, &ap->det_final);
    det_thread_free(ap->dt);
    ap->dt = NULL;
    fscan_worker_free(ap->fw);   /* publishes its last file counters */
    ap->fw = NULL;
    ap->stream_heads = false;
}

/* worker_hooks.release: on the worker's thread, after its last flow ended
 * and its counters were published (worker_release), so that several
 * workers free their pools at the same time instead of in app_pipe_free. */
static void app_release(void *arg, struct worker *w)
{
    (void)w;
    app_release_all(arg);
}

void app_pipe_free(struct app_pipe *ap)
{
    if (ap == NULL)
        return;
    app_release_all(ap);
    app_http_cfg_free(ap->http_cfg);
    free(ap);
}

void app_pipe_hooks(struct app_pipe *ap, struct worker_hooks *out)
{
    memset(out, 0, sizeof(*out));
    out->arg = ap;
    out->stream = app_hook_stream;
    out->app = app_hook_app;
    out->detect = app_hook_detect;
    out->flow_end = app_hook_flow_end;
    out->ready = app_ready;
    out->release = app_release;
}

void app_pipe_stats(const struct app_pipe *ap, struct app_pipe_stats *out)
{
    *out = ap->st;
}

void app_pipe_det_stats(const struct app_pipe *ap, struct det_thread_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (ap->dt != NULL)
        det_thread_stats(ap->dt, out);
    else if (ap->released)
        *out = ap->det_final;
}

const struct tcp_stats *app_pipe_tcp_stats(const struct app_pipe *ap)
{
    return ap->tcp != NULL ? tcp_ctx_stats(ap->tcp) : &ap->tcp_final;
}
