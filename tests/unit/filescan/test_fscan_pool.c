/* Unit tests of the scan pool (sensor/filescan/filescan.c, fscan_pool.c)
 * with real YARA, libmagic and the EVE writer: a full queue while live is
 * counted and the file still gets its fileinfo (written by the worker, not
 * scanned); offline the worker waits and nothing is lost; a reload swaps
 * the rules between scans and the sha256 cache does not serve the old
 * result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "filescan/filescan.c"
#include "../runner.h"

static char dir[64], rules[128];

static void write_rule(const char *needle)
{
    FILE *f = fopen(rules, "w");
    fprintf(f, "rule finds_%s { strings: $a = \"%s\" condition: $a }\n", needle, needle);
    fclose(f);
}

static struct fscan *start(struct cfg **cp, struct eve_writer **ew, bool live, int queue)
{
    char kv[256];
    struct cfg *c = cfg_new();

    fscan_cfg_schema(c);
    cfg_set(c, "yara.rule-path=");
    snprintf(kv, sizeof(kv), "yara-rules=[%s]", rules);
    cfg_set(c, kv);
    snprintf(kv, sizeof(kv), "yara.queue-size=%d", queue);
    cfg_set(c, kv);
    *ew = eve_writer_new(dir, "t", NULL);
    *cp = c;
    const char *none[1] = { NULL };
    return fscan_new(c, NULL, 0, none, 0, *ew, dir, live);
}

static void one_file(struct fscan_worker *fw, const struct flow *f, const char *content, int tx)
{
    struct file_obj *fo = fscan_file_open(fw, (uint64_t)tx, 1, "/f", 2);
    fscan_file_data(fw, fo, (const uint8_t *)content, strlen(content));
    fscan_file_close(fw, fo, f, false, (struct timeval){ 1700000000, tx });
}

/* Lines of eve.json with event_type fileinfo, and how many name rule r. */
static int count_events(const char *needle, int *with_rule)
{
    char path[128], line[8192];
    int n = 0;
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    FILE *f = fopen(path, "r");
    *with_rule = 0;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, "\"event_type\":\"fileinfo\"") == NULL)
            continue;
        n++;
        if (needle != NULL && strstr(line, needle) != NULL)
            (*with_rule)++;
    }
    if (f != NULL)
        fclose(f);
    return n;
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/canh-pool-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(rules, sizeof(rules), "%s/r.yar", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        abort();
}

static bool wait_for(struct fscan *fs, int ctr, uint64_t v)
{
    for (int i = 0; i < 500; i++) {
        if (atomic_load(&fs->ctr[ctr]) >= v)
            return true;
        usleep(10000);
    }
    return false;
}

TEST(live_full_queue_is_counted_not_waited)
{
    struct cfg *c;
    struct eve_writer *ew;
    struct flow f;
    struct fscan_stats st;
    int hits;

    setup();
    write_rule("marker");
    memset(&f, 0, sizeof(f));
    f.key.ipver = 4;
    f.key.proto = 6;
    struct fscan *fs = start(&c, &ew, true, 1);
    CHECK(fs != NULL);
    if (fs == NULL)
        return;
    struct eve_out *wo = eve_out_new(ew, 65536);
    struct fscan_worker *fw = fscan_worker_new(fs, wo);
    /* hold the scan thread inside its first job (the cache lookup) */
    pthread_mutex_lock(&fs->cache_lock);
    one_file(fw, &f, "first marker", 0);
    bool taken = false;
    for (int i = 0; i < 500 && !taken; i++) {
        pthread_mutex_lock(&fs->lock);
        taken = fs->busy == 1 && fs->qlen == 0;
        pthread_mutex_unlock(&fs->lock);
        if (!taken)
            usleep(10000);
    }
    CHECK(taken);
    one_file(fw, &f, "second marker", 1);      /* fills the queue of 1 */
    for (int i = 2; i < 6; i++)
        one_file(fw, &f, "later marker", i);   /* refused: written by the worker */
    pthread_mutex_unlock(&fs->cache_lock);
    eve_out_flush(wo);
    fscan_drain(fs);
    eve_writer_sync(ew);   /* flushed lines are written by the writer thread */
    fscan_get_stats(fs, &st);
    CHECK_EQ_INT(st.queue_drops, 4);
    CHECK_EQ_INT(st.queued, 2);
    CHECK_EQ_INT(st.fileinfo_events, 6);
    CHECK_EQ_INT(count_events("finds_marker", &hits), 6);
    CHECK_EQ_INT(hits, 2);   /* only the two that reached the pool were scanned */
    fscan_worker_free(fw);
    fscan_free(fs);
    eve_out_free(wo);
    eve_writer_free(ew);
    cfg_free(c);
    teardown();
}

TEST(offline_waits_and_loses_nothing)
{
    struct cfg *c;
    struct eve_writer *ew;
    struct flow f;
    struct fscan_stats st;
    int hits;
    char body[64];

    setup();
    write_rule("marker");
    memset(&f, 0, sizeof(f));
    struct fscan *fs = start(&c, &ew, false, 2);
    struct fscan_worker *fw = fscan_worker_new(fs, NULL);
    for (int i = 0; i < 200; i++) {
        snprintf(body, sizeof(body), "file %d %s", i, i % 2 ? "marker" : "plain");
        one_file(fw, &f, body, i);
    }
    fscan_worker_free(fw);
    fscan_free(fs);   /* drains */
    eve_writer_free(ew);
    CHECK_EQ_INT(count_events("finds_marker", &hits), 200);
    CHECK_EQ_INT(hits, 100);
    cfg_free(c);
    (void)st;
    teardown();
}

TEST(reload_swaps_rules_and_cache_key)
{
    struct cfg *c;
    struct eve_writer *ew;
    struct flow f;
    int hits;

    setup();
    write_rule("alpha");
    memset(&f, 0, sizeof(f));
    struct fscan *fs = start(&c, &ew, false, 8);
    struct fscan_worker *fw = fscan_worker_new(fs, NULL);
    one_file(fw, &f, "has beta inside", 0);
    fscan_drain(fs);
    write_rule("beta");
    fscan_reload(fs);
    CHECK(wait_for(fs, FSC_RELOAD, 1));
    CHECK_EQ_INT(fscan_yara_rules(fs), 1);
    one_file(fw, &f, "has beta inside", 1);   /* same sha256: must be scanned again */
    fscan_drain(fs);
    struct fscan_stats st;
    fscan_get_stats(fs, &st);
    CHECK_EQ_INT(st.scanned, 2);
    CHECK_EQ_INT(st.cache_hits, 0);
    fscan_worker_free(fw);
    fscan_free(fs);
    eve_writer_free(ew);
    CHECK_EQ_INT(count_events("finds_beta", &hits), 2);
    CHECK_EQ_INT(hits, 1);
    cfg_free(c);
    teardown();
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
