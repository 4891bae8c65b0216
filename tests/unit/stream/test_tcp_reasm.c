/* Unit tests for tcp_reasm/tcp_seg: in-order and out-of-order delivery,
 * overlaps under the "first" policy, retransmissions, gaps, depth, sequence
 * wrap-around, memcap exhaustion and matching across segments through the
 * window. Packets are built by hand (stream_test.h); no capture involved.
 */
#include "../runner.h"
#include "stream_test.h"

#define CI 1000u /* client ISN: client data starts at CI + 1 */
#define SI 5000u

TEST(in_order_both_directions)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    CHECK(t_ctx(&c, &cfg) != NULL);
    t_handshake(&c, &s, CI, SI);
    CHECK(s != NULL);
    CHECK_EQ_INT(t_send(&c, &s, 0, T_ACK | T_PSH, CI + 1, SI + 1, "GET / HTTP/1.0\r\n"), 0);
    t_send(&c, &s, 0, T_ACK | T_PSH, CI + 17, SI + 1, "\r\n");
    t_send(&c, &s, 1, T_ACK | T_PSH, SI + 1, CI + 19, "HTTP/1.0 200 OK\r\n");
    CHECK(t_streq(&c.d[0], "GET / HTTP/1.0\r\n\r\n"));
    CHECK(t_streq(&c.d[1], "HTTP/1.0 200 OK\r\n"));
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->reassembled_bytes, 18 + 17);
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->out_of_order, 0);
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);
    tcp_state_session_end(c.ctx, &s);
    CHECK(s == NULL);
    CHECK_EQ_INT(c.d[0].closes, 1);
    CHECK_EQ_INT(c.d[1].closes, 1);
    CHECK_EQ_INT(c.d[0].contract_errors + c.d[1].contract_errors, 0);
    tcp_ctx_free(c.ctx);
}

TEST(out_of_order_delivered_in_order)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1 + 8, SI + 1, "CCCC");
    t_send(&c, &s, 0, T_ACK, CI + 1 + 4, SI + 1, "BBBB");
    CHECK_EQ_INT(c.d[0].len, 0); /* nothing until the first bytes arrive */
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 8);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "AAAA");
    CHECK(t_streq(&c.d[0], "AAAABBBBCCCC"));
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->out_of_order, 2);
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);
    CHECK_EQ_INT(c.d[0].gaps, 0);
    CHECK_EQ_INT(c.d[0].contract_errors, 0);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

TEST(overlap_same_data_no_event)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    unsigned ev = 0;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    ev |= t_send(&c, &s, 0, T_ACK, CI + 1 + 4, SI + 1, "efgh");
    ev |= t_send(&c, &s, 0, T_ACK, CI + 1 + 2, SI + 1, "cdefghij"); /* covers the held one */
    ev |= t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "abcd");         /* overlaps cd */
    CHECK(t_streq(&c.d[0], "abcdefghij"));
    CHECK(tcp_ctx_stats(c.ctx)->overlaps >= 2);
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->overlaps_diff, 0);
    CHECK_EQ_INT(ev & TCP_EV_BIT(TCP_EV_OVERLAP_DIFF), 0);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* Policy "first": bytes already held win over a later, different copy. */
TEST(overlap_different_data_first_wins)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    unsigned ev;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    CHECK_EQ_INT(t_send(&c, &s, 0, T_ACK, CI + 1 + 4, SI + 1, "GOOD"), 0);
    ev = t_send(&c, &s, 0, T_ACK, CI + 1 + 2, SI + 1, "xxEVILyy");
    CHECK(ev & TCP_EV_BIT(TCP_EV_OVERLAP_DIFF));
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "ab");
    CHECK(t_streq(&c.d[0], "abxxGOODyy"));
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->overlaps_diff, 1);
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->events[TCP_EV_OVERLAP_DIFF], 1);
    CHECK_EQ_STR(tcp_ctx_event_name(TCP_EV_OVERLAP_DIFF), "stream.reassembly_overlap_different_data");
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* An in-order packet whose end meets held data: the held bytes win there. */
TEST(in_order_packet_overlapping_held_data)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    unsigned ev;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1 + 4, SI + 1, "KEEP");
    ev = t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "0123evil89");
    CHECK(ev & TCP_EV_BIT(TCP_EV_OVERLAP_DIFF));
    CHECK(t_streq(&c.d[0], "0123KEEP89"));
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* Retransmission of delivered data: never delivered twice; a different copy
 * is noticed while it is within the match window. */
