/* ship_spool_read: the shipper's side of the spool: read, commit, reject.
 *
 * Runs on the shipper thread only. Reads whole lines of fsynced data from
 * the read position, skipping (and counting) lines that are not {...};
 * after the correlator holds a batch, writes "segment offset" to
 * `committed` (tmp file, fsync, rename, fsync dir) and unlinks segments
 * left behind. Refused events are kept in rejected/, bounded.
 */
#include "ship/ship_private.h"
#include "ship/ship.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define MOD "ship"
#define SPOOL_REJECTED "rejected"

int ship_batch_init(struct ship_batch *b, size_t cap, uint32_t max_lines)
{
    memset(b, 0, sizeof(*b));
    b->buf = malloc(cap);
    b->end = calloc(max_lines, sizeof(*b->end));
    b->fend = calloc(max_lines, sizeof(*b->fend));
    b->cap = cap;
    b->max_lines = max_lines;
    if (b->buf == NULL || b->end == NULL || b->fend == NULL) {
        ship_batch_fini(b);
        return SHIP_ERR_NOMEM;
    }
    return 0;
}

void ship_batch_fini(struct ship_batch *b)
{
    free(b->buf);
    free(b->end);
    free(b->fend);
    memset(b, 0, sizeof(*b));
}

static void note_corrupt(struct ship_spool *sp, uint64_t off, size_t len)
{
    atomic_fetch_add(&sp->corrupt, 1);
    /* Rate-limited: a damaged segment could hold many such lines. */
    if (sp->corrupt_logged++ < 10)
        log_warning(MOD, "%s: segment %" PRIu64 " offset %" PRIu64 ": %zu bytes are not an "
                    "event line; skipped and counted", sp->dir, sp->rseg, off, len);
}

static bool line_ok(const char *p, size_t len)
{
    return len >= 2 && p[0] == '{' && p[len - 1] == '}' && memchr(p, '\0', len) == NULL;
}

/* Moves the read position to the next segment once the current one is
 * complete and fully read; everything in it is committed by then. */
static int next_segment(struct ship_spool *sp, uint64_t dseg)
{
    if (sp->rfd >= 0)
        close(sp->rfd);
    sp->rfd = -1;
    uint64_t seg = sp->rseg + 1;
    while (seg < dseg && (sp->rfd = ship_spool_open_seg(sp, seg, O_RDONLY)) < 0)
        seg++;
    sp->rseg = seg;
    sp->roff = 0;
    struct ship_batch none = { .n = 0, .seg = seg };
    return ship_spool_commit(sp, &none, 0);
}

int ship_spool_read(struct ship_spool *sp, struct ship_batch *b, uint32_t max_events,
                    size_t max_bytes)
{
    if (max_bytes > b->cap)
        max_bytes = b->cap;
    if (max_events > b->max_lines)
        max_events = b->max_lines;
    b->n = 0;
    for (;;) {
        uint64_t dseg, doff, limit, size;
        pthread_mutex_lock(&sp->pmu);
        dseg = sp->dseg;
        doff = sp->doff;
        pthread_mutex_unlock(&sp->pmu);
        if (sp->rseg < dseg) {
            if (ship_spool_seg_size(sp, sp->rseg, &size) != 0)
                size = 0; /* vanished: treat as empty and move on */
            if (sp->roff >= size) {
                if (next_segment(sp, dseg) != 0)
                    return SHIP_ERR_IO;
                continue;
            }
            limit = size;
        } else {
            limit = doff;
        }
        if (sp->roff >= limit)
            return 0;
        if (sp->rfd < 0 && (sp->rfd = ship_spool_open_seg(sp, sp->rseg, O_RDONLY)) < 0) {
            log_error(MOD, "%s: segment %" PRIu64 ": %s", sp->dir, sp->rseg, strerror(errno));
            return SHIP_ERR_IO;
        }
        size_t want = limit - sp->roff < max_bytes ? (size_t)(limit - sp->roff) : max_bytes;
        ssize_t got = pread(sp->rfd, b->buf, want, (off_t)sp->roff);
        if (got <= 0) {
            log_error(MOD, "%s: segment %" PRIu64 ": read: %s", sp->dir, sp->rseg,
                      got < 0 ? strerror(errno) : "short file");
            return SHIP_ERR_IO;
        }
        /* Pack valid lines to the front of buf, in place. */
        size_t pos = 0, out = 0;
        uint64_t consumed = 0;
        b->seg = sp->rseg;
        while (pos < (size_t)got && b->n < max_events) {
            char *nl = memchr(b->buf + pos, '\n', (size_t)got - pos);
            if (nl == NULL) {
                if (pos > 0)
                    break; /* the rest goes into the next batch */
                /* No line end in a full window (longer than any accepted
                 * event) or before the end of a complete segment: damage. */
                note_corrupt(sp, sp->roff, (size_t)got);
                consumed = (uint64_t)got;
                pos = (size_t)got;
                break;
            }
            size_t len = (size_t)(nl - (b->buf + pos));
            if (line_ok(b->buf + pos, len)) {
                memmove(b->buf + out, b->buf + pos, len + 1);
                out += len + 1;
                b->end[b->n] = (uint32_t)out;
                b->fend[b->n] = sp->roff + pos + len + 1;
                b->n++;
            } else {
                note_corrupt(sp, sp->roff + pos, len);
            }
            pos += len + 1;
            consumed = pos;
        }
        sp->roff += consumed;
        if (b->n > 0)
            return (int)b->n;
        /* Only corrupt bytes in this window: step over them durably. */
        struct ship_batch skip = { .n = 0, .seg = sp->rseg };
        if (ship_spool_commit(sp, &skip, 0) != 0)
            return SHIP_ERR_IO;
    }
}

