/* cap_loop: capture thread, fan-out, ticks and stats (see cap_loop.h).
 * Offline files block on a full ring (every packet is processed); live
 * capture never blocks the reader: a full ring drops the packet, counted
 * as queue_drops in stats.
 * Offline with several workers there is no capture thread and no ring:
 * each worker reads the file itself (cap_reopen) and processes the packets
 * that hash to it, with ticks at the same packet times as through a ring.
 * A classic pcap file is walked once, in chunks shared by the readers
 * (cap_index.c), and each reader fetches only its own records; pcapng
 * (read through libpcap) is walked by every reader, which skips what is
 * not its own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "capture/cap_hash.h"
#include "capture/cap_index.h"
#include "capture/cap_loop.h"
#include "classify/dpi_ndpi.h"
#include "log.h"
#include "output/eve_stats.h"

static double cap_loop_mono(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* received: packets read, or UINT64_MAX to take the handles' counts (an
 * offline file's readers count for themselves: their handles' counters are
 * theirs alone, and an offline file drops nothing). */
static void cap_loop_stats(const struct cap_loop_cfg *c, double started, uint64_t queue_drops,
                           struct timeval ts, uint64_t received)
{
    struct eve_stats_data sum, one;
    struct cap_stats cs;

    if (c->stats_out == NULL)
        return;
    memset(&sum, 0, sizeof(sum));
    for (int i = 0; i < c->nworkers; i++) {
        worker_read_stats(c->workers[i], &one);
        eve_stats_add(&sum, &one);
    }
    memset(&cs, 0, sizeof(cs));
    if (received == UINT64_MAX)
        cap_get_stats(c->cap, &cs);
    for (int i = 1; received == UINT64_MAX && c->fanout != NULL && i < c->nworkers; i++) {
        struct cap_stats one_cs;
        cap_get_stats(c->fanout[i], &one_cs);
        cs.received += one_cs.received;
        cs.dropped += one_cs.dropped;
        cs.ifdropped += one_cs.ifdropped;
    }
    sum.kernel_packets = received != UINT64_MAX ? received : cs.received;
    sum.kernel_drops = cs.dropped;
    sum.kernel_ifdrops = cs.ifdropped;
    sum.queue_drops = queue_drops;
    sum.mem_ndpi = dpi_mem_in_use();
    sum.eve_events = c->ew != NULL ? eve_writer_events(c->ew) : 0;
    sum.uptime = cap_loop_mono() - started;
    if (c->ship != NULL) {
        ship_get_stats(c->ship, &sum.ship);
        sum.ship_on = true;
    }
    if (c->fscan != NULL) {
        fscan_get_stats(c->fscan, &sum.files);
        sum.files_on = true;
    }
    eve_stats_log(c->stats_out, &sum, ts);
    eve_out_flush(c->stats_out);
}

static void cap_loop_tick_all(const struct cap_loop_cfg *c, struct timeval ts)
{
    for (int i = 0; i < c->nworkers; i++) {
        if (c->nworkers == 1)
            worker_tick(c->workers[i], ts);
        else
            cap_ring_put(worker_ring(c->workers[i]), CAP_RING_TICK, ts, NULL, 0, 0, true);
    }
}

/* One reader per worker (offline, nworkers > 1), on cache lines of its own. */
struct cap_reader {
    _Alignas(64) const struct cap_loop_cfg *c;
    struct worker *w;
    struct cap *cap;
    struct cap_index_reader *ixr; /* the shared walk; NULL: this reader walks the file itself */
    uint32_t index;
    pthread_t thread;
    bool started;
    atomic_int rc;               /* 0, or -1 after a read error */
    atomic_bool done;
    atomic_llong last_us;        /* latest packet time read, for stats events */
    atomic_ullong owned;         /* packets this worker processed */
    atomic_ullong seen;          /* packets read (the whole file) */
};

#define CAP_LOOP_MAX_READERS 64

