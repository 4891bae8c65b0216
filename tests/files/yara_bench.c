/* yara_bench: YARA scanning throughput on carved files (make bench-files).
 *   yara_bench SECONDS RULES... -- FILE...
 * Compiles the rules with fscan_yara (as the sensor does), then scans the
 * files round-robin with one scanner for about SECONDS of CPU time and
 * prints "yara: N files, B bytes, S s, X MB/s, R rules" (MB = 10^6 bytes,
 * per CPU second: the machine is shared, so wall time would measure others).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filescan/fscan_yara.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *rules[64];
    uint8_t *data[4096];
    size_t len[4096], nr = 0, nf = 0, i = 2, scans = 0;
    double secs, t0, t;
    uint64_t bytes = 0;

    if (argc < 4)
        return 2;
    secs = atof(argv[1]);
    for (; i < (size_t)argc && strcmp(argv[i], "--") != 0 && nr < 64; i++)
        rules[nr++] = argv[i];
    for (i++; i < (size_t)argc && nf < 4096; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL)
            continue;
        fseek(f, 0, SEEK_END);
        len[nf] = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        data[nf] = malloc(len[nf] + 1);
        if (fread(data[nf], 1, len[nf], f) == len[nf])
            nf++;
        fclose(f);
    }
    struct fscan_yara *y = fscan_yara_load(rules, nr, NULL);
    if (y == NULL || nf == 0)
        return 1;
    struct fscan_yara_scanner *s = fscan_yara_scanner_new(y, 0);
    struct fscan_yara_result r;
    t0 = now();
    do {
        for (size_t k = 0; k < nf; k++) {
            fscan_yara_scan(s, data[k], len[k], &r);
            bytes += len[k];
            scans++;
        }
        t = now() - t0;
    } while (t < secs);
    printf("yara: %zu files, %zu scans, %llu bytes, %.2f s, %.1f MB/s, %zu rules\n", nf, scans,
           (unsigned long long)bytes, t, (double)bytes / t / 1e6, fscan_yara_rule_count(y));
    fscan_yara_scanner_free(s);
    fscan_yara_unref(y);
    for (size_t k = 0; k < nf; k++)
        free(data[k]);
    return 0;
}
