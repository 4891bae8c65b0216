/* corr_private: internals shared by the files of correlator/correlate/ only.
 *
 * A loaded rule set is a flat array of compiled rules living in one arena
 * (freed whole with the set). Plain rules hold selections and a condition
 * tree; correlation rules hold resolved references to other rules. Nothing
 * here is visible outside this directory; the public contract is
 * corr_engine.h.
 */
#ifndef CANH_CORR_PRIVATE_H
#define CANH_CORR_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* ---- arena (corr_rule.c): one per rule set, freed whole ---------------- */
struct corr_arena {
    struct corr_chunk *head;
};
void *corr_arena_alloc(struct corr_arena *a, size_t n); /* zeroed; NULL on ENOMEM */
char *corr_arena_strdup(struct corr_arena *a, const char *s);
void corr_arena_fini(struct corr_arena *a);

/* ---- value matchers (corr_match.c) -------------------------------------- */
enum corr_mod {
    CORR_MOD_CONTAINS = 1u << 0,
    CORR_MOD_STARTSWITH = 1u << 1,
    CORR_MOD_ENDSWITH = 1u << 2,
    CORR_MOD_RE = 1u << 3,
    CORR_MOD_CIDR = 1u << 4,
    CORR_MOD_ALL = 1u << 5,
    CORR_MOD_GT = 1u << 6,
    CORR_MOD_GTE = 1u << 7,
    CORR_MOD_LT = 1u << 8,
    CORR_MOD_LTE = 1u << 9,
    CORR_MOD_EXISTS = 1u << 10,
    CORR_MOD_CASED = 1u << 11,
    CORR_MOD_RE_I = 1u << 12, /* re|i  */
    CORR_MOD_RE_M = 1u << 13, /* re|m  */
    CORR_MOD_RE_S = 1u << 14, /* re|s  */
};

enum corr_val_kind {
    CORR_VAL_GLOB,   /* string with Sigma wildcards (also plain equality) */
    CORR_VAL_NULL,   /* YAML null: field absent or JSON null */
    CORR_VAL_RE,
    CORR_VAL_CIDR,
    CORR_VAL_CMP,    /* gt/gte/lt/lte against a number */
    CORR_VAL_EXISTS,
};

struct corr_val {
    enum corr_val_kind kind;
    /* GLOB: pattern bytes and a parallel wildcard map (0 literal, '*', '?').
     * Lower-cased unless the item is |cased. */
    char *pat;
    uint8_t *wild;
    size_t plen;
    bool has_wild;
    bool is_num;   /* the YAML scalar was a number: compare numerically */
    double num;
    pcre2_code *re;
    int family;    /* CIDR: 4 or 6 */
    uint8_t addr[16];
    int bits;
    bool exists;   /* EXISTS: true/false */
};

struct corr_item {
    const char *field;   /* the Sigma field name, as written (dotted EVE path) */
    const char **path;   /* field split on '.' */
    size_t npath;
    unsigned mods;
    struct corr_val *vals;
    size_t nvals;
};

struct corr_rules; /* forward, for compile errors */

/* Compile "field|mod|mod" and its YAML value(s) into an item. Values are
 * given as scalar texts with a per-value flag (is plain-style number/null).
 * Returns 0 or -1 with a reason in err. */
int corr_match_compile(struct corr_arena *a, struct corr_item *it, const char *key,
                       const char **vals, const bool *plain, size_t nvals,
                       pcre2_code ***res, size_t *nres, char *err, size_t errlen);
/* True when the event satisfies the item. */
bool corr_match_item(const struct corr_item *it, json_t *event);
/* The value at a dotted path (first match through arrays), or NULL. */
json_t *corr_match_get(json_t *event, const char *const *path, size_t npath);
/* Split a dotted path into the arena. */
int corr_match_split(struct corr_arena *a, const char *field, const char ***path, size_t *n);
/* Append the text form of a scalar (string as is, numbers, booleans) to buf;
 * returns the length written, or -1 for objects/arrays/null. */
int corr_match_text(json_t *v, char *buf, size_t len);

/* ---- conditions (corr_cond.c) ------------------------------------------- */
enum corr_node_kind { CORR_N_SEL, CORR_N_NOT, CORR_N_AND, CORR_N_OR, CORR_N_OF };

struct corr_node {
    enum corr_node_kind kind;
    int sel;                    /* SEL: selection index */
    struct corr_node *a, *b;    /* NOT: a; AND/OR: a, b */
    int of_n;                   /* OF: how many must hold; 0 means all */
    int *of_sels;               /* OF: the selections it ranges over */
    size_t of_nsels;
};

struct corr_sel {
    const char *name;
    /* A selection is an OR of groups; each group is an AND of items. A map
     * is one group; a list of maps is several. */
    struct corr_item **groups;
    size_t *ngroup_items;
    size_t ngroups;
};

