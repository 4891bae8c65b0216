/* ship: life cycle of the correlator output and the shipper thread's policy.
 *
 * The shipper reads fsynced batches from the spool, posts them (ship_send)
 * and commits each one only after a 2xx. Transport errors, 5xx, 408, 429
 * and configuration errors (401/403/404/415) back off exponentially with
 * jitter (250 ms doubling to 30 s, Retry-After honoured up to the cap). A
 * batch answered 400, 413 or 422 is binary-searched (about log2(n) requests
 * per bad event) until the offending events stand alone; each is written to
 * spool_dir/rejected/, counted and stepped over, so one bad event neither
 * blocks the spool nor takes its neighbours with it.
 */
#include "ship/ship.h"
#include "ship/ship_private.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define MOD "ship"
#define BACKOFF_BASE_MS 250u
#define BACKOFF_CAP_MS 30000u

struct ship {
    struct ship_cfg cfg;   /* strings below are our own copies */
    char *url, *token, *ca_file, *spool_dir;
    struct ship_spool *sp;
    struct ship_send *sd;
    struct ship_batch b;

    pthread_t thr;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* stop requests, drain progress */
    bool stop;
    atomic_bool abort;     /* ends a transfer in progress once draining is over */

    uint64_t rng;
    unsigned streak;       /* consecutive failed posts */
    atomic_uint_fast64_t shipped, batches_sent, send_errors, retries, rejected, duplicates;
};

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

struct ship *ship_new(const struct ship_cfg *cfg)
{
    struct ship *s = NULL;
    if (cfg->url == NULL || cfg->token == NULL || cfg->spool_dir == NULL ||
        cfg->batch_max_events == 0 || cfg->batch_max_bytes < 4096 ||
        cfg->spool_max_bytes < 65536) {
        log_error(MOD, "outputs.correlator: url, token and spool-dir are required; "
                  "batch-size >= 4kb, spool-max-size >= 64kb");
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &a);
    pthread_condattr_destroy(&a);
    s->cfg = *cfg;
    s->url = strdup(cfg->url);
    s->token = strdup(cfg->token);
    s->spool_dir = strdup(cfg->spool_dir);
    s->ca_file = dup_or_null(cfg->ca_file);
    if (s->url == NULL || s->token == NULL || s->spool_dir == NULL ||
        (cfg->ca_file != NULL && s->ca_file == NULL))
        goto fail;
    s->cfg.url = s->url;
    s->cfg.token = s->token;
    s->cfg.spool_dir = s->spool_dir;
    s->cfg.ca_file = s->ca_file;
    if (s->cfg.flush_ms == 0)
        s->cfg.flush_ms = 1;

    /* Two append buffers of 1/32 of the spool (64 kb .. 4 mb each): a few
     * flush intervals of headroom at thousands of events per second. */
    size_t buf = (size_t)(cfg->spool_max_bytes / 32);
    buf = buf < 65536 ? 65536 : buf > (4u << 20) ? (4u << 20) : buf;
    s->sp = ship_spool_open(s->spool_dir, cfg->spool_max_bytes, buf, cfg->batch_max_bytes);
    if (s->sp == NULL)
        goto fail;
    s->sd = ship_send_new(s->url, s->token, s->ca_file, cfg->verify_tls, &s->abort);
    if (s->sd == NULL)
        goto fail;
    if (ship_batch_init(&s->b, cfg->batch_max_bytes, cfg->batch_max_events) != 0)
        goto fail;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
    s->rng |= 1;
    log_info(MOD, "shipping to %s, spool %s (max %llu bytes), batches of %u events / %u "
             "bytes, fsync every %u ms", ship_send_url(s->sd), s->spool_dir,
             (unsigned long long)cfg->spool_max_bytes, cfg->batch_max_events,
             cfg->batch_max_bytes, s->cfg.flush_ms);
    return s;
fail:
    ship_free(s);
    return NULL;
}

/* xorshift64*: jitter only, not security. */
static uint64_t rnd(struct ship *s)
{
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ull;
}

