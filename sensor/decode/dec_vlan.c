/* dec_vlan: 802.1Q and QinQ tags (ethertypes 0x8100, 0x88a8, 0x9100).
 * Up to PKT_MAX_VLAN tags are kept, outermost first, as 12-bit VLAN ids; a
 * deeper stack is refused (DEC_EV_VLAN_TOO_MANY) since the flow key could not
 * tell those VLANs apart.
 */
#include "decode/decode_private.h"

#define DEC_VLAN_HLEN 4

int dec_vlan(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    if (len < DEC_VLAN_HLEN) {
        dec_event(p, c, DEC_EV_VLAN_TRUNC);
        return DEC_DROP;
    }
    if (p->vlan_count >= PKT_MAX_VLAN) {
        dec_event(p, c, DEC_EV_VLAN_TOO_MANY);
        return DEC_DROP;
    }
    if (p->vlan_count == 0) {
        p->flags |= PKT_HAS_VLAN;
        c->st->vlan++;
    }
    p->vlan[p->vlan_count++] = dec_rd16(d) & 0x0fff;
    return dec_ethertype(p, c, dec_rd16(d + 2), d + DEC_VLAN_HLEN, len - DEC_VLAN_HLEN);
}
