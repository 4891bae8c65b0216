/* gen_pkt: frames, checksums, a forward-only clock and a TCP model for the
 * capture generators (see gen_pkt.h). Everything is built in one static
 * frame buffer and written with pcap_dump; no allocation per packet.
 * Hosts in 10.20.0.0/16 get their own MAC and TTL 64/128; everything else
 * is behind the site's gateway MAC with a TTL a few hops below 64.
 */
#include "gen_pkt.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_SNAPLEN 65535
#define GEN_MSS 1460
#define GEN_ETH_LEN 14
#define GEN_IP_LEN 20

struct gen_out {
    pcap_t *dead;
    pcap_dumper_t *dump;
    uint64_t now_us;
    uint64_t rng;
    uint16_t ip_id;
    uint64_t packets;
    uint64_t bytes;
    uint8_t frame[GEN_SNAPLEN];
};

static const uint8_t gen_gw_mac[6] = { 0x00, 0x1c, 0x73, 0x4e, 0x20, 0x01 };

struct gen_out *gen_out_new(const char *path, uint64_t start_us, uint64_t seed)
{
    struct gen_out *o = calloc(1, sizeof(*o));
    if (o == NULL)
        goto fail;
    o->dead = pcap_open_dead(DLT_EN10MB, GEN_SNAPLEN);
    if (o->dead == NULL)
        goto fail;
    o->dump = pcap_dump_open(o->dead, path);
    if (o->dump == NULL) {
        fprintf(stderr, "gen: cannot write %s: %s\n", path, pcap_geterr(o->dead));
        goto fail;
    }
    o->now_us = start_us;
    o->rng = seed;
    o->ip_id = (uint16_t)gen_rand(o);
    return o;
fail:
    gen_out_free(o);
    return NULL;
}

int gen_out_free(struct gen_out *o)
{
    int rc = 0;
    if (o == NULL)
        return 0;
    if (o->dump != NULL) {
        if (pcap_dump_flush(o->dump) != 0)
            rc = -1;
        pcap_dump_close(o->dump);
    }
    if (o->dead != NULL)
        pcap_close(o->dead);
    free(o);
    return rc;
}

uint64_t gen_now(const struct gen_out *o) { return o->now_us; }
void gen_advance(struct gen_out *o, uint64_t us) { o->now_us += us; }
uint64_t gen_packets(const struct gen_out *o) { return o->packets; }
uint64_t gen_bytes(const struct gen_out *o) { return o->bytes; }

uint32_t gen_rand(struct gen_out *o)
{
    uint64_t z = (o->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (uint32_t)((z ^ (z >> 31)) >> 16);
}

uint32_t gen_rand_range(struct gen_out *o, uint32_t lo, uint32_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + gen_rand(o) % (hi - lo + 1);
}

void gen_rand_bytes(struct gen_out *o, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)gen_rand(o);
}

static int gen_is_home(uint32_t ip) { return (ip >> 16) == ((10u << 8) | 20u); }

static void gen_mac(uint8_t *mac, uint32_t ip)
{
    if (!gen_is_home(ip)) {
        memcpy(mac, gen_gw_mac, 6);
        return;
    }
    mac[0] = 0x52; mac[1] = 0x54; mac[2] = 0x00;
    mac[3] = (uint8_t)(ip >> 16); mac[4] = (uint8_t)(ip >> 8); mac[5] = (uint8_t)ip;
}

/* Windows desktops (.100 and up on each /24) start at 128, servers at 64;
 * external hosts arrive some hops away. */
static uint8_t gen_ttl(uint32_t ip)
{
    if (gen_is_home(ip))
        return (ip & 0xff) >= 100 ? 128 : 64;
    return (uint8_t)(64 - 7 - (ip % 9));
}

