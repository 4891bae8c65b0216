/* corr_match: Sigma field matching on EVE events.
 *
 * A detection item "field|mod|mod: value(s)" is compiled once at load into
 * value matchers (glob with Sigma wildcards, regex via PCRE2, CIDR, numeric
 * comparison, null, exists). Field paths are dotted into nested EVE objects;
 * arrays met on the way or at the leaf are expanded, and an item holds when
 * any element matches. Strings compare case-insensitively (ASCII) unless
 * |cased; a number in the event compares numerically with a numeric value.
 */
#include "correlate/corr_private.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sigma modifiers we implement; anything else is a load error naming it. */
static const struct {
    const char *name;
    unsigned flag;
} mod_table[] = {
    { "contains", CORR_MOD_CONTAINS }, { "startswith", CORR_MOD_STARTSWITH },
    { "endswith", CORR_MOD_ENDSWITH }, { "re", CORR_MOD_RE },
    { "cidr", CORR_MOD_CIDR },         { "all", CORR_MOD_ALL },
    { "gt", CORR_MOD_GT },             { "gte", CORR_MOD_GTE },
    { "lt", CORR_MOD_LT },             { "lte", CORR_MOD_LTE },
    { "exists", CORR_MOD_EXISTS },     { "cased", CORR_MOD_CASED },
    { "i", CORR_MOD_RE_I },            { "m", CORR_MOD_RE_M },
    { "s", CORR_MOD_RE_S },
};

#define CMP_MODS (CORR_MOD_GT | CORR_MOD_GTE | CORR_MOD_LT | CORR_MOD_LTE)
#define STR_MODS (CORR_MOD_CONTAINS | CORR_MOD_STARTSWITH | CORR_MOD_ENDSWITH)
#define RE_FLAGS (CORR_MOD_RE_I | CORR_MOD_RE_M | CORR_MOD_RE_S)

int corr_match_split(struct corr_arena *a, const char *field, const char ***path, size_t *n)
{
    size_t cnt = 1;
    for (const char *p = field; *p; p++)
        cnt += *p == '.';
    const char **v = corr_arena_alloc(a, cnt * sizeof(*v));
    char *copy = corr_arena_strdup(a, field);
    if (v == NULL || copy == NULL)
        return -1;
    size_t i = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ".", &save); tok; tok = strtok_r(NULL, ".", &save))
        v[i++] = tok;
    if (i != cnt) /* an empty component: "a..b", ".a", "a." */
        return -1;
    *path = v;
    *n = cnt;
    return 0;
}

static unsigned mod_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(mod_table) / sizeof(mod_table[0]); i++)
        if (strcmp(mod_table[i].name, name) == 0)
            return mod_table[i].flag;
    return 0;
}

static bool parse_number(const char *s, double *out)
{
    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end != '\0' || errno != 0 || !isfinite(d))
        return false;
    /* strtod also takes "inf", "nan" and hex; Sigma values are decimal. */
    for (const char *p = s; *p; p++)
        if (!(isdigit((unsigned char)*p) || *p == '.' || *p == '-' || *p == '+' || *p == 'e' ||
              *p == 'E'))
            return false;
    *out = d;
    return true;
}

static int parse_cidr(const char *s, struct corr_val *v)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof(buf))
        return -1;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    if (inet_pton(AF_INET, buf, v->addr) == 1)
        v->family = 4;
    else if (inet_pton(AF_INET6, buf, v->addr) == 1)
        v->family = 6;
    else
        return -1;
    int max = v->family == 4 ? 32 : 128;
    v->bits = max;
    if (slash) {
        char *end;
        long b = strtol(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || b < 0 || b > max)
            return -1;
        v->bits = (int)b;
    }
    return 0;
}

/* Sigma v2 wildcards: '*' any run, '?' one char; '\' escapes '*', '?' and
 * '\'; a backslash before anything else is literal. contains/startswith/
 * endswith add the '*' around the value. */
