/* canh-sensor: command line (Suricata's options where the meaning is the
 * same), configuration, start and stop. The packet path lives in
 * capture/cap_loop.c and worker.c; nothing here runs per packet.
 *   canh-sensor -r file.pcap -l outdir [--workers N] [--set key=value] [bpf]
 *   canh-sensor -i eth0 -c /etc/canh/sensor.yaml --user canh
 */
#include <getopt.h>
#include <grp.h>
#include <hs/hs.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "capture/cap_loop.h"
#include "capture/cap_pcap.h"
#include "cfg.h"
#include "classify/dpi_ndpi.h"
#include "log.h"
#include "detect/det_reload.h"
#include "filescan/filescan.h"
#include "output/eve_proto.h"
#include "detect/detect.h"
#include "output/eve_writer.h"
#include "sensor_cfg.h"
#include "ship/ship.h"
#include "worker.h"

#define SENSOR_VERSION "0.1.0"

static volatile sig_atomic_t main_stop;

static void main_on_signal(int sig)
{
    (void)sig;
    main_stop = 1;
}

struct main_args {
    const char *pcap, *iface, *config, *logdir, *user, *group;
    const char *sets[64];
    int nsets;
    const char *rule_files[64];   /* -S FILE (detect) */
    int nrule_files;
    const char *yara_files[64];   /* --yara FILE (filescan) */
    int nyara_files;
    char bpf[1024];
    bool test_only;
    bool dump_config;
};

static void main_usage(FILE *out)
{
    fprintf(out,
            "usage: canh-sensor (-r FILE | -i IFACE) [options] [BPF filter]\n"
            "  -r FILE          read a pcap/pcapng file\n"
            "  -i IFACE         capture live on an interface\n"
            "  -c FILE          sensor.yaml (built-in defaults without it)\n"
            "  -l DIR           log directory (EVE goes to DIR/eve.json)\n"
            "  -k none|all|auto checksum checks\n"
            "  --workers N      packet worker threads\n"
            "  --set KEY=VALUE  override a sensor.yaml key (repeatable)\n"
            "  --user U, --group G  drop privileges after opening capture\n"
            "  -T               check the configuration and exit (0 ok, 1 errors)\n"
            "  --dump-config    print every key with its effective value and help, and exit\n"
            "  -S FILE          load this rule file instead of rule-files (repeatable)\n"
            "  --yara FILE      also load this YARA rule file (repeatable)\n"
            "  -V               print versions and exit\n"
            "  -h               this help\n");
}

static void main_versions(void)
{
    printf("canh-sensor %s\n", SENSOR_VERSION);
    printf("  nDPI %s\n", dpi_version());
    printf("  Hyperscan %s\n", hs_version());
    printf("  %s\n", cap_lib_version());
}

