/* Unit tests for tcp_state/tcp_session: the handshake, midstream pickup on
 * and off, FIN and RST close (valid and forged), refused connections, the
 * session memcap, port reuse and session end. Packets built by hand.
 */
#include "../runner.h"
#include "stream_test.h"

#define CI 1000u
#define SI 5000u

TEST(handshake_states)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    CHECK_EQ_INT(t_send(&c, &s, 0, T_SYN, CI, 0, NULL), 0);
    CHECK(s != NULL);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_SYN_SENT);
    CHECK_EQ_INT(tcp_session_client_dir(s), 0);
    t_send(&c, &s, 0, T_SYN, CI, 0, NULL); /* SYN retransmission */
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_SYN_SENT);
    t_send(&c, &s, 1, T_SYN | T_ACK, SI, CI + 1, NULL);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_SYN_RECV);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, NULL);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_ESTABLISHED);
    CHECK_EQ_STR(tcp_state_name(tcp_session_state(s)), "established");
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->sessions, 1);
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->midstream, 0);
    CHECK_EQ_INT(tcp_ctx_sessions_in_use(c.ctx), 1);
    tcp_state_session_end(c.ctx, &s);
    CHECK_EQ_INT(tcp_ctx_sessions_in_use(c.ctx), 0);
    tcp_ctx_free(c.ctx);
}

TEST(synack_with_wrong_ack_ignored)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    unsigned ev;

    t_ctx(&c, &cfg);
    t_send(&c, &s, 0, T_SYN, CI, 0, NULL);
    ev = t_send(&c, &s, 1, T_SYN | T_ACK, SI, CI + 77, NULL);
    CHECK(ev & TCP_EV_BIT(TCP_EV_SYNACK_BAD_ACK));
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_SYN_SENT);
    t_send(&c, &s, 1, T_SYN | T_ACK, SI, CI + 1, NULL);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_SYN_RECV);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

TEST(midstream_off_no_session)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    unsigned ev;

    t_ctx(&c, &cfg);
    ev = t_send(&c, &s, 0, T_ACK | T_PSH, CI, SI, "data without handshake");
    CHECK(ev & TCP_EV_BIT(TCP_EV_NO_SESSION));
    CHECK(s == NULL);
    ev = t_send(&c, &s, 1, T_SYN | T_ACK, SI, CI, NULL);
    CHECK(s == NULL);
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->no_session, 2);
    CHECK_EQ_INT(c.d[0].calls + c.d[1].calls, 0);
    tcp_ctx_free(c.ctx);
}

TEST(midstream_on_picks_up)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    cfg.midstream = true;
    t_ctx(&c, &cfg);
    CHECK_EQ_INT(t_send(&c, &s, 0, T_ACK | T_PSH, CI, SI, "mid-"), 0);
    CHECK(s != NULL);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_ESTABLISHED);
    t_send(&c, &s, 0, T_ACK | T_PSH, CI + 4, SI, "stream");
    t_send(&c, &s, 1, T_ACK | T_PSH, SI, CI + 10, "reply");
    CHECK(t_streq(&c.d[0], "mid-stream"));
    CHECK(t_streq(&c.d[1], "reply"));
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->midstream, 1);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* Midstream pickup on a SYN/ACK: the sender is the server. */
TEST(midstream_synack_pickup)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    cfg.midstream = true;
    t_ctx(&c, &cfg);
    t_send(&c, &s, 0, T_SYN | T_ACK, SI, CI + 1, NULL);
    CHECK(s != NULL);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_SYN_RECV);
    CHECK_EQ_INT(tcp_session_client_dir(s), 1);
    t_send(&c, &s, 1, T_ACK | T_PSH, CI + 1, SI + 1, "client");
    t_send(&c, &s, 0, T_ACK | T_PSH, SI + 1, CI + 7, "server");
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_ESTABLISHED);
    CHECK(t_streq(&c.d[1], "client"));
    CHECK(t_streq(&c.d[0], "server"));
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* The SYN/ACK was not captured: the client's ACK starts the server side. */
TEST(asymmetric_missing_synack)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    t_send(&c, &s, 0, T_SYN, CI, 0, NULL);
    t_send(&c, &s, 0, T_ACK | T_PSH, CI + 1, SI + 1, "hello");
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_ESTABLISHED);
    t_send(&c, &s, 1, T_ACK | T_PSH, SI + 1, CI + 6, "hi");
    CHECK(t_streq(&c.d[0], "hello"));
    CHECK(t_streq(&c.d[1], "hi"));
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* TCP Fast Open: data on the SYN is stream data. */
TEST(data_on_syn)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    t_send(&c, &s, 0, T_SYN, CI, 0, "tfo:");
    t_send(&c, &s, 1, T_SYN | T_ACK, SI, CI + 5, NULL);
    t_send(&c, &s, 0, T_ACK, CI + 5, SI + 1, "rest");
    CHECK(t_streq(&c.d[0], "tfo:rest"));
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* Orderly close; the client's FIN arrives before its last data. */
TEST(fin_close_after_all_data)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "abc");
    t_send(&c, &s, 0, T_ACK | T_FIN, CI + 7, SI + 1, "ghi"); /* FIN early */
    CHECK_EQ_INT(c.d[0].fins, 0);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_FIN_WAIT1);
    t_send(&c, &s, 0, T_ACK, CI + 4, SI + 1, "def");
    CHECK(t_streq(&c.d[0], "abcdefghi"));
    CHECK_EQ_INT(c.d[0].fins, 1);
    t_send(&c, &s, 1, T_ACK, SI + 1, CI + 11, NULL); /* acks the FIN */
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_FIN_WAIT2);
    t_send(&c, &s, 1, T_ACK | T_FIN, SI + 1, CI + 11, "bye");
    CHECK_EQ_INT(c.d[1].fins, 1);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_CLOSING);
    t_send(&c, &s, 0, T_ACK, CI + 11, SI + 5, NULL);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_TIME_WAIT);
    /* data after the FIN is not stream data */
    t_send(&c, &s, 0, T_ACK, CI + 10, SI + 5, "zzz");
    CHECK(t_streq(&c.d[0], "abcdefghi"));
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->fin, 2);
    tcp_state_session_end(c.ctx, &s);
    CHECK_EQ_INT(c.d[0].fins, 1);
    CHECK_EQ_INT(c.d[0].closes + c.d[1].closes, 2);
    CHECK_EQ_INT(c.d[0].contract_errors + c.d[1].contract_errors, 0);
    tcp_ctx_free(c.ctx);
}

