/* fscan_pool: the scan threads behind a bounded queue (see filescan.h).
 * Each thread owns a YARA scanner, a libmagic handle and an eve_out; the
 * rule set is shared and swapped by pointer on reload (a thread rebuilds its
 * scanner at the next job). The sha256 cache is direct-mapped (a collision
 * replaces the older entry: it keeps the recent hashes) and keyed by rule
 * set generation, so a reload never serves results of the old rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <magic.h>

#include "filescan/filescan_private.h"
#include "log.h"
#include "output/eve_fileinfo.h"

/* SIGHUP: a flag the first scan thread polls; the handler chains to the one
 * installed before (det_reload's), so both reload. */
static _Atomic int fscan_hup;   /* lock-free atomic: safe in a handler, across threads */
static struct sigaction fscan_old_hup;

static void fscan_on_hup(int sig)
{
    atomic_store(&fscan_hup, 1);
    if (fscan_old_hup.sa_handler != SIG_DFL && fscan_old_hup.sa_handler != SIG_IGN &&
        fscan_old_hup.sa_handler != NULL)
        fscan_old_hup.sa_handler(sig);
}

void fscan_watch_sighup(struct fscan *fs)
{
    struct sigaction sa;

    if (fs == NULL || !fs->cfg.yara_enabled)
        return;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fscan_on_hup;
    /* a read interrupted by the signal (a pcap read from a pipe) resumes:
     * without it libpcap ends the capture with EINTR */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, &fscan_old_hup);
}

struct fscan_thread_ctx {
    struct fscan *fs;
    int id;
    struct eve_out *eve;
    magic_t magic;
    struct fscan_yara_scanner *sc;
    uint64_t sc_gen;
};

static void fscan_ctr_add(struct fscan *fs, enum fscan_ctr c, uint64_t n)
{
    atomic_fetch_add_explicit(&fs->ctr[c], n, memory_order_relaxed);
}

struct fscan_yara *fscan_pool_compile(struct fscan *fs, struct fscan_yara_load_stats *st)
{
    /* the head set only when heads are scanned: it is a second compile */
    struct fscan_yara *y = fscan_yara_load_sets((const char *const *)fs->yara_paths,
                                                fs->nyara_paths, fs->cfg.stream_depth > 0, st);
    if (y == NULL)
        return NULL;
    log_notice("yara", "%zu rules from %zu files (did not compile, skipped: %zu rules, %zu files)",
               st->rules, st->files, st->rules_failed, st->files_failed);
    if (st->heads && st->rules > 0 && st->head_rules == st->rules)
        log_notice("yara", "all %zu YARA rules scan stream heads", st->rules);
    else if (st->heads && st->rules > 0)
        log_notice("yara", "%zu of %zu YARA rules scan stream heads; the others need modules (%s)",
                   st->head_rules, st->rules, st->modules[0] ? st->modules : "none imported");
    return y;
}

/* ---- cache ---- */

static size_t fscan_cache_slot(const struct fscan *fs, const uint8_t *sha256)
{
    uint64_t k;

    memcpy(&k, sha256, sizeof(k));
    return (size_t)(k % (uint64_t)fs->cfg.cache_size);
}

static bool fscan_cache_get(struct fscan *fs, const uint8_t *sha256, uint64_t key,
                            struct fscan_cache_ent *out)
{
    bool hit = false;

    if (fs->cache == NULL)
        return false;
    pthread_mutex_lock(&fs->cache_lock);
    struct fscan_cache_ent *e = &fs->cache[fscan_cache_slot(fs, sha256)];
    if (e->key == key && memcmp(e->sha256, sha256, 32) == 0) {
        *out = *e;
        hit = true;
    }
    pthread_mutex_unlock(&fs->cache_lock);
    return hit;
}

static void fscan_cache_put(struct fscan *fs, const struct fscan_cache_ent *ent)
{
    if (fs->cache == NULL)
        return;
    pthread_mutex_lock(&fs->cache_lock);
    fs->cache[fscan_cache_slot(fs, ent->sha256)] = *ent;
    pthread_mutex_unlock(&fs->cache_lock);
}

