/* dec_csum: the Internet checksum (RFC 1071) for IPv4 headers, TCP, UDP,
 * ICMPv4 and ICMPv6, used only when checksum verification is on.
 * Words are loaded in host byte order and summed 32 bits at a time into a
 * 64-bit accumulator; the one's complement sum is byte-order independent as
 * long as the folded result is only compared with 0xffff (RFC 1071, 2.B).
 */
#include "decode/decode_private.h"

uint64_t dec_csum_add(uint64_t sum, const uint8_t *d, uint32_t len)
{
    uint32_t w;
    uint16_t h;

    while (len >= 4) {
        memcpy(&w, d, 4);
        sum += w;
        d += 4;
        len -= 4;
    }
    if (len >= 2) {
        memcpy(&h, d, 2);
        sum += h;
        d += 2;
        len -= 2;
    }
    if (len) {
        /* the odd byte is the high-order byte of a zero-padded big-endian word */
        uint8_t pad[2] = { d[0], 0 };
        memcpy(&h, pad, 2);
        sum += h;
    }
    return sum;
}

uint16_t dec_csum_fold(uint64_t sum)
{
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)sum;
}

uint64_t dec_csum_pseudo(const struct packet *p, uint8_t proto, uint32_t l4_len)
{
    uint8_t ph[40];

    if (p->ip_version == 4) {
        memcpy(ph, p->src, 4);
        memcpy(ph + 4, p->dst, 4);
        ph[8] = 0;
        ph[9] = proto;
        ph[10] = (uint8_t)(l4_len >> 8);
        ph[11] = (uint8_t)l4_len;
        return dec_csum_add(0, ph, 12);
    }
    memcpy(ph, p->src, 16);
    memcpy(ph + 16, p->dst, 16);
    ph[32] = (uint8_t)(l4_len >> 24);
    ph[33] = (uint8_t)(l4_len >> 16);
    ph[34] = (uint8_t)(l4_len >> 8);
    ph[35] = (uint8_t)l4_len;
    ph[36] = ph[37] = ph[38] = 0;
    ph[39] = proto;
    return dec_csum_add(0, ph, 40);
}

bool dec_csum_l4_ok(const struct packet *p, uint8_t proto, const uint8_t *d, uint32_t len)
{
    return dec_csum_fold(dec_csum_add(dec_csum_pseudo(p, proto, len), d, len)) == 0xffff;
}
