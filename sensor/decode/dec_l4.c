/* dec_l4: the upper-layer dispatch shared by IPv4 and IPv6, by p->proto.
 * TCP is tested first (most packets). IP-in-IP goes to the tunnel decoder;
 * other protocols (GRE, ESP, SCTP, ...) are valid packets without ports.
 */
#include "decode/decode_private.h"

#define DEC_PROTO_ICMP 1
#define DEC_PROTO_IPIP 4
#define DEC_PROTO_TCP 6
#define DEC_PROTO_UDP 17
#define DEC_PROTO_IPV6 41
#define DEC_PROTO_ICMPV6 58

int dec_l4(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    switch (p->proto) {
    case DEC_PROTO_TCP:
        return dec_tcp(p, c, d, len);
    case DEC_PROTO_UDP:
        return dec_udp(p, c, d, len);
    case DEC_PROTO_ICMP:
        return p->ip_version == 4 ? dec_icmpv4(p, c, d, len) : DEC_OK;
    case DEC_PROTO_ICMPV6:
        return p->ip_version == 6 ? dec_icmpv6(p, c, d, len) : DEC_OK;
    case DEC_PROTO_IPV6:
        return dec_tunnel_ip(p, c, p->ip_version == 4 ? DEC_TUN_6IN4 : DEC_TUN_6IN6, d, len);
    case DEC_PROTO_IPIP:
        return dec_tunnel_ip(p, c, p->ip_version == 4 ? DEC_TUN_4IN4 : DEC_TUN_4IN6, d, len);
    default:
        return DEC_OK;
    }
}
