/* Unit tests for sensor/ship/ship_spool.c on a real temporary directory:
 * append/flush/read/commit, recovery from the committed offset, the bound
 * and its drop order, segment rotation and clean-up, torn and corrupt lines
 * left by a crash, the rejected/ store, and concurrent appenders with the
 * group-commit writer running. */
#include "../runner.h"

#include "ship/ship.h"
#include "ship/ship_private.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static char tmpl[64];

static const char *tmpdir(void)
{
    strcpy(tmpl, "/tmp/canh-ship-test-XXXXXX");
    return mkdtemp(tmpl);
}

static void rmdir_r(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

static int count_segments(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".ndjson") != NULL;
    if (d != NULL)
        closedir(d);
    return n;
}

static int append_n(struct ship_spool *sp, int from, int n, int is_alert)
{
    char line[128];
    int ok = 0;
    for (int i = from; i < from + n; i++) {
        int len = snprintf(line, sizeof(line), "{\"canh\":{\"id\":\"t:%d\"},\"event_type\":\"%s\"}",
                           i, is_alert ? "alert" : "flow");
        ok += ship_spool_append(sp, line, (size_t)len, is_alert) == 0;
    }
    return ok;
}

/* Index of the event in line i of b, or -1. */
static int line_id(const struct ship_batch *b, uint32_t i)
{
    uint32_t start = i > 0 ? b->end[i - 1] : 0;
    int id = -1;
    char tmp[128];
    uint32_t len = b->end[i] - start;
    if (len >= sizeof(tmp))
        return -1;
    memcpy(tmp, b->buf + start, len);
    tmp[len] = '\0';
    if (sscanf(tmp, "{\"canh\":{\"id\":\"t:%d\"}", &id) != 1)
        return -1;
    return id;
}

/* Reads everything durable, committing each batch; checks ids run from
 * `first` upwards with no gap; returns how many were read. */
static int drain_check(struct ship_spool *sp, struct ship_batch *b, int first, uint32_t max_ev)
{
    int expect = first, n, total = 0;
    while ((n = ship_spool_read(sp, b, max_ev, b->cap)) > 0) {
        for (int i = 0; i < n; i++) {
            int id = line_id(b, (uint32_t)i);
            if (id != expect) {
                fprintf(stderr, "expected id %d, got %d\n", expect, id);
                return -1;
            }
            expect++;
        }
        total += n;
        if (ship_spool_commit(sp, b, (uint32_t)n) != 0)
            return -1;
    }
    return n < 0 ? -1 : total;
}

TEST(spool_append_flush_read_commit)
{
    const char *dir = tmpdir();
    struct ship_batch b;
    CHECK(dir != NULL);
    struct ship_spool *sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    CHECK(sp != NULL);
    CHECK_EQ_INT(ship_batch_init(&b, 65536, 1000), 0);
    CHECK_EQ_INT(append_n(sp, 0, 100, 0), 100);
    /* Not fsynced yet: the shipper must not see it. */
    CHECK_EQ_INT(ship_spool_read(sp, &b, 1000, b.cap), 0);
    CHECK(ship_spool_backlog(sp) > 0);
    CHECK_EQ_INT(ship_spool_flush(sp), 0);
    CHECK_EQ_INT(drain_check(sp, &b, 0, 1000), 100);
    CHECK_EQ_INT(ship_spool_backlog(sp), 0);
    struct ship_spool_stats st;
    ship_spool_get_stats(sp, &st);
    CHECK_EQ_INT(st.appended, 100);
    CHECK_EQ_INT(st.fsyncs, 1);
    CHECK_EQ_INT(st.corrupt, 0);
    ship_spool_close(sp);
    ship_batch_fini(&b);
    rmdir_r(dir);
}

