/* canh-correlator: argument handling, the admin sub-commands (sensor add,
 * user add, token create/revoke, --demo-bootstrap), -T / --test-rules, and
 * start/stop of the daemon: store -> correlation replay -> HTTP API on one
 * libevent loop. Start-up problems exit 1; after start nothing exits.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "corr_cfg.h"
#include "correlate/corr_engine.h"
#include "incident/inc_corr.h"
#include "ingest/ing_auth.h"
#include "ingest/ing_events.h"
#include "ingest/ing_http.h"
#include "log.h"
#include "portal/portal.h"
#include "report/report.h"
#include "ship/ship_outbox.h"
#include "store/db.h"
#include "store/db_auth.h"
#include "store/db_event.h"
#include "store/db_portal.h"

#define MAIN_MAX_SETS 64

struct main_opts {
    const char *config;
    const char *sets[MAIN_MAX_SETS];
    size_t nsets;
    int test_only, dump;
    const char *test_rules;
    int demo_bootstrap;
    const char *port_file;
};

static void main_usage(FILE *f)
{
    fprintf(f,
        "usage: canh-correlator [-c correlator.yaml] [--set key=value]... [--port-file FILE]\n"
        "       canh-correlator -T [--dump] [-c file]      check the config (and rules) and exit\n"
        "       canh-correlator --test-rules DIR           load Sigma rules and report\n"
        "       canh-correlator --demo-bootstrap [-c file] sensor 'demo' + user 'admin' with\n"
        "                                                 tokens in DATA_DIR/demo-credentials\n"
        "       canh-correlator [-c file] sensor add NAME  (prints its ingest token once)\n"
        "       canh-correlator [-c file] user add NAME viewer|analyst|responder|admin "
        "[--password-stdin]\n"
        "       canh-correlator [-c file] user passwd NAME (reads the password from stdin)\n"
        "       canh-correlator [-c file] token create USER | token create --sensor NAME\n"
        "       canh-correlator [-c file] token revoke TOKEN_ID\n");
}

static int main_args(int argc, char **argv, struct main_opts *o)
{
    static const struct option longs[] = {
        { "config", required_argument, NULL, 'c' },
        { "set", required_argument, NULL, 's' },
        { "test", no_argument, NULL, 'T' },
        { "dump", no_argument, NULL, 'd' },
        { "test-rules", required_argument, NULL, 'r' },
        { "demo-bootstrap", no_argument, NULL, 'b' },
        { "port-file", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch;
    /* '+': stop at the first sub-command word. */
    while ((ch = getopt_long(argc, argv, "+c:Th", longs, NULL)) != -1) {
        switch (ch) {
        case 'c': o->config = optarg; break;
        case 's':
            if (o->nsets == MAIN_MAX_SETS) {
                log_error("main", "too many --set options (at most %d)", MAIN_MAX_SETS);
                return -1;
            }
            o->sets[o->nsets++] = optarg;
            break;
        case 'T': o->test_only = 1; break;
        case 'd': o->dump = 1; break;
        case 'r': o->test_rules = optarg; break;
        case 'b': o->demo_bootstrap = 1; break;
        case 'p': o->port_file = optarg; break;
        case 'h': main_usage(stdout); exit(0);
        default: main_usage(stderr); return -1;
        }
    }
    return 0;
}

static int main_test_rules(const char *dir)
{
    int nerr = 0;
    struct corr_rules *r = corr_rules_load_dir(dir, &nerr);
    if (!r) {
        log_error("main", "%s: cannot read the rules directory", dir);
        return 1;
    }
    printf("%s: %zu rules loaded, %d failed\n", dir, corr_rules_count(r), nerr);
    corr_rules_free(r);
    return nerr ? 1 : 0;
}

static struct db *main_open_db(const struct corr_cfg *cfg)
{
    if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
        log_error("main", "%s: cannot create the data directory: %s (set data-dir)",
                  cfg->data_dir, strerror(errno));
        return NULL;
    }
    char path[600];
    snprintf(path, sizeof path, "%s/canh.db", cfg->data_dir);
    return db_open(path);
}

static int main_sensor_add(struct db *d, const char *name)
{
    int rc = db_auth_sensor_add(d, name, "cli");
    if (rc == DB_ERR_EXIST) {
        log_error("main", "sensor %s exists (create another token with "
                  "'token create --sensor %s')", name, name);
        return 1;
    }
    if (rc) {
        log_error("main", "sensor %s: cannot add (name: 1..64 of A-Z a-z 0-9 . _ -)", name);
        return 1;
    }
    char tok[ING_AUTH_TOKEN_LEN + 1];
    long long id = 0;
    if (ing_auth_token_create(d, DB_PRINCIPAL_SENSOR, name, "cli", tok, &id) != 0)
        return 1;
    printf("sensor %s added; ingest token (id %lld, shown once):\n%s\n", name, id, tok);
    return 0;
}

