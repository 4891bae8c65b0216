/* pcap_remap: builds the bench capture. Concatenates the input captures copy
 * after copy until the output reaches a target size; copy k (k >= 1) has
 * every IPv4 address XORed with k << 8 and every IPv6 address with k in bytes
 * 4-5 (one level of 6in4 too), so each copy's flows are distinct while both
 * directions of a flow stay paired. IP, TCP, UDP and ICMPv6 checksums are
 * fixed incrementally (RFC 1624); timestamps are re-laid so that every file
 * starts 1 ms after the previous one ends, keeping each file's gaps between
 * packets clamped to [0, MAX_GAP] (-g, default 60 s: some captures hold stray
 * epoch-0 stamps; the bench uses a few microseconds, i.e. a busy link where
 * every copy's flows are active at once). Linux SLL and BSD NULL inputs are
 * rewritten as Ethernet, so the output is one DLT_EN10MB file.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REMAP_SNAP 262144
#define REMAP_START_SEC 1795161600LL /* 2026-11-20T08:00:00Z */

struct remap_ctx {
    pcap_dumper_t *dump;
    int64_t cursor_us;      /* where the next file starts */
    int64_t max_gap_us;     /* largest gap kept between two packets */
    unsigned long long out_bytes, out_pkts, skipped;
    uint8_t frame[REMAP_SNAP + 64];
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over the changed 16-bit words. */
static void csum_adjust(uint8_t *csum, const uint8_t *old, const uint8_t *new, size_t len)
{
    uint32_t acc = (uint16_t)~rd16(csum);
    for (size_t i = 0; i + 1 < len; i += 2) {
        acc += (uint16_t)~rd16(old + i);
        acc += rd16(new + i);
    }
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    acc = (uint16_t)~acc;
    csum[0] = (uint8_t)(acc >> 8);
    csum[1] = (uint8_t)acc;
}

/* Fix the L4 checksum for a pseudo-header address change. UDP over IPv4 may
 * carry no checksum (0), which must stay 0. */
static void l4_fix(uint8_t proto, uint8_t *l4, size_t l4cap, const uint8_t *old, const uint8_t *new,
                   size_t alen, int v6)
{
    size_t off;
    if (proto == 6)
        off = 16;
    else if (proto == 17)
        off = 6;
    else if (proto == 58 && v6)
        off = 2;
    else
        return;
    if (l4cap < off + 2)
        return;
    if (proto == 17 && !v6 && rd16(l4 + off) == 0)
        return;
    csum_adjust(l4 + off, old, new, alen);
    if (proto == 17 && rd16(l4 + off) == 0)
        l4[off] = l4[off + 1] = 0xff;
}

static void remap_ipv6(uint8_t *ip, size_t cap, unsigned copy);

static void remap_ipv4(uint8_t *ip, size_t cap, unsigned copy)
{
    if (cap < 20 || (ip[0] >> 4) != 4)
        return;
    size_t hl = (size_t)(ip[0] & 0x0f) * 4;
    if (hl < 20 || cap < hl)
        return;
    uint8_t old[8], *addr = ip + 12;
    memcpy(old, addr, 8);
    for (int a = 0; a < 2; a++) {
        addr[4 * a + 1] ^= (uint8_t)(copy >> 8);
        addr[4 * a + 2] ^= (uint8_t)copy;
    }
    csum_adjust(ip + 10, old, addr, 8);
    uint16_t frag = rd16(ip + 6) & 0x1fff;
    if (frag != 0)
        return; /* no L4 header in a non-first fragment */
    if (ip[9] == 41)
        remap_ipv6(ip + hl, cap - hl, copy); /* 6in4 */
    else
        l4_fix(ip[9], ip + hl, cap - hl, old, addr, 8, 0);
}

static void remap_ipv6(uint8_t *ip, size_t cap, unsigned copy)
{
    if (cap < 40 || (ip[0] >> 4) != 6)
        return;
    uint8_t old[32], *addr = ip + 8;
    memcpy(old, addr, 32);
    for (int a = 0; a < 2; a++) {
        addr[16 * a + 4] ^= (uint8_t)(copy >> 8);
        addr[16 * a + 5] ^= (uint8_t)copy;
    }
    /* walk extension headers to the transport header */
    uint8_t nh = ip[6];
    size_t off = 40;
    for (int i = 0; i < 8; i++) {
        if (nh == 0 || nh == 43 || nh == 60) {
            if (cap < off + 8)
                return;
            uint8_t next = ip[off];
            off += ((size_t)ip[off + 1] + 1) * 8;
            nh = next;
        } else if (nh == 44) {
            if (cap < off + 8 || (rd16(ip + off + 2) & 0xfff8) != 0)
                return; /* non-first fragment */
            nh = ip[off];
            off += 8;
        } else {
            break;
        }
    }
    if (off <= cap)
        l4_fix(nh, ip + off, cap - off, old, addr, 32, 1);
}

/* Returns the Ethernet frame length written to ctx->frame, or 0 to skip. */
static size_t to_ether(struct remap_ctx *c, int dlt, const uint8_t *d, size_t caplen)
{
    static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
    uint16_t type;
    size_t hdr;
    if (dlt == DLT_EN10MB) {
        memcpy(c->frame, d, caplen);
        return caplen;
    }
    if (dlt == DLT_LINUX_SLL && caplen >= 16) {
        type = rd16(d + 14);
        hdr = 16;
    } else if (dlt == DLT_NULL && caplen >= 4) {
        uint32_t fam = d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
        if (fam > 0xffff) /* written in the other byte order */
            fam = d[3] | (uint32_t)d[2] << 8;
        type = fam == 2 ? 0x0800 : (fam == 10 || fam == 24 || fam == 28 || fam == 30) ? 0x86dd : 0;
        hdr = 4;
    } else {
        return 0;
    }
    if (type == 0)
        return 0;
    memcpy(c->frame, macs, 12);
    c->frame[12] = (uint8_t)(type >> 8);
    c->frame[13] = (uint8_t)type;
    memcpy(c->frame + 14, d + hdr, caplen - hdr);
    return caplen - hdr + 14;
}

static void remap_frame(uint8_t *f, size_t len, unsigned copy)
{
    size_t off = 12;
    uint16_t type;
    if (len < 14)
        return;
    type = rd16(f + off);
    for (int tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 2; tags++) {
        off += 4;
        if (len < off + 2)
            return;
        type = rd16(f + off);
    }
    off += 2;
    if (type == 0x0800)
        remap_ipv4(f + off, len - off, copy);
    else if (type == 0x86dd)
        remap_ipv6(f + off, len - off, copy);
}

static int remap_file(struct remap_ctx *c, const char *path, unsigned copy)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *d;
    int64_t prev = 0, last = c->cursor_us;
    int first = 1, rc;
    pcap_t *p = pcap_open_offline(path, err);
    if (p == NULL) {
        fprintf(stderr, "pcap_remap: %s: %s\n", path, err);
        return -1;
    }
    int dlt = pcap_datalink(p);
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
        size_t n = h->caplen > REMAP_SNAP ? REMAP_SNAP : h->caplen;
        int64_t gap = first ? 0 : ts - prev;
        first = 0;
        prev = ts;
        if (gap < 0)
            gap = 0;
        if (gap > c->max_gap_us)
            gap = c->max_gap_us;
        n = to_ether(c, dlt, d, n);
        if (n == 0) {
            c->skipped++;
            continue;
        }
        if (copy)
            remap_frame(c->frame, n, copy);
        struct pcap_pkthdr oh;
        int64_t t = last + gap;
        last = t;
        oh.ts.tv_sec = (time_t)(t / 1000000);
        oh.ts.tv_usec = (suseconds_t)(t % 1000000);
        oh.caplen = (bpf_u_int32)n;
        oh.len = (bpf_u_int32)(h->len - h->caplen + n);
        pcap_dump((u_char *)c->dump, &oh, c->frame);
        c->out_bytes += n + 16;
        c->out_pkts++;
    }
    if (rc == -1)
        fprintf(stderr, "pcap_remap: %s: %s (kept what was read)\n", path, pcap_geterr(p));
    pcap_close(p);
    c->cursor_us = last + (c->max_gap_us < 1000 ? c->max_gap_us : 1000);
    return 0;
}