static void gen_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void gen_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t gen_sum(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static uint16_t gen_fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

/* Ethernet + IPv4 header around an L4 segment already placed at
 * frame + 34; computes the L4 checksum at CSUM_OFF (relative to L4, or -1)
 * with the pseudo-header, then writes the record. */
static int gen_emit(struct gen_out *o, uint32_t src, uint32_t dst, uint8_t proto, size_t l4len,
                    int csum_off)
{
    uint8_t *f = o->frame, *ip = f + GEN_ETH_LEN, *l4 = ip + GEN_IP_LEN;
    size_t total = GEN_IP_LEN + l4len;
    if (GEN_ETH_LEN + total > sizeof(o->frame))
        return -1;
    gen_mac(f, dst);
    gen_mac(f + 6, src);
    gen_put16(f + 12, 0x0800);
    ip[0] = 0x45; ip[1] = 0;
    gen_put16(ip + 2, (uint16_t)total);
    gen_put16(ip + 4, o->ip_id++);
    gen_put16(ip + 6, 0x4000); /* DF, as Linux and Windows send */
    ip[8] = gen_ttl(src);
    ip[9] = proto;
    gen_put16(ip + 10, 0);
    gen_put32(ip + 12, src);
    gen_put32(ip + 16, dst);
    gen_put16(ip + 10, gen_fold(gen_sum(0, ip, GEN_IP_LEN)));
    if (csum_off >= 0) {
        uint32_t acc = 0;
        if (proto != 1) { /* TCP/UDP pseudo-header; ICMP has none */
            acc = gen_sum(acc, ip + 12, 8);
            acc += proto;
            acc += (uint32_t)l4len;
        }
        gen_put16(l4 + csum_off, 0);
        uint16_t c = gen_fold(gen_sum(acc, l4, l4len));
        if (proto == 17 && c == 0)
            c = 0xffff;
        gen_put16(l4 + csum_off, c);
    }
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(o->now_us / 1000000);
    h.ts.tv_usec = (suseconds_t)(o->now_us % 1000000);
    h.caplen = h.len = (bpf_u_int32)(GEN_ETH_LEN + total);
    pcap_dump((u_char *)o->dump, &h, f);
    o->packets++;
    o->bytes += h.len;
    return 0;
}

#define GEN_L4 (GEN_ETH_LEN + GEN_IP_LEN)

int gen_udp(struct gen_out *o, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
            const void *payload, size_t len)
{
    uint8_t *u = o->frame + GEN_L4;
    if (len > sizeof(o->frame) - GEN_L4 - 8)
        return -1;
    gen_put16(u, sport);
    gen_put16(u + 2, dport);
    gen_put16(u + 4, (uint16_t)(8 + len));
    memcpy(u + 8, payload, len);
    return gen_emit(o, src, dst, 17, 8 + len, 6);
}

int gen_icmp_echo(struct gen_out *o, uint32_t src, uint32_t dst, uint8_t type, uint16_t id,
                  uint16_t seq, const void *payload, size_t len)
{
    uint8_t *c = o->frame + GEN_L4;
    if (len > sizeof(o->frame) - GEN_L4 - 8)
        return -1;
    c[0] = type; c[1] = 0;
    gen_put16(c + 4, id);
    gen_put16(c + 6, seq);
    memcpy(c + 8, payload, len);
    return gen_emit(o, src, dst, 1, 8 + len, 2);
}

void gen_tcp_init(struct gen_out *o, struct gen_tcp *c, uint32_t cip, uint16_t cport,
                  uint32_t sip, uint16_t sport, uint32_t rtt_us)
{
    c->cip = cip; c->cport = cport;
    c->sip = sip; c->sport = sport;
    c->cnxt = gen_rand(o) << 1 ^ gen_rand(o);
    c->snxt = gen_rand(o) << 1 ^ gen_rand(o);
    c->rtt_us = rtt_us;
}

int gen_tcp_raw(struct gen_out *o, const struct gen_tcp *c, int from_server, uint8_t flags,
                uint32_t seq, uint32_t ack, const void *data, size_t len)
{
    uint8_t *t = o->frame + GEN_L4;
    size_t hl = 20;
    if (len > GEN_MSS)
        return -1;
    gen_put16(t, from_server ? c->sport : c->cport);
    gen_put16(t + 2, from_server ? c->cport : c->sport);
    gen_put32(t + 4, seq);
    gen_put32(t + 8, (flags & GEN_TCP_ACK) ? ack : 0);
    t[13] = flags;
    gen_put16(t + 14, (flags & GEN_TCP_SYN) ? 64240 : (from_server ? 509 : 502));
    gen_put16(t + 16, 0);
    gen_put16(t + 18, 0);
    if (flags & GEN_TCP_SYN) {
        /* MSS 1460, NOP, window scale 7, NOP, NOP, SACK permitted */
        static const uint8_t opt[12] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2 };
        memcpy(t + 20, opt, sizeof(opt));
        hl += sizeof(opt);
    }
    t[12] = (uint8_t)((hl / 4) << 4);
    if (len > 0)
        memcpy(t + hl, data, len);
    return gen_emit(o, from_server ? c->sip : c->cip, from_server ? c->cip : c->sip, 6, hl + len, 16);
}

