/* corr_rule: one Sigma YAML text -> compiled rules (libyaml document API).
 *
 * Each YAML document is a plain Sigma rule (detection + condition) or a
 * Sigma correlation rule (correlation: type/rules/group-by/timespan/
 * condition/aliases). A document that does not parse is reported as
 * "file:line: rule 'title': reason" and skipped; the others are kept.
 * References between rules are resolved later, over the whole set
 * (corr_load.c). All memory comes from the set's arena.
 */
#include "correlate/corr_engine.h"
#include "correlate/corr_private.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define RULE_MAX_VALUES 4096 /* values in one list; bounds a hostile file */

struct doc {
    struct corr_rules *set;
    yaml_document_t *y;
    const char *file;
    const char *title;
    struct corr_arena *a;
    char err[320];
    int err_line;
};

void corr_rule_error(struct corr_rules *set, const char *file, int line, const char *title,
                     const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_error("sigma", "%s:%d: rule '%s': %s", file, line, title ? title : "?", msg);
    set->nerrors++;
}

static int line_of(const yaml_node_t *n)
{
    return n ? (int)n->start_mark.line + 1 : 0;
}

/* Record the first error of a document, with the line of the node at fault. */
static int bad(struct doc *d, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(struct doc *d, const yaml_node_t *n, const char *fmt, ...)
{
    if (d->err[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->err, sizeof(d->err), fmt, ap);
        va_end(ap);
        d->err_line = line_of(n);
    }
    return -1;
}

static yaml_node_t *node_at(struct doc *d, int i)
{
    return yaml_document_get_node(d->y, i);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_plain(const yaml_node_t *n)
{
    return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
           n->data.scalar.style == YAML_ANY_SCALAR_STYLE;
}

static yaml_node_t *map_get(struct doc *d, const yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(node_at(d, p->key));
        if (k != NULL && strcmp(k, key) == 0)
            return node_at(d, p->value);
    }
    return NULL;
}

static const char *dup_scalar(struct doc *d, const yaml_node_t *n, const char *what)
{
    const char *s = scalar(n);
    if (s == NULL) {
        bad(d, n, "'%s' must be a single value", what);
        return NULL;
    }
    const char *c = corr_arena_strdup(d->a, s);
    if (c == NULL)
        bad(d, n, "out of memory");
    return c;
}

/* A scalar or a sequence of scalars -> arena array of strings. */
static int str_list(struct doc *d, const yaml_node_t *n, const char *what, const char ***out,
                    size_t *nout)
{
    size_t cnt = n->type == YAML_SEQUENCE_NODE
                     ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
                     : 1;
    if (n->type == YAML_MAPPING_NODE)
        return bad(d, n, "'%s' must be a value or a list of values", what);
    if (cnt > RULE_MAX_VALUES)
        return bad(d, n, "'%s' has more than %d values", what, RULE_MAX_VALUES);
    const char **v = corr_arena_alloc(d->a, (cnt + 1) * sizeof(*v));
    if (v == NULL)
        return bad(d, n, "out of memory");
    if (n->type == YAML_SCALAR_NODE) {
        if ((v[0] = dup_scalar(d, n, what)) == NULL)
            return -1;
    } else {
        for (size_t i = 0; i < cnt; i++) {
            const yaml_node_t *it = node_at(d, n->data.sequence.items.start[i]);
            if ((v[i] = dup_scalar(d, it, what)) == NULL)
                return -1;
        }
    }
    *out = v;
    *nout = cnt;
    return 0;
}

/* ---- plain rules: detection ------------------------------------------- */

static int compile_item(struct doc *d, struct corr_item *it, const yaml_node_t *k,
                        const yaml_node_t *v)
{
    const char *key = scalar(k);
    if (key == NULL)
        return bad(d, k, "a detection field name must be text");
    size_t cnt = v->type == YAML_SEQUENCE_NODE
                     ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start)
                     : 1;
    if (v->type == YAML_MAPPING_NODE)
        return bad(d, v, "field '%s': a nested map is not a Sigma value", key);
    if (cnt > RULE_MAX_VALUES)
        return bad(d, v, "field '%s': more than %d values", key, RULE_MAX_VALUES);
    const char **vals = corr_arena_alloc(d->a, (cnt + 1) * sizeof(*vals));
    bool *plain = corr_arena_alloc(d->a, (cnt + 1) * sizeof(*plain));
    if (vals == NULL || plain == NULL)
        return bad(d, v, "out of memory");
    for (size_t i = 0; i < cnt; i++) {
        const yaml_node_t *e = v->type == YAML_SEQUENCE_NODE
                                   ? node_at(d, v->data.sequence.items.start[i])
                                   : v;
        if ((vals[i] = scalar(e)) == NULL)
            return bad(d, e, "field '%s': a list value must be a single value", key);
        plain[i] = is_plain(e);
    }
    char why[256] = "";
    if (corr_match_compile(d->a, it, key, vals, plain, cnt, &d->set->res, &d->set->nres, why,
                           sizeof(why)) < 0)
        return bad(d, k, "%s", why[0] ? why : "out of memory");
    return 0;
}

