/* fuzz_corr_time: the correlator's two RFC 3339 readers on arbitrary text:
 * corr_parse_time (correlate/corr_time.c, correlation windows) and
 * ing_eve_time (ingest/ing_eve.c, the stored ts and the API's since/until),
 * plus corr_time_span (Sigma "timespan"). Checks: a time either parser
 * accepts reads back the same after printing it in UTC, both parsers agree
 * when both accept, and a span is a positive whole number of seconds of at
 * most 366 days. The sigma target only feeds corr_parse_time fixed strings.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "correlate/corr_engine.h"
#include "correlate/corr_private.h"
#include "ingest/ing_eve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TIME_MAX 128

/* us printed as UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ"; 0, or -1 when the year
 * has no four-digit form (then there is nothing to read back). */
static int fuzz_time_print(int64_t us, char *out, size_t cap)
{
    int64_t secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
        return -1;
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)frac);
    return 0;
}

/* Years 0000..9999 with offsets of up to a day either side. */
#define FUZZ_TIME_MIN_US (-62167219200LL - 86400) * 1000000
#define FUZZ_TIME_MAX_US (253402300800LL + 86400) * 1000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[FUZZ_TIME_MAX + 1], back[64];
    if (size > FUZZ_TIME_MAX)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    int64_t a = corr_parse_time(s), b = ing_eve_time(s);
    bool a_ok = a != -1, b_ok = b != 0;
    if (a_ok) {
        if (a < FUZZ_TIME_MIN_US || a > FUZZ_TIME_MAX_US)
            abort();
        if (fuzz_time_print(a, back, sizeof back) == 0 && corr_parse_time(back) != a)
            abort();
    }
    if (b_ok) {
        if (b < FUZZ_TIME_MIN_US || b > FUZZ_TIME_MAX_US)
            abort();
        if (fuzz_time_print(b, back, sizeof back) == 0 && ing_eve_time(back) != b)
            abort();
    }
    if (a_ok && b_ok && a != b)
        abort();

    int64_t span = corr_time_span(s);
    if (span != -1 && (span <= 0 || span % 1000000 != 0 || span > 366LL * 86400 * 1000000))
        abort();
    return 0;
}
