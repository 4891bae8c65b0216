/* cfg: YAML (libyaml events) flattened into dotted key paths, each checked
 * against the schema tables the modules registered. Values are kept as text
 * (lists as arrays of text) and converted by the getters at start-up.
 * Later assignments replace earlier ones: the file first, then --set. */
#include "cfg.h"

#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CFG_MAX_DEPTH 32
#define CFG_KEY_MAX 512

struct cfg_schema {
    const struct cfg_opt *opts;
    size_t n;
};

struct cfg_entry {
    char *key;
    char *val;            /* scalar text; NULL for a list */
    char **list;
    size_t nlist;
    const struct cfg_opt *opt;
};

struct cfg {
    struct cfg_schema *schemas;
    size_t nschemas;
    struct cfg_entry *entries;
    size_t nentries, cap;
};

struct cfg *cfg_new(void)
{
    return calloc(1, sizeof(struct cfg));
}

static void cfg_entry_clear(struct cfg_entry *e)
{
    free(e->val);
    for (size_t i = 0; i < e->nlist; i++)
        free(e->list[i]);
    free(e->list);
    e->val = NULL;
    e->list = NULL;
    e->nlist = 0;
}

void cfg_free(struct cfg *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nentries; i++) {
        cfg_entry_clear(&c->entries[i]);
        free(c->entries[i].key);
    }
    free(c->entries);
    free(c->schemas);
    free(c);
}

int cfg_add_schema(struct cfg *c, const struct cfg_opt *opts, size_t nopts)
{
    struct cfg_schema *s = realloc(c->schemas, (c->nschemas + 1) * sizeof(*s));
    if (s == NULL)
        return -1;
    c->schemas = s;
    c->schemas[c->nschemas++] = (struct cfg_schema){ opts, nopts };
    return 0;
}

/* Does key match pattern, component by component ('*' = any one)? */
static bool cfg_key_match(const char *pattern, const char *key)
{
    while (*pattern != '\0' && *key != '\0') {
        const char *pe = strchr(pattern, '.');
        const char *ke = strchr(key, '.');
        size_t pl = pe ? (size_t)(pe - pattern) : strlen(pattern);
        size_t kl = ke ? (size_t)(ke - key) : strlen(key);
        if (!(pl == 1 && pattern[0] == '*') && (pl != kl || memcmp(pattern, key, pl) != 0))
            return false;
        pattern += pl;
        key += kl;
        if ((*pattern == '.') != (*key == '.'))
            return false;
        if (*pattern == '.') {
            pattern++;
            key++;
        }
    }
    return *pattern == '\0' && *key == '\0';
}

/* Is key a proper prefix (whole components) of some schema key? */
static bool cfg_key_is_prefix(const struct cfg *c, const char *key)
{
    size_t nk = 1;
    for (const char *k = key; *k != '\0'; k++)
        nk += *k == '.';
    for (size_t s = 0; s < c->nschemas; s++)
        for (size_t i = 0; i < c->schemas[s].n; i++) {
            const char *p = c->schemas[s].opts[i].key;
            const char *e = p;
            for (size_t comp = 0; e != NULL && comp < nk; comp++) {
                e = strchr(e, '.');
                if (e != NULL && comp + 1 < nk)
                    e++;
            }
            if (e == NULL || (size_t)(e - p) >= CFG_KEY_MAX)
                continue; /* the pattern is not longer than key */
            char buf[CFG_KEY_MAX];
            memcpy(buf, p, (size_t)(e - p));
            buf[e - p] = '\0';
            if (cfg_key_match(buf, key))
                return true;
        }
    return false;
}

static const struct cfg_opt *cfg_find_opt(const struct cfg *c, const char *key)
{
    for (size_t s = 0; s < c->nschemas; s++)
        for (size_t i = 0; i < c->schemas[s].n; i++)
            if (cfg_key_match(c->schemas[s].opts[i].key, key))
                return &c->schemas[s].opts[i];
    return NULL;
}

static struct cfg_entry *cfg_find_entry(const struct cfg *c, const char *key)
{
    for (size_t i = 0; i < c->nentries; i++)
        if (strcmp(c->entries[i].key, key) == 0)
            return &c->entries[i];
    return NULL;
}