/* ---- one job ---- */

struct fscan_hl_ctx {
    struct fscan_thread_ctx *t;
    const struct fscan_job *job;
    const struct fscan_yara_result *yr;
};

static void fscan_hash_alert(void *arg, const struct fscan_hashlist_rule *r)
{
    struct fscan_hl_ctx *h = arg;
    struct eve_fileinfo_sig sig = {
        .gid = r->gid, .sid = r->sid, .rev = r->rev, .severity = r->priority,
        .signature = r->msg, .category = r->classtype, .metadata = r->metadata,
    };

    fscan_ctr_add(h->t->fs, FSC_HASH_ALERT, 1);
    if (h->t->eve != NULL && eve_fileinfo_alert(h->t->eve, &h->job->flow, h->job->fi.dir,
                                                h->job->ts, &sig, &h->job->fi, h->yr) == 0)
        fscan_ctr_add(h->t->fs, FSC_EV_ALERT, 1);
}

/* True when (flow, rule) already alerted (from a stream head or a file of
 * the same flow); records the pair otherwise. The rule is known by its
 * namespace:name, the same in the file and the head set. A flow without
 * an id (0) is never deduplicated. */
static bool fscan_alerted(struct fscan *fs, const struct flow *f, const void *rule)
{
    if (f->flow_id == 0)
        return false;
    uint64_t k = f->flow_id * 0x9e3779b97f4a7c15ull ^ (fscan_yara_rule_key(rule) * 0xff51afd7ed558ccdull);
    k |= 1;                                 /* 0 marks an empty slot */
    uint64_t old = atomic_exchange_explicit(&fs->alerted[(k >> 17) % FSCAN_ALERTED_SLOTS], k,
                                            memory_order_relaxed);
    return old == k;
}

static void fscan_yara_alerts(struct fscan_thread_ctx *t, const struct fscan_job *job,
                              const struct file_info *fi, const struct fscan_yara_result *yr)
{
    for (int i = 0; i < yr->n; i++) {
        if (fscan_alerted(t->fs, &job->flow, yr->rule[i])) {
            fscan_ctr_add(t->fs, FSC_ALERT_DUP, 1);
            continue;
        }
        const char *desc = fscan_yara_rule_description(yr->rule[i]);
        struct eve_fileinfo_sig sig = {
            .gid = FSCAN_YARA_GID, .sid = fscan_yara_rule_sid(yr->rule[i]), .rev = 1,
            .severity = fscan_yara_rule_severity(yr->rule[i]),
            .signature = fscan_yara_rule_name(yr->rule[i]),
            .category = desc != NULL ? desc : "YARA rule match",
        };
        if (t->eve != NULL && eve_fileinfo_alert(t->eve, &job->flow, job->sdir, job->ts, &sig,
                                                 fi, yr) == 0)
            fscan_ctr_add(t->fs, FSC_EV_ALERT, 1);
    }
}

/* Scan with the current file set (head: its stream-head set); false when
 * there is none (or it is empty). */
static bool fscan_scan(struct fscan_thread_ctx *t, bool head, const uint8_t *d, size_t n,
                       struct fscan_yara_result *res)
{
    const struct fscan_yara *y = t->sc != NULL ? fscan_yara_scanner_rules(t->sc) : NULL;

    if (y == NULL || (head ? fscan_yara_head_rule_count(y) : fscan_yara_rule_count(y)) == 0)
        return false;
    if ((head ? fscan_yara_scan_head(t->sc, d, n, res) : fscan_yara_scan(t->sc, d, n, res)) != 0)
        fscan_ctr_add(t->fs, res->timeout ? FSC_YARA_TIMEOUT : FSC_YARA_ERR, 1);
    return true;
}

