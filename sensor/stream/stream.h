/* stream: TCP session tracking and per-direction reassembly, per worker.
 *
 * Sits after the flow table: the worker passes each TCP packet of a flow with
 * its direction; the session's state machine follows the handshake and close,
 * and in-order payload reaches one callback exactly once per byte, in stream
 * order, up to a configured depth per direction. No allocation and no lock
 * per packet: sessions and out-of-order segments come from pools carved in
 * tcp_ctx_new() and bounded by memcaps. Time is never read here.
 *
 * Overlap policy: "first". A byte already received (delivered, or held out of
 * order) is never replaced by a later copy (BSD/Windows behaviour, and that
 * of our defrag). A retransmission or overlap that brings different bytes is
 * counted and raises TCP_EV_OVERLAP_DIFF ("stream.reassembly_overlap_different
 * _data" in Suricata). Already delivered bytes can only be compared while
 * they are still in the direction's match window (the last `window` bytes);
 * held bytes are always compared.
 *
 * Gaps: bytes that will never arrive are skipped and reported to the callback
 * as a call with TCP_DATA_GAP, data NULL and len = the gap length, so that
 * app-layer parsers can resync or give up. A gap is declared when
 *   - the peer acknowledges data we never saw (capture loss), up to the
 *     highest byte seen in that direction;
 *   - the segment pool or reassembly memcap is full (held data before the
 *     hole is given up so that the direction can progress);
 *   - the session ends (RST, flow timeout/eviction) with holes still open.
 *
 * Matching across segments: inside the callback, tcp_reasm_window() gives a
 * contiguous buffer [last `window` bytes of earlier data | new data] and the
 * index where the new data starts. A matcher scans it and keeps only matches
 * that END at or after that index: a content spanning two segments is then
 * seen exactly once (not twice, not never) as long as it is no longer than
 * window + 1 bytes, and history is never rescanned.
 */
#ifndef CANH_STREAM_H
#define CANH_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

/* Direction of a packet within its flow, as the flow table knows it:
 * TOSERVER is the flow initiator's side. The state machine separately records
 * which side sent the SYN (tcp_session_client_dir()). */
#define TCP_DIR_TOSERVER 0
#define TCP_DIR_TOCLIENT 1

/* Session states (Suricata's names; CLOSE_WAIT/LAST_ACK are the passive
 * side's view of FIN_WAIT1/2 and are not kept separately). */
enum tcp_state {
    TCP_STATE_NONE = 0,
    TCP_STATE_SYN_SENT,
    TCP_STATE_SYN_RECV,
    TCP_STATE_ESTABLISHED,
    TCP_STATE_FIN_WAIT1,   /* one side sent FIN */
    TCP_STATE_FIN_WAIT2,   /* that FIN is acknowledged */
    TCP_STATE_CLOSING,     /* both sides sent FIN, not all acknowledged */
    TCP_STATE_TIME_WAIT,   /* both FINs sent and acknowledged */
    TCP_STATE_CLOSED,      /* RST, or session ended */
    TCP_STATE_MAX
};

/* Flags of a delivery (callback `flags`). */
#define TCP_DATA_GAP    0x01u /* data NULL, len bytes are missing at stream_offset */
#define TCP_DATA_FIN    0x02u /* len 0: the sender's FIN, every byte before it delivered */
#define TCP_DATA_RST    0x04u /* len 0: the session was reset */
#define TCP_DATA_DEPTH  0x08u /* len 0: depth reached, no more content in this direction */
#define TCP_DATA_CLOSE  0x10u /* len 0: the session ends (last call for this direction) */

/* Events raised by one packet: the bit mask tcp_state_packet() returns.
 * The worker turns them into EVE anomaly records; each is also counted. */
