/* corr_prefilter: Suricata's prefilter idea applied to Sigma. At load, each
 * plain rule's condition is read for the event_type values it requires
 * (a selection item "event_type: x" or a list of plain values, through
 * and/or/of); at run time an event is matched only against the rules that
 * require its event_type or none at all. Also lists the top-level event
 * members any rule reads, so ingest can build a tree of those only.
 * The analysis is sound, never exact: a rule it cannot read is run always.
 */
#include "correlate/corr_private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A set of event types, or "any" (any == true). */
struct tset {
    bool any;
    const char **v;
    size_t n;
};

static const struct tset TSET_ANY = { true, NULL, 0 };

static int tset_add(struct corr_arena *a, struct tset *s, const char *t)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], t) == 0)
            return 0;
    const char **v = corr_arena_alloc(a, (s->n + 1) * sizeof(*v));
    if (v == NULL)
        return -1;
    if (s->n)
        memcpy(v, s->v, s->n * sizeof(*v));
    v[s->n++] = t;
    s->v = v;
    return 0;
}

static struct tset tset_union(struct corr_arena *a, struct tset x, struct tset y)
{
    if (x.any || y.any)
        return TSET_ANY;
    for (size_t i = 0; i < y.n; i++)
        if (tset_add(a, &x, y.v[i]) < 0)
            return TSET_ANY;
    return x;
}

/* The event types one item allows, when it is a plain equality on event_type. */
static struct tset item_types(struct corr_arena *a, const struct corr_item *it)
{
    struct tset s = { false, NULL, 0 };
    if (it->npath != 1 || strcmp(it->path[0], "event_type") != 0 ||
        (it->mods & ~(unsigned)CORR_MOD_CASED) != 0)
        return TSET_ANY;
    for (size_t i = 0; i < it->nvals; i++) {
        const struct corr_val *v = &it->vals[i];
        if (v->kind != CORR_VAL_GLOB || v->has_wild)
            return TSET_ANY;
        char *t = corr_arena_alloc(a, v->plen + 1);
        if (t == NULL)
            return TSET_ANY;
        for (size_t k = 0; k < v->plen; k++)
            t[k] = (char)tolower((unsigned char)v->pat[k]);
        if (tset_add(a, &s, t) < 0)
            return TSET_ANY;
    }
    return s.n ? s : TSET_ANY;
}

static struct tset sel_types(struct corr_arena *a, const struct corr_sel *sel)
{
    if (sel->ngroups == 0)
        return TSET_ANY;
    struct tset out = { false, NULL, 0 };
    for (size_t g = 0; g < sel->ngroups; g++) {
        /* A group is an AND: the first item that constrains it is enough. */
        struct tset gs = TSET_ANY;
        for (size_t i = 0; gs.any && i < sel->ngroup_items[g]; i++)
            gs = item_types(a, &sel->groups[g][i]);
        out = tset_union(a, out, gs);
        if (out.any)
            break;
    }
    return out;
}

static struct tset node_types(struct corr_arena *a, const struct corr_rule *r,
                              const struct corr_node *n, int depth)
{
    if (n == NULL || depth > 64)
        return TSET_ANY;
    switch (n->kind) {
    case CORR_N_SEL:
        return sel_types(a, &r->sels[n->sel]);
    case CORR_N_NOT:
        return TSET_ANY;
    case CORR_N_AND: {
        struct tset x = node_types(a, r, n->a, depth + 1);
        return x.any ? node_types(a, r, n->b, depth + 1) : x;
    }
    case CORR_N_OR:
        return tset_union(a, node_types(a, r, n->a, depth + 1),
                          node_types(a, r, n->b, depth + 1));
    case CORR_N_OF: {
        struct tset out = n->of_n == 0 ? TSET_ANY : (struct tset){ false, NULL, 0 };
        for (size_t i = 0; i < n->of_nsels; i++) {
            struct tset s = sel_types(a, &r->sels[n->of_sels[i]]);
            if (n->of_n == 0 && !s.any)
                return s; /* all of: one constrained selection is enough */
            if (n->of_n != 0 && (out = tset_union(a, out, s)).any)
                return out;
        }
        return out;
    }
    }
    return TSET_ANY;
}

static int key_add(struct corr_arena *a, struct corr_prefilter *p, const char *k)
{
    for (size_t i = 0; i < p->nkeys; i++)
        if (strcmp(p->keys[i], k) == 0)
            return 0;
    const char **v = corr_arena_alloc(a, (p->nkeys + 1) * sizeof(*v));
    if (v == NULL)
        return -1;
    if (p->nkeys)
        memcpy(v, p->keys, p->nkeys * sizeof(*v));
    v[p->nkeys++] = k;
    p->keys = v;
    return 0;
}

