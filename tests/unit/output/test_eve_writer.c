/* Unit tests of the EVE writer: whole JSON lines with the common fields and
 * the canh identity; canh.seq continues past the reserved block after a
 * restart (never reused); buffered lines reach the file on flush.
 */
#include <jansson.h>
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
    eve_out_flush(o);
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