static void fscan_do_file(struct fscan_thread_ctx *t, struct fscan_job *job)
{
    struct fscan *fs = t->fs;
    struct file_info *fi = &job->fi;
    struct fscan_cache_ent ce;
    struct fscan_yara_result res;
    bool scanned = false;
    uint64_t key = t->sc != NULL ? t->sc_gen + 1 : 1;

    /* a file seen recently (same sha256, same rules): its verdicts again */
    if (fi->hashed && fscan_cache_get(fs, fi->sha256, key, &ce)) {
        fscan_ctr_add(fs, FSC_CACHE_HIT, 1);
        snprintf(fi->magic, sizeof(fi->magic), "%s", ce.magic);
        res = ce.res;
        scanned = ce.scanned;
        if (scanned)
            fscan_ctr_add(fs, FSC_YARA_MATCH, (uint64_t)res.n);
        goto verdicts;
    }
    if (fs->cfg.magic && t->magic != NULL) {
        /* the head only (as Suricata gives libmagic the first chunk): on the
         * whole content libmagic's text tests read every byte (~160 us for
         * a 6 KB page, measured), which made it the scan thread's main cost */
        const char *m = fi->head_len > 0 ? magic_buffer(t->magic, fi->head, fi->head_len) : NULL;
        snprintf(fi->magic, sizeof(fi->magic), "%s", m != NULL ? m : "");
    }
    if (fi->data_complete && fi->size > 0 && t->sc != NULL &&
        (scanned = fscan_scan(t, false, fi->data, fi->data_len, &res))) {
        fscan_ctr_add(fs, FSC_SCANNED, 1);
        fscan_ctr_add(fs, FSC_YARA_MATCH, (uint64_t)res.n);
    }
    if (fi->hashed && !(scanned && (res.timeout || res.error))) {
        memset(&ce, 0, sizeof(ce));
        memcpy(ce.sha256, fi->sha256, 32);
        ce.key = key;
        ce.scanned = scanned;
        if (scanned)
            ce.res = res;
        memcpy(ce.magic, fi->magic, sizeof(ce.magic));
        fscan_cache_put(fs, &ce);
    }
verdicts:
    if (fs->store != NULL && fi->hashed && fi->data_complete) {
        int rc = file_store_put(fs->store, fi->sha256, fi->data, fi->data_len);
        fi->stored = rc >= 0;
        if (rc > 0)
            fscan_ctr_add(fs, FSC_STORED, 1);
    }
    if (t->eve != NULL && fs->cfg.eve_files &&
        eve_fileinfo_log(t->eve, &job->flow, job->ts, fi, scanned ? &res : NULL) == 0)
        fscan_ctr_add(fs, FSC_EV_FILEINFO, 1);
    if (scanned)
        fscan_yara_alerts(t, job, fi, &res);
    if (fs->hl != NULL) {
        struct fscan_hl_ctx h = { t, job, scanned ? &res : NULL };
        fscan_hashlist_match(fs->hl, fi, fscan_hash_alert, &h);
    }
    file_info_fini(fi, fs->mem);
}

static void fscan_do_stream(struct fscan_thread_ctx *t, struct fscan_job *job)
{
    struct fscan_yara_result res;

    if (fscan_scan(t, true, job->sdata, job->slen, &res)) {
        fscan_ctr_add(t->fs, FSC_STREAM_SCANNED, 1);
        fscan_ctr_add(t->fs, FSC_STREAM_MATCH, (uint64_t)res.n);
        fscan_yara_alerts(t, job, NULL, &res);
    }
    file_memcap_release(t->fs->mem, job->scap);
    free(job->sdata);
}

/* ---- threads ---- */

