/* corr_engine: evaluates a rule set on EVE events and keeps correlation state.
 *
 * Per event: every plain rule is matched once; then correlations run in
 * dependency order, each fed by the referenced rules that matched (a
 * correlation that fires counts as a match for the correlations above it).
 * State lives per (correlation, group key) in a hash table with an LRU list:
 * capped in number (oldest evicted, counted) and in size, windowed on event
 * time. After a correlation fires its group starts over, so every event
 * lands in exactly one hit and a long scan gives a series of hits with the
 * same group key, which the daemon folds into one incident. One owner.
 */
#include "correlate/corr_engine.h"
#include "correlate/corr_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 2048      /* canonical group key; longer values are cut */
#define KEY_VALUE_MAX 512 /* one group-by value in the key */

struct ident {
    int64_t t;
    char *id; /* canh.id, NULL when the event had none */
};

struct dval {
    uint64_t h;
    int64_t t; /* last seen */
};

struct group {
    struct group *hnext, *prev, *next;
    uint64_t hash;
    const struct corr_rule *rule;
    char *key;
    json_t *fields;
    int64_t last_t;
    int64_t *times; /* event_count: ring of event times */
    size_t thead, tn, tcap;
    struct dval *dv; /* value_count: distinct values (hash, last seen) */
    size_t ndv, dvcap;
    int64_t *ref_t; /* temporal: last match per reference; ordered: chain start */
    struct ident ids[CORR_HIT_MAX_EVENTS];
    size_t idhead, nids;
};

struct corr_engine {
    const struct corr_rules *rules;
    struct group **buckets;
    size_t nbuckets;
    struct group *lru_head, *lru_tail;
    size_t max_groups, max_values;
    int64_t now;
    signed char *cache; /* per rule, per selection: [rule * ncache + sel] */
    size_t ncache;
    bool *hit;          /* per rule: matched this event */
    json_t **matched;   /* per rule: fields that matched this event */
    struct corr_stats st;
};

#define NO_TIME INT64_MIN

/* ---- groups ------------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

static void lru_unlink(struct corr_engine *e, struct group *g)
{
    if (g->prev)
        g->prev->next = g->next;
    else
        e->lru_head = g->next;
    if (g->next)
        g->next->prev = g->prev;
    else
        e->lru_tail = g->prev;
    g->prev = g->next = NULL;
}

static void lru_append(struct corr_engine *e, struct group *g)
{
    g->prev = e->lru_tail;
    g->next = NULL;
    if (e->lru_tail)
        e->lru_tail->next = g;
    else
        e->lru_head = g;
    e->lru_tail = g;
}

static void ids_clear(struct group *g)
{
    for (size_t i = 0; i < CORR_HIT_MAX_EVENTS; i++) {
        free(g->ids[i].id);
        g->ids[i].id = NULL;
    }
    g->idhead = g->nids = 0;
}

static void group_free(struct corr_engine *e, struct group *g)
{
    struct group **pp = &e->buckets[g->hash & (e->nbuckets - 1)];
    while (*pp && *pp != g)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = g->hnext;
    lru_unlink(e, g);
    ids_clear(g);
    json_decref(g->fields);
    free(g->key);
    free(g->times);
    free(g->dv);
    free(g->ref_t);
    free(g);
    e->st.groups--;
}

static int grow_buckets(struct corr_engine *e)
{
    size_t nb = e->nbuckets * 2;
    struct group **b = calloc(nb, sizeof(*b));
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < e->nbuckets; i++) {
        for (struct group *g = e->buckets[i], *n; g; g = n) {
            n = g->hnext;
            g->hnext = b[g->hash & (nb - 1)];
            b[g->hash & (nb - 1)] = g;
        }
    }
    free(e->buckets);
    e->buckets = b;
    e->nbuckets = nb;
    return 0;
}

static uint64_t group_hash(const struct corr_rule *r, const char *key)
{
    return fnv(fnv(1469598103934665603ULL, &r->index, sizeof(r->index)), key, strlen(key));
}

/* The group of (r, key), made the most recently used; NULL when absent. */
static struct group *group_find(struct corr_engine *e, const struct corr_rule *r, const char *key)
{
    uint64_t h = group_hash(r, key);
    for (struct group *g = e->buckets[h & (e->nbuckets - 1)]; g; g = g->hnext) {
        if (g->hash == h && g->rule == r && strcmp(g->key, key) == 0) {
            lru_unlink(e, g);
            lru_append(e, g);
            return g;
        }
    }
    return NULL;
}

