/* worker: the per-packet pipeline and the worker thread (see worker.h).
 * Time is packet time: flow expiry runs when a packet's second changes or
 * a tick arrives, never from the wall clock.
 * worker_new only records the settings; the tables (flow table, nDPI
 * module, defrag) are built by worker_ready on the thread that will run
 * the worker, so several workers build theirs at the same time.
 */
#include <gcrypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "classify/dpi_ndpi.h"
#include "decode/defrag.h"
#include "flow/flow_table.h"
#include "log.h"
#include "output/eve_anomaly.h"
#include "output/eve_flow.h"
#include "worker.h"

#define WORKER_EXPIRE_BUDGET 4096
/* A worker thread's malloc arena is grown this far once, at its start (see
 * worker_arena_prime). */
#define WORKER_ARENA_PRIME (48u << 20)
#define WORKER_ARENA_CHUNK (96u << 10)   /* under glibc's mmap threshold (128 KB) */
#define WORKER_CACHE_LINE 64

struct worker {
    int id;
    int n;                       /* workers sharing the sensor-wide limits */
    int datalink;
    bool verify_csum;
    const struct sensor_cfg *sc;
    struct worker_hooks hooks;

    struct flow_table *ft;
    struct dpi *dpi;
    struct defrag *defrag;
    struct eve_out *eve;
    struct eve_anomaly anomaly;
    struct dec_stats dec;
    struct packet pkt, reasm;
    struct timeval now;          /* latest packet time seen */
    struct flow_budget *flows;   /* shared flow.max-flows, or NULL */

    struct cap_ring *ring;
    pthread_t thread;
    bool started;

    pthread_mutex_t snap_lock;   /* taken once per publish, not per packet */
    struct eve_stats_data snap;
};

static void worker_flow_end(struct flow *f, enum flow_end_reason r, void *arg)
{
    struct worker *w = arg;

    if (w->hooks.flow_end != NULL)
        w->hooks.flow_end(w->hooks.arg, w, f);
    dpi_flow_end(w->dpi, f);
    if (w->eve != NULL && w->sc->eve_flow)
        eve_flow_log(w->eve, w->dpi, f, r);
    dpi_flow_release(w->dpi, f);
}

static uint32_t worker_share(uint64_t total, int n)
{
    uint64_t v = (total + (uint64_t)n - 1) / (uint64_t)n;

    return (uint32_t)(v < 16 ? 16 : v);
}

struct worker *worker_new(int id, int n, const struct sensor_cfg *sc, int datalink,
                          bool verify_csum, struct eve_writer *ew, const struct worker_hooks *hooks,
                          struct flow_budget *flows)
{
    /* on cache lines of its own: workers write theirs per packet */
    size_t sz = (sizeof(struct worker) + WORKER_CACHE_LINE - 1) & ~(size_t)(WORKER_CACHE_LINE - 1);
    struct worker *w = aligned_alloc(WORKER_CACHE_LINE, sz);

    if (w == NULL)
        return NULL;
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->snap_lock, NULL);
    w->id = id;
    w->n = n;
    w->sc = sc;
    w->datalink = datalink;
    w->verify_csum = verify_csum;
    w->flows = flows;
    if (hooks != NULL)
        w->hooks = *hooks;
    if (ew != NULL && sc->eve_enabled) {
        w->eve = eve_out_new(ew, (size_t)sc->eve_buffer);
        if (w->eve == NULL)
            goto fail;
    }
    eve_anomaly_init(&w->anomaly, sc->anomaly_rate);
    if (n > 1) {
        w->ring = cap_ring_new((size_t)sc->queue_size);
        if (w->ring == NULL)
            goto fail;
    }
    return w;
fail:
    log_error("worker", "worker %d: cannot allocate its buffers (lower outputs.eve-log.buffer-size or "
              "capture.queue-size)", id);
    worker_free(w);
    return NULL;
}

/* glibc gives each thread an arena of its own and grows it page by page,
 * one mprotect(2) each time its top passes the highest size it ever had:
 * what the pipeline allocates per flow cost 12,878 of them in a 2-worker
 * run of the bench capture, each one taking the address-space lock that
 * the other worker's page faults need. Allocating and freeing 48 MB of
 * small blocks once, at the start, raises that mark in 512 steps (1,825
 * calls in all with it). Only each block's header page is touched (about
 * 1 page in 24, ~2 MB); main.c turns glibc's trimming off, so those stay
 * mapped and the rest costs memory only when the pipeline uses it. */
