/* dec_icmp: ICMPv4 and ICMPv6 headers (type, code, and the echo id and
 * sequence that flow keys may use). The 8-byte minimum is the fixed part
 * every message type has. ICMPv6's checksum includes the pseudo header.
 */
#include "decode/decode_private.h"

#define DEC_ICMP_HLEN 8

static void icmp_fill(struct packet *p, const uint8_t *d, uint32_t len, bool echo)
{
    p->l4 = d;
    p->l4_len = len;
    p->icmp_type = d[0];
    p->icmp_code = d[1];
    if (echo) {
        p->icmp_id = dec_rd16(d + 4);
        p->icmp_seq = dec_rd16(d + 6);
    }
    p->payload = d + DEC_ICMP_HLEN;
    p->payload_len = len - DEC_ICMP_HLEN;
}

int dec_icmpv4(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    if (len < DEC_ICMP_HLEN) {
        dec_event(p, c, DEC_EV_ICMPV4_TRUNC);
        return DEC_DROP;
    }
    c->st->icmpv4++;
    icmp_fill(p, d, len, d[0] == 0 || d[0] == 8);
    if (c->verify_csum && !(p->flags & PKT_TRUNCATED) &&
        dec_csum_fold(dec_csum_add(0, d, len)) != 0xffff) {
        p->flags |= PKT_L4_CSUM_BAD;
        dec_event(p, c, DEC_EV_ICMPV4_BAD_CSUM);
    }
    return DEC_OK;
}

int dec_icmpv6(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    if (len < DEC_ICMP_HLEN) {
        dec_event(p, c, DEC_EV_ICMPV6_TRUNC);
        return DEC_DROP;
    }
    c->st->icmpv6++;
    icmp_fill(p, d, len, d[0] == 128 || d[0] == 129);
    if (c->verify_csum && !(p->flags & PKT_TRUNCATED) && !dec_csum_l4_ok(p, 58, d, len)) {
        p->flags |= PKT_L4_CSUM_BAD;
        dec_event(p, c, DEC_EV_ICMPV6_BAD_CSUM);
    }
    return DEC_OK;
}