static int compile_glob(struct corr_arena *a, struct corr_val *v, const char *s, unsigned mods)
{
    size_t n = strlen(s);
    v->pat = corr_arena_alloc(a, n + 3);
    v->wild = corr_arena_alloc(a, n + 3);
    if (v->pat == NULL || v->wild == NULL)
        return -1;
    size_t j = 0;
    bool lower = !(mods & CORR_MOD_CASED);
    if (mods & (CORR_MOD_CONTAINS | CORR_MOD_ENDSWITH))
        v->wild[j++] = '*';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
            c = s[++i];
            v->pat[j] = lower ? (char)tolower((unsigned char)c) : c;
            v->wild[j++] = 0;
        } else if (c == '*' || c == '?') {
            v->wild[j++] = (uint8_t)c;
        } else {
            v->pat[j] = lower ? (char)tolower((unsigned char)c) : c;
            v->wild[j++] = 0;
        }
    }
    if (mods & (CORR_MOD_CONTAINS | CORR_MOD_STARTSWITH))
        v->wild[j++] = '*';
    v->plen = j;
    for (size_t i = 0; i < j; i++)
        v->has_wild |= v->wild[i] != 0;
    v->is_num = !v->has_wild && !(mods & STR_MODS) && parse_number(s, &v->num);
    return 0;
}

static int compile_re(struct corr_val *v, const char *s, unsigned mods, char *err, size_t errlen)
{
    uint32_t opts = 0;
    if (mods & CORR_MOD_RE_I)
        opts |= PCRE2_CASELESS;
    if (mods & CORR_MOD_RE_M)
        opts |= PCRE2_MULTILINE;
    if (mods & CORR_MOD_RE_S)
        opts |= PCRE2_DOTALL;
    int ec;
    PCRE2_SIZE off;
    v->re = pcre2_compile((PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, opts, &ec, &off, NULL);
    if (v->re == NULL) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        snprintf(err, errlen, "regex '%s' at offset %zu: %s", s, (size_t)off, (char *)msg);
        return -1;
    }
    return 0;
}

static int compile_val(struct corr_arena *a, struct corr_val *v, const char *s, bool plain,
                       unsigned mods, char *err, size_t errlen)
{
    bool is_null = plain && (strcmp(s, "null") == 0 || strcmp(s, "~") == 0 || *s == '\0');
    if (mods & CORR_MOD_EXISTS) {
        v->kind = CORR_VAL_EXISTS;
        if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0) {
            v->exists = true;
        } else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0) {
            v->exists = false;
        } else {
            snprintf(err, errlen, "|exists needs true or false, not '%s'", s);
            return -1;
        }
        return 0;
    }
    if (is_null) {
        if (mods & ~(CORR_MOD_ALL)) {
            snprintf(err, errlen, "null value with a modifier");
            return -1;
        }
        v->kind = CORR_VAL_NULL;
        return 0;
    }
    if (mods & CORR_MOD_RE) {
        v->kind = CORR_VAL_RE;
        return compile_re(v, s, mods, err, errlen);
    }
    if (mods & CORR_MOD_CIDR) {
        v->kind = CORR_VAL_CIDR;
        if (parse_cidr(s, v) < 0) {
            snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 CIDR", s);
            return -1;
        }
        return 0;
    }
    if (mods & CMP_MODS) {
        v->kind = CORR_VAL_CMP;
        if (!parse_number(s, &v->num)) {
            snprintf(err, errlen, "'%s' is not a number (gt/gte/lt/lte compare numbers)", s);
            return -1;
        }
        return 0;
    }
    v->kind = CORR_VAL_GLOB;
    return compile_glob(a, v, s, mods);
}

static int check_mods(unsigned m, char *err, size_t errlen)
{
    int kinds = !!(m & STR_MODS) + !!(m & CORR_MOD_RE) + !!(m & CORR_MOD_CIDR) +
                !!(m & CMP_MODS) + !!(m & CORR_MOD_EXISTS);
    const char *why = NULL;
    if (kinds > 1)
        why = "modifiers of different kinds cannot be combined";
    else if (__builtin_popcount(m & CMP_MODS) > 1)
        why = "only one of gt/gte/lt/lte per field";
    else if (__builtin_popcount(m & STR_MODS) > 1)
        why = "only one of contains/startswith/endswith per field";
    else if ((m & RE_FLAGS) && !(m & CORR_MOD_RE))
        why = "i/m/s modifiers apply to re only";
    if (why != NULL) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    return 0;
}

