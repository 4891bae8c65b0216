/* filescan: configuration, start/stop, and the worker-side API the app
 * layer calls (see filescan.h). Runs on worker threads except for
 * fscan_new/fscan_free/fscan_check; the scan threads are in fscan_pool.c.
 * A worker takes the queue lock once per finished file or stream head,
 * never per packet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cfg.h"
#include "filescan/filescan_private.h"
#include "log.h"
#include "output/eve_fileinfo.h"

static const struct cfg_opt fscan_schema[] = {
    { "files.enabled", CFG_BOOL, "yes", 0, 0, "carve HTTP request and response bodies into files" },
    { "files.max-file-size", CFG_SIZE, "10mb", 1024, (int64_t)1 << 32, "bytes kept and hashed per file (beyond: TRUNCATED)" },
    { "files.memcap", CFG_SIZE, "256mb", 65536, (int64_t)1 << 40, "file content held at once, whole sensor (beyond: content dropped, counted)" },
    { "files.max-open-files", CFG_INT, "4096", 1, 1000000, "files open at once per worker" },
    { "files.magic", CFG_BOOL, "yes", 0, 0, "fileinfo.magic from libmagic" },
    { "files.force-hash", CFG_LIST, NULL, 0, 0, "md5 and/or sha1 in fileinfo too (sha256 always; filemd5/filesha1 rules add theirs)" },
    { "yara.enabled", CFG_BOOL, "yes", 0, 0, "scan files and stream heads with YARA" },
    { "yara.rule-path", CFG_STR, "signatures/yara", 0, 0, "directory of *.yar rules (loaded when present)" },
    { "yara-rules", CFG_LIST, NULL, 0, 0, "more YARA rule files (--yara FILE adds to them)" },
    { "yara.threads", CFG_INT, "1", 1, 64, "scan threads (off the packet path)" },
    { "yara.queue-size", CFG_INT, "256", 1, 1000000, "files waiting for a scan thread (live: full = dropped, counted)" },
    { "yara.timeout", CFG_INT, "10", 0, 3600, "seconds per scan (0: none)" },
    { "yara.cache-size", CFG_INT, "4096", 0, 10000000, "recent sha256 results kept, so a file is scanned once" },
    /* On by default since heads are scanned with a rule set compiled without
     * module imports (fscan_yara.h): ~40k instructions a 4 KB head instead
     * of ~2.5M (pe set-up), +4% instructions on the no-rule bench slice. */
    { "yara.stream-scan-depth", CFG_SIZE, "4096", 0, 1048576, "first bytes of each TCP direction scanned with the rules that need no module, TLS/SSH excepted (0: off)" },
    { "file-store.enabled", CFG_BOOL, "no", 0, 0, "write carved files to disk by sha256" },
    { "file-store.dir", CFG_STR, "filestore", 0, 0, "store directory (relative: to the log directory)" },
    { "file-store.max-size", CFG_SIZE, "1gb", 0, (int64_t)1 << 50, "bytes the store may hold (beyond: not stored, counted)" },
    { "outputs.eve-log.types.files", CFG_BOOL, "yes", 0, 0, "fileinfo events" },
};

int fscan_cfg_schema(struct cfg *c)
{
    return cfg_add_schema(c, fscan_schema, sizeof(fscan_schema) / sizeof(fscan_schema[0]));
}