TEST(retransmission_not_delivered_twice)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    unsigned ev;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "hello ");
    CHECK_EQ_INT(t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "hello "), 0);
    t_send(&c, &s, 0, T_ACK, CI + 7, SI + 1, "world");
    ev = t_send(&c, &s, 0, T_ACK, CI + 7, SI + 1, "WORLD");
    CHECK(ev & TCP_EV_BIT(TCP_EV_OVERLAP_DIFF));
    /* partly old, partly new */
    t_send(&c, &s, 0, T_ACK, CI + 10, SI + 1, "ld!");
    CHECK(t_streq(&c.d[0], "hello world!"));
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->retransmissions, 2);
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->overlaps_diff, 1);
    CHECK_EQ_INT(c.d[0].contract_errors, 0);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* A lost segment the receiver acknowledged becomes a gap; delivery resumes
 * after it, and the late copy is not delivered. */
TEST(gap_on_ack_then_recovery)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    unsigned ev;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "1111");
    t_send(&c, &s, 0, T_ACK, CI + 9, SI + 1, "3333"); /* 2222 lost in capture */
    /* An ACK only up to the hole changes nothing. */
    CHECK_EQ_INT(t_send(&c, &s, 1, T_ACK, SI + 1, CI + 5, NULL), 0);
    CHECK_EQ_INT(c.d[0].gaps, 0);
    ev = t_send(&c, &s, 1, T_ACK, SI + 1, CI + 13, NULL);
    CHECK(ev & TCP_EV_BIT(TCP_EV_GAP));
    CHECK_EQ_INT(c.d[0].gaps, 1);
    CHECK_EQ_INT(c.d[0].gap_bytes, 4);
    CHECK(t_streq(&c.d[0], "1111????3333"));
    t_send(&c, &s, 0, T_ACK, CI + 5, SI + 1, "2222");
    t_send(&c, &s, 0, T_ACK, CI + 13, SI + 1, "4444");
    CHECK(t_streq(&c.d[0], "1111????33334444"));
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->gaps, 1);
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->gap_bytes, 4);
    /* An ACK past anything seen does not invent a gap. */
    CHECK_EQ_INT(t_send(&c, &s, 1, T_ACK, SI + 1, CI + 100, NULL) & TCP_EV_BIT(TCP_EV_GAP), 0);
    CHECK_EQ_INT(c.d[0].contract_errors, 0);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

TEST(depth_limits_content_keeps_sequence)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    cfg.depth = 10;
    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1 + 12, SI + 1, "held-past-depth"); /* never held */
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "0123456");
    t_send(&c, &s, 0, T_ACK, CI + 8, SI + 1, "789abcdef");
    t_send(&c, &s, 0, T_ACK, CI + 17, SI + 1, "more");
    CHECK(t_streq(&c.d[0], "0123456789"));
    CHECK_EQ_INT(c.d[0].depths, 1);
    CHECK(tcp_ctx_stats(c.ctx)->depth_bytes >= 10);
    CHECK_EQ_INT(tcp_session_offset(s, 0), 20);
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);
    /* the other direction is unaffected */
    t_send(&c, &s, 1, T_ACK, SI + 1, CI + 21, "reply");
    CHECK(t_streq(&c.d[1], "reply"));
    CHECK_EQ_INT(c.d[1].depths, 0);
    CHECK_EQ_INT(c.d[0].contract_errors, 0);
    /* signals after depth carry the offset where content stopped */
    tcp_state_session_end(c.ctx, &s);
    CHECK_EQ_INT(c.d[0].closes, 1);
    CHECK_EQ_INT(c.d[0].contract_errors, 0);
    tcp_ctx_free(c.ctx);
}