static bool stopping(struct ship *s)
{
    pthread_mutex_lock(&s->mu);
    bool st = s->stop;
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* Sleeps (interruptibly) for the next back-off step: "equal jitter", half
 * fixed and half random, so sensors that lost the same correlator do not
 * come back in lockstep. */
static void backoff(struct ship *s, long retry_after_s)
{
    unsigned shift = s->streak < 7 ? s->streak : 7;
    uint64_t d = (uint64_t)BACKOFF_BASE_MS << shift;
    d = d > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : d;
    uint64_t ms = d / 2 + rnd(s) % (d / 2 + 1);
    if (retry_after_s > 0 && (uint64_t)retry_after_s * 1000u > ms)
        ms = (uint64_t)retry_after_s * 1000u > BACKOFF_CAP_MS ? BACKOFF_CAP_MS
                                                               : (uint64_t)retry_after_s * 1000u;
    s->streak++;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0)
        ;
    pthread_mutex_unlock(&s->mu);
}

static void log_failure(struct ship *s, const struct ship_send_result *r)
{
    if (r->status == 401 || r->status == 403)
        log_error(MOD, "%s: HTTP %ld: the correlator refuses this sensor's token (check "
                  "outputs.correlator.token); events stay spooled: %.200s",
                  ship_send_url(s->sd), r->status, r->detail);
    else if (r->status == 404 || r->status == 405 || r->status == 415 ||
             (r->status >= 300 && r->status < 400))
        log_error(MOD, "%s: HTTP %ld: not the correlator's events endpoint (check "
                  "outputs.correlator.url); events stay spooled: %.200s",
                  ship_send_url(s->sd), r->status, r->detail);
    else if (r->status != 0)
        log_warning(MOD, "%s: HTTP %ld, will retry (failure %u): %.200s", ship_send_url(s->sd),
                    r->status, s->streak + 1, r->detail);
    else
        log_warning(MOD, "%s: %s, will retry (failure %u)", ship_send_url(s->sd), r->detail,
                    s->streak + 1);
}

/* Sends the n lines of s->b; returns when all are committed or rejected, or
 * when stopping (the rest stays in the spool and is resent next time). */
static void send_batch(struct ship *s, uint32_t n)
{
    struct ship_batch *b = &s->b;
    /* [cur, cur + win) is the window being sent; [cur, bad_hi) is known to
     * hold an event the correlator refuses (bad_hi == n: none known). */
    uint32_t cur = 0, win = n, bad_hi = n;
    while (cur < n && !stopping(s)) {
        uint32_t start = cur > 0 ? b->end[cur - 1] : 0;
        struct ship_send_result r;
        enum ship_send_class cls =
            ship_send_post(s->sd, b->buf + start, b->end[cur + win - 1] - start, win, &r);
        if (cls == SHIP_SEND_OK) {
            if (s->streak > 0)
                log_notice(MOD, "%s: delivering again after %u failed attempts",
                           ship_send_url(s->sd), s->streak);
            s->streak = 0;
            /* Delivered even if recording it fails: a restart then resends
             * and the correlator drops the duplicates. */
            ship_spool_commit(s->sp, b, cur + win);
            atomic_fetch_add(&s->shipped, win);
            atomic_fetch_add(&s->batches_sent, 1);
            if (r.duplicates > 0)
                atomic_fetch_add(&s->duplicates, (uint64_t)r.duplicates);
            cur += win;
            if (cur < bad_hi && bad_hi < n) {
                win = (bad_hi - cur + 1) / 2; /* binary search in what is left */
            } else {
                bad_hi = n;
                win = n - cur;
            }
        } else if (cls == SHIP_SEND_RETRY) {
            atomic_fetch_add(&s->send_errors, 1);
            log_failure(s, &r);
            backoff(s, r.retry_after_s);
            atomic_fetch_add(&s->retries, 1);
        } else if (win > 1) {
            /* Bad batch: halve it until the offending events stand alone. */
            atomic_fetch_add(&s->send_errors, 1);
            atomic_fetch_add(&s->retries, 1);
            bad_hi = cur + win;
            win /= 2;
        } else {
            atomic_fetch_add(&s->send_errors, 1);
            uint32_t len = b->end[cur] - start;
            log_warning(MOD, "%s: HTTP %ld for one event, moved to %s/rejected: %.200s; "
                        "event: %.*s", ship_send_url(s->sd), r.status, s->spool_dir, r.detail,
                        (int)(len > 300 ? 300 : len - 1), b->buf + start);
            ship_spool_reject(s->sp, b, cur);
            ship_spool_commit(s->sp, b, cur + 1);
            atomic_fetch_add(&s->rejected, 1);
            cur++;
            bad_hi = n;
            win = n - cur;
        }
    }
}

