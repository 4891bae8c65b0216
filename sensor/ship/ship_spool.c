/* ship_spool: the sensor's on-disk event spool (segments + committed offset).
 *
 * Workers copy lines into the active one of two buffers under a short mutex;
 * a writer thread swaps buffers every flush_ms and writes + fsyncs the full
 * one to the current segment (NNNNNNNN.ndjson, rotated at seg_max on line
 * boundaries): group commit. Only fsynced bytes are visible to the reader.
 * The shipper's side (read, commit, reject) is in ship_spool_read.c.
 * Recovery resumes at the committed offset and cuts a torn last line left by
 * a crash (counted as corrupt).
 */
#include "ship/ship_private.h"
#include "ship/ship.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define MOD "ship"
#define SPOOL_COMMITTED "committed"
#define SPOOL_COMMITTED_TMP "committed.tmp"
#define SPOOL_REJECTED "rejected"
/* How long an appender waits for the writer to free a buffer before it
 * drops the event: a bound on the stall a slow disk can put on a worker. */
#define SPOOL_FULL_WAIT_MS 100

/* ---- small file helpers ------------------------------------------------ */

void ship_spool_seg_name(char *out, size_t n, uint64_t seg)
{
    snprintf(out, n, "%08" PRIu64 ".ndjson", seg);
}

