/* test_defrag: IPv4/IPv6 fragment reassembly. Datagrams are cut into
 * fragments by the test, fed through the real decoder and defrag in various
 * orders, and the reassembled bytes compared with the original; overlap
 * policy, duplicates, timeouts, memcap, pool eviction and limits each have a
 * case. The corpus captures with fragments are reassembled too (skipped when
 * ../shared/corpus is absent), with checksums verified on the result.
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdlib.h>

#include "../runner.h"
#include "decode/decode.h"
#include "decode/defrag.h"

#define DLT_RAW_LINUX 12

struct fx {
    struct defrag *d;
    struct dec_stats st;
    struct packet in, out;
};

static void fx_init(struct fx *f, uint32_t trackers, uint64_t memcap, uint32_t timeout)
{
    struct defrag_cfg cfg = { .max_trackers = trackers, .memcap = memcap,
                              .timeout_sec = timeout, .verify_csum = true };

    memset(f, 0, sizeof(*f));
    f->d = defrag_new(&cfg);
}

/* defrag_add() through the test, which also checks defrag_last_events()
 * against what a caller sees by copying the counters around the call: the
 * bits of exactly the event counters that moved. */
static int add_checked(struct defrag *d, const struct packet *in, struct packet *out,
                       struct dec_stats *st)
{
    uint64_t before[DEC_EV_MAX], moved = 0;
    int r;

    memcpy(before, st->events, sizeof(before));
    r = defrag_add(d, in, out, st);
    for (int e = 0; e < DEC_EV_MAX; e++)
        if (st->events[e] != before[e])
            moved |= 1ull << e;
    CHECK_EQ_INT(defrag_last_events(d), moved);
    return r;
}

/* The datagram payload: a UDP header (1000 -> 2000, no checksum) then a
 * pattern derived from seed, n bytes in all. */
static void mk_payload(uint8_t *dg, uint32_t n, uint8_t seed)
{
    dg[0] = 0x03, dg[1] = 0xe8, dg[2] = 0x07, dg[3] = 0xd0;
    dg[4] = (uint8_t)(n >> 8), dg[5] = (uint8_t)n, dg[6] = 0, dg[7] = 0;
    for (uint32_t i = 8; i < n; i++)
        dg[i] = (uint8_t)(i * 7 + seed);
}

/* Feed one IPv4 fragment [off, off+len) of dg; returns defrag_add()'s result. */
static int feed4(struct fx *f, const uint8_t *dg, uint16_t id, uint32_t off, uint32_t len,
                 bool mf, uint8_t src, time_t sec)
{
    uint8_t b[2048];
    uint32_t n = 20 + len;
    uint16_t fo = (uint16_t)((off >> 3) | (mf ? 0x2000 : 0));

    b[0] = 0x45, b[1] = 0;
    b[2] = (uint8_t)(n >> 8), b[3] = (uint8_t)n;
    b[4] = (uint8_t)(id >> 8), b[5] = (uint8_t)id;
    b[6] = (uint8_t)(fo >> 8), b[7] = (uint8_t)fo;
    b[8] = 64, b[9] = 17, b[10] = 0, b[11] = 0;
    b[12] = 10, b[13] = 0, b[14] = 0, b[15] = src;
    b[16] = 10, b[17] = 0, b[18] = 0, b[19] = 2;
    memcpy(b + 20, dg + off, len);
    if (dec_packet(&f->in, &f->st, DLT_RAW_LINUX, b, n, n, (struct timeval){ sec, 0 }, false) !=
        DEC_OK || !(f->in.flags & PKT_IS_FRAGMENT))
        return -100;
    return add_checked(f->d, &f->in, &f->out, &f->st);
}

static bool out_matches(const struct fx *f, const uint8_t *dg, uint32_t n)
{
    return (f->out.flags & PKT_REASSEMBLED) && !(f->out.flags & PKT_IS_FRAGMENT) &&
           f->out.proto == 17 && f->out.sport == 1000 && f->out.dport == 2000 &&
           f->out.l4_len == n && memcmp(f->out.l4, dg, n) == 0;
}