static int compile_group(struct doc *d, const yaml_node_t *map, struct corr_item **items,
                         size_t *nitems)
{
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (n == 0)
        return bad(d, map, "empty selection");
    *items = corr_arena_alloc(d->a, n * sizeof(**items));
    if (*items == NULL)
        return bad(d, map, "out of memory");
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &map->data.mapping.pairs.start[i];
        if (compile_item(d, &(*items)[i], node_at(d, p->key), node_at(d, p->value)) < 0)
            return -1;
    }
    *nitems = n;
    return 0;
}

static int compile_sel(struct doc *d, struct corr_sel *s, const char *name, const yaml_node_t *v)
{
    s->name = name;
    size_t ng = 1;
    if (v->type == YAML_SEQUENCE_NODE) {
        ng = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        if (ng == 0)
            return bad(d, v, "selection '%s' is an empty list", name);
        if (ng > RULE_MAX_VALUES)
            return bad(d, v, "selection '%s' is too long", name);
    } else if (v->type != YAML_MAPPING_NODE) {
        return bad(d, v, "selection '%s': keyword (full-text) searches are not supported; "
                         "name a field", name);
    }
    s->groups = corr_arena_alloc(d->a, ng * sizeof(*s->groups));
    s->ngroup_items = corr_arena_alloc(d->a, ng * sizeof(*s->ngroup_items));
    if (s->groups == NULL || s->ngroup_items == NULL)
        return bad(d, v, "out of memory");
    for (size_t g = 0; g < ng; g++) {
        const yaml_node_t *m = v->type == YAML_SEQUENCE_NODE
                                   ? node_at(d, v->data.sequence.items.start[g])
                                   : v;
        if (m == NULL || m->type != YAML_MAPPING_NODE)
            return bad(d, m ? m : v, "selection '%s': keyword (full-text) searches are not "
                                     "supported; use a map of fields", name);
        if (compile_group(d, m, &s->groups[g], &s->ngroup_items[g]) < 0)
            return -1;
    }
    s->ngroups = ng;
    return 0;
}