TEST(spool_recover_resumes_at_committed_offset)
{
    const char *dir = tmpdir();
    struct ship_batch b;
    ship_batch_init(&b, 65536, 1000);
    struct ship_spool *sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    append_n(sp, 0, 50, 0);
    ship_spool_flush(sp);
    CHECK_EQ_INT(ship_spool_read(sp, &b, 20, b.cap), 20);
    CHECK_EQ_INT(ship_spool_commit(sp, &b, 20), 0);
    /* Read further without committing: must come back after a restart. */
    CHECK_EQ_INT(ship_spool_read(sp, &b, 20, b.cap), 20);
    uint64_t backlog = ship_spool_backlog(sp);
    ship_spool_close(sp);

    sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    CHECK(sp != NULL);
    CHECK_EQ_INT(ship_spool_backlog(sp), backlog);
    CHECK_EQ_INT(drain_check(sp, &b, 20, 7), 30);
    ship_spool_close(sp);

    /* Everything committed: a third start has nothing to send. */
    sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    CHECK_EQ_INT(ship_spool_backlog(sp), 0);
    CHECK_EQ_INT(ship_spool_read(sp, &b, 1000, b.cap), 0);
    ship_spool_close(sp);
    ship_batch_fini(&b);
    rmdir_r(dir);
}

TEST(spool_partial_commit_of_a_batch)
{
    /* The shipper commits part of a batch when it splits a rejected one. */
    const char *dir = tmpdir();
    struct ship_batch b;
    ship_batch_init(&b, 65536, 1000);
    struct ship_spool *sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    append_n(sp, 0, 10, 1);
    ship_spool_flush(sp);
    CHECK_EQ_INT(ship_spool_read(sp, &b, 1000, b.cap), 10);
    CHECK_EQ_INT(ship_spool_commit(sp, &b, 3), 0);
    ship_spool_close(sp);
    sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    CHECK_EQ_INT(drain_check(sp, &b, 3, 1000), 7);
    ship_spool_close(sp);
    ship_batch_fini(&b);
    rmdir_r(dir);
}

TEST(spool_bound_drops_flow_before_alerts)
{
    const char *dir = tmpdir();
    const uint64_t max = 65536;
    struct ship_batch b;
    ship_batch_init(&b, 65536, 100000);
    struct ship_spool *sp = ship_spool_open(dir, max, 65536, 4096);
    int flows = append_n(sp, 0, 2000, 0);
    struct ship_spool_stats st;
    ship_spool_get_stats(sp, &st);
    uint64_t used = ship_spool_backlog(sp);
    /* Flow events stop at 90%, within one line of it. */
    CHECK(used <= max / 10 * 9);
    CHECK(used + 64 > max / 10 * 9);
    CHECK_EQ_INT(st.dropped_flow, 2000 - flows);
    CHECK(st.dropped_flow > 0);
    CHECK_EQ_INT(st.dropped_other, 0);
    /* Alerts still go in, up to 100%. */
    int alerts = append_n(sp, 5000, 200, 1);
    CHECK(alerts > 50);
    CHECK(alerts < 200);
    ship_spool_get_stats(sp, &st);
    CHECK(st.spool_bytes <= max);
    CHECK(st.spool_bytes + 64 > max);
    CHECK_EQ_INT(st.dropped_other, 200 - alerts);
    CHECK_EQ_INT(st.appended, (uint64_t)(flows + alerts));
    /* Acknowledging frees space for flow events again. */
    ship_spool_flush(sp);
    int n = ship_spool_read(sp, &b, 100000, b.cap);
    CHECK_EQ_INT(n, flows + alerts);
    ship_spool_commit(sp, &b, (uint32_t)n);
    CHECK_EQ_INT(append_n(sp, 9000, 10, 0), 10);
    ship_spool_close(sp);
    ship_batch_fini(&b);
    rmdir_r(dir);
}

