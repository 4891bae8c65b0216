/* test_decode: the packet decoder, from tables of hand-written frames (hex)
 * to decoded fields or events, checksum verification on frames whose sums
 * the test computes itself, and every capture of ../shared/corpus/pcaps
 * decoded with libpcap (skipped when the corpus is absent).
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "../runner.h"

/* ---- helpers ---------------------------------------------------------- */

/* Hex to bytes; spaces are ignored. Returns the byte count. */
static uint32_t hex(const char *s, uint8_t *out, uint32_t cap)
{
    uint32_t n = 0;
    int hi = -1;

    for (; *s; s++) {
        int v;

        if (*s == ' ')
            continue;
        v = (*s >= '0' && *s <= '9') ? *s - '0' : (*s | 0x20) - 'a' + 10;
        if (hi < 0) {
            hi = v;
        } else if (n < cap) {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

/* A big-endian 16-bit one's complement sum written independently of the
 * decoder's (which sums 32-bit host-order words). */
static uint16_t ref_csum(const uint8_t *d, uint32_t n, uint32_t sum)
{
    for (uint32_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)d[i] << 8 | d[i + 1];
    if (n & 1)
        sum += (uint32_t)d[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t ref_pseudo4(const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
    uint32_t s = 0;

    for (int i = 12; i < 20; i += 2)
        s += (uint32_t)ip[i] << 8 | ip[i + 1];
    return s + proto + l4len;
}

static uint32_t ref_pseudo6(const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
    uint32_t s = 0;

    for (int i = 8; i < 40; i += 2)
        s += (uint32_t)ip[i] << 8 | ip[i + 1];
    return s + proto + (l4len >> 16) + (l4len & 0xffff);
}

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

/* ---- building blocks of the table (hex text) --------------------------- */

#define ETH "020000000002 020000000001 "
#define ET4 ETH "0800 "
#define ET6 ETH "86dd "
/* IPv4 header, 20 bytes: total length and protocol as hex text */
#define IP4(tl, pr) "4500 " tl " 0001 0000 40" pr " 0000 0a000001 0a000002 "
/* TCP, 20 bytes: 12345 -> 80, seq 1, SYN */
#define TCP "3039 0050 00000001 00000000 5002 ffff 0000 0000 "
/* UDP header: 54321 -> 53, length as hex text */
#define UDP(ul) "d431 0035 " ul " 0000 "
/* IPv6 header: payload length and next header as hex text */
#define IP6(pl, nh) "60000000 " pl " " nh "40 20010db8000000000000000000000001 " \
                    "20010db8000000000000000000000002 "
#define DSTOPT(nh) nh "00 0104 00000000 " /* 8 bytes, PadN of 4 */

struct dcase {
    const char *name;
    int dlt;
    const char *hex;
    uint32_t wire_extra; /* bytes "on the wire" beyond the captured ones */
    int result;
    enum dec_event ev;
    uint8_t ipv;
    uint8_t proto;
    uint16_t sport, dport;
    uint32_t flags_set; /* these PKT_* flags must be set */
    uint32_t payload_len; /* checked when not UINT32_MAX */
};

#define ANY UINT32_MAX

static const struct dcase dcases[] = {
    { "eth_ipv4_tcp", 1, ET4 IP4("0028", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 4, 6, 12345, 80, 0, 0 },
    { "eth_ipv4_tcp_payload", 1, ET4 IP4("002b", "06") TCP "414243", 0, DEC_OK, DEC_EV_NONE,
      4, 6, 12345, 80, 0, 3 },
    { "eth_ipv4_udp", 1, ET4 IP4("0020", "11") UDP("000c") "61626364", 0, DEC_OK, DEC_EV_NONE,
      4, 17, 54321, 53, 0, 4 },
    { "eth_padding_trimmed", 1, ET4 IP4("001e", "11") UDP("000a") "6162 000000000000", 0, DEC_OK,
      DEC_EV_NONE, 4, 17, 54321, 53, 0, 2 },
    { "eth_ipv4_icmp_echo", 1, ET4 IP4("001c", "01") "0800 0000 1234 0001", 0, DEC_OK,
      DEC_EV_NONE, 4, 1, 0, 0, 0, 0 },
    { "eth_arp_is_other", 1, ETH "0806 0001080006040001", 0, DEC_OK, DEC_EV_NONE, 0, 0, 0, 0, 0, ANY },
    { "eth_8023_is_other", 1, ETH "0026 424203000000", 0, DEC_OK, DEC_EV_NONE, 0, 0, 0, 0, 0, ANY },
    { "eth_trunc", 1, "0200000000020200", 0, DEC_DROP, DEC_EV_ETH_TRUNC, 0, 0, 0, 0, 0, ANY },
    { "vlan_8100", 1, ETH "8100 0064 0800 " IP4("0028", "06") TCP, 0, DEC_OK, DEC_EV_NONE,
      4, 6, 12345, 80, PKT_HAS_VLAN, 0 },
    { "qinq_88a8", 1, ETH "88a8 00c8 8100 0064 0800 " IP4("0028", "06") TCP, 0, DEC_OK,
      DEC_EV_NONE, 4, 6, 12345, 80, PKT_HAS_VLAN, 0 },
    { "qinq_9100", 1, ETH "9100 00c8 8100 0064 86dd " IP6("0014", "06") TCP, 0, DEC_OK,
      DEC_EV_NONE, 6, 6, 12345, 80, PKT_HAS_VLAN, 0 },
    { "vlan_too_many", 1, ETH "9100 0001 8100 0002 8100 0003 0800 " IP4("0028", "06") TCP, 0,
      DEC_DROP, DEC_EV_VLAN_TOO_MANY, 0, 0, 0, 0, 0, ANY },
    { "vlan_trunc", 1, ETH "8100 00", 0, DEC_DROP, DEC_EV_VLAN_TRUNC, 0, 0, 0, 0, 0, ANY },
    { "sll_ipv4_tcp", 113, "0000 0001 0006 020000000001 0000 0800 " IP4("0028", "06") TCP, 0,
      DEC_OK, DEC_EV_NONE, 4, 6, 12345, 80, 0, 0 },
    { "sll_vlan", 113, "0000 0001 0006 020000000001 0000 8100 0005 0800 " IP4("0028", "06") TCP,
      0, DEC_OK, DEC_EV_NONE, 4, 6, 12345, 80, PKT_HAS_VLAN, 0 },
    { "sll_trunc", 113, "0000 0001 0006 0200", 0, DEC_DROP, DEC_EV_SLL_TRUNC, 0, 0, 0, 0, 0, ANY },
    { "sll2_ipv6_udp", 276, "86dd 0000 00000002 0001 00 06 020000000001 0000 "
      IP6("000c", "11") UDP("000c") "61626364", 0, DEC_OK, DEC_EV_NONE, 6, 17, 54321, 53, 0, 4 },
    { "sll2_trunc", 276, "86dd 0000 00000002", 0, DEC_DROP, DEC_EV_SLL_TRUNC, 0, 0, 0, 0, 0, ANY },
    { "raw12_ipv4", 12, IP4("0028", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 4, 6, 12345, 80, 0, 0 },
    { "raw101_ipv6", 101, IP6("0014", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 6, 6, 12345, 80, 0, 0 },
    { "raw_bad_version", 12, "5500 0028", 0, DEC_DROP, DEC_EV_IPV4_BAD_VERSION, 0, 0, 0, 0, 0, ANY },
    { "dlt_ipv4", 228, IP4("0028", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 4, 6, 12345, 80, 0, 0 },
    { "dlt_ipv6", 229, IP6("0014", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 6, 6, 12345, 80, 0, 0 },
    { "null_le_ipv4", 0, "02000000 " IP4("0028", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 4, 6, 12345,
      80, 0, 0 },
    { "null_be_ipv6_freebsd", 0, "0000001c " IP6("0014", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 6, 6,
      12345, 80, 0, 0 },
    { "loop_ipv4", 108, "00000002 " IP4("0028", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 4, 6, 12345,
      80, 0, 0 },
    { "null_trunc", 0, "0200", 0, DEC_DROP, DEC_EV_NULL_TRUNC, 0, 0, 0, 0, 0, ANY },
    { "link_unsupported", 105, "0000", 0, DEC_DROP, DEC_EV_LINK_UNSUPPORTED, 0, 0, 0, 0, 0, ANY },
    /* IPv4 */
    { "ipv4_trunc", 1, ET4 "4500 0028 0001 0000 4006", 0, DEC_DROP, DEC_EV_IPV4_TRUNC,
      0, 0, 0, 0, 0, ANY },
    { "ipv4_bad_version", 1, ET4 "6500 0028 0001 0000 4006 0000 0a000001 0a000002", 0, DEC_DROP,
      DEC_EV_IPV4_BAD_VERSION, 0, 0, 0, 0, 0, ANY },
    { "ipv4_hlen_too_small", 1, ET4 "4400 0028 0001 0000 4006 0000 0a000001 0a000002", 0,
      DEC_DROP, DEC_EV_IPV4_HLEN_TOO_SMALL, 0, 0, 0, 0, 0, ANY },
    { "ipv4_hlen_beyond_capture", 1, ET4 "4f00 0028 0001 0000 4006 0000 0a000001 0a000002", 0,
      DEC_DROP, DEC_EV_IPV4_TRUNC, 0, 0, 0, 0, 0, ANY },
    { "ipv4_bad_totlen", 1, ET4 IP4("0010", "06") TCP, 0, DEC_DROP, DEC_EV_IPV4_BAD_TOTLEN,
      0, 0, 0, 0, 0, ANY },
    { "ipv4_short_frame", 1, ET4 IP4("0040", "06") TCP, 0, DEC_OK, DEC_EV_IPV4_TRUNC, 4, 6, 12345,
      80, PKT_TRUNCATED, 0 },
    { "ipv4_snaplen_cut", 1, ET4 IP4("0040", "06") TCP, 32, DEC_OK, DEC_EV_NONE, 4, 6, 12345, 80,
      PKT_TRUNCATED, 0 },
    { "ipv4_opts_ok", 1, ET4 "4600 002c 0001 0000 4006 0000 0a000001 0a000002 94040000 " TCP, 0,
      DEC_OK, DEC_EV_NONE, 4, 6, 12345, 80, 0, 0 },
    { "ipv4_opt_invalid", 1, ET4 "4600 002c 0001 0000 4006 0000 0a000001 0a000002 07020000 " TCP,
      0, DEC_OK, DEC_EV_IPV4_OPT_INVALID, 4, 6, 12345, 80, 0, 0 },
    { "ipv4_opt_overrun", 1, ET4 "4600 002c 0001 0000 4006 0000 0a000001 0a000002 01018800 " TCP,
      0, DEC_OK, DEC_EV_IPV4_OPT_INVALID, 4, 6, 12345, 80, 0, 0 },
    { "ipv4_first_fragment", 1, ET4 "4500 0024 0001 2000 4011 0000 0a000001 0a000002 "
      UDP("0010") "0102030405060708", 0, DEC_OK, DEC_EV_NONE, 4, 17, 0, 0, PKT_IS_FRAGMENT, 0 },
    /* TCP, UDP, ICMP */
    { "tcp_trunc", 1, ET4 IP4("001e", "06") "3039 0050 0000 0001 0000", 0, DEC_DROP,
      DEC_EV_TCP_TRUNC, 0, 0, 0, 0, 0, ANY },
    { "tcp_hlen_too_small", 1, ET4 IP4("0028", "06") "3039 0050 00000001 00000000 4002 ffff 0000 0000",
      0, DEC_DROP, DEC_EV_TCP_HLEN_TOO_SMALL, 0, 0, 0, 0, 0, ANY },
    { "tcp_hlen_beyond", 1, ET4 IP4("0028", "06") "3039 0050 00000001 00000000 f002 ffff 0000 0000",
      0, DEC_DROP, DEC_EV_TCP_TRUNC, 0, 0, 0, 0, 0, ANY },
    { "tcp_opt_invalid", 1, ET4 IP4("002c", "06") "3039 0050 00000001 00000000 6002 ffff 0000 0000 "
      "02030500", 0, DEC_OK, DEC_EV_TCP_OPT_INVALID, 4, 6, 12345, 80, 0, 0 },
    { "tcp_opt_zero_len", 1, ET4 IP4("002c", "06") "3039 0050 00000001 00000000 6002 ffff 0000 0000 "
      "01010800", 0, DEC_OK, DEC_EV_TCP_OPT_INVALID, 4, 6, 12345, 80, 0, 0 },
    { "udp_trunc", 1, ET4 IP4("0018", "11") "d431 0035", 0, DEC_DROP, DEC_EV_UDP_TRUNC,
      0, 0, 0, 0, 0, ANY },
    { "udp_len_too_small", 1, ET4 IP4("001c", "11") UDP("0004"), 0, DEC_DROP, DEC_EV_UDP_BAD_LEN,
      0, 0, 0, 0, 0, ANY },
    { "udp_len_beyond_ip", 1, ET4 IP4("0020", "11") UDP("0010") "61626364", 0, DEC_DROP,
      DEC_EV_UDP_BAD_LEN, 0, 0, 0, 0, 0, ANY },
    { "icmpv4_trunc", 1, ET4 IP4("0018", "01") "08000000", 0, DEC_DROP, DEC_EV_ICMPV4_TRUNC,
      0, 0, 0, 0, 0, ANY },
    { "icmpv6_echo", 1, ET6 IP6("0008", "3a") "8000 0000 1234 0001", 0, DEC_OK, DEC_EV_NONE,
      6, 58, 0, 0, 0, 0 },
    { "icmpv6_trunc", 1, ET6 IP6("0004", "3a") "80000000", 0, DEC_DROP, DEC_EV_ICMPV6_TRUNC,
      0, 0, 0, 0, 0, ANY },
    /* IPv6 */
    { "ipv6_tcp", 1, ET6 IP6("0014", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 6, 6, 12345, 80, 0, 0 },
    { "ipv6_trunc", 1, ET6 "60000000 0014 0640 20010db8", 0, DEC_DROP, DEC_EV_IPV6_TRUNC,
      0, 0, 0, 0, 0, ANY },
    { "ipv6_bad_version", 1, ET6 "40000000 0014 0640 20010db8000000000000000000000001 "
      "20010db8000000000000000000000002 " TCP, 0, DEC_DROP, DEC_EV_IPV6_BAD_VERSION,
      0, 0, 0, 0, 0, ANY },
    { "ipv6_bad_plen", 1, ET6 IP6("0000", "06") TCP, 0, DEC_DROP, DEC_EV_IPV6_BAD_PLEN,
      0, 0, 0, 0, 0, ANY },
    { "ipv6_short_frame", 1, ET6 IP6("0030", "06") TCP, 0, DEC_OK, DEC_EV_IPV6_TRUNC, 6, 6,
      12345, 80, PKT_TRUNCATED, 0 },
    { "ipv6_hop_dst_tcp", 1, ET6 IP6("0024", "00") "3c00 0104 00000000 " DSTOPT("06") TCP, 0,
      DEC_OK, DEC_EV_NONE, 6, 6, 12345, 80, 0, 0 },
    { "ipv6_routing_ah_udp", 1, ET6 IP6("0024", "2b") "3300 0000 00000000 " /* routing, 8 */
      "1101 0000 00000100 00000001 " /* AH, 12 bytes */ UDP("0010") "0102030405060708", 0,
      DEC_OK, DEC_EV_NONE, 6, 17, 54321, 53, 0, 8 },
    { "ipv6_hop_not_first", 1, ET6 IP6("0024", "3c") "0000 0104 00000000 " DSTOPT("06") TCP, 0,
      DEC_OK, DEC_EV_IPV6_EXTHDR_INVALID, 6, 6, 12345, 80, 0, 0 },
    { "ipv6_bad_option_tlv", 1, ET6 IP6("001c", "3c") "0600 0109 00000000 " TCP, 0, DEC_OK,
      DEC_EV_IPV6_EXTHDR_INVALID, 6, 6, 12345, 80, 0, 0 },
    { "ipv6_exthdr_trunc", 1, ET6 IP6("001c", "3c") "0605 0000 00000000 " TCP, 0, DEC_DROP,
      DEC_EV_IPV6_EXTHDR_TRUNC, 0, 0, 0, 0, 0, ANY },
    { "ipv6_exthdr_too_many", 1, ET6 IP6("005c", "3c") DSTOPT("3c") DSTOPT("3c") DSTOPT("3c")
      DSTOPT("3c") DSTOPT("3c") DSTOPT("3c") DSTOPT("3c") DSTOPT("3c") DSTOPT("06") TCP, 0,
      DEC_DROP, DEC_EV_IPV6_EXTHDR_TOO_MANY, 0, 0, 0, 0, 0, ANY },
    { "ipv6_fragment", 1, ET6 IP6("0018", "2c") "1100 0001 deadbeef " UDP("0020") "01020304 05060708",
      0, DEC_OK, DEC_EV_NONE, 6, 17, 0, 0, PKT_IS_FRAGMENT, 0 },
    { "ipv6_atomic_fragment", 1, ET6 IP6("001c", "2c") "0600 0000 deadbeef " TCP, 0, DEC_OK,
      DEC_EV_NONE, 6, 6, 12345, 80, 0, 0 },
    { "ipv6_two_frag_headers", 1, ET6 IP6("0024", "2c") "2c00 0000 deadbeef 0600 0000 deadbeef " TCP,
      0, DEC_DROP, DEC_EV_IPV6_EXTHDR_INVALID, 0, 0, 0, 0, 0, ANY },
    /* tunnels */
    { "6in4", 1, ET4 IP4("0050", "29") IP6("0014", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 6, 6, 12345,
      80, PKT_TUNNEL, 0 },
    { "4in4", 1, ET4 IP4("003c", "04") IP4("0028", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 4, 6, 12345,
      80, PKT_TUNNEL, 0 },
    { "4in4in4_refused", 1, ET4 IP4("0050", "04") IP4("003c", "04") IP4("0028", "06") TCP, 0,
      DEC_OK, DEC_EV_TUNNEL_UNSUPPORTED, 4, 4, 0, 0, PKT_TUNNEL, ANY },
    { "teredo_bubble_stays_udp", 1, ET4 IP4("0044", "11") "d431 0dd8 0030 0000 " IP6("0000", "3b"),
      0, DEC_OK, DEC_EV_NONE, 4, 17, 54321, 3544, 0, 40 },
    { "teredo_tcp", 1, ET4 IP4("0058", "11") "d431 0dd8 0044 0000 " IP6("0014", "06") TCP, 0,
      DEC_OK, DEC_EV_NONE, 6, 6, 12345, 80, PKT_TUNNEL, 0 },
    { "teredo_origin_ind", 1, ET4 IP4("0060", "11") "d431 0dd8 004c 0000 0000 1234 01020304 "
      IP6("0014", "06") TCP, 0, DEC_OK, DEC_EV_NONE, 6, 6, 12345, 80, PKT_TUNNEL, 0 },
    { "udp_3544_not_teredo", 1, ET4 IP4("0020", "11") "d431 0dd8 000c 0000 61626364", 0, DEC_OK,
      DEC_EV_NONE, 4, 17, 54321, 3544, 0, 4 },
};

TEST(decode_table)
{
    uint8_t buf[512];

    for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
        const struct dcase *t = &dcases[i];
        struct dec_stats st;
        struct packet p;
        uint32_t n = hex(t->hex, buf, sizeof(buf));
        int r;

        memset(&st, 0, sizeof(st));
        r = dec_packet(&p, &st, t->dlt, buf, n, n + t->wire_extra, (struct timeval){ 1, 2 },
                       false);
        if (r != t->result || p.event != t->ev || (t->result == DEC_OK && (
            p.ip_version != t->ipv || p.proto != t->proto || p.sport != t->sport ||
            p.dport != t->dport || (p.flags & t->flags_set) != t->flags_set ||
            (t->payload_len != ANY && p.payload_len != t->payload_len))))
            fprintf(stderr, "case %s: r=%d ev=%s ipv=%u proto=%u %u->%u flags=%#x plen=%u\n",
                    t->name, r, dec_event_name(p.event), p.ip_version, p.proto, p.sport,
                    p.dport, p.flags, p.payload_len);
        CHECK_EQ_INT(r, t->result);
        CHECK_EQ_STR(dec_event_name(p.event), dec_event_name(t->ev));
        if (t->ev != DEC_EV_NONE)
            CHECK(st.events[t->ev] >= 1);
        CHECK_EQ_INT(st.pkts, 1);
        CHECK_EQ_INT(st.drops, r == DEC_DROP ? 1 : 0);
        if (t->result != DEC_OK)
            continue;
        CHECK_EQ_INT(p.ip_version, t->ipv);
        CHECK_EQ_INT(p.proto, t->proto);
        CHECK_EQ_INT(p.sport, t->sport);
        CHECK_EQ_INT(p.dport, t->dport);
        CHECK_EQ_INT(p.flags & t->flags_set, t->flags_set);
        if (t->payload_len != ANY)
            CHECK_EQ_INT(p.payload_len, t->payload_len);
        /* every pointer stays inside the frame */
        if (p.l3 != NULL && !(p.flags & PKT_TUNNEL))
            CHECK(p.l3 >= buf && p.l3 + p.l3_len <= buf + n);
        if (p.payload != NULL)
            CHECK(p.payload >= buf && p.payload + p.payload_len <= buf + n);
    }
}

/* The table raises every event the decoder has, except the checksum ones
 * (decode_checksums) and the fragment ones (raised by defrag, test_defrag). */
TEST(decode_table_covers_every_event)
{
    uint64_t seen[DEC_EV_MAX] = { 0 };
    uint8_t buf[512];

    for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
        struct dec_stats st = { 0 };
        struct packet p;
        uint32_t n = hex(dcases[i].hex, buf, sizeof(buf));

        dec_packet(&p, &st, dcases[i].dlt, buf, n, n + dcases[i].wire_extra,
                   (struct timeval){ 0, 0 }, false);
        for (int e = 0; e < DEC_EV_MAX; e++)
            seen[e] += st.events[e];
    }
    for (int e = 1; e < DEC_EV_MAX; e++) {
        const char *name = dec_event_name((enum dec_event)e);

        if (strstr(name, "_csum") != NULL || strncmp(name, "frag_", 5) == 0)
            continue;
        if (seen[e] == 0)
            fprintf(stderr, "event %s not exercised\n", name);
        CHECK(seen[e] > 0);
    }
}

TEST(decode_fields_ipv4_tcp)
{
    uint8_t buf[256];
    uint32_t n = hex(ET4 "4500 0040 abcd 4000 3e06 0000 c0a80101 08080808 "
                     "01bb c350 01020304 a0b0c0d0 b018 7210 0000 0000 "
                     "020405b4 0402 080a 00000011 00000022 01 030307 00000000", buf, sizeof(buf));
    struct dec_stats st = { 0 };
    struct packet p;

    CHECK_EQ_INT(n, 14 + 20 + 44);
    CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 7, 8 }, false), DEC_OK);
    CHECK_EQ_INT(p.event, DEC_EV_NONE);
    CHECK_EQ_INT(p.ts.tv_sec, 7);
    CHECK_EQ_INT(p.ttl, 0x3e);
    CHECK_EQ_INT(p.ip_id, 0xabcd);
    CHECK_EQ_INT(p.ip_hlen, 20);
    CHECK_EQ_INT(p.ip_totlen, 64);
    CHECK_EQ_INT(p.l3_len, 64);
    CHECK(memcmp(p.src, "\xc0\xa8\x01\x01", 4) == 0 && p.src[4] == 0);
    CHECK(memcmp(p.dst, "\x08\x08\x08\x08", 4) == 0);
    CHECK_EQ_INT(p.sport, 443);
    CHECK_EQ_INT(p.dport, 50000);
    CHECK_EQ_INT(p.tcp_seq, 0x01020304);
    CHECK_EQ_INT(p.tcp_ack, 0xa0b0c0d0u);
    CHECK_EQ_INT(p.tcp_flags, 0x18);
    CHECK_EQ_INT(p.tcp_win, 0x7210);
    CHECK_EQ_INT(p.tcp_hlen, 44);
    CHECK_EQ_INT(p.tcp_opts, DEC_TCPOPT_MSS | DEC_TCPOPT_SACKOK | DEC_TCPOPT_TS | DEC_TCPOPT_WSCALE);
    CHECK_EQ_INT(p.tcp_mss, 1460);
    CHECK_EQ_INT(p.tcp_wscale, 7);
    CHECK_EQ_INT(p.tcp_tsval, 0x11);
    CHECK_EQ_INT(p.tcp_tsecr, 0x22);
    CHECK_EQ_INT(p.payload_len, 0);
    CHECK_EQ_INT(st.ipv4, 1);
    CHECK_EQ_INT(st.tcp, 1);
}

TEST(decode_fields_sack_vlan_ids)
{
    uint8_t buf[256];
    uint32_t n = hex(ETH "88a8 a00a 8100 0fff 0800 " IP4("0034", "06")
                     "3039 0050 00000001 00000002 8010 ffff 0000 0000 "
                     "0101 050a 00000010 00000020", buf, sizeof(buf));
    struct dec_stats st = { 0 };
    struct packet p;

    CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 0, 0 }, false), DEC_OK);
    CHECK_EQ_INT(p.vlan_count, 2);
    CHECK_EQ_INT(p.vlan[0], 10);     /* PCP bits masked off */
    CHECK_EQ_INT(p.vlan[1], 0xfff);
    CHECK_EQ_INT(st.vlan, 1);
    CHECK(p.tcp_opts & DEC_TCPOPT_SACK);
    CHECK_EQ_INT(p.tcp_sack_len, 8);
    CHECK(p.tcp_sack != NULL && p.tcp_sack[3] == 0x10 && p.tcp_sack[7] == 0x20);
}

TEST(decode_fragment_fields)
{
    uint8_t buf[256];
    uint32_t n = hex(ET4 "4500 0024 0777 00b9 4011 0000 0a000001 0a000002 0102030405060708 090a0b0c0d0e0f10",
                     buf, sizeof(buf));
    struct dec_stats st = { 0 };
    struct packet p;

    CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 0, 0 }, false), DEC_OK);
    CHECK(p.flags & PKT_IS_FRAGMENT);
    CHECK(!p.frag_more);
    CHECK_EQ_INT(p.frag_off, 0xb9 * 8);
    CHECK_EQ_INT(p.frag_id, 0x777);
    CHECK_EQ_INT(p.frag_data_len, 16);
    CHECK(p.frag_data == buf + 14 + 20);
    CHECK(p.l4 == NULL);
    CHECK_EQ_INT(st.fragments, 1);

    n = hex(ET6 IP6("0018", "3c") "2c00 0104 00000000 1100 0051 00abcdef 0102030405060708",
            buf, sizeof(buf));
    CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 0, 0 }, false), DEC_OK);
    CHECK(p.flags & PKT_IS_FRAGMENT);
    CHECK(p.frag_more);
    CHECK_EQ_INT(p.frag_off, 80);
    CHECK_EQ_INT(p.frag_id, 0xabcdef);
    CHECK_EQ_INT(p.proto, 17);
    CHECK_EQ_INT(p.frag_hdr_off, 48);
    CHECK_EQ_INT(p.frag_nh_off, 40);
    CHECK_EQ_INT(p.frag_data_len, 8);
}

TEST(decode_tunnel_fields)
{
    uint8_t buf[256];
    uint32_t n = hex(ET4 IP4("0050", "29") IP6("0014", "06") TCP, buf, sizeof(buf));
    struct dec_stats st = { 0 };
    struct packet p;

    CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 0, 0 }, false), DEC_OK);
    CHECK_EQ_INT(p.tunnel, DEC_TUN_6IN4);
    CHECK(p.outer_l3 == buf + 14);
    CHECK_EQ_INT(p.outer_l3_len, 0x50);
    CHECK(p.l3 == buf + 34);
    CHECK_EQ_INT(p.src[15], 1);
    CHECK_EQ_INT(p.dst[0], 0x20);
    CHECK_EQ_INT(st.ipv4, 1);
    CHECK_EQ_INT(st.ipv6, 1);
    CHECK_EQ_INT(st.tunnels, 1);
    CHECK_EQ_INT(st.tcp, 1);
}

