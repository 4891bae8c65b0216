/* stream_private: internals shared by the files of sensor/stream only.
 *
 * Offsets: each direction maps sequence numbers to 64-bit stream offsets
 * once (offset 0 = the byte after the SYN, or the first byte of a midstream
 * pickup), so held-segment lists never deal with 2^32 wrap-around. A
 * direction's held segments form one list sorted by offset, never
 * overlapping (the "first" policy keeps held bytes), all after next_off.
 */
#ifndef CANH_STREAM_PRIVATE_H
#define CANH_STREAM_PRIVATE_H

#include "stream/stream.h"

/* Bytes of payload per pooled segment: one Ethernet MSS fits in one; larger
 * payloads (jumbo, TSO captures) are held as several pieces. */
#define TCP_SEG_CAP 2048u
/* Longest piece of data handed to the callback at once: bounds the window
 * scratch buffer (cfg.window + TCP_CHUNK_MAX). */
#define TCP_CHUNK_MAX 65536u
/* A segment more than this far from the next expected byte is bogus (or
 * belongs to another incarnation of the connection) and is rejected. */
#define TCP_MAX_AHEAD (1u << 30)

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

struct tcp_seg {
    struct tcp_seg *next;
    uint64_t off;            /* stream offset of data[0] */
    uint32_t len;
    uint8_t data[TCP_SEG_CAP];
};

/* tcp_dir.flags */
#define TCP_DF_INIT        0x01u /* next_seq/next_off are known */
#define TCP_DF_SYN         0x02u /* SYN seen from this side */
#define TCP_DF_FIN         0x04u /* FIN seen: fin_off is valid */
#define TCP_DF_FIN_DONE    0x08u /* FIN delivered to the callback */
#define TCP_DF_FIN_ACKED   0x10u /* the peer acknowledged our FIN */
#define TCP_DF_DEPTH       0x20u /* depth reached: content no longer kept */
#define TCP_DF_CLOSED      0x40u /* CLOSE delivered */
#define TCP_DF_WSCALE      0x80u /* window scale option seen on SYN */

struct tcp_dir {
    uint32_t isn;
    uint32_t next_seq;       /* sequence number of next_off */
    uint64_t next_off;       /* bytes delivered or skipped so far */
    uint64_t max_end;        /* end offset of the furthest data seen */
    uint64_t fin_off;        /* offset of the FIN (= data length) */
    uint32_t win;            /* last window advertised by this side (scaled) */
    uint8_t wscale;
    uint8_t flags;
    uint8_t stop;            /* tcp_reasm_stop(): 1 requested in a delivery, 2 done */
    struct tcp_seg *head, *last;
    uint32_t tail_used;      /* valid bytes at the start of tail */
    union {
        uint8_t *tail;       /* cfg.window bytes from the tail pool, taken at the
                              * direction's first delivery; NULL before */
        uint64_t stop_off;   /* once stop == 2 (no tail then): where content stopped */
    };
};

struct tcp_session {
    struct tcp_dir d[2];
    enum tcp_state state;
    uint8_t client;          /* dir index of the SYN sender */
    bool midstream;
    void *user;
    struct tcp_session *next_free;
};

struct tcp_ctx {
    struct tcp_cfg cfg;
    tcp_data_fn cb;
    void *cb_arg;
    struct tcp_stats st;
    unsigned ev;             /* events of the packet being handled */

    /* segment pool: segs_max pieces, taken first from the free list, then
     * from the never-used high-water mark (so untouched pages stay cold) */
    struct tcp_seg *segs;
    uint32_t segs_max, segs_hwm, segs_used;
    struct tcp_seg *seg_free;
    uint64_t held_bytes;

    /* session pool, the same way; a slot is one session */
    uint8_t *ssn_mem;
    size_t ssn_size;
    uint32_t ssn_max, ssn_hwm, ssn_used;
    struct tcp_session *ssn_free;