TEST(spool_rotates_segments_and_removes_shipped_ones)
{
    const char *dir = tmpdir();
    struct ship_batch b;
    ship_batch_init(&b, 65536, 1000);
    /* 2 MB spool: 128 KB segments. */
    struct ship_spool *sp = ship_spool_open(dir, 2 << 20, 65536, 4096);
    for (int k = 0; k < 10; k++) {
        CHECK_EQ_INT(append_n(sp, k * 1000, 1000, k % 3 == 0), 1000);
        CHECK_EQ_INT(ship_spool_flush(sp), 0);
    }
    int segs = count_segments(dir);
    CHECK(segs >= 4);
    CHECK_EQ_INT(drain_check(sp, &b, 0, 333), 10000);
    /* Only the segment being written (and maybe an empty successor) remain. */
    CHECK(count_segments(dir) <= 2);
    CHECK_EQ_INT(ship_spool_backlog(sp), 0);
    ship_spool_close(sp);
    ship_batch_fini(&b);
    rmdir_r(dir);
}

static void append_raw(const char *dir, const char *name, const char *bytes, size_t len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, bytes, len) == (ssize_t)len);
    close(fd);
}

TEST(spool_torn_tail_line_is_cut_and_counted)
{
    const char *dir = tmpdir();
    struct ship_batch b;
    ship_batch_init(&b, 65536, 1000);
    struct ship_spool *sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    append_n(sp, 0, 10, 0);
    ship_spool_close(sp);
    /* A crash in the middle of a write leaves half a line. */
    append_raw(dir, "00000001.ndjson", "{\"canh\":{\"id\":\"t:10\"},\"ev", 25);
    sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    CHECK(sp != NULL);
    struct ship_spool_stats st;
    ship_spool_get_stats(sp, &st);
    CHECK_EQ_INT(st.corrupt, 1);
    append_n(sp, 10, 5, 0);
    ship_spool_flush(sp);
    CHECK_EQ_INT(drain_check(sp, &b, 0, 1000), 15);
    ship_spool_close(sp);
    ship_batch_fini(&b);
    rmdir_r(dir);
}

TEST(spool_corrupt_lines_are_skipped_and_counted)
{
    const char *dir = tmpdir();
    struct ship_batch b;
    ship_batch_init(&b, 65536, 1000);
    struct ship_spool *sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    append_n(sp, 0, 3, 0);
    ship_spool_close(sp);
    /* Zeros (a power loss on some file systems) and a non-event line. */
    append_raw(dir, "00000001.ndjson", "\0\0\0\0\n", 5);
    append_raw(dir, "00000001.ndjson", "not json\n", 9);
    sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    append_n(sp, 3, 3, 0);
    ship_spool_flush(sp);
    CHECK_EQ_INT(drain_check(sp, &b, 0, 1000), 6);
    struct ship_spool_stats st;
    ship_spool_get_stats(sp, &st);
    CHECK_EQ_INT(st.corrupt, 2);
    CHECK_EQ_INT(ship_spool_backlog(sp), 0);
    ship_spool_close(sp);
    ship_batch_fini(&b);
    rmdir_r(dir);
}

TEST(spool_unreadable_committed_file_resends_everything)
{
    const char *dir = tmpdir();
    struct ship_batch b;
    ship_batch_init(&b, 65536, 1000);
    struct ship_spool *sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    append_n(sp, 0, 20, 0);
    ship_spool_flush(sp);
    CHECK_EQ_INT(ship_spool_read(sp, &b, 10, b.cap), 10);
    ship_spool_commit(sp, &b, 10);
    ship_spool_close(sp);
    char path[256];
    snprintf(path, sizeof(path), "%s/committed", dir);
    FILE *f = fopen(path, "w");
    fputs("garbage", f);
    fclose(f);
    sp = ship_spool_open(dir, 1 << 20, 65536, 4096);
    CHECK_EQ_INT(drain_check(sp, &b, 0, 1000), 20);
    ship_spool_close(sp);
    ship_batch_fini(&b);
    rmdir_r(dir);
}

