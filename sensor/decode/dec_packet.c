/* dec_packet: entry points of the decoder. dec_packet() picks the link-layer
 * decoder by DLT (Ethernet first: it is nearly all traffic), dec_ip() decodes
 * a bare IP datagram (reassembled fragments). Also the event names for EVE.
 * The packet struct is reset here, once, so that layers only set fields.
 */
#include <pcap/dlt.h>

#include "decode/decode_private.h"

#define DEC_LIKELY(x) __builtin_expect(!!(x), 1)

enum dec_result dec_packet(struct packet *p, struct dec_stats *st, int datalink,
                           const uint8_t *data, uint32_t caplen, uint32_t len,
                           struct timeval ts, bool verify_csum)
{
    struct dec_ctx c = { .st = st, .verify_csum = verify_csum, .wire_cut = caplen < len };
    int r;

    memset(p, 0, sizeof(*p));
    p->ts = ts;
    p->data = data;
    p->caplen = caplen;
    p->len = len;
    p->datalink = datalink;
    st->pkts++;
    st->bytes += len;

    if (DEC_LIKELY(datalink == DLT_EN10MB)) {
        r = dec_eth(p, &c, data, caplen);
    } else {
        switch (datalink) {
        case DLT_LINUX_SLL:
            r = dec_sll(p, &c, data, caplen);
            break;
        case DLT_LINUX_SLL2:
            r = dec_sll2(p, &c, data, caplen);
            break;
        case DLT_RAW:
        case DEC_LINKTYPE_RAW:
            r = dec_ip_any(p, &c, data, caplen);
            break;
        case DLT_IPV4:
            r = dec_ipv4(p, &c, data, caplen);
            break;
        case DLT_IPV6:
            r = dec_ipv6(p, &c, data, caplen);
            break;
        case DLT_NULL:
            r = dec_null(p, &c, data, caplen, false);
            break;
        case DLT_LOOP:
            r = dec_null(p, &c, data, caplen, true);
            break;
        default:
            dec_event(p, &c, DEC_EV_LINK_UNSUPPORTED);
            r = DEC_DROP;
            break;
        }
    }
    if (r != DEC_OK)
        st->drops++;
    return r == DEC_OK ? DEC_OK : DEC_DROP;
}

enum dec_result dec_ip(struct packet *p, struct dec_stats *st, const uint8_t *data,
                       uint32_t len, bool verify_csum)
{
    struct dec_ctx c = { .st = st, .verify_csum = verify_csum };
    struct packet keep = *p;
    int r;

    memset(p, 0, sizeof(*p));
    p->ts = keep.ts;
    p->data = keep.data;
    p->caplen = keep.caplen;
    p->len = keep.len;
    p->datalink = keep.datalink;
    memcpy(p->vlan, keep.vlan, sizeof(p->vlan));
    p->vlan_count = keep.vlan_count;
    p->flags = keep.flags & (PKT_HAS_VLAN | PKT_REASSEMBLED);
    r = dec_ip_any(p, &c, data, len);
    if (r != DEC_OK)
        st->drops++;
    return r == DEC_OK ? DEC_OK : DEC_DROP;
}

int dec_ip_any(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len)
{
    if (len < 1) {
        dec_event(p, c, DEC_EV_IPV4_TRUNC);
        return DEC_DROP;
    }
    switch (d[0] >> 4) {
    case 4:
        return dec_ipv4(p, c, d, len);
    case 6:
        return dec_ipv6(p, c, d, len);
    default:
        dec_event(p, c, DEC_EV_IPV4_BAD_VERSION);
        return DEC_DROP;
    }
}

bool dec_datalink_supported(int datalink)
{
    switch (datalink) {
    case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_RAW:
    case DEC_LINKTYPE_RAW: case DLT_IPV4: case DLT_IPV6: case DLT_NULL: case DLT_LOOP:
        return true;
    default:
        return false;
    }
}

static const char *const dec_event_names[DEC_EV_MAX] = {
    [DEC_EV_NONE] = "none",
    [DEC_EV_LINK_UNSUPPORTED] = "link_unsupported",
    [DEC_EV_ETH_TRUNC] = "eth_trunc",
    [DEC_EV_VLAN_TRUNC] = "vlan_trunc",
    [DEC_EV_VLAN_TOO_MANY] = "vlan_too_many",
    [DEC_EV_SLL_TRUNC] = "sll_trunc",
    [DEC_EV_IPV4_TRUNC] = "ipv4_trunc",
    [DEC_EV_IPV4_BAD_VERSION] = "ipv4_bad_version",
    [DEC_EV_IPV4_HLEN_TOO_SMALL] = "ipv4_hlen_too_small",
    [DEC_EV_IPV4_BAD_TOTLEN] = "ipv4_bad_totlen",
    [DEC_EV_IPV4_OPT_INVALID] = "ipv4_opt_invalid",
    [DEC_EV_IPV4_BAD_CSUM] = "ipv4_bad_csum",
    [DEC_EV_IPV6_TRUNC] = "ipv6_trunc",
    [DEC_EV_IPV6_BAD_VERSION] = "ipv6_bad_version",
    [DEC_EV_IPV6_BAD_PLEN] = "ipv6_bad_plen",
    [DEC_EV_IPV6_EXTHDR_TRUNC] = "ipv6_exthdr_trunc",
    [DEC_EV_IPV6_EXTHDR_TOO_MANY] = "ipv6_exthdr_too_many",
    [DEC_EV_TCP_TRUNC] = "tcp_trunc",
    [DEC_EV_TCP_HLEN_TOO_SMALL] = "tcp_hlen_too_small",
    [DEC_EV_TCP_OPT_INVALID] = "tcp_opt_invalid",
    [DEC_EV_TCP_BAD_CSUM] = "tcp_bad_csum",
    [DEC_EV_UDP_TRUNC] = "udp_trunc",
    [DEC_EV_UDP_BAD_LEN] = "udp_bad_len",
    [DEC_EV_UDP_BAD_CSUM] = "udp_bad_csum",
    [DEC_EV_ICMPV4_TRUNC] = "icmpv4_trunc",
    [DEC_EV_ICMPV6_TRUNC] = "icmpv6_trunc",
    [DEC_EV_FRAG_OVERLAP] = "frag_overlap",
    [DEC_EV_FRAG_TOO_LARGE] = "frag_too_large",
    [DEC_EV_FRAG_MEMCAP] = "frag_memcap",
    [DEC_EV_FRAG_TIMEOUT] = "frag_timeout",
    [DEC_EV_TUNNEL_UNSUPPORTED] = "tunnel_unsupported",
    [DEC_EV_NULL_TRUNC] = "null_trunc",
    [DEC_EV_IPV6_EXTHDR_INVALID] = "ipv6_exthdr_invalid",
    [DEC_EV_ICMPV4_BAD_CSUM] = "icmpv4_bad_csum",
    [DEC_EV_ICMPV6_BAD_CSUM] = "icmpv6_bad_csum",
    [DEC_EV_FRAG_INVALID] = "frag_invalid",
    [DEC_EV_FRAG_TOO_MANY] = "frag_too_many",
};

const char *dec_event_name(enum dec_event ev)
{
    if ((unsigned)ev >= DEC_EV_MAX || dec_event_names[ev] == NULL)
        return "unknown";
    return dec_event_names[ev];
}