static void worker_arena_prime(void)
{
    void *blk[WORKER_ARENA_PRIME / WORKER_ARENA_CHUNK];
    size_t n = 0;

    while (n < sizeof(blk) / sizeof(blk[0]) && (blk[n] = malloc(WORKER_ARENA_CHUNK)) != NULL)
        n++;
    for (size_t i = 0; i < n; i++)
        free(blk[i]);
}

/* nDPI initialises libgcrypt in the first ndpi_init_detection_module when
 * nobody has, and that is not thread-safe; the workers create their nDPI
 * modules at the same time, so it is done once before any of them. */
static void worker_gcrypt_once(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
}

/* The tables worker_ready built (any of them may be missing). */
static void worker_drop_tables(struct worker *w)
{
    flow_table_free(w->ft);
    w->ft = NULL;
    dpi_free(w->dpi);
    w->dpi = NULL;
    defrag_free(w->defrag);
    w->defrag = NULL;
}

int worker_ready(struct worker *w)
{
    static pthread_once_t gcrypt_once = PTHREAD_ONCE_INIT;
    const struct sensor_cfg *sc = w->sc;
    struct flow_table_cfg fc;
    int n = w->n;

    if (w->ft != NULL)
        return 0;
    pthread_once(&gcrypt_once, worker_gcrypt_once);
    if (n > 1)
        worker_arena_prime();
    /* the stages' state first: its large zeroed tables then come from fresh
     * heap (calloc needs not clear pages the kernel just mapped) */
    if (w->hooks.ready != NULL && w->hooks.ready(w->hooks.arg, w) != 0)
        goto fail_hook;
    fc = sc->flow;
    /* with a shared budget, one worker may hold up to all of it */
    fc.max_flows = w->flows != NULL ? sc->flow.max_flows : worker_share(sc->flow.max_flows, n);
    fc.budget = w->flows;
    w->ft = flow_table_new(&fc, worker_flow_end, w);
    w->dpi = dpi_new(worker_share(sc->ndpi_max_flows, n));
    if (w->ft == NULL || w->dpi == NULL)
        goto fail;
    if (sc->defrag_enabled) {
        struct defrag_cfg dc = sc->defrag;
        dc.max_trackers = worker_share(sc->defrag.max_trackers, n);
        dc.memcap = sc->defrag.memcap / (uint64_t)n;
        w->defrag = defrag_new(&dc);
        if (w->defrag == NULL)
            goto fail;
    }
    return 0;
fail:
    log_error("worker", "worker %d: cannot allocate its tables (lower flow.max-flows or "
              "defrag.max-trackers)", w->id);
fail_hook:
    worker_drop_tables(w);
    return -1;
}

void worker_free(struct worker *w)
{
    if (w == NULL)
        return;
    flow_table_free(w->ft);
    dpi_free(w->dpi);
    defrag_free(w->defrag);
    eve_out_free(w->eve);
    cap_ring_free(w->ring);
    pthread_mutex_destroy(&w->snap_lock);
    free(w);
}

static void worker_anomaly(struct worker *w, const struct packet *p)
{
    if (w->eve != NULL && w->sc->eve_anomaly)
        eve_anomaly_log(&w->anomaly, w->eve, p, NULL);
}

static void worker_expire(struct worker *w, struct timeval now)
{
    flow_table_expire(w->ft, now, WORKER_EXPIRE_BUDGET);
    if (w->defrag != NULL)
        defrag_timeout(w->defrag, now, &w->dec);
}

/* The pipeline. Every early return is counted by the stage that stops. */
void worker_packet(struct worker *w, struct timeval ts, const uint8_t *data, uint32_t caplen,
                   uint32_t len)
{
    struct packet *p = &w->pkt;
    struct flow_key k;
    struct flow *f;
    bool is_new;
    int dir, src_is_lo;

    if (ts.tv_sec != w->now.tv_sec && ts.tv_sec > w->now.tv_sec)
        worker_expire(w, ts);
    if (ts.tv_sec > w->now.tv_sec || (ts.tv_sec == w->now.tv_sec && ts.tv_usec > w->now.tv_usec))
        w->now = ts;

    /* 1. decode */
    if (dec_packet(p, &w->dec, w->datalink, data, caplen, len, ts, w->verify_csum) != DEC_OK) {
        worker_anomaly(w, p);
        return;
    }
    if (p->event != DEC_EV_NONE)
        worker_anomaly(w, p);
    if (p->ip_version == 0)
        return;

    /* 2. defrag: a fragment goes on only when it completes a datagram */
    if (p->flags & PKT_IS_FRAGMENT) {
        if (w->defrag == NULL)
            return;
        if (defrag_add(w->defrag, p, &w->reasm, &w->dec) != 1) {
            /* the lowest-coded event the call counted, if any */
            uint64_t ev = defrag_last_events(w->defrag) & ~(uint64_t)1;

            if (ev != 0) {
                p->event = (enum dec_event)__builtin_ctzll(ev);
                worker_anomaly(w, p);
            }
            return;
        }
        p = &w->reasm;
    }

    /* 3. flow */
    src_is_lo = flow_key_from_packet(&k, p, w->sc->vlan_tracking);
    f = flow_table_get(w->ft, &k, flow_key_hash(&k), p, src_is_lo, &dir, &is_new);
    if (f == NULL)
        return;
    flow_table_update(w->ft, f, p, dir);

    /* 4. stream, app layer, detection (other stages) */
    if (w->hooks.stream != NULL)
        w->hooks.stream(w->hooks.arg, w, f, p, dir);
    if (w->hooks.app != NULL)
        w->hooks.app(w->hooks.arg, w, f, p, dir);
    if (w->hooks.detect != NULL)
        w->hooks.detect(w->hooks.arg, w, f, p, dir);

    /* 5. nDPI, until the verdict is final; after that, counters only */
    if (!f->dpi.done)
        dpi_process(w->dpi, f, p);
}