TEST(rst_valid_closes_and_flushes)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    unsigned ev;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "abc");
    t_send(&c, &s, 0, T_ACK, CI + 7, SI + 1, "ghi"); /* hole before */
    ev = t_send(&c, &s, 1, T_RST | T_ACK, SI + 1, CI + 4, NULL);
    CHECK(ev & TCP_EV_BIT(TCP_EV_GAP)); /* the held data came out across the hole */
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_CLOSED);
    CHECK(t_streq(&c.d[0], "abc???ghi"));
    CHECK_EQ_INT(c.d[0].rsts, 1);
    CHECK_EQ_INT(c.d[1].rsts, 1);
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->rst, 1);
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);
    ev = t_send(&c, &s, 0, T_ACK, CI + 10, SI + 1, "late");
    CHECK(ev & TCP_EV_BIT(TCP_EV_PKT_AFTER_CLOSE));
    tcp_state_session_end(c.ctx, &s);
    CHECK_EQ_INT(c.d[0].closes, 1);
    tcp_ctx_free(c.ctx);
}

/* A RST far outside the window (an evasion attempt) is ignored. */
TEST(rst_out_of_window_ignored)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;
    unsigned ev;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    ev = t_send(&c, &s, 1, T_RST, SI + 1 + 10000000u, 0, NULL);
    CHECK(ev & TCP_EV_BIT(TCP_EV_RST_INVALID));
    ev = t_send(&c, &s, 1, T_RST, SI - 100, 0, NULL);
    CHECK(ev & TCP_EV_BIT(TCP_EV_RST_INVALID));
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_ESTABLISHED);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "still inspected");
    CHECK(t_streq(&c.d[0], "still inspected"));
    CHECK_EQ_INT(c.d[0].rsts, 0);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* stream.reset-policy bsd (default): the client's FIN at s, then a RST at s
 * (a closed socket answering the server's data) does not reset, so the
 * server's body keeps being reassembled (as Suricata and tshark do); the RST
 * at s + 1 does. Under linux the first RST already resets. */
TEST(rst_after_fin_bsd_policy)
{
    for (int pol = 0; pol < 2; pol++) {
        struct coll c;
        struct tcp_cfg cfg = t_cfg();
        struct tcp_session *s = NULL;
        unsigned ev;

        cfg.rst_policy = pol == 0 ? TCP_RST_BSD : TCP_RST_LINUX;
        t_ctx(&c, &cfg);
        t_handshake(&c, &s, CI, SI);
        t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "GET");
        t_send(&c, &s, 1, T_ACK, SI + 1, CI + 4, "abc");
        t_send(&c, &s, 0, T_ACK | T_FIN, CI + 4, SI + 4, NULL);
        ev = t_send(&c, &s, 0, T_RST, CI + 4, 0, NULL);
        CHECK_EQ_INT(!!(ev & TCP_EV_BIT(TCP_EV_RST_INVALID)), pol == 0);
        t_send(&c, &s, 1, T_ACK, SI + 4, CI + 4, "def");
        CHECK(t_streq(&c.d[1], pol == 0 ? "abcdef" : "abc"));
        CHECK_EQ_INT(c.d[1].rsts, pol == 0 ? 0 : 1);
        ev = t_send(&c, &s, 0, T_RST, CI + 5, 0, NULL);
        CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_CLOSED);
        CHECK_EQ_INT(c.d[1].rsts, 1);
        tcp_state_session_end(c.ctx, &s);
        tcp_ctx_free(c.ctx);
    }
}

