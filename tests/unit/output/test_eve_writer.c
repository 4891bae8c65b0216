/* Unit tests of the EVE writer: whole JSON lines with the common fields and
 * the canh identity; canh.seq continues past the reserved block after a
 * restart (never reused); buffered lines reach the file on flush, through
 * the writer thread: nothing lost, each thread's order kept, the sink fed
 * off the committing threads, write errors reported and counted.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runner.h"
#include "output/eve_writer.h"

static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof(dir), "/tmp/canh-eve-XXXXXX");
    if (mkdtemp(dir) == NULL)
        dir[0] = '\0';
}

static void cleanup(void)
{
    char p[128];

    snprintf(p, sizeof(p), "%s/eve.json", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/canh.seq", dir);
    unlink(p);
    rmdir(dir);
}

/* Reads eve.json; returns the number of lines, seqs in out. */
static int read_seqs(uint64_t *out, int max, int *bad)
{
    char p[128], line[8192];
    int n = 0;
    FILE *f;

    snprintf(p, sizeof(p), "%s/eve.json", dir);
    f = fopen(p, "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL && n < max) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        json_t *canh = j ? json_object_get(j, "canh") : NULL;
        if (canh == NULL || strcmp(json_string_value(json_object_get(canh, "sensor")), "s1") != 0 ||
            strcmp(json_string_value(json_object_get(j, "event_type")), "flow") != 0 ||
            json_integer_value(json_object_get(j, "src_port")) != 1234)
            (*bad)++;
        else
            out[n++] = (uint64_t)json_integer_value(json_object_get(canh, "seq"));
        json_decref(j);
    }
    fclose(f);
    return n;
}

static void emit(struct eve_out *o, int n)
{
    struct flow f;

    memset(&f, 0, sizeof(f));
    f.key.ipver = 4;
    f.key.proto = 17;
    f.key.ip_lo[0] = 10;
    f.key.ip_hi[0] = 11;
    f.key.port_lo = 1234;
    f.key.port_hi = 53;
    f.client_is_lo = 1;
    f.flow_id = 42;
    for (int i = 0; i < n; i++) {
        struct jb *j = eve_begin(o, "flow", &f, NULL, (struct timeval){ 1700000000, i });
        jb_str(j, "note", "line\nbreak\"quote");
        CHECK_EQ_INT(eve_commit(o), 0);
    }
}

TEST(lines_are_whole_json_with_identity)
{
    uint64_t seqs[64];
    int bad = 0;

    mkdir_tmp();
    struct eve_writer *w = eve_writer_new(dir, "s1", NULL);
    CHECK(w != NULL);
    if (w == NULL)
        return;
    struct eve_out *o = eve_out_new(w, 65536);
    emit(o, 5);
    CHECK_EQ_INT(read_seqs(seqs, 64, &bad), 0); /* still buffered */
    CHECK_EQ_INT(eve_out_flush(o), 0);
    CHECK_EQ_INT(eve_writer_sync(w), 0);
    CHECK_EQ_INT(read_seqs(seqs, 64, &bad), 5);
    CHECK_EQ_INT(bad, 0);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(seqs[i], i);
    eve_out_free(o);
    eve_writer_free(w);
    cleanup();
}

TEST(seq_never_reused_after_restart)
{
    uint64_t seqs[64];
    int bad = 0;

    mkdir_tmp();
    for (int run = 0; run < 2; run++) {
        struct eve_writer *w = eve_writer_new(dir, "s1", NULL);
        CHECK(w != NULL);
        if (w == NULL)
            return;
        struct eve_out *o = eve_out_new(w, 65536);
        emit(o, 3);
        eve_out_free(o);
        eve_writer_free(w);
    }
    CHECK_EQ_INT(read_seqs(seqs, 64, &bad), 6);
    CHECK_EQ_INT(seqs[2], 2);
    CHECK_EQ_INT(seqs[3], EVE_SEQ_BLOCK); /* the second run starts past the reserved block */
    CHECK(seqs[5] > seqs[4]);
    cleanup();
}

