/* Unit tests of the flow key and flow table: key symmetry, lookup, the
 * SYN-ACK direction swap, TCP states, timeouts per state on packet time,
 * eviction when full and no growth past max_flows. Packets are built by
 * hand (only the fields the flow code reads); no decoder is linked.
 */
#include <string.h>

#include "flow/flow_key.c"
#include "flow/flow_table.c"
#include "../runner.h"

static struct packet mkpkt(uint32_t sip, uint16_t sport, uint32_t dip, uint16_t dport,
                           uint8_t proto, uint8_t flags, long sec)
{
    struct packet p;

    memset(&p, 0, sizeof(p));
    p.ip_version = 4;
    memcpy(p.src, &sip, 4);
    memcpy(p.dst, &dip, 4);
    p.sport = sport;
    p.dport = dport;
    p.proto = proto;
    p.tcp_flags = flags;
    p.ts.tv_sec = sec;
    p.len = 100;
    return p;
}

struct ended {
    int n;
    int reasons[3];
    uint64_t last_pkts[2];
    int last_state;
};

static void on_end(struct flow *f, enum flow_end_reason r, void *arg)
{
    struct ended *e = arg;

    e->n++;
    e->reasons[r]++;
    e->last_pkts[0] = f->pkts[0];
    e->last_pkts[1] = f->pkts[1];
    e->last_state = f->state;
}

/* Look up and count one packet, as the worker does. */
static struct flow *feed(struct flow_table *t, const struct packet *p, int *dir, bool *is_new)
{
    struct flow_key k;
    int lo = flow_key_from_packet(&k, p, true);
    struct flow *f = flow_table_get(t, &k, flow_key_hash(&k), p, lo, dir, is_new);

    if (f != NULL)
        flow_table_update(t, f, p, *dir);
    return f;
}

static struct flow_table *mktable(uint32_t max, struct ended *e)
{
    struct flow_table_cfg c;

    flow_table_cfg_defaults(&c);
    c.max_flows = max;
    memset(e, 0, sizeof(*e));
    return flow_table_new(&c, on_end, e);
}

TEST(key_is_symmetric)
{
    struct packet a = mkpkt(0x0100000a, 1234, 0x0200000a, 80, 6, 0x02, 1);
    struct packet b = mkpkt(0x0200000a, 80, 0x0100000a, 1234, 6, 0x12, 1);
    struct flow_key ka, kb;
    int la = flow_key_from_packet(&ka, &a, true);
    int lb = flow_key_from_packet(&kb, &b, true);

    CHECK(flow_key_equal(&ka, &kb));
    CHECK_EQ_INT(flow_key_hash(&ka), flow_key_hash(&kb));
    CHECK(la != lb);
    struct timeval t0 = { 5, 0 }, t1 = { 5, 1 };
    CHECK(flow_key_flow_id(&ka, t0) == flow_key_flow_id(&kb, t0));
    CHECK(flow_key_flow_id(&ka, t0) != flow_key_flow_id(&ka, t1));
    CHECK(flow_key_flow_id(&ka, t0) < (1ull << 51));
}

/* flow_id must stay FNV-1a over the key bytes seeded with the start time
 * (ids are in EVE and must not change): the zero-word shortcut in
 * flow_key_hash64 is checked against the plain byte loop, on IPv4 and IPv6
 * keys, keys with zero runs in every position, and random ones. */
