/* Unit tests for sensor/ship/ship_cfg.c: the outputs.correlator schema with
 * the real cfg loader (defaults, sizes, bounds, --set) and the checks that
 * ship_cfg_load() adds (url scheme, token required when enabled). */
#include "../runner.h"

#include "cfg.h"
#include "log.h"
#include "ship/ship.h"

static struct cfg *load(const char *yaml, int *errors)
{
    struct cfg *c = cfg_new();
    ship_cfg_schema(c);
    *errors = cfg_load_string(c, "sensor.yaml", yaml, strlen(yaml));
    return c;
}

TEST(ship_cfg_disabled_by_default)
{
    int err;
    struct cfg *c = load("outputs:\n  correlator:\n    url: https://c.example\n", &err);
    struct ship_cfg sc;
    CHECK_EQ_INT(err, 0);
    CHECK_EQ_INT(ship_cfg_load(c, &sc), 0);
    CHECK(sc.url == NULL);
    cfg_free(c);
}

TEST(ship_cfg_full_section)
{
    int err;
    struct cfg *c = load("outputs:\n"
                         "  correlator:\n"
                         "    enabled: yes\n"
                         "    url: https://corr.example:8443\n"
                         "    token: s3cret\n"
                         "    ca-file: /etc/canh/ca.pem\n"
                         "    spool-dir: /var/spool/x\n"
                         "    spool-max-size: 64mb\n"
                         "    batch-events: 250\n"
                         "    batch-size: 256kb\n"
                         "    flush-interval: 50\n"
                         "    verify-tls: no\n",
                         &err);
    struct ship_cfg sc;
    CHECK_EQ_INT(err, 0);
    CHECK_EQ_INT(ship_cfg_load(c, &sc), 0);
    CHECK_EQ_STR(sc.url, "https://corr.example:8443");
    CHECK_EQ_STR(sc.token, "s3cret");
    CHECK_EQ_STR(sc.ca_file, "/etc/canh/ca.pem");
    CHECK_EQ_STR(sc.spool_dir, "/var/spool/x");
    CHECK_EQ_INT(sc.spool_max_bytes, 64ull << 20);
    CHECK_EQ_INT(sc.batch_max_events, 250);
    CHECK_EQ_INT(sc.batch_max_bytes, 256 << 10);
    CHECK_EQ_INT(sc.flush_ms, 50);
    CHECK(!sc.verify_tls);
    cfg_free(c);
}

TEST(ship_cfg_defaults_when_enabled)
{
    int err;
    struct cfg *c = load("outputs:\n  correlator:\n    enabled: yes\n"
                         "    url: http://127.0.0.1:8080\n    token: t\n", &err);
    struct ship_cfg sc;
    CHECK_EQ_INT(ship_cfg_load(c, &sc), 0);
    CHECK(sc.verify_tls);
    CHECK(sc.ca_file == NULL);
    CHECK(sc.spool_dir != NULL);
    CHECK_EQ_INT(sc.spool_max_bytes, 1ull << 30);
    CHECK_EQ_INT(sc.batch_max_events, 1000);
    CHECK_EQ_INT(sc.flush_ms, 200);
    /* --set goes through the same schema. */
    CHECK_EQ_INT(cfg_set(c, "outputs.correlator.batch-events=10"), 0);
    CHECK_EQ_INT(ship_cfg_load(c, &sc), 0);
    CHECK_EQ_INT(sc.batch_max_events, 10);
    cfg_free(c);
}

TEST(ship_cfg_errors)
{
    int err;
    struct ship_cfg sc;
    struct cfg *c = load("outputs:\n  correlator:\n    enabled: yes\n    url: ftp://x\n", &err);
    CHECK_EQ_INT(err, 0);
    CHECK_EQ_INT(ship_cfg_load(c, &sc), SHIP_ERR_INVAL); /* bad scheme and no token */
    cfg_free(c);
    c = load("outputs:\n  correlator:\n    batch-events: 0\n    spool-max-size: 12X\n"
             "    bogus: 1\n", &err);
    CHECK_EQ_INT(err, 3); /* out of range, not a size, unknown key */
    cfg_free(c);
}

int main(int argc, char **argv)
{
    log_init("test");
    log_set_level(LOG_LVL_ERROR);
    return runner_main(argc, argv);
}