TEST(defrag_in_order)
{
    struct fx f;
    uint8_t dg[64];

    fx_init(&f, 16, 1 << 20, 30);
    CHECK(f.d != NULL);
    mk_payload(dg, 64, 1);
    CHECK_EQ_INT(feed4(&f, dg, 7, 0, 24, true, 1, 1), 0);
    CHECK_EQ_INT(feed4(&f, dg, 7, 24, 24, true, 1, 1), 0);
    CHECK_EQ_INT(feed4(&f, dg, 7, 48, 16, false, 1, 1), 1);
    CHECK(out_matches(&f, dg, 64));
    CHECK_EQ_INT(f.out.ip_totlen, 84);
    CHECK_EQ_INT(f.out.ts.tv_sec, 1);
    CHECK_EQ_INT(f.out.event, DEC_EV_NONE);
    /* the rebuilt header has a correct checksum (verify_csum is on) */
    CHECK(!(f.out.flags & PKT_IPV4_CSUM_BAD));
    CHECK_EQ_INT(defrag_get_stats(f.d)->reassembled, 1);
    CHECK_EQ_INT(defrag_get_stats(f.d)->fragments, 3);
    /* the tracker is gone: a repeat of the last fragment completes nothing */
    CHECK_EQ_INT(feed4(&f, dg, 7, 48, 16, false, 1, 1), 0);
    defrag_free(f.d);
}

TEST(defrag_out_of_order)
{
    static const uint32_t orders[][4] = { { 3, 2, 1, 0 }, { 2, 0, 3, 1 }, { 1, 3, 0, 2 } };
    uint8_t dg[512];

    mk_payload(dg, 512, 9);
    for (size_t o = 0; o < 3; o++) {
        struct fx f;

        fx_init(&f, 16, 1 << 20, 30);
        for (int i = 0; i < 4; i++) {
            uint32_t k = orders[o][i];

            CHECK_EQ_INT(feed4(&f, dg, 99, k * 128, 128, k != 3, 1, 5), i == 3 ? 1 : 0);
        }
        CHECK(out_matches(&f, dg, 512));
        CHECK_EQ_INT(defrag_get_stats(f.d)->overlaps, 0);
        defrag_free(f.d);
    }
}

/* Random fragment sets, in order (sorted by offset, duplicates included:
 * the append path) or shuffled, against a byte model of the "first" policy:
 * completion comes exactly when every byte is held and the last fragment
 * (no MF) came, each byte comes from the first fragment that covered it,
 * and every fragment that met held bytes counts one overlap. */
struct rfrag {
    uint32_t off, len;
    bool mf;
    uint8_t seed;
};

static uint32_t rnd(uint64_t *x, uint32_t n)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (uint32_t)(*x >> 11) % n;
}

