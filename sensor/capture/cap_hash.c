/* cap_hash: the worker a frame belongs to, by a symmetric hash of its IP
 * address pair (and VLAN). Used by the capture thread (cap_loop.c) and by
 * the shared index of an offline file's readers (cap_index.c). A frame that
 * may carry a tunnel the decoder enters (IP-in-IP, Teredo) is decoded, so
 * the tunnelled conversation's pair decides, as it decides its flow.
 */
#include <pcap/dlt.h>
#include <string.h>

#include "capture/cap_hash.h"
#include "decode/decode.h"

#define CAP_TEREDO_PORT 3544

static uint32_t cap_hash_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x7feb352dU;
    h ^= h >> 15;
    h *= 0x846ca68bU;
    h ^= h >> 16;
    return h;
}

/* Whether an IP payload of protocol proto (at l4, n bytes captured) may be
 * a tunnel the decoder enters: IP-in-IP, or UDP to or from Teredo's port. */
static bool cap_may_tunnel(uint8_t proto, const uint8_t *l4, uint32_t n)
{
    if (proto == 4 || proto == 41)
        return true;
    return proto == 17 && n >= 4 &&
           ((l4[0] << 8 | l4[1]) == CAP_TEREDO_PORT || (l4[2] << 8 | l4[3]) == CAP_TEREDO_PORT);
}

/* The pair sum of the tunnelled packet, decided by the decoder itself so
 * that hash and flow agree (a Teredo bubble, say, stays the outer UDP
 * flow): outer when the frame is no tunnel after all. Not per packet of
 * ordinary traffic: only frames cap_may_tunnel() picked come here. */
static uint32_t cap_hash_inner(int datalink, const uint8_t *d, uint32_t caplen, uint32_t outer)
{
    struct packet p;
    struct dec_stats st;
    struct timeval ts = { 0, 0 };
    uint32_t h = 0;

    memset(&st, 0, sizeof(st));
    if (dec_packet(&p, &st, datalink, d, caplen, caplen, ts, false) != DEC_OK ||
        !(p.flags & PKT_TUNNEL) || p.ip_version == 0)
        return outer;
    for (int i = 0; i < 16; i += 4) {
        uint32_t a, b;
        memcpy(&a, p.src + i, 4);
        memcpy(&b, p.dst + i, 4);
        h += a + b;
    }
    return h;
}

/* Sum of the two addresses (order-free, so symmetric) and the VLAN. */
uint32_t cap_hash(int datalink, const uint8_t *d, uint32_t caplen, bool vlan_tracking)
{
    uint32_t off, h = 0;
    uint16_t type, vlan = 0;

    switch (datalink) {
    case DLT_EN10MB:
        if (caplen < 14)
            return 0;
        type = (uint16_t)(d[12] << 8 | d[13]);
        off = 14;
        while ((type == 0x8100 || type == 0x88a8) && caplen >= off + 4) {
            vlan = (uint16_t)((d[off] << 8 | d[off + 1]) & 0x0fff);
            type = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
            off += 4;
        }
        break;
    case DLT_LINUX_SLL:
        if (caplen < 16)
            return 0;
        type = (uint16_t)(d[14] << 8 | d[15]);
        off = 16;
        break;
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
        if (caplen < 1)
            return 0;
        type = (d[0] >> 4) == 6 ? 0x86dd : 0x0800;
        off = 0;
        break;
    case DLT_NULL:
        if (caplen < 5)
            return 0;
        type = (d[4] >> 4) == 6 ? 0x86dd : 0x0800;
        off = 4;
        break;
    default:
        return 0;
    }
    if (type == 0x0800 && caplen >= off + 20) {
        uint32_t a, b, ihl = (d[off] & 15u) * 4u;
        memcpy(&a, d + off + 12, 4);
        memcpy(&b, d + off + 16, 4);
        h = a + b;
        /* not a fragment (they stay with their pair until reassembled) */
        if (ihl >= 20 && ((d[off + 6] & 0x3f) | d[off + 7]) == 0 &&
            cap_may_tunnel(d[off + 9], d + off + ihl, caplen - off < ihl ? 0 : caplen - off - ihl))
            h = cap_hash_inner(datalink, d, caplen, h);
    } else if (type == 0x86dd && caplen >= off + 40) {
        for (int i = 0; i < 4; i++) {
            uint32_t a, b;
            memcpy(&a, d + off + 8 + 4 * i, 4);
            memcpy(&b, d + off + 24 + 4 * i, 4);
            h += a + b;
        }
        if (cap_may_tunnel(d[off + 6], d + off + 40, caplen - off - 40))
            h = cap_hash_inner(datalink, d, caplen, h);
    }
    if (vlan_tracking)
        h += vlan;
    return cap_hash_mix(h);
}