/* Every top-level member a rule reads: detection items, group-by paths
 * (per reference, aliases included), the value_count field. */
static int rule_keys(struct corr_arena *a, struct corr_prefilter *p, const struct corr_rule *r)
{
    int rc = 0;
    for (size_t s = 0; s < r->nsels; s++)
        for (size_t g = 0; g < r->sels[s].ngroups; g++)
            for (size_t i = 0; i < r->sels[s].ngroup_items[g]; i++)
                rc |= key_add(a, p, r->sels[s].groups[g][i].path[0]);
    size_t nref = r->type == CORR_T_PLAIN ? 1 : r->nrefs;
    for (size_t g = 0; r->group_path && g < r->ngroup; g++)
        for (size_t j = 0; j < nref; j++)
            if (r->group_path[g][j].n > 0)
                rc |= key_add(a, p, r->group_path[g][j].comp[0]);
    if (r->vc_npath > 0)
        rc |= key_add(a, p, r->vc_path[0]);
    return rc;
}

struct corr_prefilter *corr_prefilter_build(struct corr_rules *set)
{
    struct corr_arena *a = &set->arena;
    struct corr_prefilter *p = corr_arena_alloc(a, sizeof(*p));
    struct tset *per = calloc(set->nrules + 1, sizeof(*per));
    if (p == NULL || per == NULL)
        goto fail;
    /* The engine reads these of every event it is fed. */
    if (key_add(a, p, "timestamp") < 0 || key_add(a, p, "canh") < 0)
        goto fail;
    struct tset all = { false, NULL, 0 };
    for (size_t i = 0; i < set->nrules; i++) {
        const struct corr_rule *r = set->rules[i];
        if (rule_keys(a, p, r) != 0)
            goto fail;
        if (r->type != CORR_T_PLAIN)
            continue;
        p->nplain = i + 1; /* plain rules come first */
        per[i] = node_types(a, r, r->cond, 0);
        if (per[i].any)
            p->nany++;
        else
            all = tset_union(a, all, per[i]);
    }
    p->types = all.v;
    p->ntypes = all.n;
    p->any = corr_arena_alloc(a, (p->nany + 1) * sizeof(int));
    p->of_type = corr_arena_alloc(a, (p->ntypes + 1) * sizeof(int *));
    p->nof_type = corr_arena_alloc(a, (p->ntypes + 1) * sizeof(size_t));
    if (p->any == NULL || p->of_type == NULL || p->nof_type == NULL)
        goto fail;
    size_t k = 0;
    for (size_t i = 0; i < p->nplain; i++)
        if (per[i].any)
            p->any[k++] = (int)i;
    for (size_t t = 0; t < p->ntypes; t++) {
        int *v = corr_arena_alloc(a, (p->nplain + 1) * sizeof(int));
        if (v == NULL)
            goto fail;
        size_t n = 0;
        for (size_t i = 0; i < p->nplain; i++) {
            bool in = per[i].any;
            for (size_t j = 0; !in && j < per[i].n; j++)
                in = strcmp(per[i].v[j], p->types[t]) == 0;
            if (in)
                v[n++] = (int)i; /* in rule order, so hits come out as without it */
        }
        p->of_type[t] = v;
        p->nof_type[t] = n;
    }
    free(per);
    return p;
fail:
    free(per);
    return NULL;
}

const int *corr_prefilter_rules(const struct corr_prefilter *p, const char *event_type,
                                size_t *n)
{
    if (event_type == NULL) {
        *n = p->nany;
        return p->any;
    }
    for (size_t t = 0; t < p->ntypes; t++) {
        if (strcasecmp(p->types[t], event_type) == 0) {
            *n = p->nof_type[t];
            return p->of_type[t];
        }
    }
    *n = p->nany;
    return p->any;
}

bool corr_rules_may_match(const struct corr_rules *r, const char *event_type, bool present)
{
    if (r == NULL || r->nrules == 0)
        return false;
    if (r->pre == NULL || (event_type == NULL && present))
        return true;
    size_t n;
    corr_prefilter_rules(r->pre, event_type, &n);
    return n > 0;
}

bool corr_rules_reads_key(const struct corr_rules *r, const char *key, size_t len)
{
    if (r == NULL || r->pre == NULL)
        return true;
    for (size_t i = 0; i < r->pre->nkeys; i++)
        if (r->pre->keys[i][0] == key[0] && strncmp(r->pre->keys[i], key, len) == 0 &&
            r->pre->keys[i][len] == '\0')
            return true;
    return false;
}
