/* ship_drive: a stand-in for the sensor's EVE writer in the ship integration
 * tests. It links sensor/ship, appends numbered EVE-like events
 * (canh.id = "drv:<n>"), and after every --every appends calls ship_flush()
 * and records the last fsynced number in --progress, so a test that kills it
 * with SIGKILL knows exactly which events were acknowledged. At the end it
 * stops the shipper (draining for --drain ms) and prints its stats as JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "log.h"
#include "ship/ship.h"

static void usage(void)
{
    fprintf(stderr, "usage: ship_drive --url U --spool DIR [--token T] [--ca FILE] [--no-verify]\n"
                    "  [--from N] [--count N] [--every K] [--sleep-us US] [--progress FILE]\n"
                    "  [--alert-every M] [--bad-at N] [--pad BYTES] [--drain MS]\n"
                    "  [--max-bytes B] [--batch-events E] [--batch-bytes B] [--flush-ms MS]\n");
    exit(2);
}

static void progress(int fd, long last)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%20ld\n", last);
    if (fd >= 0 && pwrite(fd, buf, (size_t)n, 0) != n)
        perror("progress");
}

int main(int argc, char **argv)
{
    struct ship_cfg cfg = {
        .token = "drive-token", .spool_max_bytes = 64u << 20, .batch_max_events = 200,
        .batch_max_bytes = 256 << 10, .flush_ms = 20, .verify_tls = true,
    };
    long from = 0, count = 1000, every = 50, sleep_us = 0, alert_every = 0, bad_at = -1;
    long pad = 64, drain = 10000;
    const char *prog_path = NULL;
    static const struct option opts[] = {
        { "url", 1, 0, 'u' }, { "spool", 1, 0, 's' }, { "token", 1, 0, 't' },
        { "ca", 1, 0, 'c' }, { "no-verify", 0, 0, 'k' }, { "from", 1, 0, 'f' },
        { "count", 1, 0, 'n' }, { "every", 1, 0, 'e' }, { "sleep-us", 1, 0, 'S' },
        { "progress", 1, 0, 'p' }, { "alert-every", 1, 0, 'a' }, { "bad-at", 1, 0, 'b' },
        { "pad", 1, 0, 'P' }, { "drain", 1, 0, 'd' }, { "max-bytes", 1, 0, 'm' },
        { "batch-events", 1, 0, 'E' }, { "batch-bytes", 1, 0, 'B' }, { "flush-ms", 1, 0, 'F' },
        { 0, 0, 0, 0 },
    };
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'u': cfg.url = optarg; break;
        case 's': cfg.spool_dir = optarg; break;
        case 't': cfg.token = optarg; break;
        case 'c': cfg.ca_file = optarg; break;
        case 'k': cfg.verify_tls = false; break;
        case 'f': from = atol(optarg); break;
        case 'n': count = atol(optarg); break;
        case 'e': every = atol(optarg) > 0 ? atol(optarg) : 1; break;
        case 'S': sleep_us = atol(optarg); break;
        case 'p': prog_path = optarg; break;
        case 'a': alert_every = atol(optarg); break;
        case 'b': bad_at = atol(optarg); break;
        case 'P': pad = atol(optarg); break;
        case 'd': drain = atol(optarg); break;
        case 'm': cfg.spool_max_bytes = strtoull(optarg, NULL, 10); break;
        case 'E': cfg.batch_max_events = (uint32_t)atol(optarg); break;
        case 'B': cfg.batch_max_bytes = (uint32_t)atol(optarg); break;
        case 'F': cfg.flush_ms = (uint32_t)atol(optarg); break;
        default: usage();
        }
    }
    if (cfg.url == NULL || cfg.spool_dir == NULL || pad < 0 || pad > 4000)
        usage();
    log_init("ship_drive");
    log_set_level(LOG_LVL_NOTICE);
    int pfd = prog_path != NULL ? open(prog_path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    struct ship *s = ship_new(&cfg);
    if (s == NULL || ship_start(s) != 0)
        return 1;
    char padding[4001], line[4200];
    memset(padding, 'x', (size_t)pad);
    padding[pad] = '\0';
    long last_ok = -1;
    for (long i = from; i < from + count; i++) {
        int alert = alert_every > 0 && i % alert_every == 0;
        int n;
        if (i == bad_at)
            n = snprintf(line, sizeof(line), "{\"canh\":{\"id\":\"drv:%ld\"},not json}", i);
        else
            n = snprintf(line, sizeof(line),
                         "{\"timestamp\":\"2026-11-27T02:56:47.123456+00:00\",\"event_type\":"
                         "\"%s\",\"canh\":{\"sensor\":\"drv\",\"seq\":%ld,\"id\":\"drv:%ld\"},"
                         "\"pad\":\"%s\"}", alert ? "alert" : "flow", i, i, padding);
        if (ship_append(s, line, (size_t)n, alert) == 0)
            last_ok = i;
        if ((i - from + 1) % every == 0 || i == from + count - 1) {
            if (ship_flush(s) == 0)
                progress(pfd, last_ok);
        }
        if (sleep_us > 0)
            usleep((useconds_t)sleep_us);
    }
    ship_stop(s, (int)drain);
    struct ship_stats st;
    ship_get_stats(s, &st);
    printf("{\"appended\":%llu,\"shipped\":%llu,\"dropped_flow\":%llu,\"dropped_other\":%llu,"
           "\"batches_sent\":%llu,\"send_errors\":%llu,\"retries\":%llu,\"spool_bytes\":%llu,"
           "\"rejected\":%llu,\"corrupt\":%llu,\"duplicates\":%llu,\"fsyncs\":%llu}\n",
           (unsigned long long)st.appended, (unsigned long long)st.shipped,
           (unsigned long long)st.dropped_flow, (unsigned long long)st.dropped_other,
           (unsigned long long)st.batches_sent, (unsigned long long)st.send_errors,
           (unsigned long long)st.retries, (unsigned long long)st.spool_bytes,
           (unsigned long long)st.rejected, (unsigned long long)st.corrupt,
           (unsigned long long)st.duplicates, (unsigned long long)st.fsyncs);
    ship_free(s);
    if (pfd >= 0)
        close(pfd);
    return 0;
}