int cfg_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "yes", "true", "on", "1", "y" };
    static const char *const no[] = { "no", "false", "off", "0", "n" };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int cfg_parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int cfg_parse_size(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    double mul = 1;
    char u[8] = { 0 };
    size_t n = 0;
    while (end[n] != '\0' && n < sizeof(u) - 1) {
        u[n] = (char)tolower((unsigned char)end[n]);
        n++;
    }
    if (end[n] != '\0')
        return -1;
    if (n == 0 || strcmp(u, "b") == 0)
        mul = 1;
    else if (strcmp(u, "k") == 0 || strcmp(u, "kb") == 0 || strcmp(u, "kib") == 0)
        mul = 1024.0;
    else if (strcmp(u, "m") == 0 || strcmp(u, "mb") == 0 || strcmp(u, "mib") == 0)
        mul = 1024.0 * 1024;
    else if (strcmp(u, "g") == 0 || strcmp(u, "gb") == 0 || strcmp(u, "gib") == 0)
        mul = 1024.0 * 1024 * 1024;
    else
        return -1;
    v *= mul;
    if (v > 9.0e18)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* Check a scalar value against its option; NULL when fine, else the reason. */
static const char *cfg_check(const struct cfg_opt *o, const char *val, char *why, size_t cap)
{
    bool b;
    int64_t v;
    switch (o->type) {
    case CFG_BOOL:
        if (cfg_parse_bool(val, &b) != 0) {
            snprintf(why, cap, "\"%s\" is not a boolean (yes or no)", val);
            return why;
        }
        return NULL;
    case CFG_INT:
    case CFG_SIZE:
        if ((o->type == CFG_INT ? cfg_parse_int(val, &v) : cfg_parse_size(val, &v)) != 0) {
            snprintf(why, cap, "\"%s\" is not %s", val,
                     o->type == CFG_INT ? "an integer" : "a size (e.g. 512mb)");
            return why;
        }
        if (o->min < o->max && (v < o->min || v > o->max)) {
            snprintf(why, cap, "%s is out of range (%lld to %lld)", val, (long long)o->min,
                     (long long)o->max);
            return why;
        }
        return NULL;
    case CFG_STR:
    case CFG_LIST:
        return NULL;
    }
    return NULL;
}

static struct cfg_entry *cfg_put(struct cfg *c, const char *key, const struct cfg_opt *o)
{
    struct cfg_entry *e = cfg_find_entry(c, key);
    if (e != NULL) {
        cfg_entry_clear(e);
        return e;
    }
    if (c->nentries == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 32;
        struct cfg_entry *ne = realloc(c->entries, ncap * sizeof(*ne));
        if (ne == NULL)
            return NULL;
        c->entries = ne;
        c->cap = ncap;
    }
    e = &c->entries[c->nentries++];
    memset(e, 0, sizeof(*e));
    e->key = strdup(key);
    e->opt = o;
    return e;
}

static int cfg_list_push(struct cfg_entry *e, const char *item)
{
    char **nl = realloc(e->list, (e->nlist + 1) * sizeof(char *));
    if (nl == NULL)
        return -1;
    e->list = nl;
    e->list[e->nlist++] = strdup(item);
    return 0;
}

/* ---- YAML walking ---- */

struct cfg_frame {
    bool is_seq;
    size_t keylen;     /* length of the path when this node was entered */
    int index;         /* next sequence index */
    bool expect_key;   /* mapping: the next scalar is a key */
    struct cfg_entry *list; /* collecting a CFG_LIST sequence */
};

struct cfg_walk {
    struct cfg *c;
    const char *name;
    char path[CFG_KEY_MAX];
    size_t plen;
    struct cfg_frame st[CFG_MAX_DEPTH];
    int depth;
    int errors;
};

static void cfg_err(struct cfg_walk *w, const yaml_mark_t *m, const char *key, const char *msg)
{
    log_error("cfg", "%s:%zu:%zu: %s%s%s", w->name, m->line + 1, m->column + 1, key ? key : "",
              key ? ": " : "", msg);
    w->errors++;
}

static void cfg_path_push(struct cfg_walk *w, const char *comp)
{
    size_t n = strlen(comp);
    if (w->plen + n + 2 >= sizeof(w->path))
        return;
    if (w->plen > 0)
        w->path[w->plen++] = '.';
    memcpy(w->path + w->plen, comp, n + 1);
    w->plen += n;
}

/* A value (scalar) arrived at the current path. */
static void cfg_leaf(struct cfg_walk *w, const char *val, const yaml_mark_t *m, bool plain)
{
    struct cfg_frame *f = &w->st[w->depth];
    if (f->list != NULL) {
        cfg_list_push(f->list, val);
        return;
    }
    const struct cfg_opt *o = cfg_find_opt(w->c, w->path);
    if (o == NULL) {
        bool empty = plain && (val[0] == '\0' || strcmp(val, "~") == 0 || strcmp(val, "null") == 0);
        if (empty && cfg_key_is_prefix(w->c, w->path))
            return; /* "section:" with nothing under it */
        cfg_err(w, m, w->path, "unknown key");
        return;
    }
    char why[160];
    const char *bad = cfg_check(o, val, why, sizeof(why));
    if (bad != NULL) {
        cfg_err(w, m, w->path, bad);
        return;
    }
    struct cfg_entry *e = cfg_put(w->c, w->path, o);
    if (e == NULL)
        return;
    if (o->type == CFG_LIST)
        cfg_list_push(e, val);
    else
        e->val = strdup(val);
}

/* Called before any node (scalar, mapping, sequence) in value position. */
static void cfg_enter_value(struct cfg_walk *w)
{
    struct cfg_frame *f = &w->st[w->depth];
    if (f->is_seq && f->list == NULL) {
        char idx[16];
        snprintf(idx, sizeof(idx), "%d", f->index++);
        w->st[w->depth].keylen = w->plen;
        cfg_path_push(w, idx);
    }
}

static void cfg_leave_value(struct cfg_walk *w)
{
    struct cfg_frame *f = &w->st[w->depth];
    if (f->list != NULL)
        return;
    if (f->is_seq) {
        w->plen = f->keylen;
        w->path[w->plen] = '\0';
    } else {
        w->plen = f->keylen;
        w->path[w->plen] = '\0';
        f->expect_key = true;
    }
}

static int cfg_walk_events(struct cfg_walk *w, yaml_parser_t *p)
{
    bool done = false;
    w->depth = -1;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev)) {
            yaml_mark_t m = p->problem_mark;
            log_error("cfg", "%s:%zu:%zu: YAML error: %s", w->name, m.line + 1, m.column + 1,
                      p->problem ? p->problem : "unknown");
            w->errors++;
            return -1;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_SCALAR_EVENT: {
            const char *v = (const char *)ev.data.scalar.value;
            bool plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (w->depth < 0) {
                if (v[0] != '\0')
                    cfg_err(w, &ev.start_mark, NULL, "the top level must be a mapping");
                break;
            }
            struct cfg_frame *f = &w->st[w->depth];
            if (!f->is_seq && f->expect_key) {
                f->keylen = w->plen;
                cfg_path_push(w, v);
                f->expect_key = false;
            } else {
                cfg_enter_value(w);
                cfg_leaf(w, v, &ev.start_mark, plain);
                cfg_leave_value(w);
            }
            break;
        }
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT: {
            bool seq = ev.type == YAML_SEQUENCE_START_EVENT;
            struct cfg_entry *list = NULL;
            if (w->depth >= 0) {
                struct cfg_frame *f = &w->st[w->depth];
                if (f->list != NULL) {
                    cfg_err(w, &ev.start_mark, w->path, "a list item must be a plain value");
                    yaml_event_delete(&ev);
                    return -1;
                }
                if (!f->is_seq && f->expect_key) {
                    cfg_err(w, &ev.start_mark, w->path, "a key must be a plain value");
                    yaml_event_delete(&ev);
                    return -1;
                }
                cfg_enter_value(w);
                if (seq) {
                    const struct cfg_opt *o = cfg_find_opt(w->c, w->path);
                    if (o != NULL && o->type == CFG_LIST)
                        list = cfg_put(w->c, w->path, o);
                }
            }
            if (w->depth + 1 >= CFG_MAX_DEPTH) {
                cfg_err(w, &ev.start_mark, w->path, "nested too deeply");
                yaml_event_delete(&ev);
                return -1;
            }
            w->depth++;
            w->st[w->depth] = (struct cfg_frame){ .is_seq = seq, .keylen = w->plen,
                                                  .expect_key = !seq, .list = list };
            break;
        }
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            w->depth--;
            if (w->depth >= 0)
                cfg_leave_value(w);
            break;
        case YAML_ALIAS_EVENT:
            cfg_err(w, &ev.start_mark, w->path, "YAML aliases are not supported");
            if (w->depth >= 0 && !w->st[w->depth].is_seq)
                cfg_leave_value(w);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    return 0;
}