/* A RST that acknowledges bytes the receiver never sent is forged. */
TEST(rst_with_impossible_ack_ignored)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "abc");
    CHECK(t_send(&c, &s, 1, T_RST | T_ACK, SI + 1, CI + 400, NULL) & TCP_EV_BIT(TCP_EV_RST_INVALID));
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_ESTABLISHED);
    CHECK(!(t_send(&c, &s, 1, T_RST | T_ACK, SI + 1, CI + 4, NULL) & TCP_EV_BIT(TCP_EV_RST_INVALID)));
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_CLOSED);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

TEST(rst_refuses_syn)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    t_send(&c, &s, 0, T_SYN, CI, 0, NULL);
    CHECK(t_send(&c, &s, 1, T_RST | T_ACK, 0, CI + 7, NULL) & TCP_EV_BIT(TCP_EV_RST_INVALID));
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_SYN_SENT);
    t_send(&c, &s, 1, T_RST | T_ACK, 0, CI + 1, NULL);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_CLOSED);
    CHECK_EQ_INT(c.d[0].rsts, 1);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* stream.memcap bounds the sessions; freed ones are reused. */
TEST(session_memcap)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s[64] = { NULL };
    unsigned ev = 0;
    int made = 0;

    cfg.memcap = 4096;
    t_ctx(&c, &cfg);
    CHECK(c.ctx != NULL);
    for (int i = 0; i < 64; i++) {
        ev |= t_send(&c, &s[i], 0, T_SYN, CI + (uint32_t)i, 0, NULL);
        made += s[i] != NULL;
    }
    CHECK(made > 0 && made < 64);
    CHECK(ev & TCP_EV_BIT(TCP_EV_SSN_MEMCAP));
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->ssn_memcap_drops, 64 - made);
    CHECK_EQ_INT(tcp_ctx_sessions_in_use(c.ctx), made);
    tcp_state_session_end(c.ctx, &s[0]);
    t_send(&c, &s[63], 0, T_SYN, CI, 0, NULL);
    CHECK(s[63] != NULL);
    for (int i = 0; i < 64; i++)
        tcp_state_session_end(c.ctx, &s[i]);
    CHECK_EQ_INT(tcp_ctx_sessions_in_use(c.ctx), 0);
    tcp_ctx_free(c.ctx);
}

/* A new SYN on a closed session starts a fresh one (port reuse). */
TEST(port_reuse_after_close)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 1, SI + 1, "one");
    t_send(&c, &s, 0, T_RST, CI + 4, 0, NULL);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_CLOSED);
    CHECK_EQ_INT(c.d[0].closes, 0);
    t_send(&c, &s, 0, T_SYN, 90000, 0, NULL);
    CHECK(s != NULL);
    CHECK_EQ_INT(tcp_session_state(s), TCP_STATE_SYN_SENT);
    CHECK_EQ_INT(c.d[0].closes, 1); /* the old session ended */
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->sessions, 2);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* A SYN with another ISN before the handshake completed is a new attempt:
 * the old session ends (CLOSE) and offsets start again from 0. */
TEST(new_isn_in_syn_sent_restarts)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    t_send(&c, &s, 0, T_SYN, CI, 0, "tfo");
    CHECK_EQ_INT(c.d[0].len, 3);
    t_send(&c, &s, 0, T_SYN, CI + 500, 0, NULL);
    CHECK_EQ_INT(c.d[0].closes, 1);
    CHECK_EQ_INT(tcp_ctx_stats(c.ctx)->sessions, 2);
    CHECK_EQ_INT(tcp_session_offset(s, 0), 0);
    tcp_state_session_end(c.ctx, &s);
    tcp_ctx_free(c.ctx);
}

/* Session end flushes held data across holes, once, then CLOSE. */
TEST(session_end_flushes)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();
    struct tcp_session *s = NULL;

    t_ctx(&c, &cfg);
    t_handshake(&c, &s, CI, SI);
    t_send(&c, &s, 0, T_ACK, CI + 5, SI + 1, "tail");
    CHECK_EQ_INT(c.d[0].len, 0);
    tcp_state_session_end(c.ctx, &s);
    CHECK(t_streq(&c.d[0], "????tail"));
    CHECK_EQ_INT(c.d[0].gaps, 1);
    CHECK_EQ_INT(c.d[0].closes, 1);
    CHECK_EQ_INT(c.d[1].closes, 1);
    CHECK_EQ_INT(c.d[0].contract_errors, 0);
    tcp_state_session_end(c.ctx, &s); /* NULL: no-op */
    CHECK_EQ_INT(tcp_ctx_held_bytes(c.ctx), 0);
    tcp_ctx_free(c.ctx);
    tcp_ctx_free(NULL);
}

TEST(ctx_rejects_tiny_memcap)
{
    struct coll c;
    struct tcp_cfg cfg = t_cfg();

    cfg.memcap = 16;
    CHECK(t_ctx(&c, &cfg) == NULL);
    CHECK(tcp_ctx_new(NULL, coll_cb, NULL) == NULL);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
