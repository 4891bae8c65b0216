/* dpi_ndpi: the only file that talks to nDPI (4.2 API). See dpi_ndpi.h.
 *
 * Pools: nDPI flow structs are carved in chunks of DPI_CHUNK (allocated on
 * flow creation only when the free list is empty, never per packet) up to
 * max_active; a flow is returned with ndpi_free_flow_data() + memset. The
 * out-of-line names (struct dpi_names) come from a second pool the same way.
 * TCP flows take an nDPI struct only at their first payload packet; the
 * header-only packets before it are replayed then as synthetic headers built
 * from the flow key (dpi_replay), so nDPI sees the same handshake and packet
 * count it would have seen live. A TCP flow that ends without payload (a
 * port scan) gets nDPI's verdict without the replay (dpi_giveup_headers):
 * the state header-only packets leave in an nDPI flow is rebuilt in a scratch
 * struct and nDPI's own ndpi_detection_giveup() runs on it.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "classify/dpi_ndpi.h"
#include "flow/flow_mem.h"
#include "log.h"

#define DPI_CHUNK        4096   /* 2.7 MB: huge pages (flow/flow_mem.h) */
#define DPI_NAMES_CHUNK  1024   /* 144 KB of names records (144 B each) */
#define DPI_MAX_TCP_PKTS 80 /* ndpiReader's max_num_tcp_dissected_pkts */
#define DPI_MAX_UDP_PKTS 24 /* ndpiReader's max_num_udp_dissected_pkts */
#define DPI_MAX_OTHER_PKTS 32
/* Header-only packets replayed before a TCP flow's first payload: nDPI stops
 * dissecting after NDPI_MAX_NUM_PKTS_PER_FLOW_TO_DISSECT (32) packets, so
 * more would change nothing. */
#define DPI_REPLAY_MAX   32
/* The nDPI release dpi_giveup_headers() was checked against; any other
 * replays payload-less TCP flows instead. */
#define DPI_HEADERS_REVISION "4.2.0"
#define DPI_TH_FIN 0x01u
#define DPI_TH_SYN 0x02u
#define DPI_TH_ACK 0x10u

struct dpi_free_node {
    struct dpi_free_node *next;
};

struct dpi_chunk {
    struct dpi_chunk *next;
    /* DPI_CHUNK flow structs follow, each flow_size bytes */
};

/* ndpi_protocol2name goes through snprintf; flow events ask for the same
 * few names over and over, so each worker keeps the last answer per
 * (master, app, category) in a direct-mapped table (exact: a hit compares
 * the whole key; a miss asks nDPI). */
#define DPI_NAME_SLOTS 64
#define DPI_NAME_LEN 48

struct dpi_name_slot {
    uint16_t master, app, category;
    uint8_t used, len;
    char name[DPI_NAME_LEN];
};

/* The guesses dpi_giveup_headers() asks nDPI for are pure functions of a
 * port or of an address and port (nDPI's default-ports tree and IP patricia
 * tree do not change after start), and scans ask the same ones over and
 * over: each worker keeps nDPI's answers. Ports: one entry per TCP port.
 * Addresses: a direct-mapped table of (IPv4 address, port) -> protocol;
 * a hit compares the whole key, a miss asks nDPI. */
#define DPI_PORT_UNSET  0xffffu /* not asked yet */
#define DPI_PORT_CUSTOM 0xfffeu /* a user-defined protocol: always ask nDPI */
#define DPI_HOST_SLOTS  1024

struct dpi_host_slot {
    uint32_t addr;              /* network order */
    uint16_t port;              /* network order */
    uint8_t used;
    uint16_t proto;
};

struct dpi {
    struct ndpi_detection_module_struct *ndpi;
    size_t flow_size;
    uint32_t max_active;
    uint32_t allocated;
    struct dpi_free_node *free_list;
    struct dpi_chunk *chunks;
    uint32_t names_allocated;
    struct dpi_free_node *names_free;
    struct dpi_chunk *names_chunks;
    uint8_t synth[40 + 20];     /* one synthetic IPv6 + TCP header (dpi_synth) */
    struct ndpi_flow_struct *scratch; /* dpi_giveup_headers' flow struct */
    bool headers_exact;         /* nDPI is the version dpi_giveup_headers mirrors */
    struct dpi_host_slot host_memo[DPI_HOST_SLOTS]; /* dpi_host_proto */
    uint16_t tcp_port_proto[65536]; /* dpi_tcp_port_proto; DPI_PORT_UNSET until asked */
    struct dpi_stats st;
    struct dpi_name_slot names_cache[DPI_NAME_SLOTS]; /* dpi_proto_name */
};

