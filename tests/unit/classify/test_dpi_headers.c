/* Unit test of the giveup of TCP flows that end without payload
 * (dpi_giveup_headers in sensor/classify/dpi_ndpi.c, included here to reach
 * its static functions), against nDPI 4.2 itself: over every server port,
 * every client port, addresses from each of nDPI's IP lists and the
 * handshake shapes and packet counts a flow can end with, its verdict
 * (protocol, category, risks, confidence, guessed) is the one the replay of
 * the flow's header-only packets followed by ndpi_detection_giveup gives.
 * The flows it leaves to the replay are the ones the replay classifies
 * otherwise: nDPI's header-only dissectors (TeamViewer addresses, Targus
 * ports) and the BitTorrent cache.
 */
#include "classify/dpi_ndpi.c"

#include "../runner.h"

struct shape {
    uint8_t ipver;
    uint8_t cip[16], sip[16];
    uint16_t cport, sport;
    uint8_t seen;            /* FLOW_TCP_SYN / FLOW_TCP_SYNACK seen by the flow table */
    uint64_t n;              /* packets of the flow */
};

static const uint64_t T_MS = 1700000000123ull;

static void mkflow(struct flow *f, const struct shape *s)
{
    size_t al = s->ipver == 4 ? 4 : 16;
    int c = memcmp(s->cip, s->sip, al);
    bool client_lo = c < 0 || (c == 0 && s->cport <= s->sport);

    memset(f, 0, sizeof(*f));
    f->key.ipver = s->ipver;
    f->key.proto = 6;
    memcpy(f->key.ip_lo, client_lo ? s->cip : s->sip, al);
    memcpy(f->key.ip_hi, client_lo ? s->sip : s->cip, al);
    f->key.port_lo = client_lo ? s->cport : s->sport;
    f->key.port_hi = client_lo ? s->sport : s->cport;
    f->client_is_lo = client_lo;
    f->tcp_seen = s->seen;
    f->pkts[0] = s->n;
    f->last.tv_sec = (time_t)(T_MS / 1000);
    f->last.tv_usec = (suseconds_t)(T_MS % 1000 * 1000);
}

/* The shortcut's verdict; returns its rc (-1: left to the replay). */
static int direct(struct dpi *d, const struct shape *s, struct dpi_flow *out)
{
    struct flow f;
    int rc;

    mkflow(&f, s);
    rc = dpi_giveup_headers(d, &f, s->n, T_MS);
    *out = f.dpi;
    dpi_flow_release(d, &f);
    out->names = NULL;
    return rc;
}

/* What the sensor did before the shortcut: replay, then giveup. */
static void replay(struct dpi *d, const struct shape *s, struct dpi_flow *out)
{
    struct flow f;

    mkflow(&f, s);
    if (dpi_attach(d, &f) == 0 && !dpi_replay(d, &f, NULL, s->n, T_MS) && !f.dpi.done)
        dpi_giveup(d, &f);
    *out = f.dpi;
    dpi_flow_release(d, &f);
    out->names = NULL;
}

static int g_compared, g_mismatch, g_left;

/* Compare both on shape s; counts into the globals, prints a few mismatches. */
static void compare(struct dpi *d, const struct shape *s)
{
    struct dpi_flow a, b;

    if (direct(d, s, &a) != 0) {
        g_left++;
        return;
    }
    replay(d, s, &b);
    g_compared++;
    if (a.master != b.master || a.app != b.app || a.category != b.category || a.risk != b.risk ||
        a.confidence != b.confidence || a.guessed != b.guessed || !a.done || !b.done) {
        if (g_mismatch++ < 10)
            fprintf(stderr, "mismatch: ipv%u %u.%u.%u.%u:%u -> %u.%u.%u.%u:%u seen %u n %llu: "
                            "direct %u.%u cat %u risk %llx conf %u g %u, replay %u.%u cat %u risk %llx conf %u g %u\n",
                    s->ipver, s->cip[0], s->cip[1], s->cip[2], s->cip[3], s->cport, s->sip[0], s->sip[1],
                    s->sip[2], s->sip[3], s->sport, s->seen, (unsigned long long)s->n, a.master, a.app,
                    a.category, (unsigned long long)a.risk, a.confidence, a.guessed, b.master, b.app,
                    b.category, (unsigned long long)b.risk, b.confidence, b.guessed);
    }
}