static atomic_bool cap_loop_stopping;
/* A reader that finishes wakes the stats loop (once per reader, not per packet). */
static pthread_mutex_t cap_loop_done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cap_loop_done_cond = PTHREAD_COND_INITIALIZER;

static void cap_reader_publish(struct cap_reader *r, unsigned long long owned)
{
    uint64_t seen;
    struct timeval last;

    cap_index_progress(r->ixr, &seen, &last);
    atomic_store_explicit(&r->seen, seen, memory_order_relaxed);
    atomic_store_explicit(&r->owned, owned, memory_order_relaxed);
    atomic_store_explicit(&r->last_us, (long long)last.tv_sec * 1000000 + last.tv_usec,
                          memory_order_relaxed);
}

/* The reader's part of the shared walk (cap_index): its own packets and the
 * ticks, as the walk below would give them. 0, or -2 after a read error. */
static int cap_reader_indexed(struct cap_reader *r)
{
    unsigned long long owned = 0, n = 0;
    struct timeval ts;
    uint32_t caplen, len;
    const uint8_t *data;
    int rc = 0;

    for (;;) {
        int f = cap_index_next(r->ixr, &ts, &caplen, &len, &data);
        if (f < 0) {
            rc = f == -2 ? -2 : 0;
            break;
        }
        if (f & CAP_INDEX_TICK)
            worker_tick(r->w, ts);
        if (f & CAP_INDEX_PACKET) {
            worker_packet(r->w, ts, data, caplen, len);
            owned++;
        }
        if ((++n & 4095) == 0) {
            cap_reader_publish(r, owned);
            if (atomic_load_explicit(&cap_loop_stopping, memory_order_relaxed))
                break;
        }
    }
    cap_reader_publish(r, owned);
    return rc;
}

static void *cap_reader_main(void *arg)
{
    struct cap_reader *r = arg;
    const struct cap_loop_cfg *c = r->c;
    int dl = cap_datalink(r->cap);
    uint32_t n = (uint32_t)c->nworkers, caplen, len;
    struct timeval ts, tick = { 0, 0 }, last = { 0, 0 };
    unsigned long long owned = 0, seen = 0;
    const uint8_t *data;
    /* the worker's tables are built here, while the other readers build theirs */
    int rc = worker_ready(r->w) == 0 ? 0 : -2;

    if (rc != 0)
        atomic_store(&cap_loop_stopping, true);
    if (rc == 0 && r->ixr != NULL)
        rc = cap_reader_indexed(r);
    while (rc == 0 && r->ixr == NULL) {
        int got = cap_next(r->cap, &ts, &caplen, &len, &data);
        if (got == 0 && c->fanout != NULL) {
            /* live and quiet: wall time stands in for packet time */
            gettimeofday(&ts, NULL);
            worker_tick(r->w, ts);
            if (atomic_load_explicit(&cap_loop_stopping, memory_order_relaxed))
                break;
            continue;
        }
        if (got <= 0) {
            rc = got;
            break;
        }
        seen++;
        /* ticks and clock exactly as cap_loop_run sends them through rings */
        if (ts.tv_sec > tick.tv_sec) {
            if (tick.tv_sec != 0)
                worker_tick(r->w, ts);
            tick = ts;
        }
        if (timercmp(&ts, &last, >))
            last = ts;
        if (c->fanout != NULL || cap_hash(dl, data, caplen, c->vlan_tracking) % n == r->index) {
            worker_packet(r->w, ts, data, caplen, len);
            owned++;
        }
        if ((seen & 4095) == 0) {
            atomic_store_explicit(&r->seen, seen, memory_order_relaxed);
            atomic_store_explicit(&r->owned, owned, memory_order_relaxed);
            atomic_store_explicit(&r->last_us, (long long)last.tv_sec * 1000000 + last.tv_usec,
                                  memory_order_relaxed);
            if (atomic_load_explicit(&cap_loop_stopping, memory_order_relaxed))
                break;
        }
    }
    if (r->ixr != NULL) {
        cap_index_leave(r->ixr);
    } else {
        atomic_store(&r->seen, seen);
        atomic_store(&r->owned, owned);
        atomic_store(&r->last_us, (long long)last.tv_sec * 1000000 + last.tv_usec);
    }
    worker_release(r->w);
    atomic_store(&r->rc, rc == -2 ? -1 : 0);
    pthread_mutex_lock(&cap_loop_done_lock);
    atomic_store(&r->done, true);
    pthread_cond_broadcast(&cap_loop_done_cond);
    pthread_mutex_unlock(&cap_loop_done_lock);
    return NULL;
}

