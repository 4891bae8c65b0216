/* file_store: content-addressed, write-once, atomic file store (see
 * file_store.h). The byte budget is reserved before writing so concurrent
 * writers cannot overshoot it together.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filescan/file_store.h"
#include "filescan/file_track.h"
#include "log.h"

struct file_store {
    char dir[3800];
    uint64_t max;
    _Atomic uint64_t bytes;
    _Atomic uint64_t stored, already, full, errors, tmp_seq;
};

static int file_store_mkdir(const char *p)
{
    if (mkdir(p, 0750) == 0 || errno == EEXIST)
        return 0;
    log_error("file-store", "cannot create %s: %m (check file-store.dir)", p);
    return -1;
}

/* Bytes already in the store (DIR/xx/<sha256>); start-up only. */
static uint64_t file_store_scan(const char *dir)
{
    uint64_t total = 0;
    DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        char sub[4096];
        DIR *sd;
        struct dirent *fe;
        if (strlen(de->d_name) != 2 || de->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
        if ((sd = opendir(sub)) == NULL)
            continue;
        while ((fe = readdir(sd)) != NULL) {
            char p[8192];
            struct stat sb;
            if (fe->d_name[0] == '.')
                continue;
            snprintf(p, sizeof(p), "%s/%s", sub, fe->d_name);
            if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
                total += (uint64_t)sb.st_size;
        }
        closedir(sd);
    }
    closedir(d);
    return total;
}

struct file_store *file_store_new(const char *dir, uint64_t max_bytes)
{
    struct file_store *st;
    char tmp[4096];

    if (dir == NULL || dir[0] == '\0' || strlen(dir) >= sizeof(st->dir)) {
        log_error("file-store", "file-store.dir is empty or too long");
        return NULL;
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    snprintf(st->dir, sizeof(st->dir), "%s", dir);
    snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
    if (file_store_mkdir(st->dir) != 0 || file_store_mkdir(tmp) != 0) {
        free(st);
        return NULL;
    }
    st->max = max_bytes;
    atomic_init(&st->bytes, file_store_scan(st->dir));
    log_info("file-store", "%s holds %llu bytes (limit %llu)", st->dir,
             (unsigned long long)atomic_load(&st->bytes), (unsigned long long)max_bytes);
    return st;
}

void file_store_free(struct file_store *st)
{
    free(st);
}

void file_store_path(const struct file_store *st, const uint8_t sha256[32], char *out,
                     size_t cap)
{
    char hex[65];

    file_hex(sha256, 32, hex);
    snprintf(out, cap, "%s/%.2s/%s", st->dir, hex, hex);
}

static bool file_store_reserve(struct file_store *st, uint64_t n)
{
    uint64_t cur = atomic_load(&st->bytes);

    do {
        if (cur + n > st->max)
            return false;
    } while (!atomic_compare_exchange_weak(&st->bytes, &cur, cur + n));
    return true;
}

static int file_store_write_all(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

int file_store_put(struct file_store *st, const uint8_t sha256[32], const uint8_t *data,
                   size_t len)
{
    char path[4096], tmp[4096], sub[4096];
    int fd = -1, rc = -1;
    bool reserved = false;

    file_store_path(st, sha256, path, sizeof(path));
    if (access(path, F_OK) == 0) {
        atomic_fetch_add(&st->already, 1);
        return 0;
    }
    if (!file_store_reserve(st, len)) {
        atomic_fetch_add(&st->full, 1);
        return -1;
    }
    reserved = true;
    snprintf(sub, sizeof(sub), "%.*s", (int)(strlen(path) - 65), path);
    snprintf(tmp, sizeof(tmp), "%s/tmp/%llu.%ld.tmp", st->dir,
             (unsigned long long)atomic_fetch_add(&st->tmp_seq, 1), (long)getpid());
    if ((mkdir(sub, 0750) != 0 && errno != EEXIST) ||
        (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0 ||
        file_store_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        log_warning("file-store", "cannot write %s: %m", tmp);
        goto out;
    }
    if (link(tmp, path) != 0) {
        if (errno == EEXIST) {
            atomic_fetch_add(&st->already, 1);
            rc = 0;
        } else {
            log_warning("file-store", "cannot link %s: %m", path);
        }
        goto out;
    }
    reserved = false;
    atomic_fetch_add(&st->stored, 1);
    rc = 1;
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    if (reserved)
        atomic_fetch_sub(&st->bytes, len);
    if (rc < 0)
        atomic_fetch_add(&st->errors, 1);
    return rc;
}

void file_store_get_stats(struct file_store *st, struct file_store_stats *out)
{
    out->stored = atomic_load(&st->stored);
    out->already = atomic_load(&st->already);
    out->full = atomic_load(&st->full);
    out->errors = atomic_load(&st->errors);
    out->bytes = atomic_load(&st->bytes);
}