static void worker_publish(struct worker *w)
{
    struct eve_stats_data s;

    memset(&s, 0, sizeof(s));
    s.dec = w->dec;
    if (w->id >= 0 && w->id < EVE_STATS_WORKERS_MAX) {
        s.nworkers = (uint32_t)w->id + 1;
        s.worker_pkts[w->id] = w->dec.pkts;
    }
    if (w->defrag != NULL)
        s.defrag = *defrag_get_stats(w->defrag);
    s.flow = *flow_table_get_stats(w->ft);
    s.dpi = *dpi_get_stats(w->dpi);
    s.eve_dropped = w->eve != NULL ? eve_out_dropped(w->eve) : 0;
    s.anomalies_logged = w->anomaly.logged;
    s.anomalies_suppressed = w->anomaly.suppressed;
    if (w->hooks.stats != NULL) {
        w->hooks.stats(w->hooks.arg, &s.pipe);
        s.pipe_on = true;
    }
    pthread_mutex_lock(&w->snap_lock);
    w->snap = s;
    pthread_mutex_unlock(&w->snap_lock);
}

void worker_read_stats(struct worker *w, struct eve_stats_data *out)
{
    pthread_mutex_lock(&w->snap_lock);
    *out = w->snap;
    pthread_mutex_unlock(&w->snap_lock);
}

void worker_tick(struct worker *w, struct timeval now)
{
    if (now.tv_sec > w->now.tv_sec || (now.tv_sec == w->now.tv_sec && now.tv_usec > w->now.tv_usec)) {
        w->now = now;
        worker_expire(w, now);
    }
    if (w->eve != NULL)
        eve_out_flush(w->eve);
    worker_publish(w);
}

void worker_finish(struct worker *w)
{
    if (w->ft == NULL)
        return; /* released already */
    flow_table_flush(w->ft);
    if (w->eve != NULL)
        eve_out_flush(w->eve);
    worker_publish(w);
    log_info("worker", "worker %d: %llu packets, %llu flows", w->id,
             (unsigned long long)w->dec.pkts, (unsigned long long)flow_table_get_stats(w->ft)->total);
}

void worker_release(struct worker *w)
{
    bool ready = w->ft != NULL;   /* else never ready, or released already */

    worker_finish(w);
    if (ready && w->hooks.release != NULL)
        w->hooks.release(w->hooks.arg, w);
    worker_drop_tables(w);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    for (;;) {
        const struct cap_ring_rec *r = cap_ring_get(w->ring);
        enum cap_ring_kind kind = (enum cap_ring_kind)r->kind;

        if (kind == CAP_RING_PACKET)
            worker_packet(w, r->ts, cap_ring_data(r), r->caplen, r->len);
        else if (kind == CAP_RING_TICK)
            worker_tick(w, r->ts);
        cap_ring_release(w->ring, r);
        if (kind == CAP_RING_END)
            break;
    }
    worker_finish(w);
    return NULL;
}

struct cap_ring *worker_ring(struct worker *w)
{
    return w->ring;
}

int worker_start(struct worker *w)
{
    /* the ring's fallback path (live, no fan-out): tables built here, on the
     * capture thread, so that a failure stops the start */
    if (worker_ready(w) != 0)
        return -1;
    if (w->ring == NULL || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        log_error("worker", "worker %d: cannot start its thread", w->id);
        return -1;
    }
    w->started = true;
    return 0;
}

void worker_join(struct worker *w)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = false;
}

struct eve_out *worker_eve(struct worker *w)
{
    return w->eve;
}

int worker_id(const struct worker *w)
{
    return w->id;
}