int gen_tcp_handshake(struct gen_out *o, struct gen_tcp *c)
{
    int rc = gen_tcp_raw(o, c, 0, GEN_TCP_SYN, c->cnxt, 0, NULL, 0);
    c->cnxt++;
    gen_advance(o, c->rtt_us);
    rc |= gen_tcp_raw(o, c, 1, GEN_TCP_SYN | GEN_TCP_ACK, c->snxt, c->cnxt, NULL, 0);
    c->snxt++;
    gen_advance(o, 60);
    rc |= gen_tcp_raw(o, c, 0, GEN_TCP_ACK, c->cnxt, c->snxt, NULL, 0);
    gen_advance(o, 200);
    return rc;
}

int gen_tcp_send(struct gen_out *o, struct gen_tcp *c, int from_server, const void *data,
                 size_t len)
{
    const uint8_t *p = data;
    uint32_t *mine = from_server ? &c->snxt : &c->cnxt;
    uint32_t *theirs = from_server ? &c->cnxt : &c->snxt;
    int rc = 0, n = 0;
    while (len > 0) {
        size_t seg = len > GEN_MSS ? GEN_MSS : len;
        uint8_t fl = GEN_TCP_ACK | (seg == len ? GEN_TCP_PSH : 0);
        rc |= gen_tcp_raw(o, c, from_server, fl, *mine, *theirs, p, seg);
        *mine += (uint32_t)seg;
        p += seg;
        len -= seg;
        n++;
        gen_advance(o, 12 + seg / 10); /* ~1 Gbit/s serialisation plus jitter */
        if (n % 2 == 0 || len == 0) {
            gen_advance(o, c->rtt_us / 2);
            rc |= gen_tcp_raw(o, c, !from_server, GEN_TCP_ACK, *theirs, *mine, NULL, 0);
            gen_advance(o, 40);
        }
    }
    return rc;
}

int gen_tcp_close(struct gen_out *o, struct gen_tcp *c, int server_first)
{
    int a = server_first ? 1 : 0;
    uint32_t *na = a ? &c->snxt : &c->cnxt, *nb = a ? &c->cnxt : &c->snxt;
    int rc = gen_tcp_raw(o, c, a, GEN_TCP_FIN | GEN_TCP_ACK, *na, *nb, NULL, 0);
    (*na)++;
    gen_advance(o, c->rtt_us);
    rc |= gen_tcp_raw(o, c, !a, GEN_TCP_FIN | GEN_TCP_ACK, *nb, *na, NULL, 0);
    (*nb)++;
    gen_advance(o, 50);
    rc |= gen_tcp_raw(o, c, a, GEN_TCP_ACK, *na, *nb, NULL, 0);
    gen_advance(o, 100);
    return rc;
}