static int parse_detection(struct doc *d, struct corr_rule *r, const yaml_node_t *det)
{
    if (det->type != YAML_MAPPING_NODE)
        return bad(d, det, "'detection' must be a map");
    size_t n = (size_t)(det->data.mapping.pairs.top - det->data.mapping.pairs.start);
    r->sels = corr_arena_alloc(d->a, (n + 1) * sizeof(*r->sels));
    if (r->sels == NULL)
        return bad(d, det, "out of memory");
    const yaml_node_t *cond = NULL;
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &det->data.mapping.pairs.start[i];
        const yaml_node_t *k = node_at(d, p->key), *v = node_at(d, p->value);
        const char *name = scalar(k);
        if (name == NULL)
            return bad(d, k, "a selection name must be text");
        if (strcmp(name, "condition") == 0) {
            cond = v;
            continue;
        }
        if (strcmp(name, "timeframe") == 0)
            return bad(d, k, "'timeframe' is Sigma v1 aggregation; write a correlation rule");
        const char *nm = corr_arena_strdup(d->a, name);
        if (nm == NULL || compile_sel(d, &r->sels[r->nsels], nm, v) < 0)
            return bad(d, v, "out of memory");
        r->nsels++;
    }
    if (cond == NULL)
        return bad(d, det, "'detection' has no 'condition'");
    if (r->nsels == 0)
        return bad(d, det, "'detection' has no selection");
    /* A list of conditions is an OR of them (Sigma v1 form). */
    char text[2048];
    size_t used = 0;
    text[0] = '\0';
    if (cond->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = cond->data.sequence.items.start;
             it < cond->data.sequence.items.top; it++) {
            const char *c = scalar(node_at(d, *it));
            if (c == NULL)
                return bad(d, cond, "a condition must be text");
            int k = snprintf(text + used, sizeof(text) - used, "%s(%s)",
                             used ? " or " : "", c);
            if (k < 0 || (size_t)k >= sizeof(text) - used)
                return bad(d, cond, "condition too long");
            used += (size_t)k;
        }
    } else if (scalar(cond) != NULL) {
        if (strlen(scalar(cond)) >= sizeof(text))
            return bad(d, cond, "condition too long");
        strcpy(text, scalar(cond));
    } else {
        return bad(d, cond, "'condition' must be text");
    }
    char why[256];
    r->cond = corr_cond_parse(d->a, text, r->sels, r->nsels, why, sizeof(why));
    if (r->cond == NULL)
        return bad(d, cond, "condition '%s': %s", text, why);
    return 0;
}

/* ---- correlation rules ------------------------------------------------- */

static const struct {
    const char *name;
    enum corr_type type;
} type_table[] = {
    { "event_count", CORR_T_EVENT_COUNT },
    { "value_count", CORR_T_VALUE_COUNT },
    { "temporal", CORR_T_TEMPORAL },
    { "temporal_ordered", CORR_T_TEMPORAL_ORDERED },
};

static int parse_int(struct doc *d, const yaml_node_t *n, const char *what, int64_t *out)
{
    const char *s = scalar(n);
    char *end;
    if (s == NULL || *s == '\0')
        return bad(d, n, "condition '%s' needs a number", what);
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || v < 0 || v > 1000000000)
        return bad(d, n, "condition '%s': '%s' is not a count", what, s);
    *out = v;
    return 0;
}

static int parse_corr_cond(struct doc *d, struct corr_rule *r, const yaml_node_t *c)
{
    if (c->type != YAML_MAPPING_NODE)
        return bad(d, c, "correlation 'condition' must be a map such as {gte: 10}");
    struct corr_cmp *m = &r->cmp;
    for (yaml_node_pair_t *p = c->data.mapping.pairs.start; p < c->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = node_at(d, p->key), *v = node_at(d, p->value);
        const char *key = scalar(k);
        int rc = 0;
        if (key == NULL)
            return bad(d, k, "bad condition key");
        if (strcmp(key, "field") == 0) {
            if ((r->vc_field = dup_scalar(d, v, "field")) == NULL)
                return -1;
            continue;
        }
        if (strcmp(key, "gt") == 0)
            rc = parse_int(d, v, key, &m->gt), m->has_gt = true;
        else if (strcmp(key, "gte") == 0)
            rc = parse_int(d, v, key, &m->gte), m->has_gte = true;
        else if (strcmp(key, "lt") == 0)
            rc = parse_int(d, v, key, &m->lt), m->has_lt = true;
        else if (strcmp(key, "lte") == 0)
            rc = parse_int(d, v, key, &m->lte), m->has_lte = true;
        else if (strcmp(key, "eq") == 0)
            rc = parse_int(d, v, key, &m->eq), m->has_eq = true;
        else
            return bad(d, k, "unknown condition operator '%s' (gt gte lt lte eq field)", key);
        if (rc < 0)
            return -1;
        r->has_cmp = true;
    }
    if (!r->has_cmp)
        return bad(d, c, "correlation condition has no operator (gt gte lt lte eq)");
    /* Events arrive one by one: a bound with no lower limit would hold on the
     * first event and can only be decided when a window closes. */
    if (!(m->has_gt || m->has_gte || m->has_eq))
        return bad(d, c, "a condition with only lt/lte cannot be decided on a stream; "
                         "add gt/gte/eq");
    return 0;
}

