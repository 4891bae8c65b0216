/* decode: turns one captured frame into a struct packet, layer by layer.
 *
 * Link layers: Ethernet, 802.1Q and QinQ (up to 2 tags kept), Linux cooked
 * (SLL, SLL2), raw IP (DLT_RAW, DLT_IPV4, DLT_IPV6), null/loopback.
 * Network: IPv4 (options skipped, checked), IPv6 (extension headers walked,
 * fragment header noted). Transport: TCP, UDP, ICMPv4, ICMPv6.
 *
 * Decoders never log and never allocate: a problem sets p->event to a
 * DEC_EV_* code, bumps the per-worker counter and dec_packet() returns
 * DEC_DROP (malformed, skip it) or DEC_OK with the event noted (oddity, keep it).
 * All pointers in struct packet point into the capture buffer (or the
 * defrag buffer) and live for one packet only.
 *
 * The struct is public because the hot path reads it inline.
 */
#ifndef CANH_DECODE_H
#define CANH_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

/* Event codes, counted per reason and reported in EVE anomaly and stats. */
enum dec_event {
    DEC_EV_NONE = 0,
    DEC_EV_LINK_UNSUPPORTED,
    DEC_EV_ETH_TRUNC,
    DEC_EV_VLAN_TRUNC,
    DEC_EV_VLAN_TOO_MANY,
    DEC_EV_SLL_TRUNC,
    DEC_EV_IPV4_TRUNC,
    DEC_EV_IPV4_BAD_VERSION,
    DEC_EV_IPV4_HLEN_TOO_SMALL,
    DEC_EV_IPV4_BAD_TOTLEN,
    DEC_EV_IPV4_OPT_INVALID,
    DEC_EV_IPV4_BAD_CSUM,
    DEC_EV_IPV6_TRUNC,
    DEC_EV_IPV6_BAD_VERSION,
    DEC_EV_IPV6_BAD_PLEN,
    DEC_EV_IPV6_EXTHDR_TRUNC,
    DEC_EV_IPV6_EXTHDR_TOO_MANY,
    DEC_EV_TCP_TRUNC,
    DEC_EV_TCP_HLEN_TOO_SMALL,
    DEC_EV_TCP_OPT_INVALID,
    DEC_EV_TCP_BAD_CSUM,
    DEC_EV_UDP_TRUNC,
    DEC_EV_UDP_BAD_LEN,
    DEC_EV_UDP_BAD_CSUM,
    DEC_EV_ICMPV4_TRUNC,
    DEC_EV_ICMPV6_TRUNC,
    DEC_EV_FRAG_OVERLAP,
    DEC_EV_FRAG_TOO_LARGE,
    DEC_EV_FRAG_MEMCAP,
    DEC_EV_FRAG_TIMEOUT,
    DEC_EV_TUNNEL_UNSUPPORTED,
    /* added after the first contract; append only, names are stable */
    DEC_EV_NULL_TRUNC,            /* DLT_NULL/LOOP header cut */
    DEC_EV_IPV6_EXTHDR_INVALID,   /* hop-by-hop not first, bad option TLV, two frag headers */
    DEC_EV_ICMPV4_BAD_CSUM,
    DEC_EV_ICMPV6_BAD_CSUM,
    DEC_EV_FRAG_INVALID,          /* MF fragment not a multiple of 8, empty, conflicting end */
    DEC_EV_FRAG_TOO_MANY,         /* more pieces in one datagram than DEFRAG_MAX_PIECES */
    DEC_EV_MAX
};

enum dec_result { DEC_OK = 0, DEC_DROP = -1 };

/* p->flags */
#define PKT_HAS_VLAN        0x0001u
#define PKT_IS_FRAGMENT     0x0002u /* an IPv4/IPv6 fragment, not yet reassembled */
#define PKT_REASSEMBLED     0x0004u /* built by defrag from fragments */
#define PKT_IPV4_CSUM_BAD   0x0008u
#define PKT_L4_CSUM_BAD     0x0010u
#define PKT_TRUNCATED       0x0020u /* IP datagram longer than the bytes captured (snaplen cut
                                       or short frame); headers are complete, payload is not */
#define PKT_TUNNEL          0x0040u /* network/transport fields describe the inner packet */

/* p->tunnel: the encapsulation that was removed (the outer IP header is p->outer_l3). */
enum dec_tunnel { DEC_TUN_NONE = 0, DEC_TUN_6IN4, DEC_TUN_4IN4, DEC_TUN_4IN6, DEC_TUN_6IN6,
                  DEC_TUN_TEREDO };