/* Read a password (one line) from stdin and store its Argon2id hash. */
static int main_passwd(struct db *d, const char *user)
{
    char pw[1100];
    if (!fgets(pw, sizeof pw, stdin)) {
        log_error("main", "user %s: no password on stdin", user);
        return 1;
    }
    pw[strcspn(pw, "\r\n")] = '\0';
    int rc = portal_auth_set_password(d, user, pw, "cli");
    sodium_memzero(pw, sizeof pw);
    if (rc) {
        log_error("main", "user %s: %s", user, rc == DB_ERR_NOENT ? "does not exist" :
                  rc == DB_ERR_INVAL ? "the password must be 8..1024 bytes" :
                  "cannot store the password");
        return 1;
    }
    printf("password of %s set\n", user);
    return 0;
}

/* Sub-commands: sensor add, user add, user passwd, token create, token revoke. */
static int main_admin(struct db *d, int argc, char **argv)
{
    const char *a = argv[0], *b = argc > 1 ? argv[1] : "";
    if (strcmp(a, "sensor") == 0 && strcmp(b, "add") == 0 && argc == 3)
        return main_sensor_add(d, argv[2]);
    if (strcmp(a, "user") == 0 && strcmp(b, "passwd") == 0 && argc == 3)
        return main_passwd(d, argv[2]);
    if (strcmp(a, "user") == 0 && strcmp(b, "add") == 0 && argc == 5 &&
        strcmp(argv[4], "--password-stdin") == 0) {
        enum db_role role = db_auth_role_parse(argv[3]);
        int rc = role ? db_auth_user_add(d, argv[2], role, "cli") : DB_ERR_INVAL;
        if (rc) {
            log_error("main", "user %s: %s", argv[2], rc == DB_ERR_EXIST ? "exists" :
                      "bad name or role (viewer analyst responder admin)");
            return 1;
        }
        return main_passwd(d, argv[2]);
    }
    if (strcmp(a, "user") == 0 && strcmp(b, "add") == 0 && argc == 4) {
        enum db_role role = db_auth_role_parse(argv[3]);
        int rc = role ? db_auth_user_add(d, argv[2], role, "cli") : DB_ERR_INVAL;
        if (rc) {
            log_error("main", "user %s: %s", argv[2], rc == DB_ERR_EXIST ? "exists" :
                      "bad name or role (viewer analyst responder admin)");
            return 1;
        }
        printf("user %s added with role %s; create a token with 'token create %s'\n", argv[2],
               argv[3], argv[2]);
        return 0;
    }
    if (strcmp(a, "token") == 0 && strcmp(b, "create") == 0 && (argc == 3 || argc == 4)) {
        int sensor = argc == 4 && strcmp(argv[2], "--sensor") == 0;
        if (argc == 4 && !sensor)
            goto usage;
        const char *owner = argv[argc - 1];
        char tok[ING_AUTH_TOKEN_LEN + 1];
        long long id = 0;
        int rc = ing_auth_token_create(d, sensor ? DB_PRINCIPAL_SENSOR : DB_PRINCIPAL_USER,
                                       owner, "cli", tok, &id);
        if (rc) {
            log_error("main", "%s %s: %s", sensor ? "sensor" : "user", owner,
                      rc == DB_ERR_NOENT ? "does not exist" : "token creation failed");
            return 1;
        }
        printf("token id %lld for %s %s (shown once):\n%s\n", id, sensor ? "sensor" : "user",
               owner, tok);
        return 0;
    }
    if (strcmp(a, "token") == 0 && strcmp(b, "revoke") == 0 && argc == 3) {
        char *end = NULL;
        long long id = strtoll(argv[2], &end, 10);
        int rc = *end || id <= 0 ? DB_ERR_INVAL : db_auth_token_revoke(d, id, "cli");
        if (rc) {
            log_error("main", "token %s: %s", argv[2],
                      rc == DB_ERR_NOENT ? "no such live token" : "cannot revoke");
            return 1;
        }
        printf("token %lld revoked\n", id);
        return 0;
    }
usage:
    main_usage(stderr);
    return 1;
}

/* Portal passwords for admin and the demo users viewer1, analyst1 and
 * responder1 (created when missing), for those that have none yet; the
 * lines "CANH_<USER>_PASSWORD=..." are appended to pw_lines. */