static void fscan_cfg_read(const struct cfg *c, const char *logdir, struct fscan_cfg *out)
{
    const char *dir = cfg_get_str(c, "file-store.dir");

    memset(out, 0, sizeof(*out));
    out->files_enabled = cfg_get_bool(c, "files.enabled");
    out->max_file_size = (uint64_t)cfg_get_int(c, "files.max-file-size");
    out->memcap = (uint64_t)cfg_get_int(c, "files.memcap");
    out->max_open = (uint32_t)cfg_get_int(c, "files.max-open-files");
    out->magic = cfg_get_bool(c, "files.magic");
    out->yara_enabled = cfg_get_bool(c, "yara.enabled");
    out->threads = (int)cfg_get_int(c, "yara.threads");
    out->queue_size = (int)cfg_get_int(c, "yara.queue-size");
    out->timeout = (int)cfg_get_int(c, "yara.timeout");
    out->cache_size = (int)cfg_get_int(c, "yara.cache-size");
    out->stream_depth = out->yara_enabled ? (uint32_t)cfg_get_int(c, "yara.stream-scan-depth") : 0;
    out->store_enabled = cfg_get_bool(c, "file-store.enabled");
    out->store_max = (uint64_t)cfg_get_int(c, "file-store.max-size");
    out->eve_files = cfg_get_bool(c, "outputs.eve-log.types.files");
    const char *const *fh;
    size_t nfh = cfg_get_list(c, "files.force-hash", &fh);
    for (size_t i = 0; i < nfh; i++) {
        if (strcasecmp(fh[i], "md5") == 0)
            out->hashes |= FILE_HASH_MD5;
        else if (strcasecmp(fh[i], "sha1") == 0)
            out->hashes |= FILE_HASH_SHA1;
        else if (strcasecmp(fh[i], "sha256") == 0)
            out->hashes |= FILE_HASH_SHA256;
        else
            log_warning("files", "files.force-hash: \"%s\" is not md5, sha1 or sha256; ignored", fh[i]);
    }
    if (dir == NULL)
        dir = "filestore";
    if (dir[0] == '/' || logdir == NULL)
        snprintf(out->store_dir, sizeof(out->store_dir), "%s", dir);
    else
        snprintf(out->store_dir, sizeof(out->store_dir), "%s/%s", logdir, dir);
}

/* yara.rule-path (when present), yara-rules, then --yara files. */
static void fscan_yara_paths(struct fscan *fs, const struct cfg *c, const char *const *extra,
                             size_t nextra)
{
    const char *dir = cfg_get_str(c, "yara.rule-path");
    const char *const *items;
    size_t n = cfg_get_list(c, "yara-rules", &items);

    if (dir != NULL && dir[0] != '\0') {
        if (access(dir, R_OK) == 0)
            fs->yara_paths[fs->nyara_paths++] = strdup(dir);
        else if (cfg_is_set(c, "yara.rule-path"))
            log_warning("yara", "yara.rule-path %s: %m; no rules from it", dir);
    }
    for (size_t i = 0; i < n && fs->nyara_paths < FSCAN_MAX_YARA_PATHS; i++)
        fs->yara_paths[fs->nyara_paths++] = strdup(items[i]);
    for (size_t i = 0; i < nextra && fs->nyara_paths < FSCAN_MAX_YARA_PATHS; i++)
        fs->yara_paths[fs->nyara_paths++] = strdup(extra[i]);
}

static struct fscan_hashlist *fscan_load_hashlists(const struct cfg *c,
                                                   const char *const *rule_files, size_t n,
                                                   struct fscan_hashlist_stats *st)
{
    const char *dir = NULL;   /* -S FILE names a file as given */
    const char *const *items = rule_files;

    if (rule_files == NULL) {
        dir = cfg_get_str(c, "default-rule-path");
        n = cfg_get_list(c, "rule-files", &items);
    }
    return fscan_hashlist_load(items, n, dir, st);
}

struct fscan *fscan_new(const struct cfg *c, const char *const *extra_yara, size_t nextra,
                        const char *const *rule_files, size_t nrule_files,
                        struct eve_writer *ew, const char *logdir, bool live)
{
    struct fscan *fs = calloc(1, sizeof(*fs));
    struct fscan_hashlist_stats hst;

