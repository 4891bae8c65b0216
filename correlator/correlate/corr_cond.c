/* corr_cond: the Sigma detection condition ("selection and not filter",
 * "1 of sel_*", "all of them", parentheses) parsed at load into a small tree
 * over selection indices, and evaluated per event with a per-call cache so
 * each selection is matched at most once.
 *
 * Precedence, loosest first: or, and, not. "them" ranges over every
 * selection except those whose name starts with '_' (Sigma's convention).
 */
#include "correlate/corr_private.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COND_MAX_DEPTH 64

enum tok_kind { T_END, T_LP, T_RP, T_WORD, T_BAD };

struct parser {
    struct corr_arena *a;
    const char *s;
    size_t pos;
    enum tok_kind kind;
    char word[128];
    const struct corr_sel *sels;
    size_t nsels;
    char *err;
    size_t errlen;
    int depth;
};

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == '*' || c == '?';
}

static void next(struct parser *p)
{
    while (isspace((unsigned char)p->s[p->pos]))
        p->pos++;
    char c = p->s[p->pos];
    if (c == '\0') {
        p->kind = T_END;
    } else if (c == '(' || c == ')') {
        p->kind = c == '(' ? T_LP : T_RP;
        p->pos++;
    } else if (word_char(c)) {
        size_t n = 0;
        while (word_char(p->s[p->pos])) {
            if (n + 1 < sizeof(p->word))
                p->word[n++] = p->s[p->pos];
            p->pos++;
        }
        p->word[n] = '\0';
        p->kind = T_WORD;
    } else {
        p->kind = T_BAD;
        p->word[0] = c;
        p->word[1] = '\0';
    }
}

static bool is_kw(const struct parser *p, const char *kw)
{
    return p->kind == T_WORD && strcasecmp(p->word, kw) == 0;
}

static struct corr_node *fail(struct parser *p, const char *fmt, const char *arg)
{
    if (p->err[0] == '\0')
        snprintf(p->err, p->errlen, fmt, arg);
    return NULL;
}

static struct corr_node *node(struct parser *p, enum corr_node_kind k)
{
    struct corr_node *n = corr_arena_alloc(p->a, sizeof(*n));
    if (n == NULL)
        return fail(p, "%s", "out of memory");
    n->kind = k;
    return n;
}

static struct corr_node *parse_or(struct parser *p);

/* "N of pattern" / "all of pattern" / "N of them". */
static struct corr_node *parse_of(struct parser *p, int count)
{
    next(p); /* past "of" */
    if (p->kind != T_WORD)
        return fail(p, "%s", "'of' needs a selection pattern or 'them'");
    bool them = is_kw(p, "them");
    struct corr_node *n = node(p, CORR_N_OF);
    if (n == NULL)
        return NULL;
    n->of_n = count;
    n->of_sels = corr_arena_alloc(p->a, (p->nsels + 1) * sizeof(int));
    if (n->of_sels == NULL)
        return fail(p, "%s", "out of memory");
    for (size_t i = 0; i < p->nsels; i++) {
        const char *nm = p->sels[i].name;
        bool hit = them ? nm[0] != '_' : fnmatch(p->word, nm, 0) == 0;
        if (hit)
            n->of_sels[n->of_nsels++] = (int)i;
    }
    if (n->of_nsels == 0)
        return fail(p, "'%s' matches no selection", p->word);
    if (count > (int)n->of_nsels)
        return fail(p, "'%s' has fewer selections than the count", p->word);
    next(p);
    return n;
}