/* p->tcp_opts: TCP options present (and valid) on this segment */
#define DEC_TCPOPT_MSS      0x01u
#define DEC_TCPOPT_WSCALE   0x02u
#define DEC_TCPOPT_SACKOK   0x04u
#define DEC_TCPOPT_SACK     0x08u
#define DEC_TCPOPT_TS       0x10u
#define DEC_TCPOPT_TFO      0x20u

#define PKT_MAX_VLAN 2

struct packet {
    /* capture */
    struct timeval ts;
    const uint8_t *data;   /* frame start */
    uint32_t caplen;       /* bytes captured */
    uint32_t len;          /* bytes on the wire */
    int datalink;          /* DLT_* */

    uint32_t flags;
    enum dec_event event;  /* first event raised on this packet, DEC_EV_NONE if none */

    uint16_t vlan[PKT_MAX_VLAN];
    uint8_t vlan_count;

    /* network layer */
    uint8_t ip_version;    /* 4, 6, or 0 when there is no IP layer */
    const uint8_t *l3;
    uint32_t l3_len;       /* bytes of the IP datagram present (header + payload) */
    uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes, rest zero */
    uint8_t proto;         /* IPPROTO_*: the upper-layer protocol after extension headers */
    uint8_t ttl;           /* IPv4 TTL or IPv6 hop limit */
    uint16_t ip_id;        /* IPv4 id, or low 16 bits of the IPv6 fragment id */
    uint32_t frag_id;      /* IPv6 fragment id (IPv4: same as ip_id) */
    uint16_t frag_off;     /* fragment offset in bytes */
    bool frag_more;        /* more fragments follow */
    const uint8_t *frag_data; /* fragment payload (after IP/ext headers) */
    uint32_t frag_data_len;

    /* transport layer */
    const uint8_t *l4;
    uint32_t l4_len;
    uint16_t sport, dport; /* host order; ICMP: 0 */
    uint8_t tcp_flags;
    uint8_t tcp_hlen;
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;
    uint8_t icmp_type, icmp_code;

    const uint8_t *payload;
    uint32_t payload_len;

    /* added after the first contract */
    uint16_t ip_hlen;      /* IPv4 header / IPv6 header + extension headers, bytes */
    uint32_t ip_totlen;    /* datagram length the header declares (> l3_len when PKT_TRUNCATED) */
    uint16_t frag_hdr_off; /* IPv6 fragment: offset of the fragment header from l3 */
    uint16_t frag_nh_off;  /* IPv6 fragment: offset from l3 of the next-header byte naming it */
    uint8_t tcp_opts;      /* DEC_TCPOPT_* */
    uint8_t tcp_wscale;
    uint16_t tcp_mss;
    uint32_t tcp_tsval, tcp_tsecr;
    const uint8_t *tcp_sack; /* SACK blocks (pairs of big-endian u32), tcp_sack_len bytes */
    uint8_t tcp_sack_len;
    uint8_t tunnel;        /* enum dec_tunnel */
    const uint8_t *outer_l3; /* outer IP header when PKT_TUNNEL */
    uint32_t outer_l3_len;
    uint16_t icmp_id, icmp_seq; /* echo request/reply identifier and sequence, else 0 */
};

/* Per-worker decode counters. */
struct dec_stats {
    uint64_t pkts;
    uint64_t bytes;
    uint64_t ipv4, ipv6, tcp, udp, icmpv4, icmpv6, vlan, other;
    /* added: truncated = PKT_TRUNCATED packets, fragments = PKT_IS_FRAGMENT,
     * tunnels = inner packets decoded, drops = DEC_DROP results */
    uint64_t truncated, fragments, tunnels, drops;
    uint64_t events[DEC_EV_MAX];
};

/* Decode a frame of the given DLT into p (p is overwritten). Checksums are
 * verified when verify_csum is true (then a bad one sets PKT_*_CSUM_BAD and an
 * event, but the packet is kept, as Suricata's -k all does). */
enum dec_result dec_packet(struct packet *p, struct dec_stats *st, int datalink,
                           const uint8_t *data, uint32_t caplen, uint32_t len,
                           struct timeval ts, bool verify_csum);

/* Decode an IP datagram that starts at data (used for reassembled fragments):
 * fills the network and transport fields of p, keeping its capture fields. */
enum dec_result dec_ip(struct packet *p, struct dec_stats *st, const uint8_t *data,
                       uint32_t len, bool verify_csum);

/* Stable lower_snake name of an event ("ipv4_trunc"), as in EVE. */
const char *dec_event_name(enum dec_event ev);

/* Datalinks dec_packet() accepts (LINKTYPE_RAW = 101 is accepted as well as DLT_RAW). */
#define DEC_LINKTYPE_RAW 101
bool dec_datalink_supported(int datalink);

#endif