int corr_match_compile(struct corr_arena *a, struct corr_item *it, const char *key,
                       const char **vals, const bool *plain, size_t nvals,
                       pcre2_code ***res, size_t *nres, char *err, size_t errlen)
{
    char buf[256];
    if (strlen(key) >= sizeof(buf)) {
        snprintf(err, errlen, "field name too long");
        return -1;
    }
    strcpy(buf, key);
    char *save = NULL;
    char *field = strtok_r(buf, "|", &save);
    if (field == NULL || key[0] == '|') {
        snprintf(err, errlen, "'%s': keyword search without a field name is not supported", key);
        return -1;
    }
    it->field = corr_arena_strdup(a, field);
    if (it->field == NULL || corr_match_split(a, field, &it->path, &it->npath) < 0) {
        snprintf(err, errlen, "'%s' is not a field path", field);
        return -1;
    }
    for (char *m = strtok_r(NULL, "|", &save); m; m = strtok_r(NULL, "|", &save)) {
        unsigned f = mod_lookup(m);
        if (f == 0) {
            snprintf(err, errlen, "field '%s': unsupported modifier '%s'", field, m);
            return -1;
        }
        it->mods |= f;
    }
    if (check_mods(it->mods, err, errlen) < 0)
        return -1;
    if (nvals == 0) {
        snprintf(err, errlen, "field '%s' has an empty value list", field);
        return -1;
    }
    it->vals = corr_arena_alloc(a, nvals * sizeof(*it->vals));
    if (it->vals == NULL)
        return -1;
    it->nvals = nvals;
    for (size_t i = 0; i < nvals; i++) {
        char why[200] = "";
        if (compile_val(a, &it->vals[i], vals[i], plain[i], it->mods, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "field '%s': %s", field, why[0] ? why : "out of memory");
            return -1;
        }
        if (it->vals[i].re != NULL) {
            pcre2_code **grown = realloc(*res, (*nres + 1) * sizeof(**res));
            if (grown == NULL) {
                pcre2_code_free(it->vals[i].re);
                it->vals[i].re = NULL;
                return -1;
            }
            *res = grown;
            (*res)[(*nres)++] = it->vals[i].re;
        }
    }
    return 0;
}

/* ---- evaluation --------------------------------------------------------- */

int corr_match_text(json_t *v, char *buf, size_t len)
{
    int n = -1;
    if (json_is_string(v))
        n = snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_integer(v))
        n = snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        n = snprintf(buf, len, "%.17g", json_real_value(v));
    else if (json_is_true(v))
        n = snprintf(buf, len, "true");
    else if (json_is_false(v))
        n = snprintf(buf, len, "false");
    if (n >= (int)len)
        n = (int)len - 1;
    return n;
}

/* The text of a scalar without copying strings: numbers go to buf. */
static const char *leaf_text(json_t *v, char *buf, size_t blen, size_t *n)
{
    if (json_is_string(v)) {
        *n = json_string_length(v);
        return json_string_value(v);
    }
    int k = corr_match_text(v, buf, blen);
    if (k < 0)
        return NULL;
    *n = (size_t)k;
    return buf;
}