TEST(defrag_random_against_model)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int bad_result = 0, bad_bytes = 0, bad_overlaps = 0, completed = 0;

    for (int trial = 0; trial < 3000; trial++) {
        struct rfrag fr[64];
        uint8_t data[64][400], want[400];
        bool held[400] = { false };
        uint32_t n = 8 * (4 + rnd(&x, 37)) + 1 + rnd(&x, 8), last = 8 * (1 + rnd(&x, (n - 1) / 8));
        uint32_t nf = 0, overlaps = 0, nheld = 0;
        bool have_last = false;
        struct fx f;

        for (uint32_t i = 0, k = 3 + rnd(&x, 10); i < k; i++) { /* random MF fragments */
            uint32_t a = rnd(&x, n / 8), b = 1 + rnd(&x, n / 8 - a);
            fr[nf++] = (struct rfrag){ 8 * a, 8 * b, true, 0 };
        }
        for (uint32_t o = 0; o < last;) { /* a cover of [0, last) */
            uint32_t b = 8 * (1 + rnd(&x, 6));
            b = o + b > last ? last - o : b;
            fr[nf++] = (struct rfrag){ o, b, true, 0 };
            o += b;
        }
        fr[nf++] = (struct rfrag){ last, n - last, false, 0 };
        if (trial % 2 == 0) { /* shuffle */
            for (uint32_t i = nf - 1; i > 0; i--) {
                uint32_t j = rnd(&x, i + 1);
                struct rfrag t = fr[i];
                fr[i] = fr[j];
                fr[j] = t;
            }
        } else { /* by offset: mostly appends after the last piece */
            for (uint32_t i = 1; i < nf; i++)
                for (uint32_t j = i; j > 0 && fr[j - 1].off > fr[j].off; j--) {
                    struct rfrag t = fr[j];
                    fr[j] = fr[j - 1];
                    fr[j - 1] = t;
                }
        }
        fx_init(&f, 16, 1 << 20, 30);
        for (uint32_t i = 0; i < nf; i++) {
            bool met = false;
            int r, expect;

            fr[i].seed = (uint8_t)(i * 31 + trial);
            mk_payload(data[i], n, fr[i].seed);
            for (uint32_t b = fr[i].off; b < fr[i].off + fr[i].len; b++) {
                if (held[b]) {
                    met = true;
                    continue;
                }
                held[b] = true;
                want[b] = data[i][b];
                nheld++;
            }
            overlaps += met;
            have_last |= !fr[i].mf;
            expect = nheld == n && have_last ? 1 : 0;
            r = feed4(&f, data[i], (uint16_t)trial, fr[i].off, fr[i].len, fr[i].mf, 1, 1);
            bad_result += r != expect;
            if (r == 1) {
                completed++;
                bad_bytes += !out_matches(&f, want, n);
                break;
            }
        }
        bad_overlaps += defrag_get_stats(f.d)->overlaps != overlaps;
        defrag_free(f.d);
    }
    CHECK_EQ_INT(bad_result, 0);
    CHECK_EQ_INT(bad_bytes, 0);
    CHECK_EQ_INT(bad_overlaps, 0);
    CHECK_EQ_INT(completed, 3000);
}

/* defrag_last_events() names the events of the call: another tracker's
 * timeout noticed on the way, and the events of decoding a completed
 * datagram that turns out malformed (then the fragment returns 0). */
TEST(defrag_last_events_of_the_call)
{
    struct fx f;
    uint8_t dg[64];

    mk_payload(dg, 64, 4);
    fx_init(&f, 16, 1 << 20, 30);
    CHECK_EQ_INT(feed4(&f, dg, 1, 0, 24, true, 1, 1), 0);
    CHECK_EQ_INT(defrag_last_events(f.d), 0);
    /* 100 s later: datagram 1 times out while datagram 2 starts */
    CHECK_EQ_INT(feed4(&f, dg, 2, 0, 24, true, 1, 100), 0);
    CHECK_EQ_INT(defrag_last_events(f.d), 1ull << DEC_EV_FRAG_TIMEOUT);
    CHECK_EQ_INT(feed4(&f, dg, 2, 0, 24, true, 1, 100), 0); /* a duplicate */
    CHECK_EQ_INT(defrag_last_events(f.d), 1ull << DEC_EV_FRAG_OVERLAP);
    /* the UDP header claims more than the datagram holds: decoding the
     * reassembled datagram drops it */
    dg[4] = 0x01;
    dg[5] = 0x00;
    CHECK_EQ_INT(feed4(&f, dg, 3, 0, 24, true, 1, 100), 0);
    CHECK_EQ_INT(feed4(&f, dg, 3, 24, 40, false, 1, 100), 0);
    CHECK_EQ_INT(defrag_last_events(f.d), 1ull << DEC_EV_UDP_BAD_LEN);
    CHECK_EQ_INT(defrag_get_stats(f.d)->reassembled, 1);
    defrag_free(f.d);
}

