/* Unit tests for sensor/capture/cap_pcap.c: the mmap reader must hand out
 * exactly what libpcap's pcap_next_ex does (time, lengths, bytes) for every
 * capture of the corpus, for hand-made files in all four classic magic
 * variants, through a BPF filter, and after cap_reopen (readers sharing one
 * mapping at different paces, over many release steps); a truncated file
 * is a read error for both; pcapng goes through libpcap. */
#include "../runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/cap_pcap.h"

#define CORPUS "../shared/corpus/pcaps"

/* Reads path with both readers (bpf may be NULL); returns packets compared,
 * or -1 on the first difference. *rc_cap gets cap_next's final code. */
static long compare_with_libpcap(const char *path, const char *bpf, int *rc_cap)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    struct cap *c = cap_open_offline(path, bpf);
    struct bpf_program prog;
    long n = 0;

    if (p == NULL || c == NULL) {
        fprintf(stderr, "%s: cannot open\n", path);
        n = -1;
        goto out;
    }
    if (bpf != NULL) {
        if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
            n = -1;
            goto out;
        }
        pcap_freecode(&prog);
    }
    if (cap_datalink(c) != pcap_datalink(p)) {
        n = -1;
        goto out;
    }
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *d;
        struct timeval ts;
        uint32_t caplen, len;
        const uint8_t *data;
        int a = pcap_next_ex(p, &h, &d);
        int b = cap_next(c, &ts, &caplen, &len, &data);

        *rc_cap = b;
        if (a != 1 || b != 1) {
            /* both end together: EOF (-2 / -1) or an error (-1 / -2) */
            if (!((a == PCAP_ERROR_BREAK && b == -1) || (a == PCAP_ERROR && b == -2))) {
                fprintf(stderr, "%s: packet %ld: libpcap %d, cap_next %d\n", path, n, a, b);
                n = -1;
            }
            break;
        }
        if (ts.tv_sec != h->ts.tv_sec || ts.tv_usec != h->ts.tv_usec || caplen != h->caplen ||
            len != h->len || memcmp(data, d, caplen) != 0) {
            fprintf(stderr, "%s: packet %ld differs\n", path, n);
            n = -1;
            break;
        }
        n++;
    }
out:
    if (p != NULL)
        pcap_close(p);
    cap_close(c);
    return n;
}

TEST(cap_corpus_matches_libpcap)
{
    DIR *dir = opendir(CORPUS);
    struct dirent *e;
    int files = 0;
    long total = 0;

    if (dir == NULL)
        SKIP("no corpus at " CORPUS);
    while ((e = readdir(dir)) != NULL) {
        char path[512];
        int rc = 0;
        long n;

        if (strstr(e->d_name, ".pcap") == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", CORPUS, e->d_name);
        n = compare_with_libpcap(path, NULL, &rc);
        CHECK(n >= 0);
        CHECK_EQ_INT(rc, -1);
        total += n;
        files++;
    }
    closedir(dir);
    CHECK(files > 0);
    CHECK(total > 0);
}

TEST(cap_bpf_filter_matches_libpcap)
{
    const char *path = CORPUS "/ndpi-dns_fragmented.pcap";
    int rc = 0;

    if (access(path, R_OK) != 0)
        SKIP("no corpus capture ndpi-dns_fragmented.pcap");
    long all = compare_with_libpcap(path, NULL, &rc);
    long udp = compare_with_libpcap(path, "udp", &rc);
    long tcp = compare_with_libpcap(path, "tcp", &rc);
    CHECK(udp > 0 && tcp > 0);
    CHECK(udp + tcp <= all);
}

/* ---- hand-made files ---------------------------------------------------- */

static void put32(FILE *f, uint32_t v, bool swap)
{
    if (swap)
        v = __builtin_bswap32(v);
    fwrite(&v, 4, 1, f);
}

/* Three Ethernet frames; magic picks order and time resolution. cut: bytes
 * to leave off the end (a truncated file). */
static void write_pcap(const char *path, uint32_t magic, bool swap, bool nsec, size_t cut)
{
    FILE *f = fopen(path, "wb");
    uint8_t frame[80];

    put32(f, magic, swap);
    uint16_t ver[2] = { 2, 4 }; /* major, minor */
    for (int k = 0; k < 2; k++) {
        uint16_t x = swap ? __builtin_bswap16(ver[k]) : ver[k];
        fwrite(&x, 2, 1, f);
    }
    put32(f, 0, swap);
    put32(f, 0, swap);
    put32(f, 65535, swap);
    put32(f, 1, swap); /* LINKTYPE_ETHERNET */
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t caplen = 60 + i * 7;
        for (size_t k = 0; k < sizeof(frame); k++)
            frame[k] = (uint8_t)(k * 31 + i);
        put32(f, 1700000000 + i, swap);
        put32(f, nsec ? 123456789u + i : 123456u + i, swap);
        put32(f, caplen, swap);
        put32(f, caplen + 100, swap);
        fwrite(frame, 1, caplen, f);
    }
    fclose(f);
    if (cut > 0) {
        FILE *g = fopen(path, "rb+");
        fseek(g, 0, SEEK_END);
        long sz = ftell(g);
        fclose(g);
        CHECK(truncate(path, sz - (long)cut) == 0);
    }
}

