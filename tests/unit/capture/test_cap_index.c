/* Unit tests for sensor/capture/cap_index.c: N readers (2-4, on threads of
 * their own) sharing one walk of a file must each get exactly what a walk
 * of their own with cap_next gives them (their packets by cap_hash % N, in
 * file order, with the same bytes, and a tick at the first packet of each
 * new second whoever owns it), through chunks that end mid-file, a ring
 * small enough to be reused many times while one reader lags, a BPF
 * filter, a corrupt record (the same error at the same place) and the
 * corpus. The .c is included with a small chunk and ring, so that a few
 * thousand records cross many chunks and refill every slot. */
#define CAP_INDEX_RECS  64u
#define CAP_INDEX_SLOTS 4u
#include "../../../sensor/capture/cap_index.c"

#include "../runner.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "capture/cap_hash.h"

#define CORPUS "../shared/corpus/pcaps"

/* One event: flags, time, lengths and a digest of the bytes. */
struct ev {
    int flags;
    struct timeval ts;
    uint32_t caplen, len;
    uint64_t digest;
};

struct evlist {
    struct ev *v;
    size_t n, cap;
    int rc;                 /* the final code: -1 end, -2 error */
    uint64_t seen;
    struct timeval last;
};

static uint64_t digest(const uint8_t *d, uint32_t n)
{
    uint64_t h = 1469598103934665603ull;

    for (uint32_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 1099511628211ull;
    return h;
}

static void ev_add(struct evlist *l, int flags, struct timeval ts, uint32_t caplen, uint32_t len,
                   const uint8_t *data)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n].flags = flags;
    l->v[l->n].ts = ts;
    l->v[l->n].caplen = (flags & CAP_INDEX_PACKET) ? caplen : 0;
    l->v[l->n].len = (flags & CAP_INDEX_PACKET) ? len : 0;
    l->v[l->n].digest = (flags & CAP_INDEX_PACKET) ? digest(data, caplen) : 0;
    l->n++;
}

/* What reader i of n saw before the shared walk: its own cap_next walk of
 * the whole file, the tick rule of cap_loop.c. */
static void reference(const char *path, const char *bpf, int n, int i, struct evlist *out)
{
    struct cap *c = cap_open_offline(path, bpf);
    struct timeval ts, tick = { 0, 0 }, last = { 0, 0 };
    uint32_t caplen, len;
    const uint8_t *data;
    int got;

    memset(out, 0, sizeof(*out));
    if (c == NULL) {
        out->rc = -3;
        return;
    }
    while ((got = cap_next(c, &ts, &caplen, &len, &data)) == 1) {
        int f = 0;
        out->seen++;
        if (ts.tv_sec > tick.tv_sec) {
            if (tick.tv_sec != 0)
                f |= CAP_INDEX_TICK;
            tick = ts;
        }
        if (timercmp(&ts, &last, >))
            last = ts;
        if (cap_hash(cap_datalink(c), data, caplen, false) % (uint32_t)n == (uint32_t)i)
            f |= CAP_INDEX_PACKET;
        if (f != 0)
            ev_add(out, f, ts, caplen, len, data);
    }
    out->rc = got;
    out->last = last;
    cap_close(c);
}

struct rd_arg {
    struct cap_index_reader *r;
    struct evlist out;
    unsigned slow_us;       /* sleep this long every 16 events: a lagging reader */
};

static void *rd_main(void *arg)
{
    struct rd_arg *a = arg;
    struct timeval ts;
    uint32_t caplen, len;
    const uint8_t *data;
    int f;

    while ((f = cap_index_next(a->r, &ts, &caplen, &len, &data)) > 0) {
        ev_add(&a->out, f, ts, caplen, len, data);
        if (a->slow_us != 0 && (a->out.n & 15) == 0)
            usleep(a->slow_us);
    }
    a->out.rc = f;
    cap_index_progress(a->r, &a->out.seen, &a->out.last);
    cap_index_leave(a->r);
    return NULL;
}

static bool same_events(const struct evlist *a, const struct evlist *b, const char *what, int i)
{
    if (a->n != b->n) {
        fprintf(stderr, "%s: reader %d: %zu events, reference %zu\n", what, i, a->n, b->n);
        return false;
    }
    for (size_t k = 0; k < a->n; k++) {
        const struct ev *x = &a->v[k], *y = &b->v[k];
        if (x->flags != y->flags || x->ts.tv_sec != y->ts.tv_sec || x->ts.tv_usec != y->ts.tv_usec ||
            x->caplen != y->caplen || x->len != y->len || x->digest != y->digest) {
            fprintf(stderr, "%s: reader %d: event %zu differs\n", what, i, k);
            return false;
        }
    }
    return true;
}

