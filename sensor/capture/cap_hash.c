/* cap_hash: the worker a frame belongs to, by a symmetric hash of its IP
 * address pair (and VLAN). Used by the capture thread (cap_loop.c) and by
 * the shared index of an offline file's readers (cap_index.c).
 */
#include <pcap/dlt.h>
#include <string.h>

#include "capture/cap_hash.h"

static uint32_t cap_hash_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x7feb352dU;
    h ^= h >> 15;
    h *= 0x846ca68bU;
    h ^= h >> 16;
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
        uint32_t a, b;
        memcpy(&a, d + off + 12, 4);
        memcpy(&b, d + off + 16, 4);
        h = a + b;
    } else if (type == 0x86dd && caplen >= off + 40) {
        for (int i = 0; i < 4; i++) {
            uint32_t a, b;
            memcpy(&a, d + off + 8 + 4 * i, 4);
            memcpy(&b, d + off + 24 + 4 * i, 4);
            h += a + b;
        }
    }
    if (vlan_tracking)
        h += vlan;
    return cap_hash_mix(h);
}