/* A new group for (r, key) holding fields (a reference is taken); the
 * least recently used go first when max_groups is reached. */
static struct group *group_new(struct corr_engine *e, const struct corr_rule *r, const char *key,
                               json_t *fields)
{
    uint64_t h = group_hash(r, key);
    while (e->st.groups >= e->max_groups && e->lru_head) {
        group_free(e, e->lru_head);
        e->st.groups_evicted++;
    }
    if (e->st.groups >= e->nbuckets && grow_buckets(e) < 0)
        return NULL;
    struct group *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    g->hash = h;
    g->rule = r;
    g->key = strdup(key);
    g->fields = json_incref(fields);
    g->last_t = NO_TIME;
    if (r->type == CORR_T_TEMPORAL || r->type == CORR_T_TEMPORAL_ORDERED) {
        g->ref_t = malloc(r->nrefs * sizeof(*g->ref_t));
        for (size_t j = 0; g->ref_t && j < r->nrefs; j++)
            g->ref_t[j] = NO_TIME;
    }
    if (g->key == NULL || (r->nrefs && !g->ref_t && r->type >= CORR_T_TEMPORAL)) {
        json_decref(g->fields);
        free(g->key);
        free(g->ref_t);
        free(g);
        return NULL;
    }
    size_t b = h & (e->nbuckets - 1);
    g->hnext = e->buckets[b];
    e->buckets[b] = g;
    lru_append(e, g);
    e->st.groups++;
    return g;
}

/* ---- keys -------------------------------------------------------------- */

/* Canonical "field=value|field=value" for group-by entry paths of ref j;
 * fields (when not NULL) gets field -> value (JSON null when absent). */
static size_t key_append(char *key, size_t used, const char *s, size_t n)
{
    if (n > KEY_MAX - 1 - used)
        n = KEY_MAX - 1 - used;
    memcpy(key + used, s, n);
    return used + n;
}

static void make_key(const struct corr_rule *r, size_t j, json_t *event, char *key,
                     json_t *fields)
{
    size_t used = 0;
    for (size_t g = 0; g < r->ngroup; g++) {
        json_t *v = corr_match_get(event, r->group_path[g][j].comp, r->group_path[g][j].n);
        char val[KEY_VALUE_MAX];
        const char *vs = "";
        size_t vn = 0;
        if (json_is_string(v)) {
            vs = json_string_value(v);
            vn = strlen(vs);
            if (vn > KEY_VALUE_MAX - 1)
                vn = KEY_VALUE_MAX - 1;
        } else if (v != NULL) {
            int k = corr_match_text(v, val, sizeof(val));
            if (k > 0) {
                vs = val;
                vn = (size_t)k;
            }
        }
        if (g)
            used = key_append(key, used, "|", 1);
        used = key_append(key, used, r->group[g], strlen(r->group[g]));
        used = key_append(key, used, "=", 1);
        used = key_append(key, used, vs, vn);
        if (fields != NULL)
            json_object_set(fields, r->group[g], v && !json_is_array(v) && !json_is_object(v)
                                                     ? v : json_null());
    }
    key[used] = '\0';
}

/* ---- per-type state ---------------------------------------------------- */