static _Atomic uint64_t dpi_mem;

/* Counted with malloc_usable_size so that a block nDPI frees that did not
 * come from the hook cannot corrupt anything (it only skews the count). */
static void *dpi_malloc_hook(size_t n)
{
    void *p = malloc(n);

    if (p != NULL)
        atomic_fetch_add_explicit(&dpi_mem, malloc_usable_size(p), memory_order_relaxed);
    return p;
}

static void dpi_free_hook(void *p)
{
    if (p == NULL)
        return;
    atomic_fetch_sub_explicit(&dpi_mem, malloc_usable_size(p), memory_order_relaxed);
    free(p);
}

void dpi_global_init(void)
{
    set_ndpi_malloc(dpi_malloc_hook);
    set_ndpi_free(dpi_free_hook);
}

uint64_t dpi_mem_in_use(void)
{
    return atomic_load_explicit(&dpi_mem, memory_order_relaxed);
}

const char *dpi_version(void)
{
    return ndpi_revision();
}

struct dpi *dpi_new(uint32_t max_active)
{
    struct dpi *d = calloc(1, sizeof(*d));
    NDPI_PROTOCOL_BITMASK all;

    if (d == NULL)
        goto fail;
    d->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (d->ndpi == NULL)
        goto fail;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(d->ndpi, &all);
    ndpi_finalize_initialization(d->ndpi);
    d->flow_size = (ndpi_detection_get_sizeof_ndpi_flow_struct() + 15) & ~(size_t)15;
    d->max_active = max_active;
    d->scratch = calloc(1, d->flow_size);
    if (d->scratch == NULL)
        goto fail;
    d->headers_exact = strcmp(ndpi_revision(), DPI_HEADERS_REVISION) == 0;
    memset(d->tcp_port_proto, 0xff, sizeof(d->tcp_port_proto));
    return d;
fail:
    log_error("dpi", "cannot initialise nDPI %s: out of memory", ndpi_revision());
    dpi_free(d);
    return NULL;
}

void dpi_free(struct dpi *d)
{
    if (d == NULL)
        return;
    while (d->chunks != NULL) {
        struct dpi_chunk *c = d->chunks;
        d->chunks = c->next;
        free(c);
    }
    while (d->names_chunks != NULL) {
        struct dpi_chunk *c = d->names_chunks;
        d->names_chunks = c->next;
        free(c);
    }
    if (d->ndpi != NULL)
        ndpi_exit_detection_module(d->ndpi);
    free(d->scratch);
    free(d);
}

static struct ndpi_flow_struct *dpi_pool_get(struct dpi *d)
{
    struct dpi_free_node *n;

    if (d->free_list == NULL) {
        if (d->allocated >= d->max_active)
            return NULL;
        struct dpi_chunk *c = NULL;
        if (posix_memalign((void **)&c, FLOW_MEM_HUGE, sizeof(*c) + 16 + DPI_CHUNK * d->flow_size) != 0)
            return NULL;
        flow_mem_huge(c, sizeof(*c) + 16 + DPI_CHUNK * d->flow_size);
        c->next = d->chunks;
        d->chunks = c;
        uint8_t *base = (uint8_t *)(((uintptr_t)(c + 1) + 15) & ~(uintptr_t)15);
        for (int i = DPI_CHUNK - 1; i >= 0; i--) {
            n = (struct dpi_free_node *)(base + (size_t)i * d->flow_size);
            n->next = d->free_list;
            d->free_list = n;
        }
        d->allocated += DPI_CHUNK;
        d->st.pool_bytes += sizeof(*c) + 16 + DPI_CHUNK * d->flow_size;
    }
    n = d->free_list;
    d->free_list = n->next;
    memset(n, 0, d->flow_size);
    d->st.active++;
    return (struct ndpi_flow_struct *)n;
}