static int parse_aliases(struct doc *d, struct corr_rule *r, const yaml_node_t *al)
{
    if (al->type != YAML_MAPPING_NODE)
        return bad(d, al, "'aliases' must be a map: alias -> {rule name: field}");
    size_t n = (size_t)(al->data.mapping.pairs.top - al->data.mapping.pairs.start);
    r->aliases = corr_arena_alloc(d->a, (n + 1) * sizeof(*r->aliases));
    if (r->aliases == NULL)
        return bad(d, al, "out of memory");
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &al->data.mapping.pairs.start[i];
        const yaml_node_t *k = node_at(d, p->key), *v = node_at(d, p->value);
        struct corr_alias *x = &r->aliases[i];
        if ((x->alias = dup_scalar(d, k, "alias")) == NULL)
            return -1;
        if (v->type != YAML_MAPPING_NODE)
            return bad(d, v, "alias '%s' must map rule names to fields", x->alias);
        size_t m = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
        x->rule = corr_arena_alloc(d->a, (m + 1) * sizeof(*x->rule));
        x->field = corr_arena_alloc(d->a, (m + 1) * sizeof(*x->field));
        if (x->rule == NULL || x->field == NULL)
            return bad(d, v, "out of memory");
        for (size_t j = 0; j < m; j++) {
            yaml_node_pair_t *q = &v->data.mapping.pairs.start[j];
            if ((x->rule[j] = dup_scalar(d, node_at(d, q->key), "alias rule")) == NULL ||
                (x->field[j] = dup_scalar(d, node_at(d, q->value), "alias field")) == NULL)
                return -1;
        }
        x->n = m;
    }
    r->naliases = n;
    return 0;
}

static int parse_generate(struct doc *d, const yaml_node_t *g, bool *out)
{
    const char *s = scalar(g);
    if (s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0))
        *out = true;
    else if (s && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0))
        *out = false;
    else
        return bad(d, g, "'generate' must be true or false");
    return 0;
}

