/* ship: the sensor's durable spool and its shipper to the correlator.
 *
 * Worker threads hand finished EVE lines to ship_append(); they are copied
 * into a memory buffer and group-committed (write + fsync) to segment files
 * in spool_dir every flush_ms. A shipper thread reads fsynced lines from the
 * committed offset, posts them in gzip'ed NDJSON batches to the correlator's
 * /api/v1/events and advances the committed offset (rename + fsync) only
 * after a 2xx, so a batch leaves the spool only once the correlator holds it.
 * After a crash or restart, sending resumes at the committed offset; the
 * correlator dedupes resends by canh.id. The spool is bounded: above ~90%
 * non-alert events are dropped, alerts only at 100%; every drop is counted.
 */
#ifndef CANH_SHIP_H
#define CANH_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;

/* Error returns (negative), the project's small errno-like set. */
enum ship_err {
    SHIP_ERR_NOMEM = -1,
    SHIP_ERR_INVAL = -2,
    SHIP_ERR_LIMIT = -3, /* spool or buffer full: the event was dropped and counted */
    SHIP_ERR_EXIST = -4,
    SHIP_ERR_NOENT = -5,
    SHIP_ERR_IO = -6,
    SHIP_ERR_PARSE = -7,
};

/* Typed outputs.correlator section. Strings are borrowed from the cfg by
 * ship_cfg_load(); ship_new() copies what it keeps. url == NULL means the
 * correlator output is disabled. */
struct ship_cfg {
    const char *url;        /* http(s)://host:port; "/api/v1/events" is appended unless
                               the URL already has a path */
    const char *token;      /* sensor bearer token (ingest scope) */
    const char *ca_file;    /* PEM CA bundle; NULL = system store */
    const char *spool_dir;  /* created 0700 if missing */
    uint64_t spool_max_bytes;
    uint32_t batch_max_events;
    uint32_t batch_max_bytes;
    uint32_t flush_ms;      /* group-commit interval (fsync) */
    bool verify_tls;
};

/* Adds outputs.correlator.{enabled,url,token,ca-file,spool-dir,spool-max-size,
 * batch-events,batch-size,flush-interval,verify-tls} to the schema. */
void ship_cfg_schema(struct cfg *c);
/* Fills *out from a loaded cfg. 0 when valid (out->url NULL when disabled),
 * SHIP_ERR_INVAL after logging what is wrong (missing url/token, bad scheme). */
int ship_cfg_load(const struct cfg *c, struct ship_cfg *out);

struct ship;

/* Opens or recovers the spool (torn tail lines are cut and counted, segments
 * already committed are removed). NULL on error, logged. No thread yet. */
struct ship *ship_new(const struct ship_cfg *cfg);
/* Starts the spool writer (group commit) and the shipper thread. 0 or <0. */
int ship_start(struct ship *s);
/* Thread-safe; copies one EVE line (a trailing '\n' is added if missing).
 * Only a memcpy under one mutex, no I/O. 0 when queued for the next fsync,
 * SHIP_ERR_LIMIT when dropped for space (counted), SHIP_ERR_INVAL for an
 * empty line or one containing '\n' or NUL (counted as dropped). is_alert
 * marks events that are kept until the spool is completely full. */
int ship_append(struct ship *s, const char *line, size_t len, int is_alert);
/* Writes and fsyncs everything appended before the call; 0 or SHIP_ERR_IO.
 * Any thread; blocks on the disk. */
int ship_flush(struct ship *s);
/* Flushes, lets the shipper try to empty the spool for up to drain_ms,
 * then stops both threads. What is not shipped stays in the spool. */
void ship_stop(struct ship *s, int drain_ms);
/* Stops if still running and frees; accepts NULL. */
void ship_free(struct ship *s);

/* Counters since ship_new(). dropped_flow counts non-alert events dropped,
 * dropped_other alerts (is_alert != 0) dropped; spool_bytes is what the
 * spool holds that the correlator has not acknowledged yet. The fields
 * after spool_bytes are additions to the list. */
struct ship_stats {
    uint64_t appended, shipped, dropped_flow, dropped_other, batches_sent,
        send_errors, retries;
    uint64_t spool_bytes;
    uint64_t rejected;   /* events the correlator refused (4xx), kept in spool_dir/rejected/ */
    uint64_t corrupt;    /* torn or unreadable lines found in the spool and skipped */
    uint64_t duplicates; /* events the correlator reported as already stored (resends) */
    uint64_t fsyncs;     /* group commits done */
};
void ship_get_stats(struct ship *s, struct ship_stats *st);

#endif