static int main_demo_passwords(struct db *d, char *pw_lines, size_t cap)
{
    static const char *const users[][2] = {
        { "admin", "admin" }, { "viewer1", "viewer" }, { "analyst1", "analyst" },
        { "responder1", "responder" },
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof users / sizeof *users; i++) {
        struct db_portal_user u;
        if (db_portal_user_get(d, users[i][0], &u) == 0 && u.pw_hash[0])
            continue;
        if (db_auth_user_exists(d, users[i][0]) == 0 &&
            db_auth_user_add(d, users[i][0], db_auth_role_parse(users[i][1]), "cli") != 0)
            return 1;
        unsigned char raw[12];
        char pw[25], up[32];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(pw, sizeof pw, raw, sizeof raw);
        if (portal_auth_set_password(d, users[i][0], pw, "cli") != 0)
            return 1;
        size_t k = 0;
        for (const char *c = users[i][0]; *c && k < sizeof up - 1; c++)
            up[k++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        up[k] = '\0';
        n += (size_t)snprintf(pw_lines + n, n < cap ? cap - n : 0, "CANH_%s_PASSWORD=%s\n", up,
                              pw);
        sodium_memzero(pw, sizeof pw);
    }
    return n < cap ? 0 : 1;
}

/* Sensor "demo" and user "admin" with tokens, and portal passwords for
 * admin and the demo users, written to a 0600 file. */
static int main_demo_bootstrap(struct db *d, const struct corr_cfg *cfg)
{
    char path[600], stok[ING_AUTH_TOKEN_LEN + 1] = "", atok[ING_AUTH_TOKEN_LEN + 1] = "";
    char pw_lines[512] = "";
    snprintf(path, sizeof path, "%s/demo-credentials", cfg->data_dir);
    int have_sensor = db_auth_sensor_exists(d, "demo"), users = db_auth_user_count(d);
    if (main_demo_passwords(d, pw_lines, sizeof pw_lines) != 0)
        return 1;
    if (have_sensor > 0 && users > 0 && !pw_lines[0]) {
        printf("demo bootstrap: sensor and users exist already; credentials in %s\n", path);
        return 0;
    }
    long long id;
    if (have_sensor == 0 && (db_auth_sensor_add(d, "demo", "cli") != 0 ||
                             ing_auth_token_create(d, DB_PRINCIPAL_SENSOR, "demo", "cli", stok,
                                                   &id) != 0))
        return 1;
    if (users == 0 && ing_auth_token_create(d, DB_PRINCIPAL_USER, "admin", "cli", atok, &id) != 0)
        return 1;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!f) {
        log_error("main", "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    if (stok[0])
        fprintf(f, "CANH_SENSOR=demo\nCANH_SENSOR_TOKEN=%s\n", stok);
    if (atok[0])
        fprintf(f, "CANH_USER=admin\nCANH_ADMIN_TOKEN=%s\n", atok);
    fputs(pw_lines, f);
    fclose(f);
    printf("demo bootstrap: credentials written to %s (mode 0600)\n", path);
    return 0;
}

struct main_loop {
    struct event_base *base;
    struct db *db;
    int retention_days;
};

static void main_on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct main_loop *m = arg;
    log_notice("main", "signal %d: stopping", (int)sig);
    event_base_loopexit(m->base, NULL);
}

static void main_on_retention(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct main_loop *m = arg;
    if (m->retention_days <= 0)
        return;
    int64_t cutoff = db_now_us() - (int64_t)m->retention_days * 86400 * 1000000;
    int64_t n = db_event_expire(m->db, cutoff);
    if (n > 0)
        log_notice("main", "retention: %lld events older than %d days deleted", (long long)n,
                   m->retention_days);
}

static int main_write_port_file(const char *path, int port)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        log_error("main", "%s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "%d\n", port);
    return fclose(f) == 0 ? 0 : -1;
}

static int main_serve(struct db *d, const struct corr_cfg *cfg, const struct main_opts *o)
{
    int ret = 1, nerr = 0;
    struct main_loop m = { NULL, d, cfg->retention_days };
    struct event *sigint = NULL, *sigterm = NULL, *ret_ev = NULL;
    struct ing_http *http = NULL;
    struct report *rep = NULL;
    struct ship_outbox *ship = NULL;
    struct portal *portal = NULL;
    struct inc_corr *corr = inc_corr_new(d, cfg->rules_dir, &nerr);
    if (!corr)
        goto out;
    portal = portal_new(d, &cfg->portal);
    if (!portal)
        goto out;
    inc_corr_set_filter(corr, portal_sup_filter, portal);
    log_notice("main", "%s: %zu correlation rules loaded, %d failed", cfg->rules_dir,
               inc_corr_rule_count(corr), nerr);
    if (inc_corr_replay(corr) < 0)
        goto out;
    struct ing_events ingest = { d, corr, { cfg->max_decoded, cfg->max_line, cfg->max_events },
                                 { 0, 0, 0, 0, 0, 0 }, NULL, NULL };
    struct api_ctx api = { d, corr, &ingest, cfg->page_max, cfg->incident_events, db_now_us(),
                           { .silent_after_s = cfg->sensor_silent_s }, portal };
    m.base = event_base_new();
    if (!m.base)
        goto out;
    struct ing_http_opts ho = {
        cfg->listen_address, cfg->listen_port, cfg->tls_cert[0] ? cfg->tls_cert : NULL,
        cfg->tls_key[0] ? cfg->tls_key : NULL, cfg->max_body, cfg->max_headers, cfg->timeout_s,
    };
    http = ing_http_new(m.base, d, &ho);
    if (!http || portal_register(portal, http, &api) != 0 || api_register(http, &api) != 0)
        goto out;
    rep = report_new(m.base, d, &cfg->report);
    if (!rep || report_register(rep, http) != 0)
        goto out;
    /* Events and incident versions to Elasticsearch/OpenSearch, pulled
     * from the store after each ingest commit. */
    ship = ship_outbox_new(m.base, d, &cfg->es);
    if (!ship || ship_outbox_register(ship, http) != 0)
        goto out;
    ingest.on_commit = ship_outbox_kick;
    ingest.on_commit_arg = ship;
    if (cfg->es.enabled)
        api_health_add_queue(&api.health, "opensearch", ship_outbox_depth, ship);
    if (cfg->report.enabled)
        api_health_add_queue(&api.health, "national_centre", report_queue_depth, rep);
    sigint = evsignal_new(m.base, SIGINT, main_on_signal, &m);
    sigterm = evsignal_new(m.base, SIGTERM, main_on_signal, &m);
    ret_ev = event_new(m.base, -1, EV_PERSIST, main_on_retention, &m);
    struct timeval hour = { 3600, 0 };
    if (!sigint || !sigterm || !ret_ev || event_add(sigint, NULL) || event_add(sigterm, NULL) ||
        event_add(ret_ev, &hour))
        goto out;
    main_on_retention(-1, 0, &m);
    int port = ing_http_port(http);
    if (o->port_file && main_write_port_file(o->port_file, port) != 0)
        goto out;
    printf("canh-correlator: listening on %s://%s:%d/api/v1/\n", ho.tls_cert ? "https" : "http",
           cfg->listen_address, port);
    fflush(stdout);
    log_notice("main", "listening on %s:%d (%s), data %s/canh.db, retention %d days, "
               "max body %zu, max decoded %zu", cfg->listen_address, port,
               ho.tls_cert ? "TLS" : "plain HTTP", cfg->data_dir, cfg->retention_days,
               cfg->max_body, cfg->max_decoded);
    event_base_dispatch(m.base);
    ret = 0;
out:
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    if (ret_ev)
        event_free(ret_ev);
    report_free(rep);
    ship_outbox_free(ship);
    ing_http_free(http);
    inc_corr_free(corr);
    portal_free(portal);
    if (m.base)
        event_base_free(m.base);
    return ret;
}

int main(int argc, char **argv)
{
    struct main_opts o;
    struct corr_cfg cfg;
    struct db *d = NULL;
    int ret = 1;
    memset(&o, 0, sizeof o);
    log_init("correlator");
    signal(SIGPIPE, SIG_IGN);
    /* Each batch makes ~10^5 small jansson allocations, freed together,
     * followed by large ones (body, gunzip, SQLite pages); with fastbins on,
     * glibc consolidates them on every large request (14% of ingest CPU in
     * perf). Without fastbins small frees go straight to the bins. */
    mallopt(M_MXFAST, 0);
    if (main_args(argc, argv, &o) != 0)
        return 1;
    if (o.test_rules)
        return main_test_rules(o.test_rules);
    if (o.dump)
        return corr_cfg_dump(o.config, o.sets, o.nsets) ? 1 : 0;
    if (corr_cfg_load(o.config, o.sets, o.nsets, &cfg) != 0) {
        log_error("main", "configuration has errors; nothing started");
        return 1;
    }
    log_set_level((enum log_level)log_level_parse(cfg.log_level));
    if (cfg.log_file[0] && log_set_file(cfg.log_file) != 0)
        return 1;
    if (o.test_only) {
        int rc = main_test_rules(cfg.rules_dir);
        printf("configuration %s: ok\n", o.config ? o.config : "(built-in defaults)");
        return rc;
    }
    if (ing_auth_init() != 0) {
        log_error("main", "libsodium failed to initialise");
        return 1;
    }
    umask(077); /* the store holds token digests and wire data */
    d = main_open_db(&cfg);
    if (!d)
        return 1;
    if (optind < argc)
        ret = main_admin(d, argc - optind, argv + optind);
    else if (o.demo_bootstrap)
        ret = main_demo_bootstrap(d, &cfg);
    else
        ret = main_serve(d, &cfg, &o);
    db_close(d);
    return ret;
}