/* Frames whose checksums the test fills in; then one byte is flipped. */
TEST(decode_checksums)
{
    struct {
        const char *hex;
        int l3off, ipv, proto;
        enum dec_event ev;
    } cs[] = {
        { ET4 IP4("002b", "06") TCP "414243", 14, 4, 6, DEC_EV_TCP_BAD_CSUM },
        { ET4 IP4("0021", "11") UDP("000d") "6162636465", 14, 4, 17, DEC_EV_UDP_BAD_CSUM },
        { ET4 IP4("001d", "01") "0800 0000 1234 0001 ff", 14, 4, 1, DEC_EV_ICMPV4_BAD_CSUM },
        { ET6 IP6("0017", "06") TCP "414243", 14, 6, 6, DEC_EV_TCP_BAD_CSUM },
        { ET6 IP6("000d", "11") UDP("000d") "6162636465", 14, 6, 17, DEC_EV_UDP_BAD_CSUM },
        { ET6 IP6("0009", "3a") "8000 0000 1234 0001 ff", 14, 6, 58, DEC_EV_ICMPV6_BAD_CSUM },
    };

    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        uint8_t buf[256];
        uint32_t n = hex(cs[i].hex, buf, sizeof(buf));
        uint8_t *ip = buf + cs[i].l3off;
        uint32_t hl = cs[i].ipv == 4 ? 20 : 40, l4len = n - cs[i].l3off - hl;
        uint8_t *l4 = ip + hl;
        int sumoff = cs[i].proto == 6 ? 16 : cs[i].proto == 17 ? 6 : 2;
        uint32_t ph = cs[i].proto == 1 ? 0
                      : cs[i].ipv == 4 ? ref_pseudo4(ip, (uint8_t)cs[i].proto, l4len)
                                       : ref_pseudo6(ip, (uint8_t)cs[i].proto, l4len);
        struct dec_stats st = { 0 };
        struct packet p;

        if (cs[i].ipv == 4)
            put16(ip + 10, ref_csum(ip, 20, 0));
        put16(l4 + sumoff, ref_csum(l4, l4len, ph));
        CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 0, 0 }, true), DEC_OK);
        CHECK_EQ_INT(p.event, DEC_EV_NONE);
        CHECK(!(p.flags & (PKT_L4_CSUM_BAD | PKT_IPV4_CSUM_BAD)));
        l4[l4len - 1] ^= 0x40; /* payload bit flip */
        CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 0, 0 }, true), DEC_OK);
        CHECK_EQ_STR(dec_event_name(p.event), dec_event_name(cs[i].ev));
        CHECK(p.flags & PKT_L4_CSUM_BAD);
        /* not verified unless asked */
        CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 0, 0 }, false), DEC_OK);
        CHECK_EQ_INT(p.event, DEC_EV_NONE);
        if (cs[i].ipv == 4) {
            ip[8] ^= 1; /* TTL: header checksum now wrong */
            CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 0, 0 }, true), DEC_OK);
            CHECK_EQ_INT(p.event, DEC_EV_IPV4_BAD_CSUM);
            CHECK(p.flags & PKT_IPV4_CSUM_BAD);
        }
    }
}