static struct corr_node *parse_primary(struct parser *p)
{
    if (++p->depth > COND_MAX_DEPTH)
        return fail(p, "%s", "condition nested too deeply");
    struct corr_node *n = NULL;
    if (p->kind == T_LP) {
        next(p);
        n = parse_or(p);
        if (n == NULL)
            return NULL;
        if (p->kind != T_RP)
            return fail(p, "%s", "missing ')'");
        next(p);
    } else if (is_kw(p, "not")) {
        next(p);
        struct corr_node *a = parse_primary(p);
        if (a == NULL || (n = node(p, CORR_N_NOT)) == NULL)
            return NULL;
        n->a = a;
    } else if (p->kind == T_WORD) {
        char *end;
        long cnt = strtol(p->word, &end, 10);
        bool number = *end == '\0' && p->word[0] != '\0' && isdigit((unsigned char)p->word[0]);
        char w[sizeof(p->word)];
        strcpy(w, p->word);
        next(p);
        if (is_kw(p, "of")) {
            if (strcasecmp(w, "all") == 0)
                return parse_of(p, 0);
            if (strcasecmp(w, "any") == 0)
                return parse_of(p, 1);
            if (!number || cnt < 1 || cnt > 1000)
                return fail(p, "'%s of': expected a count, 'all' or 'any'", w);
            return parse_of(p, (int)cnt);
        }
        if (strcasecmp(w, "and") == 0 || strcasecmp(w, "or") == 0)
            return fail(p, "'%s' where a selection was expected", w);
        for (size_t i = 0; i < p->nsels; i++) {
            if (strcmp(p->sels[i].name, w) == 0) {
                if ((n = node(p, CORR_N_SEL)) == NULL)
                    return NULL;
                n->sel = (int)i;
                break;
            }
        }
        if (n == NULL)
            return fail(p, "unknown selection '%s'", w);
    } else if (p->kind == T_END) {
        return fail(p, "%s", "condition ends early");
    } else {
        return fail(p, "unexpected '%s'", p->kind == T_RP ? ")" : p->word);
    }
    p->depth--;
    return n;
}

static struct corr_node *parse_and(struct parser *p)
{
    struct corr_node *l = parse_primary(p);
    while (l != NULL && is_kw(p, "and")) {
        next(p);
        struct corr_node *r = parse_primary(p), *n;
        if (r == NULL || (n = node(p, CORR_N_AND)) == NULL)
            return NULL;
        n->a = l;
        n->b = r;
        l = n;
    }
    return l;
}

static struct corr_node *parse_or(struct parser *p)
{
    struct corr_node *l = parse_and(p);
    while (l != NULL && is_kw(p, "or")) {
        next(p);
        struct corr_node *r = parse_and(p), *n;
        if (r == NULL || (n = node(p, CORR_N_OR)) == NULL)
            return NULL;
        n->a = l;
        n->b = r;
        l = n;
    }
    return l;
}

struct corr_node *corr_cond_parse(struct corr_arena *a, const char *text,
                                  const struct corr_sel *sels, size_t nsels,
                                  char *err, size_t errlen)
{
    struct parser p = { .a = a, .s = text, .sels = sels, .nsels = nsels,
                        .err = err, .errlen = errlen };
    err[0] = '\0';
    if (strchr(text, '|') != NULL) {
        snprintf(err, errlen, "aggregations in the condition ('|') are Sigma v1; "
                              "use a correlation rule");
        return NULL;
    }
    next(&p);
    struct corr_node *n = parse_or(&p);
    if (n != NULL && p.kind != T_END)
        return fail(&p, "unexpected '%s' after the condition",
                    p.kind == T_RP ? ")" : p.word);
    return n;
}

bool corr_sel_eval(const struct corr_sel *s, json_t *event)
{
    for (size_t g = 0; g < s->ngroups; g++) {
        bool ok = true;
        for (size_t i = 0; ok && i < s->ngroup_items[g]; i++)
            ok = corr_match_item(&s->groups[g][i], event);
        if (ok)
            return true;
    }
    return false;
}

static bool sel_cached(const struct corr_sel *sels, int i, json_t *event, signed char *cache)
{
    if (cache[i] < 0)
        cache[i] = corr_sel_eval(&sels[i], event) ? 1 : 0;
    return cache[i] == 1;
}

bool corr_cond_eval(const struct corr_node *n, const struct corr_sel *sels, json_t *event,
                    signed char *cache)
{
    switch (n->kind) {
    case CORR_N_SEL:
        return sel_cached(sels, n->sel, event, cache);
    case CORR_N_NOT:
        return !corr_cond_eval(n->a, sels, event, cache);
    case CORR_N_AND:
        return corr_cond_eval(n->a, sels, event, cache) && corr_cond_eval(n->b, sels, event, cache);
    case CORR_N_OR:
        return corr_cond_eval(n->a, sels, event, cache) || corr_cond_eval(n->b, sels, event, cache);
    case CORR_N_OF: {
        int need = n->of_n == 0 ? (int)n->of_nsels : n->of_n, got = 0;
        for (size_t i = 0; i < n->of_nsels; i++) {
            if (sel_cached(sels, n->of_sels[i], event, cache) && ++got >= need)
                return true;
            if (n->of_n == 0 && got < (int)(i + 1))
                return false;
        }
        return got >= need;
    }
    }
    return false;
}