/* "first": bytes held are never replaced. */
TEST(defrag_overlap_first_policy)
{
    struct fx f;
    uint8_t a[64], b[64], want[64];

    mk_payload(a, 64, 1);
    mk_payload(b, 64, 100); /* same header, other bytes */
    fx_init(&f, 16, 1 << 20, 30);
    CHECK_EQ_INT(feed4(&f, a, 5, 0, 24, true, 1, 1), 0);
    CHECK_EQ_INT(f.out.event, DEC_EV_NONE);
    CHECK_EQ_INT(feed4(&f, b, 5, 16, 32, true, 1, 1), 0); /* 16..24 overlaps */
    CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_OVERLAP);
    CHECK_EQ_INT(f.st.events[DEC_EV_FRAG_OVERLAP], 1);
    CHECK_EQ_INT(feed4(&f, b, 5, 48, 16, false, 1, 1), 1);
    memcpy(want, a, 24);
    memcpy(want + 24, b + 24, 40);
    CHECK(out_matches(&f, want, 64));
    CHECK_EQ_INT(defrag_get_stats(f.d)->overlaps, 1);
    defrag_free(f.d);

    /* a later fragment spanning a held one fills only the gaps around it */
    fx_init(&f, 16, 1 << 20, 30);
    CHECK_EQ_INT(feed4(&f, a, 6, 16, 8, true, 1, 1), 0);
    CHECK_EQ_INT(feed4(&f, b, 6, 0, 40, true, 1, 1), 0);
    CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_OVERLAP);
    CHECK_EQ_INT(feed4(&f, b, 6, 32, 32, false, 1, 1), 1); /* 32..40 overlaps too */
    memcpy(want, b, 64);
    memcpy(want + 16, a + 16, 8);
    CHECK(out_matches(&f, want, 64));
    CHECK_EQ_INT(defrag_get_stats(f.d)->overlaps, 2);
    CHECK_EQ_INT(f.st.events[DEC_EV_FRAG_OVERLAP], 2);
    defrag_free(f.d);
}

TEST(defrag_duplicate)
{
    struct fx f;
    uint8_t dg[48];

    mk_payload(dg, 48, 3);
    fx_init(&f, 16, 1 << 20, 30);
    CHECK_EQ_INT(feed4(&f, dg, 8, 0, 24, true, 1, 1), 0);
    CHECK_EQ_INT(feed4(&f, dg, 8, 0, 24, true, 1, 1), 0);
    CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_OVERLAP);
    CHECK_EQ_INT(feed4(&f, dg, 8, 24, 24, false, 1, 1), 1);
    CHECK(out_matches(&f, dg, 48));
    CHECK_EQ_INT(defrag_get_stats(f.d)->overlaps, 1);
    CHECK_EQ_INT(defrag_get_stats(f.d)->reassembled, 1);
    defrag_free(f.d);
}

TEST(defrag_timeout)
{
    struct fx f;
    uint8_t dg[48];

    mk_payload(dg, 48, 4);
    fx_init(&f, 16, 1 << 20, 30);
    /* the rest comes too late: the old tracker is dropped, nothing completes */
    CHECK_EQ_INT(feed4(&f, dg, 1, 0, 24, true, 1, 100), 0);
    CHECK_EQ_INT(feed4(&f, dg, 1, 24, 24, false, 1, 131), 0);
    CHECK_EQ_INT(defrag_get_stats(f.d)->timeouts, 1);
    CHECK_EQ_INT(f.st.events[DEC_EV_FRAG_TIMEOUT], 1);
    /* within the timeout it completes (the second fragment's tracker is live) */
    CHECK_EQ_INT(feed4(&f, dg, 1, 0, 24, true, 1, 140), 1);
    CHECK(out_matches(&f, dg, 48));
    /* defrag_timeout() sweeps on packet time */
    CHECK_EQ_INT(feed4(&f, dg, 2, 0, 24, true, 1, 200), 0);
    defrag_timeout(f.d, (struct timeval){ 229, 0 }, &f.st);
    CHECK_EQ_INT(defrag_get_stats(f.d)->timeouts, 1);
    defrag_timeout(f.d, (struct timeval){ 231, 0 }, &f.st);
    CHECK_EQ_INT(defrag_get_stats(f.d)->timeouts, 2);
    CHECK_EQ_INT(f.st.events[DEC_EV_FRAG_TIMEOUT], 2);
    CHECK_EQ_INT(feed4(&f, dg, 2, 24, 24, false, 1, 231), 0);
    defrag_free(f.d);
}