static struct shape v4(const char *c, uint16_t cport, const char *s, uint16_t sport, uint8_t seen, uint64_t n)
{
    struct shape sh;
    unsigned a[4], b[4];

    memset(&sh, 0, sizeof(sh));
    sh.ipver = 4;
    if (sscanf(c, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]) == 4 &&
        sscanf(s, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]) == 4) {
        for (int i = 0; i < 4; i++) {
            sh.cip[i] = (uint8_t)a[i];
            sh.sip[i] = (uint8_t)b[i];
        }
    }
    sh.cport = cport;
    sh.sport = sport;
    sh.seen = seen;
    sh.n = n;
    return sh;
}

#define SEEN_BOTH (FLOW_TCP_SYN | FLOW_TCP_SYNACK)

/* The handshake shapes and packet counts a flow without payload ends with. */
static const struct {
    uint8_t seen;
    uint64_t n;
} shapes[] = {
    { FLOW_TCP_SYN, 1 },   { FLOW_TCP_SYN, 2 },      { SEEN_BOTH, 2 },        { SEEN_BOTH, 3 },
    { FLOW_TCP_SYNACK, 1 }, { FLOW_TCP_SYNACK, 2 },  { 0, 1 },                { 0, 3 },
    { SEEN_BOTH, 31 },      { SEEN_BOTH, 32 },       { SEEN_BOTH, 33 },       { FLOW_TCP_SYN, 200 },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

TEST(every_server_port_gets_the_replays_verdict)
{
    struct dpi *d = dpi_new(64);

    CHECK(d != NULL && d->headers_exact);
    g_compared = g_mismatch = g_left = 0;
    for (uint32_t port = 0; port <= 65535; port++) {
        for (size_t i = 0; i < NSHAPES; i++) {
            /* every port in the common shapes, every 7th in the rest */
            if (i >= 3 && port % 7 != 0)
                continue;
            struct shape s = v4("10.0.0.1", 40000, "10.0.0.2", (uint16_t)port, shapes[i].seen, shapes[i].n);
            compare(d, &s);
        }
    }
    CHECK_EQ_INT(g_mismatch, 0);
    /* only Targus's two ports are left to the replay, in every shape taken */
    CHECK(g_compared > 65536 * 3);
    CHECK(g_left > 0 && g_left <= 2 * (int)NSHAPES);
    dpi_free(d);
}

TEST(every_client_port_gets_the_replays_verdict)
{
    struct dpi *d = dpi_new(64);

    g_compared = g_mismatch = g_left = 0;
    for (uint32_t port = 0; port <= 65535; port++) {
        /* a server port nDPI guesses (443) and one it does not; the guess
         * by port looks at both ports, so the client's can win */
        struct shape s = v4("192.168.1.10", (uint16_t)port, "192.168.1.20", 443, FLOW_TCP_SYN, 1);
        compare(d, &s);
        s = v4("192.168.1.10", (uint16_t)port, "192.168.1.20", 47000, FLOW_TCP_SYNACK, 2);
        compare(d, &s);
    }
    CHECK_EQ_INT(g_mismatch, 0);
    CHECK(g_compared >= 2 * 65536 - 4);
    dpi_free(d);
}

/* Addresses in nDPI's IP lists: the first address of every /24 that nDPI's
 * patricia tree knows, at most 60 per protocol so every list is sampled. */
static int listed_addresses(struct dpi *d, uint8_t (*out)[4], int max, int *nprotos)
{
    static int per[NDPI_MAX_SUPPORTED_PROTOCOLS];
    int n = 0;

    memset(per, 0, sizeof(per));
    *nprotos = 0;
    for (unsigned a = 1; a < 224; a++) {
        for (unsigned b = 0; b < 256; b++) {
            for (unsigned c = 0; c < 256 && n < max; c++) {
                uint8_t ip[4] = { (uint8_t)a, (uint8_t)b, (uint8_t)c, 1 };
                struct in_addr in;
                memcpy(&in, ip, 4);
                uint16_t p = ndpi_network_ptree_match(d->ndpi, &in);
                if (p == NDPI_PROTOCOL_UNKNOWN || p >= NDPI_MAX_SUPPORTED_PROTOCOLS || per[p] >= 60)
                    continue;
                *nprotos += per[p]++ == 0;
                memcpy(out[n++], ip, 4);
            }
        }
    }
    return n;
}

TEST(addresses_in_ndpis_ip_lists_get_the_replays_verdict)
{
    struct dpi *d = dpi_new(64);
    static uint8_t addrs[8000][4];
    static const uint16_t ports[] = { 0, 22, 80, 443, 1194, 3389, 3478, 5222, 8080, 40000 };
    char ip[16];

    g_compared = g_mismatch = g_left = 0;
    int nprotos;
    int n = listed_addresses(d, addrs, 8000, &nprotos);
    CHECK(n > 1000);
    CHECK(nprotos >= 30); /* Google, Facebook, Microsoft, Tor, ... */
    for (int i = 0; i < n; i++) {
        snprintf(ip, sizeof(ip), "%u.%u.%u.%u", addrs[i][0], addrs[i][1], addrs[i][2], addrs[i][3]);
        for (size_t p = 0; p < sizeof(ports) / sizeof(ports[0]); p++) {
            size_t k = (size_t)i % NSHAPES;
            /* the listed address as the server, then as the client */
            struct shape s = v4("10.1.2.3", 50000, ip, ports[p], shapes[k].seen, shapes[k].n);
            compare(d, &s);
            s = v4(ip, ports[p], "10.1.2.3", 50000, shapes[(k + 5) % NSHAPES].seen,
                   shapes[(k + 5) % NSHAPES].n);
            compare(d, &s);
        }
    }
    CHECK_EQ_INT(g_mismatch, 0);
    CHECK(g_compared > 20 * 1000);
    dpi_free(d);
}

TEST(ipv6_flows_get_the_replays_verdict)
{
    struct dpi *d = dpi_new(64);
    struct shape s;

    g_compared = g_mismatch = g_left = 0;
    memset(&s, 0, sizeof(s));
    s.ipver = 6;
    s.cip[0] = 0x20, s.cip[1] = 0x01, s.cip[2] = 0x0d, s.cip[3] = 0xb8, s.cip[15] = 1;
    s.sip[0] = 0x2a, s.sip[1] = 0x00, s.sip[2] = 0x14, s.sip[3] = 0x50, s.sip[15] = 0x0e; /* Google's */
    s.cport = 51000;
    for (uint32_t port = 0; port <= 65535; port += 3) {
        s.sport = (uint16_t)port;
        s.seen = shapes[port % NSHAPES].seen;
        s.n = shapes[port % NSHAPES].n;
        compare(d, &s);
    }
    CHECK_EQ_INT(g_mismatch, 0);
    CHECK(g_compared > 20000);
    dpi_free(d);
}

TEST(flows_the_header_only_dissectors_classify_are_replayed)
{
    struct dpi *d = dpi_new(64);
    struct dpi_flow a, b;
    static const char *inside[] = { "95.211.37.195", "95.211.37.203", "178.77.120.0", "178.77.120.127" };
    static const char *outside[] = { "95.211.37.194", "95.211.37.204", "178.77.119.255", "178.77.120.128" };

    for (size_t i = 0; i < 4; i++) {
        /* TeamViewer's addresses: the replay classifies (not a guess) */
        struct shape s = v4("10.0.0.1", 40000, inside[i], 443, FLOW_TCP_SYN, 1);
        CHECK_EQ_INT(direct(d, &s, &a), -1);
        replay(d, &s, &b);
        CHECK_EQ_INT(b.guessed, 0);
        CHECK_EQ_INT(b.app, NDPI_PROTOCOL_TEAMVIEWER);
        s = v4(inside[i], 40000, "10.0.0.1", 443, SEEN_BOTH, 2);
        CHECK_EQ_INT(direct(d, &s, &a), -1);
        /* next to them: a guess like any other, and the shortcut takes it */
        g_compared = g_mismatch = g_left = 0;
        s = v4("10.0.0.1", 40000, outside[i], 443, FLOW_TCP_SYN, 1);
        compare(d, &s);
        CHECK_EQ_INT(g_compared, 1);
        CHECK_EQ_INT(g_mismatch, 0);
    }
    for (uint16_t port = 5001; port <= 5201; port += 200) {
        /* Targus Getdata's ports, on either side */
        struct shape s = v4("10.0.0.1", 40000, "10.0.0.2", port, FLOW_TCP_SYN, 1);
        CHECK_EQ_INT(direct(d, &s, &a), -1);
        replay(d, &s, &b);
        CHECK_EQ_INT(b.guessed, 0);
        CHECK_EQ_INT(b.app, NDPI_PROTOCOL_TARGUS_GETDATA);
        s = v4("10.0.0.1", port, "10.0.0.2", 80, FLOW_TCP_SYN, 1);
        CHECK_EQ_INT(direct(d, &s, &a), -1);
    }
    dpi_free(d);
}

TEST(port_guess_from_per_port_answers_is_ndpis)
{
    struct dpi *d = dpi_new(64);
    uint16_t known[2048];
    int nk = 0, bad = 0;
    uint8_t u1, u2;

    /* the ports nDPI has a TCP default for, and some it has not */
    for (uint32_t p = 1; p <= 65535; p++)
        if (dpi_tcp_port_proto(d, (uint16_t)p) != NDPI_PROTOCOL_UNKNOWN && nk < 2000)
            known[nk++] = (uint16_t)p;
    CHECK(nk > 50 && nk < 2000);
    for (uint32_t p = 7; p < 65536 && nk < 2048; p += 4099)
        known[nk++] = (uint16_t)p;
    known[nk++] = 0;
    /* every port against each of them, both orders */
    for (uint32_t a = 0; a <= 65535; a++) {
        for (int i = 0; i < nk; i += (a % 97 == 0) ? 1 : 16) {
            uint16_t b = known[i];
            u1 = u2 = 7;
            uint16_t m = dpi_guess_tcp_port(d, (uint16_t)a, b, &u1);
            uint16_t n = ndpi_guess_protocol_id(d->ndpi, NULL, 6, (uint16_t)a, b, &u2);
            if (m != n || u1 != u2)
                bad++;
            m = dpi_guess_tcp_port(d, b, (uint16_t)a, &u1);
            if (m != n || u1 != u2)
                bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    dpi_free(d);
}

TEST(address_guess_memo_answers_as_ndpi)
{
    struct dpi *d = dpi_new(64);
    int bad = 0, hits = 0;

    /* addresses that collide in the table, listed ones among them, asked
     * twice over in an order that evicts */
    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < 50000; i++) {
            uint8_t ip[4] = { (uint8_t)(8 + i % 200), (uint8_t)(i * 7), (uint8_t)(i >> 3), (uint8_t)i };
            uint32_t a;
            memcpy(&a, ip, 4);
            uint16_t port = htons((uint16_t)((i % 5) == 0 ? 443 : 1000 + i % 3000));
            struct in_addr in = { a };
            uint16_t want = ndpi_network_port_ptree_match(d->ndpi, &in, port);
            bad += dpi_host_proto(d, a, port) != want;
            hits += want != NDPI_PROTOCOL_UNKNOWN;
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(hits > 0);
    dpi_free(d);
}

static void put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)(v >> 8); b[1] = (uint8_t)v; }

/* An IPv4 TCP segment with payload into nf, as the sensor feeds nDPI. */
static ndpi_protocol feed(struct dpi *d, struct ndpi_flow_struct *nf, const uint8_t *src, uint16_t sport,
                          const uint8_t *dst, uint16_t dport, uint8_t flags, const uint8_t *pl, size_t plen)
{
    uint8_t b[200];

    memset(b, 0, sizeof(b));
    b[0] = 0x45;
    put16(b + 2, (uint16_t)(40 + plen));
    b[8] = 64;
    b[9] = 6;
    memcpy(b + 12, src, 4);
    memcpy(b + 16, dst, 4);
    put16(b + 20, sport);
    put16(b + 22, dport);
    b[20 + 12] = 5 << 4;
    b[20 + 13] = flags;
    put16(b + 20 + 14, 65535);
    if (plen > 0)
        memcpy(b + 40, pl, plen);
    return ndpi_detection_process_packet(d->ndpi, nf, b, (unsigned short)(40 + plen), T_MS - 5000);
}

TEST(a_verdict_from_the_bittorrent_cache_is_left_to_the_replay)
{
    struct dpi *d = dpi_new(64);
    struct dpi_flow a, b;
    uint8_t peer[4] = { 10, 9, 8, 7 }, me[4] = { 10, 9, 8, 6 };
    uint8_t hs[68] = { 19 };

    memcpy(hs + 1, "BitTorrent protocol", 19);
    /* nDPI detects a BitTorrent handshake and caches its peers */
    struct flow bt;
    memset(&bt, 0, sizeof(bt));
    CHECK(dpi_attach(d, &bt) == 0);
    struct ndpi_flow_struct *nf = bt.dpi.ndpi;
    if (nf != NULL) {
        feed(d, nf, me, 40123, peer, 45682, DPI_TH_SYN, NULL, 0);
        feed(d, nf, peer, 45682, me, 40123, DPI_TH_SYN | DPI_TH_ACK, NULL, 0);
        ndpi_protocol p = feed(d, nf, me, 40123, peer, 45682, DPI_TH_ACK | 0x08, hs, sizeof(hs));
        CHECK_EQ_INT(p.app_protocol, NDPI_PROTOCOL_BITTORRENT);
        dpi_pool_put(d, nf);
    }
    /* a later flow to the same peer and port, header-only: the cache answers */
    struct shape s = v4("10.9.8.6", 40001, "10.9.8.7", 45682, FLOW_TCP_SYN, 1);
    CHECK_EQ_INT(direct(d, &s, &a), -1);
    replay(d, &s, &b);
    CHECK_EQ_INT(b.app, NDPI_PROTOCOL_BITTORRENT);
    /* and through dpi_flow_end, the replay's verdict */
    struct flow f;
    mkflow(&f, &s);
    dpi_flow_end(d, &f);
    CHECK_EQ_INT(f.dpi.app, NDPI_PROTOCOL_BITTORRENT);
    CHECK_EQ_INT(f.dpi.guessed, b.guessed);
    CHECK_EQ_INT((int)d->st.headers_replayed, 1);
    CHECK_EQ_INT((int)d->st.headers_direct, 0);
    dpi_flow_release(d, &f);
    /* first packet not a SYN and no port guess: the replay meets the cache at
     * that packet (nDPI's early giveup), so the verdict is a detection */
    s = v4("10.9.8.6", 40002, "10.9.8.7", 45682, 0, 3);
    CHECK_EQ_INT(direct(d, &s, &a), -1);
    replay(d, &s, &b);
    CHECK_EQ_INT(b.app, NDPI_PROTOCOL_BITTORRENT);
    CHECK_EQ_INT(b.guessed, 0);
    mkflow(&f, &s);
    dpi_flow_end(d, &f);
    CHECK_EQ_INT(f.dpi.app, NDPI_PROTOCOL_BITTORRENT);
    CHECK_EQ_INT(f.dpi.guessed, 0);
    CHECK_EQ_INT(f.dpi.confidence, b.confidence);
    dpi_flow_release(d, &f);
    dpi_free(d);
}

TEST(flow_end_takes_the_shortcut_without_a_pooled_struct)
{
    struct dpi *d = dpi_new(64);
    struct shape s = v4("10.0.0.1", 40000, "10.0.0.2", 443, FLOW_TCP_SYN, 2);
    struct flow f;
    struct dpi_flow b;

    mkflow(&f, &s);
    dpi_flow_end(d, &f);
    CHECK_EQ_INT(f.dpi.done, 1);
    CHECK(f.dpi.ndpi == NULL);
    CHECK_EQ_INT((int)d->st.headers_direct, 1);
    CHECK_EQ_INT((int)d->st.headers_replayed, 0);
    CHECK_EQ_INT((int)d->st.pool_bytes, 0); /* no nDPI flow struct pool chunk carved */
    replay(d, &s, &b);
    CHECK_EQ_INT(f.dpi.app, b.app);
    CHECK_EQ_INT(f.dpi.app, NDPI_PROTOCOL_TLS);
    CHECK_EQ_INT(f.dpi.guessed, 1);
    dpi_flow_release(d, &f);
    dpi_free(d);
}

int main(int c, char **v)
{
    dpi_global_init();
    return runner_main(c, v);
}