    if (fs == NULL)
        return NULL;
    fscan_cfg_read(c, logdir, &fs->cfg);
    fs->ew = ew;
    fs->live = live;
    pthread_mutex_init(&fs->lock, NULL);
    pthread_mutex_init(&fs->cache_lock, NULL);
    pthread_cond_init(&fs->not_empty, NULL);
    pthread_cond_init(&fs->not_full, NULL);
    pthread_cond_init(&fs->idle, NULL);
    for (int i = 0; i < FSC_MAX; i++)
        atomic_init(&fs->ctr[i], 0);
    if ((fs->mem = file_memcap_new(fs->cfg.memcap)) == NULL)
        goto fail;
    if (fs->cfg.yara_enabled) {
        struct fscan_yara_load_stats st;
        fscan_yara_paths(fs, c, extra_yara, nextra);
        if ((fs->rules = fscan_pool_compile(fs, &st)) == NULL)
            goto fail;
        fs->gen = 1;
        atomic_store(&fs->yara_rules, fscan_yara_rule_count(fs->rules));
        atomic_store(&fs->yara_head_rules, fscan_yara_head_rule_count(fs->rules));
    }
    fs->hl = fscan_load_hashlists(c, rule_files, nrule_files, &hst);
    if (fs->hl == NULL)
        goto fail;
    if (hst.rules > 0 || hst.rules_failed > 0)
        log_notice("rules", "%zu file-hash rules (%zu failed), %zu lists, %zu digests", hst.rules,
                   hst.rules_failed, hst.lists, hst.hashes);
    /* Carve only for a consumer: content for YARA (rules loaded) and the
     * store; digests for fileinfo and the hash lists (md5/sha1 on demand). */
    fs->cfg.hashes |= fscan_hashlist_digests(fs->hl);
    fs->cfg.keep_content = fs->cfg.store_enabled ||
                           (fs->cfg.yara_enabled && atomic_load(&fs->yara_rules) > 0);
    if (!fs->cfg.eve_files && !fs->cfg.keep_content && fscan_hashlist_rule_count(fs->hl) == 0)
        fs->cfg.files_enabled = false;
    if (fs->cfg.store_enabled &&
        (fs->store = file_store_new(fs->cfg.store_dir, fs->cfg.store_max)) == NULL)
        goto fail;
    if (fscan_pool_start(fs) != 0)
        goto fail;
    return fs;
fail:
    log_error("files", "cannot start file carving and scanning");
    fscan_free(fs);
    return NULL;
}

void fscan_free(struct fscan *fs)
{
    if (fs == NULL)
        return;
    fscan_drain(fs);
    fscan_pool_stop(fs);
    {
        struct fscan_stats s;
        fscan_get_stats(fs, &s);
        log_info("files", "%llu files (%llu truncated), scanned %llu, cache hits %llu, "
                 "YARA matches %llu, stream heads %llu, hash alerts %llu, stored %llu, "
                 "queue drops %llu, queue waits %llu, memcap drops %llu, open failures %llu",
                 (unsigned long long)s.files, (unsigned long long)s.truncated,
                 (unsigned long long)s.scanned, (unsigned long long)s.cache_hits,
                 (unsigned long long)s.yara_matches, (unsigned long long)s.stream_scanned,
                 (unsigned long long)s.hash_alerts, (unsigned long long)s.stored,
                 (unsigned long long)s.queue_drops, (unsigned long long)s.queue_waits,
                 (unsigned long long)s.memcap_drops,
                 (unsigned long long)s.open_fail);
    }
    fscan_yara_unref(fs->rules);
    fscan_hashlist_free(fs->hl);
    file_store_free(fs->store);
    file_memcap_free(fs->mem);
    for (size_t i = 0; i < fs->nyara_paths; i++)
        free(fs->yara_paths[i]);
    pthread_mutex_destroy(&fs->lock);
    pthread_mutex_destroy(&fs->cache_lock);
    pthread_cond_destroy(&fs->not_empty);
    pthread_cond_destroy(&fs->not_full);
    pthread_cond_destroy(&fs->idle);
    free(fs);
}

void fscan_reload(struct fscan *fs)
{
    if (fs != NULL && fs->cfg.yara_enabled)
        atomic_store(&fs->reload_req, 1);
}

int fscan_check(const struct cfg *c, const char *const *extra_yara, size_t nextra,
                const char *const *rule_files, size_t nrule_files)
{
    struct fscan fs;
    struct fscan_yara_load_stats st;
    struct fscan_hashlist_stats hst;
    struct fscan_hashlist *hl;
    int errors = 0;

    memset(&fs, 0, sizeof(fs));
    fscan_cfg_read(c, NULL, &fs.cfg);
    if (fs.cfg.yara_enabled) {
        fscan_yara_paths(&fs, c, extra_yara, nextra);
        struct fscan_yara *y = fscan_pool_compile(&fs, &st);
        errors += y == NULL ? 1 : (int)(st.rules_failed + st.files_failed);
        fscan_yara_unref(y);
        for (size_t i = 0; i < fs.nyara_paths; i++)
            free(fs.yara_paths[i]);
    }
    hl = fscan_load_hashlists(c, rule_files, nrule_files, &hst);
    errors += hl == NULL ? 1 : (int)hst.rules_failed;
    fscan_hashlist_free(hl);
    return errors;
}

