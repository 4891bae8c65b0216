/* cap_pcap: the libpcap glue (the only file that calls pcap_*). Offline
 * reads count packets themselves; live reads take kernel counters from
 * pcap_stats, which on Linux are cumulative since activation.
 *
 * Classic pcap files (either byte order, micro- or nanosecond stamps) are
 * read from a read-only mmap by walking the record headers: no fread copy
 * per packet, and several readers can walk the same file at once (one per
 * worker, see cap_loop.c). libpcap still opens the file, for the link type
 * and to compile BPF (applied with pcap_offline_filter). Other formats
 * (pcapng) go through pcap_next_ex.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pcap/pcap.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/cap_pcap.h"
#include "log.h"

/* libpcap's MAXIMUM_SNAPLEN: a larger record length means a corrupt file. */
#define CAP_MAX_CAPLEN 262144u
#define CAP_FILE_HDR   24u
#define CAP_REC_HDR    16u
/* Read pages are unmapped from the process behind the cursor in steps of
 * this size: they stay in the page cache, but do not count as this
 * process's memory (RSS) nor pile up page tables over a large file. */
#define CAP_RELEASE_STEP (4u << 20)

struct cap {
    pcap_t *p;
    bool live;
    uint64_t read;
    char *path, *bpf;          /* offline: to open the file again */
    char *iface;               /* live: to open another handle (fan-out) */
    struct cap_live_cfg lcfg;
    /* mmap reader (offline, classic pcap); map == NULL otherwise */
    const uint8_t *map;
    size_t map_len, off;
    size_t released;           /* pages below this were handed back (MADV_DONTNEED) */
    uint32_t snap;             /* the file's snapshot length, as libpcap adjusts it */
    bool swapped, nsec;
    volatile sig_atomic_t brk; /* cap_break */
    int fd;                    /* live: pcap's selectable fd (non-blocking) */
    bool has_filter;
    struct bpf_program prog;
    struct pcap_pkthdr hdr;    /* of the last packet, for the filter */
};

