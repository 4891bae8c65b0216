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
 *
 * The readers of one file (cap_reopen) share one mapping (struct cap_map):
 * its pages are faulted in once, by the leading reader, and handed back
 * (MADV_DONTNEED) behind the slowest one. Each reader publishes how far it
 * has read once per CAP_CHECK_STEP bytes, not per packet, in a slot of its
 * own cache line. (Mapping ahead with MADV_POPULATE_READ was measured: it
 * costs more than the page faults it saves, which map 64 KB each.)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pcap/pcap.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdatomic.h>
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
/* Read pages are unmapped from the process behind the slowest reader in
 * steps of this size: they stay in the page cache, but do not count as
 * this process's memory (RSS) nor pile up page tables over a large file. */
#define CAP_RELEASE_STEP (4u << 20)
/* A reader publishes its position (and releases) once per this many bytes
 * read. */
#define CAP_CHECK_STEP (1u << 20)
/* A reader this far behind the leading one no longer holds pages mapped
 * for it (see cap_map_step): the mapped window of a file stays under this
 * plus a few steps. */
#define CAP_LAG_MAX ((size_t)64 << 20)
/* Readers that can share one mapping; more get a mapping of their own. */
#define CAP_MAP_READERS 64
/* Each record header asks for the cache line this far ahead: the walk
 * from header to header is a chain of dependent loads, and the hardware
 * prefetcher stops at every 4 KB page (skip path of a reader -10%). */
#define CAP_PREFETCH 4096
#define CAP_CACHE_LINE 64

/* One read-only mapping of a classic pcap file and its readers. */
struct cap_map {
    const uint8_t *base;
    size_t len;
    atomic_int refs;
    atomic_int nslots;          /* reader slots handed out */
    atomic_size_t released;     /* pages below were handed back */
    struct {
        /* bytes below this the reader no longer needs; SIZE_MAX once closed */
        _Alignas(CAP_CACHE_LINE) atomic_size_t pos;
    } slot[CAP_MAP_READERS];
};

struct cap {
    pcap_t *p;
    bool live;
    uint64_t read;
    char *path, *bpf;          /* offline: to open the file again */
    char *iface;               /* live: to open another handle (fan-out) */
    struct cap_live_cfg lcfg;
    /* mmap reader (offline, classic pcap); map == NULL otherwise */
    struct cap_map *map;
    const uint8_t *base;       /* map->base */
    size_t map_len, off;
    size_t next_check;         /* off at which to publish and release */
    size_t own_released;       /* behind map->released: pages below were handed back */
    int slot;                  /* this reader's slot in map */
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

/* A struct cap on cache lines of its own: readers on different threads
 * write their handles per packet. */
static struct cap *cap_alloc(void)
{
    size_t sz = (sizeof(struct cap) + CAP_CACHE_LINE - 1) & ~(size_t)(CAP_CACHE_LINE - 1);
    struct cap *c = aligned_alloc(CAP_CACHE_LINE, sz);