enum tcp_event {
    TCP_EV_OVERLAP_DIFF = 0,  /* overlapping bytes differ from those kept */
    TCP_EV_GAP,               /* a gap was declared */
    TCP_EV_SEG_MEMCAP,        /* a segment could not be held (pool/memcap full) */
    TCP_EV_SSN_MEMCAP,        /* no session could be created (stream.memcap) */
    TCP_EV_NO_SESSION,        /* packet without SYN and midstream is off */
    TCP_EV_OUT_OF_WINDOW,     /* segment too far from the expected sequence */
    TCP_EV_RST_INVALID,       /* RST outside the receiver's window: ignored */
    TCP_EV_SYNACK_BAD_ACK,    /* SYN/ACK does not acknowledge the SYN */
    TCP_EV_PKT_AFTER_CLOSE,   /* data after the session closed */
    TCP_EV_MAX
};
#define TCP_EV_BIT(e) (1u << (e))

/* Typed config (stream_cfg.c fills it from sensor.yaml). Memcaps are per
 * worker here; stream_cfg_load() divides the sensor-wide values. */
/* Which RST ends a session (stream.reset-policy), after Suricata's
 * StreamTcpValidateRst and its host OS policies. Either way a RST whose ACK
 * acknowledges bytes the receiver never sent is ignored (TCP_EV_RST_INVALID),
 * as is one whose sequence number the policy rejects.
 *   TCP_RST_BSD (default, Suricata's default policy): the sequence number must
 *     be exactly the sender's next one, the FIN counting as one byte. A host
 *     that sent its FIN at s and then a RST at s (the usual RST of a closed
 *     socket answering the peer's data) does not reset: the peer's data keep
 *     being reassembled, as Suricata and tshark do.
 *   TCP_RST_LINUX: anywhere in [next expected byte, furthest byte + window]
 *     (Suricata's Linux policy), so that RST resets. */
enum tcp_rst_policy { TCP_RST_BSD = 0, TCP_RST_LINUX };

struct tcp_cfg {
    bool midstream;          /* stream.midstream: pick up sessions without SYN */
    uint64_t memcap;         /* stream.memcap: bytes of session state */
    uint64_t reasm_memcap;   /* stream.reassembly.memcap: bytes of held segments */
    uint64_t depth;          /* stream.reassembly.depth: per direction, 0 = unlimited */
    uint32_t window;         /* stream.reassembly.match-window: tail kept for matching */
    enum tcp_rst_policy rst_policy; /* stream.reset-policy */
};

/* Per-worker counters (read by the stats EVE). */
struct tcp_stats {
    uint64_t sessions;          /* sessions created */
    uint64_t midstream;         /* of which picked up without handshake */
    uint64_t ssn_memcap_drops;  /* sessions not created: memcap */
    uint64_t no_session;        /* packets ignored: no SYN, midstream off */
    uint64_t pkts;              /* packets handled */
    uint64_t segments;          /* packets with payload */
    uint64_t reassembled_bytes; /* bytes delivered to the callback */
    uint64_t out_of_order;      /* segments held because they came early */
    uint64_t retransmissions;   /* segments wholly inside already received data */
    uint64_t overlaps;          /* segments partly or wholly overlapping received data */
    uint64_t overlaps_diff;     /* ... whose overlapping bytes differed */
    uint64_t gaps;              /* gaps declared */
    uint64_t gap_bytes;         /* bytes skipped in gaps */
    uint64_t seg_memcap_drops;  /* segments (pieces) not held: pool/memcap full */
    uint64_t depth_bytes;       /* bytes seen past depth, not delivered */
    uint64_t stopped_dirs;      /* directions let go by their consumer (tcp_reasm_stop) */
    uint64_t stopped_bytes;     /* bytes of those directions followed, not delivered */
    uint64_t out_of_window;     /* segments rejected as too far from next seq */
    uint64_t rst;               /* valid RSTs */
    uint64_t fin;               /* FINs delivered */
    uint64_t events[TCP_EV_MAX];
};

struct tcp_ctx;
struct tcp_session;

/* The data callback. Runs on the worker thread inside tcp_state_packet() or
 * tcp_state_session_end(); data is borrowed for the call only. Every byte of
 * a direction is delivered once, in order: stream_offset of a call equals the
 * sum of len (data and gaps) of the earlier calls for that direction. */
typedef void (*tcp_data_fn)(void *arg, struct tcp_session *s, int dir,
                            const uint8_t *data, size_t len,
                            uint64_t stream_offset, unsigned flags);

