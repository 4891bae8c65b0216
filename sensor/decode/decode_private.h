/* decode_private: what the per-layer decoders of sensor/decode/ share.
 *
 * Each layer is one function (dec_eth, dec_ipv4, ...) that reads `len` bytes
 * at `d`, fills its part of struct packet and hands the rest to the next
 * layer. Bounds are checked against `len` before every read; nothing here
 * allocates or logs. Not for use outside sensor/decode/.
 */
#ifndef CANH_DECODE_PRIVATE_H
#define CANH_DECODE_PRIVATE_H

#include <string.h>

#include "decode/decode.h"

/* How deep tunnels are followed (6in4 inside Teredo is depth 2: refused). */
#define DEC_MAX_TUNNEL_DEPTH 1
/* IPv6 extension headers walked before DEC_EV_IPV6_EXTHDR_TOO_MANY. */
#define DEC_MAX_IPV6_EXTHDRS 8

#define DEC_ETHERTYPE_IPV4 0x0800
#define DEC_ETHERTYPE_IPV6 0x86dd
#define DEC_ETHERTYPE_VLAN 0x8100
#define DEC_ETHERTYPE_QINQ 0x88a8
#define DEC_ETHERTYPE_QINQ_OLD 0x9100

/* Per-call state passed down the layers. */
struct dec_ctx {
    struct dec_stats *st;
    bool verify_csum;
    bool wire_cut;      /* caplen < len: the frame was cut by the snaplen */
    uint8_t depth;      /* tunnels entered so far */
};

static inline uint16_t dec_rd16(const uint8_t *b)
{
    return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t dec_rd32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Record an event: the first one stays in p->event, every one is counted. */
static inline void dec_event(struct packet *p, struct dec_ctx *c, enum dec_event ev)
{
    if (p->event == DEC_EV_NONE)
        p->event = ev;
    c->st->events[ev]++;
}

/* Layers. Each returns DEC_OK or DEC_DROP (with an event raised). */
int dec_eth(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
int dec_vlan(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
int dec_sll(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
int dec_sll2(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
int dec_null(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len, bool loop);
/* By ethertype: IPv4, IPv6, VLAN tags; anything else counts as "other". */
int dec_ethertype(struct packet *p, struct dec_ctx *c, uint16_t type, const uint8_t *d,
                  uint32_t len);
/* By the version nibble (raw IP links, reassembled datagrams, tunnels). */
int dec_ip_any(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
int dec_ipv4(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
int dec_ipv6(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
/* Transport: d/len is the IP payload present; the network fields are set. */
int dec_tcp(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
int dec_udp(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
int dec_icmpv4(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
int dec_icmpv6(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);
/* Upper layer by p->proto, shared by IPv4 and IPv6 (tunnels included). */
int dec_l4(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len);

/* Tunnels: decode the inner IP packet in place of the outer one.
 * dec_tunnel_ip: IP-in-IP (6in4, 4in4, 4in6, 6in6); dec_tunnel_teredo: UDP
 * payload on port 3544, returns 1 when it was Teredo (then the result of the
 * inner decode is in *res), 0 when it is plain UDP. */
int dec_tunnel_ip(struct packet *p, struct dec_ctx *c, uint8_t type, const uint8_t *d,
                  uint32_t len);
int dec_tunnel_teredo(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len,
                      int *res);

/* Internet checksum (RFC 1071). Sums are kept in the host's byte order, which
 * is fine because callers only compare the folded sum with 0xffff. */
uint64_t dec_csum_add(uint64_t sum, const uint8_t *d, uint32_t len);
uint16_t dec_csum_fold(uint64_t sum);
/* Sum of the IPv4/IPv6 pseudo header for an upper layer of l4_len bytes. */
uint64_t dec_csum_pseudo(const struct packet *p, uint8_t proto, uint32_t l4_len);
/* True when the upper-layer checksum over d/len (pseudo header included) is right. */
bool dec_csum_l4_ok(const struct packet *p, uint8_t proto, const uint8_t *d, uint32_t len);

#endif