size_t fscan_yara_rules(struct fscan *fs)
{
    size_t n = 0;

    pthread_mutex_lock(&fs->lock);
    if (fs->rules != NULL)
        n = fscan_yara_rule_count(fs->rules);
    pthread_mutex_unlock(&fs->lock);
    return n;
}

void fscan_get_stats(struct fscan *fs, struct fscan_stats *o)
{
    uint64_t v[FSC_MAX];

    for (int i = 0; i < FSC_MAX; i++)
        v[i] = atomic_load(&fs->ctr[i]);
    *o = (struct fscan_stats){
        .files = v[FSC_FILES], .truncated = v[FSC_TRUNC], .open_fail = v[FSC_OPEN_FAIL],
        .memcap_drops = v[FSC_MEMCAP], .queued = v[FSC_QUEUED], .queue_drops = v[FSC_QDROP],
        .queue_waits = v[FSC_QWAIT], .scanned = v[FSC_SCANNED], .cache_hits = v[FSC_CACHE_HIT],
        .yara_matches = v[FSC_YARA_MATCH], .yara_timeouts = v[FSC_YARA_TIMEOUT],
        .yara_errors = v[FSC_YARA_ERR], .stream_scanned = v[FSC_STREAM_SCANNED],
        .stream_matches = v[FSC_STREAM_MATCH], .stream_skipped = v[FSC_STREAM_SKIP], .hash_alerts = v[FSC_HASH_ALERT],
        .stored = v[FSC_STORED], .store_full = v[FSC_STORE_FULL],
        .store_errors = v[FSC_STORE_ERR], .fileinfo_events = v[FSC_EV_FILEINFO],
        .alert_events = v[FSC_EV_ALERT], .alert_dups = v[FSC_ALERT_DUP], .reloads = v[FSC_RELOAD],
        .reload_failures = v[FSC_RELOAD_FAIL],
    };
    if (fs->store != NULL) {
        struct file_store_stats ss;
        file_store_get_stats(fs->store, &ss);
        o->store_full = ss.full;
        o->store_errors = ss.errors;
    }
}

/* ---- worker side ---- */

struct fscan_worker {
    struct fscan *fs;
    struct eve_out *eve;
    struct file_tracker *ft;
    struct file_track_stats published;
};

struct fscan_stream {
    uint8_t *buf[2];
    uint32_t len[2], cap[2];
    bool done[2];
};

struct fscan_worker *fscan_worker_new(struct fscan *fs, struct eve_out *eve)
{
    struct fscan_worker *fw = calloc(1, sizeof(*fw));
    struct file_track_cfg tc = { fs->cfg.max_file_size, fs->cfg.max_open, fs->cfg.hashes,
                                 fs->cfg.keep_content };

    if (fw == NULL)
        return NULL;
    fw->fs = fs;
    fw->eve = eve;
    if (fs->cfg.files_enabled && (fw->ft = file_track_new(&tc, fs->mem)) == NULL) {
        free(fw);
        return NULL;
    }
    return fw;
}

void fscan_worker_publish(struct fscan_worker *fw)
{
    const struct file_track_stats *s;
    struct fscan *fs = fw->fs;

    if (fw->ft == NULL)
        return;
    s = file_track_stats(fw->ft);
    atomic_fetch_add(&fs->ctr[FSC_FILES], s->closed + s->truncated - fw->published.closed -
                                              fw->published.truncated);
    atomic_fetch_add(&fs->ctr[FSC_TRUNC], s->truncated - fw->published.truncated);
    atomic_fetch_add(&fs->ctr[FSC_OPEN_FAIL], s->open_fail - fw->published.open_fail);
    atomic_fetch_add(&fs->ctr[FSC_MEMCAP], s->memcap_drops - fw->published.memcap_drops);
    fw->published = *s;
}