int cfg_load_string(struct cfg *c, const char *name, const char *yaml, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return 1;
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
    struct cfg_walk *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        yaml_parser_delete(&p);
        return 1;
    }
    w->c = c;
    w->name = name;
    cfg_walk_events(w, &p);
    int errors = w->errors;
    free(w);
    yaml_parser_delete(&p);
    return errors;
}

int cfg_load_file(struct cfg *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        log_error("cfg", "%s: cannot open: %s", path, strerror(errno));
        return 1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 16384;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return 1;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        log_error("cfg", "%s: read error", path);
        free(buf);
        return 1;
    }
    int errors = cfg_load_string(c, path, buf, len);
    free(buf);
    return errors;
}

int cfg_set(struct cfg *c, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment) {
        log_error("cfg", "--set %s: expected KEY=VALUE", assignment);
        return 1;
    }
    char key[CFG_KEY_MAX];
    size_t kl = (size_t)(eq - assignment);
    if (kl >= sizeof(key)) {
        log_error("cfg", "--set: key too long");
        return 1;
    }
    memcpy(key, assignment, kl);
    key[kl] = '\0';
    const char *val = eq + 1;
    const struct cfg_opt *o = cfg_find_opt(c, key);
    if (o == NULL) {
        log_error("cfg", "--set %s: unknown key", key);
        return 1;
    }
    if (o->type == CFG_LIST) {
        struct cfg_entry *e = cfg_put(c, key, o);
        if (e == NULL)
            return 1;
        char *copy = strdup(val);
        char *s = copy;
        size_t n = strlen(s);
        if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
            s[n - 1] = '\0';
            s++;
        }
        char *save = NULL;
        for (char *t = strtok_r(s, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            size_t tl = strlen(t);
            while (tl > 0 && t[tl - 1] == ' ')
                t[--tl] = '\0';
            if (tl > 0)
                cfg_list_push(e, t);
        }
        free(copy);
        return 0;
    }
    char why[160];
    const char *bad = cfg_check(o, val, why, sizeof(why));
    if (bad != NULL) {
        log_error("cfg", "--set %s: %s", key, bad);
        return 1;
    }
    struct cfg_entry *e = cfg_put(c, key, o);
    if (e == NULL)
        return 1;
    e->val = strdup(val);
    return 0;
}

