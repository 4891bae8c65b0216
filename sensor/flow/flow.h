/* flow: the bidirectional flow record and its key, shared by every stage.
 *
 * A flow is keyed on the normalized 5-tuple plus VLAN (the (ip, port) pair
 * that sorts lower comes first), so both directions hash to the same key.
 * The struct is public because every stage of the worker pipeline reads and
 * updates it inline per packet; flows live in the owning worker's flow
 * table pool (flow_table.h) and are only touched by that worker's thread.
 * Direction: index 0 is "toserver" (from the client), 1 is "toclient".
 */
#ifndef CANH_FLOW_H
#define CANH_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

#include "classify/dpi_flow.h"
#include "decode/decode.h"

enum flow_state {
    FLOW_STATE_NEW = 0,     /* one direction seen (TCP: handshake not complete) */
    FLOW_STATE_ESTABLISHED, /* both directions seen (TCP: SYN/SYN-ACK/ACK or data both ways) */
    FLOW_STATE_CLOSED,      /* TCP: FIN both ways or RST */
    FLOW_STATE_BYPASSED,    /* verdict final and nothing more to inspect */
};

enum flow_end_reason {
    FLOW_END_TIMEOUT = 0,
    FLOW_END_FORCED,        /* evicted because the table was full */
    FLOW_END_SHUTDOWN,      /* sensor stopped or end of the capture file */
};

/* Protocol groups, each with its own timeouts. */
enum flow_proto_group { FLOW_PG_TCP = 0, FLOW_PG_UDP, FLOW_PG_ICMP, FLOW_PG_OTHER, FLOW_PG_MAX };

struct flow_key {
    uint8_t ip_lo[16], ip_hi[16]; /* IPv4 in the first 4 bytes, rest zero */
    uint16_t port_lo, port_hi;    /* host order; 0 for ICMP and others */
    uint16_t vlan;                /* innermost VLAN id when tracked, else 0 */
    uint8_t proto;                /* IPPROTO_* */
    uint8_t ipver;                /* 4 or 6 */
};

/* TCP bits seen, for the state machine (flow.tcp_seen). */
#define FLOW_TCP_SYN      0x01u
#define FLOW_TCP_SYNACK   0x02u
#define FLOW_TCP_ACK3     0x04u /* client ACK after SYN-ACK */
#define FLOW_TCP_FIN_TS   0x08u
#define FLOW_TCP_FIN_TC   0x10u
#define FLOW_TCP_RST      0x20u

#define FLOW_DIR_TOSERVER 0
#define FLOW_DIR_TOCLIENT 1

/* Layout: 192 bytes, three cache lines of a 64-byte aligned pool. What a
 * lookup and the per-packet update touch comes first (key, last-seen time,
 * counters, state); what is read only at the flow's end or by later stages
 * follows. The table's chain and list links live beside the pool
 * (flow_table.c), so walking a bucket chain or a timeout list does not read
 * other flows' records. */
struct flow {
    struct flow_key key;
    struct timeval last;
    uint64_t pkts[2], bytes[2];
    int64_t queued_us;       /* `last` when put on its timeout list (flow_table.c) */
    uint8_t tlist;           /* which timeout list the flow is on */
    uint8_t in_use;

    uint8_t state;           /* enum flow_state */
    uint8_t client_is_lo;    /* 1: the client is key.ip_lo/port_lo */
    uint8_t tcp_seen;        /* FLOW_TCP_* */
    uint8_t tcp_flags[2];    /* union of TCP flags per direction */
    uint8_t alerted;         /* set by detect */

    uint64_t flow_id;        /* hash of key + start time: the same for any worker count */
    struct timeval start;

    struct dpi_flow dpi;

    /* Per-flow slots for later stages, NULL until they attach state. The
     * owning stage frees its slot from the flow-end hook in the worker. */
    void *stream;            /* TCP reassembly (sensor/stream) */
    void *app;               /* app-layer parser state */
    void *detect;            /* detection state (flowbits, thresholds) */
};

/* Build the normalized key of a decoded IP packet. Returns 1 when the
 * packet's source is key.ip_lo/port_lo, 0 otherwise. use_vlan: track VLAN
 * ids as part of the key (vlan.use-for-tracking). */
int flow_key_from_packet(struct flow_key *k, const struct packet *p, bool use_vlan);

/* Hash of a normalized key: the same for both directions by construction.
 * Also the hash workers are chosen by. */
uint32_t flow_key_hash(const struct flow_key *k);

/* Suricata-style flow_id: hash of the key and start time, 51 bits so JSON
 * readers that use doubles keep it exact; never 0. */
uint64_t flow_key_flow_id(const struct flow_key *k, struct timeval start);

bool flow_key_equal(const struct flow_key *a, const struct flow_key *b);

/* Timeout group of an IP protocol (inline: the table asks per packet). */
static inline enum flow_proto_group flow_proto_group(uint8_t proto)
{
    switch (proto) {
    case 6:  return FLOW_PG_TCP;
    case 17: return FLOW_PG_UDP;
    case 1:
    case 58: return FLOW_PG_ICMP;
    default: return FLOW_PG_OTHER;
    }
}

/* EVE names. */
const char *flow_state_name(enum flow_state s);
const char *flow_reason_name(enum flow_end_reason r);

#endif
