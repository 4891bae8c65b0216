/* det_reload: engine publication and SIGHUP reload (see det_reload.h).
 * The watcher thread polls a flag the signal handler sets (a handler may
 * only set flags), then loads and publishes on its own thread, so the
 * capture loop and the workers never wait for a rule compile.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "detect/det_reload.h"
#include "log.h"

#define DET_RELOAD_MAX_WORKERS 64
#define DET_RELOAD_RETIRED 8

static volatile sig_atomic_t det_reload_hup;

struct det_reload {
    const struct cfg *c;
    const char *const *files;
    size_t nfiles;
    int nworkers;
    _Atomic(const struct det_engine *) cur;
    _Atomic uint32_t gen;
    _Atomic uint32_t acked[DET_RELOAD_MAX_WORKERS];
    struct det_engine *owned;                         /* == cur */
    struct det_engine *retired[DET_RELOAD_RETIRED];  /* replaced, freed once acked */
    uint32_t retired_gen[DET_RELOAD_RETIRED];        /* generation that replaced it */
    uint32_t reloads;
    pthread_mutex_t lock;                             /* reloads: watcher vs det_reload_now */
    pthread_t thread;
    bool watching;
    _Atomic bool stop;
};

static void det_reload_on_hup(int sig)
{
    (void)sig;
    det_reload_hup = 1;
}

struct det_reload *det_reload_new(const struct cfg *c, const char *const *files, size_t nfiles,
                                  int nworkers)
{
    struct det_reload *r = calloc(1, sizeof(*r));
    struct det_load_stats st;

    if (r == NULL)
        return NULL;
    r->c = c;
    r->files = files;
    r->nfiles = nfiles;
    r->nworkers = nworkers < DET_RELOAD_MAX_WORKERS ? nworkers : DET_RELOAD_MAX_WORKERS;
    pthread_mutex_init(&r->lock, NULL);
    r->owned = det_engine_load(c, nfiles ? files : NULL, nfiles, NULL, &st);
    if (r->owned == NULL) {
        det_reload_free(r);
        return NULL;
    }
    atomic_store(&r->cur, r->owned);
    atomic_store(&r->gen, 1);
    log_notice("detect", "%zu rules loaded, %zu failed; %zu Hyperscan databases (%zu from cache), "
               "parse %.0f ms, compile %.0f ms", st.rules_loaded, st.rules_failed, st.databases,
               st.cache_hits, st.parse_ms, st.compile_ms);
    return r;
}

/* Free retired engines every worker has moved past. Under r->lock. */
static void det_reload_reap(struct det_reload *r, bool all)
{
    uint32_t min = UINT32_MAX;

    for (int i = 0; i < r->nworkers; i++) {
        uint32_t a = atomic_load(&r->acked[i]);
        if (a < min)
            min = a;
    }
    for (int k = 0; k < DET_RELOAD_RETIRED; k++)
        if (r->retired[k] != NULL && (all || r->retired_gen[k] <= min)) {
            det_engine_free(r->retired[k]);
            r->retired[k] = NULL;
        }
}

int det_reload_now(struct det_reload *r)
{
    struct det_load_stats st;
    int rc = -1, slot = -1;

    pthread_mutex_lock(&r->lock);
    det_reload_reap(r, false);
    for (int k = 0; k < DET_RELOAD_RETIRED && slot < 0; k++)
        if (r->retired[k] == NULL)
            slot = k;
    if (slot < 0) {
        log_warning("detect", "reload refused: %d older rule sets still in use by a worker",
                    DET_RELOAD_RETIRED);
        goto out;
    }
    struct det_engine *ne = det_engine_load(r->c, r->nfiles ? r->files : NULL, r->nfiles, r->owned, &st);
    if (ne == NULL) {
        log_error("detect", "reload failed: keeping the %zu rules in use", det_engine_rule_count(r->owned));
        goto out;
    }
    r->retired[slot] = r->owned;
    r->owned = ne;
    atomic_store(&r->cur, ne);
    r->retired_gen[slot] = atomic_fetch_add(&r->gen, 1) + 1;
    r->reloads++;
    log_notice("detect", "rules reloaded: %zu loaded, %zu failed, %zu of %zu databases from cache, "
               "%.0f ms", st.rules_loaded, st.rules_failed, st.cache_hits, st.databases,
               st.parse_ms + st.compile_ms);
    rc = 0;
out:
    pthread_mutex_unlock(&r->lock);
    return rc;
}

static void *det_reload_main(void *arg)
{
    struct det_reload *r = arg;
    struct timespec ts = { 0, 100 * 1000 * 1000 };

    while (!atomic_load(&r->stop)) {
        nanosleep(&ts, NULL);
        if (det_reload_hup) {
            det_reload_hup = 0;
            det_reload_now(r);
        }
        pthread_mutex_lock(&r->lock);
        det_reload_reap(r, false);
        pthread_mutex_unlock(&r->lock);
    }
    return NULL;
}

int det_reload_watch(struct det_reload *r)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = det_reload_on_hup;
    sa.sa_flags = SA_RESTART; /* a SIGHUP must not end a capture read from a pipe (EINTR) */
    sigaction(SIGHUP, &sa, NULL);
    if (pthread_create(&r->thread, NULL, det_reload_main, r) != 0) {
        log_error("detect", "cannot start the reload thread");
        return -1;
    }
    r->watching = true;
    return 0;
}

void det_reload_free(struct det_reload *r)
{
    if (r == NULL)
        return;
    if (r->watching) {
        atomic_store(&r->stop, true);
        pthread_join(r->thread, NULL);
    }
    det_reload_reap(r, true);
    det_engine_free(r->owned);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

const struct det_engine *det_reload_get(struct det_reload *r, uint32_t *gen)
{
    /* gen first: an engine newer than gen is harmless, the next poll fixes it */
    *gen = atomic_load(&r->gen);
    return atomic_load(&r->cur);
}

uint32_t det_reload_gen(const struct det_reload *r)
{
    return atomic_load_explicit(&((struct det_reload *)r)->gen, memory_order_relaxed);
}

void det_reload_ack(struct det_reload *r, int id, uint32_t gen)
{
    if (id >= 0 && id < r->nworkers)
        atomic_store(&r->acked[id], gen);
}

uint32_t det_reload_count(const struct det_reload *r)
{
    return r->reloads;
}