static int parse_correlation(struct doc *d, struct corr_rule *r, const yaml_node_t *c)
{
    if (c->type != YAML_MAPPING_NODE)
        return bad(d, c, "'correlation' must be a map");
    const char *type = scalar(map_get(d, c, "type"));
    const yaml_node_t *rules = map_get(d, c, "rules"), *span = map_get(d, c, "timespan");
    const yaml_node_t *cond = map_get(d, c, "condition"), *gb = map_get(d, c, "group-by");
    const yaml_node_t *al = map_get(d, c, "aliases"), *field = map_get(d, c, "field");
    const yaml_node_t *gen = map_get(d, c, "generate");
    for (size_t i = 0; type && i < sizeof(type_table) / sizeof(type_table[0]); i++)
        if (strcmp(type, type_table[i].name) == 0)
            r->type = type_table[i].type;
    if (r->type == CORR_T_PLAIN)
        return bad(d, map_get(d, c, "type") ? map_get(d, c, "type") : c, "correlation type '%s' is not one of event_count value_count "
                         "temporal temporal_ordered", type ? type : "");
    if (rules == NULL || str_list(d, rules, "rules", &r->ref_names, &r->nrefs) < 0)
        return bad(d, c, "correlation needs 'rules'");
    if (span == NULL || (r->span_us = corr_time_span(scalar(span))) <= 0)
        return bad(d, span ? span : c, "'timespan' must be a number and s/m/h/d (e.g. 5m)");
    if (gb != NULL && str_list(d, gb, "group-by", &r->group, &r->ngroup) < 0)
        return -1;
    if (al != NULL && parse_aliases(d, r, al) < 0)
        return -1;
    if (gen != NULL && parse_generate(d, gen, &r->generate) < 0)
        return -1;
    if (cond != NULL && parse_corr_cond(d, r, cond) < 0)
        return -1;
    if (field != NULL && r->vc_field == NULL && (r->vc_field = dup_scalar(d, field, "field")) == NULL)
        return -1;
    bool counting = r->type == CORR_T_EVENT_COUNT || r->type == CORR_T_VALUE_COUNT;
    if (counting && !r->has_cmp)
        return bad(d, c, "%s needs a 'condition' such as {gte: 10}", type);
    if (r->type == CORR_T_VALUE_COUNT) {
        if (r->vc_field == NULL)
            return bad(d, cond ? cond : c, "value_count needs 'field' in its condition");
        if (corr_match_split(d->a, r->vc_field, &r->vc_path, &r->vc_npath) < 0)
            return bad(d, cond ? cond : c, "'%s' is not a field path", r->vc_field);
    }
    if (r->type == CORR_T_TEMPORAL_ORDERED && r->has_cmp &&
        !(r->cmp.has_gte && r->cmp.gte == (int64_t)r->nrefs && !r->cmp.has_gt && !r->cmp.has_eq))
        return bad(d, cond, "temporal_ordered needs every rule in order; leave out 'condition' "
                            "(or use gte: %zu)", r->nrefs);
    if (!r->has_cmp && (r->type == CORR_T_TEMPORAL || r->type == CORR_T_TEMPORAL_ORDERED)) {
        r->has_cmp = true;
        r->cmp.has_gte = true;
        r->cmp.gte = (int64_t)r->nrefs;
    }
    if (r->nrefs > 64)
        return bad(d, rules, "at most 64 rules per correlation");
    return 0;
}

/* ---- common attributes ------------------------------------------------- */

static const struct {
    const char *level;
    int severity;
} level_table[] = {
    /* Suricata's scale: 1 is the most urgent. high shares 1 with critical so
     * that "severity 1" means "look now"; the level text keeps them apart. */
    { "critical", 1 }, { "high", 1 }, { "medium", 2 }, { "low", 3 }, { "informational", 4 },
};

static int parse_common(struct doc *d, struct corr_rule *r, const yaml_node_t *root)
{
    const yaml_node_t *n;
    if ((n = map_get(d, root, "id")) && (r->id = dup_scalar(d, n, "id")) == NULL)
        return -1;
    if ((n = map_get(d, root, "name")) && (r->name = dup_scalar(d, n, "name")) == NULL)
        return -1;
    if ((n = map_get(d, root, "description")) &&
        (r->description = dup_scalar(d, n, "description")) == NULL)
        return -1;
    r->level = "medium";
    if ((n = map_get(d, root, "level")) && (r->level = dup_scalar(d, n, "level")) == NULL)
        return -1;
    r->severity = 0;
    for (size_t i = 0; i < sizeof(level_table) / sizeof(level_table[0]); i++)
        if (strcmp(r->level, level_table[i].level) == 0)
            r->severity = level_table[i].severity;
    if (r->severity == 0)
        return bad(d, n, "level '%s' is not informational/low/medium/high/critical", r->level);
    if ((n = map_get(d, root, "tags")) && str_list(d, n, "tags", &r->tags, &r->ntags) < 0)
        return -1;
    if ((n = map_get(d, root, "generate")) && parse_generate(d, n, &r->generate) < 0)
        return -1;
    const yaml_node_t *canh = map_get(d, root, "canh");
    if (canh != NULL && canh->type != YAML_MAPPING_NODE)
        return bad(d, canh, "'canh' must be a map (title_vi, description_vi, group-by)");
    if ((n = map_get(d, canh, "title_vi")) && (r->title_vi = dup_scalar(d, n, "title_vi")) == NULL)
        return -1;
    if ((n = map_get(d, canh, "description_vi")) &&
        (r->description_vi = dup_scalar(d, n, "description_vi")) == NULL)
        return -1;
    if ((n = map_get(d, canh, "group-by"))) {
        if (map_get(d, root, "correlation") != NULL)
            return bad(d, n, "canh.group-by is for plain rules; a correlation has group-by");
        if (str_list(d, n, "canh.group-by", &r->group, &r->ngroup) < 0)
            return -1;
    }
    r->hit_id = r->id ? r->id : r->name ? r->name : r->title;
    return 0;
}