static void fscan_reload_now(struct fscan *fs)
{
    struct fscan_yara_load_stats st;
    struct fscan_yara *y = fscan_pool_compile(fs, &st), *old;

    fscan_ctr_add(fs, y != NULL ? FSC_RELOAD : FSC_RELOAD_FAIL, 1);
    if (y == NULL) {
        log_error("yara", "reload failed; the previous rules stay in use");
        return;
    }
    pthread_mutex_lock(&fs->lock);
    old = fs->rules;
    fs->rules = y;
    fs->gen++;
    atomic_store(&fs->yara_rules, fscan_yara_rule_count(y));
    atomic_store(&fs->yara_head_rules, fscan_yara_head_rule_count(y));
    pthread_mutex_unlock(&fs->lock);
    fscan_yara_unref(old);
}

/* Pick up a new rule set (called with fs->lock held). */
static void fscan_thread_rules(struct fscan_thread_ctx *t)
{
    struct fscan *fs = t->fs;

    if (t->sc_gen == fs->gen || fs->rules == NULL)
        return;
    fscan_yara_scanner_free(t->sc);
    t->sc = fscan_yara_scanner_new(fs->rules, fs->cfg.timeout);
    t->sc_gen = fs->gen;
}

static void *fscan_thread_main(void *arg)
{
    struct fscan_thread_ctx *t = arg;
    struct fscan *fs = t->fs;
    struct fscan_job *job = malloc(sizeof(*job));

    for (;;) {
        pthread_mutex_lock(&fs->lock);
        while (fs->qlen == 0 && !fs->stop) {
            if (t->id == 0 && (atomic_exchange(&fs->reload_req, 0) | atomic_exchange(&fscan_hup, 0))) {
                pthread_mutex_unlock(&fs->lock);
                fscan_reload_now(fs);
                pthread_mutex_lock(&fs->lock);
                continue;
            }
            struct timespec dl;
            clock_gettime(CLOCK_REALTIME, &dl);
            dl.tv_sec += 1;
            pthread_cond_timedwait(&fs->not_empty, &fs->lock, &dl);
        }
        if (fs->qlen == 0 || job == NULL) {
            pthread_mutex_unlock(&fs->lock);
            break;
        }
        *job = fs->q[fs->qhead];
        fs->qhead = (fs->qhead + 1) % (size_t)fs->cfg.queue_size;
        fs->qlen--;
        fs->busy++;
        fscan_thread_rules(t);
        pthread_cond_signal(&fs->not_full);
        pthread_mutex_unlock(&fs->lock);

        if (job->kind == FSCAN_JOB_FILE)
            fscan_do_file(t, job);
        else
            fscan_do_stream(t, job);

        pthread_mutex_lock(&fs->lock);
        bool last = fs->qlen == 0;
        pthread_mutex_unlock(&fs->lock);
        if (last && t->eve != NULL)
            eve_out_flush(t->eve);
        pthread_mutex_lock(&fs->lock);
        if (--fs->busy == 0 && fs->qlen == 0)
            pthread_cond_broadcast(&fs->idle);
        pthread_mutex_unlock(&fs->lock);
    }
    if (t->eve != NULL)
        eve_out_flush(t->eve);
    free(job);
    return NULL;
}

static struct fscan_thread_ctx **fscan_ctxs(struct fscan *fs)
{
    /* the per-thread contexts live after the pthread_t array */
    return (struct fscan_thread_ctx **)(fs->threads + fs->cfg.threads);
}

int fscan_pool_start(struct fscan *fs)
{
    int n = fs->cfg.threads;

    fs->q = calloc((size_t)fs->cfg.queue_size, sizeof(*fs->q));
    fs->threads = calloc(1, (size_t)n * (sizeof(pthread_t) + sizeof(void *)));
    if (fs->q == NULL || fs->threads == NULL)
        return -1;
    if (fs->cfg.cache_size > 0 &&
        (fs->cache = calloc((size_t)fs->cfg.cache_size, sizeof(*fs->cache))) == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        struct fscan_thread_ctx *t = calloc(1, sizeof(*t));
        if (t == NULL)
            return -1;
        t->fs = fs;
        t->id = i;
        t->sc_gen = (uint64_t)-1;
        if (fs->ew != NULL && (t->eve = eve_out_new(fs->ew, 256 * 1024)) == NULL) {
            free(t);
            return -1;
        }
        if (fs->cfg.magic) {
            t->magic = magic_open(MAGIC_NONE);
            if (t->magic != NULL && magic_load(t->magic, NULL) != 0) {
                log_warning("files", "libmagic: %s; fileinfo.magic left out", magic_error(t->magic));
                magic_close(t->magic);
                t->magic = NULL;
            }
        }
        fscan_ctxs(fs)[i] = t;
        if (pthread_create(&fs->threads[i], NULL, fscan_thread_main, t) != 0) {
            log_error("files", "cannot start scan thread %d", i);
            return -1;
        }
        fs->nthreads++;
    }
    return 0;
}