void fscan_worker_free(struct fscan_worker *fw)
{
    if (fw == NULL)
        return;
    fscan_worker_publish(fw);
    file_track_free(fw->ft);
    free(fw);
}

struct file_obj *fscan_file_open(struct fscan_worker *fw, uint64_t tx_id, int dir,
                                 const char *name, size_t name_len)
{
    if (fw == NULL || fw->ft == NULL)
        return NULL;
    return file_track_open(fw->ft, tx_id, dir, name, name_len);
}

void fscan_file_http(struct file_obj *ff, const char *url, size_t url_len, const char *host,
                     size_t host_len)
{
    file_track_set_http(ff, url, url_len, host, host_len);
}

void fscan_file_data(struct fscan_worker *fw, struct file_obj *ff, const uint8_t *data,
                     size_t len)
{
    if (fw != NULL && ff != NULL)
        file_track_append(fw->ft, ff, data, len);
}

/* The snapshot a scan thread may read after the flow is gone. */
static void fscan_snapshot(struct flow *dst, const struct flow *f)
{
    *dst = *f;
    dst->dpi.ndpi = NULL;
    dst->stream = dst->app = dst->detect = NULL;
}

void fscan_file_close(struct fscan_worker *fw, struct file_obj *ff, const struct flow *f,
                      bool truncated, struct timeval ts)
{
    struct fscan *fs;
    struct fscan_job *job;

    if (fw == NULL || ff == NULL)
        return;
    fs = fw->fs;
    /* the job is big (the file's head bytes): build it in place, not on
     * a worker's stack frame that may be small */
    static _Thread_local struct fscan_job tjob;
    job = &tjob;
    memset(&job->flow, 0, sizeof(job->flow));
    job->kind = FSCAN_JOB_FILE;
    job->ts = ts;
    job->sdata = NULL;
    job->slen = job->scap = 0;
    file_track_close(fw->ft, ff, truncated, &job->fi);
    job->sdir = job->fi.dir;
    fscan_snapshot(&job->flow, f);
    fscan_worker_publish(fw);
    if (fscan_pool_submit(fs, job) == 0)
        return;
    /* refused (live, queue full): log what we have, without the scan */
    if (fw->eve != NULL && fs->cfg.eve_files && eve_fileinfo_log(fw->eve, &job->flow, ts,
                                                                  &job->fi, NULL) == 0)
        atomic_fetch_add(&fs->ctr[FSC_EV_FILEINFO], 1);
    file_info_fini(&job->fi, fs->mem);
}

static void fscan_stream_submit(struct fscan_worker *fw, struct fscan_stream *s,
                                const struct flow *f, int dir, struct timeval ts)
{
    static _Thread_local struct fscan_job job;

    s->done[dir] = true;
    if (s->len[dir] == 0)
        return;
    job.kind = FSCAN_JOB_STREAM;
    job.ts = ts;
    job.sdata = s->buf[dir];
    job.slen = s->len[dir];
    job.scap = s->cap[dir];
    job.sdir = dir;
    job.fi.dir = dir;
    fscan_snapshot(&job.flow, f);
    if (fscan_pool_submit(fw->fs, &job) != 0) {
        file_memcap_release(fw->fs->mem, s->cap[dir]);
        free(s->buf[dir]);
    }
    s->buf[dir] = NULL;
    s->len[dir] = s->cap[dir] = 0;
}

/* A direction that starts with a TLS record header (handshake, alert, CCS
 * or application data, version 3.x) or an SSH banner carries ciphertext
 * after its first messages: YARA on it finds nothing worth the scan. */
static bool fscan_stream_encrypted(const uint8_t *d, size_t n)
{
    if (n >= 3 && d[0] >= 0x14 && d[0] <= 0x17 && d[1] == 0x03 && d[2] <= 0x04)
        return true;
    return n >= 4 && memcmp(d, "SSH-", 4) == 0;
}

/* Room for need bytes in a head buffer: it starts at FSCAN_STREAM_MIN and
 * doubles up to the depth (at most 3 allocations for 4 KB), so the many
 * directions that carry a few hundred bytes and stay open do not hold the
 * whole depth each (bench capture, 220k flows open at once: peak RSS +29 MB
 * with the depth allocated at once). 0, or -1 (memcap, no memory). */
