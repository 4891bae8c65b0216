/* Unit tests for common/cfg.c: schema checks with file:line, wildcards,
 * lists, --set overrides, defaults. */
#include "../runner.h"

#include "cfg.h"
#include "log.h"

static const struct cfg_opt test_opts[] = {
    { "max-flows", CFG_INT, "65536", 1, 100000000, "flows" },
    { "flow.memcap", CFG_SIZE, "128mb", 0, 0, "bytes" },
    { "stream.midstream", CFG_BOOL, "no", 0, 0, "pick up" },
    { "sensor-id", CFG_STR, NULL, 0, 0, "name" },
    { "rule-files", CFG_LIST, NULL, 0, 0, "rules" },
    { "vars.address-groups.*", CFG_STR, NULL, 0, 0, "addresses" },
    { "outputs.*.eve-log.enabled", CFG_BOOL, "yes", 0, 0, "eve" },
};

static struct cfg *cfg_make(void)
{
    struct cfg *c = cfg_new();
    cfg_add_schema(c, test_opts, sizeof(test_opts) / sizeof(test_opts[0]));
    return c;
}

static int cfg_str_load(struct cfg *c, const char *y)
{
    return cfg_load_string(c, "t.yaml", y, strlen(y));
}

TEST(cfg_defaults_apply)
{
    struct cfg *c = cfg_make();
    CHECK_EQ_INT(cfg_get_int(c, "max-flows"), 65536);
    CHECK_EQ_INT(cfg_get_int(c, "flow.memcap"), 128LL * 1024 * 1024);
    CHECK(!cfg_get_bool(c, "stream.midstream"));
    CHECK(cfg_get_str(c, "sensor-id") == NULL);
    CHECK(!cfg_is_set(c, "max-flows"));
    cfg_free(c);
}

TEST(cfg_loads_nested_lists_and_wildcards)
{
    struct cfg *c = cfg_make();
    int e = cfg_str_load(c, "%YAML 1.1\n---\nmax-flows: 1000\nflow:\n  memcap: 1gb\n"
                            "stream:\n  midstream: yes\nsensor-id: dc-01\n"
                            "rule-files:\n  - a.rules\n  - b.rules\n"
                            "vars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/8]\"\n"
                            "    EXTERNAL_NET: \"!$HOME_NET\"\n"
                            "outputs:\n  - eve-log:\n      enabled: no\n");
    CHECK_EQ_INT(e, 0);
    CHECK_EQ_INT(cfg_get_int(c, "max-flows"), 1000);
    CHECK_EQ_INT(cfg_get_int(c, "flow.memcap"), 1024LL * 1024 * 1024);
    CHECK(cfg_get_bool(c, "stream.midstream"));
    CHECK_EQ_STR(cfg_get_str(c, "sensor-id"), "dc-01");
    const char *const *items;
    CHECK_EQ_INT(cfg_get_list(c, "rule-files", &items), 2);
    CHECK_EQ_STR(items[1], "b.rules");
    CHECK_EQ_STR(cfg_get_str(c, "vars.address-groups.HOME_NET"), "[10.0.0.0/8]");
    CHECK(!cfg_get_bool(c, "outputs.0.eve-log.enabled"));
    cfg_free(c);
}

static void count_cb(const char *key, const char *value, void *arg)
{
    (void)key;
    (void)value;
    (*(int *)arg)++;
}

TEST(cfg_each_matches_patterns)
{
    struct cfg *c = cfg_make();
    cfg_str_load(c, "vars:\n  address-groups:\n    A: 1.2.3.4\n    B: 5.6.7.8\n");
    int n = 0;
    CHECK_EQ_INT(cfg_each(c, "vars.address-groups.*", count_cb, &n), 2);
    CHECK_EQ_INT(n, 2);
    cfg_free(c);
}

TEST(cfg_reports_every_error)
{
    struct cfg *c = cfg_make();
    /* unknown key, bad int, bad size, out of range, bad bool: five errors */
    int e = cfg_str_load(c, "max-flow: 3\nmax-flows: x\nflow:\n  memcap: 12X\n"
                            "stream:\n  midstream: maybe\n");
    CHECK_EQ_INT(e, 4);
    struct cfg *d = cfg_make();
    CHECK_EQ_INT(cfg_str_load(d, "max-flows: 0\n"), 1);
    cfg_free(d);
    /* a value that failed keeps the default */
    CHECK_EQ_INT(cfg_get_int(c, "max-flows"), 65536);
    cfg_free(c);
}

TEST(cfg_yaml_syntax_error_is_an_error)
{
    struct cfg *c = cfg_make();
    CHECK(cfg_str_load(c, "max-flows: [1, 2\n") > 0);
    CHECK(cfg_str_load(c, "- just\n- a list\n") > 0);
    cfg_free(c);
}

TEST(cfg_set_overrides_and_checks)
{
    struct cfg *c = cfg_make();
    cfg_str_load(c, "max-flows: 1000\n");
    CHECK_EQ_INT(cfg_set(c, "max-flows=2000"), 0);
    CHECK_EQ_INT(cfg_get_int(c, "max-flows"), 2000);
    CHECK_EQ_INT(cfg_set(c, "max-flows=lots"), 1);
    CHECK_EQ_INT(cfg_get_int(c, "max-flows"), 2000);
    CHECK_EQ_INT(cfg_set(c, "no.such.key=1"), 1);
    CHECK_EQ_INT(cfg_set(c, "novalue"), 1);
    CHECK_EQ_INT(cfg_set(c, "rule-files=[x.rules, y.rules]"), 0);
    const char *const *items;
    CHECK_EQ_INT(cfg_get_list(c, "rule-files", &items), 2);
    CHECK_EQ_STR(items[0], "x.rules");
    CHECK_EQ_INT(cfg_set(c, "vars.address-groups.HOME_NET=[192.168.0.0/16]"), 0);
    CHECK_EQ_STR(cfg_get_str(c, "vars.address-groups.HOME_NET"), "[192.168.0.0/16]");
    cfg_free(c);
}

TEST(cfg_empty_section_is_fine)
{
    struct cfg *c = cfg_make();
    CHECK_EQ_INT(cfg_str_load(c, "vars:\nstream:\n"), 0);
    cfg_free(c);
}

TEST(cfg_size_units)
{
    int64_t v;
    CHECK(cfg_parse_size("4096", &v) == 0 && v == 4096);
    CHECK(cfg_parse_size("64kb", &v) == 0 && v == 65536);
    CHECK(cfg_parse_size("1.5MB", &v) == 0 && v == 1572864);
    CHECK(cfg_parse_size("2 GiB", &v) == 0 && v == 2147483648LL);
    CHECK(cfg_parse_size("12X", &v) != 0);
    CHECK(cfg_parse_size("-1", &v) != 0);
}

int main(int argc, char **argv)
{
    log_set_level(LOG_LVL_ERROR);
    return runner_main(argc, argv);
}