/* ---- getters ---- */

static const char *cfg_text(const struct cfg *c, const char *key, const struct cfg_opt **opt)
{
    const struct cfg_opt *o = cfg_find_opt(c, key);
    *opt = o;
    if (o == NULL) {
        log_error("cfg", "internal: key \"%s\" is not in any schema", key);
        return NULL;
    }
    const struct cfg_entry *e = cfg_find_entry(c, key);
    if (e != NULL && e->val != NULL)
        return e->val;
    return o->def;
}

bool cfg_get_bool(const struct cfg *c, const char *key)
{
    const struct cfg_opt *o;
    const char *t = cfg_text(c, key, &o);
    bool b = false;
    if (t != NULL)
        cfg_parse_bool(t, &b);
    return b;
}

int64_t cfg_get_int(const struct cfg *c, const char *key)
{
    const struct cfg_opt *o;
    const char *t = cfg_text(c, key, &o);
    int64_t v = 0;
    if (t != NULL && o != NULL) {
        if (o->type == CFG_SIZE)
            cfg_parse_size(t, &v);
        else
            cfg_parse_int(t, &v);
    }
    return v;
}

const char *cfg_get_str(const struct cfg *c, const char *key)
{
    const struct cfg_opt *o;
    return cfg_text(c, key, &o);
}

size_t cfg_get_list(const struct cfg *c, const char *key, const char *const **items)
{
    static const char *const none[1] = { NULL };
    const struct cfg_entry *e = cfg_find_entry(c, key);
    if (e != NULL && e->list != NULL) {
        *items = (const char *const *)e->list;
        return e->nlist;
    }
    *items = none;
    const struct cfg_opt *o = cfg_find_opt(c, key);
    if (o == NULL)
        log_error("cfg", "internal: key \"%s\" is not in any schema", key);
    return 0;
}

bool cfg_is_set(const struct cfg *c, const char *key)
{
    return cfg_find_entry(c, key) != NULL;
}

size_t cfg_each(const struct cfg *c, const char *pattern, cfg_each_fn cb, void *arg)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nentries; i++) {
        const struct cfg_entry *e = &c->entries[i];
        if (!cfg_key_match(pattern, e->key))
            continue;
        n++;
        if (e->val != NULL) {
            cb(e->key, e->val, arg);
        } else {
            for (size_t j = 0; j < e->nlist; j++)
                cb(e->key, e->list[j], arg);
        }
    }
    return n;
}

void cfg_dump(const struct cfg *c, FILE *out)
{
    for (size_t s = 0; s < c->nschemas; s++)
        for (size_t i = 0; i < c->schemas[s].n; i++) {
            const struct cfg_opt *o = &c->schemas[s].opts[i];
            if (strchr(o->key, '*') != NULL) {
                for (size_t k = 0; k < c->nentries; k++)
                    if (cfg_key_match(o->key, c->entries[k].key) && c->entries[k].val != NULL)
                        fprintf(out, "%s: %s\n", c->entries[k].key, c->entries[k].val);
                continue;
            }
            const struct cfg_entry *e = cfg_find_entry(c, o->key);
            if (o->type == CFG_LIST) {
                fprintf(out, "%s: [", o->key);
                for (size_t j = 0; e != NULL && j < e->nlist; j++)
                    fprintf(out, "%s%s", j ? ", " : "", e->list[j]);
                fprintf(out, "]  # %s\n", o->help ? o->help : "");
            } else {
                const char *v = e && e->val ? e->val : o->def;
                fprintf(out, "%s: %s  # %s\n", o->key, v ? v : "", o->help ? o->help : "");
            }
        }
}