static int parse_seg_name(const char *name, uint64_t *seg)
{
    char *end;
    if (name[0] < '0' || name[0] > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(name, &end, 10);
    if (errno != 0 || strcmp(end, ".ndjson") != 0)
        return -1;
    *seg = v;
    return 0;
}

int ship_spool_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int mkdir_p(const char *path)
{
    char tmp[4096];
    if (strlen(path) >= sizeof(tmp))
        return -1;
    strcpy(tmp, path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int ship_spool_open_seg(struct ship_spool *sp, uint64_t seg, int flags)
{
    char name[64];
    ship_spool_seg_name(name, sizeof(name), seg);
    return openat(sp->dirfd, name, flags | O_CLOEXEC, 0600);
}

void ship_spool_deadline(struct timespec *ts, uint32_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void cond_init_mono(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

/* ---- committed offset ---------------------------------------------------- */

int ship_spool_committed_write(struct ship_spool *sp, uint64_t seg, uint64_t off)
{
    char line[64];
    int n = snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", seg, off);
    int rc = SHIP_ERR_IO;
    int fd = openat(sp->dirfd, SPOOL_COMMITTED_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        goto out;
    if (ship_spool_write_all(fd, line, (size_t)n) != 0 || fsync(fd) != 0)
        goto out;
    if (renameat(sp->dirfd, SPOOL_COMMITTED_TMP, sp->dirfd, SPOOL_COMMITTED) != 0)
        goto out;
    if (fsync(sp->dirfd) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        log_error(MOD, "%s/%s: cannot record the committed offset: %s", sp->dir,
                  SPOOL_COMMITTED, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* 0 and the offset, or -1 when absent or unreadable (then resend everything). */
static int committed_read(struct ship_spool *sp, uint64_t *seg, uint64_t *off)
{
    char line[64] = { 0 };
    int fd = openat(sp->dirfd, SPOOL_COMMITTED, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, line, sizeof(line) - 1);
    close(fd);
    char *end;
    if (n <= 0)
        goto bad;
    errno = 0;
    *seg = strtoull(line, &end, 10);
    if (errno != 0 || end == line || *end != ' ')
        goto bad;
    char *p = end + 1;
    *off = strtoull(p, &end, 10);
    if (errno != 0 || end == p || *end != '\n')
        goto bad;
    return 0;
bad:
    log_warning(MOD, "%s/%s: unreadable, resending the whole spool (the correlator "
                "drops duplicates by canh.id)", sp->dir, SPOOL_COMMITTED);
    return -1;
}

/* ---- recovery ------------------------------------------------------------ */

/* Cuts a torn last line (a crash in the middle of a write, or zeros after a
 * power loss) from the newest segment. Returns its new size or -1. */
static int64_t cut_torn_tail(struct ship_spool *sp, uint64_t seg)
{
    int fd = ship_spool_open_seg(sp, seg, O_RDWR);
    int64_t rc = -1;
    struct stat st;
    char chunk[4096];
    if (fd < 0 || fstat(fd, &st) != 0)
        goto out;
    off_t size = st.st_size, keep = 0;
    for (off_t pos = size; pos > 0 && keep == 0;) {
        size_t n = pos >= (off_t)sizeof(chunk) ? sizeof(chunk) : (size_t)pos;
        pos -= (off_t)n;
        if (pread(fd, chunk, n, pos) != (ssize_t)n)
            goto out;
        for (size_t i = n; i > 0; i--) {
            if (chunk[i - 1] == '\n') {
                keep = pos + (off_t)i;
                break;
            }
        }
    }
    if (keep < size) {
        log_warning(MOD, "%s: %" PRId64 " bytes of a torn last line removed (crash during "
                    "write); counted as corrupt", sp->dir, (int64_t)(size - keep));
        atomic_fetch_add(&sp->corrupt, 1);
        if (ftruncate(fd, keep) != 0 || fsync(fd) != 0)
            goto out;
    }
    rc = keep;
out:
    if (rc < 0)
        log_error(MOD, "%s: segment %" PRIu64 ": %s", sp->dir, seg, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

int ship_spool_seg_size(struct ship_spool *sp, uint64_t seg, uint64_t *size)
{
    char name[64];
    struct stat st;
    ship_spool_seg_name(name, sizeof(name), seg);
    if (fstatat(sp->dirfd, name, &st, 0) != 0)
        return -1;
    *size = (uint64_t)st.st_size;
    return 0;
}

static uint64_t dir_bytes(int dirfd)
{
    uint64_t total = 0;
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    struct stat st;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && fstatat(dirfd, e->d_name, &st, 0) == 0)
            total += (uint64_t)st.st_size;
    closedir(d);
    return total;
}

static int spool_recover(struct ship_spool *sp)
{
    uint64_t lo = UINT64_MAX, hi = 0, seg, cseg = 0, coff = 0;
    bool have_committed = committed_read(sp, &cseg, &coff) == 0;
    int rc = SHIP_ERR_IO;
    int fd = dup(sp->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        log_error(MOD, "%s: cannot list: %s", sp->dir, strerror(errno));
        return rc;
    }
    while ((e = readdir(d)) != NULL) {
        if (parse_seg_name(e->d_name, &seg) != 0)
            continue;
        if (have_committed && seg < cseg) {
            unlinkat(sp->dirfd, e->d_name, 0); /* shipped; left by a crash before unlink */
            continue;
        }
        lo = seg < lo ? seg : lo;
        hi = seg > hi ? seg : hi;
    }
    closedir(d);
    unlinkat(sp->dirfd, SPOOL_COMMITTED_TMP, 0);

    bool any = lo != UINT64_MAX;
    if (!have_committed || !any || cseg < lo || cseg > hi) {
        /* No record, or it names a segment that is gone: start at the oldest. */
        cseg = any ? lo : (cseg > 0 ? cseg : 1);
        coff = 0;
    }
    uint64_t backlog = 0, size = 0;
    if (any) {
        if (cut_torn_tail(sp, hi) < 0)
            goto out;
        for (seg = cseg; seg <= hi; seg++)
            if (ship_spool_seg_size(sp, seg, &size) == 0)
                backlog += size;
        if (ship_spool_seg_size(sp, cseg, &size) == 0 && coff > size) {
            log_warning(MOD, "%s: committed offset %" PRIu64 " past the end of segment %"
                        PRIu64 "; resuming at its end", sp->dir, coff, cseg);
            coff = size;
        }
        backlog -= coff;
    }
    sp->cseg = sp->rseg = cseg;
    sp->coff = sp->roff = coff;
    sp->bytes_in = backlog;
    sp->wseg = any ? hi + 1 : cseg;
    sp->woff = 0;
    sp->wfd = ship_spool_open_seg(sp, sp->wseg, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
    if (sp->wfd < 0 || fsync(sp->dirfd) != 0) {
        log_error(MOD, "%s: cannot create segment %" PRIu64 ": %s", sp->dir, sp->wseg,
                  strerror(errno));
        goto out;
    }
    sp->dseg = sp->wseg;
    sp->doff = 0;
    if (ship_spool_committed_write(sp, sp->cseg, sp->coff) != 0)
        goto out;
    if (backlog > 0)
        log_notice(MOD, "%s: resuming at segment %" PRIu64 " offset %" PRIu64 ", %" PRIu64
                   " bytes to ship", sp->dir, sp->cseg, sp->coff, backlog);
    rc = 0;
out:
    return rc;
}

/* ---- life cycle ---------------------------------------------------------- */

struct ship_spool *ship_spool_open(const char *dir, uint64_t max_bytes, size_t buf_bytes,
                                   size_t max_line)
{
    struct ship_spool *sp = calloc(1, sizeof(*sp));
    if (sp == NULL)
        return NULL;
    sp->dirfd = sp->wfd = sp->rfd = -1;
    pthread_mutex_init(&sp->amu, NULL);
    pthread_mutex_init(&sp->iomu, NULL);
    pthread_mutex_init(&sp->pmu, NULL);
    cond_init_mono(&sp->space_cv);
    cond_init_mono(&sp->wcv);
    cond_init_mono(&sp->dcv);
    sp->max_bytes = max_bytes;
    /* 16 segments per spool keeps the disk overshoot (a committed head still
     * on disk) near 1/16 of the bound without a file per batch. */
    sp->seg_max = max_bytes / 16;
    sp->seg_max = sp->seg_max < 65536 ? 65536 : sp->seg_max > (64u << 20) ? (64u << 20) : sp->seg_max;
    sp->buf_cap = buf_bytes;
    sp->max_line = max_line < buf_bytes ? max_line : buf_bytes;
    sp->dir = strdup(dir);
    sp->buf[0].data = malloc(buf_bytes);
    sp->buf[1].data = malloc(buf_bytes);
    if (sp->dir == NULL || sp->buf[0].data == NULL || sp->buf[1].data == NULL)
        goto fail;
    if (mkdir_p(dir) != 0 || (sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        log_error(MOD, "spool-dir %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (mkdirat(sp->dirfd, SPOOL_REJECTED, 0700) != 0 && errno != EEXIST) {
        log_error(MOD, "%s/%s: %s", dir, SPOOL_REJECTED, strerror(errno));
        goto fail;
    }
    int rfd = openat(sp->dirfd, SPOOL_REJECTED, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rfd >= 0) {
        sp->rej_bytes = dir_bytes(rfd);
        close(rfd);
    }
    if (spool_recover(sp) != 0)
        goto fail;
    return sp;
fail:
    ship_spool_close(sp);
    return NULL;
}

void ship_spool_close(struct ship_spool *sp)
{
    if (sp == NULL)
        return;
    ship_spool_stop_writer(sp);
    if (sp->wfd >= 0) {
        ship_spool_flush(sp);
        close(sp->wfd);
    }
    if (sp->rfd >= 0)
        close(sp->rfd);
    if (sp->dirfd >= 0)
        close(sp->dirfd);
    pthread_mutex_destroy(&sp->amu);
    pthread_mutex_destroy(&sp->iomu);
    pthread_mutex_destroy(&sp->pmu);
    pthread_cond_destroy(&sp->space_cv);
    pthread_cond_destroy(&sp->wcv);
    pthread_cond_destroy(&sp->dcv);
    free(sp->buf[0].data);
    free(sp->buf[1].data);
    free(sp->dir);
    free(sp);
}

/* ---- append (workers) ---------------------------------------------------- */

static void count_drop(struct ship_spool *sp, int is_alert)
{
    atomic_fetch_add_explicit(is_alert ? &sp->dropped_other : &sp->dropped_flow, 1,
                              memory_order_relaxed);
}

int ship_spool_append(struct ship_spool *sp, const char *line, size_t len, int is_alert)
{
    if (len > 0 && line[len - 1] == '\n')
        len--;
    size_t need = len + 1;
    if (len == 0 || need > sp->max_line || memchr(line, '\n', len) != NULL ||
        memchr(line, '\0', len) != NULL) {
        count_drop(sp, is_alert);
        return SHIP_ERR_INVAL;
    }
    int rc = 0;
    bool waited = false;
    pthread_mutex_lock(&sp->amu);
    /* The bound covers everything not yet acknowledged, buffered or on disk. */
    uint64_t out_b = atomic_load_explicit(&sp->bytes_out, memory_order_relaxed);
    uint64_t used = sp->bytes_in > out_b ? sp->bytes_in - out_b : 0;
    uint64_t limit = is_alert ? sp->max_bytes : sp->max_bytes / 10 * 9;
    if (used + need > limit) {
        rc = SHIP_ERR_LIMIT;
        goto out;
    }
    struct ship_spool_buf *b = &sp->buf[sp->act];
    while (b->len + need > sp->buf_cap) {
        if (waited) {
            rc = SHIP_ERR_LIMIT;
            goto out;
        }
        waited = true;
        if (sp->wrunning) {
            struct timespec ts;
            ship_spool_deadline(&ts, SPOOL_FULL_WAIT_MS);
            pthread_cond_signal(&sp->wcv);
            pthread_cond_timedwait(&sp->space_cv, &sp->amu, &ts);
        } else {
            /* No writer thread (tests, before start): flush from here. */
            pthread_mutex_unlock(&sp->amu);
            ship_spool_flush(sp);
            pthread_mutex_lock(&sp->amu);
        }
        b = &sp->buf[sp->act];
    }
    memcpy(b->data + b->len, line, len);
    b->data[b->len + len] = '\n';
    b->len += need;
    if (is_alert)
        b->nalert++;
    else
        b->nflow++;
    sp->bytes_in += need;
    atomic_fetch_add_explicit(&sp->appended, 1, memory_order_relaxed);
    if (b->len > sp->buf_cap / 2 && sp->wrunning)
        pthread_cond_signal(&sp->wcv);
out:
    pthread_mutex_unlock(&sp->amu);
    if (rc != 0)
        count_drop(sp, is_alert);
    return rc;
}

/* ---- group commit (writer) ----------------------------------------------- */

static int rotate(struct ship_spool *sp)
{
    if (fsync(sp->wfd) != 0)
        return -1;
    int fd = ship_spool_open_seg(sp, sp->wseg + 1, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
    if (fd < 0)
        return -1;
    if (fsync(sp->dirfd) != 0) {
        close(fd);
        return -1;
    }
    close(sp->wfd);
    sp->wfd = fd;
    sp->wseg++;
    sp->woff = 0;
    sp->rot_done = sp->flush_pos;
    /* The old segment is complete and durable: the reader may move on. */
    pthread_mutex_lock(&sp->pmu);
    sp->dseg = sp->wseg;
    sp->doff = 0;
    pthread_cond_broadcast(&sp->dcv);
    pthread_mutex_unlock(&sp->pmu);
    return 0;
}

/* Writes whole lines, starting a new segment when the current one would
 * pass seg_max (a single line longer than that gets a segment of its own). */
static int write_lines(struct ship_spool *sp, const char *p, size_t len)
{
    while (len > 0) {
        size_t room = sp->woff < sp->seg_max ? (size_t)(sp->seg_max - sp->woff) : 0;
        size_t n = len;
        if (n > room) {
            const char *nl = room > 0 ? memrchr(p, '\n', room) : NULL;
            if (nl != NULL) {
                n = (size_t)(nl - p) + 1;
            } else if (sp->woff > 0) {
                if (rotate(sp) != 0)
                    return -1;
                continue;
            } else {
                nl = memchr(p, '\n', len);
                n = (size_t)(nl - p) + 1;
            }
        }
        if (ship_spool_write_all(sp->wfd, p, n) != 0)
            return -1;
        sp->woff += n;
        sp->flush_pos += n;
        p += n;
        len -= n;
    }
    return 0;
}

int ship_spool_flush(struct ship_spool *sp)
{
    int rc = 0;
    pthread_mutex_lock(&sp->iomu);
    pthread_mutex_lock(&sp->amu);
    struct ship_spool_buf *b = &sp->buf[sp->act];
    sp->act ^= 1;
    pthread_cond_broadcast(&sp->space_cv);
    pthread_mutex_unlock(&sp->amu);
    if (b->len == 0)
        goto out;

    uint64_t seg0 = sp->wseg, off0 = sp->woff;
    sp->rot_done = sp->flush_pos = 0;
    if (write_lines(sp, b->data, b->len) != 0 || fsync(sp->wfd) != 0) {
        /* After a failed write or fsync the page cache state is unknown:
         * cut the current segment back to where this flush (or its last
         * rotation) began, so the reader never sees half of it, and count
         * the lost lines as dropped. Their class is no longer known line by
         * line: alerts are counted first, so an alert loss is never hidden. */
        int err = errno;
        uint64_t base = sp->wseg == seg0 ? off0 : 0;
        if (ftruncate(sp->wfd, (off_t)base) == 0)
            sp->woff = base;
        uint64_t lost = 0;
        for (size_t i = sp->rot_done; i < b->len; i++)
            lost += b->data[i] == '\n';
        uint64_t la = lost < b->nalert ? lost : b->nalert;
        atomic_fetch_add(&sp->dropped_other, la);
        atomic_fetch_add(&sp->dropped_flow, lost - la);
        atomic_fetch_add(&sp->bytes_out, b->len - sp->rot_done);
        log_error(MOD, "%s: segment %" PRIu64 ": write failed: %s; %" PRIu64
                  " events dropped", sp->dir, sp->wseg, strerror(err), lost);
        rc = SHIP_ERR_IO;
    } else {
        atomic_fetch_add_explicit(&sp->fsyncs, 1, memory_order_relaxed);
    }
    b->len = 0;
    b->nflow = b->nalert = 0;
    pthread_mutex_lock(&sp->pmu);
    sp->dseg = sp->wseg;
    sp->doff = sp->woff;
    pthread_cond_broadcast(&sp->dcv);
    pthread_mutex_unlock(&sp->pmu);
out:
    pthread_mutex_unlock(&sp->iomu);
    return rc;
}

static void *writer_main(void *arg)
{
    struct ship_spool *sp = arg;
    pthread_mutex_lock(&sp->amu);
    while (!sp->wstop) {
        struct timespec ts;
        ship_spool_deadline(&ts, sp->flush_ms);
        pthread_cond_timedwait(&sp->wcv, &sp->amu, &ts);
        pthread_mutex_unlock(&sp->amu);
        ship_spool_flush(sp);
        pthread_mutex_lock(&sp->amu);
    }
    pthread_mutex_unlock(&sp->amu);
    ship_spool_flush(sp);
    return NULL;
}

int ship_spool_start_writer(struct ship_spool *sp, uint32_t flush_ms)
{
    int rc = 0;
    pthread_mutex_lock(&sp->amu);
    sp->flush_ms = flush_ms > 0 ? flush_ms : 1;
    sp->wstop = false;
    sp->wrunning = true;
    if (pthread_create(&sp->wthr, NULL, writer_main, sp) != 0) {
        sp->wrunning = false;
        log_error(MOD, "cannot start the spool writer thread");
        rc = SHIP_ERR_NOMEM;
    }
    pthread_mutex_unlock(&sp->amu);
    return rc;
}

void ship_spool_stop_writer(struct ship_spool *sp)
{
    pthread_mutex_lock(&sp->amu);
    bool running = sp->wrunning;
    sp->wstop = true;
    pthread_cond_signal(&sp->wcv);
    pthread_mutex_unlock(&sp->amu);
    if (!running)
        return;
    pthread_join(sp->wthr, NULL);
    pthread_mutex_lock(&sp->amu);
    sp->wrunning = false;
    pthread_cond_broadcast(&sp->space_cv);
    pthread_mutex_unlock(&sp->amu);
}
