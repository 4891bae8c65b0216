/* rule_class: classification.config ("config classification: name,desc,prio")
 * and reference.config ("config reference: type url") as used by classtype
 * and reference. Either file may be missing (NULL path): then every
 * classtype is unknown and every reference type accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "detect/det_private.h"

struct det_classes {
    struct det_class *c;
    size_t n, cap;
    char **refs;
    size_t nrefs, caprefs;
    bool have_refs;
};

void rule_class_free(struct det_classes *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->c[i].name);
        free(c->c[i].desc);
    }
    for (size_t i = 0; i < c->nrefs; i++)
        free(c->refs[i]);
    free(c->c);
    free(c->refs);
    free(c);
}

static int class_line(struct det_classes *c, char *v, const char *path, unsigned ln)
{
    char *f1 = strchr(v, ','), *f2 = f1 ? strchr(f1 + 1, ',') : NULL;
    if (f2 == NULL) {
        log_error("rules", "%s:%u: expected \"config classification: name,description,priority\"", path, ln);
        return -1;
    }
    *f1 = *f2 = '\0';
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct det_class *n = realloc(c->c, cap * sizeof(*n));
        if (n == NULL)
            return DET_ERR_NOMEM;
        c->c = n;
        c->cap = cap;
    }
    struct det_class *e = &c->c[c->n];
    e->name = strdup(rule_kw_trim(v));
    e->desc = strdup(rule_kw_trim(f1 + 1));
    e->prio = atoi(rule_kw_trim(f2 + 1));
    if (e->name == NULL || e->desc == NULL)
        return DET_ERR_NOMEM;
    if (e->prio <= 0)
        e->prio = 3;
    c->n++;
    return 0;
}

static int ref_line(struct det_classes *c, char *v)
{
    char *sp = strpbrk(v, " \t");
    if (sp != NULL)
        *sp = '\0';
    if (c->nrefs == c->caprefs) {
        size_t cap = c->caprefs ? c->caprefs * 2 : 32;
        char **n = realloc(c->refs, cap * sizeof(*n));
        if (n == NULL)
            return DET_ERR_NOMEM;
        c->refs = n;
        c->caprefs = cap;
    }
    if ((c->refs[c->nrefs] = strdup(rule_kw_trim(v))) == NULL)
        return DET_ERR_NOMEM;
    c->nrefs++;
    return 0;
}

static int class_file(struct det_classes *c, const char *path, bool refs)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        log_error("rules", "%s: cannot open: %m", path);
        return DET_ERR_IO;
    }
    char line[1024];
    unsigned ln = 0;
    int rc = 0;
    const char *tag = refs ? "config reference:" : "config classification:";
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        ln++;
        char *s = (char *)rule_kw_trim(line);
        if (*s == '#' || *s == '\0')
            continue;
        if (strncmp(s, tag, strlen(tag)) != 0) {
            log_error("rules", "%s:%u: expected \"%s ...\"", path, ln, tag);
            continue;
        }
        s = (char *)rule_kw_trim(s + strlen(tag));
        rc = refs ? ref_line(c, s) : class_line(c, s, path, ln);
        if (rc > 0 || rc == -1)
            rc = 0;
    }
    fclose(f);
    return rc;
}

struct det_classes *rule_class_load(const char *path, const char *refpath)
{
    struct det_classes *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    if ((path != NULL && class_file(c, path, false) != 0) ||
        (refpath != NULL && class_file(c, refpath, true) != 0)) {
        rule_class_free(c);
        return NULL;
    }
    c->have_refs = refpath != NULL;
    return c;
}

const struct det_class *rule_class_find(const struct det_classes *c, const char *name)
{
    if (c == NULL)
        return NULL;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->c[i].name, name) == 0)
            return &c->c[i];
    return NULL;
}

bool rule_class_ref_known(const struct det_classes *c, const char *type)
{
    if (c == NULL || !c->have_refs)
        return true;
    for (size_t i = 0; i < c->nrefs; i++)
        if (strcasecmp(c->refs[i], type) == 0)
            return true;
    return false;
}