static void *shipper_main(void *arg)
{
    struct ship *s = arg;
    while (!stopping(s)) {
        int n = ship_spool_read(s->sp, &s->b, s->cfg.batch_max_events, s->cfg.batch_max_bytes);
        if (n < 0) {
            struct ship_send_result none = { .detail = "spool read error" };
            log_failure(s, &none);
            backoff(s, 0);
        } else if (n == 0) {
            pthread_mutex_lock(&s->mu);
            pthread_cond_broadcast(&s->cv); /* drain progress */
            pthread_mutex_unlock(&s->mu);
            ship_spool_wait(s->sp, s->cfg.flush_ms);
        } else {
            send_batch(s, (uint32_t)n);
            pthread_mutex_lock(&s->mu);
            pthread_cond_broadcast(&s->cv);
            pthread_mutex_unlock(&s->mu);
        }
    }
    return NULL;
}

int ship_start(struct ship *s)
{
    if (s->running)
        return SHIP_ERR_EXIST;
    int rc = ship_spool_start_writer(s->sp, s->cfg.flush_ms);
    if (rc != 0)
        return rc;
    s->stop = false;
    atomic_store(&s->abort, false);
    if (pthread_create(&s->thr, NULL, shipper_main, s) != 0) {
        ship_spool_stop_writer(s->sp);
        log_error(MOD, "cannot start the shipper thread");
        return SHIP_ERR_NOMEM;
    }
    s->running = true;
    return 0;
}

int ship_append(struct ship *s, const char *line, size_t len, int is_alert)
{
    return ship_spool_append(s->sp, line, len, is_alert);
}

int ship_flush(struct ship *s)
{
    return ship_spool_flush(s->sp);
}

void ship_stop(struct ship *s, int drain_ms)
{
    if (s == NULL)
        return;
    ship_spool_flush(s->sp);
    if (!s->running)
        return;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += drain_ms / 1000;
    dl.tv_nsec += (long)(drain_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (drain_ms > 0 && ship_spool_backlog(s->sp) > 0 &&
           pthread_cond_timedwait(&s->cv, &s->mu, &dl) == 0)
        ;
    s->stop = true;
    atomic_store(&s->abort, true);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    ship_spool_wake(s->sp);
    pthread_join(s->thr, NULL);
    ship_spool_stop_writer(s->sp);
    s->running = false;
    uint64_t left = ship_spool_backlog(s->sp);
    if (left > 0)
        log_notice(MOD, "stopped with %llu bytes not yet acknowledged; they stay in %s",
                   (unsigned long long)left, s->spool_dir);
}

void ship_free(struct ship *s)
{
    if (s == NULL)
        return;
    if (s->sp != NULL)
        ship_stop(s, 0);
    ship_spool_close(s->sp);
    ship_send_free(s->sd);
    ship_batch_fini(&s->b);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->url);
    free(s->token);
    free(s->ca_file);
    free(s->spool_dir);
    free(s);
}

void ship_get_stats(struct ship *s, struct ship_stats *st)
{
    struct ship_spool_stats ss;
    ship_spool_get_stats(s->sp, &ss);
    memset(st, 0, sizeof(*st));
    st->appended = ss.appended;
    st->dropped_flow = ss.dropped_flow;
    st->dropped_other = ss.dropped_other;
    st->spool_bytes = ss.spool_bytes;
    st->corrupt = ss.corrupt;
    st->fsyncs = ss.fsyncs;
    st->shipped = atomic_load(&s->shipped);
    st->batches_sent = atomic_load(&s->batches_sent);
    st->send_errors = atomic_load(&s->send_errors);
    st->retries = atomic_load(&s->retries);
    st->rejected = atomic_load(&s->rejected);
    st->duplicates = atomic_load(&s->duplicates);
}