static struct timeval cap_us_tv(long long us)
{
    struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
    return tv;
}

/* A stats event from the readers' counters: packets they processed and the
 * latest packet time read (offline), or the wall clock and the handles'
 * counters (live fan-out). */
static void cap_readers_stats(const struct cap_loop_cfg *c, struct cap_reader *r, int n,
                              double started)
{
    unsigned long long owned = 0;
    long long last = 0;

    for (int i = 0; i < n; i++) {
        owned += atomic_load_explicit(&r[i].owned, memory_order_relaxed);
        long long l = atomic_load_explicit(&r[i].last_us, memory_order_relaxed);
        last = l > last ? l : last;
    }
    if (c->fanout != NULL) {
        struct timeval now;
        gettimeofday(&now, NULL);
        cap_loop_stats(c, started, 0, now, UINT64_MAX);
    } else {
        cap_loop_stats(c, started, 0, cap_us_tv(last), owned);
    }
}

/* Offline, several workers: start one reader per worker, write periodic
 * stats from this thread, join. */
static int cap_loop_run_readers(const struct cap_loop_cfg *c)
{
    struct cap_reader r[CAP_LOOP_MAX_READERS];
    double started = cap_loop_mono(), next_stats = started + c->stats_interval;
    int n = c->nworkers, rc = 0;
    bool all_done = false, mapped = true;
    struct cap_index *ix = NULL;

    memset(r, 0, sizeof(r));
    atomic_store(&cap_loop_stopping, false);
    for (int i = 0; i < n; i++) {
        r[i].c = c;
        r[i].w = c->workers[i];
        r[i].index = (uint32_t)i;
        r[i].cap = c->fanout != NULL ? c->fanout[i] : i == 0 ? c->cap : cap_reopen(c->cap);
        if (r[i].cap == NULL) {
            rc = -1;
            goto out;
        }
        mapped = mapped && cap_is_mapped(r[i].cap);
    }
    /* a mapped file is walked once, in chunks shared by the readers */
    if (c->fanout == NULL && mapped &&
        (ix = cap_index_new(n, cap_datalink(c->cap), c->vlan_tracking, &cap_loop_stopping)) != NULL)
        for (int i = 0; i < n; i++)
            r[i].ixr = cap_index_reader(ix, i, r[i].cap);
    for (int i = 0; i < n; i++) {
        if (pthread_create(&r[i].thread, NULL, cap_reader_main, &r[i]) != 0) {
            log_error("capture", "cannot start reader thread %d: %s", i, strerror(errno));
            atomic_store(&cap_loop_stopping, true);
            rc = -1;
            goto out;
        }
        r[i].started = true;
    }
    while (!all_done) {
        struct timespec until;
        /* wake when a reader ends, for stats, and every 200 ms to notice a signal */
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&cap_loop_done_lock);
        all_done = true;
        for (int i = 0; i < n; i++)
            all_done = all_done && atomic_load(&r[i].done);
        if (!all_done)
            pthread_cond_timedwait(&cap_loop_done_cond, &cap_loop_done_lock, &until);
        all_done = true;
        for (int i = 0; i < n; i++)
            all_done = all_done && atomic_load(&r[i].done);
        pthread_mutex_unlock(&cap_loop_done_lock);
        if (*c->stop)
            atomic_store(&cap_loop_stopping, true);
        if (!all_done && c->stats_interval > 0 && cap_loop_mono() >= next_stats) {
            cap_readers_stats(c, r, n, started);
            next_stats += c->stats_interval;
        }
    }