/* ISN just below 2^32: data and holes straddle the wrap. */
TEST(sequence_wraparound)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    uint32_t ci = 0xFFFFFFF0u;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, ci, 0xFFFFFFFFu);
    t_send(&c, &s, 0, T_ACK, ci + 1 + 16, 0, "WRAPPED-");       /* seq 1: after the wrap */
    t_send(&c, &s, 0, T_ACK, ci + 1 + 24, 0, "AROUND");
    t_send(&c, &s, 0, T_ACK, ci + 1, 0, "before-the-wrap!"); /* 16 bytes up to 2^32 */
    CHECK(t_streq(&c.d[0], "before-the-wrap!WRAPPED-AROUND"));
    t_send(&c, &s, 1, T_ACK, 0, ci + 31, "ok"); /* server ISN 0xFFFFFFFF: data at seq 0 */
    CHECK(t_streq(&c.d[1], "ok"));
    CHECK_EQ_INT(c.d[0].gaps + c.d[1].gaps, 0);
    /* a retransmission from before the wrap is still recognised */
    t_send(&c, &s, 0, T_ACK, ci + 1, 0, "before");
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->retransmissions, 1);
    CHECK_EQ_INT(c.d[0].len, 30);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* Segment pool of 2 pieces: early data beyond it is dropped (counted,
 * event) and the direction gives up its holes instead of stalling. */
TEST(memcap_exhaustion_declares_gap)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    unsigned ev = 0;
    char seg[3][9] = { "AAAAAAAA", "BBBBBBBB", "CCCCCCCC" };

    cfg.reasm_memcap = 2 * 2048;
    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "start...");
    /* holes before each: 8..16 missing, then three separate early segments */
    for (int i = 0; i < 3; i++)
        ev |= t_send(&c, &s, 0, T_ACK, CI + 1 + 16 + 16 * (uint32_t)i, SI + 1, seg[i]);
    CHECK(ev & TCP_EV_BIT(TCP_EV_SEG_MEMCAP));
    CHECK(tcp_ctx_stats(c.ctx)->seg_memcap_drops >= 1);
    CHECK(tcp_ctx_held_bytes(c.ctx) <= 2 * 2048);
    CHECK(c.d[0].gaps >= 1);
    /* everything that was seen still came out, in order, once */
    tcp_state_session_end(c.ctx, &s);
    CHECK_EQ_INT(c.d[0].len, 16 + 16 * 2 + 8);
    CHECK(memcmp(c.d[0].buf, "start...", 8) == 0);
    CHECK(memcmp(c.d[0].buf + 16, "AAAAAAAA", 8) == 0);
    CHECK(memcmp(c.d[0].buf + 32, "BBBBBBBB", 8) == 0);
    CHECK(memcmp(c.d[0].buf + 48, "CCCCCCCC", 8) == 0);
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);
    CHECK_EQ_INT(c.d[0].contract_errors, 0);
    tcp_ctx_free(c.ctx);
}

/* With no segment memory at all, a session still progresses. */
TEST(zero_reassembly_memcap)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    cfg.reasm_memcap = 0;
    t_ctx(&c, &cfg);
    CHECK(c.ctx != NULL);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 5, SI + 1, "late");
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "abcd");
    CHECK(t_streq(&c.d[0], "abcd"));
    t_send(&c, &s, 0, T_ACK, CI + 9, SI + 1, "next");
    t_send(&c, &s, 1, T_ACK, SI + 1, CI + 13, NULL);
    CHECK(t_streq(&c.d[0], "abcd????????"));
    CHECK(tcp_ctx_stats(c.ctx)->seg_memcap_drops >= 1);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* Data larger than a pool piece and than a delivery chunk. */
TEST(large_segments_split_and_chunked)
{
    static char big[3][3001];
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 3000; i++)
            big[k][i] = (char)('a' + (i * 7 + k) % 26);
        big[k][3000] = 0;
    }
    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1 + 6000, SI + 1, big[2]);
    t_send(&c, &s, 0, T_ACK, CI + 1 + 3000, SI + 1, big[1]);
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 6000);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, big[0]);
    CHECK_EQ_INT(c.d[0].len, 9000);
    for (int k = 0; k < 3; k++)
        CHECK(memcmp(c.d[0].buf + 3000 * k, big[k], 3000) == 0);
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* Count the matches of pat over the whole stream, split at `cut1` and
 * `cut2` and sent in the given order: must equal the true count. */