static uint64_t ref_flow_id(const struct flow_key *k, struct timeval start)
{
    uint64_t seed = (uint64_t)start.tv_sec * 1000000u + (uint64_t)start.tv_usec;
    const uint8_t *b = (const uint8_t *)k;
    uint64_t h = 1469598103934665603ull ^ (seed * 0x9e3779b97f4a7c15ull);

    for (size_t i = 0; i < sizeof(*k); i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    h &= (1ull << 51) - 1;
    return h ? h : 1;
}

TEST(flow_id_is_fnv1a_of_the_key_bytes)
{
    uint64_t x = 0x243f6a8885a308d3ull;
    int bad = 0;

    for (int i = 0; i < 20000; i++) {
        struct flow_key k;
        uint8_t *b = (uint8_t *)&k;
        struct timeval tv = { .tv_sec = 1600000000 + i, .tv_usec = i % 1000000 };

        memset(&k, 0, sizeof(k));
        for (size_t j = 0; j < sizeof(k); j++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* mode 0: random bytes; 1: IPv4-like; 2: sparse (zero runs anywhere) */
            if (i % 3 == 0 || (i % 3 == 1 && (j < 4 || (j >= 16 && j < 20) || j >= 32)) ||
                (i % 3 == 2 && (x >> 60) == 0))
                b[j] = (uint8_t)(x >> 24);
        }
        if (flow_key_flow_id(&k, tv) != ref_flow_id(&k, tv))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
}

/* The lower endpoint goes first, ordered as memcmp orders the addresses
 * (then ports), and every byte of the key is written as the fields say:
 * checked on random IPv6-sized addresses that share prefixes, with and
 * without VLAN tracking. */
TEST(key_orders_endpoints_like_memcmp)
{
    uint64_t x = 0x853c49e6748fea9bull;
    int bad = 0;

    for (int i = 0; i < 50000; i++) {
        struct packet p;
        struct flow_key k, ref;
        int c, want;

        memset(&p, 0, sizeof(p));
        p.ip_version = 6;
        p.proto = 17;
        for (int j = 0; j < 16; j++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p.src[j] = (uint8_t)x;
            /* equal prefixes of every length, then a random byte */
            p.dst[j] = j < i % 17 ? p.src[j] : (uint8_t)(x >> 8);
        }
        p.sport = (uint16_t)(x >> 16);
        p.dport = (uint16_t)(i & 1 ? p.sport : x >> 32);
        p.vlan_count = (uint8_t)(i % 3);
        p.vlan[0] = (uint16_t)(x >> 40);
        p.vlan[1] = (uint16_t)(x >> 48);
        p.proto = (uint8_t)(x >> 56);
        c = memcmp(p.src, p.dst, 16);
        want = c < 0 || (c == 0 && p.sport <= p.dport);
        memset(&ref, 0xa5, sizeof(ref)); /* every byte must be written */
        memset(&k, 0x5a, sizeof(k));
        memcpy(ref.ip_lo, want ? p.src : p.dst, 16);
        memcpy(ref.ip_hi, want ? p.dst : p.src, 16);
        ref.port_lo = want ? p.sport : p.dport;
        ref.port_hi = want ? p.dport : p.sport;
        ref.vlan = (i & 2) && p.vlan_count > 0 ? p.vlan[p.vlan_count - 1] & 0x0fffu : 0;
        ref.proto = p.proto;
        ref.ipver = 6;
        bad += flow_key_from_packet(&k, &p, (i & 2) != 0) != want;
        bad += memcmp(&k, &ref, sizeof(k)) != 0;
    }
    CHECK_EQ_INT(bad, 0);
}

TEST(key_separates_vlan_and_ports)
{
    struct packet a = mkpkt(1, 1000, 2, 53, 17, 0, 1);
    struct packet b = a;
    struct flow_key ka, kb;

    b.vlan[0] = 10;
    b.vlan_count = 1;
    flow_key_from_packet(&ka, &a, true);
    flow_key_from_packet(&kb, &b, true);
    CHECK(!flow_key_equal(&ka, &kb));
    flow_key_from_packet(&kb, &b, false);
    CHECK(flow_key_equal(&ka, &kb));
    b = a;
    b.sport = 1001;
    flow_key_from_packet(&kb, &b, true);
    CHECK(!flow_key_equal(&ka, &kb));
}

TEST(lookup_both_directions_same_flow)
{
    struct ended e;
    struct flow_table *t = mktable(64, &e);
    struct packet syn = mkpkt(0x0100000a, 1234, 0x0200000a, 80, 6, 0x02, 10);
    struct packet synack = mkpkt(0x0200000a, 80, 0x0100000a, 1234, 6, 0x12, 10);
    struct packet ack = mkpkt(0x0100000a, 1234, 0x0200000a, 80, 6, 0x10, 10);
    int dir;
    bool is_new;

    struct flow *f1 = feed(t, &syn, &dir, &is_new);
    CHECK(f1 != NULL && is_new && dir == FLOW_DIR_TOSERVER);
    CHECK_EQ_INT(f1->state, FLOW_STATE_NEW);
    struct flow *f2 = feed(t, &synack, &dir, &is_new);
    CHECK(f2 == f1 && !is_new && dir == FLOW_DIR_TOCLIENT);
    feed(t, &ack, &dir, &is_new);
    CHECK_EQ_INT(f1->state, FLOW_STATE_ESTABLISHED);
    CHECK_EQ_INT(f1->pkts[0], 2);
    CHECK_EQ_INT(f1->pkts[1], 1);
    CHECK_EQ_INT(flow_table_get_stats(t)->active, 1);
    CHECK_EQ_INT(flow_table_get_stats(t)->total, 1);
    flow_table_free(t);
}

TEST(first_synack_makes_receiver_the_client)
{
    struct ended e;
    struct flow_table *t = mktable(64, &e);
    struct packet synack = mkpkt(0x0200000a, 80, 0x0100000a, 1234, 6, 0x12, 10);
    struct packet ack = mkpkt(0x0100000a, 1234, 0x0200000a, 80, 6, 0x10, 10);
    int dir;
    bool is_new;

    struct flow *f = feed(t, &synack, &dir, &is_new);
    CHECK(f != NULL && dir == FLOW_DIR_TOCLIENT);
    feed(t, &ack, &dir, &is_new);
    CHECK_EQ_INT(dir, FLOW_DIR_TOSERVER);
    flow_table_free(t);
}

TEST(fin_both_ways_closes_and_syn_reuses)
{
    struct ended e;
    struct flow_table *t = mktable(64, &e);
    struct packet c2s = mkpkt(1, 1234, 2, 80, 6, 0x02, 1);
    struct packet s2c = mkpkt(2, 80, 1, 1234, 6, 0x12, 1);
    int dir;
    bool is_new;

    feed(t, &c2s, &dir, &is_new);
    feed(t, &s2c, &dir, &is_new);
    c2s.tcp_flags = 0x11;
    struct flow *f = feed(t, &c2s, &dir, &is_new);
    CHECK_EQ_INT(f->state, FLOW_STATE_ESTABLISHED);
    s2c.tcp_flags = 0x11;
    feed(t, &s2c, &dir, &is_new);
    CHECK_EQ_INT(f->state, FLOW_STATE_CLOSED);
    c2s.tcp_flags = 0x02;
    c2s.ts.tv_sec = 2;
    feed(t, &c2s, &dir, &is_new);
    CHECK(is_new);
    CHECK_EQ_INT(e.n, 1);
    CHECK_EQ_INT(e.last_state, FLOW_STATE_CLOSED);
    CHECK_EQ_INT(flow_table_get_stats(t)->tcp_reuse, 1);
    flow_table_free(t);
}

TEST(timeouts_depend_on_state)
{
    struct ended e;
    struct flow_table *t = mktable(64, &e);
    /* UDP one-way (new: 30 s) and UDP both ways (established: 300 s). */
    struct packet a = mkpkt(1, 1000, 2, 53, 17, 0, 100);
    struct packet b = mkpkt(3, 1000, 4, 53, 17, 0, 100);
    struct packet b_rev = mkpkt(4, 53, 3, 1000, 17, 0, 100);
    int dir;
    bool is_new;

    feed(t, &a, &dir, &is_new);
    feed(t, &b, &dir, &is_new);
    feed(t, &b_rev, &dir, &is_new);
    CHECK_EQ_INT(flow_table_expire(t, (struct timeval){ 130, 0 }, 100), 0);
    CHECK_EQ_INT(flow_table_expire(t, (struct timeval){ 130, 1 }, 100), 1);
    CHECK_EQ_INT(e.reasons[FLOW_END_TIMEOUT], 1);
    CHECK_EQ_INT(e.last_pkts[0], 1);
    CHECK_EQ_INT(flow_table_get_stats(t)->active, 1);
    CHECK_EQ_INT(flow_table_expire(t, (struct timeval){ 400, 1 }, 100), 1);
    CHECK_EQ_INT(flow_table_get_stats(t)->active, 0);
    flow_table_free(t);
}

TEST(expired_flow_restarts_on_lookup)
{
    struct ended e;
    struct flow_table *t = mktable(64, &e);
    struct packet a = mkpkt(1, 1000, 2, 53, 17, 0, 100);
    int dir;
    bool is_new;

    struct flow *f = feed(t, &a, &dir, &is_new);
    uint64_t id1 = f->flow_id;
    a.ts.tv_sec = 131; /* past the 30 s new-flow timeout, no scan in between */
    f = feed(t, &a, &dir, &is_new);
    CHECK(is_new);
    CHECK(f->flow_id != id1);
    CHECK_EQ_INT(e.n, 1);
    CHECK_EQ_INT(f->pkts[0], 1);
    flow_table_free(t);
}

TEST(full_table_evicts_oldest_and_never_grows)
{
    struct ended e;
    struct flow_table *t = mktable(8, &e);
    int dir;
    bool is_new;

    for (uint16_t i = 0; i < 20; i++) {
        struct packet p = mkpkt(1, (uint16_t)(1000 + i), 2, 53, 17, 0, 10 + i);
        CHECK(feed(t, &p, &dir, &is_new) != NULL);
        CHECK(flow_table_get_stats(t)->active <= 8);
    }
    CHECK_EQ_INT(flow_table_get_stats(t)->active, 8);
    CHECK_EQ_INT(flow_table_get_stats(t)->evicted, 12);
    CHECK_EQ_INT(e.reasons[FLOW_END_FORCED], 12);
    /* The oldest went first: port 1000..1011 are gone, 1012.. remain. */
    /* Within the emergency UDP timeout (10 s: the table is full). */
    struct packet old = mkpkt(1, 1000, 2, 53, 17, 0, 31);
    struct packet young = mkpkt(1, 1019, 2, 53, 17, 0, 31);
    feed(t, &young, &dir, &is_new);
    CHECK(!is_new);
    feed(t, &old, &dir, &is_new);
    CHECK(is_new);
    flow_table_flush(t);
    CHECK_EQ_INT(flow_table_get_stats(t)->active, 0);
    CHECK_EQ_INT(e.reasons[FLOW_END_SHUTDOWN], 8);
    flow_table_free(t);
}

TEST(many_flows_all_found_again)
{
    struct ended e;
    struct flow_table *t = mktable(4096, &e);
    int dir;
    bool is_new;
    int found = 0;

    for (uint32_t i = 0; i < 4000; i++) {
        struct packet p = mkpkt(i + 1, (uint16_t)i, 0x0a0a0a0a, 443, 6, 0x02, 1);
        feed(t, &p, &dir, &is_new);
    }
    for (uint32_t i = 0; i < 4000; i++) {
        struct packet p = mkpkt(0x0a0a0a0a, 443, i + 1, (uint16_t)i, 6, 0x12, 1);
        struct flow *f = feed(t, &p, &dir, &is_new);
        found += (f != NULL && !is_new && dir == FLOW_DIR_TOCLIENT);
    }
    CHECK_EQ_INT(found, 4000);
    CHECK_EQ_INT(flow_table_get_stats(t)->total, 4000);
    CHECK_EQ_INT(e.n, 0);
    flow_table_free(t);
}

/* Bucket chains under churn: hashes are forced to collide (the caller
 * passes the hash), two groups share a bucket with different tags, one of
 * them the all-ones hash, whose entry for the last record index would read
 * as an empty bucket if the tag were kept whole; flows are evicted from the
 * middle of chains. A key must be found exactly while it is live (created
 * and not yet reported ended). */
static int churn_live[200];

static void churn_end(struct flow *f, enum flow_end_reason r, void *arg)
{
    uint16_t port = f->key.port_lo == 53 ? f->key.port_hi : f->key.port_lo;

    (void)r;
    (void)arg;
    churn_live[port - 1000] = 0;
}

TEST(chains_with_colliding_hashes_under_churn)
{
    static const uint32_t hashes[3] = { 0xffffffffu, 0x0000001fu, 0x12345605u };
    struct flow_table_cfg c;
    struct flow_table *t;
    uint64_t x = 0x2545f4914f6cdd1dull;
    int wrong_new = 0, wrong_active = 0, wrong_dir = 0, live = 0;

    flow_table_cfg_defaults(&c);
    c.max_flows = 32;
    t = flow_table_new(&c, churn_end, NULL);
    CHECK(t != NULL);
    CHECK(ft_tag(t, 0xffffffffu) != ~t->mask);
    memset(churn_live, 0, sizeof(churn_live));
    for (int step = 0; step < 20000; step++) {
        struct packet p;
        struct flow_key k;
        struct flow *f;
        uint32_t i;
        int dir, lo, rev;
        bool is_new;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        i = (uint32_t)(x % 200);
        rev = (int)((x >> 20) & 1);
        p = rev ? mkpkt(0x0a0a0a0a, 53, i + 1, (uint16_t)(1000 + i), 17, 0, 1)
                : mkpkt(i + 1, (uint16_t)(1000 + i), 0x0a0a0a0a, 53, 17, 0, 1);
        lo = flow_key_from_packet(&k, &p, true);
        f = flow_table_get(t, &k, hashes[i % 3], &p, lo, &dir, &is_new);
        CHECK(f != NULL);
        if (f == NULL)
            break;
        flow_table_update(t, f, &p, dir);
        wrong_new += is_new != !churn_live[i];
        /* the first packet's sender is the client */
        wrong_dir += is_new && dir != FLOW_DIR_TOSERVER;
        churn_live[i] = 1;
        live = 0;
        for (int j = 0; j < 200; j++)
            live += churn_live[j];
        wrong_active += flow_table_get_stats(t)->active != (uint64_t)live;
    }
    CHECK_EQ_INT(wrong_new, 0);
    CHECK_EQ_INT(wrong_dir, 0);
    CHECK_EQ_INT(wrong_active, 0);
    CHECK_EQ_INT(live, 32);
    CHECK(flow_table_get_stats(t)->evicted > 1000);
    flow_table_free(t);
}

/* Timeout lists are requeued lazily (a packet does not relink its flow):
 * a flow created first but seen later must outlive a younger idle flow,
 * and must still end once idle for its own timeout. */
TEST(scan_ends_idle_flows_not_recently_seen_ones)
{
    struct ended e;
    struct flow_table *t = mktable(64, &e);
    struct packet a = mkpkt(1, 1000, 2, 53, 17, 0, 0);  /* UDP new: 30 s */
    struct packet b = mkpkt(3, 1000, 4, 53, 17, 0, 10);
    int dir;
    bool is_new;

    feed(t, &a, &dir, &is_new);
    feed(t, &b, &dir, &is_new);
    a.ts.tv_sec = 25;
    feed(t, &a, &dir, &is_new); /* a seen again: its last is now 25 */
    CHECK(!is_new);
    CHECK_EQ_INT(flow_table_expire(t, (struct timeval){ 41, 0 }, 100), 1);
    CHECK_EQ_INT(e.last_pkts[0], 1); /* b (one packet) ended, a stays */
    CHECK_EQ_INT(flow_table_get_stats(t)->active, 1);
    CHECK_EQ_INT(flow_table_expire(t, (struct timeval){ 55, 0 }, 100), 0);
    CHECK_EQ_INT(flow_table_expire(t, (struct timeval){ 55, 1 }, 100), 1);
    CHECK_EQ_INT(e.last_pkts[0], 2);
    CHECK_EQ_INT(flow_table_get_stats(t)->active, 0);
    flow_table_free(t);
}

TEST(eviction_takes_least_recently_seen_not_oldest_created)
{
    struct ended e;
    struct flow_table *t = mktable(4, &e);
    int dir;
    bool is_new;

    for (uint16_t i = 0; i < 4; i++) {
        struct packet p = mkpkt(1, (uint16_t)(1000 + i), 2, 53, 17, 0, 10 + i);
        feed(t, &p, &dir, &is_new);
    }
    struct packet first = mkpkt(1, 1000, 2, 53, 17, 0, 20); /* created first, seen last */
    feed(t, &first, &dir, &is_new);
    CHECK(!is_new);
    struct packet extra = mkpkt(1, 2000, 2, 53, 17, 0, 21);
    feed(t, &extra, &dir, &is_new);
    CHECK(is_new);
    CHECK_EQ_INT(e.reasons[FLOW_END_FORCED], 1);
    CHECK_EQ_INT(e.last_pkts[0], 1); /* port 1001 (seen at 11) went */
    struct packet p1001 = mkpkt(1, 1001, 2, 53, 17, 0, 22);
    struct packet p1000 = mkpkt(1, 1000, 2, 53, 17, 0, 22);
    feed(t, &p1000, &dir, &is_new);
    CHECK(!is_new);
    feed(t, &p1001, &dir, &is_new);
    CHECK(is_new);
    flow_table_free(t);
}

TEST(flush_resets_the_table_for_reuse)
{
    struct ended e;
    struct flow_table *t = mktable(64, &e);
    int dir;
    bool is_new;

    for (int round = 0; round < 3; round++) {
        for (uint16_t i = 0; i < 64; i++) {
            struct packet p = mkpkt(7, (uint16_t)(100 + i), 8, 80, 6, 0x02, 5 + round);
            CHECK(feed(t, &p, &dir, &is_new) != NULL);
            CHECK(is_new);
        }
        for (uint16_t i = 0; i < 64; i++) {
            struct packet p = mkpkt(8, 80, 7, (uint16_t)(100 + i), 6, 0x12, 5 + round);
            feed(t, &p, &dir, &is_new);
            CHECK(!is_new);
        }
        CHECK_EQ_INT(flow_table_get_stats(t)->active, 64);
        flow_table_flush(t);
        CHECK_EQ_INT(flow_table_get_stats(t)->active, 0);
        CHECK_EQ_INT(e.reasons[FLOW_END_SHUTDOWN], 64 * (round + 1));
        CHECK_EQ_INT(flow_table_get_stats(t)->evicted, 0);
    }
    flow_table_free(t);
}

/* Two tables sharing one budget of 1,000 flows (each may hold them all):
 * a table with skewed traffic takes more than half without evicting; past
 * the total, only the table that asks evicts (its own oldest), the other
 * keeps every flow; slots ended on one side go back for the other. */
static struct flow_table *mkshared(struct flow_budget *b, struct ended *e)
{
    struct flow_table_cfg c;

    flow_table_cfg_defaults(&c);
    c.max_flows = 1000;
    c.budget = b;
    memset(e, 0, sizeof(*e));
    return flow_table_new(&c, on_end, e);
}

static int add_flows(struct flow_table *t, uint32_t net, int from, int n, long sec)
{
    int made = 0;

    for (int i = from; i < from + n; i++) {
        struct packet p = mkpkt(net + (uint32_t)((i / 60000) << 24), (uint16_t)(1024 + i % 60000),
                                0x0200000a, 80, 17, 0, sec);
        int dir;
        bool is_new = false;

        made += feed(t, &p, &dir, &is_new) != NULL && is_new;
    }
    return made;
}

TEST(shared_budget_lets_a_busy_table_hold_more_than_half)
{
    struct flow_budget *b = flow_budget_new(1000);
    struct ended ea, eb;
    struct flow_table *a, *c;

    CHECK(b != NULL);
    a = mkshared(b, &ea);
    c = mkshared(b, &eb);
    CHECK(a != NULL && c != NULL);
    /* 768: whole batches of 64, so a holds no spare slot */
    CHECK_EQ_INT(add_flows(a, 0x0100000a, 0, 768, 1), 768);
    CHECK_EQ_INT(add_flows(c, 0x0300000a, 0, 232, 1), 232);
    CHECK_EQ_INT(ea.reasons[FLOW_END_FORCED] + eb.reasons[FLOW_END_FORCED], 0);
    CHECK_EQ_INT((int)flow_table_get_stats(a)->active, 768);
    /* the budget is spent: the asking table ends its own oldest */
    CHECK_EQ_INT(add_flows(c, 0x0300000a, 232, 50, 2), 50);
    CHECK_EQ_INT(eb.reasons[FLOW_END_FORCED], 50);
    CHECK_EQ_INT(ea.n, 0);
    CHECK_EQ_INT((int)flow_table_get_stats(a)->active + (int)flow_table_get_stats(c)->active, 1000);
    CHECK_EQ_INT((int)flow_table_get_stats(c)->emergency, 1);
    /* a's flows end: their slots go back to c */
    flow_table_flush(a);
    CHECK_EQ_INT(add_flows(c, 0x0300000a, 282, 600, 3), 600);
    CHECK_EQ_INT(eb.reasons[FLOW_END_FORCED], 50);
    CHECK_EQ_INT((int)flow_table_get_stats(c)->active, 832);
    /* with a budget, records count in memory once, when first handed out */
    CHECK_EQ_INT((int)(flow_table_get_stats(c)->mem - sizeof(struct flow_table) - 1024 * sizeof(uint32_t)),
                 832 * (int)(sizeof(struct flow) + sizeof(struct ft_link)));
    flow_table_free(a);
    flow_table_free(c);
    flow_budget_free(b);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