TEST(defrag_memcap_evicts_oldest)
{
    struct fx f;
    uint8_t dg[2048];

    mk_payload(dg, 2048, 5);
    fx_init(&f, 1024, 64 * 1024, 30); /* 256 chunks of 256 bytes */
    /* 51 datagrams hold 1024 bytes (4 chunks) and their header (1 chunk)
     * each: 255 of 256 chunks are taken */
    for (int i = 0; i < 51; i++)
        CHECK_EQ_INT(feed4(&f, dg, (uint16_t)i, 0, 1024, true, 1, 1), 0);
    CHECK_EQ_INT(defrag_get_stats(f.d)->evicted, 0);
    CHECK_EQ_INT(f.st.events[DEC_EV_FRAG_MEMCAP], 0);
    /* one more: the oldest (id 0) goes */
    CHECK_EQ_INT(feed4(&f, dg, 51, 0, 1024, true, 1, 1), 0);
    CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_MEMCAP);
    CHECK_EQ_INT(defrag_get_stats(f.d)->evicted, 1);
    CHECK_EQ_INT(feed4(&f, dg, 0, 1024, 1024, false, 1, 1), 0); /* id 0 lost its head */
    CHECK_EQ_INT(feed4(&f, dg, 51, 1024, 1024, false, 1, 1), 1);
    CHECK(out_matches(&f, dg, 2048));
    defrag_free(f.d);
}

TEST(defrag_memcap_drop)
{
    struct fx f;
    static uint8_t dg[65535];
    int r = 0;
    uint32_t off;

    mk_payload(dg, sizeof(dg), 6);
    fx_init(&f, 16, 64 * 1024, 30);
    /* 1480-byte fragments in reverse order cannot share chunks: 6 each, so
     * one datagram of 44 of them (65120 bytes) alone overflows 256 chunks */
    for (off = 43 * 1480; r == 0; off -= 1480) {
        r = feed4(&f, dg, 77, off, 1480, off != 43 * 1480, 1, 1);
        if (off == 0)
            break;
    }
    CHECK_EQ_INT(r, 0);
    CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_MEMCAP);
    CHECK(defrag_get_stats(f.d)->memcap_drops >= 1);
    CHECK(f.st.events[DEC_EV_FRAG_MEMCAP] >= 1);
    defrag_free(f.d);
}

