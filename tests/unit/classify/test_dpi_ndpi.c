/* Unit tests of the nDPI glue (sensor/classify/dpi_ndpi.c) on hand-built
 * Ethernet frames through the real decoder, flow table and nDPI 4.2: a TCP
 * flow holds no nDPI state before its first payload, the handshake replayed
 * then is what nDPI would have seen live (its handshake flags and sequence
 * tracking, read from the nDPI flow struct), a scan flow still gets its port
 * guess at its end (without a replay: test_dpi_headers.c checks that shortcut
 * against the replay), and names records are taken only when there is a name.
 */
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "classify/dpi_ndpi.h"
#include "flow/flow_table.h"
#include "../runner.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

struct tst {
    struct flow_table *ft;
    struct dpi *d;
    struct dec_stats ds;
    struct packet p;
    struct flow *last;       /* the flow of the last packet */
    int ended;
    char proto[64];          /* verdict of the last flow that ended */
    char host[DPI_HOST_MAX];
    int guessed, had_names;
    long usec;
};

static void put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)(v >> 8); b[1] = (uint8_t)v; }
static void put32(uint8_t *b, uint32_t v) { put16(b, (uint16_t)(v >> 16)); put16(b + 2, (uint16_t)v); }

static void on_end(struct flow *f, enum flow_end_reason r, void *arg)
{
    struct tst *t = arg;
    (void)r;
    dpi_flow_end(t->d, f);
    t->ended++;
    dpi_proto_name(t->d, &f->dpi, t->proto, sizeof(t->proto));
    snprintf(t->host, sizeof(t->host), "%s", dpi_flow_host(&f->dpi));
    t->guessed = f->dpi.guessed;
    t->had_names = f->dpi.names != NULL;
    dpi_flow_release(t->d, f);
}

/* One TCP segment client(10.0.0.1:40000) <-> server(10.0.0.2:sport), through
 * decode -> flow table -> dpi_process, as the worker runs them. */
static void tcp(struct tst *t, bool from_client, uint16_t port, uint8_t flags, uint32_t seq,
                uint32_t ack, const char *payload)
{
    uint8_t fr[1514];
    size_t pl = payload != NULL ? strlen(payload) : 0;
    uint8_t cip[4] = { 10, 0, 0, 1 }, sip[4] = { 10, 0, 0, 2 };
    struct flow_key k;
    bool is_new;
    int dir;

    memset(fr, 0, sizeof(fr));
    put16(fr + 12, 0x0800);
    uint8_t *ip = fr + 14, *th = ip + 20;
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(40 + pl));
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, from_client ? cip : sip, 4);
    memcpy(ip + 16, from_client ? sip : cip, 4);
    put16(th, from_client ? 40000 : port);
    put16(th + 2, from_client ? port : 40000);
    put32(th + 4, seq);
    put32(th + 8, ack);
    th[12] = 5 << 4;
    th[13] = flags;
    put16(th + 14, 65535);
    memcpy(th + 20, payload != NULL ? payload : "", pl);
    struct timeval ts = { 1700000000, t->usec += 1000 };
    uint32_t len = (uint32_t)(14 + 40 + pl);
    if (dec_packet(&t->p, &t->ds, 1, fr, len, len, ts, false) != DEC_OK)
        return;
    int lo = flow_key_from_packet(&k, &t->p, false);
    t->last = flow_table_get(t->ft, &k, flow_key_hash(&k), &t->p, lo, &dir, &is_new);
    if (t->last == NULL)
        return;
    flow_table_update(t->ft, t->last, &t->p, dir);
    if (!t->last->dpi.done)
        dpi_process(t->d, t->last, &t->p);
}

static void setup(struct tst *t)
{
    struct flow_table_cfg c;

    memset(t, 0, sizeof(*t));
    flow_table_cfg_defaults(&c);
    c.max_flows = 64;
    t->ft = flow_table_new(&c, on_end, t);
    t->d = dpi_new(64);
}

static void teardown(struct tst *t)
{
    flow_table_free(t->ft);
    dpi_free(t->d);
}