static int cap_set_filter(struct cap *c, const char *what, const char *bpf)
{
    int rc = 0;

    if (bpf == NULL || bpf[0] == '\0')
        return 0;
    if (pcap_compile(c->p, &c->prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        log_error("capture", "%s: BPF filter \"%s\": %s", what, bpf, pcap_geterr(c->p));
        return -1;
    }
    c->has_filter = true;
    if (c->map == NULL && pcap_setfilter(c->p, &c->prog) != 0) {
        log_error("capture", "%s: cannot set BPF filter: %s", what, pcap_geterr(c->p));
        rc = -1;
    }
    return rc;
}

static inline uint32_t cap_rd32(const uint8_t *b, bool swapped)
{
    uint32_t v;

    memcpy(&v, b, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

/* Map the file when it is a classic pcap; otherwise leave map NULL (the
 * libpcap path reads it). Failures here are not errors: libpcap decides. */
static void cap_try_map(struct cap *c, const char *path)
{
    struct stat st;
    uint32_t magic;
    void *m;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < CAP_FILE_HDR ||
        (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return;
    }
    m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return;
    memcpy(&magic, m, 4);
    switch (magic) {
    case 0xa1b2c3d4: break;
    case 0xa1b23c4d: c->nsec = true; break;
    case 0xd4c3b2a1: c->swapped = true; break;
    case 0x4d3cb2a1: c->swapped = c->nsec = true; break;
    default:
        munmap(m, (size_t)st.st_size);
        return;
    }
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    /* like libpcap: a missing or oversized snapshot length means the maximum */
    c->snap = cap_rd32((const uint8_t *)m + 16, c->swapped);
    if (c->snap == 0 || c->snap > CAP_MAX_CAPLEN)
        c->snap = CAP_MAX_CAPLEN;
    c->map = m;
    c->map_len = (size_t)st.st_size;
    c->off = CAP_FILE_HDR;
}

struct cap *cap_open_offline(const char *path, const char *bpf)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    struct cap *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->path = strdup(path);
    c->bpf = bpf != NULL ? strdup(bpf) : NULL;
    if (c->path == NULL || (bpf != NULL && c->bpf == NULL))
        goto fail;
    c->p = pcap_open_offline(path, err);
    if (c->p == NULL) {
        log_error("capture", "%s: cannot read capture file: %s", path, err);
        goto fail;
    }
    cap_try_map(c, path);
    if (cap_set_filter(c, path, bpf) != 0)
        goto fail;
    return c;
fail:
    cap_close(c);
    return NULL;
}

struct cap *cap_reopen(const struct cap *c)
{
    if (c->live)
        return c->iface != NULL ? cap_open_live(c->iface, &c->lcfg, c->bpf) : NULL;
    if (c->path == NULL)
        return NULL;
    return cap_open_offline(c->path, c->bpf);
}

int cap_join_fanout(struct cap *c, uint16_t group)
{
#ifdef PACKET_FANOUT
    /* hash of the IP pair and ports (symmetric in the kernel), fragments
     * reassembled for the hash only, so every fragment reaches the owner */
    uint32_t arg = (uint32_t)group | ((uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);

    if (!c->live || c->p == NULL)
        return -1;
    if (setsockopt(pcap_fileno(c->p), SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
        log_notice("capture", "%s: PACKET_FANOUT group %u: %m; one capture thread feeds the workers",
                   c->iface != NULL ? c->iface : "?", group);
        return -1;
    }
    return 0;
#else
    (void)c;
    (void)group;
    return -1;
#endif
}

struct cap *cap_open_live(const char *iface, const struct cap_live_cfg *cfg, const char *bpf)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    struct cap *c = calloc(1, sizeof(*c));
    int rc;

    if (c == NULL)
        return NULL;
    c->live = true;
    c->iface = strdup(iface);
    c->lcfg = *cfg;
    if (bpf != NULL && bpf[0] != '\0')
        c->bpf = strdup(bpf);
    c->p = pcap_create(iface, err);
    if (c->p == NULL) {
        log_error("capture", "%s: %s", iface, err);
        goto fail;
    }
    pcap_set_snaplen(c->p, cfg->snaplen);
    pcap_set_promisc(c->p, cfg->promisc ? 1 : 0);
    pcap_set_timeout(c->p, 100);
    if (cfg->buffer_size > 0)
        pcap_set_buffer_size(c->p, (int)(cfg->buffer_size > INT32_MAX ? INT32_MAX : cfg->buffer_size));
    rc = pcap_activate(c->p);
    if (rc < 0) {
        log_error("capture", "%s: cannot start capture: %s%s", iface, pcap_geterr(c->p),
                  rc == PCAP_ERROR_PERM_DENIED ? " (run as root or grant CAP_NET_RAW)" : "");
        goto fail;
    }
    if (rc > 0)
        log_warning("capture", "%s: %s", iface, pcap_statustostr(rc));
    if (cap_set_filter(c, iface, bpf) != 0)
        goto fail;
    /* With TPACKET_V3 the 100 ms timeout only retires a block that holds
     * packets: on an idle link pcap_next_ex would block for ever (no stats,
     * no stop on SIGTERM). Non-blocking reads plus our own bounded poll in
     * cap_next keep the loop turning. */
    if (pcap_setnonblock(c->p, 1, err) != 0 || (c->fd = pcap_get_selectable_fd(c->p)) < 0) {
        log_error("capture", "%s: cannot make the capture non-blocking: %s", iface, err);
        goto fail;
    }
    return c;
fail:
    cap_close(c);
    return NULL;
}

void cap_close(struct cap *c)
{
    if (c == NULL)
        return;
    if (c->has_filter)
        pcap_freecode(&c->prog);
    if (c->p != NULL)
        pcap_close(c->p);
    if (c->map != NULL)
        munmap((void *)c->map, c->map_len);
    free(c->path);
    free(c->bpf);
    free(c->iface);
    free(c);
}

/* The next record of the mapped file, as pcap_next_ex would return it. */
static int cap_next_mapped(struct cap *c, struct timeval *ts, uint32_t *caplen, uint32_t *len,
                           const uint8_t **data)
{
    if (c->off - c->released >= CAP_RELEASE_STEP) {
        /* the previous record is no longer in use: everything before off is free */
        size_t end = c->off & ~(size_t)(CAP_RELEASE_STEP - 1);
        if (end > c->released) {
            madvise((void *)(c->map + c->released), end - c->released, MADV_DONTNEED);
            c->released = end;
        }
    }
    for (;;) {
        size_t left = c->map_len - c->off;
        const uint8_t *h = c->map + c->off;
        uint32_t cl, frac;

        if (left == 0 || c->brk)
            return -1;
        if (left < CAP_REC_HDR) {
            log_error("capture", "%s: truncated dump file; tried to read %u header bytes, only got %zu",
                      c->path, CAP_REC_HDR, left);
            return -2;
        }
        cl = cap_rd32(h + 8, c->swapped);
        if (cl > CAP_MAX_CAPLEN) {
            log_error("capture", "%s: invalid packet capture length %u at offset %zu (corrupt file)",
                      c->path, cl, c->off);
            return -2;
        }
        if (left - CAP_REC_HDR < cl) {
            log_error("capture", "%s: truncated dump file; tried to read %u captured bytes, only got %zu",
                      c->path, cl, left - CAP_REC_HDR);
            return -2;
        }
        frac = cap_rd32(h + 4, c->swapped);
        c->hdr.ts.tv_sec = (time_t)cap_rd32(h, c->swapped);
        c->hdr.ts.tv_usec = (suseconds_t)(c->nsec ? frac / 1000u : frac);
        /* a record longer than the snapshot length is cut to it, as libpcap does */
        c->hdr.caplen = cl > c->snap ? c->snap : cl;
        c->hdr.len = cap_rd32(h + 12, c->swapped);
        c->off += CAP_REC_HDR + cl;
        if (c->has_filter && pcap_offline_filter(&c->prog, &c->hdr, h + CAP_REC_HDR) == 0)
            continue;
        *ts = c->hdr.ts;
        *caplen = c->hdr.caplen;
        *len = c->hdr.len;
        *data = h + CAP_REC_HDR;
        c->read++;
        return 1;
    }
}

int cap_next(struct cap *c, struct timeval *ts, uint32_t *caplen, uint32_t *len,
             const uint8_t **data)
{
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc;

    if (c->map != NULL)
        return cap_next_mapped(c, ts, caplen, len, data);
    rc = pcap_next_ex(c->p, &h, &d);
    if (rc == 0 && c->live) {
        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
        if (poll(&pfd, 1, 100) > 0)
            rc = pcap_next_ex(c->p, &h, &d);
    }
    if (rc == 1) {
        *ts = h->ts;
        *caplen = h->caplen;
        *len = h->len;
        *data = d;
        c->read++;
        return 1;
    }
    if (rc == 0)
        return 0;
    if (rc == PCAP_ERROR_BREAK)
        return -1;
    log_error("capture", "read error: %s", pcap_geterr(c->p));
    return -2;
}

void cap_break(struct cap *c)
{
    c->brk = 1;
    pcap_breakloop(c->p);
}

int cap_datalink(const struct cap *c)
{
    return pcap_datalink(c->p);
}

bool cap_is_live(const struct cap *c)
{
    return c->live;
}

void cap_get_stats(struct cap *c, struct cap_stats *out)
{
    struct pcap_stat ps;

    memset(out, 0, sizeof(*out));
    if (!c->live) {
        out->received = c->read;
        return;
    }
    if (pcap_stats(c->p, &ps) == 0) {
        out->received = ps.ps_recv;
        out->dropped = ps.ps_drop;
        out->ifdropped = ps.ps_ifdrop;
    }
}

const char *cap_lib_version(void)
{
    return pcap_lib_version();
}