TEST(cap_magic_variants_match_libpcap)
{
    static const struct { uint32_t magic; bool swap, nsec; } v[] = {
        { 0xa1b2c3d4, false, false }, { 0xa1b2c3d4, true, false },
        { 0xa1b23c4d, false, true },  { 0xa1b23c4d, true, true },
    };
    char path[] = "/tmp/canh-cap-XXXXXX";
    int fd = mkstemp(path);

    CHECK(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        int rc = 0;
        write_pcap(path, v[i].magic, v[i].swap, v[i].nsec, 0);
        CHECK_EQ_INT(compare_with_libpcap(path, NULL, &rc), 3);
        CHECK_EQ_INT(rc, -1);
        /* nanosecond stamps come out as microseconds */
        struct cap *c = cap_open_offline(path, NULL);
        struct timeval ts;
        uint32_t caplen, len;
        const uint8_t *data;
        CHECK(c != NULL);
        CHECK_EQ_INT(cap_next(c, &ts, &caplen, &len, &data), 1);
        CHECK_EQ_INT(ts.tv_usec, 123456);
        CHECK_EQ_INT(caplen, 60);
        CHECK_EQ_INT(len, 160);
        cap_close(c);
    }
    unlink(path);
}

TEST(cap_truncated_file_is_an_error)
{
    char path[] = "/tmp/canh-cap-XXXXXX";
    int fd = mkstemp(path);

    CHECK(fd >= 0);
    close(fd);
    /* cut inside the last packet's data, then inside its record header */
    for (size_t cut = 5; cut <= 80; cut += 75) {
        int rc = 0;
        write_pcap(path, 0xa1b2c3d4, false, false, cut);
        CHECK_EQ_INT(compare_with_libpcap(path, NULL, &rc), 2);
        CHECK_EQ_INT(rc, -2);
    }
    unlink(path);
}

TEST(cap_reopen_reads_from_the_start)
{
    char path[] = "/tmp/canh-cap-XXXXXX";
    int fd = mkstemp(path);
    struct timeval ts;
    uint32_t caplen, len;
    const uint8_t *data;

    CHECK(fd >= 0);
    close(fd);
    write_pcap(path, 0xa1b2c3d4, false, false, 0);
    struct cap *a = cap_open_offline(path, NULL);
    CHECK(a != NULL);
    CHECK_EQ_INT(cap_next(a, &ts, &caplen, &len, &data), 1);
    CHECK_EQ_INT(cap_next(a, &ts, &caplen, &len, &data), 1);
    struct cap *b = cap_reopen(a);
    CHECK(b != NULL);
    CHECK_EQ_INT(cap_next(b, &ts, &caplen, &len, &data), 1);
    CHECK_EQ_INT(ts.tv_sec, 1700000000);
    CHECK_EQ_INT(cap_next(a, &ts, &caplen, &len, &data), 1);
    CHECK_EQ_INT(ts.tv_sec, 1700000002);
    CHECK_EQ_INT(cap_next(a, &ts, &caplen, &len, &data), -1);
    struct cap_stats st;
    cap_get_stats(a, &st);
    CHECK_EQ_INT(st.received, 3);
    cap_close(a);
    cap_close(b);
    unlink(path);
}

/* A byte-swapped nanosecond file of n 1,400-byte frames, each different. */
static void write_big_pcap(const char *path, uint32_t n)
{
    FILE *f = fopen(path, "wb");
    static uint8_t frame[1400];

    put32(f, 0xa1b23c4d, true);
    uint16_t ver[2] = { __builtin_bswap16(2), __builtin_bswap16(4) };
    fwrite(ver, 2, 2, f);
    put32(f, 0, true);
    put32(f, 0, true);
    put32(f, 65535, true);
    put32(f, 1, true);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t caplen = 64 + (i * 97) % (uint32_t)(sizeof(frame) - 64);
        for (size_t k = 0; k < caplen; k++)
            frame[k] = (uint8_t)(k * 131 + i * 7);
        put32(f, 1700000000 + i / 1000, true);
        put32(f, (i % 1000) * 1000000u + 999u, true);
        put32(f, caplen, true);
        put32(f, caplen + 4, true);
        fwrite(frame, 1, caplen, f);
    }
    fclose(f);
}