static void ids_push(struct group *g, int64_t t, json_t *event)
{
    json_t *idv = json_object_get(json_object_get(event, "canh"), "id");
    char buf[128];
    const char *id = NULL;
    if (json_is_string(idv))
        id = json_string_value(idv);
    else if (idv != NULL && corr_match_text(idv, buf, sizeof(buf)) > 0)
        id = buf;
    size_t slot = (g->idhead + g->nids) % CORR_HIT_MAX_EVENTS;
    if (g->nids == CORR_HIT_MAX_EVENTS) {
        slot = g->idhead;
        g->idhead = (g->idhead + 1) % CORR_HIT_MAX_EVENTS;
    } else {
        g->nids++;
    }
    free(g->ids[slot].id);
    g->ids[slot].id = id ? strdup(id) : NULL;
    g->ids[slot].t = t;
}

static void ids_expire(struct group *g, int64_t from)
{
    while (g->nids > 0 && g->ids[g->idhead].t < from) {
        free(g->ids[g->idhead].id);
        g->ids[g->idhead].id = NULL;
        g->idhead = (g->idhead + 1) % CORR_HIT_MAX_EVENTS;
        g->nids--;
    }
}

static void times_expire(struct group *g, int64_t from)
{
    while (g->tn > 0 && g->times[g->thead] < from) {
        g->thead = (g->thead + 1) % g->tcap;
        g->tn--;
    }
}

static int64_t count_event(struct corr_engine *e, struct group *g, int64_t t, int64_t from)
{
    times_expire(g, from);
    if (g->tn == g->tcap) {
        if (g->tcap < e->max_values) {
            size_t cap = g->tcap ? g->tcap * 2 : 16;
            if (cap > e->max_values)
                cap = e->max_values;
            int64_t *v = malloc(cap * sizeof(*v));
            if (v == NULL)
                return (int64_t)g->tn;
            for (size_t i = 0; i < g->tn; i++)
                v[i] = g->times[(g->thead + i) % g->tcap];
            free(g->times);
            g->times = v;
            g->tcap = cap;
            g->thead = 0;
        } else {
            g->thead = (g->thead + 1) % g->tcap; /* drop the oldest */
            g->tn--;
            e->st.values_dropped++;
        }
    }
    g->times[(g->thead + g->tn) % g->tcap] = t;
    g->tn++;
    return (int64_t)g->tn;
}

static void dv_expire(struct group *g, int64_t from)
{
    size_t w = 0;
    for (size_t i = 0; i < g->ndv; i++)
        if (g->dv[i].t >= from)
            g->dv[w++] = g->dv[i];
    g->ndv = w;
}

static int64_t count_value(struct corr_engine *e, struct group *g, int64_t t, int64_t from,
                           const char *val)
{
    uint64_t h = fnv(1469598103934665603ULL, val, strlen(val));
    dv_expire(g, from);
    for (size_t i = 0; i < g->ndv; i++) {
        if (g->dv[i].h == h) {
            if (t > g->dv[i].t)
                g->dv[i].t = t;
            return (int64_t)g->ndv;
        }
    }
    if (g->ndv == g->dvcap) {
        if (g->dvcap >= e->max_values) {
            e->st.values_dropped++;
            return (int64_t)g->ndv;
        }
        size_t cap = g->dvcap ? g->dvcap * 2 : 16;
        struct dval *v = realloc(g->dv, cap * sizeof(*v));
        if (v == NULL)
            return (int64_t)g->ndv;
        g->dv = v;
        g->dvcap = cap;
    }
    g->dv[g->ndv++] = (struct dval){ h, t };
    return (int64_t)g->ndv;
}

/* temporal: how many references matched within the window. */
static int64_t count_temporal(struct group *g, size_t nrefs, size_t j, int64_t t, int64_t from)
{
    if (g->ref_t[j] == NO_TIME || t > g->ref_t[j])
        g->ref_t[j] = t;
    int64_t n = 0;
    for (size_t k = 0; k < nrefs; k++)
        n += g->ref_t[k] != NO_TIME && g->ref_t[k] >= from;
    return n;
}

/* temporal_ordered: ref_t[j] is the start time of the latest chain that has
 * reached step j in order; the rule holds when the last step is reached
 * within the window of the chain's start. */
