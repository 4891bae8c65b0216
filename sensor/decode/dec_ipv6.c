/* dec_ipv6: the IPv6 header and its extension headers (hop-by-hop, routing,
 * destination options, fragment, AH), at most DEC_MAX_IPV6_EXTHDRS of them.
 * A fragment header with an offset or M set makes a fragment: the offsets of
 * the fragment header and of the next-header byte naming it are kept so that
 * defrag can rebuild the unfragmentable part. Atomic fragments (offset 0,
 * M 0, RFC 6946) are decoded through. Truncation is handled as in IPv4.
 */
#include "decode/decode_private.h"

#define DEC_IPV6_HLEN 40
#define DEC_NH_HOPOPTS 0
#define DEC_NH_ROUTING 43
#define DEC_NH_FRAGMENT 44
#define DEC_NH_AH 51
#define DEC_NH_DSTOPTS 60
#define DEC_NH_NONE 59

/* Hop-by-hop and destination options are TLVs; Pad1 is a lone zero byte. */
static bool ipv6_opts_valid(const uint8_t *o, uint32_t n)
{
    uint32_t i = 0;

    while (i < n) {
        if (o[i] == 0) {
            i++;
            continue;
        }
        if (i + 2 > n || i + 2 + o[i + 1] > n)
            return false;
        i += 2u + o[i + 1];
    }
    return true;
}

static int ipv6_fragment(struct packet *p, struct dec_ctx *c, const uint8_t *d,
                         uint32_t avail, uint32_t off, uint32_t nh_off)
{
    uint16_t fo = dec_rd16(d + off + 2);

    p->flags |= PKT_IS_FRAGMENT;
    c->st->fragments++;
    p->proto = d[off];
    p->frag_off = fo & 0xfff8;
    p->frag_more = (fo & 1) != 0;
    p->frag_id = dec_rd32(d + off + 4);
    p->ip_id = (uint16_t)p->frag_id;
    p->frag_hdr_off = (uint16_t)off;
    p->frag_nh_off = (uint16_t)nh_off;
    p->ip_hlen = (uint16_t)(off + 8);
    p->frag_data = d + off + 8;
    p->frag_data_len = avail - off - 8;
    return DEC_OK;
}

int dec_ipv6(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    uint32_t totlen, avail, off = DEC_IPV6_HLEN, nh_off = 6, hl;
    unsigned count = 0;
    bool seen_frag = false;
    uint8_t nh;

    if (len < DEC_IPV6_HLEN) {
        dec_event(p, c, DEC_EV_IPV6_TRUNC);
        return DEC_DROP;
    }
    if ((d[0] >> 4) != 6) {
        dec_event(p, c, DEC_EV_IPV6_BAD_VERSION);
        return DEC_DROP;
    }
    totlen = DEC_IPV6_HLEN + (uint32_t)dec_rd16(d + 4);
    if (totlen <= len) {
        avail = totlen;
    } else {
        avail = len;
        p->flags |= PKT_TRUNCATED;
        c->st->truncated++;
        if (!c->wire_cut)
            dec_event(p, c, DEC_EV_IPV6_TRUNC);
    }
    c->st->ipv6++;
    p->ip_version = 6;
    p->l3 = d;
    p->l3_len = avail;
    p->ip_totlen = totlen;
    memcpy(p->src, d + 8, 16);
    memcpy(p->dst, d + 24, 16);
    p->ttl = d[7];
    nh = d[6];
    /* a zero payload length is only valid with nothing after the header
     * (jumbograms, RFC 2675, and TSO captures with unset lengths are refused) */
    if (totlen == DEC_IPV6_HLEN && nh != DEC_NH_NONE) {
        dec_event(p, c, DEC_EV_IPV6_BAD_PLEN);
        return DEC_DROP;
    }

    for (;;) {
        if (nh != DEC_NH_HOPOPTS && nh != DEC_NH_ROUTING && nh != DEC_NH_FRAGMENT &&
            nh != DEC_NH_AH && nh != DEC_NH_DSTOPTS)
            break;
        if (++count > DEC_MAX_IPV6_EXTHDRS) {
            dec_event(p, c, DEC_EV_IPV6_EXTHDR_TOO_MANY);
            return DEC_DROP;
        }
        if (off + 8 > avail) { /* every extension header is at least 8 bytes */
            dec_event(p, c, DEC_EV_IPV6_EXTHDR_TRUNC);
            return DEC_DROP;
        }
        if (nh == DEC_NH_FRAGMENT) {
            uint16_t fo = dec_rd16(d + off + 2);

            if (seen_frag) {
                dec_event(p, c, DEC_EV_IPV6_EXTHDR_INVALID);
                return DEC_DROP;
            }
            seen_frag = true;
            if ((fo & 0xfff9) != 0) /* offset or M set: a real fragment */
                return ipv6_fragment(p, c, d, avail, off, nh_off);
            hl = 8;
        } else if (nh == DEC_NH_AH) {
            hl = ((uint32_t)d[off + 1] + 2) << 2;
        } else {
            hl = ((uint32_t)d[off + 1] + 1) << 3;
        }
        if (off + hl > avail) {
            dec_event(p, c, DEC_EV_IPV6_EXTHDR_TRUNC);
            return DEC_DROP;
        }
        if ((nh == DEC_NH_HOPOPTS && off != DEC_IPV6_HLEN) ||
            ((nh == DEC_NH_HOPOPTS || nh == DEC_NH_DSTOPTS) &&
             !ipv6_opts_valid(d + off + 2, hl - 2)))
            dec_event(p, c, DEC_EV_IPV6_EXTHDR_INVALID);
        nh_off = off;
        nh = d[off];
        off += hl;
    }
    p->proto = nh;
    p->ip_hlen = (uint16_t)off;
    return dec_l4(p, c, d + off, avail - off);
}