/* Returns 0 to run, 1 to exit with success (-h, -V), -1 on a usage error. */
static int main_parse(int argc, char **argv, struct main_args *a, struct cfg *c, int *errors)
{
    static const struct option longopts[] = {
        { "workers", required_argument, NULL, 'W' }, { "set", required_argument, NULL, 's' },
        { "user", required_argument, NULL, 'U' },    { "group", required_argument, NULL, 'G' },
        { "help", no_argument, NULL, 'h' },          { "dump-config", no_argument, NULL, 'D' },
        { "yara", required_argument, NULL, 'Y' },
        { NULL, 0, NULL, 0 },
    };
    char buf[256];
    int opt;

    while ((opt = getopt_long(argc, argv, "r:i:c:l:k:S:TVh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'r': a->pcap = optarg; break;
        case 'i': a->iface = optarg; break;
        case 'c': a->config = optarg; break;
        case 'l': a->logdir = optarg; break;
        case 'T': a->test_only = true; break;
        case 'D': a->dump_config = true; break;
        case 'U': a->user = optarg; break;
        case 'G': a->group = optarg; break;
        case 'k':
        case 'W':
            snprintf(buf, sizeof(buf), "%s=%s",
                     opt == 'k' ? "capture.checksum-checks" : "workers", optarg);
            /* stored as a --set so the file cannot override the command line */
            if (a->nsets < 64)
                a->sets[a->nsets++] = strdup(buf);
            break;
        case 'Y':
            if (a->nyara_files < 64)
                a->yara_files[a->nyara_files++] = optarg;
            break;
        case 'S':
            if (a->nrule_files < 64)
                a->rule_files[a->nrule_files++] = optarg;
            break;
        case 's':
            if (a->nsets < 64)
                a->sets[a->nsets++] = strdup(optarg);
            break;
        case 'V': main_versions(); return 1;
        case 'h': main_usage(stdout); return 1;
        default: main_usage(stderr); return -1;
        }
    }
    for (int i = optind; i < argc; i++) {
        size_t l = strlen(a->bpf);
        snprintf(a->bpf + l, sizeof(a->bpf) - l, "%s%s", l ? " " : "", argv[i]);
    }
    if (a->config != NULL)
        *errors += cfg_load_file(c, a->config);
    for (int i = 0; i < a->nsets; i++)
        *errors += cfg_set(c, a->sets[i]);
    return 0;
}

/* setgroups, setgid, setuid: in that order, after the capture is open. */
static int main_drop_privileges(const char *user, const char *group)
{
    struct passwd *pw = NULL;
    struct group *gr = NULL;
    gid_t gid;

    if (user == NULL && group == NULL)
        return 0;
    if (user != NULL && (pw = getpwnam(user)) == NULL) {
        log_error("sensor", "run-as.user: no such user \"%s\"", user);
        return -1;
    }
    if (group != NULL && (gr = getgrnam(group)) == NULL) {
        log_error("sensor", "run-as.group: no such group \"%s\"", group);
        return -1;
    }
    gid = gr != NULL ? gr->gr_gid : pw->pw_gid;
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 ||
        (pw != NULL && setuid(pw->pw_uid) != 0)) {
        log_error("sensor", "cannot drop privileges to %s:%s: %m", user ? user : "-",
                  group ? group : "-");
        return -1;
    }
    log_notice("sensor", "running as %s:%s", user ? user : "-", group ? group : "-");
    return 0;
}

static int main_ship_sink(void *arg, const char *line, size_t len, int is_alert)
{
    return ship_append(arg, line, len, is_alert);
}

/* worker_hooks.stats: the app pipe's stream, app-layer and detection counters. */
static void main_pipe_stats(void *arg, struct eve_stats_pipe *out)
{
    const struct app_pipe *ap = arg;
    struct app_pipe_stats st;
    struct det_thread_stats dt;

    app_pipe_stats(ap, &st);
    app_pipe_det_stats(ap, &dt);
    eve_stats_pipe_fill(out, app_pipe_tcp_stats(ap), st.http_tx, st.dns_msgs, st.tls_hellos,
                        st.states_exhausted, st.alerts, st.alerts_dropped, st.packet_passes,
                        st.stream_passes, st.app_passes, st.reloads_seen, &dt);
}