/* A worker's reassembly context: pools carved here, at start, from cfg.
 * NULL on bad config or no memory (logged). Not thread-safe: one worker. */
struct tcp_ctx *tcp_ctx_new(const struct tcp_cfg *cfg, tcp_data_fn cb, void *cb_arg);
/* Frees the pools. Sessions still referenced by flows become invalid: end
 * them first. Accepts NULL. */
void tcp_ctx_free(struct tcp_ctx *ctx);
const struct tcp_stats *tcp_ctx_stats(const struct tcp_ctx *ctx);
/* Bytes currently held out of order, and sessions in use (for stats/tests). */
uint64_t tcp_ctx_held_bytes(const struct tcp_ctx *ctx);
uint32_t tcp_ctx_sessions_in_use(const struct tcp_ctx *ctx);
/* Stable Suricata-style name of an event ("stream.reassembly_overlap_different_data"). */
const char *tcp_ctx_event_name(enum tcp_event ev);

/* Handle one decoded TCP packet (p->proto == IPPROTO_TCP) of a flow.
 * *sp is the flow's session slot (NULL at first): a session is taken from the
 * pool on a SYN, a SYN/ACK, or any packet when midstream is on; `user` is
 * stored in it (tcp_session_user()). Returns a mask of TCP_EV_BIT() events
 * (0 when nothing odd happened); never fails: problems are counted. */
unsigned tcp_state_packet(struct tcp_ctx *ctx, struct tcp_session **sp, void *user,
                          const struct packet *p, int dir);
/* The flow ends (timeout, eviction, shutdown): held data is delivered across
 * its holes (as gaps), each direction gets a TCP_DATA_CLOSE call, and the
 * session returns to the pool. *sp becomes NULL. Accepts *sp == NULL. */
void tcp_state_session_end(struct tcp_ctx *ctx, struct tcp_session **sp);

enum tcp_state tcp_session_state(const struct tcp_session *s);
const char *tcp_state_name(enum tcp_state st);
void *tcp_session_user(const struct tcp_session *s);
/* Which dir sent the SYN (or the first packet of a midstream pickup). */
int tcp_session_client_dir(const struct tcp_session *s);
/* Bytes delivered or skipped so far in dir (the next stream_offset). */
uint64_t tcp_session_offset(const struct tcp_session *s, int dir);

/* Inside the callback only, for the data being delivered: *buf points to
 * [tail of earlier data | new data] (borrowed until the callback returns),
 * *len is its length and *new_start the index of the first new byte (the tail
 * holds up to cfg.window bytes; it is empty after a gap). Returns 0, or -1
 * when called outside a data delivery. Copies only when called. */
int tcp_reasm_window(struct tcp_ctx *ctx, const uint8_t **buf, size_t *len,
                     size_t *new_start);

/* No consumer wants more content of dir (no app parser for its protocol, no
 * stream rules, no stream scan; or the one it had is done, as TLS after its
 * handshake event). From the end of the delivery in progress (when called
 * inside the callback) or at once, the direction's bytes are neither held,
 * copied nor delivered; the sequence space, FIN, RST and the state machine
 * are still followed (FIN, GAP and DEPTH calls stop; RST and CLOSE still
 * come). Held segments and the match-window tail return to their pools, so
 * overlaps in that direction are no longer compared. Not undone. */
void tcp_reasm_stop(struct tcp_ctx *ctx, struct tcp_session *s, int dir);
bool tcp_reasm_stopped(const struct tcp_session *s, int dir);

/* stream_cfg.c: the stream section of sensor.yaml (Suricata's key names). */
struct cfg;
/* Adds the stream.* keys to the config schema. 0 or -1. */
int stream_cfg_schema(struct cfg *c);
/* Fills out from the loaded config; the memcaps are sensor-wide and are
 * divided among nworkers. 0, or -1 with the problem logged. */
int stream_cfg_load(const struct cfg *c, unsigned nworkers, struct tcp_cfg *out);
/* Logs the effective values (at start). */
void stream_cfg_log(const struct tcp_cfg *tc, unsigned nworkers);

#endif