TEST(defrag_limits)
{
    struct fx f;
    static uint8_t dg[65535 + 64];

    mk_payload(dg, sizeof(dg), 7);
    fx_init(&f, 16, 1 << 22, 30);
    /* past 65535 bytes */
    CHECK_EQ_INT(feed4(&f, dg, 1, 65520, 24, false, 1, 1), 0);
    CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_TOO_LARGE);
    /* MF with a length that is not a multiple of 8 */
    CHECK_EQ_INT(feed4(&f, dg, 2, 0, 20, true, 1, 1), 0);
    CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_INVALID);
    /* two different ends */
    CHECK_EQ_INT(feed4(&f, dg, 3, 16, 16, false, 1, 1), 0);
    CHECK_EQ_INT(feed4(&f, dg, 3, 16, 24, false, 1, 1), 0);
    CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_INVALID);
    /* data past a known end */
    CHECK_EQ_INT(feed4(&f, dg, 3, 32, 8, true, 1, 1), 0);
    CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_INVALID);
    CHECK_EQ_INT(defrag_get_stats(f.d)->invalid, 4);
    /* too many pieces: 8-byte fragments with holes between them */
    for (int i = 0; i <= DEFRAG_MAX_PIECES; i++)
        feed4(&f, dg, 4, (uint32_t)i * 16, 8, true, 1, 1);
    CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_TOO_MANY);
    CHECK_EQ_INT(f.st.events[DEC_EV_FRAG_TOO_MANY], 1);
    defrag_free(f.d);

    /* a fragment cut by the snaplen cannot be reassembled */
    {
        uint8_t b[64] = { 0x45, 0, 0, 60, 0, 9, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };

        fx_init(&f, 16, 1 << 20, 30);
        CHECK_EQ_INT(dec_packet(&f.in, &f.st, DLT_RAW_LINUX, b, 36, 60, (struct timeval){ 0, 0 },
                                false), DEC_OK);
        CHECK(f.in.flags & PKT_TRUNCATED);
        CHECK_EQ_INT(add_checked(f.d, &f.in, &f.out, &f.st), 0);
        CHECK_EQ_INT(f.out.event, DEC_EV_FRAG_INVALID);
        /* and a packet that is not a fragment is ignored */
        f.in.flags &= ~(PKT_IS_FRAGMENT | PKT_TRUNCATED);
        CHECK_EQ_INT(add_checked(f.d, &f.in, &f.out, &f.st), 0);
        CHECK_EQ_INT(defrag_get_stats(f.d)->fragments, 1);
        defrag_free(f.d);
    }
    /* bad configurations */
    {
        struct defrag_cfg bad = { .max_trackers = 0, .memcap = 1 << 20, .timeout_sec = 1 };

        CHECK(defrag_new(&bad) == NULL);
        bad.max_trackers = 4;
        bad.memcap = 100;
        CHECK(defrag_new(&bad) == NULL);
        CHECK(defrag_new(NULL) == NULL);
        defrag_free(NULL);
    }
}

TEST(defrag_keys_and_pool)
{
    struct fx f;
    uint8_t a[48], b[48];

    mk_payload(a, 48, 10);
    mk_payload(b, 48, 20);
    fx_init(&f, 2, 1 << 20, 30);
    /* same id, other source: two datagrams */
    CHECK_EQ_INT(feed4(&f, a, 1, 0, 24, true, 1, 1), 0);
    CHECK_EQ_INT(feed4(&f, b, 1, 0, 24, true, 3, 1), 0);
    CHECK_EQ_INT(feed4(&f, b, 1, 24, 24, false, 3, 1), 1);
    CHECK(out_matches(&f, b, 48));
    CHECK_EQ_INT(f.out.src[3], 3);
    CHECK_EQ_INT(feed4(&f, a, 1, 24, 24, false, 1, 1), 1);
    CHECK(out_matches(&f, a, 48));
    CHECK_EQ_INT(defrag_get_stats(f.d)->overlaps, 0);
    /* pool of 2: a third datagram evicts the oldest */
    CHECK_EQ_INT(feed4(&f, a, 10, 0, 24, true, 1, 2), 0);
    CHECK_EQ_INT(feed4(&f, a, 11, 0, 24, true, 1, 2), 0);
    CHECK_EQ_INT(feed4(&f, a, 12, 0, 24, true, 1, 2), 0);
    CHECK_EQ_INT(defrag_get_stats(f.d)->evicted, 1);
    CHECK_EQ_INT(feed4(&f, a, 10, 24, 24, false, 1, 2), 0);
    CHECK_EQ_INT(feed4(&f, a, 12, 24, 24, false, 1, 2), 1);
    defrag_free(f.d);
}