static int main_run(const struct main_args *a, const struct sensor_cfg *sc,
                    const struct ship_cfg *shc, const struct cfg *c)
{
    const char *logdir = a->logdir != NULL ? a->logdir : sc->log_dir;
    const char *user = a->user != NULL ? a->user : sc->user;
    const char *group = a->group != NULL ? a->group : sc->group;
    struct cap_live_cfg lc = { sc->snaplen, sc->promisc, sc->buffer_size };
    struct worker *workers[64] = { NULL };
    struct app_pipe *pipes[64] = { NULL };   /* stream + app layer + detect, per worker */
    struct flow_budget *flows = NULL;        /* flow.max-flows shared by the workers */
    struct app_pipe_cfg apc;
    struct det_reload *rules = NULL;
    struct fscan *fs = NULL;
    struct eve_writer *ew = NULL;
    struct ship *ship = NULL;
    struct eve_out *stats_out = NULL;
    struct cap *cap = NULL;
    struct cap *fanout[64] = { NULL };   /* live, several workers: one handle each */
    bool use_fanout = false;
    struct sigaction sa;
    bool verify;
    int rc = 1;

    if ((a->pcap == NULL) == (a->iface == NULL)) {
        log_error("sensor", "give one of -r FILE or -i IFACE (see -h)");
        return 1;
    }
    cap = a->pcap ? cap_open_offline(a->pcap, a->bpf) : cap_open_live(a->iface, &lc, a->bpf);
    if (cap == NULL)
        goto out;
    if (a->iface != NULL && sc->workers > 1) {
        /* one PACKET_FANOUT group, before privileges go; else the capture
         * thread feeds the workers through rings */
        uint16_t gid = (uint16_t)(getpid() & 0xffff);
        use_fanout = cap_join_fanout(cap, gid) == 0;
        fanout[0] = cap;
        for (int i = 1; use_fanout && i < sc->workers; i++)
            use_fanout = (fanout[i] = cap_reopen(cap)) != NULL && cap_join_fanout(fanout[i], gid) == 0;
        if (use_fanout)
            log_notice("sensor", "%s: %d capture handles in PACKET_FANOUT group %u (hash, defrag)",
                       a->iface, sc->workers, gid);
    }
    if (main_drop_privileges(user, group) != 0)
        goto out;
    if (sc->eve_enabled && (ew = eve_writer_new(logdir, sc->sensor_id, a->iface)) == NULL)
        goto out;
    if (shc->url != NULL) {
        /* Every EVE line also goes to the durable spool and on to the correlator. */
        if (ew == NULL) {
            log_error("sensor", "outputs.correlator needs the EVE output enabled");
            goto out;
        }
        if ((ship = ship_new(shc)) == NULL || ship_start(ship) != 0)
            goto out;
        eve_writer_set_sink(ew, main_ship_sink, ship);
    }
    verify = sc->csum == SENSOR_CSUM_ALL || (sc->csum == SENSOR_CSUM_AUTO && a->iface != NULL);
    if (app_cfg_read(c, sc->workers, sc->flow.max_flows, &apc) != 0)
        goto out;
    /* files and YARA (sensor/filescan): offline runs wait on a full queue */
    if ((fs = fscan_new(c, a->yara_files, (size_t)a->nyara_files,
                        a->nrule_files > 0 ? a->rule_files : NULL, (size_t)a->nrule_files, ew,
                        logdir, a->iface != NULL)) == NULL)
        goto out;
    apc.fscan = fs;
    eve_proto_cfg_read(c, &apc.proto);
    if ((a->nrule_files > 0 || cfg_is_set(c, "rule-files")) &&
        ((rules = det_reload_new(c, a->rule_files, (size_t)a->nrule_files, sc->workers)) == NULL ||
         det_reload_watch(rules) != 0))
        goto out;
    fscan_watch_sighup(fs);   /* after det_reload_watch: chains to its handler */
    if (sc->workers > 1 && (flows = flow_budget_new(sc->flow.max_flows)) == NULL)
        goto out;
    for (int i = 0; i < sc->workers; i++) {
        struct worker_hooks hooks;
        if ((pipes[i] = app_pipe_new(&apc, rules, i)) == NULL)
            goto out;
        app_pipe_hooks(pipes[i], &hooks);
        hooks.stats = main_pipe_stats;
        if ((workers[i] = worker_new(i, sc->workers, sc, cap_datalink(cap), verify, ew, &hooks,
                                     flows)) == NULL)
            goto out;
    }
    if (ew != NULL && sc->stats_enabled && sc->eve_stats)
        stats_out = eve_out_new(ew, 65536);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = main_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    log_notice("sensor", "%s %s: %d worker(s), EVE to %s/eve.json, sensor-id %s",
               a->pcap ? "reading" : "capturing on", a->pcap ? a->pcap : a->iface, sc->workers,
               logdir, sc->sensor_id);
    struct cap_loop_cfg lcfg = {
        .cap = cap, .workers = workers, .nworkers = sc->workers, .vlan_tracking = sc->vlan_tracking,
        .stats_interval = sc->stats_interval, .stats_out = stats_out, .ew = ew, .stop = &main_stop,
        .ship = ship, .fscan = fs, .fanout = use_fanout ? fanout : NULL,
    };
    rc = cap_loop_run(&lcfg) == 0 ? 0 : 1;
out:
    for (int i = 0; i < 64; i++) {
        worker_free(workers[i]);
        app_pipe_free(pipes[i]);
    }
    flow_budget_free(flows);
    det_reload_free(rules);
    fscan_free(fs);   /* drains the scan queue: after the workers, before the writer */
    eve_out_free(stats_out);
    eve_writer_free(ew);
    if (ship != NULL) {
        ship_stop(ship, a->pcap != NULL ? 10000 : 2000);
        ship_free(ship);
    }
    for (int i = 1; i < 64; i++)
        cap_close(fanout[i]);
    cap_close(cap);
    return rc;
}