int ship_spool_commit(struct ship_spool *sp, const struct ship_batch *b, uint32_t upto)
{
    uint64_t seg = b->seg;
    /* upto == 0 with no lines: commit up to the read position (skipped bytes). */
    uint64_t off = upto > 0 ? b->fend[upto - 1] : (b->n == 0 ? sp->roff : sp->coff);
    if (upto == 0 && b->n == 0 && seg != sp->rseg)
        off = 0;
    if (seg == sp->cseg && off == sp->coff)
        return 0;
    int rc = ship_spool_committed_write(sp, seg, off);
    if (rc != 0)
        return rc;
    uint64_t delta;
    if (seg == sp->cseg) {
        delta = off - sp->coff;
    } else {
        uint64_t size = 0;
        /* Bytes left in the old segment were skipped or already counted. */
        if (ship_spool_seg_size(sp, sp->cseg, &size) == 0 && size > sp->coff)
            delta = (size - sp->coff) + off;
        else
            delta = off;
        for (uint64_t s = sp->cseg; s < seg; s++) {
            char name[64];
            ship_spool_seg_name(name, sizeof(name), s);
            unlinkat(sp->dirfd, name, 0);
        }
    }
    atomic_fetch_add(&sp->bytes_out, delta);
    sp->cseg = seg;
    sp->coff = off;
    return 0;
}

int ship_spool_reject(struct ship_spool *sp, const struct ship_batch *b, uint32_t i)
{
    uint32_t start = i > 0 ? b->end[i - 1] : 0, len = b->end[i] - start;
    char name[96];
    int rc = SHIP_ERR_IO;
    /* rejected/ is for an operator to look at, not a second spool: bounded
     * to a tenth of the spool; past that the line is only counted. */
    if (sp->rej_bytes + len > sp->max_bytes / 10) {
        log_warning(MOD, "%s/%s is full; rejected event not kept", sp->dir, SPOOL_REJECTED);
        return 0;
    }
    snprintf(name, sizeof(name), SPOOL_REJECTED "/%08" PRIu64 ".ndjson", b->seg);
    int fd = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 || ship_spool_write_all(fd, b->buf + start, len) != 0 || fsync(fd) != 0) {
        log_error(MOD, "%s/%s: %s", sp->dir, name, strerror(errno));
        goto out;
    }
    sp->rej_bytes += len;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

void ship_spool_wait(struct ship_spool *sp, uint32_t ms)
{
    struct timespec ts;
    ship_spool_deadline(&ts, ms);
    pthread_mutex_lock(&sp->pmu);
    uint64_t seg = sp->dseg, off = sp->doff;
    while (!sp->kicked && seg == sp->dseg && off == sp->doff &&
           pthread_cond_timedwait(&sp->dcv, &sp->pmu, &ts) == 0)
        ;
    sp->kicked = false;
    pthread_mutex_unlock(&sp->pmu);
}

void ship_spool_wake(struct ship_spool *sp)
{
    pthread_mutex_lock(&sp->pmu);
    sp->kicked = true;
    pthread_cond_broadcast(&sp->dcv);
    pthread_mutex_unlock(&sp->pmu);
}

uint64_t ship_spool_backlog(struct ship_spool *sp)
{
    pthread_mutex_lock(&sp->amu);
    uint64_t in = sp->bytes_in;
    pthread_mutex_unlock(&sp->amu);
    return in - atomic_load(&sp->bytes_out);
}

void ship_spool_get_stats(struct ship_spool *sp, struct ship_spool_stats *st)
{
    st->appended = atomic_load(&sp->appended);
    st->dropped_flow = atomic_load(&sp->dropped_flow);
    st->dropped_other = atomic_load(&sp->dropped_other);
    st->corrupt = atomic_load(&sp->corrupt);
    st->fsyncs = atomic_load(&sp->fsyncs);
    st->spool_bytes = ship_spool_backlog(sp);
}
