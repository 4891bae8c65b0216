/* defrag: IPv4 and IPv6 fragment reassembly, per worker.
 *
 * Memory is bounded: a fixed pool of trackers and a byte memcap, both from
 * config; a full pool evicts the oldest tracker (counted). Trackers time out
 * on packet time. Overlaps follow one policy, "first" (the data seen first
 * wins, as BSD and Windows do), and every overlap raises DEC_EV_FRAG_OVERLAP.
 * No allocation per packet: buffers are carved at defrag_new().
 *
 * Details of the policy (see also sensor/decode/README.md):
 * - key: (src, dst, id, proto, vlan[0], vlan[1], IP version); IPv6 uses the
 *   32-bit fragment id and the fragment header's next header as proto.
 * - "first": a byte already held is never replaced. A fragment that overlaps
 *   held data (duplicates included) keeps only its new bytes and raises
 *   DEC_EV_FRAG_OVERLAP once; the IP header of the first offset-0 fragment wins.
 * - data are held in fixed chunks carved from memcap; when no chunk is free
 *   the oldest other trackers are evicted (counted in evicted, event
 *   DEC_EV_FRAG_MEMCAP); if the datagram alone exceeds the memcap the
 *   fragment is dropped (memcap_drops).
 * - a datagram may not exceed 65535 bytes (IPv4 total length, IPv6 payload
 *   length): such a fragment is dropped with DEC_EV_FRAG_TOO_LARGE.
 * - a fragment cut by the snaplen (PKT_TRUNCATED) cannot be reassembled and
 *   is counted in invalid.
 */
#ifndef CANH_DEFRAG_H
#define CANH_DEFRAG_H

#include <stdint.h>

#include "decode/decode.h"

struct defrag_cfg {
    uint32_t max_trackers;   /* concurrent datagrams being reassembled */
    uint64_t memcap;         /* bytes of fragment data held at once */
    uint32_t timeout_sec;    /* a datagram not complete by then is dropped */
    bool verify_csum;        /* added: passed to dec_ip() for reassembled datagrams */
};

/* Most pieces one datagram may be held in (a tracker holding more is dropped
 * with DEC_EV_FRAG_TOO_MANY): bounds the work per fragment. */
#define DEFRAG_MAX_PIECES 256

struct defrag_stats {
    uint64_t fragments, reassembled, timeouts, evicted, overlaps, memcap_drops;
    uint64_t invalid;        /* added: too large, bad length, truncated, too many pieces */
};

struct defrag;

/* NULL when cfg is out of range (max_trackers 1..16M, memcap >= 4 KiB) or
 * out of memory. Memory: about 120 bytes per tracker plus memcap plus 64 KiB.
 * One per worker; not thread-safe. */
struct defrag *defrag_new(const struct defrag_cfg *cfg);
void defrag_free(struct defrag *d);

/* Feed a packet with PKT_IS_FRAGMENT. Returns 1 when this fragment completed
 * a datagram: then *out is decoded from the reassembled datagram (flags
 * PKT_REASSEMBLED, capture fields copied from p), valid until the next call.
 * Returns 0 when the fragment was kept, or dropped: then the event is counted
 * in st and left in out->event (p is const; out is otherwise untouched).
 * A packet without PKT_IS_FRAGMENT returns 0 and is ignored. */
int defrag_add(struct defrag *d, const struct packet *p, struct packet *out,
               struct dec_stats *st);

/* Drop trackers older than the timeout at packet time now. */
void defrag_timeout(struct defrag *d, struct timeval now, struct dec_stats *st);

const struct defrag_stats *defrag_get_stats(const struct defrag *d);

/* Which event codes the last defrag_add() counted in st, one bit each
 * (1 << DEC_EV_*): its own (timeouts of other trackers included) and those
 * of decoding a completed datagram. The lowest set bit is the lowest-coded
 * event whose counter moved, so a caller need not copy and compare the
 * counters around the call. Valid until the next defrag_add() or
 * defrag_timeout(). */
uint64_t defrag_last_events(const struct defrag *d);

#endif
