/* Unit tests for stream_cfg: the stream.* schema through the real cfg
 * module: defaults, values from YAML, per-worker division of the memcaps,
 * and rejection of bad values.
 */
#include "cfg.h"
#include "../runner.h"
#include "stream/stream.h"

TEST(defaults_are_suricatas)
{
    struct cfg *c = cfg_new();
    struct tcp_cfg tc;

    CHECK(c != NULL);
    CHECK_EQ_INT(stream_cfg_schema(c), 0);
    CHECK_EQ_INT(cfg_load_string(c, "t.yaml", "", 0), 0);
    CHECK_EQ_INT(stream_cfg_load(c, 1, &tc), 0);
    CHECK_EQ_INT(tc.midstream, 0);
    CHECK_EQ_INT(tc.memcap, 64ll << 20);
    CHECK_EQ_INT(tc.reasm_memcap, 256ll << 20);
    CHECK_EQ_INT(tc.depth, 1 << 20);
    CHECK_EQ_INT(tc.window, 256);
    cfg_free(c);
}

TEST(values_from_yaml_split_per_worker)
{
    static const char y[] = "stream:\n  memcap: 32mb\n  midstream: true\n"
                            "  reassembly:\n    memcap: 1gb\n    depth: 0\n"
                            "    match-window: 1kb\n";
    struct cfg *c = cfg_new();
    struct tcp_cfg tc;

    stream_cfg_schema(c);
    CHECK_EQ_INT(cfg_load_string(c, "t.yaml", y, sizeof(y) - 1), 0);
    CHECK_EQ_INT(stream_cfg_load(c, 4, &tc), 0);
    CHECK_EQ_INT(tc.midstream, 1);
    CHECK_EQ_INT(tc.memcap, 8ll << 20);
    CHECK_EQ_INT(tc.reasm_memcap, 256ll << 20);
    CHECK_EQ_INT(tc.depth, 0);
    CHECK_EQ_INT(tc.window, 1024);
    CHECK_EQ_INT(cfg_set(c, "stream.reassembly.depth=4kb"), 0);
    CHECK_EQ_INT(stream_cfg_load(c, 4, &tc), 0);
    CHECK_EQ_INT(tc.depth, 4096);
    cfg_free(c);
}

TEST(bad_values_rejected)
{
    static const char y1[] = "stream:\n  reassembly:\n    depth: lots\n";
    static const char y2[] = "stream:\n  reassembly:\n    match-window: 1mb\n";
    static const char y3[] = "stream:\n  midstrem: true\n";
    struct cfg *c = cfg_new();
    struct tcp_cfg tc;

    stream_cfg_schema(c);
    CHECK(cfg_load_string(c, "t1.yaml", y1, sizeof(y1) - 1) > 0);
    cfg_free(c);
    c = cfg_new();
    stream_cfg_schema(c);
    CHECK(cfg_load_string(c, "t2.yaml", y2, sizeof(y2) - 1) > 0);
    cfg_free(c);
    c = cfg_new();
    stream_cfg_schema(c);
    CHECK(cfg_load_string(c, "t3.yaml", y3, sizeof(y3) - 1) > 0);
    /* 1mb shared by 1000 workers is too little per worker */
    CHECK_EQ_INT(cfg_set(c, "stream.memcap=1mb"), 0);
    CHECK(stream_cfg_load(c, 1000, &tc) < 0);
    cfg_free(c);
}

static void noop_cb(void *arg, struct tcp_session *s, int dir, const uint8_t *data, size_t len,
                    uint64_t off, unsigned flags)
{
    (void)arg, (void)s, (void)dir, (void)data, (void)len, (void)off, (void)flags;
}

/* The defaults for 2 workers give a usable context; no callback, none. */
TEST(config_builds_a_context)
{
    struct cfg *c = cfg_new();
    struct tcp_cfg tc;
    struct tcp_ctx *ctx;

    stream_cfg_schema(c);
    CHECK_EQ_INT(cfg_load_string(c, "t.yaml", "", 0), 0);
    CHECK_EQ_INT(stream_cfg_load(c, 2, &tc), 0);
    ctx = tcp_ctx_new(&tc, noop_cb, NULL);
    CHECK(ctx != NULL);
    tcp_ctx_free(ctx);
    CHECK(tcp_ctx_new(&tc, NULL, NULL) == NULL);
    cfg_free(c);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
