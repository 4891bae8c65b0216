/* dec_udp: the UDP header. The UDP length must fit in what the IP header
 * declares; bytes after it are ignored. A zero checksum means "none" over
 * IPv4 and is invalid over IPv6 (RFC 8200 8.1). Port 3544 may carry Teredo,
 * whose inner IPv6 packet is decoded in place of the UDP one.
 */
#include "decode/decode_private.h"

#define DEC_UDP_HLEN 8
#define DEC_TEREDO_PORT 3544

int dec_udp(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    uint32_t ulen, declared, avail;
    int res;

    if (len < DEC_UDP_HLEN) {
        dec_event(p, c, DEC_EV_UDP_TRUNC);
        return DEC_DROP;
    }
    ulen = dec_rd16(d + 4);
    declared = p->ip_totlen - p->ip_hlen;
    if (ulen < DEC_UDP_HLEN || ulen > declared) {
        dec_event(p, c, DEC_EV_UDP_BAD_LEN);
        return DEC_DROP;
    }
    avail = ulen < len ? ulen : len;
    c->st->udp++;
    p->l4 = d;
    p->l4_len = avail;
    p->sport = dec_rd16(d);
    p->dport = dec_rd16(d + 2);
    p->payload = d + DEC_UDP_HLEN;
    p->payload_len = avail - DEC_UDP_HLEN;
    if (c->verify_csum && !(p->flags & PKT_TRUNCATED)) {
        uint16_t sum = dec_rd16(d + 6);

        if ((sum == 0 && p->ip_version == 6) ||
            (sum != 0 && !dec_csum_l4_ok(p, 17, d, ulen))) {
            p->flags |= PKT_L4_CSUM_BAD;
            dec_event(p, c, DEC_EV_UDP_BAD_CSUM);
        }
    }
    if ((p->sport == DEC_TEREDO_PORT || p->dport == DEC_TEREDO_PORT) &&
        dec_tunnel_teredo(p, c, p->payload, p->payload_len, &res))
        return res;
    return DEC_OK;
}
