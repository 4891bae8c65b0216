/* dec_sll: Linux cooked captures ("any" device), DLT_LINUX_SLL (16-byte
 * header, protocol last) and DLT_LINUX_SLL2 (20-byte header, protocol first).
 * The protocol field is an ethertype for the frames we care about; VLAN tags
 * may follow it when the kernel did not strip them.
 */
#include "decode/decode_private.h"

#define DEC_SLL_HLEN 16
#define DEC_SLL2_HLEN 20

int dec_sll(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    if (len < DEC_SLL_HLEN) {
        dec_event(p, c, DEC_EV_SLL_TRUNC);
        return DEC_DROP;
    }
    return dec_ethertype(p, c, dec_rd16(d + 14), d + DEC_SLL_HLEN, len - DEC_SLL_HLEN);
}

int dec_sll2(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    if (len < DEC_SLL2_HLEN) {
        dec_event(p, c, DEC_EV_SLL_TRUNC);
        return DEC_DROP;
    }
    return dec_ethertype(p, c, dec_rd16(d), d + DEC_SLL2_HLEN, len - DEC_SLL2_HLEN);
}