static bool glob_match(const struct corr_val *v, const char *s, size_t n, bool cased)
{
    const char *p = v->pat;
    const uint8_t *w = v->wild;
    size_t m = v->plen, i = 0, j = 0, star = (size_t)-1, mark = 0;
    if (!v->has_wild) {
        if (n != m)
            return false;
        if (cased)
            return memcmp(s, p, n) == 0;
        for (i = 0; i < n; i++)
            if (tolower((unsigned char)s[i]) != (unsigned char)p[i])
                return false;
        return true;
    }
    while (i < n) {
        char c = cased ? s[i] : (char)tolower((unsigned char)s[i]);
        if (j < m && (w[j] == '?' || (w[j] == 0 && p[j] == c))) {
            i++;
            j++;
        } else if (j < m && w[j] == '*') {
            star = j++;
            mark = i;
        } else if (star != (size_t)-1) {
            j = star + 1;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (j < m && w[j] == '*')
        j++;
    return j == m;
}

static bool cidr_match(const struct corr_val *v, const char *s, size_t n)
{
    char buf[64];
    uint8_t addr[16];
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(fam, buf, addr) != 1 || (fam == AF_INET6) != (v->family == 6))
        return false;
    int full = v->bits / 8, rest = v->bits % 8;
    if (memcmp(addr, v->addr, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (addr[full] & mask) == (v->addr[full] & mask);
}

static bool leaf_number(json_t *leaf, double *d)
{
    if (json_is_number(leaf)) {
        *d = json_number_value(leaf);
        return true;
    }
    return json_is_string(leaf) && parse_number(json_string_value(leaf), d);
}

static bool val_match_leaf(const struct corr_val *v, unsigned mods, json_t *leaf)
{
    char nbuf[64];
    size_t n;
    const char *s;
    double d;
    switch (v->kind) {
    case CORR_VAL_GLOB:
        if (v->is_num && json_is_number(leaf))
            return json_number_value(leaf) == v->num;
        s = leaf_text(leaf, nbuf, sizeof(nbuf), &n);
        return s != NULL && glob_match(v, s, n, mods & CORR_MOD_CASED);
    case CORR_VAL_RE: {
        s = leaf_text(leaf, nbuf, sizeof(nbuf), &n);
        if (s == NULL)
            return false;
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        if (md == NULL)
            return false;
        int rc = pcre2_match(v->re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
        pcre2_match_data_free(md);
        return rc >= 0;
    }
    case CORR_VAL_CIDR:
        return json_is_string(leaf) &&
               cidr_match(v, json_string_value(leaf), json_string_length(leaf));
    case CORR_VAL_CMP:
        if (!leaf_number(leaf, &d))
            return false;
        if (mods & CORR_MOD_GT)
            return d > v->num;
        if (mods & CORR_MOD_GTE)
            return d >= v->num;
        if (mods & CORR_MOD_LT)
            return d < v->num;
        return d <= v->num;
    case CORR_VAL_NULL:
        return json_is_null(leaf);
    case CORR_VAL_EXISTS:
        return false; /* decided per item, not per leaf */
    }
    return false;
}

/* Visit every leaf under path, expanding arrays; stop when fn returns true. */
typedef bool (*leaf_fn)(json_t *leaf, const void *ctx);

static bool walk(json_t *j, const char *const *path, size_t npath, leaf_fn fn, const void *ctx,
                 int depth)
{
    if (depth > 32)
        return false;
    if (json_is_array(j)) {
        size_t i;
        json_t *el;
        json_array_foreach(j, i, el) {
            if (walk(el, path, npath, fn, ctx, depth + 1))
                return true;
        }
        return false;
    }
    if (npath == 0)
        return fn(j, ctx);
    if (!json_is_object(j))
        return false;
    json_t *next = json_object_get(j, path[0]);
    return next != NULL && walk(next, path + 1, npath - 1, fn, ctx, depth + 1);
}

struct leaf_ctx {
    const struct corr_val *v;
    unsigned mods;
};

static bool leaf_matches(json_t *leaf, const void *ctx)
{
    const struct leaf_ctx *c = ctx;
    return val_match_leaf(c->v, c->mods, leaf);
}

static bool leaf_present(json_t *leaf, const void *ctx)
{
    (void)ctx;
    return !json_is_null(leaf);
}

static bool leaf_first(json_t *leaf, const void *ctx)
{
    *(json_t **)ctx = leaf;
    return true;
}

json_t *corr_match_get(json_t *event, const char *const *path, size_t npath)
{
    json_t *out = NULL;
    walk(event, path, npath, leaf_first, (const void *)&out, 0);
    return out;
}

static bool val_match(const struct corr_item *it, const struct corr_val *v, json_t *event)
{
    if (v->kind == CORR_VAL_EXISTS || v->kind == CORR_VAL_NULL) {
        bool present = walk(event, it->path, it->npath, leaf_present, NULL, 0);
        return v->kind == CORR_VAL_EXISTS ? present == v->exists : !present;
    }
    struct leaf_ctx c = { v, it->mods };
    return walk(event, it->path, it->npath, leaf_matches, &c, 0);
}

bool corr_match_item(const struct corr_item *it, json_t *event)
{
    bool all = it->mods & CORR_MOD_ALL;
    for (size_t i = 0; i < it->nvals; i++) {
        bool m = val_match(it, &it->vals[i], event);
        if (all && !m)
            return false;
        if (!all && m)
            return true;
    }
    return all;
}
