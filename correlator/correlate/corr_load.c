/* corr_load: a rule set from a folder or a text, and its resolution.
 *
 * Files are read in sorted order (deterministic), parsed by corr_rule.c,
 * then references are resolved over the whole set: duplicate ids/names,
 * unknown or failed references and cycles are errors on the correlation
 * that has them; that rule is dropped and the rest load. The final order is
 * plain rules, then correlations with every referenced correlation first, so
 * the engine can evaluate one pass per event. The set is immutable after.
 */
#include "correlate/corr_engine.h"
#include "correlate/corr_private.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOAD_MAX_FILE (4u << 20) /* a Sigma file is small; refuse anything huge */
#define LOAD_MAX_DEPTH 8

/* ---- arena ------------------------------------------------------------- */

struct corr_chunk {
    struct corr_chunk *next;
    size_t used, size;
    max_align_t data[];
};

void *corr_arena_alloc(struct corr_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n == 0)
        n = sizeof(max_align_t);
    struct corr_chunk *c = a->head;
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > 16384 ? n : 16384;
        c = calloc(1, sizeof(*c) + size);
        if (c == NULL)
            return NULL;
        c->size = size;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

char *corr_arena_strdup(struct corr_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = corr_arena_alloc(a, n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

void corr_arena_fini(struct corr_arena *a)
{
    while (a->head != NULL) {
        struct corr_chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

/* ---- set --------------------------------------------------------------- */

int corr_rules_add(struct corr_rules *set, struct corr_rule *r)
{
    if (set->nrules == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 32;
        struct corr_rule **v = realloc(set->rules, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        set->rules = v;
        set->cap = cap;
    }
    set->rules[set->nrules++] = r;
    return 0;
}

bool corr_cmp_holds(const struct corr_cmp *c, int64_t n)
{
    return (!c->has_gt || n > c->gt) && (!c->has_gte || n >= c->gte) &&
           (!c->has_lt || n < c->lt) && (!c->has_lte || n <= c->lte) &&
           (!c->has_eq || n == c->eq);
}

static struct corr_rules *set_new(void)
{
    return calloc(1, sizeof(struct corr_rules));
}

size_t corr_rules_count(const struct corr_rules *r)
{
    return r ? r->nrules : 0;
}

void corr_rules_free(struct corr_rules *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nres; i++)
        pcre2_code_free(r->res[i]);
    free(r->res);
    free(r->rules);
    corr_arena_fini(&r->arena);
    free(r);
}

/* ---- resolution -------------------------------------------------------- */

static void fail_rule(struct corr_rules *set, struct corr_rule *r, const char *fmt,
                      const char *a, const char *b)
{
    char msg[400];
    snprintf(msg, sizeof(msg), fmt, a, b);
    corr_rule_error(set, r->file, r->line, r->title, "%s", msg);
    r->failed = true;
}

static struct corr_rule *find(struct corr_rules *set, const char *ref)
{
    for (size_t i = 0; i < set->nrules; i++) {
        struct corr_rule *r = set->rules[i];
        if (!r->failed && ((r->id && strcmp(r->id, ref) == 0) ||
                           (r->name && strcmp(r->name, ref) == 0)))
            return r;
    }
    return NULL;
}

static void check_duplicates(struct corr_rules *set)
{
    for (size_t i = 0; i < set->nrules; i++) {
        struct corr_rule *r = set->rules[i];
        for (size_t j = 0; j < i && !r->failed; j++) {
            struct corr_rule *o = set->rules[j];
            if (o->failed)
                continue;
            if (r->id && o->id && strcmp(r->id, o->id) == 0)
                fail_rule(set, r, "duplicate id '%s' (first in %s)", r->id, o->file);
            else if (r->name && o->name && strcmp(r->name, o->name) == 0)
                fail_rule(set, r, "duplicate name '%s' (first in %s)", r->name, o->file);
        }
    }
}

static void resolve_refs(struct corr_rules *set)
{
    for (size_t i = 0; i < set->nrules; i++) {
        struct corr_rule *r = set->rules[i];
        if (r->failed || r->type == CORR_T_PLAIN)
            continue;
        r->refs = corr_arena_alloc(&set->arena, r->nrefs * sizeof(*r->refs));
        if (r->refs == NULL) {
            fail_rule(set, r, "%s%s", "out of memory", "");
            continue;
        }
        for (size_t j = 0; j < r->nrefs && !r->failed; j++) {
            r->refs[j] = find(set, r->ref_names[j]);
            if (r->refs[j] == NULL)
                fail_rule(set, r, "references rule '%s'%s, which is not loaded", r->ref_names[j],
                          "");
            else if (r->refs[j] == r)
                fail_rule(set, r, "references itself ('%s')%s", r->ref_names[j], "");
            for (size_t k = 0; k < j && !r->failed; k++)
                if (r->refs[k] == r->refs[j])
                    fail_rule(set, r, "references rule '%s' twice%s", r->ref_names[j], "");
        }
    }
    /* A correlation over a correlation that failed fails too, to a fixpoint. */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < set->nrules; i++) {
            struct corr_rule *r = set->rules[i];
            if (r->failed || r->type == CORR_T_PLAIN)
                continue;
            for (size_t j = 0; j < r->nrefs && !r->failed; j++) {
                if (r->refs[j]->failed) {
                    fail_rule(set, r, "references rule '%s'%s, which failed to load",
                              r->ref_names[j], "");
                    changed = true;
                }
            }
        }
    }
}

/* The field to read for group-by entry g in events of reference j: the alias
 * mapping for that rule's name (or id) when there is one, else the name. */
static int resolve_group(struct corr_rules *set, struct corr_rule *r)
{
    size_t nref = r->type == CORR_T_PLAIN ? 1 : r->nrefs;
    r->group_path = corr_arena_alloc(&set->arena, (r->ngroup + 1) * sizeof(*r->group_path));
    if (r->group_path == NULL)
        return -1;
    for (size_t a = 0; a < r->naliases; a++) {
        const struct corr_alias *x = &r->aliases[a];
        for (size_t k = 0; k < x->n; k++) {
            bool known = false;
            for (size_t j = 0; j < r->nrefs; j++)
                known |= strcmp(x->rule[k], r->ref_names[j]) == 0 ||
                         (r->refs[j]->name && strcmp(x->rule[k], r->refs[j]->name) == 0) ||
                         (r->refs[j]->id && strcmp(x->rule[k], r->refs[j]->id) == 0);
            if (!known) {
                fail_rule(set, r, "alias '%s' names rule '%s', which the correlation does "
                                  "not reference", x->alias, x->rule[k]);
                return -1;
            }
        }
    }
    for (size_t g = 0; g < r->ngroup; g++) {
        r->group_path[g] = corr_arena_alloc(&set->arena, nref * sizeof(**r->group_path));
        if (r->group_path[g] == NULL)
            return -1;
        const struct corr_alias *x = NULL;
        for (size_t a = 0; a < r->naliases; a++)
            if (strcmp(r->aliases[a].alias, r->group[g]) == 0)
                x = &r->aliases[a];
        for (size_t j = 0; j < nref; j++) {
            const char *field = r->group[g];
            for (size_t k = 0; x && k < x->n; k++) {
                const struct corr_rule *ref = r->refs[j];
                if (strcmp(x->rule[k], r->ref_names[j]) == 0 ||
                    (ref->name && strcmp(x->rule[k], ref->name) == 0) ||
                    (ref->id && strcmp(x->rule[k], ref->id) == 0))
                    field = x->field[k];
            }
            if (corr_match_split(&set->arena, field, &r->group_path[g][j].comp,
                                 &r->group_path[g][j].n) < 0) {
                fail_rule(set, r, "group-by '%s' is not a field path%s", field, "");
                return -1;
            }
        }
    }
    return 0;
}

/* Depth-first topological order of correlations; a cycle fails its rules. */
static void visit(struct corr_rules *set, struct corr_rule *r, signed char *mark,
                  struct corr_rule **order, size_t *n)
{
    if (mark[r->index] == 2 || r->type == CORR_T_PLAIN || r->failed)
        return;
    if (mark[r->index] == 1) {
        fail_rule(set, r, "is part of a reference cycle%s%s", "", "");
        return;
    }
    mark[r->index] = 1;
    for (size_t j = 0; j < r->nrefs; j++) {
        visit(set, r->refs[j], mark, order, n);
        if (r->refs[j]->failed && !r->failed)
            fail_rule(set, r, "references rule '%s'%s, which failed to load", r->ref_names[j],
                      "");
    }
    mark[r->index] = 2;
    if (!r->failed)
        order[(*n)++] = r;
}

static void resolve(struct corr_rules *set)
{
    check_duplicates(set);
    resolve_refs(set);
    size_t n = set->nrules, k = 0;
    signed char *mark = calloc(n + 1, 1);
    struct corr_rule **order = calloc(n + 1, sizeof(*order));
    if (mark == NULL || order == NULL) {
        log_error("sigma", "out of memory resolving %zu rules", n);
        set->nrules = 0;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        set->rules[i]->index = (int)i;
    for (size_t i = 0; i < n; i++)
        if (!set->rules[i]->failed && set->rules[i]->type == CORR_T_PLAIN)
            order[k++] = set->rules[i];
    for (size_t i = 0; i < n; i++)
        visit(set, set->rules[i], mark, order, &k);
    /* A rule that failed after it was ordered (cycle found from a later
     * start) is removed here. */
    size_t w = 0;
    for (size_t i = 0; i < k; i++)
        if (!order[i]->failed && resolve_group(set, order[i]) == 0)
            order[w++] = order[i];
    k = w;
    for (size_t i = 0; i < k; i++) {
        struct corr_rule *r = order[i];
        for (size_t j = 0; j < r->nrefs; j++) {
            struct corr_rule *c = r->refs[j];
            struct corr_rule **p = corr_arena_alloc(&set->arena,
                                                    (c->nparents + 1) * sizeof(*p));
            if (p == NULL)
                continue;
            if (c->nparents)
                memcpy(p, c->parents, c->nparents * sizeof(*p));
            p[c->nparents++] = r;
            c->parents = p;
        }
    }
    /* Sigma: rules referenced by a correlation are not output on their own
     * unless one of those correlations says generate: true. */
    for (size_t i = 0; i < k; i++) {
        struct corr_rule *r = order[i];
        r->emit = r->nparents == 0;
        for (size_t j = 0; j < r->nparents; j++)
            r->emit |= r->parents[j]->generate;
        r->index = (int)i;
    }
    if (k > 0)
        memcpy(set->rules, order, k * sizeof(*order));
    set->nrules = k;
    set->pre = corr_prefilter_build(set);
out:
    free(mark);
    free(order);
}

/* ---- loading ----------------------------------------------------------- */

static int load_file(struct corr_rules *set, const char *path)
{
    int rc = -1;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) < 0) {
        corr_rule_error(set, path, 0, NULL, "cannot read: %s", strerror(errno));
        goto out;
    }
    if ((size_t)st.st_size > LOAD_MAX_FILE) {
        corr_rule_error(set, path, 0, NULL, "file larger than %u bytes", LOAD_MAX_FILE);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        goto out;
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    buf[n] = '\0';
    corr_rule_parse_text(set, path, buf, n);
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    free(buf);
    return rc;
}

static bool is_rule_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && ((n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
                              (n > 5 && strcmp(name + n - 5, ".yaml") == 0));
}

static int load_tree(struct corr_rules *set, const char *dir, int depth)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        log_error("sigma", "%s: cannot read the rules folder: %s", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        char path[4096];
        struct stat st;
        if (nm[0] == '.' || snprintf(path, sizeof(path), "%s/%s", dir, nm) >= (int)sizeof(path) ||
            stat(path, &st) < 0)
            goto next;
        if (S_ISDIR(st.st_mode) && depth < LOAD_MAX_DEPTH)
            load_tree(set, path, depth + 1);
        else if (S_ISREG(st.st_mode) && is_rule_file(nm))
            load_file(set, path);
    next:
        free(ents[i]);
    }
    free(ents);
    return 0;
}

struct corr_rules *corr_rules_load_dir(const char *dir, int *nerrors)
{
    struct corr_rules *set = set_new();
    if (set == NULL)
        return NULL;
    if (load_tree(set, dir, 0) < 0) {
        corr_rules_free(set);
        return NULL;
    }
    resolve(set);
    if (nerrors)
        *nerrors = set->nerrors;
    return set;
}

struct corr_rules *corr_rules_load_string(const char *name, const char *yaml, size_t len,
                                          int *nerrors)
{
    struct corr_rules *set = set_new();
    if (set == NULL)
        return NULL;
    corr_rule_parse_text(set, name ? name : "<string>", yaml, len);
    resolve(set);
    if (nerrors)
        *nerrors = set->nerrors;
    return set;
}

int corr_test_rules_main(const char *dir)
{
    int nerr = 0;
    struct corr_rules *r = corr_rules_load_dir(dir, &nerr);
    if (r == NULL) {
        printf("%s: cannot read the rules folder\n", dir);
        return 1;
    }
    printf("%zu rules loaded, %d failed\n", corr_rules_count(r), nerr);
    corr_rules_free(r);
    return nerr == 0 ? 0 : 1;
}