static int64_t count_ordered(struct group *g, size_t nrefs, size_t j, int64_t t, int64_t span)
{
    if (j == 0) {
        g->ref_t[0] = t;
    } else if (g->ref_t[j - 1] != NO_TIME && t - g->ref_t[j - 1] <= span &&
               t >= g->ref_t[j - 1]) {
        if (g->ref_t[j] == NO_TIME || g->ref_t[j - 1] > g->ref_t[j])
            g->ref_t[j] = g->ref_t[j - 1];
    } else {
        return 0;
    }
    return g->ref_t[nrefs - 1] != NO_TIME ? (int64_t)nrefs : 0;
}

static void group_reset(struct group *g)
{
    g->tn = g->thead = 0;
    g->ndv = 0;
    for (size_t j = 0; g->ref_t && j < g->rule->nrefs; j++)
        g->ref_t[j] = NO_TIME;
    ids_clear(g);
}

/* ---- hits -------------------------------------------------------------- */

static void emit(struct corr_engine *e, const struct corr_rule *r, const char *key,
                 json_t *fields, json_t *matched, const char **ids, size_t nids,
                 int64_t first, int64_t last, corr_hit_fn cb, void *arg)
{
    struct corr_hit h = {
        .rule_id = r->hit_id, .rule_title = r->title, .rule_title_vi = r->title_vi,
        .description = r->description, .description_vi = r->description_vi,
        .severity = r->severity, .level = r->level,
        .tags = r->tags, .ntags = r->ntags, .group_key = key, .group_fields = fields,
        .matched = matched, .event_ids = ids, .nevents = nids,
        .first_us = first, .last_us = last,
    };
    e->st.hits++;
    if (cb)
        cb(&h, arg);
}

/* The fields of a plain rule's selections that held, with the event's values
 * (cache: the rule's selection results for this event). */
static json_t *matched_fields(const struct corr_rule *r, json_t *event, const signed char *cache)
{
    json_t *m = json_object();
    for (size_t s = 0; m && s < r->nsels; s++) {
        if (cache[s] != 1)
            continue;
        const struct corr_sel *sel = &r->sels[s];
        for (size_t g = 0; g < sel->ngroups; g++) {
            for (size_t i = 0; i < sel->ngroup_items[g]; i++) {
                const struct corr_item *it = &sel->groups[g][i];
                json_t *v = corr_match_get(event, it->path, it->npath);
                if (v != NULL)
                    json_object_set(m, it->field, v);
            }
        }
    }
    return m;
}

/* What matched for rule r (hit on this event), made on first use: most hits
 * of base rules never reach an emitted correlation. Borrowed. */
static json_t *matched_get(struct corr_engine *e, const struct corr_rule *r, json_t *event)
{
    if (e->matched[r->index] == NULL && r->type == CORR_T_PLAIN)
        e->matched[r->index] =
            matched_fields(r, event, e->cache + (size_t)r->index * e->ncache);
    return e->matched[r->index];
}

static int run_plain(struct corr_engine *e, const struct corr_rule *r, json_t *event, int64_t t,
                     corr_hit_fn cb, void *arg)
{
    signed char *cache = e->cache + (size_t)r->index * e->ncache;
    memset(cache, -1, r->nsels);
    if (!corr_cond_eval(r->cond, r->sels, event, cache))
        return 0;
    e->hit[r->index] = true;
    if (!r->emit)
        return 0; /* its matched fields are made only if a correlation fires */
    char key[KEY_MAX];
    json_t *fields = json_object();
    make_key(r, 0, event, key, fields);
    json_t *idv = json_object_get(json_object_get(event, "canh"), "id");
    const char *id = json_string_value(idv);
    emit(e, r, key, fields, matched_get(e, r, event), &id, id ? 1 : 0, t, t, cb, arg);
    json_decref(fields);
    return 1;
}

