/* pcap_stream: test harness: a capture through the real decoder and the
 * stream stage, dumping what each direction of each TCP connection
 * reassembled to (gap bytes as 0x00) and the counters, for run.py to check.
 *
 *   pcap-stream [-p CONTENT] [-w WINDOW] [-d DEPTH] [-m] input.pcap OUTDIR
 * writes OUTDIR/flowN.c2s, OUTDIR/flowN.s2c (N in order of first packet;
 * c2s = the first packet's sender) and OUTDIR/stats.txt (key=value).
 * CONTENT is counted with the match-window scan (matches_c2s/_s2c).
 * A minimal flow table of its own (linear search): test code only.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode/decode.h"
#include "stream/stream.h"

#define PS_MAX_FLOWS 4096
#define PS_MAX_DUMP (64u << 20)

struct ps_flow {
    uint8_t ipv, a[16], b[16];
    uint16_t ap, bp;
    struct tcp_session *s;
    uint8_t *buf[2];
    size_t len[2], cap[2];
    int bad_offsets;
};

struct ps {
    struct ps_flow flows[PS_MAX_FLOWS];
    unsigned nflows;
    struct tcp_ctx *ctx;
    const char *pat;
    uint64_t matches[2], events[TCP_EV_MAX], unmatched_pkts;
};

static int ps_append(struct ps_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (f->len[dir] + len > PS_MAX_DUMP)
        return -1;
    if (f->len[dir] + len > f->cap[dir]) {
        size_t cap = f->cap[dir] ? f->cap[dir] * 2 : 4096;
        while (cap < f->len[dir] + len)
            cap *= 2;
        uint8_t *nb = realloc(f->buf[dir], cap);
        if (nb == NULL)
            return -1;
        f->buf[dir] = nb;
        f->cap[dir] = cap;
    }
    if (data != NULL)
        memcpy(f->buf[dir] + f->len[dir], data, len);
    else
        memset(f->buf[dir] + f->len[dir], 0, len);
    f->len[dir] += len;
    return 0;
}

static void ps_cb(void *arg, struct tcp_session *s, int dir, const uint8_t *data, size_t len,
                  uint64_t off, unsigned flags)
{
    struct ps *ps = arg;
    struct ps_flow *f = tcp_session_user(s);

    if (off != f->len[dir])
        f->bad_offsets++;
    if (len == 0)
        return;
    if (!(flags & TCP_DATA_GAP) && ps->pat != NULL) {
        const uint8_t *w;
        size_t wl, ns, pl = strlen(ps->pat);
        if (tcp_reasm_window(ps->ctx, &w, &wl, &ns) == 0)
            for (size_t i = 0; i + pl <= wl; i++)
                if (i + pl > ns && memcmp(w + i, ps->pat, pl) == 0)
                    ps->matches[dir]++;
    }
    if (ps_append(f, dir, (flags & TCP_DATA_GAP) ? NULL : data, len) != 0)
        f->bad_offsets++;
}

static struct ps_flow *ps_lookup(struct ps *ps, const struct packet *p, int *dir)
{
    for (unsigned i = 0; i < ps->nflows; i++) {
        struct ps_flow *f = &ps->flows[i];
        if (f->ipv != p->ip_version)
            continue;
        if (f->ap == p->sport && f->bp == p->dport && !memcmp(f->a, p->src, 16) &&
            !memcmp(f->b, p->dst, 16)) {
            *dir = TCP_DIR_TOSERVER;
            return f;
        }
        if (f->ap == p->dport && f->bp == p->sport && !memcmp(f->a, p->dst, 16) &&
            !memcmp(f->b, p->src, 16)) {
            *dir = TCP_DIR_TOCLIENT;
            return f;
        }
    }
    if (ps->nflows == PS_MAX_FLOWS)
        return NULL;
    struct ps_flow *f = &ps->flows[ps->nflows++];
    f->ipv = p->ip_version;
    memcpy(f->a, p->src, 16);
    memcpy(f->b, p->dst, 16);
    f->ap = p->sport;
    f->bp = p->dport;
    *dir = TCP_DIR_TOSERVER;
    return f;
}

static int ps_write(const char *dir, const char *name, const uint8_t *data, size_t len)
{
    char path[4096];
    FILE *fp;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (fp == NULL)
        return -1;
    if (len > 0 && fwrite(data, 1, len, fp) != len)
        rc = -1;
    if (fclose(fp) != 0)
        rc = -1;
    return rc;
}

static int ps_dump(struct ps *ps, const char *outdir)
{
    const struct tcp_stats *st = tcp_ctx_stats(ps->ctx);
    char name[64];
    FILE *fp;
    int bad = 0;

    for (unsigned i = 0; i < ps->nflows; i++) {
        struct ps_flow *f = &ps->flows[i];
        snprintf(name, sizeof(name), "flow%u.c2s", i);
        if (ps_write(outdir, name, f->buf[0], f->len[0]) != 0)
            return -1;
        snprintf(name, sizeof(name), "flow%u.s2c", i);
        if (ps_write(outdir, name, f->buf[1], f->len[1]) != 0)
            return -1;
        bad += f->bad_offsets;
    }
    snprintf(name, sizeof(name), "%s/stats.txt", outdir);
    fp = fopen(name, "w");
    if (fp == NULL)
        return -1;
    fprintf(fp, "flows=%u\nsessions=%llu\nbad_offsets=%d\nmatches_c2s=%llu\nmatches_s2c=%llu\n",
            ps->nflows, (unsigned long long)st->sessions, bad,
            (unsigned long long)ps->matches[0], (unsigned long long)ps->matches[1]);
    fprintf(fp, "gaps=%llu\ngap_bytes=%llu\noverlaps=%llu\noverlaps_diff=%llu\n"
            "retransmissions=%llu\nout_of_order=%llu\nreassembled_bytes=%llu\n"
            "seg_memcap_drops=%llu\nno_session=%llu\nheld_bytes=%llu\n",
            (unsigned long long)st->gaps, (unsigned long long)st->gap_bytes,
            (unsigned long long)st->overlaps, (unsigned long long)st->overlaps_diff,
            (unsigned long long)st->retransmissions, (unsigned long long)st->out_of_order,
            (unsigned long long)st->reassembled_bytes, (unsigned long long)st->seg_memcap_drops,
            (unsigned long long)st->no_session,
            (unsigned long long)tcp_ctx_held_bytes(ps->ctx));
    return fclose(fp) != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    static struct ps ps;
    struct tcp_cfg cfg = { .midstream = false, .memcap = 64u << 20, .reasm_memcap = 64u << 20,
                           .depth = 0, .window = 256 };
    struct dec_stats dst;
    struct pcap_pkthdr *h;
    const u_char *data;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = NULL;
    int opt, rc = 1, r;

    while ((opt = getopt(argc, argv, "p:w:d:m")) != -1) {
        switch (opt) {
        case 'p': ps.pat = optarg; break;
        case 'w': cfg.window = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'd': cfg.depth = strtoull(optarg, NULL, 10); break;
        case 'm': cfg.midstream = true; break;
        default: goto usage;
        }
    }
    if (argc - optind != 2)
        goto usage;
    pc = pcap_open_offline(argv[optind], err);
    if (pc == NULL) {
        fprintf(stderr, "pcap-stream: %s: %s\n", argv[optind], err);
        goto out;
    }
    ps.ctx = tcp_ctx_new(&cfg, ps_cb, &ps);
    if (ps.ctx == NULL)
        goto out;
    memset(&dst, 0, sizeof(dst));
    while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
        struct packet p;
        struct ps_flow *f;
        int dir;
        if (dec_packet(&p, &dst, pcap_datalink(pc), data, h->caplen, h->len, h->ts, false) != DEC_OK)
            continue;
        if (p.proto != 6 || (p.flags & PKT_IS_FRAGMENT) || p.l4 == NULL)
            continue;
        f = ps_lookup(&ps, &p, &dir);
        if (f == NULL) {
            ps.unmatched_pkts++;
            continue;
        }
        tcp_state_packet(ps.ctx, &f->s, f, &p, dir);
    }
    if (r == -1) {
        fprintf(stderr, "pcap-stream: %s: %s\n", argv[optind], pcap_geterr(pc));
        goto out;
    }
    for (unsigned i = 0; i < ps.nflows; i++)
        tcp_state_session_end(ps.ctx, &ps.flows[i].s);
    if (ps_dump(&ps, argv[optind + 1]) != 0) {
        fprintf(stderr, "pcap-stream: %s: cannot write: %s\n", argv[optind + 1], strerror(errno));
        goto out;
    }
    rc = 0;
    goto out;
usage:
    fprintf(stderr, "usage: pcap-stream [-p content] [-w window] [-d depth] [-m] in.pcap outdir\n");
out:
    for (unsigned i = 0; i < ps.nflows; i++) {
        free(ps.flows[i].buf[0]);
        free(ps.flows[i].buf[1]);
    }
    tcp_ctx_free(ps.ctx);
    if (pc != NULL)
        pcap_close(pc);
    return rc;
}