TEST(decode_udp_zero_csum)
{
    uint8_t buf[256];
    uint32_t n = hex(ET6 IP6("000c", "11") UDP("000c") "61626364", buf, sizeof(buf));
    struct dec_stats st = { 0 };
    struct packet p;

    /* IPv6 forbids the zero checksum ... */
    CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 0, 0 }, true), DEC_OK);
    CHECK_EQ_INT(p.event, DEC_EV_UDP_BAD_CSUM);
    /* ... IPv4 reads it as "no checksum" */
    n = hex(ET4 IP4("0020", "11") UDP("000c") "61626364", buf, sizeof(buf));
    put16(buf + 14 + 10, ref_csum(buf + 14, 20, 0));
    CHECK_EQ_INT(dec_packet(&p, &st, 1, buf, n, n, (struct timeval){ 0, 0 }, true), DEC_OK);
    CHECK_EQ_INT(p.event, DEC_EV_NONE);
}

TEST(decode_event_names)
{
    /* every event has a distinct lower_snake name */
    for (int i = 0; i < DEC_EV_MAX; i++) {
        const char *n = dec_event_name((enum dec_event)i);

        CHECK(strcmp(n, "unknown") != 0);
        for (const char *c = n; *c; c++)
            CHECK((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
        for (int j = 0; j < i; j++)
            CHECK(strcmp(n, dec_event_name((enum dec_event)j)) != 0);
    }
    CHECK_EQ_STR(dec_event_name(DEC_EV_MAX), "unknown");
    CHECK_EQ_STR(dec_event_name(DEC_EV_IPV4_TRUNC), "ipv4_trunc");
}

TEST(decode_truncated_prefixes)
{
    /* every prefix of a valid frame decodes without reading past it (ASan
     * checks the reads); the full frame is whole */
    uint8_t buf[256];
    uint32_t n = hex(ET4 IP4("0050", "29") IP6("0014", "06") TCP, buf, sizeof(buf));

    for (uint32_t k = 0; k <= n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        struct dec_stats st = { 0 };
        struct packet p;
        int r;

        memcpy(copy, buf, k);
        r = dec_packet(&p, &st, 1, copy, k, n, (struct timeval){ 0, 0 }, true);
        if (k < 14 + 20 + 40 + 20)
            CHECK(r == DEC_DROP || p.payload == NULL);
        else
            CHECK(r == DEC_OK && p.proto == 6);
        free(copy);
    }
}

/* ---- the corpus --------------------------------------------------------- */

#define CORPUS "../shared/corpus/pcaps"

struct pcap_counts {
    struct dec_stats st;
    uint64_t n;
};

static int decode_file(const char *path, struct pcap_counts *pc)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *h = pcap_open_offline(path, err);
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int dlt, r;

    memset(pc, 0, sizeof(*pc));
    if (h == NULL) {
        fprintf(stderr, "%s: %s\n", path, err);
        return -1;
    }
    dlt = pcap_datalink(h);
    while ((r = pcap_next_ex(h, &hdr, &data)) == 1) {
        struct packet p;

        dec_packet(&p, &pc->st, dlt, data, hdr->caplen, hdr->len, hdr->ts, true);
        pc->n++;
    }
    pcap_close(h);
    return r == PCAP_ERROR_BREAK ? 0 : -1;
}

TEST(decode_corpus_all)
{
    DIR *dir = opendir(CORPUS);
    struct dirent *e;
    int files = 0;

    if (dir == NULL)
        SKIP("no corpus at " CORPUS);
    while ((e = readdir(dir)) != NULL) {
        char path[512];
        struct pcap_counts pc;
        uint64_t ip, l4;

        if (strstr(e->d_name, ".pcap") == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", CORPUS, e->d_name);
        CHECK_EQ_INT(decode_file(path, &pc), 0);
        files++;
        ip = pc.st.ipv4 + pc.st.ipv6 - pc.st.tunnels;
        l4 = pc.st.tcp + pc.st.udp + pc.st.icmpv4 + pc.st.icmpv6;
        /* plausible: every packet is IP, other or dropped; L4 never exceeds IP */
        CHECK_EQ_INT(pc.st.pkts, pc.n);
        CHECK(ip + pc.st.other + pc.st.drops >= pc.n);
        CHECK(l4 <= pc.st.ipv4 + pc.st.ipv6);
        printf("  %-42s %5" PRIu64 " pkts v4 %5" PRIu64 " v6 %4" PRIu64 " tcp %5" PRIu64
               " udp %4" PRIu64 " icmp %3" PRIu64 " frag %4" PRIu64 " tun %3" PRIu64
               " other %3" PRIu64 " drop %3" PRIu64 " trunc %3" PRIu64 "\n",
               e->d_name, pc.n, pc.st.ipv4, pc.st.ipv6, pc.st.tcp, pc.st.udp,
               pc.st.icmpv4 + pc.st.icmpv6, pc.st.fragments, pc.st.tunnels, pc.st.other,
               pc.st.drops, pc.st.truncated);
        for (int ev = 1; ev < DEC_EV_MAX; ev++)
            if (pc.st.events[ev])
                printf("      %s: %" PRIu64 "\n", dec_event_name((enum dec_event)ev),
                       pc.st.events[ev]);
    }
    closedir(dir);
    CHECK(files > 0);
}

/* Exact counts, checked against tshark 4.0 on the same files. */
TEST(decode_corpus_known)
{
    struct pcap_counts pc;
    DIR *dir = opendir(CORPUS);

    if (dir == NULL)
        SKIP("no corpus at " CORPUS);
    closedir(dir);
    CHECK_EQ_INT(decode_file(CORPUS "/ndpi-443-curl.pcap", &pc), 0);
    CHECK_EQ_INT(pc.n, 109);
    CHECK_EQ_INT(pc.st.ipv4, 109);
    CHECK_EQ_INT(pc.st.tcp, 109);
    CHECK_EQ_INT(pc.st.drops, 0);

    /* bad checksums: tshark -o {ip,tcp,udp}.check_checksum:TRUE, status bad */
    CHECK_EQ_INT(decode_file(CORPUS "/ndpi-selfsigned.pcap", &pc), 0); /* DLT_NULL */
    CHECK_EQ_INT(pc.st.tcp, 20);
    CHECK_EQ_INT(pc.st.events[DEC_EV_IPV4_BAD_CSUM], 20);
    CHECK_EQ_INT(pc.st.events[DEC_EV_TCP_BAD_CSUM], 20);
    CHECK_EQ_INT(decode_file(CORPUS "/sv-bug-5162.pcap", &pc), 0);
    CHECK_EQ_INT(pc.st.ipv4, 3023);
    CHECK_EQ_INT(pc.st.tcp, 2997);
    CHECK_EQ_INT(pc.st.udp, 21);
    CHECK_EQ_INT(pc.st.other, 12);
    CHECK_EQ_INT(pc.st.events[DEC_EV_IPV4_BAD_CSUM], 1521);
    CHECK_EQ_INT(pc.st.events[DEC_EV_TCP_BAD_CSUM], 1504);
    CHECK_EQ_INT(pc.st.events[DEC_EV_UDP_BAD_CSUM], 17);
    CHECK_EQ_INT(decode_file(CORPUS "/ndpi-http_ipv6.pcap", &pc), 0);
    CHECK_EQ_INT(pc.st.ipv6, 193);
    CHECK_EQ_INT(pc.st.events[DEC_EV_TCP_BAD_CSUM], 74);
    CHECK_EQ_INT(pc.st.events[DEC_EV_UDP_BAD_CSUM], 35);
    CHECK_EQ_INT(decode_file(CORPUS "/ndpi-quic.pcap", &pc), 0);
    CHECK_EQ_INT(pc.st.udp, 518);
    CHECK_EQ_INT(pc.st.events[DEC_EV_UDP_BAD_CSUM], 6);

    /* links: Linux cooked (SLL), raw IPv6, and tunnels decoded to the inner packet */
    CHECK_EQ_INT(decode_file(CORPUS "/ndpi-log4j-webapp-exploit.pcap", &pc), 0);
    CHECK_EQ_INT(pc.st.tcp, 422);
    CHECK_EQ_INT(pc.st.other, 4);
    CHECK_EQ_INT(decode_file(CORPUS "/sv-bug-6887-defrag-ipv6-tcp.pcap", &pc), 0);
    CHECK_EQ_INT(pc.st.ipv6, 3);
    CHECK_EQ_INT(pc.st.fragments, 3);
    CHECK_EQ_INT(decode_file(CORPUS "/ndpi-6in4tunnel.pcap", &pc), 0);
    CHECK_EQ_INT(pc.st.tunnels, 127);
    CHECK_EQ_INT(pc.st.ipv6, 127);
    CHECK_EQ_INT(pc.st.tcp + pc.st.udp + pc.st.icmpv6, 127);
    CHECK_EQ_INT(decode_file(CORPUS "/ndpi-teredo.pcap", &pc), 0);
    CHECK_EQ_INT(pc.st.udp, 24);
    CHECK_EQ_INT(pc.st.tunnels, 22); /* 2 are bubbles */
    CHECK_EQ_INT(pc.st.icmpv6, 22);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