void fscan_pool_stop(struct fscan *fs)
{
    if (fs->threads == NULL)
        return;
    pthread_mutex_lock(&fs->lock);
    fs->stop = true;
    pthread_cond_broadcast(&fs->not_empty);
    pthread_mutex_unlock(&fs->lock);
    for (int i = 0; i < fs->nthreads; i++)
        pthread_join(fs->threads[i], NULL);
    for (int i = 0; i < fs->cfg.threads; i++) {
        struct fscan_thread_ctx *t = fscan_ctxs(fs)[i];
        if (t == NULL)
            continue;
        fscan_yara_scanner_free(t->sc);
        eve_out_free(t->eve);
        if (t->magic != NULL)
            magic_close(t->magic);
        free(t);
    }
    /* jobs left only when a thread could not start: give their memory back */
    while (fs->qlen > 0) {
        struct fscan_job *j = &fs->q[fs->qhead];
        if (j->kind == FSCAN_JOB_FILE) {
            file_info_fini(&j->fi, fs->mem);
        } else {
            file_memcap_release(fs->mem, j->scap);
            free(j->sdata);
        }
        fs->qhead = (fs->qhead + 1) % (size_t)fs->cfg.queue_size;
        fs->qlen--;
    }
    free(fs->threads);
    fs->threads = NULL;
    free(fs->q);
    free(fs->cache);
    fs->q = NULL;
    fs->cache = NULL;
}

/* Offline, a sleeping scan thread is woken once per FSCAN_WAKE_BATCH jobs
 * (or a full queue, or fscan_drain), not per file: the futex wake and the
 * context switch per submitted file were ~5% of the no-rule bench's worker
 * time. Live input wakes per job, as a file's events should not wait. */
#define FSCAN_WAKE_BATCH 8

int fscan_pool_submit(struct fscan *fs, const struct fscan_job *job)
{
    size_t qs = (size_t)fs->cfg.queue_size;

    pthread_mutex_lock(&fs->lock);
    if (fs->qlen == qs) {
        if (fs->live || fs->nthreads == 0) {
            pthread_mutex_unlock(&fs->lock);
            fscan_ctr_add(fs, FSC_QDROP, 1);
            return -1;
        }
        fscan_ctr_add(fs, FSC_QWAIT, 1);
        while (fs->qlen == qs)
            pthread_cond_wait(&fs->not_full, &fs->lock);
    }
    fs->q[(fs->qhead + fs->qlen) % qs] = *job;
    fs->qlen++;
    if (fs->live || fs->qlen >= FSCAN_WAKE_BATCH || fs->qlen == qs)
        pthread_cond_signal(&fs->not_empty);
    pthread_mutex_unlock(&fs->lock);
    fscan_ctr_add(fs, FSC_QUEUED, 1);
    return 0;
}

void fscan_drain(struct fscan *fs)
{
    if (fs == NULL || fs->nthreads == 0)
        return;
    pthread_mutex_lock(&fs->lock);
    pthread_cond_broadcast(&fs->not_empty); /* jobs left below the wake batch */
    while (fs->qlen > 0 || fs->busy > 0)
        pthread_cond_wait(&fs->idle, &fs->lock);
    pthread_mutex_unlock(&fs->lock);
}