TEST(missing_dir_fails_cleanly)
{
    CHECK(eve_writer_new("/nonexistent/dir/for/canh", "s1", NULL) == NULL);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}

static int sink_calls, sink_bad;

/* The sink must see each line NUL-terminated, without the newline. */
static int count_sink(void *arg, const char *line, size_t len, int is_alert)
{
    (void)arg;
    (void)is_alert;
    sink_calls++;
    if (strlen(line) != len || line[0] != '{' || line[len - 1] != '}')
        sink_bad++;
    return 0;
}

/* Events are built in place in the output buffer: across many flushes and
 * a dropped oversized event in between, every line stays whole and in
 * order, and the drop leaves no trace in the file. */
TEST(lines_whole_across_flushes_and_drops)
{
    static uint64_t seqs[4096];
    static char big[EVE_MAX_LINE];
    int bad = 0, n;

    sink_calls = sink_bad = 0;
    mkdir_tmp();
    struct eve_writer *w = eve_writer_new(dir, "s1", NULL);
    CHECK(w != NULL);
    if (w == NULL)
        return;
    eve_writer_set_sink(w, count_sink, NULL);
    struct eve_out *o = eve_out_new(w, 65536);
    emit(o, 1500);
    memset(big, 'a', sizeof(big) - 1);
    struct jb *j = eve_begin(o, "flow", NULL, NULL, (struct timeval){ 1700000000, 0 });
    jb_str(j, "note", big);
    CHECK_EQ_INT(eve_commit(o), -1);
    CHECK_EQ_INT(eve_out_dropped(o), 1);
    emit(o, 1500);
    eve_out_flush(o);
    CHECK_EQ_INT(eve_writer_sync(w), 0);
    n = read_seqs(seqs, 4096, &bad);
    CHECK_EQ_INT(n, 3000);
    CHECK_EQ_INT(bad, 0);
    for (int i = 1; i < n; i++)
        CHECK(seqs[i] == seqs[i - 1] + 1);
    CHECK_EQ_INT(sink_calls, 3000);
    CHECK_EQ_INT(sink_bad, 0);
    eve_out_free(o);
    eve_writer_free(w);
    cleanup();
}

/* Several threads commit into small buffers (many flushes, so every spare
 * is in flight at times) while a slow sink holds the writer thread back. */
#define MT_THREADS 4
#define MT_EVENTS 20000

struct mt_sink {
    pthread_mutex_t lock;
    int next[MT_THREADS];       /* the counter expected next from each thread */
    int calls, bad, misordered, alert_wrong;
    int on_committer;           /* calls made on a committing thread */
    pthread_t committers[MT_THREADS];
    int slow_every;             /* sleep 1 ms every this many lines (0: never) */
};

/* An event of thread t, number i; every 7th is an alert. */
static int mt_emit(struct eve_out *o, int t, int i)
{
    struct jb *j = eve_begin(o, i % 7 == 0 ? "alert" : "flow", NULL, NULL,
                             (struct timeval){ 1700000000, i });
    jb_uint(j, "t", (uint64_t)t);
    jb_uint(j, "i", (uint64_t)i);
    return eve_commit(o);
}

/* t and i of a line, or -1 when the line is not one of ours. */
static int mt_parse(const char *line, int *t, int *i)
{
    const char *a = strstr(line, "\"t\":"), *b = strstr(line, "\"i\":");

    if (a == NULL || b == NULL)
        return -1;
    *t = atoi(a + 4);
    *i = atoi(b + 4);
    return *t >= 0 && *t < MT_THREADS ? 0 : -1;
}

static int mt_sink_fn(void *arg, const char *line, size_t len, int is_alert)
{
    struct mt_sink *ms = arg;
    int t, i;

    pthread_mutex_lock(&ms->lock);
    ms->calls++;
    for (int k = 0; k < MT_THREADS; k++)
        if (pthread_equal(pthread_self(), ms->committers[k]))
            ms->on_committer++;
    if (strlen(line) != len || line[0] != '{' || line[len - 1] != '}' || mt_parse(line, &t, &i) != 0)
        ms->bad++;
    else {
        if (i != ms->next[t])
            ms->misordered++;
        ms->next[t] = i + 1;
        if (is_alert != (i % 7 == 0))
            ms->alert_wrong++;
    }
    bool nap = ms->slow_every > 0 && ms->calls % ms->slow_every == 0;
    pthread_mutex_unlock(&ms->lock);
    if (nap)
        usleep(1000);
    return 0;
}