static int window_matches(const char *stream, const char *pat, size_t cut1, size_t cut2,
                          const int order[3], size_t window)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    char part[3][128];
    size_t b[4] = { 0, cut1, cut2, strlen(stream) };
    int m;

    cfg.window = (uint32_t)window;
    t_ctx(&c, &cfg);
    c.pat = pat;
    t_handshake(&c, &s, CI, SI);
    for (int i = 0; i < 3; i++) {
        memcpy(part[i], stream + b[i], b[i + 1] - b[i]);
        part[i][b[i + 1] - b[i]] = 0;
    }
    for (int k = 0; k < 3; k++) {
        int i = order[k];
        if (part[i][0] != 0)
            t_send(&c, &s, 0, T_ACK, CI + 1 + (uint32_t)b[i], SI + 1, part[i]);
    }
    m = c.matches[0];
    if (!t_streq(&c.d[0], stream) || c.d[0].contract_errors != 0)
        m = -1;
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
    return m;
}

static int count_occurrences(const char *hay, const char *pat)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, pat)) != NULL; p++)
        n++;
    return n;
}

/* A content spanning segments matches once: not twice, not never, for every
 * pair of cut points and every arrival order. */
TEST(window_match_spanning_segments_exactly_once)
{
    const char *stream = "xxxxEVILPATTERNyyyyyEVILPATTERNzz";
    const char *pat = "EVILPATTERN";
    const int orders[6][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 0, 2 },
                               { 0, 2, 1 }, { 2, 0, 1 }, { 1, 2, 0 } };
    size_t n = strlen(stream);
    int want = count_occurrences(stream, pat), bad = 0, runs = 0;

    CHECK_EQ_INT(want, 2);
    for (size_t a = 0; a <= n; a++)
        for (size_t b = a; b <= n; b++)
            for (int o = 0; o < 6; o++) {
                runs++;
                if (window_matches(stream, pat, a, b, orders[o], 10) != want)
                    bad++;
            }
    CHECK(runs > 1000);
    CHECK_EQ_INT(bad, 0);
}

/* The window is too short for the pattern: a spanning match is missed,
 * which shows the test above depends on the window (it can fail). */
TEST(window_too_short_misses_spanning_match)
{
    const int order[3] = { 0, 1, 2 };
    /* "aaEVILPATT" | "ERNbb": the match needs 8 bytes of the first part */
    CHECK_EQ_INT(window_matches("aaEVILPATTERNbb", "EVILPATTERN", 10, 15, order, 4), 0);
    CHECK_EQ_INT(window_matches("aaEVILPATTERNbb", "EVILPATTERN", 10, 15, order, 8), 1);
    CHECK_EQ_INT(window_matches("aaEVILPATTERNbb", "EVILPATTERN", 10, 15, order, 0), 0);
}

/* After a gap the window starts empty: no match across missing bytes. */
TEST(window_empty_after_gap)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    c.pat = "EVILPAT";
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "xxEVI");
    t_send(&c, &s, 0, T_ACK, CI + 9, SI + 1, "LPAT"); /* 3 bytes lost between */
    t_send(&c, &s, 1, T_ACK, SI + 1, CI + 13, NULL);
    CHECK_EQ_INT(c.d[0].gaps, 1);
    CHECK_EQ_INT(c.matches[0], 0);
    CHECK(tcp_reasm_window(c.ctx, &(const uint8_t *){ NULL }, &(size_t){ 0 }, &(size_t){ 0 }) < 0);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* Tiny xorshift PRNG: deterministic runs. */
static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* Random segmentation, shuffling, duplicates and overlapping resends of the
 * same bytes: the delivered stream is always the original, with no gap. */
