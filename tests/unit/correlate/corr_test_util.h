/* corr_test_util: helpers shared by the correlate unit tests (header only).
 *
 * Loads rule text, feeds EVE events written as JSON text, records every hit
 * (rule, group key, event ids, times) so tests can assert on them, and
 * captures the "sigma" error log lines in a temporary file so a test can
 * check that a parse error names file and line.
 */
#ifndef CANH_CORR_TEST_UTIL_H
#define CANH_CORR_TEST_UTIL_H

#include "correlate/corr_engine.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HITS_MAX 256

struct hits {
    int n;
    char rule[HITS_MAX][96];
    char key[HITS_MAX][256];
    char ids[HITS_MAX][1024]; /* event ids joined by ',' */
    size_t nevents[HITS_MAX];
    int severity[HITS_MAX];
    int64_t first[HITS_MAX], last[HITS_MAX];
    char title_vi[HITS_MAX][160];
    char desc_vi[HITS_MAX][512];
    char matched[HITS_MAX][512];
    size_t ntags[HITS_MAX];
};

static inline void hits_cb(const struct corr_hit *h, void *arg)
{
    struct hits *hs = arg;
    if (hs->n >= HITS_MAX)
        return;
    int i = hs->n++;
    snprintf(hs->rule[i], sizeof(hs->rule[i]), "%s", h->rule_id);
    snprintf(hs->key[i], sizeof(hs->key[i]), "%s", h->group_key);
    hs->ids[i][0] = '\0';
    for (size_t k = 0; k < h->nevents; k++) {
        size_t u = strlen(hs->ids[i]);
        snprintf(hs->ids[i] + u, sizeof(hs->ids[i]) - u, "%s%s", k ? "," : "", h->event_ids[k]);
    }
    hs->nevents[i] = h->nevents;
    hs->severity[i] = h->severity;
    hs->first[i] = h->first_us;
    hs->last[i] = h->last_us;
    hs->ntags[i] = h->ntags;
    snprintf(hs->title_vi[i], sizeof(hs->title_vi[i]), "%s",
             h->rule_title_vi ? h->rule_title_vi : "");
    snprintf(hs->desc_vi[i], sizeof(hs->desc_vi[i]), "%s",
             h->description_vi ? h->description_vi : "");
    char *m = h->matched ? json_dumps(h->matched, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    snprintf(hs->matched[i], sizeof(hs->matched[i]), "%s", m ? m : "");
    free(m);
}

static inline struct corr_rules *load_rules(const char *yaml, int *nerr)
{
    *nerr = 0;
    return corr_rules_load_string("test.yml", yaml, strlen(yaml), nerr);
}

/* Feed one event (JSON text); returns the engine's result, -100 on bad JSON. */
static inline int feed_json(struct corr_engine *e, const char *json, struct hits *hs)
{
    json_error_t err;
    json_t *ev = json_loads(json, 0, &err);
    if (ev == NULL) {
        fprintf(stderr, "bad test JSON: %s: %s\n", json, err.text);
        return -100;
    }
    int rc = corr_engine_feed(e, ev, hits_cb, hs);
    json_decref(ev);
    return rc;
}

/* Error log capture: start, then read back everything logged since. */
static char errlog_path[64];

static inline void errlog_start(void)
{
    snprintf(errlog_path, sizeof(errlog_path), "/tmp/canh-corr-test-%d.log", (int)getpid());
    unlink(errlog_path);
    log_set_file(errlog_path);
}

static inline void errlog_read(char *buf, size_t len)
{
    log_set_file(NULL);
    buf[0] = '\0';
    FILE *f = fopen(errlog_path, "r");
    if (f != NULL) {
        size_t n = fread(buf, 1, len - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    unlink(errlog_path);
}

/* "2026-01-01T00:MM:SS.000000+0000" for t seconds after midnight. */
static inline const char *ts(int secs, char *buf)
{
    sprintf(buf, "2026-01-01T%02d:%02d:%02d.000000+0000", secs / 3600, secs / 60 % 60, secs % 60);
    return buf;
}

#endif
