/* dec_null: BSD loopback links. DLT_NULL starts with a 4-byte address family
 * in the byte order of the machine that captured (so both orders are
 * accepted); DLT_LOOP has it in network order. AF_INET is 2 everywhere;
 * AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
 */
#include "decode/decode_private.h"

#define DEC_NULL_HLEN 4

int dec_null(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len, bool loop)
{
    uint32_t af;

    if (len < DEC_NULL_HLEN) {
        dec_event(p, c, DEC_EV_NULL_TRUNC);
        return DEC_DROP;
    }
    af = dec_rd32(d);
    if (!loop && af > 0xffff) /* little-endian writer */
        af = __builtin_bswap32(af);
    d += DEC_NULL_HLEN;
    len -= DEC_NULL_HLEN;
    switch (af) {
    case 2:
        return dec_ipv4(p, c, d, len);
    case 10: case 24: case 28: case 30:
        return dec_ipv6(p, c, d, len);
    default:
        c->st->other++;
        return DEC_OK;
    }
}