    /* match-window tails, the same way, one per direction that carried
     * data; sessions and tails share stream.memcap (ssn_bytes) */
    uint8_t *tail_mem;
    size_t tail_size;
    uint32_t tail_max, tail_hwm, tail_used;
    struct tcp_tail_free *tail_free;
    uint64_t ssn_bytes;

    /* the delivery in progress, for tcp_reasm_window() */
    uint8_t *scratch;        /* cfg.window + TCP_CHUNK_MAX */
    const struct tcp_dir *cur_dir;
    const uint8_t *cur_data;
    size_t cur_len;
};

static inline void tcp_ctx_event(struct tcp_ctx *ctx, enum tcp_event ev)
{
    ctx->ev |= TCP_EV_BIT(ev);
    ctx->st.events[ev]++;
}

/* tcp_session.c: the session pool. NULL when stream.memcap is used up. */
struct tcp_session *tcp_session_get(struct tcp_ctx *ctx);
/* Returns held segments, tails and the session to the pools. */
void tcp_session_put(struct tcp_ctx *ctx, struct tcp_session *s);
/* d's match-window tail, taken from the tail pool at first use. NULL when
 * stream.memcap is used up (counted in ssn_memcap_drops; that direction
 * then matches without history) or the window is 0. */
uint8_t *tcp_session_tail(struct tcp_ctx *ctx, struct tcp_dir *d);
/* Give d's tail back to the pool (the window is empty after). */
void tcp_session_tail_put(struct tcp_ctx *ctx, struct tcp_dir *d);
/* Pool slot layout: session and tails on 16-byte boundaries. */
static inline size_t tcp_session_align(size_t n)
{
    return (n + 15u) & ~(size_t)15u;
}

/* tcp_seg.c: the pool and the sorted, non-overlapping held list. */
struct tcp_seg *tcp_seg_get(struct tcp_ctx *ctx);
void tcp_seg_put(struct tcp_ctx *ctx, struct tcp_seg *seg);
/* Hold [off, off+len) under the "first" policy: only bytes in holes of the
 * list are stored; bytes that overlap held data are compared (overlap
 * counters and event). Bytes at or past `limit` (the depth) are not held.
 * Returns 0, or -1 when the pool ran out (what fitted is held). */
int tcp_seg_insert(struct tcp_ctx *ctx, struct tcp_dir *d, uint64_t off,
                   const uint8_t *data, uint32_t len, uint64_t limit);
/* Give every held segment of d back to the pool. */
void tcp_seg_free_all(struct tcp_ctx *ctx, struct tcp_dir *d);

/* tcp_reasm.c: delivery, gaps, depth and the match window. */
void tcp_reasm_init_dir(struct tcp_dir *d, uint32_t next_seq);
/* Payload of one packet of direction dir starting at sequence seq. */
void tcp_reasm_data(struct tcp_ctx *ctx, struct tcp_session *s, int dir,
                    uint32_t seq, const uint8_t *data, uint32_t len);
/* The peer acknowledged up to `ack`: bytes of dir we never saw before it
 * (and before the furthest byte seen) become a gap. */
void tcp_reasm_acked(struct tcp_ctx *ctx, struct tcp_session *s, int dir, uint32_t ack);
/* The sender's FIN at fin_seq: delivered (TCP_DATA_FIN) once every byte
 * before it was. Data past the FIN is not held. */
void tcp_reasm_fin(struct tcp_ctx *ctx, struct tcp_session *s, int dir, uint32_t fin_seq);
/* Deliver what is held, skipping holes as gaps, then the FIN if any. */
void tcp_reasm_flush(struct tcp_ctx *ctx, struct tcp_session *s, int dir);
/* Deliver a zero-length call with flags (RST, CLOSE) once per direction. */
void tcp_reasm_signal(struct tcp_ctx *ctx, struct tcp_session *s, int dir, unsigned flags);
/* Stream offset of seq in d (valid within +-2^31 of next_seq). */
static inline int64_t tcp_reasm_seq_off(const struct tcp_dir *d, uint32_t seq)
{
    return (int64_t)d->next_off + (int32_t)(seq - d->next_seq);
}

#endif
