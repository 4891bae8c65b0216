/* defrag: IPv4 and IPv6 fragment reassembly, per worker.
 *
 * Memory is bounded: a fixed pool of trackers and a byte memcap, both from
 * config; a full pool evicts the oldest tracker (counted). Trackers time out
 * on packet time. Overlaps follow one policy, "first" (the data seen first
 * wins, as BSD and Windows do), and every overlap raises DEC_EV_FRAG_OVERLAP.
 * No allocation per packet: buffers are carved at defrag_new().
 */
#ifndef CANH_DEFRAG_H
#define CANH_DEFRAG_H

#include "decode/decode.h"

struct defrag_cfg {
    uint32_t max_trackers;   /* concurrent datagrams being reassembled */
    uint64_t memcap;         /* bytes of fragment data held at once */
    uint32_t timeout_sec;    /* a datagram not complete by then is dropped */
};

struct defrag_stats {
    uint64_t fragments, reassembled, timeouts, evicted, overlaps, memcap_drops;
};

struct defrag;

struct defrag *defrag_new(const struct defrag_cfg *cfg);
void defrag_free(struct defrag *d);

/* Feed a packet with PKT_IS_FRAGMENT. Returns 1 when this fragment completed
 * a datagram: then *out is decoded from the reassembled datagram (flags
 * PKT_REASSEMBLED, capture fields copied from p), valid until the next call.
 * Returns 0 when the fragment was kept (or dropped, with p->event set and
 * counted in st). */
int defrag_add(struct defrag *d, const struct packet *p, struct packet *out,
               struct dec_stats *st);

/* Drop trackers older than the timeout at packet time now. */
void defrag_timeout(struct defrag *d, struct timeval now, struct dec_stats *st);

const struct defrag_stats *defrag_get_stats(const struct defrag *d);

#endif