TEST(random_reordering_property)
{
    enum { LEN = 6000, MAXSEG = 64 };
    static uint8_t data[LEN];
    static struct { uint32_t off, len; } segs[2 * LEN];
    int bad = 0;

    for (int run = 0; run < 200; run++) {
        struct coll c;
        struct tcp_cfg cfg = t_cfg();
        struct tcp_session *s = NULL;
        uint32_t isn = rnd(), n = 0, len = 1000 + rnd() % (LEN - 1000);

        for (uint32_t i = 0; i < len; i++)
            data[i] = (uint8_t)rnd();
        for (uint32_t off = 0; off < len;) {
            uint32_t l = 1 + rnd() % MAXSEG;
            if (off + l > len)
                l = len - off;
            segs[n].off = off;
            segs[n++].len = l;
            if (rnd() % 4 == 0) { /* an overlapping resend */
                uint32_t o2 = off > 10 ? off - rnd() % 10 : off;
                segs[n].off = o2;
                segs[n++].len = off + l - o2;
            }
            off += l;
        }
        /* local shuffle: reorder within a sliding range */
        for (uint32_t i = 0; i + 1 < n; i++) {
            uint32_t j = i + rnd() % (n - i < 8 ? n - i : 8);
            __typeof__(segs[0]) t = segs[i];
            segs[i] = segs[j];
            segs[j] = t;
        }
        cfg.window = rnd() % 2 ? 64 : 0;
        t_ctx(&c, &cfg);
        t_handshake(&c, &s, isn, 77);
        for (uint32_t i = 0; i < n; i++) {
            struct packet p = t_pkt(T_ACK, isn + 1 + segs[i].off, 78, NULL);
            p.payload = data + segs[i].off;
            p.payload_len = segs[i].len;
            tcp_state_packet(c.ctx, &s, NULL, &p, 0);
        }
        if (c.d[0].len != len || memcmp(c.d[0].buf, data, len) != 0 || c.d[0].gaps != 0 ||
            c.d[0].contract_errors != 0 || tcp_ctx_held_bytes(c.ctx) != 0 ||
            tcp_ctx_stats(c.ctx)->overlaps_diff != 0)
            bad++;
        tcp_state_session_end(c.ctx, &s);
        tcp_ctx_free(c.ctx);
    }
    CHECK_EQ_INT(bad, 0);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}

/* tcp_reasm_stop: a direction nobody reads is followed, not kept; the other
 * direction goes on; signals keep the offset contract. */
TEST(stop_direction_follows_sequence_only)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "abcd");
    t_send(&c, &s, 0, T_ACK, CI + 1 + 8, SI + 1, "held");       /* early: held */
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 4);
    CHECK(!tcp_reasm_stopped(s, 0));
    tcp_reasm_stop(c.ctx, s, 0);
    CHECK(tcp_reasm_stopped(s, 0));
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);                 /* given back */
    t_send(&c, &s, 0, T_ACK, CI + 1 + 4, SI + 1, "efgh");
    t_send(&c, &s, 0, T_ACK, CI + 1 + 12, SI + 1, "more");
    CHECK(t_streq(&c.d[0], "abcd"));                             /* nothing after the stop */
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->stopped_dirs, 1);
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->stopped_bytes, 12);
    CHECK_EQ_INT(tcp_session_offset(s, 0), 16);                  /* sequence still followed */
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);
    t_send(&c, &s, 1, T_ACK, SI + 1, CI + 17, "reply");
    CHECK(t_streq(&c.d[1], "reply"));
    tcp_state_session_end(c.ctx, &s);
    CHECK_EQ_INT(c.d[0].closes, 1);
    CHECK_EQ_INT(c.d[1].closes, 1);
    CHECK_EQ_INT(c.d[0].contract_errors + c.d[1].contract_errors, 0);
    CHECK_EQ_INT(tcp_ctx_sessions_in_use(c.ctx), 0);
    tcp_ctx_free(c.ctx);
}

/* Stopping from inside the callback takes effect after that delivery. */
static struct coll *stop_c;
static void stop_cb(void *arg, struct tcp_session *s, int dir, const uint8_t *data, size_t len,
                    uint64_t off, unsigned flags)
{
    coll_cb(arg, s, dir, data, len, off, flags);
    if (data != NULL && dir == 0)
        tcp_reasm_stop(stop_c->ctx, s, 0);
}

TEST(stop_inside_callback)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    memset(&c, 0, sizeof(c));
    stop_c = &c;
    c.ctx = tcp_ctx_new(&cfg, stop_cb, &c);
    CHECK(c.ctx != NULL);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1 + 4, SI + 1, "BBBB");        /* held */
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "AAAA");            /* delivered, then stop */
    CHECK(t_streq(&c.d[0], "AAAA"));
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);
    t_send(&c, &s, 0, T_ACK | T_FIN, CI + 1 + 8, SI + 1, "CCCC");
    CHECK(t_streq(&c.d[0], "AAAA"));
    CHECK_EQ_INT(c.d[0].fins, 0);                                /* nothing more, FIN included */
    tcp_state_session_end(c.ctx, &s);
    CHECK_EQ_INT(c.d[0].closes, 1);
    CHECK_EQ_INT(c.d[0].contract_errors, 0);
    tcp_ctx_free(c.ctx);
}