TEST(scan_flow_holds_no_ndpi_state_and_gets_its_port_guess_at_end)
{
    struct tst t;

    setup(&t);
    CHECK(t.ft != NULL && t.d != NULL);
    tcp(&t, true, 443, TH_SYN, 1000, 0, NULL);
    tcp(&t, false, 443, TH_RST | TH_ACK, 0, 1001, NULL);
    CHECK(t.last != NULL);
    CHECK(t.last->dpi.ndpi == NULL);
    CHECK_EQ_INT((int)dpi_get_stats(t.d)->active, 0);
    CHECK_EQ_INT((int)dpi_get_stats(t.d)->pool_bytes, 0);   /* no pool chunk was even carved */
    flow_table_flush(t.ft);
    CHECK_EQ_INT(t.ended, 1);
    CHECK_EQ_STR(t.proto, "TLS");      /* nDPI's guess from port 443, as if fed live */
    CHECK_EQ_INT(t.guessed, 1);
    CHECK_EQ_INT(t.had_names, 0);
    CHECK_EQ_INT((int)dpi_get_stats(t.d)->active, 0);
    /* given up on without a replay: still no pooled nDPI struct */
    CHECK_EQ_INT((int)dpi_get_stats(t.d)->headers_direct, 1);
    CHECK_EQ_INT((int)dpi_get_stats(t.d)->pool_bytes, 0);
    teardown(&t);
}

TEST(handshake_is_replayed_so_the_request_is_dissected)
{
    struct tst t;
    const char *req = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: t\r\n\r\n";
    const char *rsp = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok";

    setup(&t);
    tcp(&t, true, 80, TH_SYN, 7000, 0, NULL);
    tcp(&t, false, 80, TH_SYN | TH_ACK, 90000, 7001, NULL);
    tcp(&t, true, 80, TH_ACK, 7001, 90001, NULL);
    CHECK(t.last != NULL && t.last->dpi.ndpi == NULL);   /* nothing before payload */
    tcp(&t, true, 80, TH_PSH | TH_ACK, 7001, 90001, req);
    /* HTTP waits for the response (extra dissection): the struct is held */
    struct ndpi_flow_struct *nf = t.last->dpi.ndpi;
    CHECK(nf != NULL);
    if (nf != NULL) {
        CHECK_EQ_INT(nf->l4.tcp.seen_syn, 1);
        CHECK_EQ_INT(nf->l4.tcp.seen_syn_ack, 1);
        CHECK_EQ_INT(nf->l4.tcp.seen_ack, 1);
        CHECK_EQ_INT((int)nf->num_processed_pkts, 4);
        /* nDPI's direction index is by port order: 0 = 40000 -> 80 here */
        CHECK(nf->next_tcp_seq_nr[0] == 7001 + (uint32_t)strlen(req));
        CHECK(nf->next_tcp_seq_nr[1] == 90001);
    }
    tcp(&t, false, 80, TH_PSH | TH_ACK, 90001, 7001 + (uint32_t)strlen(req), rsp);
    tcp(&t, true, 80, TH_FIN | TH_ACK, 7001 + (uint32_t)strlen(req), 90001 + (uint32_t)strlen(rsp), NULL);
    flow_table_flush(t.ft);
    CHECK_EQ_INT(t.ended, 1);
    CHECK_EQ_STR(t.proto, "HTTP");
    CHECK_EQ_INT(t.guessed, 0);
    CHECK_EQ_STR(t.host, "www.example.com");
    CHECK_EQ_INT(t.had_names, 1);
    CHECK_EQ_INT((int)dpi_get_stats(t.d)->active, 0);
    teardown(&t);
}

TEST(names_records_are_reused_after_release)
{
    struct tst t;
    const char *req = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n";

    setup(&t);
    for (int i = 0; i < 3; i++) {
        tcp(&t, true, 80, TH_SYN, 100, 0, NULL);
        tcp(&t, false, 80, TH_SYN | TH_ACK, 500, 101, NULL);
        tcp(&t, true, 80, TH_PSH | TH_ACK, 101, 501, req);
        flow_table_flush(t.ft);
        CHECK_EQ_STR(t.host, "a.example");
    }
    CHECK_EQ_INT(t.ended, 3);
    /* the flow structs and names are pooled: one chunk of each, not three */
    uint64_t one = dpi_get_stats(t.d)->pool_bytes;
    tcp(&t, true, 80, TH_SYN, 100, 0, NULL);
    tcp(&t, false, 80, TH_SYN | TH_ACK, 500, 101, NULL);
    tcp(&t, true, 80, TH_PSH | TH_ACK, 101, 501, req);
    flow_table_flush(t.ft);
    CHECK(dpi_get_stats(t.d)->pool_bytes == one);
    teardown(&t);
}

int main(int c, char **v)
{
    dpi_global_init();
    return runner_main(c, v);
}