static void dpi_pool_put(struct dpi *d, struct ndpi_flow_struct *nf)
{
    struct dpi_free_node *n = (struct dpi_free_node *)nf;

    ndpi_free_flow_data(nf);
    n->next = d->free_list;
    d->free_list = n;
    d->st.active--;
}

/* A names record (struct dpi_names), zeroed; NULL when max_active of them
 * are in use or memory is short (the flow then reports no names). */
static struct dpi_names *dpi_names_get(struct dpi *d)
{
    struct dpi_free_node *n;
    size_t sz = (sizeof(struct dpi_names) + 15) & ~(size_t)15; /* free-list links are pointers */

    if (d->names_free == NULL) {
        if (d->names_allocated >= d->max_active)
            return NULL;
        struct dpi_chunk *c = malloc(sizeof(*c) + DPI_NAMES_CHUNK * sz);
        if (c == NULL)
            return NULL;
        c->next = d->names_chunks;
        d->names_chunks = c;
        uint8_t *base = (uint8_t *)(c + 1);
        for (int i = DPI_NAMES_CHUNK - 1; i >= 0; i--) {
            n = (struct dpi_free_node *)(base + (size_t)i * sz);
            n->next = d->names_free;
            d->names_free = n;
        }
        d->names_allocated += DPI_NAMES_CHUNK;
        d->st.pool_bytes += sizeof(*c) + DPI_NAMES_CHUNK * sz;
    }
    n = d->names_free;
    d->names_free = n->next;
    memset(n, 0, sizeof(struct dpi_names));
    return (struct dpi_names *)n;
}

void dpi_flow_release(struct dpi *d, struct flow *f)
{
    struct dpi_free_node *n = (struct dpi_free_node *)f->dpi.names;

    if (n == NULL)
        return;
    n->next = d->names_free;
    d->names_free = n;
    f->dpi.names = NULL;
}

static bool dpi_is_tls_like(uint16_t id)
{
    return id == NDPI_PROTOCOL_TLS || id == NDPI_PROTOCOL_QUIC || id == NDPI_PROTOCOL_DTLS ||
           id == NDPI_PROTOCOL_MAIL_SMTPS;
}

/* Copy what EVE reports out of nDPI flow nf (may be NULL) into f's verdict. */
static void dpi_take(struct dpi *d, struct flow *f, struct ndpi_flow_struct *nf, ndpi_protocol proto,
                     bool guessed)
{
    struct dpi_flow *df = &f->dpi;

    df->master = proto.master_protocol;
    df->app = proto.app_protocol;
    df->category = (uint16_t)proto.category;
    df->guessed = guessed;
    df->done = 1;
    if (nf != NULL) {
        df->risk = nf->risk;
        df->confidence = (uint8_t)nf->confidence;
        bool tls = dpi_is_tls_like(df->master) || dpi_is_tls_like(df->app);
        size_t hl = strnlen((const char *)nf->host_server_name, sizeof(nf->host_server_name));
        if (hl > 0 || (tls && (nf->protos.tls_quic.ja3_client[0] || nf->protos.tls_quic.ja3_server[0]))) {
            struct dpi_names *nm = df->names != NULL ? df->names : dpi_names_get(d);
            if (nm == NULL) {
                d->st.pool_exhausted++;
            } else {
                df->names = nm;
                /* Longer names are cut (DPI_HOST_MAX): the record stays small. */
                if (hl >= sizeof(nm->host))
                    hl = sizeof(nm->host) - 1;
                memcpy(nm->host, nf->host_server_name, hl);
                nm->host[hl] = '\0';
                if (tls) {
                    snprintf(nm->ja3c, sizeof(nm->ja3c), "%s", nf->protos.tls_quic.ja3_client);
                    snprintf(nm->ja3s, sizeof(nm->ja3s), "%s", nf->protos.tls_quic.ja3_server);
                }
            }
        }
    }
    if (guessed)
        d->st.guessed++;
    else
        d->st.classified++;
    if (df->master == NDPI_PROTOCOL_UNKNOWN && df->app == NDPI_PROTOCOL_UNKNOWN)
        d->st.unknown++;
}