/* Runs n readers on threads over path; every reader must match its
 * reference, and end with want_rc (0: whatever the reference ends with).
 * Returns the packets all readers got, or -1. */
static long run_shared(const char *path, const char *bpf, int n, unsigned slow_us, int want_rc)
{
    atomic_bool stop = false;
    struct cap *caps[4] = { NULL };
    struct rd_arg a[4];
    pthread_t th[4];
    struct cap_index *ix = NULL;
    long total = 0;
    bool ok = true;

    memset(a, 0, sizeof(a));
    caps[0] = cap_open_offline(path, bpf);
    for (int i = 1; i < n && caps[0] != NULL; i++)
        caps[i] = cap_reopen(caps[0]);
    for (int i = 0; i < n; i++)
        if (caps[i] == NULL || !cap_is_mapped(caps[i]))
            return -1;
    ix = cap_index_new(n, cap_datalink(caps[0]), false, &stop);
    if (ix == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        a[i].r = cap_index_reader(ix, i, caps[i]);
        a[i].slow_us = i == 0 ? slow_us : 0;
        pthread_create(&th[i], NULL, rd_main, &a[i]);
    }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < n; i++) {
        struct evlist ref;
        reference(path, bpf, n, i, &ref);
        ok = ok && same_events(&a[i].out, &ref, path, i);
        if (a[i].out.rc != ref.rc || (want_rc != 0 && ref.rc != want_rc) || a[i].out.seen != ref.seen ||
            a[i].out.last.tv_sec != ref.last.tv_sec || a[i].out.last.tv_usec != ref.last.tv_usec) {
            fprintf(stderr, "%s: reader %d: rc %d/%d (want %d), seen %llu/%llu\n", path, i,
                    a[i].out.rc, ref.rc, want_rc, (unsigned long long)a[i].out.seen,
                    (unsigned long long)ref.seen);
            ok = false;
        }
        for (size_t k = 0; k < a[i].out.n; k++)
            total += (a[i].out.v[k].flags & CAP_INDEX_PACKET) != 0;
        free(ref.v);
        free(a[i].out.v);
        cap_close(caps[i]);
    }
    cap_index_free(ix);
    return ok ? total : -1;
}

static void put32(FILE *f, uint32_t v)
{
    fwrite(&v, 4, 1, f);
}

/* n Ethernet/IPv4 records between 24 address pairs (UDP or TCP), of 54 to
 * 200 bytes, 0.3 s apart (so ticks fall on many records); when bad is not
 * 0, record bad claims a capture length over libpcap's maximum. */
static void write_pcap(const char *path, uint32_t n, uint32_t bad)
{
    FILE *f = fopen(path, "wb");
    uint8_t fr[200];

    put32(f, 0xa1b2c3d4);
    put32(f, 0x00040002);
    put32(f, 0);
    put32(f, 0);
    put32(f, 65535);
    put32(f, 1);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t caplen = 54 + (i * 37) % 147;
        uint64_t us = (uint64_t)i * 300000u;
        memset(fr, 0, sizeof(fr));
        fr[12] = 0x08;
        fr[14] = 0x45;
        fr[23] = (i % 3 == 0) ? 17 : 6;
        fr[26] = 10;
        fr[29] = (uint8_t)(1 + i % 24);
        fr[30] = 10;
        fr[33] = (uint8_t)(100 + (i * 7) % 24);
        for (uint32_t k = 34; k < caplen; k++)
            fr[k] = (uint8_t)(k * 13 + i);
        put32(f, 1700000000u + (uint32_t)(us / 1000000));
        put32(f, (uint32_t)(us % 1000000));
        put32(f, bad != 0 && i == bad ? 300000u : caplen);
        put32(f, caplen + 10);
        fwrite(fr, 1, caplen, f);
    }
    fclose(f);
}

static char *tmp_pcap(void)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/canh-capix-XXXXXX");
    fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    return fd >= 0 ? path : NULL;
}