struct mt_arg {
    struct eve_writer *w;
    int t, failed;
};

static void *mt_thread(void *arg)
{
    struct mt_arg *a = arg;
    struct eve_out *o = eve_out_new(a->w, 65536);

    if (o == NULL) {
        a->failed = 1;
        return NULL;
    }
    for (int i = 0; i < MT_EVENTS; i++)
        if (mt_emit(o, a->t, i) != 0)
            a->failed++;
    eve_out_free(o);   /* hands over the rest and waits for its buffers */
    return NULL;
}

TEST(threads_lose_nothing_and_keep_their_order)
{
    static struct mt_sink ms;
    struct mt_arg args[MT_THREADS];
    pthread_t th[MT_THREADS];
    int next[MT_THREADS] = { 0 }, lines = 0, bad = 0, misordered = 0;
    char p[128], line[8192];

    memset(&ms, 0, sizeof(ms));
    pthread_mutex_init(&ms.lock, NULL);
    ms.slow_every = 2000;   /* ~40 ms per writer pass over 80000 lines */
    mkdir_tmp();
    struct eve_writer *w = eve_writer_new(dir, "s1", NULL);
    CHECK(w != NULL);
    if (w == NULL)
        return;
    eve_writer_set_sink(w, mt_sink_fn, &ms);
    pthread_mutex_lock(&ms.lock);   /* committers[] is complete before any sink call */
    for (int t = 0; t < MT_THREADS; t++) {
        args[t] = (struct mt_arg){ w, t, 0 };
        pthread_create(&th[t], NULL, mt_thread, &args[t]);
        ms.committers[t] = th[t];
    }
    pthread_mutex_unlock(&ms.lock);
    for (int t = 0; t < MT_THREADS; t++) {
        pthread_join(th[t], NULL);
        CHECK_EQ_INT(args[t].failed, 0);
    }
    /* every eve_out is freed: all lines are in the file, none pending */
    snprintf(p, sizeof(p), "%s/eve.json", dir);
    FILE *f = fopen(p, "r");
    CHECK(f != NULL);
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        int t, i;
        lines++;
        if (j == NULL || mt_parse(line, &t, &i) != 0)
            bad++;
        else {
            if (i != next[t])
                misordered++;
            next[t] = i + 1;
        }
        json_decref(j);
    }
    if (f != NULL)
        fclose(f);
    CHECK_EQ_INT(lines, MT_THREADS * MT_EVENTS);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(misordered, 0);
    for (int t = 0; t < MT_THREADS; t++)
        CHECK_EQ_INT(next[t], MT_EVENTS);
    CHECK_EQ_INT(eve_writer_events(w), MT_THREADS * MT_EVENTS);
    eve_writer_free(w);
    CHECK_EQ_INT(ms.calls, MT_THREADS * MT_EVENTS);
    CHECK_EQ_INT(ms.bad, 0);
    CHECK_EQ_INT(ms.misordered, 0);
    CHECK_EQ_INT(ms.alert_wrong, 0);
    CHECK_EQ_INT(ms.on_committer, 0);   /* the sink runs on the writer thread */
    for (int t = 0; t < MT_THREADS; t++)
        CHECK_EQ_INT(ms.next[t], MT_EVENTS);
    pthread_mutex_destroy(&ms.lock);
    cleanup();
}

/* A failed write(2) is reported by eve_writer_sync and by the next flush of
 * the eve_out whose lines it held, and those lines are counted as dropped;
 * the sink still gets them (the spool is the other copy). */
