/* dec_tcp: the TCP header and its options (RFC 9293 TLVs; MSS, window scale,
 * SACK-permitted, SACK, timestamps and TFO are length-checked and exposed in
 * struct packet for the stream engine). A bad option raises
 * DEC_EV_TCP_OPT_INVALID but keeps the segment, as receivers do. The
 * checksum is verified only when asked and only on a complete segment.
 */
#include "decode/decode_private.h"

#define DEC_TCP_HLEN 20
#define DEC_TCPOPT_KIND_EOL 0
#define DEC_TCPOPT_KIND_NOP 1
#define DEC_TCPOPT_KIND_MSS 2
#define DEC_TCPOPT_KIND_WS 3
#define DEC_TCPOPT_KIND_SACKOK 4
#define DEC_TCPOPT_KIND_SACK 5
#define DEC_TCPOPT_KIND_TS 8
#define DEC_TCPOPT_KIND_MD5 19
#define DEC_TCPOPT_KIND_TFO 34

/* Returns false at the first malformed option (fields parsed so far stay). */
static bool tcp_opts_parse(struct packet *p, const uint8_t *o, uint32_t n)
{
    uint32_t i = 0;

    while (i < n) {
        uint8_t k = o[i], l;

        if (k == DEC_TCPOPT_KIND_EOL)
            return true;
        if (k == DEC_TCPOPT_KIND_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= n)
            return false;
        l = o[i + 1];
        if (l < 2 || i + l > n)
            return false;
        switch (k) {
        case DEC_TCPOPT_KIND_MSS:
            if (l != 4)
                return false;
            p->tcp_mss = dec_rd16(o + i + 2);
            p->tcp_opts |= DEC_TCPOPT_MSS;
            break;
        case DEC_TCPOPT_KIND_WS:
            if (l != 3)
                return false;
            p->tcp_wscale = o[i + 2];
            p->tcp_opts |= DEC_TCPOPT_WSCALE;
            break;
        case DEC_TCPOPT_KIND_SACKOK:
            if (l != 2)
                return false;
            p->tcp_opts |= DEC_TCPOPT_SACKOK;
            break;
        case DEC_TCPOPT_KIND_SACK: /* 1 to 4 blocks of 8 bytes */
            if (l < 10 || l > 34 || ((l - 2) & 7) != 0)
                return false;
            p->tcp_sack = o + i + 2;
            p->tcp_sack_len = (uint8_t)(l - 2);
            p->tcp_opts |= DEC_TCPOPT_SACK;
            break;
        case DEC_TCPOPT_KIND_TS:
            if (l != 10)
                return false;
            p->tcp_tsval = dec_rd32(o + i + 2);
            p->tcp_tsecr = dec_rd32(o + i + 6);
            p->tcp_opts |= DEC_TCPOPT_TS;
            break;
        case DEC_TCPOPT_KIND_TFO: /* cookie request (2) or a 4..16 byte even cookie */
            if (l != 2 && (l < 6 || l > 18 || (l & 1) != 0))
                return false;
            p->tcp_opts |= DEC_TCPOPT_TFO;
            break;
        case DEC_TCPOPT_KIND_MD5:
            if (l != 18)
                return false;
            break;
        default:
            break;
        }
        i += l;
    }
    return true;
}

int dec_tcp(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    uint32_t hlen;

    if (len < DEC_TCP_HLEN) {
        dec_event(p, c, DEC_EV_TCP_TRUNC);
        return DEC_DROP;
    }
    hlen = (uint32_t)(d[12] >> 4) << 2;
    if (hlen < DEC_TCP_HLEN) {
        dec_event(p, c, DEC_EV_TCP_HLEN_TOO_SMALL);
        return DEC_DROP;
    }
    if (hlen > len) {
        dec_event(p, c, DEC_EV_TCP_TRUNC);
        return DEC_DROP;
    }
    c->st->tcp++;
    p->l4 = d;
    p->l4_len = len;
    p->sport = dec_rd16(d);
    p->dport = dec_rd16(d + 2);
    p->tcp_seq = dec_rd32(d + 4);
    p->tcp_ack = dec_rd32(d + 8);
    p->tcp_flags = d[13];
    p->tcp_win = dec_rd16(d + 14);
    p->tcp_hlen = (uint8_t)hlen;
    p->payload = d + hlen;
    p->payload_len = len - hlen;
    if (hlen > DEC_TCP_HLEN && !tcp_opts_parse(p, d + DEC_TCP_HLEN, hlen - DEC_TCP_HLEN))
        dec_event(p, c, DEC_EV_TCP_OPT_INVALID);
    if (c->verify_csum && !(p->flags & PKT_TRUNCATED) && !dec_csum_l4_ok(p, 6, d, len)) {
        p->flags |= PKT_L4_CSUM_BAD;
        dec_event(p, c, DEC_EV_TCP_BAD_CSUM);
    }
    return DEC_OK;
}