/* Parse a Sigma condition over the named selections. Returns the tree or NULL
 * with a reason in err. */
struct corr_node *corr_cond_parse(struct corr_arena *a, const char *text,
                                  const struct corr_sel *sels, size_t nsels,
                                  char *err, size_t errlen);
/* Evaluate; cache[i] is -1 (unknown), 0 or 1 for selection i. */
bool corr_cond_eval(const struct corr_node *n, const struct corr_sel *sels, json_t *event,
                    signed char *cache);
bool corr_sel_eval(const struct corr_sel *s, json_t *event);

/* ---- time (corr_time.c) ------------------------------------------------- */
/* "30s", "5m", "2h", "1d" -> microseconds; -1 when bad. */
int64_t corr_time_span(const char *s);

/* ---- rules (corr_rule.c) ------------------------------------------------ */
enum corr_type {
    CORR_T_PLAIN = 0,
    CORR_T_EVENT_COUNT,
    CORR_T_VALUE_COUNT,
    CORR_T_TEMPORAL,
    CORR_T_TEMPORAL_ORDERED,
};

struct corr_cmp {
    bool has_gt, has_gte, has_lt, has_lte, has_eq;
    int64_t gt, gte, lt, lte, eq;
};

/* A correlation's field alias: alias name -> per referenced rule name, the
 * event field to read. */
struct corr_alias {
    const char *alias;
    const char **rule;
    const char **field;
    size_t n;
};

struct corr_path {
    const char **comp;
    size_t n;
};

struct corr_rule {
    int index;               /* position in corr_rules.rules */
    enum corr_type type;
    const char *id, *name, *title, *title_vi, *description, *description_vi, *level;
    const char *hit_id;      /* id, else name, else title */
    int severity;
    const char **tags;
    size_t ntags;
    const char *file;
    int line;
    /* plain */
    struct corr_sel *sels;
    size_t nsels;
    struct corr_node *cond;
    /* group-by: canh.group-by for plain rules, group-by for correlations */
    const char **group;
    size_t ngroup;
    struct corr_path **group_path; /* [ngroup][nrefs or 1]: the field per ref (aliases) */
    /* correlation */
    const char **ref_names;
    struct corr_rule **refs;
    size_t nrefs;
    int64_t span_us;
    struct corr_cmp cmp;
    bool has_cmp;
    const char *vc_field;
    const char **vc_path;
    size_t vc_npath;
    struct corr_alias *aliases;
    size_t naliases;
    bool generate;           /* this correlation lets its referenced rules emit */
    bool emit;               /* resolved: hits of this rule are reported */
    struct corr_rule **parents;
    size_t nparents;
    bool failed;
};

/* ---- prefilter (corr_prefilter.c) ---------------------------------------- */
/* Built once per rule set (in its arena): which plain rules can match an
 * event of a given event_type, and which top-level members rules read. */
struct corr_prefilter {
    const char **types;   /* lower-cased event_type values some rule requires */
    size_t ntypes;
    int **of_type;        /* per type: plain rule indices that may match, in order */
    size_t *nof_type;
    int *any;             /* plain rules that require no event_type */
    size_t nany;
    size_t nplain;        /* rules[0..nplain) are the plain rules */
    const char **keys;    /* top-level members read by some rule or the engine */
    size_t nkeys;
};
struct corr_rules;
/* NULL when memory runs out (the engine then runs every rule). */
struct corr_prefilter *corr_prefilter_build(struct corr_rules *set);
/* The plain rules to run for an event whose "event_type" is this string
 * (NULL: the event has none). */
const int *corr_prefilter_rules(const struct corr_prefilter *p, const char *event_type,
                                size_t *n);

struct corr_rules {
    struct corr_prefilter *pre; /* NULL: run every rule on every event */
    struct corr_arena arena;
    struct corr_rule **rules;  /* loaded rules: plain first, then correlations in topological order */
    size_t nrules;
    size_t cap;
    pcre2_code **res;
    size_t nres;
    int nerrors;
};

/* Check a correlation condition against a count. */
bool corr_cmp_holds(const struct corr_cmp *c, int64_t n);

/* Parse every YAML document of one text into set (corr_rule.c). Errors are
 * logged and counted in set->nerrors; the good documents are kept. */
void corr_rule_parse_text(struct corr_rules *set, const char *file, const char *text, size_t len);
/* Report one rule error: "file:line: rule 'title': reason", counted. */
void corr_rule_error(struct corr_rules *set, const char *file, int line, const char *title,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Add a parsed rule to the set (before resolution). 0 or -1. */
int corr_rules_add(struct corr_rules *set, struct corr_rule *r);

#endif
