/* ship_private: internals shared by ship.c, ship_spool.c and ship_send.c.
 *
 * ship_spool owns the files (segments, committed offset, rejected/), the
 * append buffers and the group-commit writer thread. ship_send owns the
 * libcurl handle and the gzip stream. ship.c owns the shipper thread and the
 * retry policy. Nothing here is part of the sensor's API.
 */
#ifndef CANH_SHIP_PRIVATE_H
#define CANH_SHIP_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- spool ------------------------------------------------------------- */

struct ship_spool;

/* A batch read from the spool: valid lines packed in buf, each ending in
 * '\n'. end[i] is the offset in buf just past line i, fend[i] the offset in
 * the segment file just past it (lines skipped as corrupt leave gaps). */
struct ship_batch {
    char *buf;
    size_t cap;
    uint32_t n, max_lines;
    uint32_t *end;
    uint64_t *fend;
    uint64_t seg;       /* every line of a batch comes from one segment */
};

struct ship_spool_stats {
    uint64_t appended, dropped_flow, dropped_other, corrupt, fsyncs, spool_bytes;
};

/* Opens (creating dir 0700) and recovers the spool. max_line bounds one
 * event; appends are buffered in two buffers of buf_bytes each. NULL on
 * error (logged). */
struct ship_spool *ship_spool_open(const char *dir, uint64_t max_bytes, size_t buf_bytes,
                                   size_t max_line);
/* Stops the writer if running, flushes, frees. Accepts NULL. */
void ship_spool_close(struct ship_spool *sp);

/* Any thread; memcpy under the append mutex. 0, SHIP_ERR_LIMIT or SHIP_ERR_INVAL. */
int ship_spool_append(struct ship_spool *sp, const char *line, size_t len, int is_alert);
/* Any thread; writes and fsyncs the buffered lines. 0 or SHIP_ERR_IO. */
int ship_spool_flush(struct ship_spool *sp);
/* Group-commit thread: flushes every flush_ms and whenever a buffer fills. */
int ship_spool_start_writer(struct ship_spool *sp, uint32_t flush_ms);
void ship_spool_stop_writer(struct ship_spool *sp);

/* Shipper side (one thread). Reads up to max_events lines / max_bytes bytes
 * of fsynced data at the read position; returns the number of lines (0 when
 * nothing is durable yet) or a negative error. Corrupt lines are skipped
 * and counted. Must be called only when the previous batch is resolved
 * (committed or rejected line by line). */
int ship_spool_read(struct ship_spool *sp, struct ship_batch *b, uint32_t max_events,
                    size_t max_bytes);
/* Waits up to ms for new durable data (or a ship_spool_wake()). */
void ship_spool_wait(struct ship_spool *sp, uint32_t ms);
void ship_spool_wake(struct ship_spool *sp);
/* Marks lines [0, upto) of b as delivered: writes the committed offset
 * (rename + fsync) and removes segments left behind. 0 or SHIP_ERR_IO. */
int ship_spool_commit(struct ship_spool *sp, const struct ship_batch *b, uint32_t upto);
/* Appends line i of b to rejected/<segment>.ndjson (bounded) and fsyncs it;
 * the caller then commits past it. 0 or SHIP_ERR_IO. */
int ship_spool_reject(struct ship_spool *sp, const struct ship_batch *b, uint32_t i);
/* Bytes appended and not yet acknowledged (buffered + on disk). */
uint64_t ship_spool_backlog(struct ship_spool *sp);
void ship_spool_get_stats(struct ship_spool *sp, struct ship_spool_stats *st);

int ship_batch_init(struct ship_batch *b, size_t cap, uint32_t max_lines);
void ship_batch_fini(struct ship_batch *b);

/* Spool internals, for ship_spool.c (open, recovery, append, group commit)
 * and ship_spool_read.c (read, commit, reject) only. */
struct ship_spool_buf {
    char *data;
    size_t len;
    uint64_t nflow, nalert; /* lines in it, to count them by class if lost */
};

struct ship_spool {
    char *dir;
    int dirfd;
    uint64_t max_bytes, seg_max;
    size_t buf_cap, max_line;

    /* append side, under amu */
    pthread_mutex_t amu;
    pthread_cond_t space_cv;  /* a buffer was swapped out */
    pthread_cond_t wcv;       /* wakes the writer early */
    struct ship_spool_buf buf[2];
    int act;
    uint64_t bytes_in;        /* accepted since open, including the recovered backlog */
    bool wrunning, wstop;
    uint32_t flush_ms;
    pthread_t wthr;

    atomic_uint_fast64_t bytes_out; /* acknowledged, rejected or skipped as corrupt */
    atomic_uint_fast64_t appended, dropped_flow, dropped_other, corrupt, fsyncs;

    /* write side, under iomu */
    pthread_mutex_t iomu;
    int wfd;
    uint64_t wseg, woff;
    size_t rot_done, flush_pos; /* of the buffer being written: made durable by
                                   a rotation, written so far */

    /* durable end, under pmu */
    pthread_mutex_t pmu;
    pthread_cond_t dcv;
    uint64_t dseg, doff;
    bool kicked;

    /* read side: the shipper thread only */
    int rfd;
    uint64_t rseg, roff;
    uint64_t cseg, coff;      /* committed */
    uint64_t rej_bytes;       /* in rejected/ */
    uint64_t corrupt_logged;
};

void ship_spool_seg_name(char *out, size_t n, uint64_t seg);
int ship_spool_open_seg(struct ship_spool *sp, uint64_t seg, int flags);
int ship_spool_seg_size(struct ship_spool *sp, uint64_t seg, uint64_t *size);
int ship_spool_write_all(int fd, const char *p, size_t len);
/* "segment offset" to `committed`: tmp file, fsync, rename, fsync dir. */
int ship_spool_committed_write(struct ship_spool *sp, uint64_t seg, uint64_t off);
/* CLOCK_MONOTONIC deadline ms from now, for condition waits. */
void ship_spool_deadline(struct timespec *ts, uint32_t ms);

/* ---- send -------------------------------------------------------------- */

enum ship_send_class {
    SHIP_SEND_OK = 0,    /* 2xx: the correlator committed the batch */
    SHIP_SEND_RETRY,     /* transport error, 5xx, 408, 429, 3xx, 401/403/404/415: later */
    SHIP_SEND_BAD,       /* 400, 413, 422: this batch will never be accepted as it is */
};

struct ship_send_result {
    long status;             /* HTTP status, 0 when no response */
    long retry_after_s;      /* Retry-After in seconds, 0 when absent */
    long accepted, duplicates; /* from the 2xx body, -1 when absent */
    const char *detail;      /* curl error text or response body (borrowed) */
};

struct ship_send;

/* url, token, ca_file are copied. abort_flag, when set, ends a transfer
 * in progress (checked by curl's progress callback). NULL on error. */
struct ship_send *ship_send_new(const char *url, const char *token, const char *ca_file,
                                bool verify_tls, atomic_bool *abort_flag);
void ship_send_free(struct ship_send *sd);
/* gzip's body (NDJSON of nlines lines) and POSTs it. Blocking. */
enum ship_send_class ship_send_post(struct ship_send *sd, const char *body, size_t len,
                                    uint32_t nlines, struct ship_send_result *res);
/* The effective endpoint (url with /api/v1/events added when it had no path). */
const char *ship_send_url(const struct ship_send *sd);

#endif