/* glibc malloc, before any thread or allocation of note: memory a worker
 * frees (flow state, nDPI, libhtp bodies) stays in the process instead of
 * going back to the kernel (brk shrink in the main arena, MADV_DONTNEED in
 * the per-thread arenas the workers use) only to be faulted in again on the
 * packet path. TOP_PAD also makes each new per-thread heap writable whole
 * (64 MB of address space, not of memory) instead of one mprotect per page
 * of growth; a fixed MMAP_THRESHOLD keeps blocks up to 32 MB in the heaps,
 * as setting TRIM_THRESHOLD turns its dynamic adjustment off (and the
 * 48 MB worker_arena_prime frees stays with the arena: 1 of 24 pages was
 * touched). Measured on the bench capture (strace -f -c, on 0cbac97):
 * 1 worker brk 199 -> 6, mprotect 525 -> 58; 2 workers brk 70 -> 7,
 * mprotect 1716 -> 64, madvise 214 -> 189 (the rest: the capture's own). */
static void main_malloc_tune(void)
{
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}

int main(int argc, char **argv)
{
    struct main_args a;
    struct sensor_cfg sc;
    struct ship_cfg shc;
    struct cfg *c;
    int errors = 0, rc = 1, pr;

    main_malloc_tune();
    memset(&a, 0, sizeof(a));
    log_init("sensor");
    dpi_global_init();
    c = cfg_new();
    if (c == NULL || sensor_cfg_schema(c) != 0 || det_cfg_schema(c) != 0)
        goto out;
    ship_cfg_schema(c);
    stream_cfg_schema(c);
    app_cfg_schema(c);
    fscan_cfg_schema(c);
    eve_proto_cfg_schema(c);
    pr = main_parse(argc, argv, &a, c, &errors);
    if (pr != 0) {
        rc = pr > 0 ? 0 : 1;
        goto out;
    }
    if (a.dump_config) {
        cfg_dump(c, stdout);
        rc = errors > 0 ? 1 : 0;
        goto out;
    }
    errors += sensor_cfg_read(c, &sc);
    if (ship_cfg_load(c, &shc) != 0)
        errors++;
    if (errors > 0) {
        log_error("sensor", "%d configuration error(s)%s%s", errors, a.config ? " in " : "",
                  a.config ? a.config : "");
        goto out;
    }
    if (sc.log_level != NULL)
        log_set_level((enum log_level)log_level_parse(sc.log_level));
    if (sc.log_file != NULL && log_set_file(sc.log_file) != 0)
        goto out;
    if (a.test_only)   /* YARA and file-hash rules: reported, not fatal */
        fscan_check(c, a.yara_files, (size_t)a.nyara_files,
                    a.nrule_files > 0 ? a.rule_files : NULL, (size_t)a.nrule_files);
    if (a.test_only && (a.nrule_files > 0 || cfg_is_set(c, "rule-files"))) {
        rc = det_check_main(c, a.rule_files, (size_t)a.nrule_files);
        goto out;
    }
    if (a.test_only) {
        log_notice("sensor", "configuration %s OK", a.config ? a.config : "(built-in defaults)");
        rc = 0;
        goto out;
    }
    rc = main_run(&a, &sc, &shc, c);
out:
    for (int i = 0; i < a.nsets; i++)
        free((void *)a.sets[i]);
    cfg_free(c);
    return rc;
}