TEST(cap_index_readers_match_their_own_walk)
{
    char *path = tmp_pcap();

    CHECK(path != NULL);
    /* 5,000 records: 78 full chunks of 64 and one that ends mid-way; 4
     * slots, each refilled about 20 times */
    write_pcap(path, 5000, 0);
    for (int n = 2; n <= 4; n++)
        CHECK_EQ_INT(run_shared(path, NULL, n, 0, -1), 5000);
    /* a file that ends exactly at a chunk's end: the last chunk is empty */
    write_pcap(path, 64 * 20, 0);
    CHECK_EQ_INT(run_shared(path, NULL, 3, 0, -1), 64 * 20);
    /* fewer records than one chunk */
    write_pcap(path, 5, 0);
    CHECK_EQ_INT(run_shared(path, NULL, 2, 0, -1), 5);
    unlink(path);
}

TEST(cap_index_lagging_reader_holds_the_ring)
{
    char *path = tmp_pcap();

    CHECK(path != NULL);
    /* reader 0 sleeps while the others run ahead: they must wait for it
     * before a slot is refilled, and all still get their own packets */
    write_pcap(path, 3000, 0);
    CHECK_EQ_INT(run_shared(path, NULL, 3, 200, -1), 3000);
    unlink(path);
}

TEST(cap_index_bpf_filter)
{
    char *path = tmp_pcap();

    CHECK(path != NULL);
    write_pcap(path, 3000, 0);
    /* every third record is UDP */
    CHECK_EQ_INT(run_shared(path, "udp", 2, 0, -1), 1000);
    CHECK_EQ_INT(run_shared(path, "udp and host 10.0.0.7", 4, 0, -1), 125);
    unlink(path);
}

TEST(cap_index_corrupt_record)
{
    char *path = tmp_pcap();

    CHECK(path != NULL);
    /* record 1,000 (chunk 15) is corrupt: every reader gets its packets
     * before it, then the error */
    write_pcap(path, 3000, 1000);
    CHECK_EQ_INT(run_shared(path, NULL, 2, 0, -2), 1000);
    CHECK_EQ_INT(run_shared(path, NULL, 3, 0, -2), 1000);
    unlink(path);
}

static void *set_stop_later(void *arg)
{
    usleep(100 * 1000);
    atomic_store((atomic_bool *)arg, true);
    return NULL;
}

TEST(cap_index_stop_ends_a_waiting_reader)
{
    char *path = tmp_pcap();
    atomic_bool stop = false;
    struct timeval ts, last;
    uint32_t caplen, len;
    const uint8_t *data;
    uint64_t seen = 0;
    pthread_t th;
    int f;

    CHECK(path != NULL);
    write_pcap(path, 3000, 0);
    struct cap *a = cap_open_offline(path, NULL), *b = cap_reopen(a);
    struct cap_index *ix = cap_index_new(2, cap_datalink(a), false, &stop);
    CHECK(ix != NULL);
    struct cap_index_reader *r0 = cap_index_reader(ix, 0, a);
    CHECK(cap_index_reader(ix, 1, b) != NULL);
    /* reader 1 never reads: reader 0 reads the 4 chunks the ring holds,
     * then waits for reader 1 to free a slot, until stop */
    pthread_create(&th, NULL, set_stop_later, &stop);
    while ((f = cap_index_next(r0, &ts, &caplen, &len, &data)) > 0)
        ;
    pthread_join(th, NULL);
    CHECK_EQ_INT(f, -1);
    cap_index_progress(r0, &seen, &last);
    CHECK_EQ_INT(seen, 4 * 64);
    cap_index_leave(r0);
    cap_index_free(ix);
    cap_close(a);
    cap_close(b);
    unlink(path);
}

TEST(cap_index_corpus)
{
    DIR *d = opendir(CORPUS);
    struct dirent *de;
    int done = 0;

    if (d == NULL)
        SKIP("no corpus");
    /* every classic pcap of the corpus, 3 readers */
    while ((de = readdir(d)) != NULL) {
        char path[512];
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 5, ".pcap") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", CORPUS, de->d_name);
        struct cap *c = cap_open_offline(path, NULL);
        bool mapped = c != NULL && cap_is_mapped(c);
        cap_close(c);
        if (!mapped)
            continue;
        CHECK(run_shared(path, NULL, 3, 0, 0) >= 0);
        done++;
    }
    closedir(d);
    CHECK(done > 10);
}

int main(int argc, char **argv)
{
    /* a reader that waits for ever (a slot refilled too early, a lost
     * publication) ends the run as a failure instead of hanging it */
    alarm(120);
    return runner_main(argc, argv);
}