TEST(spool_rejects_bad_appends_and_keeps_rejected_lines)
{
    const char *dir = tmpdir();
    struct ship_batch b;
    ship_batch_init(&b, 65536, 1000);
    struct ship_spool *sp = ship_spool_open(dir, 1 << 20, 65536, 256);
    char big[300];
    memset(big, 'x', sizeof(big));
    big[0] = '{';
    big[299] = '}';
    CHECK_EQ_INT(ship_spool_append(sp, big, sizeof(big), 0), SHIP_ERR_INVAL);
    CHECK_EQ_INT(ship_spool_append(sp, "{\"a\":1}\n{\"b\":2}", 15, 0), SHIP_ERR_INVAL);
    CHECK_EQ_INT(ship_spool_append(sp, "", 0, 1), SHIP_ERR_INVAL);
    CHECK_EQ_INT(ship_spool_append(sp, "{\"a\":1}\n", 8, 0), 0); /* trailing \n is fine */
    struct ship_spool_stats st;
    ship_spool_get_stats(sp, &st);
    CHECK_EQ_INT(st.dropped_flow, 2);
    CHECK_EQ_INT(st.dropped_other, 1);
    ship_spool_flush(sp);
    CHECK_EQ_INT(ship_spool_read(sp, &b, 1000, b.cap), 1);
    CHECK_EQ_INT(ship_spool_reject(sp, &b, 0), 0);
    ship_spool_commit(sp, &b, 1);
    char path[256], got[64] = { 0 };
    snprintf(path, sizeof(path), "%s/rejected/00000001.ndjson", dir);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ_INT(read(fd, got, sizeof(got) - 1), 8);
    CHECK_EQ_STR(got, "{\"a\":1}\n");
    close(fd);
    ship_spool_close(sp);
    ship_batch_fini(&b);
    rmdir_r(dir);
}

struct appender {
    struct ship_spool *sp;
    int base, ok;
};

static void *appender_main(void *arg)
{
    struct appender *a = arg;
    a->ok = append_n(a->sp, a->base, 5000, a->base % 2);
    return NULL;
}

TEST(spool_concurrent_appenders_with_group_commit)
{
    const char *dir = tmpdir();
    struct ship_batch b;
    ship_batch_init(&b, 65536, 1000);
    struct ship_spool *sp = ship_spool_open(dir, 64 << 20, 1 << 20, 4096);
    CHECK_EQ_INT(ship_spool_start_writer(sp, 5), 0);
    pthread_t t[4];
    struct appender a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (struct appender){ sp, i * 100000, 0 };
        pthread_create(&t[i], NULL, appender_main, &a[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ship_spool_stop_writer(sp);
    int next[4] = { 0, 100000, 200000, 300000 }, n, total = 0, bad = 0;
    while ((n = ship_spool_read(sp, &b, 1000, b.cap)) > 0) {
        for (int i = 0; i < n; i++) {
            int id = line_id(&b, (uint32_t)i), k = id / 100000;
            /* Each thread's events stay in its own order, none twice. A
             * drop (buffer full while the disk is slow) skips an id. */
            if (id < 0 || k > 3 || id < next[k])
                bad++;
            else
                next[k] = id + 1;
        }
        total += n;
        ship_spool_commit(sp, &b, (uint32_t)n);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(total, a[0].ok + a[1].ok + a[2].ok + a[3].ok);
    struct ship_spool_stats st;
    ship_spool_get_stats(sp, &st);
    CHECK_EQ_INT(st.dropped_flow + st.dropped_other, 20000 - total);
    CHECK(st.fsyncs < 20000); /* grouped, not one per event */
    ship_spool_close(sp);
    ship_batch_fini(&b);
    rmdir_r(dir);
}

int main(int argc, char **argv)
{
    log_init("test");
    log_set_level(LOG_LVL_ERROR);
    return runner_main(argc, argv);
}
