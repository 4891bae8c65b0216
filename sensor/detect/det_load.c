/* det_load: builds a struct det_engine from rule files, reports what it
 * rejected, and implements `canh-sensor -T -S FILE` (det_check_main).
 *
 * A file is read line by line ('\' at the end continues a line); '#' lines
 * are comments. Each rule is parsed on its own, so a bad one is reported as
 * file:line: sid N: reason and skipped. Rules are then put in evaluation
 * order (flowbit setters before readers, then priority, then file order,
 * as Suricata orders signatures) and the Hyperscan databases are built.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cfg.h"
#include "log.h"
#include "detect/det_private.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bool file_exists(const char *p)
{
    struct stat st;
    return p != NULL && stat(p, &st) == 0;
}

/* A configured file, or the in-tree signatures/ copy when the default is absent. */
static const char *pick_file(const struct cfg *c, const char *key, const char *intree)
{
    if (c == NULL)
        return file_exists(intree) ? intree : NULL;
    const char *v = cfg_get_str(c, key);
    if (cfg_is_set(c, key) || file_exists(v))
        return v;
    return file_exists(intree) ? intree : NULL;
}

struct load_ctx {
    struct det_engine *e;
    struct rule_parse_env env;
    struct det_rule **rules;
    uint32_t n, cap;
    struct det_load_stats *st;
};

static int add_rule(struct load_ctx *lc, struct det_rule *r)
{
    if (lc->n == lc->cap) {
        uint32_t cap = lc->cap ? lc->cap * 2 : 1024;
        struct det_rule **nr = realloc(lc->rules, cap * sizeof(*nr));
        if (nr == NULL)
            return DET_ERR_NOMEM;
        lc->rules = nr;
        lc->cap = cap;
    }
    lc->rules[lc->n++] = r;
    return 0;
}

/* A rule whose options use filemd5/filesha1/filesha256 (a keyword at the
 * start of an option). Such rules belong to sensor/filescan. */
static bool det_load_is_file_hash_rule(const char *s)
{
    static const char *const kw[] = { "filemd5", "filesha1", "filesha256" };

    for (size_t k = 0; k < 3; k++) {
        size_t kl = strlen(kw[k]);
        for (const char *p = strstr(s, kw[k]); p != NULL; p = strstr(p + kl, kw[k])) {
            const char *q = p + kl;
            while (*q == ' ')
                q++;
            if (*q == ':' && p > s && (p[-1] == ';' || p[-1] == ' ' || p[-1] == '(' || p[-1] == '\t'))
                return true;
        }
    }
    return false;
}

static int load_file(struct load_ctx *lc, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        log_error("rules", "%s: cannot open: %m", path);
        return DET_ERR_IO;
    }
    const char *fname = det_arena_strndup(&lc->e->arena, path, strlen(path));
    char *line = NULL, *acc = NULL;
    size_t cap = 0, acclen = 0;
    ssize_t n;
    uint32_t ln = 0, start_ln = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        ln++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        bool cont = n > 0 && line[n - 1] == '\\';
        if (cont)
            line[--n] = '\0';
        if (acclen == 0)
            start_ln = ln;
        char *na = realloc(acc, acclen + (size_t)n + 1);
        if (na == NULL) {
            rc = DET_ERR_NOMEM;
            break;
        }
        acc = na;
        memcpy(acc + acclen, line, (size_t)n + 1);
        acclen += (size_t)n;
        if (cont)
            continue;
        char *s = acc;
        while (*s == ' ' || *s == '\t')
            s++;
        /* filemd5/filesha1/filesha256 rules are evaluated on finished files by
         * sensor/filescan (fscan_hashlist.c), which reads the same files */
        if (*s != '\0' && *s != '#' && det_load_is_file_hash_rule(s)) {
            acclen = 0;
            continue;
        }
        if (*s != '\0' && *s != '#') {
            lc->st->rules_total++;
            struct det_rule *r = NULL;
            char err[320];
            int prc = rule_parse(&lc->env, s, fname, start_ln, &r, err, sizeof(err));
            if (prc == DET_ERR_NOMEM) {
                rc = prc;
                break;
            }
            if (prc != 0) {
                log_error("rules", "%s:%u: sid %u: %s", path, start_ln, rule_parse_sid_hint(s), err);
                lc->st->rules_failed++;
            } else if (add_rule(lc, r) != 0) {
                lc->st->rules_failed++;
            } else {
                lc->st->rules_loaded++;
            }
        }
        acclen = 0;
    }
    free(line);
    free(acc);
    fclose(f);
    return rc;
}