int main(int argc, char **argv)
{
    static struct remap_ctx c;
    unsigned long long target;
    pcap_t *dead = NULL;
    unsigned copy;
    int rc = 1;
    c.max_gap_us = 60000000LL;
    if (argc > 2 && strcmp(argv[1], "-g") == 0) {
        c.max_gap_us = strtoll(argv[2], NULL, 10);
        argv += 2;
        argc -= 2;
    }
    if (argc < 4 || c.max_gap_us < 0) {
        fprintf(stderr, "usage: %s [-g MAX_GAP_US] OUT.pcap TARGET_MB IN.pcap...\n", argv[0]);
        return 2;
    }
    target = strtoull(argv[2], NULL, 10) * 1000000ULL;
    dead = pcap_open_dead(DLT_EN10MB, REMAP_SNAP);
    if (dead == NULL || (c.dump = pcap_dump_open(dead, argv[1])) == NULL) {
        fprintf(stderr, "pcap_remap: cannot write %s: %s\n", argv[1], dead ? pcap_geterr(dead) : "");
        goto out;
    }
    c.cursor_us = REMAP_START_SEC * 1000000LL;
    for (copy = 0; copy < 65536 && c.out_bytes < target; copy++) {
        for (int i = 3; i < argc; i++)
            if (remap_file(&c, argv[i], copy) != 0)
                goto out;
        if (c.out_pkts == 0)
            break;
    }
    fprintf(stderr, "pcap_remap: %s: %u copies of %d files, %llu packets, %llu bytes, "
            "%llu non-IP frames skipped\n", argv[1], copy, argc - 3, c.out_pkts, c.out_bytes,
            c.skipped);
    rc = 0;
out:
    if (c.dump != NULL) {
        if (pcap_dump_flush(c.dump) != 0)
            rc = 1;
        pcap_dump_close(c.dump);
    }
    if (dead != NULL)
        pcap_close(dead);
    return rc;
}
