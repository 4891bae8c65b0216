/* dec_ipv4: the IPv4 header, its options and the fragment fields.
 * A header cut by the capture is dropped; a datagram whose payload is cut
 * (snaplen) is kept with PKT_TRUNCATED so that its headers still reach the
 * flow table; bytes beyond the total length (Ethernet padding) are trimmed.
 * Fragments stop here: defrag reassembles them and calls dec_ip().
 */
#include "decode/decode_private.h"

#define DEC_IPV4_HLEN 20
#define DEC_IPOPT_EOL 0
#define DEC_IPOPT_NOP 1
#define DEC_IPOPT_RR 7
#define DEC_IPOPT_TS 68
#define DEC_IPOPT_SID 136
#define DEC_IPOPT_LSRR 131
#define DEC_IPOPT_SSRR 137
#define DEC_IPOPT_RTRALT 148

/* Options are TLVs (RFC 791): true when every one fits and has the length its
 * type requires. Routing options carry 4-byte addresses after a pointer. */
static bool ipv4_opts_valid(const uint8_t *o, uint32_t n)
{
    uint32_t i = 0;

    while (i < n) {
        uint8_t t = o[i], l;

        if (t == DEC_IPOPT_EOL)
            return true;
        if (t == DEC_IPOPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= n)
            return false;
        l = o[i + 1];
        if (l < 2 || i + l > n)
            return false;
        switch (t) {
        case DEC_IPOPT_RR: case DEC_IPOPT_LSRR: case DEC_IPOPT_SSRR:
            if (l < 3 || ((l - 3) & 3) != 0 || o[i + 2] < 4)
                return false;
            break;
        case DEC_IPOPT_TS:
            if (l < 4 || o[i + 2] < 5)
                return false;
            break;
        case DEC_IPOPT_SID: case DEC_IPOPT_RTRALT:
            if (l != 4)
                return false;
            break;
        default:
            break;
        }
        i += l;
    }
    return true;
}

int dec_ipv4(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    uint32_t hlen, totlen, avail;
    uint16_t off;

    if (len < DEC_IPV4_HLEN) {
        dec_event(p, c, DEC_EV_IPV4_TRUNC);
        return DEC_DROP;
    }
    if ((d[0] >> 4) != 4) {
        dec_event(p, c, DEC_EV_IPV4_BAD_VERSION);
        return DEC_DROP;
    }
    hlen = (uint32_t)(d[0] & 0x0f) << 2;
    if (hlen < DEC_IPV4_HLEN) {
        dec_event(p, c, DEC_EV_IPV4_HLEN_TOO_SMALL);
        return DEC_DROP;
    }
    if (hlen > len) {
        dec_event(p, c, DEC_EV_IPV4_TRUNC);
        return DEC_DROP;
    }
    totlen = dec_rd16(d + 2);
    if (totlen < hlen) {
        dec_event(p, c, DEC_EV_IPV4_BAD_TOTLEN);
        return DEC_DROP;
    }
    if (totlen <= len) {
        avail = totlen; /* trims link-layer padding */
    } else {
        avail = len;
        p->flags |= PKT_TRUNCATED;
        c->st->truncated++;
        if (!c->wire_cut) /* the frame is whole: the header lies */
            dec_event(p, c, DEC_EV_IPV4_TRUNC);
    }
    c->st->ipv4++;
    p->ip_version = 4;
    p->l3 = d;
    p->l3_len = avail;
    p->ip_hlen = (uint16_t)hlen;
    p->ip_totlen = totlen;
    memcpy(p->src, d + 12, 4);
    memcpy(p->dst, d + 16, 4);
    p->ttl = d[8];
    p->proto = d[9];
    p->ip_id = dec_rd16(d + 4);
    p->frag_id = p->ip_id;

    if (hlen > DEC_IPV4_HLEN && !ipv4_opts_valid(d + DEC_IPV4_HLEN, hlen - DEC_IPV4_HLEN))
        dec_event(p, c, DEC_EV_IPV4_OPT_INVALID);
    if (c->verify_csum && dec_csum_fold(dec_csum_add(0, d, hlen)) != 0xffff) {
        p->flags |= PKT_IPV4_CSUM_BAD;
        dec_event(p, c, DEC_EV_IPV4_BAD_CSUM);
    }

    off = dec_rd16(d + 6);
    if (__builtin_expect((off & 0x3fff) != 0, 0)) { /* MF or an offset */
        p->flags |= PKT_IS_FRAGMENT;
        c->st->fragments++;
        p->frag_off = (uint16_t)((off & 0x1fff) << 3);
        p->frag_more = (off & 0x2000) != 0;
        p->frag_data = d + hlen;
        p->frag_data_len = avail - hlen;
        return DEC_OK;
    }
    return dec_l4(p, c, d + hlen, avail - hlen);
}