/* Feed one reference j of correlation r; true when r fires. */
static bool corr_step(struct corr_engine *e, const struct corr_rule *r, size_t j, json_t *event,
                      int64_t t, const struct corr_rule *ref, corr_hit_fn cb, void *arg)
{
    char key[KEY_MAX], val[KEY_VALUE_MAX];
    json_t *fields = NULL, *vcv = NULL;
    bool fired = false;
    int64_t from = t - r->span_us, n = 0;
    if (r->type == CORR_T_VALUE_COUNT) {
        vcv = corr_match_get(event, r->vc_path, r->vc_npath);
        if (vcv == NULL || json_is_null(vcv) || corr_match_text(vcv, val, sizeof(val)) < 0)
            goto out; /* no value, nothing to count */
    }
    make_key(r, j, event, key, NULL);
    /* A later step of an ordered chain only extends a chain that has
     * started: without the group it cannot count, so none is made (most
     * flows would otherwise each hold a group of the callback rule and
     * push real state out of the LRU). */
    struct group *g = group_find(e, r, key);
    if (g == NULL && (r->type != CORR_T_TEMPORAL_ORDERED || j == 0)) {
        /* The group-by values are kept as JSON only by a new group. */
        if ((fields = json_object()) == NULL)
            goto out;
        make_key(r, j, event, key, fields);
        g = group_new(e, r, key, fields);
    }
    if (g == NULL)
        goto out;
    if (g->last_t != NO_TIME && t < g->last_t - r->span_us)
        goto out; /* older than anything this window can still hold */
    if (t > g->last_t)
        g->last_t = t;
    ids_expire(g, from);
    ids_push(g, t, event);
    switch (r->type) {
    case CORR_T_EVENT_COUNT: n = count_event(e, g, t, from); break;
    case CORR_T_VALUE_COUNT: n = count_value(e, g, t, from, val); break;
    case CORR_T_TEMPORAL: n = count_temporal(g, r->nrefs, j, t, from); break;
    case CORR_T_TEMPORAL_ORDERED: n = count_ordered(g, r->nrefs, j, t, r->span_us); break;
    case CORR_T_PLAIN: break;
    }
    if (!corr_cmp_holds(&r->cmp, n))
        goto out;
    fired = true;
    if (r->emit) {
        const char *ids[CORR_HIT_MAX_EVENTS];
        size_t nids = 0;
        int64_t first = t;
        /* An ordered chain is made of the events since its start only. */
        if (r->type == CORR_T_TEMPORAL_ORDERED && g->ref_t[r->nrefs - 1] > from)
            from = g->ref_t[r->nrefs - 1];
        for (size_t i = 0; i < g->nids; i++) {
            const struct ident *x = &g->ids[(g->idhead + i) % CORR_HIT_MAX_EVENTS];
            if (x->t < from)
                continue;
            if (x->t < first)
                first = x->t;
            if (x->id)
                ids[nids++] = x->id;
        }
        if (r->type == CORR_T_EVENT_COUNT && g->tn > 0 && g->times[g->thead] < first)
            first = g->times[g->thead];
        json_t *matched = matched_get(e, ref, event);
        json_t *m = json_deep_copy(matched ? matched : g->fields);
        if (m && vcv)
            json_object_set(m, r->vc_field, vcv);
        emit(e, r, key, g->fields, m, ids, nids, first, t, cb, arg);
        json_decref(m);
    }
    group_reset(g);
out:
    json_decref(fields);
    return fired;
}

static int run_corr(struct corr_engine *e, const struct corr_rule *r, json_t *event, int64_t t,
                    corr_hit_fn cb, void *arg)
{
    int hits = 0;
    /* Highest reference first, so that one event matching two steps of a
     * temporal_ordered chain cannot complete it alone. */
    for (size_t j = r->nrefs; j-- > 0;) {
        const struct corr_rule *ref = r->refs[j];
        if (!e->hit[ref->index])
            continue;
        if (corr_step(e, r, j, event, t, ref, cb, arg)) {
            if (!e->hit[r->index]) {
                e->hit[r->index] = true;
                e->matched[r->index] = json_incref(matched_get(e, ref, event));
            }
            hits += r->emit;
        }
    }
    return hits;
}