/* One packet of reader c against libpcap's next: 1 same, 0 both at the end,
 * -1 a difference. */
static int step_same(struct cap *c, pcap_t *p)
{
    struct pcap_pkthdr *h;
    const u_char *d;
    struct timeval ts;
    uint32_t caplen, len;
    const uint8_t *data;
    int a = pcap_next_ex(p, &h, &d), b = cap_next(c, &ts, &caplen, &len, &data);

    if (a != 1 || b != 1)
        return a == PCAP_ERROR_BREAK && b == -1 ? 0 : -1;
    return ts.tv_sec == h->ts.tv_sec && ts.tv_usec == h->ts.tv_usec && caplen == h->caplen &&
                   len == h->len && memcmp(data, d, caplen) == 0 ? 1 : -1;
}

/* Three readers of one mapping (cap_reopen), at paces 5:2:1 over ~110 MB
 * (many release steps; the slowest falls more than 64 MB behind, so it maps
 * pages again itself), each packet as libpcap reads it; a reader that joins
 * the mapping gets the file's byte order and time resolution. */
TEST(cap_readers_share_one_mapping)
{
    char path[] = "/tmp/canh-cap-XXXXXX";
    int fd = mkstemp(path);
    char err[PCAP_ERRBUF_SIZE];
    const uint32_t n = 150000;
    static const int pace[3] = { 5, 2, 1 };
    struct cap *c[3];
    pcap_t *p[3];
    long got[3] = { 0, 0, 0 };
    bool done[3] = { false, false, false };

    CHECK(fd >= 0);
    close(fd);
    write_big_pcap(path, n);
    c[0] = cap_open_offline(path, NULL);
    CHECK(c[0] != NULL);
    c[1] = cap_reopen(c[0]);
    c[2] = cap_reopen(c[1]);
    for (int i = 0; i < 3; i++) {
        CHECK(c[i] != NULL);
        p[i] = pcap_open_offline(path, err);
        CHECK(p[i] != NULL);
    }
    while (!done[0] || !done[1] || !done[2]) {
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < pace[i] && !done[i]; k++) {
                int r = step_same(c[i], p[i]);
                if (r < 0)
                    fprintf(stderr, "reader %d: packet %ld differs\n", i, got[i]);
                if (r == 1)
                    got[i]++;
                else
                    done[i] = true;
            }
        }
    }
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(got[i], n);
        cap_close(c[i]);
        pcap_close(p[i]);
    }
    unlink(path);
}

/* Whether the page holding a is mapped in this process (/proc/self/pagemap
 * bit 63), or -1 when pagemap cannot be read. */
static int page_mapped(const void *a)
{
    long ps = sysconf(_SC_PAGESIZE);
    uint64_t e = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    int r = -1;

    if (fd < 0)
        return -1;
    if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)a / (uintptr_t)ps * sizeof(e))) == sizeof(e))
        r = (int)(e >> 63);
    close(fd);
    return r;
}

/* Reads c until it is `bytes` past `from`; returns its last packet. */
static const uint8_t *read_past(struct cap *c, const uint8_t *from, size_t bytes)
{
    struct timeval ts;
    uint32_t caplen, len;
    const uint8_t *data = from;

    while ((size_t)(data - from) < bytes && cap_next(c, &ts, &caplen, &len, &data) == 1)
        ;
    return data;
}

/* Pages go back behind the slowest reader of a mapping, never behind the
 * fastest alone. */