/* IPv6: a hop-by-hop header stays in the unfragmentable part. */
static int feed6(struct fx *f, const uint8_t *dg, uint32_t id, uint32_t off, uint32_t len,
                 bool more, uint16_t vlan)
{
    uint8_t b[2048];
    uint32_t n = 14 + 4 + 40 + 8 + 8 + len, plen = 8 + 8 + len;
    uint16_t fo = (uint16_t)(off | (more ? 1 : 0));
    uint8_t *ip = b + 18;

    memset(b, 0, 18);
    b[12] = 0x81, b[13] = 0x00, b[14] = (uint8_t)(vlan >> 8), b[15] = (uint8_t)vlan;
    b[16] = 0x86, b[17] = 0xdd;
    memset(ip, 0, 40);
    ip[0] = 0x60;
    ip[4] = (uint8_t)(plen >> 8), ip[5] = (uint8_t)plen;
    ip[6] = 0, ip[7] = 64; /* hop-by-hop next */
    ip[8] = 0x20, ip[9] = 0x01, ip[23] = 1;
    ip[24] = 0x20, ip[25] = 0x01, ip[39] = 2;
    /* hop-by-hop: next = fragment, PadN 4 */
    ip[40] = 44, ip[41] = 0, ip[42] = 1, ip[43] = 4, ip[44] = ip[45] = ip[46] = ip[47] = 0;
    ip[48] = 17, ip[49] = 0, ip[50] = (uint8_t)(fo >> 8), ip[51] = (uint8_t)fo;
    ip[52] = (uint8_t)(id >> 24), ip[53] = (uint8_t)(id >> 16), ip[54] = (uint8_t)(id >> 8);
    ip[55] = (uint8_t)id;
    memcpy(ip + 56, dg + off, len);
    if (dec_packet(&f->in, &f->st, 1, b, n, n, (struct timeval){ 1, 0 }, false) != DEC_OK ||
        !(f->in.flags & PKT_IS_FRAGMENT))
        return -100;
    return add_checked(f->d, &f->in, &f->out, &f->st);
}

TEST(defrag_ipv6)
{
    struct fx f;
    uint8_t dg[200], dg2[200];

    mk_payload(dg, 200, 11);
    mk_payload(dg2, 200, 12);
    fx_init(&f, 16, 1 << 20, 30);
    CHECK_EQ_INT(feed6(&f, dg, 0x12345678, 96, 104, false, 5), 0);
    CHECK_EQ_INT(feed6(&f, dg2, 0x12345678, 0, 96, true, 6), 0); /* other VLAN: other datagram */
    CHECK_EQ_INT(feed6(&f, dg, 0x12345678, 0, 96, true, 5), 1);
    CHECK_EQ_INT(f.out.ip_version, 6);
    CHECK_EQ_INT(f.out.proto, 17);
    CHECK_EQ_INT(f.out.ip_hlen, 48); /* the hop-by-hop header stayed */
    CHECK_EQ_INT(f.out.ip_totlen, 40 + 8 + 200);
    CHECK_EQ_INT(f.out.vlan[0], 5);
    CHECK(f.out.flags & PKT_REASSEMBLED);
    CHECK(f.out.l4 != NULL && f.out.l4_len == 200 && memcmp(f.out.l4, dg, 200) == 0);
    /* verify_csum is on: a zero UDP checksum is invalid over IPv6 */
    CHECK_EQ_INT(f.out.event, DEC_EV_UDP_BAD_CSUM);
    CHECK_EQ_INT(defrag_get_stats(f.d)->reassembled, 1);
    defrag_free(f.d);
}

/* ---- the corpus --------------------------------------------------------- */

#define CORPUS "../shared/corpus/pcaps"

struct run {
    uint64_t pkts, reassembled, l4_bad, sport53, tcp_payload;
    struct dec_stats st;
    struct defrag_stats ds;
};