int corr_engine_feed(struct corr_engine *e, json_t *event, corr_hit_fn cb, void *arg)
{
    if (e == NULL || !json_is_object(event))
        return -1;
    const struct corr_rules *set = e->rules;
    int64_t t = corr_parse_time(json_string_value(json_object_get(event, "timestamp")));
    e->st.events++;
    if (t < 0) {
        e->st.bad_time++;
        t = e->now;
    } else {
        e->now = t;
    }
    int hits = 0;
    for (size_t i = 0; i < set->nrules; i++) {
        e->hit[i] = false;
        e->matched[i] = NULL;
    }
    /* Plain rules first, only those the prefilter keeps for this
     * event_type (all of them when it is not a string); correlations then
     * see which of their references matched. */
    json_t *et = json_object_get(event, "event_type");
    size_t first_corr = 0;
    if (set->pre != NULL && (et == NULL || json_is_string(et))) {
        size_t n;
        const int *idx = corr_prefilter_rules(set->pre, json_string_value(et), &n);
        for (size_t k = 0; k < n; k++)
            hits += run_plain(e, set->rules[idx[k]], event, t, cb, arg);
        first_corr = set->pre->nplain;
    }
    for (size_t i = first_corr; i < set->nrules; i++) {
        const struct corr_rule *r = set->rules[i];
        hits += r->type == CORR_T_PLAIN ? run_plain(e, r, event, t, cb, arg)
                                        : run_corr(e, r, event, t, cb, arg);
    }
    for (size_t i = 0; i < set->nrules; i++)
        json_decref(e->matched[i]);
    return hits;
}

void corr_engine_expire(struct corr_engine *e, int64_t now_us)
{
    if (e == NULL)
        return;
    for (struct group *g = e->lru_head, *n; g; g = n) {
        n = g->next;
        int64_t from = now_us - g->rule->span_us;
        if (g->last_t < from) {
            group_free(e, g);
            e->st.groups_expired++;
            continue;
        }
        ids_expire(g, from);
        times_expire(g, from);
        dv_expire(g, from);
    }
}

/* ---- life cycle -------------------------------------------------------- */

struct corr_engine *corr_engine_new(const struct corr_rules *rules)
{
    if (rules == NULL)
        return NULL;
    struct corr_engine *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->rules = rules;
    e->max_groups = CORR_DEFAULT_MAX_GROUPS;
    e->max_values = CORR_DEFAULT_MAX_VALUES;
    e->nbuckets = 1024;
    for (size_t i = 0; i < rules->nrules; i++)
        if (rules->rules[i]->nsels > e->ncache)
            e->ncache = rules->rules[i]->nsels;
    e->buckets = calloc(e->nbuckets, sizeof(*e->buckets));
    e->cache = calloc(rules->nrules * e->ncache + 1, 1);
    e->hit = calloc(rules->nrules + 1, sizeof(*e->hit));
    e->matched = calloc(rules->nrules + 1, sizeof(*e->matched));
    if (e->buckets == NULL || e->cache == NULL || e->hit == NULL || e->matched == NULL) {
        corr_engine_free(e);
        return NULL;
    }
    return e;
}

void corr_engine_free(struct corr_engine *e)
{
    if (e == NULL)
        return;
    while (e->lru_head)
        group_free(e, e->lru_head);
    free(e->buckets);
    free(e->cache);
    free(e->hit);
    free(e->matched);
    free(e);
}

void corr_engine_set_limits(struct corr_engine *e, size_t max_groups, size_t max_values)
{
    if (e == NULL)
        return;
    e->max_groups = max_groups ? max_groups : CORR_DEFAULT_MAX_GROUPS;
    e->max_values = max_values ? max_values : CORR_DEFAULT_MAX_VALUES;
}

void corr_engine_stats(const struct corr_engine *e, struct corr_stats *out)
{
    if (e != NULL && out != NULL)
        *out = e->st;
}