TEST(cap_shared_mapping_releases_behind_the_slowest)
{
    char path[] = "/tmp/canh-cap-XXXXXX";
    int fd = mkstemp(path);
    struct timeval ts;
    uint32_t caplen, len;
    const uint8_t *first, *fast, *slow;

    CHECK(fd >= 0);
    close(fd);
    write_big_pcap(path, 40000);
    struct cap *a = cap_open_offline(path, NULL);
    struct cap *b = cap_reopen(a);
    CHECK(a != NULL && b != NULL);
    CHECK_EQ_INT(cap_next(b, &ts, &caplen, &len, &first), 1);
    CHECK_EQ_INT(cap_next(a, &ts, &caplen, &len, &fast), 1);
    CHECK(fast == first);   /* one mapping */
    if (page_mapped(first) < 0) {
        cap_close(a);
        cap_close(b);
        unlink(path);
        SKIP("/proc/self/pagemap cannot be read");
    }
    /* a runs 20 MB ahead: b, at the start, holds every page */
    fast = read_past(a, fast, 20u << 20);
    CHECK_EQ_INT(page_mapped(first), 1);
    CHECK_EQ_INT(page_mapped(first + (8u << 20)), 1);
    /* b follows to 12 MB: what both are done with (below 8 MB) goes back,
     * what a read past b's position stays */
    slow = read_past(b, first, 12u << 20);
    (void)read_past(a, fast, 2u << 20);   /* a steps on and releases */
    CHECK_EQ_INT(page_mapped(first), 0);
    CHECK_EQ_INT(page_mapped(slow + (4u << 20)), 1);
    cap_close(a);
    cap_close(b);
    unlink(path);
}

/* A reader more than 64 MB behind holds no pages: the leader hands them
 * back, the laggard maps what it reads again and hands that back behind
 * itself. */
TEST(cap_shared_mapping_bounds_the_window)
{
    char path[] = "/tmp/canh-cap-XXXXXX";
    int fd = mkstemp(path);
    struct timeval ts;
    uint32_t caplen, len;
    const uint8_t *first, *fast, *slow;

    CHECK(fd >= 0);
    close(fd);
    write_big_pcap(path, 150000);
    struct cap *a = cap_open_offline(path, NULL);
    struct cap *b = cap_reopen(a);
    CHECK(a != NULL && b != NULL);
    CHECK_EQ_INT(cap_next(b, &ts, &caplen, &len, &first), 1);
    CHECK_EQ_INT(cap_next(a, &ts, &caplen, &len, &fast), 1);
    if (page_mapped(first) < 0) {
        cap_close(a);
        cap_close(b);
        unlink(path);
        SKIP("/proc/self/pagemap cannot be read");
    }
    fast = read_past(a, fast, 90u << 20);
    CHECK_EQ_INT(page_mapped(first), 0);                     /* 90 MB behind: released */
    CHECK_EQ_INT(page_mapped(first + (20u << 20)), 0);
    CHECK_EQ_INT(page_mapped(fast - (8u << 20)), 1);          /* inside the window */
    /* the laggard reads 12 MB: mapped again, then handed back behind it */
    slow = read_past(b, first, 12u << 20);
    CHECK_EQ_INT(page_mapped(first), 0);
    CHECK_EQ_INT(page_mapped(first + (2u << 20)), 0);
    CHECK_EQ_INT(page_mapped(slow), 1);
    CHECK_EQ_INT(page_mapped(fast - (8u << 20)), 1);
    cap_close(a);
    cap_close(b);
    unlink(path);
}

/* A minimal pcapng (section header, interface, one enhanced packet): not a
 * classic pcap, so it is read through libpcap. */
TEST(cap_pcapng_goes_through_libpcap)
{
    char path[] = "/tmp/canh-cap-XXXXXX";
    int fd = mkstemp(path);
    uint8_t frame[64];
    FILE *f;

    CHECK(fd >= 0);
    close(fd);
    memset(frame, 0xab, sizeof(frame));
    f = fopen(path, "wb");
    uint32_t shb[] = { 0x0a0d0d0a, 28, 0x1a2b3c4d, 0x00000001, 0xffffffff, 0xffffffff, 28 };
    uint32_t idb[] = { 1, 20, 1 /* linktype 1, reserved 0 */, 65535, 20 };
    uint32_t epb[] = { 6, 32 + 64, 0, 0, 5000000, 64, 64 };
    fwrite(shb, sizeof(shb), 1, f);
    fwrite(idb, sizeof(idb), 1, f);
    fwrite(epb, sizeof(epb), 1, f);
    fwrite(frame, sizeof(frame), 1, f);
    uint32_t tail = 32 + 64;
    fwrite(&tail, 4, 1, f);
    fclose(f);

    struct cap *c = cap_open_offline(path, NULL);
    struct timeval ts;
    uint32_t caplen, len;
    const uint8_t *data;
    CHECK(c != NULL);
    if (c != NULL) {
        CHECK_EQ_INT(cap_next(c, &ts, &caplen, &len, &data), 1);
        CHECK_EQ_INT(caplen, 64);
        CHECK_EQ_INT(ts.tv_sec, 5);
        CHECK(data[0] == 0xab);
        CHECK_EQ_INT(cap_next(c, &ts, &caplen, &len, &data), -1);
    }
    cap_close(c);
    unlink(path);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