/* Take the verdict from f's pooled nDPI flow, then return it to the pool. */
static void dpi_finish(struct dpi *d, struct flow *f, ndpi_protocol proto, bool guessed)
{
    struct ndpi_flow_struct *nf = f->dpi.ndpi;

    dpi_take(d, f, nf, proto, guessed);
    if (nf != NULL) {
        dpi_pool_put(d, nf);
        f->dpi.ndpi = NULL;
    }
}

static void dpi_giveup(struct dpi *d, struct flow *f)
{
    uint8_t was_guessed = 0;
    ndpi_protocol proto = ndpi_detection_giveup(d->ndpi, f->dpi.ndpi, 1, &was_guessed);

    dpi_finish(d, f, proto, true);
}

/* Feed one IP datagram to f's nDPI struct; n: the flow's packet count with
 * this one. Returns 1 when the verdict became final (the struct is then
 * back in the pool). */
static int dpi_feed(struct dpi *d, struct flow *f, const uint8_t *l3, uint32_t l3_len, uint64_t ms,
                    uint64_t n, uint8_t proto_l4)
{
    struct dpi_flow *df = &f->dpi;
    bool enough = (proto_l4 == 6 && n > DPI_MAX_TCP_PKTS) || (proto_l4 == 17 && n > DPI_MAX_UDP_PKTS) ||
                  (proto_l4 != 6 && proto_l4 != 17 && n > DPI_MAX_OTHER_PKTS);
    ndpi_protocol proto = ndpi_detection_process_packet(d->ndpi, df->ndpi, l3,
                                                        (unsigned short)(l3_len > 65535 ? 65535 : l3_len), ms);

    if (!enough && proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        return 0;
    if (!enough && ndpi_extra_dissection_possible(d->ndpi, df->ndpi))
        return 0; /* e.g. waiting for the server certificate */
    if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        dpi_giveup(d, f);
    else
        dpi_finish(d, f, proto, false);
    return 1;
}

static void dpi_put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static void dpi_put32(uint8_t *b, uint32_t v)
{
    dpi_put16(b, (uint16_t)(v >> 16));
    dpi_put16(b + 2, (uint16_t)v);
}

/* A header-only TCP packet of f (IPv4 or IPv6 + 20-byte TCP header) in
 * d->synth, from the client or the server. Returns its length. */
static uint32_t dpi_synth(struct dpi *d, const struct flow *f, bool from_client, uint8_t flags,
                          uint32_t seq, uint32_t ack)
{
    const struct flow_key *k = &f->key;
    const uint8_t *cip = f->client_is_lo ? k->ip_lo : k->ip_hi;
    const uint8_t *sip = f->client_is_lo ? k->ip_hi : k->ip_lo;
    uint16_t cport = f->client_is_lo ? k->port_lo : k->port_hi;
    uint16_t sport = f->client_is_lo ? k->port_hi : k->port_lo;
    uint8_t *b = d->synth, *t;
    uint32_t len;

    memset(b, 0, sizeof(d->synth));
    if (k->ipver == 4) {
        b[0] = 0x45;
        dpi_put16(b + 2, 40);
        b[8] = 64;
        b[9] = 6;
        memcpy(b + 12, from_client ? cip : sip, 4);
        memcpy(b + 16, from_client ? sip : cip, 4);
        t = b + 20;
        len = 40;
    } else {
        b[0] = 0x60;
        dpi_put16(b + 4, 20);
        b[6] = 6;
        b[7] = 64;
        memcpy(b + 8, from_client ? cip : sip, 16);
        memcpy(b + 24, from_client ? sip : cip, 16);
        t = b + 40;
        len = 60;
    }
    dpi_put16(t, from_client ? cport : sport);
    dpi_put16(t + 2, from_client ? sport : cport);
    dpi_put32(t + 4, seq);
    dpi_put32(t + 8, ack);
    t[12] = 5u << 4;
    t[13] = flags;
    dpi_put16(t + 14, 65535);
    return len;
}

static bool dpi_from_client(const struct flow *f, const struct packet *p)
{
    const uint8_t *cip = f->client_is_lo ? f->key.ip_lo : f->key.ip_hi;
    uint16_t cport = f->client_is_lo ? f->key.port_lo : f->key.port_hi;

    return p->sport == cport && memcmp(p->src, cip, 16) == 0;
}

/* The i-th (from 0) header-only packet dpi_replay() builds for f: the
 * client's SYN and the server's SYN-ACK when the flow table saw them, then
 * client ACKs. */
enum dpi_replay_kind { DPI_RP_SYN, DPI_RP_SYNACK, DPI_RP_ACK };

static enum dpi_replay_kind dpi_replay_kind(const struct flow *f, uint64_t i)
{
    bool syn = f->tcp_seen & FLOW_TCP_SYN, synack = f->tcp_seen & FLOW_TCP_SYNACK;

    if (i == 0 && syn)
        return DPI_RP_SYN;
    if ((i == 0 && !syn && synack) || (i == 1 && syn && synack))
        return DPI_RP_SYNACK;
    return DPI_RP_ACK;
}

/* Replay the `prior` header-only packets of TCP flow f that nDPI did not see:
 * the client's SYN and the server's SYN-ACK when the flow table saw them,
 * then client ACKs. p (may be NULL) is the first packet that will be fed;
 * its sequence and acknowledgement numbers give the initial sequence
 * numbers, so nDPI's sequence tracking continues into it unchanged. Returns
 * 1 when the verdict became final during the replay. */
static int dpi_replay(struct dpi *d, struct flow *f, const struct packet *p, uint64_t prior, uint64_t ms)
{
    uint32_t cnext = 1001, snext = 5001;

    if (p != NULL && (p->tcp_flags & DPI_TH_ACK)) {
        bool fc = dpi_from_client(f, p);
        cnext = fc ? p->tcp_seq : p->tcp_ack;
        snext = fc ? p->tcp_ack : p->tcp_seq;
    }
    if (prior > DPI_REPLAY_MAX)
        prior = DPI_REPLAY_MAX;
    for (uint64_t i = 0; i < prior; i++) {
        uint32_t len;
        switch (dpi_replay_kind(f, i)) {
        case DPI_RP_SYN:
            len = dpi_synth(d, f, true, DPI_TH_SYN, cnext - 1, 0);
            break;
        case DPI_RP_SYNACK:
            len = dpi_synth(d, f, false, DPI_TH_SYN | DPI_TH_ACK, snext - 1, cnext);
            break;
        default:
            len = dpi_synth(d, f, true, DPI_TH_ACK, cnext, snext);
            break;
        }
        if (dpi_feed(d, f, d->synth, len, ms, i + 1, 6))
            return 1;
    }
    return 0;
}

/* Ports and IPv4 addresses that nDPI 4.2's dissectors for header-only TCP
 * packets classify without payload: Targus Getdata by port (5001, 5201) and
 * TeamViewer by address (95.211.37.195-203, 178.77.120.0/25), read from
 * ndpi_search_targus_getdata and ndpi_search_teamview of the 4.2 library.
 * The six other header-only dissectors (eDonkey, Jabber, Steam, Telegram,
 * Hangout, tinc) need payload to classify. Such flows are replayed. */
static bool dpi_port_dissected(uint16_t port)
{
    return port == 5001 || port == 5201;
}

static bool dpi_addr4_dissected(const uint8_t *a)
{
    uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

    return v - 0x5fd325c3u <= 8u || (v & 0xffffff80u) == 0xb24d7800u;
}

/* nDPI's protocol for TCP port p alone (its default-ports tree), memoized. */
static uint16_t dpi_tcp_port_proto(struct dpi *d, uint16_t p)
{
    uint16_t v = d->tcp_port_proto[p];

    if (v == DPI_PORT_UNSET) {
        uint8_t user_proto = 0;
        v = ndpi_guess_protocol_id(d->ndpi, NULL, 6, p, p, &user_proto);
        if (user_proto)
            v = DPI_PORT_CUSTOM;
        d->tcp_port_proto[p] = v;
    }
    return v;
}

/* ndpi_guess_protocol_id(.., IPPROTO_TCP, a, b, ..) from the per-port
 * answers: nDPI 4.2 looks both ports up in its default-ports tree, the lower
 * one first (ndpi_get_guessed_protocol_id), and its entries all name a
 * protocol. A zero port or a user-defined protocol goes to nDPI. */
static uint16_t dpi_guess_tcp_port(struct dpi *d, uint16_t a, uint16_t b, uint8_t *user_proto)
{
    if (a != 0 && b != 0) {
        uint16_t v = dpi_tcp_port_proto(d, a < b ? a : b);
        if (v == NDPI_PROTOCOL_UNKNOWN)
            v = dpi_tcp_port_proto(d, a < b ? b : a);
        if (v != DPI_PORT_CUSTOM) {
            *user_proto = 0;
            return v;
        }
    }
    return ndpi_guess_protocol_id(d->ndpi, NULL, 6, a, b, user_proto);
}

/* ndpi_network_port_ptree_match(addr, port), memoized (both network order). */
static uint16_t dpi_host_proto(struct dpi *d, uint32_t addr, uint16_t port)
{
    uint32_t h = ((addr ^ ((uint32_t)port * 0x9e3779b1u)) * 0x9e3779b1u) >> 22;
    struct dpi_host_slot *e = &d->host_memo[h % DPI_HOST_SLOTS];

    if (!e->used || e->addr != addr || e->port != port) {
        struct in_addr a;
        a.s_addr = addr;
        e->proto = ndpi_network_port_ptree_match(d->ndpi, &a, port);
        e->addr = addr;
        e->port = port;
        e->used = 1;
    }
    return e->proto;
}

/* At the end of TCP flow f, which carried no payload: the verdict that
 * dpi_replay() of its n header-only packets followed by
 * ndpi_detection_giveup() would give, without feeding nDPI. For such packets
 * nDPI 4.2 only records the guesses of the flow's first packet (by port,
 * ndpi_guess_protocol_id, and by address, the patricia tree), the addresses
 * and ports of its last one and the time, then runs the header-only
 * dissectors (see dpi_port_dissected). That state is written into a zeroed
 * scratch flow struct and nDPI's own giveup runs on it, so the port and
 * address guesses, category and risks are nDPI's. Returns 0 with the verdict
 * set, or -1 when the shortcut is not known to be exact for f (another nDPI
 * version, a flow a header-only dissector would classify, or a verdict taken
 * from one of nDPI's LRU caches, which the replay can reach earlier and
 * report as detected): the caller then replays. */
static int dpi_giveup_headers(struct dpi *d, struct flow *f, uint64_t n, uint64_t ms)
{
    const struct flow_key *k = &f->key;
    struct ndpi_flow_struct *nf = d->scratch;
    const uint8_t *cip = f->client_is_lo ? k->ip_lo : k->ip_hi;
    const uint8_t *sip = f->client_is_lo ? k->ip_hi : k->ip_lo;
    uint16_t cport = f->client_is_lo ? k->port_lo : k->port_hi;
    uint16_t sport = f->client_is_lo ? k->port_hi : k->port_lo;
    uint64_t m = n < DPI_REPLAY_MAX ? n : DPI_REPLAY_MAX;
    uint8_t user_proto = 0, was_guessed = 0;
    int rc = -1;

    if (!d->headers_exact || m == 0 || dpi_port_dissected(cport) || dpi_port_dissected(sport))
        return -1;
    if (k->ipver == 4 && (dpi_addr4_dissected(cip) || dpi_addr4_dissected(sip)))
        return -1;
    bool first_c = dpi_replay_kind(f, 0) != DPI_RP_SYNACK;
    bool last_c = dpi_replay_kind(f, m - 1) != DPI_RP_SYNACK;

    memset(nf, 0, d->flow_size);
    nf->l4_proto = 6;
    nf->is_ipv6 = k->ipver == 6;
    nf->init_finished = 1;
    nf->protocol_id_already_guessed = 1;
    nf->num_processed_pkts = (uint16_t)m;
    nf->last_packet_time_ms = ms;
    nf->sport = htons(last_c ? cport : sport);
    nf->dport = htons(last_c ? sport : cport);
    if (k->ipver == 4) {
        memcpy(&nf->saddr, last_c ? cip : sip, 4);
        memcpy(&nf->daddr, last_c ? sip : cip, 4);
    }
    /* ndpi_do_guess on the first packet: by port, then (IPv4 only) by the
     * source address and port, else the destination's; all network order. */
    uint16_t fsp = first_c ? cport : sport, fdp = first_c ? sport : cport;
    uint16_t gp = dpi_guess_tcp_port(d, fsp, fdp, &user_proto);
    uint16_t gh = NDPI_PROTOCOL_UNKNOWN;
    if (k->ipver == 4) {
        uint32_t fsa, fda;
        memcpy(&fsa, first_c ? cip : sip, 4);
        memcpy(&fda, first_c ? sip : cip, 4);
        gh = dpi_host_proto(d, fsa, htons(fsp));
        if (gh == NDPI_PROTOCOL_UNKNOWN)
            gh = dpi_host_proto(d, fda, htons(fdp));
    }
    if (user_proto || gp >= NDPI_MAX_SUPPORTED_PROTOCOLS || gh >= NDPI_MAX_SUPPORTED_PROTOCOLS)
        goto out; /* custom protocols: nDPI takes another path */
    nf->guessed_protocol_id = gp;
    nf->guessed_host_protocol_id = gh;
    ndpi_protocol proto = ndpi_detection_giveup(d->ndpi, nf, 1, &was_guessed);
    if (nf->confidence == NDPI_CONFIDENCE_DPI_CACHE)
        goto out;
    dpi_take(d, f, nf, proto, true);
    d->st.headers_direct++;
    rc = 0;
out:
    ndpi_free_flow_data(nf);
    return rc;
}

/* Take an nDPI struct for f; 0, or -1 when the pool is exhausted (counted,
 * the flow is then done with an unknown verdict). */
static int dpi_attach(struct dpi *d, struct flow *f)
{
    f->dpi.ndpi = dpi_pool_get(d);
    if (f->dpi.ndpi != NULL)
        return 0;
    d->st.pool_exhausted++;
    f->dpi.done = 1;
    return -1;
}

int dpi_process(struct dpi *d, struct flow *f, const struct packet *p)
{
    struct dpi_flow *df = &f->dpi;
    uint64_t n = f->pkts[0] + f->pkts[1];
    uint64_t ms = (uint64_t)p->ts.tv_sec * 1000u + (uint64_t)p->ts.tv_usec / 1000u;

    if (p->payload_len > 0)
        df->payload_seen = 1;
    if (df->done)
        return 0;
    if (df->pkts < UINT8_MAX)
        df->pkts++;
    if (df->ndpi == NULL) {
        /* TCP: nothing to dissect before payload (port scans never have
         * any); the handshake is replayed when payload comes. */
        if (p->proto == 6 && p->payload_len == 0 && n <= DPI_MAX_TCP_PKTS)
            return 0;
        if (dpi_attach(d, f) != 0)
            return 1;
        if (p->proto == 6 && n > 1 && dpi_replay(d, f, p, n - 1, ms))
            return 1;
    }
    return dpi_feed(d, f, p->l3, p->l3_len, ms, n, p->proto);
}

void dpi_flow_end(struct dpi *d, struct flow *f)
{
    struct dpi_flow *df = &f->dpi;

    /* A TCP flow that never carried payload: nDPI's giveup on the state its
     * header-only packets would have left, else those packets replayed and
     * the same giveup (port and address guesses) as any other. */
    if (!df->done && df->ndpi == NULL && f->key.proto == 6) {
        uint64_t n = f->pkts[0] + f->pkts[1];
        uint64_t ms = (uint64_t)f->last.tv_sec * 1000u + (uint64_t)f->last.tv_usec / 1000u;
        if (dpi_giveup_headers(d, f, n, ms) == 0)
            return;
        d->st.headers_replayed++;
        if (dpi_attach(d, f) == 0 && dpi_replay(d, f, NULL, n, ms))
            return;
    }
    if (df->ndpi != NULL && !df->done)
        dpi_giveup(d, f);
    else if (df->ndpi != NULL) {
        dpi_pool_put(d, df->ndpi);
        df->ndpi = NULL;
    }
}

const char *dpi_proto_name(struct dpi *d, const struct dpi_flow *df, char *buf, size_t cap)
{
    ndpi_protocol proto = { df->master, df->app, (ndpi_protocol_category_t)df->category };
    struct dpi_name_slot *e =
        &d->names_cache[(df->master * 31u + df->app * 7u + df->category) % DPI_NAME_SLOTS];
    const char *n;
    size_t len;

    if (e->used && e->master == df->master && e->app == df->app && e->category == df->category &&
        (size_t)e->len < cap) {
        memcpy(buf, e->name, (size_t)e->len + 1);
        return buf;
    }
    n = ndpi_protocol2name(d->ndpi, proto, buf, (u_int)cap);
    len = strlen(n);
    if (len < DPI_NAME_LEN) {
        e->used = 1;
        e->master = df->master;
        e->app = df->app;
        e->category = (uint16_t)df->category;
        e->len = (uint8_t)len;
        memcpy(e->name, n, len + 1);
    }
    return n;
}

const char *dpi_category_name(struct dpi *d, const struct dpi_flow *df)
{
    return ndpi_category_get_name(d->ndpi, (ndpi_protocol_category_t)df->category);
}

void dpi_risk_each(uint64_t risk, void (*fn)(const char *name, void *arg), void *arg)
{
    for (int i = 1; i < NDPI_MAX_RISK && i < 64; i++)
        if (risk & (1ull << i))
            fn(ndpi_risk2str((ndpi_risk_enum)i), arg);
}

static const char *dpi_app_proto_id(uint16_t id)
{
    switch (id) {
    case NDPI_PROTOCOL_HTTP:
    case NDPI_PROTOCOL_HTTP_CONNECT:
    case NDPI_PROTOCOL_HTTP_PROXY:   return "http";
    case NDPI_PROTOCOL_TLS:          return "tls";
    case NDPI_PROTOCOL_DNS:          return "dns";
    case NDPI_PROTOCOL_SMBV1:
    case NDPI_PROTOCOL_SMBV23:       return "smb";
    case NDPI_PROTOCOL_SSH:          return "ssh";
    case NDPI_PROTOCOL_FTP_CONTROL:  return "ftp";
    case NDPI_PROTOCOL_FTP_DATA:     return "ftp-data";
    case NDPI_PROTOCOL_MAIL_SMTP:
    case NDPI_PROTOCOL_MAIL_SMTPS:   return "smtp";
    case NDPI_PROTOCOL_MAIL_IMAP:    return "imap";
    case NDPI_PROTOCOL_MAIL_POP:     return "pop3";
    case NDPI_PROTOCOL_DHCP:         return "dhcp";
    case NDPI_PROTOCOL_NTP:          return "ntp";
    case NDPI_PROTOCOL_KERBEROS:     return "krb5";
    case NDPI_PROTOCOL_SNMP:         return "snmp";
    case NDPI_PROTOCOL_SIP:          return "sip";
    case NDPI_PROTOCOL_RDP:          return "rdp";
    case NDPI_PROTOCOL_QUIC:         return "quic";
    case NDPI_PROTOCOL_MQTT:         return "mqtt";
    case NDPI_PROTOCOL_MODBUS:       return "modbus";
    case NDPI_PROTOCOL_DNP3:         return "dnp3";
    case NDPI_PROTOCOL_NFS:          return "nfs";
    case NDPI_PROTOCOL_TFTP:         return "tftp";
    case NDPI_PROTOCOL_TELNET:       return "telnet";
    case NDPI_PROTOCOL_IRC:          return "irc";
    case NDPI_PROTOCOL_DCERPC:       return "dcerpc";
    case NDPI_PROTOCOL_IP_IPSEC:     return "ike";
    default:                         return NULL;
    }
}

const char *dpi_app_proto(const struct dpi_flow *df)
{
    /* The master carries the wire protocol ("TLS" in TLS.Google). */
    const char *s = df->master ? dpi_app_proto_id(df->master) : NULL;

    return s ? s : dpi_app_proto_id(df->app);
}

const struct dpi_stats *dpi_get_stats(const struct dpi *d)
{
    return &d->st;
}