TEST(write_errors_reported_and_counted)
{
    static struct mt_sink ms;
    char p[128];

    if (access("/dev/full", W_OK) != 0) {
        SKIP("no /dev/full");
        return;
    }
    memset(&ms, 0, sizeof(ms));
    pthread_mutex_init(&ms.lock, NULL);
    mkdir_tmp();
    snprintf(p, sizeof(p), "%s/eve.json", dir);
    CHECK_EQ_INT(symlink("/dev/full", p), 0);
    struct eve_writer *w = eve_writer_new(dir, "s1", NULL);
    CHECK(w != NULL);
    if (w == NULL)
        return;
    eve_writer_set_sink(w, mt_sink_fn, &ms);
    struct eve_out *o = eve_out_new(w, 65536);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(mt_emit(o, 0, i), 0);
    CHECK_EQ_INT(eve_out_dropped(o), 0);
    eve_out_flush(o);                    /* hand-over: the write is not done yet */
    CHECK_EQ_INT(eve_writer_sync(w), -1);
    CHECK_EQ_INT(eve_out_dropped(o), 10);
    CHECK_EQ_INT(eve_out_flush(o), -1);  /* reported once to the owner... */
    CHECK_EQ_INT(eve_out_flush(o), 0);   /* ...then cleared */
    CHECK_EQ_INT(ms.calls, 10);
    CHECK_EQ_INT(ms.bad, 0);
    eve_out_free(o);
    eve_writer_free(w);
    pthread_mutex_destroy(&ms.lock);
    cleanup();
}

/* While the writer thread is held (here: in the sink), a committing thread
 * fills its spares and then waits in the flush instead of dropping or
 * allocating; released, every line arrives. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_calls;
static _Atomic int gate_progress;

static int gate_sink(void *arg, const char *line, size_t len, int is_alert)
{
    (void)arg;
    (void)line;
    (void)len;
    (void)is_alert;
    pthread_mutex_lock(&gate_lock);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_lock);
    gate_calls++;
    pthread_mutex_unlock(&gate_lock);
    return 0;
}

#define GATE_EVENTS 20000   /* ~3 MB: far more than the spares of a 64 KB eve_out */

static void *gate_thread(void *arg)
{
    struct eve_out *o = eve_out_new(arg, 65536);

    for (int i = 0; o != NULL && i < GATE_EVENTS; i++) {
        mt_emit(o, 0, i);
        atomic_store(&gate_progress, i + 1);
    }
    eve_out_free(o);
    return NULL;
}

TEST(full_spares_make_the_committer_wait)
{
    pthread_t th;
    int stalled_at;

    mkdir_tmp();
    struct eve_writer *w = eve_writer_new(dir, "s1", NULL);
    CHECK(w != NULL);
    if (w == NULL)
        return;
    gate_open = gate_calls = 0;
    atomic_store(&gate_progress, 0);
    eve_writer_set_sink(w, gate_sink, NULL);
    pthread_create(&th, NULL, gate_thread, w);
    usleep(300 * 1000);
    stalled_at = atomic_load(&gate_progress);
    usleep(100 * 1000);
    CHECK(stalled_at > 0);
    CHECK(stalled_at < GATE_EVENTS);                    /* waiting, not done */
    CHECK_EQ_INT(atomic_load(&gate_progress), stalled_at); /* and not moving */
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_lock);
    pthread_join(th, NULL);
    CHECK_EQ_INT(atomic_load(&gate_progress), GATE_EVENTS);
    CHECK_EQ_INT(eve_writer_sync(w), 0);
    CHECK_EQ_INT(gate_calls, GATE_EVENTS);
    CHECK_EQ_INT(eve_writer_events(w), GATE_EVENTS);
    eve_writer_free(w);
    {
        char p[128], line[8192];
        int lines = 0, next = 0, misordered = 0, t, i;
        snprintf(p, sizeof(p), "%s/eve.json", dir);
        FILE *f = fopen(p, "r");
        while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
            lines++;
            if (mt_parse(line, &t, &i) != 0 || i != next)
                misordered++;
            next = i + 1;
        }
        if (f != NULL)
            fclose(f);
        CHECK_EQ_INT(lines, GATE_EVENTS);
        CHECK_EQ_INT(misordered, 0);
    }
    cleanup();
}
