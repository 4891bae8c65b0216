/* det_thresh: alert rate control. threshold.config lines (threshold,
 * event_filter, suppress) are applied to the loaded rules; at run time each
 * worker keeps a fixed table of counters keyed by (rule, tracked address),
 * using packet time. A full table evicts the entry with the oldest window
 * (counted nowhere else: the table is sized for the expected sources).
 * Thresholds are per worker: a source spread over workers is counted apart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "detect/det_private.h"

/* ---- threshold.config ---- */

static struct det_rule *find_rule(struct det_engine *e, uint32_t gid, uint32_t sid)
{
    for (uint32_t i = 0; i < e->nrules; i++)
        if (e->rules[i]->sid == sid && e->rules[i]->gid == gid)
            return e->rules[i];
    return NULL;
}

/* Take "gen_id G, sig_id S" off the front of s; the rest stays in *rest. */
static int ids(char *s, uint32_t *gid, uint32_t *sid, char **rest)
{
    int n = 0;
    if (sscanf(s, " gen_id %u , sig_id %u %n", gid, sid, &n) != 2)
        return -1;
    s += n;
    if (*s == ',')
        s++;
    *rest = s;
    return 0;
}

int det_thresh_load(struct det_engine *e, const char *path, const struct rule_vars *vars)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        log_error("rules", "%s: cannot open: %m", path);
        return DET_ERR_IO;
    }
    char line[2048];
    unsigned ln = 0;
    int rc = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        ln++;
        char *s = (char *)rule_kw_trim(line);
        if (*s == '#' || *s == '\0')
            continue;
        char *rest;
        uint32_t gid, sid;
        bool sup = strncmp(s, "suppress", 8) == 0;
        size_t kl = sup ? 8 : strncmp(s, "threshold", 9) == 0 ? 9 : strncmp(s, "event_filter", 12) == 0 ? 12 : 0;
        if (kl == 0 || ids(s + kl, &gid, &sid, &rest) != 0) {
            log_error("rules", "%s:%u: expected threshold|event_filter|suppress gen_id G, sig_id S, ...", path, ln);
            continue;
        }
        struct det_rule *r = find_rule(e, gid, sid);
        if (r == NULL) {
            log_warning("rules", "%s:%u: no loaded rule %u:%u", path, ln, gid, sid);
            continue;
        }
        char err[200];
        if (!sup) {
            struct det_thr t;
            if (rule_kw_parse_threshold(rest, false, &t, err, sizeof(err)) != 0) {
                log_error("rules", "%s:%u: %s", path, ln, err);
                continue;
            }
            r->thr = t;
            continue;
        }
        rest = (char *)rule_kw_trim(rest);
        if (*rest == '\0') {
            r->flags |= DET_RF_SUPPRESSED;
            continue;
        }
        char track[16], ip[1024];
        if (sscanf(rest, "track %15[a-z_] , ip %1023s", track, ip) != 2 ||
            (strcmp(track, "by_src") != 0 && strcmp(track, "by_dst") != 0)) {
            log_error("rules", "%s:%u: expected suppress ..., track by_src|by_dst, ip ADDR", path, ln);
            continue;
        }
        struct det_addrs *a = det_arena_alloc(&e->arena, sizeof(*a));
        if (a == NULL) {
            rc = DET_ERR_NOMEM;
            break;
        }
        if (rule_vars_parse_addrs(vars, &e->arena, ip, a, err, sizeof(err)) != 0) {
            log_error("rules", "%s:%u: %s", path, ln, err);
            continue;
        }
        r->suppress = a;
        r->suppress_track = strcmp(track, "by_src") == 0 ? DET_TRACK_SRC : DET_TRACK_DST;
    }
    fclose(f);
    return rc;
}

/* ---- run-time counters ---- */

struct thr_ent {
    uint32_t rule;       /* idx + 1; 0 = free */
    uint32_t count;
    int64_t start;       /* window start, packet seconds */
    uint8_t key[32];
    bool fired;          /* "both": alerted in this window */
};

struct det_thresh_table {
    uint32_t mask;
    struct thr_ent e[];
};

struct det_thresh_table *det_thresh_new(uint32_t slots)
{
    uint32_t n = 1;
    while (n < slots)
        n <<= 1;
    struct det_thresh_table *t = calloc(1, sizeof(*t) + n * sizeof(struct thr_ent));
    if (t != NULL)
        t->mask = n - 1;
    return t;
}

void det_thresh_free(struct det_thresh_table *t)
{
    free(t);
}

static uint32_t key_hash(uint32_t rule, const uint8_t *k)
{
    uint32_t h = 2166136261u ^ rule;
    for (int i = 0; i < 32; i++)
        h = (h ^ k[i]) * 16777619u;
    return h;
}

#define THR_PROBE 8

bool det_thresh_check(struct det_thresh_table *t, const struct det_rule *r, const struct det_input *in)
{
    const struct packet *p = in->p;
    if (r->flags & DET_RF_SUPPRESSED)
        return false;
    if (r->suppress != NULL) {
        const uint8_t *a = r->suppress_track == DET_TRACK_SRC ? p->src : p->dst;
        if (p->ip_version != 0 && rule_vars_addr_match(r->suppress, a, p->ip_version))
            return false;
    }
    const struct det_thr *th = &r->thr;
    if (th->type == DET_THR_NONE || t == NULL)
        return true;
    uint8_t key[32] = { 0 };
    if (th->track == DET_TRACK_SRC || th->track == DET_TRACK_BOTH)
        memcpy(key, p->src, 16);
    if (th->track == DET_TRACK_DST)
        memcpy(key, p->dst, 16);
    if (th->track == DET_TRACK_BOTH)
        memcpy(key + 16, p->dst, 16);
    if (th->track == DET_TRACK_FLOW) /* the flow's state lives as long as the flow: its address is its id */
        memcpy(key, &in->flow, sizeof(in->flow));
    int64_t now = p->ts.tv_sec;
    uint32_t h = key_hash(r->idx, key);
    struct thr_ent *e = NULL, *victim = NULL;
    for (int i = 0; i < THR_PROBE; i++) {
        struct thr_ent *c = &t->e[(h + (uint32_t)i) & t->mask];
        if (c->rule == r->idx + 1 && memcmp(c->key, key, 32) == 0) {
            e = c;
            break;
        }
        if (victim == NULL || c->rule == 0 || (victim->rule != 0 && c->start < victim->start))
            victim = c;
    }
    if (e == NULL || now - e->start >= (int64_t)th->seconds) {
        if (e == NULL)
            e = victim;
        e->rule = r->idx + 1;
        memcpy(e->key, key, 32);
        e->count = 0;
        e->start = now;
        e->fired = false;
    }
    e->count++;
    switch (th->type) {
    case DET_THR_LIMIT:
        return e->count <= th->count;
    case DET_THR_THRESHOLD:
        if (e->count >= th->count) {
            e->count = 0;
            return true;
        }
        return false;
    case DET_THR_BOTH:
        if (e->count >= th->count && !e->fired) {
            e->fired = true;
            return true;
        }
        return false;
    case DET_THR_DETECTION:
        return e->count > th->count;
    }
    return true;
}