    if (c != NULL)
        memset(c, 0, sizeof(*c));
    return c;
}

/* Join c to m as a new reader from the first record; false when m is full. */
static bool cap_map_join(struct cap *c, struct cap_map *m)
{
    int i = atomic_fetch_add(&m->nslots, 1);

    if (i >= CAP_MAP_READERS) {
        atomic_fetch_sub(&m->nslots, 1);
        return false;
    }
    atomic_store(&m->slot[i].pos, (size_t)CAP_FILE_HDR);
    atomic_fetch_add(&m->refs, 1);
    c->map = m;
    c->base = m->base;
    c->map_len = m->len;
    c->off = CAP_FILE_HDR;
    c->next_check = 0;
    c->slot = i;
    return true;
}

static void cap_map_leave(struct cap *c)
{
    struct cap_map *m = c->map;

    if (m == NULL)
        return;
    atomic_store_explicit(&m->slot[c->slot].pos, SIZE_MAX, memory_order_release);
    c->map = NULL;
    if (atomic_fetch_sub(&m->refs, 1) == 1) {
        munmap((void *)m->base, m->len);
        free(m);
    }
}

/* Map the file when it is a classic pcap; otherwise leave map NULL (the
 * libpcap path reads it). Failures here are not errors: libpcap decides. */
static void cap_try_map(struct cap *c, const char *path)
{
    struct stat st;
    uint32_t magic;
    struct cap_map *m;
    void *p;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < CAP_FILE_HDR ||
        (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return;
    memcpy(&magic, p, 4);
    switch (magic) {
    case 0xa1b2c3d4: break;
    case 0xa1b23c4d: c->nsec = true; break;
    case 0xd4c3b2a1: c->swapped = true; break;
    case 0x4d3cb2a1: c->swapped = c->nsec = true; break;
    default:
        munmap(p, (size_t)st.st_size);
        return;
    }
    m = aligned_alloc(CAP_CACHE_LINE, sizeof(*m));
    if (m == NULL) {
        munmap(p, (size_t)st.st_size);
        return;
    }
    memset(m, 0, sizeof(*m));
    madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
    m->base = p;
    m->len = (size_t)st.st_size;
    /* like libpcap: a missing or oversized snapshot length means the maximum */
    c->snap = cap_rd32((const uint8_t *)p + 16, c->swapped);
    if (c->snap == 0 || c->snap > CAP_MAX_CAPLEN)
        c->snap = CAP_MAX_CAPLEN;
    cap_map_join(c, m);
}

/* like: a reader of the same file whose mapping to join instead of
 * mapping the file again (NULL: map it) */
static struct cap *cap_open_file(const char *path, const char *bpf, const struct cap *like)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    struct cap *c = cap_alloc();

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
    if (like != NULL && like->map != NULL && cap_map_join(c, like->map)) {
        c->snap = like->snap;
        c->swapped = like->swapped;
        c->nsec = like->nsec;
    } else {
        cap_try_map(c, path);
    }
    if (cap_set_filter(c, path, bpf) != 0)
        goto fail;
    return c;
fail:
    cap_close(c);
    return NULL;
}

struct cap *cap_open_offline(const char *path, const char *bpf)
{
    return cap_open_file(path, bpf, NULL);
}

struct cap *cap_reopen(const struct cap *c)
{
    if (c->live)
        return c->iface != NULL ? cap_open_live(c->iface, &c->lcfg, c->bpf) : NULL;
    if (c->path == NULL)
        return NULL;
    return cap_open_file(c->path, c->bpf, c);
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
    struct cap *c = cap_alloc();
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
    cap_map_leave(c);
    free(c->path);
    free(c->bpf);
    free(c->iface);
    free(c);
}

/* Once per CAP_CHECK_STEP bytes read: publish how far this reader is and
 * hand back what every reader of the mapping is done with. A reader more
 * than CAP_LAG_MAX behind the one calling does not hold pages back: it
 * faults them in again as it reads and hands those back itself, behind its
 * own position, so the mapped window stays bounded however far apart the
 * readers drift (they never wait for each other). Out of line: the
 * per-packet callers (cap_next, cap_record) then save few registers. */
__attribute__((noinline)) static void cap_map_step(struct cap *c)
{
    struct cap_map *m = c->map;
    size_t lo = SIZE_MAX, want, old;
    int n = atomic_load_explicit(&m->nslots, memory_order_relaxed);

    /* the previous record is no longer in use: everything before off is free */
    atomic_store_explicit(&m->slot[c->slot].pos, c->off, memory_order_release);
    for (int i = 0; i < n && i < CAP_MAP_READERS; i++) {
        size_t p = atomic_load_explicit(&m->slot[i].pos, memory_order_acquire);
        lo = p < lo ? p : lo;
    }
    if (c->off > CAP_LAG_MAX && lo < c->off - CAP_LAG_MAX)
        lo = c->off - CAP_LAG_MAX;
    want = lo & ~(size_t)(CAP_RELEASE_STEP - 1);
    old = atomic_load_explicit(&m->released, memory_order_relaxed);
    if (want > old && atomic_compare_exchange_strong(&m->released, &old, want))
        madvise((void *)(m->base + old), want - old, MADV_DONTNEED);
    else if (c->off < old) {
        /* behind the released mark: what this reader mapped again since
         * the previous step (or since it fell behind) is its own to free */
        want = c->off & ~(size_t)(CAP_RELEASE_STEP - 1);
        if (c->own_released == 0)
            c->own_released = c->off > CAP_CHECK_STEP
                                  ? (c->off - CAP_CHECK_STEP) & ~(size_t)(CAP_RELEASE_STEP - 1) : 0;
        if (want > c->own_released) {
            madvise((void *)(m->base + c->own_released), want - c->own_released, MADV_DONTNEED);
            c->own_released = want;
        }
    } else {
        c->own_released = 0;
    }
    c->next_check = c->off + CAP_CHECK_STEP;
}

/* The record at off of the mapped file, checked as libpcap checks it, into
 * c->hdr and its stored length into *raw: 1, -1 at end of file, -2 when
 * truncated or corrupt (logged). */
static inline int cap_parse(struct cap *c, size_t off, uint32_t *raw)
{
    size_t left = c->map_len - off;
    const uint8_t *h = c->base + off;
    uint32_t cl, frac;

    if (left == 0)
        return -1;
    if (left < CAP_REC_HDR) {
        log_error("capture", "%s: truncated dump file; tried to read %u header bytes, only got %zu",
                  c->path, CAP_REC_HDR, left);
        return -2;
    }
    if (left > CAP_PREFETCH)
        __builtin_prefetch(h + CAP_PREFETCH);
    cl = cap_rd32(h + 8, c->swapped);
    if (cl > CAP_MAX_CAPLEN) {
        log_error("capture", "%s: invalid packet capture length %u at offset %zu (corrupt file)",
                  c->path, cl, off);
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
    *raw = cl;
    return 1;
}

/* The next record of the mapped file, as pcap_next_ex would return it. */
static int cap_next_mapped(struct cap *c, struct timeval *ts, uint32_t *caplen, uint32_t *len,
                           const uint8_t **data)
{
    if (c->off >= c->next_check)
        cap_map_step(c);
    for (;;) {
        const uint8_t *h = c->base + c->off;
        uint32_t cl;
        int rc;

        if (c->brk)
            return -1;
        rc = cap_parse(c, c->off, &cl);
        if (rc != 1)
            return rc;
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

bool cap_is_mapped(const struct cap *c)
{
    return c->map != NULL;
}

size_t cap_scan_begin(const struct cap *c)
{
    (void)c;
    return CAP_FILE_HDR;
}

const uint8_t *cap_scan_base(const struct cap *c)
{
    return c->base;
}

int cap_scan(struct cap *c, size_t *off, struct timeval *ts, uint32_t *caplen,
             const uint8_t **data)
{
    const uint8_t *h = c->base + *off;
    uint32_t cl;
    int rc = cap_parse(c, *off, &cl);

    if (rc != 1)
        return rc;
    *off += CAP_REC_HDR + cl;
    if (c->has_filter && pcap_offline_filter(&c->prog, &c->hdr, h + CAP_REC_HDR) == 0)
        return 0;
    *ts = c->hdr.ts;
    *caplen = c->hdr.caplen;
    *data = h + CAP_REC_HDR;
    return 1;
}

/* cap_record's once-per-MB step: every record before off is done with. */
__attribute__((noinline)) static void cap_record_step(struct cap *c, size_t off, size_t next)
{
    c->off = off;
    cap_map_step(c);
    c->off = next;
}

void cap_record(struct cap *c, size_t off, struct timeval *ts, uint32_t *caplen, uint32_t *len,
                const uint8_t **data)
{
    const uint8_t *h = c->base + off;
    uint32_t cl = cap_rd32(h + 8, c->swapped), frac = cap_rd32(h + 4, c->swapped);
    size_t next = off + CAP_REC_HDR + cl;

    ts->tv_sec = (time_t)cap_rd32(h, c->swapped);
    ts->tv_usec = (suseconds_t)(c->nsec ? frac / 1000u : frac);
    *caplen = cl > c->snap ? c->snap : cl;
    *len = cap_rd32(h + 12, c->swapped);
    *data = h + CAP_REC_HDR;
    c->read++;
    if (off >= c->next_check)
        cap_record_step(c, off, next);   /* last: a tail call, no registers saved */
    else
        c->off = next;
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
