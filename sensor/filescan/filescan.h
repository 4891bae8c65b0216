/* filescan: what the app layer calls to carve files, and the scan pool
 * behind it (magic, YARA, hash lists, file-store, fileinfo/alert EVE).
 *
 *   worker thread (per packet, no lock, no allocation per chunk):
 *     ff = fscan_file_open(fw, tx_id, dir, name, len);      request/response body starts
 *     fscan_file_http(ff, url, ulen, host, hlen);            optional context
 *     fscan_file_data(fw, ff, data, len);                     each (decoded) body chunk
 *     fscan_file_close(fw, ff, flow, truncated, ts);          body ends (or tx/flow ends)
 *     fscan_stream_data(fw, &slot, flow, dir, data, len, ts); reassembled TCP bytes
 *     fscan_stream_end(fw, &slot, flow, ts);                  flow ends
 *   scan threads (yara.threads): take finished files and stream heads from a
 *     bounded queue; libmagic, the sha256 cache, YARA, hash-list rules,
 *     file-store, then `fileinfo` and `alert` events on their own eve_out.
 *
 * A full queue: live, the file is counted (queue_drops) and its fileinfo is
 * written at once without magic/YARA/store; offline (pcap), the worker waits
 * so that runs are deterministic. fscan_free drains the queue first.
 * YARA rules: yara.rule-path (a directory, default signatures/yara),
 * yara-rules (files) and --yara FILE, compiled at start and again after
 * fscan_reload() (SIGHUP), swapped between scans.
 */
#ifndef CANH_FILESCAN_H
#define CANH_FILESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "flow/flow.h"
#include "output/eve_writer.h"

struct cfg;
struct fscan;
struct fscan_worker;
struct fscan_stream;
struct file_obj;

/* Adds the files.*, yara.*, yara-rules, file-store.* and
 * outputs.eve-log.types.files keys. 0 or -1. */
int fscan_cfg_schema(struct cfg *c);

/* Start-up: reads the config, compiles YARA (extra: --yara files), loads the
 * file-hash rules of rule_files (NULL: the config's rule-files), opens the
 * store, starts the scan threads. live: drop on a full queue instead of
 * waiting. ew may be NULL (no events). NULL on a fatal problem (logged);
 * a rule that does not compile is not fatal. */
struct fscan *fscan_new(const struct cfg *c, const char *const *extra_yara, size_t nextra,
                        const char *const *rule_files, size_t nrule_files,
                        struct eve_writer *ew, const char *logdir, bool live);
/* Waits for the queue to drain, stops the threads, flushes their EVE.
 * Call after every worker has finished (flows ended). NULL is fine. */
void fscan_free(struct fscan *fs);
/* Ask for a YARA recompile (async-signal-safe; done on the first scan
 * thread when it is idle, within a second). */
void fscan_reload(struct fscan *fs);
/* Recompile on SIGHUP too. Install after any other SIGHUP handler: this one
 * chains to the handler it replaces. */
void fscan_watch_sighup(struct fscan *fs);
/* Block until every queued job is done and its events are flushed. */
void fscan_drain(struct fscan *fs);
/* `-T`: compile YARA and the file-hash rules, report; errors found. */
int fscan_check(const struct cfg *c, const char *const *extra_yara, size_t nextra,
                const char *const *rule_files, size_t nrule_files);

/* Per worker; eve: the worker's buffer, used only for a file the full queue
 * refused (live). NULL on no memory (logged). */
struct fscan_worker *fscan_worker_new(struct fscan *fs, struct eve_out *eve);
/* Publish this worker's file counters into the shared stats (any time on
 * the worker's thread; cheap). */
void fscan_worker_publish(struct fscan_worker *fw);
/* Discards files still open. NULL is fine. */
void fscan_worker_free(struct fscan_worker *fw);

/* Files. fscan_file_open returns NULL when carving is off or no slot is free
 * (counted); the other calls accept NULL. */
struct file_obj *fscan_file_open(struct fscan_worker *fw, uint64_t tx_id, int dir,
                                 const char *name, size_t name_len);
void fscan_file_http(struct file_obj *ff, const char *url, size_t url_len, const char *host,
                     size_t host_len);
void fscan_file_data(struct fscan_worker *fw, struct file_obj *ff, const uint8_t *data,
                     size_t len);
/* f: the flow (copied; may be freed after). ts: packet time of the end. */
void fscan_file_close(struct fscan_worker *fw, struct file_obj *ff, const struct flow *f,
                      bool truncated, struct timeval ts);

/* Stream heads: the first yara.stream-scan-depth bytes of each direction of
 * a TCP flow are scanned once. *slot is the caller's per-flow pointer (NULL
 * at first); fscan_stream_end frees it. dir: 0 toserver, 1 toclient. */
void fscan_stream_data(struct fscan_worker *fw, struct fscan_stream **slot,
                       const struct flow *f, int dir, const uint8_t *data, size_t len,
                       struct timeval ts);
/* Whether stream heads are scanned at all (yara.stream-scan-depth > 0 with
 * YARA on): when not, reassembly need not keep a flow's bytes for them. */
bool fscan_stream_wanted(const struct fscan_worker *fw);
/* Whether the head of direction dir needs no more bytes: queued, skipped
 * (TLS/SSH, memcap) or not to be kept at all (no head rules). s: the flow's
 * slot (NULL before its first bytes). Reassembly may let a direction go
 * once this holds for it. */
bool fscan_stream_done(const struct fscan_worker *fw, const struct fscan_stream *s, int dir);
void fscan_stream_end(struct fscan_worker *fw, struct fscan_stream **slot,
                      const struct flow *f, struct timeval ts);

struct fscan_stats {
    uint64_t files, truncated, open_fail, memcap_drops;    /* workers (published on close) */
    uint64_t queued, queue_drops, queue_waits;
    uint64_t scanned, cache_hits, yara_matches, yara_timeouts, yara_errors;
    uint64_t stream_scanned, stream_matches;
    uint64_t stream_skipped;    /* directions not kept: TLS/SSH, or no YARA rules */
    uint64_t hash_alerts, stored, store_full, store_errors;
    uint64_t fileinfo_events, alert_events;
    uint64_t alert_dups;        /* YARA alerts not repeated: same rule, same flow (stream head + file) */
    uint64_t reloads, reload_failures;
};
void fscan_get_stats(struct fscan *fs, struct fscan_stats *out);
/* Rules in the current YARA set. */
size_t fscan_yara_rules(struct fscan *fs);

#endif