static void parse_doc(struct corr_rules *set, const char *file, yaml_document_t *y,
                      yaml_node_t *root)
{
    struct doc d = { .set = set, .y = y, .file = file, .a = &set->arena };
    struct corr_rule *r = corr_arena_alloc(d.a, sizeof(*r));
    const yaml_node_t *n;
    if (r == NULL) {
        bad(&d, root, "out of memory");
        goto out;
    }
    r->file = corr_arena_strdup(d.a, file);
    r->line = line_of(root);
    if (root->type != YAML_MAPPING_NODE) {
        bad(&d, root, "a rule must be a YAML map");
        goto out;
    }
    if ((n = map_get(&d, root, "action")) != NULL) {
        bad(&d, n, "'action' (Sigma v1 collections) is not supported; one rule per document");
        goto out;
    }
    if ((n = map_get(&d, root, "title")) == NULL || scalar(n) == NULL || !*scalar(n)) {
        bad(&d, root, "no 'title'");
        goto out;
    }
    r->title = d.title = dup_scalar(&d, n, "title");
    if (r->title == NULL || parse_common(&d, r, root) < 0)
        goto out;
    const yaml_node_t *det = map_get(&d, root, "detection");
    const yaml_node_t *cor = map_get(&d, root, "correlation");
    if (det != NULL && cor != NULL) {
        bad(&d, cor, "a rule has either 'detection' or 'correlation', not both");
    } else if (det != NULL) {
        r->type = CORR_T_PLAIN;
        if (parse_detection(&d, r, det) == 0 && r->ngroup == 0) {
            static const char *src[] = { "src_ip" };
            r->group = src;
            r->ngroup = 1;
        }
    } else if (cor != NULL) {
        parse_correlation(&d, r, cor);
    } else if (map_get(&d, root, "filter") != NULL) {
        bad(&d, root, "Sigma filters are not supported");
    } else {
        bad(&d, root, "no 'detection' and no 'correlation'");
    }
out:
    if (d.err[0] != '\0') {
        corr_rule_error(set, file, d.err_line ? d.err_line : line_of(root), d.title, "%s",
                        d.err);
        return;
    }
    if (corr_rules_add(set, r) < 0)
        corr_rule_error(set, file, r->line, r->title, "out of memory");
}

void corr_rule_parse_text(struct corr_rules *set, const char *file, const char *text, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        corr_rule_error(set, file, 0, NULL, "cannot start the YAML parser");
        return;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    for (;;) {
        yaml_document_t y;
        if (!yaml_parser_load(&p, &y)) {
            /* libyaml cannot resume after a syntax error: the rest of this
             * file is lost, the other files still load. */
            corr_rule_error(set, file, (int)p.problem_mark.line + 1, NULL, "YAML: %s%s%s",
                            p.problem ? p.problem : "syntax error",
                            p.context ? " " : "", p.context ? p.context : "");
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&y);
        if (root == NULL) {
            yaml_document_delete(&y);
            break;
        }
        parse_doc(set, file, &y, root);
        yaml_document_delete(&y);
    }
    yaml_parser_delete(&p);
}