static int run_file(const char *name, struct run *r)
{
    char path[256], err[PCAP_ERRBUF_SIZE];
    struct defrag_cfg cfg = { .max_trackers = 64, .memcap = 1 << 20, .timeout_sec = 30,
                              .verify_csum = true };
    struct defrag *d = defrag_new(&cfg);
    struct pcap_pkthdr *h;
    const u_char *data;
    pcap_t *pc;
    int dlt;

    memset(r, 0, sizeof(*r));
    snprintf(path, sizeof(path), "%s/%s", CORPUS, name);
    pc = pcap_open_offline(path, err);
    if (pc == NULL || d == NULL) {
        if (pc)
            pcap_close(pc);
        defrag_free(d);
        return -1;
    }
    dlt = pcap_datalink(pc);
    while (pcap_next_ex(pc, &h, &data) == 1) {
        struct packet p, out;

        r->pkts++;
        if (dec_packet(&p, &r->st, dlt, data, h->caplen, h->len, h->ts, true) != DEC_OK ||
            !(p.flags & PKT_IS_FRAGMENT))
            continue;
        if (add_checked(d, &p, &out, &r->st) == 1) {
            r->reassembled++;
            r->l4_bad += (out.flags & PKT_L4_CSUM_BAD) != 0;
            r->sport53 += out.proto == 17 && out.sport == 53;
            if (out.proto == 6)
                r->tcp_payload += out.payload_len;
        }
        defrag_timeout(d, h->ts, &r->st);
    }
    r->ds = *defrag_get_stats(d);
    pcap_close(pc);
    defrag_free(d);
    return 0;
}

static bool corpus_present(void)
{
    DIR *dir = opendir(CORPUS);

    if (dir != NULL)
        closedir(dir);
    return dir != NULL;
}

/* Reference: tshark 4.0 reassembles 7 DNS responses (4 over IPv4, 3 over
 * IPv6) from ndpi-dns_fragmented and one 1000-byte TCP segment from
 * sv-bug-6887; every reassembled UDP/TCP checksum must then be right. */
TEST(defrag_corpus_dns_fragmented)
{
    struct run r;

    if (!corpus_present())
        SKIP("no corpus at " CORPUS);
    CHECK_EQ_INT(run_file("ndpi-dns_fragmented.pcap", &r), 0);
    CHECK_EQ_INT(r.st.fragments, 14);
    CHECK_EQ_INT(r.reassembled, 7);
    CHECK_EQ_INT(r.sport53, 7);
    CHECK_EQ_INT(r.l4_bad, 0);
    CHECK_EQ_INT(r.ds.overlaps, 0);
}

TEST(defrag_corpus_ipv6_tcp)
{
    struct run r;

    if (!corpus_present())
        SKIP("no corpus at " CORPUS);
    CHECK_EQ_INT(run_file("sv-bug-6887-defrag-ipv6-tcp.pcap", &r), 0);
    CHECK_EQ_INT(r.reassembled, 1);
    CHECK_EQ_INT(r.tcp_payload, 1000);
    CHECK_EQ_INT(r.l4_bad, 0);
}

TEST(defrag_corpus_garbage)
{
    struct run r;

    if (!corpus_present())
        SKIP("no corpus at " CORPUS);
    CHECK_EQ_INT(run_file("ndpi-ip_fragmented_garbage.pcap", &r), 0);
    CHECK_EQ_INT(r.pkts, 9077);
    CHECK_EQ_INT(r.ds.fragments, 9077);
    /* tshark: 29 datagrams of 5000 bytes from 313 in-order 16-byte fragments
     * each; their TCP headers are garbage, so only some decode */
    CHECK_EQ_INT(r.ds.reassembled, 29);
    CHECK_EQ_INT(r.ds.overlaps, 0);
    printf("  garbage: reassembled %" PRIu64 " overlaps %" PRIu64 " invalid %" PRIu64
           " timeouts %" PRIu64 " evicted %" PRIu64 " memcap_drops %" PRIu64 "\n",
           r.reassembled, r.ds.overlaps, r.ds.invalid, r.ds.timeouts, r.ds.evicted,
           r.ds.memcap_drops);
    CHECK(r.reassembled > 0 && r.reassembled <= r.ds.reassembled);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