#define FSCAN_STREAM_MIN 1024
static int fscan_stream_grow(struct fscan_worker *fw, struct fscan_stream *s, int dir,
                             uint32_t need)
{
    uint32_t depth = fw->fs->cfg.stream_depth;
    uint32_t cap = s->cap[dir] ? s->cap[dir] : FSCAN_STREAM_MIN;
    uint8_t *p;

    while (cap < need)
        cap *= 2;
    if (cap > depth)
        cap = depth;
    if (!file_memcap_take(fw->fs->mem, cap - s->cap[dir]))
        return -1;
    if ((p = realloc(s->buf[dir], cap)) == NULL) {
        file_memcap_release(fw->fs->mem, cap - s->cap[dir]);
        return -1;
    }
    s->buf[dir] = p;
    s->cap[dir] = cap;
    return 0;
}

bool fscan_stream_wanted(const struct fscan_worker *fw)
{
    return fw != NULL && fw->fs->cfg.stream_depth != 0 && fw->fs->cfg.yara_enabled;
}

bool fscan_stream_done(const struct fscan_worker *fw, const struct fscan_stream *s, int dir)
{
    if (!fscan_stream_wanted(fw) ||
        atomic_load_explicit(&fw->fs->yara_head_rules, memory_order_relaxed) == 0)
        return true;
    return s != NULL && dir >= 0 && dir <= 1 && s->done[dir];
}

void fscan_stream_data(struct fscan_worker *fw, struct fscan_stream **slot,
                       const struct flow *f, int dir, const uint8_t *data, size_t len,
                       struct timeval ts)
{
    struct fscan_stream *s = *slot;
    uint32_t depth;
    size_t take;

    if (fw == NULL || (depth = fw->fs->cfg.stream_depth) == 0 || !fw->fs->cfg.yara_enabled ||
        len == 0 || dir < 0 || dir > 1)
        return;
    if (s != NULL && s->done[dir])
        return;
    if (atomic_load_explicit(&fw->fs->yara_head_rules, memory_order_relaxed) == 0)
        return;   /* nothing could match */
    if ((s == NULL || s->len[dir] == 0) && fscan_stream_encrypted(data, len)) {
        /* ciphertext follows: the direction is not kept */
        if (s == NULL && (s = calloc(1, sizeof(*s))) == NULL)
            return;
        *slot = s;
        s->done[dir] = true;
        atomic_fetch_add_explicit(&fw->fs->ctr[FSC_STREAM_SKIP], 1, memory_order_relaxed);
        return;
    }
    if (s == NULL) {
        /* once per flow that carries payload, not per packet */
        if ((s = calloc(1, sizeof(*s))) == NULL)
            return;
        *slot = s;
    }
    if (s->done[dir])
        return;
    take = depth - s->len[dir] < len ? depth - s->len[dir] : len;
    if (s->len[dir] + take > s->cap[dir] && fscan_stream_grow(fw, s, dir, s->len[dir] + take) != 0) {
        /* memcap: what is held is scanned, nothing more is kept */
        atomic_fetch_add(&fw->fs->ctr[FSC_MEMCAP], 1);
        fscan_stream_submit(fw, s, f, dir, ts);
        return;
    }
    memcpy(s->buf[dir] + s->len[dir], data, take);
    s->len[dir] += (uint32_t)take;
    if (s->len[dir] == depth)
        fscan_stream_submit(fw, s, f, dir, ts);
}

void fscan_stream_end(struct fscan_worker *fw, struct fscan_stream **slot,
                      const struct flow *f, struct timeval ts)
{
    struct fscan_stream *s = *slot;

    if (s == NULL)
        return;
    for (int d = 0; d < 2; d++) {
        if (!s->done[d] && fw != NULL)
            fscan_stream_submit(fw, s, f, d, ts);
        if (s->buf[d] != NULL) {
            if (fw != NULL)
                file_memcap_release(fw->fs->mem, s->cap[d]);
            free(s->buf[d]);
        }
    }
    free(s);
    *slot = NULL;
}
