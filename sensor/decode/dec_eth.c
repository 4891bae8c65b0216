/* dec_eth: Ethernet II and the ethertype dispatch shared by every link layer
 * (Ethernet, VLAN tags, SLL, SLL2). IEEE 802.3 length frames and unknown
 * ethertypes are valid non-IP traffic: counted as "other", not dropped.
 */
#include "decode/decode_private.h"

#define DEC_ETH_HLEN 14

int dec_eth(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    if (len < DEC_ETH_HLEN) {
        dec_event(p, c, DEC_EV_ETH_TRUNC);
        return DEC_DROP;
    }
    return dec_ethertype(p, c, dec_rd16(d + 12), d + DEC_ETH_HLEN, len - DEC_ETH_HLEN);
}

int dec_ethertype(struct packet *p, struct dec_ctx *c, uint16_t type, const uint8_t *d,
                  uint32_t len)
{
    if (type == DEC_ETHERTYPE_IPV4)
        return dec_ipv4(p, c, d, len);
    if (type == DEC_ETHERTYPE_IPV6)
        return dec_ipv6(p, c, d, len);
    if (type == DEC_ETHERTYPE_VLAN || type == DEC_ETHERTYPE_QINQ ||
        type == DEC_ETHERTYPE_QINQ_OLD)
        return dec_vlan(p, c, d, len);
    c->st->other++;
    return DEC_OK;
}