static int sid_cmp(const void *a, const void *b)
{
    const struct det_rule *x = *(const struct det_rule *const *)a, *y = *(const struct det_rule *const *)b;
    if (x->gid != y->gid)
        return x->gid < y->gid ? -1 : 1;
    if (x->sid != y->sid)
        return x->sid < y->sid ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Drop the later of two rules with one gid:sid (the first one loaded wins). */
static void drop_duplicates(struct load_ctx *lc)
{
    for (uint32_t i = 0; i < lc->n; i++)
        lc->rules[i]->idx = i;
    if (lc->n < 2)
        return;
    qsort(lc->rules, lc->n, sizeof(*lc->rules), sid_cmp);
    uint32_t k = 0;
    for (uint32_t i = 0; i < lc->n; i++) {
        const struct det_rule *r = lc->rules[i];
        if (k > 0 && lc->rules[k - 1]->sid == r->sid && lc->rules[k - 1]->gid == r->gid) {
            log_error("rules", "%s:%u: sid %u: duplicate sid (first at %s:%u)", r->file, r->line, r->sid,
                      lc->rules[k - 1]->file, lc->rules[k - 1]->line);
            lc->st->rules_loaded--;
            lc->st->rules_failed++;
            continue;
        }
        lc->rules[k++] = lc->rules[i];
    }
    lc->n = k;
}

static int order_rank(const struct det_rule *r)
{
    bool sets = false, reads = false;
    for (uint16_t i = 0; i < r->nfb; i++) {
        if (r->fb[i].cmd == DET_FB_ISSET || r->fb[i].cmd == DET_FB_ISNOTSET)
            reads = true;
        else
            sets = true;
    }
    if (sets && !reads)
        return 0;
    if (sets && reads)
        return 1;
    if (!reads)
        return 2;
    return 3;
}

static int rule_cmp(const void *a, const void *b)
{
    const struct det_rule *x = *(const struct det_rule *const *)a, *y = *(const struct det_rule *const *)b;
    int px = x->action == DET_ACTION_PASS ? 0 : 1, py = y->action == DET_ACTION_PASS ? 0 : 1;
    if (px != py)
        return px - py;
    int rx = order_rank(x), ry = order_rank(y);
    if (rx != ry)
        return rx - ry;
    if (x->priority != y->priority)
        return x->priority - y->priority;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void det_engine_free(struct det_engine *e)
{
    if (e == NULL)
        return;
    det_mpm_free(e);
    for (size_t i = 0; i < e->npcres; i++)
        pcre2_code_free_8(e->pcres[i]);
    free(e->pcres);
    free(e->rules);
    rule_fbnames_free(e->fbnames);
    rule_class_free(e->classes);
    det_arena_free(&e->arena);
    free(e);
}

size_t det_engine_rule_count(const struct det_engine *e)
{
    return e ? e->nrules : 0;
}

struct det_engine *det_engine_load(const struct cfg *c, const char *const *files, size_t nfiles,
                                   const struct det_engine *old, struct det_load_stats *stp)
{
    struct det_load_stats stl;
    struct det_load_stats *st = stp ? stp : &stl;
    memset(st, 0, sizeof(*st));
    struct det_engine *e = calloc(1, sizeof(*e));
    struct rule_vars *vars = rule_vars_new();
    struct load_ctx lc = { .e = e, .st = st };
    bool ok = false;
    double t0 = now_ms();
    if (e == NULL || vars == NULL || rule_vars_from_cfg(vars, c) != 0)
        goto out;
    const char *cls = pick_file(c, "classification-file", "signatures/classification.config");
    const char *ref = pick_file(c, "reference-config-file", "signatures/reference.config");
    e->classes = rule_class_load(cls, ref);
    e->fbnames = rule_fbnames_new(old ? old->fbnames : NULL);
    if (e->classes == NULL || e->fbnames == NULL)
        goto out;
    if (cls == NULL)
        log_warning("rules", "no classification.config found: rules with classtype will fail");
    lc.env = (struct rule_parse_env){ .vars = vars, .classes = e->classes, .fbnames = e->fbnames,
                                      .arena = &e->arena };
    const char *const *list = files;
    size_t n = nfiles;
    if (list == NULL && c != NULL)
        n = cfg_get_list(c, "rule-files", &list);
    const char *dir = c ? cfg_get_str(c, "default-rule-path") : NULL;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        if (files == NULL && list[i][0] != '/' && dir != NULL)
            snprintf(path, sizeof(path), "%s/%s", dir, list[i]);
        else
            snprintf(path, sizeof(path), "%s", list[i]);
        int rc = load_file(&lc, path);
        if (rc == DET_ERR_NOMEM || (rc != 0 && files != NULL))
            goto out;
    }
    drop_duplicates(&lc);
    if (lc.n > 1)
        qsort(lc.rules, lc.n, sizeof(*lc.rules), rule_cmp);
    for (uint32_t i = 0; i < lc.n; i++)
        lc.rules[i]->idx = i;
    e->rules = lc.rules;
    e->nrules = lc.n;
    lc.rules = NULL;
    e->pcres = lc.env.pcres;
    e->npcres = lc.env.npcres;
    lc.env.pcres = NULL;
    const char *thr = pick_file(c, "threshold-file", "signatures/threshold.config");
    if (thr != NULL && det_thresh_load(e, thr, vars) != 0)
        goto out;
    st->parse_ms = now_ms() - t0;
    t0 = now_ms();
    const char *cache = NULL;
    if (c != NULL && cfg_get_bool(c, "detect.sgh-mpm-caching"))
        cache = cfg_get_str(c, "detect.sgh-mpm-caching-path");
    if (det_mpm_build(e, cache, st) != 0)
        goto out;
    st->compile_ms = now_ms() - t0;
    e->st = *st;
    ok = true;
out:
    if (lc.env.pcres != NULL) {
        for (size_t i = 0; i < lc.env.npcres; i++)
            pcre2_code_free_8(lc.env.pcres[i]);
        free(lc.env.pcres);
    }
    free(lc.rules);
    rule_vars_free(vars);
    if (!ok) {
        det_engine_free(e);
        return NULL;
    }
    return e;
}

int det_check_main(struct cfg *c, const char *const *rule_files, size_t n)
{
    struct det_load_stats st;
    struct det_engine *e = det_engine_load(c, n ? rule_files : NULL, n, NULL, &st);
    if (e == NULL) {
        log_error("rules", "the rule set could not be built");
        return 1;
    }
    printf("rules: %zu seen, %zu loaded, %zu failed (%.1f%% loaded)\n", st.rules_total, st.rules_loaded,
           st.rules_failed, st.rules_total ? 100.0 * (double)st.rules_loaded / (double)st.rules_total : 0.0);
    printf("rules: %zu with a Hyperscan fast pattern (%zu in port groups), %zu found through the address "
           "index, %zu evaluated on every inspection of their protocol and pass\n",
           st.rules_mpm, st.rules_port_mpm, st.rules_addr_index,
           st.rules_loaded - st.rules_mpm - st.rules_addr_index);
    printf("hyperscan: %zu databases, %zu patterns, %zu from cache, %zu compiled\n", st.databases,
           st.patterns, st.cache_hits, st.cache_misses);
    printf("time: parse %.0f ms, compile %.0f ms\n", st.parse_ms, st.compile_ms);
    printf("%zu rules successfully loaded, %zu rules failed\n", st.rules_loaded, st.rules_failed);
    det_engine_free(e);
    return 0;
}