out:
    for (int i = 0; i < n; i++) {
        if (r[i].started) {
            pthread_join(r[i].thread, NULL);
            if (atomic_load(&r[i].rc) != 0)
                rc = -1;
        } else {
            /* never started: end its flows on this thread */
            worker_finish(c->workers[i]);
        }
        if (i > 0 && c->fanout == NULL)
            cap_close(r[i].cap);
    }
    cap_index_free(ix);
    fscan_drain(c->fscan);   /* the final stats count every file's scan */
    cap_readers_stats(c, r, n, started);
    return rc;
}

int cap_loop_run(const struct cap_loop_cfg *c)
{
    int dl = cap_datalink(c->cap);
    bool live = cap_is_live(c->cap);
    double started = cap_loop_mono(), next_stats = started + c->stats_interval;
    struct timeval last = { 0, 0 }, tick = { 0, 0 }, ts;
    uint64_t queue_drops = 0, n = 0;
    uint32_t caplen, len;
    const uint8_t *data;
    int rc = 0;

    if ((!live || c->fanout != NULL) && c->nworkers > 1 && c->nworkers <= CAP_LOOP_MAX_READERS)
        return cap_loop_run_readers(c);
    if (c->nworkers == 1 && worker_ready(c->workers[0]) != 0)
        return -1;
    for (int i = 0; c->nworkers > 1 && i < c->nworkers; i++)
        if (worker_start(c->workers[i]) != 0)
            return -1;
    while (!*c->stop) {
        int r = cap_next(c->cap, &ts, &caplen, &len, &data);
        if (r < 0) {
            rc = r == -2 ? -1 : 0;
            break;
        }
        if (r == 0) {
            /* Live and quiet: wall time stands in for packet time. */
            gettimeofday(&ts, NULL);
            cap_loop_tick_all(c, ts);
        } else {
            if (ts.tv_sec > tick.tv_sec) {
                if (tick.tv_sec != 0)
                    cap_loop_tick_all(c, ts);
                tick = ts;
            }
            if (timercmp(&ts, &last, >))
                last = ts;
            if (c->nworkers == 1) {
                worker_packet(c->workers[0], ts, data, caplen, len);
            } else {
                uint32_t h = cap_hash(dl, data, caplen, c->vlan_tracking);
                struct worker *w = c->workers[h % (uint32_t)c->nworkers];
                if (cap_ring_put(worker_ring(w), CAP_RING_PACKET, ts, data, caplen, len, !live) != 0)
                    queue_drops++;
            }
        }
        /* The clock is read every 1024 packets, and on every quiet return
         * (100 ms) so that an idle live sensor still reports on time. */
        if (c->stats_interval > 0 && ((++n & 1023) == 0 || r == 0) &&
            cap_loop_mono() >= next_stats) {
            cap_loop_stats(c, started, queue_drops, live ? ts : last, UINT64_MAX);
            next_stats += c->stats_interval;
        }
    }
    if (c->nworkers == 1) {
        worker_finish(c->workers[0]);
    } else {
        for (int i = 0; i < c->nworkers; i++)
            cap_ring_put(worker_ring(c->workers[i]), CAP_RING_END, last, NULL, 0, 0, true);
        for (int i = 0; i < c->nworkers; i++)
            worker_join(c->workers[i]);
    }
    if (live)
        gettimeofday(&last, NULL);
    fscan_drain(c->fscan);   /* the final stats count every file's scan */
    cap_loop_stats(c, started, queue_drops, last, UINT64_MAX);
    return rc;
}
