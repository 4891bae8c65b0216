/* filescan_private: what filescan.c (config, workers, stream heads) and
 * fscan_pool.c (queue, scan threads, cache) share. Not for other stages.
 */
#ifndef CANH_FILESCAN_PRIVATE_H
#define CANH_FILESCAN_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>

#include "filescan/file_store.h"
#include "filescan/file_track.h"
#include "filescan/filescan.h"
#include "filescan/fscan_hashlist.h"
#include "filescan/fscan_yara.h"

#define FSCAN_MAX_YARA_PATHS 128
#define FSCAN_ALERTED_SLOTS 4096

struct fscan_cfg {
    bool files_enabled, magic, yara_enabled, store_enabled, eve_files;
    uint64_t max_file_size, memcap, store_max;
    uint32_t max_open;
    int threads, queue_size, timeout, cache_size;
    uint32_t stream_depth;
    unsigned hashes;           /* FILE_HASH_*: files.force-hash + what hash-list rules need */
    bool keep_content;         /* a consumer of file bytes exists (YARA rules, file-store) */
    char store_dir[2048];
};

enum fscan_job_kind { FSCAN_JOB_FILE = 0, FSCAN_JOB_STREAM };

/* One unit of work for a scan thread; owns fi.data or sdata. */
struct fscan_job {
    enum fscan_job_kind kind;
    struct flow flow;          /* snapshot: only addresses, ids, dpi verdict */
    struct timeval ts;
    struct file_info fi;
    uint8_t *sdata;
    size_t slen, scap;
    int sdir;
};

/* Counters (atomics: written by workers at file close and by scan threads). */
enum fscan_ctr {
    FSC_FILES, FSC_TRUNC, FSC_OPEN_FAIL, FSC_MEMCAP, FSC_QUEUED, FSC_QDROP, FSC_QWAIT,
    FSC_SCANNED, FSC_CACHE_HIT, FSC_YARA_MATCH, FSC_YARA_TIMEOUT, FSC_YARA_ERR,
    FSC_STREAM_SCANNED, FSC_STREAM_MATCH, FSC_STREAM_SKIP, FSC_HASH_ALERT, FSC_STORED, FSC_STORE_FULL,
    FSC_STORE_ERR, FSC_EV_FILEINFO, FSC_EV_ALERT, FSC_ALERT_DUP, FSC_RELOAD, FSC_RELOAD_FAIL, FSC_MAX
};

/* What a finished file's analysis found, by sha256: libmagic's verdict and
 * the YARA result (valid for one rule-set generation). */
struct fscan_cache_ent {
    uint8_t sha256[32];
    uint64_t key;              /* 0: empty; 1: no YARA; else rule-set generation + 1 */
    bool scanned;
    struct fscan_yara_result res;
    char magic[128];
};

struct fscan {
    struct fscan_cfg cfg;
    struct eve_writer *ew;
    bool live;
    struct file_memcap *mem;
    struct fscan_hashlist *hl;
    struct file_store *store;

    /* YARA set in use and how to rebuild it */
    char *yara_paths[FSCAN_MAX_YARA_PATHS];
    size_t nyara_paths;
    struct fscan_yara *rules;  /* under lock */
    uint64_t gen;              /* bumps on every swap; cache entries carry it */
    _Atomic int reload_req;    /* fscan_reload(); lock-free, so async-signal-safe */
    _Atomic size_t yara_rules; /* rules in the current file set */
    _Atomic size_t yara_head_rules; /* ... and in its stream-head set (heads skip at 0) */

    /* bounded queue */
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full, idle;
    struct fscan_job *q;
    size_t qhead, qlen;
    int busy;
    bool stop;
    pthread_t *threads;
    int nthreads;

    pthread_mutex_t cache_lock;
    struct fscan_cache_ent *cache;

    /* YARA alerts given, by (flow_id, rule): a stream head and a file of the
     * same flow matching the same rule alert once. Direct-mapped, lock-free
     * (an exchange per alert); a collision forgets the older pair. */
    _Atomic uint64_t alerted[FSCAN_ALERTED_SLOTS];

    _Atomic uint64_t ctr[FSC_MAX];
};

/* fscan_pool.c */
int fscan_pool_start(struct fscan *fs);
void fscan_pool_stop(struct fscan *fs);
/* Queue a job (copied; ownership of its buffers moves on success).
 * 0 queued, -1 refused (live and full; counted): the caller keeps it. */
int fscan_pool_submit(struct fscan *fs, const struct fscan_job *job);
/* Load the YARA set from fs->yara_paths. NULL on failure. */
struct fscan_yara *fscan_pool_compile(struct fscan *fs, struct fscan_yara_load_stats *st);

#endif
